//! Shared test helpers: a mock IdP on a manual clock, validators wired to it, and a forger
//! that signs any header and payload with the mock's own keys or an attacker's.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair as _, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use mock_idp::{MockIdp, TokenSpec};
use serde_json::{Value, json};
use std::sync::OnceLock;
use token_guard::{Alg, Guard, JwksConfig, ManualClock, Validator, ValidatorBuilder};

/// The fixed "now" of every test.
pub const NOW: u64 = 1_700_000_000;

/// The mock's and the guard's clock: clones of one `ManualClock` (`providers::clock`, re-exported
/// by both crates), so moving one moves the other.
#[derive(Debug, Clone)]
pub struct Clocks {
    pub mock: mock_idp::ManualClock,
    pub guard: ManualClock,
}

impl Clocks {
    pub fn new() -> Clocks {
        let clock = ManualClock::at(NOW);
        Clocks {
            mock: clock.clone(),
            guard: clock,
        }
    }

    pub fn advance(&self, seconds: u64) {
        self.guard.advance(seconds);
    }
}

/// A mock on the manual clock.
pub async fn idp() -> (MockIdp, Clocks) {
    let clocks = Clocks::new();
    let idp = MockIdp::builder().clock(clocks.mock.clone()).start().await;
    (idp, clocks)
}

/// Short bounds for tests: cooldown 30 s, negative TTL 60 s, stale bound 600 s, 1 s timeout.
pub fn test_jwks_config() -> JwksConfig {
    let mut config = JwksConfig::default();
    config.refetch_cooldown = 30;
    config.negative_ttl = 60;
    config.max_stale = 600;
    config.default_ttl = 300;
    config.min_ttl = 10;
    config.timeout = std::time::Duration::from_millis(500);
    config.max_body_bytes = 64 * 1024;
    config
}

/// A validator builder for the mock's default realm, audience `api`, RS256.
pub fn builder(idp: &MockIdp, clocks: &Clocks) -> ValidatorBuilder {
    Validator::builder(idp.issuer(), "api", [Alg::RS256])
        .clock(clocks.guard.clone())
        .jwks_config(test_jwks_config())
}

pub fn validator(idp: &MockIdp, clocks: &Clocks) -> Validator {
    builder(idp, clocks).build().unwrap()
}

pub fn guard(validator: Validator) -> std::sync::Arc<Guard> {
    std::sync::Arc::new(Guard::builder().validator(validator).build().unwrap())
}

/// alice's token for `api` with `read:messages`, minted by the mock.
pub fn alice(idp: &MockIdp) -> String {
    idp.mint(TokenSpec::user("alice").scope("openid read:messages"))
        .unwrap()
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn b64_json(value: &Value) -> String {
    b64(value.to_string().as_bytes())
}

/// Decodes a JWT segment as JSON.
pub fn segment(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(body).unwrap()
}

/// The mock's default-realm RSA key (fixtures/keys/demo/rsa-2048.pem).
pub fn mock_rsa() -> &'static RsaKeyPair {
    static KEY: OnceLock<RsaKeyPair> = OnceLock::new();
    KEY.get_or_init(|| {
        let pem = include_str!("../../../../fixtures/keys/demo/rsa-2048.pem");
        RsaKeyPair::from_pkcs8(&pem_der(pem)).unwrap()
    })
}

/// The mock's default-realm P-256 key.
pub fn mock_ec() -> &'static EcdsaKeyPair {
    static KEY: OnceLock<EcdsaKeyPair> = OnceLock::new();
    KEY.get_or_init(|| {
        let pem = include_str!("../../../../fixtures/keys/demo/ec-p256.pem");
        EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &pem_der(pem)).unwrap()
    })
}

/// An attacker's RSA-2048 key (generated once per test binary).
pub fn attacker_rsa() -> &'static RsaKeyPair {
    static KEY: OnceLock<RsaKeyPair> = OnceLock::new();
    KEY.get_or_init(|| RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap())
}

