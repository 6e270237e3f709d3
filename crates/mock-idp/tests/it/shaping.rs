//! Claim shaping: queued claims reach exactly the next N token responses of their client or
//! user (also under concurrency), mapping rules change the tokens they match and no others.

use crate::support::{admin_url, claims, json_of, jwt_part};
use mock_idp::MockIdp;
use mock_idp::shaping::{MappingRule, QueuedClaims, RuleMatch, TokenKinds};
use serde_json::{Value, json};
use std::sync::{Arc, Barrier};

fn service(idp: &MockIdp, client: &str) -> String {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(idp.service_token(client))
        .unwrap()
        .access_token
}

fn user(idp: &MockIdp, username: &str, client: &str) -> mock_idp::TokenSet {
    idp.token_for_blocking(username, client).unwrap()
}

#[test]
fn a_queued_claim_reaches_exactly_the_next_n_tokens_of_its_client() {
    let idp = MockIdp::start_blocking();
    idp.queue_claims(QueuedClaims::for_client("service").times(2).claim("tenant", "acme"))
        .unwrap();
    assert_eq!(
        claims(&service(&idp, "api")).get("tenant"),
        None,
        "another client got it"
    );
    assert_eq!(claims(&service(&idp, "service"))["tenant"], "acme");
    assert_eq!(idp.queued_claims()[0].count, 1);
    assert_eq!(claims(&service(&idp, "service"))["tenant"], "acme");
    assert_eq!(
        claims(&service(&idp, "service")).get("tenant"),
        None,
        "a third token got it"
    );
    assert!(idp.queued_claims().is_empty());
}

#[test]
fn a_queued_shape_for_a_user_sets_headers_removes_claims_and_reaches_the_id_token() {
    let idp = MockIdp::start_blocking();
    let queued = QueuedClaims {
        remove: vec!["sid".into()],
        ..QueuedClaims::for_user("alice")
    }
    .claim("acr", "gold")
    .header("x-shaped", true)
    .tokens(TokenKinds::Both);
    idp.queue_claims(queued).unwrap();
    let bob = user(&idp, "bob", "web-app");
    assert_eq!(claims(&bob.access_token).get("acr"), None, "bob got alice's shape");
    let alice = user(&idp, "alice", "web-app");
    let id_token = alice.id_token.as_deref().unwrap();
    for token in [alice.access_token.as_str(), id_token] {
        assert_eq!(claims(token)["acr"], "gold", "{}", claims(token));
        assert_eq!(claims(token).get("sid"), None);
        assert_eq!(jwt_part(token, 0)["x-shaped"], true);
    }
    // Used once: the next token of alice is as the provider shapes it.
    let again = user(&idp, "alice", "web-app");
    assert_eq!(claims(&again.access_token).get("acr"), None);
    assert!(claims(&again.access_token).get("sid").is_some());
    assert!(jwt_part(&again.access_token, 0).get("x-shaped").is_none());
}

/// N shapes queued, M > N token requests racing from M threads released by one barrier:
/// exactly N responses carry the claim, in every round.
#[test]
fn queued_claims_are_consumed_exactly_under_concurrency() {
    const THREADS: usize = 12;
    const QUEUED: u32 = 5;
    const ROUNDS: usize = 15;
    let idp = Arc::new(MockIdp::start_blocking());
    for round in 0..ROUNDS {
        idp.queue_claims(QueuedClaims::for_client("service").times(QUEUED).claim("round", round))
            .unwrap();
        let barrier = Arc::new(Barrier::new(THREADS));
        let threads: Vec<_> = (0..THREADS)
            .map(|n| {
                let (idp, barrier) = (idp.clone(), barrier.clone());
                std::thread::spawn(move || {
                    // A third of the threads ask for another client, which must never get it.
                    let client = if n % 3 == 0 { "api" } else { "service" };
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    barrier.wait();
                    let token = runtime.block_on(idp.service_token(client)).unwrap().access_token;
                    (client, claims(&token).get("round").cloned())
                })
            })
            .collect();
        let results: Vec<_> = threads.into_iter().map(|thread| thread.join().unwrap()).collect();
        let shaped: Vec<_> = results.iter().filter(|(_, round)| round.is_some()).collect();
        assert_eq!(shaped.len(), QUEUED as usize, "round {round}: {results:?}");
        assert!(
            shaped
                .iter()
                .all(|(client, value)| *client == "service" && *value == Some(json!(round)))
        );
        assert!(idp.queued_claims().is_empty(), "round {round}");
    }
}

