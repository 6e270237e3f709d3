//! A hand-made Docker Engine API server on a unix socket: just the endpoints testcontainers
//! 0.28 (bollard 0.21, API v1.53) calls for the container targets, in the shapes of the
//! Docker Engine API reference, recording every request. Starting a container "runs" a
//! stand-in chosen by its image: a `MockIdp` in the Keycloak flavor bound to the published
//! host port, PostgreSQL printing its readiness lines after a delay, ZITADEL or WSO2 IS
//! (`standins.rs`) configured by the container's environment or copied-in files, a container
//! that exits at once with a log, or a start the engine refuses.

use crate::standins::{self, Admin, Recording, StandIn};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use mock_idp::{MockIdp, Provider, World};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// What PostgreSQL prints on stderr when a server (the init one, then the real one) is up.
pub(crate) const POSTGRES_READY: &str = "database system is ready to accept connections";
/// How long after start PostgreSQL prints its first and its second readiness line.
const POSTGRES_BOOT: [Duration; 2] = [Duration::from_millis(150), Duration::from_millis(300)];
/// How long after start ZITADEL writes the IAM_OWNER PAT (after its discovery answers).
const ZITADEL_PAT_DELAY: Duration = Duration::from_millis(300);
/// Where WSO2 IS reads its configuration.
const WSO2_CONFIG: &str = "/home/wso2carbon/wso2-config-volume/repository/conf/deployment.toml";
/// How long a followed log stream waits for a container to finish booting.
const FOLLOW_LIMIT: Duration = Duration::from_secs(10);

/// What starting a container of an image does.
#[derive(Debug, Clone)]
pub(crate) enum Behaviour {
    /// Serves a `MockIdp` of `provider` (default World) on the published host port of the
    /// container's only port binding, until the container is stopped or removed.
    Serve(Provider),
    /// The main process exits at once with `code`, after printing `stdout`.
    ExitAtStart {
        /// The exit code.
        code: i64,
        /// Its output, one line each.
        stdout: Vec<String>,
    },
    /// The engine refuses to start the container (HTTP 500 with this message).
    RefuseStart(String),
    /// PostgreSQL: its readiness line on stderr 150 ms and again 300 ms after start (the init
    /// server, then the real one); a followed log stream is answered once both are printed.
    Postgres,
    /// ZITADEL (`standins.rs`): advertises `ZITADEL_EXTERNALDOMAIN:ZITADEL_EXTERNALPORT`,
    /// exits unless `ZITADEL_DATABASE_POSTGRES_HOST` is a running container on its network,
    /// writes `pat` to `ZITADEL_FIRSTINSTANCE_PATPATH` 300 ms after start.
    Zitadel {
        /// The IAM_OWNER PAT.
        pat: String,
    },
    /// WSO2 IS (`standins.rs`): HTTPS with a self-signed certificate, advertising `[server]
    /// hostname` and `[transport.https.properties] proxyPort` of the copied-in deployment.toml.
    Wso2,
}

/// How the fake engine behaves for one scenario.
#[derive(Debug, Clone, Default)]
pub(crate) struct Settings {
    /// Whether `POST /images/create` succeeds (a registry is reachable).
    pub registry: bool,
    /// Images already present, `name:tag`.
    pub images: BTreeSet<String>,
    /// Behaviour per image name without tag; images not listed run nothing and stay up.
    pub behaviour: BTreeMap<String, Behaviour>,
}

/// A container as the fake saw it.
#[derive(Clone)]
pub(crate) struct Record {
    /// Its id.
    pub id: String,
    /// The query string of `POST /containers/create`.
    pub create_query: String,
    /// The JSON body of `POST /containers/create`.
    pub create_body: Value,
    /// Files copied in (`PUT /containers/{id}/archive`): absolute path and content.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Whether it was started.
    pub started: bool,
    /// Whether it was stopped (`POST …/stop`, or removed with `force`) after running.
    pub stopped: bool,
    /// Whether it was removed.
    pub removed: bool,
    /// The host port a stand-in served on.
    pub served_port: Option<u16>,
    /// What a ZITADEL or WSO2 stand-in recorded.
    pub recording: Option<Recording>,
}

