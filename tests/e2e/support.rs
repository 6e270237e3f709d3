//! Shared helpers: an HTTP client that does not follow redirects, form posts, the headless code
//! flow, PKCE pairs and JWKS verification with an independent library (jsonwebtoken).

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use mock_idp::MockIdp;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

/// alice's subject identifier in the default world.
pub const ALICE_ID: &str = "7f2a1c3e-5b4d-4e6f-8a9b-0c1d2e3f4a5b";
/// The default world's web-app redirect URI.
pub const WEB_REDIRECT: &str = "http://127.0.0.1:5000/callback";
/// The default world's SPA redirect URI.
pub const SPA_REDIRECT: &str = "http://127.0.0.1:5173/callback";
/// A fixed instant for reproducible tokens (2027-01-15T08:00:00Z).
pub const T0: u64 = 1_800_000_000;

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Reply {
    /// The body as JSON (panics with the body when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|err| panic!("not JSON ({err}): {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The `Location` header parsed as a URL.
    pub fn location(&self) -> url::Url {
        let location = self
            .header("location")
            .unwrap_or_else(|| panic!("no Location: {} {}", self.status, self.text));
        url::Url::parse(location).unwrap()
    }

    /// The value of query parameter `name` in the `Location` header.
    pub fn location_param(&self, name: &str) -> Option<String> {
        self.location()
            .query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub async fn read(response: reqwest::Response) -> Reply {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    Reply { status, headers, text }
}

pub async fn get(url: &str) -> Reply {
    read(client().get(url).send().await.unwrap()).await
}

pub fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

/// POSTs a form, optionally with client_secret_basic.
pub async fn post_form(url: &str, auth: Option<(&str, &str)>, form: &[(&str, &str)]) -> Reply {
    let mut request = client().post(url).form(form);
    if let Some((id, secret)) = auth {
        request = request.header("authorization", basic(id, secret));
    }
    read(request.send().await.unwrap()).await
}

/// An RFC 7636 verifier and its S256 challenge.
pub fn pkce_pair() -> (String, String) {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).unwrap();
    let verifier = URL_SAFE_NO_PAD.encode(bytes);
    let challenge = URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        verifier.as_bytes(),
    ));
    (verifier, challenge)
}

/// Sends an authorization request (query) and returns the reply.
pub async fn authorize(idp: &MockIdp, params: &[(&str, &str)]) -> Reply {
    let url = url::Url::parse_with_params(&idp.endpoint(mock_idp::Endpoint::Authorize), params).unwrap();
    get(url.as_str()).await
}

/// Runs the headless code flow (auto-approve by `login_hint`) and returns the code.
pub async fn code_for(
    idp: &MockIdp,
    user: &str,
    client_id: &str,
    redirect_uri: &str,
    scope: &str,
    challenge: Option<&str>,
) -> String {
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("scope", scope),
        ("state", "st-1"),
        ("nonce", "n-1"),
        ("login_hint", user),
    ];
    if let Some(challenge) = challenge {
        params.push(("code_challenge", challenge));
        params.push(("code_challenge_method", "S256"));
    }
    let reply = authorize(idp, &params).await;
    assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.text);
    assert_eq!(reply.location_param("state").as_deref(), Some("st-1"));
    reply
        .location_param("code")
        .unwrap_or_else(|| panic!("no code: {}", reply.location()))
}

/// The token endpoint URL of the default realm.
pub fn token_url(idp: &MockIdp) -> String {
    idp.endpoint(mock_idp::Endpoint::Token)
}

/// Exchanges a web-app code (client_secret_basic).
pub async fn exchange_web_code(idp: &MockIdp, code: &str, verifier: Option<&str>) -> Reply {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", WEB_REDIRECT),
    ];
    if let Some(verifier) = verifier {
        form.push(("code_verifier", verifier));
    }
    post_form(&token_url(idp), Some(("web-app", "web-app-secret")), &form).await
}