#[test]
fn mapping_rules_change_the_requests_they_match_and_no_others() {
    let idp = MockIdp::builder()
        .mapping(
            MappingRule::new(RuleMatch::default().grant("client_credentials").client("api"))
                .claim("by", "grant+client"),
        )
        .start_blocking();
    idp.add_mapping(
        MappingRule::new(RuleMatch::default().user("alice").scope("email"))
            .claim("by_user", true)
            .remove("roles"),
    )
    .unwrap();
    idp.add_mapping(
        MappingRule::new(RuleMatch::default().grant("password"))
            .claim("pw", true)
            .tokens(TokenKinds::Id),
    )
    .unwrap();
    assert_eq!(idp.mappings().len(), 3);

    assert_eq!(claims(&service(&idp, "api"))["by"], "grant+client");
    assert_eq!(
        claims(&service(&idp, "service")).get("by"),
        None,
        "client did not match"
    );

    let alice = user(&idp, "alice", "web-app");
    let access = claims(&alice.access_token);
    assert_eq!(access["by_user"], true);
    assert_eq!(access.get("roles"), None);
    assert_eq!(access.get("pw"), None, "an id-only rule changed the access token");
    assert_eq!(claims(alice.id_token.as_deref().unwrap())["pw"], true);
    let bob = claims(&user(&idp, "bob", "web-app").access_token);
    assert_eq!(bob.get("by_user"), None, "user did not match");
    assert!(bob.get("roles").is_some());

    // Rules stand: the same request matches again; cleared, nothing matches.
    assert_eq!(claims(&service(&idp, "api"))["by"], "grant+client");
    idp.clear_mappings();
    assert_eq!(claims(&service(&idp, "api")).get("by"), None);
}

#[tokio::test]
async fn mapping_rules_match_any_form_parameter_of_the_token_request() {
    let idp = MockIdp::start().await;
    idp.add_mapping(MappingRule::new(RuleMatch::default().param("resource", "https://orders")).claim("aud", "orders"))
        .unwrap();
    let http = reqwest::Client::new();
    let mut audiences = Vec::new();
    for resource in ["https://orders", "https://other"] {
        let body: Value = json_of(
            http.post(idp.endpoint(mock_idp::Endpoint::Token))
                .basic_auth("service", Some("service-secret"))
                .form(&[("grant_type", "client_credentials"), ("resource", resource)]),
        )
        .await
        .1;
        audiences.push(claims(body["access_token"].as_str().unwrap()).get("aud").cloned());
    }
    assert_eq!(audiences[0], Some(json!("orders")));
    assert_ne!(audiences[1], Some(json!("orders")));
}

#[test]
fn bad_shapes_are_refused_with_a_reason() {
    let idp = MockIdp::start_blocking();
    let err = idp
        .queue_claims(QueuedClaims::for_client("service").header("alg", "none"))
        .unwrap_err();
    assert_eq!(err.to_string(), "header parameter `alg` cannot be set");
    let err = idp
        .add_mapping(MappingRule {
            realm: Some("nowhere".into()),
            ..MappingRule::default()
        })
        .unwrap_err();
    assert_eq!(err.to_string(), "unknown realm `nowhere`");
    let err = idp.queue_claims(QueuedClaims::for_client("servcie")).unwrap_err();
    assert_eq!(err.to_string(), "unknown client `servcie`");
    let err = idp
        .add_mapping(MappingRule::new(RuleMatch::default().user("mallory")))
        .unwrap_err();
    assert_eq!(err.to_string(), "unknown user `mallory`");
    let started = MockIdp::builder()
        .mapping(MappingRule::new(RuleMatch::default().grant("telepathy")))
        .try_start();
    assert_eq!(started.unwrap_err().to_string(), "unknown grant type `telepathy`");
}