impl std::fmt::Debug for Record {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Record")
            .field("id", &&self.id[self.id.len() - 12..])
            .field("image", &self.create_body["Image"])
            .field(
                "files",
                &self
                    .files
                    .iter()
                    .map(|(path, content)| (path, content.len()))
                    .collect::<Vec<_>>(),
            )
            .field("started", &self.started)
            .field("stopped", &self.stopped)
            .field("removed", &self.removed)
            .field("served_port", &self.served_port)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
struct Container {
    record: Record,
    name: Option<String>,
    image: String,
    running: bool,
    exit_code: i64,
    /// (stream: 1 stdout, 2 stderr, line).
    logs: Vec<(u8, String)>,
    /// Whether its start-up output is complete (a followed log stream waits for it).
    booted: bool,
    stand_in: Option<oneshot::Sender<()>>,
}

impl Container {
    fn stop(&mut self, code: i64) {
        if let Some(stop) = self.stand_in.take() {
            let _ = stop.send(());
        }
        if self.running {
            self.running = false;
            self.exit_code = code;
            self.record.stopped = true;
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    settings: Settings,
    images: BTreeSet<String>,
    containers: Vec<Container>,
    networks: BTreeMap<String, String>,
    requests: Vec<String>,
    next_id: u64,
}

impl Inner {
    fn container(&mut self, id_or_name: &str) -> Option<&mut Container> {
        self.containers.iter_mut().find(|c| {
            !c.record.removed
                && (c.record.id == id_or_name
                    || (id_or_name.len() >= 12 && c.record.id.starts_with(id_or_name))
                    || c.name.as_deref() == Some(id_or_name.trim_start_matches('/')))
        })
    }

    fn fresh_id(&mut self) -> String {
        self.next_id += 1;
        format!("{:064x}", 0xfa4e_0000_u64 + self.next_id)
    }
}

/// The fake engine; its server runs on a thread of its own until the process ends.
#[derive(Debug, Clone)]
pub(crate) struct FakeEngine {
    inner: Arc<Mutex<Inner>>,
    socket: PathBuf,
}

impl FakeEngine {
    /// Serves the fake engine on a new unix socket at `socket`.
    pub(crate) fn start(socket: &Path) -> FakeEngine {
        let _ = std::fs::remove_file(socket);
        let engine = FakeEngine {
            inner: Arc::new(Mutex::new(Inner::default())),
            socket: socket.to_owned(),
        };
        let serving = engine.clone();
        let (ready, bound) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("fake-docker-engine".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async move {
                    let listener = tokio::net::UnixListener::bind(&serving.socket).unwrap();
                    ready.send(()).unwrap();
                    let app = axum::Router::new().fallback(handle).with_state(serving);
                    axum::serve(listener, app).await.unwrap();
                });
            })
            .unwrap();
        bound.recv().unwrap();
        engine
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Forgets every container, network and request and applies `settings`.
    pub(crate) fn reset(&self, settings: Settings) {
        let mut inner = self.lock();
        for container in &mut inner.containers {
            container.stop(137);
        }
        let next_id = inner.next_id;
        *inner = Inner {
            images: settings.images.clone(),
            settings,
            next_id,
            ..Inner::default()
        };
    }

    /// Every container created since the last reset, in creation order.
    pub(crate) fn containers(&self) -> Vec<Record> {
        self.lock().containers.iter().map(|c| c.record.clone()).collect()
    }

    /// `METHOD path?query` of every request since the last reset (without the API version
    /// prefix; the query decoded, its keys sorted).
    pub(crate) fn requests(&self) -> Vec<String> {
        self.lock().requests.clone()
    }

    /// Networks that exist now (name to id).
    pub(crate) fn networks(&self) -> BTreeMap<String, String> {
        self.lock().networks.clone()
    }
}

/// An error as the engine answers it: `{"message": …}`.
fn message(status: StatusCode, text: impl Into<String>) -> Response {
    json_response(status, json!({ "message": text.into() }))
}

fn json_response(status: StatusCode, value: Value) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(value.to_string()))
        .unwrap()
}

