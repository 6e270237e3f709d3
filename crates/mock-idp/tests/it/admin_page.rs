//! `GET /_mock/`: the page for people. Its HTML names the realms, clients, users, logged
//! requests (decoding any JWT the log keeps) and active faults; every value is escaped; it sits
//! behind the admin API's guard.

use mock_idp::{Endpoint, Fault, MockIdp};
use reqwest::StatusCode;
use serde_json::json;

/// The attack string: had any value been written unescaped, the page would hold this markup.
const SCRIPT: &str = "<script>alert('x')</script>";

fn jwt_with_script_claim() -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({"sub": "mallory", "note": SCRIPT, "marker": "claim-in-log"}),
        &jsonwebtoken::EncodingKey::from_secret(b"page-test"),
    )
    .unwrap()
}

async fn get_page(http: &reqwest::Client, url: &str) -> (StatusCode, String, String) {
    // `/_mock/` redirects to `/_mock/ui`; reqwest follows it as a browser does.
    let response = http.get(url).send().await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (status, content_type, response.text().await.unwrap())
}

#[tokio::test]
async fn the_page_shows_realms_clients_users_requests_and_faults_escaped() {
    let idp = MockIdp::start().await;
    let http = reqwest::Client::new();
    let page_url = format!("{}/_mock/", idp.uri());
    let realm = idp.world().default_realm.clone();
    let created = http
        .post(format!("{}/_mock/realms/{realm}/users", idp.uri()))
        .json(&json!({"username": "page-user", "password": "pw-of-page-user", "name": SCRIPT}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    // One logged request with a password (masked by the log) and a JWT in a parameter the log
    // keeps (decoded on the page).
    let jwt = jwt_with_script_claim();
    let answered = http
        .post(idp.endpoint(Endpoint::Token))
        .form(&[
            ("grant_type", "password"),
            ("client_id", "page-client-id"),
            ("username", "page-user"),
            ("password", "hunter2-secret"),
            ("extra_jwt", &jwt),
        ])
        .send()
        .await
        .unwrap();
    assert!(answered.status().is_client_error());
    idp.set_fault(Endpoint::Jwks, Fault::EmptyKeySet);

    let (status, content_type, page) = get_page(&http, &page_url).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "text/html; charset=utf-8");
    // Content: the realm and its issuer, a client and a user of the world, the new user, the
    // logged request, the fault.
    let world = idp.world();
    let first_client = world.realms[&realm].clients.keys().next().unwrap();
    let first_user = world.realms[&realm].users.keys().next().unwrap();
    for expected in [
        format!("<h3 class=\"realm\">{realm}</h3>"),
        idp.issuer(),
        format!("<code>{first_client}</code>"),
        format!("<code>{first_user}</code>"),
        "<code>page-user</code>".to_owned(),
        "page-client-id".to_owned(),
        "password=[masked]".to_owned(),
        "extra_jwt=".to_owned(),
        "&quot;marker&quot;: &quot;claim-in-log&quot;".to_owned(),
        "<td>Jwks</td><td><code>EmptyKeySet</code>".to_owned(),
    ] {
        assert!(page.contains(&expected), "the page lacks {expected}");
    }
    assert!(!page.contains("hunter2-secret"), "a masked value reached the page");
    // Escaping: the user's name and the logged token's claim render as text.
    assert!(!page.contains("<script"), "unescaped markup on the page");
    assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    // Self-contained: no script, stylesheet link, image or frame source.
    for external in ["<link", " src=", "@import", "url("] {
        assert!(!page.contains(external), "external asset: {external}");
    }
    // `/_mock` (no slash) is the same page.
    let (status, _, bare) = get_page(&http, &format!("{}/_mock", idp.uri())).await;
    assert_eq!(status, StatusCode::OK);
    assert!(bare.contains("<h2>Realms</h2>"));
}

#[tokio::test]
async fn a_pasted_token_is_decoded_escaped_and_bad_input_is_a_clear_answer() {
    let idp = MockIdp::start().await;
    let http = reqwest::Client::new();
    let page_url = format!("{}/_mock/", idp.uri());
    let jwt = jwt_with_script_claim();
    let url = reqwest::Url::parse_with_params(&page_url, [("token", jwt.as_str())]).unwrap();
    let (status, _, page) = get_page(&http, url.as_str()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("&quot;alg&quot;: &quot;HS256&quot;"), "header decoded");
    assert!(page.contains("&quot;sub&quot;: &quot;mallory&quot;"), "claims decoded");
    assert!(!page.contains("<script"), "unescaped markup on the page");

    let url = reqwest::Url::parse_with_params(&page_url, [("token", "</textarea><script>x")]).unwrap();
    let (status, _, page) = get_page(&http, url.as_str()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("not a compact JWT"), "the reason is shown");
    assert!(!page.contains("<script") && page.contains("&lt;/textarea&gt;"));

    let huge = "a".repeat(20_000);
    let url = reqwest::Url::parse_with_params(&page_url, [("token", format!("{huge}.b.c"))]).unwrap();
    let (status, _, page) = get_page(&http, url.as_str()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("longer than 16384"));

    let (status, content_type, _) = get_page(&http, &format!("{page_url}?bogus=1")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(content_type, "application/problem+json");
}

#[tokio::test]
async fn the_page_sits_behind_the_admin_guard() {
    let idp = MockIdp::builder().admin_token("page-admin-token").start().await;
    let http = reqwest::Client::new();
    let page_url = format!("{}/_mock/", idp.uri());
    let (status, _, _) = get_page(&http, &page_url).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let response = http
        .get(&page_url)
        .bearer_auth("page-admin-token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    let off = MockIdp::builder()
        .admin(mock_idp::AdminConfig {
            enabled: Some(false),
            token: None,
        })
        .start()
        .await;
    let (status, _, page) = get_page(&http, &format!("{}/_mock/", off.uri())).await;
    assert_ne!(status, StatusCode::OK);
    assert!(!page.contains("<h2>Realms</h2>"));
}
