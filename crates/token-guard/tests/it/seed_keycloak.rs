//! The seed API example against a real Keycloak 26.7.3, with tokens from its token endpoint.
//!
//! `IDP_HARNESS_KEYCLOAK_ISSUER` names the issuer of a Keycloak set up with the default World
//! (`.ci/run` starts one with `idp-conformance start keycloak-dist` and sets
//! `IDP_HARNESS_REQUIRE_KEYCLOAK=1`, which turns a missing issuer into a failure). Everything
//! the mock-based tests in `seed.rs` assert that applies to Keycloak's token shapes is asserted
//! here again; all traffic goes to that (loopback) Keycloak only.

use crate::http_app::{bearer, call};
use crate::seed::seed_api;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use token_guard::{Alg, InvalidToken, ManualClock, Provider, Validator};

const ISSUER_VAR: &str = "IDP_HARNESS_KEYCLOAK_ISSUER";
const REQUIRE_VAR: &str = "IDP_HARNESS_REQUIRE_KEYCLOAK";
const PROTECTED: [&str; 3] = ["/api/private", "/api/private-scoped", "/api/admin"];
/// alice's `sub` in `fixtures/world.toml`.
const ALICE_ID: &str = "7f2a1c3e-5b4d-4e6f-8a9b-0c1d2e3f4a5b";
/// A client this test adds (once) through the admin API: password grant, an Audience mapper for
/// `api`, so its tokens name `api` in `aud` without an `api` role or the `read:messages` scope
/// (what `seed.rs` mints as "bob (audience mapper)").
const MAPPED_CLIENT: &str = "seed-api-audience";
const MAPPED_SECRET: &str = "seed-api-audience-secret";

/// The issuer, or `None` when the test is skipped.
fn issuer() -> Option<String> {
    match std::env::var(ISSUER_VAR) {
        Ok(issuer) if !issuer.trim().is_empty() => Some(issuer.trim().trim_end_matches('/').to_owned()),
        _ => {
            assert!(
                std::env::var(REQUIRE_VAR).as_deref() != Ok("1"),
                "{REQUIRE_VAR}=1 but {ISSUER_VAR} is not set"
            );
            println!("skipped: {ISSUER_VAR} is not set (.ci/run sets it with idp-conformance start keycloak-dist)");
            None
        }
    }
}

/// Talks to the real Keycloak; refuses anything but loopback.
struct Keycloak {
    http: reqwest::Client,
    issuer: String,
    base: String,
    token_endpoint: String,
}

