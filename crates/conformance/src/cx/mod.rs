//! The context a check runs in: the target, HTTP, discovery, and the flows checks share
//! (headless login, code exchange, client authentication, provider-aware error expectations).
//!
//! Modules by job: [`flow`] (authorization requests, the headless login, code redemption,
//! client authentication), [`form`] (reading the login form of the provider's HTML), [`jwt`]
//! (S256, unverified claims).

pub(crate) mod device;
pub(crate) mod dpop;
mod flow;
mod form;
mod jwt;
pub(crate) mod receiver;

pub(crate) use flow::{AuthRequest, Callback, Tokens};
pub(crate) use jwt::{RFC7636_CHALLENGE, RFC7636_VERIFIER, claims};

use crate::check::Capability;
use crate::http::{Exchange, Http, Req, Step, Stop, fail, skip};
use crate::targets::{Cast, Target};
use mock_idp::Endpoint;
use providers::{Client, ErrorKind, User};
use serde_json::{Map, Value};
use std::sync::Mutex;

/// A check's view of the run.
#[derive(Debug)]
pub(crate) struct Cx<'t> {
    pub(crate) target: &'t Target,
    pub(crate) http: Http,
    discovery: tokio::sync::Mutex<Option<Map<String, Value>>>,
    notes: Mutex<Vec<String>>,
}

impl<'t> Cx<'t> {
    pub(crate) fn new(target: &'t Target, http: Http) -> Cx<'t> {
        Cx {
            target,
            http,
            discovery: tokio::sync::Mutex::new(None),
            notes: Mutex::new(Vec::new()),
        }
    }

    /// Adds a note to the check's result (a documented deviation, a part not tested).
    pub(crate) fn note(&self, note: impl Into<String>) {
        self.notes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(note.into());
    }

    pub(crate) fn take_notes(&self) -> Vec<String> {
        std::mem::take(&mut *self.notes.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Whether the target's provider is documented to depart from a requirement as
    /// `deviation` says; if so, notes it, so the report shows why the check let it pass.
    pub(crate) fn excused(&self, deviation: providers::Deviation) -> bool {
        let provider = self.provider();
        let excused = provider.flavor().quirks().deviates(deviation);
        if excused {
            self.note(format!(
                "documented {provider} deviation ({}): {}",
                deviation.requirement(),
                deviation.description()
            ));
        }
        excused
    }

    pub(crate) fn provider(&self) -> providers::Provider {
        self.target.provider()
    }

    pub(crate) fn issuer(&self) -> &str {
        self.target.issuer()
    }

    pub(crate) async fn send(&self, req: Req) -> Step<Exchange> {
        self.http.send(req).await
    }

    /// The discovery document (fetched once per run; a failed fetch is retried by the next check).
    pub(crate) async fn discovery(&self) -> Step<Map<String, Value>> {
        let mut cached = self.discovery.lock().await;
        if let Some(doc) = &*cached {
            return Ok(doc.clone());
        }
        let exchange = self.send(Req::get(self.target.discovery_url())).await?;
        let doc = exchange.ok_object()?;
        *cached = Some(doc.clone());
        Ok(doc)
    }

    /// The URL of `endpoint`: from discovery, else where the mock serves it; skips when unknown.
    pub(crate) async fn endpoint(&self, endpoint: Endpoint) -> Step<String> {
        let member = match endpoint {
            Endpoint::Authorize => "authorization_endpoint",
            Endpoint::Token => "token_endpoint",
            Endpoint::Jwks => "jwks_uri",
            Endpoint::Userinfo => "userinfo_endpoint",
            Endpoint::Introspect => "introspection_endpoint",
            Endpoint::Revoke => "revocation_endpoint",
            Endpoint::EndSession => "end_session_endpoint",
            Endpoint::DeviceAuthorization => "device_authorization_endpoint",
            Endpoint::PushedAuthorization => "pushed_authorization_request_endpoint",
            _ => "",
        };
        let doc = self.discovery().await?;
        if let Some(url) = doc.get(member).and_then(Value::as_str) {
            return Ok(url.to_owned());
        }
        self.target
            .fallback_endpoint(endpoint)
            .ok_or_else(|| skip(format!("discovery advertises no `{member}`")))
    }

    /// A role's client from the World, or a skip.
    /// A member of the World's cast, or a skip naming the World entry the check needs.
    fn cast_member<T>(&self, pick: impl FnOnce(&Cast<'t>) -> Option<T>, needs: Capability) -> Step<T> {
        pick(&self.target.cast()).ok_or_else(|| skip(needs.skip_reason(self.target.realm_name())))
    }

    /// The confidential code-flow client, or a skip.
    pub(crate) fn web(&self) -> Step<&'t Client> {
        self.cast_member(|cast| cast.web, Capability::CodeFlow)
    }

    /// The public code-flow client, or a skip.
    pub(crate) fn spa(&self) -> Step<&'t Client> {
        self.cast_member(|cast| cast.spa, Capability::PublicClient)
    }

    /// The client_credentials client, or a skip.
    pub(crate) fn service(&self) -> Step<&'t Client> {
        self.cast_member(|cast| cast.service, Capability::ClientCredentials)
    }

    /// The client whose credentials change under form-urlencoding, or a skip.
    pub(crate) fn encoded_client(&self) -> Step<&'t Client> {
        self.cast_member(|cast| cast.encoded, Capability::EncodedCredentials)
    }

