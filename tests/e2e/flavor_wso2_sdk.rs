//! The WSO2 flavor as WSO2's own clients use it: the Asgardeo Python SDK's default
//! configuration (`asgardeo-auth-python-sdk` 0.1.8 from PyPI, the one WSO2's Python tutorial
//! installs), requests replayed exactly as its source sends them, and WSO2's handling of
//! `internal_*` scopes (never `invalid_scope` for an ordinary app).
//!
//! SDK source lines cited below are from the 0.1.8 sdist (`asgardeo_auth/…`).

use crate::support::*;
use mock_idp::{MockIdp, Provider, World};
use reqwest::StatusCode;
use serde_json::Value;

async fn wso2() -> MockIdp {
    fixed_builder(Provider::Wso2)
        .world(World::default_world().unwrap())
        .start()
        .await
}

/// The scope a token response or introspection answer carries, as a list.
fn scopes(value: &Value) -> Vec<String> {
    value["scope"]
        .as_str()
        .unwrap_or_default()
        .split(' ')
        .filter(|scope| !scope.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The SDK with its defaults (`models/auth_config.py` 45-51: `enable_pkce = False`, `scope =
/// ["internal_login"]`, `tenant_path = "/t/carbon.super"`; `oidc_flow.py` 62 appends `openid`)
/// logs alice in through the super tenant's `/t/carbon.super` paths.
#[tokio::test]
async fn the_asgardeo_python_sdk_defaults_log_in_through_t_carbon_super() {
    let idp = wso2().await;
    // op_Configuration.py 17-18: server_origin + tenant_path + /oauth2/token/.well-known/….
    let discovery = get(&at(
        &idp,
        "/t/carbon.super/oauth2/token/.well-known/openid-configuration",
    ))
    .await;
    assert_eq!(discovery.status, StatusCode::OK, "{}", discovery.text);
    let discovery = discovery.json();
    // The super tenant's documents name the root issuer and root endpoints, there too.
    assert_eq!(discovery["issuer"], at(&idp, "/oauth2/token"));
    assert_eq!(discovery["authorization_endpoint"], at(&idp, "/oauth2/authorize"));
    assert_eq!(discovery["token_endpoint"], at(&idp, "/oauth2/token"));
    let root = get(&at(&idp, "/oauth2/token/.well-known/openid-configuration"))
        .await
        .json();
    assert_eq!(discovery, root, "one document for the super tenant");

    // oidc_flow.py 97-103 + 339-340: client_id, redirect_uri, scope, state, access_type,
    // response_type; no PKCE by default.
    let authorize = url::Url::parse_with_params(
        discovery["authorization_endpoint"].as_str().unwrap(),
        &[
            ("client_id", "web-app"),
            ("redirect_uri", WEB_REDIRECT),
            ("scope", "internal_login openid"),
            ("state", "sdk-state"),
            ("access_type", "offline"),
            ("response_type", "code"),
            ("login_hint", "alice"),
        ],
    )
    .unwrap();
    let redirect = get(authorize.as_str()).await;
    assert_eq!(redirect.location_param("error"), None, "{:?}", redirect.location());
    let code = redirect.location_param("code").unwrap();
    assert_eq!(redirect.location_param("state").as_deref(), Some("sdk-state"));

    // oidc_flow.py 142-158: client_secret_post with scope, grant_type and redirect_uri.
    let reply = post_form(
        discovery["token_endpoint"].as_str().unwrap(),
        None,
        &[
            ("client_id", "web-app"),
            ("code", &code),
            ("scope", "internal_login openid"),
            ("client_secret", "web-app-secret"),
            ("grant_type", "authorization_code"),
            ("redirect_uri", WEB_REDIRECT),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let tokens = reply.json();
    assert_eq!(scopes(&tokens), ["openid", "internal_login"]);

    // oidc_flow.py 254 → models/crypto.py 8-14: the ID token is checked with audience =
    // client_id and issuer = the discovery document's issuer, keys from its jwks_uri.
    let jwks: jsonwebtoken::jwk::JwkSet =
        serde_json::from_str(&get(discovery["jwks_uri"].as_str().unwrap()).await.text).unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(id_token).unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(jwks.find(header.kid.as_deref().unwrap()).unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.set_issuer(&[discovery["issuer"].as_str().unwrap()]);
    validation.set_audience(&["web-app"]);
    let id = jsonwebtoken::decode::<Value>(id_token, &key, &validation)
        .unwrap()
        .claims;
    assert_eq!(id["sub"], ALICE_ID);
    assert_eq!(id["org_handle"], "carbon.super");
}

/// Every super-tenant endpoint also answers under `/t/carbon.super`, and discovery under
/// `/oauth2/oidcdiscovery` (root, super tenant and other tenants).
#[tokio::test]
async fn the_super_tenant_answers_under_t_carbon_super_and_oidcdiscovery() {
    let idp = wso2().await;
    let root = get(&at(&idp, "/oauth2/token/.well-known/openid-configuration"))
        .await
        .json();
    for path in [
        "/oauth2/oidcdiscovery/.well-known/openid-configuration",
        "/t/carbon.super/oauth2/oidcdiscovery/.well-known/openid-configuration",
        "/t/demo/oauth2/oidcdiscovery/.well-known/openid-configuration",
    ] {
        let reply = get(&at(&idp, path)).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text);
        assert_eq!(reply.json(), root, "{path}");
    }
    let jwks = get(&at(&idp, "/t/carbon.super/oauth2/jwks")).await;
    assert_eq!(jwks.status, StatusCode::OK);
    assert_eq!(jwks.text, get(&at(&idp, "/oauth2/jwks")).await.text);

    let token = post_form(
        &at(&idp, "/t/carbon.super/oauth2/token"),
        Some(("service", "service-secret")),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(token.status, StatusCode::OK, "{}", token.text);
    let access = token.json()["access_token"].as_str().unwrap().to_owned();
    // A token of the super tenant is the same token at either address.
    for path in ["/oauth2/introspect", "/t/carbon.super/oauth2/introspect"] {
        let active = post_form(&at(&idp, path), Some(("api", "api-secret")), &[("token", &access)])
            .await
            .json();
        assert_eq!(active["active"], true, "{path}");
    }
    let userinfo = get(&at(&idp, "/t/carbon.super/oauth2/nothing")).await;
    assert_eq!(userinfo.status, StatusCode::NOT_FOUND);
}

/// `internal_*`, `console:*` and `SYSTEM` are never `invalid_scope`: a user login is granted
/// `internal_login` (also for `SYSTEM`), every other internal scope the app is not authorized
/// for is dropped; `client_credentials` drops `internal_login` and `openid` as well.
#[tokio::test]
async fn internal_scopes_are_dropped_or_granted_never_refused() {
    let idp = wso2().await;
    let (verifier, challenge) = pkce_pair();
    let code = code_for(
        &idp,
        "alice",
        "web-app",
        WEB_REDIRECT,
        "openid internal_user_mgt_view console:applications SYSTEM email",
        Some(&challenge),
    )
    .await;
    let tokens = exchange_web_code(&idp, &code, Some(&verifier)).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.text);
    assert_eq!(scopes(&tokens.json()), ["openid", "email", "internal_login"]);

    let password = post_form(
        &at(&idp, "/oauth2/token"),
        Some(("web-app", "web-app-secret")),
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "alice-password"),
            ("scope", "internal_login openid"),
        ],
    )
    .await;
    assert_eq!(password.status, StatusCode::OK, "{}", password.text);
    assert_eq!(scopes(&password.json()), ["openid", "internal_login"]);

    let service = post_form(
        &at(&idp, "/oauth2/token"),
        Some(("service", "service-secret")),
        &[
            ("grant_type", "client_credentials"),
            ("scope", "openid internal_login internal_user_mgt_view profile"),
        ],
    )
    .await;
    assert_eq!(service.status, StatusCode::OK, "{}", service.text);
    assert_eq!(scopes(&service.json()), ["profile"]);

    // An ordinary scope the client may not have is dropped too, never refused: product-is
    // `OAuth2ServiceClientCredentialTestCase.testGetTokenUsingClientCredentialsGrant` asks for
    // `openid xyz device_01 internal_bulk_resource_create` and gets a token without `xyz` and
    // `openid` (IIAO `DefaultOAuth2ScopeValidator.getAuthorizedScopes` keeps only authorized
    // scopes, for authorize and token requests alike).
    let dropped = post_form(
        &at(&idp, "/oauth2/token"),
        Some(("service", "service-secret")),
        &[("grant_type", "client_credentials"), ("scope", "openid xyz profile")],
    )
    .await;
    assert_eq!(dropped.status, StatusCode::OK, "{}", dropped.text);
    assert_eq!(scopes(&dropped.json()), ["profile"]);
    let user = post_form(
        &at(&idp, "/oauth2/token"),
        Some(("web-app", "web-app-secret")),
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "alice-password"),
            ("scope", "openid xyz email"),
        ],
    )
    .await;
    assert_eq!(user.status, StatusCode::OK, "{}", user.text);
    assert_eq!(scopes(&user.json()), ["openid", "email"]);
    let (verifier, challenge) = pkce_pair();
    let code = code_for(&idp, "alice", "web-app", WEB_REDIRECT, "openid xyz", Some(&challenge)).await;
    let tokens = exchange_web_code(&idp, &code, Some(&verifier)).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.text);
    assert_eq!(scopes(&tokens.json()), ["openid"]);
}

