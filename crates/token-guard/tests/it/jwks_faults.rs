//! JwksCache against the mock with faults the test controls, asserted by counting the mock's
//! JWKS hits: storm bound, rotation pickup, stale-serving bound, slow/5xx/huge/empty answers.

use crate::support::*;
use mock_idp::{Endpoint, Fault};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use token_guard::{InvalidToken, Validator};

fn long_lived(idp: &mock_idp::MockIdp) -> String {
    mock_signed(&header(idp), &with(claims(idp), "exp", json!(NOW + 100_000)))
}

fn unknown_kid(idp: &mock_idp::MockIdp, i: usize) -> String {
    forge(
        &json!({"alg": "RS256", "typ": "at+jwt", "kid": format!("storm-{i}")}),
        &claims(idp),
        &Sig::Raw(vec![7; 256]),
    )
}

async fn storm(validator: &Arc<Validator>, idp: &mock_idp::MockIdp, offset: usize) {
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let v = validator.clone();
            let token = unknown_kid(idp, offset + i);
            tokio::spawn(async move { v.validate(&token).await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap_err(), InvalidToken::UnknownKey);
    }
}

#[tokio::test]
async fn a_storm_of_unknown_kids_costs_at_most_one_fetch_per_cooldown_window() {
    let (idp, clocks) = idp().await;
    let v = Arc::new(validator(&idp, &clocks));
    v.validate(&long_lived(&idp)).await.unwrap();
    let warm = idp.hits(Endpoint::Jwks);
    assert_eq!(warm, 1, "one fetch to warm the cache (discovery is separate)");
    storm(&v, &idp, 0).await;
    assert_eq!(idp.hits(Endpoint::Jwks), warm, "the warm-up fetch started the cooldown");
    clocks.advance(31);
    storm(&v, &idp, 1000).await;
    assert_eq!(idp.hits(Endpoint::Jwks), warm + 1, "one refetch in the next window");
    storm(&v, &idp, 1000).await;
    assert_eq!(idp.hits(Endpoint::Jwks), warm + 1, "negative cache + cooldown");
    // Good keys were never evicted.
    v.validate(&long_lived(&idp)).await.unwrap();
}

