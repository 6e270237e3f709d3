//! Validations per second on one core, all in one run, round-robin over the cases:
//! raw aws-lc-rs RSA-2048 verify with a parsed public key, `jsonwebtoken::decode` (aws_lc_rs,
//! `Validation` as in conformance.md §5.3) and token-guard's `Validator::validate` on the
//! cached path, with the same RS256 token and key; then the axum extractor end to end over
//! loopback, as requests per server CPU-second.
//!
//! `cargo bench -p token-guard --bench validate` (pin with `taskset -c 1` for one core).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, KeyPair as _, ParsedPublicKey, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::json;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};
use token_guard::{Alg, Authenticated, Guard, Validator};

const ISS: &str = "https://idp.example/realms/demo";
const RUN: Duration = Duration::from_secs(2);

fn now() -> u64 {
    token_guard::Clock::now(&token_guard::SystemClock)
}

fn rsa_components(der: &[u8]) -> (Vec<u8>, Vec<u8>) {
    fn read(der: &[u8], at: usize) -> (usize, usize) {
        let len = der[at + 1] as usize;
        if len < 0x80 {
            return (at + 2, len);
        }
        let count = len & 0x7f;
        let value = (0..count).fold(0usize, |v, i| (v << 8) | der[at + 2 + i] as usize);
        (at + 2 + count, value)
    }
    let (seq, _) = read(der, 0);
    let (n_at, n_len) = read(der, seq);
    let (e_at, e_len) = read(der, n_at + n_len);
    let strip = |b: &[u8]| b.iter().skip_while(|x| **x == 0).copied().collect::<Vec<u8>>();
    (strip(&der[n_at..n_at + n_len]), strip(&der[e_at..e_at + e_len]))
}

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Claims {
    iss: String,
    sub: String,
    aud: String,
    exp: u64,
    iat: u64,
    nbf: u64,
    jti: String,
    client_id: String,
    azp: String,
    scope: String,
    sid: String,
    auth_time: u64,
    acr: String,
    preferred_username: String,
    roles: Vec<String>,
}

