//! `container:<provider>` targets end to end against a fake Docker engine (`engine.rs`): the
//! real testcontainers/bollard code creates, copies into, starts, inspects, reads the logs of
//! and removes "containers" whose stand-ins are in-process mocks.
//!
//! testcontainers reads `DOCKER_HOST` from the process environment (its client is a process
//! global, and it holds no `~/.testcontainers.properties` support without its
//! `properties-config` feature, which is off), and setting environment variables is `unsafe`
//! here. So this test binary has no libtest harness: run without [`CHILD`], it re-runs
//! itself with `DOCKER_HOST=unix://<temp dir>/docker.sock`, `HOME` and `DOCKER_CONFIG` in that
//! directory and the Docker/testcontainers/proxy variables removed, and waits (bounded) for
//! it; the child serves the fake engine on that socket and runs the scenarios one at a time
//! (they share the engine and testcontainers' global client) on one multi-threaded runtime,
//! which testcontainers' drop (`block_in_place`) needs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod engine;
mod scenarios;
mod standins;
mod tar;
mod zitadel_admin;

use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

/// Set (to the socket path) in the child that serves the engine and runs the scenarios.
const CHILD: &str = "IDP_HARNESS_FAKE_DOCKER_SOCKET";
/// How long the child may take as a whole.
const WHOLE_RUN: Duration = Duration::from_secs(150);
/// How long one scenario may take.
const PER_SCENARIO: Duration = Duration::from_secs(45);

/// The libtest-like options this harness understands; others are ignored.
#[derive(Debug, Default)]
struct Options {
    list: bool,
    ignored: bool,
    exact: bool,
    filters: Vec<String>,
    skip: Vec<String>,
}

impl Options {
    fn parse(args: &[String]) -> Options {
        let mut options = Options::default();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--list" => options.list = true,
                "--ignored" => options.ignored = true,
                "--exact" => options.exact = true,
                "--skip" => options.skip.extend(args.next().cloned()),
                "--test-threads" | "--format" | "--color" | "--logfile" | "-Z" | "--shuffle-seed" => {
                    args.next();
                }
                flag if flag.starts_with('-') => {}
                filter => options.filters.push(filter.to_owned()),
            }
        }
        options
    }

    fn selects(&self, name: &str) -> bool {
        let matches = |pattern: &String| {
            if self.exact {
                name == pattern
            } else {
                name.contains(pattern.as_str())
            }
        };
        !self.ignored
            && (self.filters.is_empty() || self.filters.iter().any(matches))
            && !self.skip.iter().any(|skip| name.contains(skip.as_str()))
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = Options::parse(&args);
    if options.list {
        for (name, _) in scenarios::ALL {
            println!("{name}: test");
        }
        return ExitCode::SUCCESS;
    }
    match std::env::var_os(CHILD) {
        None => parent(&args),
        Some(socket) => child(PathBuf::from(socket), &options),
    }
}

/// Re-runs this binary with the fake engine's `DOCKER_HOST` and waits for it.
fn parent(args: &[String]) -> ExitCode {
    let dir = std::env::temp_dir().join(format!("idp-fake-docker-{}", std::process::id()));
    std::fs::create_dir_all(dir.join(".docker")).unwrap();
    let socket = dir.join("docker.sock");
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(args)
        .env(CHILD, &socket)
        .env("DOCKER_HOST", format!("unix://{}", socket.display()))
        .env("HOME", &dir)
        .env("DOCKER_CONFIG", dir.join(".docker"))
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost");
    for var in [
        "DOCKER_AUTH_CONFIG",
        "DOCKER_TLS_VERIFY",
        "DOCKER_CERT_PATH",
        "DOCKER_DEFAULT_PLATFORM",
        "DOCKER_CONTEXT",
        "TESTCONTAINERS_COMMAND",
        "TESTCONTAINERS_HOST_OVERRIDE",
        "XDG_RUNTIME_DIR",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        command.env_remove(var);
    }
    let mut child = command.spawn().unwrap();
    let deadline = Instant::now() + WHOLE_RUN;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let _ = std::fs::remove_dir_all(&dir);
    match status {
        Some(status) if status.success() => ExitCode::SUCCESS,
        Some(status) => {
            eprintln!("container scenarios failed ({status})");
            ExitCode::FAILURE
        }
        None => {
            eprintln!(
                "container scenarios took longer than {} s and were killed",
                WHOLE_RUN.as_secs()
            );
            ExitCode::FAILURE
        }
    }
}

/// Serves the fake engine on `socket` and runs the selected scenarios one after the other.
fn child(socket: PathBuf, options: &Options) -> ExitCode {
    let engine = engine::FakeEngine::start(&socket);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    let selected: Vec<_> = scenarios::ALL
        .iter()
        .filter(|(name, _)| options.selects(name))
        .collect();
    println!("\nrunning {} tests", selected.len());
    let started = Instant::now();
    let mut failed = Vec::new();
    for (name, scenario) in &selected {
        // A failed assertion unwinds through `block_on`, dropping the scenario's future
        // (and the target it holds, which removes its containers) inside the runtime.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            runtime.block_on(async { tokio::time::timeout(PER_SCENARIO, scenario(engine.clone())).await })
        }));
        let outcome = match outcome {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(format!("did not finish within {} s", PER_SCENARIO.as_secs())),
            Err(panic) => Err(panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "panicked".to_owned())),
        };
        // Whatever a scenario asserted, no container or network may outlive it.
        let leftovers: Vec<String> = engine
            .containers()
            .into_iter()
            .filter(|c| !c.removed)
            .map(|c| c.id[..12].to_owned())
            .collect();
        let networks: Vec<String> = engine.networks().into_keys().collect();
        let outcome = outcome.and_then(|()| {
            if !leftovers.is_empty() {
                Err(format!("containers left behind: {leftovers:?}"))
            } else if !networks.is_empty() {
                Err(format!("networks left behind: {networks:?}"))
            } else {
                Ok(())
            }
        });
        match outcome {
            Ok(()) => println!("test {name} ... ok"),
            Err(reason) => {
                println!("test {name} ... FAILED\n    {reason}");
                failed.push(*name);
            }
        }
    }
    let passed = selected.len() - failed.len();
    if failed.is_empty() {
        println!(
            "\ntest result: ok. {passed} passed; 0 failed; finished in {:.2}s\n",
            started.elapsed().as_secs_f64()
        );
        ExitCode::SUCCESS
    } else {
        println!("\nfailures:");
        for name in &failed {
            println!("    {name}");
        }
        println!(
            "\ntest result: FAILED. {passed} passed; {} failed; finished in {:.2}s\n",
            failed.len(),
            started.elapsed().as_secs_f64()
        );
        ExitCode::FAILURE
    }
}
