//! The device grant scripted over the admin API (`/_mock/realms/{realm}/device/{user_code}/…`):
//! approve as a user, deny, expire, each seen by the device's next poll, and the refusals as
//! RFC 9457 problems.

use crate::support::{admin_url, json_of};
use mock_idp::{Endpoint, ManualClock, MockIdp, Provider};
use serde_json::{Value, json};

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// Starts a device authorization of `tv`: (device_code, user_code).
async fn start_device(idp: &MockIdp) -> (String, String) {
    let (status, body) = json_of(
        reqwest::Client::new()
            .post(idp.endpoint(Endpoint::DeviceAuthorization))
            .form(&[("client_id", "tv"), ("scope", "openid")]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    (
        body["device_code"].as_str().unwrap().to_owned(),
        body["user_code"].as_str().unwrap().to_owned(),
    )
}

/// The device's poll, after waiting out the polling interval on the mock's clock.
async fn poll(idp: &MockIdp, clock: &ManualClock, device_code: &str) -> (u16, Value) {
    clock.advance(10);
    let (status, body) = json_of(reqwest::Client::new().post(idp.endpoint(Endpoint::Token)).form(&[
        ("grant_type", DEVICE_GRANT),
        ("device_code", device_code),
        ("client_id", "tv"),
    ]))
    .await;
    (status.as_u16(), body)
}

async fn decide(idp: &MockIdp, user_code: &str, action: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = reqwest::Client::new().post(admin_url(idp, &format!("/realms/demo/device/{user_code}/{action}")));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let (status, body) = json_of(request).await;
    (status.as_u16(), body)
}

#[tokio::test]
async fn a_test_approves_denies_and_expires_device_codes_over_http() {
    let clock = ManualClock::at(1_800_000_000);
    let idp = MockIdp::builder()
        .provider(Provider::Keycloak)
        .clock(clock.clone())
        .start()
        .await;

    let (device_code, user_code) = start_device(&idp).await;
    assert_eq!(
        poll(&idp, &clock, &device_code).await.1["error"],
        "authorization_pending"
    );
    assert_eq!(
        decide(&idp, &user_code, "approve", Some(json!({"username": "alice"}))).await,
        (204, Value::Null)
    );
    let (status, tokens) = poll(&idp, &clock, &device_code).await;
    assert_eq!(status, 200, "{tokens}");
    let claims = crate::support::claims(tokens["access_token"].as_str().unwrap());
    assert_eq!(claims["preferred_username"], "alice");
    // Decided once: a second approval finds nothing pending.
    let (status, problem) = decide(&idp, &user_code, "approve", Some(json!({"username": "alice"}))).await;
    assert_eq!(status, 404, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains(&user_code), "{problem}");

    let (device_code, user_code) = start_device(&idp).await;
    assert_eq!(decide(&idp, &user_code, "deny", None).await.0, 204);
    assert_eq!(poll(&idp, &clock, &device_code).await.1["error"], "access_denied");

    let (device_code, user_code) = start_device(&idp).await;
    assert_eq!(decide(&idp, &user_code, "expire", None).await.0, 204);
    assert_eq!(poll(&idp, &clock, &device_code).await.1["error"], "expired_token");
}

#[tokio::test]
async fn bad_device_decisions_are_problems_and_change_nothing() {
    let clock = ManualClock::at(1_800_000_000);
    let idp = MockIdp::builder()
        .provider(Provider::Keycloak)
        .clock(clock.clone())
        .start()
        .await;
    let (device_code, user_code) = start_device(&idp).await;
    for (action, body, status) in [
        ("approve", Some(json!({"username": "nobody"})), 404),
        ("approve", Some(json!({"user": "alice"})), 422),
        ("approve", None, 415),
        ("deny", None, 404),
    ] {
        let code = if action == "deny" {
            "NOPE-NOPE"
        } else {
            user_code.as_str()
        };
        let (got, problem) = decide(&idp, code, action, body.clone()).await;
        assert_eq!(got, status, "{action} {body:?}: {problem}");
        assert!(problem["title"].is_string(), "an RFC 9457 problem: {problem}");
    }
    let (status, problem) =
        json_of(reqwest::Client::new().post(admin_url(&idp, &format!("/realms/nope/device/{user_code}/deny")))).await;
    assert_eq!(status, 404, "{problem}");
    // Still pending after every refusal.
    assert_eq!(
        poll(&idp, &clock, &device_code).await.1["error"],
        "authorization_pending"
    );
}
