//! `container:<provider>` targets: a real Keycloak, ZITADEL (with PostgreSQL) or WSO2 IS started
//! by testcontainers where a Docker engine is reachable, set up with the World, and removed
//! when the target is dropped (testcontainers removes a container when its handle drops; its
//! watchdog also removes them on SIGINT/SIGTERM/SIGQUIT). Without an engine the CLI prints one
//! line and skips (design: skip honestly). Published ports are bound to 127.0.0.1 only.
//!
//! The target must be dropped inside a Tokio runtime: removal runs on it.

mod definition;
mod engine;
mod keycloak;
pub(crate) mod provision;

pub use provision::ProvisionError;
mod wso2;
mod zitadel;

use super::{ContainerError, TargetError};
use mock_idp::{Provider, World};
use std::fmt;
use std::time::{Duration, Instant};
use testcontainers::{ContainerAsync, GenericImage};

/// The per-request timeout of the clients that wait for and set up a container.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long setting up the World through a provider's admin API may take.
const PROVISION_TIMEOUT: Duration = Duration::from_secs(120);

/// Whether a Docker engine answers: `DOCKER_HOST` (`unix://`, `tcp://`, `http://`) when set,
/// else the first existing socket where testcontainers looks (`/var/run/docker.sock`, then
/// the rootless and Docker Desktop sockets). Only a connection is attempted, nothing is sent.
pub fn docker_engine_reachable() -> bool {
    engine::probe(&engine::docker_host()).is_ok()
}

/// The engine address from the environment (`DOCKER_HOST` or the first existing socket).
pub(crate) fn docker_host() -> String {
    engine::docker_host()
}

/// The containers behind a `container:` target; dropping it stops and removes them.
pub(crate) struct Running {
    /// In stop order (an application before its database).
    containers: Vec<ContainerAsync<GenericImage>>,
    accepts_invalid_certs: bool,
}

impl fmt::Debug for Running {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Running")
            .field(
                "containers",
                &self.containers.iter().map(|c| c.id().to_owned()).collect::<Vec<_>>(),
            )
            .field("accepts_invalid_certs", &self.accepts_invalid_certs)
            .finish()
    }
}

impl Running {
    /// Whether the provider serves a self-signed certificate that clients must accept.
    pub(crate) fn accepts_invalid_certs(&self) -> bool {
        self.accepts_invalid_certs
    }
}

/// A started, set-up container target.
#[derive(Debug)]
pub(crate) struct Started {
    /// The containers, kept alive by the target.
    pub(crate) running: Running,
    /// The issuer checks expect.
    pub(crate) issuer: String,
    /// The World with the client ids and secrets the provider assigned (ZITADEL, WSO2) or as
    /// loaded (Keycloak imports them verbatim).
    pub(crate) world: World,
}

/// Starts `provider` with realm `realm` of `world` on the engine at `docker_host`, which must be
/// where testcontainers connects too (see [`docker_host`]); the engine is probed first, so an
/// unreachable one fails in about two seconds.
pub(crate) async fn start(
    provider: Provider,
    world: &World,
    realm: &str,
    docker_host: &str,
) -> Result<Started, TargetError> {
    let target = format!("container:{provider}");
    let fail = |source: ContainerError| TargetError::Container {
        target: target.clone(),
        source: Box::new(source),
    };
    let definition = world.realm(realm).ok_or_else(|| TargetError::Realm(realm.to_owned()))?;
    if !matches!(provider, Provider::Keycloak | Provider::Zitadel | Provider::Wso2) {
        return Err(fail(ContainerError::NoContainer));
    }
    engine::probe(docker_host).map_err(fail)?;
    let accepts_invalid_certs = provider == Provider::Wso2;
    let client = client(accepts_invalid_certs).map_err(fail)?;
    let started = match provider {
        Provider::Zitadel => {
            let started = zitadel::start(&target, &client).await.map_err(fail)?;
            let plan = providers::zitadel::setup::plan(definition);
            let auth = provision::AdminAuth::Bearer(started.pat.clone());
            let world = set_up(&target, &client, &started.issuer, &auth, &plan, world, realm)
                .await
                .map_err(fail)?;
            Started {
                running: Running {
                    containers: started.containers,
                    accepts_invalid_certs,
                },
                issuer: started.issuer,
                world,
            }
        }
        Provider::Wso2 => {
            let (container, port) = wso2::start(&target, &client).await.map_err(fail)?;
            let plan = providers::wso2::setup::plan(definition);
            let auth = provision::AdminAuth::Basic {
                user: "admin".to_owned(),
                password: "admin".to_owned(),
            };
            let world = set_up(&target, &client, &wso2::base_url(port), &auth, &plan, world, realm)
                .await
                .map_err(fail)?;
            Started {
                running: Running {
                    containers: vec![container],
                    accepts_invalid_certs,
                },
                issuer: wso2::issuer(port),
                world,
            }
        }
        _ => {
            let (container, issuer) = keycloak::start(&target, definition, &client).await.map_err(fail)?;
            Started {
                running: Running {
                    containers: vec![container],
                    accepts_invalid_certs,
                },
                issuer,
                world: world.clone(),
            }
        }
    };
    Ok(started)
}

