//! One test per rule the mock enforces, each asserting the status and the error body.

use crate::support::*;
use mock_idp::{Endpoint, ManualClock, MockIdp, World};
use reqwest::StatusCode;
use serde_json::json;

fn assert_error(reply: &Reply, status: StatusCode, error: &str) {
    assert_eq!(reply.status, status, "{}", reply.text);
    let body = reply.json();
    assert_eq!(body["error"], error, "{body}");
    let description = body["error_description"].as_str().unwrap_or_default();
    assert!(
        description
            .bytes()
            .all(|b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\'),
        "RFC 6749 §5.2 charset: {description}"
    );
    if reply.headers.contains_key("content-type") {
        assert_eq!(reply.header("content-type"), Some("application/json"));
    }
}

#[tokio::test]
async fn a_wrong_secret_by_basic_is_401_invalid_client_with_a_basic_challenge() {
    let idp = MockIdp::start().await;
    let reply = post_form(
        &token_url(&idp),
        Some(("service", "wrong")),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_error(&reply, StatusCode::UNAUTHORIZED, "invalid_client");
    assert_eq!(reply.header("www-authenticate"), Some("Basic realm=\"demo\""));
    assert_eq!(reply.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn a_wrong_secret_in_the_body_is_401_invalid_client() {
    let idp = MockIdp::start().await;
    let reply = post_form(
        &token_url(&idp),
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "service"),
            ("client_secret", "wrong"),
        ],
    )
    .await;
    assert_error(&reply, StatusCode::UNAUTHORIZED, "invalid_client");
}

#[tokio::test]
async fn an_unknown_client_is_401_invalid_client() {
    let idp = MockIdp::start().await;
    let reply = post_form(
        &token_url(&idp),
        Some(("ghost", "x")),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_error(&reply, StatusCode::UNAUTHORIZED, "invalid_client");
}

#[tokio::test]
async fn a_confidential_client_without_its_secret_is_401_invalid_client() {
    let idp = MockIdp::start().await;
    let reply = post_form(
        &token_url(&idp),
        None,
        &[("grant_type", "client_credentials"), ("client_id", "service")],
    )
    .await;
    assert_error(&reply, StatusCode::UNAUTHORIZED, "invalid_client");
}

#[tokio::test]
async fn two_client_authentication_methods_at_once_are_400_invalid_request() {
    let idp = MockIdp::start().await;
    let reply = post_form(
        &token_url(&idp),
        Some(("service", "service-secret")),
        &[
            ("grant_type", "client_credentials"),
            ("client_secret", "service-secret"),
        ],
    )
    .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "invalid_request");
}

#[tokio::test]
async fn an_unknown_grant_type_is_unsupported_and_a_forbidden_one_unauthorized() {
    let idp = MockIdp::start().await;
    let auth = Some(("service", "service-secret"));
    let unknown = post_form(&token_url(&idp), auth, &[("grant_type", "foo")]).await;
    assert_error(&unknown, StatusCode::BAD_REQUEST, "unsupported_grant_type");
    let forbidden = post_form(
        &token_url(&idp),
        auth,
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "alice-password"),
        ],
    )
    .await;
    assert_error(&forbidden, StatusCode::BAD_REQUEST, "unauthorized_client");
}

#[tokio::test]
async fn a_scope_outside_the_clients_allowance_is_invalid_scope() {
    let idp = MockIdp::start().await;
    let reply = post_form(
        &token_url(&idp),
        Some(("service", "service-secret")),
        &[("grant_type", "client_credentials"), ("scope", "admin")],
    )
    .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "invalid_scope");
}

#[tokio::test]
async fn the_token_endpoint_refuses_get() {
    let idp = MockIdp::start().await;
    let reply = get(&format!("{}?grant_type=client_credentials", token_url(&idp))).await;
    assert_error(&reply, StatusCode::METHOD_NOT_ALLOWED, "invalid_request");
}

