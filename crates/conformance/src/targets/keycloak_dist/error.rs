//! Why the `keycloak-dist` target could not be fetched or started.

use std::path::PathBuf;
use std::process::ExitStatus;

/// Why the real Keycloak of `keycloak-dist` could not be fetched, verified or started. The
/// messages are one line each, except the two that quote a log or Maven's output.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DistError {
    /// A file or directory operation failed (`action` is e.g. `create`, `wipe`, `read`).
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was tried.
        action: &'static str,
        /// On what.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The log file handle could not be duplicated for stderr.
    #[error("log: {0}")]
    Log(#[source] std::io::Error),
    /// The realm could not be serialised for import.
    #[error("realm export: {0}")]
    RealmExport(#[source] serde_json::Error),
    /// No loopback port could be bound.
    #[error("no free port: {0}")]
    NoFreePort(#[source] std::io::Error),
    /// The unpacked directory could not be moved into place.
    #[error("cannot move {} to {}: {source}", from.display(), to.display())]
    Move {
        /// The staging directory.
        from: PathBuf,
        /// The destination.
        to: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A tool the target needs is not on PATH.
    #[error("`{tool}` not found: keycloak-dist needs {tool} on PATH")]
    ToolMissing {
        /// The tool.
        tool: &'static str,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A tool could not be run.
    #[error("cannot run {tool}: {source}")]
    ToolFailed {
        /// The tool.
        tool: &'static str,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Maven is not installed.
    #[error("`mvn` not found: keycloak-dist downloads Keycloak from Maven Central with Maven (install maven)")]
    MvnMissing(#[source] std::io::Error),
    /// `mvn dependency:get` failed; `tail` is the end of its output.
    #[error("mvn dependency:get {artifact} failed ({status}):\n{tail}")]
    Mvn {
        /// The Maven coordinates.
        artifact: String,
        /// Maven's exit status.
        status: ExitStatus,
        /// The last lines of its output.
        tail: String,
    },
    /// Maven succeeded but the zip is not where it should be.
    #[error("mvn reported success but {} is missing (a custom local repository?)", zip.display())]
    MvnNoZip {
        /// Where the zip was expected.
        zip: PathBuf,
    },
    /// `unzip` failed.
    #[error("unzip {} failed ({status})", zip.display())]
    Unzip {
        /// The zip.
        zip: PathBuf,
        /// unzip's exit status.
        status: ExitStatus,
    },
    /// The zip's `.sha1` (which Maven keeps next to it) cannot be read: the zip is not verified
    /// and is not used.
    #[error("{} has no readable checksum {} ({source}): delete it and run again", zip.display(), sha1.display())]
    ChecksumMissing {
        /// The zip.
        zip: PathBuf,
        /// The checksum file.
        sha1: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The zip does not match its `.sha1`.
    #[error("{} has SHA-1 {actual}, expected {expected}: delete it and run again", zip.display())]
    ChecksumMismatch {
        /// The zip.
        zip: PathBuf,
        /// Its SHA-1.
        actual: String,
        /// The `.sha1` file's value.
        expected: String,
    },
    /// Another run holds the cache.
    #[error("another keycloak-dist run (pid {owner}) is using {}; wait for it or set IDP_HARNESS_CACHE", root.display())]
    Locked {
        /// The other run's pid.
        owner: String,
        /// The cache directory.
        root: PathBuf,
    },
    /// The lock could not be taken even after removing a stale one.
    #[error("cannot take {}", lock.display())]
    LockTaken {
        /// The lock directory.
        lock: PathBuf,
    },
    /// No suitable Java.
    #[error("Java not found: Keycloak {version} needs Java {min}+ (set JAVA_HOME or put java on PATH)")]
    JavaMissing {
        /// The Keycloak version.
        version: &'static str,
        /// The Java release it needs.
        min: u32,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The `java` on PATH is too old.
    #[error("Keycloak {version} needs Java {min}+, the java on PATH is {major} (set JAVA_HOME to a newer JDK)")]
    JavaTooOld {
        /// The Keycloak version.
        version: &'static str,
        /// The Java release it needs.
        min: u32,
        /// The release found.
        major: u32,
    },
    /// `java -version` printed no version this can read.
    #[error("cannot tell the version of the java on PATH: {0}")]
    JavaVersion(String),
    /// The HTTP client for the health probe could not be built.
    #[error("HTTP client: {0}")]
    HttpClient(#[source] reqwest::Error),
    /// The blocking start-up task panicked or was cancelled.
    #[error("start-up task: {0}")]
    Task(#[source] tokio::task::JoinError),
    /// Keycloak exited before it was ready.
    #[error("Keycloak exited ({status}) before it was ready; log {}:\n{tail}", log.display())]
    Exited {
        /// Its exit status.
        status: ExitStatus,
        /// Its log file.
        log: PathBuf,
        /// The last lines of the log.
        tail: String,
    },
    /// Keycloak was not ready in time (and was stopped).
    #[error("Keycloak was not ready after {secs} s ({health}); log {log}:\n{tail}")]
    NotReady {
        /// The timeout.
        secs: u64,
        /// The health URL probed.
        health: String,
        /// Its log file.
        log: String,
        /// The last lines of the log.
        tail: String,
    },
}

impl DistError {
    /// A file or directory operation on `path` failed.
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> DistError {
        let path = path.into();
        move |source| DistError::Io { action, path, source }
    }

    /// Running `tool` failed: missing from PATH, or another reason.
    pub(crate) fn tool(tool: &'static str) -> impl FnOnce(std::io::Error) -> DistError {
        move |source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                DistError::ToolMissing { tool, source }
            } else {
                DistError::ToolFailed { tool, source }
            }
        }
    }
}