fn empty(status: StatusCode) -> Response {
    status.into_response()
}

/// `/v1.53/containers/x/json` → `/containers/x/json` (the API version prefix is optional).
fn unversioned(path: &str) -> &str {
    let Some(rest) = path.strip_prefix("/v") else {
        return path;
    };
    match rest.find('/') {
        Some(slash) if rest[..slash].chars().all(|c| c.is_ascii_digit() || c == '.') => &rest[slash..],
        _ => path,
    }
}

fn query_map(uri: &Uri) -> BTreeMap<String, String> {
    url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

async fn handle(State(engine): State<FakeEngine>, method: Method, uri: Uri, body: Bytes) -> Response {
    let path = unversioned(uri.path()).to_owned();
    let query = query_map(&uri);
    let decoded: Vec<String> = query.iter().map(|(key, value)| format!("{key}={value}")).collect();
    engine.lock().requests.push(if decoded.is_empty() {
        format!("{method} {path}")
    } else {
        format!("{method} {path}?{}", decoded.join("&"))
    });
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (&method, segments.as_slice()) {
        (&Method::GET | &Method::HEAD, ["_ping"]) => (StatusCode::OK, "OK").into_response(),
        (&Method::GET, ["version"]) => json_response(
            StatusCode::OK,
            json!({"Version": "28.0.0-fake", "ApiVersion": "1.53", "MinAPIVersion": "1.24", "Os": "linux", "Arch": "amd64"}),
        ),
        (&Method::GET, ["images", .., "json"]) => {
            let name = path.trim_start_matches("/images/").trim_end_matches("/json").to_owned();
            inspect_image(&engine, &name)
        }
        (&Method::POST, ["images", "create"]) => pull(&engine, &query),
        (&Method::POST, ["containers", "create"]) => create(&engine, &uri, &query, &body),
        (&Method::GET, ["containers", "json"]) => list(&engine, &query),
        (&Method::POST, ["containers", id, "start"]) => start(&engine, id),
        (&Method::POST, ["containers", id, "stop"]) => stop(&engine, id),
        (&Method::GET, ["containers", id, "json"]) => inspect(&engine, id),
        (&Method::GET, ["containers", id, "logs"]) => logs(&engine, id, &query).await,
        (&Method::PUT, ["containers", id, "archive"]) => upload(&engine, id, &query, &body),
        (&Method::GET, ["containers", id, "archive"]) => download(&engine, id, &query),
        (&Method::DELETE, ["containers", id]) => remove(&engine, id, &query),
        (&Method::GET, ["networks"]) => {
            let networks: Vec<Value> = std::iter::once(("bridge".to_owned(), "bridge-id".to_owned()))
                .chain(engine.networks())
                .map(|(name, id)| json!({"Name": name, "Id": id, "Driver": "bridge"}))
                .collect();
            json_response(StatusCode::OK, Value::Array(networks))
        }
        (&Method::POST, ["networks", "create"]) => create_network(&engine, &body),
        (&Method::GET, ["networks", name]) => {
            let networks = engine.networks();
            let found = networks.iter().find(|(n, id)| n == name || id == name);
            match found {
                Some((name, id)) => json_response(
                    StatusCode::OK,
                    json!({"Name": name, "Id": id, "Driver": "bridge", "IPAM": {"Config": []}}),
                ),
                None => message(StatusCode::NOT_FOUND, format!("network {name} not found")),
            }
        }
        (&Method::DELETE, ["networks", name]) => {
            let mut inner = engine.lock();
            let found = inner
                .networks
                .iter()
                .find(|(n, id)| n == name || id == name)
                .map(|(n, _)| n.clone());
            match found {
                Some(found) => {
                    inner.networks.remove(&found);
                    empty(StatusCode::NO_CONTENT)
                }
                None => message(StatusCode::NOT_FOUND, format!("network {name} not found")),
            }
        }
        _ => message(
            StatusCode::NOT_IMPLEMENTED,
            format!("fake engine: {method} {path} is not implemented"),
        ),
    }
}

fn inspect_image(engine: &FakeEngine, name: &str) -> Response {
    if engine.lock().images.contains(name) {
        json_response(
            StatusCode::OK,
            json!({"Id": format!("sha256:{:064x}", name.len()), "RepoTags": [name], "Os": "linux", "Architecture": "amd64"}),
        )
    } else {
        message(StatusCode::NOT_FOUND, format!("No such image: {name}"))
    }
}

/// `POST /images/create?fromImage=…`: a JSON progress stream, or the daemon's error when the
/// registry cannot be reached.
fn pull(engine: &FakeEngine, query: &BTreeMap<String, String>) -> Response {
    let image = query.get("fromImage").cloned().unwrap_or_default();
    let image = match query.get("tag").filter(|tag| !tag.is_empty()) {
        Some(tag) => format!("{image}:{tag}"),
        None => image,
    };
    let mut inner = engine.lock();
    if !inner.settings.registry {
        let registry = image.split('/').next().unwrap_or("registry-1.docker.io");
        return message(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("Get \"https://{registry}/v2/\": dial tcp: lookup {registry}: no such host"),
        );
    }
    inner.images.insert(image.clone());
    let lines = [
        json!({"status": format!("Pulling from {image}")}),
        json!({"status": "Digest: sha256:0000"}),
        json!({"status": format!("Status: Downloaded newer image for {image}")}),
    ];
    let body: String = lines.iter().map(|line| format!("{line}\r\n")).collect();
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap()
}

fn create(engine: &FakeEngine, uri: &Uri, query: &BTreeMap<String, String>, body: &[u8]) -> Response {
    let Ok(config) = serde_json::from_slice::<Value>(body) else {
        return message(StatusCode::BAD_REQUEST, "invalid JSON body");
    };
    let image = config["Image"].as_str().unwrap_or_default().to_owned();
    let mut inner = engine.lock();
    if !inner.images.contains(&image) {
        return message(StatusCode::NOT_FOUND, format!("No such image: {image}"));
    }
    let name = query.get("name").filter(|name| !name.is_empty()).cloned();
    if let Some(name) = &name
        && inner.container(name).is_some()
    {
        return message(
            StatusCode::CONFLICT,
            format!("Conflict. The container name \"/{name}\" is already in use"),
        );
    }
    if let Some(network) = config["HostConfig"]["NetworkMode"].as_str()
        && !["default", "bridge", "host", "none"].contains(&network)
        && !inner.networks.contains_key(network)
    {
        return message(StatusCode::NOT_FOUND, format!("network {network} not found"));
    }
    let id = inner.fresh_id();
    inner.containers.push(Container {
        record: Record {
            id: id.clone(),
            create_query: uri.query().unwrap_or("").to_owned(),
            create_body: config,
            files: BTreeMap::new(),
            started: false,
            stopped: false,
            removed: false,
            served_port: None,
            recording: None,
        },
        name,
        image,
        running: false,
        exit_code: 0,
        logs: Vec::new(),
        booted: true,
        stand_in: None,
    });
    json_response(StatusCode::CREATED, json!({"Id": id, "Warnings": []}))
}

fn list(engine: &FakeEngine, query: &BTreeMap<String, String>) -> Response {
    let all = query.get("all").is_some_and(|all| all == "true" || all == "1");
    let filters: BTreeMap<String, Vec<String>> = query
        .get("filters")
        .and_then(|filters| serde_json::from_str(filters).ok())
        .unwrap_or_default();
    let inner = engine.lock();
    let listed: Vec<Value> = inner
        .containers
        .iter()
        .filter(|c| !c.record.removed && (all || c.running))
        .filter(|c| {
            filters.get("label").into_iter().flatten().all(|label| {
                let (key, value) = label.split_once('=').unwrap_or((label, ""));
                let labels = &c.record.create_body["Labels"];
                labels[key].as_str().is_some_and(|v| value.is_empty() || v == value)
            })
        })
        .map(|c| {
            json!({
                "Id": c.record.id,
                "Names": c.name.iter().map(|n| format!("/{n}")).collect::<Vec<_>>(),
                "Image": c.image,
                "Labels": c.record.create_body["Labels"],
                "State": state_name(c),
            })
        })
        .collect();
    json_response(StatusCode::OK, Value::Array(listed))
}

fn state_name(c: &Container) -> &'static str {
    match (c.running, c.record.started) {
        (true, _) => "running",
        (false, true) => "exited",
        (false, false) => "created",
    }
}

