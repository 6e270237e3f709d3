//! `MockIdp::token_for`: the password grant (Keycloak, `web-app`) and the authorization code
//! flow (ZITADEL, which has no password grant), both through the server's own router, in
//! process. A figure to compare before and after a change to `token_for`; no limit.
//!
//! Output (one line each, milliseconds):
//! `token_for_ms provider=… n=… median=… p90=… min=… max=…`.
//!
//! Run: `cargo bench -p mock-idp --bench token_for` (release), or with `--profile dev` for a
//! debug build's figures. `TOKEN_FOR_SAMPLES` sets the samples per provider (default 200).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mock_idp::{MockIdp, Provider};
use std::time::{Duration, Instant};

fn summary(provider: Provider, mut samples: Vec<Duration>) {
    samples.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "token_for_ms provider={provider} n={} median={:.3} p90={:.3} min={:.3} max={:.3}",
        samples.len(),
        ms(samples[samples.len() / 2]),
        ms(samples[samples.len() * 9 / 10]),
        ms(samples[0]),
        ms(samples[samples.len() - 1]),
    );
}

fn main() {
    let count: usize = std::env::var("TOKEN_FOR_SAMPLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for provider in [Provider::Keycloak, Provider::Zitadel] {
        let idp = MockIdp::builder().provider(provider).start_blocking();
        // Warm-up.
        runtime.block_on(idp.token_for("alice", "web-app")).unwrap();
        let mut samples = Vec::with_capacity(count);
        for _ in 0..count {
            let started = Instant::now();
            let set = runtime.block_on(idp.token_for("alice", "web-app")).unwrap();
            samples.push(started.elapsed());
            assert!(!set.access_token.is_empty());
        }
        summary(provider, samples);
    }
}
