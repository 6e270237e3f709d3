//! `idp-conformance init`: the provider is recognised from each mock flavor served as a `url:`
//! target, the template is snapshotted per flavor, and the template filled in with the default
//! World's secrets (through the environment, as CI would) runs clean against that flavor.

use mock_idp::{MockIdp, Provider};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_idp-conformance");

/// The default World's secrets under the template's variable names.
const FILLED_IN: [(&str, &str); 4] = [
    ("IDP_WEB_SECRET", "web-app-secret"),
    ("IDP_SERVICE_SECRET", "service-secret"),
    ("IDP_API_SECRET", "api-secret"),
    ("IDP_USER_PASSWORD", "alice-password"),
];

fn conformance(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let output = Command::new(BIN)
        .args(args)
        .envs(env.iter().copied())
        .env_remove("IDP_CONFORMANCE_WORLD")
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn served(provider: Provider) -> MockIdp {
    MockIdp::builder()
        .provider(provider)
        .auto_approve(true)
        .start_blocking()
}

#[test]
fn init_recognises_each_flavor_and_writes_its_template() {
    for provider in Provider::ALL {
        let idp = served(provider);
        let target = format!("url:{}", idp.issuer());
        let (code, template, stderr) = conformance(&["init", "--target", &target], &[]);
        assert_eq!(code, 0, "{provider}: {stderr}");
        assert!(
            stderr.starts_with(&format!("idp-conformance: detected {provider}: ")),
            "{provider}: {stderr}"
        );
        let template = template.replace(idp.uri().trim_end_matches('/'), "http://127.0.0.1:PORT");
        insta::assert_snapshot!(format!("init_{provider}"), template);
    }
}

#[test]
fn a_template_filled_in_from_the_default_world_passes_against_its_flavor() {
    let dir = std::env::temp_dir().join(format!("idp-conformance-init-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for provider in Provider::ALL {
        let idp = served(provider);
        let target = format!("url:{}", idp.issuer());
        let world = dir.join(format!("{provider}.toml"));
        let world = world.to_str().unwrap();
        let (code, _, stderr) = conformance(&["init", "--target", &target, "--out", world], &[]);
        assert_eq!(code, 0, "{provider}: {stderr}");
        let (code, stdout, stderr) = conformance(
            &[
                "run",
                "--target",
                &target,
                "--world",
                world,
                "--provider",
                provider.name(),
            ],
            &FILLED_IN,
        );
        assert_eq!(code, 0, "{provider}: {stdout}{stderr}");
        assert!(stdout.contains(" 0 failed,"), "{provider}: {stdout}");
        // Secrets stay out of the report.
        for (_, secret) in FILLED_IN {
            assert!(!stdout.contains(secret), "{provider}: the report prints {secret}");
        }
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn init_refuses_what_it_cannot_read() {
    let (code, _, stderr) = conformance(&["init", "--target", "mock:keycloak"], &[]);
    assert_eq!(code, 1);
    assert!(stderr.contains("--target url:<issuer>"), "{stderr}");
    // Nothing listens on port 9 (discard) of loopback here.
    let (code, _, stderr) = conformance(&["init", "--target", "url:http://127.0.0.1:9/realms/x"], &[]);
    assert_eq!(code, 1);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("cannot fetch http://127.0.0.1:9/realms/x/.well-known/openid-configuration"),
        "{stderr}"
    );
}

/// Per check: id and status.
fn statuses(report: &serde_json::Value) -> Vec<(String, String)> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_owned(),
                r["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_url_target_without_provider_is_detected_with_the_outcome_of_the_right_provider() {
    for provider in Provider::ALL {
        let idp = served(provider);
        let target = format!("url:{}", idp.issuer());
        let (code, detected, stderr) = conformance(&["run", "--target", &target, "--format", "json"], &[]);
        assert!(
            stderr.starts_with(&format!("idp-conformance: detected {provider}: ")),
            "{provider}: {stderr}"
        );
        let given = conformance(
            &[
                "run",
                "--target",
                &target,
                "--format",
                "json",
                "--provider",
                provider.name(),
            ],
            &[],
        );
        assert_eq!(code, given.0, "{provider}: exit codes differ");
        let (detected, given): (serde_json::Value, serde_json::Value) = (
            serde_json::from_str(&detected).unwrap(),
            serde_json::from_str(&given.1).unwrap(),
        );
        assert_eq!(detected["target"]["provider"], provider.name());
        assert_eq!(statuses(&detected), statuses(&given), "{provider}");
        assert_eq!(detected["summary"]["failed"], 0, "{provider}: {detected:#}");
    }
}
