//! The process side of `keycloak-dist`: the per-cache lock, free ports, process-group signals,
//! the watchdog that kills Keycloak when this process dies, and the log tail.

use super::{DistError, VERSION};
use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Sends `signal` to every process of the group `pgid` (`kill -SIG -- -pgid`).
pub(super) fn signal_group(signal: &str, pgid: u32) {
    let _ = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg("--")
        .arg(format!("-{pgid}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// A shell in Keycloak's process group that kills the group once this process is gone.
pub(super) fn spawn_watchdog(pgid: u32) -> Option<Child> {
    // No `--` before the negative pid: dash's `kill` refuses it.
    let script = r#"while kill -0 "$1" 2>/dev/null; do sleep 1; done; kill -KILL "-$2""#;
    Command::new("sh")
        .args(["-c", script, "keycloak-dist-watchdog"])
        .arg(std::process::id().to_string())
        .arg(pgid.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(i32::try_from(pgid).ok()?)
        .spawn()
        .ok()
}

/// One run at a time per cache (the distribution's `data/` is shared): a lock directory holding
/// the owner's pid; a lock whose owner is gone is taken over.
pub(super) fn take_lock(root: &Path) -> Result<PathBuf, DistError> {
    let lock = root.join(format!("keycloak-{VERSION}.lock"));
    for _ in 0..2 {
        match fs::create_dir(&lock) {
            Ok(()) => {
                let _ = fs::write(lock.join("pid"), std::process::id().to_string());
                return Ok(lock);
            }
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                let owner = fs::read_to_string(lock.join("pid")).unwrap_or_default();
                let owner = owner.trim();
                let alive = !owner.is_empty()
                    && Command::new("kill")
                        .args(["-0", owner])
                        .stderr(Stdio::null())
                        .status()
                        .is_ok_and(|status| status.success());
                if alive {
                    return Err(DistError::Locked {
                        owner: owner.to_owned(),
                        root: root.to_owned(),
                    });
                }
                let _ = fs::remove_dir_all(&lock);
            }
            Err(err) => return Err(DistError::io("create", &lock)(err)),
        }
    }
    Err(DistError::LockTaken { lock })
}

/// A free loopback port.
pub(super) fn free_port() -> Result<u16, DistError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(DistError::NoFreePort)?;
    listener
        .local_addr()
        .map(|address| address.port())
        .map_err(DistError::NoFreePort)
}

/// The last `lines` lines of the log at `path`.
pub(super) fn log_tail(path: &Path, lines: usize) -> String {
    let Ok(mut file) = fs::File::open(path) else {
        return String::from("(no log)");
    };
    let length = file.metadata().map(|meta| meta.len()).unwrap_or(0);
    let _ = file.seek(SeekFrom::Start(length.saturating_sub(64 * 1024)));
    let mut text = String::new();
    let mut bytes = Vec::new();
    if file.read_to_end(&mut bytes).is_ok() {
        text = String::from_utf8_lossy(&bytes).into_owned();
    }
    let tail: Vec<&str> = text.lines().rev().take(lines).collect();
    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn lock_is_exclusive_and_stale_locks_are_taken_over() {
        let root = std::env::temp_dir().join(format!("kc-dist-lock-{}", std::process::id()));
        fs::create_dir_all(&root).unwrap();
        let lock = take_lock(&root).unwrap();
        assert!(
            take_lock(&root)
                .unwrap_err()
                .to_string()
                .contains("another keycloak-dist run")
        );
        // A pid that cannot be alive.
        fs::write(lock.join("pid"), "4194304999").unwrap();
        take_lock(&root).unwrap();
        fs::remove_dir_all(&root).unwrap();
    }
}
