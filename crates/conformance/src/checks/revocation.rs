//! Revocation (RFC 7009): REV-01..08.

use super::{Entry, check};
use crate::checks::introspection::{active, audience_tokens};
use crate::cx::Cx;
use crate::http::{Exchange, Req, Step};
use mock_idp::Endpoint;
use providers::{Client, ErrorKind, RefreshRevocation};

pub(super) fn entries() -> Vec<Entry> {
    vec![
        check!(
            "REV-01",
            Revocation,
            Must,
            Strict,
            [CodeFlow, Refresh],
            "RFC 7009 §2, §2.1, §2.2",
            "a revoked refresh token answers 200 and then invalid_grant",
            rev01
        ),
        check!(
            "REV-02",
            Revocation,
            Should,
            Strict,
            [CodeFlow, Introspection],
            "RFC 7009 §2; RFC 7662",
            "a revoked access token answers 200 and introspects inactive",
            rev02
        ),
        check!(
            "REV-03",
            Revocation,
            Must,
            Strict,
            [CodeFlow],
            "RFC 7009 §2.2",
            "unknown, garbage and already revoked tokens answer 200",
            rev03
        ),
        check!(
            "REV-04",
            Revocation,
            Must,
            Strict,
            [CodeFlow, Refresh, PublicClient],
            "RFC 7009 §2.1",
            "another client cannot revoke a token; never a 5xx",
            rev04
        ),
        check!(
            "REV-05",
            Revocation,
            Must,
            Strict,
            [CodeFlow],
            "RFC 7009 §2.1, §2.2.1; RFC 6749 §5.2",
            "a confidential client without or with wrong authentication answers 401 invalid_client",
            rev05
        ),
        check!(
            "REV-06",
            Revocation,
            Must,
            Warn,
            [CodeFlow, Refresh],
            "RFC 7009 §2.1, §2.2.1",
            "an unknown token_type_hint is ignored",
            rev06
        ),
        check!(
            "REV-07",
            Revocation,
            Must,
            Warn,
            [CodeFlow],
            "RFC 7009 §2.1",
            "no token parameter answers 400 invalid_request; a GET is refused",
            rev07
        ),
        check!(
            "REV-08",
            Revocation,
            Should,
            Strict,
            [CodeFlow, Refresh],
            "RFC 7009 §2.1; RFC 9700 §4.14.2",
            "revoking a refresh token that was already rotated ends what the provider's revocation ends",
            rev08
        ),
    ]
}

async fn revoke(cx: &Cx<'_>, client: &Client, params: &[(&str, &str)]) -> Step<Exchange> {
    let url = cx.endpoint(Endpoint::Revoke).await?;
    let (auth, extra) = Cx::client_auth(client);
    cx.send(Req::post(url).auth(auth).form(params).form(&extra)).await
}

async fn refresh_works(cx: &Cx<'_>, refresh_token: &str) -> Step<Exchange> {
    let web = cx.web()?;
    cx.token_request(
        web,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh_token)],
    )
    .await
}

async fn revoked_refresh(cx: &Cx<'_>, hint: Option<&str>) -> Step {
    let web = cx.web()?;
    let tokens = cx.refreshable_tokens().await?;
    let refresh = tokens.refresh_token()?;
    let mut params = vec![("token", refresh)];
    if let Some(hint) = hint {
        params.push(("token_type_hint", hint));
    }
    revoke(cx, web, &params).await?.expect_status(200)?;
    let after = refresh_works(cx, refresh).await?;
    Cx::expect_no_token(&after)?;
    cx.expect_error(&after, &ErrorKind::InvalidRefreshToken, &[400], &["invalid_grant"])
}

async fn rev01(cx: &Cx<'_>) -> Step {
    revoked_refresh(cx, Some("refresh_token")).await
}

async fn rev02(cx: &Cx<'_>) -> Step {
    let web = cx.web()?;
    let tokens = audience_tokens(cx).await?;
    let access = tokens.access_token()?;
    revoke(cx, web, &[("token", access), ("token_type_hint", "access_token")])
        .await?
        .expect_status(200)?;
    let after = cx.introspect(&[("token", access)]).await?;
    if active(&after)? {
        return Err(after.fail(Some("active"), "the revoked access token is still active"));
    }
    cx.note("JWT access tokens keep validating at a resource server that does not introspect until exp");
    Ok(())
}