async fn service_claims(http: &reqwest::Client, idp: &MockIdp) -> Value {
    let body: Value = json_of(
        http.post(idp.endpoint(mock_idp::Endpoint::Token))
            .basic_auth("service", Some("service-secret"))
            .form(&[("grant_type", "client_credentials")]),
    )
    .await
    .1;
    claims(body["access_token"].as_str().unwrap())
}

/// The same semantics over the admin API: queue for the next 2 tokens, list with the count left,
/// a mapping rule, reset back to the rules as loaded (the builder's) with an empty queue.
#[tokio::test]
async fn claim_queue_and_mappings_over_the_admin_api() {
    let idp = MockIdp::builder()
        .mapping(MappingRule::new(RuleMatch::default().client("api")).claim("loaded", true))
        .start()
        .await;
    let http = reqwest::Client::new();
    let queued = http
        .post(admin_url(&idp, "/claims"))
        .json(&json!({"client": "service", "count": 2, "claims": {"tenant": "acme"}, "headers": {"x-test": 1}}))
        .send()
        .await
        .unwrap();
    assert_eq!(queued.status(), 201);
    assert_eq!(service_claims(&http, &idp).await["tenant"], "acme");
    let listed: Value = json_of(http.get(admin_url(&idp, "/claims"))).await.1;
    assert_eq!(listed[0]["count"], 1, "{listed}");
    assert_eq!(service_claims(&http, &idp).await["tenant"], "acme");
    assert_eq!(service_claims(&http, &idp).await.get("tenant"), None);

    let added = http
        .post(admin_url(&idp, "/mappings"))
        .json(&json!({"match": {"grant": "client_credentials", "client": "service"}, "claims": {"mapped": 1}}))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 201);
    assert_eq!(service_claims(&http, &idp).await["mapped"], 1);
    let rules: Value = json_of(http.get(admin_url(&idp, "/mappings"))).await.1;
    assert_eq!(rules.as_array().map(Vec::len), Some(2), "{rules}");

    http.post(admin_url(&idp, "/claims"))
        .json(&json!({"claims": {"pending": true}}))
        .send()
        .await
        .unwrap();
    let reset: Value = json_of(http.post(admin_url(&idp, "/reset"))).await.1;
    assert!(
        reset["reset"].as_array().unwrap().contains(&json!("shaping")),
        "{reset}"
    );
    assert_eq!(
        idp.mappings().len(),
        1,
        "the builder's rule is back, the added one gone"
    );
    assert!(idp.queued_claims().is_empty());
    let after = service_claims(&http, &idp).await;
    assert_eq!((after.get("mapped"), after.get("pending")), (None, None));
}

#[tokio::test]
async fn refused_shapes_over_the_admin_api_are_problems_naming_the_field() {
    let idp = MockIdp::start().await;
    let http = reqwest::Client::new();
    for (path, body, status, field) in [
        ("/claims", json!({"headers": {"alg": "none"}}), 422, "headers"),
        ("/claims", json!({"count": 0}), 422, "count"),
        ("/claims", json!({"client": "servcie"}), 422, "client"),
        ("/mappings", json!({"match": {"grant": "magic"}}), 422, "match.grant"),
        ("/mappings", json!({"match": {"user": "mallory"}}), 422, "user"),
    ] {
        let response = http.post(admin_url(&idp, path)).json(&body).send().await.unwrap();
        assert_eq!(response.status(), status, "{body}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["field"], field, "{problem}");
    }
    for body in [json!({"clients": "service"}), json!({"count": "two"}), json!([1])] {
        let response = http.post(admin_url(&idp, "/claims")).json(&body).send().await.unwrap();
        assert!(response.status().is_client_error(), "{body}: {}", response.status());
    }
    assert!(idp.queued_claims().is_empty() && idp.mappings().is_empty());
}
