//! Signing keys: parsed once at start, published as a JWK set, rotated on request.
//!
//! Each realm holds one key per algorithm (RSA 2048 for RS256, P-256 for ES256, Ed25519 for
//! EdDSA). Private keys are parsed into aws-lc-rs key pairs once, so the token endpoint never
//! re-parses a key per token. Key material is generated, converted and exported with `rsa`
//! (RSA) and aws-lc-rs (EC, Ed25519); `kid` is the RFC 7638 thumbprint of the public key.

mod material;

pub use material::{KeyError, KeyMaterial};

use crate::b64;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, UnparsedPublicKey};
use providers::SigningAlg;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// One private key, parsed once, with its public JWK.
pub(crate) struct SigningKey {
    kid: String,
    alg: SigningAlg,
    pair: Pair,
    public: Vec<u8>,
    jwk: Value,
}

enum Pair {
    Rsa(aws_lc_rs::rsa::KeyPair),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Parses a PKCS#8 private key (DER) for `alg`.
    pub(crate) fn from_pkcs8(alg: SigningAlg, der: &[u8]) -> Result<SigningKey, KeyError> {
        let invalid = |reason: &str| KeyError::Invalid {
            alg,
            reason: reason.to_owned(),
        };
        let (pair, public, members) = match alg {
            SigningAlg::RS256 => {
                let pair = aws_lc_rs::rsa::KeyPair::from_pkcs8(der).map_err(|err| invalid(&err.to_string()))?;
                if pair.public_modulus_len() * 8 < 2048 {
                    return Err(invalid("RSA keys must have at least 2048 bits"));
                }
                let (n, e) = material::rsa_public_components(der)?;
                let public = pair.public_key().as_ref().to_vec();
                let members = vec![("e", b64::encode(e)), ("kty", "RSA".into()), ("n", b64::encode(n))];
                (Pair::Rsa(pair), public, members)
            }
            SigningAlg::ES256 => {
                let pair = EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, der)
                    .map_err(|err| invalid(&err.to_string()))?;
                let point = pair.public_key().as_ref().to_vec();
                if point.len() != 65 || point[0] != 4 {
                    return Err(invalid("expected an uncompressed P-256 point"));
                }
                let members = vec![
                    ("crv", "P-256".into()),
                    ("kty", "EC".into()),
                    ("x", b64::encode(&point[1..33])),
                    ("y", b64::encode(&point[33..65])),
                ];
                (Pair::Ec(pair), point, members)
            }
            SigningAlg::EdDSA => {
                let pair = Ed25519KeyPair::from_pkcs8(der).map_err(|err| invalid(&err.to_string()))?;
                let public = pair.public_key().as_ref().to_vec();
                let members = vec![
                    ("crv", "Ed25519".into()),
                    ("kty", "OKP".into()),
                    ("x", b64::encode(&public)),
                ];
                (Pair::Ed(pair), public, members)
            }
        };
        let kid = thumbprint(&members);
        let mut jwk = Map::new();
        jwk.insert("kid".into(), json!(kid));
        for (name, value) in &members {
            jwk.insert((*name).into(), json!(value));
        }
        jwk.insert("use".into(), json!("sig"));
        jwk.insert("alg".into(), json!(alg.as_str()));
        Ok(SigningKey {
            kid,
            alg,
            pair,
            public,
            jwk: Value::Object(jwk),
        })
    }

    /// The key id (RFC 7638 thumbprint).
    pub(crate) fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm this key signs with.
    pub(crate) fn alg(&self) -> SigningAlg {
        self.alg
    }

    /// The public JWK.
    pub(crate) fn jwk(&self) -> &Value {
        &self.jwk
    }

    /// Signs `message`.
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let failed = || KeyError::Sign(self.alg);
        match &self.pair {
            Pair::Rsa(pair) => {
                let mut signature = vec![0u8; pair.public_modulus_len()];
                pair.sign(
                    &signature::RSA_PKCS1_SHA256,
                    &SystemRandom::new(),
                    message,
                    &mut signature,
                )
                .map_err(|_| failed())?;
                Ok(signature)
            }
            Pair::Ec(pair) => pair
                .sign(&SystemRandom::new(), message)
                .map(|sig| sig.as_ref().to_vec())
                .map_err(|_| failed()),
            Pair::Ed(pair) => Ok(pair.sign(message).as_ref().to_vec()),
        }
    }

    /// Checks `signature` over `message` with this key's public half.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let algorithm: &dyn signature::VerificationAlgorithm = match self.alg {
            SigningAlg::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            SigningAlg::ES256 => &signature::ECDSA_P256_SHA256_FIXED,
            SigningAlg::EdDSA => &signature::ED25519,
        };
        UnparsedPublicKey::new(algorithm, &self.public)
            .verify(message, signature)
            .is_ok()
    }
}

