//! Issue 14: the device authorization grant (RFC 8628) per flavor: the device endpoint, the
//! user-code page, polling with each provider's errors, scripted decisions, discovery, the
//! `openidconnect` crate's device flow, and a device code redeemed once under concurrency.

use crate::support::{ALICE_ID, T0, claims_of, get, post_form, token_url};
use mock_idp::{Endpoint, ManualClock, MockIdp, Provider};
use providers::World;
use reqwest::StatusCode;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Barrier;

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// The default world with a 1 s polling interval, so real clients poll quickly.
fn fast_world() -> World {
    let mut world = World::default_world().unwrap();
    for realm in world.realms.values_mut() {
        realm.lifetimes.device_poll_interval = Some(1);
    }
    world
}

async fn start(provider: Provider, clock: &ManualClock) -> MockIdp {
    MockIdp::builder().provider(provider).clock(clock.clone()).start().await
}

async fn device_authorization(idp: &MockIdp, client_id: &str, scope: &str) -> Value {
    let reply = post_form(
        &idp.endpoint(Endpoint::DeviceAuthorization),
        None,
        &[("client_id", client_id), ("scope", scope)],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    reply.json()
}

async fn poll(idp: &MockIdp, client_id: &str, device_code: &str) -> crate::support::Reply {
    post_form(
        &token_url(idp),
        None,
        &[
            ("grant_type", DEVICE_GRANT),
            ("client_id", client_id),
            ("device_code", device_code),
        ],
    )
    .await
}

/// Signs `user` in on the user-code page for `user_code` (as typed), then answers the consent
/// form: `accept` grants, otherwise refuses. Returns the final page.
async fn sign_in_and_consent(page: &str, user_code: &str, user: &str, accept: bool) -> crate::support::Reply {
    let consent = post_form(
        page,
        None,
        &[("user_code", user_code), ("action", "login"), ("pick", user)],
    )
    .await;
    assert_eq!(consent.status, StatusCode::OK, "{}", consent.text);
    let ticket = consent
        .text
        .split("name=\"ticket\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no consent form: {}", consent.text))
        .to_owned();
    let answer = if accept { ("accept", "Yes") } else { ("cancel", "No") };
    post_form(
        page,
        None,
        &[("user_code", user_code), ("ticket", ticket.as_str()), answer],
    )
    .await
}

