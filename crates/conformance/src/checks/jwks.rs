//! The JWK set (RFC 7517, RFC 7518, RFC 8037): JWKS-01..08.

use super::{Entry, check};
use crate::cx::Cx;
use crate::http::{Exchange, Req, Step, skip};
use mock_idp::Endpoint;
use serde_json::{Map, Value};

pub(super) fn entries() -> Vec<Entry> {
    vec![
        check!(
            "JWKS-01",
            Jwks,
            Must,
            Strict,
            [],
            "RFC 7517 §4.1, §5",
            "jwks_uri answers 200 JSON with a keys array of objects with kty",
            jwks01
        ),
        check!(
            "JWKS-02",
            Jwks,
            Must,
            Strict,
            [],
            "RFC 7518 §6.2.1, §6.3.1; RFC 8037 §2",
            "public key members are present, unpadded base64url, EC coordinates full length",
            jwks02
        ),
        check!(
            "JWKS-03",
            Jwks,
            Must,
            Strict,
            [],
            "RFC 7517; CS EnsureJwksHasNoPrivateOrSymmetricKeyMaterial",
            "no private or symmetric key material",
            jwks03
        ),
        check!(
            "JWKS-04",
            Jwks,
            Must,
            Strict,
            [],
            "OIDC Core §10.1; RFC 7517 §4.5",
            "every key has a kid and kids are distinct",
            jwks04
        ),
        check!(
            "JWKS-05",
            Jwks,
            Must,
            Strict,
            [],
            "OIDC Discovery §3 (jwks_uri)",
            "when sig and enc keys are both published, every key has use",
            jwks05
        ),
        check!(
            "JWKS-06",
            Jwks,
            Must,
            Strict,
            [],
            "RFC 7517 §4.7; RFC 7518 §3",
            "alg, when present, is consistent with kty and crv",
            jwks06
        ),
        check!(
            "JWKS-07",
            Jwks,
            Must,
            Strict,
            [],
            "RFC 7518 §3.3, §3.4",
            "RSA moduli have at least 2048 bits; EC curves match their alg",
            jwks07
        ),
        check!(
            "JWKS-08",
            Jwks,
            Should,
            Strict,
            [MockControl],
            "OIDC Core §10.1.1",
            "after a key rotation the new kid appears and the old key stays",
            jwks08
        ),
    ]
}

async fn fetch(cx: &Cx<'_>) -> Step<(Exchange, Vec<Map<String, Value>>)> {
    let url = cx.endpoint(Endpoint::Jwks).await?;
    let exchange = cx.send(Req::get(url)).await?;
    let doc = exchange.ok_object()?;
    let Some(keys) = doc.get("keys").and_then(Value::as_array) else {
        return Err(exchange.fail(Some("keys"), "no `keys` array"));
    };
    let mut objects = Vec::new();
    for (index, key) in keys.iter().enumerate() {
        match key {
            Value::Object(map) if map.get("kty").is_some_and(Value::is_string) => objects.push(map.clone()),
            _ => {
                return Err(exchange.fail(
                    Some(&format!("keys[{index}].kty")),
                    "a key that is not an object with `kty`",
                ));
            }
        }
    }
    Ok((exchange, objects))
}

fn kty(key: &Map<String, Value>) -> &str {
    key.get("kty").and_then(Value::as_str).unwrap_or_default()
}

fn name(index: usize, key: &Map<String, Value>, member: &str) -> String {
    match key.get("kid").and_then(Value::as_str) {
        Some(kid) => format!("keys[kid={kid}].{member}"),
        None => format!("keys[{index}].{member}"),
    }
}

async fn jwks01(cx: &Cx<'_>) -> Step {
    let (exchange, keys) = fetch(cx).await?;
    if keys.is_empty() {
        return Err(exchange.fail(Some("keys"), "the key set is empty: no token can be verified"));
    }
    Ok(())
}

fn decode(value: Option<&Value>) -> Option<Vec<u8>> {
    let text = value?.as_str()?;
    if text.contains('=') {
        return None;
    }
    idp_jose::b64::decode(text).ok()
}

async fn jwks02(cx: &Cx<'_>) -> Step {
    let (exchange, keys) = fetch(cx).await?;
    for (index, key) in keys.iter().enumerate() {
        let members: &[&str] = match kty(key) {
            "RSA" => &["n", "e"],
            "EC" => &["crv", "x", "y"],
            "OKP" => &["crv", "x"],
            _ => &[],
        };
        for member in members.iter().filter(|m| **m != "crv") {
            if decode(key.get(*member)).is_none() {
                return Err(exchange.fail(Some(&name(index, key, member)), "missing or not unpadded base64url"));
            }
        }
        if kty(key) == "EC" {
            let size = match key.get("crv").and_then(Value::as_str) {
                Some("P-256") => 32,
                Some("P-384") => 48,
                Some("P-521") => 66,
                other => return Err(exchange.fail(Some(&name(index, key, "crv")), format!("unknown curve {other:?}"))),
            };
            for member in ["x", "y"] {
                let length = decode(key.get(member)).map(|v| v.len()).unwrap_or_default();
                if length != size {
                    return Err(exchange.fail(
                        Some(&name(index, key, member)),
                        format!("{length} bytes, the curve needs {size}"),
                    ));
                }
            }
        }
        if kty(key) == "OKP" && key.get("crv").and_then(Value::as_str).is_none() {
            return Err(exchange.fail(Some(&name(index, key, "crv")), "missing"));
        }
    }
    Ok(())
}

