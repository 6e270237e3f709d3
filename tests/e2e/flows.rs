//! Happy paths of every endpoint against the running server, with real HTTP.

use crate::support::*;
use mock_idp::{Endpoint, ManualClock, MockIdp, TokenSpec, World};
use reqwest::StatusCode;

#[tokio::test]
async fn the_spa_code_flow_with_pkce_issues_rfc_9068_access_tokens_and_verifiable_id_tokens() {
    let idp = MockIdp::builder().auto_approve(true).start().await;
    let (verifier, challenge) = pkce_pair();
    let code = code_for(
        &idp,
        "alice",
        "spa",
        SPA_REDIRECT,
        "openid profile email",
        Some(&challenge),
    )
    .await;
    let reply = post_form(
        &token_url(&idp),
        None,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", SPA_REDIRECT),
            ("client_id", "spa"),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert_eq!(reply.header("pragma"), Some("no-cache"));
    let body = reply.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 300);
    assert_eq!(body["scope"], "openid profile email");

    let access = body["access_token"].as_str().unwrap();
    assert_eq!(header_of(access)["typ"], "at+jwt");
    let (_, claims) = verify(&idp, access, None).await;
    for claim in ["iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope"] {
        assert!(claims.get(claim).is_some(), "{claim} missing from {claims}");
    }
    assert_eq!(claims["sub"], ALICE_ID);
    assert_eq!(claims["client_id"], "spa");
    assert_eq!(claims["aud"], "api", "alice holds a role on api");

    let id_token = body["id_token"].as_str().unwrap();
    let (header, id) = verify(&idp, id_token, Some("spa")).await;
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    assert_eq!(id["nonce"], "n-1");
    assert_eq!(id["azp"], "spa");
    assert_eq!(id["email"], "alice@example.com");
    assert!(id["sid"].is_string() && id["auth_time"].is_u64());
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, access.as_bytes());
    let expected_at_hash = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        &digest.as_ref()[..16],
    );
    assert_eq!(id["at_hash"], expected_at_hash.as_str());
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let idp = MockIdp::builder().auto_approve(true).start().await;
    let first = web_tokens(&idp, "alice", "openid offline_access").await;
    let old_refresh = first["refresh_token"].as_str().unwrap();
    let refresh = |token: String| {
        let url = token_url(&idp);
        async move {
            post_form(
                &url,
                Some(("web-app", "web-app-secret")),
                &[("grant_type", "refresh_token"), ("refresh_token", &token)],
            )
            .await
        }
    };
    let second = refresh(old_refresh.to_owned()).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    let second = second.json();
    let new_refresh = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(new_refresh, old_refresh);
    assert_eq!(
        introspect(&idp, second["access_token"].as_str().unwrap()).await["active"],
        true
    );

    let reuse = refresh(old_refresh.to_owned()).await;
    assert_eq!(reuse.status, StatusCode::BAD_REQUEST);
    assert_eq!(reuse.json()["error"], "invalid_grant");
    // The whole family is gone: the newest refresh token and the access tokens too.
    assert_eq!(refresh(new_refresh).await.json()["error"], "invalid_grant");
    assert_eq!(
        introspect(&idp, second["access_token"].as_str().unwrap()).await,
        serde_json::json!({"active": false})
    );
}

#[tokio::test]
async fn a_refresh_may_narrow_the_scope_but_not_widen_it() {
    let idp = MockIdp::builder().auto_approve(true).start().await;
    let tokens = web_tokens(&idp, "bob", "openid email").await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let url = token_url(&idp);
    let wider = post_form(
        &url,
        Some(("web-app", "web-app-secret")),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("scope", "openid email profile"),
        ],
    )
    .await;
    assert_eq!(wider.status, StatusCode::BAD_REQUEST);
    assert_eq!(wider.json()["error"], "invalid_scope");
    let narrower = post_form(
        &url,
        Some(("web-app", "web-app-secret")),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("scope", "openid"),
        ],
    )
    .await;
    assert_eq!(
        narrower.status,
        StatusCode::OK,
        "a refused widening must not burn the token: {}",
        narrower.text
    );
    assert_eq!(narrower.json()["scope"], "openid");
}

