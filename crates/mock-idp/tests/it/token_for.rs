//! `MockIdp::token_for`: a user's token through the server's own routes, the login form included.

use mock_idp::{Endpoint, HttpError, LogFilter, MockIdp, MockIdpError, Provider, TokenDefect, TokenSpec};
use std::error::Error as _;

/// The (method, endpoint, status) of every logged request, oldest first.
fn trail(idp: &MockIdp) -> Vec<(String, String, u16)> {
    idp.admin()
        .log(&LogFilter::default())
        .entries
        .into_iter()
        .map(|entry| (entry.method, entry.endpoint, entry.status))
        .collect()
}

#[tokio::test]
async fn the_code_flow_of_token_for_signs_in_through_the_login_form() {
    // ZITADEL has no password grant, so token_for takes the authorization code flow.
    let idp = MockIdp::builder().provider(Provider::Zitadel).start().await;
    let tokens = idp.token_for("alice", "web-app").await.unwrap();
    assert!(!tokens.access_token.is_empty());
    let expected = [
        ("GET", "Authorize", 200),
        ("POST", "Login", 303),
        ("POST", "Token", 200),
    ]
    .map(|(method, endpoint, status)| (method.to_owned(), endpoint.to_owned(), status));
    assert_eq!(trail(&idp), expected);
}

#[tokio::test]
async fn a_disabled_user_is_refused_by_the_login_form() {
    let idp = MockIdp::builder().provider(Provider::Zitadel).start().await;
    let err = idp.token_for("carol", "web-app").await.unwrap_err();
    assert!(
        matches!(&err, MockIdpError::LoginRefused { username, status: 401, message }
            if username == "carol" && message == "the account is disabled"),
        "{err:?}"
    );
    let expected = [("GET", "Authorize", 200), ("POST", "Login", 401)]
        .map(|(method, endpoint, status)| (method.to_owned(), endpoint.to_owned(), status));
    assert_eq!(trail(&idp), expected);
}

#[tokio::test]
async fn token_for_and_service_token_name_what_went_wrong_in_typed_errors() {
    let idp = MockIdp::start().await;
    assert!(matches!(
        idp.token_for("alice", "nope").await,
        Err(MockIdpError::UnknownClient(client)) if client == "nope"
    ));
    assert!(matches!(
        idp.token_for("nobody", "web-app").await,
        Err(MockIdpError::UnknownUser(user)) if user == "nobody"
    ));
    // `service` has only client_credentials.
    assert!(matches!(
        idp.token_for("alice", "service").await,
        Err(MockIdpError::NoUserGrant { client }) if client == "service"
    ));
    // `spa` is public and has no client_credentials: the token endpoint refuses.
    let err = idp.service_token("spa").await.unwrap_err();
    assert!(
        matches!(&err, MockIdpError::Http(HttpError::Status { endpoint: Endpoint::Token, status, body })
            if (400..500).contains(status) && body.contains("error")),
        "{err:?}"
    );
}

#[tokio::test]
async fn mint_and_device_errors_are_typed_and_keep_their_source() {
    // ZITADEL's web-app issues opaque access tokens: a signature defect cannot apply.
    let idp = MockIdp::builder().provider(Provider::Zitadel).start().await;
    let err = idp
        .mint(TokenSpec::user("alice").defect(TokenDefect::BadSignature))
        .unwrap_err();
    assert!(matches!(err, MockIdpError::Defect(_)), "{err:?}");
    assert!(
        err.source().is_some_and(|source| source.to_string().contains("opaque")),
        "{err:?}"
    );
    assert!(matches!(
        idp.deny_device("ABCD-EFGH"),
        Err(MockIdpError::NoPendingDevice { user_code }) if user_code == "ABCD-EFGH"
    ));
}

/// `POST /_mock/tokens/issue`: the real grants for users and clients as the realm holds them
/// now, admin-created ones included, in every provider's shape of getting there.
#[tokio::test]
async fn the_admin_api_issues_real_grant_tokens_for_users_and_clients_created_over_http() {
    use crate::support::{admin_url, claims, json_of};
    use reqwest::StatusCode;
    use serde_json::json;
    for provider in [Provider::Keycloak, Provider::Zitadel, Provider::Generic] {
        let idp = MockIdp::builder().provider(provider).start().await;
        let http = reqwest::Client::new();
        let realm = "demo";
        let (status, body) = json_of(
            http.post(admin_url(&idp, &format!("/realms/{realm}/users")))
                .json(&json!({"username": "zoe", "password": "zoe-pw", "realm_roles": ["admin"]})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{provider}: {body}");
        let issue = |body: serde_json::Value| json_of(http.post(admin_url(&idp, "/tokens/issue")).json(&body));
        let (status, tokens) = issue(json!({"user": "zoe", "client": "web-app"})).await;
        assert_eq!(status, StatusCode::OK, "{provider}: {tokens}");
        let access = tokens["access_token"].as_str().unwrap();
        // The server knows the token it issued: its userinfo answers for the ID token's user.
        let (status, userinfo) = json_of(http.get(idp.endpoint(Endpoint::Userinfo)).bearer_auth(access)).await;
        assert_eq!(status, StatusCode::OK, "{provider}: {userinfo}");
        let id_token = tokens["id_token"].as_str().unwrap();
        assert_eq!(
            claims(id_token)["sub"],
            userinfo["sub"],
            "{provider}: the ID token and userinfo name one user"
        );
        // A client created over HTTP gets a service token.
        let (status, body) = json_of(
            http.post(admin_url(&idp, &format!("/realms/{realm}/clients")))
                .json(&json!({
                    "client_id": "batch", "kind": "confidential", "secret": "batch-secret",
                    "grant_types": ["client_credentials"]
                })),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{provider}: {body}");
        let (status, service) = issue(json!({"client": "batch"})).await;
        assert_eq!(status, StatusCode::OK, "{provider}: {service}");
        assert!(service["access_token"].is_string(), "{provider}: {service}");
        // Refusals are problems naming what is wrong.
        let (status, problem) = issue(json!({"user": "nobody", "client": "web-app"})).await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("user")),
            "{provider}: {problem}"
        );
        let (status, problem) = issue(json!({"client": "web-app", "realm": "nowhere"})).await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("realm")),
            "{provider}: {problem}"
        );
        let (status, problem) = issue(json!({"user": "carol", "client": "web-app"})).await;
        assert_eq!(status, StatusCode::CONFLICT, "{provider}: a disabled user: {problem}");
        assert!(
            problem["detail"].as_str().unwrap().to_lowercase().contains("disabled"),
            "{provider}: {problem}"
        );
        let (status, problem) = issue(json!({"user": "zoe", "client": "batch"})).await;
        assert_eq!(status, StatusCode::CONFLICT, "{provider}: no user grant: {problem}");
        let (status, problem) = issue(json!({"client": "web-app", "extra": 1})).await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("extra")),
            "{provider}: {problem}"
        );
    }
}
