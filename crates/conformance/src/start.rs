//! `idp-conformance start keycloak-dist`: starts the real Keycloak exactly as the
//! `keycloak-dist` target does (`Target::open`), prints `issuer <url>` once it is ready and keeps
//! it running until SIGINT, SIGTERM or the end of standard input; dropping the target stops
//! Keycloak (its whole process group).

use crate::opt::StartArgs;
use conformance::{Target, TargetOptions, TargetSpec};
use std::fmt;
use std::future::Future;
use std::io::{Read as _, Write as _};
use std::process::ExitCode;
use tokio::sync::oneshot;

/// The target `start` runs, from its command-line spelling.
pub(crate) fn startable(text: &str) -> Result<TargetSpec, String> {
    let spec: TargetSpec = text.parse().map_err(|err: conformance::TargetError| err.to_string())?;
    match spec {
        TargetSpec::KeycloakDist => Ok(spec),
        other => Err(format!(
            "start runs keycloak-dist only, not `{other}` (the mock runs with `mock-idp serve`)"
        )),
    }
}

/// Why the provider is being stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// SIGTERM or SIGINT.
    Signal(&'static str),
    /// Standard input reached its end.
    EndOfInput,
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stop::Signal(name) => f.write_str(name),
            Stop::EndOfInput => f.write_str("end of standard input"),
        }
    }
}

/// Runs `idp-conformance start`.
pub(crate) fn start(args: StartArgs) -> Result<ExitCode, String> {
    let spec = startable(&args.target)?;
    let options = TargetOptions {
        world: args.world,
        realm: args.realm,
        provider: None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| format!("runtime: {err}"))?;
    let (target, why) = runtime.block_on(async {
        let stop = stop_requested(watch_stdin())?;
        tokio::pin!(stop);
        // A stop while Keycloak boots drops the half-started target, which stops it. `open`
        // first: its argument errors (world, realm) win over an input that is already closed.
        let target = tokio::select! {
            biased;
            target = Target::open(&spec, &options) => target.map_err(|err| err.to_string())?,
            why = &mut stop => return Err(format!("{why} before {spec} was ready")),
        };
        announce(target.issuer())?;
        let why = stop.await;
        Ok::<_, String>((target, why))
    })?;
    eprintln!("idp-conformance: {why}: stopping {}", target.name());
    drop(target);
    Ok(ExitCode::SUCCESS)
}

/// Prints `issuer <url>` on standard output, flushed.
fn announce(issuer: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "issuer {issuer}")
        .and_then(|()| out.flush())
        .map_err(|err| format!("cannot write the issuer line: {err}"))
}

/// A future that ends on SIGTERM, SIGINT or when `end_of_input` fires (a dropped sender means
/// standard input is not watched). The handlers are installed now, so a signal that arrives
/// before the future is polled is not lost.
fn stop_requested(end_of_input: oneshot::Receiver<()>) -> Result<impl Future<Output = Stop>, String> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).map_err(|err| format!("SIGTERM handler: {err}"))?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(|err| format!("SIGINT handler: {err}"))?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => Stop::Signal("SIGTERM"),
            _ = interrupt.recv() => Stop::Signal("SIGINT"),
            Ok(()) = end_of_input => Stop::EndOfInput,
        }
    })
}

/// Reads standard input on a thread of its own (left behind at exit) and fires once it ends.
/// A standard input that is `/dev/null` (a background job's in a script) is not watched: it
/// would end at once.
fn watch_stdin() -> oneshot::Receiver<()> {
    let (sender, receiver) = oneshot::channel();
    if stdin_is_dev_null() {
        return receiver;
    }
    let spawned = std::thread::Builder::new().name("stdin-watch".into()).spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buffer = [0u8; 4096];
        loop {
            match stdin.read(&mut buffer) {
                Ok(0) => break,
                Ok(_) => {}
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                // Unreadable (a directory, …): not watched.
                Err(_) => return,
            }
        }
        let _ = sender.send(());
    });
    if spawned.is_err() {
        eprintln!("idp-conformance: standard input is not watched (no thread)");
    }
    receiver
}

fn stdin_is_dev_null() -> bool {
    use std::os::fd::AsFd as _;
    let Ok(fd) = std::io::stdin().as_fd().try_clone_to_owned() else {
        return false;
    };
    let Ok(stdin) = std::fs::File::from(fd).metadata() else {
        return false;
    };
    std::fs::metadata("/dev/null").is_ok_and(|null| is_same_device(&stdin, &null))
}

/// Whether `file` is the character device `device`.
fn is_same_device(file: &std::fs::Metadata, device: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _};
    file.file_type().is_char_device() && device.file_type().is_char_device() && file.rdev() == device.rdev()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn only_keycloak_dist_starts() {
        assert_eq!(startable("keycloak-dist").unwrap(), TargetSpec::KeycloakDist);
        let err = startable("mock:keycloak").unwrap_err();
        assert!(err.contains("keycloak-dist only, not `mock:keycloak`"), "{err}");
        assert!(startable("url:http://127.0.0.1:9/demo").is_err());
        assert!(
            startable("container:keycloak")
                .unwrap_err()
                .contains("keycloak-dist only")
        );
        let err = startable("keycloak").unwrap_err();
        assert!(err.contains("unknown target `keycloak`"), "{err}");
        assert!(startable("mock:nope").unwrap_err().contains("unknown provider `nope`"));
    }

    #[test]
    fn dev_null_is_recognised() {
        let null = std::fs::metadata("/dev/null").unwrap();
        assert!(is_same_device(&null, &null));
        let file = std::fs::metadata(env!("CARGO_MANIFEST_DIR")).unwrap();
        assert!(!is_same_device(&file, &null));
        if let Ok(zero) = std::fs::metadata("/dev/zero") {
            assert!(!is_same_device(&zero, &null));
        }
    }

    #[test]
    fn stop_reasons_read_as_words() {
        assert_eq!(Stop::Signal("SIGTERM").to_string(), "SIGTERM");
        assert_eq!(Stop::EndOfInput.to_string(), "end of standard input");
    }
}
