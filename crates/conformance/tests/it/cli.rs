//! The `idp-conformance` command line: run, filters, formats, exit codes 0/1/2.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_idp-conformance");

fn run(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(BIN).args(args).output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn run_against_mock_keycloak_passes_with_progress_lines() {
    let (code, stdout, _) = run(&[
        "run",
        "--target",
        "mock:keycloak",
        "--suite",
        "discovery",
        "--check",
        "TOK-04",
    ]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("PASS DISC-01"), "{stdout}");
    assert!(stdout.contains("PASS TOK-04"), "{stdout}");
    assert!(stdout.contains("10 checks:"), "{stdout}");
}

#[test]
fn json_goes_to_stdout_and_junit_to_a_file() {
    let (code, stdout, stderr) = run(&["run", "--target", "mock:generic", "--check", "JWKS", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["schema"], "idp-conformance/report/v1");
    assert_eq!(json["summary"]["total"], 8);

    let dir = std::env::temp_dir().join(format!("idp-conformance-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("report.xml");
    let (code, stdout, _) = run(&[
        "run",
        "--target",
        "mock:zitadel",
        "--check",
        "DISC-01",
        "--format",
        "junit",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stdout}");
    let xml = std::fs::read_to_string(&out).unwrap();
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(xml.contains("DISC-01"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_failing_check_exits_1() {
    // Nothing listens on port 9 of loopback: the discovery check fails.
    let (code, stdout, _) = run(&[
        "run",
        "--target",
        "url:http://127.0.0.1:9/demo",
        "--check",
        "DISC-01",
        "--timeout",
        "2",
    ]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("FAIL DISC-01"), "{stdout}");
    assert!(stdout.contains("no answer"), "{stdout}");
}

#[test]
fn bad_arguments_give_one_line_errors() {
    let (code, _, stderr) = run(&["run", "--target", "mock:nope"]);
    assert_eq!(code, 1);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("unknown provider `nope`"), "{stderr}");

    let (code, _, stderr) = run(&["run", "--target", "mock:generic", "--suite", "nope"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("unknown suite `nope`"), "{stderr}");

    let (code, _, stderr) = run(&["run", "--target", "mock:generic", "--check", "XYZ-01"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("no check matches `XYZ-01`"), "{stderr}");

    let (code, _, _) = run(&["run"]);
    assert_eq!(code, 2);
}

#[test]
fn container_targets_skip_in_one_line_without_a_docker_engine() {
    if std::path::Path::new("/var/run/docker.sock").exists()
        && std::os::unix::net::UnixStream::connect("/var/run/docker.sock").is_ok()
    {
        return;
    }
    let (code, stdout, _) = run(&["run", "--target", "container:keycloak"]);
    assert_eq!(code, 0);
    assert_eq!(stdout.trim(), "container:keycloak: skipped: no Docker engine reachable");
}

#[test]
fn list_prints_every_check() {
    let (code, stdout, _) = run(&["list"]);
    assert_eq!(code, 0);
    assert_eq!(stdout.lines().count(), conformance::catalog().len());
    assert!(stdout.contains("TOK-04"));
}

/// `idp-conformance start ARGS` with standard input closed: should it ever boot Keycloak here,
/// it stops at once instead of running on.
fn start(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(BIN)
        .arg("start")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn start_refuses_bad_arguments_in_one_line_before_booting_anything() {
    // Only argument errors: a valid `start keycloak-dist` would boot a real Keycloak (`.ci/run`).
    let (code, stdout, _) = start(&[]);
    assert_eq!(code, 2, "{stdout}");

    let (code, stdout, stderr) = start(&["mock:keycloak"]);
    assert_eq!((code, stdout.as_str()), (1, ""), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("start runs keycloak-dist only, not `mock:keycloak`"),
        "{stderr}"
    );

    let (code, _, stderr) = start(&["keycloak"]);
    assert_eq!(code, 1);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("unknown target `keycloak`"), "{stderr}");

    let (code, stdout, stderr) = start(&["keycloak-dist", "--realm", "nope"]);
    assert_eq!((code, stdout.as_str()), (1, ""), "{stderr}");
    assert_eq!(stderr.trim(), "idp-conformance: the world has no realm `nope`");

    let missing = std::env::temp_dir().join(format!("idp-conformance-no-world-{}.toml", std::process::id()));
    let (code, stdout, stderr) = start(&["keycloak-dist", "--world", missing.to_str().unwrap()]);
    assert_eq!((code, stdout.as_str()), (1, ""), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("idp-conformance: "), "{stderr}");
    assert!(stderr.contains(missing.to_str().unwrap()), "{stderr}");

    let (code, _, stderr) = start(&["keycloak-dist", "--bogus"]);
    assert_eq!(code, 2, "{stderr}");
}
