//! Token exchange (RFC 8693): EXCH-01..04, with the World's token-exchange client exchanging an
//! access token the code-flow client got for the user with a scope that puts the exchanger in
//! its `aud`. A provider whose discovery does not list the token-exchange grant skips every check
//! with that reason.

use super::{Entry, check};
use crate::cx::Cx;
use crate::http::{Exchange, Req, Step, skip};
use providers::ErrorKind;
use providers::exchange::{ACCESS_TOKEN_TYPE, ExchangeRefusal, ExchangeStyle};
use serde_json::Value;

/// The token exchange grant type (RFC 8693 §2.1).
pub(crate) const GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

pub(super) fn entries() -> Vec<Entry> {
    vec![
        check!(
            "EXCH-01",
            Exchange,
            Must,
            Strict,
            [CodeFlow, TokenExchange],
            "RFC 8693 §2.2.1",
            "a client in the subject token's audience exchanges it for an access token of the same subject",
            exch01
        ),
        check!(
            "EXCH-02",
            Exchange,
            Must,
            Strict,
            [TokenExchange],
            "RFC 8693 §2.2.2",
            "a subject_token that is no token of this issuer is refused without a token",
            exch02
        ),
        check!(
            "EXCH-03",
            Exchange,
            Must,
            Strict,
            [TokenExchange],
            "RFC 8693 §2.1, §2.2.2",
            "a request without subject_token_type is refused with invalid_request",
            exch03
        ),
        check!(
            "EXCH-04",
            Exchange,
            Must,
            Strict,
            [CodeFlow, TokenExchange],
            "RFC 8693 §2.1, §2.2.2",
            "an audience the exchanged token may not have is refused without a token",
            exch04
        ),
    ]
}

/// Skips unless discovery lists the grant.
async fn require_grant(cx: &Cx<'_>) -> Step {
    let doc = cx.discovery().await?;
    let listed = doc
        .get("grant_types_supported")
        .and_then(Value::as_array)
        .is_some_and(|grants| grants.iter().any(|grant| grant.as_str() == Some(GRANT)));
    if listed {
        Ok(())
    } else {
        Err(skip("discovery does not list the token-exchange grant"))
    }
}

/// The user's access token from the code-flow client, with the scope that puts the exchanger
/// in its `aud`.
pub(crate) async fn subject_token(cx: &Cx<'_>) -> Step<String> {
    if providers::exchange::facts(cx.provider()).is_some_and(|facts| !facts.exchanges_own_tokens()) {
        return Err(skip(format!(
            "{} exchanges tokens of trusted identity providers, not its own access tokens",
            cx.provider()
        )));
    }
    let exchanger = cx.exchanger()?;
    let scope = exchanger
        .audience_scopes
        .first()
        .ok_or_else(|| skip(crate::check::Capability::TokenExchange.skip_reason(cx.target.realm_name())))?;
    let tokens = cx.web_tokens(&format!("openid {scope}")).await?;
    Ok(tokens.access_token()?.to_owned())
}

/// A token exchange request by the exchanger with `params`.
pub(crate) async fn exchange(cx: &Cx<'_>, params: &[(&str, &str)]) -> Step<Exchange> {
    let mut form = vec![("grant_type", GRANT)];
    form.extend_from_slice(params);
    cx.token_request(cx.exchanger()?, &form).await
}

