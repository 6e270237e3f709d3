//! [`MockIdpBuilder`]: the provider, world, keys, clock and limits of a mock IdP, and its start paths.

use super::{MockIdp, MockIdpError, MockIdpInfo, listen};
use crate::app::App;
use crate::clock::{Clock, SystemClock};
use crate::config::{Config, KeySource, WorldSource};
use crate::endpoints;
use crate::keys::{KeyError, KeyMaterial, RealmKeys};
use axum::Router;
use providers::{Provider, World, WorldError};
use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Builds a [`MockIdp`].
#[derive(Debug, Default)]
pub struct MockIdpBuilder {
    config: Config,
    world: Option<World>,
    clock: Option<Arc<dyn Clock>>,
    listener: Option<TcpListener>,
}

impl MockIdpBuilder {
    /// The provider to imitate (default `generic`).
    pub fn provider(mut self, provider: Provider) -> MockIdpBuilder {
        self.config.provider = provider;
        self
    }

    /// Serves `world` instead of the default world.
    pub fn world(mut self, world: World) -> MockIdpBuilder {
        self.world = Some(world);
        self
    }

    /// Serves the world read from `path` when the server starts.
    pub fn world_file(mut self, path: impl Into<std::path::PathBuf>) -> MockIdpBuilder {
        self.config.world = Some(WorldSource::File(path.into()));
        self
    }

    /// Where signing keys come from (default: the embedded deterministic keys).
    pub fn keys(mut self, keys: KeySource) -> MockIdpBuilder {
        self.config.keys = keys;
        self
    }

