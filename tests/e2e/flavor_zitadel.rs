//! The ZITADEL flavor, used the way ZITADEL's docs and the seeds' Flask API use ZITADEL: a
//! host-level issuer, `/oauth/v2/*` and `/oidc/v1/*` paths, opaque access tokens checked by
//! introspection with Basic auth, roles read from `urn:zitadel:iam:org:project:roles`.

use crate::support::*;
use insta::assert_json_snapshot;
use mock_idp::{ManualClock, MockIdp, Provider, World};
use reqwest::StatusCode;
use serde_json::{Value, json};

const ROLES: &str = "urn:zitadel:iam:org:project:roles";

async fn zitadel() -> MockIdp {
    fixed(Provider::Zitadel).await
}

fn stable(idp: &MockIdp, value: Value) -> Value {
    stable_as(idp, value, "http://zitadel")
}

async fn web_code_flow(idp: &MockIdp, user: &str) -> Value {
    let (verifier, challenge) = pkce_pair();
    let url = url::Url::parse_with_params(
        &at(idp, "/oauth/v2/authorize"),
        &[
            ("response_type", "code"),
            ("client_id", "web-app"),
            ("redirect_uri", WEB_REDIRECT),
            ("scope", "openid profile email offline_access"),
            ("state", "s"),
            ("nonce", "n"),
            ("login_hint", user),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ],
    )
    .unwrap();
    let redirect = get(url.as_str()).await;
    let code = redirect
        .location_param("code")
        .unwrap_or_else(|| panic!("{}", redirect.location()));
    let reply = post_form(
        &at(idp, "/oauth/v2/token"),
        Some(("web-app", "web-app-secret")),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", WEB_REDIRECT),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.json()
}

async fn introspect_as_api(idp: &MockIdp, token: &str) -> Value {
    post_form(
        &at(idp, "/oauth/v2/introspect"),
        Some(("api", "api-secret")),
        &[("token", token)],
    )
    .await
    .json()
}

#[tokio::test]
async fn a_zitadel_configured_api_works_unchanged() {
    let idp = zitadel().await;
    assert_eq!(idp.issuer(), idp.uri(), "one issuer per host, no path");

    let tokens = web_code_flow(&idp, "alice").await;
    let access = tokens["access_token"].as_str().unwrap();
    assert!(!access.contains('.'), "access tokens are opaque by default: {access}");

    // The ID token verifies with the keys at /oauth/v2/keys.
    let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_str(&get(&at(&idp, "/oauth/v2/keys")).await.text).unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(id_token).unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(jwks.find(header.kid.as_deref().unwrap()).unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.set_issuer(&[idp.issuer()]);
    validation.set_audience(&["web-app"]);
    let id = jsonwebtoken::decode::<Value>(id_token, &key, &validation)
        .unwrap()
        .claims;
    assert_eq!(id["nonce"], "n");
    assert!(
        id.get("email").is_none(),
        "profile claims come from userinfo, not the ID token"
    );

    // The API introspects with Basic auth and reads the project roles map.
    let active = introspect_as_api(&idp, access).await;
    assert_eq!(active["active"], true, "{active}");
    assert_eq!(active["token_type"], "Bearer");
    let mut roles: Vec<&String> = active[ROLES].as_object().unwrap().keys().collect();
    roles.sort();
    assert_eq!(roles, ["admin", "read:messages", "user"]);
    let org = active[ROLES]["admin"].as_object().unwrap();
    assert_eq!(org.values().next().unwrap(), "demo.localhost");

    let userinfo = read(
        client()
            .get(at(&idp, "/oidc/v1/userinfo"))
            .bearer_auth(access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(userinfo.json()["email"], "alice@example.com");

    // Revocation, then introspection says inactive; logout at /oidc/v1/end_session.
    let revoke = post_form(
        &at(&idp, "/oauth/v2/revoke"),
        Some(("web-app", "web-app-secret")),
        &[("token", access)],
    )
    .await;
    assert_eq!(revoke.status, StatusCode::OK);
    assert_eq!(introspect_as_api(&idp, access).await, json!({"active": false}));
    let logout = url::Url::parse_with_params(
        &at(&idp, "/oidc/v1/end_session"),
        &[
            ("id_token_hint", id_token),
            ("post_logout_redirect_uri", "http://127.0.0.1:5000/"),
            ("state", "x"),
        ],
    )
    .unwrap();
    assert_eq!(
        get(logout.as_str()).await.location().as_str(),
        "http://127.0.0.1:5000/?state=x"
    );
}

#[tokio::test]
async fn a_service_account_gets_an_opaque_token_with_its_roles() {
    let idp = zitadel().await;
    let reply = post_form(
        &at(&idp, "/oauth/v2/token"),
        Some(("service", "service-secret")),
        &[("grant_type", "client_credentials"), ("scope", "read:messages")],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let token = reply.json()["access_token"].as_str().unwrap().to_owned();
    let active = introspect_as_api(&idp, &token).await;
    assert_eq!(active["client_id"], "service");
    // A machine user's token carries only the project-qualified role claim (ZITADEL userinfo.go
    // setUserInfoRoleClaims; issue 15).
    assert!(active.get(ROLES).is_none(), "{active}");
    let qualified = format!(
        "urn:zitadel:iam:org:project:{}:roles",
        providers::zitadel::project_id("demo")
    );
    assert!(active[qualified.as_str()].get("reporting").is_some(), "{active}");
    assert_eq!(active["scope"], "read:messages");
}

#[tokio::test]
async fn jwt_access_tokens_carry_roles_and_the_project_audience_but_no_scope() {
    let mut world = World::default_world().unwrap();
    let demo = world.realms.get_mut("demo").unwrap();
    demo.clients.get_mut("web-app").unwrap().access_token_format = Some(providers::TokenFormat::Jwt);
    let idp = MockIdp::builder()
        .provider(Provider::Zitadel)
        .auto_approve(true)
        .clock(ManualClock::at(T0))
        .world(world)
        .start()
        .await;
    let tokens = web_code_flow(&idp, "alice").await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(header_of(access)["typ"], "JWT");
    let claims = claims_of(access);
    assert!(claims.get("scope").is_none());
    assert!(claims.get("azp").is_none());
    let aud = claims["aud"].as_array().unwrap();
    assert_eq!(aud[0], "web-app");
    assert!(aud.len() >= 2, "the project id is an audience: {aud:?}");
    assert!(claims[ROLES].get("admin").is_some());
    assert_json_snapshot!("zitadel_jwt_access_token_claims", stable(&idp, claims), { ".jti" => "[jti]" });
    // Userinfo still accepts it (the provider knows the scopes server-side).
    let userinfo = read(
        client()
            .get(at(&idp, "/oidc/v1/userinfo"))
            .bearer_auth(access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(userinfo.status, StatusCode::OK, "{}", userinfo.text);
}

#[tokio::test]
async fn zitadel_errors_have_zitadels_status_codes_and_bodies() {
    let idp = zitadel().await;
    let token = at(&idp, "/oauth/v2/token");
    let json_error = |reply: &Reply, status: u16, error: &str, description: &str| {
        assert_eq!(reply.status.as_u16(), status, "{}", reply.text);
        assert_eq!(reply.json(), json!({"error": error, "error_description": description}));
        assert!(
            reply.header("www-authenticate").is_none(),
            "zitadel/oidc sets no WWW-Authenticate"
        );
    };
    json_error(
        &post_form(
            &token,
            Some(("service", "wrong")),
            &[("grant_type", "client_credentials")],
        )
        .await,
        400,
        "invalid_client",
        "invalid secret",
    );
    json_error(
        &post_form(&token, Some(("ghost", "x")), &[("grant_type", "client_credentials")]).await,
        400,
        "invalid_client",
        "no active client not found",
    );
    let password = post_form(
        &token,
        Some(("web-app", "web-app-secret")),
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "alice-password"),
        ],
    )
    .await;
    assert_eq!(password.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        password.json()["error"],
        "unsupported_grant_type",
        "ZITADEL has no password grant"
    );
    json_error(
        &post_form(
            &token,
            Some(("web-app", "web-app-secret")),
            &[
                ("grant_type", "authorization_code"),
                ("code", "nope"),
                ("redirect_uri", WEB_REDIRECT),
            ],
        )
        .await,
        400,
        "invalid_request",
        // ZITADEL token_code.go: ThrowInvalidArgument(…, "Errors.User.Code.Invalid"); error.go
        // oidcError writes the message as the description (issue 15).
        "Errors.User.Code.Invalid",
    );
    json_error(
        &get(&at(&idp, "/oidc/v1/userinfo")).await,
        401,
        "invalid_request",
        "access token missing",
    );
    json_error(
        &read(
            client()
                .get(at(&idp, "/oidc/v1/userinfo"))
                .bearer_auth("garbage")
                .send()
                .await
                .unwrap(),
        )
        .await,
        401,
        "access_denied",
        "access token invalid",
    );
    json_error(
        &post_form(&at(&idp, "/oauth/v2/introspect"), None, &[("token", "x")]).await,
        400,
        // zitadel/oidc server_http.go parseClientCredentials, before ZITADEL's Introspect
        // (server_http_test.go "missing client id and assertion"; issue 15).
        "invalid_request",
        "client_id or client_assertion must be provided",
    );

    // PKCE plain is accepted at the authorization endpoint though discovery lists S256 only
    // (zitadel/oidc ValidateAuthReqCodeChallengeMethod; ZITADEL CodeChallengeToBusiness; issue 15).
    let (_, challenge) = pkce_pair();
    let plain = url::Url::parse_with_params(
        &at(&idp, "/oauth/v2/authorize"),
        &[
            ("response_type", "code"),
            ("client_id", "web-app"),
            ("redirect_uri", WEB_REDIRECT),
            ("login_hint", "alice"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "plain"),
        ],
    )
    .unwrap();
    assert!(get(plain.as_str()).await.location_param("code").is_some());
    let discovery = get(&idp.discovery_url()).await.json();
    assert_eq!(discovery["code_challenge_methods_supported"], json!(["S256"]));
    assert!(
        !discovery["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("password"))
    );
}

#[tokio::test]
async fn zitadel_documents() {
    let idp = zitadel().await;
    assert_json_snapshot!(
        "zitadel_discovery",
        stable(&idp, get(&idp.discovery_url()).await.json())
    );
    let tokens = web_code_flow(&idp, "alice").await;
    assert_json_snapshot!("zitadel_token_response", tokens, {
        ".access_token" => "[opaque]", ".id_token" => "[jwt]", ".refresh_token" => "[opaque]"
    });
    assert_json_snapshot!("zitadel_id_token_claims", stable(&idp, claims_of(tokens["id_token"].as_str().unwrap())), {
        ".sid" => "[sid]", ".at_hash" => "[at_hash]", ".jti" => "[jti]"
    });
    let access = tokens["access_token"].as_str().unwrap();
    assert_json_snapshot!("zitadel_introspection", stable(&idp, introspect_as_api(&idp, access).await), { ".jti" => "[jti]" });
    let userinfo = read(
        client()
            .get(at(&idp, "/oidc/v1/userinfo"))
            .bearer_auth(access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_json_snapshot!("zitadel_userinfo", userinfo.json());
}

/// zitadel/oidc's `ValidateEndSessionRequest` (`pkg/op/session.go`) refuses a logout with a
/// 400 JSON `invalid_request` and its own descriptions, and ignores a redirect it has no client
/// to check against. The mock answered each of these with its HTML "Request refused" page.
#[tokio::test]
async fn logout_refusals_are_zitadel_oidc_json() {
    let idp = zitadel().await;
    let tokens = web_code_flow(&idp, "alice").await;
    let id_token = tokens["id_token"].as_str().unwrap();
    let end_session = |params: &[(&str, &str)]| {
        url::Url::parse_with_params(&at(&idp, "/oidc/v1/end_session"), params)
            .unwrap()
            .to_string()
    };
    let refusal = |description: &str| json!({"error": "invalid_request", "error_description": description});

    // A token of another realm's key (a foreign signature) is no hint.
    let mut forged = id_token.rsplit_once('.').unwrap().0.to_owned();
    forged.push_str(".AAAA");
    for (params, description) in [
        (vec![("id_token_hint", forged.as_str())], "id_token_hint invalid"),
        (
            vec![("id_token_hint", id_token), ("client_id", "spa")],
            "client_id does not match azp of id_token_hint",
        ),
        (
            vec![
                ("id_token_hint", id_token),
                ("post_logout_redirect_uri", "https://elsewhere.example/"),
            ],
            "post_logout_redirect_uri invalid",
        ),
        (
            vec![
                ("client_id", "web-app"),
                ("post_logout_redirect_uri", "https://elsewhere.example/"),
            ],
            "post_logout_redirect_uri invalid",
        ),
    ] {
        let reply = get(&end_session(&params)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{params:?}: {}", reply.text);
        assert_eq!(reply.json(), refusal(description), "{params:?}");
    }

    // Without a client to check it against, the redirect is ignored: logged out, no redirect.
    let reply = get(&end_session(&[(
        "post_logout_redirect_uri",
        "https://elsewhere.example/",
    )]))
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert!(reply.headers.get("location").is_none());
}
