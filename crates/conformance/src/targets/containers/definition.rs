//! A container as plain data ([`ContainerDef`]: image, command, environment, ports, files), the
//! testcontainers request built from it, and the bounded steps that start it and wait for it.
//! The provider modules only build definitions, so what they ask for is unit-tested without an
//! engine.

use crate::targets::ContainerError;
use std::time::{Duration, Instant};
use testcontainers::bollard::Docker;
use testcontainers::bollard::query_parameters::{ListContainersOptionsBuilder, RemoveContainerOptionsBuilder};
use testcontainers::core::wait::LogWaitStrategy;
use testcontainers::core::{IntoContainerPort, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, ContainerRequest, CopyTargetOptions, GenericImage, Image, ImageExt};

/// How long pulling one image may take (only when the engine does not have it yet).
const PULL_TIMEOUT: Duration = Duration::from_secs(900);
/// Creating the container and copying its files, on top of its start-up budget.
const CREATE_GRACE: Duration = Duration::from_secs(60);
/// Label on every container a target starts, with this process's id as value.
pub(crate) const LABEL: &str = "org.idp-harness.conformance";
/// Label with a value unique to one [`start`], so a container it created can be found and
/// removed when starting fails before testcontainers hands out a handle.
pub(crate) const START_LABEL: &str = "org.idp-harness.conformance.start";
/// How long removing such a leftover may take.
const CLEANUP_TIMEOUT: Duration = Duration::from_secs(30);

/// A host port published on 127.0.0.1 only, forwarded to a container port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PortMap {
    /// The port on the host (loopback).
    pub(crate) host: u16,
    /// The port inside the container.
    pub(crate) container: u16,
}

/// A file copied into the container before it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileCopy {
    /// Absolute path in the container; missing directories are created (owned by root).
    pub(crate) path: String,
    /// The content.
    pub(crate) content: Vec<u8>,
    /// Unix permissions.
    pub(crate) mode: u32,
}

/// Everything one container is started with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContainerDef {
    /// Image name without the tag (`quay.io/keycloak/keycloak`).
    pub(crate) image: &'static str,
    /// Image tag (`26.7.3`).
    pub(crate) tag: &'static str,
    /// Container name (also its DNS name on a user-defined network).
    pub(crate) name: Option<String>,
    /// A user-defined network, created when missing and removed with its last container.
    pub(crate) network: Option<String>,
    /// Arguments replacing the image's `CMD`; empty keeps it.
    pub(crate) cmd: Vec<String>,
    /// Environment variables, in order.
    pub(crate) env: Vec<(String, String)>,
    /// Published ports.
    pub(crate) ports: Vec<PortMap>,
    /// Files copied in before start.
    pub(crate) files: Vec<FileCopy>,
    /// The user the main process runs as; the image's when `None`.
    pub(crate) user: Option<String>,
    /// A message the container must print on stderr (how many times) before it counts as
    /// started; readiness beyond that is checked over HTTP by the provider module.
    pub(crate) ready_log: Option<(String, usize)>,
    /// How long starting may take, readiness included.
    pub(crate) startup: Duration,
}

impl ContainerDef {
    /// A definition of `image:tag` with nothing else set.
    pub(crate) fn new(image: &'static str, tag: &'static str, startup: Duration) -> ContainerDef {
        ContainerDef {
            image,
            tag,
            name: None,
            network: None,
            cmd: Vec::new(),
            env: Vec::new(),
            ports: Vec::new(),
            files: Vec::new(),
            user: None,
            ready_log: None,
            startup,
        }
    }

    /// Adds environment variables.
    pub(crate) fn env<K: AsRef<str>, V: AsRef<str>>(mut self, vars: &[(K, V)]) -> ContainerDef {
        self.env.extend(
            vars.iter()
                .map(|(name, value)| (name.as_ref().to_owned(), value.as_ref().to_owned())),
        );
        self
    }

