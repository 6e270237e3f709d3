//! The cost of test controls on the token endpoint: `client_credentials` requests per second
//! with no fault rules, and with 20 fault rules on other endpoints (every kind of scope, some
//! for the realm, some for every realm), in the same run, on the same server.
//!
//! Phases alternate (none, faults, none, faults, …) `CONTROL_ROUNDS` times (default 5), each
//! `CONTROL_SECONDS` long (default 2), with `CONTROL_CLIENTS` concurrent keep-alive clients
//! (default 4) on loopback; every response must be 200. The line
//! `fault_overhead token_rps none_median=… faults20_median=… ratio=…` gives the medians and
//! their ratio (issue 12 asks for ≥ 0.95). The 20 mapping rules are measured by `control_overhead`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mock_idp::{Endpoint, Fault, FaultRule, MockIdp};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
        .max(1)
}

/// Twenty rules, none on the token endpoint.
fn twenty_rules() -> Vec<FaultRule> {
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

/// Token requests per second for `seconds` with `clients` concurrent clients.
async fn phase(idp: &MockIdp, clients: u64, seconds: Duration) -> f64 {
    let url = idp.endpoint(Endpoint::Token);
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (url, done) = (url.clone(), done.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                while started.elapsed() < seconds {
                    let response = client
                        .post(&url)
                        .form(&[
                            ("grant_type", "client_credentials"),
                            ("client_id", "service"),
                            ("client_secret", "service-secret"),
                        ])
                        .send()
                        .await
                        .expect("a token response");
                    assert_eq!(response.status(), 200);
                    response.bytes().await.expect("a body");
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("a client task");
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    let n = samples.len();
    if n.is_multiple_of(2) {
        (samples[n / 2 - 1] + samples[n / 2]) / 2.0
    } else {
        samples[n / 2]
    }
}

fn main() {
    let rounds = env_or("CONTROL_ROUNDS", 5);
    let seconds = Duration::from_secs(env_or("CONTROL_SECONDS", 2));
    let clients = env_or("CONTROL_CLIENTS", 4);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let idp = MockIdp::start().await;
        phase(&idp, clients, Duration::from_millis(500)).await; // warm-up
        let (mut none, mut faults) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            idp.clear_faults();
            none.push(phase(&idp, clients, seconds).await);
            for rule in twenty_rules() {
                idp.add_fault(rule).expect("a valid rule");
            }
            faults.push(phase(&idp, clients, seconds).await);
            assert_eq!(idp.faults().len(), 20, "no rule matched the token endpoint");
        }
        let fmt = |samples: &[f64]| samples.iter().map(|s| format!("{s:.0}")).collect::<Vec<_>>().join(",");
        println!("fault_overhead none_rps runs={}", fmt(&none));
        println!("fault_overhead faults20_rps runs={}", fmt(&faults));
        let (none, faults) = (median(&mut none), median(&mut faults));
        println!(
            "fault_overhead token_rps none_median={none:.0} faults20_median={faults:.0} ratio={:.3} rounds={rounds} seconds={} clients={clients}",
            faults / none,
            seconds.as_secs()
        );
    });
}
