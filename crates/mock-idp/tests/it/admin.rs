//! The admin API under `/_mock/` from a plain HTTP client: routing and safety, problem bodies
//! for malformed input, the clock.

use crate::support::{admin_url, json_of, password_grant};
use mock_idp::{Endpoint, MockIdp, Provider};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn problem(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert_eq!(content_type, "application/problem+json", "status {status}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], json!(status.as_u16()));
    assert!(body["type"].is_string() && body["title"].is_string() && body["detail"].is_string());
    (status, body)
}

#[test]
fn no_provider_path_starts_with_the_admin_prefix() {
    for provider in Provider::ALL {
        let paths: Vec<&str> = Endpoint::ALL
            .iter()
            .flat_map(|endpoint| provider.routes(*endpoint))
            .collect();
        assert!(paths.len() >= 5, "{provider:?} serves its endpoints: {paths:?}");
        for path in paths {
            assert!(
                !path.starts_with("/_mock"),
                "{provider:?} serves {path} under the admin prefix"
            );
        }
    }
}

#[tokio::test]
async fn admin_paths_get_admin_problems_and_provider_paths_reach_the_provider() {
    for provider in Provider::ALL {
        let idp = MockIdp::builder().provider(provider).start().await;
        let http = reqwest::Client::new();
        let (status, _) = problem(http.get(admin_url(&idp, "/no-such-thing")).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = problem(http.put(admin_url(&idp, "/clock/freeze")).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        let discovery = http.get(idp.discovery_url()).send().await.unwrap();
        assert_eq!(discovery.status(), StatusCode::OK, "{provider:?}");
        let unknown = http.get(format!("{}/nope", idp.uri())).send().await.unwrap();
        assert_ne!(
            unknown.headers().get("content-type").and_then(|v| v.to_str().ok()),
            Some("application/problem+json"),
            "{provider:?}: provider paths are answered in the provider's shape"
        );
    }
}

#[tokio::test]
async fn the_clock_is_frozen_advanced_set_and_reset_over_http_and_in_rust() {
    let idp = MockIdp::start().await;
    let http = reqwest::Client::new();
    let frozen: Value = json_of(http.post(admin_url(&idp, "/clock/freeze"))).await.1;
    assert_eq!(frozen["frozen"], json!(true));
    let at = frozen["now"].as_u64().unwrap();
    let advanced: Value = json_of(
        http.post(admin_url(&idp, "/clock/advance"))
            .json(&json!({"seconds": 3600})),
    )
    .await
    .1;
    assert_eq!(advanced["now"], json!(at + 3600));
    assert_eq!(
        idp.admin().clock().state().now,
        at + 3600,
        "the Rust API sees the same clock"
    );
    idp.admin().clock().advance(5);
    let shown: Value = json_of(http.get(admin_url(&idp, "/clock"))).await.1;
    assert_eq!(shown["now"], json!(at + 3605));
    let set: Value = json_of(
        http.post(admin_url(&idp, "/clock/set"))
            .json(&json!({"now": 1_000_000_000u64})),
    )
    .await
    .1;
    assert_eq!(
        (set["now"].clone(), set["frozen"].clone()),
        (json!(1_000_000_000u64), json!(true))
    );
    let reset: Value = json_of(http.post(admin_url(&idp, "/reset"))).await.1;
    assert!(reset["reset"].as_array().unwrap().contains(&json!("clock")));
    let state = idp.admin().clock().state();
    assert!(
        !state.frozen && state.offset_seconds == 0 && state.now >= at,
        "{state:?}"
    );
}

#[tokio::test]
async fn malformed_admin_input_gets_4xx_problems_naming_the_field() {
    let idp = MockIdp::start().await;
    let http = reqwest::Client::new();
    let url = admin_url(&idp, "/clock/advance");
    let send = |body: Vec<u8>, content_type: &'static str| {
        http.post(&url).header("content-type", content_type).body(body).send()
    };
    let cases: Vec<(Vec<u8>, &str, StatusCode, Option<&str>)> = vec![
        (
            b"{\"seconds\":".to_vec(),
            "application/json",
            StatusCode::BAD_REQUEST,
            None,
        ),
        (b"not json".to_vec(), "application/json", StatusCode::BAD_REQUEST, None),
        (b"".to_vec(), "application/json", StatusCode::BAD_REQUEST, None),
        (
            br#"{"seconds":"ten"}"#.to_vec(),
            "application/json",
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("seconds"),
        ),
        (
            br#"{"seconds":-1}"#.to_vec(),
            "application/json",
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("seconds"),
        ),
        (
            br#"{"seconds":1,"extra":true}"#.to_vec(),
            "application/json",
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        ),
        (
            br#"{"seconds":null}"#.to_vec(),
            "application/json",
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("seconds"),
        ),
        (
            br#""seconds""#.to_vec(),
            "application/json",
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        ),
        (
            br#"{"seconds":1}"#.to_vec(),
            "text/plain",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            None,
        ),
        (
            vec![b' '; 70 * 1024],
            "application/json",
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
        ),
    ];
    for (body, content_type, expected, field) in cases {
        let shown = String::from_utf8_lossy(&body[..body.len().min(40)]).into_owned();
        let (status, problem) = problem(send(body, content_type).await.unwrap()).await;
        assert_eq!(status, expected, "{shown:?} as {content_type}: {problem}");
        if let Some(field) = field {
            assert_eq!(problem["field"], json!(field), "{shown:?}");
        }
    }
    let before = idp.admin().clock().state();
    assert_eq!(before.offset_seconds, 0, "no malformed request changed the clock");
}

#[tokio::test]
async fn an_admin_token_is_required_when_one_is_given() {
    let idp = MockIdp::builder().admin_token("s3cret-admin").start().await;
    let http = reqwest::Client::new();
    for auth in [
        None,
        Some("Bearer wrong"),
        Some("Basic czNjcmV0LWFkbWlu"),
        Some("Bearer s3cret-admi"),
    ] {
        let mut request = http.post(admin_url(&idp, "/clock/freeze"));
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        let response = request.send().await.unwrap();
        assert!(response.headers().contains_key("www-authenticate"));
        let (status, _) = problem(response).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{auth:?}");
    }
    assert!(!idp.admin().clock().state().frozen, "refused requests changed nothing");
    let ok = http
        .post(admin_url(&idp, "/clock/freeze"))
        .bearer_auth("s3cret-admin")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert!(idp.admin().clock().state().frozen);
    let discovery = http.get(idp.discovery_url()).send().await.unwrap();
    assert_eq!(
        discovery.status(),
        StatusCode::OK,
        "provider endpoints need no admin token"
    );
}

#[tokio::test]
async fn a_disabled_admin_api_is_not_there() {
    let idp = MockIdp::builder()
        .admin(mock_idp::AdminConfig {
            enabled: Some(false),
            token: None,
        })
        .start()
        .await;
    let response = reqwest::Client::new()
        .post(admin_url(&idp, "/clock/freeze"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(!idp.admin().clock().state().frozen);
}

#[tokio::test]
async fn the_openapi_document_is_3_1_and_lists_the_admin_routes() {
    let idp = MockIdp::start().await;
    let document: Value = reqwest::get(admin_url(&idp, "/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        document["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        document["openapi"]
    );
    for path in ["/clock", "/clock/advance", "/reset"] {
        assert!(document["paths"][path].is_object(), "{path} missing");
    }
    assert_eq!(document["servers"][0]["url"], json!(admin_url(&idp, "")));
    let mut operations: Vec<&str> = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|methods| methods.as_object().unwrap().values())
        .map(|operation| operation["operationId"].as_str().unwrap())
        .collect();
    let count = operations.len();
    operations.sort_unstable();
    operations.dedup();
    assert_eq!(operations.len(), count, "operationIds must be unique: {operations:?}");
    insta::assert_json_snapshot!("admin_openapi", document, {".servers[].url" => "[public URL]/_mock"});
}

#[tokio::test]
async fn the_request_log_masks_secrets_names_client_status_and_error_and_filters() {
    let idp = MockIdp::start().await;
    let http = reqwest::Client::new();
    let granted = password_grant(&idp, "alice", "alice-password", "openid").await;
    assert_eq!(granted.status(), StatusCode::OK);
    let issued: Value = granted.json().await.unwrap();
    assert_eq!(
        password_grant(&idp, "alice", "wrong", "openid").await.status(),
        StatusCode::BAD_REQUEST
    );
    let cc = http
        .post(idp.endpoint(Endpoint::Token))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "service"),
            ("client_secret", "service-secret"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(cc.status(), StatusCode::OK);
    http.get(idp.endpoint(Endpoint::Jwks)).send().await.unwrap();
    http.get(admin_url(&idp, "/clock")).send().await.unwrap();

    let all: Value = json_of(http.get(admin_url(&idp, "/log"))).await.1;
    let entries = all["entries"].as_array().unwrap();
    let endpoints: Vec<&str> = entries.iter().map(|e| e["endpoint"].as_str().unwrap()).collect();
    assert_eq!(
        endpoints,
        ["Token", "Token", "Token", "Jwks"],
        "admin requests are not logged"
    );
    let text = all.to_string();
    for secret in [
        "alice-password",
        "web-app-secret",
        "service-secret",
        "d2ViLWFwcDp3ZWItYXBwLXNlY3JldA",
    ] {
        assert!(!text.contains(secret), "{secret} leaked into the log: {text}");
    }
    let first = &entries[0];
    assert_eq!(first["params"]["password"], json!("[masked]"));
    assert_eq!(first["params"]["username"], json!("alice"));
    assert_eq!(first["headers"]["authorization"], json!("Basic [masked]"));
    assert_eq!(first["client"], json!("web-app"), "the client from Basic credentials");
    assert_eq!(first["realm"], json!("demo"));
    assert_eq!(
        (first["method"].clone(), first["status"].clone()),
        (json!("POST"), json!(200))
    );
    // The tokens it issued, decoded, without their signatures.
    let tokens = first["tokens"].as_array().unwrap();
    let sources: Vec<&str> = tokens.iter().map(|t| t["source"].as_str().unwrap()).collect();
    assert_eq!(sources, ["response:access_token", "response:id_token"], "{text}");
    assert_eq!(tokens[0]["claims"]["client_id"], json!("web-app"), "{text}");
    assert_eq!(tokens[0]["claims"]["sub"], tokens[1]["claims"]["sub"], "one user");
    assert_eq!(tokens[1]["header"]["alg"], json!("RS256"));
    for name in ["access_token", "id_token"] {
        let signature = issued[name].as_str().unwrap().rsplit('.').next().unwrap();
        assert!(!text.contains(signature), "{name}'s signature leaked into the log");
    }
    assert_eq!(entries[1]["error"], json!("invalid_grant"));
    assert!(entries[1].get("tokens").is_none(), "a refusal issued nothing");
    assert_eq!(entries[2]["client"], json!("service"), "the client from client_id");
    assert_eq!(entries[2]["params"]["client_secret"], json!("[masked]"));

    let failed: Value = json_of(http.get(admin_url(&idp, "/log?endpoint=Token&status=400")))
        .await
        .1;
    assert_eq!(failed["entries"].as_array().unwrap().len(), 1);
    let by_client = idp.admin().log(&mock_idp::LogFilter {
        client: Some("service".into()),
        ..Default::default()
    });
    assert_eq!(by_client.entries.len(), 1);
    let future = idp.admin().clock().state().now + 10;
    let none: Value = json_of(http.get(admin_url(&idp, &format!("/log?since={future}"))))
        .await
        .1;
    assert_eq!(none["entries"], json!([]));
    let (status, _) = problem(http.get(admin_url(&idp, "/log?status=abc")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = problem(http.get(admin_url(&idp, "/log?colour=red")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "unknown filters are refused");

    let cleared = http.delete(admin_url(&idp, "/log")).send().await.unwrap();
    assert_eq!(cleared.status(), StatusCode::NO_CONTENT);
    assert!(idp.admin().log(&Default::default()).entries.is_empty());
}

#[tokio::test]
async fn the_request_log_is_bounded() {
    let idp = MockIdp::builder().request_log_entries(3).start().await;
    let http = reqwest::Client::new();
    for _ in 0..5 {
        http.get(idp.endpoint(Endpoint::Jwks)).send().await.unwrap();
    }
    let listing = idp.admin().log(&Default::default());
    assert_eq!(listing.entries.iter().map(|e| e.id).collect::<Vec<_>>(), [3, 4, 5]);
    assert_eq!((listing.dropped, listing.capacity), (2, 3));
}

#[tokio::test]
async fn advancing_the_clock_expires_access_tokens_at_introspection_without_sleeping() {
    let idp = MockIdp::start().await;
    let http = reqwest::Client::new();
    let token: Value = password_grant(&idp, "alice", "alice-password", "openid")
        .await
        .json()
        .await
        .unwrap();
    let access = token["access_token"].as_str().unwrap().to_owned();
    let expires_in = token["expires_in"].as_u64().unwrap();
    let introspect = || {
        http.post(idp.endpoint(Endpoint::Introspect))
            .basic_auth("api", Some("api-secret"))
            .form(&[("token", access.as_str())])
            .send()
    };
    let active: Value = introspect().await.unwrap().json().await.unwrap();
    assert_eq!(active["active"], json!(true));
    http.post(admin_url(&idp, "/clock/advance"))
        .json(&json!({ "seconds": expires_in + 1 }))
        .send()
        .await
        .unwrap();
    let inactive: Value = introspect().await.unwrap().json().await.unwrap();
    assert_eq!(inactive["active"], json!(false), "{inactive}");
    let refreshed = http
        .post(idp.endpoint(Endpoint::Token))
        .basic_auth("web-app", Some("web-app-secret"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", token["refresh_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status(), StatusCode::OK, "the refresh token lives longer");
    idp.admin().clock().advance(1800);
    let expired = http
        .post(idp.endpoint(Endpoint::Token))
        .basic_auth("web-app", Some("web-app-secret"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", token["refresh_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        expired.status(),
        StatusCode::BAD_REQUEST,
        "advanced past the refresh token's lifetime"
    );
}

#[tokio::test]
async fn the_admin_api_lives_under_the_public_urls_path() {
    let idp = MockIdp::builder()
        .provider(Provider::Keycloak)
        .context_path("/auth")
        .start()
        .await;
    assert!(idp.uri().ends_with("/auth"));
    let http = reqwest::Client::new();
    let clock = http.get(admin_url(&idp, "/clock")).send().await.unwrap();
    assert_eq!(clock.status(), StatusCode::OK);
    let document: Value = json_of(http.get(admin_url(&idp, "/openapi.json"))).await.1;
    assert_eq!(document["servers"][0]["url"], json!(admin_url(&idp, "")));
    let outside = http
        .get(format!("http://{}/_mock/clock", idp.address()))
        .send()
        .await
        .unwrap();
    assert_eq!(outside.status(), StatusCode::NOT_FOUND);
}

/// Every admin operation with a request body, as the OpenAPI document lists them (so routes
/// added later are covered too), gets malformed bodies: always a 4xx problem, and nothing changes.
#[tokio::test]
async fn every_admin_operation_answers_malformed_bodies_with_4xx_problems_and_changes_nothing() {
    let idp = MockIdp::start().await;
    let http = reqwest::Client::new();
    let document: Value = json_of(http.get(admin_url(&idp, "/openapi.json"))).await.1;
    let users_before = idp.admin().users("demo").unwrap();
    let clients_before = idp.admin().clients("demo").unwrap();
    let clock_before = idp.admin().clock().state().offset_seconds;
    let bodies: [(&[u8], &str); 7] = [
        (b"{", "application/json"),
        (b"", "application/json"),
        (b"\"text\"", "application/json"),
        (b"123", "application/json"),
        (br#"{"zzz_unknown_field": 1}"#, "application/json"),
        (b"{}", "text/plain"),
        (&[b'['; 70 * 1024], "application/json"),
    ];
    let mut checked = 0;
    for (path, operations) in document["paths"].as_object().unwrap() {
        let concrete = path
            .replace("{realm}", "demo")
            .replace("{username}", "alice")
            .replace("{client_id}", "web-app");
        for (method, operation) in operations.as_object().unwrap() {
            if operation.get("requestBody").is_none() {
                continue;
            }
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            for (body, content_type) in &bodies {
                let response = http
                    .request(method.clone(), admin_url(&idp, &concrete))
                    .header("content-type", *content_type)
                    .body(body.to_vec())
                    .send()
                    .await
                    .unwrap();
                let status = response.status();
                assert!(status.is_client_error(), "{method} {concrete} {content_type}: {status}");
                problem(response).await;
                checked += 1;
            }
        }
    }
    assert!(
        checked >= 7 * 7,
        "only {checked} requests: the document lost its request bodies?"
    );
    assert_eq!(idp.admin().users("demo").unwrap(), users_before);
    assert_eq!(idp.admin().clients("demo").unwrap(), clients_before);
    assert_eq!(idp.admin().clock().state().offset_seconds, clock_before);
}