#[tokio::test]
async fn client_credentials_gives_a_service_token_without_refresh() {
    let idp = MockIdp::start().await;
    let reply = post_form(
        &token_url(&idp),
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "service"),
            ("client_secret", "service-secret"),
            ("scope", "read:messages"),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let body = reply.json();
    assert!(body.get("refresh_token").is_none());
    assert!(body.get("id_token").is_none());
    let (_, claims) = verify(&idp, body["access_token"].as_str().unwrap(), Some("api")).await;
    assert_eq!(claims["sub"], "service");
    assert_eq!(claims["client_id"], "service");
    assert_eq!(claims["roles"], serde_json::json!(["reporting"]));
    assert_eq!(claims["scope"], "read:messages");
}

#[tokio::test]
async fn the_password_grant_issues_tokens_for_enabled_users() {
    let idp = MockIdp::start().await;
    let reply = post_form(
        &token_url(&idp),
        Some(("web-app", "web-app-secret")),
        &[
            ("grant_type", "password"),
            ("username", "bob"),
            ("password", "bob-password"),
            ("scope", "openid profile"),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let body = reply.json();
    let (_, id) = verify(&idp, body["id_token"].as_str().unwrap(), Some("web-app")).await;
    assert_eq!(id["name"], "Bob Builder");
    assert!(id.get("email").is_none(), "email scope was not requested");
    let (_, access) = verify(&idp, body["access_token"].as_str().unwrap(), Some("web-app")).await;
    assert_eq!(access["roles"], serde_json::json!(["user"]));
}

#[tokio::test]
async fn userinfo_answers_get_and_post_with_scope_filtered_claims() {
    let idp = MockIdp::builder().auto_approve(true).start().await;
    let tokens = web_tokens(&idp, "alice", "openid email").await;
    let access = tokens["access_token"].as_str().unwrap();
    let url = idp.endpoint(Endpoint::Userinfo);

    let by_get = read(client().get(&url).bearer_auth(access).send().await.unwrap()).await;
    assert_eq!(by_get.status, StatusCode::OK, "{}", by_get.text);
    assert_eq!(
        by_get.json(),
        serde_json::json!({"sub": ALICE_ID, "email": "alice@example.com", "email_verified": true})
    );
    let by_post_header = read(client().post(&url).bearer_auth(access).send().await.unwrap()).await;
    assert_eq!(by_post_header.json(), by_get.json());
    let by_post_body = post_form(&url, None, &[("access_token", access)]).await;
    assert_eq!(by_post_body.json(), by_get.json());
}

#[tokio::test]
async fn introspection_describes_live_tokens_and_nothing_else() {
    let clock = ManualClock::at(T0);
    let idp = MockIdp::builder().auto_approve(true).clock(clock.clone()).start().await;
    let tokens = web_tokens(&idp, "alice", "openid read:messages").await;
    let access = tokens["access_token"].as_str().unwrap();
    let active = introspect(&idp, access).await;
    assert_eq!(active["active"], true);
    assert_eq!(active["client_id"], "web-app");
    assert_eq!(active["sub"], ALICE_ID);
    assert_eq!(active["username"], "alice");
    assert_eq!(active["scope"], "openid read:messages");
    assert_eq!(active["iss"], idp.issuer());
    assert_eq!(active["exp"], T0 + 300);

    let refresh = introspect(&idp, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(refresh["active"], true);
    assert_eq!(refresh["token_type"], "refresh_token");

    for junk in ["garbage", "a.b.c", &format!("{access}x")] {
        assert_eq!(
            introspect(&idp, junk).await,
            serde_json::json!({"active": false}),
            "{junk}"
        );
    }
    clock.advance(301);
    assert_eq!(
        introspect(&idp, access).await,
        serde_json::json!({"active": false}),
        "expired"
    );
}

#[tokio::test]
async fn revoking_a_refresh_token_ends_its_grant() {
    let idp = MockIdp::builder().auto_approve(true).start().await;
    let tokens = web_tokens(&idp, "alice", "openid").await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let revoke = post_form(
        &idp.endpoint(Endpoint::Revoke),
        Some(("web-app", "web-app-secret")),
        &[("token", refresh), ("token_type_hint", "refresh_token")],
    )
    .await;
    assert_eq!(revoke.status, StatusCode::OK);
    let again = post_form(
        &token_url(&idp),
        Some(("web-app", "web-app-secret")),
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(again.json()["error"], "invalid_grant");
    assert_eq!(
        introspect(&idp, tokens["access_token"].as_str().unwrap()).await["active"],
        false
    );
}

#[tokio::test]
async fn revoking_an_access_token_turns_it_inactive_but_another_clients_revocation_is_a_no_op() {
    let idp = MockIdp::builder().auto_approve(true).start().await;
    let tokens = web_tokens(&idp, "alice", "openid").await;
    let access = tokens["access_token"].as_str().unwrap();
    let url = idp.endpoint(Endpoint::Revoke);
    let foreign = post_form(
        &url,
        Some(("service", "service-secret")),
        &[("token", access), ("token_type_hint", "foo")],
    )
    .await;
    assert_eq!(foreign.status, StatusCode::OK);
    assert_eq!(
        introspect(&idp, access).await["active"],
        true,
        "service may not revoke web-app's token"
    );
    let own = post_form(&url, Some(("web-app", "web-app-secret")), &[("token", access)]).await;
    assert_eq!(own.status, StatusCode::OK);
    assert_eq!(introspect(&idp, access).await["active"], false);
    let userinfo = read(
        client()
            .get(idp.endpoint(Endpoint::Userinfo))
            .bearer_auth(access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(userinfo.status, StatusCode::UNAUTHORIZED);
    for unknown in ["nonsense", access] {
        assert_eq!(
            post_form(&url, Some(("web-app", "web-app-secret")), &[("token", unknown)])
                .await
                .status,
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn the_login_page_logs_in_with_a_password_and_the_session_serves_prompt_none() {
    let idp = MockIdp::start().await; // no auto-approve: the page is shown
    let (_, challenge) = pkce_pair();
    let params = [
        ("response_type", "code"),
        ("client_id", "web-app"),
        ("redirect_uri", WEB_REDIRECT),
        ("scope", "openid"),
        ("state", "s"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let page = authorize(&idp, &params).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.header("content-type").unwrap().starts_with("text/html"));
    let request_id = page
        .text
        .split("name=\"request_id\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let login = idp.endpoint(Endpoint::Login);

    let wrong = post_form(
        &login,
        None,
        &[
            ("request_id", &request_id),
            ("username", "alice"),
            ("password", "nope"),
            ("action", "login"),
        ],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.text.contains("invalid username or password"));

    let ok = post_form(
        &login,
        None,
        &[
            ("request_id", &request_id),
            ("username", "alice"),
            ("password", "alice-password"),
            ("action", "login"),
        ],
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    assert!(ok.location_param("code").is_some());
    assert_eq!(ok.location_param("state").as_deref(), Some("s"));
    let cookie = ok.header("set-cookie").unwrap().split(';').next().unwrap().to_owned();

    // The same browser (cookie) gets a code silently with prompt=none.
    let mut silent: Vec<(&str, &str)> = params.to_vec();
    silent.push(("prompt", "none"));
    let url = url::Url::parse_with_params(&idp.endpoint(Endpoint::Authorize), &silent).unwrap();
    let again = read(
        client()
            .get(url.as_str())
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(again.status, StatusCode::FOUND);
    assert!(again.location_param("code").is_some(), "{}", again.location());

    // Logout without id_token_hint asks first (OpenID Connect RP-Initiated Logout 1.0 §6, as
    // Keycloak does); the session ends when the confirmation form is posted. After it the
    // session is gone: prompt=none answers login_required, state kept.
    let logout = url::Url::parse_with_params(
        &idp.endpoint(Endpoint::EndSession),
        &[
            ("client_id", "web-app"),
            ("post_logout_redirect_uri", "http://127.0.0.1:5000/"),
            ("state", "bye"),
        ],
    )
    .unwrap();
    let confirm = read(
        client()
            .get(logout.as_str())
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.text);
    let field = |name: &str| {
        confirm
            .text
            .split(&format!("name=\"{name}\" value=\""))
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .map(|value| value.replace("&amp;", "&"))
            .unwrap()
    };
    let form = [
        ("client_id", field("client_id")),
        ("post_logout_redirect_uri", field("post_logout_redirect_uri")),
        ("state", field("state")),
        ("confirm", field("confirm")),
    ];
    let out = read(
        client()
            .post(logout.as_str().split('?').next().unwrap())
            .header("cookie", &cookie)
            .form(&form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(out.status, StatusCode::FOUND, "{}", out.text);
    assert_eq!(out.location().as_str(), "http://127.0.0.1:5000/?state=bye");
    let after = read(
        client()
            .get(url.as_str())
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(after.location_param("error").as_deref(), Some("login_required"));
    assert_eq!(after.location_param("state").as_deref(), Some("s"));
}

#[tokio::test]
async fn the_deny_button_answers_access_denied_and_pick_a_user_logs_in() {
    let idp = MockIdp::start().await;
    let params = [
        ("response_type", "code"),
        ("client_id", "web-app"),
        ("redirect_uri", WEB_REDIRECT),
        ("state", "d"),
    ];
    let request_id = |text: &str| {
        text.split("name=\"request_id\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned()
    };
    let login = idp.endpoint(Endpoint::Login);

    let page = authorize(&idp, &params).await;
    let deny = post_form(
        &login,
        None,
        &[("request_id", &request_id(&page.text)), ("action", "deny")],
    )
    .await;
    assert_eq!(deny.location_param("error").as_deref(), Some("access_denied"));
    assert_eq!(deny.location_param("state").as_deref(), Some("d"));

    let page = authorize(&idp, &params).await;
    assert!(page.text.contains("value=\"bob\""), "bob is offered");
    assert!(!page.text.contains("value=\"carol\""), "disabled users are not offered");
    let picked = post_form(
        &login,
        None,
        &[("request_id", &request_id(&page.text)), ("pick", "bob")],
    )
    .await;
    let code = picked.location_param("code").unwrap();
    let tokens = exchange_web_code(&idp, &code, None).await.json();
    assert_eq!(
        claims_of(tokens["access_token"].as_str().unwrap())["sub"],
        "2b8e4d6f-1a3c-4b5d-9e7f-6a8b0c2d4e6f"
    );
}

#[tokio::test]
async fn mint_and_token_for_produce_tokens_the_endpoints_accept() {
    let idp = MockIdp::start().await;
    let minted = idp
        .mint(TokenSpec::user("alice").scope("openid email").claim("tenant", "blue"))
        .unwrap();
    let (_, claims) = verify(&idp, &minted, Some("api")).await;
    assert_eq!(claims["tenant"], "blue");
    assert_eq!(claims["client_id"], "web-app");
    let userinfo = read(
        client()
            .get(idp.endpoint(Endpoint::Userinfo))
            .bearer_auth(&minted)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(userinfo.json()["email"], "alice@example.com");

    let expired = idp.mint(TokenSpec::user("alice").expires_in(0)).unwrap();
    assert_eq!(introspect(&idp, &expired).await["active"], false);

    let via_grant = idp.token_for("alice", "spa").await.unwrap();
    assert!(via_grant.id_token.is_some() && via_grant.refresh_token.is_some());
    assert_eq!(introspect(&idp, &via_grant.access_token).await["client_id"], "spa");
    let via_password = idp.token_for("bob", "web-app").await.unwrap();
    assert_eq!(
        claims_of(&via_password.access_token)["sub"],
        "2b8e4d6f-1a3c-4b5d-9e7f-6a8b0c2d4e6f"
    );
    assert!(idp.token_for("carol", "web-app").await.is_err(), "carol is disabled");
    assert!(idp.token_for("alice", "nope").await.is_err());
    let service = idp.service_token("service").await.unwrap();
    assert!(service.refresh_token.is_none());
}

#[test]
fn the_blocking_variant_works_without_a_runtime() {
    let idp = MockIdp::start_blocking();
    let tokens = idp.token_for_blocking("alice", "web-app").unwrap();
    assert_eq!(claims_of(&tokens.access_token)["iss"], idp.issuer());
    let address = idp.address();
    drop(idp);
    assert!(
        std::net::TcpStream::connect(address).is_err(),
        "dropping the mock frees the port"
    );
}

const TWO_REALMS: &str = r#"
default_realm = "one"
[realms.one]
scopes = ["openid"]
[realms.one.clients.rs]
kind = "confidential"
secret = "rs-secret"
grant_types = ["client_credentials"]
introspection = true
access_token_format = "opaque"
[realms.two]
scopes = ["openid"]
[realms.two.clients.rs]
kind = "confidential"
secret = "rs-secret"
grant_types = ["client_credentials"]
introspection = true
signing_alg = "EdDSA"
"#;

#[tokio::test]
async fn realms_have_their_own_keys_and_never_accept_each_others_tokens() {
    let world = World::from_toml_str(TWO_REALMS, "two-realms").unwrap();
    let idp = MockIdp::builder().world(world).start().await;
    let one = get(&idp.endpoint_of("one", Endpoint::Jwks)).await.json();
    let two = get(&idp.endpoint_of("two", Endpoint::Jwks)).await.json();
    let kids = |set: &serde_json::Value| -> Vec<String> {
        set["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(
        kids(&one).iter().all(|kid| !kids(&two).contains(kid)),
        "realms share no key"
    );

    let token_in = |realm: &'static str| {
        let url = idp.endpoint_of(realm, Endpoint::Token);
        async move {
            post_form(&url, Some(("rs", "rs-secret")), &[("grant_type", "client_credentials")])
                .await
                .json()
        }
    };
    let opaque = token_in("one").await["access_token"].as_str().unwrap().to_owned();
    assert!(!opaque.contains('.'), "realm one issues opaque tokens: {opaque}");
    let eddsa = token_in("two").await["access_token"].as_str().unwrap().to_owned();
    assert_eq!(header_of(&eddsa)["alg"], "EdDSA");

    let introspect_in = |realm: &'static str, token: String| {
        let url = idp.endpoint_of(realm, Endpoint::Introspect);
        async move {
            post_form(&url, Some(("rs", "rs-secret")), &[("token", &token)])
                .await
                .json()
        }
    };
    assert_eq!(introspect_in("one", opaque.clone()).await["active"], true);
    assert_eq!(introspect_in("two", opaque).await["active"], false);
    assert_eq!(introspect_in("two", eddsa.clone()).await["active"], true);
    assert_eq!(introspect_in("one", eddsa).await["active"], false);
}

#[tokio::test]
async fn rotated_keys_are_published_alongside_the_old_ones() {
    let idp = MockIdp::start().await;
    let before = idp.mint(TokenSpec::client("service")).unwrap();
    idp.rotate_keys().unwrap();
    let after = idp.mint(TokenSpec::client("service")).unwrap();
    assert_ne!(header_of(&before)["kid"], header_of(&after)["kid"]);
    verify(&idp, &before, Some("service")).await;
    verify(&idp, &after, Some("service")).await;
    assert_eq!(introspect(&idp, &before).await["active"], true);
}

#[tokio::test]
async fn prompt_login_and_max_age_force_a_fresh_login() {
    let clock = ManualClock::at(T0);
    let idp = MockIdp::builder().auto_approve(true).clock(clock.clone()).start().await;
    let params = |extra: &[(&'static str, &'static str)]| {
        let mut params = vec![
            ("response_type", "code"),
            ("client_id", "web-app"),
            ("redirect_uri", WEB_REDIRECT),
            ("scope", "openid"),
            ("state", "s"),
        ];
        params.extend_from_slice(extra);
        url::Url::parse_with_params(&idp.endpoint(Endpoint::Authorize), &params).unwrap()
    };
    // Log in once (auto-approved) and keep the session cookie.
    let first = get(params(&[("login_hint", "alice")]).as_str()).await;
    let cookie = first
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let with_cookie = |url: url::Url| {
        let cookie = cookie.clone();
        async move {
            read(
                client()
                    .get(url.as_str())
                    .header("cookie", cookie)
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    // The session answers silently...
    assert!(with_cookie(params(&[])).await.location_param("code").is_some());
    // ...but prompt=login shows the login page again,
    let forced = with_cookie(params(&[("prompt", "login")])).await;
    assert_eq!(forced.status, StatusCode::OK);
    assert!(forced.text.contains("name=\"request_id\""));
    // and so does a max_age the session is older than (prompt=none then says login_required).
    clock.advance(120);
    assert!(
        with_cookie(params(&[("max_age", "600")]))
            .await
            .location_param("code")
            .is_some()
    );
    assert_eq!(with_cookie(params(&[("max_age", "60")])).await.status, StatusCode::OK);
    let silent = with_cookie(params(&[("max_age", "60"), ("prompt", "none")])).await;
    assert_eq!(silent.location_param("error").as_deref(), Some("login_required"));
    let bad = with_cookie(params(&[("max_age", "soon")])).await;
    assert_eq!(bad.location_param("error").as_deref(), Some("invalid_request"));
}
