//! Property tests: arbitrary bearer strings, Authorization header bytes and token-shaped
//! garbage never panic and are refused in bounded time.

use proptest::prelude::*;
use serde_json::json;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use token_guard::{Alg, Guard, Validator};

fn guard() -> &'static Arc<Guard> {
    static GUARD: OnceLock<Arc<Guard>> = OnceLock::new();
    GUARD.get_or_init(|| {
        let jwk = crate::support::attacker_jwk("k");
        let v = Validator::builder("https://idp.example", "api", [Alg::RS256, Alg::ES256, Alg::EdDSA])
            .static_jwks(json!({"keys": [jwk]}).to_string())
            .build()
            .unwrap();
        Arc::new(Guard::builder().validator(v).build().unwrap())
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9_-]{0,64}",
        proptest::collection::vec(any::<u8>(), 0..96).prop_map(|b| crate::support::b64(&b)),
        "[a-zA-Z0-9 ]{0,12}"
            .prop_map(|kid| crate::support::b64_json(&json!({"alg": "RS256", "typ": "at+jwt", "kid": kid}))),
        "\\PC{0,32}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bearer_strings_never_panic_and_are_refused_quickly(token in "\\PC{0,300}") {
        let rt = runtime();
        let started = Instant::now();
        let result = rt.block_on(guard().authenticate(&token));
        prop_assert!(result.is_err());
        prop_assert!(started.elapsed() < Duration::from_millis(200));
    }

    #[test]
    fn token_shaped_garbage_is_refused(a in segment(), b in segment(), c in segment(), dots in 0usize..5) {
        let rt = runtime();
        let token = match dots {
            0 => format!("{a}.{b}.{c}"),
            1 => format!("{a}.{b}"),
            2 => format!("{a}.{b}.{c}.{a}"),
            3 => format!("{a}..{c}"),
            _ => format!("{a}.{b}.{c}.{a}.{b}"),
        };
        let started = Instant::now();
        prop_assert!(rt.block_on(guard().authenticate(&token)).is_err());
        prop_assert!(started.elapsed() < Duration::from_millis(200));
    }

    #[test]
    fn arbitrary_authorization_bytes_never_panic(values in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 0..3), query in proptest::option::of("\\PC{0,80}")) {
        let refs: Vec<&[u8]> = values.iter().map(Vec::as_slice).collect();
        let _ = guard().bearer(&refs, query.as_deref());
    }
}
