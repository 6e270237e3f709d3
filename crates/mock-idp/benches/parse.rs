//! Server time to parse a hostile form body: 16,000 distinct parameter names in 63 KiB (issue 11
//! finding 4), with the parser the endpoints use (`Params::parse`, through a hidden hook), next
//! to the parser it replaced (a scan of every earlier name per parameter, reimplemented below
//! for the ratio in the same run).
//!
//! Output (one line each, `key=value`, milliseconds):
//! `parse_16k_ms n=… median=… p99=… max=… bytes=… outcome=…` (refused at the 1,001st parameter),
//! `parse_1000_ms …` (the largest accepted body), `parse_normal_ms …` (a 5-parameter token
//! request), `parse_16k_quadratic_ms n=… median=… …` (the old algorithm on the same body).
//!
//! Run: `cargo bench -p mock-idp --bench parse`. `PARSE_SAMPLES` sets the number of samples
//! (default 500; the quadratic reference takes a tenth of them, at least 3).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

/// `count` distinct value-less three-character names after `prefix`.
fn body(prefix: &str, count: usize) -> Vec<u8> {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut body = prefix.as_bytes().to_vec();
    for index in 0..count {
        body.push(b'&');
        for digit in [index / (62 * 62), index / 62 % 62, index % 62] {
            body.push(ALPHABET[digit]);
        }
    }
    body
}

/// The replaced parser: decode each pair, then scan every earlier name for a repeat.
fn quadratic(bytes: &[u8]) -> Result<usize, String> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for piece in bytes.split(|&b| b == b'&').filter(|piece| !piece.is_empty()) {
        let (name, value) = match piece.iter().position(|&b| b == b'=') {
            Some(at) => (&piece[..at], &piece[at + 1..]),
            None => (piece, &b""[..]),
        };
        let name: String = form_urlencoded::parse(&[name, b"=x"].concat())
            .next()
            .unwrap()
            .0
            .into_owned();
        let value = String::from_utf8_lossy(value).into_owned();
        if pairs.iter().any(|(seen, _)| *seen == name) {
            return Err(format!("parameter {name} is repeated"));
        }
        pairs.push((name, value));
    }
    Ok(pairs.len())
}

fn report(name: &str, samples: usize, bytes: &[u8], parse: impl Fn(&[u8]) -> Result<usize, String>) {
    let outcome = parse(bytes);
    let mut times: Vec<f64> = (0..samples)
        .map(|_| {
            let started = Instant::now();
            let result = parse(std::hint::black_box(bytes));
            let elapsed = started.elapsed().as_secs_f64() * 1e3;
            std::hint::black_box(result).ok();
            elapsed
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    let outcome = match outcome {
        Ok(count) => format!("ok:{count}"),
        Err(err) => format!("refused:{}", err.replace(' ', "_")),
    };
    println!(
        "{name} n={samples} median={:.4} p99={:.4} max={:.4} bytes={} outcome={outcome}",
        at(0.5),
        at(0.99),
        times[times.len() - 1],
        bytes.len()
    );
}

fn main() {
    let samples: usize = std::env::var("PARSE_SAMPLES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(500);
    let hostile = body("grant_type=client_credentials", 16_000);
    let at_cap = body("grant_type=client_credentials", 999);
    let normal = b"grant_type=authorization_code&code=Zx81t6W_3a&redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2Fcallback&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk&client_id=web-app".to_vec();
    report("parse_16k_ms", samples, &hostile, mock_idp::bench_parse_form);
    report("parse_1000_ms", samples, &at_cap, mock_idp::bench_parse_form);
    report("parse_normal_ms", samples, &normal, mock_idp::bench_parse_form);
    report("parse_16k_quadratic_ms", (samples / 10).max(3), &hostile, quadratic);
}
