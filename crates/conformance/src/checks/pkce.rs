//! PKCE (RFC 7636, RFC 9700 §2.1.1): PKCE-01..08.

use super::{Entry, check};
use crate::cx::{AuthRequest, Cx, RFC7636_CHALLENGE, RFC7636_VERIFIER};
use crate::http::{Jar, Step, skip};
use providers::{ErrorKind, PkcePolicy};

pub(super) fn entries() -> Vec<Entry> {
    vec![
        check!(
            "PKCE-01",
            Pkce,
            Must,
            Strict,
            [PublicClient],
            "RFC 7636 §4.2, §4.6, App. B",
            "the RFC 7636 Appendix B S256 vector yields tokens",
            pkce01
        ),
        check!(
            "PKCE-02",
            Pkce,
            Must,
            Strict,
            [PublicClient],
            "RFC 7636 §4.6",
            "a wrong code_verifier answers invalid_grant",
            pkce02
        ),
        check!(
            "PKCE-03",
            Pkce,
            Must,
            Strict,
            [PublicClient],
            "RFC 7636 §4.6; RFC 9700 §2.1.1",
            "a missing code_verifier answers invalid_grant",
            pkce03
        ),
        check!(
            "PKCE-04",
            Pkce,
            Must,
            Warn,
            [CodeFlow],
            "RFC 9700 §2.1.1",
            "a code_verifier for a code issued without a challenge answers invalid_grant",
            pkce04
        ),
        check!(
            "PKCE-05",
            Pkce,
            Must,
            Strict,
            [CodeFlow],
            "RFC 7636 §4.3, §4.4.1",
            "plain (or no method) is accepted only where the provider allows plain",
            pkce05
        ),
        check!(
            "PKCE-06",
            Pkce,
            Must,
            Warn,
            [PublicClient],
            "RFC 7636 §4.1",
            "verifiers of 42 or 129 characters or with bad characters are refused",
            pkce06
        ),
        check!(
            "PKCE-07",
            Pkce,
            Must,
            Warn,
            [PublicClient],
            "RFC 7636 §4.4.1",
            "code_challenge_method=S512 answers invalid_request",
            pkce07
        ),
        check!(
            "PKCE-08",
            Pkce,
            Should,
            Strict,
            [PublicClient],
            "RFC 9700 §2.1.1",
            "a public client that must use PKCE is refused without it",
            pkce08
        ),
    ]
}

async fn pkce01(cx: &Cx<'_>) -> Step {
    let spa = cx.spa()?;
    let request = AuthRequest::code(spa, "openid")
        .set("code_challenge", Some(RFC7636_CHALLENGE))
        .set("code_challenge_method", Some("S256"));
    let code = cx.callback(&request).await?.code()?;
    Cx::tokens(cx.redeem(&request, &code, Some(RFC7636_VERIFIER)).await?).map(drop)
}

async fn refused_verifier(cx: &Cx<'_>, verifier: Option<&str>) -> Step {
    let spa = cx.spa()?;
    let request = AuthRequest::code(spa, "openid").s256(RFC7636_VERIFIER);
    let code = cx.callback(&request).await?.code()?;
    let exchange = cx.redeem(&request, &code, verifier).await?;
    Cx::expect_no_token(&exchange)?;
    let (kind, detail) = match verifier {
        None => (ErrorKind::PkceVerifierMissing, providers::PKCE_VERIFIER_MISSING),
        Some(_) => (ErrorKind::PkceMismatch, ""),
    };
    cx.expect_error_detail(&exchange, &kind, detail, &[400], &["invalid_grant"])
}

async fn pkce02(cx: &Cx<'_>) -> Step {
    refused_verifier(cx, Some("wrong-verifier-wrong-verifier-wrong-verifier-0123")).await
}

async fn pkce03(cx: &Cx<'_>) -> Step {
    refused_verifier(cx, None).await
}

async fn pkce04(cx: &Cx<'_>) -> Step {
    let web = cx.web()?;
    let request = AuthRequest::code(web, "openid");
    let code = cx.callback(&request).await?.code()?;
    let exchange = cx.redeem(&request, &code, Some(RFC7636_VERIFIER)).await?;
    Cx::expect_no_token(&exchange)?;
    cx.expect_error(&exchange, &ErrorKind::PkceMismatch, &[400], &["invalid_grant"])
}

