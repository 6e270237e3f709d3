//! The scenarios: `Target::open(container:keycloak)` against the fake engine, checks run
//! against the stand-in, and the containers gone once the target is dropped; a container that
//! exits before it is ready; an image the engine cannot pull.

use crate::engine::{Behaviour, FakeEngine, Record, Settings};
use conformance::{Runner, Selection, Status, Target, TargetError, TargetKind, TargetOptions};
use mock_idp::Provider;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

/// A scenario; its future is not `Send` (neither are testcontainers' copy-from nor the
/// runner's), so it runs on the thread that blocks on the runtime.
type Scenario = fn(FakeEngine) -> Pin<Box<dyn Future<Output = ()>>>;

/// Every scenario, in the order they run.
pub(crate) const ALL: &[(&str, Scenario)] = &[
    ("tar_archives_round_trip", |_| {
        Box::pin(async { crate::tar::round_trip() })
    }),
    ("keycloak_end_to_end", |engine| Box::pin(keycloak_end_to_end(engine))),
    (
        "a_container_exiting_before_it_is_ready_is_a_one_line_error_and_removed",
        |engine| Box::pin(exits_before_ready(engine)),
    ),
    ("an_image_the_engine_cannot_pull_is_named_in_one_line", |engine| {
        Box::pin(pull_refused(engine))
    }),
    ("a_container_the_engine_refuses_to_start_is_removed", |engine| {
        Box::pin(start_refused(engine))
    }),
];

const KEYCLOAK: &str = "quay.io/keycloak/keycloak";
const KEYCLOAK_IMAGE: &str = "quay.io/keycloak/keycloak:26.7.3";
/// The label every container of a target carries, with the process id.
const LABEL: &str = "org.idp-harness.conformance";
/// The label unique to one start, by which a container is removed when starting fails.
const START_LABEL: &str = "org.idp-harness.conformance.start";
/// Checks that pass against `mock:keycloak` without a login: discovery, JWKS, the token
/// endpoint's client authentication.
const CHECKS: &[&str] = &["DISC-01", "DISC-02", "JWKS-01", "JWKS-02", "TOK-05"];

fn settings(registry: bool, images: &[&str], behaviour: &[(&str, Behaviour)]) -> Settings {
    Settings {
        registry,
        images: images.iter().map(|image| (*image).to_owned()).collect(),
        behaviour: behaviour
            .iter()
            .map(|(image, behaviour)| ((*image).to_owned(), behaviour.clone()))
            .collect(),
    }
}

async fn open_keycloak() -> Result<Target, TargetError> {
    Target::open(&"container:keycloak".parse().unwrap(), &TargetOptions::default()).await
}

/// The index of the first request starting with `prefix`, after `from`.
fn position(requests: &[String], from: usize, prefix: &str) -> usize {
    requests
        .iter()
        .enumerate()
        .skip(from)
        .find(|(_, request)| request.starts_with(prefix))
        .map(|(index, _)| index)
        .unwrap_or_else(|| panic!("no `{prefix}` after request {from} in {requests:#?}"))
}

fn env(record: &Record) -> Vec<String> {
    record.create_body["Env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|var| var.as_str().unwrap().to_owned())
        .collect()
}

fn only(records: &[Record]) -> &Record {
    let [record] = records else {
        panic!("one container expected, the engine saw {}", records.len());
    };
    record
}

/// The stand-in on `port` stops accepting connections within five seconds.
async fn closes(port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

async fn keycloak_end_to_end(engine: FakeEngine) {
    engine.reset(settings(true, &[], &[(KEYCLOAK, Behaviour::Serve(Provider::Keycloak))]));
    let target = open_keycloak().await.unwrap_or_else(|err| panic!("{err}"));

    // What was asked of the engine.
    let containers = engine.containers();
    let keycloak = only(&containers);
    let body = &keycloak.create_body;
    let port = keycloak.served_port.expect("the stand-in serves on the published port");
    assert_eq!(body["Image"], KEYCLOAK_IMAGE);
    assert_eq!(body["Cmd"], json!(["start-dev", "--import-realm"]));
    let env = env(keycloak);
    for var in [
        "KC_BOOTSTRAP_ADMIN_USERNAME=admin".to_owned(),
        "KC_BOOTSTRAP_ADMIN_PASSWORD=admin".to_owned(),
        format!("KC_HOSTNAME=http://127.0.0.1:{port}"),
    ] {
        assert!(env.contains(&var), "{var} missing from {env:?}");
    }
    assert_eq!(
        body["HostConfig"]["PortBindings"],
        json!({"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": port.to_string()}]}),
        "published on loopback only"
    );
    assert_eq!(body["Labels"][LABEL], std::process::id().to_string());
    assert_eq!(body["Labels"]["org.testcontainers.managed-by"], "testcontainers");
    assert!(
        body["Labels"][START_LABEL].as_str().is_some_and(|v| !v.is_empty()),
        "{body}"
    );
    assert!(
        !keycloak.create_query.contains("name="),
        "unnamed: {}",
        keycloak.create_query
    );
    assert!(body["HostConfig"]["NetworkMode"].is_null(), "{body}");
    let files: Vec<&String> = keycloak.files.keys().collect();
    assert_eq!(files, ["/opt/keycloak/data/import/realm-demo.json"]);
    let realm: Value = serde_json::from_slice(&keycloak.files[files[0]]).unwrap();
    assert_eq!(realm["realm"], "demo");
    assert!(keycloak.started && !keycloak.removed);

    // In the order testcontainers runs a container: look for the image, pull it, create,
    // copy the realm in, start, inspect.
    let requests = engine.requests();
    let id = &keycloak.id;
    let mut at = position(&requests, 0, &format!("GET /images/{KEYCLOAK_IMAGE}/json"));
    at = position(
        &requests,
        at,
        &format!("POST /images/create?fromImage={KEYCLOAK_IMAGE}"),
    );
    at = position(&requests, at, "POST /containers/create");
    at = position(&requests, at, &format!("PUT /containers/{id}/archive?"));
    at = position(&requests, at, &format!("POST /containers/{id}/start"));
    position(&requests, at, &format!("GET /containers/{id}/json"));

    // The target is the stand-in.
    assert_eq!(target.name(), "container:keycloak");
    assert_eq!(target.provider(), Provider::Keycloak);
    assert_eq!(target.kind(), TargetKind::Real);
    assert_eq!(target.issuer(), format!("http://127.0.0.1:{port}/realms/demo"));
    let selection = Selection {
        suites: Vec::new(),
        checks: CHECKS.iter().map(|id| (*id).to_owned()).collect(),
    };
    let run = Runner::new(selection)
        .timeout(Duration::from_secs(5))
        .run(&target, |_| {})
        .await
        .unwrap();
    let statuses: BTreeMap<&str, Status> = run
        .results
        .iter()
        .map(|result| (result.check.id, result.status))
        .collect();
    for id in CHECKS {
        assert_eq!(
            statuses.get(id),
            Some(&Status::Pass),
            "{id}: {}",
            conformance::report::text(&run)
        );
    }

    // Dropping the target (inside the runtime) removes the container and stops the stand-in.
    let removals_before = engine
        .requests()
        .iter()
        .filter(|r| r.starts_with("DELETE /containers/"))
        .count();
    assert_eq!(removals_before, 0);
    drop(target);
    let containers = engine.containers();
    let keycloak = only(&containers);
    assert!(keycloak.stopped && keycloak.removed, "{keycloak:?}");
    let requests = engine.requests();
    position(&requests, 0, &format!("DELETE /containers/{id}?force=true"));
    assert!(closes(port).await, "the stand-in still answers on {port}");
}

