//! A client's registered public keys (the World's `jwks`) and the check of a `private_key_jwt`
//! assertion's signature against them. The key is chosen by `kid` (or is the client's only key
//! of the right type); the algorithm must fit the key's type and its `alg`, so a key is only
//! ever used with one family of algorithms.

use aws_lc_rs::signature::{self, RsaParameters, RsaPublicKeyComponents, UnparsedPublicKey, VerificationAlgorithm};
use serde_json::{Map, Value};

/// Why a signature was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyRefusal {
    /// The algorithm is not a public-key one this module verifies (`none`, HS*, unknown).
    Alg,
    /// No registered key fits the `kid` and the algorithm.
    NoKey,
    /// The signature does not verify.
    Signature,
}

/// The key type an algorithm needs, and its curve for EC/OKP.
fn key_type(alg: &str) -> Option<(&'static str, Option<&'static str>)> {
    Some(match alg {
        "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512" => ("RSA", None),
        "ES256" => ("EC", Some("P-256")),
        "ES384" => ("EC", Some("P-384")),
        "ES512" => ("EC", Some("P-521")),
        "EdDSA" => ("OKP", Some("Ed25519")),
        _ => return None,
    })
}

/// Verifies `signature` over `message` with the key of `jwks` that `header` names.
pub(crate) fn verify(
    jwks: &Value,
    header: &Map<String, Value>,
    message: &[u8],
    signature: &[u8],
) -> Result<(), KeyRefusal> {
    let alg = header.get("alg").and_then(Value::as_str).ok_or(KeyRefusal::Alg)?;
    let (kty, curve) = key_type(alg).ok_or(KeyRefusal::Alg)?;
    let kid = header.get("kid").and_then(Value::as_str);
    let text = |key: &Value, name: &str| key.get(name).and_then(Value::as_str).map(str::to_owned);
    let fits = |key: &&Value| {
        text(key, "kty").as_deref() == Some(kty)
            && curve.is_none_or(|curve| text(key, "crv").as_deref() == Some(curve))
            && text(key, "alg").is_none_or(|key_alg| key_alg == alg)
            && text(key, "use").is_none_or(|usage| usage == "sig")
    };
    let keys = jwks.get("keys").and_then(Value::as_array).ok_or(KeyRefusal::NoKey)?;
    let candidates: Vec<&Value> = match kid {
        Some(kid) => {
            let named: Vec<&Value> = keys
                .iter()
                .filter(|key| text(key, "kid").as_deref() == Some(kid))
                .collect();
            // A key the kid names that cannot verify this alg: the signature fails (Keycloak
            // loads the key by kid, then its verification fails), the alg never picks another.
            if !named.is_empty() && !named.iter().any(fits) {
                return Err(KeyRefusal::Signature);
            }
            named.into_iter().filter(fits).collect()
        }
        None => keys.iter().filter(fits).collect(),
    };
    // Without a kid, only an unambiguous key is used.
    let [key] = candidates.as_slice() else {
        return Err(KeyRefusal::NoKey);
    };
    let member = |name: &str| -> Result<Vec<u8>, KeyRefusal> {
        let value = text(key, name).ok_or(KeyRefusal::NoKey)?;
        idp_jose::b64::decode(&value).map_err(|_| KeyRefusal::NoKey)
    };
    let verified = match kty {
        "RSA" => {
            let (n, e) = (member("n")?, member("e")?);
            let params: &RsaParameters = match alg {
                "RS256" => &signature::RSA_PKCS1_2048_8192_SHA256,
                "RS384" => &signature::RSA_PKCS1_2048_8192_SHA384,
                "RS512" => &signature::RSA_PKCS1_2048_8192_SHA512,
                "PS256" => &signature::RSA_PSS_2048_8192_SHA256,
                "PS384" => &signature::RSA_PSS_2048_8192_SHA384,
                _ => &signature::RSA_PSS_2048_8192_SHA512,
            };
            RsaPublicKeyComponents {
                n: strip_zeros(&n),
                e: strip_zeros(&e),
            }
            .verify(params, message, signature)
            .is_ok()
        }
        "EC" => {
            let (x, y) = (member("x")?, member("y")?);
            let (width, algorithm): (usize, &dyn VerificationAlgorithm) = match alg {
                "ES256" => (32, &signature::ECDSA_P256_SHA256_FIXED),
                "ES384" => (48, &signature::ECDSA_P384_SHA384_FIXED),
                _ => (66, &signature::ECDSA_P521_SHA512_FIXED),
            };
            if x.len() != width || y.len() != width {
                return Err(KeyRefusal::NoKey);
            }
            let mut point = Vec::with_capacity(1 + 2 * width);
            point.push(4);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            UnparsedPublicKey::new(algorithm, point)
                .verify(message, signature)
                .is_ok()
        }
        _ => {
            let x = member("x")?;
            UnparsedPublicKey::new(&signature::ED25519, x)
                .verify(message, signature)
                .is_ok()
        }
    };
    if verified { Ok(()) } else { Err(KeyRefusal::Signature) }
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|byte| *byte != 0).unwrap_or(bytes.len());
    &bytes[start..]
}