fn error_of(reply: &crate::support::Reply) -> (u16, String, String) {
    let body = reply.json();
    (
        reply.status.as_u16(),
        body["error"].as_str().unwrap_or_default().to_owned(),
        body["error_description"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn keycloak_device_response_has_keycloaks_members_paths_and_defaults() {
    let clock = ManualClock::at(T0);
    let idp = start(Provider::Keycloak, &clock).await;
    let body = device_authorization(&idp, "tv", "openid profile").await;
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "device_code",
            "user_code",
            "verification_uri",
            "verification_uri_complete",
            "expires_in",
            "interval"
        ]
    );
    let verification = format!("{}/device", idp.issuer());
    assert_eq!(body["verification_uri"], verification.as_str());
    let user_code = body["user_code"].as_str().unwrap();
    assert_eq!(
        body["verification_uri_complete"],
        format!("{verification}?user_code={user_code}").as_str()
    );
    assert_eq!(user_code.len(), 9);
    assert_eq!(&user_code[4..5], "-");
    assert!(user_code.chars().filter(|c| *c != '-').all(|c| c.is_ascii_uppercase()));
    assert_eq!(body["expires_in"], 600);
    assert_eq!(body["interval"], 5);
    assert!(
        idp.endpoint(Endpoint::DeviceAuthorization)
            .ends_with("/realms/demo/protocol/openid-connect/auth/device")
    );
}

#[tokio::test]
async fn zitadel_and_generic_answer_their_own_lifetimes_and_the_world_overrides_them() {
    let clock = ManualClock::at(T0);
    let zitadel = start(Provider::Zitadel, &clock).await;
    let body = device_authorization(&zitadel, "tv", "openid").await;
    assert_eq!(body["expires_in"], 300);
    assert_eq!(body["verification_uri"], format!("{}/device", zitadel.uri()).as_str());
    let mut world = World::default_world().unwrap();
    let demo = world.realms.get_mut("demo").unwrap();
    demo.lifetimes.device_code = Some(42);
    demo.lifetimes.device_poll_interval = Some(3);
    let generic = MockIdp::builder().world(world).clock(clock.clone()).start().await;
    let body = device_authorization(&generic, "tv", "openid").await;
    assert_eq!(
        (body["expires_in"].as_u64(), body["interval"].as_u64()),
        (Some(42), Some(3))
    );
}

#[tokio::test]
async fn the_user_code_page_signs_in_approves_and_the_device_gets_tokens_once() {
    let clock = ManualClock::at(T0);
    let idp = start(Provider::Keycloak, &clock).await;
    let body = device_authorization(&idp, "tv", "openid profile").await;
    let device_code = body["device_code"].as_str().unwrap();
    let user_code = body["user_code"].as_str().unwrap();

    let pending = poll(&idp, "tv", device_code).await;
    assert_eq!(
        error_of(&pending),
        (
            400,
            "authorization_pending".into(),
            "The authorization request is still pending".into()
        )
    );
    // The page asks for the code, then (verification_uri_complete) for a login.
    let page = get(&idp.endpoint(Endpoint::DeviceVerification)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("name=\"user_code\""), "{}", page.text);
    let page = get(body["verification_uri_complete"].as_str().unwrap()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains(user_code) && page.text.contains("password"),
        "{}",
        page.text
    );
    // A wrong password is refused and decides nothing.
    let verification = idp.endpoint(Endpoint::DeviceVerification);
    let wrong = post_form(
        &verification,
        None,
        &[
            ("user_code", user_code),
            ("action", "login"),
            ("username", "alice"),
            ("password", "nope"),
        ],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    // A forged consent ticket decides nothing.
    let forged = post_form(
        &verification,
        None,
        &[("user_code", user_code), ("ticket", "forged"), ("accept", "Yes")],
    )
    .await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&poll(&idp, "tv", device_code).await).1, "slow_down");
    // The user types the code in lower case, without its dash, and signs in with a password.
    let typed = user_code.replace('-', "").to_lowercase();
    let consent = post_form(
        &verification,
        None,
        &[
            ("user_code", typed.as_str()),
            ("action", "login"),
            ("username", "alice"),
            ("password", "alice-password"),
        ],
    )
    .await;
    assert_eq!(consent.status, StatusCode::OK, "{}", consent.text);
    assert!(consent.text.contains("name=\"accept\""), "{}", consent.text);
    let approved = sign_in_and_consent(&verification, &typed, "alice", true).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text);
    assert!(approved.text.contains("Device Login Successful"));

    clock.advance(5);
    let tokens = poll(&idp, "tv", device_code).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.text);
    let tokens = tokens.json();
    let claims = claims_of(tokens["access_token"].as_str().unwrap());
    assert_eq!(claims["sub"], ALICE_ID);
    assert_eq!(claims["azp"], "tv");
    assert!(claims["jti"].as_str().unwrap().starts_with("onrtdg:"), "{claims}");
    assert!(tokens["id_token"].is_string() && tokens["refresh_token"].is_string());

    clock.advance(5);
    let again = poll(&idp, "tv", device_code).await;
    assert_eq!(
        error_of(&again),
        (400, "invalid_grant".into(), "Device code not valid".into())
    );
    // The code is used up on the page as well.
    let reused = get(body["verification_uri_complete"].as_str().unwrap()).await;
    assert_eq!(reused.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn negative_polls_answer_each_providers_errors() {
    let clock = ManualClock::at(T0);
    let idp = start(Provider::Keycloak, &clock).await;
    // A wrong device code.
    let wrong = poll(&idp, "tv", "not-a-device-code").await;
    assert_eq!(
        error_of(&wrong),
        (400, "invalid_grant".into(), "Device code not valid".into())
    );
    // No device code at all.
    let missing = post_form(
        &token_url(&idp),
        None,
        &[("grant_type", DEVICE_GRANT), ("client_id", "tv")],
    )
    .await;
    assert_eq!(error_of(&missing).1, "invalid_request");
    // Polling too fast.
    let body = device_authorization(&idp, "tv", "openid").await;
    let device_code = body["device_code"].as_str().unwrap();
    assert_eq!(
        error_of(&poll(&idp, "tv", device_code).await).1,
        "authorization_pending"
    );
    clock.advance(2);
    assert_eq!(
        error_of(&poll(&idp, "tv", device_code).await),
        (400, "slow_down".into(), "Slow down".into())
    );
    clock.advance(3);
    assert_eq!(
        error_of(&poll(&idp, "tv", device_code).await).1,
        "authorization_pending"
    );
    // Denied on the page.
    let user_code = body["user_code"].as_str().unwrap();
    let denied = sign_in_and_consent(&idp.endpoint(Endpoint::DeviceVerification), user_code, "alice", false).await;
    assert_eq!(denied.status, StatusCode::OK);
    clock.advance(5);
    assert_eq!(
        error_of(&poll(&idp, "tv", device_code).await),
        (
            400,
            "access_denied".into(),
            "The end user denied the authorization request".into()
        )
    );
    // Expired (Keycloak: 600 s).
    let body = device_authorization(&idp, "tv", "openid").await;
    clock.advance(600);
    assert_eq!(
        error_of(&poll(&idp, "tv", body["device_code"].as_str().unwrap()).await),
        (400, "expired_token".into(), "Device code is expired".into())
    );
    // Another client's device code is unknown to this one.
    let body = device_authorization(&idp, "tv", "openid").await;
    let other = post_form(
        &token_url(&idp),
        Some(("web-app", "web-app-secret")),
        &[
            ("grant_type", DEVICE_GRANT),
            ("device_code", body["device_code"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(
        error_of(&other),
        (
            400,
            "invalid_grant".into(),
            "Client not allowed OAuth 2.0 Device Authorization Grant".into()
        )
    );
}

#[tokio::test]
async fn a_client_without_the_grant_is_refused_at_the_device_endpoint() {
    let clock = ManualClock::at(T0);
    for (provider, error, description) in [
        (
            Provider::Keycloak,
            "unauthorized_client",
            "Client is not allowed to initiate OAuth 2.0 Device Authorization Grant. The flow is disabled for the client.",
        ),
        (
            Provider::Zitadel,
            "unauthorized_client",
            "client missing grant type authorization_code",
        ),
    ] {
        let idp = start(provider, &clock).await;
        let reply = post_form(
            &idp.endpoint(Endpoint::DeviceAuthorization),
            Some(("web-app", "web-app-secret")),
            &[("scope", "openid")],
        )
        .await;
        assert_eq!(error_of(&reply), (400, error.into(), description.into()), "{provider}");
        // A wrong secret is the token endpoint's client-authentication error.
        let reply = post_form(
            &idp.endpoint(Endpoint::DeviceAuthorization),
            Some(("web-app", "wrong")),
            &[("scope", "openid")],
        )
        .await;
        assert!(reply.status.is_client_error(), "{provider}: {}", reply.text);
        assert_ne!(error_of(&reply), (400, error.into(), description.into()), "{provider}");
    }
}

/// WSO2 IS 7 as its source and product-is' `OAuth2DeviceFlowTestCase` have it: paths, the
/// response in its (hash) order, six-character mixed-case user codes typed exactly, polls paced
/// from the request and from every poll, its texts, a redeemed code answering `expired_token`,
/// and a client without the grant refused only when it polls.
#[tokio::test]
async fn wso2_device_flow_answers_as_wso2_does() {
    let clock = ManualClock::at(T0);
    let idp = start(Provider::Wso2, &clock).await;
    let base = idp.issuer().trim_end_matches("/oauth2/token").to_owned();
    assert_eq!(
        idp.endpoint(Endpoint::DeviceAuthorization),
        format!("{base}/oauth2/device_authorize")
    );
    let body = device_authorization(&idp, "tv", "openid").await;
    let members: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        members,
        [
            "user_code",
            "device_code",
            "interval",
            "verification_uri_complete",
            "verification_uri",
            "expires_in"
        ]
    );
    let page = format!("{base}/authenticationendpoint/device.do");
    assert_eq!(body["verification_uri"], page.as_str());
    assert_eq!(
        (body["expires_in"].as_u64(), body["interval"].as_u64()),
        (Some(600), Some(5))
    );
    let user_code = body["user_code"].as_str().unwrap();
    assert!(
        user_code.len() == 6
            && user_code
                .chars()
                .all(|c| providers::device::WSO2_USER_CODE_CHARSET.contains(c)),
        "{user_code}"
    );
    let device_code = body["device_code"].as_str().unwrap();
    let answer = |reply: crate::support::Reply| error_of(&reply);
    // Paced from the request: a poll within 5 s of it is slowed down.
    clock.advance(5);
    assert_eq!(
        answer(poll(&idp, "tv", device_code).await),
        (400, "slow_down".into(), "Forbidden".into())
    );
    clock.advance(6);
    assert_eq!(
        answer(poll(&idp, "tv", device_code).await),
        (400, "authorization_pending".into(), "Precondition required".into())
    );
    assert_eq!(
        answer(poll(&idp, "tv", "not-a-device-code").await),
        (
            400,
            "invalid_request".into(),
            "The provided device code is not registered or is invalid.".into()
        )
    );
    let missing = post_form(
        &token_url(&idp),
        None,
        &[("grant_type", DEVICE_GRANT), ("client_id", "tv")],
    )
    .await;
    assert_eq!(
        answer(missing),
        (400, "invalid_request".into(), "Missing parameters: device_code".into())
    );
    // The page takes the code as typed only.
    let swapped: String = user_code
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    if swapped != user_code {
        let wrong = post_form(
            &page,
            None,
            &[("user_code", swapped.as_str()), ("action", "login"), ("pick", "alice")],
        )
        .await;
        assert!(
            !wrong.text.contains("name=\"ticket\""),
            "a code in the other case was taken"
        );
    }
    let approved = sign_in_and_consent(&page, user_code, "alice", true).await;
    assert_eq!(approved.status, StatusCode::OK);
    // An approved code is redeemed whatever the pace; a second poll finds it used.
    let tokens = poll(&idp, "tv", device_code).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.text);
    clock.advance(6);
    assert_eq!(
        answer(poll(&idp, "tv", device_code).await),
        (400, "expired_token".into(), "Forbidden".into())
    );
    // A client without the grant gets a device code, and is refused when it polls.
    let reply = post_form(
        &idp.endpoint(Endpoint::DeviceAuthorization),
        Some(("web-app", "web-app-secret")),
        &[("scope", "openid")],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let code = reply.json()["device_code"].as_str().unwrap().to_owned();
    let refused = post_form(
        &token_url(&idp),
        Some(("web-app", "web-app-secret")),
        &[("grant_type", DEVICE_GRANT), ("device_code", code.as_str())],
    )
    .await;
    assert_eq!(
        answer(refused),
        (
            400,
            "unauthorized_client".into(),
            "The authenticated client is not authorized to use this authorization grant type".into()
        )
    );
}

#[tokio::test]
async fn zitadel_polls_are_never_slowed_down_and_unknown_codes_are_access_denied() {
    let clock = ManualClock::at(T0);
    let idp = start(Provider::Zitadel, &clock).await;
    let body = device_authorization(&idp, "tv", "openid").await;
    let device_code = body["device_code"].as_str().unwrap();
    for _ in 0..3 {
        assert_eq!(
            error_of(&poll(&idp, "tv", device_code).await).1,
            "authorization_pending"
        );
    }
    assert_eq!(
        error_of(&poll(&idp, "tv", "unknown").await),
        (
            400,
            "access_denied".into(),
            "The authorization request was denied.".into()
        )
    );
    clock.advance(300);
    assert_eq!(
        error_of(&poll(&idp, "tv", device_code).await),
        (400, "expired_token".into(), "The \"device_code\" has expired.".into())
    );
}

#[tokio::test]
async fn the_rust_api_approves_denies_and_expires_pending_codes() {
    let clock = ManualClock::at(T0);
    let idp = start(Provider::Generic, &clock).await;
    let approve = device_authorization(&idp, "tv", "openid").await;
    let deny = device_authorization(&idp, "tv", "openid").await;
    let expire = device_authorization(&idp, "tv", "openid").await;
    let code = |body: &Value, member: &str| body[member].as_str().unwrap().to_owned();
    assert!(matches!(
        idp.approve_device(&code(&approve, "user_code"), "carol"),
        Err(mock_idp::MockIdpError::UnknownUser(_))
    ));
    idp.approve_device(&code(&approve, "user_code"), "bob").unwrap();
    idp.deny_device(&code(&deny, "user_code")).unwrap();
    idp.expire_device(&code(&expire, "user_code")).unwrap();
    // A decided code cannot be decided again.
    assert!(idp.deny_device(&code(&approve, "user_code")).is_err());
    assert!(idp.approve_device("ZZZZ-ZZZZ", "alice").is_err());
    let tokens = poll(&idp, "tv", &code(&approve, "device_code")).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.text);
    assert_eq!(
        claims_of(tokens.json()["access_token"].as_str().unwrap())["sub"],
        "2b8e4d6f-1a3c-4b5d-9e7f-6a8b0c2d4e6f"
    );
    assert_eq!(
        error_of(&poll(&idp, "tv", &code(&deny, "device_code")).await).1,
        "access_denied"
    );
    assert_eq!(
        error_of(&poll(&idp, "tv", &code(&expire, "device_code")).await).1,
        "expired_token"
    );
}

#[tokio::test]
async fn discovery_advertises_the_device_grant_only_where_the_provider_has_it() {
    for provider in Provider::ALL {
        let idp = MockIdp::builder().provider(provider).start().await;
        let document = get(&idp.discovery_url()).await.json();
        let grants: Vec<&str> = document["grant_types_supported"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let has = provider != Provider::AppId;
        assert_eq!(grants.contains(&DEVICE_GRANT), has, "{provider}: {grants:?}");
        assert_eq!(
            document["device_authorization_endpoint"].as_str(),
            has.then(|| idp.endpoint(Endpoint::DeviceAuthorization)).as_deref(),
            "{provider}"
        );
        if !has {
            // The grant is unknown at the token endpoint, as the provider answers it.
            let reply = post_form(
                &token_url(&idp),
                Some(("web-app", "web-app-secret")),
                &[("grant_type", DEVICE_GRANT), ("device_code", "x")],
            )
            .await;
            assert!(reply.status.is_client_error(), "{provider}");
            assert!(idp.endpoint(Endpoint::DeviceAuthorization).is_empty(), "{provider}");
        }
    }
}

#[tokio::test]
async fn the_openidconnect_crate_completes_the_device_flow() {
    use openidconnect::core::{CoreClient, CoreDeviceAuthorizationResponse, CoreProviderMetadata};
    use openidconnect::{ClientId, DeviceAuthorizationUrl, IssuerUrl, OAuth2TokenResponse, Scope};
    for provider in [Provider::Keycloak, Provider::Generic, Provider::Zitadel] {
        let idp = MockIdp::builder().provider(provider).world(fast_world()).start().await;
        let http = openidconnect::reqwest::ClientBuilder::new()
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(idp.issuer()).unwrap(), &http)
            .await
            .expect("discovery");
        let client = CoreClient::from_provider_metadata(metadata, ClientId::new("tv".into()), None)
            .set_device_authorization_url(
                DeviceAuthorizationUrl::new(idp.endpoint(Endpoint::DeviceAuthorization)).unwrap(),
            );
        let details: CoreDeviceAuthorizationResponse = client
            .exchange_device_code()
            .add_scope(Scope::new("openid".into()))
            .request_async(&http)
            .await
            .expect("device authorization");
        // The user approves on the page a little later, while the client polls.
        let page = idp.endpoint(Endpoint::DeviceVerification);
        let user_code = details.user_code().secret().clone();
        let approver = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            sign_in_and_consent(&page, &user_code, "alice", true).await
        });
        let tokens = client
            .exchange_device_access_token(&details)
            .unwrap()
            .request_async(&http, tokio::time::sleep, Some(Duration::from_secs(20)))
            .await
            .unwrap_or_else(|err| panic!("{provider}: {err:?}"));
        assert_eq!(approver.await.unwrap().status, StatusCode::OK);
        assert!(!tokens.access_token().secret().is_empty(), "{provider}");
    }
}

/// Rounds of the redemption race; each is a handful of loopback requests.
const ROUNDS: usize = 30;
/// Pollers racing per round.
const RACERS: usize = 6;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_approved_device_code_is_redeemed_once_under_concurrency() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let builder = MockIdp::builder().provider(Provider::Zitadel);
    tokio::spawn(async move {
        let shutdown = async move {
            let _ = stopped.await;
        };
        builder.serve_until(listener, |_, _| {}, shutdown).await.unwrap();
    });
    let site = Provider::Zitadel.site(&base, "demo", true);
    let url = |endpoint| site.url(endpoint).unwrap();
    let clients: Vec<reqwest::Client> = (0..RACERS).map(|_| crate::support::client()).collect();
    for round in 0..ROUNDS {
        let body = clients[0]
            .post(url(Endpoint::DeviceAuthorization))
            .form(&[("client_id", "tv"), ("scope", "openid")])
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        let approved = sign_in_and_consent(
            &url(Endpoint::DeviceVerification),
            body["user_code"].as_str().unwrap(),
            "alice",
            true,
        )
        .await;
        assert_eq!(approved.status, StatusCode::OK);
        let device_code = body["device_code"].as_str().unwrap().to_owned();
        let barrier = Arc::new(Barrier::new(RACERS));
        let tasks: Vec<_> = clients
            .iter()
            .cloned()
            .map(|client| {
                let (barrier, device_code, token) = (barrier.clone(), device_code.clone(), url(Endpoint::Token));
                tokio::spawn(async move {
                    barrier.wait().await;
                    client
                        .post(token)
                        .form(&[
                            ("grant_type", DEVICE_GRANT),
                            ("client_id", "tv"),
                            ("device_code", device_code.as_str()),
                        ])
                        .send()
                        .await
                        .unwrap()
                        .status()
                })
            })
            .collect();
        let mut issued = 0;
        for task in tasks {
            let status = task.await.unwrap();
            if status == StatusCode::OK {
                issued += 1;
            } else {
                assert_eq!(status, StatusCode::BAD_REQUEST, "round {round}");
            }
        }
        assert_eq!(issued, 1, "round {round}: a device code redeemed {issued} times");
    }
    let _ = stop.send(());
}
