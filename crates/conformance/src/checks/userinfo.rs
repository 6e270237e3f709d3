//! UserInfo (OIDC Core §5.3, RFC 6750): UI-01..05.

use super::{Entry, check};
use crate::cx::{Cx, claims};
use crate::http::{Exchange, Req, Step};
use mock_idp::Endpoint;
use providers::ErrorKind;
use serde_json::Value;

pub(super) fn entries() -> Vec<Entry> {
    vec![
        check!(
            "UI-01",
            Userinfo,
            Must,
            Strict,
            [CodeFlow],
            "OIDC Core §5.3.1, §5.3.2, §5.1; RFC 6750 §2.1",
            "GET and POST with a bearer answer 200 JSON with the ID token's sub and typed claims",
            ui01
        ),
        check!(
            "UI-02",
            Userinfo,
            Must,
            Strict,
            [CodeFlow],
            "RFC 6750 §3",
            "no token answers 401 with a Bearer challenge and no error",
            ui02
        ),
        check!(
            "UI-03",
            Userinfo,
            Must,
            Strict,
            [CodeFlow],
            "OIDC Core §5.3.3; RFC 6750 §3.1",
            "a garbage or revoked token answers 401 Bearer error=invalid_token",
            ui03
        ),
        check!(
            "UI-04",
            Userinfo,
            Must,
            Warn,
            [CodeFlow],
            "RFC 6750 §2, §3.1",
            "a token in both the header and the body answers 400 invalid_request",
            ui04
        ),
        check!(
            "UI-05",
            Userinfo,
            Should,
            Strict,
            [CodeFlow],
            "OIDC Core §5.4",
            "profile and email claims appear only for granted scopes",
            ui05
        ),
    ]
}

async fn ui01(cx: &Cx<'_>) -> Step {
    let tokens = cx.web_tokens("openid profile email").await?;
    let access = tokens.access_token()?;
    let sub = tokens
        .id_token()
        .ok()
        .and_then(claims)
        .and_then(|c| c.get("sub").cloned());
    let url = cx.endpoint(Endpoint::Userinfo).await?;
    for req in [
        Req::get(url.as_str()).bearer(access),
        Req::post(url.as_str()).bearer(access),
    ] {
        let exchange = cx.send(req).await?;
        let body = exchange.ok_object()?;
        let content_type = exchange.header("content-type").unwrap_or_default();
        if !content_type.starts_with("application/json") {
            return Err(exchange.fail(
                Some("Content-Type"),
                format!("expected application/json, got `{content_type}`"),
            ));
        }
        if body.get("sub").is_none() || body.get("sub") != sub.as_ref() {
            return Err(exchange.fail(
                Some("sub"),
                format!("expected the ID token's sub {sub:?}, got {:?}", body.get("sub")),
            ));
        }
        if body.get("email_verified").is_some_and(|v| !v.is_boolean()) {
            return Err(exchange.fail(Some("email_verified"), "not a boolean"));
        }
        if body.get("updated_at").is_some_and(|v| !v.is_number()) {
            return Err(exchange.fail(Some("updated_at"), "not a number"));
        }
    }
    Ok(())
}

fn challenge(exchange: &Exchange) -> String {
    exchange.header("www-authenticate").unwrap_or_default().to_owned()
}

async fn ui02(cx: &Cx<'_>) -> Step {
    let url = cx.endpoint(Endpoint::Userinfo).await?;
    let exchange = cx.send(Req::get(url)).await?;
    let documented = cx
        .provider()
        .error_response(&ErrorKind::MissingBearer, "", cx.target.realm_name());
    let value = challenge(&exchange);
    let spec_ok =
        exchange.status == 401 && value.to_ascii_lowercase().starts_with("bearer") && !value.contains("error=");
    if spec_ok {
        return Ok(());
    }
    let documented_challenge = documented.www_authenticate.as_deref().unwrap_or_default();
    let documented_ok = exchange.status == documented.status
        && documented.www_authenticate.is_none() == value.is_empty()
        && error_attribute(&value) == error_attribute(documented_challenge);
    if documented_ok {
        cx.note(format!(
            "{} answers {} `{value}` as documented in providers",
            cx.provider(),
            exchange.status
        ));
        return Ok(());
    }
    Err(exchange.fail(
        Some("WWW-Authenticate"),
        format!(
            "expected 401 with a Bearer challenge without error, got {} `{value}`",
            exchange.status
        ),
    ))
}

