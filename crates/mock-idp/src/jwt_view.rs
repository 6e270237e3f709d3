//! Decoding (never verifying) a compact JWS or JWE for display: its JOSE header and, for a JWS,
//! its claims, pretty-printed.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The longest token the page decodes.
pub(crate) const MAX_TOKEN: usize = 16 * 1024;

/// A token taken apart for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decoded {
    /// The JOSE header, pretty-printed JSON.
    pub(crate) header: String,
    /// The claims, pretty-printed JSON; `None` for an encrypted token (JWE) or a payload that is
    /// not JSON.
    pub(crate) claims: Option<String>,
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
    Ok(Decoded {
        header: pretty(&header),
        claims: claims.as_ref().map(pretty),
    })
}

fn json(part: &str) -> Option<serde_json::Value> {
    let bytes = URL_SAFE_NO_PAD.decode(part).ok()?;
    serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .filter(serde_json::Value::is_object)
}

fn pretty(value: &serde_json::Value) -> String {
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
        assert!(decoded.header.contains("\"kid\": \"k1\""), "{}", decoded.header);
        assert!(decoded.claims.unwrap().contains("\"sub\": \"alice\""));
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