    /// The value of environment variable `name`.
    #[cfg(test)]
    pub(crate) fn env_var(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// `image:tag`.
    pub(crate) fn descriptor(&self) -> String {
        format!("{}:{}", self.image, self.tag)
    }

    /// The testcontainers request: ports published on 127.0.0.1 only, labelled with this
    /// process's id.
    pub(crate) fn request(&self) -> ContainerRequest<GenericImage> {
        let mut image = GenericImage::new(self.image, self.tag);
        if let Some((message, times)) = &self.ready_log {
            image = image.with_wait_for(WaitFor::log(LogWaitStrategy::stderr(message).with_times(*times)));
        }
        let mut request = image
            .with_startup_timeout(self.startup)
            .with_label(LABEL, std::process::id().to_string())
            .with_host_config_modifier(|host_config| {
                // testcontainers publishes on every interface; keep the targets on loopback.
                for bindings in host_config.port_bindings.iter_mut().flat_map(|map| map.values_mut()) {
                    for binding in bindings.iter_mut().flatten() {
                        binding.host_ip = Some("127.0.0.1".to_owned());
                    }
                }
            });
        if !self.cmd.is_empty() {
            request = request.with_cmd(&self.cmd);
        }
        for (name, value) in &self.env {
            request = request.with_env_var(name, value);
        }
        for port in &self.ports {
            request = request.with_mapped_port(port.host, port.container.tcp());
        }
        for file in &self.files {
            request = request.with_copy_to(
                CopyTargetOptions::new(file.path.clone()).with_mode(file.mode),
                file.content.clone(),
            );
        }
        if let Some(name) = &self.name {
            request = request.with_container_name(name);
        }
        if let Some(network) = &self.network {
            request = request.with_network(network);
        }
        if let Some(user) = &self.user {
            request = request.with_user(user);
        }
        request
    }
}

/// A port free on 127.0.0.1 now (bound, read, released); the caller publishes it at once.
pub(crate) fn free_port() -> Result<u16, ContainerError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(ContainerError::Port)?;
    listener
        .local_addr()
        .map(|address| address.port())
        .map_err(ContainerError::Port)
}

/// A suffix that keeps this run's container and network names apart from other runs' (the
/// process id and random bits, in case a crashed run with the same id left some behind).
pub(crate) fn unique_suffix() -> String {
    let mut random = [0_u8; 4];
    // Without randomness the process id still separates concurrent runs.
    let _ = aws_lc_rs::rand::fill(&mut random);
    let random: String = random.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("{}-{random}", std::process::id())
}

/// Prints a progress line on stderr.
pub(crate) fn progress(target: &str, message: impl std::fmt::Display) {
    eprintln!("{target}: {message}");
}

/// Starts `def`: pulls its image first when the engine lacks it (bounded by 15 minutes),
/// then creates, copies files into and starts the container (bounded by its start-up budget
/// plus a minute). When starting fails, the container is removed even where testcontainers
/// had not handed out its handle yet (the engine refused the start, copying failed, the
/// budget ran out mid-way): it is found by a label unique to this call.
pub(crate) async fn start(target: &str, def: &ContainerDef) -> Result<ContainerAsync<GenericImage>, ContainerError> {
    let descriptor = def.descriptor();
    let docker = testcontainers::core::client::docker_client_instance()
        .await
        .map_err(ContainerError::DockerClient)?;
    if docker.inspect_image(&descriptor).await.is_err() {
        progress(
            target,
            format_args!("pulling {descriptor} (once; up to {} min)", PULL_TIMEOUT.as_secs() / 60),
        );
        let _pulled = tokio::time::timeout(PULL_TIMEOUT, def.request().pull_image())
            .await
            .map_err(|_| ContainerError::PullTimeout {
                image: descriptor.clone(),
                seconds: PULL_TIMEOUT.as_secs(),
            })?
            .map_err(|source| ContainerError::Pull {
                image: descriptor.clone(),
                source,
            })?;
    }
    progress(target, format_args!("starting {descriptor}"));
    let start_label = unique_suffix();
    let request = def.request().with_label(START_LABEL, &start_label);
    let started = tokio::time::timeout(def.startup + CREATE_GRACE, request.start()).await;
    let failure = match started {
        Ok(Ok(container)) => return Ok(container),
        Ok(Err(source)) => ContainerError::Start {
            image: descriptor,
            source,
        },
        Err(_) => ContainerError::StartTimeout {
            image: descriptor,
            seconds: (def.startup + CREATE_GRACE).as_secs(),
        },
    };
    match remove_labelled(&docker, &start_label).await {
        Ok(()) => Err(failure),
        Err(cleanup) => Err(ContainerError::LeftBehind {
            failure: Box::new(failure),
            cleanup: Box::new(cleanup),
        }),
    }
}

