//! What test controls cost the token endpoint when they do not apply (issue 12): the rate of
//! `client_credentials` token requests over loopback HTTP against four servers in the same run:
//! one with no controls (`none`), one with 20 fault rules on other endpoints (`faults20`), one
//! with 20 mapping rules that all fail to match (`rules20`), and one with both (`both`).
//!
//! The 20 fault rules cover every fault kind that applies to a provider endpoint (status, delay,
//! malformed JSON, dropped connection), realm and every-realm rules, and the N-times,
//! seeded-probability and until-cleared scopes, none on the token endpoint; they must all still
//! be there at the end (none fired). The 20 mapping rules are the most expensive kind to refuse:
//! each matches the request's realm, grant and client, then fails on a form parameter
//! (`resource`) the request does not carry, so every rule is evaluated to its last test.
//!
//! Each run measures every server for `CONTROL_SECONDS` (default 3), rotating which goes first,
//! with `CONTROL_CONCURRENCY` (default 4) keep-alive connections; there are `CONTROL_RUNS`
//! (default 7) runs, and each measurement is capped at 200 000 requests. Each server serves on a
//! thread of its own (`mock-idp-{port}`), so besides tokens per wall-clock second the bench
//! reports tokens per CPU-second of that server thread (utime+stime from
//! /proc/self/task/{tid}/stat), the figure that stays put when other work shares the cores.
//! Lines read `control_overhead {server} tokens_per_s median=… min=… max=… runs=…` and
//! `… tokens_per_cpu_s …`, then `control_overhead ratio {server}/none wall=… cpu=…` (of the
//! medians) and the load average before and after. Target: every ratio ≥ 0.95.
//!
//! ```sh
//! cargo bench -p mock-idp --bench control_overhead
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mock_idp::shaping::{MappingRule, RuleMatch};
use mock_idp::{Endpoint, Fault, FaultRule, MockIdp, MockIdpBuilder};
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

/// Twenty fault rules, none on the token endpoint.
fn twenty_faults() -> Vec<FaultRule> {
    let endpoints = [
        Endpoint::Discovery,
        Endpoint::Jwks,
        Endpoint::Authorize,
        Endpoint::Userinfo,
        Endpoint::Introspect,
        Endpoint::Revoke,
        Endpoint::EndSession,
    ];
    (0..20u32)
        .map(|i| {
            let endpoint = endpoints[i as usize % endpoints.len()];
            let fault = match i % 4 {
                0 => Fault::Status(503),
                1 => Fault::Delay(Duration::from_millis(50)),
                2 => Fault::MalformedJson,
                _ => Fault::DropConnection,
            };
            let rule = FaultRule::new(endpoint, fault);
            let rule = if i % 2 == 0 { rule.in_realm("demo") } else { rule };
            match i % 3 {
                0 => rule.times(1_000_000),
                1 => rule.probability(0.5, u64::from(i)),
                _ => rule,
            }
        })
        .collect()
}

/// A builder with twenty mapping rules that never match a plain client-credentials request.
fn with_twenty_rules(mut builder: MockIdpBuilder) -> MockIdpBuilder {
    for n in 0..20 {
        let when = RuleMatch::default()
            .grant("client_credentials")
            .client("service")
            .param("resource", format!("https://nowhere.test/{n}"));
        builder = builder.mapping(MappingRule::new(when).claim("never", n));
    }
    builder
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| text.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn main() {
    let runs = env_or("CONTROL_RUNS", 7);
    let seconds = Duration::from_secs(env_or("CONTROL_SECONDS", 3));
    let concurrency = env_or("CONTROL_CONCURRENCY", 4);
    println!("control_overhead loadavg_before {}", load_average());

    let names = ["none", "faults20", "rules20", "both"];
    let servers = [
        MockIdp::start_blocking(),
        MockIdp::start_blocking(),
        with_twenty_rules(MockIdp::builder()).start_blocking(),
        with_twenty_rules(MockIdp::builder()).start_blocking(),
    ];
    for idp in [&servers[1], &servers[3]] {
        for rule in twenty_faults() {
            idp.add_fault(rule).expect("a valid fault rule");
        }
    }
    assert_eq!(servers[2].mappings().len(), 20);
    assert_eq!(servers[3].mappings().len(), 20);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let urls: Vec<String> = servers.iter().map(|idp| idp.endpoint(Endpoint::Token)).collect();
    let threads: Vec<String> = servers
        .iter()
        .map(|idp| format!("mock-idp-{}", idp.address().port()))
        .collect();
    // The rules must not match: a token from a rules server carries no `never` claim.
    for idp in &servers[2..] {
        let probe = runtime
            .block_on(idp.service_token("service"))
            .expect("a token from the rules server");
        let payload = probe.access_token.split('.').nth(1).expect("a JWT");
        let claims = idp_jose::b64::decode(payload).expect("base64url");
        assert!(!String::from_utf8_lossy(&claims).contains("never"), "a rule matched");
    }

    // [server][wall, cpu] samples.
    let mut samples: Vec<[Vec<f64>; 2]> = names.iter().map(|_| [Vec::new(), Vec::new()]).collect();
    for run in 0..runs as usize {
        for offset in 0..names.len() {
            let which = (run + offset) % names.len();
            let (wall, cpu) = runtime.block_on(rate(&urls[which], &threads[which], concurrency, seconds));
            samples[which][0].push(wall);
            samples[which][1].push(cpu);
        }
    }
    for idp in [&servers[1], &servers[3]] {
        let faults = idp.faults();
        assert_eq!(faults.len(), 20, "no fault rule fired on the token endpoint");
    }
    for (name, [wall, cpu]) in names.iter().zip(samples.iter_mut()) {
        println!("control_overhead {name} tokens_per_s {}", summary(wall));
        println!("control_overhead {name} tokens_per_cpu_s {}", summary(cpu));
    }
    let base_wall = median(&samples[0][0]);
    let base_cpu = median(&samples[0][1]);
    for (name, [wall, cpu]) in names.iter().zip(samples.iter()).skip(1) {
        println!(
            "control_overhead ratio {name}/none wall={:.3} cpu={:.3} concurrency={concurrency} seconds={} runs={runs}",
            median(wall) / base_wall,
            median(cpu) / base_cpu,
            seconds.as_secs()
        );
    }
    println!("control_overhead loadavg_after {}", load_average());
}
