//! Signing keys: parsed once at start, published as a JWK set, rotated on request.
//!
//! Each realm holds one key per algorithm (RSA 2048 for RS256, P-256 for ES256, Ed25519 for
//! EdDSA; a second RSA 2048 key for PS256 once the realm signs with it). Private keys are parsed into aws-lc-rs key pairs once, so the token endpoint never
//! re-parses a key per token. Key material is generated, converted and exported with `rsa`
//! (RSA) and aws-lc-rs (EC, Ed25519); `kid` is the RFC 7638 thumbprint of the public key.

mod material;

pub(crate) use material::generate_key;
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
            SigningAlg::RS256 | SigningAlg::PS256 => {
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
                let padding: &'static dyn signature::RsaEncoding = match self.alg {
                    SigningAlg::PS256 => &signature::RSA_PSS_SHA256,
                    _ => &signature::RSA_PKCS1_SHA256,
                };
                pair.sign(padding, &SystemRandom::new(), message, &mut signature)
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
            SigningAlg::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
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

/// At most this many retired keys stay published (four rotations of three keys); the oldest
/// go first.
pub(crate) const MAX_RETIRED: usize = 12;
/// At most this many publish-only keys per realm.
pub(crate) const MAX_PUBLISH_ONLY: usize = 16;

/// A key taken out of signing by a rotation, still published for verification until `until`
/// (a Unix time), or until retired when `None`.
#[derive(Debug, Clone)]
pub(crate) struct Retired {
    pub(crate) key: Arc<SigningKey>,
    pub(crate) until: Option<u64>,
}

/// A realm's keys: the active key per algorithm, keys retired by rotations (still published
/// for verification during their overlap) and publish-only keys (in the JWK set, never used).
#[derive(Debug, Clone)]
pub(crate) struct RealmKeys {
    active: Vec<Arc<SigningKey>>,
    retired: Vec<Retired>,
    publish_only: Vec<Arc<SigningKey>>,
}

impl RealmKeys {
    /// Parses a realm's key material.
    pub(crate) fn from_material(material: &KeyMaterial) -> Result<RealmKeys, KeyError> {
        let active = material.parse()?.into_iter().map(Arc::new).collect::<Vec<_>>();
        Ok(RealmKeys {
            active,
            retired: Vec::new(),
            publish_only: Vec::new(),
        })
    }

    /// The active key for `alg`.
    pub(crate) fn signer(&self, alg: SigningAlg) -> Option<&Arc<SigningKey>> {
        self.active.iter().find(|key| key.alg() == alg)
    }

    /// An active or retired key by `kid` (publish-only keys never signed anything).
    pub(crate) fn by_kid(&self, kid: &str) -> Option<&Arc<SigningKey>> {
        self.active
            .iter()
            .chain(self.retired.iter().map(|retired| &retired.key))
            .find(|key| key.kid() == kid)
    }

    /// Algorithms the realm can sign with.
    pub(crate) fn algs(&self) -> Vec<SigningAlg> {
        SigningAlg::ALL
            .into_iter()
            .filter(|alg| self.signer(*alg).is_some())
            .collect()
    }

    /// The public JWK set: active keys first, then retired ones, then publish-only ones.
    pub(crate) fn jwks(&self) -> Value {
        let keys: Vec<&Value> = self
            .active
            .iter()
            .chain(self.retired.iter().map(|retired| &retired.key))
            .chain(&self.publish_only)
            .map(|key| key.jwk())
            .collect();
        json!({ "keys": keys })
    }

    /// Replaces the active keys with `next`, keeping the current ones published as retired
    /// until retired (overlap `None`, the previous behaviour of every rotation).
    #[cfg(test)]
    pub(crate) fn rotated(&self, next: &KeyMaterial) -> Result<RealmKeys, KeyError> {
        self.rotated_at(next, 0, None)
    }

