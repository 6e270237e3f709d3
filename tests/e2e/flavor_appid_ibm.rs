//! The App ID flavor driven the way IBM's own Postman collection for App ID drives the real
//! service (`ibm-cloud-security/appid-postman` @ 3f1c020dec50, `app-id.postman_collection.json`,
//! folder "OAuth2/OIDC/v4"): every call authenticates with the app's own client id and secret
//! (HTTP Basic); the password grant and introspection send `multipart/form-data` bodies, client
//! credentials and revocation form-urlencoded ones. IBM's docs (`ibm-cloud-docs/appid`
//! `tokens.md`, "Using the App ID APIs") describe introspection the same way: the token plus the
//! app's client id and secret, answered `{"active": true}`.

use crate::support::*;
use mock_idp::{ManualClock, MockIdp, Provider};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn appid() -> MockIdp {
    MockIdp::builder()
        .provider(Provider::AppId)
        .clock(ManualClock::at(T0))
        .start()
        .await
}

fn oauth(idp: &MockIdp, path: &str) -> String {
    format!("{}/oauth/v4/demo/{path}", idp.uri())
}

/// POSTs `fields` as `multipart/form-data` (Postman's "form-data" body) with Basic auth.
async fn post_multipart(url: &str, (id, secret): (&str, &str), fields: &[(&str, &str)]) -> Reply {
    let boundary = "----postman-boundary";
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    let request = client()
        .post(url)
        .header("authorization", basic(id, secret))
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body);
    read(request.send().await.unwrap()).await
}

#[tokio::test]
async fn ibms_postman_collection_runs_against_the_appid_flavor() {
    let idp = appid().await;
    let app = ("web-app", "web-app-secret");
    // "Resource Owner Password Grant / token grant_type=password": form-data, Basic.
    let tokens = post_multipart(
        &oauth(&idp, "token"),
        app,
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "alice-password"),
        ],
    )
    .await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.text);
    let tokens = tokens.json();
    let access = tokens["access_token"].as_str().unwrap();

    // "Introspection / introspect access_token": form-data, Basic with the app's own
    // credentials (not a client set apart for introspection).
    let active = post_multipart(&oauth(&idp, "introspect"), app, &[("token", access)]).await;
    assert_eq!(active.status, StatusCode::OK, "{}", active.text);
    assert_eq!(active.json(), json!({"active": true}));
    // "Introspection / introspect id_token": the collection introspects the ID token too, and
    // IBM's docs say the server checks the token's expiry and signature.
    let id_token = tokens["id_token"].as_str().unwrap();
    let id = post_multipart(&oauth(&idp, "introspect"), app, &[("token", id_token)]).await;
    assert_eq!(id.json(), json!({"active": true}), "{}", id.text);
    let garbage = post_multipart(&oauth(&idp, "introspect"), app, &[("token", "x.y.z")]).await;
    assert_eq!(garbage.json(), json!({"active": false}));
    let wrong = post_multipart(&oauth(&idp, "introspect"), ("web-app", "wrong"), &[("token", access)]).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{}", wrong.text);

    // "Client Credentials Grant": form-urlencoded `grant_type=client_credentials` only.
    let service = post_form(
        &oauth(&idp, "token"),
        Some(("service", "service-secret")),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(service.status, StatusCode::OK, "{}", service.text);
    let service: Value = service.json();
    assert!(service.get("refresh_token").is_none());
    assert_eq!(service["token_type"], "Bearer");

    // "Revoke Refresh Token": form-urlencoded, Basic; the refresh token is then refused.
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let revoked = post_form(&oauth(&idp, "revoke"), Some(app), &[("token", refresh)]).await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text);
    let again = post_form(
        &oauth(&idp, "token"),
        Some(app),
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(again.json()["error"], "invalid_grant", "{}", again.text);
}