#[tokio::test]
async fn a_bad_redirect_uri_is_an_error_page_and_never_a_redirect() {
    let idp = MockIdp::builder().auto_approve(true).start().await;
    for bad in [
        "http://evil.example/callback",
        "http://127.0.0.1:5000/callback?x=1",
        "http://127.0.0.1:5000/callback/",
        "http://127.0.0.1:5000/Callback",
        "https://127.0.0.1:5000/callback",
        "http://good@127.0.0.1:5000/callback",
    ] {
        let reply = authorize(
            &idp,
            &[
                ("response_type", "code"),
                ("client_id", "web-app"),
                ("redirect_uri", bad),
                ("login_hint", "alice"),
            ],
        )
        .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(reply.header("location").is_none(), "{bad} must not be redirected to");
        assert!(reply.text.contains("redirect_uri is not registered"), "{}", reply.text);
    }
    let missing = authorize(&idp, &[("response_type", "code"), ("client_id", "web-app")]).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    let unknown = authorize(
        &idp,
        &[
            ("response_type", "code"),
            ("client_id", "ghost"),
            ("redirect_uri", WEB_REDIRECT),
        ],
    )
    .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(unknown.header("location").is_none());
}

#[tokio::test]
async fn authorization_errors_after_a_good_redirect_uri_are_redirected_with_state() {
    let idp = MockIdp::builder().auto_approve(true).start().await;
    let (_, challenge) = pkce_pair();
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("client_id", "web-app"), ("redirect_uri", WEB_REDIRECT)],
            "invalid_request",
        ),
        (
            vec![
                ("response_type", "token"),
                ("client_id", "web-app"),
                ("redirect_uri", WEB_REDIRECT),
            ],
            "unsupported_response_type",
        ),
        (
            vec![
                ("response_type", "code"),
                ("client_id", "web-app"),
                ("redirect_uri", WEB_REDIRECT),
                ("scope", "openid admin"),
            ],
            "invalid_scope",
        ),
        (
            vec![
                ("response_type", "code"),
                ("client_id", "spa"),
                ("redirect_uri", SPA_REDIRECT),
            ],
            "invalid_request",
        ),
        (
            vec![
                ("response_type", "code"),
                ("client_id", "spa"),
                ("redirect_uri", SPA_REDIRECT),
                ("code_challenge", &challenge),
                ("code_challenge_method", "plain"),
            ],
            "invalid_request",
        ),
        (
            vec![
                ("response_type", "code"),
                ("client_id", "web-app"),
                ("redirect_uri", WEB_REDIRECT),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S512"),
            ],
            "invalid_request",
        ),
        (
            vec![
                ("response_type", "code"),
                ("client_id", "web-app"),
                ("redirect_uri", WEB_REDIRECT),
                ("request", "eyJ.e30."),
            ],
            "request_not_supported",
        ),
        (
            vec![
                ("response_type", "code"),
                ("client_id", "web-app"),
                ("redirect_uri", WEB_REDIRECT),
                ("prompt", "none"),
            ],
            "login_required",
        ),
    ];
    for (mut params, error) in cases {
        params.push(("state", "keep-me"));
        let reply = authorize(&idp, &params).await;
        assert_eq!(reply.status, StatusCode::FOUND, "{params:?}: {}", reply.text);
        assert_eq!(reply.location_param("error").as_deref(), Some(error), "{params:?}");
        assert_eq!(reply.location_param("state").as_deref(), Some("keep-me"));
        assert_eq!(reply.location_param("iss"), Some(idp.issuer()));
        assert!(reply.location_param("code").is_none());
    }
}