/// Calls `f` in batches until `RUN` has passed; returns ops/s.
fn rate(mut f: impl FnMut()) -> f64 {
    let started = Instant::now();
    let mut ops = 0u64;
    while started.elapsed() < RUN {
        for _ in 0..200 {
            f();
        }
        ops += 200;
    }
    ops as f64 / started.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

fn thread_cpu_seconds(tid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields.get(11).and_then(|u| u.parse().ok()).unwrap_or(0.0)
        + fields.get(12).and_then(|s| s.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

fn main() {
    let pem = include_str!("../../../fixtures/keys/demo/rsa-2048.pem");
    let der = STANDARD
        .decode(pem.lines().filter(|l| !l.starts_with("-----")).collect::<String>())
        .unwrap();
    let key = RsaKeyPair::from_pkcs8(&der).unwrap();
    let (n, e) = rsa_components(key.public_key().as_ref());
    let t = now();
    let header = json!({"typ": "at+jwt", "alg": "RS256", "kid": "k1"});
    let claims = json!({
        "iss": ISS, "sub": "7f2a1c3e-5b4d-4e6f-8a9b-0c1d2e3f4a5b", "aud": "api", "exp": t + 3600, "iat": t, "nbf": t,
        "jti": "0b5f0d4e-8a43-4c8e-9a55-1f1e9c7b2f11", "client_id": "web-app", "azp": "web-app",
        "scope": "openid profile email read:messages", "sid": "5d1c5a1e-2f7b-4c54-8d2e-9e0f1a2b3c4d",
        "auth_time": t, "acr": "1", "preferred_username": "alice", "roles": ["user", "admin", "reporting"],
    });
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut sig = vec![0; key.public_modulus_len()];
    key.sign(
        &signature::RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        input.as_bytes(),
        &mut sig,
    )
    .unwrap();
    let token = format!("{input}.{}", URL_SAFE_NO_PAD.encode(&sig));
    println!(
        "token: {} bytes, claims JSON {} bytes",
        token.len(),
        claims.to_string().len()
    );

    // 1. raw verify, parsed key
    let parsed = signature::RsaPublicKeyComponents { n: &n, e: &e }
        .to_parsed_public_key(&signature::RSA_PKCS1_2048_8192_SHA256)
        .unwrap();
    let raw = |parsed: &ParsedPublicKey| parsed.verify_sig(input.as_bytes(), &sig).unwrap();
    // 2. jsonwebtoken::decode
    let decoding =
        jsonwebtoken::DecodingKey::from_rsa_components(&URL_SAFE_NO_PAD.encode(&n), &URL_SAFE_NO_PAD.encode(&e))
            .unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_issuer(&[ISS]);
    validation.set_audience(&["api"]);
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    jsonwebtoken::decode::<Claims>(&token, &decoding, &validation).unwrap();
    // 3. token-guard, cached path
    let jwks = json!({"keys": [{"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
        "n": URL_SAFE_NO_PAD.encode(&n), "e": URL_SAFE_NO_PAD.encode(&e)}]});
    let validator = Validator::builder(ISS, "api", [Alg::RS256])
        .static_jwks(jwks.to_string())
        .build()
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(validator.validate(&token)).unwrap();

    let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..3 {
        a.push(rate(|| raw(black_box(&parsed))));
        b.push(rate(|| {
            black_box(jsonwebtoken::decode::<Claims>(black_box(&token), &decoding, &validation).unwrap());
        }));
        c.push(rt.block_on(async {
            let started = Instant::now();
            let mut ops = 0u64;
            while started.elapsed() < RUN {
                for _ in 0..200 {
                    black_box(validator.validate(black_box(&token)).await.unwrap());
                }
                ops += 200;
            }
            ops as f64 / started.elapsed().as_secs_f64()
        }));
        println!(
            "round {round}: raw {:.0}/s, jsonwebtoken {:.0}/s, token-guard {:.0}/s",
            a[round], b[round], c[round]
        );
    }
    let (ra, rb, rc) = (median(a), median(b), median(c));
    println!(
        "| case | validations/s, median (min–max) of 3 × {} s | vs raw verify |",
        RUN.as_secs()
    );
    println!("|---|---|---|");
    println!(
        "| aws-lc-rs RSA-2048 verify, parsed key | {:.0} ({:.0}–{:.0}) | 1.00 |",
        ra.0, ra.1, ra.2
    );
    println!(
        "| jsonwebtoken::decode (aws_lc_rs) | {:.0} ({:.0}–{:.0}) | {:.2} |",
        rb.0,
        rb.1,
        rb.2,
        rb.0 / ra.0
    );
    println!(
        "| token-guard Validator::validate (cached key) | {:.0} ({:.0}–{:.0}) | {:.2} |",
        rc.0,
        rc.1,
        rc.2,
        rc.0 / ra.0
    );

    // 4. axum extractor end to end over loopback: requests per server CPU-second.
    let guard = Arc::new(
        Guard::builder()
            .validator(
                Validator::builder(ISS, "api", [Alg::RS256])
                    .static_jwks(jwks.to_string())
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap(),
    );
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let tid = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
        let tid = tid.split_whitespace().next().unwrap_or_default().to_owned();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let app = axum::Router::new()
                .route(
                    "/api/private",
                    axum::routing::get(|Authenticated(p): Authenticated| async move { p.subject }),
                )
                .with_state(guard);
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send((tid, listener.local_addr().unwrap())).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    let (tid, addr) = rx.recv().unwrap();
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let url = format!("http://{addr}/api/private");
    let (requests, elapsed, cpu) = client_rt.block_on(async {
        let client = reqwest::Client::new();
        let auth = format!("Bearer {token}");
        assert!(
            client
                .get(&url)
                .header("authorization", &auth)
                .send()
                .await
                .unwrap()
                .status()
                .is_success()
        );
        let cpu_before = thread_cpu_seconds(&tid);
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (client, url, auth) = (client.clone(), url.clone(), auth.clone());
            tasks.push(tokio::spawn(async move {
                let mut n = 0u64;
                while started.elapsed() < RUN * 2 {
                    let response = client.get(&url).header("authorization", &auth).send().await.unwrap();
                    assert!(response.status().is_success());
                    n += 1;
                }
                n
            }));
        }
        let mut total = 0;
        for task in tasks {
            total += task.await.unwrap();
        }
        (
            total,
            started.elapsed().as_secs_f64(),
            thread_cpu_seconds(&tid) - cpu_before,
        )
    });
    println!(
        "axum extractor over loopback: {requests} requests in {elapsed:.1} s = {:.0} req/s; server thread CPU {cpu:.2} s = {:.0} requests per server CPU-second",
        requests as f64 / elapsed,
        requests as f64 / cpu.max(0.01)
    );
}
