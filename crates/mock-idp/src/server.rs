//! [`MockIdp`]: start a mock provider in-process on a random loopback port, talk to it, drop it.

use crate::app::App;
use axum::Router;
use error::refused;
use providers::{Endpoint, Provider, World};
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

mod builder;
mod device_api;
mod error;
mod faults_api;
mod keys_api;
mod listen;
mod mint;
mod shape;
mod spec;
mod token_for;

pub use builder::MockIdpBuilder;
pub use error::{HttpError, MockIdpError, Refusal};
pub use keys_api::KeyInfo;
pub use listen::ConnectionLimits;
pub use spec::TokenSpec;
pub(crate) use token_for::RealGrants;
pub use token_for::TokenSet;

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
        self.app.mint(spec)
    }

    /// Makes `endpoint` (in every realm) misbehave as `fault` says until [`MockIdp::clear_fault`]
    /// (replacing the fault set by an earlier call). A fault out of bounds (see
    /// [`crate::FaultRule::validate`]) is logged and ignored; [`MockIdp::add_fault`] reports it,
    /// and also scopes a fault to a realm, once, N times or with a seeded probability.
    pub fn set_fault(&self, endpoint: Endpoint, fault: crate::Fault) {
        self.app.replace_fault(endpoint, fault);
    }

    /// Restores normal behaviour of `endpoint`: removes all its faults, in every realm.
    pub fn clear_fault(&self, endpoint: Endpoint) {
        self.app.remove_endpoint_faults(endpoint);
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
            self.app.rotate_realm_keys(realm, None)?;
        }
        Ok(())
    }
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
