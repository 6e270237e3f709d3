//! Issue 12 negative tokens: each `TokenDefect` the mock mints is refused by token-guard with
//! the error naming that defect (and the same token without the defect is accepted).

use crate::support::*;
use mock_idp::{TokenDefect, TokenSpec};
use token_guard::InvalidToken;

fn spec() -> TokenSpec {
    TokenSpec::user("alice").scope("openid read:messages")
}

#[tokio::test]
async fn each_negative_token_is_refused_for_its_own_reason() {
    let (idp, clocks) = idp().await;
    let v = validator(&idp, &clocks);
    v.validate(&idp.mint(spec()).unwrap()).await.unwrap();
    let cases = [
        (TokenDefect::Expired, InvalidToken::Expired),
        (TokenDefect::NotYetValid, InvalidToken::NotYetValid),
        (TokenDefect::WrongIssuer, InvalidToken::Issuer),
        (TokenDefect::WrongAudience, InvalidToken::Audience),
        (TokenDefect::UnknownKid, InvalidToken::UnknownKey),
        (TokenDefect::BadSignature, InvalidToken::Signature),
        // An unsecured JWS (RFC 7519 §6.1) has an empty signature, which token-guard refuses as
        // malformed before it reads `alg` (src/jose.rs `parse`).
        (TokenDefect::AlgNone, InvalidToken::Malformed),
    ];
    assert_eq!(cases.len(), TokenDefect::ALL.len());
    for (defect, error) in cases {
        let token = idp.mint(spec().defect(defect)).unwrap();
        assert_eq!(v.validate(&token).await.unwrap_err(), error, "{defect:?}: {token}");
    }
}

#[tokio::test]
async fn arbitrary_claims_reach_the_validated_token_and_override_a_defect() {
    let (idp, clocks) = idp().await;
    let v = validator(&idp, &clocks);
    let token = idp
        .mint(
            spec()
                .defect(TokenDefect::WrongIssuer)
                .claim("iss", idp.issuer())
                .claim("tenant", "t-42"),
        )
        .unwrap();
    v.validate(&token).await.unwrap();
    assert_eq!(segment(&token, 1)["tenant"], "t-42");
}