async fn exits_before_ready(engine: FakeEngine) {
    let log = [
        "Updating the configuration and installing your custom providers, if any. Please wait.",
        "ERROR: Failed to start server in (development) mode",
        "ERROR: Unable to import realm demo from file /opt/keycloak/data/import/realm-demo.json.",
    ];
    engine.reset(settings(
        false,
        &[KEYCLOAK_IMAGE],
        &[(
            KEYCLOAK,
            Behaviour::ExitAtStart {
                code: 1,
                stdout: log.iter().map(|line| (*line).to_owned()).collect(),
            },
        )],
    ));
    let started = Instant::now();
    let err = open_keycloak().await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "slow: {:?}",
        started.elapsed()
    );
    let TargetError::Container(message) = &err else {
        panic!("unexpected error {err:?}");
    };
    assert!(!message.contains('\n'), "{message}");
    assert!(
        message.starts_with(&format!(
            "container:keycloak: {KEYCLOAK} exited (code 1) before http://127.0.0.1:"
        )),
        "{message}"
    );
    assert!(
        message.ends_with(&format!("last log: {}", log.join(" | "))),
        "{message}"
    );
    eprintln!("  error: {message}");
    let containers = engine.containers();
    let keycloak = only(&containers);
    assert!(keycloak.started && keycloak.removed, "{keycloak:?}");
    assert!(
        !engine.requests().iter().any(|r| r.starts_with("POST /images/create")),
        "the image was present, nothing to pull"
    );
}

async fn pull_refused(engine: FakeEngine) {
    engine.reset(settings(false, &[], &[]));
    let started = Instant::now();
    let err = open_keycloak().await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "slow: {:?}",
        started.elapsed()
    );
    let message = err.to_string();
    assert!(matches!(err, TargetError::Container(_)), "{err:?}");
    assert!(!message.contains('\n'), "{message}");
    assert!(
        message.starts_with(&format!("container:keycloak: cannot pull {KEYCLOAK_IMAGE}")),
        "{message}"
    );
    assert!(message.contains("lookup quay.io: no such host"), "{message}");
    eprintln!("  error: {message}");
    assert!(engine.containers().is_empty(), "nothing is created without the image");
}

async fn start_refused(engine: FakeEngine) {
    let refusal = "driver failed programming external connectivity on endpoint kc: \
                   Bind for 127.0.0.1:8080 failed: port is already allocated";
    engine.reset(settings(
        true,
        &[KEYCLOAK_IMAGE],
        &[(KEYCLOAK, Behaviour::RefuseStart(refusal.to_owned()))],
    ));
    let err = open_keycloak().await.unwrap_err();
    let message = err.to_string();
    eprintln!("  error: {message}");
    assert!(!message.contains('\n'), "{message}");
    assert!(
        message.starts_with(&format!("container:keycloak: cannot start {KEYCLOAK_IMAGE}: ")),
        "{message}"
    );
    assert!(message.contains("port is already allocated"), "{message}");
    // testcontainers creates the container and copies the realm in before the start fails;
    // it has no handle to remove it by then, so the target removes it by its label.
    let containers = engine.containers();
    let keycloak = only(&containers);
    assert!(!keycloak.started, "{keycloak:?}");
    assert!(keycloak.removed, "the created container is left behind: {keycloak:?}");
    let label = keycloak.create_body["Labels"][START_LABEL].as_str().unwrap();
    let requests = engine.requests();
    let at = position(&requests, 0, &format!("POST /containers/{}/start", keycloak.id));
    let at = position(
        &requests,
        at,
        &format!("GET /containers/json?all=true&filters={{\"label\":[\"{START_LABEL}={label}\"]}}"),
    );
    position(&requests, at, &format!("DELETE /containers/{}?force=true", keycloak.id));
}
