//! Refresh tokens (RFC 6749 §6, RFC 9700 §4.14): REF-01..05.

use super::{Entry, check};
use crate::cx::{Cx, claims};
use crate::http::Step;
use providers::ErrorKind;
use serde_json::Value;

pub(super) fn entries() -> Vec<Entry> {
    vec![
        check!(
            "REF-01",
            Refresh,
            Must,
            Strict,
            [CodeFlow, Refresh],
            "RFC 6749 §6; OIDC Core §12.2",
            "a refresh yields a new access token; a new ID token keeps iss, sub, aud and auth_time",
            ref01
        ),
        check!(
            "REF-02",
            Refresh,
            Must,
            Strict,
            [CodeFlow, Refresh, PublicClient],
            "RFC 6749 §6, §10.4",
            "another client's refresh token answers invalid_grant",
            ref02
        ),
        check!(
            "REF-03",
            Refresh,
            Must,
            Strict,
            [CodeFlow, Refresh],
            "RFC 6749 §6",
            "a refresh asking for a broader scope is refused or not granted it",
            ref03
        ),
        check!(
            "REF-04",
            Refresh,
            Should,
            Strict,
            [CodeFlow, Refresh],
            "RFC 9700 §4.14.2",
            "a rotated-out refresh token answers invalid_grant and revokes the family",
            ref04
        ),
        check!(
            "REF-05",
            Refresh,
            Must,
            Warn,
            [CodeFlow, Refresh],
            "RFC 6749 App. A.17",
            "refresh tokens use only VSCHAR characters",
            ref05
        ),
    ]
}

async fn refresh(cx: &Cx<'_>, refresh_token: &str, scope: Option<&str>) -> Step<crate::http::Exchange> {
    let web = cx.web()?;
    let mut params = vec![("grant_type", "refresh_token"), ("refresh_token", refresh_token)];
    if let Some(scope) = scope {
        params.push(("scope", scope));
    }
    cx.token_request(web, &params).await
}

async fn ref01(cx: &Cx<'_>) -> Step {
    let first = cx.refreshable_tokens().await?;
    // A frozen mock clock and a token without `jti` would mint the very same JWT again; where
    // the clock cannot be moved and the provider's tokens carry no `jti` (App ID), two tokens of
    // one second are the same bytes: refresh in the next second.
    if cx.advance_clock(1).is_err() && !cx.provider().required_access_token_claims().contains(&"jti") {
        tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
        cx.note(format!(
            "{}'s access tokens carry no jti: refreshed a second later so the new token can differ",
            cx.provider()
        ));
    }
    let refreshed = Cx::tokens(refresh(cx, first.refresh_token()?, None).await?)?;
    if refreshed.access_token()? == first.access_token()? {
        return Err(refreshed
            .exchange
            .fail(Some("access_token"), "the refresh returned the same access token"));
    }
    if let (Some(old), Some(new)) = (
        first.str("id_token").and_then(claims),
        refreshed.str("id_token").and_then(claims),
    ) {
        for claim in ["iss", "sub", "aud", "auth_time"] {
            if old.get(claim) != new.get(claim) {
                return Err(refreshed.exchange.fail(
                    Some(&format!("id_token.{claim}")),
                    format!("changed from {:?} to {:?}", old.get(claim), new.get(claim)),
                ));
            }
        }
    }
    Ok(())
}

async fn ref02(cx: &Cx<'_>) -> Step {
    let first = cx.refreshable_tokens().await?;
    let spa = cx.spa()?;
    let exchange = cx
        .token_request(
            spa,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", first.refresh_token()?),
            ],
        )
        .await?;
    Cx::expect_no_token(&exchange)?;
    cx.expect_error(&exchange, &ErrorKind::InvalidRefreshToken, &[400], &["invalid_grant"])
}

async fn ref03(cx: &Cx<'_>) -> Step {
    let first = cx.refreshable_tokens().await?;
    let granted: Vec<String> = first
        .str("scope")
        .unwrap_or("openid")
        .split(' ')
        .map(str::to_owned)
        .collect();
    let realm = cx.target.realm().map(|r| r.scopes.clone()).unwrap_or_default();
    let Some(broader) = realm.iter().find(|s| !granted.contains(s)) else {
        cx.note("every realm scope was granted: nothing broader to ask for");
        return Ok(());
    };
    let scope = format!("{} {broader}", granted.join(" "));
    let exchange = refresh(cx, first.refresh_token()?, Some(&scope)).await?;
    if exchange.status == 200 {
        let body = exchange.object()?;
        let new_scope = body.get("scope").and_then(Value::as_str).unwrap_or_default();
        if new_scope.split(' ').any(|s| s == broader) {
            return Err(exchange.fail(
                Some("scope"),
                format!("the refresh granted `{broader}`, which the original grant did not have"),
            ));
        }
        cx.note("the broader scope was dropped rather than refused");
        return Ok(());
    }
    cx.expect_error(&exchange, &ErrorKind::InvalidScope, &[400], &["invalid_scope"])
}

async fn ref04(cx: &Cx<'_>) -> Step {
    let first = cx.refreshable_tokens().await?;
    let old = first.refresh_token()?.to_owned();
    let second = Cx::tokens(refresh(cx, &old, None).await?)?;
    let Some(new) = second.str("refresh_token").filter(|new| *new != old) else {
        return Err(crate::http::skip("the target does not rotate refresh tokens"));
    };
    let new = new.to_owned();
    let reuse = refresh(cx, &old, None).await?;
    Cx::expect_no_token(&reuse)?;
    cx.expect_error(&reuse, &ErrorKind::InvalidRefreshToken, &[400], &["invalid_grant"])?;
    let family = refresh(cx, &new, None).await?;
    if family.status == 200 {
        return Err(family.fail(
            Some("refresh_token"),
            "after the reuse, the newest refresh token of the family still works",
        ));
    }
    Ok(())
}

async fn ref05(cx: &Cx<'_>) -> Step {
    let tokens = cx.refreshable_tokens().await?;
    let token = tokens.refresh_token()?;
    if token.is_empty() || !token.bytes().all(|b| (0x20..=0x7E).contains(&b)) {
        return Err(tokens
            .exchange
            .fail(Some("refresh_token"), "characters outside %x20-7E"));
    }
    Ok(())
}
