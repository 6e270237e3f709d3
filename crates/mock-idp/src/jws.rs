//! Compact JWS: signing with a realm key, and verification of tokens this mock issued.

use crate::b64;
use crate::keys::{KeyError, RealmKeys, SigningKey};
use idp_jose::compact;
use serde_json::{Map, Value, json};

/// Tokens longer than this are refused before any decoding.
const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Why a token was not accepted as one of ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum JwsError {
    /// Not three base64url parts of JSON, too long, or with a `crit` header.
    #[error("the token is not a well-formed compact JWS")]
    Malformed,
    /// No key of this realm has the token's `kid`.
    #[error("the token was not signed by a key of this realm")]
    UnknownKey,
    /// The header's `alg` is not the algorithm of the key it names.
    #[error("the token's alg does not match its key")]
    AlgMismatch,
    /// The signature does not verify.
    #[error("the token's signature is invalid")]
    BadSignature,
}

/// A verified token's header and claims.
#[derive(Debug, Clone)]
pub(crate) struct Verified {
    pub(crate) header: Map<String, Value>,
    pub(crate) claims: Map<String, Value>,
}

/// Signs `claims` with `key` as a compact JWS with header `{alg, typ, kid}`.
pub(crate) fn sign(
    key: &SigningKey,
    typ: &str,
    extra_header: &Map<String, Value>,
    claims: &Map<String, Value>,
) -> Result<String, KeyError> {
    let mut header = json!({ "alg": key.alg().as_str(), "typ": typ, "kid": key.kid() });
    if let Value::Object(members) = &mut header {
        // An empty `typ`: the header has none (WSO2's logout tokens).
        if typ.is_empty() {
            members.remove("typ");
        }
        members.extend(extra_header.clone());
    }
    let mut token = b64::encode(header.to_string());
    token.push('.');
    let payload = serde_json::to_vec(claims).map_err(|_| KeyError::Sign(key.alg()))?;
    token.push_str(&b64::encode(payload));
    let signature = key.sign(token.as_bytes())?;
    token.push('.');
    token.push_str(&b64::encode(signature));
    Ok(token)
}

/// Verifies a token against the realm's keys (active and retired). The algorithm is the
/// key's, never the token's: a header naming another algorithm is refused.
pub(crate) fn verify(keys: &RealmKeys, token: &str) -> Result<Verified, JwsError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(JwsError::Malformed);
    }
    let segments = compact::split(token).map_err(|_| JwsError::Malformed)?;
    let header = segments.header_object().map_err(|_| JwsError::Malformed)?;
    if header.contains_key("crit") {
        return Err(JwsError::Malformed);
    }
    let kid = header.get("kid").and_then(Value::as_str).ok_or(JwsError::UnknownKey)?;
    let key = keys.by_kid(kid).ok_or(JwsError::UnknownKey)?;
    if header.get("alg").and_then(Value::as_str) != Some(key.alg().as_str()) {
        return Err(JwsError::AlgMismatch);
    }
    let signature = segments.signature_bytes().map_err(|_| JwsError::Malformed)?;
    if !key.verify(segments.signing_input().as_bytes(), &signature) {
        return Err(JwsError::BadSignature);
    }
    let claims = segments.payload_object().map_err(|_| JwsError::Malformed)?;
    Ok(Verified { header, claims })
}

/// Whether `token` looks like a compact JWS (three dot-separated parts), without verifying it.
pub(crate) fn looks_like_jws(token: &str) -> bool {
    compact::split(token).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyMaterial;
    use providers::SigningAlg;

    fn keys() -> RealmKeys {
        RealmKeys::from_material(&KeyMaterial::embedded()).unwrap()
    }

    #[test]
    fn a_signed_token_verifies_with_every_algorithm() {
        let keys = keys().with_active(crate::keys::generate_key(SigningAlg::PS256).unwrap());
        let mut claims = Map::new();
        claims.insert("sub".into(), json!("alice"));
        for alg in SigningAlg::ALL {
            let token = sign(keys.signer(alg).unwrap(), "at+jwt", &Map::new(), &claims).unwrap();
            let verified = verify(&keys, &token).unwrap();
            assert_eq!(verified.claims["sub"], "alice");
            assert_eq!(verified.header["typ"], "at+jwt");
            assert_eq!(verified.header["alg"], alg.as_str());
        }
    }

    #[test]
    fn forged_tokens_are_refused() {
        let keys = keys();
        let claims = Map::new();
        let token = sign(keys.signer(SigningAlg::RS256).unwrap(), "JWT", &Map::new(), &claims).unwrap();
        let parts: Vec<&str> = token.split('.').collect();

        let tampered_payload = format!("{}.{}.{}", parts[0], b64::encode("{\"sub\":\"mallory\"}"), parts[2]);
        assert_eq!(verify(&keys, &tampered_payload).unwrap_err(), JwsError::BadSignature);

        let kid = keys.signer(SigningAlg::RS256).unwrap().kid().to_owned();
        let none_header = b64::encode(json!({"alg": "none", "kid": kid}).to_string());
        assert_eq!(
            verify(&keys, &format!("{none_header}.{}.", parts[1])).unwrap_err(),
            JwsError::AlgMismatch
        );

        let unknown = b64::encode(json!({"alg": "RS256", "kid": "nope"}).to_string());
        assert_eq!(
            verify(&keys, &format!("{unknown}.{}.{}", parts[1], parts[2])).unwrap_err(),
            JwsError::UnknownKey
        );

        let crit = b64::encode(json!({"alg": "RS256", "kid": kid, "crit": ["exp"]}).to_string());
        assert_eq!(
            verify(&keys, &format!("{crit}.{}.{}", parts[1], parts[2])).unwrap_err(),
            JwsError::Malformed
        );

        for junk in ["", "a.b", "a.b.c.d", "!!.!!.!!", &"x".repeat(MAX_TOKEN_BYTES + 1)] {
            assert!(verify(&keys, junk).is_err(), "{junk:.20}");
        }
    }
}
