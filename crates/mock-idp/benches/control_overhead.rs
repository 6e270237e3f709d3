//! What test controls cost the token endpoint when they do not apply: the rate of
//! `client_credentials` token requests over loopback HTTP against a server with no controls and
//! one with 20 mapping rules that all fail to match, in the same run.
//!
//! The 20 rules are the most expensive kind to refuse: each matches the request's realm, grant
//! and client, then fails on a form parameter (`resource`) the request does not carry, so every
//! rule is evaluated to its last test on every request.
//!
//! Each run measures both servers for `CONTROL_SECONDS` (default 3) each, alternating which
//! goes first, with `CONTROL_CONCURRENCY` (default 4) keep-alive connections; there are
//! `CONTROL_RUNS` (default 7) runs, and each run is capped at 200 000 requests. Each server
//! serves on a thread of its own (`mock-idp-{port}`), so besides tokens per wall-clock second
//! the bench reports tokens per CPU-second of that server thread (utime+stime from
//! /proc/self/task/{tid}/stat), the figure that stays put when other work shares the cores.
//! Lines read `control_overhead none tokens_per_s median=… min=… max=… runs=…` and
//! `… tokens_per_cpu_s …`, the same for `rules20`, then `control_overhead ratio …` (of the
//! medians). Target: ratio ≥ 0.95.
//!
//! ```sh
//! cargo bench -p mock-idp --bench control_overhead
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mock_idp::shaping::{MappingRule, RuleMatch};
use mock_idp::{Endpoint, MockIdp};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Requests per measurement, at most (the load stays bounded in count as well as time).
const MAX_REQUESTS: u64 = 200_000;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
        .max(1)
}

fn summary(samples: &mut [f64]) -> String {
    samples.sort_by(f64::total_cmp);
    let n = samples.len();
    format!(
        "median={:.0} min={:.0} max={:.0} runs={n}",
        median(samples),
        samples[0],
        samples[n - 1]
    )
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n.is_multiple_of(2) {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    } else {
        sorted[n / 2]
    }
}

/// Token responses per second from `concurrency` keep-alive clients for `duration`.
/// CPU seconds (utime + stime) used so far by this process's thread named `name`.
fn thread_cpu_seconds(name: &str) -> f64 {
    for task in std::fs::read_dir("/proc/self/task").expect("read /proc/self/task") {
        let dir = task.expect("a task").path();
        let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        if comm.trim_end() != name {
            continue;
        }
        let stat = std::fs::read_to_string(dir.join("stat")).expect("read the task's stat");
        let after_name = stat.rsplit_once(')').expect("a stat line").1;
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        let ticks: u64 = fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
        return ticks as f64 / 100.0;
    }
    panic!("no thread named {name}");
}

/// Tokens per wall-clock second, and per CPU-second of the server thread `thread`.
async fn rate(url: &str, thread: &str, concurrency: u64, duration: Duration) -> (f64, f64) {
    let cpu_before = thread_cpu_seconds(thread);
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (url, done) = (url.to_owned(), done.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                while started.elapsed() < duration && done.load(Ordering::Relaxed) < MAX_REQUESTS {
                    let response = client
                        .post(&url)
                        .basic_auth("service", Some("service-secret"))
                        .form(&[("grant_type", "client_credentials")])
                        .send()
                        .await
                        .expect("token request");
                    assert!(response.status().is_success(), "{}", response.status());
                    response.bytes().await.expect("token response");
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("client task");
    }
    let count = done.load(Ordering::Relaxed) as f64;
    let cpu = (thread_cpu_seconds(thread) - cpu_before).max(0.01);
    (count / started.elapsed().as_secs_f64(), count / cpu)
}

fn main() {
    let runs = env_or("CONTROL_RUNS", 7);
    let seconds = Duration::from_secs(env_or("CONTROL_SECONDS", 3));
    let concurrency = env_or("CONTROL_CONCURRENCY", 4);

    let none = MockIdp::start_blocking();
    let mut builder = MockIdp::builder();
    for n in 0..20 {
        let when = RuleMatch::default()
            .grant("client_credentials")
            .client("service")
            .param("resource", format!("https://nowhere.test/{n}"));
        builder = builder.mapping(MappingRule::new(when).claim("never", n));
    }
    let rules = builder.start_blocking();
    assert_eq!(rules.mappings().len(), 20);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let urls = [none.endpoint(Endpoint::Token), rules.endpoint(Endpoint::Token)];
    let threads = [
        format!("mock-idp-{}", none.address().port()),
        format!("mock-idp-{}", rules.address().port()),
    ];
    // The rules must not match: a token from the rules server carries no `never` claim.
    let probe = runtime
        .block_on(rules.service_token("service"))
        .expect("a token from the rules server");
    let payload = probe.access_token.split('.').nth(1).expect("a JWT");
    let claims = idp_jose::b64::decode(payload).expect("base64url");
    assert!(!String::from_utf8_lossy(&claims).contains("never"), "a rule matched");

    // [server][wall, cpu] samples.
    let mut samples = [[Vec::new(), Vec::new()], [Vec::new(), Vec::new()]];
    for run in 0..runs {
        let order = if run % 2 == 0 { [0, 1] } else { [1, 0] };
        for which in order {
            let (wall, cpu) = runtime.block_on(rate(&urls[which], &threads[which], concurrency, seconds));
            samples[which][0].push(wall);
            samples[which][1].push(cpu);
        }
    }
    let [mut plain, mut shaped] = samples;
    println!("control_overhead none tokens_per_s {}", summary(&mut plain[0]));
    println!("control_overhead rules20 tokens_per_s {}", summary(&mut shaped[0]));
    println!("control_overhead none tokens_per_cpu_s {}", summary(&mut plain[1]));
    println!("control_overhead rules20 tokens_per_cpu_s {}", summary(&mut shaped[1]));
    println!(
        "control_overhead ratio rules20/none wall={:.3} cpu={:.3} concurrency={concurrency} seconds={}",
        median(&shaped[0]) / median(&plain[0]),
        median(&shaped[1]) / median(&plain[1]),
        seconds.as_secs()
    );
}
