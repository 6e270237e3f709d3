//! The `zitadel-oidc-ref` target: `reference/zitadel-op`, a small Go program on the `op` package
//! of `github.com/zitadel/oidc/v3` (ZITADEL's OIDC layer) serving one World realm, built with the
//! machine's `go` and started as a process; stopped when dropped.
//!
//! Steps: the program's sources are compiled into this binary (`SOURCES`); their SHA-256 names a
//! build directory in the cache (`$IDP_HARNESS_CACHE`, else `$XDG_CACHE_HOME/idp-harness`, else
//! `~/.cache/idp-harness`), where they are written and `go build` runs once (modules from the Go
//! module proxy; later runs reuse the binary). Each run starts it with `-port 0` and the World
//! file, reads the line `issuer <url>` it prints when it accepts connections, and on drop sends
//! SIGTERM (then SIGKILL after a grace period). Its standard input is a pipe held by this
//! process: if this process dies without dropping the target, the program sees the end of its
//! input and exits.

use super::keycloak_dist::cache_root;
use std::fmt;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The target's name on the command line.
pub(crate) const NAME: &str = "zitadel-oidc-ref";
/// How long a cold `go build` may take (module downloads included; about 70 s on 2 shared cores).
const BUILD_TIMEOUT: Duration = Duration::from_secs(600);
/// How long the built program may take to print its issuer.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long it may take to stop after SIGTERM before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// The program's sources, relative to `reference/zitadel-op/`. A test checks the list against
/// the directory.
const SOURCES: &[(&str, &str)] = &[
    ("go.mod", include_str!("../../../../reference/zitadel-op/go.mod")),
    ("go.sum", include_str!("../../../../reference/zitadel-op/go.sum")),
    ("client.go", include_str!("../../../../reference/zitadel-op/client.go")),
    ("login.go", include_str!("../../../../reference/zitadel-op/login.go")),
    ("main.go", include_str!("../../../../reference/zitadel-op/main.go")),
    (
        "requests.go",
        include_str!("../../../../reference/zitadel-op/requests.go"),
    ),
    (
        "storage.go",
        include_str!("../../../../reference/zitadel-op/storage.go"),
    ),
    ("world.go", include_str!("../../../../reference/zitadel-op/world.go")),
];

/// A running reference OP, stopped on drop.
pub(crate) struct ZitadelRef {
    child: Child,
    /// Held open so the program exits when this process goes away.
    _stdin: Option<ChildStdin>,
    issuer: String,
    log: PathBuf,
}

impl fmt::Debug for ZitadelRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZitadelRef")
            .field("pid", &self.child.id())
            .field("issuer", &self.issuer)
            .field("log", &self.log)
            .finish_non_exhaustive()
    }
}

