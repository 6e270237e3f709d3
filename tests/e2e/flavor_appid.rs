//! The IBM Cloud App ID flavor, used the way App ID's SDKs and the Flask-pyoidc seed use it:
//! explicit `/oauth/v4/{tenantId}/{authorization,token,publickeys,userinfo}` URLs, Basic client
//! authentication, multipart and JSON token requests, JWT header `ver: 4`, array `aud`, the
//! `appid_*` scopes, and the profile attributes API.

use crate::support::*;
use insta::assert_json_snapshot;
use mock_idp::{MockIdp, Provider};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn appid() -> MockIdp {
    fixed(Provider::AppId).await
}

/// `{oAuthServerUrl}/{path}` with the tenant `demo`.
fn oauth(idp: &MockIdp, path: &str) -> String {
    format!("{}/oauth/v4/demo/{path}", idp.uri())
}

fn stable(idp: &MockIdp, value: Value) -> Value {
    stable_as(idp, value, "https://us-south.appid.cloud.ibm.com")
}

/// A code for `client` through `/authorization` (auto-approved by `login_hint`).
async fn code(idp: &MockIdp, client: &str, redirect: &str, challenge: Option<&str>) -> String {
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", client),
        ("redirect_uri", redirect),
        ("scope", "openid"),
        ("state", "s"),
        ("nonce", "n"),
        ("login_hint", "alice"),
    ];
    if let Some(challenge) = challenge {
        params.push(("code_challenge", challenge));
        params.push(("code_challenge_method", "S256"));
    }
    let url = url::Url::parse_with_params(&oauth(idp, "authorization"), &params).unwrap();
    get(url.as_str()).await.location_param("code").unwrap()
}

