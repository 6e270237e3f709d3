//! `private_key_jwt` with the client's keys at its `jwks_uri` (Keycloak's "Use JWKS URL"),
//! from the client's side: the client serves its JWK set on loopback, rotates it, breaks it.

use crate::support::{admin_url, json_of};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair as _};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mock_idp::{Endpoint, ManualClock, MockIdp, Provider};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const NOW: u64 = 1_800_000_000;
/// Keycloak 26.7.3's answer when no key of the client fits the assertion (a real run;
/// docs/providers.md, "Client assertions").
const KEYCLOAK_NO_KEY: (u16, Option<&str>, Option<&str>) =
    (400, Some("invalid_client"), Some("Unable to load public key"));

/// What the client's key endpoint answers, and how often it was asked.
#[derive(Default)]
struct ClientKeys {
    answer: Mutex<(u16, String)>,
    fetches: AtomicUsize,
}

impl ClientKeys {
    fn serve(&self, status: u16, body: impl Into<String>) {
        *self.answer.lock().unwrap() = (status, body.into());
    }
    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

async fn jwks_endpoint(State(keys): State<Arc<ClientKeys>>) -> Response {
    keys.fetches.fetch_add(1, Ordering::SeqCst);
    let (status, body) = keys.answer.lock().unwrap().clone();
    (
        StatusCode::from_u16(status).unwrap(),
        [("content-type", "application/json")],
        body,
    )
        .into_response()
}

/// The client's own server on loopback; its `/jwks` URL.
async fn client_server() -> (Arc<ClientKeys>, String) {
    let keys = Arc::new(ClientKeys::default());
    let app = axum::Router::new()
        .route("/jwks", axum::routing::get(jwks_endpoint))
        .with_state(Arc::clone(&keys));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (keys, url)
}

fn key() -> Ed25519KeyPair {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap()
}

fn jwks(key: &Ed25519KeyPair, kid: &str) -> String {
    json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": kid, "use": "sig", "alg": "EdDSA",
        "x": URL_SAFE_NO_PAD.encode(key.public_key().as_ref())}]})
    .to_string()
}

