//! Issue 12 faults: each kind and scope seen by a real HTTP client (reqwest) on loopback, and
//! stopping when it should; hit counters per realm and endpoint.

use mock_idp::{Endpoint, Fault, FaultError, FaultRule, MockIdp, Provider, World};
use std::time::{Duration, Instant};

/// The default world plus a copy of its realm named `other` (Keycloak: realms in the path).
async fn two_realms() -> MockIdp {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/world.toml")).unwrap();
    let realm = &text[text.find("[realms.demo]").unwrap()..];
    let world = World::from_toml_str(
        &format!("{text}\n{}", realm.replace("realms.demo", "realms.other")),
        "test",
    )
    .unwrap();
    MockIdp::builder()
        .provider(Provider::Keycloak)
        .world(world)
        .start()
        .await
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

/// The status of a GET, or `None` when the connection closed without a response.
async fn status(url: &str) -> Option<u16> {
    client().get(url).send().await.ok().map(|r| r.status().as_u16())
}

async fn statuses(url: &str, n: usize) -> Vec<u16> {
    let mut all = Vec::new();
    for _ in 0..n {
        all.push(status(url).await.unwrap_or(0));
    }
    all
}

async fn token_status(idp: &MockIdp) -> u16 {
    client()
        .post(idp.endpoint(Endpoint::Token))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "service"),
            ("client_secret", "service-secret"),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_custom_status_and_body_is_seen_once_then_the_endpoint_recovers() {
    let idp = MockIdp::start().await;
    let body = r#"{"error":"slow_down"}"#;
    idp.add_fault(
        FaultRule::new(
            Endpoint::Userinfo,
            Fault::Respond {
                status: 429,
                body: body.into(),
            },
        )
        .once(),
    )
    .unwrap();
    let response = client().get(idp.endpoint(Endpoint::Userinfo)).send().await.unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.text().await.unwrap(), body);
    // The next request is the real endpoint again: 401 without a token.
    assert_eq!(status(&idp.endpoint(Endpoint::Userinfo)).await, Some(401));
    assert!(idp.faults().is_empty(), "a used-up fault leaves the table");
}

#[tokio::test]
async fn n_times_means_exactly_n_requests() {
    let idp = MockIdp::start().await;
    idp.add_fault(FaultRule::new(Endpoint::Jwks, Fault::Status(500)).times(3))
        .unwrap();
    assert_eq!(
        statuses(&idp.endpoint(Endpoint::Jwks), 5).await,
        [500, 500, 500, 200, 200]
    );
}

#[tokio::test]
async fn until_cleared_lasts_until_cleared() {
    let idp = MockIdp::start().await;
    let id = idp.add_fault(FaultRule::new(Endpoint::Jwks, Fault::Outage)).unwrap();
    let url = idp.endpoint(Endpoint::Jwks);
    for _ in 0..10 {
        let response = client().get(&url).send().await.unwrap();
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()["retry-after"], "1");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"], "temporarily_unavailable");
    }
    assert_eq!(idp.faults()[0].fired, 10);
    assert!(idp.remove_fault(id));
    assert!(!idp.remove_fault(id));
    assert_eq!(status(&url).await, Some(200));
}

#[tokio::test]
async fn a_seeded_probability_hits_the_same_requests_in_two_runs() {
    let mut runs = Vec::new();
    for _ in 0..2 {
        let idp = MockIdp::start().await;
        idp.add_fault(FaultRule::new(Endpoint::Jwks, Fault::Status(502)).probability(0.5, 2026))
            .unwrap();
        runs.push(statuses(&idp.endpoint(Endpoint::Jwks), 40).await);
    }
    assert_eq!(runs[0], runs[1], "same seed, same requests fail");
    let failed = runs[0].iter().filter(|s| **s == 502).count();
    assert!((8..=32).contains(&failed), "{failed} of 40 at p=0.5: {:?}", runs[0]);
    assert!(runs[0].iter().all(|s| *s == 502 || *s == 200));
}