/// RFC 7638 §3: SHA-256 over the required members in lexicographic order, no whitespace.
fn thumbprint(members: &[(&str, String)]) -> String {
    let body: Vec<String> = members
        .iter()
        .map(|(name, value)| format!("\"{name}\":\"{value}\""))
        .collect();
    let canonical = format!("{{{}}}", body.join(","));
    b64::encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        canonical.as_bytes(),
    ))
}

/// A realm's keys: the active key per algorithm, plus retired keys still published for
/// verification after a rotation.
#[derive(Debug, Clone)]
pub(crate) struct RealmKeys {
    active: Vec<Arc<SigningKey>>,
    retired: Vec<Arc<SigningKey>>,
}

impl RealmKeys {
    /// Parses a realm's key material.
    pub(crate) fn from_material(material: &KeyMaterial) -> Result<RealmKeys, KeyError> {
        let active = material.parse()?.into_iter().map(Arc::new).collect::<Vec<_>>();
        Ok(RealmKeys {
            active,
            retired: Vec::new(),
        })
    }

    /// The active key for `alg`.
    pub(crate) fn signer(&self, alg: SigningAlg) -> Option<&Arc<SigningKey>> {
        self.active.iter().find(|key| key.alg() == alg)
    }

    /// An active or retired key by `kid`.
    pub(crate) fn by_kid(&self, kid: &str) -> Option<&Arc<SigningKey>> {
        self.active.iter().chain(&self.retired).find(|key| key.kid() == kid)
    }

    /// Algorithms the realm can sign with.
    pub(crate) fn algs(&self) -> Vec<SigningAlg> {
        SigningAlg::ALL
            .into_iter()
            .filter(|alg| self.signer(*alg).is_some())
            .collect()
    }

    /// The `kid`s of the active keys, then of the retired ones (to tell key sets apart).
    pub(crate) fn kids(&self) -> Vec<&str> {
        self.active.iter().chain(&self.retired).map(|key| key.kid()).collect()
    }

    /// The public JWK set: active keys first, then retired ones.
    pub(crate) fn jwks(&self) -> Value {
        let keys: Vec<&Value> = self.active.iter().chain(&self.retired).map(|key| key.jwk()).collect();
        json!({ "keys": keys })
    }

    /// Replaces the active keys with `next`, keeping the current ones published as retired.
    /// Only the most recent generation of retired keys is kept.
    pub(crate) fn rotated(&self, next: &KeyMaterial) -> Result<RealmKeys, KeyError> {
        let fresh = RealmKeys::from_material(next)?;
        Ok(RealmKeys {
            active: fresh.active,
            retired: self.active.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_7638_example_thumbprint_is_reproduced() {
        // RFC 7638 §3.1.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let members = vec![("e", "AQAB".to_owned()), ("kty", "RSA".to_owned()), ("n", n.to_owned())];
        assert_eq!(thumbprint(&members), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }

    #[test]
    fn each_embedded_key_signs_and_verifies_and_rejects_a_tampered_message() {
        let keys = RealmKeys::from_material(&KeyMaterial::embedded()).unwrap();
        assert_eq!(keys.algs(), SigningAlg::ALL);
        for alg in SigningAlg::ALL {
            let key = keys.signer(alg).unwrap();
            let signature = key.sign(b"header.payload").unwrap();
            assert!(key.verify(b"header.payload", &signature), "{alg}");
            assert!(!key.verify(b"header.payloae", &signature), "{alg}");
            assert_eq!(keys.by_kid(key.kid()).unwrap().alg(), alg);
        }
    }

    #[test]
    fn the_jwks_holds_no_private_members() {
        let keys = RealmKeys::from_material(&KeyMaterial::embedded()).unwrap();
        let jwks = keys.jwks();
        for key in jwks["keys"].as_array().unwrap() {
            for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
                assert!(key.get(private).is_none(), "{private} in {key}");
            }
        }
    }

    #[test]
    fn rotation_publishes_new_and_old_keys() {
        let keys = RealmKeys::from_material(&KeyMaterial::embedded()).unwrap();
        let old_kid = keys.signer(SigningAlg::ES256).unwrap().kid().to_owned();
        let rotated = keys.rotated(&KeyMaterial::generate_fast().unwrap()).unwrap();
        let new_kid = rotated.signer(SigningAlg::ES256).unwrap().kid().to_owned();
        assert_ne!(old_kid, new_kid);
        assert!(rotated.by_kid(&old_kid).is_some());
        assert_eq!(rotated.jwks()["keys"].as_array().unwrap().len(), 6);
    }
}