/// Why the reference target could not be built or started. The messages are one line each,
/// except the two that quote a log.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RefError {
    /// A file operation failed (`action` is e.g. `create`, `write`, `move the build to`).
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
    /// The build log's handle could not be duplicated for stderr.
    #[error("build log: {0}")]
    BuildLog(#[source] std::io::Error),
    /// No `go` on `PATH`.
    #[error("`go` not found: {NAME} builds reference/zitadel-op with Go ≥ 1.21 (install golang)")]
    GoMissing,
    /// `go` could not be run or waited for.
    #[error("{context}: {source}")]
    Go {
        /// `cannot run go` or `waiting for go build`.
        context: &'static str,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The build ran past its time limit.
    #[error("go build did not finish within {secs} s; log {}", log.display())]
    BuildTimeout {
        /// The limit.
        secs: u64,
        /// The build log.
        log: PathBuf,
    },
    /// The build failed.
    #[error("go build failed ({status}); log {}:\n{tail}", log.display())]
    BuildFailed {
        /// `go build`'s exit status.
        status: ExitStatus,
        /// The build log.
        log: PathBuf,
        /// Its last lines.
        tail: String,
    },
    /// The built program could not be started.
    #[error("cannot start {}: {source}", binary.display())]
    Launch {
        /// The program.
        binary: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The program exited or printed no issuer in time.
    #[error("{} {why}; log {}:\n{tail}", binary.display(), log.display())]
    NotReady {
        /// The program.
        binary: PathBuf,
        /// `exited (…) before printing its issuer` or `printed no issuer within … s`.
        why: String,
        /// Its log.
        log: PathBuf,
        /// The log's last lines.
        tail: String,
    },
    /// The blocking start-up task panicked or was cancelled.
    #[error("start-up task: {0}")]
    Task(#[source] tokio::task::JoinError),
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> RefError {
    let path = path.to_path_buf();
    move |source| RefError::Io { action, path, source }
}

fn progress(message: impl fmt::Display) {
    eprintln!("{NAME}: {message}");
}

impl ZitadelRef {
    /// Builds (once per source version) and starts the program serving `realm` of the world
    /// file `world` (the default World when `None`), and waits for its issuer line.
    pub(crate) async fn start(world: Option<PathBuf>, realm: String) -> Result<ZitadelRef, RefError> {
        tokio::task::spawn_blocking(move || {
            let root = cache_root();
            let binary = build(&root)?;
            launch(&binary, world.as_deref(), &realm)
        })
        .await
        .map_err(RefError::Task)?
    }

    /// The issuer the program printed (`http://127.0.0.1:{port}`, no trailing slash).
    pub(crate) fn issuer(&self) -> &str {
        &self.issuer
    }

    fn stop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(Some(_)) | Err(_) => return,
                Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ZitadelRef {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The build directory's key for the compiled-in sources.
fn source_hash() -> String {
    hash_of(SOURCES)
}

/// The first 8 bytes of SHA-256 over the files' names, lengths and contents, in hex.
fn hash_of(sources: &[(&str, &str)]) -> String {
    let mut context = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    for (name, text) in sources {
        context.update(name.as_bytes());
        context.update(&[0]);
        context.update(&(text.len() as u64).to_be_bytes());
        context.update(text.as_bytes());
    }
    context
        .finish()
        .as_ref()
        .iter()
        .take(8)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The built program in `root`, building it the first time.
fn build(root: &Path) -> Result<PathBuf, RefError> {
    let dir = root.join(format!("zitadel-op-{}", source_hash()));
    let binary = dir.join("zitadel-op");
    if binary.is_file() {
        return Ok(binary);
    }
    let src = dir.join("src");
    fs::create_dir_all(&src).map_err(io("create", &src))?;
    for (name, text) in SOURCES {
        let path = src.join(name);
        fs::write(&path, text).map_err(io("write", &path))?;
    }
    let log = dir.join("build.log");
    let out = fs::File::create(&log).map_err(io("create", &log))?;
    let err_out = out.try_clone().map_err(RefError::BuildLog)?;
    // A name of its own per process, renamed into place: concurrent first runs do not clash.
    let staging = dir.join(format!("zitadel-op.{}", std::process::id()));
    let started = Instant::now();
    let mut child = Command::new("go")
        .args(["build", "-trimpath", "-o"])
        .arg(&staging)
        .arg(".")
        .current_dir(&src)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err_out)
        .spawn()
        .map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                RefError::GoMissing
            } else {
                RefError::Go {
                    context: "cannot run go",
                    source,
                }
            }
        })?;
    progress(format_args!(
        "building reference/zitadel-op with go into {} (first run: modules from the Go proxy, about a minute)",
        dir.display()
    ));
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > BUILD_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(RefError::BuildTimeout {
                    secs: BUILD_TIMEOUT.as_secs(),
                    log,
                });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(200)),
            Err(source) => {
                return Err(RefError::Go {
                    context: "waiting for go build",
                    source,
                });
            }
        }
    };
    if !status.success() {
        let _ = fs::remove_file(&staging);
        let tail = tail(&log, 15);
        return Err(RefError::BuildFailed { status, log, tail });
    }
    fs::rename(&staging, &binary).map_err(io("move the build to", &binary))?;
    progress(format_args!("built in {} s", started.elapsed().as_secs()));
    Ok(binary)
}