/// The host IP and port of the container's published ports.
fn bindings(config: &Value) -> Vec<(String, Option<String>, u16)> {
    let mut out = Vec::new();
    if let Some(map) = config["HostConfig"]["PortBindings"].as_object() {
        for (container_port, list) in map {
            for binding in list.as_array().into_iter().flatten() {
                let ip = binding["HostIp"]
                    .as_str()
                    .filter(|ip| !ip.is_empty())
                    .map(str::to_owned);
                if let Some(port) = binding["HostPort"].as_str().and_then(|p| p.parse().ok()) {
                    out.push((container_port.clone(), ip, port));
                }
            }
        }
    }
    out
}

fn start(engine: &FakeEngine, id: &str) -> Response {
    let mut inner = engine.lock();
    let behaviours = inner.settings.behaviour.clone();
    // What ZITADEL needs to find its database: running containers by name and network.
    let running: Vec<(String, Value)> = inner
        .containers
        .iter()
        .filter(|c| c.running && !c.record.removed)
        .filter_map(|c| {
            Some((
                c.name.clone()?,
                c.record.create_body["HostConfig"]["NetworkMode"].clone(),
            ))
        })
        .collect();
    let Some(container) = inner.container(id) else {
        return message(StatusCode::NOT_FOUND, format!("No such container: {id}"));
    };
    if container.running {
        return empty(StatusCode::NOT_MODIFIED);
    }
    let repository = container
        .image
        .rsplit_once(':')
        .map_or(container.image.as_str(), |(name, _)| name)
        .to_owned();
    let published = bindings(&container.record.create_body);
    // Publishing beyond loopback is refused: these tests stay on 127.0.0.1.
    if let Some((port, ip, _)) = published.iter().find(|(_, ip, _)| ip.as_deref() != Some("127.0.0.1")) {
        return message(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "fake engine: refusing to publish {port} on {} (only 127.0.0.1)",
                ip.as_deref().unwrap_or("0.0.0.0")
            ),
        );
    }
    let env = environment(&container.record.create_body);
    let serving = match behaviours.get(&repository) {
        Some(Behaviour::RefuseStart(text)) => {
            return message(StatusCode::INTERNAL_SERVER_ERROR, text.clone());
        }
        Some(Behaviour::ExitAtStart { code, stdout }) => {
            container.record.started = true;
            container.running = false;
            container.exit_code = *code;
            container.logs.extend(stdout.iter().map(|line| (1, line.clone())));
            return empty(StatusCode::NO_CONTENT);
        }
        None => {
            container.record.started = true;
            container.running = true;
            return empty(StatusCode::NO_CONTENT);
        }
        Some(Behaviour::Postgres) => {
            container.record.started = true;
            container.running = true;
            container.booted = false;
            container.logs.push((
                1,
                "The files belonging to this database system will be owned by user \"postgres\".".to_owned(),
            ));
            tokio::spawn(boot_postgres(engine.clone(), container.record.id.clone()));
            return empty(StatusCode::NO_CONTENT);
        }
        Some(Behaviour::Serve(provider)) => Serving::Mock(*provider),
        Some(Behaviour::Zitadel { pat }) => {
            let database = env.get("ZITADEL_DATABASE_POSTGRES_HOST").cloned().unwrap_or_default();
            let network = &container.record.create_body["HostConfig"]["NetworkMode"];
            if !running.iter().any(|(name, net)| *name == database && net == network) {
                container.record.started = true;
                container.running = false;
                container.exit_code = 1;
                container.logs.push((
                    2,
                    format!("level=fatal msg=\"unable to connect to the database\" error=\"failed to connect to `host={database} user=postgres database=postgres`: hostname resolving error\""),
                ));
                return empty(StatusCode::NO_CONTENT);
            }
            let scheme = if env.get("ZITADEL_EXTERNALSECURE").is_some_and(|secure| secure == "true") {
                "https"
            } else {
                "http"
            };
            let domain = env.get("ZITADEL_EXTERNALDOMAIN").map_or("localhost", String::as_str);
            let port = env.get("ZITADEL_EXTERNALPORT").map_or("8080", String::as_str);
            let world = standins::zitadel_world(&World::default_world().unwrap());
            if let Some(path) = env.get("ZITADEL_FIRSTINSTANCE_PATPATH") {
                tokio::spawn(write_pat(
                    engine.clone(),
                    container.record.id.clone(),
                    path.clone(),
                    pat.clone(),
                ));
            }
            Serving::StandIn(StandIn {
                provider: Provider::Zitadel,
                world,
                public_url: format!("{scheme}://{domain}:{port}"),
                admin: Admin::Zitadel { pat: pat.clone() },
                tls: false,
            })
        }
        Some(Behaviour::Wso2) => {
            let config: toml::Table = container
                .record
                .files
                .get(WSO2_CONFIG)
                .and_then(|content| toml::from_str(&String::from_utf8_lossy(content)).ok())
                .unwrap_or_default();
            let hostname = config
                .get("server")
                .and_then(|server| server.get("hostname"))
                .and_then(toml::Value::as_str)
                .unwrap_or("localhost");
            let port = config
                .get("transport")
                .and_then(|transport| transport.get("https"))
                .and_then(|https| https.get("properties"))
                .and_then(|properties| properties.get("proxyPort"))
                .and_then(toml::Value::as_integer)
                .unwrap_or(9443);
            Serving::StandIn(StandIn {
                provider: Provider::Wso2,
                world: World::default_world().unwrap(),
                public_url: format!("https://{hostname}:{port}"),
                admin: Admin::Wso2,
                tls: true,
            })
        }
    };
    let [(_, _, port)] = published.as_slice() else {
        return message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "fake engine: a stand-in needs exactly one published port",
        );
    };
    let listener = match std::net::TcpListener::bind(("127.0.0.1", *port)) {
        Ok(listener) => listener,
        Err(err) => {
            return message(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("driver failed programming external connectivity: Bind for 127.0.0.1:{port} failed: {err}"),
            );
        }
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let description = match serving {
        Serving::Mock(provider) => {
            listener.set_nonblocking(true).unwrap();
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let builder = MockIdp::builder().provider(provider);
            tokio::spawn(async move {
                let shutdown = async {
                    let _ = stopped.await;
                };
                let _ = builder.serve_until(listener, |_, _| {}, shutdown).await;
            });
            format!("mock-idp ({provider})")
        }
        Serving::StandIn(stand_in) => {
            let recording = Recording::default();
            let description = format!("mock-idp ({}) at {}", stand_in.provider, stand_in.public_url);
            if let Err(err) = standins::serve(listener, stand_in, recording.clone(), stopped) {
                return message(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("fake engine: stand-in: {err}"),
                );
            }
            container.record.recording = Some(recording);
            description
        }
    };
    container.stand_in = Some(stop);
    container.record.served_port = Some(*port);
    container.record.started = true;
    container.running = true;
    container
        .logs
        .push((1, format!("stand-in: {description} listening on 127.0.0.1:{port}")));
    empty(StatusCode::NO_CONTENT)
}

