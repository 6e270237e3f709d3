//! Injected faults and hit counters, which token-guard's JWKS tests rely on.

use crate::support::*;
use mock_idp::{Endpoint, Fault, MockIdp};
use reqwest::StatusCode;
use std::time::{Duration, Instant};

#[tokio::test]
async fn faults_change_answers_until_cleared_and_every_hit_is_counted() {
    let idp = MockIdp::start().await;
    let jwks = idp.endpoint(Endpoint::Jwks);
    assert_eq!(idp.hits(Endpoint::Jwks), 0);

    idp.set_fault(Endpoint::Jwks, Fault::Status(503));
    let failed = get(&jwks).await;
    assert_eq!(failed.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(failed.json()["error"], "server_error");

    idp.set_fault(Endpoint::Jwks, Fault::EmptyKeySet);
    assert_eq!(get(&jwks).await.json(), serde_json::json!({"keys": []}));

    idp.set_fault(Endpoint::Jwks, Fault::Body("x".repeat(100_000)));
    assert_eq!(get(&jwks).await.text.len(), 100_000);

    idp.set_fault(
        Endpoint::Jwks,
        Fault::Headers(vec![("cache-control".into(), "max-age=60".into())]),
    );
    let cached = get(&jwks).await;
    assert_eq!(cached.header("cache-control"), Some("max-age=60"));
    assert!(cached.json()["keys"].as_array().unwrap().len() >= 3);

    idp.set_fault(Endpoint::Jwks, Fault::Delay(Duration::from_millis(200)));
    let started = Instant::now();
    assert_eq!(get(&jwks).await.status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(200));

    idp.clear_fault(Endpoint::Jwks);
    assert!(get(&jwks).await.json()["keys"].as_array().unwrap().len() >= 3);
    assert_eq!(idp.hits(Endpoint::Jwks), 6);
    assert_eq!(idp.hits(Endpoint::Discovery), 0, "counters are per endpoint");
    get(&idp.discovery_url()).await;
    assert_eq!(idp.hits(Endpoint::Discovery), 1);
}
