//! The device authorization grant (RFC 8628): DEV-01..08. A provider without the grant
//! advertises no `device_authorization_endpoint`, and every check skips with that reason.

use super::{Entry, check};
use crate::cx::Cx;
use crate::cx::device::DEVICE_GRANT;
use crate::http::{Exchange, Req, Step, fail, skip};
use providers::device::{DeviceError, SlowDown};
use providers::{ErrorKind, GrantType};
use serde_json::Value;

pub(super) fn entries() -> Vec<Entry> {
    vec![
        check!(
            "DEV-01",
            Device,
            Must,
            Strict,
            [DeviceFlow],
            "RFC 8628 §3.1, §3.2, §4",
            "the device authorization response has device_code, user_code, verification_uri and expires_in; discovery lists the grant",
            dev01
        ),
        check!(
            "DEV-02",
            Device,
            Must,
            Strict,
            [DeviceFlow],
            "RFC 8628 §3.4, §3.5",
            "a poll before the user decides answers 400 authorization_pending",
            dev02
        ),
        check!(
            "DEV-03",
            Device,
            Must,
            Strict,
            [DeviceFlow],
            "RFC 8628 §3.5; RFC 6749 §5.2",
            "an unknown device code is refused without a token",
            dev03
        ),
        check!(
            "DEV-04",
            Device,
            Must,
            Strict,
            [DeviceFlow],
            "RFC 8628 §3.3, §3.5; RFC 6749 §5.1",
            "after the user signs in and approves, a poll issues tokens once",
            dev04
        ),
        check!(
            "DEV-05",
            Device,
            Should,
            Warn,
            [DeviceFlow],
            "RFC 8628 §3.5",
            "a poll sooner than the interval answers slow_down (or the provider's documented pace rule)",
            dev05
        ),
        check!(
            "DEV-06",
            Device,
            Must,
            Strict,
            [DeviceFlow],
            "RFC 8628 §3.5",
            "after the user refuses, a poll answers access_denied",
            dev06
        ),
        check!(
            "DEV-07",
            Device,
            Must,
            Strict,
            [DeviceFlow, MockControl],
            "RFC 8628 §3.5",
            "an expired device code answers expired_token",
            dev07
        ),
        check!(
            "DEV-08",
            Device,
            Must,
            Strict,
            [CodeFlow],
            "RFC 8628 §3.1; RFC 6749 §5.2",
            "a client without the device grant is refused at the device endpoint (where the provider checks only polls: when it polls)",
            dev08
        ),
    ]
}

/// Expects a refused poll answering `code` (RFC 8628 §3.5) for the situation `error`, or the
/// provider's documented answer.
fn expect_poll_error(cx: &Cx<'_>, exchange: &Exchange, error: DeviceError, code: &str) -> Step {
    Cx::expect_no_token(exchange)?;
    cx.expect_error(exchange, &ErrorKind::Device(error), &[400], &[code])
}

async fn dev01(cx: &Cx<'_>) -> Step {
    let start = cx.device_start().await?;
    for member in ["device_code", "user_code", "verification_uri"] {
        if start.str(member).is_empty() {
            return Err(start.exchange.fail(Some(member), format!("no `{member}` string")));
        }
    }
    if start.body.get("expires_in").and_then(Value::as_u64).unwrap_or(0) == 0 {
        return Err(start
            .exchange
            .fail(Some("expires_in"), "expires_in must be a positive integer"));
    }
    if let Some(interval) = start.body.get("interval")
        && interval.as_u64().is_none()
    {
        return Err(start
            .exchange
            .fail(Some("interval"), "interval must be an integer (seconds)"));
    }
    if let Some(complete) = start.body.get("verification_uri_complete").and_then(Value::as_str)
        && !complete.contains(start.str("user_code"))
    {
        return Err(start.exchange.fail(
            Some("verification_uri_complete"),
            "verification_uri_complete does not carry the user code",
        ));
    }
    let doc = cx.discovery().await?;
    let grants = doc.get("grant_types_supported").and_then(Value::as_array);
    if !grants.is_some_and(|grants| grants.iter().any(|grant| grant.as_str() == Some(DEVICE_GRANT))) {
        return Err(fail(
            Some("grant_types_supported"),
            "discovery has a device_authorization_endpoint but does not list the device_code grant",
        ));
    }
    Ok(())
}

async fn dev02(cx: &Cx<'_>) -> Step {
    let start = cx.device_start().await?;
    cx.device_await_first_poll(&start).await?;
    let poll = cx.device_poll(start.str("device_code")).await?;
    expect_poll_error(cx, &poll, DeviceError::Pending, "authorization_pending")
}