/// What serves on a started container's published port.
enum Serving {
    /// A plain `MockIdp` of this flavor at `http://127.0.0.1:{port}`.
    Mock(Provider),
    /// A ZITADEL or WSO2 stand-in.
    StandIn(StandIn),
}

/// The container's environment (`Env` of its create body) by name.
fn environment(config: &Value) -> BTreeMap<String, String> {
    config["Env"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter_map(|var| var.split_once('='))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

/// PostgreSQL's start-up output: the init server comes up, initialisation completes, the real
/// server comes up.
async fn boot_postgres(engine: FakeEngine, id: String) {
    let started = Instant::now();
    let ready = format!("2026-11-23 19:39:10.000 UTC [1] LOG:  {POSTGRES_READY}");
    let stages: [(&[(u8, &str)], bool); 2] = [
        (
            &[
                (2, ready.as_str()),
                (1, "PostgreSQL init process complete; ready for start up."),
            ],
            false,
        ),
        (&[(2, ready.as_str())], true),
    ];
    for (at, (lines, booted)) in POSTGRES_BOOT.iter().zip(stages) {
        tokio::time::sleep(at.saturating_sub(started.elapsed())).await;
        let mut inner = engine.lock();
        let Some(container) = inner.container(&id).filter(|c| c.running) else {
            return;
        };
        container
            .logs
            .extend(lines.iter().map(|(stream, line)| (*stream, (*line).to_owned())));
        container.booted = booted;
    }
}

/// ZITADEL writes the IAM_OWNER PAT once its first instance is set up.
async fn write_pat(engine: FakeEngine, id: String, path: String, pat: String) {
    tokio::time::sleep(ZITADEL_PAT_DELAY).await;
    let mut inner = engine.lock();
    if let Some(container) = inner.container(&id).filter(|c| c.running) {
        container.record.files.insert(path, format!("{pat}\n").into_bytes());
    }
}

fn stop(engine: &FakeEngine, id: &str) -> Response {
    let mut inner = engine.lock();
    let Some(container) = inner.container(id) else {
        return message(StatusCode::NOT_FOUND, format!("No such container: {id}"));
    };
    if !container.running {
        return empty(StatusCode::NOT_MODIFIED);
    }
    container.stop(143);
    empty(StatusCode::NO_CONTENT)
}

fn remove(engine: &FakeEngine, id: &str, query: &BTreeMap<String, String>) -> Response {
    let force = query.get("force").is_some_and(|f| f == "true" || f == "1");
    let mut inner = engine.lock();
    let Some(container) = inner.container(id) else {
        return message(StatusCode::NOT_FOUND, format!("No such container: {id}"));
    };
    if container.running && !force {
        return message(
            StatusCode::CONFLICT,
            format!(
                "cannot remove container {id}: container is running: stop the container before removing or force remove"
            ),
        );
    }
    container.stop(137);
    container.record.removed = true;
    empty(StatusCode::NO_CONTENT)
}

fn inspect(engine: &FakeEngine, id: &str) -> Response {
    let mut inner = engine.lock();
    let Some(c) = inner.container(id) else {
        return message(StatusCode::NOT_FOUND, format!("No such container: {id}"));
    };
    let config = &c.record.create_body;
    let mut ports = serde_json::Map::new();
    if c.running {
        for (container_port, ip, port) in bindings(config) {
            let entry = ports.entry(container_port).or_insert_with(|| json!([]));
            if let Some(list) = entry.as_array_mut() {
                list.push(json!({"HostIp": ip.unwrap_or_else(|| "0.0.0.0".into()), "HostPort": port.to_string()}));
            }
        }
    }
    let network_mode = config["HostConfig"]["NetworkMode"].as_str().unwrap_or("bridge");
    json_response(
        StatusCode::OK,
        json!({
            "Id": c.record.id,
            "Name": format!("/{}", c.name.clone().unwrap_or_else(|| c.record.id[..12].to_owned())),
            "Image": format!("sha256:{:064x}", c.image.len()),
            "Config": {
                "Image": c.image,
                "Env": config["Env"],
                "Cmd": config["Cmd"],
                "Labels": config["Labels"],
            },
            "State": {
                "Status": state_name(c),
                "Running": c.running,
                "Paused": false,
                "Restarting": false,
                "OOMKilled": false,
                "Dead": false,
                "Pid": if c.running { 4242 } else { 0 },
                "ExitCode": c.exit_code,
                "Error": "",
            },
            "HostConfig": {
                "NetworkMode": network_mode,
                "PortBindings": config["HostConfig"]["PortBindings"],
            },
            "NetworkSettings": {
                "Ports": ports,
                "Networks": { network_mode: { "IPAddress": if c.running { "172.18.0.2" } else { "" } } },
            },
        }),
    )
}

/// `GET /containers/{id}/logs`: the multiplexed stream of a container without a TTY (an
/// 8-byte header per frame: stream type, three zero bytes, big-endian length). The whole log
/// is sent and the stream ends; with `follow` only once the container has finished booting
/// (or stopped), and then every line it sends is recorded as `SERVED {id} {stream}: {line}`.
async fn logs(engine: &FakeEngine, id: &str, query: &BTreeMap<String, String>) -> Response {
    let wanted = |name: &str| query.get(name).is_some_and(|v| v == "true" || v == "1");
    let (stdout, stderr, follow) = (wanted("stdout"), wanted("stderr"), wanted("follow"));
    let deadline = Instant::now() + FOLLOW_LIMIT;
    loop {
        let booting = engine.lock().container(id).is_some_and(|c| c.running && !c.booted);
        if !(follow && booting) || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut inner = engine.lock();
    let Some(c) = inner.container(id) else {
        return message(StatusCode::NOT_FOUND, format!("No such container: {id}"));
    };
    let full_id = c.record.id.clone();
    let mut body = Vec::new();
    let mut served = Vec::new();
    for (stream, line) in &c.logs {
        if (*stream == 1 && stdout) || (*stream == 2 && stderr) {
            let payload = format!("{line}\n");
            body.push(*stream);
            body.extend([0, 0, 0]);
            body.extend(u32::try_from(payload.len()).unwrap().to_be_bytes());
            body.extend(payload.as_bytes());
            let name = if *stream == 1 { "stdout" } else { "stderr" };
            served.push(format!("SERVED {full_id} {name}: {line}"));
        }
    }
    if follow {
        inner.requests.extend(served);
    }
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/vnd.docker.multiplexed-stream")
        .body(Body::from(body))
        .unwrap()
}

fn upload(engine: &FakeEngine, id: &str, query: &BTreeMap<String, String>, body: &[u8]) -> Response {
    let Some(dir) = query.get("path") else {
        return message(StatusCode::BAD_REQUEST, "path is required");
    };
    let entries = match crate::tar::read(body) {
        Ok(entries) => entries,
        Err(err) => return message(StatusCode::BAD_REQUEST, format!("invalid tar archive: {err}")),
    };
    let mut inner = engine.lock();
    let Some(c) = inner.container(id) else {
        return message(StatusCode::NOT_FOUND, format!("No such container: {id}"));
    };
    for (name, content) in entries {
        let path = format!("{}/{}", dir.trim_end_matches('/'), name.trim_start_matches('/'));
        c.record.files.insert(path, content);
    }
    empty(StatusCode::OK)
}

fn download(engine: &FakeEngine, id: &str, query: &BTreeMap<String, String>) -> Response {
    let path = query.get("path").cloned().unwrap_or_default();
    let mut inner = engine.lock();
    let Some(c) = inner.container(id) else {
        return message(StatusCode::NOT_FOUND, format!("No such container: {id}"));
    };
    match c.record.files.get(&path) {
        Some(content) => {
            let name = path.rsplit('/').next().unwrap_or(&path);
            Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, "application/x-tar")
                .body(Body::from(crate::tar::write(name, content)))
                .unwrap()
        }
        None => message(
            StatusCode::NOT_FOUND,
            format!("Could not find the file {path} in container {id}"),
        ),
    }
}

fn create_network(engine: &FakeEngine, body: &[u8]) -> Response {
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return message(StatusCode::BAD_REQUEST, "invalid JSON body");
    };
    let Some(name) = request["Name"].as_str().map(str::to_owned) else {
        return message(StatusCode::BAD_REQUEST, "Name is required");
    };
    let mut inner = engine.lock();
    if inner.networks.contains_key(&name) {
        return message(StatusCode::CONFLICT, format!("network with name {name} already exists"));
    }
    let id = inner.fresh_id();
    inner.networks.insert(name, id.clone());
    json_response(StatusCode::CREATED, json!({"Id": id, "Warning": ""}))
}
