//! Issue 12 key controls over HTTP: publish-only keys, retirement, the signing algorithm per
//! realm.

use crate::support::{header, json_of};
use mock_idp::{Endpoint, KeyState, MockIdp, MockIdpError, SigningAlg, TokenSpec};
use serde_json::Value;

async fn jwks_kids(idp: &MockIdp) -> Vec<(String, String)> {
    let set: Value = reqwest::get(idp.endpoint(Endpoint::Jwks))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    set["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| {
            (
                key["kid"].as_str().unwrap().to_owned(),
                key["alg"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn service_token(idp: &MockIdp) -> String {
    let body: Value = json_of(reqwest::Client::new().post(idp.endpoint(Endpoint::Token)).form(&[
        ("grant_type", "client_credentials"),
        ("client_id", "service"),
        ("client_secret", "service-secret"),
    ]))
    .await
    .1;
    body["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_signing_algorithm_is_chosen_per_realm_at_run_time() {
    let idp = MockIdp::start().await;
    assert_eq!(header(&service_token(&idp).await)["alg"], "RS256");
    for alg in [SigningAlg::ES256, SigningAlg::EdDSA, SigningAlg::RS256] {
        idp.set_signing_alg("demo", Some(alg)).unwrap();
        let token = service_token(&idp).await;
        let head = header(&token);
        assert_eq!(head["alg"], alg.as_str());
        let kid = head["kid"].as_str().unwrap().to_owned();
        assert!(jwks_kids(&idp).await.contains(&(kid, alg.as_str().to_owned())));
        assert_eq!(
            header(&idp.mint(TokenSpec::user("alice")).unwrap())["alg"],
            alg.as_str()
        );
    }
    idp.set_signing_alg("demo", None).unwrap();
    assert_eq!(header(&service_token(&idp).await)["alg"], "RS256");
    assert!(matches!(
        idp.set_signing_alg("nope", Some(SigningAlg::ES256)),
        Err(MockIdpError::UnknownRealm(_))
    ));
}

#[tokio::test]
async fn a_publish_only_key_is_in_the_jwks_but_never_signs_and_can_be_retired() {
    let idp = MockIdp::start().await;
    let kid = idp.publish_key("demo", SigningAlg::ES256).unwrap();
    assert!(jwks_kids(&idp).await.contains(&(kid.clone(), "ES256".into())));
    let listed = idp.keys("demo").unwrap();
    assert_eq!(
        listed.iter().find(|key| key.kid == kid).unwrap().state,
        KeyState::PublishOnly
    );
    for alg in [SigningAlg::ES256, SigningAlg::RS256, SigningAlg::EdDSA] {
        idp.set_signing_alg("demo", Some(alg)).unwrap();
        for _ in 0..5 {
            assert_ne!(header(&service_token(&idp).await)["kid"], kid.as_str());
        }
    }
    // Rotations keep it published; retiring it removes it.
    idp.rotate_realm_keys("demo", None).unwrap();
    assert!(jwks_kids(&idp).await.iter().any(|(k, _)| *k == kid));
    idp.retire_key("demo", &kid).unwrap();
    assert!(jwks_kids(&idp).await.iter().all(|(k, _)| *k != kid));
    assert!(matches!(idp.retire_key("demo", &kid), Err(MockIdpError::Keys(_))));
}

#[tokio::test]
async fn an_active_key_cannot_be_retired_and_a_rotation_retires_all_three_active_keys() {
    let idp = MockIdp::start().await;
    let active = header(&service_token(&idp).await)["kid"].as_str().unwrap().to_owned();
    let err = idp.retire_key("demo", &active).unwrap_err();
    assert!(err.to_string().contains("is active"), "{err}");
    assert!(jwks_kids(&idp).await.iter().any(|(k, _)| *k == active));
    idp.rotate_realm_keys("demo", None).unwrap();
    let states: Vec<KeyState> = idp.keys("demo").unwrap().into_iter().map(|key| key.state).collect();
    assert_eq!(states.iter().filter(|s| **s == KeyState::Active).count(), 3);
    assert_eq!(
        states
            .iter()
            .filter(|s| **s == KeyState::Retired { until: None })
            .count(),
        3
    );
}

#[test]
fn concurrent_key_changes_lose_no_update() {
    use std::sync::Barrier;
    const THREADS: usize = 4;
    let idp = MockIdp::start_blocking();
    for round in 0..3 {
        let barrier = Barrier::new(THREADS);
        let kids: Vec<String> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..THREADS)
                .map(|i| {
                    let (idp, barrier) = (&idp, &barrier);
                    scope.spawn(move || {
                        barrier.wait();
                        if i == 0 {
                            idp.set_signing_alg("demo", Some(SigningAlg::EdDSA)).unwrap();
                        }
                        idp.publish_key("demo", SigningAlg::ES256).unwrap()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let listed = idp.keys("demo").unwrap();
        for kid in &kids {
            assert!(
                listed
                    .iter()
                    .any(|key| key.kid == *kid && key.state == KeyState::PublishOnly),
                "round {round}: {kid} lost"
            );
        }
        assert_eq!(header(&idp.mint(TokenSpec::user("alice")).unwrap())["alg"], "EdDSA");
        for kid in kids {
            idp.retire_key("demo", &kid).unwrap();
        }
        idp.set_signing_alg("demo", None).unwrap();
    }
}
