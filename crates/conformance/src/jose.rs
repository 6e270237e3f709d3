//! JWS verification against a JWK set (RS256/384/512, PS256, ES256/384, EdDSA) with aws-lc-rs,
//! independent of any JWT library so provider-specific headers (App ID's numeric `ver`) parse.

use aws_lc_rs::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

type Parts = (Map<String, Value>, Map<String, Value>);

fn b64(value: &str) -> Result<Vec<u8>, String> {
    URL_SAFE_NO_PAD
        .decode(value)
        .map_err(|_| format!("not unpadded base64url: `{value}`"))
}

fn object(bytes: &[u8], what: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_slice(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(format!("the {what} is not a JSON object")),
    }
}

/// Decodes header and claims without verifying.
pub(crate) fn decode(jwt: &str) -> Result<Parts, String> {
    let mut parts = jwt.split('.');
    let (Some(header), Some(payload), Some(_), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err("not a compact JWS (three parts)".into());
    };
    Ok((
        object(&b64(header)?, "JOSE header")?,
        object(&b64(payload)?, "payload")?,
    ))
}

/// Verifies `jwt` with the key `keys` holds for its `kid` (or the only key of a matching type).
pub(crate) fn verify(jwt: &str, keys: &[Value]) -> Result<Parts, String> {
    let (header, claims) = decode(jwt)?;
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or("the JOSE header has no `alg`")?;
    if alg.eq_ignore_ascii_case("none") {
        return Err("`alg: none`".into());
    }
    let kty = match alg {
        "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512" => "RSA",
        "ES256" | "ES384" => "EC",
        "EdDSA" | "Ed25519" => "OKP",
        other => return Err(format!("unsupported or symmetric `alg: {other}`")),
    };
    let kid = header.get("kid").and_then(Value::as_str);
    let candidates: Vec<&Value> = keys
        .iter()
        .filter(|key| key.get("kty").and_then(Value::as_str) == Some(kty))
        .filter(|key| kid.is_none() || key.get("kid").and_then(Value::as_str) == kid)
        .filter(|key| key.get("use").and_then(Value::as_str).is_none_or(|u| u == "sig"))
        .collect();
    let key = match (kid, candidates.as_slice()) {
        (_, [key]) => *key,
        (Some(kid), []) => return Err(format!("no key with `kid: {kid}` in the JWK set")),
        (None, []) => return Err(format!("no {kty} key in the JWK set")),
        (_, _) => return Err("several keys match and the token has no `kid`".into()),
    };
    let (signing_input, signature_b64) = jwt.rsplit_once('.').ok_or("not a compact JWS")?;
    let signature_bytes = b64(signature_b64)?;
    let field = |name: &str| -> Result<Vec<u8>, String> {
        b64(key
            .get(name)
            .and_then(Value::as_str)
            .ok_or(format!("the key has no `{name}`"))?)
    };
    let message = signing_input.as_bytes();
    let ok = match alg {
        "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512" => {
            let params: &signature::RsaParameters = match alg {
                "RS256" => &signature::RSA_PKCS1_2048_8192_SHA256,
                "RS384" => &signature::RSA_PKCS1_2048_8192_SHA384,
                "RS512" => &signature::RSA_PKCS1_2048_8192_SHA512,
                "PS256" => &signature::RSA_PSS_2048_8192_SHA256,
                "PS384" => &signature::RSA_PSS_2048_8192_SHA384,
                _ => &signature::RSA_PSS_2048_8192_SHA512,
            };
            RsaPublicKeyComponents {
                n: field("n")?,
                e: field("e")?,
            }
            .verify(params, message, &signature_bytes)
            .is_ok()
        }
        "ES256" | "ES384" => {
            let algorithm = if alg == "ES256" {
                &signature::ECDSA_P256_SHA256_FIXED
            } else {
                &signature::ECDSA_P384_SHA384_FIXED
            };
            let mut point = vec![4u8];
            point.extend(field("x")?);
            point.extend(field("y")?);
            UnparsedPublicKey::new(algorithm, point)
                .verify(message, &signature_bytes)
                .is_ok()
        }
        _ => UnparsedPublicKey::new(&signature::ED25519, field("x")?)
            .verify(message, &signature_bytes)
            .is_ok(),
    };
    if ok {
        Ok((header, claims))
    } else {
        Err(format!("the {alg} signature does not verify with the JWK set's key"))
    }
}

/// `at_hash` of `access_token` for `alg`: the left half of its hash, base64url (OIDC Core §3.1.3.6).
pub(crate) fn at_hash(alg: &str, access_token: &str) -> Option<String> {
    let algorithm = match alg {
        "RS256" | "ES256" | "PS256" => &aws_lc_rs::digest::SHA256,
        "RS384" | "ES384" | "PS384" => &aws_lc_rs::digest::SHA384,
        "RS512" | "PS512" | "EdDSA" => &aws_lc_rs::digest::SHA512,
        _ => return None,
    };
    let digest = aws_lc_rs::digest::digest(algorithm, access_token.as_bytes());
    let bytes = digest.as_ref();
    Some(URL_SAFE_NO_PAD.encode(&bytes[..bytes.len() / 2]))
}