fn multipart(fields: &[(&str, &str)]) -> (String, String) {
    let boundary = "----idp-harness-boundary";
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn an_app_configured_with_explicit_appid_urls_works_unchanged() {
    let idp = appid().await;
    assert_eq!(idp.issuer(), format!("{}/oauth/v4/demo", idp.uri()));

    // The Node WebAppStrategy posts the code grant as multipart with Basic auth.
    let code = code(&idp, "web-app", WEB_REDIRECT, None).await;
    let (content_type, body) = multipart(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", WEB_REDIRECT),
        ("client_id", "web-app"),
    ]);
    let reply = read(
        client()
            .post(oauth(&idp, "token"))
            .header("authorization", basic("web-app", "web-app-secret"))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let tokens = reply.json();
    let access = tokens["access_token"].as_str().unwrap();

    // What IBM's SDKs check: kid in /publickeys, RS256, header ver 4, iss, aud array with the client.
    let header = header_of(access);
    assert_eq!(header["ver"], 4);
    assert_eq!(header["alg"], "RS256");
    // jsonwebtoken 10 cannot even parse this header (its extra header members must be strings),
    // so the signature is checked with aws-lc-rs directly, as IBM's SDKs would.
    let claims = verify_rs256_raw(&oauth(&idp, "publickeys"), access).await;
    assert_eq!(claims["iss"], idp.issuer());
    assert!(claims["aud"].as_array().unwrap().contains(&json!("web-app")));
    assert!(claims["aud"].is_array());
    assert_eq!(claims["tenant"], "demo");
    let scopes: Vec<&str> = claims["scope"].as_str().unwrap().split(' ').collect();
    assert!(
        scopes.contains(&"appid_default") && scopes.contains(&"openid"),
        "{scopes:?}"
    );
    assert_eq!(claims["roles"], json!(["user", "admin"]));
    let id = claims_of(tokens["id_token"].as_str().unwrap());
    assert_eq!(
        id["email"], "alice@example.com",
        "the Flask seeds read the email from the ID token"
    );
    assert_eq!(id["nonce"], "n");
    assert_eq!(header_of(tokens["id_token"].as_str().unwrap())["ver"], 4);

    // userinfo with the access token.
    let userinfo = read(
        client()
            .get(oauth(&idp, "userinfo"))
            .bearer_auth(access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(userinfo.json()["identities"][0]["provider"], "cloud_directory");

    // Introspection (Basic) documents just active.
    let active = post_form(
        &oauth(&idp, "introspect"),
        Some(("api", "api-secret")),
        &[("token", access)],
    )
    .await
    .json();
    assert_eq!(active, json!({"active": true}));

    // The profile attributes API on the host root, keyed by the token's user.
    let attributes = format!("{}/api/v1/attributes", idp.uri());
    let put = read(
        client()
            .put(format!("{attributes}/points"))
            .bearer_auth(access)
            .body("42")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(put.json(), json!({"points": 42}));
    let all = read(client().get(&attributes).bearer_auth(access).send().await.unwrap()).await;
    assert_eq!(all.json(), json!({"points": 42}));
    let deleted = read(
        client()
            .delete(format!("{attributes}/points"))
            .bearer_auth(access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let gone = read(
        client()
            .get(format!("{attributes}/points"))
            .bearer_auth(access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let anonymous = get(&attributes).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    // Revocation, then the refresh token is refused; SSO logout redirects.
    let refresh = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(
        post_form(
            &oauth(&idp, "revoke"),
            Some(("web-app", "web-app-secret")),
            &[("token", refresh)]
        )
        .await
        .status,
        StatusCode::OK
    );
    let again = post_form(
        &oauth(&idp, "token"),
        Some(("web-app", "web-app-secret")),
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    assert_eq!(again.json()["error"], "invalid_grant");
    let logout = url::Url::parse_with_params(
        &oauth(&idp, "cloud_directory/sso/logout"),
        &[("redirect_uri", "http://127.0.0.1:5000/"), ("client_id", "web-app")],
    )
    .unwrap();
    assert_eq!(get(logout.as_str()).await.location().as_str(), "http://127.0.0.1:5000/");
}

#[tokio::test]
async fn json_token_requests_and_the_spa_verifier_as_basic_password_work() {
    let idp = appid().await;
    // The Node TokenManager posts JSON.
    let reply = read(
        client()
            .post(oauth(&idp, "token"))
            .header("authorization", basic("service", "service-secret"))
            .json(&json!({"grant_type": "client_credentials"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let claims = claims_of(reply.json()["access_token"].as_str().unwrap());
    assert_eq!(claims["scope"], "appid_default");
    assert!(claims.get("jti").is_none(), "App ID access tokens carry no jti");

    // The SPA SDK authenticates with Basic client_id:code_verifier.
    let (verifier, challenge) = pkce_pair();
    let code = code(&idp, "spa", SPA_REDIRECT, Some(&challenge)).await;
    let spa = post_form(
        &oauth(&idp, "token"),
        Some(("spa", &verifier)),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", SPA_REDIRECT),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(spa.status, StatusCode::OK, "{}", spa.text);
    // ... but a Basic password that is not the verifier is refused.
    let (other, challenge) = pkce_pair();
    let code = code_for_spa(&idp, &challenge).await;
    let wrong = post_form(
        &oauth(&idp, "token"),
        Some(("spa", "not-the-verifier")),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", SPA_REDIRECT),
            ("code_verifier", &other),
        ],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{}", wrong.text);
}

async fn code_for_spa(idp: &MockIdp, challenge: &str) -> String {
    code(idp, "spa", SPA_REDIRECT, Some(challenge)).await
}

#[tokio::test]
async fn appid_errors() {
    let idp = appid().await;
    let token = oauth(&idp, "token");
    let wrong_password = post_form(
        &token,
        Some(("web-app", "web-app-secret")),
        &[("grant_type", "password"), ("username", "alice"), ("password", "x")],
    )
    .await;
    assert_eq!(wrong_password.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong_password.json(),
        json!({"error": "invalid_grant", "error_description": "wrong credentials"})
    );
    let bad_json = read(
        client()
            .post(&token)
            .header("authorization", basic("service", "service-secret"))
            .header("content-type", "application/json")
            .body("{oops")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(bad_json.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_json.json()["error"], "invalid_request");
    let discovery = get(&idp.discovery_url()).await.json();
    for absent in ["introspection_endpoint", "revocation_endpoint", "end_session_endpoint"] {
        assert!(discovery.get(absent).is_none(), "App ID does not advertise {absent}");
    }
}

#[tokio::test]
async fn appid_documents() {
    let idp = appid().await;
    assert_json_snapshot!("appid_discovery", stable(&idp, get(&idp.discovery_url()).await.json()));
    let reply = post_form(
        &oauth(&idp, "token"),
        Some(("web-app", "web-app-secret")),
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "alice-password"),
        ],
    )
    .await;
    let tokens = reply.json();
    assert_json_snapshot!("appid_token_response", tokens, {
        ".access_token" => "[jwt]", ".id_token" => "[jwt]", ".refresh_token" => "[opaque]"
    });
    assert_json_snapshot!("appid_access_token_header", header_of(tokens["access_token"].as_str().unwrap()), { ".kid" => "[kid]" });
    assert_json_snapshot!(
        "appid_access_token_claims",
        stable(&idp, claims_of(tokens["access_token"].as_str().unwrap()))
    );
    assert_json_snapshot!(
        "appid_id_token_claims",
        stable(&idp, claims_of(tokens["id_token"].as_str().unwrap()))
    );
    let introspection = post_form(
        &oauth(&idp, "introspect"),
        Some(("api", "api-secret")),
        &[("token", tokens["access_token"].as_str().unwrap())],
    )
    .await;
    assert_json_snapshot!("appid_introspection", introspection.json());
}

#[tokio::test]
async fn revoking_an_appid_access_token_turns_it_inactive() {
    let idp = appid().await;
    let access = idp.token_for("alice", "web-app").await.unwrap().access_token;
    let url = oauth(&idp, "introspect");
    let introspect = || async { post_form(&url, Some(("api", "api-secret")), &[("token", access.as_str())]).await };
    assert_eq!(introspect().await.json(), json!({"active": true}));
    // App ID tokens name their client only in `aud`; another client's revocation is a no-op.
    post_form(
        &oauth(&idp, "revoke"),
        Some(("service", "service-secret")),
        &[("token", &access)],
    )
    .await;
    assert_eq!(introspect().await.json(), json!({"active": true}));
    let revoke = post_form(
        &oauth(&idp, "revoke"),
        Some(("web-app", "web-app-secret")),
        &[("token", &access)],
    )
    .await;
    assert_eq!(revoke.status, StatusCode::OK);
    assert_eq!(introspect().await.json(), json!({"active": false}));
}

/// App ID's ID tokens name the client in an `aud` array and carry no `azp`: a logout with a
/// valid `id_token_hint` and the client's registered `redirect_uri` (no `client_id`) redirects.
#[tokio::test]
async fn appid_logout_with_an_id_token_hint_redirects() {
    let idp = appid().await;
    let tokens = idp.token_for("alice", "web-app").await.unwrap();
    let id_token = tokens.id_token.expect("an ID token");
    let logout = url::Url::parse_with_params(
        &oauth(&idp, "cloud_directory/sso/logout"),
        &[
            ("redirect_uri", "http://127.0.0.1:5000/"),
            ("id_token_hint", id_token.as_str()),
        ],
    )
    .unwrap();
    let answer = get(logout.as_str()).await;
    assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.text);
    assert_eq!(answer.location().as_str(), "http://127.0.0.1:5000/");
    // Without either, the error names App ID's own parameter.
    let bare = url::Url::parse_with_params(
        &oauth(&idp, "cloud_directory/sso/logout"),
        &[("redirect_uri", "http://127.0.0.1:5000/")],
    )
    .unwrap();
    let answer = get(bare.as_str()).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(
        answer.text.contains("redirect_uri needs client_id or id_token_hint"),
        "{}",
        answer.text
    );
    assert!(!answer.text.contains("post_logout_redirect_uri"), "{}", answer.text);
}
