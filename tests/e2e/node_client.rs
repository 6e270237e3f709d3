//! openid-client v6 (Node, by panva) as a real relying party of the mock: the script
//! `tests/node/openid-client.mjs` runs discovery, client credentials, the code flow with PKCE
//! S256 (ID token signature and nonce checked by the library), userinfo, refresh rotation,
//! introspection, revocation, refresh-token replay, a public client and the device flow (RFC 8628:
//! initiateDeviceAuthorization, consent on the user-code page, pollDeviceAuthorizationGrant,
//! and a refusal ending in access_denied) against a live mock.
//!
//! It needs `npm ci` in `tests/node` and `node` on PATH. Without them the test prints one
//! `skipped:` line and passes, unless `IDP_HARNESS_REQUIRE_NODE` is set (`.ci/run` sets it).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(60);
const REQUIRE_ENV: &str = "IDP_HARNESS_REQUIRE_NODE";
const SKIPPED: &str = "skipped: openid-client not installed (run npm ci in tests/node)";

fn node_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("node")
}

/// What keeps the Node client from running here, if anything.
fn missing_prerequisite(dir: &Path) -> Option<String> {
    let package = dir.join("node_modules").join("openid-client").join("package.json");
    if !package.is_file() {
        return Some(format!(
            "{} is missing: run `npm ci` in {}",
            package.display(),
            dir.display()
        ));
    }
    match Command::new("node").arg("--version").stdin(Stdio::null()).output() {
        Ok(output) if output.status.success() => None,
        Ok(output) => Some(format!(
            "`node --version` failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )),
        Err(err) => Some(format!("`node` is not runnable (is it on PATH?): {err}")),
    }
}

/// How a run of the script ended.
struct Run {
    /// `None` when it was killed after [`TIMEOUT`].
    status: Option<ExitStatus>,
    elapsed: Duration,
    stdout: String,
    stderr: String,
}

fn drain(mut pipe: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        // A read error only truncates what is shown; the exit status decides the outcome.
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn join(handle: Option<JoinHandle<String>>) -> String {
    handle
        .map(|handle| handle.join().unwrap_or_else(|_| "(reader thread panicked)".to_owned()))
        .unwrap_or_default()
}

/// Waits for `child` until `TIMEOUT`, killing it if it takes longer.
fn wait_with_timeout(child: &mut Child, started: Instant) -> Result<Option<ExitStatus>, String> {
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(Some(status)),
            Ok(None) if started.elapsed() >= TIMEOUT => {
                let _ = child.kill();
                child
                    .wait()
                    .map_err(|err| format!("waiting for the killed node: {err}"))?;
                return Ok(None);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(err) => return Err(format!("waiting for node: {err}")),
        }
    }
}

/// Runs `node <script> <issuer>` in `dir`, blocking.
fn run_script(dir: &Path, script: &str, issuer: &str) -> Result<Run, String> {
    let started = Instant::now();
    let mut child = Command::new("node")
        .arg(script)
        .arg(issuer)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| format!("spawning node in {}: {err}", dir.display()))?;
    let stdout = child.stdout.take().map(drain);
    let stderr = child.stderr.take().map(drain);
    let status = wait_with_timeout(&mut child, started)?;
    Ok(Run {
        status,
        elapsed: started.elapsed(),
        stdout: join(stdout),
        stderr: join(stderr),
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn openid_client_v6_drives_every_flow_against_the_mock() {
    let dir = node_dir();
    if let Some(reason) = missing_prerequisite(&dir) {
        assert!(
            std::env::var_os(REQUIRE_ENV).is_none(),
            "{REQUIRE_ENV} is set but the openid-client test cannot run: {reason}"
        );
        println!("{SKIPPED}");
        return;
    }

    let idp = mock_idp::MockIdp::builder().auto_approve(true).start().await;
    let issuer = idp.issuer();
    let run = tokio::task::spawn_blocking(move || run_script(&dir, "openid-client.mjs", &issuer))
        .await
        .expect("the blocking task running node panicked")
        .unwrap_or_else(|err| panic!("could not run node: {err}"));
    drop(idp);

    let output = format!("--- node stdout ---\n{}--- node stderr ---\n{}", run.stdout, run.stderr);
    let Some(status) = run.status else {
        panic!("node did not finish within {TIMEOUT:?}; killed\n{output}");
    };
    assert!(
        status.success(),
        "node openid-client.mjs failed ({status}) after {:?}\n{output}",
        run.elapsed
    );
    let summary = run
        .stdout
        .lines()
        .rev()
        .find(|line| !line.trim().is_empty())
        .unwrap_or_default();
    assert!(
        summary.starts_with("openid-client: ")
            && summary.ends_with(" passed, 0 failed")
            && !summary.contains(": 0 passed"),
        "unexpected summary line {summary:?}\n{output}"
    );
    print!("{}", run.stdout);
}

/// Runs `script` against a fresh mock in the Keycloak flavor (auto-approving logins) and expects its
/// summary line `summary`; skips in one line when Node or openid-client is missing.
async fn keycloak_flavor_script_passes(script: &str, summary: &str) {
    let builder = mock_idp::MockIdp::builder()
        .provider(mock_idp::Provider::Keycloak)
        .auto_approve(true);
    script_passes(script, summary, builder).await;
}

/// Runs `script` against a fresh mock from `builder` and expects its summary line `summary`;
/// skips in one line when Node or openid-client is missing.
async fn script_passes(script: &str, summary: &str, builder: mock_idp::MockIdpBuilder) {
    let dir = node_dir();
    if let Some(reason) = missing_prerequisite(&dir) {
        assert!(
            std::env::var_os(REQUIRE_ENV).is_none(),
            "{REQUIRE_ENV} is set but the openid-client test cannot run: {reason}"
        );
        println!("{SKIPPED}");
        return;
    }
    let idp = builder.start().await;
    let issuer = idp.issuer();
    let name = script.to_owned();
    let run = tokio::task::spawn_blocking(move || run_script(&dir, &name, &issuer))
        .await
        .expect("the blocking task running node panicked")
        .unwrap_or_else(|err| panic!("could not run node: {err}"));
    drop(idp);
    let output = format!("--- node stdout ---\n{}--- node stderr ---\n{}", run.stdout, run.stderr);
    let Some(status) = run.status else {
        panic!("node did not finish within {TIMEOUT:?}; killed\n{output}");
    };
    assert!(status.success(), "node {script} failed ({status})\n{output}");
    assert!(run.stdout.contains(summary), "unexpected summary\n{output}");
    print!("{}", run.stdout);
}

/// `tests/node/par.mjs`: openid-client's `buildAuthorizationUrlWithPAR` against the Keycloak
/// flavor (RFC 9126): push, redeem the `request_uri` once, exchange the code (the library
/// verifies the ID token), a second use refused, a wrong secret refused.
#[tokio::test(flavor = "multi_thread")]
async fn openid_client_v6_pushes_authorization_requests_to_the_keycloak_flavor() {
    keycloak_flavor_script_passes("par.mjs", "openid-client PAR: 5 passed, 0 failed").await;
}

/// `tests/node/dpop-nonce.mjs`: openid-client's DPoP handle at a realm that demands server nonces
/// (RFC 9449 §8, §9; the generic flavor with fixtures/worlds/dpop-nonce.toml): the first grant is
/// refused `use_dpop_nonce`, the library retries with the `DPoP-Nonce` value and gets a bound
/// token, the next grant needs no retry, and userinfo's `use_dpop_nonce` challenge is retried too.
#[tokio::test(flavor = "multi_thread")]
async fn openid_client_v6_retries_with_the_dpop_nonce_the_mock_demands() {
    let world = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/worlds/dpop-nonce.toml");
    let builder = mock_idp::MockIdp::builder().world(mock_idp::World::load(world).unwrap());
    script_passes(
        "dpop-nonce.mjs",
        "openid-client DPoP nonce: 3 passed, 0 failed",
        builder,
    )
    .await;
}

/// `tests/node/exchange.mjs`: openid-client's `genericGrantRequest` exchanging a code-flow access
/// token at the Keycloak flavor (RFC 8693, standard token exchange v2; fixtures/worlds/token-exchange.toml):
/// the exchanged token keeps the subject, a foreign audience and a foreign subject token are refused.
#[tokio::test(flavor = "multi_thread")]
async fn openid_client_v6_exchanges_tokens_at_the_keycloak_flavor() {
    let world = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/worlds/token-exchange.toml");
    let builder = mock_idp::MockIdp::builder()
        .provider(mock_idp::Provider::Keycloak)
        .auto_approve(true)
        .world(mock_idp::World::load(world).unwrap());
    script_passes(
        "exchange.mjs",
        "openid-client token exchange: 4 passed, 0 failed",
        builder,
    )
    .await;
}

/// `tests/node/dpop.mjs`: openid-client's `getDPoPHandle` against the Keycloak flavor (RFC 9449):
/// the code flow binds the access token to the handle's key (`token_type` DPoP, `cnf.jkt`), userinfo
/// answers the handle, and refuses the token as a bearer token and with another key's proof.
#[tokio::test(flavor = "multi_thread")]
async fn openid_client_v6_binds_tokens_with_dpop_at_the_keycloak_flavor() {
    keycloak_flavor_script_passes("dpop.mjs", "openid-client DPoP: 5 passed, 0 failed").await;
}

/// `tests/node/private-key-jwt.mjs`: openid-client's `PrivateKeyJwt` client authentication
/// against the Keycloak flavor, with the client's key registered as `jwks` and then served at
/// the script's own `jwks_uri` and rotated there; foreign and retired keys refused.
#[tokio::test(flavor = "multi_thread")]
async fn openid_client_v6_authenticates_with_private_key_jwt_by_jwks_and_jwks_uri() {
    keycloak_flavor_script_passes(
        "private-key-jwt.mjs",
        "openid-client private_key_jwt: 4 passed, 0 failed",
    )
    .await;
}
