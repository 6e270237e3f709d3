//! `client_secret_jwt` (RFC 7523 §2.2, OIDC Core §9) at the token, introspection and revocation
//! endpoints, from the client's side: an HS256 assertion keyed by the client's secret.

use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mock_idp::{Endpoint, ManualClock, MockIdp};
use serde_json::{Value, json};

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The mock's clock, fixed so the assertions' `iat`/`exp` are in its present.
const NOW: u64 = 1_800_000_000;

fn now() -> u64 {
    NOW
}

async fn start() -> MockIdp {
    MockIdp::builder().clock(ManualClock::at(NOW)).start().await
}

fn assertion(client_id: &str, secret: &str, aud: &str, jti: &str) -> String {
    let claims = json!({
        "iss": client_id, "sub": client_id, "aud": aud, "jti": jti,
        "iat": now(), "exp": now() + 60,
    });
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(json!({"alg": "HS256", "typ": "JWT"}).to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes()), input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
}

async fn post(idp: &MockIdp, endpoint: Endpoint, form: &[(&str, &str)]) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(idp.endpoint(endpoint))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn client_credentials(idp: &MockIdp, jwt: &str) -> (u16, Value) {
    post(
        idp,
        Endpoint::Token,
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", jwt),
        ],
    )
    .await
}

#[tokio::test]
async fn a_secret_jwt_authenticates_once_at_every_client_endpoint() {
    let idp = start().await;
    let token_url = idp.endpoint(Endpoint::Token);

    // aud = the token endpoint (RFC 7523 §3) or the issuer (OIDC Core §9 allows either).
    let first = assertion("service", "service-secret", &token_url, "jti-1");
    let (status, body) = client_credentials(&idp, &first).await;
    assert_eq!(status, 200, "{body}");
    let access = body["access_token"].as_str().unwrap().to_owned();
    let (status, body) =
        client_credentials(&idp, &assertion("service", "service-secret", &idp.issuer(), "jti-2")).await;
    assert_eq!(status, 200, "{body}");

    // The same assertion again is a replay.
    let (status, body) = client_credentials(&idp, &first).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client")),
        "{body}"
    );

    // Introspection and revocation take an assertion too, aud = their own URL.
    let introspect_url = idp.endpoint(Endpoint::Introspect);
    let caller = assertion("api", "api-secret", &introspect_url, "jti-3");
    let (status, body) = post(
        &idp,
        Endpoint::Introspect,
        &[
            ("token", access.as_str()),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", caller.as_str()),
        ],
    )
    .await;
    assert_eq!((status, &body["active"]), (200, &json!(true)), "{body}");
    let revoker = assertion("service", "service-secret", &idp.endpoint(Endpoint::Revoke), "jti-4");
    let (status, _) = post(
        &idp,
        Endpoint::Revoke,
        &[
            ("token", access.as_str()),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", revoker.as_str()),
        ],
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn bad_secret_jwts_are_invalid_client() {
    let idp = start().await;
    let token_url = idp.endpoint(Endpoint::Token);
    let cases = [
        (
            "wrong secret",
            assertion("service", "not-the-secret", &token_url, "b-1"),
        ),
        (
            "wrong aud",
            assertion("service", "service-secret", "https://elsewhere.example/token", "b-2"),
        ),
        // A public client has no secret: an assertion MACed with an empty key proves nothing.
        ("public client", assertion("spa", "", &token_url, "b-3")),
    ];
    for (name, jwt) in cases {
        let (status, body) = client_credentials(&idp, &jwt).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_client")),
            "{name}: {body}"
        );
    }
    // The assertion together with a client secret is two methods at once.
    let jwt = assertion("service", "service-secret", &token_url, "b-4");
    let (status, body) = post(
        &idp,
        Endpoint::Token,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "service"),
            ("client_secret", "service-secret"),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", jwt.as_str()),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request")),
        "{body}"
    );
    // Without the assertion type.
    let (status, body) = post(
        &idp,
        Endpoint::Token,
        &[("grant_type", "client_credentials"), ("client_assertion", jwt.as_str())],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request")),
        "{body}"
    );
}

/// ZITADEL verifies client assertions with the client's public keys only (zitadel/oidc
/// `VerifyJWTAssertion`): an HMAC assertion is refused even when its MAC is right.
#[tokio::test]
async fn zitadel_refuses_client_secret_jwt() {
    let idp = MockIdp::builder()
        .provider(mock_idp::Provider::Zitadel)
        .clock(ManualClock::at(NOW))
        .start()
        .await;
    let jwt = assertion("service", "service-secret", &idp.endpoint(Endpoint::Token), "z-1");
    let (status, body) = client_credentials(&idp, &jwt).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_client")),
        "{body}"
    );
}
