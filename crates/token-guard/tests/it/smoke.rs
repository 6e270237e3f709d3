use crate::support::*;
use mock_idp::MockIdp;
use token_guard::TokenKind;

#[tokio::test]
async fn a_token_minted_by_the_mock_validates_into_a_principal() {
    let (idp, clocks) = idp().await;
    let validator = validator(&idp, &clocks);
    let principal = validator.validate(&alice(&idp)).await.unwrap();
    assert_eq!(principal.subject, "7f2a1c3e-5b4d-4e6f-8a9b-0c1d2e3f4a5b");
    assert!(principal.has_scope("read:messages"));
    assert!(principal.has_role("admin"));
    assert_eq!(principal.kind, TokenKind::Jwt);
    assert_eq!(principal.client_id.as_deref(), Some("web-app"));
    // the forger signs exactly like the mock
    assert!(
        validator
            .validate(&mock_signed(&header(&idp), &claims(&idp)))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn one_manual_clock_drives_the_mock_and_the_validator() {
    // The same type under both crates' paths (`providers::clock`, re-exported).
    let clock: mock_idp::ManualClock = token_guard::ManualClock::at(NOW);
    let idp = MockIdp::builder().clock(clock.clone()).start().await;
    let validator = builder(&idp, &Clocks::new())
        .clock(clock.clone())
        .leeway(0)
        .build()
        .unwrap();
    let token = alice(&idp);
    assert_eq!(segment(&token, 1)["iat"], NOW);
    assert!(validator.validate(&token).await.is_ok());
    clock.advance(300);
    assert_eq!(
        validator.validate(&token).await.unwrap_err(),
        token_guard::InvalidToken::Expired
    );
    // The mock reads the same clock: a token minted now is valid again.
    let fresh = alice(&idp);
    assert_eq!(segment(&fresh, 1)["iat"], NOW + 300);
    assert!(validator.validate(&fresh).await.is_ok());
}
