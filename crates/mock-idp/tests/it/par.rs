//! Pushed authorization requests (RFC 9126) from the client's side: Keycloak and WSO2 push and
//! redeem, each with its `request_uri` format and error texts; the other providers have no PAR
//! endpoint.

use mock_idp::{Endpoint, ManualClock, MockIdp, Provider, World};
use serde_json::Value;
use std::sync::Arc;

const NOW: u64 = 1_800_000_000;
const REDIRECT: &str = "http://127.0.0.1:5000/callback";

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn start(provider: Provider, clock: &ManualClock) -> MockIdp {
    MockIdp::builder()
        .provider(provider)
        .clock(clock.clone())
        .auto_approve(true)
        .start()
        .await
}

/// Pushes `form` as `web-app` (HTTP Basic with `secret`).
async fn push_with(idp: &MockIdp, secret: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let response = http()
        .post(idp.endpoint(Endpoint::PushedAuthorization))
        .basic_auth("web-app", Some(secret))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

const GOOD: [(&str, &str); 5] = [
    ("response_type", "code"),
    ("redirect_uri", REDIRECT),
    ("scope", "openid profile"),
    ("state", "s-1"),
    ("login_hint", "alice"),
];

async fn push(idp: &MockIdp) -> String {
    let (status, body) = push_with(idp, "web-app-secret", &GOOD).await;
    assert_eq!(status, 201, "{body}");
    body["request_uri"].as_str().unwrap().to_owned()
}

/// `(status, Location)` of the authorization endpoint for `request_uri` and `client_id`.
async fn redeem(idp: &MockIdp, client_id: &str, request_uri: &str) -> (u16, Option<String>) {
    let response = http()
        .get(idp.endpoint(Endpoint::Authorize))
        .query(&[("client_id", client_id), ("request_uri", request_uri)])
        .send()
        .await
        .unwrap();
    let location = response
        .headers()
        .get("location")
        .map(|value| value.to_str().unwrap().to_owned());
    (response.status().as_u16(), location)
}

fn query(location: &str, name: &str) -> Option<String> {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

#[tokio::test]
async fn keycloak_and_wso2_push_then_redeem_once_and_the_code_exchanges() {
    for (provider, prefix) in [
        (Provider::Keycloak, "urn:ietf:params:oauth:request_uri:"),
        (Provider::Wso2, "urn:ietf:params:oauth:par:request_uri:"),
    ] {
        let idp = start(provider, &ManualClock::at(NOW)).await;
        let (status, body) = push_with(&idp, "web-app-secret", &GOOD).await;
        assert_eq!(status, 201, "{provider}: {body}");
        assert_eq!(body["expires_in"], 60, "{provider}");
        let request_uri = body["request_uri"].as_str().unwrap();
        let uuid = request_uri
            .strip_prefix(prefix)
            .unwrap_or_else(|| panic!("{provider}: {request_uri}"));
        assert_eq!(uuid.len(), 36, "{provider}: {uuid}");

        let (status, location) = redeem(&idp, "web-app", request_uri).await;
        assert_eq!(status, 302, "{provider}");
        let location = location.unwrap();
        assert!(location.starts_with(REDIRECT), "{provider}: {location}");
        assert_eq!(query(&location, "state").as_deref(), Some("s-1"), "{provider}");
        let code = query(&location, "code").unwrap_or_else(|| panic!("{provider}: {location}"));

        // Single use: the second redemption is a page, never a redirect.
        let (status, location) = redeem(&idp, "web-app", request_uri).await;
        assert_eq!((status, location), (400, None), "{provider}");

        let token = http()
            .post(idp.endpoint(Endpoint::Token))
            .basic_auth("web-app", Some("web-app-secret"))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(token.status().as_u16(), 200, "{provider}");
        let token: Value = token.json().await.unwrap();
        assert!(token["id_token"].is_string(), "{provider}: {token}");
    }
}

#[tokio::test]
async fn a_pushed_request_expires_on_the_mock_clock_and_belongs_to_its_client() {
    let clock = ManualClock::at(NOW);
    let idp = start(Provider::Keycloak, &clock).await;
    let request_uri = push(&idp).await;
    clock.advance(60);
    assert_eq!(redeem(&idp, "web-app", &request_uri).await, (400, None));

    let request_uri = push(&idp).await;
    clock.advance(59);
    assert_eq!(redeem(&idp, "spa", &request_uri).await, (400, None));
    // Refused for the other client, and gone.
    assert_eq!(redeem(&idp, "web-app", &request_uri).await, (400, None));

    let request_uri = push(&idp).await;
    assert_eq!(redeem(&idp, "web-app", &format!("{request_uri}x")).await, (400, None));
}

/// `(form, secret, status, error, description)` of a refused push.
type Case = (
    Vec<(&'static str, &'static str)>,
    &'static str,
    u16,
    &'static str,
    Option<&'static str>,
);

#[tokio::test]
async fn every_authorization_parameter_is_checked_when_pushed() {
    for provider in [Provider::Keycloak, Provider::Wso2] {
        let idp = start(provider, &ManualClock::at(NOW)).await;
        let with = |name: &'static str, value: &'static str| -> Vec<(&'static str, &'static str)> {
            let mut form: Vec<_> = GOOD.iter().copied().filter(|(key, _)| *key != name).collect();
            if !value.is_empty() {
                form.push((name, value));
            }
            form
        };
        let keycloak = provider == Provider::Keycloak;
        let cases: Vec<Case> = vec![
            (
                with("request_uri", "urn:ietf:params:oauth:request_uri:x"),
                "web-app-secret",
                400,
                "invalid_request",
                Some(if keycloak {
                    "It is not allowed to include request_uri to PAR."
                } else {
                    "Request with request_uri not allowed."
                }),
            ),
            (
                GOOD.to_vec(),
                "wrong",
                401,
                if keycloak { "invalid_request" } else { "invalid_client" },
                Some(if keycloak {
                    "Authentication failed."
                } else {
                    "Client Authentication Failed."
                }),
            ),
            (
                with("redirect_uri", "http://127.0.0.1:9/elsewhere"),
                "web-app-secret",
                400,
                if keycloak {
                    "invalid_request"
                } else {
                    "invalid_callback"
                },
                keycloak.then_some("Invalid parameter: redirect_uri"),
            ),
            (
                with("response_type", ""),
                "web-app-secret",
                400,
                "invalid_request",
                keycloak.then_some("Missing parameter: response_type"),
            ),
            (
                with("response_type", "token"),
                "web-app-secret",
                400,
                "invalid_request",
                keycloak.then_some("Unsupported response type"),
            ),
            (
                with("code_challenge_method", "S256"),
                "web-app-secret",
                400,
                "invalid_request",
                None,
            ),
        ];
        // An unknown scope: Keycloak refuses it; WSO2 drops it and goes on
        // (DefaultOAuth2ScopeValidator, see docs/providers.md), so its push is accepted.
        let (got, body) = push_with(&idp, "web-app-secret", &with("scope", "openid no-such-scope")).await;
        if keycloak {
            assert_eq!(
                (got, body["error"].as_str()),
                (400, Some("invalid_request")),
                "{provider}: {body}"
            );
        } else {
            assert_eq!(got, 201, "{provider}: {body}");
        }
        for (form, secret, status, error, description) in cases {
            let (got, body) = push_with(&idp, secret, &form).await;
            assert_eq!(got, status, "{provider} {form:?}: {body}");
            assert_eq!(body["error"], error, "{provider} {form:?}: {body}");
            if let Some(description) = description {
                assert_eq!(body["error_description"], description, "{provider} {form:?}");
            }
        }
        // Nothing refused was stored: a good push still works and is the only one.
        let request_uri = push(&idp).await;
        assert_eq!(redeem(&idp, "web-app", &request_uri).await.0, 302, "{provider}");
    }
}

#[tokio::test]
async fn a_client_that_must_push_is_refused_in_the_front_channel() {
    let toml = providers::world::DEFAULT_WORLD_TOML.replacen(
        "[realms.demo.clients.web-app]\n",
        "[realms.demo.clients.web-app]\nrequire_pushed_authorization_requests = true\n",
        1,
    );
    let world = World::from_toml_str(&toml, "par.toml").unwrap();
    let idp = MockIdp::builder()
        .provider(Provider::Keycloak)
        .world(world)
        .auto_approve(true)
        .start()
        .await;
    let response = http()
        .get(idp.endpoint(Endpoint::Authorize))
        .query(&[
            ("client_id", "web-app"),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
        ])
        .query(&[("scope", "openid"), ("state", "s-2"), ("login_hint", "alice")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 302);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(query(&location, "error").as_deref(), Some("invalid_request"));
    assert_eq!(
        query(&location, "error_description").as_deref(),
        Some("Pushed Authorization Request is only allowed.")
    );
    assert_eq!(query(&location, "state").as_deref(), Some("s-2"));
    let request_uri = push(&idp).await;
    let (status, location) = redeem(&idp, "web-app", &request_uri).await;
    assert_eq!(status, 302);
    assert!(query(&location.unwrap(), "code").is_some());
}

#[tokio::test]
async fn discovery_advertises_par_where_the_provider_has_it_and_the_others_answer_404() {
    for provider in Provider::ALL {
        let idp = start(provider, &ManualClock::at(NOW)).await;
        let discovery: Value = reqwest::get(idp.discovery_url()).await.unwrap().json().await.unwrap();
        let endpoint = &discovery["pushed_authorization_request_endpoint"];
        let required = &discovery["require_pushed_authorization_requests"];
        match provider {
            Provider::Keycloak => {
                assert_eq!(endpoint, &Value::from(idp.endpoint(Endpoint::PushedAuthorization)));
                assert!(
                    endpoint
                        .as_str()
                        .unwrap()
                        .ends_with("/protocol/openid-connect/ext/par/request")
                );
                assert_eq!(required, &Value::Bool(false));
            }
            Provider::Wso2 => {
                assert!(endpoint.as_str().unwrap().ends_with("/oauth2/par"), "{endpoint}");
                assert!(required.is_null());
            }
            _ => {
                assert!(endpoint.is_null(), "{provider}");
                assert!(required.is_null(), "{provider}");
                let path = match provider {
                    Provider::Zitadel => format!("{}/oauth/v2/par", idp.uri()),
                    _ => format!("{}/par", idp.issuer()),
                };
                let response = http().post(path).form(&GOOD).send().await.unwrap();
                assert_eq!(response.status().as_u16(), 404, "{provider}");
            }
        }
    }
}

#[tokio::test]
async fn one_request_uri_redeemed_concurrently_issues_one_code() {
    const TASKS: usize = 8;
    let idp = Arc::new(start(Provider::Keycloak, &ManualClock::at(NOW)).await);
    for round in 0..20 {
        let request_uri = push(&idp).await;
        let barrier = Arc::new(tokio::sync::Barrier::new(TASKS));
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| {
                let (idp, barrier, request_uri) = (idp.clone(), barrier.clone(), request_uri.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    redeem(&idp, "web-app", &request_uri).await
                })
            })
            .collect();
        let mut codes = 0;
        for task in tasks {
            let (status, location) = task.await.unwrap();
            match status {
                302 => {
                    assert!(query(&location.unwrap(), "code").is_some());
                    codes += 1;
                }
                other => assert_eq!(other, 400),
            }
        }
        assert_eq!(codes, 1, "round {round}");
    }
}

/// Keycloak 26.7.3 (a real run) answers a pushed request that needs a login with 302 to its
/// login page, where a plain request gets the form at once; the login there completes the flow.
/// WSO2 shows the form at once, and its login URL takes no GET.
#[tokio::test]
async fn keycloak_sends_a_pushed_login_to_its_login_page_and_wso2_shows_the_form() {
    let clock = ManualClock::at(1_800_000_000);
    let idp = MockIdp::builder()
        .provider(Provider::Keycloak)
        .clock(clock.clone())
        .start()
        .await;
    let form = [
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid"),
        ("state", "s-2"),
    ];
    let (status, body) = push_with(&idp, "web-app-secret", &form).await;
    assert_eq!(status, 201, "{body}");
    let (status, location) = redeem(&idp, "web-app", body["request_uri"].as_str().unwrap()).await;
    assert_eq!(status, 302);
    let location = location.unwrap();
    assert!(location.starts_with(&idp.endpoint(Endpoint::Login)), "{location}");
    assert_eq!(query(&location, "client_id").as_deref(), Some("web-app"));
    let page = http().get(&location).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let login = mock_idp::LoginForm::scrape(&html).unwrap();
    let fields = [
        ("request_id", login.request_id.as_str()),
        ("username", "alice"),
        ("password", "alice-password"),
    ];
    let done = http().post(&login.action).form(&fields).send().await.unwrap();
    assert!(done.status().is_redirection(), "{}", done.status());
    let callback = done.headers()["location"].to_str().unwrap().to_owned();
    assert!(callback.starts_with(REDIRECT), "{callback}");
    assert!(query(&callback, "code").is_some(), "{callback}");
    assert_eq!(query(&callback, "state").as_deref(), Some("s-2"));
    // An unknown tab is an error page, not a login.
    let unknown = format!("{}?client_id=web-app&tab_id=nope", idp.endpoint(Endpoint::Login));
    assert_eq!(http().get(&unknown).send().await.unwrap().status(), 400);

    let idp = MockIdp::builder()
        .provider(Provider::Wso2)
        .clock(clock.clone())
        .start()
        .await;
    let (status, body) = push_with(&idp, "web-app-secret", &form).await;
    assert_eq!(status, 201, "{body}");
    let (status, _) = redeem(&idp, "web-app", body["request_uri"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(
        http().get(idp.endpoint(Endpoint::Login)).send().await.unwrap().status(),
        405
    );
}