    /// Replaces the active keys with `next`; the current ones stay published until
    /// `now + overlap` (or until retired when `overlap` is `None`). Earlier retired keys stay
    /// while their own overlap lasts, at most [`MAX_RETIRED`] in all (the oldest go first).
    pub(crate) fn rotated_at(&self, next: &KeyMaterial, now: u64, overlap: Option<u64>) -> Result<RealmKeys, KeyError> {
        let fresh = RealmKeys::from_material(next)?;
        let until = overlap.map(|overlap| now.saturating_add(overlap));
        let mut retired: Vec<Retired> = self
            .active
            .iter()
            .map(|key| Retired {
                key: key.clone(),
                until,
            })
            .chain(self.pruned(now).retired)
            .collect();
        retired.truncate(MAX_RETIRED);
        Ok(RealmKeys {
            active: fresh.active,
            retired,
            publish_only: self.publish_only.clone(),
        })
    }

    /// Without the retired keys whose overlap ended by `now`.
    pub(crate) fn pruned(&self, now: u64) -> RealmKeys {
        RealmKeys {
            active: self.active.clone(),
            retired: self
                .retired
                .iter()
                .filter(|retired| retired.until.is_none_or(|until| until > now))
                .cloned()
                .collect(),
            publish_only: self.publish_only.clone(),
        }
    }

    /// The earliest end of a retired key's overlap, if any.
    pub(crate) fn next_expiry(&self) -> Option<u64> {
        self.retired.iter().filter_map(|retired| retired.until).min()
    }

    /// The algorithms `realm` signs with: its own, `run_time` (set over it) and its clients',
    /// each once.
    fn used_by(realm: &providers::Realm, run_time: Option<SigningAlg>) -> Vec<SigningAlg> {
        let mut used: Vec<SigningAlg> = std::iter::once(realm.signing_alg)
            .chain(run_time)
            .chain(realm.clients.values().filter_map(|client| client.signing_alg))
            .collect();
        used.sort();
        used.dedup();
        used
    }

    /// Whether [`RealmKeys::fitted_for`] would change anything: an algorithm `realm` signs with
    /// has no active key, or an active key beyond the built-in ones is no longer used.
    pub(crate) fn fits(&self, realm: &providers::Realm, run_time: Option<SigningAlg>) -> bool {
        let used = RealmKeys::used_by(realm, run_time);
        used.iter().all(|alg| self.signer(*alg).is_some())
            && self
                .active
                .iter()
                .all(|key| SigningAlg::BUILT_IN.contains(&key.alg()) || used.contains(&key.alg()))
    }

    /// Fitted to what `realm` signs with: a fresh active key for each algorithm it uses and has
    /// none for (PS256 on first use; RSA generation takes tens of milliseconds), and an active
    /// key beyond the built-in ones that nothing uses any more retired (still published until
    /// retired, so its tokens verify; discovery stops listing its algorithm).
    pub(crate) fn fitted_for(
        &self,
        realm: &providers::Realm,
        run_time: Option<SigningAlg>,
    ) -> Result<RealmKeys, KeyError> {
        let used = RealmKeys::used_by(realm, run_time);
        let mut next = self.clone();
        let (kept, unused): (Vec<_>, Vec<_>) = next
            .active
            .drain(..)
            .partition(|key| SigningAlg::BUILT_IN.contains(&key.alg()) || used.contains(&key.alg()));
        next.active = kept;
        for key in unused.into_iter().rev() {
            next.retired.insert(0, Retired { key, until: None });
        }
        next.retired.truncate(MAX_RETIRED);
        for alg in used {
            if next.signer(alg).is_none() {
                next = next.with_active(generate_key(alg)?);
            }
        }
        Ok(next)
    }

    /// With `key` signing for its algorithm. The active key it replaces, if any, stays
    /// published as retired until retired (as after a rotation without an overlap).
    pub(crate) fn with_active(&self, key: SigningKey) -> RealmKeys {
        let mut next = self.clone();
        if let Some(at) = next.active.iter().position(|active| active.alg() == key.alg()) {
            let replaced = next.active.remove(at);
            next.retired.insert(
                0,
                Retired {
                    key: replaced,
                    until: None,
                },
            );
            next.retired.truncate(MAX_RETIRED);
        }
        next.active.push(Arc::new(key));
        next
    }