#[tokio::test]
async fn added_latency_delays_the_normal_answer_once() {
    let idp = MockIdp::start().await;
    idp.add_fault(FaultRule::new(Endpoint::Discovery, Fault::Delay(Duration::from_millis(400))).once())
        .unwrap();
    let started = Instant::now();
    assert_eq!(status(&idp.discovery_url()).await, Some(200));
    let slow = started.elapsed();
    let started = Instant::now();
    assert_eq!(status(&idp.discovery_url()).await, Some(200));
    let fast = started.elapsed();
    // A lower bound only (sleep never returns early); not a speed assertion.
    assert!(slow >= Duration::from_millis(400), "{slow:?}");
    assert!(fast < slow, "{fast:?} vs {slow:?}");
}

#[tokio::test]
async fn a_dropped_connection_reaches_the_client_as_a_closed_connection_without_response() {
    let idp = MockIdp::start().await;
    idp.add_fault(FaultRule::new(Endpoint::Token, Fault::DropConnection).times(2))
        .unwrap();
    let request = || {
        client().post(idp.endpoint(Endpoint::Token)).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "service"),
            ("client_secret", "service-secret"),
        ])
    };
    for _ in 0..2 {
        let err = request().send().await.unwrap_err();
        assert!(err.status().is_none() && !err.is_timeout(), "{err:?}");
        assert!(err.is_request(), "no response was received: {err:?}");
    }
    assert_eq!(token_status(&idp).await, 200);
    assert_eq!(idp.hits(Endpoint::Token), 3);
}

#[tokio::test]
async fn malformed_json_is_the_real_answer_cut_short() {
    let idp = MockIdp::start().await;
    idp.add_fault(FaultRule::new(Endpoint::Discovery, Fault::MalformedJson).once())
        .unwrap();
    let cut = client().get(idp.discovery_url()).send().await.unwrap();
    assert_eq!(cut.status(), 200);
    assert_eq!(cut.headers()["content-type"], "application/json");
    let cut = cut.text().await.unwrap();
    assert!(serde_json::from_str::<serde_json::Value>(&cut).is_err(), "{cut}");
    let whole = client()
        .get(idp.discovery_url())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(whole.starts_with(&cut) && cut.len() < whole.len());
    serde_json::from_str::<serde_json::Value>(&whole).unwrap();
}

#[tokio::test]
async fn jwks_empty_stale_and_huge_sets() {
    let idp = MockIdp::start().await;
    let url = idp.endpoint(Endpoint::Jwks);
    let get = |url: String| async move { client().get(url).send().await.unwrap().bytes().await.unwrap() };
    let before: serde_json::Value = serde_json::from_slice(&get(url.clone()).await).unwrap();

    idp.add_fault(FaultRule::new(Endpoint::Jwks, Fault::EmptyKeySet).once())
        .unwrap();
    let empty: serde_json::Value = serde_json::from_slice(&get(url.clone()).await).unwrap();
    assert_eq!(empty, serde_json::json!({"keys": []}));

    idp.rotate_keys().unwrap();
    let after: serde_json::Value = serde_json::from_slice(&get(url.clone()).await).unwrap();
    assert_ne!(after, before);
    idp.add_fault(FaultRule::new(Endpoint::Jwks, Fault::StaleKeySet).once())
        .unwrap();
    let stale: serde_json::Value = serde_json::from_slice(&get(url.clone()).await).unwrap();
    assert_eq!(stale, before, "the set before the rotation");
    let current: serde_json::Value = serde_json::from_slice(&get(url.clone()).await).unwrap();
    assert_eq!(current, after, "once means once");

    idp.add_fault(FaultRule::new(Endpoint::Jwks, Fault::HugeKeySet(5 << 20)).once())
        .unwrap();
    let huge = get(url.clone()).await;
    assert_eq!(huge.len(), 5 << 20);
    let huge: serde_json::Value = serde_json::from_slice(&huge).unwrap();
    assert_eq!(huge["keys"], after["keys"]);
    assert_eq!(get(url).await.len(), after.to_string().len());

    assert_eq!(
        idp.add_fault(FaultRule::new(Endpoint::Token, Fault::StaleKeySet)),
        Err(FaultError::JwksOnly)
    );
}

