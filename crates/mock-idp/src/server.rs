//! [`MockIdp`]: start a mock provider in-process on a random loopback port, talk to it, drop it.

use crate::app::App;
use crate::clock::{Clock, SystemClock};
use crate::config::{Config, KeySource, WorldSource};
use crate::endpoints;
use crate::error::OAuthError;
use crate::keys::{KeyError, KeyMaterial, RealmKeys};
use crate::tokens::{Overrides, Subject};
use axum::Router;
use providers::{Endpoint, Provider, World, WorldError};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

mod listen;
mod shape;
mod token_for;

pub use listen::ConnectionLimits;

pub use token_for::TokenSet;

/// Why a mock IdP could not start or could not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MockIdpError {
    /// The world file is unreadable or invalid.
    #[error(transparent)]
    World(#[from] WorldError),
    /// A signing key could not be loaded, generated or used.
    #[error(transparent)]
    Keys(#[from] KeyError),
    /// The listening socket or the server thread could not be set up.
    #[error("cannot start the server: {0}")]
    Io(#[from] std::io::Error),
    /// No realm has this name.
    #[error("unknown realm `{0}`")]
    UnknownRealm(String),
    /// No user has this username in the realm.
    #[error("unknown user `{0}`")]
    UnknownUser(String),
    /// No client has this `client_id` in the realm.
    #[error("unknown client `{0}`")]
    UnknownClient(String),
    /// A claim shape or mapping rule was refused.
    #[error(transparent)]
    Shaping(#[from] crate::shaping::ShapingError),
    /// The admin settings cannot be used with the bind address.
    #[error(transparent)]
    Admin(#[from] crate::AdminConfigError),
    /// The provider refused a request (`token_for`, `mint`).
    #[error("the mock refused the request: {0}")]
    Refused(String),
}

/// What [`MockIdp::mint`] signs: a user's or a service account's access token.
#[derive(Debug, Clone, Default)]
pub struct TokenSpec {
    realm: Option<String>,
    client: Option<String>,
    user: Option<String>,
    scopes: Option<Vec<String>>,
    lifetime: Option<u64>,
    claims: Map<String, Value>,
}

impl TokenSpec {
    /// A token for `username`. Without [`TokenSpec::client`], the client is the first
    /// confidential client (by id) allowed a user grant.
    pub fn user(username: impl Into<String>) -> TokenSpec {
        TokenSpec {
            user: Some(username.into()),
            ..TokenSpec::default()
        }
    }

    /// A service-account token for `client_id` (as `client_credentials` would issue).
    pub fn client(client_id: impl Into<String>) -> TokenSpec {
        TokenSpec {
            client: Some(client_id.into()),
            ..TokenSpec::default()
        }
    }

    /// The client the token is issued to.
    pub fn for_client(mut self, client_id: impl Into<String>) -> TokenSpec {
        self.client = Some(client_id.into());
        self
    }

    /// The realm; the world's default realm otherwise.
    pub fn realm(mut self, realm: impl Into<String>) -> TokenSpec {
        self.realm = Some(realm.into());
        self
    }

    /// Space-separated scopes, taken as given (not checked against the client). Without it,
    /// the client's default scopes.
    pub fn scope(mut self, scope: &str) -> TokenSpec {
        self.scopes = Some(scope.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect());
        self
    }

    /// Lifetime in seconds; the realm's access-token lifetime otherwise. Zero mints an
    /// already-expired token.
    pub fn expires_in(mut self, seconds: u64) -> TokenSpec {
        self.lifetime = Some(seconds);
        self
    }

    /// Sets or overrides one claim.
    pub fn claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> TokenSpec {
        self.claims.insert(name.into(), value.into());
        self
    }
}

/// Builds a [`MockIdp`].
#[derive(Debug, Default)]
pub struct MockIdpBuilder {
    config: Config,
    world: Option<World>,
    clock: Option<Arc<dyn Clock>>,
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

    /// Adds a standing mapping rule (see [`crate::shaping`]); rules apply in the order added.
    pub fn mapping(mut self, rule: crate::shaping::MappingRule) -> MockIdpBuilder {
        self.config.mappings.push(rule);
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

    /// Applies a whole [`Config`]; later builder calls override its fields.
    pub fn config(mut self, config: Config) -> MockIdpBuilder {
        self.config = config;
        self
    }

    /// Starts the server on a random port of 127.0.0.1.
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

    /// Starts the server on a random port of 127.0.0.1.
    ///
    /// # Errors
    /// [`MockIdpError`] when the world, the keys or the socket fail.
    pub fn try_start(self) -> Result<MockIdp, MockIdpError> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
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
        let public_url = self
            .config
            .public_url
            .clone()
            .unwrap_or_else(|| default_public_url(address, self.config.context_path.as_deref()));
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
        for name in world.realms.keys() {
            let is_default = *name == world.default_realm;
            let realm_keys = match (&self.config.keys, is_default) {
                (KeySource::Embedded, true) => embedded_keys()?.clone(),
                (source, _) => RealmKeys::from_material(&source.material(name, is_default)?)?,
            };
            keys.insert(name.clone(), realm_keys);
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
        for rule in self.config.mappings {
            shape::known_names(
                app.world(),
                rule.realm.as_deref(),
                rule.when.client.as_deref(),
                rule.when.user.as_deref(),
            )?;
            app.shaping.add_rule(rule)?;
        }
        let app = Arc::new(app);
        let router = crate::admin::with_admin(
            app.clone(),
            endpoints::router(app.clone()),
            access,
            &endpoints::context_path(&app.public_url),
        );
        Ok((app, router))
    }

    /// Serves on an already bound listener, on a thread of its own.
    pub(crate) fn serve_on(self, listener: TcpListener) -> Result<MockIdp, MockIdpError> {
        let address = listener.local_addr()?;
        let public_url = self
            .config
            .public_url
            .clone()
            .unwrap_or_else(|| default_public_url(address, self.config.context_path.as_deref()));
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
    static WORLD: OnceLock<Result<World, String>> = OnceLock::new();
    WORLD
        .get_or_init(|| World::default_world().map_err(|err| err.to_string()))
        .as_ref()
        .map_err(|err| MockIdpError::Refused(err.clone()))
}

fn embedded_keys() -> Result<&'static RealmKeys, MockIdpError> {
    static KEYS: OnceLock<Result<RealmKeys, String>> = OnceLock::new();
    KEYS.get_or_init(|| RealmKeys::from_material(&KeyMaterial::embedded()).map_err(|err| err.to_string()))
        .as_ref()
        .map_err(|err| MockIdpError::Refused(err.clone()))
}

/// What a server started with [`MockIdpBuilder::serve_until`] serves.
#[derive(Debug)]
pub struct MockIdpInfo {
    app: Arc<App>,
}

impl MockIdpInfo {
    /// `(realm, issuer, discovery URL)` of every realm, the default realm first.
    pub fn realms(&self) -> Vec<(String, String, String)> {
        let world = self.app.world();
        let mut names: Vec<&String> = world.realms.keys().collect();
        names.sort_by_key(|name| **name != world.default_realm);
        names
            .into_iter()
            .map(|name| {
                let site = self.app.site(name);
                (
                    name.clone(),
                    site.issuer(),
                    site.url(Endpoint::Discovery).unwrap_or_default(),
                )
            })
            .collect()
    }
}

/// A running mock identity provider. Dropping it stops the server and frees the port.
///
/// ```
/// # async fn demo() {
/// let idp = mock_idp::MockIdp::start().await;
/// assert!(idp.issuer().ends_with("/demo"));
/// let token = idp.mint(mock_idp::TokenSpec::user("alice").scope("openid read:messages")).unwrap();
/// assert_eq!(token.split('.').count(), 3);
/// # }
/// ```
#[derive(Debug)]
pub struct MockIdp {
    app: Arc<App>,
    router: Router,
    address: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl MockIdp {
    /// Starts the default world, generic provider, embedded keys, on a random loopback port.
    ///
    /// # Panics
    /// If the server cannot start; see [`MockIdpBuilder::try_start`].
    pub async fn start() -> MockIdp {
        MockIdp::builder().start().await
    }

    /// Like [`MockIdp::start`], for tests without an async runtime.
    ///
    /// # Panics
    /// If the server cannot start.
    pub fn start_blocking() -> MockIdp {
        MockIdp::builder().start_blocking()
    }

    /// A builder for world, provider, keys, clock and options.
    pub fn builder() -> MockIdpBuilder {
        MockIdpBuilder::default()
    }

    /// The socket address the server listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The base URL (`http://127.0.0.1:{port}` unless a public URL was set).
    pub fn uri(&self) -> &str {
        &self.app.public_url
    }

    /// The provider being imitated.
    pub fn provider(&self) -> Provider {
        self.app.provider
    }

    /// The world being served.
    pub fn world(&self) -> &World {
        self.app.world()
    }

    /// The issuer of the default realm.
    pub fn issuer(&self) -> String {
        self.issuer_of(self.app.default_realm())
    }

    /// The issuer of `realm`.
    pub fn issuer_of(&self, realm: &str) -> String {
        self.app.site(realm).issuer()
    }

    /// The discovery URL of the default realm.
    pub fn discovery_url(&self) -> String {
        self.endpoint(Endpoint::Discovery)
    }

    /// The URL of `endpoint` in the default realm.
    pub fn endpoint(&self, endpoint: Endpoint) -> String {
        self.endpoint_of(self.app.default_realm(), endpoint)
    }

    /// The URL of `endpoint` in `realm`; empty when the provider does not serve that endpoint
    /// (see [`Provider::route`]).
    pub fn endpoint_of(&self, realm: &str, endpoint: Endpoint) -> String {
        self.app.site(realm).url(endpoint).unwrap_or_default()
    }

    /// Test control (clock, reset, …), as the admin API offers it over HTTP.
    pub fn admin(&self) -> crate::Admin<'_> {
        crate::Admin { app: &self.app }
    }

    /// The mock's controllable clock (shorthand for `admin().clock()`).
    pub fn clock(&self) -> crate::MockClock {
        self.app.clock.clone()
    }

    /// Back to the world as loaded (shorthand for `admin().reset()`).
    pub fn reset(&self) {
        self.admin().reset();
    }

    /// Signs an access token without HTTP, shaped exactly as the token endpoint shapes it.
    ///
    /// # Errors
    /// [`MockIdpError`] for an unknown realm, user or client, or a signing failure.
    pub fn mint(&self, spec: TokenSpec) -> Result<String, MockIdpError> {
        let realm_name = spec.realm.as_deref().unwrap_or(self.app.default_realm());
        let cx = self
            .app
            .realm(realm_name)
            .map_err(|_| MockIdpError::UnknownRealm(realm_name.to_owned()))?;
        let user = match &spec.user {
            Some(name) => Some(
                cx.realm
                    .user(name)
                    .ok_or_else(|| MockIdpError::UnknownUser(name.clone()))?,
            ),
            None => None,
        };
        let client = match &spec.client {
            Some(id) => cx
                .realm
                .client(id)
                .ok_or_else(|| MockIdpError::UnknownClient(id.clone()))?,
            None => cx
                .realm
                .clients
                .values()
                .find(|client| {
                    client.is_confidential()
                        && (client.allows(providers::GrantType::AuthorizationCode)
                            || client.allows(providers::GrantType::Password))
                })
                .ok_or_else(|| MockIdpError::UnknownClient("(a confidential client with a user grant)".into()))?,
        };
        let subject = Subject {
            client,
            user,
            scopes: spec.scopes.clone().unwrap_or_else(|| client.default_scopes.clone()),
            auth_time: user.map(|_| cx.now()),
            session_id: None,
            nonce: None,
            grant: None,
            login: None,
        };
        let overrides = Overrides {
            lifetime: spec.lifetime,
            claims: spec.claims,
            shape: None,
        };
        cx.access_token(&subject, None, &overrides)
            .map(|(token, _)| token)
            .map_err(refused)
    }

    /// Makes `endpoint` (in every realm) misbehave as `fault` says until [`MockIdp::clear_fault`].
    pub fn set_fault(&self, endpoint: Endpoint, fault: crate::Fault) {
        self.app.faults.set(endpoint, Some(fault));
    }

    /// Restores normal behaviour of `endpoint`.
    pub fn clear_fault(&self, endpoint: Endpoint) {
        self.app.faults.set(endpoint, None);
    }

    /// How many requests `endpoint` has received (all realms; the login form counts as
    /// `Authorize`, RFC 8414 metadata as `Discovery`).
    pub fn hits(&self, endpoint: Endpoint) -> u64 {
        self.app.faults.hits(endpoint)
    }

    /// Rotates the signing keys of every realm to fresh ones; the previous keys stay in the
    /// JWK set so tokens signed before the rotation still verify.
    ///
    /// # Errors
    /// [`MockIdpError::Keys`] if key generation fails.
    pub fn rotate_keys(&self) -> Result<(), MockIdpError> {
        for realm in self.app.realms.keys() {
            self.app.rotate_keys(realm, &KeyMaterial::generate()?)?;
        }
        Ok(())
    }
}

fn refused(err: OAuthError) -> MockIdpError {
    MockIdpError::Refused(err.detail)
}

impl Drop for MockIdp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            // The server thread only runs the serve loop; a failure there is not ours to raise
            // while dropping (and must not panic during another panic).
            let _ = thread.join();
        }
    }
}
