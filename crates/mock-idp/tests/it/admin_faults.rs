//! Issue 12 over the admin API: fault rules, hit counters and keys from a plain HTTP client,
//! with the same semantics as the Rust API, and a reset that puts them back as loaded.

use crate::support::{admin_url, json_of, jwt_part};
use mock_idp::{Endpoint, MockIdp};
use serde_json::{Value, json};

async fn status(url: &str) -> u16 {
    reqwest::get(url).await.unwrap().status().as_u16()
}

#[tokio::test]
async fn faults_are_added_listed_used_up_and_removed_over_http() {
    let idp = MockIdp::start().await;
    let http = reqwest::Client::new();
    let jwks = idp.endpoint(Endpoint::Jwks);
    let added = http
        .post(admin_url(&idp, "/faults"))
        .json(&json!({"realm": "demo", "endpoint": "jwks", "fault": {"kind": "status", "status": 503}, "scope": {"times": 2}}))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 201);
    let id = added.json::<Value>().await.unwrap()["id"].as_u64().unwrap();
    let listed: Value = json_of(http.get(admin_url(&idp, "/faults"))).await.1;
    assert_eq!(listed[0]["id"], id);
    assert_eq!(listed[0]["remaining"], 2);
    assert_eq!(listed[0]["fault"]["kind"], "status");
    assert_eq!(
        [status(&jwks).await, status(&jwks).await, status(&jwks).await],
        [503, 503, 200]
    );
    assert_eq!(idp.faults().len(), 0, "the Rust API sees the same table");

    let forever = json_of(
        http.post(admin_url(&idp, "/faults"))
            .json(&json!({"endpoint": "jwks", "fault": {"kind": "outage"}})),
    )
    .await
    .1["id"]
        .as_u64()
        .unwrap();
    assert_eq!(status(&jwks).await, 503);
    let removed = http
        .delete(admin_url(&idp, &format!("/faults/{forever}")))
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);
    let again = http
        .delete(admin_url(&idp, &format!("/faults/{forever}")))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404);
    assert_eq!(status(&jwks).await, 200);

    let hits: Value = json_of(http.get(admin_url(&idp, "/hits"))).await.1;
    assert_eq!(hits, json!([{"realm": "demo", "endpoint": "jwks", "hits": 5}]));
    assert_eq!(
        http.delete(admin_url(&idp, "/hits")).send().await.unwrap().status(),
        204
    );
    assert_eq!(idp.hits(Endpoint::Jwks), 0);
}

#[tokio::test]
async fn bad_fault_rules_get_4xx_problems_naming_the_field() {
    let idp = MockIdp::start().await;
    let http = reqwest::Client::new();
    let cases = [
        (
            json!({"endpoint": "nope", "fault": {"kind": "outage"}}),
            422,
            Some("endpoint"),
        ),
        (
            json!({"endpoint": "jwks", "fault": {"kind": "teapot"}}),
            422,
            Some("fault.kind"),
        ),
        (
            json!({"endpoint": "jwks", "fault": {"kind": "outage"}, "extra": 1}),
            422,
            None,
        ),
        (
            json!({"endpoint": "token", "fault": {"kind": "stale_key_set"}}),
            422,
            Some("fault"),
        ),
        (
            json!({"endpoint": "jwks", "fault": {"kind": "outage"}, "scope": {"times": 0}}),
            422,
            Some("scope"),
        ),
        (
            json!({"endpoint": "jwks", "realm": "nope", "fault": {"kind": "outage"}}),
            422,
            Some("realm"),
        ),
        (
            json!({"endpoint": "jwks", "fault": {"kind": "huge_key_set", "bytes": 1u64 << 40}}),
            422,
            Some("fault"),
        ),
    ];
    for (body, code, field) in cases {
        let response = http.post(admin_url(&idp, "/faults")).json(&body).send().await.unwrap();
        assert_eq!(response.status(), code, "{body}");
        assert_eq!(response.headers()["content-type"], "application/problem+json", "{body}");
        let problem: Value = response.json().await.unwrap();
        if let Some(field) = field {
            assert_eq!(problem["field"], field, "{body}: {problem}");
        }
    }
    assert!(idp.faults().is_empty());
}