async fn jwks03(cx: &Cx<'_>) -> Step {
    let (exchange, keys) = fetch(cx).await?;
    for (index, key) in keys.iter().enumerate() {
        if kty(key) == "oct" {
            return Err(exchange.fail(Some(&name(index, key, "kty")), "a symmetric (oct) key is published"));
        }
        for member in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
            if key.contains_key(member) {
                return Err(exchange.fail(Some(&name(index, key, member)), "private key material is published"));
            }
        }
    }
    Ok(())
}

async fn jwks04(cx: &Cx<'_>) -> Step {
    let (exchange, keys) = fetch(cx).await?;
    let mut seen = std::collections::BTreeSet::new();
    for (index, key) in keys.iter().enumerate() {
        let Some(kid) = key.get("kid").and_then(Value::as_str) else {
            return Err(exchange.fail(Some(&name(index, key, "kid")), "a key without kid"));
        };
        if !seen.insert(kid.to_owned()) {
            return Err(exchange.fail(Some(&name(index, key, "kid")), format!("kid `{kid}` appears twice")));
        }
    }
    Ok(())
}

async fn jwks05(cx: &Cx<'_>) -> Step {
    let (exchange, keys) = fetch(cx).await?;
    let uses: Vec<Option<&str>> = keys.iter().map(|k| k.get("use").and_then(Value::as_str)).collect();
    let mixed = uses.contains(&Some("enc")) && uses.iter().any(|u| *u != Some("enc"));
    if mixed && let Some(index) = uses.iter().position(Option::is_none) {
        return Err(exchange.fail(
            Some(&name(index, &keys[index], "use")),
            "signing and encryption keys are mixed and this key has no `use`",
        ));
    }
    Ok(())
}

/// The kty (and curve) an `alg` needs.
fn alg_fits(alg: &str, kty: &str, crv: Option<&str>) -> bool {
    match alg {
        "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512" | "RSA-OAEP" | "RSA-OAEP-256" | "RSA1_5" => {
            kty == "RSA"
        }
        "ES256" => kty == "EC" && crv == Some("P-256"),
        "ES384" => kty == "EC" && crv == Some("P-384"),
        "ES512" => kty == "EC" && crv == Some("P-521"),
        "EdDSA" | "Ed25519" => kty == "OKP" && matches!(crv, Some("Ed25519" | "Ed448")),
        _ => true,
    }
}

async fn jwks06(cx: &Cx<'_>) -> Step {
    let (exchange, keys) = fetch(cx).await?;
    for (index, key) in keys.iter().enumerate() {
        if let Some(alg) = key.get("alg").and_then(Value::as_str)
            && !alg_fits(alg, kty(key), key.get("crv").and_then(Value::as_str))
        {
            return Err(exchange.fail(
                Some(&name(index, key, "alg")),
                format!("`{alg}` does not fit kty {} crv {:?}", kty(key), key.get("crv")),
            ));
        }
        if key.contains_key("x5c") {
            cx.note("x5c present: the certificate's key is not compared (not yet)");
        }
    }
    Ok(())
}

async fn jwks07(cx: &Cx<'_>) -> Step {
    let (exchange, keys) = fetch(cx).await?;
    for (index, key) in keys.iter().enumerate() {
        if kty(key) == "RSA" {
            let modulus = decode(key.get("n")).unwrap_or_default();
            let leading = modulus.iter().position(|b| *b != 0).unwrap_or(modulus.len());
            let bytes = &modulus[leading..];
            let bits = bytes.len() * 8 - bytes.first().map_or(0, |b| b.leading_zeros() as usize);
            if bits < 2048 {
                return Err(exchange.fail(Some(&name(index, key, "n")), format!("a {bits}-bit RSA modulus")));
            }
        }
    }
    Ok(())
}

async fn jwks08(cx: &Cx<'_>) -> Step {
    let idp = cx
        .target
        .mock()
        .ok_or_else(|| skip("no way to trigger a key rotation on this target"))?;
    let (_, before) = fetch(cx).await?;
    let kids = |keys: &[Map<String, Value>]| -> Vec<String> {
        keys.iter()
            .filter_map(|k| k.get("kid").and_then(Value::as_str).map(str::to_owned))
            .collect()
    };
    let old = kids(&before);
    idp.rotate_keys()
        .map_err(|err| crate::http::fail(None, format!("rotation failed: {err}")))?;
    let (exchange, after) = fetch(cx).await?;
    let new = kids(&after);
    if let Some(lost) = old.iter().find(|kid| !new.contains(kid)) {
        return Err(exchange.fail(Some("keys"), format!("the old key `{lost}` was dropped at rotation")));
    }
    if new.len() <= old.len() {
        return Err(exchange.fail(Some("keys"), "no new key appeared after the rotation"));
    }
    let tokens = cx.service_tokens().await;
    if let Ok(tokens) = tokens
        && let Some(token) = tokens.str("access_token").filter(|t| t.split('.').count() == 3)
    {
        cx.verify_jwt(token).await?;
    }
    Ok(())
}
