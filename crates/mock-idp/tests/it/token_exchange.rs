//! Token exchange (RFC 8693) in the Keycloak flavor, over HTTP: Keycloak's standard token
//! exchange v2 rules and texts (providers::exchange), one test per rule, and the grant absent
//! from the flavors that do not imitate it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mock_idp::{Endpoint, ManualClock, MockIdp, Provider, World};
use serde_json::{Value, json};

const GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS: &str = "urn:ietf:params:oauth:token-type:access_token";
const NOW: u64 = 1_800_000_000;

/// The default World plus: `backend` (confidential, may exchange, in `aud` of tokens with
/// `read:messages`), `gateway` (confidential, may exchange, in no token's `aud`),
/// `public-exchanger` (public, may exchange) and `self-exchanger` (may exchange its own tokens).
const EXTRA_CLIENTS: &str = r#"
[realms.demo.clients.backend]
kind = "confidential"
secret = "backend-secret"
grant_types = ["token_exchange"]
audience_scopes = ["read:messages"]

[realms.demo.clients.gateway]
kind = "confidential"
secret = "gateway-secret"
grant_types = ["token_exchange"]

[realms.demo.clients.public-exchanger]
kind = "public"
redirect_uris = ["http://127.0.0.1:9/cb"]
grant_types = ["token_exchange"]

[realms.demo.clients.self-exchanger]
kind = "confidential"
secret = "self-secret"
grant_types = ["password", "token_exchange"]
"#;

fn world() -> World {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/world.toml")).unwrap();
    let realm_start = text.find("[realms.demo.users.alice]").unwrap();
    let text = format!("{}{EXTRA_CLIENTS}\n{}", &text[..realm_start], &text[realm_start..]);
    World::from_toml_str(&text, "test").unwrap()
}

async fn start(provider: Provider) -> MockIdp {
    MockIdp::builder()
        .provider(provider)
        .world(world())
        .clock(ManualClock::at(NOW))
        .start()
        .await
}

