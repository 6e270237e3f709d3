//! Request reading and response writing shared by every endpoint: size-limited bodies, strict
//! form parsing (RFC 6749 §3.1: no repeated parameters), bearer extraction, no-store JSON.

use crate::error::OAuthError;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use providers::ErrorKind;
use serde_json::Value;

/// Request bodies above this size are refused with 413.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024;

/// Form or query parameters, each name at most once.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Parses `application/x-www-form-urlencoded` bytes. A repeated name or a value that is not
    /// UTF-8 after percent-decoding is `invalid_request`.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Params, OAuthError> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for piece in bytes.split(|&b| b == b'&').filter(|piece| !piece.is_empty()) {
            let (name, value) = match piece.iter().position(|&b| b == b'=') {
                Some(at) => (&piece[..at], &piece[at + 1..]),
                None => (piece, &b""[..]),
            };
            let name = decode_component(name)?;
            let value = decode_component(value)?;
            if pairs.iter().any(|(seen, _)| *seen == name) {
                return Err(OAuthError::malformed(format!("parameter {name} is repeated")));
            }
            pairs.push((name, value));
        }
        Ok(Params { pairs })
    }

    /// The value of `name`; an empty value counts as absent (RFC 6749 §3.1).
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(key, value)| key == name && !value.is_empty())
            .map(|(_, value)| value.as_str())
    }

    /// The value of `name`, or `invalid_request` naming it.
    pub(crate) fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)
            .ok_or_else(|| OAuthError::malformed(format!("missing parameter {name}")))
    }

    /// Whether `name` was sent at all, even empty.
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.pairs.iter().any(|(key, _)| key == name)
    }
}

/// One form-urlencoded component: `+` is a space, `%XX` a byte, and the result must be UTF-8.
pub(crate) fn decode_component(raw: &[u8]) -> Result<String, OAuthError> {
    let spaced: Vec<u8> = raw.iter().map(|&b| if b == b'+' { b' ' } else { b }).collect();
    let mut decoded = Vec::with_capacity(spaced.len());
    let mut index = 0;
    while index < spaced.len() {
        if spaced[index] == b'%' {
            let hex = spaced
                .get(index + 1..index + 3)
                .and_then(|pair| std::str::from_utf8(pair).ok())
                .and_then(|pair| u8::from_str_radix(pair, 16).ok());
            match hex {
                Some(byte) => {
                    decoded.push(byte);
                    index += 3;
                    continue;
                }
                None => return Err(OAuthError::malformed("malformed percent-encoding")),
            }
        }
        decoded.push(spaced[index]);
        index += 1;
    }
    String::from_utf8(decoded).map_err(|_| OAuthError::malformed("parameters must be UTF-8"))
}

/// Reads a request body up to [`MAX_BODY_BYTES`].
pub(crate) async fn read_body(body: Body) -> Result<axum::body::Bytes, OAuthError> {
    axum::body::to_bytes(body, MAX_BODY_BYTES).await.map_err(|_| {
        OAuthError::new(
            ErrorKind::BodyTooLarge,
            format!("request body exceeds {MAX_BODY_BYTES} bytes"),
        )
    })
}

/// Whether the request declares a form body (`application/x-www-form-urlencoded`, any charset).
pub(crate) fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
}

/// Reads a POST form body: the content type must be form-urlencoded.
pub(crate) async fn read_form(headers: &HeaderMap, body: Body) -> Result<Params, OAuthError> {
    if !is_form(headers) {
        return Err(OAuthError::malformed(
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    Params::parse(&read_body(body).await?)
}

/// Reads the parameters of a request that may come as a GET query or a POST form.
pub(crate) async fn read_query_or_form(
    method: &Method,
    query: Option<&str>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Params, OAuthError> {
    if *method == Method::POST {
        read_form(headers, body).await
    } else {
        Params::parse(query.unwrap_or_default().as_bytes())
    }
}

/// The bearer token of an `Authorization` header: `Ok(None)` without the header, an error for
/// another scheme or a malformed value. The scheme is matched case-insensitively.
pub(crate) fn bearer(headers: &HeaderMap) -> Result<Option<String>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| OAuthError::new(ErrorKind::InvalidBearer, "malformed Authorization header"))?;
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(OAuthError::new(
            ErrorKind::MissingBearer,
            "the Bearer scheme is required",
        ));
    }
    if token.is_empty() || !token.bytes().all(is_b64token_byte) {
        return Err(OAuthError::new(ErrorKind::InvalidBearer, "malformed bearer token"));
    }
    Ok(Some(token.to_owned()))
}

/// RFC 6750 §2.1 `b64token` characters.
fn is_b64token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=')
}

/// A JSON response that caches must not store (RFC 6749 §5.1).
pub(crate) fn no_store_json(body: &Value) -> Response {
    let mut response = (
        [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body.to_string(),
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_parameters_are_refused() {
        let err = Params::parse(b"grant_type=a&grant_type=b").unwrap_err();
        assert!(err.detail.contains("grant_type"));
    }

    #[test]
    fn values_are_form_decoded_and_empty_values_count_as_absent() {
        let params = Params::parse(b"a=x+y%2Bz&b=&c").unwrap();
        assert_eq!(params.get("a"), Some("x y+z"));
        assert_eq!(params.get("b"), None);
        assert!(params.contains("b"));
        assert_eq!(params.get("c"), None);
    }

    #[test]
    fn bad_encodings_are_refused() {
        assert!(Params::parse(b"a=%ff%fe").is_err());
        assert!(Params::parse(b"a=%zz").is_err());
        assert!(Params::parse(b"a=%4").is_err());
    }

    #[test]
    fn bearer_scheme_is_case_insensitive_and_token_charset_is_checked() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("bEaReR abc.def-_"));
        assert_eq!(bearer(&headers).unwrap().as_deref(), Some("abc.def-_"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer a b"));
        assert!(bearer(&headers).is_err());
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert!(bearer(&headers).is_err());
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer"));
        assert!(bearer(&headers).is_err());
    }
}
