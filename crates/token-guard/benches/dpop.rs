//! DPoP-bound validation next to plain bearer validation, in one run, as validations per
//! CPU-second of the measuring thread: `Guard::authenticate_request` with an RS256 bearer
//! token, and with the same token DPoP-bound (`cnf.jkt`) plus a fresh ES256 proof per request
//! (proofs signed before the clock starts; each has its own `jti`, so the replay cache grows
//! as in production). Target: DPoP ≥ 0.45 × bearer ("two signature checks instead of one").
//! The same pair again with an ES256-signed token, so both signatures are of one kind (an
//! ES256 verification costs about two RS256 ones here, which caps the mixed pair near 0.31).
//!
//! `cargo bench -p token-guard --bench dpop` (pin with `taskset -c 1` for one core).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair as _, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use std::hint::black_box;
use token_guard::{Alg, DpopConfig, DpopVerifier, Guard, Presented, Validator, thumbprint};

const ISS: &str = "https://idp.example/realms/demo";
const ORIGIN: &str = "https://api.example";
const PATH: &str = "/api/private";
const PER_ROUND: usize = 8_000;
const ROUNDS: usize = 3;

fn now() -> u64 {
    token_guard::Clock::now(&token_guard::SystemClock)
}

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
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

fn thread_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields.get(11).and_then(|u| u.parse().ok()).unwrap_or(0.0)
        + fields.get(12).and_then(|s| s.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

fn rs256(key: &RsaKeyPair, header: &Value, claims: &Value) -> String {
    let input = format!("{}.{}", b64(header.to_string()), b64(claims.to_string()));
    let mut sig = vec![0; key.public_modulus_len()];
    key.sign(
        &signature::RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        input.as_bytes(),
        &mut sig,
    )
    .unwrap();
    format!("{input}.{}", b64(&sig))
}

fn median(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

fn main() {
    let pem = include_str!("../../../fixtures/keys/demo/rsa-2048.pem");
    let der = STANDARD
        .decode(pem.lines().filter(|l| !l.starts_with("-----")).collect::<String>())
        .unwrap();
    let key = RsaKeyPair::from_pkcs8(&der).unwrap();
    let (n, e) = rsa_components(key.public_key().as_ref());
    let jwks = json!({"keys": [{"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig", "n": b64(&n), "e": b64(&e)}]});
    let client = EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
    let point = client.public_key().as_ref().to_vec();
    let jwk = json!({"kty": "EC", "crv": "P-256", "x": b64(&point[1..33]), "y": b64(&point[33..65])});
    let jkt = thumbprint(jwk.as_object().unwrap()).unwrap();

    let t = now();
    let header = json!({"typ": "at+jwt", "alg": "RS256", "kid": "k1"});
    let claims = json!({
        "iss": ISS, "sub": "7f2a1c3e-5b4d-4e6f-8a9b-0c1d2e3f4a5b", "aud": "api", "exp": t + 3600, "iat": t,
        "jti": "0b5f0d4e-8a43-4c8e-9a55-1f1e9c7b2f11", "client_id": "web-app",
        "scope": "openid profile email read:messages", "roles": ["user", "admin"],
    });
    let bearer = rs256(&key, &header, &claims);
    let mut bound_claims = claims.clone();
    bound_claims["cnf"] = json!({"jkt": jkt});
    let bound = rs256(&key, &header, &bound_claims);
    let ath = b64(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bound.as_bytes()));

    let guard_for = |alg: Alg, jwks: &Value| {
        let mut config = DpopConfig::default();
        config.replay_capacity = PER_ROUND * ROUNDS + 10;
        let validator = Validator::builder(ISS, "api", [alg])
            .static_jwks(jwks.to_string())
            .build()
            .unwrap();
        Guard::builder()
            .validator(validator)
            .dpop(DpopVerifier::new(config).unwrap(), ORIGIN)
            .build()
            .unwrap()
    };
    let guard = guard_for(Alg::RS256, &jwks);
    // The same token signed ES256 by an EC key of the issuer.
    let issuer_ec = EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
    let issuer_point = issuer_ec.public_key().as_ref().to_vec();
    let ec_jwks = json!({"keys": [{"kty": "EC", "crv": "P-256", "kid": "e1", "alg": "ES256", "use": "sig",
        "x": b64(&issuer_point[1..33]), "y": b64(&issuer_point[33..65])}]});
    let es256 = |claims: &Value| {
        let header = json!({"typ": "at+jwt", "alg": "ES256", "kid": "e1"});
        let input = format!("{}.{}", b64(header.to_string()), b64(claims.to_string()));
        let sig = issuer_ec.sign(&SystemRandom::new(), input.as_bytes()).unwrap();
        format!("{input}.{}", b64(sig.as_ref()))
    };
    let es_bearer = es256(&claims);
    let es_bound = es256(&bound_claims);
    let es_ath = b64(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        es_bound.as_bytes(),
    ));
    let es_guard = guard_for(Alg::ES256, &ec_jwks);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let run_with = |guard: &Guard, authorization: &str, proof: Option<&str>| {
        let authorization = [authorization.as_bytes()];
        let proofs: Vec<&[u8]> = proof.map(str::as_bytes).into_iter().collect();
        let presented = Presented {
            authorization: &authorization,
            dpop: &proofs,
            method: "GET",
            path: PATH,
            query: None,
        };
        rt.block_on(guard.authenticate_request(&presented)).unwrap()
    };
    let run = |authorization: &str, proof: Option<&str>| run_with(&guard, authorization, proof);
    let run_es = |authorization: &str, proof: Option<&str>| run_with(&es_guard, authorization, proof);
    let bearer_auth = format!("Bearer {bearer}");
    let dpop_auth = format!("DPoP {bound}");
    let mut serial = 0u64;
    let mut proofs_for = |ath: &str, count: usize| -> Vec<String> {
        let proof_header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk});
        (0..count)
            .map(|_| {
                serial += 1;
                let body = json!({"htm": "GET", "htu": format!("{ORIGIN}{PATH}"), "iat": now(), "jti": format!("bench-{serial}"), "ath": ath});
                let input = format!("{}.{}", b64(proof_header.to_string()), b64(body.to_string()));
                let sig = client.sign(&SystemRandom::new(), input.as_bytes()).unwrap();
                format!("{input}.{}", b64(sig.as_ref()))
            })
            .collect()
    };
    let mut proofs = |count: usize| proofs_for(&ath, count);
    black_box(run(&bearer_auth, None));
    black_box(run(&dpop_auth, Some(&proofs(1)[0])));

    let (mut b, mut d) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let cpu = thread_cpu_seconds();
        for _ in 0..PER_ROUND {
            black_box(run(black_box(&bearer_auth), None));
        }
        b.push(PER_ROUND as f64 / (thread_cpu_seconds() - cpu).max(0.01));
        let batch = proofs(PER_ROUND);
        let cpu = thread_cpu_seconds();
        for proof in &batch {
            black_box(run(black_box(&dpop_auth), Some(proof)));
        }
        d.push(PER_ROUND as f64 / (thread_cpu_seconds() - cpu).max(0.01));
        println!(
            "round {round}: bearer {:.0}/CPU-s, DPoP {:.0}/CPU-s, ratio {:.2}",
            b[round],
            d[round],
            d[round] / b[round]
        );
    }
    // The floor under the ratio: one ES256 verification of a proof-sized message with the key
    // read from its coordinates each time, as a proof's `jwk` is, per CPU-second, in the same run.
    let proof = proofs(1).remove(0);
    let (input, signature) = proof.rsplit_once('.').unwrap();
    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
    let mut es = Vec::new();
    for _ in 0..ROUNDS {
        let cpu = thread_cpu_seconds();
        for _ in 0..PER_ROUND {
            let key = signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, black_box(&point));
            key.verify(black_box(input.as_bytes()), black_box(&signature)).unwrap();
        }
        es.push(PER_ROUND as f64 / (thread_cpu_seconds() - cpu).max(0.01));
    }
    // The ES256 pair: an ES256 bearer token, and the same token bound plus an ES256 proof.
    let es_bearer_auth = format!("Bearer {es_bearer}");
    let es_dpop_auth = format!("DPoP {es_bound}");
    let (mut eb, mut ed) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let cpu = thread_cpu_seconds();
        for _ in 0..PER_ROUND {
            black_box(run_es(black_box(&es_bearer_auth), None));
        }
        eb.push(PER_ROUND as f64 / (thread_cpu_seconds() - cpu).max(0.01));
        let batch = proofs_for(&es_ath, PER_ROUND);
        let cpu = thread_cpu_seconds();
        for proof in &batch {
            black_box(run_es(black_box(&es_dpop_auth), Some(proof)));
        }
        ed.push(PER_ROUND as f64 / (thread_cpu_seconds() - cpu).max(0.01));
    }
    let res = median(es);
    let (rb, rd) = (median(b), median(d));
    println!("| case | validations per CPU-second, median (min–max) of {ROUNDS} × {PER_ROUND} | vs bearer |");
    println!("|---|---|---|");
    println!(
        "| bearer (RS256) `Guard::authenticate_request` | {:.0} ({:.0}–{:.0}) | 1.00 |",
        rb.0, rb.1, rb.2
    );
    println!(
        "| DPoP-bound (RS256 token + ES256 proof, replay cache) | {:.0} ({:.0}–{:.0}) | {:.2} (target ≥ 0.45) |",
        rd.0,
        rd.1,
        rd.2,
        rd.0 / rb.0
    );
    println!(
        "| raw ES256 verify (aws-lc-rs, key from x/y each time) | {:.0} ({:.0}–{:.0}) | ceiling for bearer + one such verify: {:.2} |",
        res.0,
        res.1,
        res.2,
        (1.0 / rb.0) / (1.0 / rb.0 + 1.0 / res.0)
    );
    let (reb, red) = (median(eb), median(ed));
    println!(
        "| bearer (ES256) `Guard::authenticate_request` | {:.0} ({:.0}–{:.0}) | 1.00 |",
        reb.0, reb.1, reb.2
    );
    println!(
        "| DPoP-bound (ES256 token + ES256 proof, replay cache) | {:.0} ({:.0}–{:.0}) | {:.2} (target ≥ 0.45) |",
        red.0,
        red.1,
        red.2,
        red.0 / reb.0
    );
}
