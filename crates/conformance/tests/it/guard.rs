//! The guard suite: passes against every flavor (JWT and opaque access tokens, mock clock and
//! a real target's edited `exp`), and every GUARD check fails against a broken target.

use crate::support::{mock, outcome, run};
use aws_lc_rs::signature::{KeyPair, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use conformance::{Area, Outcome, Runner, Selection, Status, Suite, Target, report};
use mock_idp::{Endpoint, Fault, ManualClock, MockIdp, Provider};
use serde_json::{Value, json};

pub(crate) const GUARD: [&str; 8] = [
    "GUARD-01", "GUARD-02", "GUARD-03", "GUARD-04", "GUARD-05", "GUARD-06", "GUARD-07", "GUARD-08",
];

/// The forger's public key as a JWK (`kid` conformance-forger), as the suite signs with it.
fn forger_jwk() -> Value {
    let pem = include_str!("../../src/checks/guard/forger-rsa-2048.pem");
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let pair = RsaKeyPair::from_pkcs8(&STANDARD.decode(body).unwrap()).unwrap();
    let public = pair.public_key();
    json!({
        "kty": "RSA", "kid": "conformance-forger", "use": "sig", "alg": "RS256",
        "n": URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero()),
        "e": URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero()),
    })
}

async fn guard_run(target: &Target) -> conformance::Run {
    let selection = Selection {
        suites: vec![Suite::Area(Area::Guard)],
        checks: Vec::new(),
    };
    Runner::new(selection).run(target, |_| {}).await.unwrap()
}

fn assert_all_pass(run: &conformance::Run) {
    assert_eq!(run.results.len(), GUARD.len());
    assert!(
        run.results.iter().all(|r| r.status == Status::Pass),
        "{}",
        report::text(run)
    );
}

/// The default world with `web-app` and `service` issuing JWT access tokens (ZITADEL and
/// WSO2 issue opaque ones by default).
fn jwt_world() -> mock_idp::World {
    let text = include_str!("../../../../fixtures/world.toml")
        .replacen(
            "pkce = \"optional\"",
            "pkce = \"optional\"\naccess_token_format = \"jwt\"",
            1,
        )
        .replacen(
            "service_account_roles = [\"reporting\"]",
            "service_account_roles = [\"reporting\"]\naccess_token_format = \"jwt\"",
            1,
        );
    mock_idp::World::from_toml_str(&text, "world+jwt").unwrap()
}

#[tokio::test]
async fn the_guard_suite_passes_with_jwt_access_tokens_on_zitadel_and_wso2() {
    for provider in [Provider::Zitadel, Provider::Wso2] {
        let clock = ManualClock::at(1_900_000_000);
        let idp = MockIdp::builder()
            .provider(provider)
            .world(jwt_world())
            .clock(clock.clone())
            .auto_approve(true)
            .start()
            .await;
        let target = Target::from_mock(idp).with_clock(clock);
        let run = guard_run(&target).await;
        assert_all_pass(&run);
        let notes: Vec<&String> = run.results.iter().flat_map(|r| &r.notes).collect();
        assert!(
            !notes.iter().any(|n| n.contains("opaque")),
            "{provider}: forgeries come from a JWT: {notes:?}"
        );
    }
}

#[tokio::test]
async fn on_a_real_target_the_expired_copy_is_an_edited_exp() {
    let idp = MockIdp::builder().auto_approve(true).start().await;
    let target = Target::url(idp.issuer(), Provider::Generic, idp.world().clone());
    let run = guard_run(&target).await;
    assert_all_pass(&run);
    let notes = &run.result("GUARD-08").unwrap().notes;
    assert!(notes.iter().any(|n| n.contains("exp edited")), "{notes:?}");
}

/// The mock's own key set plus the forger's key: a target that publishes the attacker's key.
async fn jwks_with_forger(idp: &MockIdp) -> String {
    let jwks: Value = reqwest::get(idp.endpoint(Endpoint::Jwks))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut keys = jwks["keys"].as_array().unwrap().clone();
    keys.push(forger_jwk());
    json!({ "keys": keys }).to_string()
}

fn expect_fail(run: &conformance::Run, id: &str, needle: &str) {
    match outcome(run, id) {
        Outcome::Fail { evidence } => {
            let text = format!("{evidence} {:?}", evidence.field);
            assert!(text.contains(needle), "{id}: evidence lacks `{needle}`: {text}");
        }
        other => panic!("{id} did not fail: {other:?}"),
    }
}

#[tokio::test]
async fn guard_checks_fail_when_the_jwks_serves_a_different_key() {
    let target = mock(Provider::Generic);
    let idp = target.mock().unwrap();
    idp.set_fault(
        Endpoint::Jwks,
        Fault::Body(json!({ "keys": [forger_jwk()] }).to_string()),
    );
    let ids: Vec<&str> = GUARD.into_iter().filter(|id| *id != "GUARD-03").collect();
    let run = run(&target, &ids).await;
    for id in ids {
        expect_fail(&run, id, "token-guard refused the genuine");
    }
}

#[tokio::test]
async fn guard04_fails_when_the_jwks_publishes_the_forgers_key() {
    let target = mock(Provider::Keycloak);
    let idp = target.mock().unwrap();
    idp.set_fault(Endpoint::Jwks, Fault::Body(jwks_with_forger(idp).await));
    let run = run(&target, &["GUARD-04"]).await;
    expect_fail(&run, "GUARD-04", "accepted a forged token (re-signed, own kid)");
}

#[tokio::test]
async fn guard03_fails_when_introspection_says_inactive() {
    let target = mock(Provider::Generic);
    target
        .mock()
        .unwrap()
        .set_fault(Endpoint::Introspect, Fault::Body(r#"{"active":false}"#.into()));
    let run = run(&target, &["GUARD-03"]).await;
    expect_fail(&run, "GUARD-03", "introspected: token not active");
}

#[tokio::test]
async fn guard_checks_fail_against_a_broken_world() {
    // The World says alice is someone else (another id, no admin role): the principal
    // token-guard yields does not match.
    let idp = MockIdp::builder().auto_approve(true).start().await;
    let mut world = idp.world().clone();
    let realm = world.realms.get_mut("demo").unwrap();
    let alice = realm.users.get_mut("alice").unwrap();
    alice.id = "not-alices-id".into();
    let mut broken_roles = world.clone();
    let target = Target::url(idp.issuer(), Provider::Generic, world);
    let first = run(&target, &["GUARD-01", "GUARD-03"]).await;
    expect_fail(&first, "GUARD-01", "principal.subject");
    expect_fail(&first, "GUARD-03", "principal.subject");

    let realm = broken_roles.realms.get_mut("demo").unwrap();
    realm.users.get_mut("alice").unwrap().id = idp.world().realms["demo"].users["alice"].id.clone();
    realm.users.get_mut("alice").unwrap().realm_roles.push("auditor".into());
    realm
        .clients
        .get_mut("service")
        .unwrap()
        .service_account_roles
        .push("auditor".into());
    let target = Target::url(idp.issuer(), Provider::Generic, broken_roles);
    let run = run(&target, &["GUARD-01", "GUARD-02"]).await;
    expect_fail(&run, "GUARD-01", "lacks [\"auditor\"]");
    expect_fail(&run, "GUARD-02", "lacks [\"auditor\"]");
}
