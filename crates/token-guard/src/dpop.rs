//! DPoP (RFC 9449) at the resource server: [`DpopVerifier`] checks a `DPoP` proof header
//! against the request (`htm`, `htu`), the access token (`ath`) and time (`iat`), computes the
//! proof key's RFC 7638 thumbprint for the token's `cnf.jkt`, and refuses a replayed `jti`
//! through a bounded cache. Proof refusals answer `401 invalid_dpop_proof` (RFC 9449 §7.1).

use crate::clock::{Clock, SystemClock};
use crate::error::ConfigError;
use crate::jose;
use crate::keys::{Alg, VerifyKey};
use serde_json::{Map, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

/// Why a DPoP proof was refused. Every variant answers `401 invalid_dpop_proof`; descriptions
/// are fixed strings that never echo the proof.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DpopError {
    /// No `DPoP` header came with a DPoP-scheme token.
    #[error("DPoP proof missing")]
    Missing,
    /// More than one `DPoP` header (RFC 9449 §4.3 check 1).
    #[error("more than one DPoP proof")]
    Multiple,
    /// Longer than the configured maximum, or not a compact JWS with JSON header and payload.
    #[error("malformed DPoP proof")]
    Malformed,
    /// The header `typ` is not `dpop+jwt`.
    #[error("DPoP proof typ is not dpop+jwt")]
    Typ,
    /// `alg` is `none`, symmetric, unknown or outside the allowlist.
    #[error("DPoP proof algorithm not allowed")]
    Algorithm,
    /// No `jwk` header, or it is not a usable public key for `alg` (private members included).
    #[error("DPoP proof jwk is not an acceptable public key")]
    Key,
    /// The signature does not verify with the header's `jwk`.
    #[error("DPoP proof signature invalid")]
    Signature,
    /// `htm` is missing or is not the request's method.
    #[error("DPoP proof htm does not match the request method")]
    Method,
    /// `htu` is missing, not a URL, or not the request's URL (query and fragment ignored).
    #[error("DPoP proof htu does not match the request URL")]
    Url,
    /// `iat` is missing, not a number, too old or too far in the future.
    #[error("DPoP proof iat outside the acceptable window")]
    IssuedAt,
    /// `jti` is missing, not a string or too long.
    #[error("DPoP proof jti missing or invalid")]
    Jti,
    /// `ath` is missing or is not the S256 hash of the presented access token.
    #[error("DPoP proof ath does not match the access token")]
    AccessTokenHash,
    /// The proof's `jti` was already used within the window.
    #[error("DPoP proof replayed")]
    Replayed,
    /// The replay cache is full of live entries: refused rather than unchecked (fail closed).
    #[error("DPoP replay cache full")]
    ReplayCacheFull,
}

/// Settings of a [`DpopVerifier`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DpopConfig {
    /// Proof algorithms accepted, also advertised in the `algs` challenge attribute.
    pub algorithms: Vec<Alg>,
    /// Oldest proof accepted, seconds before now (`iat`). Default 60.
    pub max_age: u64,
    /// How far in the future `iat` may be (clock skew), seconds. Default 5.
    pub future_leeway: u64,
    /// Most `jti` values remembered at once. Default 100 000.
    pub replay_capacity: usize,
    /// Longest proof accepted, bytes (checked before decoding). Default 4096.
    pub max_proof_bytes: usize,
}

impl Default for DpopConfig {
    fn default() -> DpopConfig {
        DpopConfig {
            algorithms: vec![Alg::ES256, Alg::ES384, Alg::RS256, Alg::PS256, Alg::EdDSA],
            max_age: 60,
            future_leeway: 5,
            replay_capacity: 100_000,
            max_proof_bytes: 4096,
        }
    }
}

/// Longest `jti` accepted.
const MAX_JTI_LEN: usize = 256;

/// What one request presents: the values a proof is checked against.
#[derive(Debug, Clone, Copy)]
pub struct ProofContext<'a> {
    /// The request method (`GET`, `POST`, …).
    pub method: &'a str,
    /// The request URL as the client addressed it (absolute); query and fragment are ignored.
    pub url: &'a str,
    /// The access token presented with the `DPoP` scheme.
    pub access_token: &'a str,
}

/// A proof that passed every check but replay: its key thumbprint and its `jti`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedProof {
    /// RFC 7638 SHA-256 thumbprint of the proof's `jwk`, base64url.
    pub jkt: String,
    jti: String,
    iat: u64,
}

/// Checks DPoP proofs for a resource server. Share one per process: its replay cache must see
/// every request.
#[derive(Debug)]
pub struct DpopVerifier {
    config: DpopConfig,
    clock: Arc<dyn Clock>,
    seen: Mutex<Replay>,
}

