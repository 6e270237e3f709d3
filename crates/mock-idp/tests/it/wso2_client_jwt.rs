//! WSO2's private-key JWT client authentication over HTTP, as its `JWTValidator` reads
//! (docs/providers.md, "Client assertions"; read from source, not run): the issuer (WSO2's token
//! endpoint) or the PAR endpoint in `aud`, several audiences, `exp` ahead (IS 7 ships no skew),
//! an `iat` at most 300 minutes old, and `400 invalid_request` in its words.

use crate::support::EcKey;
use mock_idp::{Endpoint, MockIdp, Provider};
use serde_json::{Value, json};

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const NOW: u64 = 1_800_000_000;

async fn wso2_with_keyed_client(key: &EcKey) -> MockIdp {
    crate::support::with_keyed_machine(Provider::Wso2, key, NOW).await
}

fn assertion(key: &EcKey, aud: Value, jti: &str, edit: impl FnOnce(&mut Value)) -> String {
    let mut claims = json!({"iss": "machine", "sub": "machine", "aud": aud, "jti": jti, "iat": NOW, "exp": NOW + 600});
    edit(&mut claims);
    key.sign(&json!({"alg": "ES256", "typ": "JWT", "kid": "k1"}), &claims)
}

async fn with_assertion(idp: &MockIdp, assertion: &str) -> (u16, Value) {
    let form = [
        ("grant_type", "client_credentials"),
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", assertion),
    ];
    let response = reqwest::Client::new()
        .post(idp.endpoint(Endpoint::Token))
        .form(&form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn wso2_takes_its_issuer_or_par_endpoint_among_several_audiences() {
    let key = EcKey::new();
    let idp = wso2_with_keyed_client(&key).await;
    let issuer = idp.issuer();
    assert_eq!(
        issuer,
        idp.endpoint(Endpoint::Token),
        "WSO2's issuer is its token endpoint"
    );
    let par = idp.endpoint(Endpoint::PushedAuthorization);
    for (jti, aud) in [
        ("issuer", json!(issuer)),
        ("par", json!(par)),
        ("several", json!(["https://elsewhere.invalid", issuer])),
    ] {
        let (status, body) = with_assertion(&idp, &assertion(&key, aud, jti, |_| ())).await;
        assert_eq!(status, 200, "{jti}: {body}");
    }
}

#[tokio::test]
async fn wso2_refuses_in_its_words() {
    let key = EcKey::new();
    let idp = wso2_with_keyed_client(&key).await;
    let issuer = json!(idp.issuer());
    let cases: Vec<(&str, String, &str)> = vec![
        ("not a JWT", "not-a-jwt".into(), "Error while parsing the JWT."),
        (
            "elsewhere",
            assertion(&key, json!("https://elsewhere.invalid"), "a", |_| ()),
            "Failed to match audience values.",
        ),
        (
            "no exp",
            assertion(&key, issuer.clone(), "b", |c| {
                c.as_object_mut().unwrap().remove("exp");
            }),
            "Mandatory field :exp is missing in the JWT assertion.",
        ),
        (
            "no jti",
            assertion(&key, issuer.clone(), "c", |c| {
                c.as_object_mut().unwrap().remove("jti");
            }),
            "Mandatory field :jti is missing in the JWT assertion.",
        ),
        // `now + skew > exp` with no skew: an assertion expiring this second is still good.
        (
            "exp passed",
            assertion(&key, issuer.clone(), "d", |c| c["exp"] = json!(NOW - 1)),
            "JWT Token is expired.",
        ),
        // `now + skew - nbf <= 0`: not before this very second.
        (
            "nbf now",
            assertion(&key, issuer.clone(), "e", |c| c["nbf"] = json!(NOW)),
            "The token is used before the nbf claim value.",
        ),
        (
            "iat too old",
            assertion(&key, issuer.clone(), "f", |c| {
                c["iat"] = json!(NOW - 300 * 60 - 1);
                c["exp"] = json!(NOW + 3600);
            }),
            "The jwt is too old to use.",
        ),
    ];
    for (case, assertion, description) in cases {
        let (status, body) = with_assertion(&idp, &assertion).await;
        assert_eq!(
            (status, body["error"].as_str(), body["error_description"].as_str()),
            (400, Some("invalid_request"), Some(description)),
            "{case}: {body}"
        );
    }
    // An exp a year ahead and an iat exactly 300 minutes old are fine; so is an exp of now.
    let (status, body) = with_assertion(
        &idp,
        &assertion(&key, issuer.clone(), "g", |c| {
            c["iat"] = json!(NOW - 300 * 60);
            c["exp"] = json!(NOW + 365 * 86_400);
        }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = with_assertion(&idp, &assertion(&key, issuer, "h", |c| c["exp"] = json!(NOW))).await;
    assert_eq!(status, 200, "{body}");
}