/// What WSO2's endpoint code writes (identity-inbound-auth-oauth): a 401's challenge names the
/// server's host, unquoted (`EndpointUtil.getRealmInfo`); a failed password grant names the
/// username (`PasswordGrantHandler`); introspection of an opaque token carries `aud`, and only a
/// user's token `username` and the organisation (`TokenValidationHandler`), in the order of
/// `IntrospectionResponseBuilder`'s `HashMap`.
#[tokio::test]
async fn challenges_password_failures_and_introspection_read_as_wso2_writes_them() {
    let idp = wso2().await;
    for (path, form) in [
        ("/oauth2/token", vec![("grant_type", "client_credentials")]),
        ("/oauth2/introspect", vec![("token", "x")]),
        ("/t/carbon.super/oauth2/revoke", vec![("token", "x")]),
    ] {
        let reply = post_form(&at(&idp, path), Some(("service", "wrong")), &form).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path}: {}", reply.text);
        assert_eq!(
            reply.header("www-authenticate"),
            Some("Basic realm=127.0.0.1"),
            "{path}"
        );
    }

    for (username, password) in [("alice", "wrong"), ("nobody", "x"), ("carol", "carol-password")] {
        let reply = post_form(
            &at(&idp, "/oauth2/token"),
            Some(("web-app", "web-app-secret")),
            &[
                ("grant_type", "password"),
                ("username", username),
                ("password", password),
            ],
        )
        .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
        assert_eq!(
            reply.text,
            format!(r#"{{"error_description":"Authentication failed for {username}","error":"invalid_grant"}}"#)
        );
    }

    let service = post_form(
        &at(&idp, "/oauth2/token"),
        Some(("service", "service-secret")),
        &[("grant_type", "client_credentials")],
    )
    .await
    .json();
    let application = introspect(&idp, service["access_token"].as_str().unwrap()).await;
    assert_eq!(application["active"], true);
    assert_eq!(application["aut"], "APPLICATION");
    assert_eq!(application["aud"], "service");
    // No scope asked, none granted: a blank scope is left out.
    for absent in ["username", "org_id", "org_name", "org_handle", "scope"] {
        assert!(application.get(absent).is_none(), "{absent} in {application}");
    }

    // No `token` at all: WSO2's own body, `{"error": "Invalid input"}`.
    let missing = post_form(&at(&idp, "/oauth2/introspect"), Some(("api", "api-secret")), &[]).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST, "{}", missing.text);
    assert_eq!(missing.json(), serde_json::json!({"error": "Invalid input"}));
    // A blank `token=` is missing too: `StringUtils.isBlank(token)` (OAuth2IntrospectionEndpoint.java).
    for blank in ["", "   "] {
        let reply = post_form(
            &at(&idp, "/oauth2/introspect"),
            Some(("api", "api-secret")),
            &[("token", blank)],
        )
        .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{blank:?}: {}", reply.text);
        assert_eq!(reply.json(), serde_json::json!({"error": "Invalid input"}), "{blank:?}");
    }

    let tokens = web_tokens(&idp, "alice", "openid email").await;
    let user = introspect(&idp, tokens["access_token"].as_str().unwrap()).await;
    // alice holds roles of `api`, which the World puts in her tokens' audience: several
    // audiences are an array, the app's own first.
    assert_eq!(user["aud"], serde_json::json!(["web-app", "api"]));
    assert_eq!(user["username"], "alice@carbon.super");
    assert_eq!(user["org_handle"], "carbon.super");
    let members: Vec<&str> = user.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        members,
        [
            "aut",
            "active",
            "token_type",
            "client_id",
            "aud",
            "nbf",
            "org_id",
            "scope",
            "exp",
            "org_name",
            "iat",
            "username",
            "org_handle"
        ]
    );
}