/// The `error="…"` attribute of a challenge.
fn error_attribute(challenge: &str) -> Option<&str> {
    let start = challenge.find("error=\"")? + "error=\"".len();
    let rest = &challenge[start..];
    rest.find('"').map(|end| &rest[..end])
}

async fn ui03(cx: &Cx<'_>) -> Step {
    let url = cx.endpoint(Endpoint::Userinfo).await?;
    let exchange = cx.send(Req::get(url).bearer("garbage-token-0123456789")).await?;
    let value = challenge(&exchange);
    if exchange.status == 401 && value.to_ascii_lowercase().starts_with("bearer") && value.contains("invalid_token") {
        return Ok(());
    }
    let documented = cx
        .provider()
        .error_response(&ErrorKind::InvalidBearer, "", cx.target.realm_name());
    if exchange.status == documented.status
        && documented.www_authenticate.is_none()
        && value.is_empty()
        && exchange.error_code() == documented.error_code().map(str::to_owned)
    {
        cx.note(format!(
            "{} answers {} without a challenge, as documented in providers",
            cx.provider(),
            exchange.status
        ));
        return Ok(());
    }
    Err(exchange.fail(
        Some("WWW-Authenticate"),
        format!(
            "expected 401 Bearer error=\"invalid_token\", got {} `{value}`",
            exchange.status
        ),
    ))
}

async fn ui04(cx: &Cx<'_>) -> Step {
    let tokens = cx.web_tokens("openid").await?;
    let access = tokens.access_token()?;
    let url = cx.endpoint(Endpoint::Userinfo).await?;
    let exchange = cx
        .send(Req::post(url).bearer(access).form(&[("access_token", access)]))
        .await?;
    if exchange.status == 200 {
        return Err(exchange.fail(Some("access_token"), "two tokens (header and body) were accepted"));
    }
    // RFC 6750 §3 carries a protected resource's error in the challenge (OIDC Core §5.3.3 points
    // there); Keycloak answers so, with an empty body.
    let value = challenge(&exchange);
    if exchange.status == 400
        && value.to_ascii_lowercase().starts_with("bearer")
        && error_attribute(&value) == Some("invalid_request")
    {
        return Ok(());
    }
    cx.expect_error(&exchange, &ErrorKind::MalformedRequest, &[400], &["invalid_request"])
}

async fn ui05(cx: &Cx<'_>) -> Step {
    let tokens = cx.web_tokens("openid").await?;
    let granted: Vec<&str> = tokens.str("scope").unwrap_or("openid").split(' ').collect();
    let url = cx.endpoint(Endpoint::Userinfo).await?;
    let exchange = cx.send(Req::get(url).bearer(tokens.access_token()?)).await?;
    let body = exchange.ok_object()?;
    let by_scope: [(&str, &[&str]); 4] = [
        (
            "profile",
            &[
                "name",
                "given_name",
                "family_name",
                "preferred_username",
                "nickname",
                "picture",
                "locale",
                "updated_at",
            ],
        ),
        ("email", &["email", "email_verified"]),
        ("address", &["address"]),
        ("phone", &["phone_number", "phone_number_verified"]),
    ];
    for (scope, claims) in by_scope {
        if granted.contains(&scope) {
            continue;
        }
        if let Some(claim) = claims.iter().find(|c| body.get(**c).is_some_and(|v| !v.is_null())) {
            if *claim == "preferred_username" {
                continue;
            }
            return Err(exchange.fail(
                Some(claim),
                format!(
                    "`{claim}` is returned although `{scope}` was not granted (granted: {})",
                    granted.join(" ")
                ),
            ));
        }
    }
    if body.values().any(Value::is_null) {
        cx.note("some claims are null");
    }
    Ok(())
}