#[tokio::test]
async fn a_rotation_is_picked_up_by_one_refetch_once_the_cooldown_allows() {
    let (idp, clocks) = idp().await;
    let v = Arc::new(validator(&idp, &clocks));
    let old = long_lived(&idp);
    v.validate(&old).await.unwrap();
    assert_eq!(idp.hits(Endpoint::Jwks), 1);
    clocks.advance(31);
    idp.rotate_keys().unwrap();
    let rotated = idp
        .mint(mock_idp::TokenSpec::user("alice").scope("openid read:messages"))
        .unwrap();
    assert_ne!(segment(&rotated, 0)["kid"], segment(&old, 0)["kid"]);
    // A burst of the new kid: one refetch, all accepted.
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (v, t) = (v.clone(), rotated.clone());
            tokio::spawn(async move { v.validate(&t).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(idp.hits(Endpoint::Jwks), 2);
    // Old tokens still verify (the mock keeps the retired key published).
    v.validate(&old).await.unwrap();
}

#[tokio::test]
async fn a_rotation_inside_the_cooldown_waits_for_the_window() {
    let (idp, clocks) = idp().await;
    let v = validator(&idp, &clocks);
    v.validate(&long_lived(&idp)).await.unwrap();
    idp.rotate_keys().unwrap();
    let rotated = idp
        .mint(mock_idp::TokenSpec::user("alice").scope("openid read:messages"))
        .unwrap();
    assert_eq!(v.validate(&rotated).await.unwrap_err(), InvalidToken::UnknownKey);
    assert_eq!(idp.hits(Endpoint::Jwks), 1);
    clocks.advance(61); // past the cooldown and the negative-kid TTL
    let rotated = idp
        .mint(
            mock_idp::TokenSpec::user("alice")
                .scope("openid read:messages")
                .expires_in(300),
        )
        .unwrap();
    v.validate(&rotated).await.unwrap();
    assert_eq!(idp.hits(Endpoint::Jwks), 2);
}

#[tokio::test]
async fn cached_keys_are_served_stale_while_the_issuer_fails_but_only_within_the_bound() {
    let (idp, clocks) = idp().await;
    let v = validator(&idp, &clocks); // default_ttl 300, max_stale 600, cooldown 30
    let token = long_lived(&idp);
    v.validate(&token).await.unwrap();
    idp.set_fault(Endpoint::Jwks, Fault::Status(503));
    clocks.advance(301); // stale: one refetch, it fails, the cached key is served
    v.validate(&token).await.unwrap();
    assert_eq!(idp.hits(Endpoint::Jwks), 2);
    v.validate(&token).await.unwrap();
    assert_eq!(idp.hits(Endpoint::Jwks), 2, "cooldown after the failure");
    clocks.advance(300); // 601 s after the last success: beyond max_stale
    assert_eq!(v.validate(&token).await.unwrap_err(), InvalidToken::KeysUnavailable);
    assert_eq!(idp.hits(Endpoint::Jwks), 3);
    idp.clear_fault(Endpoint::Jwks);
    clocks.advance(31);
    v.validate(&token).await.unwrap();
    assert_eq!(idp.hits(Endpoint::Jwks), 4);
}

#[tokio::test]
async fn a_slow_jwks_times_out_and_fails_closed() {
    let (idp, clocks) = idp().await;
    let v = validator(&idp, &clocks); // 500 ms timeout
    idp.set_fault(Endpoint::Jwks, Fault::Delay(Duration::from_secs(3)));
    let started = Instant::now();
    assert_eq!(
        v.validate(&long_lived(&idp)).await.unwrap_err(),
        InvalidToken::KeysUnavailable
    );
    assert!(started.elapsed() < Duration::from_millis(1500));
    // Within the cooldown nobody waits on the slow endpoint again.
    let started = Instant::now();
    assert_eq!(
        v.validate(&long_lived(&idp)).await.unwrap_err(),
        InvalidToken::KeysUnavailable
    );
    assert!(started.elapsed() < Duration::from_millis(100));
    assert_eq!(idp.hits(Endpoint::Jwks), 1);
}

#[tokio::test]
async fn a_5xx_on_a_cold_cache_fails_closed_and_respects_the_cooldown() {
    let (idp, clocks) = idp().await;
    let v = validator(&idp, &clocks);
    idp.set_fault(Endpoint::Jwks, Fault::Status(500));
    for _ in 0..10 {
        assert_eq!(
            v.validate(&long_lived(&idp)).await.unwrap_err(),
            InvalidToken::KeysUnavailable
        );
    }
    assert_eq!(idp.hits(Endpoint::Jwks), 1);
    idp.clear_fault(Endpoint::Jwks);
    clocks.advance(31);
    v.validate(&long_lived(&idp)).await.unwrap();
    assert_eq!(idp.hits(Endpoint::Jwks), 2);
}

#[tokio::test]
async fn a_huge_jwks_body_is_cut_off_at_the_cap() {
    let (idp, clocks) = idp().await;
    let v = validator(&idp, &clocks); // 64 KiB cap
    let huge = format!("{{\"keys\":[],\"pad\":\"{}\"}}", "x".repeat(10 * 1024 * 1024));
    idp.set_fault(Endpoint::Jwks, Fault::Body(huge));
    let started = Instant::now();
    assert_eq!(
        v.validate(&long_lived(&idp)).await.unwrap_err(),
        InvalidToken::KeysUnavailable
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn an_empty_key_set_never_replaces_good_keys_and_the_cooldown_still_applies() {
    let (idp, clocks) = idp().await;
    let v = validator(&idp, &clocks);
    v.validate(&long_lived(&idp)).await.unwrap();
    idp.set_fault(Endpoint::Jwks, Fault::EmptyKeySet);
    clocks.advance(31);
    assert_eq!(
        v.validate(&unknown_kid(&idp, 1)).await.unwrap_err(),
        InvalidToken::UnknownKey
    );
    assert_eq!(idp.hits(Endpoint::Jwks), 2);
    for i in 2..20 {
        assert_eq!(
            v.validate(&unknown_kid(&idp, i)).await.unwrap_err(),
            InvalidToken::UnknownKey
        );
    }
    assert_eq!(idp.hits(Endpoint::Jwks), 2, "an empty answer still starts the cooldown");
    v.validate(&long_lived(&idp)).await.unwrap();
}

#[tokio::test]
async fn cache_control_max_age_is_honoured_within_bounds() {
    let (idp, clocks) = idp().await;
    let v = validator(&idp, &clocks); // min_ttl 10, cooldown 30
    idp.set_fault(
        Endpoint::Jwks,
        Fault::Headers(vec![("Cache-Control".into(), "public, max-age=45".into())]),
    );
    let token = long_lived(&idp);
    v.validate(&token).await.unwrap();
    clocks.advance(44);
    v.validate(&token).await.unwrap();
    assert_eq!(idp.hits(Endpoint::Jwks), 1, "fresh for 45 s");
    clocks.advance(2);
    v.validate(&token).await.unwrap();
    assert_eq!(idp.hits(Endpoint::Jwks), 2, "refetched after max-age");
}
