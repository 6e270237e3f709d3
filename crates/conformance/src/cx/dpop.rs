//! DPoP proofs (RFC 9449 §4) that checks and the diff send: ES256 over a P-256 key made for the
//! run, `iat` the target's time. The same key type signs conformance's client assertions
//! (`private_key_jwt`), from a published key a World can register.

use crate::cx::Cx;
use crate::http::{Step, fail};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair};
use serde_json::{Map, Value, json};

/// A P-256 key that signs ES256 JWTs: DPoP proofs, client assertions.
pub(crate) struct EcKey {
    pair: EcdsaKeyPair,
    rng: SystemRandom,
}

impl EcKey {
    pub(crate) fn new() -> Step<EcKey> {
        let pair = EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING)
            .map_err(|_| fail(None, "no P-256 key could be generated for the proofs"))?;
        Ok(EcKey {
            pair,
            rng: SystemRandom::new(),
        })
    }

    /// The key of a PKCS#8 PEM (`what` names it in the error).
    pub(crate) fn from_pem(pem: &str, what: &str) -> Step<EcKey> {
        let der = idp_jose::pem::decode(idp_jose::pem::PRIVATE_KEY, pem)
            .map_err(|err| fail(None, format!("{what}: {err}")))?;
        let pair = EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &der)
            .map_err(|err| fail(None, format!("{what}: {err}")))?;
        Ok(EcKey {
            pair,
            rng: SystemRandom::new(),
        })
    }

    pub(crate) fn jwk(&self) -> Map<String, Value> {
        let point = self.pair.public_key().as_ref();
        let coordinate = |range: std::ops::Range<usize>| idp_jose::b64::encode(point.get(range).unwrap_or_default());
        let mut jwk = Map::new();
        jwk.insert("kty".into(), json!("EC"));
        jwk.insert("crv".into(), json!("P-256"));
        jwk.insert("x".into(), json!(coordinate(1..33)));
        jwk.insert("y".into(), json!(coordinate(33..65)));
        jwk
    }

    pub(crate) fn jkt(&self) -> Option<String> {
        idp_jose::digest::thumbprint(&self.jwk())
    }

    /// A proof with `header` and `claims`, signed with this key (`alg` as the header says; the
    /// signature is ES256 whatever it says).
    pub(crate) fn sign(&self, header: &Value, claims: &Value) -> Step<String> {
        let input = format!(
            "{}.{}",
            idp_jose::b64::encode(header.to_string()),
            idp_jose::b64::encode(claims.to_string())
        );
        let signature = self
            .pair
            .sign(&self.rng, input.as_bytes())
            .map_err(|_| fail(None, "the proof could not be signed"))?;
        Ok(format!("{input}.{}", idp_jose::b64::encode(signature.as_ref())))
    }

    /// A proof for `POST htu` issued at `iat`.
    pub(crate) fn proof(&self, htu: &str, iat: u64) -> Step<String> {
        self.proof_for("POST", htu, iat, None)
    }

    /// A proof for `POST htu` issued at `iat` carrying the server's `nonce` (RFC 9449 §8).
    pub(crate) fn proof_with_nonce(&self, htu: &str, iat: u64, nonce: &str) -> Step<String> {
        let claims = json!({"jti": jti()?, "htm": "POST", "htu": htu, "iat": iat, "nonce": nonce});
        self.sign(&json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk()}), &claims)
    }

    /// A proof for `htm htu` issued at `iat`, with `ath` for `access_token` (RFC 9449 §4.2).
    pub(crate) fn proof_for(&self, htm: &str, htu: &str, iat: u64, access_token: Option<&str>) -> Step<String> {
        let mut claims = json!({"jti": jti()?, "htm": htm, "htu": htu, "iat": iat});
        if let Some(token) = access_token {
            claims["ath"] = json!(idp_jose::digest::s256(token));
        }
        self.sign(&json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk()}), &claims)
    }
}

pub(crate) fn jti() -> Step<String> {
    let mut bytes = [0_u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| fail(None, "no randomness for a proof's jti"))?;
    Ok(idp_jose::b64::encode(bytes))
}

/// The target's time: the mock's clock, else this machine's.
pub(crate) fn now(cx: &Cx<'_>) -> u64 {
    use providers::clock::Clock as _;
    match cx.target.clock() {
        Some(clock) => clock.now(),
        None => providers::clock::SystemClock.now(),
    }
}