#[tokio::test]
async fn a_replayed_code_fails_and_revokes_what_it_issued() {
    let idp = MockIdp::builder().auto_approve(true).start().await;
    let code = code_for(&idp, "alice", "web-app", WEB_REDIRECT, "openid", None).await;
    let first = exchange_web_code(&idp, &code, None).await;
    assert_eq!(first.status, StatusCode::OK);
    let first = first.json();
    let replay = exchange_web_code(&idp, &code, None).await;
    assert_error(&replay, StatusCode::BAD_REQUEST, "invalid_grant");
    assert_eq!(
        introspect(&idp, first["access_token"].as_str().unwrap()).await,
        json!({"active": false})
    );
    let refresh = post_form(
        &token_url(&idp),
        Some(("web-app", "web-app-secret")),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", first["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_error(&refresh, StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn a_pkce_mismatch_a_missing_verifier_and_a_downgrade_are_invalid_grant() {
    let idp = MockIdp::builder().auto_approve(true).start().await;
    let (_, challenge) = pkce_pair();
    let (other_verifier, _) = pkce_pair();
    let code = code_for(&idp, "alice", "web-app", WEB_REDIRECT, "openid", Some(&challenge)).await;
    assert_error(
        &exchange_web_code(&idp, &code, Some(&other_verifier)).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );

    let code = code_for(&idp, "alice", "web-app", WEB_REDIRECT, "openid", Some(&challenge)).await;
    assert_error(
        &exchange_web_code(&idp, &code, None).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );

    let code = code_for(&idp, "alice", "web-app", WEB_REDIRECT, "openid", None).await;
    assert_error(
        &exchange_web_code(&idp, &code, Some(&other_verifier)).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );

    let code = code_for(&idp, "alice", "web-app", WEB_REDIRECT, "openid", Some(&challenge)).await;
    assert_error(
        &exchange_web_code(&idp, &code, Some("short")).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
}

#[tokio::test]
async fn an_expired_code_is_invalid_grant() {
    let clock = ManualClock::at(T0);
    let idp = MockIdp::builder().auto_approve(true).clock(clock.clone()).start().await;
    let code = code_for(&idp, "alice", "web-app", WEB_REDIRECT, "openid", None).await;
    clock.advance(61);
    assert_error(
        &exchange_web_code(&idp, &code, None).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
}

#[tokio::test]
async fn a_code_redeemed_by_another_client_or_with_another_redirect_uri_is_invalid_grant() {
    let idp = MockIdp::builder().auto_approve(true).start().await;
    let (verifier, challenge) = pkce_pair();
    let code = code_for(&idp, "alice", "spa", SPA_REDIRECT, "openid", Some(&challenge)).await;
    let stolen = post_form(
        &token_url(&idp),
        Some(("web-app", "web-app-secret")),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", SPA_REDIRECT),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_error(&stolen, StatusCode::BAD_REQUEST, "invalid_grant");

    let code = code_for(&idp, "alice", "web-app", WEB_REDIRECT, "openid", None).await;
    let moved = post_form(
        &token_url(&idp),
        Some(("web-app", "web-app-secret")),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://localhost:5000/callback"),
        ],
    )
    .await;
    assert_error(&moved, StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn a_reused_refresh_token_is_invalid_grant() {
    let idp = MockIdp::builder().auto_approve(true).start().await;
    let tokens = web_tokens(&idp, "alice", "openid").await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let form = [("grant_type", "refresh_token"), ("refresh_token", refresh)];
    let auth = Some(("web-app", "web-app-secret"));
    assert_eq!(post_form(&token_url(&idp), auth, &form).await.status, StatusCode::OK);
    assert_error(
        &post_form(&token_url(&idp), auth, &form).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
    let spa_refresh = idp.token_for("alice", "spa").await.unwrap().refresh_token.unwrap();
    let other_client = post_form(
        &token_url(&idp),
        auth,
        &[("grant_type", "refresh_token"), ("refresh_token", &spa_refresh)],
    )
    .await;
    assert_error(&other_client, StatusCode::BAD_REQUEST, "invalid_grant");
    let unknown = post_form(
        &token_url(&idp),
        auth,
        &[("grant_type", "refresh_token"), ("refresh_token", "made-up")],
    )
    .await;
    assert_error(&unknown, StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn an_expired_refresh_token_is_invalid_grant() {
    let clock = ManualClock::at(T0);
    let idp = MockIdp::builder().auto_approve(true).clock(clock.clone()).start().await;
    let tokens = web_tokens(&idp, "alice", "openid").await;
    clock.advance(1801);
    let reply = post_form(
        &token_url(&idp),
        Some(("web-app", "web-app-secret")),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn a_revoked_token_is_inactive_at_introspection_and_refused_at_userinfo() {
    let idp = MockIdp::builder().auto_approve(true).start().await;
    let tokens = web_tokens(&idp, "alice", "openid").await;
    let access = tokens["access_token"].as_str().unwrap();
    let revoke = post_form(
        &idp.endpoint(Endpoint::Revoke),
        Some(("web-app", "web-app-secret")),
        &[("token", access)],
    )
    .await;
    assert_eq!(revoke.status, StatusCode::OK);
    assert_eq!(introspect(&idp, access).await, json!({"active": false}));
    let userinfo = read(
        client()
            .get(idp.endpoint(Endpoint::Userinfo))
            .bearer_auth(access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(&userinfo, StatusCode::UNAUTHORIZED, "invalid_token");
    let challenge = userinfo.header("www-authenticate").unwrap();
    assert!(
        challenge.starts_with("Bearer realm=\"demo\", error=\"invalid_token\""),
        "{challenge}"
    );
}

#[tokio::test]
async fn a_disabled_user_cannot_log_in_by_password_grant_page_or_hint() {
    let idp = MockIdp::builder().auto_approve(true).start().await;
    let reply = post_form(
        &token_url(&idp),
        Some(("web-app", "web-app-secret")),
        &[
            ("grant_type", "password"),
            ("username", "carol"),
            ("password", "carol-password"),
        ],
    )
    .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "invalid_grant");
    assert!(reply.json()["error_description"].as_str().unwrap().contains("disabled"));
    let wrong = post_form(
        &token_url(&idp),
        Some(("web-app", "web-app-secret")),
        &[("grant_type", "password"), ("username", "alice"), ("password", "nope")],
    )
    .await;
    assert_error(&wrong, StatusCode::BAD_REQUEST, "invalid_grant");

    // login_hint=carol is not auto-approved: the page is shown instead, and it refuses her.
    let page = authorize(
        &idp,
        &[
            ("response_type", "code"),
            ("client_id", "web-app"),
            ("redirect_uri", WEB_REDIRECT),
            ("login_hint", "carol"),
        ],
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    let request_id = page
        .text
        .split("name=\"request_id\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let login = post_form(
        &idp.endpoint(Endpoint::Login),
        None,
        &[
            ("request_id", request_id),
            ("username", "carol"),
            ("password", "carol-password"),
        ],
    )
    .await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED);
    assert!(login.header("location").is_none());
    assert!(login.text.contains("disabled"));
}

#[tokio::test]
async fn userinfo_without_a_token_gets_a_bare_bearer_challenge() {
    let idp = MockIdp::start().await;
    let reply = get(&idp.endpoint(Endpoint::Userinfo)).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.header("www-authenticate"), Some("Bearer realm=\"demo\""));
    let basic = read(
        client()
            .get(idp.endpoint(Endpoint::Userinfo))
            .header("authorization", basic("a", "b"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(basic.header("www-authenticate"), Some("Bearer realm=\"demo\""));
}

#[tokio::test]
async fn userinfo_refuses_garbage_expired_and_id_tokens_and_tokens_without_openid() {
    let clock = ManualClock::at(T0);
    let idp = MockIdp::builder().auto_approve(true).clock(clock.clone()).start().await;
    let url = idp.endpoint(Endpoint::Userinfo);
    let call = |token: String| {
        let url = url.clone();
        async move { read(client().get(&url).bearer_auth(token).send().await.unwrap()).await }
    };
    assert_error(&call("garbage".into()).await, StatusCode::UNAUTHORIZED, "invalid_token");
    let tokens = web_tokens(&idp, "alice", "openid").await;
    assert_error(
        &call(tokens["id_token"].as_str().unwrap().into()).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    );
    let service = idp.service_token("service").await.unwrap();
    let no_openid = call(service.access_token).await;
    assert_error(&no_openid, StatusCode::FORBIDDEN, "insufficient_scope");
    assert!(
        no_openid
            .header("www-authenticate")
            .unwrap()
            .contains("scope=\"openid\"")
    );
    clock.advance(301);
    assert_error(
        &call(tokens["access_token"].as_str().unwrap().into()).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    );
}

#[tokio::test]
async fn a_token_in_both_header_and_query_is_400_invalid_request() {
    let idp = MockIdp::builder().auto_approve(true).start().await;
    let tokens = web_tokens(&idp, "alice", "openid").await;
    let access = tokens["access_token"].as_str().unwrap();
    let url = format!("{}?access_token={access}", idp.endpoint(Endpoint::Userinfo));
    let reply = read(client().get(&url).bearer_auth(access).send().await.unwrap()).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "invalid_request");
    let both = read(
        client()
            .post(idp.endpoint(Endpoint::Userinfo))
            .bearer_auth(access)
            .form(&[("access_token", access)])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(&both, StatusCode::BAD_REQUEST, "invalid_request");
}

#[tokio::test]
async fn introspection_requires_an_authenticated_client_that_may_introspect() {
    let idp = MockIdp::builder().auto_approve(true).start().await;
    let access = web_tokens(&idp, "alice", "openid").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = idp.endpoint(Endpoint::Introspect);
    for (auth, form) in [
        (None, vec![("token", access.as_str())]),
        (Some(("api", "wrong")), vec![("token", access.as_str())]),
        (None, vec![("token", access.as_str()), ("client_id", "spa")]),
        (Some(("service", "service-secret")), vec![("token", access.as_str())]),
    ] {
        let reply = post_form(&url, auth, &form).await;
        assert_error(&reply, StatusCode::UNAUTHORIZED, "invalid_client");
        assert!(!reply.text.contains("active"), "never an answer about the token");
    }
    let no_token = post_form(&url, Some(("api", "api-secret")), &[]).await;
    assert_error(&no_token, StatusCode::BAD_REQUEST, "invalid_request");
    let as_get = get(&format!("{url}?token={access}")).await;
    assert_error(&as_get, StatusCode::METHOD_NOT_ALLOWED, "invalid_request");
}

#[tokio::test]
async fn revocation_requires_client_authentication_and_a_token() {
    let idp = MockIdp::start().await;
    let url = idp.endpoint(Endpoint::Revoke);
    assert_error(
        &post_form(&url, None, &[("token", "x")]).await,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
    );
    assert_error(
        &post_form(&url, Some(("web-app", "bad")), &[("token", "x")]).await,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
    );
    assert_error(
        &post_form(&url, Some(("web-app", "web-app-secret")), &[]).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert_error(&get(&url).await, StatusCode::METHOD_NOT_ALLOWED, "invalid_request");
}

#[tokio::test]
async fn logout_refuses_unregistered_post_logout_redirect_uris() {
    let idp = MockIdp::start().await;
    let url = url::Url::parse_with_params(
        &idp.endpoint(Endpoint::EndSession),
        &[
            ("client_id", "web-app"),
            ("post_logout_redirect_uri", "http://evil.example/"),
        ],
    )
    .unwrap();
    let reply = get(url.as_str()).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.header("location").is_none());
    let anonymous = url::Url::parse_with_params(
        &idp.endpoint(Endpoint::EndSession),
        &[("post_logout_redirect_uri", "http://127.0.0.1:5000/")],
    )
    .unwrap();
    assert_eq!(get(anonymous.as_str()).await.status, StatusCode::BAD_REQUEST);
    let forged_hint =
        url::Url::parse_with_params(&idp.endpoint(Endpoint::EndSession), &[("id_token_hint", "e30.e30.e30")]).unwrap();
    assert_eq!(get(forged_hint.as_str()).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_unknown_realm_or_path_is_404() {
    let idp = MockIdp::start().await;
    let realm = get(&format!("{}/nope/.well-known/openid-configuration", idp.uri())).await;
    assert_error(&realm, StatusCode::NOT_FOUND, "not_found");
    let path = get(&format!("{}/demo/nothing-here", idp.uri())).await;
    assert_error(&path, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn basic_credentials_are_form_urldecoded() {
    // RFC 6749 §2.3.1: id and secret are form-urlencoded before base64.
    let world = World::from_toml_str(
        "[realms.r]\nscopes = [\"openid\"]\n[realms.r.clients.\"odd.client@x\"]\nkind = \"confidential\"\nsecret = \"p:w%+ d€\"\ngrant_types = [\"client_credentials\"]\n",
        "odd",
    )
    .unwrap();
    let idp = MockIdp::builder().world(world).start().await;
    let encode = |text: &str| url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
    let reply = post_form(
        &token_url(&idp),
        Some((&encode("odd.client@x"), &encode("p:w%+ d€"))),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let raw = post_form(
        &token_url(&idp),
        Some(("odd.client@x", "p:w%+ d€")),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_error(&raw, StatusCode::UNAUTHORIZED, "invalid_client");
}
