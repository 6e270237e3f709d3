//! Compact JWS serialization (RFC 7515 §7.1): `header.payload.signature`, each unpadded
//! base64url. Splitting attaches no trust: nothing here checks a signature.

use crate::{Error, b64, json};
use serde_json::{Map, Value};

/// The three segments of a compact JWS, still encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segments<'a> {
    /// The encoded JOSE header.
    pub header: &'a str,
    /// The encoded payload.
    pub payload: &'a str,
    /// The encoded signature.
    pub signature: &'a str,
    signing_input: &'a str,
}

impl<'a> Segments<'a> {
    /// `header.payload`: the bytes the signature covers (RFC 7515 §5.1).
    pub fn signing_input(&self) -> &'a str {
        self.signing_input
    }

    /// The header decoded as a JSON object (a repeated member: the last one counts).
    ///
    /// # Errors
    /// [`Error::Base64`] or [`Error::NotAnObject`].
    pub fn header_object(&self) -> Result<Map<String, Value>, Error> {
        decode_object(self.header)
    }

    /// The payload decoded as a JSON object (a repeated member: the last one counts).
    ///
    /// # Errors
    /// [`Error::Base64`] or [`Error::NotAnObject`].
    pub fn payload_object(&self) -> Result<Map<String, Value>, Error> {
        decode_object(self.payload)
    }

    /// The decoded signature bytes.
    ///
    /// # Errors
    /// [`Error::Base64`].
    pub fn signature_bytes(&self) -> Result<Vec<u8>, Error> {
        b64::decode(self.signature)
    }
}

/// Splits `token` into exactly three dot-separated segments (any of them may be empty).
///
/// # Errors
/// [`Error::Segments`] for fewer or more than three.
pub fn split(token: &str) -> Result<Segments<'_>, Error> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Error::Segments);
    };
    Ok(Segments {
        header,
        payload,
        signature,
        signing_input: &token[..header.len() + 1 + payload.len()],
    })
}

/// A compact JWS with its parts decoded; nothing verified.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded<'a> {
    /// The JOSE header object.
    pub header: Map<String, Value>,
    /// The payload object (a JWT's claims).
    pub claims: Map<String, Value>,
    /// The signature bytes.
    pub signature: Vec<u8>,
    /// `header.payload`: the bytes the signature covers.
    pub signing_input: &'a str,
}

/// Splits `token` and decodes its header, payload and signature (what a verifier needs before
/// it looks for a key).
///
/// # Errors
/// [`Error::Segments`], [`Error::Base64`] or [`Error::NotAnObject`].
pub fn decode(token: &str) -> Result<Decoded<'_>, Error> {
    let segments = split(token)?;
    Ok(Decoded {
        header: segments.header_object()?,
        claims: segments.payload_object()?,
        signature: segments.signature_bytes()?,
        signing_input: segments.signing_input(),
    })
}

/// Whether `token` looks like a compact JWS: exactly two dots and otherwise only base64url
/// characters. A random opaque token (which may contain other characters) does not.
pub fn is_jwt_shaped(token: &str) -> bool {
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

/// Decodes one base64url segment holding a JSON object (a repeated member: the last one
/// counts; use [`json::strict_object`] where that must be refused).
///
/// # Errors
/// [`Error::Base64`] or [`Error::NotAnObject`].
pub fn decode_object(segment: &str) -> Result<Map<String, Value>, Error> {
    json::object(&b64::decode(segment)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_segments_split_and_keep_the_signing_input() {
        let parts = split("aGk.eyJhIjoxfQ.c2ln").unwrap();
        assert_eq!(
            (parts.header, parts.payload, parts.signature),
            ("aGk", "eyJhIjoxfQ", "c2ln")
        );
        assert_eq!(parts.signing_input(), "aGk.eyJhIjoxfQ");
        assert_eq!(parts.payload_object().unwrap()["a"], 1);
        assert_eq!(parts.signature_bytes().unwrap(), b"sig");
        assert_eq!(parts.header_object(), Err(Error::NotAnObject));
        assert_eq!(split("..").unwrap().signing_input(), ".");
    }

    #[test]
    fn decode_gives_the_decoded_parts_or_the_first_error() {
        let decoded = decode("eyJhbGciOiJub25lIn0.eyJhIjoxfQ.c2ln").unwrap();
        assert_eq!(decoded.header["alg"], "none");
        assert_eq!(decoded.claims["a"], 1);
        assert_eq!(decoded.signature, b"sig");
        assert_eq!(decoded.signing_input, "eyJhbGciOiJub25lIn0.eyJhIjoxfQ");
        assert_eq!(decode("a.b"), Err(Error::Segments));
        assert_eq!(decode("aGk.eyJhIjoxfQ.c2ln"), Err(Error::NotAnObject));
    }

    #[test]
    fn other_segment_counts_are_refused() {
        for token in ["", "a", "a.b", "a.b.c.d", "...."] {
            assert_eq!(split(token), Err(Error::Segments), "{token}");
        }
    }

    #[test]
    fn only_base64url_with_two_dots_is_jwt_shaped() {
        assert!(is_jwt_shaped("a-_.b.c"));
        assert!(is_jwt_shaped(".."));
        for token in ["a.b", "a.b.c.d", "a.b.c=", "a.b+.c", "a b.c.d", "é.b.c"] {
            assert!(!is_jwt_shaped(token), "{token}");
        }
    }

    #[test]
    fn bad_segments_are_typed_errors() {
        assert_eq!(decode_object("!!"), Err(Error::Base64));
        assert_eq!(decode_object(&b64::encode("[1]")), Err(Error::NotAnObject));
        assert_eq!(decode_object(&b64::encode(r#"{"a":1,"a":2}"#)).unwrap()["a"], 2);
    }
}
