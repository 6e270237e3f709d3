//! Issue 12 key rotation with node `jose` (panva; openid-client's dependency) as the resource
//! server: tokens signed before and after a rotation both verify during the overlap; after the
//! overlap ends on the mock's clock, or after retirement, only the new key's tokens do.
//!
//! Needs `npm ci` in `tests/node` and `node` on PATH; without them the test prints one
//! `skipped:` line and passes, unless `IDP_HARNESS_REQUIRE_NODE` is set.

use mock_idp::{Clock, Endpoint, ManualClock, MockIdp, SystemClock, TokenSpec};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

fn node_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("node")
}

/// Runs the jose script over `tokens`; `None` when node or jose is missing (and not required).
async fn verify(idp: &MockIdp, tokens: Value) -> Option<Value> {
    let dir = node_dir();
    if !dir.join("node_modules/jose/package.json").is_file() {
        assert!(
            std::env::var_os("IDP_HARNESS_REQUIRE_NODE").is_none(),
            "jose is missing: run npm ci in {}",
            dir.display()
        );
        println!("skipped: jose not installed (run npm ci in tests/node)");
        return None;
    }
    let (issuer, jwks) = (idp.issuer(), idp.endpoint(Endpoint::Jwks));
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg("jose-rotation.mjs")
            .current_dir(&dir)
            .env("ISSUER", issuer)
            .env("JWKS_URL", jwks)
            .env("TOKENS", tokens.to_string())
            .stdin(Stdio::null())
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    Some(serde_json::from_slice(&output.stdout).unwrap())
}

fn long_lived(idp: &MockIdp) -> String {
    idp.mint(TokenSpec::client("service").expires_in(100_000)).unwrap()
}

#[tokio::test]
async fn jose_accepts_both_keys_during_the_overlap_and_only_the_new_one_after() {
    // The mock's clock starts at the real time (jose checks exp against it) and is advanced by hand.
    let clock = ManualClock::at(SystemClock.now());
    let idp = MockIdp::builder().clock(clock.clone()).start().await;
    let old = long_lived(&idp);
    idp.rotate_realm_keys("demo", Some(Duration::from_secs(600))).unwrap();
    let new = long_lived(&idp);
    let Some(during) = verify(&idp, json!({"old": old, "new": new})).await else {
        return;
    };
    assert_eq!(during, json!({"old": "ok", "new": "ok"}));

    clock.advance(601);
    let after = verify(&idp, json!({"old": old, "new": new})).await.unwrap();
    assert_eq!(after, json!({"old": "ERR_JWKS_NO_MATCHING_KEY", "new": "ok"}));
}

#[tokio::test]
async fn jose_refuses_tokens_of_a_retired_key() {
    let idp = MockIdp::start().await;
    let old = long_lived(&idp);
    idp.rotate_realm_keys("demo", None).unwrap();
    let new = long_lived(&idp);
    let Some(during) = verify(&idp, json!({"old": old, "new": new})).await else {
        return;
    };
    assert_eq!(during, json!({"old": "ok", "new": "ok"}));
    idp.retire_old_keys("demo").unwrap();
    let after = verify(&idp, json!({"old": old, "new": new})).await.unwrap();
    assert_eq!(after, json!({"old": "ERR_JWKS_NO_MATCHING_KEY", "new": "ok"}));
}
