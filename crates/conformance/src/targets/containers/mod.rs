//! `container:<provider>` targets: a real provider started by testcontainers where a Docker
//! engine is reachable. Without one, the CLI prints one line and skips (design: skip honestly).

pub(crate) mod provision;

/// Whether a Docker engine answers: `DOCKER_HOST` (`tcp://` or `unix://`) when set, else the
/// default socket `/var/run/docker.sock`. Only a connection is attempted, nothing is sent.
pub fn docker_engine_reachable() -> bool {
    match std::env::var("DOCKER_HOST") {
        Ok(host) if host.starts_with("tcp://") => {
            let address = host.trim_start_matches("tcp://").trim_end_matches('/');
            std::net::TcpStream::connect(address).is_ok()
        }
        Ok(host) if host.starts_with("unix://") => unix_socket_answers(host.trim_start_matches("unix://")),
        _ => unix_socket_answers("/var/run/docker.sock"),
    }
}

#[cfg(unix)]
fn unix_socket_answers(path: &str) -> bool {
    std::os::unix::net::UnixStream::connect(path).is_ok()
}

#[cfg(not(unix))]
fn unix_socket_answers(_path: &str) -> bool {
    false
}
