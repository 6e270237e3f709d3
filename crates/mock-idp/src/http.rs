//! Request reading and response writing shared by every endpoint: size-limited bodies, strict
//! form parsing (RFC 6749 §3.1: no repeated parameters; at most [`MAX_PARAMS`] of them, in
//! linear time), bearer extraction, no-store JSON.

use crate::error::OAuthError;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use providers::{BodyFormats, ErrorKind};
use serde_json::Value;
use std::collections::HashSet;

/// Request bodies above this size are refused with 413.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024;

/// At most this many parameters in one form body, query string, JSON object or multipart body;
/// more is `invalid_request`. Apache Tomcat's `maxParameterCount` default since 9.0.73 /
/// 10.1.8 / 11 (it was 10,000 before); no OAuth request needs more than a few dozen.
pub(crate) const MAX_PARAMS: usize = 1000;

/// Form or query parameters, each name at most once.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params {
    pairs: Vec<(String, String)>,
    names: HashSet<String>,
}

impl Params {
    /// Parses `application/x-www-form-urlencoded` bytes in linear time. A repeated name, more
    /// than [`MAX_PARAMS`] parameters or a value that is not UTF-8 after percent-decoding is
    /// `invalid_request`.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Params, OAuthError> {
        let mut params = Params::default();
        for piece in bytes.split(|&b| b == b'&').filter(|piece| !piece.is_empty()) {
            let (name, value) = match piece.iter().position(|&b| b == b'=') {
                Some(at) => (&piece[..at], &piece[at + 1..]),
                None => (piece, &b""[..]),
            };
            params.push(decode_component(name)?, decode_component(value)?)?;
        }
        Ok(params)
    }

    /// Parameters from name/value pairs; a repeated name or more than [`MAX_PARAMS`] is
    /// `invalid_request`.
    pub(crate) fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Result<Params, OAuthError> {
        let mut params = Params::default();
        for (name, value) in pairs {
            params.push(name, value)?;
        }
        Ok(params)
    }

    /// Adds one parameter: refuses the [`MAX_PARAMS`]+1st and a repeated name (one hash look-up).
    fn push(&mut self, name: String, value: String) -> Result<(), OAuthError> {
        if self.pairs.len() >= MAX_PARAMS {
            return Err(OAuthError::malformed(format!(
                "too many parameters (at most {MAX_PARAMS})"
            )));
        }
        if !self.names.insert(name.clone()) {
            return Err(OAuthError::malformed(format!("parameter {name} is repeated")));
        }
        self.pairs.push((name, value));
        Ok(())
    }

    /// Parameters from a JSON object whose members are strings (numbers and booleans are taken
    /// as their text), as IBM App ID's Node SDK sends token requests.
    pub(crate) fn from_json(bytes: &[u8]) -> Result<Params, OAuthError> {
        let object = match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(object)) => object,
            _ => return Err(OAuthError::malformed("the body is not a JSON object")),
        };
        let pairs = object
            .into_iter()
            .map(|(name, value)| match value {
                Value::String(text) => Ok((name, text)),
                Value::Number(number) => Ok((name, number.to_string())),
                Value::Bool(flag) => Ok((name, flag.to_string())),
                _ => Err(OAuthError::malformed(format!("parameter {name} must be a string"))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Params::from_pairs(pairs)
    }

    /// Parameters from a `multipart/form-data` body (RFC 7578), parsed by `multer`: each
    /// part's `name` and its body as UTF-8 text. A part without a name, a body that does not
    /// follow the boundary syntax or one without the closing delimiter is `invalid_request`.
    pub(crate) async fn from_multipart(bytes: axum::body::Bytes, boundary: &str) -> Result<Params, OAuthError> {
        let bad = || OAuthError::malformed("malformed multipart/form-data body");
        let mut multipart = multer::Multipart::new(Body::from(bytes).into_data_stream(), boundary);
        let mut params = Params::default();
        while let Some(field) = multipart.next_field().await.map_err(|_| bad())? {
            let name = field.name().map(str::to_owned).ok_or_else(bad)?;
            let value = field.text().await.map_err(|_| bad())?;
            params.push(name, value)?;
        }
        Ok(params)
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
        self.get(name).ok_or_else(|| {
            OAuthError::new(
                providers::ErrorKind::MissingParameter { name: name.to_owned() },
                format!("{}{name}", providers::MISSING_PARAMETER),
            )
        })
    }

    /// These parameters without those named in `names`.
    pub(crate) fn without(&self, names: &[&str]) -> Result<Params, OAuthError> {
        Params::from_pairs(
            self.pairs
                .iter()
                .filter(|(name, _)| !names.contains(&name.as_str()))
                .cloned(),
        )
    }

    /// Sets `name` to `value`, replacing any value it had.
    pub(crate) fn set(&mut self, name: &str, value: &str) {
        match self.pairs.iter_mut().find(|(key, _)| key == name) {
            Some(pair) => value.clone_into(&mut pair.1),
            None => {
                self.names.insert(name.to_owned());
                self.pairs.push((name.to_owned(), value.to_owned()));
            }
        }
    }

    /// Whether `name` was sent at all, even empty.
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.names.contains(name)
    }
}

