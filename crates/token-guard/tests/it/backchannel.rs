//! Back-channel logout end to end: the mock (Keycloak, ZITADEL and WSO2 flavors) POSTs a logout
//! token to the client's registered loopback URI when its session ends at the end_session
//! endpoint, and token-guard's `LogoutTokenValidator` accepts it once.

use crate::support::*;
use axum::Router;
use axum::extract::State;
use axum::routing::post;
use mock_idp::{Endpoint, MockIdp, Provider, World};
use serde_json::Value;
use std::time::Duration;
use token_guard::{Alg, InvalidLogoutToken, Validator};
use tokio::sync::mpsc;

const REDIRECT: &str = "http://127.0.0.1:5000/callback";

/// A relying party's back-channel endpoint on loopback that forwards each `logout_token`.
async fn receiver() -> (String, mpsc::Receiver<String>) {
    let (sender, received) = mpsc::channel(16);
    let app = Router::new()
        .route(
            "/backchannel",
            post(|State(sender): State<mpsc::Sender<String>>, body: String| async move {
                let token = url::form_urlencoded::parse(body.as_bytes())
                    .find(|(name, _)| name == "logout_token")
                    .map(|(_, value)| value.into_owned())
                    .unwrap_or_default();
                let _ = sender.send(token).await;
                "ok"
            }),
        )
        .with_state(sender);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}/backchannel"), received)
}

/// What a scripted receiver shares: where it forwards tokens, and the statuses left to answer.
type Script = (
    mpsc::Sender<(String, u16)>,
    std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<u16>>>,
);

/// A back-channel endpoint that answers the statuses of `script` in turn (then 204) and
/// forwards each `logout_token` with the status it got.
async fn scripted_receiver(script: Vec<u16>) -> (String, mpsc::Receiver<(String, u16)>) {
    use std::sync::{Arc, Mutex};
    let (sender, received) = mpsc::channel(16);
    let script = Arc::new(Mutex::new(std::collections::VecDeque::from(script)));
    let app = Router::new()
        .route(
            "/backchannel",
            post(|State((sender, script)): State<Script>, body: String| async move {
                let status = script.lock().unwrap().pop_front().unwrap_or(204);
                let token = url::form_urlencoded::parse(body.as_bytes())
                    .find(|(name, _)| name == "logout_token")
                    .map(|(_, value)| value.into_owned())
                    .unwrap_or_default();
                let _ = sender.send((token, status)).await;
                axum::http::StatusCode::from_u16(status).unwrap()
            }),
        )
        .with_state((sender, script));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}/backchannel"), received)
}

async fn mock_with_backchannel(uri: &str, clocks: &Clocks) -> MockIdp {
    mock_of(Provider::Keycloak, uri, clocks).await
}

async fn mock_of(provider: Provider, uri: &str, clocks: &Clocks) -> MockIdp {
    let header = "[realms.demo.clients.web-app]\n";
    let toml = providers::world::DEFAULT_WORLD_TOML.replacen(
        header,
        &format!("{header}backchannel_logout_uri = '{uri}'\n"),
        1,
    );
    MockIdp::builder()
        .provider(provider)
        .world(World::from_toml_str(&toml, "backchannel.toml").unwrap())
        .clock(clocks.mock.clone())
        .auto_approve(true)
        .start()
        .await
}

/// token-guard for `idp`'s tokens as `provider` issues them, on the test's clock.
fn validator_for(idp: &MockIdp, provider: Provider, clocks: &Clocks) -> Validator {
    Validator::builder(idp.issuer(), "api", [Alg::RS256])
        .provider(provider)
        .clock(clocks.guard.clone())
        .jwks_config(test_jwks_config())
        .build()
        .unwrap()
}