async fn exch01(cx: &Cx<'_>) -> Step {
    require_grant(cx).await?;
    let subject = subject_token(cx).await?;
    let answer = exchange(
        cx,
        &[("subject_token", &subject), ("subject_token_type", ACCESS_TOKEN_TYPE)],
    )
    .await?;
    let tokens = Cx::tokens(answer)?;
    if tokens.str("issued_token_type") != Some(ACCESS_TOKEN_TYPE) {
        return Err(tokens.exchange.fail(
            Some("issued_token_type"),
            format!(
                "expected {ACCESS_TOKEN_TYPE}, got {:?}",
                tokens.str("issued_token_type")
            ),
        ));
    }
    if !tokens
        .str("token_type")
        .is_some_and(|kind| kind.eq_ignore_ascii_case("bearer"))
    {
        return Err(tokens.exchange.fail(Some("token_type"), "expected Bearer"));
    }
    let exchanged = tokens.access_token()?;
    if is_jws(&subject) && is_jws(exchanged) {
        let (_, subject_claims) = cx.verify_jwt(&subject).await?;
        let (_, exchanged_claims) = cx.verify_jwt(exchanged).await?;
        if exchanged_claims.get("sub") != subject_claims.get("sub") {
            return Err(tokens.exchange.fail(
                Some("access_token.sub"),
                "the exchanged token names another subject than the subject token",
            ));
        }
        if exchanged_claims.get("jti").is_some() && exchanged_claims.get("jti") == subject_claims.get("jti") {
            return Err(tokens
                .exchange
                .fail(Some("access_token.jti"), "the subject token came back unchanged"));
        }
        return Ok(());
    }
    // Opaque tokens (ZITADEL's default): the subject userinfo names for each.
    if exchanged == subject {
        return Err(tokens
            .exchange
            .fail(Some("access_token"), "the subject token came back unchanged"));
    }
    let subject_sub = userinfo_sub(cx, &subject).await?;
    let exchanged_sub = userinfo_sub(cx, exchanged).await?;
    if exchanged_sub != subject_sub {
        return Err(tokens.exchange.fail(
            Some("access_token"),
            format!("userinfo names {exchanged_sub:?} for the exchanged token, {subject_sub:?} for the subject token"),
        ));
    }
    Ok(())
}

fn is_jws(token: &str) -> bool {
    token.split('.').count() == 3
}

/// The `sub` userinfo answers for the access token `token`.
async fn userinfo_sub(cx: &Cx<'_>, token: &str) -> Step<Value> {
    let url = cx.endpoint(providers::Endpoint::Userinfo).await?;
    let answer = cx.send(Req::get(url.as_str()).bearer(token)).await?;
    let body = answer.ok_object()?;
    body.get("sub")
        .cloned()
        .ok_or_else(|| answer.fail(Some("sub"), "userinfo names no subject"))
}

async fn exch02(cx: &Cx<'_>) -> Step {
    require_grant(cx).await?;
    let answer = exchange(
        cx,
        &[
            ("subject_token", "not-a-token-of-this-issuer"),
            ("subject_token_type", ACCESS_TOKEN_TYPE),
        ],
    )
    .await?;
    Cx::expect_no_token(&answer)?;
    cx.expect_error(
        &answer,
        &ErrorKind::Exchange(ExchangeRefusal::InvalidSubjectToken),
        &[400],
        &["invalid_request"],
    )
}

async fn exch03(cx: &Cx<'_>) -> Step {
    require_grant(cx).await?;
    let answer = exchange(cx, &[("subject_token", "x")]).await?;
    Cx::expect_no_token(&answer)?;
    cx.expect_error(
        &answer,
        &ErrorKind::Exchange(ExchangeRefusal::MissingSubjectTokenType),
        &[400],
        &["invalid_request"],
    )
}

async fn exch04(cx: &Cx<'_>) -> Step {
    require_grant(cx).await?;
    let subject = subject_token(cx).await?;
    let zitadel = providers::exchange::facts(cx.provider()).is_some_and(|facts| facts.style == ExchangeStyle::Zitadel);
    // Keycloak: the code-flow client is a client of the realm, but not in the exchanged token's
    // audience unless the provider puts it there (ask for a client no scope of the exchanger
    // adds). ZITADEL keeps the requested audience within the subject token's, which names the
    // code-flow client: ask for a value no token has.
    let (foreign, refusal) = if zitadel {
        let foreign = "idp-conformance-foreign-audience".to_owned();
        let refusal = ExchangeRefusal::AudienceNotInSubject {
            audience: foreign.clone(),
        };
        (foreign, refusal)
    } else {
        let foreign = cx.web()?.id.clone();
        let refusal = ExchangeRefusal::AudienceNotAvailable {
            audiences: foreign.clone(),
        };
        (foreign, refusal)
    };
    let answer = exchange(
        cx,
        &[
            ("subject_token", &subject),
            ("subject_token_type", ACCESS_TOKEN_TYPE),
            ("audience", &foreign),
        ],
    )
    .await?;
    Cx::expect_no_token(&answer)?;
    cx.expect_error(
        &answer,
        &ErrorKind::Exchange(refusal),
        &[400],
        &["invalid_target", "invalid_request"],
    )
}
