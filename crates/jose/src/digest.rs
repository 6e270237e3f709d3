//! The two digests OAuth and OIDC put into tokens and requests: the PKCE `S256` challenge and
//! `at_hash`.

use crate::b64;
use aws_lc_rs::digest::{self, Algorithm, SHA256, SHA384, SHA512};

/// `BASE64URL(SHA-256(ASCII(verifier)))`: the PKCE `S256` code challenge (RFC 7636 §4.2).
/// The same value identifies a token by its hash where a provider's token has no `jti`.
pub fn s256(verifier: &str) -> String {
    b64::encode(digest::digest(&SHA256, verifier.as_bytes()))
}

/// RFC 7638 JWK thumbprint (SHA-256, base64url): the required members of the key type in
/// lexicographic order, no whitespace. `None` for a key type without one or a missing member.
/// It is DPoP's `jkt` (RFC 9449 §6.1).
pub fn thumbprint(jwk: &serde_json::Map<String, serde_json::Value>) -> Option<String> {
    use serde_json::Value;
    let members: &[&str] = match jwk.get("kty").and_then(Value::as_str)? {
        "RSA" => &["e", "kty", "n"],
        "EC" => &["crv", "kty", "x", "y"],
        "OKP" => &["crv", "kty", "x"],
        _ => return None,
    };
    let mut canonical = String::from("{");
    for (index, name) in members.iter().enumerate() {
        let value = jwk.get(*name).and_then(Value::as_str)?;
        if index > 0 {
            canonical.push(',');
        }
        canonical.push('"');
        canonical.push_str(name);
        canonical.push_str("\":");
        canonical.push_str(&serde_json::to_string(value).ok()?);
    }
    canonical.push('}');
    Some(s256(&canonical))
}

/// The hash a JWS algorithm's `at_hash`/`c_hash` use: the one of the signature algorithm
/// (SHA-512 for Ed25519, as OIDC implementations agree); `None` for an unknown algorithm.
fn hash_of(alg: &str) -> Option<&'static Algorithm> {
    match alg {
        "RS256" | "ES256" | "PS256" => Some(&SHA256),
        "RS384" | "ES384" | "PS384" => Some(&SHA384),
        "RS512" | "PS512" | "EdDSA" => Some(&SHA512),
        _ => None,
    }
}

/// `at_hash` of `access_token` for a token signed with `alg` (OIDC Core §3.1.3.6): the left
/// half of the hash of its ASCII, base64url. `None` when `alg` has no known hash.
pub fn at_hash(alg: &str, access_token: &str) -> Option<String> {
    let digest = digest::digest(hash_of(alg)?, access_token.as_bytes());
    let bytes = digest.as_ref();
    Some(b64::encode(&bytes[..bytes.len() / 2]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_rfc_7636_appendix_b() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn at_hash_matches_the_oidc_core_example() {
        // OIDC Core A.3: at_hash of this access token with RS256.
        assert_eq!(
            at_hash("RS256", "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y").as_deref(),
            Some("77QmUPtjPfzWtF2AnpK9RQ")
        );
    }

    #[test]
    fn at_hash_takes_half_of_the_algorithms_hash() {
        let token = "token";
        assert_eq!(at_hash("ES384", token).map(|h| h.len()), Some(32));
        assert_eq!(at_hash("EdDSA", token).map(|h| h.len()), Some(43));
        assert_eq!(at_hash("HS256", token), None);
        assert_eq!(at_hash("none", token), None);
    }
}
