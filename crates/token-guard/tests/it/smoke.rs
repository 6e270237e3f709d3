use crate::support::*;
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
