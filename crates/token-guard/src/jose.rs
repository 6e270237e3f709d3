//! Compact JWS parsing with no trust attached: strict base64url, strict JSON (duplicate
//! members rejected), exactly three segments. Nothing here returns claims to a caller before
//! the signature is verified; [`crate::KeySet::verify`] and the validator are the only users.

use crate::error::InvalidToken;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// Whether `token` looks like a compact JWS: exactly three non-empty base64url segments.
/// Anything else (a random opaque string) is routed to introspection or refused.
pub(crate) fn is_jwt_shaped(token: &str) -> bool {
    let mut dots = 0;
    for byte in token.bytes() {
        match byte {
            b'.' => dots += 1,
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => {}
            _ => return false,
        }
    }
    dots == 2
}

/// A compact JWS split and decoded, not yet verified.
#[derive(Debug)]
pub(crate) struct Compact<'a> {
    /// `base64url(header) . base64url(payload)`: the signing input.
    pub(crate) signing_input: &'a str,
    pub(crate) header: Header,
    pub(crate) payload: Vec<u8>,
    pub(crate) signature: Vec<u8>,
}

/// The JOSE header members token-guard acts on.
#[derive(Debug)]
pub(crate) struct Header {
    pub(crate) alg: String,
    pub(crate) kid: Option<String>,
    pub(crate) typ: Option<String>,
}

/// Longest `kid` looked up; longer ones are refused before any cache access.
pub(crate) const MAX_KID_LEN: usize = 256;

/// Splits and decodes `token`. Header members other than `alg`, `kid` and `typ` are never
/// used (`jku`, `x5u`, `jwk`, `x5c` are ignored); `crit`, `b64`, `enc`, `zip` and a nested
/// `cty: JWT` make the token unacceptable.
pub(crate) fn parse(token: &str) -> Result<Compact<'_>, InvalidToken> {
    if !is_jwt_shaped(token) {
        return Err(InvalidToken::Malformed);
    }
    let mut parts = token.splitn(3, '.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(InvalidToken::Malformed);
    };
    // An empty payload is a valid JWS (it then fails as claims); header and signature are not.
    if header_b64.is_empty() || signature_b64.is_empty() {
        return Err(InvalidToken::Malformed);
    }
    let signing_input = &token[..header_b64.len() + 1 + payload_b64.len()];
    let header_bytes = b64(header_b64)?;
    let header = parse_header(&header_bytes)?;
    let payload = b64(payload_b64)?;
    let signature = b64(signature_b64)?;
    Ok(Compact {
        signing_input,
        header,
        payload,
        signature,
    })
}

fn b64(segment: &str) -> Result<Vec<u8>, InvalidToken> {
    URL_SAFE_NO_PAD.decode(segment).map_err(|_| InvalidToken::Malformed)
}

/// The header as parsed: known members only (serde refuses a repeated known member; unknown
/// members are never read, so a repeated one cannot change anything).
#[derive(serde::Deserialize)]
struct RawHeader {
    alg: Option<Value>,
    kid: Option<Value>,
    typ: Option<Value>,
    cty: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    crit: bool,
    #[serde(default, deserialize_with = "present")]
    b64: bool,
    #[serde(default, deserialize_with = "present")]
    enc: bool,
    #[serde(default, deserialize_with = "present")]
    zip: bool,
}

fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    de::IgnoredAny::deserialize(deserializer)?;
    Ok(true)
}

fn parse_header(bytes: &[u8]) -> Result<Header, InvalidToken> {
    // A derived struct would also accept a JSON array positionally: only an object is a header.
    if bytes.first() != Some(&b'{') {
        return Err(InvalidToken::Malformed);
    }
    let raw: RawHeader = match serde_json::from_slice(bytes) {
        Ok(raw) => raw,
        Err(err) if err.to_string().starts_with("duplicate field") => return Err(InvalidToken::DuplicateMember),
        Err(_) => return Err(InvalidToken::Malformed),
    };
    let alg = match raw.alg {
        Some(Value::String(alg)) => alg,
        _ => return Err(InvalidToken::AlgorithmNotAllowed),
    };
    let kid = match raw.kid {
        None => None,
        Some(Value::String(kid)) if kid.len() <= MAX_KID_LEN => Some(kid),
        Some(Value::String(_)) => return Err(InvalidToken::UnknownKey),
        Some(_) => return Err(InvalidToken::Malformed),
    };
    let typ = match raw.typ {
        None => None,
        Some(Value::String(typ)) => Some(typ),
        Some(_) => return Err(InvalidToken::Typ),
    };
    // RFC 7515 §4.1.11: no extension is understood, so any `crit` (even empty) is refused;
    // `b64` (RFC 7797), `enc`/`zip` (JWE) and nested JWTs are never trusted.
    if raw.crit || raw.b64 || raw.enc || raw.zip {
        return Err(InvalidToken::UnsupportedHeader);
    }
    if let Some(cty) = raw.cty {
        let nested = cty
            .as_str()
            .is_none_or(|cty| cty.eq_ignore_ascii_case("JWT") || cty.eq_ignore_ascii_case("application/jwt"));
        if nested {
            return Err(InvalidToken::UnsupportedHeader);
        }
    }
    Ok(Header { alg, kid, typ })
}

/// Parses a JSON object strictly: no duplicate member names at any depth, no trailing data,
/// nesting bounded by serde_json's recursion limit.
pub(crate) fn object(bytes: &[u8]) -> Result<Map<String, Value>, InvalidToken> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = match Strict::deserialize(&mut de) {
        Ok(Strict(value)) => value,
        Err(err) if err.to_string().starts_with(DUPLICATE) => return Err(InvalidToken::DuplicateMember),
        Err(_) => return Err(InvalidToken::Malformed),
    };
    de.end().map_err(|_| InvalidToken::Malformed)?;
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(InvalidToken::Malformed),
    }
}

const DUPLICATE: &str = "duplicate member";

/// A JSON value whose objects never repeat a member (RFC 7515 §4, RFC 7519 §4: reject).
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Strict, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("non-finite number"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Strict::deserialize(d).map(|Strict(v)| v)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            let Strict(value) = access.next_value()?;
            if map.insert(key, value).is_some() {
                return Err(de::Error::custom(DUPLICATE));
            }
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_refused_at_any_depth() {
        assert_eq!(object(br#"{"a":1,"a":2}"#), Err(InvalidToken::DuplicateMember));
        assert_eq!(
            object(br#"{"x":{"r":[],"r":["admin"]}}"#),
            Err(InvalidToken::DuplicateMember)
        );
        assert!(object(br#"{"a":1,"b":[{"a":1},{"a":2}]}"#).is_ok());
    }

    #[test]
    fn non_objects_and_trailing_data_are_malformed() {
        for input in [
            &b"[]"[..],
            b"\"x\"",
            b"1",
            b"null",
            b"{} {}",
            b"\xef\xbb\xbf{}",
            b"{\"a\":NaN}",
        ] {
            assert_eq!(object(input), Err(InvalidToken::Malformed), "{input:?}");
        }
    }
}
