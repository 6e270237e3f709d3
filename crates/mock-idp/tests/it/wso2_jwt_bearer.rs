//! WSO2's JWT bearer grant over HTTP (RFC 7523 §2.1; `JWTBearerGrantHandler`, read from source,
//! not run): an assertion of a trusted identity provider (World `identity_providers`) gets a
//! token for its `sub`, each refusal is 400 `invalid_grant` in WSO2's words, in its order.

use crate::support::EcKey;
use mock_idp::{Endpoint, MockIdp, Provider};
use serde_json::{Value, json};

const GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const NOW: u64 = 1_800_000_000;
const PARTNER: &str = "https://partner.example";

/// The default World plus the trusted provider `partner` (its key `key`, kid `p1`), `aliased`
/// (alias `https://wso2.example/oauth2/token`), and `gateway`, a client with the grant and JWT
/// access tokens.
async fn start(key: &EcKey) -> MockIdp {
    let jwks = crate::support::jwks_of(key, "p1");
    let extra = format!(
        r#"
[realms.demo.clients.gateway]
kind = "confidential"
secret = "gateway-secret"
grant_types = ["jwt_bearer"]
access_token_format = "jwt"

[realms.demo.identity_providers.partner]
issuer = "{PARTNER}"
jwks = '{jwks}'

[realms.demo.identity_providers.aliased]
jwks = '{jwks}'
alias = "https://wso2.example/oauth2/token"
"#
    );
    crate::support::with_extra_world(Provider::Wso2, &extra, NOW).await
}

fn assertion(key: &EcKey, idp: &MockIdp, edit: impl FnOnce(&mut Value)) -> String {
    let mut claims = json!({"iss": PARTNER, "sub": "alice", "aud": idp.endpoint(Endpoint::Token),
        "exp": NOW + 300, "iat": NOW});
    edit(&mut claims);
    key.sign(&json!({"alg": "ES256", "typ": "JWT", "kid": "p1"}), &claims)
}

async fn grant(idp: &MockIdp, assertion: &str, scope: &str) -> (u16, Value) {
    let (status, body) = crate::support::json_of(
        reqwest::Client::new()
            .post(idp.endpoint(Endpoint::Token))
            .basic_auth("gateway", Some("gateway-secret"))
            .form(&[("grant_type", GRANT), ("assertion", assertion), ("scope", scope)]),
    )
    .await;
    (status.as_u16(), body)
}

#[tokio::test]
async fn an_assertion_of_a_trusted_provider_gets_a_token_for_its_subject() {
    let key = EcKey::new();
    let idp = start(&key).await;
    let doc: Value = reqwest::get(idp.endpoint(Endpoint::Discovery))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["grant_types_supported"].as_array().unwrap().contains(&json!(GRANT)));
    // `alice` is a World user: her token, with an ID token and a refresh token.
    let (status, body) = grant(&idp, &assertion(&key, &idp, |_| ()), "openid").await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["id_token"].is_string() && body["refresh_token"].is_string(),
        "{body}"
    );
    let (_, info) =
        crate::support::introspect_as(&idp, "api", "api-secret", body["access_token"].as_str().unwrap()).await;
    assert_eq!(info["active"], true, "{info}");
    // A subject the World does not know: a bare federated subject, no ID or refresh token.
    let (status, body) = grant(
        &idp,
        &assertion(&key, &idp, |c| c["sub"] = json!("partner-user-7")),
        "openid",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.get("id_token").is_none() && body.get("refresh_token").is_none(),
        "{body}"
    );
    let (_, info) =
        crate::support::introspect_as(&idp, "api", "api-secret", body["access_token"].as_str().unwrap()).await;
    assert_eq!(info["sub"], "partner-user-7", "{info}");
    // The provider named by its name (no `issuer`) with its alias as audience.
    let aliased = assertion(&key, &idp, |c| {
        c["iss"] = json!("aliased");
        c["aud"] = json!(["https://other.example", "https://wso2.example/oauth2/token"]);
    });
    let (status, body) = grant(&idp, &aliased, "openid").await;
    assert_eq!(status, 200, "{body}");
    // WSO2 keeps no jti cache by default: the same assertion works twice.
    let again = assertion(&key, &idp, |c| c["jti"] = json!("once"));
    assert_eq!(grant(&idp, &again, "openid").await.0, 200);
    assert_eq!(grant(&idp, &again, "openid").await.0, 200);
}

#[tokio::test]
async fn every_refusal_is_invalid_grant_in_wso2_s_words() {
    let key = EcKey::new();
    let idp = start(&key).await;
    let token_url = idp.endpoint(Endpoint::Token);
    let stranger = EcKey::new();
    let cases: Vec<(&str, String, String)> = vec![
        ("not a JWT", "not-a-jwt".into(), "Error while parsing the JWT.".into()),
        (
            "no exp",
            assertion(&key, &idp, |c| {
                c.as_object_mut().unwrap().remove("exp");
            }),
            "Mandatory fields(Issuer, Subject, Expiration time or Audience) are empty in the given JSON Web Token."
                .into(),
        ),
        (
            "unknown issuer",
            assertion(&key, &idp, |c| c["iss"] = json!("https://nobody.example")),
            "No registered identity provider found for the JWT with issuer name : https://nobody.example".into(),
        ),
        (
            "another key",
            stranger.sign(
                &json!({"alg": "ES256", "kid": "p1"}),
                &json!({"iss": PARTNER, "sub": "alice", "aud": token_url, "exp": NOW + 300}),
            ),
            "Signature or Message Authentication invalid.".into(),
        ),
        (
            "wrong audience",
            assertion(&key, &idp, |c| c["aud"] = json!("https://elsewhere.example")),
            format!("None of the audience values matched the tokenEndpoint Alias {token_url}"),
        ),
        (
            "expired",
            assertion(&key, &idp, |c| c["exp"] = json!(NOW - 1)),
            "JSON Web Token is expired.".into(),
        ),
        (
            "nbf ahead",
            assertion(&key, &idp, |c| c["nbf"] = json!(NOW + 1)),
            "JSON Web Token is used before Not_Before_Time.".into(),
        ),
        (
            "iat 31 minutes ago",
            assertion(&key, &idp, |c| c["iat"] = json!(NOW - 31 * 60)),
            "JSON Web Token is issued before the allowed time.".into(),
        ),
    ];
    for (case, assertion, description) in cases {
        let (status, body) = grant(&idp, &assertion, "openid").await;
        assert_eq!(
            (status, body["error"].as_str(), body["error_description"].as_str()),
            (400, Some("invalid_grant"), Some(description.as_str())),
            "{case}: {body}"
        );
    }
    // A client without the grant is refused before the assertion is read.
    let (status, body) = crate::support::json_of(
        reqwest::Client::new()
            .post(idp.endpoint(Endpoint::Token))
            .basic_auth("web-app", Some("web-app-secret"))
            .form(&[("grant_type", GRANT), ("assertion", "x")]),
    )
    .await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (400, Some("unauthorized_client")),
        "{body}"
    );
}
