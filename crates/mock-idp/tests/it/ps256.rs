//! PS256 signing keys per realm (issue 12): set through the admin route, the Rust API or the
//! world file, and per client; discovery lists PS256 only while something signs with it.

use crate::support::{client_credentials, header};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use mock_idp::{Endpoint, KeyState, MockIdp, SigningAlg, World};
use serde_json::{Value, json};

async fn get(idp: &MockIdp, endpoint: Endpoint) -> Value {
    reqwest::get(idp.endpoint(endpoint))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn advertised(idp: &MockIdp) -> Vec<String> {
    let discovery = get(idp, Endpoint::Discovery).await;
    discovery["id_token_signing_alg_values_supported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|alg| alg.as_str().unwrap().to_owned())
        .collect()
}

/// A client-credentials access token of `client`.
async fn access_token(idp: &MockIdp, client: &str, secret: &str) -> String {
    let body: Value = client_credentials(idp, client, secret).await.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

/// Verifies `jwt` with jsonwebtoken (an independent PS256 implementation) against the JWK of
/// the realm's JWKS that its `kid` names.
async fn verify_ps256(idp: &MockIdp, jwt: &str) {
    let kid = header(jwt)["kid"].as_str().unwrap().to_owned();
    let jwks = get(idp, Endpoint::Jwks).await;
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|key| key["kid"] == kid.as_str())
        .unwrap_or_else(|| panic!("{kid} in {jwks}"));
    assert_eq!((jwk["kty"].as_str(), jwk["alg"].as_str()), (Some("RSA"), Some("PS256")));
    let key = DecodingKey::from_rsa_components(jwk["n"].as_str().unwrap(), jwk["e"].as_str().unwrap()).unwrap();
    let mut validation = Validation::new(Algorithm::PS256);
    validation.validate_aud = false;
    validation.set_issuer(&[idp.issuer()]);
    jsonwebtoken::decode::<Value>(jwt, &key, &validation).unwrap();
    let mut rs256 = Validation::new(Algorithm::RS256);
    rs256.validate_aud = false;
    assert!(jsonwebtoken::decode::<Value>(jwt, &key, &rs256).is_err());
}

#[tokio::test]
async fn the_admin_route_switches_a_realm_to_ps256_and_back() {
    let idp = MockIdp::start().await;
    assert!(
        !advertised(&idp).await.contains(&"PS256".to_owned()),
        "not listed while unused"
    );
    assert!(idp.keys("demo").unwrap().iter().all(|key| key.alg != SigningAlg::PS256));
    let http = reqwest::Client::new();
    let url = format!("{}/_mock/realms/demo/signing-alg", idp.uri());
    let status = http
        .put(&url)
        .json(&json!({"alg": "PS256"}))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 204);
    assert_eq!(advertised(&idp).await, ["RS256", "ES256", "EdDSA", "PS256"]);
    let token = access_token(&idp, "service", "service-secret").await;
    assert_eq!(header(&token)["alg"], "PS256");
    verify_ps256(&idp, &token).await;
    let kid = header(&token)["kid"].as_str().unwrap().to_owned();
    assert!(
        idp.keys("demo")
            .unwrap()
            .iter()
            .any(|key| key.kid == kid && key.alg == SigningAlg::PS256 && key.state == KeyState::Active)
    );

    let status = http
        .put(&url)
        .json(&json!({"alg": null}))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 204);
    assert!(!advertised(&idp).await.contains(&"PS256".to_owned()), "unused again");
    let back = access_token(&idp, "service", "service-secret").await;
    assert_eq!(header(&back)["alg"], "RS256");
    verify_ps256(&idp, &token).await; // its key stays published, retired
    let retired = idp
        .keys("demo")
        .unwrap()
        .into_iter()
        .find(|key| key.kid == kid)
        .unwrap();
    assert_eq!(retired.state, KeyState::Retired { until: None });

    let status = http
        .put(&url)
        .json(&json!({"alg": "PS384"}))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 422, "an algorithm the mock cannot sign with is refused");
}

#[tokio::test]
async fn a_world_realm_or_a_client_signing_with_ps256_gets_its_key() {
    let text = providers::world::DEFAULT_WORLD_TOML.replacen("signing_alg = \"RS256\"", "signing_alg = \"PS256\"", 1);
    let world = World::from_toml_str(&text, "ps256.toml").unwrap();
    let idp = MockIdp::builder().world(world).start().await;
    assert!(advertised(&idp).await.contains(&"PS256".to_owned()));
    let token = access_token(&idp, "service", "service-secret").await;
    assert_eq!(header(&token)["alg"], "PS256");
    verify_ps256(&idp, &token).await;

    // Default world, one client switched to PS256 over the admin API (the Rust API too).
    let idp = MockIdp::start().await;
    let response = reqwest::Client::new()
        .patch(format!("{}/_mock/realms/demo/clients/service", idp.uri()))
        .json(&json!({"signing_alg": "PS256"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(advertised(&idp).await.contains(&"PS256".to_owned()));
    let token = access_token(&idp, "service", "service-secret").await;
    assert_eq!(header(&token)["alg"], "PS256");
    verify_ps256(&idp, &token).await;
    let other = access_token(&idp, "api", "api-secret").await;
    assert_eq!(header(&other)["alg"], "RS256", "other clients keep the realm's");

    idp.admin().reset();
    assert!(!advertised(&idp).await.contains(&"PS256".to_owned()), "as loaded");
    idp.set_signing_alg("demo", Some(SigningAlg::PS256)).unwrap();
    let token = access_token(&idp, "api", "api-secret").await;
    verify_ps256(&idp, &token).await;
}