    /// Without the retired or publish-only key `kid`; an active key cannot be retired.
    pub(crate) fn without(&self, kid: &str) -> Result<RealmKeys, KeyError> {
        if self.active.iter().any(|key| key.kid() == kid) {
            return Err(KeyError::Active(kid.to_owned()));
        }
        let mut next = self.clone();
        next.retired.retain(|retired| retired.key.kid() != kid);
        next.publish_only.retain(|key| key.kid() != kid);
        if next.retired.len() == self.retired.len() && next.publish_only.len() == self.publish_only.len() {
            return Err(KeyError::UnknownKid(kid.to_owned()));
        }
        Ok(next)
    }

    /// Without any retired key (publish-only keys stay).
    pub(crate) fn without_retired(&self) -> RealmKeys {
        RealmKeys {
            active: self.active.clone(),
            retired: Vec::new(),
            publish_only: self.publish_only.clone(),
        }
    }

    /// With `key` published but never used for signing.
    pub(crate) fn with_publish_only(&self, key: SigningKey) -> Result<RealmKeys, KeyError> {
        if self.publish_only.len() >= MAX_PUBLISH_ONLY {
            return Err(KeyError::TooMany(MAX_PUBLISH_ONLY));
        }
        let mut next = self.clone();
        next.publish_only.push(Arc::new(key));
        Ok(next)
    }

    /// Every key with its state, for listings: active, retired (with the end of its overlap),
    /// publish-only.
    pub(crate) fn describe(&self) -> Vec<(String, SigningAlg, KeyState)> {
        let active = self.active.iter().map(|key| (key, KeyState::Active));
        let retired = self
            .retired
            .iter()
            .map(|retired| (&retired.key, KeyState::Retired { until: retired.until }));
        let publish_only = self.publish_only.iter().map(|key| (key, KeyState::PublishOnly));
        active
            .chain(retired)
            .chain(publish_only)
            .map(|(key, state)| (key.kid().to_owned(), key.alg(), state))
            .collect()
    }
}

/// Where a key is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum KeyState {
    /// Signs new tokens.
    Active,
    /// Published for verification only, until `until` (Unix time) or until retired.
    Retired {
        /// When the overlap ends; `None` until retired.
        until: Option<u64>,
    },
    /// Published, never used for signing.
    PublishOnly,
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
        assert_eq!(keys.algs(), SigningAlg::BUILT_IN);
        let keys = keys.with_active(generate_key(SigningAlg::PS256).unwrap());
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

    #[test]
    fn a_retired_key_stays_for_its_overlap_and_retired_keys_are_bounded() {
        let keys = RealmKeys::from_material(&KeyMaterial::embedded()).unwrap();
        let old_kid = keys.signer(SigningAlg::ES256).unwrap().kid().to_owned();
        let rotated = keys
            .rotated_at(&KeyMaterial::generate_fast().unwrap(), 1000, Some(60))
            .unwrap();
        assert_eq!(rotated.next_expiry(), Some(1060));
        assert!(rotated.pruned(1059).by_kid(&old_kid).is_some());
        assert!(rotated.pruned(1060).by_kid(&old_kid).is_none());
        assert_eq!(rotated.pruned(1060).jwks()["keys"].as_array().unwrap().len(), 3);
        assert!(matches!(rotated.without(&old_kid), Ok(k) if k.by_kid(&old_kid).is_none()));
        let active = rotated.signer(SigningAlg::ES256).unwrap().kid().to_owned();
        assert!(matches!(rotated.without(&active), Err(KeyError::Active(_))));
        assert!(matches!(rotated.without("nope"), Err(KeyError::UnknownKid(_))));
        let mut many = keys;
        for _ in 0..6 {
            many = many.rotated(&KeyMaterial::generate_fast().unwrap()).unwrap();
        }
        assert_eq!(many.retired.len(), MAX_RETIRED);
    }
}
