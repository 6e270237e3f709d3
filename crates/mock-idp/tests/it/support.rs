//! Helpers the integration tests share: admin API URLs and calls, token requests, JWT parts.

use mock_idp::{Endpoint, MockIdp};
use reqwest::StatusCode;
use serde_json::Value;

/// `{uri}/_mock{path}`: an admin API URL.
pub(crate) fn admin_url(idp: &MockIdp, path: &str) -> String {
    format!("{}/_mock{path}", idp.uri())
}

/// Sends `request`: its status and JSON body (`Null` when the body is not JSON, e.g. a 204).
pub(crate) async fn json_of(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A password-grant token request of `web-app` (client_secret_basic) for `username`.
pub(crate) async fn password_grant(idp: &MockIdp, username: &str, password: &str, scope: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(idp.endpoint(Endpoint::Token))
        .basic_auth("web-app", Some("web-app-secret"))
        .form(&[
            ("grant_type", "password"),
            ("username", username),
            ("password", password),
            ("scope", scope),
        ])
        .send()
        .await
        .unwrap()
}

/// A client-credentials token request of `client` (client_secret_basic).
pub(crate) async fn client_credentials(idp: &MockIdp, client: &str, secret: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(idp.endpoint(Endpoint::Token))
        .basic_auth(client, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
}

/// The JSON of a JWT's part `index` (0 the header, 1 the claims).
pub(crate) fn jwt_part(token: &str, index: usize) -> Value {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.split('.').nth(index).unwrap())
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// A JWT's claims.
pub(crate) fn claims(token: &str) -> Value {
    jwt_part(token, 1)
}

/// A JWT's header.
pub(crate) fn header(token: &str) -> Value {
    jwt_part(token, 0)
}

/// A P-256 key pair that signs compact JWS (ES256): private_key_jwt and JWT-profile assertions,
/// DPoP proofs.
pub(crate) struct EcKey {
    pair: aws_lc_rs::signature::EcdsaKeyPair,
    rng: aws_lc_rs::rand::SystemRandom,
}

impl EcKey {
    pub(crate) fn new() -> EcKey {
        EcKey {
            pair: aws_lc_rs::signature::EcdsaKeyPair::generate(&aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING)
                .unwrap(),
            rng: aws_lc_rs::rand::SystemRandom::new(),
        }
    }

    /// The public JWK: `kty`, `crv`, `x`, `y`.
    pub(crate) fn public_jwk(&self) -> Value {
        use aws_lc_rs::signature::KeyPair;
        use base64::Engine;
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let point = self.pair.public_key().as_ref();
        serde_json::json!({"kty": "EC", "crv": "P-256", "x": b64(&point[1..33]), "y": b64(&point[33..65])})
    }

    /// `header.claims.signature`, signed with this key whatever `header` says.
    pub(crate) fn sign(&self, header: &Value, claims: &Value) -> String {
        use base64::Engine;
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let signature = self.pair.sign(&self.rng, input.as_bytes()).unwrap();
        format!("{input}.{}", b64(signature.as_ref()))
    }
}

/// `provider` at `at` (the mock's clock) serving a World whose one confidential client,
/// `machine` (secret `machine-secret`, client_credentials), registers `key` under kid `k1`.
pub(crate) async fn with_keyed_machine(provider: mock_idp::Provider, key: &EcKey, at: u64) -> MockIdp {
    let mut jwk = key.public_jwk();
    jwk["kid"] = serde_json::json!("k1");
    let world = format!(
        r#"default_realm = "demo"
[realms.demo]
scopes = ["openid"]
[realms.demo.clients.machine]
kind = "confidential"
secret = "machine-secret"
grant_types = ["client_credentials"]
jwks = '{}'
"#,
        serde_json::json!({"keys": [jwk]})
    );
    MockIdp::builder()
        .provider(provider)
        .world(mock_idp::World::from_toml_str(&world, "keyed.toml").unwrap())
        .clock(mock_idp::ManualClock::at(at))
        .start()
        .await
}

/// The public key set of `key` under `kid`, as World TOML text (`jwks = '…'`).
pub(crate) fn jwks_of(key: &EcKey, kid: &str) -> String {
    let mut jwk = key.public_jwk();
    jwk["kid"] = serde_json::json!(kid);
    serde_json::json!({ "keys": [jwk] }).to_string()
}

/// A mock of `provider` serving the default World plus `extra` (TOML appended to it), on a
/// manual clock at `at`.
pub(crate) async fn with_extra_world(provider: mock_idp::Provider, extra: &str, at: u64) -> MockIdp {
    let text = format!("{}{extra}", providers::world::DEFAULT_WORLD_TOML);
    MockIdp::builder()
        .provider(provider)
        .world(mock_idp::World::from_toml_str(&text, "extra.toml").unwrap())
        .clock(mock_idp::ManualClock::at(at))
        .start()
        .await
}

/// What introspection by `client` (Basic with `secret`) answers for `token`: status and body.
pub(crate) async fn introspect_as(idp: &MockIdp, client: &str, secret: &str, token: &str) -> (StatusCode, Value) {
    json_of(
        reqwest::Client::new()
            .post(idp.endpoint(mock_idp::Endpoint::Introspect))
            .basic_auth(client, Some(secret))
            .form(&[("token", token)]),
    )
    .await
}