impl Keycloak {
    async fn new(issuer: &str) -> Keycloak {
        let url = url::Url::parse(issuer).expect("IDP_HARNESS_KEYCLOAK_ISSUER is a URL");
        assert!(
            matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")),
            "{issuer}: only a loopback Keycloak is used"
        );
        let (base, realm) = issuer
            .rsplit_once("/realms/")
            .expect("a Keycloak issuer …/realms/{realm}");
        assert_eq!(realm, "demo", "the default World's realm");
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        let discovery: Value = http
            .get(format!("{issuer}/.well-known/openid-configuration"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(discovery["issuer"], issuer);
        let token_endpoint = discovery["token_endpoint"].as_str().unwrap().to_owned();
        assert!(token_endpoint.starts_with(base), "{token_endpoint}");
        Keycloak {
            http,
            issuer: issuer.to_owned(),
            base: base.to_owned(),
            token_endpoint,
        }
    }

    /// POSTs `form` to the token endpoint; the JSON answer of a 200.
    async fn token(&self, form: &[(&str, &str)], basic: Option<(&str, &str)>) -> Value {
        let mut request = self.http.post(&self.token_endpoint).form(form);
        if let Some((id, secret)) = basic {
            request = request.basic_auth(id, Some(secret));
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, 200, "token endpoint: {body}");
        body
    }

    /// The password grant as `client` (client_secret_post).
    async fn password(&self, client: (&str, &str), user: &str, scope: &str) -> Value {
        let password = format!("{user}-password");
        self.token(
            &[
                ("grant_type", "password"),
                ("client_id", client.0),
                ("client_secret", client.1),
                ("username", user),
                ("password", &password),
                ("scope", scope),
            ],
            None,
        )
        .await
    }

    /// A `web-app` access token of `user`.
    async fn user_token(&self, user: &str, scope: &str) -> String {
        access(&self.password(("web-app", "web-app-secret"), user, scope).await)
    }

    /// A client_credentials token of `service` (client_secret_basic).
    async fn service_token(&self, scope: Option<&str>) -> String {
        let mut form = vec![("grant_type", "client_credentials")];
        if let Some(scope) = scope {
            form.push(("scope", scope));
        }
        access(&self.token(&form, Some(("service", "service-secret"))).await)
    }

    /// Adds [`MAPPED_CLIENT`] through the admin API with the bootstrap admin `keycloak-dist`
    /// sets (`admin`/`admin`); an existing one is kept.
    async fn ensure_mapped_client(&self) {
        let admin = self
            .http
            .post(format!("{}/realms/master/protocol/openid-connect/token", self.base))
            .form(&[
                ("grant_type", "password"),
                ("client_id", "admin-cli"),
                ("username", "admin"),
                ("password", "admin"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(
            admin.status(),
            200,
            "admin login (keycloak-dist's bootstrap admin admin/admin)"
        );
        let admin: Value = admin.json().await.unwrap();
        let client = json!({
            "clientId": MAPPED_CLIENT,
            "enabled": true,
            "protocol": "openid-connect",
            "publicClient": false,
            "secret": MAPPED_SECRET,
            "standardFlowEnabled": false,
            "directAccessGrantsEnabled": true,
            "protocolMappers": [{
                "name": "audience api",
                "protocol": "openid-connect",
                "protocolMapper": "oidc-audience-mapper",
                "config": {
                    "included.client.audience": "api",
                    "id.token.claim": "false",
                    "access.token.claim": "true",
                    "introspection.token.claim": "true"
                }
            }]
        });
        let created = self
            .http
            .post(format!("{}/admin/realms/demo/clients", self.base))
            .bearer_auth(admin["access_token"].as_str().unwrap())
            .json(&client)
            .send()
            .await
            .unwrap();
        let status = created.status().as_u16();
        assert!(
            status == 201 || status == 409,
            "creating {MAPPED_CLIENT}: {status} {}",
            created.text().await.unwrap_or_default()
        );
    }
}

fn access(body: &Value) -> String {
    body["access_token"].as_str().unwrap().to_owned()
}

fn segment(token: &str, index: usize) -> Value {
    crate::support::segment(token, index)
}

/// `token` with one byte of its signature flipped.
fn flip_signature_byte(token: &str) -> String {
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let mut bytes = URL_SAFE_NO_PAD.decode(signature).unwrap();
    bytes[0] ^= 0x01;
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// `token` with `exp` set to `exp`, header and signature kept.
fn with_exp(token: &str, exp: u64) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut claims = segment(token, 1);
    claims["exp"] = json!(exp);
    parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    parts.join(".")
}

/// Asserts the status of `/api/private`, `/api/private-scoped` and `/api/admin` for `token`.
async fn expect(app: &axum::Router, who: &str, token: &str, statuses: [u16; 3]) {
    for (route, want) in PROTECTED.into_iter().zip(statuses) {
        let (status, challenge, body) = bearer(app, route, token).await;
        assert_eq!(status, want, "{who} at {route}: {challenge} {body}");
        match want {
            403 => assert!(challenge.contains("error=\"insufficient_scope\""), "{challenge}"),
            401 => assert!(challenge.contains("error=\"invalid_token\""), "{challenge}"),
            _ => {}
        }
    }
}

/// The 401 `invalid_token` of every protected route for `token`, with this description.
async fn refused(app: &axum::Router, who: &str, token: &str, description: &str) {
    for route in PROTECTED {
        let (status, challenge, _) = bearer(app, route, token).await;
        assert_eq!(status, 401, "{who} at {route}");
        assert!(challenge.contains("error=\"invalid_token\""), "{who}: {challenge}");
        assert!(
            challenge.contains(&format!("error_description=\"{description}\"")),
            "{who}: {challenge}"
        );
    }
}

#[tokio::test]
async fn seed_api_against_a_real_keycloak() {
    let Some(issuer) = issuer() else {
        return;
    };
    let keycloak = Keycloak::new(&issuer).await;
    let guard = Arc::new(
        seed_api::guard(&keycloak.issuer, Provider::Keycloak, "api", "api", "api-secret")
            .await
            .unwrap(),
    );
    let app = seed_api::routes(guard.clone());

    // No token, garbage, an unknown opaque token (introspected by the real Keycloak).
    assert_eq!(call(&app, "/api/public", &[]).await.0, 200);
    assert_eq!(bearer(&app, "/api/public", "garbage").await.0, 200);
    for route in PROTECTED {
        let (status, challenge, _) = call(&app, route, &[]).await;
        assert_eq!((status, challenge.as_str()), (401, "Bearer realm=\"api\""), "{route}");
    }
    refused(&app, "garbage JWT", "garbage.token.here", "malformed token").await;
    refused(&app, "unknown opaque token", "unknown-opaque-token", "token not active").await;

    // alice through the password grant with `openid` only: `api` is in `aud` because she holds
    // the client role read:messages on `api`, which opens /api/private-scoped as a client role.
    let alice_tokens = keycloak
        .password(("web-app", "web-app-secret"), "alice", "openid")
        .await;
    let alice = access(&alice_tokens);
    assert_eq!(segment(&alice, 0)["typ"], "JWT");
    let claims = segment(&alice, 1);
    assert_eq!(claims["typ"], "Bearer");
    assert_eq!(claims["aud"], json!(["api", "account"]));
    assert_eq!(claims["resource_access"]["api"]["roles"], json!(["read:messages"]));
    expect(&app, "alice", &alice, [200, 200, 200]).await;
    let (_, _, body) = bearer(&app, "/api/private", &alice).await;
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["sub"], ALICE_ID, "{body}");
    let principal = guard.authenticate(&alice).await.unwrap();
    assert_eq!(principal.subject, ALICE_ID);
    assert_eq!(principal.client_id.as_deref(), Some("web-app"));
    assert_eq!(principal.client_roles, ["read:messages"], "resource_access.api.roles");
    assert!(
        principal.has_role("admin") && principal.has_role("user"),
        "{:?}",
        principal.roles
    );
    assert!(!principal.has_role("read:messages"), "a client role is no realm role");
    assert!(
        !principal.has_client_role("manage-account"),
        "another client's roles are not read"
    );
    assert!(!principal.has_scope("read:messages"), "{:?}", principal.scopes);
    // With the scope granted too.
    let alice_scoped = keycloak.user_token("alice", "openid read:messages").await;
    assert!(
        guard
            .authenticate(&alice_scoped)
            .await
            .unwrap()
            .has_scope("read:messages")
    );
    expect(&app, "alice with read:messages", &alice_scoped, [200, 200, 200]).await;

    // Not access tokens: the ID token (RS256, aud web-app, typ ID), the refresh token (HS512).
    let id_token = alice_tokens["id_token"].as_str().unwrap();
    assert_eq!(bearer(&app, "/api/private", id_token).await.0, 401);
    let refresh = alice_tokens["refresh_token"].as_str().unwrap();
    refused(&app, "refresh token", refresh, "algorithm not allowed").await;

    // A flipped signature byte; `exp` moved into the past or the future with the signature kept.
    refused(
        &app,
        "flipped signature",
        &flip_signature_byte(&alice),
        "invalid signature",
    )
    .await;
    let exp = claims["exp"].as_u64().unwrap();
    let iat = claims["iat"].as_u64().unwrap();
    refused(
        &app,
        "exp in the past",
        &with_exp(&alice, iat - 3600),
        "invalid signature",
    )
    .await;
    refused(
        &app,
        "exp extended",
        &with_exp(&alice, exp + 86_400),
        "invalid signature",
    )
    .await;
    // The real token itself once it has expired (a validator on a clock past `exp`).
    let later = Validator::builder(&keycloak.issuer, "api", [Alg::RS256])
        .provider(Provider::Keycloak)
        .clock(ManualClock::at(exp + 120))
        .build()
        .unwrap();
    assert_eq!(later.validate(&alice).await.unwrap_err(), InvalidToken::Expired);

    // bob granted read:messages: the scope's Audience mapper puts `api` in `aud`; no realm role
    // admin.
    let bob_scoped = keycloak.user_token("bob", "openid read:messages").await;
    assert_eq!(segment(&bob_scoped, 1)["aud"], json!(["api", "account"]));
    expect(&app, "bob with read:messages", &bob_scoped, [200, 200, 403]).await;
    let (_, challenge, _) = bearer(&app, "/api/admin", &bob_scoped).await;
    assert!(challenge.contains("requires role admin"), "{challenge}");
    // Without an `api` role or scope Keycloak names only `account`: not a token for this API.
    let bob = keycloak.user_token("bob", "openid").await;
    assert_eq!(segment(&bob, 1)["aud"], "account");
    expect(&app, "bob (aud account)", &bob, [401, 401, 401]).await;
    refused(&app, "bob (aud account)", &bob, "audience mismatch").await;
    // `api` in `aud` through an Audience mapper on the client, neither the role nor the scope:
    // 403 at /api/private-scoped with the scope challenge.
    keycloak.ensure_mapped_client().await;
    let bob_mapped = access(&keycloak.password((MAPPED_CLIENT, MAPPED_SECRET), "bob", "openid").await);
    let mapped_claims = segment(&bob_mapped, 1);
    assert_eq!(mapped_claims["aud"], json!(["api", "account"]), "{mapped_claims}");
    assert!(mapped_claims["resource_access"].get("api").is_none(), "{mapped_claims}");
    expect(&app, "bob (audience mapper)", &bob_mapped, [200, 403, 403]).await;
    let (_, challenge, _) = bearer(&app, "/api/private-scoped", &bob_mapped).await;
    assert!(challenge.contains("scope=\"read:messages\""), "{challenge}");

    // The service account: `aud` is `account` unless read:messages is asked for.
    let service = keycloak.service_token(None).await;
    assert_eq!(segment(&service, 1)["aud"], "account");
    expect(&app, "service (aud account)", &service, [401, 401, 401]).await;
    let service_scoped = keycloak.service_token(Some("read:messages")).await;
    assert_eq!(segment(&service_scoped, 1)["aud"], json!(["api", "account"]));
    expect(&app, "service with read:messages", &service_scoped, [200, 200, 403]).await;
    let principal = guard.authenticate(&service_scoped).await.unwrap();
    assert_eq!(principal.client_id.as_deref(), Some("service"));
    assert!(principal.has_role("reporting") && principal.client_roles.is_empty());
}
