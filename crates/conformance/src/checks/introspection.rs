//! Introspection (RFC 7662): INTR-01..07.

use super::{Entry, check};
use crate::cx::{Cx, Tokens};
use crate::http::{Exchange, Req, Step};
use mock_idp::Endpoint;
use providers::ErrorKind;
use serde_json::Value;

pub(super) fn entries() -> Vec<Entry> {
    vec![
        check!(
            "INTR-01",
            Introspection,
            Must,
            Strict,
            [CodeFlow, Introspection],
            "RFC 7662 §2.1, §2.2",
            "a valid access token is active:true with well-typed members",
            intr01
        ),
        check!(
            "INTR-02",
            Introspection,
            Must,
            Strict,
            [CodeFlow, Introspection],
            "RFC 7662 §2.2, §2.3",
            "revoked, unknown and garbage tokens answer 200 active:false",
            intr02
        ),
        check!(
            "INTR-03",
            Introspection,
            Should,
            Warn,
            [Introspection],
            "RFC 7662 §2.2",
            "an inactive answer has no member but active",
            intr03
        ),
        check!(
            "INTR-04",
            Introspection,
            Must,
            Strict,
            [CodeFlow, Introspection],
            "RFC 7662 §2.1; RFC 6749 §5.2",
            "no or wrong client authentication is refused without an answer about the token",
            intr04
        ),
        check!(
            "INTR-05",
            Introspection,
            Should,
            Strict,
            [CodeFlow, Introspection],
            "RFC 7662 §2.1",
            "token_type_hint is only a hint: a wrong or unknown hint still finds the token",
            intr05
        ),
        check!(
            "INTR-06",
            Introspection,
            Must,
            Warn,
            [CodeFlow, Introspection],
            "RFC 7662 §2.1",
            "a GET with ?token= and a JSON body are refused",
            intr06
        ),
        check!(
            "INTR-07",
            Introspection,
            Should,
            Strict,
            [CodeFlow, Introspection],
            "RFC 7662 §2.2, §4",
            "a token for another audience is inactive or names its audience",
            intr07
        ),
    ]
}

/// A user's tokens whose audience includes the introspecting client where the World allows it.
pub(crate) async fn audience_tokens(cx: &Cx<'_>) -> Step<Tokens> {
    let scope = match cx.audience_scope() {
        Some(scope) => format!("openid {scope}"),
        None => "openid".to_owned(),
    };
    cx.web_tokens(&scope).await
}

pub(crate) fn active(exchange: &Exchange) -> Step<bool> {
    let body = exchange.ok_object()?;
    match body.get("active") {
        Some(Value::Bool(active)) => Ok(*active),
        other => Err(exchange.fail(Some("active"), format!("not a boolean: {other:?}"))),
    }
}

async fn intr01(cx: &Cx<'_>) -> Step {
    let tokens = audience_tokens(cx).await?;
    let exchange = cx.introspect(&[("token", tokens.access_token()?)]).await?;
    if !active(&exchange)? {
        return Err(exchange.fail(Some("active"), "a fresh access token is reported inactive"));
    }
    let body = exchange.object()?;
    let typed = [
        ("scope", "string"),
        ("client_id", "string"),
        ("sub", "string"),
        ("iss", "string"),
        ("token_type", "string"),
        ("username", "string"),
        ("exp", "number"),
        ("iat", "number"),
    ];
    let mut absent = Vec::new();
    for (member, kind) in typed {
        match body.get(member) {
            None => absent.push(member),
            Some(value) if (kind == "string" && value.is_string()) || (kind == "number" && value.is_number()) => {}
            Some(value) => return Err(exchange.fail(Some(member), format!("expected a {kind}, got {value}"))),
        }
    }
    if let Some(iss) = body.get("iss").and_then(Value::as_str)
        && iss != cx.issuer()
    {
        return Err(exchange.fail(Some("iss"), format!("expected `{}`, got `{iss}`", cx.issuer())));
    }
    if !absent.is_empty() {
        cx.note(format!("members not reported: {}", absent.join(", ")));
    }
    Ok(())
}

fn expect_inactive(exchange: &Exchange) -> Step {
    if active(exchange)? {
        return Err(exchange.fail(Some("active"), "expected active:false"));
    }
    Ok(())
}

