//! The JWTs a target issues: decoded without trust (`idp_jose`) for the checks that read them,
//! and verified against the target's JWK set with token-guard's [`KeySet`], the verifier a
//! resource server uses (any header member it does not act on, such as App ID's numeric `ver`,
//! is ignored).

use idp_jose::compact;
use serde_json::{Map, Value};
use token_guard::{Alg, InvalidToken, KeySet};

type Parts = (Map<String, Value>, Map<String, Value>);

/// Why a target's JWT could not be decoded or verified; the Display texts are the check
/// messages the report shows.
#[derive(Debug, thiserror::Error)]
pub(crate) enum JoseError {
    /// The token is not three dot-separated parts.
    #[error("not a compact JWS (three parts)")]
    Compact(#[source] idp_jose::Error),
    /// A segment is not unpadded base64url.
    #[error("not unpadded base64url: `{segment}`")]
    Base64 {
        /// The offending segment.
        segment: String,
        /// The decoder's reason.
        #[source]
        source: idp_jose::Error,
    },
    /// A segment decodes but is not a JSON object.
    #[error("the {what} is not a JSON object")]
    NotObject {
        /// Which part ("JOSE header" or "payload").
        what: &'static str,
        /// The decoder's reason.
        #[source]
        source: idp_jose::Error,
    },
    /// The header names no `alg`.
    #[error("the JOSE header has no `alg`")]
    NoAlg,
    /// The header says `alg: none`.
    #[error("`alg: none`")]
    AlgNone,
    /// An algorithm token-guard does not verify (or a symmetric one).
    #[error("unsupported or symmetric `alg: {0}`")]
    UnsupportedAlg(String),
    /// The JWK set could not be read.
    #[error("the JWK set: {0}")]
    KeySet(#[source] token_guard::JwksError),
    /// No key with the token's `kid`.
    #[error("no usable {alg} key with `kid: {kid}` in the JWK set")]
    UnknownKid {
        /// The token's algorithm.
        alg: Alg,
        /// The token's `kid`.
        kid: String,
    },
    /// No `kid` and no single key for the algorithm.
    #[error("no single usable {0} key in the JWK set for a token without `kid`")]
    NoSingleKey(Alg),
    /// The signature does not verify.
    #[error("the {alg} signature does not verify with the JWK set's key")]
    Signature {
        /// The token's algorithm.
        alg: Alg,
        /// token-guard's reason.
        #[source]
        source: InvalidToken,
    },
    /// Any other reason token-guard refused the token.
    #[error("{source} (verifying a {alg} token against the JWK set)")]
    Invalid {
        /// The token's algorithm.
        alg: Alg,
        /// token-guard's reason.
        source: InvalidToken,
    },
}

fn decode_part(segment: &str, what: &'static str) -> Result<Map<String, Value>, JoseError> {
    compact::decode_object(segment).map_err(|source| match source {
        idp_jose::Error::Base64 => JoseError::Base64 {
            segment: segment.to_owned(),
            source,
        },
        _ => JoseError::NotObject { what, source },
    })
}

/// Decodes header and claims without verifying.
pub(crate) fn decode(jwt: &str) -> Result<Parts, JoseError> {
    let segments = compact::split(jwt).map_err(JoseError::Compact)?;
    Ok((
        decode_part(segments.header, "JOSE header")?,
        decode_part(segments.payload, "payload")?,
    ))
}

/// Verifies `jwt` with the key of `jwks` (the JWK set's `keys`) its `kid` names, or the only
/// key for its `alg`. The key set admits only the token's own algorithm, so a JWK without `alg`
/// verifies with the one its type fits.
pub(crate) fn verify(jwt: &str, jwks: &[Value]) -> Result<Parts, JoseError> {
    let (header, claims) = decode(jwt)?;
    let name = header.get("alg").and_then(Value::as_str).ok_or(JoseError::NoAlg)?;
    if name.eq_ignore_ascii_case("none") {
        return Err(JoseError::AlgNone);
    }
    let alg = Alg::from_name(name).ok_or_else(|| JoseError::UnsupportedAlg(name.to_owned()))?;
    let document = serde_json::json!({ "keys": jwks }).to_string();
    let keys = KeySet::from_jwks(document.as_bytes(), &[alg]).map_err(JoseError::KeySet)?;
    let kid = header.get("kid").and_then(Value::as_str);
    match keys.verify(jwt, &[alg]) {
        Ok(_) => Ok((header, claims)),
        Err(InvalidToken::UnknownKey) => Err(match kid {
            Some(kid) => JoseError::UnknownKid {
                alg,
                kid: kid.to_owned(),
            },
            None => JoseError::NoSingleKey(alg),
        }),
        Err(source @ InvalidToken::Signature) => Err(JoseError::Signature { alg, source }),
        Err(source) => Err(JoseError::Invalid { alg, source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair as _};
    use idp_jose::b64;
    use serde_json::json;

    fn signed(pair: &Ed25519KeyPair, header: &Value, claims: &Value) -> String {
        let input = format!(
            "{}.{}",
            b64::encode(header.to_string()),
            b64::encode(claims.to_string())
        );
        let signature = pair.sign(input.as_bytes());
        format!("{input}.{}", b64::encode(signature.as_ref()))
    }

    #[test]
    fn a_token_verifies_against_the_jwk_set_and_a_forgery_does_not() {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&aws_lc_rs::rand::SystemRandom::new()).unwrap();
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        let jwks = vec![json!({"kty": "OKP", "crv": "Ed25519", "kid": "k1", "x": b64::encode(pair.public_key())})];
        let header = json!({"alg": "EdDSA", "kid": "k1", "ver": 4});
        let token = signed(&pair, &header, &json!({"sub": "alice"}));

        let (header, claims) = verify(&token, &jwks).unwrap();
        assert_eq!(
            (header["ver"].as_u64(), claims["sub"].as_str()),
            (Some(4), Some("alice"))
        );

        let (input, signature) = token.rsplit_once('.').unwrap();
        let (head, _) = input.split_once('.').unwrap();
        let forged = format!("{head}.{}.{signature}", b64::encode(r#"{"sub":"mallory"}"#));
        let err = verify(&forged, &jwks).unwrap_err().to_string();
        assert!(err.contains("signature does not verify"), "{err}");

        let other_kid = signed(&pair, &json!({"alg": "EdDSA", "kid": "nope"}), &json!({}));
        let err = verify(&other_kid, &jwks).unwrap_err().to_string();
        assert!(err.contains("`kid: nope`"), "{err}");

        let none = format!("{}.{}.", b64::encode(r#"{"alg":"none"}"#), b64::encode("{}"));
        assert_eq!(verify(&none, &jwks).unwrap_err().to_string(), "`alg: none`");
        let hs = format!("{}.{}.c2ln", b64::encode(r#"{"alg":"HS256"}"#), b64::encode("{}"));
        assert!(verify(&hs, &jwks).unwrap_err().to_string().contains("HS256"));
    }
}
