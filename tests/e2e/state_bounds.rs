//! Issue 11, finding 5: unauthenticated requests cannot grow the mock's state without bound,
//! and pending logins and login sessions live as long as the World says.

use crate::support::{T0, WEB_REDIRECT, authorize, post_form};
use mock_idp::{ManualClock, MockIdp};
use reqwest::StatusCode;

fn request_id(page: &str) -> String {
    let marker = "name=\"request_id\" value=\"";
    let start = page.find(marker).expect("a login form") + marker.len();
    page[start..].split('"').next().unwrap().to_owned()
}

/// An authorization request without a session stores its parameters until the login page is
/// used; `state` and `nonce` beyond 2000 bytes (Keycloak's limit on a stored request parameter)
/// are refused with a 400 page, and nothing is stored.
#[tokio::test]
async fn unauthenticated_authorize_requests_cannot_store_oversized_parameters() {
    let idp = MockIdp::start().await;
    for name in ["state", "nonce"] {
        let big = "x".repeat(40 * 1024);
        let mut params = vec![
            ("response_type", "code"),
            ("client_id", "web-app"),
            ("redirect_uri", WEB_REDIRECT),
            ("scope", "openid"),
        ];
        params.push((name, big.as_str()));
        let reply = authorize(&idp, &params).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{name}: {}", reply.status);
        assert!(reply.text.contains(name), "{}", reply.text);
        assert!(
            !reply.text.contains("request_id"),
            "no login form for an oversized {name}"
        );
    }
    let fits = "x".repeat(2000);
    let reply = authorize(
        &idp,
        &[
            ("response_type", "code"),
            ("client_id", "web-app"),
            ("redirect_uri", WEB_REDIRECT),
            ("scope", "openid"),
            ("state", &fits),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "2000 bytes of state are accepted");
}

/// The login page waits as long as the World's `login_secs` (default 1800 s, Keycloak's
/// `accessCodeLifespanLogin`), not a fixed 600 s.
#[tokio::test]
async fn a_pending_login_lives_as_long_as_the_world_says() {
    let clock = ManualClock::at(T0);
    let idp = MockIdp::builder().clock(clock.clone()).start().await;
    let page = authorize(
        &idp,
        &[
            ("response_type", "code"),
            ("client_id", "web-app"),
            ("redirect_uri", WEB_REDIRECT),
            ("scope", "openid"),
        ],
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    let id = request_id(&page.text);
    let action = {
        let marker = "action=\"";
        let start = page.text.find(marker).unwrap() + marker.len();
        page.text[start..].split('"').next().unwrap().replace("&amp;", "&")
    };
    // 1000 s later: past the old fixed 600 s, within the World's 1800 s.
    clock.advance(1000);
    let submitted = post_form(
        &action,
        None,
        &[
            ("request_id", id.as_str()),
            ("username", "alice"),
            ("password", "alice-password"),
        ],
    )
    .await;
    assert_eq!(submitted.status, StatusCode::SEE_OTHER, "{}", submitted.text);
}

/// Issue 11, finding 6: the store keeps at most its configured bound; the oldest grant is
/// evicted first and fails closed (its refresh token is refused, its access token inactive),
/// while the newest grants keep working.
#[tokio::test]
async fn memory_under_sustained_load_is_bounded_and_eviction_fails_closed() {
    let idp = MockIdp::builder().max_state_entries(40).start().await;
    let token = idp.endpoint(mock_idp::Endpoint::Token);
    let password = || async {
        let reply = post_form(
            &token,
            Some(("web-app", "web-app-secret")),
            &[
                ("grant_type", "password"),
                ("username", "alice"),
                ("password", "alice-password"),
                ("scope", "openid"),
            ],
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        reply.json()
    };
    let oldest = password().await;
    let mut newest = oldest.clone();
    for _ in 0..60 {
        newest = password().await;
    }
    let refresh = |body: &serde_json::Value| {
        let refresh_token = body["refresh_token"].as_str().unwrap().to_owned();
        let token = token.clone();
        async move {
            post_form(
                &token,
                Some(("web-app", "web-app-secret")),
                &[("grant_type", "refresh_token"), ("refresh_token", &refresh_token)],
            )
            .await
        }
    };
    let evicted = refresh(&oldest).await;
    assert_eq!(evicted.status, StatusCode::BAD_REQUEST, "{}", evicted.text);
    assert_eq!(evicted.json()["error"], "invalid_grant");
    let userinfo = crate::support::client()
        .get(idp.endpoint(mock_idp::Endpoint::Userinfo))
        .bearer_auth(oldest["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        userinfo.status(),
        StatusCode::UNAUTHORIZED,
        "an evicted grant's access token"
    );
    assert_eq!(
        refresh(&newest).await.status,
        StatusCode::OK,
        "the newest grant survives"
    );
}