/// `jti` → expiry, with insertion order for eviction of expired entries.
#[derive(Debug, Default)]
struct Replay {
    expiry: HashMap<String, u64>,
    order: VecDeque<(u64, String)>,
}

impl DpopVerifier {
    /// A verifier with `config` on the system clock.
    ///
    /// # Errors
    /// [`ConfigError::NoAlgorithms`] for an empty allowlist, [`ConfigError::LeewayTooLarge`]
    /// for a future leeway above 60 s.
    pub fn new(config: DpopConfig) -> Result<DpopVerifier, ConfigError> {
        DpopVerifier::with_clock(config, SystemClock)
    }

    /// Same, on `clock`.
    ///
    /// # Errors
    /// As [`DpopVerifier::new`].
    pub fn with_clock(config: DpopConfig, clock: impl Clock + 'static) -> Result<DpopVerifier, ConfigError> {
        if config.algorithms.is_empty() {
            return Err(ConfigError::NoAlgorithms);
        }
        if config.future_leeway > 60 {
            return Err(ConfigError::LeewayTooLarge);
        }
        Ok(DpopVerifier {
            config,
            clock: Arc::new(clock),
            seen: Mutex::new(Replay::default()),
        })
    }

    /// The accepted algorithms, space-separated (the `algs` challenge attribute).
    pub fn algs(&self) -> String {
        self.config
            .algorithms
            .iter()
            .map(|alg| alg.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Checks everything but replay: header, key, signature, `htm`, `htu`, `iat`, `jti` and
    /// `ath`. Nothing is remembered; call [`DpopVerifier::accept`] once the token is bound.
    ///
    /// # Errors
    /// Why the proof is refused.
    pub fn check(&self, proof: &str, context: &ProofContext<'_>) -> Result<CheckedProof, DpopError> {
        if proof.len() > self.config.max_proof_bytes {
            return Err(DpopError::Malformed);
        }
        let segments = idp_jose::compact::split(proof).map_err(|_| DpopError::Malformed)?;
        if segments.header.is_empty() || segments.signature.is_empty() {
            return Err(DpopError::Malformed);
        }
        let header = decode_object(segments.header)?;
        if header.get("typ").and_then(Value::as_str) != Some("dpop+jwt") {
            return Err(DpopError::Typ);
        }
        let alg = header
            .get("alg")
            .and_then(Value::as_str)
            .and_then(|name| self.config.algorithms.iter().copied().find(|a| a.as_str() == name))
            .ok_or(DpopError::Algorithm)?;
        if header.contains_key("crit") {
            return Err(DpopError::Malformed);
        }
        let Some(Value::Object(jwk)) = header.get("jwk") else {
            return Err(DpopError::Key);
        };
        // `from_jwk` refuses private and symmetric members and pins the key to `alg` only.
        let key = VerifyKey::from_jwk(jwk, &[alg]).map_err(|_| DpopError::Key)?;
        let signature = idp_jose::b64::decode(segments.signature).map_err(|_| DpopError::Malformed)?;
        if !key.verify(segments.signing_input().as_bytes(), &signature) {
            return Err(DpopError::Signature);
        }
        let claims = decode_object(segments.payload)?;
        if claims.get("htm").and_then(Value::as_str) != Some(context.method) {
            return Err(DpopError::Method);
        }
        let htu = claims.get("htu").and_then(Value::as_str).ok_or(DpopError::Url)?;
        if !same_target(htu, context.url) {
            return Err(DpopError::Url);
        }
        let iat = claims.get("iat").and_then(Value::as_u64).ok_or(DpopError::IssuedAt)?;
        let now = self.clock.now();
        if iat > now.saturating_add(self.config.future_leeway) || iat.saturating_add(self.config.max_age) < now {
            return Err(DpopError::IssuedAt);
        }
        let jti = match claims.get("jti") {
            Some(Value::String(jti)) if !jti.is_empty() && jti.len() <= MAX_JTI_LEN => jti.clone(),
            _ => return Err(DpopError::Jti),
        };
        let expected_ath = s256(context.access_token);
        if claims.get("ath").and_then(Value::as_str) != Some(expected_ath.as_str()) {
            return Err(DpopError::AccessTokenHash);
        }
        let jkt = thumbprint(jwk).ok_or(DpopError::Key)?;
        Ok(CheckedProof { jkt, jti, iat })
    }

    /// Records the proof's `jti`: refused if it was seen within the window (check and insert
    /// are one step under a lock, so concurrent copies of a proof are accepted at most once).
    ///
    /// # Errors
    /// [`DpopError::Replayed`], or [`DpopError::ReplayCacheFull`] when the cache holds only
    /// live entries.
    pub fn accept(&self, proof: &CheckedProof) -> Result<(), DpopError> {
        let now = self.clock.now();
        // Remembered until the proof could no longer pass the `iat` check.
        let until = proof.iat.saturating_add(self.config.max_age).saturating_add(1);
        let mut seen = self.seen.lock().map_err(|_| DpopError::ReplayCacheFull)?;
        while let Some((expiry, _)) = seen.order.front()
            && *expiry < now
        {
            if let Some((expiry, jti)) = seen.order.pop_front()
                && seen.expiry.get(&jti) == Some(&expiry)
            {
                seen.expiry.remove(&jti);
            }
        }
        if seen.expiry.get(&proof.jti).is_some_and(|expiry| *expiry >= now) {
            return Err(DpopError::Replayed);
        }
        if seen.expiry.len() >= self.config.replay_capacity {
            return Err(DpopError::ReplayCacheFull);
        }
        seen.expiry.insert(proof.jti.clone(), until);
        // Entries are pushed in arrival order; a later `until` may precede an earlier one, so
        // eviction stops at the first live entry (bounded by capacity all the same).
        seen.order.push_back((until, proof.jti.clone()));
        Ok(())
    }

    /// [`DpopVerifier::check`] then [`DpopVerifier::accept`].
    ///
    /// # Errors
    /// Why the proof is refused.
    pub fn verify(&self, proof: &str, context: &ProofContext<'_>) -> Result<CheckedProof, DpopError> {
        let checked = self.check(proof, context)?;
        self.accept(&checked)?;
        Ok(checked)
    }
}

/// `BASE64URL(SHA-256(text))`: `ath` (RFC 9449 §4.2) and the thumbprint's hash.
fn s256(text: &str) -> String {
    idp_jose::b64::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, text.as_bytes()))
}