#[tokio::test]
async fn a_realm_fault_hits_that_realm_only_and_hits_are_counted_per_realm() {
    let idp = two_realms().await;
    idp.add_fault(FaultRule::new(Endpoint::Jwks, Fault::Status(500)).in_realm("other"))
        .unwrap();
    let demo = idp.endpoint_of("demo", Endpoint::Jwks);
    let other = idp.endpoint_of("other", Endpoint::Jwks);
    assert_ne!(demo, other);
    assert_eq!(statuses(&other, 2).await, [500, 500]);
    assert_eq!(statuses(&demo, 3).await, [200, 200, 200]);
    assert_eq!(idp.hits_in("other", Endpoint::Jwks), 2);
    assert_eq!(idp.hits_in("demo", Endpoint::Jwks), 3);
    assert_eq!(idp.hits(Endpoint::Jwks), 5);
    assert_eq!(
        idp.add_fault(FaultRule::new(Endpoint::Jwks, Fault::Outage).in_realm("nope")),
        Err(FaultError::UnknownRealm("nope".into()))
    );
    idp.clear_faults();
    assert_eq!(status(&other).await, Some(200));
    idp.reset_hits();
    assert_eq!(idp.hits(Endpoint::Jwks), 0);
}

#[tokio::test]
async fn set_fault_replaces_and_clear_fault_clears_every_scope() {
    let idp = MockIdp::start().await;
    let url = idp.endpoint(Endpoint::Jwks);
    idp.set_fault(Endpoint::Jwks, Fault::Status(500));
    idp.set_fault(Endpoint::Jwks, Fault::Status(502));
    assert_eq!(statuses(&url, 2).await, [502, 502]);
    idp.add_fault(FaultRule::new(Endpoint::Jwks, Fault::Outage).times(100))
        .unwrap();
    idp.clear_fault(Endpoint::Jwks);
    assert_eq!(statuses(&url, 2).await, [200, 200]);
}

#[tokio::test]
async fn configured_faults_apply_from_the_start_and_come_back_after_a_reset() {
    let config: mock_idp::Config = serde_json::from_value(serde_json::json!({
        "faults": [{"endpoint": "jwks", "fault": {"kind": "outage"}, "scope": {"times": 1}}]
    }))
    .unwrap();
    let idp = MockIdp::builder().config(config.clone()).start().await;
    let url = idp.endpoint(Endpoint::Jwks);
    assert_eq!(statuses(&url, 2).await, [503, 200]);
    idp.admin().reset();
    assert_eq!(
        statuses(&url, 2).await,
        [503, 200],
        "the configured rule is back, fresh"
    );

    let mut bad = config;
    bad.faults[0].realm = Some("nope".into());
    let err = MockIdp::builder().config(bad).try_start().unwrap_err();
    assert!(err.to_string().contains("unknown realm `nope`"), "{err}");
}

/// App ID's profile attributes API goes through the same layers as every provider route: a
/// fault set on it fires (on both of its paths), and its requests are logged and counted.
#[tokio::test]
async fn a_fault_on_the_profile_attributes_api_fires_and_is_logged() {
    let idp = MockIdp::builder().provider(Provider::AppId).start().await;
    idp.add_fault(FaultRule::new(Endpoint::ProfileAttributes, Fault::Status(503)).times(2))
        .unwrap();
    let all = idp.endpoint(Endpoint::ProfileAttributes);
    assert_eq!(all, format!("{}/api/v1/attributes", idp.uri()));
    let one = format!("{all}/points");
    assert_eq!(status(&all).await, Some(503));
    assert_eq!(status(&one).await, Some(503));
    // The fault is used up: the API itself answers (no token: 401).
    assert_eq!(status(&one).await, Some(401));
    let logged: Vec<(String, String, u16)> = idp
        .admin()
        .log(&mock_idp::LogFilter::default())
        .entries
        .into_iter()
        .map(|entry| (entry.endpoint, entry.path, entry.status))
        .collect();
    let path = |url: &str| url.strip_prefix(idp.uri()).unwrap().to_owned();
    assert_eq!(
        logged,
        [
            ("ProfileAttributes".to_owned(), path(&all), 503),
            ("ProfileAttributes".to_owned(), path(&one), 503),
            ("ProfileAttributes".to_owned(), path(&one), 401),
        ]
    );
    assert_eq!(idp.hits_in(&idp.world().default_realm, Endpoint::ProfileAttributes), 3);
}