    /// The clock for `iat`, `exp` and every expiry (e.g. a [`crate::ManualClock`]).
    pub fn clock(mut self, clock: impl Clock + 'static) -> MockIdpBuilder {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Auto-approves authorization requests whose `login_hint` names an enabled user.
    pub fn auto_approve(mut self, enabled: bool) -> MockIdpBuilder {
        self.config.auto_approve = enabled;
        self
    }

    /// Serves on this already bound socket instead of a random port of 127.0.0.1 (as wiremock's
    /// `MockServer::builder().listener()`), e.g. a port the test reserved before starting.
    pub fn listener(mut self, listener: TcpListener) -> MockIdpBuilder {
        self.listener = Some(listener);
        self
    }

    /// Uses `public_url` in issuers and endpoint URLs instead of `http://127.0.0.1:{port}`
    /// (e.g. behind a proxy or in a container).
    pub fn public_url(mut self, public_url: impl Into<String>) -> MockIdpBuilder {
        self.config.public_url = Some(public_url.into());
        self
    }

    /// Serves every endpoint under `path` (e.g. `/auth`, Keycloak's legacy context path).
    pub fn context_path(mut self, path: impl Into<String>) -> MockIdpBuilder {
        self.config.context_path = Some(path.into());
        self
    }

    /// How long a client may take to send a complete request head (request line and headers)
    /// before its connection is closed; default 10 s. See [`ConnectionLimits`].
    pub fn header_read_timeout(mut self, timeout: Duration) -> MockIdpBuilder {
        self.config.connections.header_read_timeout = timeout;
        self
    }

    /// How long a connection may stay open with no request in flight (e.g. a keep-alive
    /// connection after its response); default 5 s. See [`ConnectionLimits`].
    pub fn idle_timeout(mut self, timeout: Duration) -> MockIdpBuilder {
        self.config.connections.idle_timeout = timeout;
        self
    }

    /// How many connections are served at once; beyond it a new connection is answered 503
    /// and closed. Default 512. See [`ConnectionLimits`].
    pub fn max_connections(mut self, max: usize) -> MockIdpBuilder {
        self.config.connections.max_connections = max;
        self
    }

    /// Bounds the state store to `entries` entries (see [`Config::max_state_entries`]).
    pub fn max_state_entries(mut self, entries: usize) -> MockIdpBuilder {
        self.config.max_state_entries = Some(entries);
        self
    }

    /// How many requests the request log keeps (default 1000; see [`Config::request_log_entries`]).
    pub fn request_log_entries(mut self, entries: usize) -> MockIdpBuilder {
        self.config.request_log_entries = Some(entries);
        self
    }

    /// Admin API settings (see [`crate::AdminConfig`]); by default on for loopback binds.
    pub fn admin(mut self, admin: crate::AdminConfig) -> MockIdpBuilder {
        self.config.admin = admin;
        self
    }

    /// Requires `Authorization: Bearer {token}` on every admin request.
    pub fn admin_token(mut self, token: impl Into<String>) -> MockIdpBuilder {
        self.config.admin.token = Some(providers::Secret::new(token));
        self
    }

    /// Adds a standing mapping rule (see [`crate::shaping`]); rules apply in the order added.
    pub fn mapping(mut self, rule: crate::shaping::MappingRule) -> MockIdpBuilder {
        self.config.mappings.push(rule);
        self
    }

    /// Applies a whole [`Config`]; later builder calls override its fields.
    pub fn config(mut self, config: Config) -> MockIdpBuilder {
        self.config = config;
        self
    }

    /// Starts the server on the [`MockIdpBuilder::listener`] if one was given, else on a random port of 127.0.0.1.
    ///
    /// # Panics
    /// If the server cannot start (invalid world file, unreadable keys, no socket); use
    /// [`MockIdpBuilder::try_start`] to handle that as an error.
    pub async fn start(self) -> MockIdp {
        self.start_blocking()
    }

    /// Like [`MockIdpBuilder::start`], for tests without an async runtime.
    ///
    /// # Panics
    /// As [`MockIdpBuilder::start`].
    pub fn start_blocking(self) -> MockIdp {
        match self.try_start() {
            Ok(idp) => idp,
            Err(err) => panic!("mock-idp failed to start: {err}"),
        }
    }

    /// Starts the server on the [`MockIdpBuilder::listener`] if one was given, else on a random port of 127.0.0.1.
    ///
    /// # Errors
    /// [`MockIdpError`] when the world, the keys or the socket fail.
    pub fn try_start(mut self) -> Result<MockIdp, MockIdpError> {
        let listener = match self.listener.take() {
            Some(listener) => listener,
            None => TcpListener::bind(("127.0.0.1", 0))?,
        };
        self.serve_on(listener)
    }

    /// Serves on the current async runtime until `shutdown` resolves, for a process whose main
    /// job is the mock (the `mock-idp serve` command). `on_ready` is called once the socket is
    /// bound, with the address and the served issuers (realm, issuer).
    ///
    /// # Errors
    /// [`MockIdpError`] when the world, the keys or the socket fail.
    pub async fn serve_until(
        self,
        listener: tokio::net::TcpListener,
        on_ready: impl FnOnce(SocketAddr, &MockIdpInfo),
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), MockIdpError> {
        let address = listener.local_addr()?;
        let public_url = self.public_url_for(address);
        let limits = self.config.connections;
        let (app, router) = self.build(public_url, address)?;
        let info = MockIdpInfo { app: app.clone() };
        on_ready(address, &info);
        listen::serve(listener, router, limits, shutdown, limits.header_read_timeout).await;
        Ok(())
    }

    /// Prepares the application state and router without a socket.
    pub(crate) fn build(self, public_url: String, bound: SocketAddr) -> Result<(Arc<App>, Router), MockIdpError> {
        let access = self.config.admin.access(bound)?;
        let world = match (self.world, &self.config.world) {
            (Some(world), _) => world,
            (None, Some(source)) => source.load()?,
            (None, None) => default_world()?.clone(),
        };
        let mut keys = BTreeMap::new();
        for (name, realm) in &world.realms {
            let is_default = *name == world.default_realm;
            let realm_keys = match (&self.config.keys, is_default) {
                (KeySource::Embedded, true) => embedded_keys()?.clone(),
                (source, _) => RealmKeys::from_material(&source.material(name, is_default)?)?,
            };
            // A realm or client of the world that signs with PS256 gets its key now.
            keys.insert(name.clone(), realm_keys.fitted_for(realm, None)?);
        }
        let clock = self.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let log_capacity = self.config.request_log_entries;
        let mut app = App::new(
            self.config.provider,
            world,
            public_url,
            keys,
            clock,
            self.config.auto_approve,
            crate::state::Store::with_limit(
                self.config
                    .max_state_entries
                    .unwrap_or(crate::state::DEFAULT_MAX_ENTRIES),
            ),
        );
        if let Some(capacity) = log_capacity {
            app.request_log = crate::request_log::RequestLog::new(capacity);
        }
        let app = Arc::new(app);
        app.load_faults(self.config.faults)?;
        for rule in self.config.mappings {
            crate::shaping::known_names(
                &app,
                rule.realm.as_deref(),
                rule.when.client.as_deref(),
                rule.when.user.as_deref(),
            )?;
            app.shaping.add_rule(rule)?;
        }
        app.shaping.mark_loaded();
        let router = crate::admin::with_admin(
            app.clone(),
            endpoints::router(app.clone()),
            access,
            &endpoints::context_path(&app.public_url),
        );
        Ok((app, router))
    }

    /// The configured public URL, or the listener's address with the context path.
    fn public_url_for(&self, address: SocketAddr) -> String {
        self.config
            .public_url
            .clone()
            .unwrap_or_else(|| default_public_url(address, self.config.context_path.as_deref()))
    }

    /// Serves on an already bound listener, on a thread of its own.
    pub(crate) fn serve_on(self, listener: TcpListener) -> Result<MockIdp, MockIdpError> {
        let address = listener.local_addr()?;
        let public_url = self.public_url_for(address);
        let limits = self.config.connections;
        let (app, router) = self.build(public_url, address)?;
        listener.set_nonblocking(true)?;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = router.clone();
        let thread = std::thread::Builder::new()
            .name(format!("mock-idp-{}", address.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    let stopped = async {
                        let _ = stopped.await;
                    };
                    listen::serve(listener, serving, limits, stopped, Duration::from_secs(1)).await;
                });
            })?;
        Ok(MockIdp {
            app,
            router,
            address,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

/// `http://{address}{context_path}`, with the loopback address of the same family in place
/// of a wildcard address (0.0.0.0, ::) that no client can connect to.
fn default_public_url(address: SocketAddr, context_path: Option<&str>) -> String {
    let mut reachable = address;
    if address.ip().is_unspecified() {
        reachable.set_ip(match address {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    format!("http://{reachable}{}", context_path.unwrap_or(""))
}

fn default_world() -> Result<&'static World, MockIdpError> {
    static WORLD: OnceLock<Result<World, Arc<WorldError>>> = OnceLock::new();
    WORLD
        .get_or_init(|| World::default_world().map_err(Arc::new))
        .as_ref()
        .map_err(|err| MockIdpError::EmbeddedWorld(err.clone()))
}

fn embedded_keys() -> Result<&'static RealmKeys, MockIdpError> {
    static KEYS: OnceLock<Result<RealmKeys, Arc<KeyError>>> = OnceLock::new();
    KEYS.get_or_init(|| RealmKeys::from_material(&KeyMaterial::embedded()).map_err(Arc::new))
        .as_ref()
        .map_err(|err| MockIdpError::EmbeddedKeys(err.clone()))
}