fn assertion(key: &Ed25519KeyPair, kid: &str, client_id: &str, aud: &str, jti: &str) -> String {
    let claims = json!({"iss": client_id, "sub": client_id, "aud": aud, "jti": jti, "iat": NOW, "exp": NOW + 60});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(json!({"alg": "EdDSA", "kid": kid, "typ": "JWT"}).to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = key.sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
}

async fn token(idp: &MockIdp, jwt: &str) -> (u16, Value) {
    let request = reqwest::Client::new().post(idp.endpoint(Endpoint::Token)).form(&[
        ("grant_type", "client_credentials"),
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", jwt),
    ]);
    let (status, body) = json_of(request).await;
    (status.as_u16(), body)
}

async fn create_client(idp: &MockIdp, realm: &str, body: Value) -> (u16, Value) {
    let url = admin_url(idp, &format!("/realms/{realm}/clients"));
    let (status, body) = json_of(reqwest::Client::new().post(url).json(&body)).await;
    (status.as_u16(), body)
}

fn signer(id: &str, jwks_uri: &str) -> Value {
    json!({"client_id": id, "kind": "confidential", "secret": format!("{id}-secret"),
        "grant_types": ["client_credentials"], "jwks_uri": jwks_uri})
}

async fn keycloak() -> MockIdp {
    MockIdp::builder()
        .provider(Provider::Keycloak)
        .clock(ManualClock::at(NOW))
        .start()
        .await
}

#[tokio::test]
async fn keys_at_the_client_s_url_authenticate_are_cached_and_refetched_after_its_rotation() {
    let idp = keycloak().await;
    let realm = idp.world().default_realm.clone();
    let aud = idp.endpoint(Endpoint::Token);
    let (keys, url) = client_server().await;
    let (first, second) = (key(), key());
    keys.serve(200, jwks(&first, "k1"));
    let (status, body) = create_client(&idp, &realm, signer("signer", &url)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["jwks_uri"], json!(url));
    assert_eq!(keys.fetches(), 0, "keys are fetched when an assertion needs them");

    let (status, body) = token(&idp, &assertion(&first, "k1", "signer", &aud, "a1")).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = token(&idp, &assertion(&first, "k1", "signer", &aud, "a2")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(keys.fetches(), 1, "the second assertion used the cached set");

    // The client rotates. Within 10 s of the last fetch an unknown kid is refused without asking
    // the client's URL again (Keycloak's minimum time between requests), so assertions naming
    // made-up keys cannot make the mock hammer it.
    keys.serve(200, jwks(&second, "k2"));
    for jti in ["a3", "a3b", "a3c"] {
        let (status, body) = token(&idp, &assertion(&second, "k2", "signer", &aud, jti)).await;
        assert_eq!(
            (status, body["error"].as_str(), body["error_description"].as_str()),
            KEYCLOAK_NO_KEY,
            "{body}"
        );
    }
    assert_eq!(keys.fetches(), 1, "no refetch within 10 s");
    // After it, the unknown kid makes the mock fetch the set again, once.
    idp.clock().advance(10);
    let (status, body) = token(&idp, &assertion(&second, "k2", "signer", &aud, "a3d")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(keys.fetches(), 2);
    // The retired key no longer authenticates.
    let (status, body) = token(&idp, &assertion(&first, "k1", "signer", &aud, "a4")).await;
    assert_eq!(
        (status, body["error"].as_str(), body["error_description"].as_str()),
        KEYCLOAK_NO_KEY,
        "{body}"
    );
    // A bad signature with the current kid is refused too (and its jti is not used up).
    let forged = assertion(&first, "k2", "signer", &aud, "a5");
    let (status, body) = token(&idp, &forged).await;
    assert_eq!(
        (status, body["error_description"].as_str()),
        (
            400,
            Some("Client authentication with signed JWT failed: Signature on JWT token failed validation")
        ),
        "{body}"
    );
    let (status, body) = token(&idp, &assertion(&second, "k2", "signer", &aud, "a5")).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_broken_key_url_refuses_the_client_and_never_a_server_error() {
    let idp = keycloak().await;
    let realm = idp.world().default_realm.clone();
    let aud = idp.endpoint(Endpoint::Token);
    let client_key = key();
    let mut private = serde_json::from_str::<Value>(&jwks(&client_key, "k1")).unwrap();
    private["keys"][0]["d"] = json!("c2VjcmV0");
    let cases: [(&str, u16, String); 5] = [
        ("down", 503, jwks(&client_key, "k1")),
        ("not-json", 200, "<html>".to_owned()),
        ("empty", 200, json!({"keys": []}).to_string()),
        ("private", 200, private.to_string()),
        (
            "huge",
            200,
            format!("{{\"keys\":[],\"pad\":\"{}\"}}", "x".repeat(100 * 1024)),
        ),
    ];
    for (name, status, body) in cases {
        let (keys, url) = client_server().await;
        keys.serve(status, body);
        let id = format!("broken-{name}");
        let (created, problem) = create_client(&idp, &realm, signer(&id, &url)).await;
        assert_eq!(created, 201, "{problem}");
        let (status, body) = token(&idp, &assertion(&client_key, "k1", &id, &aud, name)).await;
        assert_eq!(
            (status, body["error"].as_str(), body["error_description"].as_str()),
            KEYCLOAK_NO_KEY,
            "{name}: {body}"
        );
        assert_eq!(keys.fetches(), 1, "{name}");
    }
    // Nobody listening.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/jwks", closed.local_addr().unwrap());
    drop(closed);
    create_client(&idp, &realm, signer("nobody", &url)).await;
    let (status, body) = token(&idp, &assertion(&client_key, "k1", "nobody", &aud, "n1")).await;
    assert_eq!(
        (status, body["error"].as_str(), body["error_description"].as_str()),
        KEYCLOAK_NO_KEY,
        "{body}"
    );
}

#[tokio::test]
async fn only_loopback_urls_and_not_with_registered_keys() {
    let idp = keycloak().await;
    let realm = idp.world().default_realm.clone();
    let (status, problem) = create_client(&idp, &realm, signer("remote", "https://keys.example.com/jwks")).await;
    assert_eq!(status, 422, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("loopback"), "{problem}");
    let mut both = signer("both", "http://127.0.0.1:9/jwks");
    both["jwks"] = serde_json::from_str(&jwks(&key(), "k1")).unwrap();
    let (status, problem) = create_client(&idp, &realm, both).await;
    assert_eq!(status, 422, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("not both"), "{problem}");
}

#[tokio::test]
async fn zitadel_does_not_read_a_client_s_key_url() {
    let idp = MockIdp::builder()
        .provider(Provider::Zitadel)
        .clock(ManualClock::at(NOW))
        .start()
        .await;
    let realm = idp.world().default_realm.clone();
    let aud = idp.endpoint(Endpoint::Token);
    let (keys, url) = client_server().await;
    let client_key = key();
    keys.serve(200, jwks(&client_key, "k1"));
    let (status, body) = create_client(&idp, &realm, signer("signer", &url)).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = token(&idp, &assertion(&client_key, "k1", "signer", &aud, "z1")).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(keys.fetches(), 0, "ZITADEL never asked the client's URL");
}