    /// The client allowed to introspect, or a skip.
    pub(crate) fn introspector(&self) -> Step<&'t Client> {
        self.cast_member(|cast| cast.introspector, Capability::Introspection)
    }

    /// The device-grant client, or a skip.
    pub(crate) fn device_client(&self) -> Step<&'t Client> {
        self.cast_member(|cast| cast.device, Capability::DeviceFlow)
    }

    /// The token-exchange client, or a skip.
    pub(crate) fn exchanger(&self) -> Step<&'t Client> {
        self.cast_member(|cast| cast.exchanger, Capability::TokenExchange)
    }

    /// The code-flow client with a back-channel logout URI, or a skip.
    pub(crate) fn logout_client(&self) -> Step<&'t Client> {
        self.cast_member(|cast| cast.logout, Capability::BackchannelLogout)
    }

    /// The client registered for `client_secret_jwt`, or a skip.
    pub(crate) fn secret_jwt_client(&self) -> Step<&'t Client> {
        self.cast_member(|cast| cast.secret_jwt, Capability::SecretJwtClient)
    }

    /// The client registering conformance's assertion key, or a skip.
    pub(crate) fn keyed_client(&self) -> Step<&'t Client> {
        self.cast_member(|cast| cast.keyed, Capability::KeyedClient)
    }

    /// An enabled user, or a skip (the code-flow entry names the user).
    pub(crate) fn user(&self) -> Step<&'t User> {
        self.cast_member(|cast| cast.user, Capability::CodeFlow)
    }

    /// Expects the answer to a request the spec says must be refused with `spec_status` and one
    /// of `spec_codes`; a provider whose error table (in `providers`) documents another answer
    /// for `kind` passes with a note when it gives exactly that answer.
    pub(crate) fn expect_error(
        &self,
        exchange: &Exchange,
        kind: &ErrorKind,
        spec_status: &[u16],
        spec_codes: &[&str],
    ) -> Step {
        self.expect_error_detail(exchange, kind, "", spec_status, spec_codes)
    }

    /// [`Cx::expect_error`] for an error whose provider rendering depends on the mock's
    /// description `detail` (one of the `providers` description constants, e.g.
    /// [`providers::PKCE_VERIFIER_MISSING`]).
    pub(crate) fn expect_error_detail(
        &self,
        exchange: &Exchange,
        kind: &ErrorKind,
        detail: &str,
        spec_status: &[u16],
        spec_codes: &[&str],
    ) -> Step {
        let code = exchange.error_code();
        let spec_ok =
            spec_status.contains(&exchange.status) && code.as_deref().is_some_and(|c| spec_codes.contains(&c));
        if spec_ok {
            return Ok(());
        }
        let documented = self.provider().error_response(kind, detail, self.target.realm_name());
        let documented_code = documented.error_code().map(str::to_owned);
        if documented.status == exchange.status && documented_code == code {
            self.note(format!(
                "{} answers {} {} as documented in providers (spec: {} {})",
                self.provider(),
                exchange.status,
                code.as_deref().unwrap_or("(no error code)"),
                join_u16(spec_status),
                spec_codes.join("|"),
            ));
            return Ok(());
        }
        Err(exchange.fail(
            Some("error"),
            format!(
                "expected {} {} (or {}'s documented {} {}), got {} {}",
                join_u16(spec_status),
                spec_codes.join("|"),
                self.provider(),
                documented.status,
                documented_code.as_deref().unwrap_or("(no error code)"),
                exchange.status,
                code.as_deref().unwrap_or("(no error code)"),
            ),
        ))
    }

    /// Expects no token in the answer (for requests that must be refused).
    pub(crate) fn expect_no_token(exchange: &Exchange) -> Step {
        if exchange.json().is_some_and(|v| v.get("access_token").is_some()) {
            return Err(exchange.fail(
                Some("access_token"),
                "a token was issued for a request that must be refused",
            ));
        }
        Ok(())
    }

    /// Verifies `jwt`'s signature against the target's JWKS; returns header and claims.
    pub(crate) async fn verify_jwt(&self, jwt: &str) -> Step<(Map<String, Value>, Map<String, Value>)> {
        let jwks_url = self.endpoint(Endpoint::Jwks).await?;
        let jwks = self.send(Req::get(jwks_url)).await?;
        let keys = jwks.ok_object()?;
        let keys = keys.get("keys").and_then(Value::as_array).cloned().unwrap_or_default();
        crate::jose::verify(jwt, &keys).map_err(|err| fail(Some("signature"), err.to_string()))
    }

    /// Moves the mock's clock (mock targets built with a clock), or skips.
    pub(crate) fn advance_clock(&self, seconds: u64) -> Step {
        let clock = self
            .target
            .clock()
            .ok_or_else(|| skip("the target's clock cannot be moved"))?;
        clock.advance(seconds);
        Ok(())
    }
}

fn join_u16(values: &[u16]) -> String {
    values.iter().map(u16::to_string).collect::<Vec<_>>().join("|")
}

impl From<Stop> for crate::check::Outcome {
    fn from(stop: Stop) -> crate::check::Outcome {
        match stop {
            Stop::Fail(evidence) => crate::check::Outcome::Fail { evidence },
            Stop::Skip(reason) => crate::check::Outcome::Skipped { reason },
        }
    }
}
