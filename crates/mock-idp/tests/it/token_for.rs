//! `MockIdp::token_for`: a user's token through the server's own routes, the login form included.

use mock_idp::{LogFilter, MockIdp, Provider};

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
    let err = idp.token_for("carol", "web-app").await.unwrap_err().to_string();
    assert!(
        err.contains("carol") && err.contains("the account is disabled"),
        "{err}"
    );
    let expected = [("GET", "Authorize", 200), ("POST", "Login", 401)]
        .map(|(method, endpoint, status)| (method.to_owned(), endpoint.to_owned(), status));
    assert_eq!(trail(&idp), expected);
}
