//! The admin API's clock end to end: advancing it over HTTP past a token's `exp` makes the
//! mock's introspection say inactive and token-guard (validating at the mock's time) refuse
//! the token, without sleeping.

use mock_idp::{Endpoint, MockIdp, TokenSpec};
use serde_json::{Value, json};
use token_guard::{Alg, InvalidToken, Validator};

#[tokio::test]
async fn advancing_the_clock_over_http_past_exp_expires_the_token_for_introspection_and_token_guard() {
    let idp = MockIdp::start().await;
    let http = reqwest::Client::new();
    let token = idp
        .mint(TokenSpec::user("alice").scope("openid read:messages"))
        .unwrap();
    let validator = Validator::builder(idp.issuer(), "api", [Alg::RS256])
        .clock(idp.clock())
        .build()
        .unwrap();
    let introspect = || {
        http.post(idp.endpoint(Endpoint::Introspect))
            .basic_auth("api", Some("api-secret"))
            .form(&[("token", token.as_str())])
            .send()
    };
    assert!(validator.validate(&token).await.is_ok());
    let active: Value = introspect().await.unwrap().json().await.unwrap();
    assert_eq!(active["active"], json!(true));
    let exp = active["exp"].as_u64().unwrap();

    // Past exp plus token-guard's 30 s leeway, through the admin API.
    let now = idp.clock().state().now;
    let advanced: Value = http
        .post(format!("{}/_mock/clock/advance", idp.uri()))
        .json(&json!({ "seconds": exp - now + 31 }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(advanced["now"], json!(exp + 31));

    let inactive: Value = introspect().await.unwrap().json().await.unwrap();
    assert_eq!(inactive, json!({"active": false}));
    assert!(matches!(validator.validate(&token).await, Err(InvalidToken::Expired)));

    // A reset puts the clock back: the same token is valid again, as it is in real time.
    http.post(format!("{}/_mock/reset", idp.uri())).send().await.unwrap();
    assert!(validator.validate(&token).await.is_ok());
}
