//! Every check can fail: each runs against a deliberately broken mock (a fault on one
//! endpoint) and must fail with evidence naming the offending field or status.

use crate::support::{mock, outcome, run};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use conformance::Outcome;
use mock_idp::{Endpoint, Fault, Provider};

/// A discovery document wrong in every way the DISC checks look at.
const BAD_DISCOVERY: &str = r#"{"issuer":"http://evil.example/x?y=1","token_endpoint":"http://evil.example/token","grant_types_supported":[],"scopes_supported":["openid"],"subject_types_supported":["none"]}"#;

/// A key set wrong in every way the JWKS checks look at.
const BAD_JWKS: &str = r#"{"keys":[{"kty":"RSA","kid":"a","n":"AQAB=","e":"AQAB","d":"x","alg":"ES256"},{"kty":"RSA","kid":"a","n":"AQAB","e":"AQAB","use":"enc"},{"kty":"EC","crv":"P-256","x":"AQAB","y":"AQAB"}]}"#;

fn b64(json: &str) -> String {
    URL_SAFE_NO_PAD.encode(json)
}

/// A token response for any request, with an ID token wrong in every way the IDT checks look
/// at, a short opaque access token and a refresh token with a control character.
fn bad_tokens() -> String {
    let id_token = format!(
        "{}.{}.c2ln",
        b64(r#"{"alg":"RS256","kid":"nope"}"#),
        b64(r#"{"iss":"https://evil.example","aud":["other","x"],"azp":"other","nonce":"wrong","at_hash":"wrong"}"#)
    );
    serde_json::json!({
        "access_token": "short",
        "token_type": "Bearer",
        "expires_in": 300,
        "refresh_token": "bad\u{1}token",
        "id_token": id_token,
    })
    .to_string()
}

enum Break {
    Status(u16),
    Body(String),
    EmptyKeySet,
}

/// (check, endpoint to break, how, text the evidence must contain).
fn table() -> Vec<(&'static str, Endpoint, Break, &'static str)> {
    use Break::*;
    use Endpoint::*;
    let tokens = bad_tokens;
    let active = || Body(r#"{"active":true}"#.into());
    vec![
        ("DISC-01", Discovery, Status(503), "503"),
        ("DISC-02", Discovery, Body(BAD_DISCOVERY.into()), "issuer"),
        ("DISC-03", Discovery, Body(BAD_DISCOVERY.into()), "issuer"),
        (
            "DISC-04",
            Discovery,
            Body(BAD_DISCOVERY.into()),
            "authorization_endpoint",
        ),
        ("DISC-05", Discovery, Body(BAD_DISCOVERY.into()), "userinfo_endpoint"),
        ("DISC-06", Discovery, Body(BAD_DISCOVERY.into()), "token_endpoint"),
        (
            "DISC-07",
            Discovery,
            Body(BAD_DISCOVERY.into()),
            "grant_types_supported",
        ),
        (
            "DISC-08",
            Discovery,
            Body(BAD_DISCOVERY.into()),
            "code_challenge_methods_supported",
        ),
        (
            "DISC-09",
            Discovery,
            Body(BAD_DISCOVERY.into()),
            "introspection_endpoint",
        ),
        ("JWKS-01", Jwks, EmptyKeySet, "keys"),
        ("JWKS-02", Jwks, Body(BAD_JWKS.into()), "keys[kid=a].n"),
        ("JWKS-03", Jwks, Body(BAD_JWKS.into()), "keys[kid=a].d"),
        ("JWKS-04", Jwks, Body(BAD_JWKS.into()), "kid"),
        ("JWKS-05", Jwks, Body(BAD_JWKS.into()), "use"),
        ("JWKS-06", Jwks, Body(BAD_JWKS.into()), "alg"),
        ("JWKS-07", Jwks, Body(BAD_JWKS.into()), "RSA modulus"),
        ("JWKS-08", Jwks, Status(503), "503"),
        ("TOK-02", Token, Status(503), "503"),
        ("TOK-03", Token, Body(tokens()), "access_token"),
        ("TOK-04", Token, Body(tokens()), "access_token"),
        ("TOK-05", Token, Body(tokens()), "access_token"),
        ("TOK-06", Token, Body(tokens()), "access_token"),
        ("TOK-07", Token, Body(tokens()), "access_token"),
        ("TOK-08", Token, Status(503), "503"),
        ("TOK-09", Token, Body(tokens()), "access_token"),
        ("TOK-10", Token, Status(500), "500"),
        ("TOK-12", Token, Body(tokens()), "access_token"),
        ("TOK-13", Token, Body(tokens()), "access_token"),
        ("TOK-14", Token, Body(tokens()), "access_token"),
        ("TOK-15", Token, Body(tokens()), "access_token"),
        ("TOK-16", Token, Body(tokens()), "entropy"),
        ("TOK-17", Token, Body(tokens()), "refresh_token"),
        ("PKCE-01", Token, Status(503), "503"),
        ("PKCE-02", Token, Body(tokens()), "access_token"),
        ("PKCE-03", Token, Body(tokens()), "access_token"),
        ("PKCE-04", Token, Body(tokens()), "access_token"),
        ("PKCE-05", Token, Status(503), "503"),
        ("PKCE-06", Token, Body(tokens()), "access_token"),
        ("PKCE-07", Authorize, Status(503), "S512"),
        ("REF-01", Token, Status(503), "503"),
        ("REF-02", Token, Body(tokens()), "access_token"),
        ("REF-03", Token, Status(500), "500"),
        ("REF-04", Token, Status(503), "503"),
        ("REF-05", Token, Body(tokens()), "refresh_token"),
        ("AUTHZ-01", Authorize, Status(503), "503"),
        ("AUTHZ-02", Authorize, Status(503), "4xx"),
        ("AUTHZ-03", Authorize, Status(503), "4xx"),
        ("AUTHZ-04", Authorize, Status(503), "4xx"),
        ("AUTHZ-05", Authorize, Status(503), "redirect_uri"),
        ("AUTHZ-06", Authorize, Status(503), "503"),
        ("AUTHZ-07", Authorize, Status(503), "503"),
        ("AUTHZ-08", Authorize, Status(503), "503"),
        ("AUTHZ-09", Authorize, Status(503), "503"),
        ("AUTHZ-10", Authorize, Status(503), "503"),
        ("AUTHZ-11", Authorize, Status(503), "prompt=none"),
        ("INTR-01", Introspect, Body(r#"{"active":false}"#.into()), "active"),
        ("INTR-02", Introspect, active(), "active"),
        (
            "INTR-03",
            Introspect,
            Body(r#"{"active":false,"reason":"expired"}"#.into()),
            "reason",
        ),
        ("INTR-04", Introspect, active(), "active"),
        (
            "INTR-05",
            Introspect,
            Body(r#"{"active":false}"#.into()),
            "token_type_hint",
        ),
        ("INTR-06", Introspect, active(), "not a form POST"),
        ("INTR-07", Introspect, active(), "aud"),
        ("REV-01", Revoke, Status(503), "503"),
        ("REV-02", Introspect, active(), "active"),
        ("REV-03", Revoke, Status(503), "503"),
        ("REV-04", Revoke, Status(503), "5xx"),
        ("REV-05", Revoke, Body("{}".into()), "error"),
        ("REV-06", Revoke, Status(503), "503"),
        ("REV-07", Revoke, Body("{}".into()), "error"),
        // A stand-in that answers 200 and keeps the grant alive.
        ("REV-08", Revoke, Body(String::new()), "grant survived"),
        ("UI-01", Userinfo, Body(r#"{"sub":"someone-else"}"#.into()), "sub"),
        ("UI-02", Userinfo, Status(503), "WWW-Authenticate"),
        ("UI-03", Userinfo, Status(503), "WWW-Authenticate"),
        ("UI-04", Userinfo, Body(r#"{"sub":"x"}"#.into()), "access_token"),
        (
            "UI-05",
            Userinfo,
            Body(r#"{"sub":"x","email":"a@example.com"}"#.into()),
            "email",
        ),
        ("IDT-01", Token, Body(tokens()), "id_token.sub"),
        ("IDT-02", Token, Body(tokens()), "id_token.iss"),
        ("IDT-03", Token, Body(tokens()), "id_token.aud"),
        ("IDT-04", Token, Body(tokens()), "id_token.azp"),
        ("IDT-05", Token, Body(tokens()), "kid"),
        ("IDT-09", Token, Body(tokens()), "id_token.nonce"),
        ("IDT-11", Token, Body(tokens()), "id_token.at_hash"),
        (
            "DEV-01",
            DeviceAuthorization,
            Body(r#"{"device_code":"d","user_code":"","verification_uri":"x","expires_in":0}"#.into()),
            "user_code",
        ),
        ("DEV-02", Token, Body(tokens()), "access_token"),
        ("DEV-03", Token, Body(tokens()), "access_token"),
        ("DEV-04", Token, Status(503), "503"),
        (
            "DEV-05",
            Token,
            Body(r#"{"error":"authorization_pending"}"#.into()),
            "authorization_pending",
        ),
        ("DEV-06", Token, Body(tokens()), "access_token"),
        ("DEV-07", Token, Body(tokens()), "access_token"),
        (
            "DEV-08",
            DeviceAuthorization,
            Body(r#"{"device_code":"d","user_code":"U","verification_uri":"x","expires_in":5}"#.into()),
            "device_code",
        ),
        (
            "PAR-01",
            PushedAuthorization,
            Body(r#"{"request_uri":"urn:x","expires_in":60}"#.into()),
            "201",
        ),
        ("PAR-02", Token, Status(503), "503"),
        (
            "PAR-03",
            PushedAuthorization,
            Body(r#"{"request_uri":"urn:x","expires_in":60}"#.into()),
            "request_uri",
        ),
        // On the Keycloak flavor with fixtures/worlds/token-exchange.toml (see `breaks`).
        ("EXCH-01", Token, Body(tokens()), "issued_token_type"),
        ("EXCH-02", Token, Body(tokens()), "access_token"),
        ("EXCH-03", Token, Body(tokens()), "access_token"),
        ("EXCH-04", Token, Body(tokens()), "access_token"),
        (
            "PAR-04",
            PushedAuthorization,
            Body(r#"{"request_uri":"urn:x","expires_in":60}"#.into()),
            "request_uri",
        ),
        // A token endpoint that answers every request with a bearer token, proof or not.
        ("DPOP-01", Token, Body(tokens()), "token_type"),
        ("DPOP-02", Token, Body(tokens()), "access_token"),
        ("DPOP-03", Token, Body(tokens()), "access_token"),
        ("DPOP-04", Token, Body(tokens()), "access_token"),
        ("DPOP-05", Token, Body(tokens()), "access_token"),
        // On the generic flavor with fixtures/worlds/dpop-nonce.toml: a token endpoint that asks
        // for a nonce without saying which.
        ("DPOP-06", Token, Body(r#"{"error":"use_dpop_nonce"}"#.into()), "status"),
        // On the Keycloak flavor with fixtures/worlds/client-keys.toml (see `breaks`): a token
        // endpoint that is down, then one that issues tokens whatever the assertion.
        ("CLAUTH-01", Token, Status(503), "503"),
        ("CLAUTH-02", Token, Body(tokens()), "access_token"),
        ("CLAUTH-03", Token, Body(tokens()), "access_token"),
        ("CLAUTH-04", Token, Body(tokens()), "access_token"),
        ("CLAUTH-05", Token, Body(tokens()), "access_token"),
        ("CLAUTH-06", Token, Body(tokens()), "access_token"),
        ("CLAUTH-07", Token, Status(503), "503"),
        ("CLAUTH-08", Token, Body(tokens()), "access_token"),
        // On the generic flavor with fixtures/worlds/backchannel-logout.toml: an end-session
        // endpoint that is down ends no session and sends no logout token.
        ("BCL-01", EndSession, Status(503), "logout_token"),
        ("BCL-02", EndSession, Status(503), "logout_token"),
    ]
}

async fn breaks(prefix: &str) {
    let rows: Vec<_> = table().into_iter().filter(|(id, ..)| id.starts_with(prefix)).collect();
    assert!(!rows.is_empty());
    for (id, endpoint, how, needle) in rows {
        // The generic provider has no PAR endpoint and no token exchange; Keycloak has both, and
        // the exchange checks need a World with a token-exchange client.
        let target = match id {
            "DPOP-06" => crate::support::mock_with_world(Provider::Generic, &crate::support::dpop_nonce_world()),
            "BCL-01" | "BCL-02" => {
                crate::support::mock_with_world(Provider::Generic, &crate::support::backchannel_logout_world())
            }
            _ => match prefix {
                "PAR" => mock(Provider::Keycloak),
                "EXCH" => crate::support::mock_with_world(Provider::Keycloak, &crate::support::token_exchange_world()),
                "CLAUTH" => crate::support::mock_with_world(Provider::Keycloak, &crate::support::client_keys_world()),
                _ => mock(Provider::Generic),
            },
        };
        let idp = target.mock().unwrap();
        idp.set_fault(
            endpoint,
            match how {
                Break::Status(status) => Fault::Status(status),
                Break::Body(body) => Fault::Body(body),
                Break::EmptyKeySet => Fault::EmptyKeySet,
            },
        );
        let run = run(&target, &[id]).await;
        match outcome(&run, id) {
            Outcome::Fail { evidence } => {
                let text = format!("{evidence} {:?}", evidence.field);
                assert!(text.contains(needle), "{id}: evidence lacks `{needle}`: {text}");
            }
            other => panic!("{id} did not fail against a broken {endpoint:?}: {other:?}"),
        }
    }
}

#[test]
fn every_implemented_check_has_a_breaking_case() {
    let mut ids: Vec<&str> = table().iter().map(|(id, ..)| *id).collect();
    ids.extend(CARELESS);
    ids.push("TOK-11"); // tok11_fails_against_a_provider_that_does_not_form_urldecode_basic_credentials
    ids.extend(crate::guard::GUARD);
    for check in conformance::catalog() {
        assert!(ids.contains(&check.id), "{} has no breaking case", check.id);
    }
}

#[tokio::test]
async fn discovery_checks_fail_on_a_broken_discovery_document() {
    breaks("DISC").await;
}

#[tokio::test]
async fn jwks_checks_fail_on_a_broken_key_set() {
    breaks("JWKS").await;
}

#[tokio::test]
async fn token_checks_fail_on_a_token_endpoint_that_issues_anything() {
    breaks("TOK").await;
}

#[tokio::test]
async fn pkce_checks_fail_when_the_verifier_is_not_enforced() {
    breaks("PKCE").await;
}

#[tokio::test]
async fn refresh_checks_fail_on_a_broken_token_endpoint() {
    breaks("REF").await;
}

#[tokio::test]
async fn authorize_checks_fail_on_a_broken_authorization_endpoint() {
    breaks("AUTHZ").await;
}

#[tokio::test]
async fn introspection_checks_fail_on_a_lying_introspection_endpoint() {
    breaks("INTR").await;
}

#[tokio::test]
async fn revocation_checks_fail_on_a_broken_revocation_endpoint() {
    breaks("REV").await;
}

#[tokio::test]
async fn userinfo_checks_fail_on_a_broken_userinfo_endpoint() {
    breaks("UI").await;
}

#[tokio::test]
async fn device_checks_fail_on_a_broken_device_or_token_endpoint() {
    breaks("DEV").await;
}

#[tokio::test]
async fn id_token_checks_fail_on_a_forged_id_token() {
    breaks("IDT").await;
}

/// Checks broken by [`crate::support::careless_server`] (the mock's router refuses a GET to
/// the token endpoint and a public client without PKCE before any fault applies).
const CARELESS: [&str; 2] = ["TOK-01", "PKCE-08"];

#[tokio::test]
async fn checks_fail_against_a_careless_hand_made_server() {
    let issuer = crate::support::careless_server();
    let world = mock_idp::World::default_world().unwrap();
    let target = conformance::Target::url(issuer, Provider::Generic, world);
    let run = run(&target, &CARELESS).await;
    for (id, needle) in [("TOK-01", "access_token"), ("PKCE-08", "access_token")] {
        match outcome(&run, id) {
            Outcome::Fail { evidence } => assert!(evidence.field.as_deref() == Some(needle), "{id}: {evidence}"),
            other => panic!("{id} did not fail against a careless server: {other:?}"),
        }
    }
}

#[tokio::test]
async fn tok11_fails_against_a_provider_that_does_not_form_urldecode_basic_credentials() {
    // The mock stores the secret in its form-urlencoded spelling: it then accepts exactly what
    // a provider that skips decoding accepts, and refuses the correctly encoded credentials.
    let world = crate::support::encoded_credentials_world();
    let mut stored = world.clone();
    for client in stored.realms.values_mut().flat_map(|realm| realm.clients.values_mut()) {
        if let providers::ClientKind::Confidential { secret } = &mut client.kind {
            *secret = url::form_urlencoded::byte_serialize(secret.expose().as_bytes())
                .collect::<String>()
                .into();
        }
    }
    let idp = mock_idp::MockIdp::builder().world(stored).start_blocking();
    let target = conformance::Target::url(idp.issuer(), Provider::Generic, world);
    let run = run(&target, &["TOK-11"]).await;
    match outcome(&run, "TOK-11") {
        Outcome::Fail { evidence } => {
            assert_eq!(evidence.status, Some(401), "{evidence}");
            assert!(evidence.message.contains("svc.tok-11@example"), "{evidence}");
        }
        other => panic!("TOK-11 passed against a server that does not decode: {other:?}"),
    }
}

#[tokio::test]
async fn a_wrong_world_fails_the_login_with_evidence() {
    // The World says alice's password is something else: a url: target cannot log in.
    let idp = mock_idp::MockIdp::builder().start_blocking();
    let mut world = idp.world().clone();
    for realm in world.realms.values_mut() {
        for user in realm.users.values_mut() {
            user.password = "wrong".into();
        }
    }
    let target = conformance::Target::url(idp.issuer(), Provider::Generic, world);
    let run = run(&target, &["TOK-02"]).await;
    match outcome(&run, "TOK-02") {
        Outcome::Fail { evidence } => assert!(evidence.message.contains("redirect"), "{evidence}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn par_checks_fail_on_a_broken_par_endpoint() {
    breaks("PAR").await;
}

#[tokio::test]
async fn exchange_checks_fail_on_a_token_endpoint_that_issues_anything() {
    breaks("EXCH").await;
}

#[tokio::test]
async fn dpop_checks_fail_on_a_token_endpoint_that_ignores_proofs() {
    breaks("DPOP").await;
}

#[tokio::test]
async fn client_auth_checks_fail_on_a_token_endpoint_that_ignores_assertions() {
    breaks("CLAUTH").await;
}

#[tokio::test]
async fn backchannel_logout_checks_fail_when_no_logout_token_comes() {
    breaks("BCL").await;
}
