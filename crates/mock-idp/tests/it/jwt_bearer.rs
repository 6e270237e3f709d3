//! The JWT bearer grant (RFC 7523 §2.1) in the ZITADEL flavor, as ZITADEL's JWT profile for
//! service users: an assertion signed with the key of a key file, over HTTP, one test per rule,
//! a real-concurrency replay test, and the grant absent elsewhere.

use crate::support::EcKey;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mock_idp::{Endpoint, ManualClock, MockIdp, Provider, World};
use serde_json::{Value, json};
use std::sync::Arc;

const GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const NOW: u64 = 1_800_000_000;

/// A service user's key pair, registered (public half) on the World's `service` client.
struct Key(EcKey);

impl Key {
    fn new() -> Key {
        Key(EcKey::new())
    }

    fn jwks(&self) -> Value {
        let mut jwk = self.0.public_jwk();
        jwk["kid"] = json!("key-1");
        jwk["use"] = json!("sig");
        json!({ "keys": [jwk] })
    }

    fn sign(&self, header: Value, claims: Value) -> String {
        self.0.sign(&header, &claims)
    }
}

async fn start(provider: Provider, key: &Key) -> MockIdp {
    let header = "[realms.demo.clients.service]\n";
    let jwks = key.jwks();
    let text = providers::world::DEFAULT_WORLD_TOML.replacen(header, &format!("{header}jwks = '{jwks}'\n"), 1);
    MockIdp::builder()
        .provider(provider)
        .world(World::from_toml_str(&text, "jwt-bearer.toml").unwrap())
        .clock(ManualClock::at(NOW))
        .start()
        .await
}

fn user_id() -> String {
    providers::zitadel::pat::machine_user_id("service")
}

fn claims(idp: &MockIdp, extra: Value) -> Value {
    let mut claims = json!({"iss": user_id(), "sub": user_id(), "aud": [idp.issuer()], "iat": NOW, "exp": NOW + 3600});
    for (name, value) in extra.as_object().unwrap() {
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(name);
        } else {
            claims[name] = value.clone();
        }
    }
    claims
}

async fn grant(idp: &MockIdp, assertion: &str, scope: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(idp.endpoint(Endpoint::Token))
        .form(&[("grant_type", GRANT), ("assertion", assertion), ("scope", scope)])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn header() -> Value {
    json!({"alg": "ES256", "kid": "key-1"})
}

#[tokio::test]
async fn zitadel_issues_the_service_users_token_for_a_signed_assertion() {
    let key = Key::new();
    let idp = start(Provider::Zitadel, &key).await;
    let assertion = key.sign(header(), claims(&idp, json!({})));
    let (status, body) = grant(&idp, &assertion, "openid profile").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    let token = body["access_token"].as_str().unwrap();
    // The token is live and the service user's: introspection by the introspecting client.
    let response = reqwest::Client::new()
        .post(idp.endpoint(Endpoint::Introspect))
        .basic_auth("api", Some("api-secret"))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    let introspected: Value = response.json().await.unwrap();
    assert_eq!(introspected["active"], true, "{introspected}");
    assert_eq!(introspected["sub"], user_id(), "{introspected}");
    // Without a jti the same assertion works again (ZITADEL's SDKs send none).
    let (status, _) = grant(&idp, &assertion, "openid").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn zitadel_refuses_every_broken_assertion() {
    let key = Key::new();
    let other = Key::new();
    let idp = start(Provider::Zitadel, &key).await;
    let cases: Vec<(&str, String)> = vec![
        (
            "wrong audience",
            key.sign(header(), claims(&idp, json!({"aud": "https://elsewhere.example"}))),
        ),
        (
            "expired",
            key.sign(header(), claims(&idp, json!({"iat": NOW - 100, "exp": NOW - 10}))),
        ),
        ("no exp", key.sign(header(), claims(&idp, json!({"exp": null})))),
        (
            "iat too old",
            key.sign(header(), claims(&idp, json!({"iat": NOW - 3601}))),
        ),
        (
            "iat in the future",
            key.sign(header(), claims(&idp, json!({"iat": NOW + 60}))),
        ),
        (
            "sub differs",
            key.sign(header(), claims(&idp, json!({"sub": "someone-else"}))),
        ),
        (
            "unknown user",
            key.sign(header(), claims(&idp, json!({"iss": "123", "sub": "123"}))),
        ),
        (
            "unknown key",
            key.sign(json!({"alg": "ES256", "kid": "nope"}), claims(&idp, json!({}))),
        ),
        ("bad signature", other.sign(header(), claims(&idp, json!({})))),
        ("alg none", {
            let signed = key.sign(header(), claims(&idp, json!({})));
            let mut parts: Vec<&str> = signed.split('.').collect();
            let none = URL_SAFE_NO_PAD.encode(json!({"alg": "none", "kid": "key-1"}).to_string());
            parts[0] = &none;
            format!("{}.{}.", parts[0], parts[1])
        }),
        ("not a JWT", "not-a-jwt".to_owned()),
    ];
    for (case, assertion) in cases {
        let (status, body) = grant(&idp, &assertion, "openid").await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant")),
            "{case}: {body}"
        );
    }
    let good = key.sign(header(), claims(&idp, json!({})));
    let (status, body) = grant(&idp, &good, "profile").await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_scope")), "{body}");
}

#[tokio::test]
async fn a_replayed_jti_is_refused_even_under_concurrency() {
    let key = Key::new();
    let idp = Arc::new(start(Provider::Zitadel, &key).await);
    for round in 0..20 {
        let assertion = Arc::new(key.sign(header(), claims(&idp, json!({"jti": format!("jti-{round}")}))));
        let barrier = Arc::new(tokio::sync::Barrier::new(8));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (idp, assertion, barrier) = (idp.clone(), assertion.clone(), barrier.clone());
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                grant(&idp, &assertion, "openid").await.0
            }));
        }
        let mut statuses = Vec::new();
        for task in tasks {
            statuses.push(task.await.unwrap());
        }
        assert_eq!(
            statuses.iter().filter(|&&s| s == 200).count(),
            1,
            "round {round}: {statuses:?}"
        );
        assert!(statuses.iter().all(|&s| s == 200 || s == 400), "{statuses:?}");
    }
}

#[tokio::test]
async fn zitadel_wso2_and_app_id_advertise_the_grant_and_only_zitadel_serves_machine_keys() {
    let key = Key::new();
    for (provider, offered) in [
        (Provider::Zitadel, true),
        (Provider::Keycloak, false),
        (Provider::Generic, false),
        // WSO2's grant takes trusted identity providers' assertions (wso2_jwt_bearer.rs), not
        // a machine user's own key: the assertion below is refused there too.
        (Provider::Wso2, true),
        // App ID's is its custom identity (appid_custom_identity.rs): the same assertion is refused.
        (Provider::AppId, true),
    ] {
        let idp = start(provider, &key).await;
        let doc: Value = reqwest::get(idp.endpoint(Endpoint::Discovery))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let grants = doc["grant_types_supported"].as_array().unwrap();
        assert_eq!(grants.contains(&json!(GRANT)), offered, "{provider}: {grants:?}");
        if provider != Provider::Zitadel {
            let assertion = key.sign(header(), claims(&idp, json!({})));
            let (status, body) = grant(&idp, &assertion, "openid").await;
            assert_ne!(status, 200, "{provider}: {body}");
        }
    }
}
