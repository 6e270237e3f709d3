//! Helpers the integration tests share: admin API URLs and calls, token requests, JWT parts.

use mock_idp::{Endpoint, MockIdp};
use reqwest::StatusCode;
use serde_json::Value;

/// `{uri}/_mock{path}`: an admin API URL.
pub(crate) fn admin_url(idp: &MockIdp, path: &str) -> String {
    format!("{}/_mock{path}", idp.uri())
}

/// Sends `request`: its status and JSON body (`Null` when the body is not JSON, e.g. a 204).
pub(crate) async fn json_of(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A password-grant token request of `web-app` (client_secret_basic) for `username`.
pub(crate) async fn password_grant(idp: &MockIdp, username: &str, password: &str, scope: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(idp.endpoint(Endpoint::Token))
        .basic_auth("web-app", Some("web-app-secret"))
        .form(&[
            ("grant_type", "password"),
            ("username", username),
            ("password", password),
            ("scope", scope),
        ])
        .send()
        .await
        .unwrap()
}

/// A client-credentials token request of `client` (client_secret_basic).
pub(crate) async fn client_credentials(idp: &MockIdp, client: &str, secret: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(idp.endpoint(Endpoint::Token))
        .basic_auth(client, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
}

/// The JSON of a JWT's part `index` (0 the header, 1 the claims).
pub(crate) fn jwt_part(token: &str, index: usize) -> Value {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.split('.').nth(index).unwrap())
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// A JWT's claims.
pub(crate) fn claims(token: &str) -> Value {
    jwt_part(token, 1)
}

/// A JWT's header.
pub(crate) fn header(token: &str) -> Value {
    jwt_part(token, 0)
}