/// Logs alice in to `web-app` through the authorization endpoint; returns the ID token.
async fn log_in(idp: &MockIdp) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = http
        .get(idp.endpoint(Endpoint::Authorize))
        .query(&[
            ("client_id", "web-app"),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", "openid"),
            ("login_hint", "alice"),
        ])
        .send()
        .await
        .unwrap();
    let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    let code = location
        .query_pairs()
        .find(|(name, _)| name == "code")
        .unwrap()
        .1
        .into_owned();
    let tokens: Value = http
        .post(idp.endpoint(Endpoint::Token))
        .basic_auth("web-app", Some("web-app-secret"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    tokens["id_token"].as_str().unwrap().to_owned()
}

async fn end_session(idp: &MockIdp, id_token: &str) -> u16 {
    reqwest::Client::new()
        .get(idp.endpoint(Endpoint::EndSession))
        .query(&[("id_token_hint", id_token)])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn end_session_posts_a_logout_token_the_relying_party_accepts_once() {
    let clocks = Clocks::new();
    let (uri, mut received) = receiver().await;
    let idp = mock_with_backchannel(&uri, &clocks).await;
    let id_token = log_in(&idp).await;
    let id_claims = segment(&id_token, 1);
    assert_eq!(end_session(&idp, &id_token).await, 200);

    let token = tokio::time::timeout(Duration::from_secs(10), received.recv())
        .await
        .expect("a logout token within 10 s")
        .unwrap();
    assert_eq!(segment(&token, 0)["typ"], "logout+jwt");
    let claims = segment(&token, 1);
    assert_eq!(claims["typ"], "Logout");
    assert!(claims.get("nonce").is_none());

    let validator = validator_for(&idp, Provider::Keycloak, &clocks);
    let logout = validator.logout_tokens("web-app");
    let request = logout.validate(&token).await.unwrap();
    assert_eq!(
        request.subject.as_ref(),
        id_claims["sub"].as_str().map(str::to_owned).as_ref()
    );
    assert_eq!(
        request.session_id.as_ref(),
        id_claims["sid"].as_str().map(str::to_owned).as_ref()
    );
    assert!(matches!(
        logout.validate(&token).await,
        Err(InvalidLogoutToken::Replayed)
    ));
    // Another client's validator refuses it (aud).
    assert!(validator.logout_tokens("spa").validate(&token).await.is_err());

    // The session is gone: ending it again sends nothing more.
    assert_eq!(end_session(&idp, &id_token).await, 200);
    let again = tokio::time::timeout(Duration::from_millis(300), received.recv()).await;
    assert!(again.is_err(), "no second logout token");
}

#[tokio::test]
async fn an_admin_logout_ends_every_session_of_the_user_and_notifies_its_clients() {
    let clocks = Clocks::new();
    let (uri, mut received) = receiver().await;
    let idp = mock_with_backchannel(&uri, &clocks).await;
    let first = log_in(&idp).await;
    let second = log_in(&idp).await;
    let logout = |user: &'static str| {
        reqwest::Client::new()
            .post(format!("{}/_mock/realms/demo/users/{user}/logout", idp.uri()))
            .send()
    };
    let response = logout("alice").await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"sessions": 2, "backchannel_notifications": 2}));

    let validator = Validator::builder(idp.issuer(), "api", [Alg::RS256])
        .provider(Provider::Keycloak)
        .clock(clocks.guard.clone())
        .jwks_config(test_jwks_config())
        .build()
        .unwrap()
        .logout_tokens("web-app");
    let mut sids = Vec::new();
    for _ in 0..2 {
        let token = tokio::time::timeout(Duration::from_secs(10), received.recv())
            .await
            .expect("a logout token within 10 s")
            .unwrap();
        sids.push(validator.validate(&token).await.unwrap().session_id.unwrap());
    }
    sids.sort();
    let mut expected: Vec<String> = [&first, &second]
        .iter()
        .map(|token| segment(token, 1)["sid"].as_str().unwrap().to_owned())
        .collect();
    expected.sort();
    assert_eq!(sids, expected);

    // Nothing is left to end; an unknown user is a 404.
    let body: Value = logout("alice").await.unwrap().json().await.unwrap();
    assert_eq!(body["sessions"], 0);
    assert_eq!(logout("nobody").await.unwrap().status().as_u16(), 404);
    assert_eq!(idp.admin().logout_user("demo", "alice").unwrap().sessions, 0);
}

