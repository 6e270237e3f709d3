//! Keycloak's signed-JWT client authentication over HTTP, as a real Keycloak 26.7.3 answered
//! it (docs/providers.md, "Client assertions"): a client with keys authenticates by assertion
//! only, each refusal in Keycloak's status and words, Basic credentials beside an assertion
//! ignored, and the grant type read before the client.

use crate::support::EcKey;
use mock_idp::{Endpoint, ManualClock, MockIdp, Provider, World};
use serde_json::{Value, json};

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const NOW: u64 = 1_800_000_000;

async fn keycloak_with_keyed_client(key: &EcKey) -> MockIdp {
    crate::support::with_keyed_machine(Provider::Keycloak, key, NOW).await
}

fn assertion(key: &EcKey, aud: &str, jti: &str, edit: impl FnOnce(&mut Value)) -> String {
    let mut claims = json!({"iss": "machine", "sub": "machine", "aud": aud, "jti": jti, "iat": NOW, "exp": NOW + 60});
    edit(&mut claims);
    key.sign(&json!({"alg": "ES256", "typ": "JWT", "kid": "k1"}), &claims)
}

async fn post(idp: &MockIdp, form: &[(&str, &str)], basic: Option<(&str, &str)>) -> (u16, Value) {
    let mut request = reqwest::Client::new().post(idp.endpoint(Endpoint::Token)).form(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
}

async fn with_assertion(idp: &MockIdp, assertion: &str) -> (u16, Value) {
    let form = [
        ("grant_type", "client_credentials"),
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", assertion),
    ];
    post(idp, &form, None).await
}

fn answer(status: u16, body: &Value) -> (u16, &str, &str) {
    (
        status,
        body["error"].as_str().unwrap_or("-"),
        body["error_description"].as_str().unwrap_or("-"),
    )
}

#[tokio::test]
async fn every_refusal_is_answered_in_keycloak_s_status_and_words() {
    let key = EcKey::new();
    let idp = keycloak_with_keyed_client(&key).await;
    let token_url = idp.endpoint(Endpoint::Token);
    let issuer = idp.issuer();
    let introspect = idp.endpoint(Endpoint::Introspect);
    let bad = |description: &'static str| (400, "invalid_client", description);
    let unknown = (401, "invalid_client", "Invalid client or Invalid client credentials");
    let stranger = EcKey::new();
    let cases: Vec<(&str, String, (u16, &str, &str))> =
        vec![
        (
            "another key",
            assertion(&stranger, &token_url, "stranger", |_| ()),
            bad("Client authentication with signed JWT failed: Signature on JWT token failed validation"),
        ),
        ("elsewhere", assertion(&key, "https://elsewhere.invalid", "a", |_| ()), bad("Invalid token audience")),
        (
            "two audiences",
            assertion(&key, &token_url, "b", |c| c["aud"] = json!([token_url, issuer])),
            bad("Multiple audiences not allowed"),
        ),
        (
            "no exp",
            assertion(&key, &token_url, "c", |c| {
                c.as_object_mut().unwrap().remove("exp");
            }),
            bad("Token exp claim is required"),
        ),
        (
            "expired",
            assertion(&key, &token_url, "d", |c| {
                c["iat"] = json!(NOW - 70);
                c["exp"] = json!(NOW - 10);
            }),
            bad("Token is not active"),
        ),
        (
            "iat ahead",
            assertion(&key, &token_url, "e", |c| c["iat"] = json!(NOW + 16)),
            bad("Token was issued in the future"),
        ),
        (
            "iat old",
            assertion(&key, &token_url, "f", |c| c["iat"] = json!(NOW - 61)),
            bad("Token was issued too far in the past to be used now"),
        ),
        (
            "no iat, far exp",
            assertion(&key, &token_url, "g", |c| {
                c.as_object_mut().unwrap().remove("iat");
                c["exp"] = json!(NOW + 61);
            }),
            bad("Token expiration is too far in the future and iat claim not present in token"),
        ),
        (
            "no jti",
            assertion(&key, &token_url, "h", |c| {
                c.as_object_mut().unwrap().remove("jti");
            }),
            bad("Token jti claim is required"),
        ),
        (
            "unknown kid",
            key.sign(
                &json!({"alg": "ES256", "kid": "nope"}),
                &json!({"iss": "machine", "sub": "machine", "aud": token_url, "jti": "i", "iat": NOW, "exp": NOW + 60}),
            ),
            bad("Unable to load public key"),
        ),
        ("iss is not sub", assertion(&key, &token_url, "j", |c| c["sub"] = json!("other")), unknown),
        ("not a JWT", "not.a.jwt".to_owned(), unknown),
    ];
    for (name, jwt, expected) in cases {
        let (status, body) = with_assertion(&idp, &jwt).await;
        assert_eq!(answer(status, &body), expected, "{name}: {body}");
    }
    // Accepted: the introspection endpoint and CIBA's URL as audiences, a far exp with a fresh
    // iat; then the replay.
    for (jti, aud) in [
        ("k", introspect),
        ("l", format!("{issuer}/protocol/openid-connect/ext/ciba/auth")),
    ] {
        let (status, body) = with_assertion(&idp, &assertion(&key, &aud, jti, |_| ())).await;
        assert_eq!(status, 200, "{aud}: {body}");
    }
    let far = assertion(&key, &token_url, "m", |c| c["exp"] = json!(NOW + 86_400));
    assert_eq!(with_assertion(&idp, &far).await.0, 200);
    let (status, body) = with_assertion(&idp, &far).await;
    assert_eq!(answer(status, &body), bad("Token reuse detected"));
}

#[tokio::test]
async fn a_keyed_client_authenticates_by_assertion_only_and_basic_beside_it_is_ignored() {
    let key = EcKey::new();
    let idp = keycloak_with_keyed_client(&key).await;
    let token_url = idp.endpoint(Endpoint::Token);
    let form = [("grant_type", "client_credentials")];
    let secret_refused = (400, "invalid_client", "Parameter client_assertion_type is missing");
    let (status, body) = post(&idp, &form, Some(("machine", "machine-secret"))).await;
    assert_eq!(answer(status, &body), secret_refused, "{body}");
    let with_secret = [
        ("grant_type", "client_credentials"),
        ("client_id", "machine"),
        ("client_secret", "machine-secret"),
    ];
    let (status, body) = post(&idp, &with_secret, None).await;
    assert_eq!(answer(status, &body), secret_refused, "{body}");
    let jwt = assertion(&key, &token_url, "basic-beside", |_| ());
    let form = [
        ("grant_type", "client_credentials"),
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", jwt.as_str()),
    ];
    let (status, body) = post(&idp, &form, Some(("machine", "machine-secret"))).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn keycloak_reads_the_grant_type_before_it_authenticates_the_client() {
    let key = EcKey::new();
    let idp = keycloak_with_keyed_client(&key).await;
    let nobody = [("client_id", "nobody"), ("client_secret", "x")];
    let (status, body) = post(&idp, &nobody, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request")),
        "{body}"
    );
    let unsupported = [("client_id", "nobody"), ("client_secret", "x"), ("grant_type", "urn:x")];
    let (status, body) = post(&idp, &unsupported, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unsupported_grant_type")),
        "{body}"
    );
    // With a grant type, the unknown client is refused.
    let known_grant = [
        ("client_id", "nobody"),
        ("client_secret", "x"),
        ("grant_type", "client_credentials"),
    ];
    assert_eq!(post(&idp, &known_grant, None).await.0, 401);
}

/// `client_secret_jwt` as Keycloak 26.7.3 answers it (a real run): only a client registered for
/// it (the `client-secret-jwt` authenticator) takes an HS256 assertion, and then not its secret
/// alone; a client registered for its secret takes no assertion.
#[tokio::test]
async fn client_secret_jwt_only_for_a_client_registered_for_it() {
    let secret = "hmac-secret-0123456789abcdef0123456789abcdef";
    let world = format!(
        "{}\n[realms.demo.clients.hmac]\nkind = \"confidential\"\nsecret = \"{secret}\"\n\
         grant_types = [\"client_credentials\"]\ntoken_endpoint_auth_method = \"client_secret_jwt\"\n",
        providers::world::DEFAULT_WORLD_TOML
    );
    let idp = MockIdp::builder()
        .provider(Provider::Keycloak)
        .world(World::from_toml_str(&world, "hmac.toml").unwrap())
        .clock(ManualClock::at(NOW))
        .start()
        .await;
    let token_url = idp.endpoint(Endpoint::Token);
    let hmac = |client: &str, key: &str, jti: &str| {
        use base64::Engine;
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let claims = json!({"iss": client, "sub": client, "aud": token_url, "jti": jti, "iat": NOW, "exp": NOW + 60});
        let input = format!(
            "{}.{}",
            b64(json!({"alg": "HS256", "typ": "JWT"}).to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let tag = aws_lc_rs::hmac::sign(
            &aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key.as_bytes()),
            input.as_bytes(),
        );
        format!("{input}.{}", b64(tag.as_ref()))
    };
    let (status, body) = with_assertion(&idp, &hmac("hmac", secret, "h1")).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = with_assertion(&idp, &hmac("hmac", "not-the-secret", "h2")).await;
    assert_eq!(
        answer(status, &body),
        (
            400,
            "unauthorized_client",
            "Client authentication with client secret signed JWT failed: Signature on JWT token by client secret  failed validation"
        )
    );
    let (status, body) = post(&idp, &[("grant_type", "client_credentials")], Some(("hmac", secret))).await;
    assert_eq!(
        answer(status, &body),
        (400, "invalid_client", "Parameter client_assertion_type is missing")
    );
    // The default World's `service` is registered for its secret: an HS256 assertion keyed by
    // that very secret authenticates nothing.
    let (status, body) = with_assertion(&idp, &hmac("service", "service-secret", "h3")).await;
    assert_eq!(
        answer(status, &body),
        (401, "invalid_client", "Invalid client or Invalid client credentials")
    );
}

/// The admin API registers a client's method too, checked as the World checks it.
#[tokio::test]
async fn the_admin_api_registers_a_client_for_client_secret_jwt() {
    let key = EcKey::new();
    let idp = keycloak_with_keyed_client(&key).await;
    let clients = crate::support::admin_url(&idp, "/realms/demo/clients");
    let (status, view) = crate::support::json_of(reqwest::Client::new().post(&clients).json(&json!({
        "client_id": "signer", "kind": "confidential", "secret": "signer-secret-0123456789abcdef0123456789",
        "grant_types": ["client_credentials"], "token_endpoint_auth_method": "client_secret_jwt"
    })))
    .await;
    assert_eq!(status, 201, "{view}");
    assert_eq!(view["token_endpoint_auth_method"], "client_secret_jwt");
    let (status, body) = post(
        &idp,
        &[("grant_type", "client_credentials")],
        Some(("signer", "signer-secret-0123456789abcdef0123456789")),
    )
    .await;
    assert_eq!(
        answer(status, &body),
        (400, "invalid_client", "Parameter client_assertion_type is missing")
    );
    // The keyed client of the World reports its derived method.
    let (_, machine) = crate::support::json_of(reqwest::Client::new().get(format!("{clients}/machine"))).await;
    assert_eq!(machine["token_endpoint_auth_method"], "private_key_jwt");
    // A confidential client cannot register `none`.
    let (status, problem) = crate::support::json_of(reqwest::Client::new().post(&clients).json(&json!({
        "client_id": "odd", "kind": "confidential", "secret": "s", "grant_types": ["client_credentials"],
        "token_endpoint_auth_method": "none"
    })))
    .await;
    assert_eq!(status, 422, "{problem}");
    assert!(problem.to_string().contains("token_endpoint_auth_method"), "{problem}");
}

/// A client's method changes through the admin API's PATCH, checked as the World checks it;
/// `null` derives it again.
#[tokio::test]
async fn the_admin_api_changes_a_client_s_method() {
    let key = EcKey::new();
    let idp = keycloak_with_keyed_client(&key).await;
    let machine = crate::support::admin_url(&idp, "/realms/demo/clients/machine");
    let patch = |body: Value| {
        let request = reqwest::Client::new().patch(&machine).json(&body);
        async move {
            let (status, body) = crate::support::json_of(request).await;
            (status.as_u16(), body)
        }
    };
    // A client with keys authenticates with them (the World's rule): refused, nothing changed.
    let (status, problem) = patch(json!({"token_endpoint_auth_method": "client_secret_jwt"})).await;
    assert_eq!(status, 422, "{problem}");
    assert!(problem.to_string().contains("token_endpoint_auth_method"), "{problem}");
    // Without its keys it moves to its secret signed as an HMAC: its plain secret is refused.
    let (status, view) = patch(json!({"jwks": null, "token_endpoint_auth_method": "client_secret_jwt"})).await;
    assert_eq!(
        (status, view["token_endpoint_auth_method"].as_str()),
        (200, Some("client_secret_jwt")),
        "{view}"
    );
    let (status, body) = post(
        &idp,
        &[("grant_type", "client_credentials")],
        Some(("machine", "machine-secret")),
    )
    .await;
    assert_eq!(
        answer(status, &body),
        (400, "invalid_client", "Parameter client_assertion_type is missing")
    );
    // `none` for a confidential client breaks the World's rule too.
    let (status, problem) = patch(json!({"token_endpoint_auth_method": "none"})).await;
    assert_eq!(status, 422, "{problem}");
    // `null`: derived again, now from its secret; the plain secret works.
    let (status, view) = patch(json!({"token_endpoint_auth_method": null})).await;
    assert_eq!(
        (status, view["token_endpoint_auth_method"].as_str()),
        (200, Some("client_secret_basic")),
        "{view}"
    );
    let (status, body) = post(
        &idp,
        &[("grant_type", "client_credentials")],
        Some(("machine", "machine-secret")),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

/// A client's own `token.endpoint.auth.signing.max.exp` (World `client_assertion_max_exp`)
/// replaces Keycloak's 60 s: an assertion issued 120 s ago is used under a 300 s one, refused
/// past it; without `iat`, `exp` may lie that far ahead.
#[tokio::test]
async fn a_client_s_own_max_exp_replaces_keycloak_s_sixty_seconds() {
    let key = EcKey::new();
    let mut jwk = key.public_jwk();
    jwk["kid"] = json!("k1");
    let world = format!(
        "default_realm = \"demo\"\n[realms.demo]\nscopes = [\"openid\"]\n[realms.demo.clients.machine]\n\
         kind = \"confidential\"\nsecret = \"machine-secret\"\ngrant_types = [\"client_credentials\"]\n\
         jwks = '{}'\nclient_assertion_max_exp = 300\n",
        json!({"keys": [jwk]})
    );
    let idp = MockIdp::builder()
        .provider(Provider::Keycloak)
        .world(World::from_toml_str(&world, "max-exp.toml").unwrap())
        .clock(ManualClock::at(NOW))
        .start()
        .await;
    let token_url = idp.endpoint(Endpoint::Token);
    let (status, body) = with_assertion(&idp, &assertion(&key, &token_url, "a", |c| c["iat"] = json!(NOW - 120))).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = with_assertion(&idp, &assertion(&key, &token_url, "b", |c| c["iat"] = json!(NOW - 301))).await;
    assert_eq!(
        answer(status, &body),
        (
            400,
            "invalid_client",
            "Token was issued too far in the past to be used now"
        )
    );
    let no_iat = |jti: &str, exp: u64| {
        assertion(&key, &token_url, jti, |c| {
            c.as_object_mut().unwrap().remove("iat");
            c["exp"] = json!(exp);
        })
    };
    let (status, body) = with_assertion(&idp, &no_iat("c", NOW + 300)).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = with_assertion(&idp, &no_iat("d", NOW + 301)).await;
    assert_eq!(
        answer(status, &body),
        (
            400,
            "invalid_client",
            "Token expiration is too far in the future and iat claim not present in token"
        )
    );
    // The realm export carries it as Keycloak's client attribute.
    let world = World::from_toml_str(&world, "max-exp.toml").unwrap();
    let export = providers::keycloak::realm_export(world.realm("demo").unwrap());
    let client = export["clients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|client| client["clientId"] == "machine")
        .unwrap();
    assert_eq!(client["attributes"]["token.endpoint.auth.signing.max.exp"], "300");
}
