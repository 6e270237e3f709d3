//! The Keycloak flavor, used the way Keycloak's own docs and the seeds' tutorials use Keycloak:
//! fixed `/realms/{realm}/protocol/openid-connect/*` paths (no discovery), roles read from
//! `realm_access` / `resource_access`, Keycloak's status codes and error bodies.

use crate::support::*;
use insta::assert_json_snapshot;
use mock_idp::{MockIdp, Provider};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn keycloak() -> MockIdp {
    fixed(Provider::Keycloak).await
}

/// `{base}/realms/demo/protocol/openid-connect/{path}`, as a Keycloak tutorial writes it.
fn oidc(idp: &MockIdp, path: &str) -> String {
    format!("{}/realms/demo/protocol/openid-connect/{path}", idp.uri())
}

fn stable(idp: &MockIdp, value: Value) -> Value {
    stable_as(idp, value, "http://keycloak")
}

async fn password_tokens(idp: &MockIdp, user: &str, password: &str) -> Reply {
    post_form(
        &oidc(idp, "token"),
        None,
        &[
            ("grant_type", "password"),
            ("client_id", "web-app"),
            ("client_secret", "web-app-secret"),
            ("username", user),
            ("password", password),
            ("scope", "openid"),
        ],
    )
    .await
}

#[tokio::test]
async fn a_keycloak_configured_app_works_unchanged() {
    let idp = keycloak().await;
    assert_eq!(idp.issuer(), format!("{}/realms/demo", idp.uri()));

    // Token by the direct grant, as the FastAPI/python-keycloak tutorials do.
    let reply = password_tokens(&idp, "alice", "alice-password").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let tokens = reply.json();
    for member in [
        "access_token",
        "expires_in",
        "refresh_expires_in",
        "refresh_token",
        "token_type",
        "id_token",
        "not-before-policy",
        "session_state",
        "scope",
    ] {
        assert!(tokens.get(member).is_some(), "{member} missing: {tokens}");
    }
    assert_eq!(
        tokens["scope"], "openid email profile",
        "Keycloak adds its default client scopes"
    );
    let access = tokens["access_token"].as_str().unwrap();

    // Verified with the keys from .../certs, header typ JWT, roles in realm_access.
    let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_str(&get(&oidc(&idp, "certs")).await.text).unwrap();
    let header = jsonwebtoken::decode_header(access).unwrap();
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    let key = jsonwebtoken::DecodingKey::from_jwk(jwks.find(header.kid.as_deref().unwrap()).unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.set_issuer(&[idp.issuer()]);
    validation.set_audience(&["account"]);
    let claims = jsonwebtoken::decode::<Value>(access, &key, &validation).unwrap().claims;
    assert_eq!(claims["typ"], "Bearer");
    assert_eq!(claims["azp"], "web-app");
    assert_eq!(claims["preferred_username"], "alice");
    let realm_roles = claims["realm_access"]["roles"].as_array().unwrap();
    assert!(realm_roles.contains(&json!("admin")) && realm_roles.contains(&json!("user")));
    assert_eq!(claims["resource_access"]["api"]["roles"], json!(["read:messages"]));
    assert!(claims["jti"].as_str().unwrap().starts_with("onrtro:"));
    assert_eq!(claims["sid"], tokens["session_state"]);

    // Introspection by the resource server, userinfo by the app.
    let active = post_form(
        &oidc(&idp, "token/introspect"),
        Some(("api", "api-secret")),
        &[("token", access)],
    )
    .await
    .json();
    assert_eq!(active["active"], true);
    assert_eq!(active["username"], "alice");
    assert_eq!(active["client_id"], "web-app");
    assert_eq!(active["realm_access"], claims["realm_access"]);
    let userinfo = read(
        client()
            .get(oidc(&idp, "userinfo"))
            .bearer_auth(access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(userinfo.json()["preferred_username"], "alice");

    // Revocation of the refresh token, then a refresh fails the Keycloak way.
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let revoke = post_form(
        &oidc(&idp, "revoke"),
        Some(("web-app", "web-app-secret")),
        &[("token", refresh)],
    )
    .await;
    assert_eq!(revoke.status, StatusCode::OK);
    assert!(revoke.text.is_empty());
    let again = post_form(
        &oidc(&idp, "token"),
        Some(("web-app", "web-app-secret")),
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        again.json(),
        json!({"error": "invalid_grant", "error_description": "Invalid refresh token"})
    );

    // Logout with the ID token as hint returns to the registered URI with the state.
    let logout = url::Url::parse_with_params(
        &oidc(&idp, "logout"),
        &[
            ("id_token_hint", tokens["id_token"].as_str().unwrap()),
            ("post_logout_redirect_uri", "http://127.0.0.1:5000/"),
            ("state", "bye"),
        ],
    )
    .unwrap();
    let out = get(logout.as_str()).await;
    assert_eq!(out.status, StatusCode::FOUND, "{}", out.text);
    assert_eq!(out.location().as_str(), "http://127.0.0.1:5000/?state=bye");
}

#[tokio::test]
async fn the_spa_code_flow_runs_on_keycloak_paths() {
    let idp = keycloak().await;
    let (verifier, challenge) = pkce_pair();
    let url = url::Url::parse_with_params(
        &oidc(&idp, "auth"),
        &[
            ("response_type", "code"),
            ("client_id", "spa"),
            ("redirect_uri", SPA_REDIRECT),
            ("scope", "openid"),
            ("state", "s"),
            ("nonce", "n"),
            ("login_hint", "bob"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ],
    )
    .unwrap();
    let redirect = get(url.as_str()).await;
    let code = redirect.location_param("code").unwrap();
    let tokens = post_form(
        &oidc(&idp, "token"),
        None,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", "spa"),
            ("code", &code),
            ("redirect_uri", SPA_REDIRECT),
            ("code_verifier", &verifier),
        ],
    )
    .await
    .json();
    let id = claims_of(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["typ"], "ID");
    assert_eq!(id["nonce"], "n");
    assert_eq!(id["aud"], "spa");
    let access = claims_of(tokens["access_token"].as_str().unwrap());
    assert!(
        access.get("resource_access").and_then(|r| r.get("api")).is_none(),
        "bob has no api role"
    );
}

#[tokio::test]
async fn a_legacy_auth_context_path_is_served() {
    let idp = MockIdp::builder()
        .provider(Provider::Keycloak)
        .context_path("/auth")
        .start()
        .await;
    assert!(idp.issuer().ends_with("/auth/realms/demo"));
    let discovery = get(&idp.discovery_url()).await;
    assert_eq!(discovery.status, StatusCode::OK);
    assert_eq!(discovery.json()["issuer"], idp.issuer());
    let reply = post_form(
        &idp.endpoint(mock_idp::Endpoint::Token),
        Some(("service", "service-secret")),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        claims_of(reply.json()["access_token"].as_str().unwrap())["iss"],
        idp.issuer()
    );
}

#[tokio::test]
async fn keycloak_errors_have_keycloaks_status_codes_and_bodies() {
    let idp = keycloak().await;
    let token = oidc(&idp, "token");
    let json_error = |reply: &Reply, status: u16, error: &str, description: &str| {
        assert_eq!(reply.status.as_u16(), status, "{}", reply.text);
        assert_eq!(reply.json(), json!({"error": error, "error_description": description}));
    };
    json_error(
        &post_form(
            &token,
            Some(("service", "wrong")),
            &[("grant_type", "client_credentials")],
        )
        .await,
        401,
        "unauthorized_client",
        "Invalid client or Invalid client credentials",
    );
    json_error(
        &post_form(&token, Some(("ghost", "x")), &[("grant_type", "client_credentials")]).await,
        401,
        "invalid_client",
        "Invalid client or Invalid client credentials",
    );
    json_error(
        &post_form(&token, Some(("service", "service-secret")), &[("grant_type", "foo")]).await,
        400,
        "unsupported_grant_type",
        "Unsupported grant_type",
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
        "invalid_grant",
        "Code not valid",
    );
    json_error(
        &password_tokens(&idp, "alice", "wrong").await,
        400,
        "invalid_grant",
        "Invalid user credentials",
    );
    json_error(
        &post_form(&oidc(&idp, "token/introspect"), None, &[("token", "x")]).await,
        401,
        "invalid_client",
        "Invalid client or Invalid client credentials",
    );
    json_error(
        &post_form(
            &oidc(&idp, "token/introspect"),
            None,
            &[("token", "x"), ("client_id", "spa")],
        )
        .await,
        403,
        "invalid_request",
        "Client not allowed.",
    );

    let no_token = get(&oidc(&idp, "userinfo")).await;
    assert_eq!(no_token.status, StatusCode::UNAUTHORIZED);
    assert!(no_token.text.is_empty());
    assert_eq!(no_token.header("www-authenticate"), Some("Bearer realm=\"demo\""));
    let bad = read(
        client()
            .get(oidc(&idp, "userinfo"))
            .bearer_auth("garbage")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert!(bad.text.is_empty());
    assert_eq!(
        bad.header("www-authenticate"),
        Some("Bearer realm=\"demo\", error=\"invalid_token\", error_description=\"Token verification failed\"")
    );

    let realm = get(&format!("{}/realms/nope/.well-known/openid-configuration", idp.uri())).await;
    assert_eq!(realm.status, StatusCode::NOT_FOUND);
    assert_eq!(realm.json(), json!({"error": "Realm does not exist"}));
    let unknown = post_form(
        &oidc(&idp, "revoke"),
        Some(("web-app", "web-app-secret")),
        &[("token", "nope")],
    )
    .await;
    assert_eq!(unknown.status, StatusCode::OK);
    assert_eq!(
        unknown.json(),
        json!({"error": "invalid_token", "error_description": "Invalid token"})
    );

    // Any confidential client may call introspection, but Keycloak 26.7.3 answers only for
    // tokens whose `aud` names the caller (recorded: fixtures/golden/keycloak-26.7.3).
    let alice = idp.token_for("alice", "web-app").await.unwrap().access_token;
    let bob = password_tokens(&idp, "bob", "bob-password").await.json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let introspect = |caller: (&'static str, &'static str), token: String| {
        let url = oidc(&idp, "token/introspect");
        async move { post_form(&url, Some(caller), &[("token", &token)]).await.json()["active"].clone() }
    };
    assert_eq!(
        introspect(("service", "service-secret"), alice.clone()).await,
        false,
        "service is not in aud"
    );
    assert_eq!(
        introspect(("api", "api-secret"), alice).await,
        true,
        "api is in alice's aud"
    );
    assert_eq!(
        introspect(("api", "api-secret"), bob).await,
        false,
        "bob holds no api role"
    );
}

#[tokio::test]
async fn keycloak_documents() {
    let idp = keycloak().await;
    assert_json_snapshot!(
        "keycloak_discovery",
        stable(&idp, get(&idp.discovery_url()).await.json())
    );
    let tokens = password_tokens(&idp, "alice", "alice-password").await.json();
    assert_json_snapshot!("keycloak_token_response", tokens, {
        ".access_token" => "[jwt]", ".id_token" => "[jwt]", ".refresh_token" => "[opaque]", ".session_state" => "[sid]"
    });
    let access = tokens["access_token"].as_str().unwrap();
    assert_json_snapshot!("keycloak_access_token_header", header_of(access), { ".kid" => "[kid]" });
    assert_json_snapshot!("keycloak_access_token_claims", stable(&idp, claims_of(access)), { ".jti" => "[jti]", ".sid" => "[sid]" });
    assert_json_snapshot!("keycloak_id_token_claims", stable(&idp, claims_of(tokens["id_token"].as_str().unwrap())), {
        ".jti" => "[jti]", ".sid" => "[sid]", ".at_hash" => "[at_hash]"
    });
    let introspection = post_form(
        &oidc(&idp, "token/introspect"),
        Some(("api", "api-secret")),
        &[("token", access)],
    )
    .await
    .json();
    assert_json_snapshot!("keycloak_introspection", stable(&idp, introspection), { ".jti" => "[jti]", ".sid" => "[sid]" });
    let userinfo = read(
        client()
            .get(oidc(&idp, "userinfo"))
            .bearer_auth(access)
            .send()
            .await
            .unwrap(),
    )
    .await
    .json();
    assert_json_snapshot!("keycloak_userinfo", userinfo);
    let service = post_form(
        &oidc(&idp, "token"),
        Some(("service", "service-secret")),
        &[("grant_type", "client_credentials")],
    )
    .await
    .json();
    assert_json_snapshot!("keycloak_service_token_response", service, { ".access_token" => "[jwt]" });
    assert_json_snapshot!("keycloak_service_access_token_claims", stable(&idp, claims_of(service["access_token"].as_str().unwrap())), {
        ".jti" => "[jti]"
    });
}

#[tokio::test]
async fn keycloak_leniencies_recorded_from_the_real_server() {
    let idp = keycloak().await;
    let token = oidc(&idp, "token");
    // The same credentials as Basic and in the body are accepted; different ones are not.
    let twice = post_form(
        &token,
        Some(("service", "service-secret")),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "service"),
            ("client_secret", "service-secret"),
        ],
    )
    .await;
    assert_eq!(twice.status, StatusCode::OK, "{}", twice.text);
    let mismatch = post_form(
        &token,
        Some(("service", "service-secret")),
        &[("grant_type", "client_credentials"), ("client_secret", "other")],
    )
    .await;
    assert_eq!(mismatch.status, StatusCode::UNAUTHORIZED);
    assert_eq!(mismatch.json()["error"], "unauthorized_client");

    // token_type_hint is obeyed strictly at introspection.
    let access = password_tokens(&idp, "alice", "alice-password").await.json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let introspect = |hint: &'static str| {
        let url = oidc(&idp, "token/introspect");
        let access = access.clone();
        async move {
            post_form(
                &url,
                Some(("api", "api-secret")),
                &[("token", access.as_str()), ("token_type_hint", hint)],
            )
            .await
        }
    };
    assert_eq!(introspect("access_token").await.json()["active"], true);
    assert_eq!(introspect("refresh_token").await.json(), json!({"active": false}));
    let unknown = introspect("id_token").await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        unknown.json(),
        json!({"error": "invalid_request", "error_description": "Unsupported token type."})
    );

    // A token in both the header and the body: 400, empty body, the reason in the challenge.
    let both = read(
        client()
            .post(oidc(&idp, "userinfo"))
            .bearer_auth(&access)
            .form(&[("access_token", access.as_str())])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(both.status, StatusCode::BAD_REQUEST);
    assert!(both.text.is_empty());
    assert_eq!(
        both.header("www-authenticate"),
        Some(
            "Bearer realm=\"demo\", error=\"invalid_request\", error_description=\"More than one method used for including an access token\""
        )
    );
}
