//! ZITADEL answers that come from its OIDC layer, the `zitadel/oidc` library (v3.52.0), and so
//! are the same in ZITADEL and in the `zitadel-oidc-ref` reference target: each test names the
//! library (`pkg/op/…`) or ZITADEL (`internal/api/oidc/…`) code it follows (docs/providers.md).

use crate::support::json_of;
use mock_idp::{Endpoint, MockIdp, Provider};
use reqwest::redirect::Policy;
use serde_json::Value;

const REDIRECT: &str = "http://127.0.0.1:5000/callback";
/// RFC 7636 appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9cCJQuIUbTDXZ7Ml1pO8JsovVLAHC85-1cuaPIv7HE";

async fn zitadel() -> MockIdp {
    MockIdp::builder()
        .provider(Provider::Zitadel)
        .auto_approve(true)
        .start()
        .await
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(Policy::none()).build().unwrap()
}

/// Logs alice in through `web-app` with `scope` and extra authorize parameters; the code.
async fn code(idp: &MockIdp, scope: &str, extra: &[(&str, &str)]) -> String {
    let mut query = vec![
        ("client_id", "web-app"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", scope),
        ("login_hint", "alice"),
        ("state", "s-1"),
    ];
    query.extend_from_slice(extra);
    let response = client()
        .get(idp.endpoint(Endpoint::Authorize))
        .query(&query)
        .send()
        .await
        .unwrap();
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let url = reqwest::Url::parse(&location).unwrap();
    url.query_pairs()
        .find(|(name, _)| name == "code")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_else(|| panic!("no code in {location}"))
}

async fn token(idp: &MockIdp, form: &[(&str, &str)]) -> (u16, Value) {
    let response = client()
        .post(idp.endpoint(Endpoint::Token))
        .basic_auth("web-app", Some("web-app-secret"))
        .form(form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn redeem(idp: &MockIdp, code: &str, extra: &[(&str, &str)]) -> (u16, Value) {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
    ];
    form.extend_from_slice(extra);
    token(idp, &form).await
}

fn error(body: &Value) -> (&str, &str) {
    (
        body["error"].as_str().unwrap_or_default(),
        body["error_description"].as_str().unwrap_or_default(),
    )
}

/// Library `op/token.go` `NeedsRefreshToken` and ZITADEL `auth_request.go`
/// (`NeedRefreshToken: slices.Contains(scope, offline_access)`).
#[tokio::test]
async fn a_code_grants_a_refresh_token_only_with_offline_access() {
    let idp = zitadel().await;
    let without = code(&idp, "openid", &[]).await;
    let (status, body) = redeem(&idp, &without, &[]).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.get("refresh_token").is_none(),
        "refresh token without offline_access: {body}"
    );

    let with = code(&idp, "openid offline_access", &[]).await;
    let (status, body) = redeem(&idp, &with, &[]).await;
    assert_eq!(status, 200, "{body}");
    let refresh = body["refresh_token"]
        .as_str()
        .expect("refresh token with offline_access");
    let (status, body) = token(&idp, &[("grant_type", "refresh_token"), ("refresh_token", refresh)]).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["refresh_token"].is_string(),
        "a refresh keeps the grant refreshable: {body}"
    );
}

/// Library `oidc/discovery.go`: `request_parameter_supported` is `omitempty`, so a `false` is
/// never written.
#[tokio::test]
async fn discovery_never_writes_request_parameter_supported_false() {
    let idp = zitadel().await;
    let doc: Value = json_of(client().get(idp.endpoint(Endpoint::Discovery))).await.1;
    assert!(doc.get("request_parameter_supported").is_none(), "{doc}");
    assert_eq!(doc["request_uri_parameter_supported"], Value::Bool(false));
}

/// Library `op/server_http.go` tokensHandler: "grant_type missing" (asserted in
/// `server_http_routes_test.go`).
#[tokio::test]
async fn a_missing_grant_type_is_grant_type_missing() {
    let idp = zitadel().await;
    let (status, body) = token(&idp, &[("code", "x")]).await;
    assert_eq!((status, error(&body)), (400, ("invalid_request", "grant_type missing")));
}

/// Library `op/server_http.go` codeExchange parsing, before ZITADEL's `CodeExchange`:
/// "code missing", "redirect_uri missing".
#[tokio::test]
async fn missing_code_exchange_parameters_are_invalid_request_x_missing() {
    let idp = zitadel().await;
    let (status, body) = token(
        &idp,
        &[("grant_type", "authorization_code"), ("redirect_uri", REDIRECT)],
    )
    .await;
    assert_eq!((status, error(&body)), (400, ("invalid_request", "code missing")));
    let code = code(&idp, "openid", &[]).await;
    let (status, body) = token(&idp, &[("grant_type", "authorization_code"), ("code", &code)]).await;
    assert_eq!(
        (status, error(&body)),
        (400, ("invalid_request", "redirect_uri missing"))
    );
}

