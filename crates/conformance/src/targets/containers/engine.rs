//! Which Docker engine container targets use and whether it answers, resolved the way
//! testcontainers resolves it (without its optional properties file): `DOCKER_HOST`, else the
//! first existing socket of `/var/run/docker.sock`, `$XDG_RUNTIME_DIR/.docker/run/docker.sock`,
//! `~/.docker/run/docker.sock`, `~/.docker/desktop/docker.sock`, else `/var/run/docker.sock`.

use crate::targets::ContainerError;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a connection to the engine may take before it counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// The default socket, also the answer when no candidate exists.
const DEFAULT_SOCKET: &str = "/var/run/docker.sock";

/// The engine address from the environment, as testcontainers will use it.
pub(crate) fn docker_host() -> String {
    let env = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
    let host = env("DOCKER_HOST").and_then(|value| value.into_string().ok());
    let home = env("HOME").map(PathBuf::from);
    let runtime = env("XDG_RUNTIME_DIR").map(PathBuf::from);
    resolve(host.as_deref(), &socket_candidates(runtime.as_deref(), home.as_deref()))
}

/// The sockets tried, in testcontainers' order, when `DOCKER_HOST` is unset.
fn socket_candidates(runtime_dir: Option<&Path>, home: Option<&Path>) -> Vec<PathBuf> {
    let mut candidates = vec![PathBuf::from(DEFAULT_SOCKET)];
    candidates.extend(runtime_dir.map(|dir| dir.join(".docker/run/docker.sock")));
    if let Some(home) = home {
        candidates.push(home.join(".docker/run/docker.sock"));
        candidates.push(home.join(".docker/desktop/docker.sock"));
    }
    candidates
}

/// `DOCKER_HOST` when set, else `unix://` and the first existing candidate socket.
fn resolve(docker_host: Option<&str>, candidates: &[PathBuf]) -> String {
    if let Some(host) = docker_host {
        return host.to_owned();
    }
    let socket = candidates
        .iter()
        .find(|path| path.exists())
        .map_or_else(|| DEFAULT_SOCKET.to_owned(), |path| path.display().to_string());
    format!("unix://{socket}")
}

/// Whether the engine at `host` (`unix://…`, `tcp://…`, `http://…`) accepts a connection within
/// two seconds. Nothing is sent; the reason is one line.
pub(crate) fn probe(host: &str) -> Result<(), ContainerError> {
    if let Some(path) = host.strip_prefix("unix://") {
        return probe_unix(path);
    }
    let Some(authority) = ["tcp://", "http://"]
        .iter()
        .find_map(|scheme| host.strip_prefix(scheme))
    else {
        return Err(ContainerError::UnsupportedHost(host.to_owned()));
    };
    let authority = authority.trim_end_matches('/');
    let addresses: Vec<SocketAddr> = authority
        .to_socket_addrs()
        .map_err(|source| ContainerError::Resolve {
            authority: authority.to_owned(),
            source,
        })?
        .collect();
    let mut last = (
        authority.to_owned(),
        std::io::Error::new(std::io::ErrorKind::AddrNotAvailable, "resolves to no address"),
    );
    for address in addresses {
        match TcpStream::connect_timeout(&address, CONNECT_TIMEOUT) {
            Ok(_) => return Ok(()),
            Err(err) => last = (address.to_string(), err),
        }
    }
    let (address, source) = last;
    Err(ContainerError::Unreachable {
        host: host.to_owned(),
        address,
        source,
    })
}

#[cfg(unix)]
fn probe_unix(path: &str) -> Result<(), ContainerError> {
    std::os::unix::net::UnixStream::connect(path)
        .map(drop)
        .map_err(|source| ContainerError::Unreachable {
            host: format!("unix://{path}"),
            address: path.to_owned(),
            source,
        })
}

#[cfg(not(unix))]
fn probe_unix(path: &str) -> Result<(), ContainerError> {
    Err(ContainerError::UnsupportedHost(format!("unix://{path}")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::time::Instant;

    #[test]
    fn docker_host_wins_then_the_first_existing_socket() {
        let dir = std::env::temp_dir().join(format!("tc-engine-{}", std::process::id()));
        let desktop = dir.join("home/.docker/desktop");
        std::fs::create_dir_all(&desktop).unwrap();
        std::fs::write(desktop.join("docker.sock"), "").unwrap();
        let home = dir.join("home");
        let runtime = dir.join("run");
        let mut candidates = socket_candidates(Some(&runtime), Some(&home));
        // The first candidate is the system socket; drop it so the test does not depend on
        // the machine it runs on.
        candidates.remove(0);
        assert_eq!(
            resolve(Some("tcp://127.0.0.1:2375"), &candidates),
            "tcp://127.0.0.1:2375"
        );
        assert_eq!(
            resolve(None, &candidates),
            format!("unix://{}", desktop.join("docker.sock").display())
        );
        assert_eq!(resolve(None, &[]), "unix:///var/run/docker.sock");
        assert_eq!(
            socket_candidates(Some(&runtime), Some(&home)),
            vec![
                PathBuf::from("/var/run/docker.sock"),
                runtime.join(".docker/run/docker.sock"),
                home.join(".docker/run/docker.sock"),
                home.join(".docker/desktop/docker.sock"),
            ]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_closed_port_or_a_missing_socket_fails_fast_with_one_line() {
        let port = super::super::definition::free_port().unwrap();
        let started = Instant::now();
        let err = probe(&format!("tcp://127.0.0.1:{port}")).unwrap_err();
        assert!(matches!(err, ContainerError::Unreachable { .. }), "{err:?}");
        let err = err.to_string();
        assert!(
            err.starts_with("no Docker engine reachable at tcp://127.0.0.1:"),
            "{err}"
        );
        assert!(!err.contains('\n'));
        let err = probe("unix:///nonexistent/docker.sock").unwrap_err().to_string();
        assert!(err.contains("unix:///nonexistent/docker.sock"), "{err}");
        let err = probe("ssh://somewhere").unwrap_err();
        assert!(matches!(err, ContainerError::UnsupportedHost(_)), "{err:?}");
        assert!(err.to_string().contains("unsupported DOCKER_HOST"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn a_listening_port_answers() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        probe(&format!("tcp://127.0.0.1:{port}/")).unwrap();
        probe(&format!("http://127.0.0.1:{port}")).unwrap();
    }
}
