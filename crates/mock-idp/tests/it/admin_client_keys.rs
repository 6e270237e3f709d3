//! A client's `private_key_jwt` keys (`jwks`) set, replaced and removed through the admin API,
//! from the client's side: an EdDSA assertion at the token endpoint.

use crate::support::{admin_url, json_of};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair as _};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mock_idp::{Endpoint, ManualClock, MockIdp};
use serde_json::{Value, json};

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const NOW: u64 = 1_800_000_000;

fn key() -> Ed25519KeyPair {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap()
}

fn jwks(key: &Ed25519KeyPair, kid: &str) -> Value {
    json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": kid, "use": "sig", "alg": "EdDSA",
        "x": URL_SAFE_NO_PAD.encode(key.public_key().as_ref())}]})
}

fn assertion(key: &Ed25519KeyPair, kid: &str, client_id: &str, aud: &str, jti: &str) -> String {
    let claims = json!({"iss": client_id, "sub": client_id, "aud": aud, "jti": jti, "iat": NOW, "exp": NOW + 60});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(json!({"alg": "EdDSA", "kid": kid, "typ": "JWT"}).to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = key.sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
}

async fn token(idp: &MockIdp, jwt: &str) -> (u16, Value) {
    let request = reqwest::Client::new().post(idp.endpoint(Endpoint::Token)).form(&[
        ("grant_type", "client_credentials"),
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", jwt),
    ]);
    let (status, body) = json_of(request).await;
    (status.as_u16(), body)
}

async fn admin(idp: &MockIdp, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
    let url = admin_url(idp, &format!("/realms/demo/clients{path}"));
    let (status, body) = json_of(reqwest::Client::new().request(method, url).json(&body)).await;
    (status.as_u16(), body)
}

#[tokio::test]
async fn client_keys_created_replaced_and_removed_over_http_govern_private_key_jwt() {
    let idp = MockIdp::builder().clock(ManualClock::at(NOW)).start().await;
    let aud = idp.endpoint(Endpoint::Token);
    let (first, second) = (key(), key());
    let (status, body) = admin(
        &idp,
        reqwest::Method::POST,
        "",
        json!({"client_id": "signer", "kind": "confidential", "secret": "signer-secret",
            "grant_types": ["client_credentials"], "jwks": jwks(&first, "k1")}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["jwks"]["keys"][0]["kid"], "k1");
    let (status, body) = token(&idp, &assertion(&first, "k1", "signer", &aud, "a1")).await;
    assert_eq!(status, 200, "the key set at creation authenticates: {body}");

    let (status, body) = admin(
        &idp,
        reqwest::Method::PATCH,
        "/signer",
        json!({"jwks": jwks(&second, "k2")}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = token(&idp, &assertion(&first, "k1", "signer", &aud, "a2")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client")),
        "the replaced key: {body}"
    );
    let (status, body) = token(&idp, &assertion(&second, "k2", "signer", &aud, "a3")).await;
    assert_eq!(status, 200, "the new key: {body}");

    let (status, body) = admin(&idp, reqwest::Method::PATCH, "/signer", json!({"jwks": null})).await;
    assert_eq!((status, &body["jwks"]), (200, &Value::Null), "{body}");
    let (status, body) = token(&idp, &assertion(&second, "k2", "signer", &aud, "a4")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client")),
        "{body}"
    );
    let (_, view) = admin(&idp, reqwest::Method::GET, "/signer", Value::Null).await;
    assert_eq!(view["jwks"], Value::Null);
}

#[tokio::test]
async fn bad_client_keys_are_refused_with_the_field_named_and_change_nothing() {
    let idp = MockIdp::start().await;
    let good = jwks(&key(), "k1");
    let mut private = good.clone();
    private["keys"][0]["d"] = json!("c2VjcmV0");
    let symmetric = json!({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]});
    for (case, jwks) in [
        ("private member", private),
        ("symmetric key", symmetric),
        ("no keys", json!({"keys": []})),
        ("not a set", json!(["k"])),
    ] {
        let (status, body) = admin(
            &idp,
            reqwest::Method::POST,
            "",
            json!({"client_id": "bad", "kind": "confidential", "secret": "s",
                "grant_types": ["client_credentials"], "jwks": jwks}),
        )
        .await;
        assert_eq!(status, 422, "{case}: {body}");
        assert!(body.to_string().contains("jwks"), "{case}: the field is named: {body}");
        let (status, body) = admin(&idp, reqwest::Method::PATCH, "/service", json!({"jwks": jwks})).await;
        assert_eq!(status, 422, "{case}: {body}");
    }
    let (status, body) = admin(
        &idp,
        reqwest::Method::POST,
        "",
        json!({"client_id": "spa2", "kind": "public", "redirect_uris": ["http://127.0.0.1:1/cb"],
            "grant_types": ["authorization_code"], "jwks": good}),
    )
    .await;
    assert_eq!(status, 422, "a public client cannot use private_key_jwt: {body}");
    let (status, _) = admin(&idp, reqwest::Method::GET, "/bad", Value::Null).await;
    assert_eq!(status, 404, "nothing was created");
    let (_, service) = admin(&idp, reqwest::Method::GET, "/service", Value::Null).await;
    assert_eq!(service["jwks"], Value::Null, "nothing was changed");
}