/// Library `op/token_request.go` `AuthorizeCodeChallenge` (ZITADEL `token_code.go` calls it):
/// "code_verifier required" is `invalid_request`; a wrong one is `invalid_grant`
/// "invalid code_verifier".
#[tokio::test]
async fn pkce_errors_are_the_library_s() {
    let idp = zitadel().await;
    let pkce = [("code_challenge", CHALLENGE), ("code_challenge_method", "S256")];
    let missing = code(&idp, "openid", &pkce).await;
    let (status, body) = redeem(&idp, &missing, &[]).await;
    assert_eq!(
        (status, error(&body)),
        (400, ("invalid_request", "code_verifier required"))
    );
    let wrong = code(&idp, "openid", &pkce).await;
    let (status, body) = redeem(&idp, &wrong, &[("code_verifier", &VERIFIER.replace('d', "e"))]).await;
    assert_eq!(
        (status, error(&body)),
        (400, ("invalid_grant", "invalid code_verifier"))
    );
}

/// Library `op/auth_request.go` `ValidateAuthReqCodeChallengeMethod` accepts `plain`, and
/// ZITADEL stores every non-S256 method as plain (`CodeChallengeToBusiness`) and verifies it
/// with `op.AuthorizeCodeChallenge`; discovery still lists S256 only (`CodeChallengeMethods`).
#[tokio::test]
async fn plain_pkce_is_accepted_and_verified_but_not_advertised() {
    let idp = zitadel().await;
    let plain = [("code_challenge", VERIFIER), ("code_challenge_method", "plain")];
    let good = code(&idp, "openid", &plain).await;
    let (status, body) = redeem(&idp, &good, &[("code_verifier", VERIFIER)]).await;
    assert_eq!(status, 200, "{body}");
    let bad = code(&idp, "openid", &plain).await;
    let (status, body) = redeem(&idp, &bad, &[("code_verifier", CHALLENGE)]).await;
    assert_eq!(
        (status, error(&body)),
        (400, ("invalid_grant", "invalid code_verifier"))
    );
    let doc: Value = json_of(client().get(idp.endpoint(Endpoint::Discovery))).await.1;
    assert_eq!(doc["code_challenge_methods_supported"], serde_json::json!(["S256"]));
}

async fn introspect(idp: &MockIdp, auth: Option<(&str, &str)>) -> (u16, Value) {
    let mut request = client().post(idp.endpoint(Endpoint::Introspect));
    if let Some((id, secret)) = auth {
        request = request.basic_auth(id, Some(secret));
    }
    let response = request.form(&[("token", "whatever")]).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// Library `op/server_http.go` `parseClientCredentials` (before ZITADEL's `Introspect`): no
/// credentials; ZITADEL `introspect.go` `introspectionClientAuth`: wrong secret or unknown
/// client is `unauthorized_client`.
#[tokio::test]
async fn introspection_client_authentication_errors_are_zitadel_s() {
    let idp = zitadel().await;
    let (status, body) = introspect(&idp, None).await;
    assert_eq!(
        (status, error(&body)),
        (
            400,
            ("invalid_request", "client_id or client_assertion must be provided")
        )
    );
    let (status, body) = introspect(&idp, Some(("api", "wrong"))).await;
    assert_eq!((status, error(&body).0), (400, "unauthorized_client"), "{body}");
    let (status, body) = introspect(&idp, Some(("nobody", "x"))).await;
    assert_eq!((status, error(&body).0), (400, "unauthorized_client"), "{body}");
    let (status, body) = introspect(&idp, Some(("api", "api-secret"))).await;
    assert_eq!((status, &body["active"]), (200, &Value::Bool(false)));
    // Library `op/server_http.go` `introspectionHandler`: a client_id with neither secret nor
    // assertion is refused before ZITADEL's `Introspect` runs, whatever the client.
    for client_id in ["api", "web-app", "nobody"] {
        let response = client()
            .post(idp.endpoint(Endpoint::Introspect))
            .form(&[("token", "whatever"), ("client_id", client_id)])
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            (status, error(&body)),
            (400, ("invalid_client", "client must be authenticated")),
            "{client_id}"
        );
    }
    let (status, body) = introspect(&idp, Some(("api", ""))).await;
    assert_eq!(
        (status, error(&body)),
        (400, ("invalid_client", "client must be authenticated"))
    );
}

/// Library `op/server.go` (ZITADEL serves through it): `"{grant} not supported"`, asserted in
/// `server_http_routes_test.go` (`"foo not supported"`).
#[tokio::test]
async fn an_unknown_grant_is_x_not_supported() {
    let idp = zitadel().await;
    let (status, body) = token(&idp, &[("grant_type", "password"), ("username", "alice")]).await;
    assert_eq!(
        (status, error(&body)),
        (400, ("unsupported_grant_type", "password not supported"))
    );
}