fn decode_object(segment: &str) -> Result<Map<String, Value>, DpopError> {
    let bytes = idp_jose::b64::decode(segment).map_err(|_| DpopError::Malformed)?;
    jose::object(&bytes).map_err(|_| DpopError::Malformed)
}

/// Whether `htu` names the same resource as `url`: scheme, host, port and path equal after
/// RFC 3986 normalization (the `url` crate's), query and fragment ignored (RFC 9449 §4.3).
fn same_target(htu: &str, url: &str) -> bool {
    let (Ok(mut htu), Ok(mut url)) = (url::Url::parse(htu), url::Url::parse(url)) else {
        return false;
    };
    for u in [&mut htu, &mut url] {
        u.set_query(None);
        u.set_fragment(None);
    }
    htu.cannot_be_a_base() == url.cannot_be_a_base() && htu.as_str() == url.as_str()
}

/// RFC 7638 JWK thumbprint (SHA-256, base64url) of a public JWK: `idp_jose`'s, re-exported.
pub use idp_jose::digest::thumbprint;

/// The `cnf.jkt` of verified claims: `Ok(None)` for an unbound token, `Err` for a malformed
/// confirmation (present but not an object with a string `jkt`, when `cnf` has no other method).
pub(crate) fn bound_jkt(claims: &Map<String, Value>) -> Result<Option<&str>, ()> {
    match claims.get("cnf") {
        None => Ok(None),
        Some(Value::Object(cnf)) => match cnf.get("jkt") {
            None => Ok(None),
            Some(Value::String(jkt)) => Ok(Some(jkt)),
            Some(_) => Err(()),
        },
        Some(_) => Err(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thumbprint_matches_rfc_7638_section_3_1() {
        let jwk = serde_json::json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        });
        let jwk = jwk.as_object().unwrap();
        assert_eq!(
            thumbprint(jwk).as_deref(),
            Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
        );
        let mut without_e = jwk.clone();
        without_e.remove("e");
        assert_eq!(thumbprint(&without_e), None);
    }

    #[test]
    fn htu_ignores_query_and_fragment_but_not_path_host_or_scheme() {
        let url = "https://api.example/v1/items?x=1";
        assert!(same_target("https://api.example/v1/items", url));
        assert!(same_target("HTTPS://API.example:443/v1/items#f", url));
        for other in [
            "https://api.example/v1/items/",
            "https://api.example/v1/other",
            "http://api.example/v1/items",
            "https://evil.example/v1/items",
            "https://api.example:8443/v1/items",
            "/v1/items",
            "not a url",
        ] {
            assert!(!same_target(other, url), "{other}");
        }
    }

    #[test]
    fn a_malformed_confirmation_is_an_error_and_none_is_unbound() {
        let claims = |v: Value| v.as_object().cloned().unwrap();
        assert_eq!(bound_jkt(&claims(serde_json::json!({}))), Ok(None));
        assert_eq!(
            bound_jkt(&claims(serde_json::json!({"cnf": {"jkt": "a"}}))),
            Ok(Some("a"))
        );
        assert_eq!(bound_jkt(&claims(serde_json::json!({"cnf": {"jkt": 1}}))), Err(()));
        assert_eq!(bound_jkt(&claims(serde_json::json!({"cnf": "x"}))), Err(()));
    }
}
