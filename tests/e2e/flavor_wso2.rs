//! The WSO2 Identity Server flavor, used the way WSO2's docs and the Asgardeo Python SDK use
//! it: `{base}/oauth2/*` paths with the token endpoint as issuer, `/oidc/logout`, tenants under
//! `/t/{tenant}`, opaque tokens by default, WSO2's error bodies.

use crate::support::*;
use insta::assert_json_snapshot;
use mock_idp::{MockIdp, Provider, World};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn wso2_with(world: World) -> MockIdp {
    fixed_builder(Provider::Wso2).world(world).start().await
}

async fn wso2() -> MockIdp {
    wso2_with(World::default_world().unwrap()).await
}

fn stable(idp: &MockIdp, value: Value) -> Value {
    stable_as(idp, value, "https://localhost:9443")
}

async fn code_flow(idp: &MockIdp, prefix: &str) -> Value {
    let (verifier, challenge) = pkce_pair();
    let url = url::Url::parse_with_params(
        &at(idp, &format!("{prefix}/oauth2/authorize")),
        &[
            ("response_type", "code"),
            ("client_id", "web-app"),
            ("redirect_uri", WEB_REDIRECT),
            ("scope", "openid profile email"),
            ("state", "s"),
            ("nonce", "n"),
            ("login_hint", "alice"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ],
    )
    .unwrap();
    let code = get(url.as_str()).await.location_param("code").unwrap();
    let reply = post_form(
        &at(idp, &format!("{prefix}/oauth2/token")),
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

#[tokio::test]
async fn an_app_configured_for_wso2_works_unchanged() {
    let idp = wso2().await;
    assert_eq!(
        idp.issuer(),
        at(&idp, "/oauth2/token"),
        "the issuer is the token endpoint"
    );
    let discovery = get(&at(&idp, "/oauth2/token/.well-known/openid-configuration"))
        .await
        .json();
    assert_eq!(discovery["issuer"], idp.issuer());

    let tokens = code_flow(&idp, "").await;
    let access = tokens["access_token"].as_str().unwrap();
    assert!(!access.contains('.'), "opaque by default");

    let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_str(&get(&at(&idp, "/oauth2/jwks")).await.text).unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(id_token).unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(jwks.find(header.kid.as_deref().unwrap()).unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.set_issuer(&[idp.issuer()]);
    validation.set_audience(&["web-app"]);
    let id = jsonwebtoken::decode::<Value>(id_token, &key, &validation)
        .unwrap()
        .claims;
    assert_eq!(id["org_handle"], "carbon.super");
    assert_eq!(id["email"], "alice@example.com");

    let userinfo = read(
        client()
            .get(at(&idp, "/oauth2/userinfo"))
            .bearer_auth(access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(userinfo.json()["sub"], ALICE_ID);

    let active = post_form(
        &at(&idp, "/oauth2/introspect"),
        Some(("api", "api-secret")),
        &[("token", access)],
    )
    .await
    .json();
    assert_eq!(active["active"], true);
    assert_eq!(active["aut"], "APPLICATION_USER");
    assert_eq!(active["token_type"], "Bearer");
    assert_eq!(active["username"], "alice@carbon.super");

    let revoke = post_form(
        &at(&idp, "/oauth2/revoke"),
        Some(("web-app", "web-app-secret")),
        &[("token", access)],
    )
    .await;
    assert_eq!(revoke.status, StatusCode::OK);
    let inactive = post_form(
        &at(&idp, "/oauth2/introspect"),
        Some(("api", "api-secret")),
        &[("token", access)],
    )
    .await
    .json();
    assert_eq!(inactive, json!({"active": false}));

    let logout = url::Url::parse_with_params(
        &at(&idp, "/oidc/logout"),
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
async fn jwt_access_tokens_have_wso2s_claims_and_roles() {
    let mut world = World::default_world().unwrap();
    world
        .realms
        .get_mut("demo")
        .unwrap()
        .clients
        .get_mut("web-app")
        .unwrap()
        .access_token_format = Some(providers::TokenFormat::Jwt);
    let idp = wso2_with(world).await;
    let tokens = code_flow(&idp, "").await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(header_of(access)["typ"], "at+jwt");
    let claims = claims_of(access);
    assert_eq!(claims["aut"], "APPLICATION_USER");
    assert_eq!(claims["org_id"], "10084a8d-113f-4211-a0d5-efe36b082211");
    assert_eq!(claims["roles"], json!(["user", "admin"]));
    let introspected = post_form(
        &at(&idp, "/oauth2/introspect"),
        Some(("api", "api-secret")),
        &[("token", access)],
    )
    .await
    .json();
    assert_eq!(introspected["token_type"], "JWT");
    assert_json_snapshot!("wso2_jwt_access_token_claims", stable(&idp, claims), { ".jti" => "[jti]" });
}

#[tokio::test]
async fn tenants_live_under_t_tenant() {
    let mut world = World::default_world().unwrap();
    let mut acme = world.realms["demo"].clone();
    acme.name = "acme".into();
    acme.display_name = "Acme".into();
    world.realms.insert("acme".into(), acme);
    let idp = wso2_with(world).await;
    let discovery = get(&at(&idp, "/t/acme/oauth2/token/.well-known/openid-configuration"))
        .await
        .json();
    assert_eq!(discovery["issuer"], at(&idp, "/t/acme/oauth2/token"));
    assert_eq!(discovery["token_endpoint"], at(&idp, "/t/acme/oauth2/token"));
    let tokens = code_flow(&idp, "/t/acme").await;
    let id = claims_of(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["iss"], at(&idp, "/t/acme/oauth2/token"));
    assert_eq!(id["org_handle"], "acme");
    let active = post_form(
        &at(&idp, "/t/acme/oauth2/introspect"),
        Some(("api", "api-secret")),
        &[("token", tokens["access_token"].as_str().unwrap())],
    )
    .await
    .json();
    assert_eq!(active["username"], "alice@acme");
    let elsewhere = post_form(
        &at(&idp, "/oauth2/introspect"),
        Some(("api", "api-secret")),
        &[("token", tokens["access_token"].as_str().unwrap())],
    )
    .await
    .json();
    assert_eq!(
        elsewhere,
        json!({"active": false}),
        "a tenant's token is unknown to the super tenant"
    );
}

#[tokio::test]
async fn wso2_errors_have_wso2s_status_codes_and_bodies() {
    let idp = wso2().await;
    let token = at(&idp, "/oauth2/token");
    let oltu = |reply: &Reply, status: u16, error: &str, description: &str| {
        assert_eq!(reply.status.as_u16(), status, "{}", reply.text);
        assert_eq!(
            reply.text,
            format!(r#"{{"error_description":"{description}","error":"{error}"}}"#)
        );
    };
    let wrong = post_form(
        &token,
        Some(("service", "wrong")),
        &[("grant_type", "client_credentials")],
    )
    .await;
    oltu(&wrong, 401, "invalid_client", "Client credentials are invalid.");
    // EndpointUtil.getRealmInfo: the server's host name, unquoted.
    assert_eq!(wrong.header("www-authenticate"), Some("Basic realm=127.0.0.1"));
    oltu(
        &post_form(&token, Some(("service", "service-secret")), &[("grant_type", "foo")]).await,
        400,
        "invalid_request",
        "Unsupported grant_type value",
    );
    oltu(
        &post_form(
            &token,
            Some(("web-app", "web-app-secret")),
            &[("grant_type", "password"), ("username", "alice"), ("password", "x")],
        )
        .await,
        400,
        "invalid_grant",
        "Authentication failed for alice",
    );
    let userinfo = read(
        client()
            .get(at(&idp, "/oauth2/userinfo"))
            .bearer_auth("garbage")
            .send()
            .await
            .unwrap(),
    )
    .await;
    oltu(&userinfo, 401, "invalid_token", "Access token validation failed");
    assert_eq!(
        userinfo.header("www-authenticate"),
        Some("Bearer error=\"invalid_token\"")
    );
    let missing = get(&at(&idp, "/oauth2/userinfo")).await;
    oltu(&missing, 400, "invalid_request", "Bearer token missing");
}

#[tokio::test]
async fn wso2_documents() {
    let idp = wso2().await;
    assert_json_snapshot!("wso2_discovery", stable(&idp, get(&idp.discovery_url()).await.json()));
    let tokens = code_flow(&idp, "").await;
    assert_json_snapshot!("wso2_token_response", tokens, {
        ".access_token" => "[opaque]", ".id_token" => "[jwt]", ".refresh_token" => "[opaque]"
    });
    assert_json_snapshot!("wso2_id_token_claims", stable(&idp, claims_of(tokens["id_token"].as_str().unwrap())), {
        ".sid" => "[sid]", ".isk" => "[sid]", ".at_hash" => "[at_hash]", ".jti" => "[jti]"
    });
    let access = tokens["access_token"].as_str().unwrap();
    let active = post_form(
        &at(&idp, "/oauth2/introspect"),
        Some(("api", "api-secret")),
        &[("token", access)],
    )
    .await
    .json();
    assert_json_snapshot!("wso2_introspection", stable(&idp, active));
}