/// A full web-app code flow for `user`; returns the token response.
pub async fn web_tokens(idp: &MockIdp, user: &str, scope: &str) -> Value {
    let (verifier, challenge) = pkce_pair();
    let code = code_for(idp, user, "web-app", WEB_REDIRECT, scope, Some(&challenge)).await;
    let reply = exchange_web_code(idp, &code, Some(&verifier)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.json()
}

/// Introspects `token` as the `api` client.
pub async fn introspect(idp: &MockIdp, token: &str) -> Value {
    let reply = post_form(
        &idp.endpoint(mock_idp::Endpoint::Introspect),
        Some(("api", "api-secret")),
        &[("token", token)],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.json()
}

/// The header and claims of a JWT, verified against the realm's published JWKS with
/// jsonwebtoken (an implementation independent of the mock's).
pub async fn verify(idp: &MockIdp, token: &str, audience: Option<&str>) -> (jsonwebtoken::Header, Value) {
    let jwks: jsonwebtoken::jwk::JwkSet =
        serde_json::from_str(&get(&idp.endpoint(mock_idp::Endpoint::Jwks)).await.text).unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    let kid = header.kid.clone().expect("kid");
    let jwk = jwks.find(&kid).unwrap_or_else(|| panic!("kid {kid} not in JWKS"));
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.set_issuer(&[idp.issuer()]);
    match audience {
        Some(audience) => validation.set_audience(&[audience]),
        None => validation.validate_aud = false,
    }
    let data = jsonwebtoken::decode::<Value>(token, &key, &validation).unwrap_or_else(|err| panic!("{err}: {token}"));
    (data.header, data.claims)
}

/// The claims of a JWT without verification, for snapshotting.
pub fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// The header of a JWT without verification.
pub fn header_of(token: &str) -> Value {
    let header = token.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap()
}

/// Verifies an RS256 JWT against a JWK set with aws-lc-rs directly (for tokens whose header
/// jsonwebtoken cannot deserialize, such as App ID's numeric `ver`) and returns its claims.
pub async fn verify_rs256_raw(jwks_url: &str, token: &str) -> Value {
    let jwks = get(jwks_url).await.json();
    let header = header_of(token);
    let kid = header["kid"].as_str().expect("kid");
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|key| key["kid"] == kid)
        .expect("kid in JWKS");
    let n = URL_SAFE_NO_PAD.decode(key["n"].as_str().unwrap()).unwrap();
    let e = URL_SAFE_NO_PAD.decode(key["e"].as_str().unwrap()).unwrap();
    let (signing_input, signature) = token.rsplit_once('.').unwrap();
    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
    aws_lc_rs::signature::RsaPublicKeyComponents { n: &n, e: &e }
        .verify(
            &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
            signing_input.as_bytes(),
            &signature,
        )
        .expect("signature verifies");
    claims_of(token)
}

/// A server imitating `provider` with its clock at [`T0`] (reproducible tokens and snapshots)
/// that logs in the user named by `login_hint` without a login page.
pub async fn fixed(provider: mock_idp::Provider) -> MockIdp {
    fixed_builder(provider).start().await
}

/// The builder of [`fixed`], for a test that sets more (a world, …).
pub fn fixed_builder(provider: mock_idp::Provider) -> mock_idp::MockIdpBuilder {
    MockIdp::builder()
        .provider(provider)
        .auto_approve(true)
        .clock(mock_idp::ManualClock::at(T0))
}

/// `{uri}{path}`: a path as a provider's docs write it, on this server.
pub fn at(idp: &MockIdp, path: &str) -> String {
    format!("{}{path}", idp.uri())
}

/// `value` with the server's random base URI replaced by `placeholder`, for snapshots.
pub fn stable_as(idp: &MockIdp, value: Value, placeholder: &str) -> Value {
    serde_json::from_str(&value.to_string().replace(idp.uri(), placeholder)).unwrap()
}
