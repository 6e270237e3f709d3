//! `idp-conformance diff`: identical targets agree, flavors differ at precise paths, known
//! differences are filtered, exit codes and formats.

use crate::support::mock;
use conformance::diff::{self, KnownDifferences};
use mock_idp::Provider;
use std::process::Command;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_idp-conformance");

async fn observe(provider: Provider) -> diff::Observation {
    diff::observe(&mock(provider), Duration::from_secs(10)).await.unwrap()
}

#[tokio::test]
async fn a_flavor_against_itself_has_no_differences() {
    let (left, right) = (observe(Provider::Generic).await, observe(Provider::Generic).await);
    assert!(left.len() > 40, "{left:?}");
    assert_eq!(left["discovery.status"], "200");
    assert_eq!(left["token.code.body.access_token"], "string");
    assert_eq!(left["access_token.claims.exp"], "number");
    assert_eq!(left["error.invalid_client.body.error"], "\"invalid_client\"");
    assert_eq!(left["userinfo.no_token.www_authenticate"], "present");
    assert!(!left.keys().any(|k| k.ends_with(".failed")), "{left:?}");
    let differences = diff::compare(&left, &right, &KnownDifferences::default());
    assert!(differences.is_empty(), "{differences:?}");
}

#[tokio::test]
async fn keycloak_and_generic_differ_at_precise_paths_and_known_ones_are_filtered() {
    let (keycloak, generic) = (observe(Provider::Keycloak).await, observe(Provider::Generic).await);
    let differences = diff::compare(&keycloak, &generic, &KnownDifferences::default());
    let find = |path: &str| {
        differences
            .iter()
            .find(|d| d.path == path)
            .unwrap_or_else(|| panic!("no difference at {path}: {differences:#?}"))
    };
    let session = find("token.code.body.session_state");
    assert_eq!(
        (session.left.as_deref(), session.right.as_deref()),
        (Some("string"), None)
    );
    let roles = find("access_token.claims.realm_access.roles");
    assert_eq!(roles.left.as_deref(), Some("array<string>"));
    find("access_token.header.typ");
    assert_eq!(diff::unexplained(&differences), differences.len());

    let known = KnownDifferences::parse(
        r#"
[[known]]
path = "token.*"
reason = "Keycloak's token responses carry session_state, refresh_expires_in and not-before-policy"

[[known]]
path = "access_token.claims.realm_access.roles"
reason = "Keycloak's realm roles"
"#,
    )
    .unwrap();
    let filtered = diff::compare(&keycloak, &generic, &known);
    assert_eq!(filtered.len(), differences.len());
    let session = filtered
        .iter()
        .find(|d| d.path == "token.code.body.session_state")
        .unwrap();
    assert!(session.known.as_deref().unwrap().contains("session_state"));
    assert!(diff::unexplained(&filtered) < differences.len());
    assert!(diff::text("l", "r", &filtered).contains("known token.code.body.session_state"));

    let everything = KnownDifferences::parse("[[known]]\npath = \"*\"\nreason = \"all\"\n").unwrap();
    assert_eq!(diff::unexplained(&diff::compare(&keycloak, &generic, &everything)), 0);
    assert!(KnownDifferences::parse("[[known]]\npath = \"x\"\nreason = \" \"\n").is_err());
    assert!(KnownDifferences::parse("[[known]]\npath = \"x\"\n").is_err());
}

#[tokio::test]
async fn the_diff_observes_the_device_grant_where_the_flavor_has_it() {
    let keycloak = observe(Provider::Keycloak).await;
    let seen = |path: &str| {
        keycloak
            .get(path)
            .cloned()
            .unwrap_or_else(|| panic!("{path} not observed"))
    };
    assert_eq!(seen("device.authorization.status"), "200");
    assert_eq!(seen("device.authorization.body.user_code"), "string");
    assert_eq!(seen("device.pending.body.error"), "\"authorization_pending\"");
    assert_eq!(seen("device.slow_down.body.error_description"), "\"Slow down\"");
    assert_eq!(seen("device.unknown_code.body.error"), "\"invalid_grant\"");
    assert_eq!(seen("device.denied.body.error"), "\"access_denied\"");
    assert_eq!(seen("device.not_allowed.body.error"), "\"unauthorized_client\"");
    assert_eq!(seen("device.tokens.status"), "200");
    assert_eq!(
        seen("device.redeemed.body.error_description"),
        "\"Device code not valid\""
    );
    let appid = observe(Provider::AppId).await;
    assert!(appid.contains_key("device.authorization.skipped"), "{appid:?}");
}

#[test]
fn the_shipped_keycloak_known_differences_parse_and_give_reasons() {
    let known = KnownDifferences::parse(diff::known_for(Provider::Keycloak).unwrap()).unwrap();
    assert!(known.known.len() > 20);
    assert!(known.reason("discovery.body.check_session_iframe").is_some());
    assert!(known.reason("discovery.body.issuer").is_none());
}

fn cli(args: &[&str]) -> (i32, String) {
    let output = Command::new(BIN).args(args).output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn the_cli_exits_0_without_and_1_with_unexplained_differences() {
    let (code, stdout) = cli(&["diff", "mock:generic", "mock:generic"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("0 differences, 0 unexplained"), "{stdout}");

    let (code, stdout) = cli(&["diff", "mock:keycloak", "mock:generic", "--format", "json"]);
    assert_eq!(code, 1, "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["schema"], "idp-conformance/diff/v1");
    assert!(json["unexplained"].as_u64().unwrap() > 0);
    assert!(
        json["differences"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["path"] == "token.code.body.session_state" && d["left"] == "string" && d["right"].is_null())
    );

    let dir = std::env::temp_dir().join(format!("idp-conformance-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("known.toml");
    std::fs::write(&file, "[[known]]\npath = \"*\"\nreason = \"flavors differ\"\n").unwrap();
    let (code, stdout) = cli(&[
        "diff",
        "mock:keycloak",
        "mock:generic",
        "--known",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("0 unexplained"), "{stdout}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_caller_can_tell_a_blank_reason_from_bad_toml() {
    use conformance::diff::KnownDifferencesError;
    match KnownDifferences::parse("[[known]]\npath = \"x\"\nreason = \" \"\n") {
        Err(KnownDifferencesError::NoReason { path }) => assert_eq!(path, "x"),
        other => panic!("{other:?}"),
    }
    let err = KnownDifferences::parse("[[known]]\npath = \"x\"\n").unwrap_err();
    assert!(matches!(err, KnownDifferencesError::Toml(_)), "{err:?}");
    assert!(
        std::error::Error::source(&err).is_some(),
        "the TOML error is kept as the source"
    );
    let format = "yaml".parse::<conformance::report::Format>().unwrap_err();
    assert_eq!(format.0, "yaml");
}