/// ZITADEL `token_code.go` throws `zerrors.ThrowInvalidArgument(…, "Errors.User.Code.Invalid")`
/// and `error.go` `oidcError` writes the ZITADEL message as the description of an
/// `invalid_request` (zitadel/zitadel#11892).
#[tokio::test]
async fn a_bad_code_is_errors_user_code_invalid() {
    let idp = zitadel().await;
    let (status, body) = redeem(&idp, "no-such-code", &[]).await;
    assert_eq!(
        (status, error(&body)),
        (400, ("invalid_request", "Errors.User.Code.Invalid"))
    );
}

/// ZITADEL `token_refresh.go` → `command.ExchangeOIDCSessionRefreshAndAccessToken`:
/// `OIDCSessionWriteModel.CheckRefreshToken` throws `PreconditionFailed(…,
/// "Errors.OIDCSession.RefreshTokenInvalid")` for a rotated, revoked or expired token, and
/// `error.go` `oidcError` makes it a 400 `invalid_request` with that message.
#[tokio::test]
async fn a_reused_refresh_token_is_errors_oidc_session_refresh_token_invalid() {
    let idp = zitadel().await;
    let code = code(&idp, "openid offline_access", &[]).await;
    let (status, body) = redeem(&idp, &code, &[]).await;
    assert_eq!(status, 200, "{body}");
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();
    let (status, body) = token(&idp, &[("grant_type", "refresh_token"), ("refresh_token", &refresh)]).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = token(&idp, &[("grant_type", "refresh_token"), ("refresh_token", &refresh)]).await;
    assert_eq!(
        (status, error(&body)),
        (400, ("invalid_request", "Errors.OIDCSession.RefreshTokenInvalid"))
    );
}

async fn introspect_token(idp: &MockIdp, token: &str) -> (u16, String) {
    let response = client()
        .post(idp.endpoint(Endpoint::Introspect))
        .basic_auth("api", Some("api-secret"))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// The member names of a JSON object body, in the order they were written.
fn member_order(body: &str) -> Vec<String> {
    let value: serde_json::Map<String, Value> = serde_json::from_str(body).unwrap();
    // serde_json keeps the written order (preserve_order in this workspace).
    value.keys().cloned().collect()
}

/// ZITADEL `introspect.go` `Introspect`: `auth_time`, `amr` and the user info of the token's
/// scopes (`SetUserInfo`: `username` = `preferred_username`); with extra claims (the project
/// roles) the library re-encodes a Go map (`pkg/oidc/util.go` `mergeAndMarshalClaims`), so the
/// members come out in alphabetical order.
#[tokio::test]
async fn a_user_token_introspects_with_auth_time_amr_profile_in_alphabetical_order() {
    let idp = zitadel().await;
    let code = code(&idp, "openid profile email", &[]).await;
    let (_, tokens) = redeem(&idp, &code, &[]).await;
    let (status, text) = introspect_token(&idp, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["active"], Value::Bool(true));
    assert!(body["auth_time"].is_u64(), "{text}");
    assert_eq!(body["amr"], serde_json::json!(["pwd"]));
    assert_eq!(body["username"], body["preferred_username"], "{text}");
    assert_eq!(body["preferred_username"], "alice");
    assert_eq!(body["name"], "Alice Example");
    assert_eq!(body["email"], "alice@example.com");
    assert_eq!(body["email_verified"], Value::Bool(true));
    let order = member_order(&text);
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "members not alphabetical: {text}");
}

/// ZITADEL `userinfo.go` `setUserInfoRoleClaims`: the unqualified
/// `urn:zitadel:iam:org:project:roles` only for the requesting client's project; a
/// client-credentials (machine user) token has none, only `…:project:{id}:roles`.
#[tokio::test]
async fn a_client_credentials_token_carries_only_the_project_qualified_roles() {
    let idp = zitadel().await;
    let response = client()
        .post(idp.endpoint(Endpoint::Token))
        .basic_auth("service", Some("service-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let tokens: Value = response.json().await.unwrap();
    let (status, text) = introspect_token(&idp, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{text}");
    let body: serde_json::Map<String, Value> = serde_json::from_str(&text).unwrap();
    assert!(!body.contains_key("urn:zitadel:iam:org:project:roles"), "{text}");
    let qualified: Vec<&String> = body
        .keys()
        .filter(|key| key.starts_with("urn:zitadel:iam:org:project:") && key.ends_with(":roles"))
        .collect();
    assert_eq!(qualified.len(), 1, "{text}");
    assert!(body[qualified[0].as_str()]["reporting"].is_object(), "{text}");
}