#[tokio::test]
async fn keys_rotate_retire_publish_and_alg_over_http_and_reset_restores_them() {
    let idp = MockIdp::start().await;
    let http = reqwest::Client::new();
    let loaded: Value = json_of(http.get(admin_url(&idp, "/realms/demo/keys"))).await.1;
    assert_eq!(loaded.as_array().unwrap().len(), 3);
    assert!(loaded.as_array().unwrap().iter().all(|key| key["state"] == "active"));

    let rotated: Value = json_of(
        http.post(admin_url(&idp, "/realms/demo/keys/rotate"))
            .json(&json!({"overlap_seconds": 600})),
    )
    .await
    .1;
    let retired: Vec<&Value> = rotated
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["state"] == "retired")
        .collect();
    assert_eq!(retired.len(), 3);
    assert!(retired.iter().all(|k| k["until"].as_u64().is_some()));

    let published = http
        .post(admin_url(&idp, "/realms/demo/keys/publish"))
        .json(&json!({"alg": "ES256"}))
        .send()
        .await
        .unwrap();
    assert_eq!(published.status(), 201);
    let kid = published.json::<Value>().await.unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let set: Value = reqwest::get(idp.endpoint(Endpoint::Jwks))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(set["keys"].as_array().unwrap().iter().any(|k| k["kid"] == kid.as_str()));

    let alg = http
        .put(admin_url(&idp, "/realms/demo/signing-alg"))
        .json(&json!({"alg": "EdDSA"}))
        .send()
        .await
        .unwrap();
    assert_eq!(alg.status(), 204);
    let token = idp.mint(mock_idp::TokenSpec::client("service")).unwrap();
    assert!(token.starts_with("eyJhbGciOiJFZERTQSI"), "an EdDSA header: {token}");

    let active = rotated
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["state"] == "active")
        .unwrap()["kid"]
        .clone();
    let refused = http
        .post(admin_url(&idp, "/realms/demo/keys/retire"))
        .json(&json!({"kid": active}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 409);
    let after: Value = json_of(http.post(admin_url(&idp, "/realms/demo/keys/retire")).json(&json!({})))
        .await
        .1;
    assert!(after.as_array().unwrap().iter().all(|k| k["state"] != "retired"));
    let unknown_realm = http.get(admin_url(&idp, "/realms/nope/keys")).send().await.unwrap();
    assert_eq!(unknown_realm.status(), 404);

    let reset: Value = json_of(http.post(admin_url(&idp, "/reset"))).await.1;
    for part in ["faults", "hits", "keys"] {
        assert!(reset["reset"].as_array().unwrap().iter().any(|p| p == part), "{reset}");
    }
    let back: Value = json_of(http.get(admin_url(&idp, "/realms/demo/keys"))).await.1;
    assert_eq!(back, loaded);
    let token = idp.mint(mock_idp::TokenSpec::client("service")).unwrap();
    assert!(token.starts_with("eyJhbGciOiJSUzI1NiI"), "RS256 again: {token}");
}

#[tokio::test]
async fn negative_tokens_are_minted_over_http() {
    let idp = MockIdp::start().await;
    let http = reqwest::Client::new();
    let mint = |body: Value| {
        let (http, url) = (http.clone(), admin_url(&idp, "/tokens"));
        async move { http.post(url).json(&body).send().await.unwrap() }
    };
    let response = mint(json!({"user": "alice", "client": "web-app", "defects": ["expired", "wrong_issuer"], "claims": {"tenant": "t1"}})).await;
    assert_eq!(response.status(), 201);
    let token = response.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let claims = jwt_part(&token, 1);
    assert_eq!(claims["iss"], "https://wrong-issuer.invalid/");
    assert_eq!(claims["tenant"], "t1");
    let now = mock_idp::Clock::now(&mock_idp::SystemClock);
    assert!(claims["exp"].as_u64().unwrap() + 3000 < now, "{claims}");

    let none = mint(json!({"client": "service", "defects": ["alg_none"]})).await;
    let token = none.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(jwt_part(&token, 0)["alg"], "none");

    let unknown = mint(json!({"client": "nope"})).await;
    assert_eq!(unknown.status(), 422);
    assert_eq!(unknown.json::<Value>().await.unwrap()["field"], "client");
    let bad = mint(json!({"client": "service", "defects": ["forged"]})).await;
    assert_eq!(bad.status(), 422);
    assert_eq!(bad.json::<Value>().await.unwrap()["field"], "defects[0]");
}
