//! The Wycheproof JWS and JWK vectors (`../shared/vectors/wycheproof/`) through the signature
//! layer of the Validator ([`KeySet::verify`]) on aws-lc-rs: every `invalid` case refused,
//! every `valid` case of a supported algorithm accepted, except where the JWK's `alg` pins
//! another algorithm than the token's (refused by design, RS-08).

use serde_json::{Value, json};
use std::path::PathBuf;
use token_guard::{Alg, KeySet};

fn vectors() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors/wycheproof");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("wycheproof: skipped, {} is absent", dir.display());
        None
    }
}

fn header_alg(jws: &str) -> Option<String> {
    use base64::Engine as _;
    let head = jws.split('.').next()?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(head).ok()?;
    let value: Value = serde_json::from_slice(&bytes).ok()?;
    value.get("alg")?.as_str().map(str::to_owned)
}

#[derive(Debug, Default)]
struct Tally {
    invalid_refused: usize,
    valid_accepted: usize,
    valid_unsupported: usize,
    valid_refused_by_policy: Vec<u64>,
    acceptable: usize,
    failures: Vec<String>,
}

fn run(file: &str) -> Option<Tally> {
    let dir = vectors()?;
    let text = std::fs::read_to_string(dir.join(file)).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let mut tally = Tally::default();
    for group in doc["testGroups"].as_array().unwrap() {
        let key = group
            .get("public")
            .or_else(|| group.get("private"))
            .cloned()
            .unwrap_or(Value::Null);
        let set_doc = if key.get("keys").is_some() {
            key.clone()
        } else {
            json!({"keys": [key]})
        };
        let set = KeySet::from_jwks(set_doc.to_string().as_bytes(), &Alg::ALL).ok();
        let jwk_alg = key.get("alg").and_then(Value::as_str).map(str::to_owned);
        for test in group["tests"].as_array().unwrap() {
            let id = test["tcId"].as_u64().unwrap();
            let result = test["result"].as_str().unwrap();
            let outcome = match (test["jws"].as_str(), &set) {
                (Some(jws), Some(set)) => set.verify(jws, &Alg::ALL).is_ok(),
                _ => false, // JSON serialization or an unusable key set: refused
            };
            match result {
                "invalid" if !outcome => tally.invalid_refused += 1,
                "invalid" => tally.failures.push(format!("tcId {id} ({}) accepted", test["comment"])),
                "valid" => {
                    let alg = test["jws"].as_str().and_then(header_alg);
                    let supported = alg.as_deref().and_then(Alg::from_name).is_some();
                    let pinned_elsewhere = jwk_alg.is_some() && jwk_alg != alg;
                    match (supported, pinned_elsewhere, outcome) {
                        (false, _, _) => tally.valid_unsupported += 1,
                        (true, true, false) => tally.valid_refused_by_policy.push(id),
                        (true, _, true) => tally.valid_accepted += 1,
                        (true, false, false) => tally.failures.push(format!("tcId {id} ({}) refused", test["comment"])),
                    }
                }
                _ => tally.acceptable += 1,
            }
        }
    }
    println!("wycheproof {file}: {tally:?}");
    Some(tally)
}

#[test]
fn wycheproof_json_web_signature_vectors() {
    let Some(tally) = run("json_web_signature_test.json") else {
        return;
    };
    assert!(tally.failures.is_empty(), "{:#?}", tally.failures);
    assert!(tally.invalid_refused > 350, "{tally:?}");
    assert!(tally.valid_accepted >= 25, "{tally:?}");
}

#[test]
fn wycheproof_json_web_key_vectors() {
    let Some(tally) = run("json_web_key_test.json") else {
        return;
    };
    assert!(tally.failures.is_empty(), "{:#?}", tally.failures);
    assert!(tally.invalid_refused >= 20, "{tally:?}");
}