/// Parses `bytes` as the endpoints parse a form body and returns the number of parameters, or
/// the refusal's description. Not part of the API: the hook of `benches/parse.rs`.
#[doc(hidden)]
pub fn bench_parse_form(bytes: &[u8]) -> Result<usize, String> {
    Params::parse(bytes)
        .map(|params| params.pairs.len())
        .map_err(|err| err.detail)
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

/// Reads a request body up to [`MAX_BODY_BYTES`]. Only a body (or a declared
/// `Content-Length`) above the limit is 413; a body that breaks off or is malformed on the wire
/// (a bad chunk size, truncated chunked data, fewer bytes than `Content-Length`) is
/// `invalid_request`.
pub(crate) async fn read_body(body: Body) -> Result<axum::body::Bytes, OAuthError> {
    let too_large = || {
        OAuthError::new(
            ErrorKind::BodyTooLarge,
            format!("request body exceeds {MAX_BODY_BYTES} bytes"),
        )
    };
    if axum::body::HttpBody::size_hint(&body).lower() > MAX_BODY_BYTES as u64 {
        return Err(too_large());
    }
    let mut body = body;
    let mut collected = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| OAuthError::malformed("the request body is malformed or incomplete"))?;
        if let Ok(data) = frame.into_data() {
            if collected.len() + data.len() > MAX_BODY_BYTES {
                return Err(too_large());
            }
            collected.extend_from_slice(&data);
        }
    }
    Ok(collected.into())
}

/// Whether the request declares a form body (`application/x-www-form-urlencoded`, any charset).
pub(crate) fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
}

/// The media type of a request (lower-cased, parameters removed) and its `boundary` parameter.
fn media_type(headers: &HeaderMap) -> (String, Option<String>) {
    let value = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let mut fields = value.split(';');
    let mime = fields.next().unwrap_or_default().trim().to_ascii_lowercase();
    let boundary = fields
        .filter_map(|field| field.trim().strip_prefix("boundary="))
        .map(|boundary| boundary.trim_matches('"').to_owned())
        .next();
    (mime, boundary)
}

/// Reads a POST body as a form, or, when `formats` allows, as multipart (or JSON).
pub(crate) async fn read_token_body(
    headers: &HeaderMap,
    body: Body,
    formats: BodyFormats,
) -> Result<Params, OAuthError> {
    if formats == BodyFormats::FormOnly || is_form(headers) {
        return read_form(headers, body).await;
    }
    let (mime, boundary) = media_type(headers);
    match (mime.as_str(), boundary, formats) {
        ("multipart/form-data", Some(boundary), _) => Params::from_multipart(read_body(body).await?, &boundary).await,
        ("application/json", _, BodyFormats::FormMultipartOrJson) => Params::from_json(&read_body(body).await?),
        (_, _, BodyFormats::FormMultipartOrJson) => Err(OAuthError::malformed(
            "the body must be form-urlencoded, multipart/form-data or JSON",
        )),
        _ => Err(OAuthError::malformed(
            "the body must be form-urlencoded or multipart/form-data",
        )),
    }
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
    access_token_header(headers, false).map(|found| found.map(|(token, _)| token))
}

/// The access token of the `Authorization` header under the `Bearer` scheme (RFC 6750 §2.1)
/// or, when `dpop` allows it, the `DPoP` scheme (RFC 9449 §7.1); `true` with the token when
/// the scheme was `DPoP`.
pub(crate) fn access_token_header(headers: &HeaderMap, dpop: bool) -> Result<Option<(String, bool)>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| OAuthError::new(ErrorKind::InvalidBearer, "malformed Authorization header"))?;
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    let is_dpop = dpop && scheme.eq_ignore_ascii_case("dpop");
    if !scheme.eq_ignore_ascii_case("bearer") && !is_dpop {
        return Err(OAuthError::new(
            ErrorKind::MissingBearer,
            "the Bearer scheme is required",
        ));
    }
    if token.is_empty() || !token.bytes().all(is_b64token_byte) {
        let kind = if is_dpop {
            ErrorKind::InvalidDpopToken
        } else {
            ErrorKind::InvalidBearer
        };
        return Err(OAuthError::new(kind, "malformed access token"));
    }
    Ok(Some((token.to_owned(), is_dpop)))
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

    #[tokio::test]
    async fn multipart_and_json_bodies_become_parameters() {
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\npassword\r\n--XyZ\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nalice\r\n--XyZ--\r\n";
        let params = Params::from_multipart(body.into(), "XyZ").await.unwrap();
        assert_eq!(params.get("grant_type"), Some("password"));
        assert_eq!(params.get("username"), Some("alice"));
        assert!(
            Params::from_multipart("--XyZ\r\nno headers".into(), "XyZ")
                .await
                .is_err()
        );
        let json = Params::from_json(br#"{"grant_type":"client_credentials","n":3}"#).unwrap();
        assert_eq!(json.get("grant_type"), Some("client_credentials"));
        assert_eq!(json.get("n"), Some("3"));
        assert!(Params::from_json(br#"{"a":{"b":1}}"#).is_err());
        assert!(Params::from_json(b"[1]").is_err());
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
