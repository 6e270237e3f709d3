//! The signing floor of the token endpoint, on one thread.
//!
//! - `sign_rate`: raw RSA-2048 PKCS#1 v1.5 SHA-256 signatures per second with aws-lc-rs and a
//!   pre-parsed key (`aws_lc_rs::rsa::KeyPair::from_pkcs8` once, then `sign` in a loop), over the
//!   signing input (`header.payload`) of a real `client_credentials` access token. The key is
//!   `fixtures/keys/demo/rsa-2048.pem` (PEM PKCS#8), the one the default world signs with; the
//!   bench checks that its signature equals the mock's, byte for byte.
//! - `mint_rate`: `MockIdp::mint(TokenSpec::client("service"))` per second: claims, JSON,
//!   base64url and the same signature, without HTTP. The gap between the two is the JWT
//!   overhead; the gap between `mint_rate` and the token endpoint's tokens per server
//!   CPU-second is the HTTP, client-authentication and response overhead.
//!
//! Each figure is measured `SIGN_RUNS` times (default 3) for `SIGN_SECONDS` each (default 2),
//! alternating the two cases, both per wall-clock second and per CPU-second of the measuring
//! thread (utime+stime from /proc/thread-self/stat: on a core shared with other work the two
//! differ, and the CPU-second figure is the one to set against a server's requests per
//! CPU-second). Lines read `sign_rate ops_per_s median=… min=… max=… runs=…` and
//! `sign_rate_cpu ops_per_cpu_s median=…` (likewise `mint_rate`, `mint_rate_cpu`).
//! Pin it to one core for a single-core figure: `taskset -c 1 <bench binary>`
//! (`bash bench/run.sh` does).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeyPair;
use aws_lc_rs::signature::RSA_PKCS1_SHA256;
use mock_idp::{MockIdp, TokenSpec};
use std::hint::black_box;
use std::time::{Duration, Instant};

const KEY_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/keys/demo/rsa-2048.pem");

fn pkcs8_der(pem: &str) -> Vec<u8> {
    idp_jose::pem::decode(idp_jose::pem::PRIVATE_KEY, pem).unwrap_or_else(|err| panic!("{KEY_PATH}: {err}"))
}

/// CPU time of the calling thread (utime + stime), in seconds; 10 ms resolution (USER_HZ = 100).
fn thread_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").expect("read /proc/thread-self/stat");
    let after_name = stat.rsplit_once(')').expect("a stat line").1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    ticks as f64 / 100.0
}

/// Calls `op` in a loop for `duration`; (operations per wall-clock second, per CPU-second).
fn rate(duration: Duration, mut op: impl FnMut()) -> (f64, f64) {
    let cpu_before = thread_cpu_seconds();
    let started = Instant::now();
    let mut count: u64 = 0;
    loop {
        for _ in 0..16 {
            op();
        }
        count += 16;
        let elapsed = started.elapsed();
        if elapsed >= duration {
            let cpu = (thread_cpu_seconds() - cpu_before).max(0.01);
            return (count as f64 / elapsed.as_secs_f64(), count as f64 / cpu);
        }
    }
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
        .max(1)
}

fn summary(unit: &str, samples: &mut [f64]) -> String {
    samples.sort_by(f64::total_cmp);
    let n = samples.len();
    let median = if n.is_multiple_of(2) {
        (samples[n / 2 - 1] + samples[n / 2]) / 2.0
    } else {
        samples[n / 2]
    };
    format!(
        "{unit} median={median:.0} min={:.0} max={:.0} runs={n}",
        samples[0],
        samples[n - 1]
    )
}

fn main() {
    let runs = env_or("SIGN_RUNS", 3);
    let seconds = Duration::from_secs(env_or("SIGN_SECONDS", 2));

    let pem = std::fs::read_to_string(KEY_PATH).expect("read the RSA fixture key");
    let key = KeyPair::from_pkcs8(&pkcs8_der(&pem)).expect("parse the RSA fixture key");
    let rng = SystemRandom::new();

    let idp = MockIdp::start_blocking();
    let spec = || TokenSpec::client("service");
    let token = idp.mint(spec()).expect("mint a service token");
    let (signing_input, mock_signature) = token.rsplit_once('.').expect("a compact JWS");
    let mut signature = vec![0u8; key.public_modulus_len()];
    key.sign(&RSA_PKCS1_SHA256, &rng, signing_input.as_bytes(), &mut signature)
        .expect("sign");
    assert_eq!(
        idp_jose::b64::encode(&signature),
        mock_signature,
        "the fixture key must be the key the mock signs RS256 tokens with"
    );
    println!("sign_input bytes={} token_bytes={}", signing_input.len(), token.len());

    let (mut sign_wall, mut sign_cpu, mut mint_wall, mut mint_cpu) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let (wall, cpu) = rate(seconds, || {
            key.sign(
                &RSA_PKCS1_SHA256,
                &rng,
                black_box(signing_input.as_bytes()),
                &mut signature,
            )
            .expect("sign");
            black_box(&signature);
        });
        sign_wall.push(wall);
        sign_cpu.push(cpu);
        let (wall, cpu) = rate(seconds, || {
            black_box(idp.mint(spec()).expect("mint"));
        });
        mint_wall.push(wall);
        mint_cpu.push(cpu);
    }
    println!("sign_rate {}", summary("ops_per_s", &mut sign_wall));
    println!("sign_rate_cpu {}", summary("ops_per_cpu_s", &mut sign_cpu));
    println!("mint_rate {}", summary("ops_per_s", &mut mint_wall));
    println!("mint_rate_cpu {}", summary("ops_per_cpu_s", &mut mint_cpu));
}