/// The client that waits for and sets up a container: loopback only, so no proxy.
fn client(accepts_invalid_certs: bool) -> Result<reqwest::Client, ContainerError> {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(CLIENT_TIMEOUT)
        .danger_accept_invalid_certs(accepts_invalid_certs)
        .build()
        .map_err(ContainerError::HttpClient)
}

/// Runs `plan` against the admin API at `base_url` and returns `world` with the ids and
/// secrets the provider assigned, bounded by two minutes.
async fn set_up(
    target: &str,
    client: &reqwest::Client,
    base_url: &str,
    auth: &provision::AdminAuth,
    plan: &providers::setup::SetupPlan,
    world: &World,
    realm: &str,
) -> Result<World, ContainerError> {
    let started = Instant::now();
    let provisioned = tokio::time::timeout(PROVISION_TIMEOUT, provision::provision(client, base_url, auth, plan))
        .await
        .map_err(|_| ContainerError::SetupTimeout {
            seconds: PROVISION_TIMEOUT.as_secs(),
        })?
        .map_err(ContainerError::Setup)?;
    let world = provisioned.bind(world, realm, plan).map_err(ContainerError::Bind)?;
    definition::progress(
        target,
        format_args!(
            "World set up in {} s ({} steps)",
            started.elapsed().as_secs(),
            plan.steps.len()
        ),
    );
    Ok(world)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[tokio::test]
    async fn an_unreachable_engine_fails_fast_with_a_one_line_target_error() {
        let world = World::default_world().unwrap();
        let port = definition::free_port().unwrap();
        let host = format!("tcp://127.0.0.1:{port}");
        for provider in [Provider::Keycloak, Provider::Zitadel, Provider::Wso2] {
            let started = Instant::now();
            let err = start(provider, &world, &world.default_realm, &host).await.unwrap_err();
            assert!(started.elapsed() < Duration::from_secs(5), "{provider}: slow failure");
            let TargetError::Container { source, .. } = &err else {
                panic!("{provider}: unexpected error {err:?}");
            };
            assert!(matches!(**source, ContainerError::Unreachable { .. }), "{source:?}");
            let message = err.to_string();
            assert!(
                message.starts_with(&format!("container:{provider}: no Docker engine reachable at {host}")),
                "{message}"
            );
            assert!(!err.to_string().contains('\n'), "{err}");
        }
    }

    #[tokio::test]
    async fn unknown_realms_and_providers_without_a_container_are_refused_before_the_engine() {
        let world = World::default_world().unwrap();
        let host = "unix:///nonexistent/docker.sock";
        let err = start(Provider::Keycloak, &world, "nope", host).await.unwrap_err();
        assert!(
            matches!(err, TargetError::Realm(ref realm) if realm == "nope"),
            "{err:?}"
        );
        let err = start(Provider::AppId, &world, &world.default_realm, host)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, TargetError::Container { source, .. } if matches!(**source, ContainerError::NoContainer)),
            "{err:?}"
        );
        assert!(err.to_string().contains("no container for this provider"), "{err}");
    }

    #[tokio::test]
    async fn target_open_without_an_engine_is_a_container_error() {
        if docker_engine_reachable() {
            eprintln!("skipped: a Docker engine answers, Target::open would start containers");
            return;
        }
        let started = Instant::now();
        let spec = "container:zitadel".parse().unwrap();
        let err = crate::Target::open(&spec, &crate::TargetOptions::default())
            .await
            .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(matches!(err, TargetError::Container { .. }), "{err:?}");
        assert!(
            err.to_string()
                .starts_with("container:zitadel: no Docker engine reachable at "),
            "{err}"
        );
    }

    #[test]
    fn only_wso2_needs_invalid_certificates_accepted() {
        assert!(client(true).is_ok() && client(false).is_ok());
    }
}