/// Force-removes the containers carrying [`START_LABEL`] `value` (with their anonymous
/// volumes), bounded by 30 seconds; the error names what is left behind.
async fn remove_labelled(docker: &Docker, value: &str) -> Result<(), ContainerError> {
    let label = format!("{START_LABEL}={value}");
    let remove = async {
        let filters = std::collections::HashMap::from([("label".to_owned(), vec![label.clone()])]);
        let options = ListContainersOptionsBuilder::new().all(true).filters(&filters).build();
        let listed = docker
            .list_containers(Some(options))
            .await
            .map_err(|source| ContainerError::List {
                label: label.clone(),
                source,
            })?;
        for id in listed.into_iter().filter_map(|container| container.id) {
            let options = RemoveContainerOptionsBuilder::new().force(true).v(true).build();
            docker
                .remove_container(&id, Some(options))
                .await
                .map_err(|source| ContainerError::Remove { id: id.clone(), source })?;
        }
        Ok(())
    };
    tokio::time::timeout(CLEANUP_TIMEOUT, remove)
        .await
        .map_err(|_| ContainerError::RemoveTimeout {
            label: label.clone(),
            seconds: CLEANUP_TIMEOUT.as_secs(),
        })?
}

/// Polls `url` until it answers 2xx, the container stops, or `deadline` passes; the error
/// names the cause and ends with the container's last log lines, on one line.
pub(crate) async fn wait_http(
    client: &reqwest::Client,
    url: &str,
    container: &ContainerAsync<GenericImage>,
    started: Instant,
    budget: Duration,
) -> Result<(), ContainerError> {
    loop {
        if client
            .get(url)
            .send()
            .await
            .is_ok_and(|response| response.status().is_success())
        {
            return Ok(());
        }
        if matches!(container.is_running().await, Ok(false)) {
            let code = container.exit_code().await.ok().flatten();
            return Err(ContainerError::Exited {
                image: container.image().name().to_owned(),
                code,
                url: url.to_owned(),
                log: log_tail(container, 3).await,
            });
        }
        if started.elapsed() > budget {
            return Err(ContainerError::NotReady {
                image: container.image().name().to_owned(),
                seconds: budget.as_secs(),
                url: url.to_owned(),
                log: log_tail(container, 3).await,
            });
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// The last `lines` non-empty lines of the container's output, joined with ` | `.
pub(crate) async fn log_tail(container: &ContainerAsync<GenericImage>, lines: usize) -> String {
    let mut text = container.stdout_to_vec().await.unwrap_or_default();
    text.extend(container.stderr_to_vec().await.unwrap_or_default());
    tail(&String::from_utf8_lossy(&text), lines)
}

fn tail(text: &str, lines: usize) -> String {
    let mut last: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .rev()
        .take(lines)
        .collect();
    if last.is_empty() {
        return "(no output)".to_owned();
    }
    last.reverse();
    last.join(" | ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn free_ports_are_bindable_loopback_ports() {
        let port = free_port().unwrap();
        assert_ne!(port, 0);
        std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    }

    #[test]
    fn the_request_carries_the_definition() {
        let mut def =
            ContainerDef::new("example/image", "1.2.3", Duration::from_secs(5)).env(&[("A", "1"), ("B", "2")]);
        def.cmd = vec!["run".to_owned(), "--flag".to_owned()];
        def.name = Some("box".to_owned());
        def.network = Some("net".to_owned());
        def.ports.push(PortMap {
            host: 41000,
            container: 8080,
        });
        def.files.push(FileCopy {
            path: "/etc/x".to_owned(),
            content: b"x".to_vec(),
            mode: 0o644,
        });
        let request = def.request();
        assert_eq!(request.descriptor(), "example/image:1.2.3");
        let env: Vec<(String, String)> = request
            .env_vars()
            .map(|(key, value)| (key.into_owned(), value.into_owned()))
            .collect();
        assert_eq!(env, vec![("A".into(), "1".into()), ("B".into(), "2".into())]);
        assert_eq!(request.cmd().collect::<Vec<_>>(), ["run", "--flag"]);
        assert_eq!(request.container_name().as_deref(), Some("box"));
        assert_eq!(request.network().as_deref(), Some("net"));
        assert_eq!(request.ports().map(Vec::len), Some(1));
        assert_eq!(request.copy_to_sources().count(), 1);
        assert_eq!(
            request.labels().get(LABEL).map(String::as_str),
            Some(std::process::id().to_string().as_str())
        );
        assert_eq!(def.env_var("B"), Some("2"));
        assert_eq!(def.env_var("C"), None);
    }

    #[test]
    fn tails_and_one_liners() {
        assert_eq!(tail("a\n\nb\nc\n  \n", 2), "b | c");
        assert_eq!(tail("", 3), "(no output)");
        assert_eq!(
            crate::targets::container_error::one_line(&"cannot\n  connect:\tno"),
            "cannot connect: no"
        );
        let suffix = unique_suffix();
        assert!(suffix.starts_with(&std::process::id().to_string()), "{suffix}");
    }
}