async fn post(idp: &MockIdp, form: &[(&str, &str)]) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(idp.endpoint(Endpoint::Token))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Alice's access token from `client_id` by the password grant, with `scope`.
async fn alice_token(idp: &MockIdp, client_id: &str, secret: &str, scope: &str) -> String {
    let (status, body) = post(
        idp,
        &[
            ("grant_type", "password"),
            ("client_id", client_id),
            ("client_secret", secret),
            ("username", "alice"),
            ("password", "alice-password"),
            ("scope", scope),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

async fn exchange(idp: &MockIdp, client: (&str, &str), extra: &[(&str, &str)]) -> (u16, Value) {
    let mut form = vec![("grant_type", GRANT), ("client_id", client.0)];
    if !client.1.is_empty() {
        form.push(("client_secret", client.1));
    }
    form.extend_from_slice(extra);
    post(idp, &form).await
}

fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn refused(status: u16, body: &Value, want_status: u16, error: &str, description: &str) {
    assert_eq!(
        (status, body.clone()),
        (want_status, json!({"error": error, "error_description": description}))
    );
}

const BACKEND: (&str, &str) = ("backend", "backend-secret");

#[tokio::test]
async fn keycloak_exchanges_a_token_for_a_client_in_its_audience() {
    let idp = start(Provider::Keycloak).await;
    let subject = alice_token(&idp, "web-app", "web-app-secret", "openid read:messages").await;
    let subject_claims = claims(&subject);
    assert!(subject_claims["aud"].as_array().unwrap().contains(&json!("backend")));
    let (status, body) = exchange(
        &idp,
        BACKEND,
        &[("subject_token", &subject), ("subject_token_type", ACCESS)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["issued_token_type"], ACCESS);
    assert_eq!(body["token_type"], "Bearer");
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert!(body.get("id_token").is_none(), "no openid in scope: {body}");
    let exchanged = claims(body["access_token"].as_str().unwrap());
    assert_eq!(exchanged["azp"], "backend");
    assert_eq!(exchanged["sub"], subject_claims["sub"]);
    assert_eq!(exchanged["sid"], subject_claims["sid"]);
    assert_eq!(exchanged["auth_time"], subject_claims["auth_time"]);
    assert!(exchanged["jti"].as_str().unwrap().starts_with("onrtte:"), "{exchanged}");
    assert!(
        exchanged.get("act").is_none(),
        "Keycloak's v2 exchange adds no act: {exchanged}"
    );
    assert_ne!(exchanged["jti"], subject_claims["jti"]);
}

#[tokio::test]
async fn keycloak_restricts_aud_to_the_requested_audience() {
    let idp = start(Provider::Keycloak).await;
    let subject = alice_token(&idp, "web-app", "web-app-secret", "openid read:messages").await;
    let (status, body) = exchange(
        &idp,
        BACKEND,
        &[
            ("subject_token", &subject),
            ("subject_token_type", ACCESS),
            ("audience", "api"),
            ("scope", "openid read:messages"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(claims(body["access_token"].as_str().unwrap())["aud"], "api");
    // scope with openid: an ID token too (StandardTokenExchangeProvider, isOIDCRequest).
    assert_eq!(claims(body["id_token"].as_str().unwrap())["aud"], "backend");
}

#[tokio::test]
async fn keycloak_refuses_an_audience_the_token_would_not_have() {
    let idp = start(Provider::Keycloak).await;
    let subject = alice_token(&idp, "web-app", "web-app-secret", "openid read:messages").await;
    let form = [("subject_token", subject.as_str()), ("subject_token_type", ACCESS)];
    let (status, body) = exchange(&idp, BACKEND, &[form[0], form[1], ("audience", "spa")]).await;
    refused(
        status,
        &body,
        400,
        "invalid_request",
        "Requested audience not available: spa",
    );
    let (status, body) = exchange(&idp, BACKEND, &[form[0], form[1], ("audience", "no-such-client")]).await;
    refused(status, &body, 400, "invalid_client", "Audience not found");
}

#[tokio::test]
async fn keycloak_refuses_a_client_outside_the_subject_tokens_audience() {
    let idp = start(Provider::Keycloak).await;
    let subject = alice_token(&idp, "web-app", "web-app-secret", "openid").await;
    let (status, body) = exchange(
        &idp,
        ("gateway", "gateway-secret"),
        &[("subject_token", &subject), ("subject_token_type", ACCESS)],
    )
    .await;
    refused(
        status,
        &body,
        403,
        "access_denied",
        "Client is not within the token audience",
    );
}

#[tokio::test]
async fn keycloak_lets_the_holder_exchange_its_own_token() {
    let idp = start(Provider::Keycloak).await;
    let subject = alice_token(&idp, "self-exchanger", "self-secret", "openid").await;
    assert!(
        !claims(&subject)["aud"]
            .as_array()
            .unwrap()
            .contains(&json!("self-exchanger"))
    );
    let (status, body) = exchange(
        &idp,
        ("self-exchanger", "self-secret"),
        &[("subject_token", &subject), ("subject_token_type", ACCESS)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn keycloak_refuses_clients_not_enabled_and_public_clients() {
    let idp = start(Provider::Keycloak).await;
    let subject = alice_token(&idp, "web-app", "web-app-secret", "openid read:messages").await;
    let form = [("subject_token", subject.as_str()), ("subject_token_type", ACCESS)];
    let (status, body) = exchange(&idp, ("web-app", "web-app-secret"), &form).await;
    refused(
        status,
        &body,
        400,
        "invalid_request",
        "Standard token exchange is not enabled for the requested client",
    );
    let (status, body) = exchange(&idp, ("public-exchanger", ""), &form).await;
    refused(
        status,
        &body,
        400,
        "invalid_client",
        "Public client is not allowed to exchange token",
    );
}

#[tokio::test]
async fn keycloak_refuses_bad_subject_tokens() {
    let idp = start(Provider::Keycloak).await;
    let subject = alice_token(&idp, "web-app", "web-app-secret", "openid read:messages").await;
    let (status, body) = exchange(&idp, BACKEND, &[("subject_token_type", ACCESS)]).await;
    refused(
        status,
        &body,
        400,
        "invalid_request",
        "Parameter 'subject_token' required for standard token exchange",
    );
    let (status, body) = exchange(&idp, BACKEND, &[("subject_token", &subject)]).await;
    refused(
        status,
        &body,
        400,
        "invalid_request",
        "Parameter 'subject_token_type' required for standard token exchange",
    );
    let (status, body) = exchange(
        &idp,
        BACKEND,
        &[
            ("subject_token", &subject),
            ("subject_token_type", "urn:ietf:params:oauth:token-type:id_token"),
        ],
    )
    .await;
    refused(
        status,
        &body,
        400,
        "invalid_request",
        "Parameter 'subject_token' supports access tokens only",
    );
    // A forged signature.
    let mut forged = subject.clone();
    forged.truncate(forged.len() - 4);
    forged.push_str("AAAA");
    let (status, body) = exchange(
        &idp,
        BACKEND,
        &[("subject_token", &forged), ("subject_token_type", ACCESS)],
    )
    .await;
    refused(status, &body, 400, "invalid_request", "Invalid token");
}

#[tokio::test]
async fn keycloak_refuses_an_expired_subject_token() {
    let clock = ManualClock::at(NOW);
    let idp = MockIdp::builder()
        .provider(Provider::Keycloak)
        .world(world())
        .clock(clock.clone())
        .start()
        .await;
    let subject = alice_token(&idp, "web-app", "web-app-secret", "openid read:messages").await;
    clock.advance(301);
    let (status, body) = exchange(
        &idp,
        BACKEND,
        &[("subject_token", &subject), ("subject_token_type", ACCESS)],
    )
    .await;
    refused(status, &body, 400, "invalid_request", "Invalid token");
}

#[tokio::test]
async fn keycloak_refuses_impersonation_federation_bad_types_and_scopes() {
    let idp = start(Provider::Keycloak).await;
    let subject = alice_token(&idp, "web-app", "web-app-secret", "openid read:messages").await;
    let base = [("subject_token", subject.as_str()), ("subject_token_type", ACCESS)];
    for name in ["requested_subject", "requested_issuer", "subject_issuer"] {
        let (status, body) = exchange(&idp, BACKEND, &[base[0], base[1], (name, "x")]).await;
        let text = format!("Parameter '{name}' is not supported for standard token exchange");
        refused(status, &body, 400, "invalid_request", &text);
    }
    for wanted in [
        "urn:ietf:params:oauth:token-type:refresh_token",
        "urn:ietf:params:oauth:token-type:saml2",
        "urn:example:other",
    ] {
        let (status, body) = exchange(&idp, BACKEND, &[base[0], base[1], ("requested_token_type", wanted)]).await;
        refused(
            status,
            &body,
            400,
            "invalid_request",
            "requested_token_type unsupported",
        );
    }
    let (status, body) = exchange(&idp, BACKEND, &[base[0], base[1], ("scope", "openid nope")]).await;
    refused(status, &body, 400, "invalid_scope", "Invalid scopes: openid nope");
}

#[tokio::test]
async fn keycloak_issues_an_id_token_as_requested_token_type() {
    let idp = start(Provider::Keycloak).await;
    let subject = alice_token(&idp, "web-app", "web-app-secret", "openid read:messages").await;
    let (status, body) = exchange(
        &idp,
        BACKEND,
        &[
            ("subject_token", &subject),
            ("subject_token_type", ACCESS),
            ("requested_token_type", "urn:ietf:params:oauth:token-type:id_token"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "N_A");
    assert_eq!(body["issued_token_type"], "urn:ietf:params:oauth:token-type:id_token");
    assert!(body.get("id_token").is_none());
    let token = claims(body["access_token"].as_str().unwrap());
    assert_eq!(token["typ"], "ID");
    assert_eq!(token["aud"], "backend");
}

#[tokio::test]
async fn keycloak_zitadel_and_wso2_advertise_the_grant_and_the_others_do_not() {
    for (provider, offered) in [
        (Provider::Keycloak, true),
        (Provider::Generic, false),
        // This World's `backend` may exchange: ZITADEL's instance has the feature on.
        (Provider::Zitadel, true),
        // On by default in WSO2 IS 7 (token_exchange_wso2.rs).
        (Provider::Wso2, true),
        (Provider::AppId, false),
    ] {
        let idp = start(provider).await;
        let doc: Value = reqwest::get(idp.endpoint(Endpoint::Discovery))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let grants = doc["grant_types_supported"].as_array().unwrap();
        assert_eq!(grants.contains(&json!(GRANT)), offered, "{provider}: {grants:?}");
        if !offered {
            // Answered as the flavor answers any grant it does not know.
            let form = [("subject_token", "x"), ("subject_token_type", ACCESS)];
            let (status, body) = exchange(&idp, BACKEND, &form).await;
            let unknown = [("grant_type", "urn:example:unknown"), ("client_id", "backend")];
            let (unknown_status, unknown_body) =
                post(&idp, &[unknown[0], unknown[1], ("client_secret", "backend-secret")]).await;
            assert_eq!(status, 400, "{provider}: {body}");
            assert_eq!(body["error"], unknown_body["error"], "{provider}: {body}");
            assert_eq!(status, unknown_status, "{provider}");
        }
    }
}

/// A subject token from a browser login (the code flow) records the login's `auth_time`; the
/// exchanged token keeps it, as a real Keycloak 26.7.3 does (`idp-conformance diff` found it).
#[tokio::test]
async fn an_exchanged_token_keeps_the_subject_s_auth_time() {
    let idp = MockIdp::builder()
        .provider(Provider::Keycloak)
        .world(world())
        .clock(ManualClock::at(NOW))
        .auto_approve(true)
        .start()
        .await;
    let authorize = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(idp.endpoint(Endpoint::Authorize))
        .query(&[
            ("client_id", "web-app"),
            ("redirect_uri", "http://127.0.0.1:5000/callback"),
            ("response_type", "code"),
            ("scope", "openid read:messages"),
            ("login_hint", "alice"),
        ])
        .send()
        .await
        .unwrap();
    let location = reqwest::Url::parse(authorize.headers()["location"].to_str().unwrap()).unwrap();
    let code = location
        .query_pairs()
        .find(|(name, _)| name == "code")
        .unwrap()
        .1
        .into_owned();
    let (status, body) = post(
        &idp,
        &[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", "http://127.0.0.1:5000/callback"),
            ("client_id", "web-app"),
            ("client_secret", "web-app-secret"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let subject = body["access_token"].as_str().unwrap().to_owned();
    let subject_claims = claims(&subject);
    assert!(subject_claims["auth_time"].is_u64(), "{subject_claims}");
    assert!(
        subject_claims["aud"].as_array().unwrap().contains(&json!("backend")),
        "{subject_claims}"
    );
    let (status, body) = exchange(
        &idp,
        BACKEND,
        &[("subject_token", &subject), ("subject_token_type", ACCESS)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let exchanged = claims(body["access_token"].as_str().unwrap());
    assert_eq!(exchanged["auth_time"], subject_claims["auth_time"]);
}