async fn pkce05(cx: &Cx<'_>) -> Step {
    let web = cx.web()?;
    if web.pkce != PkcePolicy::Optional {
        return Err(skip("the code-flow client requires S256"));
    }
    let plain_allowed = cx.provider().flavor().quirks().pkce_plain();
    let user = cx.user()?;
    for method in [Some("plain"), None] {
        let request = AuthRequest::code(web, "openid")
            .set("code_challenge", Some(RFC7636_VERIFIER))
            .set("code_challenge_method", method);
        let answer = cx.authorize(&request, Some(user), Jar::default()).await?;
        match (answer, plain_allowed) {
            (Ok(callback), true) => {
                let code = callback.code()?;
                Cx::tokens(cx.redeem(&request, &code, Some(RFC7636_VERIFIER)).await?)?;
            }
            (Ok(callback), false) => {
                if callback.param("code").is_some() {
                    return Err(callback.exchange.fail(
                        Some("code_challenge_method"),
                        format!("{} does not allow plain, yet a code was issued", cx.provider()),
                    ));
                }
                if callback.param("error").as_deref() != Some("invalid_request") {
                    return Err(callback.exchange.fail(
                        Some("error"),
                        format!("expected invalid_request, got {:?}", callback.param("error")),
                    ));
                }
            }
            (Err(exchange), true) => {
                return Err(exchange.fail(
                    None,
                    "plain PKCE is allowed for this provider but the request was not answered with a code",
                ));
            }
            (Err(exchange), false) => {
                if exchange.status < 400 {
                    return Err(exchange.fail(None, "plain PKCE was neither redirected with an error nor refused"));
                }
            }
        }
    }
    Ok(())
}

async fn pkce06(cx: &Cx<'_>) -> Step {
    let spa = cx.spa()?;
    let cases = [
        "a".repeat(42),
        "a".repeat(129),
        format!("{}!{}", "a".repeat(30), "b".repeat(20)),
    ];
    for verifier in cases {
        let request = AuthRequest::code(spa, "openid").s256(&verifier);
        let user = cx.user()?;
        let Ok(callback) = cx.authorize(&request, Some(user), Jar::default()).await? else {
            continue;
        };
        let Some(code) = callback.param("code") else {
            continue;
        };
        let exchange = cx.redeem(&request, &code, Some(&verifier)).await?;
        Cx::expect_no_token(&exchange)?;
        if !(400..500).contains(&exchange.status) {
            return Err(exchange.fail(Some("code_verifier"), "a malformed verifier was not refused"));
        }
    }
    Ok(())
}

async fn pkce07(cx: &Cx<'_>) -> Step {
    let spa = cx.spa()?;
    let user = cx.user()?;
    let request = AuthRequest::code(spa, "openid")
        .set("code_challenge", Some(RFC7636_CHALLENGE))
        .set("code_challenge_method", Some("S512"));
    match cx.authorize(&request, Some(user), Jar::default()).await? {
        Ok(callback) => match callback.param("error") {
            Some(error) if error == "invalid_request" => Ok(()),
            other => Err(callback.exchange.fail(
                Some("error"),
                format!(
                    "expected invalid_request, got {other:?} (code issued: {})",
                    callback.param("code").is_some()
                ),
            )),
        },
        Err(exchange) if (400..500).contains(&exchange.status) => Ok(()),
        Err(exchange) => Err(exchange.fail(None, "S512 was neither refused nor redirected with an error")),
    }
}

async fn pkce08(cx: &Cx<'_>) -> Step {
    if !cx.target.cast().spa_requires_pkce() {
        return Err(skip("no public client is required to use PKCE"));
    }
    let spa = cx.spa()?;
    let user = cx.user()?;
    let request = AuthRequest::code(spa, "openid");
    match cx.authorize(&request, Some(user), Jar::default()).await? {
        Ok(callback) => match callback.param("code") {
            None => Ok(()),
            Some(code) => {
                let exchange = cx.redeem(&request, &code, None).await?;
                Cx::expect_no_token(&exchange)
            }
        },
        Err(_) => Ok(()),
    }
}