/// How a forged token is signed.
pub enum Sig<'a> {
    Rsa(&'a RsaKeyPair, &'static dyn signature::RsaEncoding),
    Ec(&'a EcdsaKeyPair),
    Hmac(&'a [u8]),
    Raw(Vec<u8>),
}

pub fn sign(input: &str, sig: &Sig<'_>) -> Vec<u8> {
    match sig {
        Sig::Rsa(key, encoding) => {
            let mut out = vec![0; key.public_modulus_len()];
            key.sign(*encoding, &SystemRandom::new(), input.as_bytes(), &mut out)
                .unwrap();
            out
        }
        Sig::Ec(key) => key
            .sign(&SystemRandom::new(), input.as_bytes())
            .unwrap()
            .as_ref()
            .to_vec(),
        Sig::Hmac(secret) => {
            let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret);
            aws_lc_rs::hmac::sign(&key, input.as_bytes()).as_ref().to_vec()
        }
        Sig::Raw(bytes) => bytes.clone(),
    }
}

/// `header.payload.signature` with JSON values.
pub fn forge(header: &Value, claims: &Value, sig: &Sig<'_>) -> String {
    forge_raw(header.to_string().as_bytes(), claims.to_string().as_bytes(), sig)
}

/// Same with raw JSON text (for duplicate members and other non-canonical JSON).
pub fn forge_raw(header: &[u8], claims: &[u8], sig: &Sig<'_>) -> String {
    let input = format!("{}.{}", b64(header), b64(claims));
    let signature = sign(&input, sig);
    format!("{input}.{}", b64(&signature))
}

/// Signed by the mock's RSA key with `alg: RS256`.
pub fn mock_signed(header: &Value, claims: &Value) -> String {
    forge(header, claims, &Sig::Rsa(mock_rsa(), &signature::RSA_PKCS1_SHA256))
}

/// The `kid` of the mock's RSA key.
pub fn rsa_kid(idp: &MockIdp) -> String {
    segment(&alice(idp), 0)["kid"].as_str().unwrap().to_owned()
}

/// RS256 header with the mock's RSA kid and `typ: at+jwt`.
pub fn header(idp: &MockIdp) -> Value {
    json!({"alg": "RS256", "typ": "at+jwt", "kid": rsa_kid(idp)})
}

/// RFC 9068 claims valid at [`NOW`] for audience `api`.
pub fn claims(idp: &MockIdp) -> Value {
    json!({
        "iss": idp.issuer(),
        "sub": "7f2a1c3e-5b4d-4e6f-8a9b-0c1d2e3f4a5b",
        "aud": "api",
        "exp": NOW + 300,
        "iat": NOW,
        "jti": "jti-1",
        "client_id": "web-app",
        "scope": "openid read:messages",
        "roles": ["user", "admin"],
    })
}

/// `claims` with `name` set to `value` (`Value::Null` removes it when `remove` is used).
pub fn with(mut claims: Value, name: &str, value: Value) -> Value {
    claims[name] = value;
    claims
}

pub fn without(mut claims: Value, name: &str) -> Value {
    claims.as_object_mut().unwrap().remove(name);
    claims
}

/// The public JWK of the mock's RSA key (from its JWKS).
pub async fn mock_rsa_jwk(idp: &MockIdp) -> Value {
    let jwks: Value = reqwest::get(idp.endpoint(mock_idp::Endpoint::Jwks))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kid = rsa_kid(idp);
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .unwrap()
        .clone()
}

/// The attacker key's public JWK.
pub fn attacker_jwk(kid: &str) -> Value {
    let public = attacker_rsa().public_key();
    let (n, e) = rsa_components(public.as_ref());
    json!({"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig", "n": b64(&n), "e": b64(&e)})
}

/// (n, e) of a PKCS#1 RSAPublicKey DER.
pub fn rsa_components(der: &[u8]) -> (Vec<u8>, Vec<u8>) {
    fn read(der: &[u8], at: usize) -> (usize, usize) {
        let len = der[at + 1] as usize;
        if len < 0x80 {
            (at + 2, len)
        } else {
            let count = len & 0x7f;
            let mut value = 0usize;
            for i in 0..count {
                value = (value << 8) | der[at + 2 + i] as usize;
            }
            (at + 2 + count, value)
        }
    }
    let (seq, _) = read(der, 0);
    let (n_at, n_len) = read(der, seq);
    let (e_at, e_len) = read(der, n_at + n_len);
    let strip = |b: &[u8]| b.iter().skip_while(|x| **x == 0).copied().collect::<Vec<u8>>();
    (strip(&der[n_at..n_at + n_len]), strip(&der[e_at..e_at + e_len]))
}

/// Body of a response, as text.
pub async fn body_text(response: axum::response::Response) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    String::from_utf8_lossy(&bytes).into_owned()
}