async fn rev03(cx: &Cx<'_>) -> Step {
    let web = cx.web()?;
    for token in ["not-a-token", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"] {
        revoke(cx, web, &[("token", token)]).await?.expect_status(200)?;
    }
    if let Ok(tokens) = cx.refreshable_tokens().await
        && let Ok(refresh) = tokens.refresh_token()
    {
        revoke(cx, web, &[("token", refresh)]).await?.expect_status(200)?;
        revoke(cx, web, &[("token", refresh)]).await?.expect_status(200)?;
    }
    Ok(())
}

async fn rev04(cx: &Cx<'_>) -> Step {
    let spa = cx.spa()?;
    let tokens = cx.refreshable_tokens().await?;
    let refresh = tokens.refresh_token()?;
    let exchange = revoke(cx, spa, &[("token", refresh)]).await?;
    if exchange.status >= 500 {
        return Err(exchange.fail(None, "a 5xx for another client's token"));
    }
    let after = refresh_works(cx, refresh).await?;
    if after.status != 200 {
        return Err(after.fail(
            Some("refresh_token"),
            format!(
                "the token was revoked by another client (revocation answered {})",
                exchange.status
            ),
        ));
    }
    Ok(())
}

async fn rev05(cx: &Cx<'_>) -> Step {
    let web = cx.web()?;
    let url = cx.endpoint(Endpoint::Revoke).await?;
    let cases = [
        (
            ErrorKind::MissingClientAuth,
            Req::post(url.as_str()).form(&[("token", "x-token"), ("client_id", web.id.as_str())]),
        ),
        (
            ErrorKind::BadClientSecret { basic: true },
            Req::post(url.as_str())
                .basic(&web.id, "wrong-secret")
                .form(&[("token", "x-token")]),
        ),
    ];
    for (kind, req) in cases {
        let exchange = cx.send(req).await?;
        cx.expect_error(&exchange, &kind, &[401], &["invalid_client"])?;
    }
    Ok(())
}

async fn rev06(cx: &Cx<'_>) -> Step {
    revoked_refresh(cx, Some("x-unknown-hint")).await
}

async fn rev07(cx: &Cx<'_>) -> Step {
    let web = cx.web()?;
    let exchange = revoke(cx, web, &[("token_type_hint", "access_token")]).await?;
    cx.expect_error(&exchange, &ErrorKind::MalformedRequest, &[400], &["invalid_request"])?;
    let url = cx.endpoint(Endpoint::Revoke).await?;
    let (auth, _) = Cx::client_auth(web);
    let get = cx.send(Req::get(url).auth(auth).form(&[("token", "x-token")])).await?;
    if (200..300).contains(&get.status) {
        return Err(get.fail(None, "a GET to the revocation endpoint was accepted"));
    }
    Ok(())
}

/// Refresh once (RT1 into RT2), revoke RT1, then use RT2. Where the provider's revocation ends
/// the grant or the client's sessions (generic, Keycloak's `revokeClient`, App ID) RT2 must be
/// refused; where a rotated token is no longer known (ZITADEL, WSO2) RT2 keeps working.
async fn rev08(cx: &Cx<'_>) -> Step {
    let web = cx.web()?;
    let first = cx.refreshable_tokens().await?;
    let rotated = first.refresh_token()?;
    let second = Cx::tokens(refresh_works(cx, rotated).await?)?;
    let current = second.refresh_token()?;
    revoke(cx, web, &[("token", rotated), ("token_type_hint", "refresh_token")])
        .await?
        .expect_status(200)?;
    let after = refresh_works(cx, current).await?;
    match cx.provider().flavor().quirks().refresh_revocation {
        RefreshRevocation::CurrentTokenOnly => {
            if after.status != 200 {
                return Err(after.fail(
                    Some("refresh_token"),
                    "revoking a rotated refresh token ended the grant, but this provider ignores a token that is no longer current",
                ));
            }
            cx.note("the provider ignores the revocation of a refresh token that was already rotated");
            Ok(())
        }
        _ => {
            if after.status == 200 {
                return Err(after.fail(
                    Some("refresh_token"),
                    "the grant survived the revocation of its rotated refresh token (the refresh token issued after it still works)",
                ));
            }
            cx.expect_error(&after, &ErrorKind::InvalidRefreshToken, &[400], &["invalid_grant"])
        }
    }
}