async fn dev03(cx: &Cx<'_>) -> Step {
    cx.device_endpoint().await?;
    let poll = cx.device_poll("not-a-device-code-of-this-server").await?;
    Cx::expect_no_token(&poll)?;
    cx.expect_error(
        &poll,
        &ErrorKind::Device(DeviceError::UnknownCode),
        &[400],
        &["invalid_grant", "expired_token"],
    )
}

async fn dev04(cx: &Cx<'_>) -> Step {
    let user = cx.user()?;
    let start = cx.device_start().await?;
    let page = cx.device_consent(&start.user_url(), user, true).await?;
    if !(200..300).contains(&page.status) {
        return Err(page.fail(None, "the verification page did not confirm the approval"));
    }
    let tokens = Cx::tokens(cx.device_poll(start.str("device_code")).await?)?;
    let token_type = tokens.str("token_type").unwrap_or_default();
    if !token_type.eq_ignore_ascii_case("bearer") {
        return Err(tokens.exchange.fail(Some("token_type"), "token_type is not Bearer"));
    }
    let again = cx.device_poll(start.str("device_code")).await?;
    Cx::expect_no_token(&again)?;
    if !(400..500).contains(&again.status) {
        return Err(again.fail(None, "a redeemed device code must be refused with a 4xx"));
    }
    Ok(())
}

async fn dev05(cx: &Cx<'_>) -> Step {
    let start = cx.device_start().await?;
    let first = cx.device_poll(start.str("device_code")).await?;
    expect_poll_error(cx, &first, DeviceError::Pending, "authorization_pending")?;
    let second = cx.device_poll(start.str("device_code")).await?;
    let never = cx
        .provider()
        .quirks()
        .device
        .is_some_and(|facts| facts.slow_down == SlowDown::Never);
    if never && second.error_code().as_deref() == Some("authorization_pending") {
        cx.note(format!(
            "{} never answers slow_down (documented in providers)",
            cx.provider()
        ));
        return Ok(());
    }
    expect_poll_error(cx, &second, DeviceError::SlowDown, "slow_down")
}

async fn dev06(cx: &Cx<'_>) -> Step {
    let user = cx.user()?;
    let start = cx.device_start().await?;
    cx.device_consent(&start.user_url(), user, false).await?;
    cx.device_await_first_poll(&start).await?;
    let poll = cx.device_poll(start.str("device_code")).await?;
    expect_poll_error(cx, &poll, DeviceError::Denied, "access_denied")
}

async fn dev07(cx: &Cx<'_>) -> Step {
    let start = cx.device_start().await?;
    let expires_in = start.body.get("expires_in").and_then(Value::as_u64).unwrap_or(0);
    cx.advance_clock(expires_in)?;
    let poll = cx.device_poll(start.str("device_code")).await?;
    if cx.excused(providers::Deviation::PendingDeviceCodeOutlivesExpiry) {
        // Still pending; the user entering the expired code on the page expires it.
        expect_poll_error(cx, &poll, DeviceError::Pending, "authorization_pending")?;
        cx.send(Req::get(start.user_url())).await?;
        cx.device_await_first_poll(&start).await?;
        let poll = cx.device_poll(start.str("device_code")).await?;
        return expect_poll_error(cx, &poll, DeviceError::Expired, "expired_token");
    }
    expect_poll_error(cx, &poll, DeviceError::Expired, "expired_token")
}

async fn dev08(cx: &Cx<'_>) -> Step {
    cx.device_endpoint().await?;
    let web = cx.web()?;
    if web.allows(GrantType::DeviceCode) {
        return Err(skip("the code-flow client also has the device grant"));
    }
    let refused = cx.device_request(web, "openid").await?;
    let checks_at_endpoint = providers::device::facts(cx.provider()).is_none_or(|facts| facts.endpoint_checks_client);
    if !checks_at_endpoint {
        // WSO2 hands any authenticated client a device code; the token endpoint refuses the
        // grant when that client polls.
        let body = refused.ok_object()?;
        let code = body.get("device_code").and_then(Value::as_str).unwrap_or_default();
        let poll = cx
            .token_request(web, &[("grant_type", DEVICE_GRANT), ("device_code", code)])
            .await?;
        Cx::expect_no_token(&poll)?;
        return cx.expect_error(
            &poll,
            &ErrorKind::UnauthorizedGrant {
                grant: GrantType::DeviceCode,
            },
            &[400],
            &["unauthorized_client"],
        );
    }
    Cx::expect_no_token(&refused)?;
    if refused.json().is_some_and(|body| body.get("device_code").is_some()) {
        return Err(refused.fail(Some("device_code"), "a client without the grant got a device code"));
    }
    cx.expect_error(
        &refused,
        &ErrorKind::Device(DeviceError::ClientNotAllowed),
        &[400],
        &["unauthorized_client"],
    )
}
