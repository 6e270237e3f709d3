//! Issue 12 key rotation end to end: tokens signed before and after a rotation both validate
//! during the overlap; once the old key is retired (or its overlap ends on the mock's clock),
//! only tokens of the new key do.

use crate::support::*;
use mock_idp::{KeyState, TokenSpec};
use std::time::Duration;
use token_guard::InvalidToken;

fn long_lived(idp: &mock_idp::MockIdp) -> String {
    idp.mint(
        TokenSpec::user("alice")
            .scope("openid read:messages")
            .expires_in(100_000),
    )
    .unwrap()
}

#[tokio::test]
async fn both_keys_validate_during_the_overlap_and_only_the_new_one_after_it() {
    let (idp, clocks) = idp().await;
    let v = validator(&idp, &clocks);
    let old = long_lived(&idp);
    v.validate(&old).await.unwrap();
    clocks.advance(31); // past the validator's refetch cooldown
    idp.rotate_realm_keys("demo", Some(Duration::from_secs(600))).unwrap();
    let new = long_lived(&idp);
    assert_ne!(segment(&new, 0)["kid"], segment(&old, 0)["kid"]);
    v.validate(&new).await.unwrap();
    v.validate(&old).await.unwrap();
    let old_kid = segment(&old, 0)["kid"].as_str().unwrap().to_owned();
    let retired = idp
        .keys("demo")
        .unwrap()
        .into_iter()
        .find(|key| key.kid == old_kid)
        .unwrap();
    assert_eq!(
        retired.state,
        KeyState::Retired {
            until: Some(NOW + 31 + 600)
        }
    );

    clocks.advance(601); // the overlap ends, and the validator's cached set (TTL 300) expires
    assert!(idp.keys("demo").unwrap().iter().all(|key| key.kid != old_kid));
    assert_eq!(v.validate(&old).await.unwrap_err(), InvalidToken::UnknownKey);
    v.validate(&new).await.unwrap();
}

#[tokio::test]
async fn after_retirement_only_the_new_key_validates() {
    let (idp, clocks) = idp().await;
    let v = validator(&idp, &clocks);
    let old = long_lived(&idp);
    v.validate(&old).await.unwrap();
    clocks.advance(31);
    idp.rotate_realm_keys("demo", None).unwrap();
    let new = long_lived(&idp);
    v.validate(&new).await.unwrap();
    v.validate(&old).await.unwrap();
    clocks.advance(10_000); // no overlap: the old key stays until retired
    v.validate(&old).await.unwrap();

    idp.retire_old_keys("demo").unwrap();
    clocks.advance(301); // the validator's cached set expires
    assert_eq!(v.validate(&old).await.unwrap_err(), InvalidToken::UnknownKey);
    v.validate(&new).await.unwrap();
}

/// PS256 end to end (issue 12): a realm switched to PS256 signs with a key of its own that
/// token-guard accepts when it allows PS256 (and refuses when it allows RS256 only); a
/// rotation gives it a new PS256 key while the old one's tokens still validate.
#[tokio::test]
async fn a_ps256_realm_validates_and_rotates() {
    let (idp, clocks) = idp().await;
    idp.set_signing_alg("demo", Some(mock_idp::SigningAlg::PS256)).unwrap();
    let old = long_lived(&idp);
    assert_eq!(segment(&old, 0)["alg"], "PS256");
    let ps256 = token_guard::Validator::builder(idp.issuer(), "api", [token_guard::Alg::PS256])
        .clock(clocks.guard.clone())
        .jwks_config(test_jwks_config())
        .build()
        .unwrap();
    ps256.validate(&old).await.unwrap();
    let rs256_only = validator(&idp, &clocks);
    assert!(
        rs256_only.validate(&old).await.is_err(),
        "an RS256-only validator refuses PS256"
    );

    clocks.advance(31); // past the validator's refetch cooldown
    idp.rotate_realm_keys("demo", Some(Duration::from_secs(600))).unwrap();
    let new = long_lived(&idp);
    assert_eq!(segment(&new, 0)["alg"], "PS256");
    assert_ne!(segment(&new, 0)["kid"], segment(&old, 0)["kid"]);
    ps256.validate(&new).await.unwrap();
    ps256.validate(&old).await.unwrap();
}