async fn intr02(cx: &Cx<'_>) -> Step {
    for garbage in ["not-a-token", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"] {
        expect_inactive(&cx.introspect(&[("token", garbage)]).await?)?;
    }
    let empty = cx.introspect(&[("token", "")]).await?;
    if empty.status != 400 {
        expect_inactive(&empty)?;
    }
    let tokens = audience_tokens(cx).await?;
    let access = tokens.access_token()?;
    if let Ok(url) = cx.endpoint(Endpoint::Revoke).await {
        let web = cx.web()?;
        let (auth, extra) = Cx::client_auth(web);
        let revoked = cx
            .send(Req::post(url).auth(auth).form(&[("token", access)]).form(&extra))
            .await?;
        if revoked.status == 200 {
            let after = cx.introspect(&[("token", access)]).await?;
            if active(&after)? {
                cx.note("a revoked access token is still active (REV-02 covers it)");
            }
        }
    }
    Ok(())
}

async fn intr03(cx: &Cx<'_>) -> Step {
    let exchange = cx.introspect(&[("token", "not-a-token")]).await?;
    expect_inactive(&exchange)?;
    let body = exchange.object()?;
    if let Some(extra) = body.keys().find(|k| *k != "active") {
        return Err(exchange.fail(Some(extra), "an inactive answer carries more than `active`"));
    }
    Ok(())
}

async fn intr04(cx: &Cx<'_>) -> Step {
    let tokens = audience_tokens(cx).await?;
    let access = tokens.access_token()?;
    let url = cx.endpoint(Endpoint::Introspect).await?;
    let client = cx.introspector()?;
    let cases = [
        (
            providers::INTROSPECTION_NO_CREDENTIALS,
            Req::post(url.as_str()).form(&[("token", access)]),
        ),
        (
            "",
            Req::post(url.as_str())
                .basic(&client.id, "wrong-secret")
                .form(&[("token", access)]),
        ),
    ];
    // The mock answers both as IntrospectionUnauthenticated; the description tells ZITADEL's
    // two answers apart (no credentials: invalid_request; wrong ones: unauthorized_client).
    let kind = ErrorKind::IntrospectionUnauthenticated;
    for (detail, req) in cases {
        let exchange = cx.send(req).await?;
        if exchange
            .json()
            .is_some_and(|v| v.get("active") == Some(&Value::Bool(true)))
        {
            return Err(exchange.fail(
                Some("active"),
                "an unauthenticated caller learned that the token is active",
            ));
        }
        cx.expect_error_detail(
            &exchange,
            &kind,
            detail,
            &[401],
            &["invalid_client", "invalid_token", "unauthorized_client"],
        )?;
    }
    Ok(())
}

async fn intr05(cx: &Cx<'_>) -> Step {
    let tokens = audience_tokens(cx).await?;
    let access = tokens.access_token()?;
    for hint in ["refresh_token", "x-unknown-hint"] {
        let exchange = cx.introspect(&[("token", access), ("token_type_hint", hint)]).await?;
        if !active(&exchange)? {
            return Err(exchange.fail(
                Some("token_type_hint"),
                format!("with hint `{hint}` the access token is not found"),
            ));
        }
    }
    Ok(())
}

async fn intr06(cx: &Cx<'_>) -> Step {
    let tokens = audience_tokens(cx).await?;
    let access = tokens.access_token()?;
    let url = cx.endpoint(Endpoint::Introspect).await?;
    let client = cx.introspector()?;
    let secret = crate::targets::secret(client).unwrap_or_default();
    let json_body = serde_json::json!({ "token": access }).to_string();
    for req in [
        Req::get(url.as_str())
            .basic(&client.id, secret)
            .form(&[("token", access)]),
        Req::post(url.as_str())
            .basic(&client.id, secret)
            .body("application/json", json_body),
    ] {
        let exchange = cx.send(req).await?;
        if exchange.status == 200
            && exchange
                .json()
                .is_some_and(|v| v.get("active") == Some(&Value::Bool(true)))
        {
            return Err(exchange.fail(None, "introspection answered a request that is not a form POST"));
        }
    }
    Ok(())
}

async fn intr07(cx: &Cx<'_>) -> Step {
    let tokens = cx.web_tokens("openid").await?;
    let caller = cx.introspector()?;
    let exchange = cx.introspect(&[("token", tokens.access_token()?)]).await?;
    if !active(&exchange)? {
        return Ok(());
    }
    let body = exchange.object()?;
    let aud: Vec<&str> = match body.get("aud") {
        Some(Value::String(aud)) => vec![aud.as_str()],
        Some(Value::Array(values)) => values.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if aud.is_empty() {
        cx.note("active:true without `aud`: a resource server cannot reject it on audience");
        return Err(exchange.fail(
            Some("aud"),
            "a token not issued for the caller is active and names no audience",
        ));
    }
    if aud.contains(&caller.id.as_str()) {
        cx.note("the token names the caller in aud although its scope did not ask for it");
    }
    Ok(())
}
