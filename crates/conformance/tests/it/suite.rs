//! The whole catalog passes against the mock in every flavor (warnings allowed), except the
//! listed known mock bugs, which must still fail (so a fix shows up here).

use crate::support::mock;
use conformance::{Runner, Selection, Status, report};
use mock_idp::Provider;

/// (flavor, check, why): failures the checks found in the mock that are not fixed yet. Each
/// one is a bug report for crates/mock-idp or crates/providers.
const KNOWN_FAILURES: &[(Provider, &str, &str)] = &[
    (
        Provider::Keycloak,
        "REF-01",
        "the refreshed ID token drops auth_time (OIDC Core §12.2 requires the original one)",
    ),
    (
        Provider::AppId,
        "DISC-08",
        "App ID's discovery has no code_challenge_methods_supported although PKCE S256 works",
    ),
];

async fn passes(provider: Provider) {
    let target = mock(provider);
    let run = Runner::new(Selection::default()).run(&target, |_| {}).await.unwrap();
    let known: Vec<&str> = KNOWN_FAILURES
        .iter()
        .filter(|(p, _, _)| *p == provider)
        .map(|(_, id, _)| *id)
        .collect();
    let unexpected: Vec<String> = run
        .results
        .iter()
        .filter(|r| r.status == Status::Fail && !known.contains(&r.check.id))
        .map(report::progress_line)
        .collect();
    assert!(unexpected.is_empty(), "mock:{provider}:\n{}", unexpected.join("\n"));
    for id in known {
        let result = run.result(id).unwrap();
        assert_eq!(
            result.status,
            Status::Fail,
            "mock:{provider} {id} passes now: remove it from KNOWN_FAILURES"
        );
    }
    assert_eq!(run.summary().skipped, 0, "{}", report::text(&run));
}

#[tokio::test]
async fn the_suite_passes_against_mock_generic() {
    passes(Provider::Generic).await;
}

#[tokio::test]
async fn the_suite_passes_against_mock_keycloak_with_its_documented_deviations() {
    passes(Provider::Keycloak).await;
}

#[tokio::test]
async fn the_suite_passes_against_mock_zitadel() {
    passes(Provider::Zitadel).await;
}

#[tokio::test]
async fn the_suite_passes_against_mock_wso2() {
    passes(Provider::Wso2).await;
}

#[tokio::test]
async fn the_suite_passes_against_mock_appid() {
    passes(Provider::AppId).await;
}

#[tokio::test]
async fn keycloak_deviations_come_from_the_providers_error_table_and_are_noted() {
    let target = mock(Provider::Keycloak);
    let run = crate::support::run(&target, &["TOK-04"]).await;
    let result = run.result("TOK-04").unwrap();
    assert_eq!(result.status, Status::Pass);
    assert!(
        result
            .notes
            .iter()
            .any(|n| n.contains("401 unauthorized_client") && n.contains("documented in providers")),
        "{:?}",
        result.notes
    );
}

#[tokio::test]
async fn a_real_target_turns_warn_on_real_failures_into_warnings() {
    // A token endpoint that issues a token for anything: on a real target TOK-04 (`[M strict;
    // I WARN]`) is a warning, TOK-05 (`[M,I]`) a failure.
    let idp = mock_idp::MockIdp::builder().auto_approve(true).start_blocking();
    idp.set_fault(
        mock_idp::Endpoint::Token,
        mock_idp::Fault::Body(r#"{"access_token":"x","token_type":"Bearer"}"#.into()),
    );
    let target = conformance::Target::url(idp.issuer(), Provider::Generic, idp.world().clone());
    let run = crate::support::run(&target, &["TOK-04", "TOK-05"]).await;
    assert_eq!(run.result("TOK-04").unwrap().status, Status::Warn);
    assert_eq!(run.result("TOK-05").unwrap().status, Status::Fail);
    assert!(!run.passed());
    drop(idp);
}

#[test]
fn every_check_id_is_unique_and_from_the_checklist() {
    let checks = conformance::catalog();
    let mut ids: Vec<&str> = checks.iter().map(|c| c.id).collect();
    ids.sort_unstable();
    let before = ids.len();
    ids.dedup();
    assert_eq!(before, ids.len());
    for id in ids {
        let prefix = id.split('-').next().unwrap();
        assert!(
            [
                "DISC", "JWKS", "TOK", "PKCE", "REF", "AUTHZ", "INTR", "REV", "UI", "IDT", "GUARD"
            ]
            .contains(&prefix),
            "{id}"
        );
    }
}
