//! The device authorization grant (RFC 8628) as a device and its user would drive it: start an
//! authorization, poll the token endpoint, and sign in and consent on the verification page.

use super::Cx;
use super::flow::same_origin;
use super::form::{consent_form, login_form};
use crate::http::{Exchange, Jar, Req, Step, form_encode, skip};
use providers::{Client, User};
use serde_json::{Map, Value};

/// The grant type of a device poll.
pub(crate) const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// A started device authorization: the answer and its members.
pub(crate) struct DeviceStart {
    pub(crate) exchange: Exchange,
    pub(crate) body: Map<String, Value>,
}

impl DeviceStart {
    /// A string member (empty when absent).
    pub(crate) fn str(&self, name: &str) -> &str {
        self.body.get(name).and_then(Value::as_str).unwrap_or_default()
    }

    /// Where the user goes: `verification_uri_complete`, else `verification_uri?user_code=…`.
    pub(crate) fn user_url(&self) -> String {
        match self.body.get("verification_uri_complete").and_then(Value::as_str) {
            Some(url) => url.to_owned(),
            None => {
                let uri = self.str("verification_uri");
                let separator = if uri.contains('?') { '&' } else { '?' };
                format!("{uri}{separator}user_code={}", form_encode(self.str("user_code")))
            }
        }
    }
}

impl<'t> Cx<'t> {
    /// The device authorization endpoint from discovery, or a skip: a provider without the
    /// grant advertises none.
    pub(crate) async fn device_endpoint(&self) -> Step<String> {
        let doc = self.discovery().await?;
        doc.get("device_authorization_endpoint")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| skip("the provider advertises no device_authorization_endpoint (no device grant)"))
    }

    /// Sends a device authorization request as `client`.
    pub(crate) async fn device_request(&self, client: &Client, scope: &str) -> Step<Exchange> {
        let url = self.device_endpoint().await?;
        let (auth, extra) = Cx::client_auth(client);
        self.send(Req::post(url).auth(auth).form(&[("scope", scope)]).form(&extra))
            .await
    }

    /// Starts a device authorization for the World's device client; it must succeed.
    pub(crate) async fn device_start(&self) -> Step<DeviceStart> {
        let client = self.device_client()?;
        let exchange = self.device_request(client, "openid").await?;
        let body = exchange.ok_object()?;
        Ok(DeviceStart { exchange, body })
    }

    /// Waits before the first poll of `start` where the provider paces polls from the device
    /// request (WSO2: `slow_down` within the interval of it): the target's clock moves by the
    /// interval and a second, or (a clock that cannot be moved) the check sleeps that long.
    pub(crate) async fn device_await_first_poll(&self, start: &DeviceStart) -> Step {
        let paced = providers::device::facts(self.provider())
            .is_some_and(|facts| facts.slow_down == providers::device::SlowDown::SinceLastPoll);
        if !paced {
            return Ok(());
        }
        let interval = start
            .body
            .get("interval")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(5);
        let wait = interval.min(30).saturating_add(1);
        match self.target.clock() {
            Some(clock) => clock.advance(wait),
            None => tokio::time::sleep(std::time::Duration::from_secs(wait)).await,
        }
        Ok(())
    }

    /// One poll of the token endpoint for `device_code`, as the device client.
    pub(crate) async fn device_poll(&self, device_code: &str) -> Step<Exchange> {
        let client = self.device_client()?;
        self.token_request(client, &[("grant_type", DEVICE_GRANT), ("device_code", device_code)])
            .await
    }

    /// Opens `url` (the verification page with the user code), signs `user` in on the login
    /// form and answers the consent form (`accept` or refuse); returns the last answer.
    pub(crate) async fn device_consent(&self, url: &str, user: &User, accept: bool) -> Step<Exchange> {
        let mut jar = Jar::default();
        let mut exchange = self.http.send_with(Req::get(url), Some(&mut jar)).await?;
        let mut consented = false;
        for _ in 0..8 {
            if exchange.is_redirect() {
                let Some(location) = exchange.location() else {
                    return Ok(exchange);
                };
                if !same_origin(&location, self.issuer()) {
                    return Ok(exchange);
                }
                exchange = self.http.send_with(Req::get(location.as_str()), Some(&mut jar)).await?;
                continue;
            }
            if consented {
                return Ok(exchange);
            }
            let base = exchange.url.clone();
            let target = |action: &str| {
                base.as_ref()
                    .and_then(|base| base.join(action).ok())
                    .map(|url| url.to_string())
                    .ok_or_else(|| exchange.fail(Some("form action"), "the page's form has no usable action"))
            };
            if let Some(form) = login_form(&exchange.body) {
                let action = target(&form.action)?;
                let mut fields = form.hidden;
                fields.push(("username".into(), user.username.clone()));
                fields.push(("password".into(), user.password.expose().to_owned()));
                exchange = self
                    .http
                    .send_with(Req::post(action).form(&fields), Some(&mut jar))
                    .await?;
                continue;
            }
            if let Some(form) = consent_form(&exchange.body) {
                let action = target(&form.action)?;
                let mut fields = form.hidden;
                fields.push(if accept {
                    ("accept".into(), "Yes".into())
                } else {
                    ("cancel".into(), "No".into())
                });
                exchange = self
                    .http
                    .send_with(Req::post(action).form(&fields), Some(&mut jar))
                    .await?;
                consented = true;
                continue;
            }
            return Err(exchange.fail(None, "the verification page showed neither a login nor a consent form"));
        }
        if consented {
            return Ok(exchange);
        }
        Err(exchange.fail(None, "the verification page did not reach a consent form"))
    }
}