fn tail(path: &Path, lines: usize) -> String {
    let mut text = String::new();
    if let Ok(mut file) = fs::File::open(path) {
        let _ = file.read_to_string(&mut text);
    }
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Starts the program and waits for its `issuer` line.
fn launch(binary: &Path, world: Option<&Path>, realm: &str) -> Result<ZitadelRef, RefError> {
    let dir = binary.parent().unwrap_or(Path::new("."));
    let world = match world {
        Some(path) => path.to_path_buf(),
        None => {
            let path = dir.join(format!("default-world.{}.toml", std::process::id()));
            fs::write(&path, providers::world::DEFAULT_WORLD_TOML).map_err(io("write", &path))?;
            path
        }
    };
    let log = dir.join(format!("run.{}.log", std::process::id()));
    let err_out = fs::File::create(&log).map_err(io("create", &log))?;
    let mut child = Command::new(binary)
        .arg("-world")
        .arg(&world)
        .args(["-realm", realm, "-port", "0"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(err_out)
        .spawn()
        .map_err(|source| RefError::Launch {
            binary: binary.to_path_buf(),
            source,
        })?;
    let stdin = child.stdin.take();
    let (lines, issuer_line) = mpsc::channel();
    if let Some(stdout) = child.stdout.take() {
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if !sent && let Some(issuer) = line.strip_prefix("issuer ") {
                    sent = lines.send(issuer.trim().to_owned()).is_ok();
                }
            }
        });
    }
    let mut running = ZitadelRef {
        child,
        _stdin: stdin,
        issuer: String::new(),
        log,
    };
    let started = Instant::now();
    loop {
        match issuer_line.recv_timeout(Duration::from_millis(100)) {
            Ok(issuer) => {
                progress(format_args!("serving {issuer}; log {}", running.log.display()));
                running.issuer = issuer;
                return Ok(running);
            }
            Err(mpsc::RecvTimeoutError::Timeout) if started.elapsed() < READY_TIMEOUT => {}
            Err(reason) => {
                // A closed stdout means the process is exiting; the kernel closes its files
                // before its status can be collected, so give that a moment before calling it
                // alive (it was reported as "no issuer within 30 s" at once before).
                let mut exited = running.child.try_wait().ok().flatten();
                let waiting = Instant::now();
                while exited.is_none()
                    && reason == mpsc::RecvTimeoutError::Disconnected
                    && waiting.elapsed() < Duration::from_secs(5)
                {
                    std::thread::sleep(Duration::from_millis(10));
                    exited = running.child.try_wait().ok().flatten();
                }
                let log = running.log.clone();
                running.stop();
                let why = match exited {
                    Some(status) => format!("exited ({status}) before printing its issuer"),
                    None => format!("printed no issuer within {} s", READY_TIMEOUT.as_secs()),
                };
                let tail = tail(&log, 15);
                return Err(RefError::NotReady {
                    binary: binary.to_path_buf(),
                    why,
                    log,
                    tail,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_program_that_exits_at_once_is_a_typed_not_ready_naming_its_log() {
        let dir = std::env::temp_dir().join(format!("zitadel-ref-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let program = dir.join("exits");
        fs::write(&program, "#!/bin/sh\necho broken >&2\nexit 3\n").unwrap();
        let mut permissions = fs::metadata(&program).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
        fs::set_permissions(&program, permissions).unwrap();
        let err = launch(&program, None, "demo").err().unwrap();
        match &err {
            RefError::NotReady { why, tail, .. } => {
                assert!(why.starts_with("exited"), "{why}");
                assert!(tail.contains("broken"), "the log's tail is quoted: {tail}");
            }
            other => panic!("{other}"),
        }
        let missing = launch(&dir.join("absent"), None, "demo").err().unwrap();
        assert!(matches!(missing, RefError::Launch { .. }), "{missing}");
        assert!(std::error::Error::source(&missing).is_some());
        fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn every_source_file_of_the_program_is_compiled_in() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../reference/zitadel-op");
        let mut on_disk: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".go") || name == "go.mod" || name == "go.sum")
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = SOURCES.iter().map(|(name, _)| (*name).to_owned()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
    }

    #[test]
    fn the_known_differences_explain_only_zitadel_additions() {
        let known = crate::diff::KnownDifferences::parse(crate::diff::KNOWN_ZITADEL_OIDC_REF).unwrap();
        assert!(
            known
                .reason("introspection.active.body.urn:zitadel:iam:org:project:roles.admin.1")
                .is_some()
        );
        assert!(known.reason("id_token.claims.c_hash").is_some());
        // Library-level behaviour the mock must match stays unexplained.
        for path in [
            "token.code.body.refresh_token",
            "discovery.body.request_parameter_supported",
            "error.missing_grant_type.body.error_description",
            "discovery.body.issuer",
        ] {
            assert!(known.reason(path).is_none(), "{path}");
        }
    }

    /// Builds (cold: about a minute) and starts the program, reads its discovery, and checks
    /// that dropping the target stops the process. Run with `--ignored` where `go` is installed.
    #[tokio::test]
    #[ignore = "needs go; builds reference/zitadel-op"]
    async fn the_reference_op_starts_serves_discovery_and_stops_on_drop() {
        let running = ZitadelRef::start(None, "demo".to_owned()).await.unwrap();
        let issuer = running.issuer().to_owned();
        assert!(issuer.starts_with("http://127.0.0.1:"), "{issuer}");
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        let discovery: serde_json::Value = client
            .get(format!("{issuer}/.well-known/openid-configuration"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(discovery["issuer"], issuer.as_str());
        assert_eq!(discovery["token_endpoint"], format!("{issuer}/oauth/v2/token").as_str());
        let pid = running.child.id();
        drop(running);
        let alive = Command::new("kill")
            .args(["-0", &pid.to_string()])
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(!alive, "the reference OP (pid {pid}) outlived its target");
        assert!(client.get(&issuer).send().await.is_err(), "{issuer} still answers");
    }

    #[test]
    fn the_build_key_changes_with_any_source_byte_or_name() {
        let key = source_hash();
        assert_eq!(key.len(), 16);
        assert!(key.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(key, hash_of(SOURCES));
        let mut edited: Vec<(&str, String)> = SOURCES.iter().map(|(n, t)| (*n, (*t).to_owned())).collect();
        edited[2].1.push(' ');
        let edited: Vec<(&str, &str)> = edited.iter().map(|(n, t)| (*n, t.as_str())).collect();
        assert_ne!(hash_of(&edited), key);
        let mut renamed = SOURCES.to_vec();
        renamed[2].0 = "client2.go";
        assert_ne!(hash_of(&renamed), key);
        // Moving bytes between a name and its content is a different tree too.
        assert_ne!(hash_of(&[("ab", "c")]), hash_of(&[("a", "bc")]));
    }
}
