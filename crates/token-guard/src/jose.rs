//! Compact JWS parsing with no trust attached: strict base64url, strict JSON (duplicate
//! members rejected), exactly three segments. Nothing here returns claims to a caller before
//! the signature is verified; [`crate::KeySet::verify`] and the validator are the only users.
//! The generic pieces (segments, base64url, the duplicate-refusing JSON reader) are
//! `idp_jose`'s; the header rules token-guard enforces are here.

use crate::error::InvalidToken;
use idp_jose::compact;
use serde::de::{self, Deserialize, Deserializer};
use serde_json::{Map, Value};

pub(crate) use idp_jose::compact::is_jwt_shaped;

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
    let segments = compact::split(token).map_err(|_| InvalidToken::Malformed)?;
    // An empty payload is a valid JWS (it then fails as claims); header and signature are not.
    if segments.header.is_empty() || segments.signature.is_empty() {
        return Err(InvalidToken::Malformed);
    }
    let header_bytes = b64(segments.header)?;
    let header = parse_header(&header_bytes)?;
    let payload = b64(segments.payload)?;
    let signature = b64(segments.signature)?;
    Ok(Compact {
        signing_input: segments.signing_input(),
        header,
        payload,
        signature,
    })
}

fn b64(segment: &str) -> Result<Vec<u8>, InvalidToken> {
    idp_jose::b64::decode(segment).map_err(|_| InvalidToken::Malformed)
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
    idp_jose::json::strict_object(bytes).map_err(|err| match err {
        idp_jose::Error::DuplicateMember => InvalidToken::DuplicateMember,
        _ => InvalidToken::Malformed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_strict_reader_maps_onto_invalid_token() {
        // The reader itself is tested in idp_jose::json; here, that its refusals keep their kind.
        assert_eq!(object(br#"{"x":{"r":1,"r":2}}"#), Err(InvalidToken::DuplicateMember));
        assert_eq!(object(b"[]"), Err(InvalidToken::Malformed));
        assert_eq!(object(br#"{"a":1}"#).map(|map| map.len()), Ok(1));
    }

    #[test]
    fn a_header_with_a_repeated_known_member_is_refused() {
        let header = idp_jose::b64::encode(r#"{"alg":"RS256","alg":"none"}"#);
        let token = format!("{header}.e30.c2ln");
        assert_eq!(parse(&token).unwrap_err(), InvalidToken::DuplicateMember);
    }
}
