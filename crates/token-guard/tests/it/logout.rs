//! Logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.6) as a relying party checks them:
//! one good token, then one rule broken at a time.

use crate::support::*;
use serde_json::{Value, json};
use token_guard::{InvalidLogoutToken, InvalidToken, LogoutTokenValidator, logout_claims};

fn logout_header(idp: &mock_idp::MockIdp) -> Value {
    json!({"alg": "RS256", "typ": "logout+jwt", "kid": rsa_kid(idp)})
}

fn good(idp: &mock_idp::MockIdp, jti: &str) -> Value {
    Value::Object(logout_claims(
        &idp.issuer(),
        "web-app",
        NOW,
        120,
        jti,
        Some("user-1"),
        Some("session-1"),
    ))
}

fn logout_validator(idp: &mock_idp::MockIdp, clocks: &Clocks) -> LogoutTokenValidator {
    validator(idp, clocks).logout_tokens("web-app")
}

#[tokio::test]
async fn a_good_logout_token_is_accepted_once() {
    let (idp, clocks) = idp().await;
    let logout = logout_validator(&idp, &clocks);
    let token = mock_signed(&logout_header(&idp), &good(&idp, "j-1"));
    let request = logout.validate(&token).await.unwrap();
    assert_eq!(request.subject.as_deref(), Some("user-1"));
    assert_eq!(request.session_id.as_deref(), Some("session-1"));
    assert_eq!(request.issuer, idp.issuer());
    assert!(matches!(
        logout.validate(&token).await,
        Err(InvalidLogoutToken::Replayed)
    ));
    // `typ: JWT` and no `typ` are accepted too; `sid` alone or `sub` alone is enough.
    let sid_only = without(good(&idp, "j-2"), "sub");
    let jwt_typ = json!({"alg": "RS256", "typ": "JWT", "kid": rsa_kid(&idp)});
    assert!(logout.validate(&mock_signed(&jwt_typ, &sid_only)).await.is_ok());
    let sub_only = without(good(&idp, "j-3"), "sid");
    let no_typ = json!({"alg": "RS256", "kid": rsa_kid(&idp)});
    assert!(logout.validate(&mock_signed(&no_typ, &sub_only)).await.is_ok());
}

#[tokio::test]
async fn each_broken_rule_is_refused() {
    let (idp, clocks) = idp().await;
    let logout = logout_validator(&idp, &clocks);
    let header = logout_header(&idp);
    let cases: Vec<(&str, Value, Value)> = vec![
        ("nonce", header.clone(), with(good(&idp, "n"), "nonce", json!("n-1"))),
        ("no events", header.clone(), without(good(&idp, "e"), "events")),
        (
            "other event",
            header.clone(),
            with(good(&idp, "o"), "events", json!({"urn:other": {}})),
        ),
        (
            "event not an object",
            header.clone(),
            with(
                good(&idp, "v"),
                "events",
                json!({"http://schemas.openid.net/event/backchannel-logout": "yes"}),
            ),
        ),
        (
            "wrong aud",
            header.clone(),
            with(good(&idp, "a"), "aud", json!("other-client")),
        ),
        (
            "wrong iss",
            header.clone(),
            with(good(&idp, "i"), "iss", json!("http://evil")),
        ),
        ("expired", header.clone(), with(good(&idp, "x"), "exp", json!(NOW - 60))),
        ("no exp", header.clone(), without(good(&idp, "p"), "exp")),
        ("no iat", header.clone(), without(good(&idp, "t"), "iat")),
        (
            "no sub nor sid",
            header.clone(),
            without(without(good(&idp, "s"), "sub"), "sid"),
        ),
        ("no jti", header.clone(), without(good(&idp, "j"), "jti")),
        (
            "access token typ",
            json!({"alg": "RS256", "typ": "at+jwt", "kid": rsa_kid(&idp)}),
            good(&idp, "y"),
        ),
    ];
    for (name, header, claims) in cases {
        let result = logout.validate(&mock_signed(&header, &claims)).await;
        let expected = match name {
            "nonce" => matches!(result, Err(InvalidLogoutToken::NoncePresent)),
            "no events" | "other event" | "event not an object" => {
                matches!(result, Err(InvalidLogoutToken::MissingEvent))
            }
            "wrong aud" => matches!(result, Err(InvalidLogoutToken::Token(InvalidToken::Audience))),
            "wrong iss" => matches!(result, Err(InvalidLogoutToken::Token(InvalidToken::Issuer))),
            "expired" => matches!(result, Err(InvalidLogoutToken::Token(InvalidToken::Expired))),
            "no exp" => matches!(
                result,
                Err(InvalidLogoutToken::Token(InvalidToken::MissingClaim("exp")))
            ),
            "no iat" => matches!(
                result,
                Err(InvalidLogoutToken::Token(InvalidToken::MissingClaim("iat")))
            ),
            "no sub nor sid" => matches!(result, Err(InvalidLogoutToken::NoSubject)),
            "no jti" => matches!(result, Err(InvalidLogoutToken::MissingJti)),
            "access token typ" => matches!(result, Err(InvalidLogoutToken::Typ)),
            _ => false,
        };
        assert!(expected, "{name}: {result:?}");
    }
    // A token signed by another key.
    let forged = forge(
        &json!({"alg": "RS256", "typ": "logout+jwt", "kid": rsa_kid(&idp)}),
        &good(&idp, "f"),
        &Sig::Rsa(attacker_rsa(), &aws_lc_rs::signature::RSA_PKCS1_SHA256),
    );
    assert!(matches!(
        logout.validate(&forged).await,
        Err(InvalidLogoutToken::Token(InvalidToken::Signature))
    ));
}

#[tokio::test]
async fn the_replay_cache_is_bounded_and_fails_closed() {
    let (idp, clocks) = idp().await;
    let logout = logout_validator(&idp, &clocks).max_replay_entries(2);
    let header = logout_header(&idp);
    for jti in ["r-1", "r-2"] {
        assert!(logout.validate(&mock_signed(&header, &good(&idp, jti))).await.is_ok());
    }
    assert!(matches!(
        logout.validate(&mock_signed(&header, &good(&idp, "r-3"))).await,
        Err(InvalidLogoutToken::ReplayCacheFull)
    ));
    // Once the remembered tokens have expired (past the 30 s leeway), room is made again.
    clocks.advance(120 + 31);
    let later = with(
        with(good(&idp, "r-4"), "iat", json!(NOW + 151)),
        "exp",
        json!(NOW + 271),
    );
    assert!(logout.validate(&mock_signed(&header, &later)).await.is_ok());
}