/// ZITADEL's and WSO2's logout tokens as their sources write them (providers::backchannel):
/// ZITADEL `typ` `JWT`, `aud` an array, `iat` a second back, 15 minutes; WSO2 no `typ`, 120 s;
/// both with `sid` though the client did not ask; token-guard accepts each once.
#[tokio::test]
async fn zitadel_and_wso2_send_their_own_logout_tokens() {
    for (provider, header_typ, aud, lifetime) in [
        (Provider::Zitadel, Some("JWT"), serde_json::json!(["web-app"]), 901),
        (Provider::Wso2, None, serde_json::json!("web-app"), 120),
    ] {
        let clocks = Clocks::new();
        let (uri, mut received) = receiver().await;
        let idp = mock_of(provider, &uri, &clocks).await;
        let id_token = log_in(&idp).await;
        let id_claims = segment(&id_token, 1);
        let status = end_session(&idp, &id_token).await;
        assert!((200..400).contains(&status), "{provider}: {status}");
        let token = tokio::time::timeout(Duration::from_secs(10), received.recv())
            .await
            .expect("a logout token within 10 s")
            .unwrap();
        assert_eq!(segment(&token, 0)["typ"].as_str(), header_typ, "{provider}");
        let claims = segment(&token, 1);
        assert_eq!(claims["aud"], aud, "{provider}");
        let (iat, exp) = (claims["iat"].as_u64().unwrap(), claims["exp"].as_u64().unwrap());
        assert_eq!(exp - iat, lifetime, "{provider}");
        assert!(
            claims.get("nonce").is_none() && claims.get("typ").is_none(),
            "{provider}"
        );
        assert!(claims["sid"].is_string(), "{provider}: sid always");

        let validator = validator_for(&idp, provider, &clocks);
        let logout = validator.logout_tokens("web-app");
        let request = logout.validate(&token).await.unwrap();
        assert_eq!(
            request.subject.as_ref(),
            id_claims["sub"].as_str().map(str::to_owned).as_ref(),
            "{provider}"
        );
        assert!(matches!(
            logout.validate(&token).await,
            Err(InvalidLogoutToken::Replayed)
        ));
    }
}

/// The next attempt `received` records within `within` seconds.
async fn receive(received: &mut mpsc::Receiver<(String, u16)>, within: u64) -> Option<(String, u16)> {
    tokio::time::timeout(Duration::from_secs(within), received.recv())
        .await
        .ok()
        .flatten()
}

/// ZITADEL's delivery is a queue job: an answer other than 200, 202, 204 or 400 fails it and it
/// is tried again (three attempts in all, a second after the first); a 400 ends it. Keycloak
/// and WSO2 send once whatever the answer.
#[tokio::test]
async fn zitadel_retries_a_failed_delivery_but_not_a_400_and_the_others_send_once() {
    // 503, then 204: the same token twice.
    let clocks = Clocks::new();
    let (uri, mut received) = scripted_receiver(vec![503]).await;
    let idp = mock_of(Provider::Zitadel, &uri, &clocks).await;
    let id_token = log_in(&idp).await;
    assert!((200..400).contains(&end_session(&idp, &id_token).await));
    let (first, status) = receive(&mut received, 10).await.expect("a first attempt");
    assert_eq!(status, 503);
    let (second, status) = receive(&mut received, 10)
        .await
        .expect("a second attempt after the 503");
    assert_eq!((second == first, status), (true, 204));
    assert!(receive(&mut received, 3).await.is_none(), "delivered: no third attempt");

    // 400 (and, for the others, 503): one attempt only.
    for (provider, refusal) in [
        (Provider::Zitadel, 400),
        (Provider::Keycloak, 503),
        (Provider::Wso2, 503),
    ] {
        let clocks = Clocks::new();
        let (uri, mut received) = scripted_receiver(vec![refusal, refusal, refusal]).await;
        let idp = mock_of(provider, &uri, &clocks).await;
        let id_token = log_in(&idp).await;
        assert!((200..400).contains(&end_session(&idp, &id_token).await));
        let (_, status) = receive(&mut received, 10).await.expect("an attempt");
        assert_eq!(status, refusal, "{provider}");
        assert!(
            receive(&mut received, 3).await.is_none(),
            "{provider}: no second attempt after {refusal}"
        );
    }
}
