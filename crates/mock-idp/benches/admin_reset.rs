//! Admin reset: `POST /_mock/reset` over loopback HTTP, and `MockIdp::reset()` in process,
//! against the 1 ms median limit of issue 12, in the same run.
//!
//! Before each sample (untimed) the state is dirtied as a test would: a user created, a client
//! secret changed, the clock advanced, a token issued (store, log). The timed part is the reset
//! alone: for HTTP, connect + request + full response on a fresh connection (what a test
//! fixture pays), for the call, `idp.reset()`.
//!
//! Output (one line each, `key=value`, milliseconds):
//! `admin_reset_http_ms n=… median=… p90=… min=… max=… limit=1 ratio=…` (median / limit) and
//! `admin_reset_call_ms …` likewise.
//!
//! Run: `cargo bench -p mock-idp --bench admin_reset` (release), or with `--profile dev` for a
//! debug build's (slower, upper-bound) figures. `RESET_SAMPLES` sets the samples (default 200).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mock_idp::{ClientPatch, Endpoint, MockIdp, NewUser};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

const LIMIT_MS: f64 = 1.0;

/// One request on a fresh connection; the status code.
fn request(address: SocketAddr, head: &str, body: &str) -> u16 {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_nodelay(true).unwrap();
    let request = format!(
        "{head} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::with_capacity(1024);
    stream.read_to_end(&mut response).unwrap();
    let line = response.split(|&b| b == b'\r').next().unwrap();
    std::str::from_utf8(line)
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap()
}

fn dirty(idp: &MockIdp, token_path: &str, round: usize) {
    let admin = idp.admin();
    // NewUser comes from JSON, as every admin client sends it.
    let user: NewUser = serde_json::from_str(&format!(r#"{{"username":"bench-{round}","password":"pw"}}"#)).unwrap();
    admin.create_user("demo", user).unwrap();
    let patch = ClientPatch {
        secret: Some(format!("secret-{round}")),
        ..ClientPatch::default()
    };
    admin.update_client("demo", "service", patch).unwrap();
    admin.clock().advance(60);
    let body = format!("grant_type=client_credentials&client_id=service&client_secret=secret-{round}");
    assert_eq!(request(idp.address(), &format!("POST {token_path}"), &body), 200);
}

fn summary(name: &str, mut samples: Vec<Duration>) {
    samples.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = ms(samples[samples.len() / 2]);
    println!(
        "{name} n={} median={median:.3} p90={:.3} min={:.3} max={:.3} limit={LIMIT_MS} ratio={:.3}",
        samples.len(),
        ms(samples[samples.len() * 9 / 10]),
        ms(samples[0]),
        ms(samples[samples.len() - 1]),
        median / LIMIT_MS
    );
}

fn main() {
    let count: usize = std::env::var("RESET_SAMPLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let idp = MockIdp::start_blocking();
    let token_url = idp.endpoint(Endpoint::Token);
    let token_path = token_url.strip_prefix(idp.uri()).unwrap().to_owned();
    let reset = format!(
        "POST {}/_mock/reset",
        idp.uri()
            .strip_prefix(&format!("http://{}", idp.address()))
            .unwrap_or("")
    );
    // Warm-up: one full round of each.
    dirty(&idp, &token_path, 0);
    assert_eq!(request(idp.address(), &reset, ""), 200);
    let mut http = Vec::with_capacity(count);
    let mut call = Vec::with_capacity(count);
    for round in 0..count {
        dirty(&idp, &token_path, round);
        let started = Instant::now();
        let status = request(idp.address(), &reset, "");
        http.push(started.elapsed());
        assert_eq!(status, 200);
        assert!(
            idp.admin().user("demo", &format!("bench-{round}")).is_err(),
            "reset undid the user"
        );
        dirty(&idp, &token_path, round);
        let started = Instant::now();
        idp.reset();
        call.push(started.elapsed());
    }
    summary("admin_reset_http_ms", http);
    summary("admin_reset_call_ms", call);
}
