//! Targets: the provider instance checks talk to: `mock:<flavor>` in-process, `url:<issuer>`,
//! `keycloak-dist` (a real Keycloak started as a process), `zitadel-oidc-ref` (zitadel/oidc's
//! `op` package serving the World, `reference/zitadel-op`) and `container:<provider>`.

mod cast;
pub(crate) mod container_error;
#[cfg(feature = "containers")]
pub(crate) mod containers;
pub(crate) mod keycloak_dist;
mod spec;
pub(crate) mod zitadel_ref;

pub(crate) use cast::{ASSERTION_KID, Cast, secret};
pub use container_error::ContainerError;
#[cfg(feature = "containers")]
pub use containers::ProvisionError;
pub use keycloak_dist::DistError;
pub use spec::TargetSpec;
pub use zitadel_ref::RefError;

use crate::check::Capability;
use mock_idp::{Endpoint, ManualClock, MockIdp, Provider, World};
use providers::Realm;
use std::path::PathBuf;

/// Why a target could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// The target string is not `mock:<flavor>`, `url:<issuer>`, `keycloak-dist`,
    /// `zitadel-oidc-ref` or `container:<provider>`.
    #[error(
        "unknown target `{0}` (expected mock:<flavor>, url:<issuer>, keycloak-dist, zitadel-oidc-ref or container:<provider>)"
    )]
    Unknown(String),
    /// The flavor or provider name is unknown.
    #[error(transparent)]
    Provider(#[from] providers::UnknownProvider),
    /// The issuer URL is not an absolute http(s) URL.
    #[error("invalid issuer URL `{0}`")]
    Issuer(String),
    /// The world file is invalid.
    #[error(transparent)]
    World(#[from] providers::WorldError),
    /// The world has no such realm.
    #[error("the world has no realm `{0}`")]
    Realm(String),
    /// The in-process mock did not start.
    #[error("the mock did not start: {0}")]
    Mock(#[source] mock_idp::MockIdpError),
    /// The real Keycloak of `keycloak-dist` could not be fetched or started.
    #[error("keycloak-dist: {0}")]
    KeycloakDist(#[source] keycloak_dist::DistError),
    /// The reference OP of `zitadel-oidc-ref` could not be built or started.
    #[error("zitadel-oidc-ref: {0}")]
    ZitadelRef(#[source] zitadel_ref::RefError),
    /// A `container:<provider>` target could not be started or set up.
    #[error("{target}: {source}")]
    Container {
        /// The target, `container:<provider>`.
        target: String,
        /// Why (boxed: the largest cause would make every `TargetError` large).
        #[source]
        source: Box<ContainerError>,
    },
}

/// Where a target's World comes from and which provider a `url:` target is.
#[derive(Debug, Clone, Default)]
pub struct TargetOptions {
    /// The world file; the default world when `None`.
    pub world: Option<PathBuf>,
    /// The realm; the world's default realm when `None`.
    pub realm: Option<String>,
    /// The provider a `url:` target is (its known deviations are then expected); generic when `None`.
    pub provider: Option<Provider>,
}

/// Whether a target is the in-process mock or a real provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// `mock:<flavor>`.
    Mock,
    /// Anything else: failures of checks marked warn-on-real count as warnings.
    Real,
}

/// One running provider instance that checks run against.
#[derive(Debug)]
pub struct Target {
    name: String,
    provider: Provider,
    issuer: String,
    world: World,
    realm: String,
    /// A clock the checks may advance (the mock's own, shared with it).
    clock: Option<ManualClock>,
    /// What runs the provider, kept alive by the target; dropping the target stops it.
    backing: Backing,
    /// For a `url:` target without `--provider`: the provider recognised and why.
    detection: Option<String>,
}

/// What is behind a target; its [`TargetKind`] follows from it.
#[derive(Debug)]
enum Backing {
    /// The in-process mock.
    Mock(MockIdp),
    /// A provider at an issuer URL that something else runs.
    Url,
    /// The `keycloak-dist` process.
    Dist(#[expect(dead_code, reason = "held for its Drop, which stops Keycloak")] keycloak_dist::KeycloakDist),
    /// The `zitadel-oidc-ref` process.
    ZitadelRef(#[expect(dead_code, reason = "held for its Drop, which stops the process")] zitadel_ref::ZitadelRef),
    /// The containers of a `container:<provider>` target.
    #[cfg(feature = "containers")]
    Containers(containers::Running),
}

/// The provider `issuer`'s discovery document shows ([`providers::detect`]), and the line that
/// says so; generic, with the reason, when the document cannot be read.
async fn detect(issuer: &str) -> (Provider, Option<String>) {
    match crate::init::inspect(issuer).await {
        Ok(inspection) => {
            let detection = inspection.detection;
            let line = format!("detected {}: {}", detection.provider, detection.reason);
            (detection.provider, Some(line))
        }
        Err(err) => (Provider::Generic, Some(format!("taken as generic: {err}"))),
    }
}

/// A clock start far from the epoch and from today, so tokens are obviously test tokens.
const MOCK_CLOCK_START: u64 = 1_900_000_000;

impl Target {
    /// Sets up the target `spec` names.
    ///
    /// # Errors
    /// A [`TargetError`] naming what is wrong.
    pub async fn open(spec: &TargetSpec, options: &TargetOptions) -> Result<Target, TargetError> {
        let world = match &options.world {
            Some(path) => World::load(path)?,
            None => World::default_world()?,
        };
        match spec {
            TargetSpec::Mock(provider) => {
                let clock = ManualClock::at(MOCK_CLOCK_START);
                let idp = MockIdp::builder()
                    .provider(*provider)
                    .world(world)
                    .clock(clock.clone())
                    .auto_approve(true)
                    .try_start()
                    .map_err(TargetError::Mock)?;
                let mut target = Target::from_mock(idp);
                target.clock = Some(clock);
                if let Some(realm) = &options.realm {
                    target.set_realm(realm)?;
                }
                Ok(target)
            }
            TargetSpec::Url(issuer) => {
                let realm = options.realm.clone().unwrap_or_else(|| world.default_realm.clone());
                if world.realm(&realm).is_none() {
                    return Err(TargetError::Realm(realm));
                }
                let (provider, detection) = match options.provider {
                    Some(provider) => (provider, None),
                    None => detect(issuer).await,
                };
                Ok(Target {
                    name: spec.to_string(),
                    provider,
                    issuer: issuer.clone(),
                    world,
                    realm,
                    clock: None,
                    backing: Backing::Url,
                    detection,
                })
            }
            TargetSpec::KeycloakDist => {
                let realm = options.realm.clone().unwrap_or_else(|| world.default_realm.clone());
                let Some(definition) = world.realm(&realm) else {
                    return Err(TargetError::Realm(realm));
                };
                let dist = keycloak_dist::KeycloakDist::start(definition)
                    .await
                    .map_err(TargetError::KeycloakDist)?;
                Ok(Target {
                    name: spec.to_string(),
                    provider: Provider::Keycloak,
                    issuer: Provider::Keycloak
                        .site(&dist.base_url(), &realm, realm == world.default_realm)
                        .issuer(),
                    world,
                    realm,
                    clock: None,
                    backing: Backing::Dist(dist),
                    detection: None,
                })
            }
            TargetSpec::ZitadelRef => {
                let realm = options.realm.clone().unwrap_or_else(|| world.default_realm.clone());
                if world.realm(&realm).is_none() {
                    return Err(TargetError::Realm(realm));
                }
                let running = zitadel_ref::ZitadelRef::start(options.world.clone(), realm.clone())
                    .await
                    .map_err(TargetError::ZitadelRef)?;
                Ok(Target {
                    name: spec.to_string(),
                    provider: Provider::Zitadel,
                    issuer: running.issuer().to_owned(),
                    world,
                    realm,
                    clock: None,
                    backing: Backing::ZitadelRef(running),
                    detection: None,
                })
            }
            #[cfg(not(feature = "containers"))]
            TargetSpec::Container(_) => Err(TargetError::Container {
                target: spec.to_string(),
                source: Box::new(ContainerError::FeatureOff),
            }),
            #[cfg(feature = "containers")]
            TargetSpec::Container(provider) => {
                let realm = options.realm.clone().unwrap_or_else(|| world.default_realm.clone());
                let started = containers::start(*provider, &world, &realm, &containers::docker_host()).await?;
                Ok(Target {
                    name: spec.to_string(),
                    provider: *provider,
                    issuer: started.issuer,
                    world: started.world,
                    realm,
                    clock: None,
                    backing: Backing::Containers(started.running),
                    detection: None,
                })
            }
        }
    }

    /// A target over a mock the caller built (faults, worlds and clocks of its own); the
    /// mock should have `auto_approve(true)` so the headless login works.
    pub fn from_mock(idp: MockIdp) -> Target {
        let world = idp.world().clone();
        Target {
            name: format!("mock:{}", idp.provider()),
            provider: idp.provider(),
            issuer: idp.issuer(),
            realm: world.default_realm.clone(),
            world,
            clock: None,
            backing: Backing::Mock(idp),
            detection: None,
        }
    }

    /// A target at `issuer` for `provider`, with the clients and users of `world` (its default
    /// realm), treated as a real provider.
    pub fn url(issuer: impl Into<String>, provider: Provider, world: World) -> Target {
        let issuer = issuer.into();
        Target {
            name: format!("url:{issuer}"),
            provider,
            realm: world.default_realm.clone(),
            issuer,
            world,
            clock: None,
            backing: Backing::Url,
            detection: None,
        }
    }

    /// Uses a clock the caller shares with the mock (`MockIdpBuilder::clock`), so checks can
    /// expire codes without waiting.
    pub fn with_clock(mut self, clock: ManualClock) -> Target {
        self.clock = Some(clock);
        self
    }

    fn set_realm(&mut self, realm: &str) -> Result<(), TargetError> {
        if self.world.realm(realm).is_none() {
            return Err(TargetError::Realm(realm.to_owned()));
        }
        self.realm = realm.to_owned();
        if let Some(idp) = self.mock() {
            self.issuer = idp.issuer_of(realm);
        }
        Ok(())
    }

    /// The target's name (`mock:keycloak`, `url:https://…`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The provider whose known behaviour is expected.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// For a `url:` target opened without a provider: which provider its discovery document
    /// showed and why (`detected keycloak: …`), or why none was recognised.
    pub fn detection(&self) -> Option<&str> {
        self.detection.as_deref()
    }

    /// The issuer checks expect.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Mock or real.
    pub fn kind(&self) -> TargetKind {
        match self.backing {
            Backing::Mock(_) => TargetKind::Mock,
            Backing::Url | Backing::Dist(_) | Backing::ZitadelRef(_) => TargetKind::Real,
            #[cfg(feature = "containers")]
            Backing::Containers(_) => TargetKind::Real,
        }
    }

    /// The World the target is set up with.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// The realm checks use.
    pub fn realm_name(&self) -> &str {
        &self.realm
    }

    /// The in-process mock, for tests that inject faults.
    pub fn mock(&self) -> Option<&MockIdp> {
        match &self.backing {
            Backing::Mock(idp) => Some(idp),
            _ => None,
        }
    }

    /// Whether the target serves a self-signed certificate its clients must accept
    /// (`container:wso2`).
    pub(crate) fn accepts_invalid_certs(&self) -> bool {
        #[cfg(feature = "containers")]
        if let Backing::Containers(running) = &self.backing {
            return running.accepts_invalid_certs();
        }
        false
    }

    pub(crate) fn clock(&self) -> Option<&ManualClock> {
        self.clock.as_ref()
    }

    /// The discovery URL: `{issuer}/.well-known/openid-configuration` (OIDC Discovery §4).
    pub fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.issuer.trim_end_matches('/'))
    }

    /// Where `endpoint` is when discovery does not say (the mock's own layout).
    pub(crate) fn fallback_endpoint(&self, endpoint: Endpoint) -> Option<String> {
        let idp = self.mock()?;
        self.provider.route(endpoint)?;
        Some(idp.endpoint_of(&self.realm, endpoint))
    }

    pub(crate) fn realm(&self) -> Option<&Realm> {
        self.world.realm(&self.realm)
    }

    /// The clients and users checks act as.
    pub(crate) fn cast(&self) -> Cast<'_> {
        Cast::of(self.realm())
    }

    /// Which of `required` the target lacks.
    pub fn missing(&self, required: &[Capability]) -> Option<Capability> {
        let cast = self.cast();
        required
            .iter()
            .copied()
            .find(|capability| !cast.has(*capability, self.mock().is_some() && self.clock.is_some()))
    }
}
