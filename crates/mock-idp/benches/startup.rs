//! In-process start-up: `MockIdp::start_blocking()` until the first `200` on discovery.
//!
//! Each sample times `MockIdp::start_blocking()` plus plain HTTP/1.1 GETs of
//! `idp.discovery_url()` over a `std::net::TcpStream` until one answers `200` (the client
//! costs a few tens of microseconds). Dropping the server is not timed. The very first start in
//! the process also parses the embedded world and keys (cached for later starts); it is reported
//! on its own line and is not one of the samples.
//!
//! Output (one line each, `key=value`, milliseconds):
//! `startup_first_ms value=…`, `startup_ms n=… median=… p90=… min=… max=…`,
//! `startup_call_ms n=… median=… p90=… min=… max=…` (the `start_blocking()` call alone).
//!
//! Run: `cargo bench -p mock-idp --bench startup` (or `bash bench/run.sh` for every figure).
//! `STARTUP_SAMPLES` sets the number of samples (default 100).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mock_idp::MockIdp;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// One `GET path` over a fresh connection; the status code, or `None` if the connection failed.
fn get_status(address: SocketAddr, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(address).ok()?;
    stream.set_nodelay(true).ok()?;
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nAccept: application/json\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = Vec::with_capacity(4096);
    stream.read_to_end(&mut response).ok()?;
    let status_line = response.split(|&b| b == b'\r').next()?;
    let status = std::str::from_utf8(status_line).ok()?.split(' ').nth(1)?;
    status.parse().ok()
}

/// Starts a mock and polls its discovery document until it answers `200`. Returns the time
/// to the `start_blocking()` return, the time to the first `200`, and the server (so that
/// dropping it happens outside the timed section).
fn one_start() -> (Duration, Duration, MockIdp) {
    let started = Instant::now();
    let idp = MockIdp::start_blocking();
    let returned = started.elapsed();
    let address = idp.address();
    let url = idp.discovery_url();
    let path = url
        .strip_prefix(idp.uri())
        .expect("the discovery URL is under the base URL")
        .to_owned();
    let deadline = started + Duration::from_secs(10);
    loop {
        if get_status(address, &path) == Some(200) {
            return (returned, started.elapsed(), idp);
        }
        assert!(Instant::now() < deadline, "no 200 on {url} within 10 s");
        std::thread::sleep(Duration::from_micros(50));
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// `n=… median=… p90=… min=… max=…` (nearest-rank p90, milliseconds with 3 decimals).
fn summary(samples: &mut [f64]) -> String {
    samples.sort_by(f64::total_cmp);
    let n = samples.len();
    let median = if n.is_multiple_of(2) {
        (samples[n / 2 - 1] + samples[n / 2]) / 2.0
    } else {
        samples[n / 2]
    };
    let p90 = samples[((n as f64 * 0.9).ceil() as usize).clamp(1, n) - 1];
    format!(
        "n={n} median={median:.3} p90={p90:.3} min={:.3} max={:.3}",
        samples[0],
        samples[n - 1]
    )
}

fn main() {
    let samples: usize = std::env::var("STARTUP_SAMPLES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(100)
        .max(1);

    let (_, first, idp) = one_start();
    drop(idp);
    println!("startup_first_ms value={:.3}", ms(first));

    let mut to_200 = Vec::with_capacity(samples);
    let mut call = Vec::with_capacity(samples);
    for _ in 0..samples {
        let (returned, ready, idp) = one_start();
        drop(idp);
        call.push(ms(returned));
        to_200.push(ms(ready));
    }
    println!("startup_ms {}", summary(&mut to_200));
    println!("startup_call_ms {}", summary(&mut call));
}
