//! Decoding (never verifying) a compact JWS or JWE for display: its JOSE header and, for a JWS,
//! its claims. The request log keeps them for the tokens requests carried and the token endpoint
//! issued; the admin page shows them.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The longest token decoded.
pub(crate) const MAX_TOKEN: usize = 16 * 1024;

/// A token taken apart for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decoded {
    /// The JOSE header, a JSON object.
    pub(crate) header: serde_json::Value,
    /// The claims, a JSON object; `None` for an encrypted token (JWE) or a payload that is not a
    /// JSON object.
    pub(crate) claims: Option<serde_json::Value>,
}

/// Why a value could not be decoded as a JWT.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum DecodeError {
    /// Longer than [`MAX_TOKEN`].
    #[error("the token is longer than {MAX_TOKEN} characters")]
    TooLong,
    /// Not 3 (JWS) or 5 (JWE) dot-separated parts.
    #[error("not a compact JWT: expected 3 (JWS) or 5 (JWE) parts separated by dots")]
    NotCompact,
    /// The header is not base64url-encoded JSON with an `alg`.
    #[error("the header is not base64url-encoded JSON with an \"alg\"")]
    BadHeader,
}

/// Decodes `token` (surrounding whitespace ignored).
pub(crate) fn decode(token: &str) -> Result<Decoded, DecodeError> {
    let token = token.trim();
    if token.len() > MAX_TOKEN {
        return Err(DecodeError::TooLong);
    }
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 && parts.len() != 5 {
        return Err(DecodeError::NotCompact);
    }
    let header = json(parts[0])
        .filter(|value| value.get("alg").is_some_and(serde_json::Value::is_string))
        .ok_or(DecodeError::BadHeader)?;
    let claims = if parts.len() == 3 { json(parts[1]) } else { None };
    Ok(Decoded { header, claims })
}

fn json(part: &str) -> Option<serde_json::Value> {
    let bytes = URL_SAFE_NO_PAD.decode(part).ok()?;
    serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .filter(serde_json::Value::is_object)
}

/// `value` as indented JSON, for people.
pub(crate) fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    #[test]
    fn a_jws_shows_header_and_claims_and_a_jwe_its_header_only() {
        let jws = format!(
            "{}.{}.c2ln",
            part(r#"{"alg":"RS256","kid":"k1"}"#),
            part(r#"{"sub":"alice"}"#)
        );
        let decoded = decode(&format!("  {jws}\n")).unwrap();
        assert_eq!(decoded.header["kid"], "k1");
        assert_eq!(decoded.claims.unwrap()["sub"], "alice");
        assert!(pretty(&decoded.header).contains("\"kid\": \"k1\""));
        let jwe = format!("{}.a.b.c.d", part(r#"{"alg":"RSA-OAEP","enc":"A256GCM"}"#));
        assert_eq!(decode(&jwe).unwrap().claims, None);
    }

    #[test]
    fn other_values_are_refused_with_a_reason() {
        assert_eq!(decode("[masked]"), Err(DecodeError::NotCompact));
        assert_eq!(decode("a.b.c"), Err(DecodeError::BadHeader));
        assert_eq!(
            decode(&format!("{}.e30.x", part(r#"{"typ":"JWT"}"#))),
            Err(DecodeError::BadHeader)
        );
        assert_eq!(decode(&"a".repeat(MAX_TOKEN + 1)), Err(DecodeError::TooLong));
        assert_eq!(decode("example.com.x"), Err(DecodeError::BadHeader));
    }
}
