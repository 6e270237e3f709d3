//! Who may use the admin API. On by default when the server is bound to a loopback address;
//! off on any other bind unless enabled, and then only with the bearer token given at start
//! (compared in constant time by [`providers::Secret::matches`]).

use super::problem::Problem;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use providers::Secret;
use serde::{Deserialize, Deserializer, Serialize};
use std::net::SocketAddr;
use std::sync::Arc;

/// Settings of the admin API (`/_mock/…`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdminConfig {
    /// `None` (the default): on when bound to a loopback address, off otherwise.
    /// `Some(false)`: off everywhere. `Some(true)`: on everywhere; on a non-loopback bind it
    /// then requires [`AdminConfig::token`].
    pub enabled: Option<bool>,
    /// A bearer token every admin request must present (`Authorization: Bearer …`). Optional on
    /// loopback binds, required to enable the admin API on any other bind.
    #[serde(deserialize_with = "secret", skip_serializing_if = "Option::is_none")]
    pub token: Option<Secret>,
}

impl PartialEq for AdminConfig {
    fn eq(&self, other: &AdminConfig) -> bool {
        let token = |config: &AdminConfig| config.token.as_ref().map(|secret| secret.expose().to_owned());
        self.enabled == other.enabled && token(self) == token(other)
    }
}

fn secret<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Secret>, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.map(Secret::new))
}

/// Why the admin settings cannot be used with the chosen bind address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AdminConfigError {
    /// The admin API was enabled on a non-loopback bind without a token.
    #[error(
        "the admin API is enabled on the non-loopback address {0} without a token: give one (admin.token, --admin-token) or bind to a loopback address"
    )]
    TokenRequired(SocketAddr),
    /// The token is the empty string.
    #[error("the admin token is empty")]
    EmptyToken,
}

/// The decision for one running server.
#[derive(Debug, Clone)]
pub(crate) enum Access {
    /// No admin routes: `/_mock/…` is answered as any unknown path.
    Disabled,
    /// Anyone who can reach the (loopback) socket.
    Open,
    /// Requests must carry this bearer token.
    Bearer(Arc<Secret>),
}

impl AdminConfig {
    /// Decides access for a server bound to `bound`.
    pub(crate) fn access(&self, bound: SocketAddr) -> Result<Access, AdminConfigError> {
        if self.token.as_ref().is_some_and(Secret::is_empty) {
            return Err(AdminConfigError::EmptyToken);
        }
        let loopback = bound.ip().is_loopback();
        let enabled = self.enabled.unwrap_or(loopback);
        Ok(match (&self.token, enabled, loopback) {
            (_, false, _) => Access::Disabled,
            (Some(token), true, _) => Access::Bearer(Arc::new(token.clone())),
            (None, true, true) => Access::Open,
            (None, true, false) => return Err(AdminConfigError::TokenRequired(bound)),
        })
    }
}

/// Middleware on every admin route: refuses a request without the expected bearer token.
pub(crate) async fn guard(State(access): State<Access>, request: Request, next: Next) -> Response {
    match &access {
        Access::Bearer(token) => {
            let presented = request
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| {
                    let (scheme, rest) = value.split_once(' ')?;
                    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
                });
            if presented.is_some_and(|presented| token.matches(presented)) {
                next.run(request).await
            } else {
                let mut response = Problem::new(
                    StatusCode::UNAUTHORIZED,
                    None,
                    "the admin API needs the bearer token given at start (Authorization: Bearer …)",
                )
                .into_response();
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"mock-idp admin\""),
                );
                response
            }
        }
        Access::Open | Access::Disabled => next.run(request).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(address: &str) -> SocketAddr {
        address.parse().unwrap()
    }

    #[test]
    fn on_by_default_on_loopback_only_and_a_token_is_required_elsewhere() {
        let default = AdminConfig::default();
        assert!(matches!(default.access(at("127.0.0.1:1")), Ok(Access::Open)));
        assert!(matches!(default.access(at("[::1]:1")), Ok(Access::Open)));
        assert!(matches!(default.access(at("0.0.0.0:1")), Ok(Access::Disabled)));
        assert!(matches!(default.access(at("192.168.1.2:1")), Ok(Access::Disabled)));
        let enabled = AdminConfig {
            enabled: Some(true),
            token: None,
        };
        assert_eq!(
            enabled.access(at("0.0.0.0:1")).err(),
            Some(AdminConfigError::TokenRequired(at("0.0.0.0:1")))
        );
        let with_token = AdminConfig {
            enabled: Some(true),
            token: Some(Secret::new("t0ken")),
        };
        assert!(matches!(with_token.access(at("0.0.0.0:1")), Ok(Access::Bearer(_))));
        let off = AdminConfig {
            enabled: Some(false),
            token: None,
        };
        assert!(matches!(off.access(at("127.0.0.1:1")), Ok(Access::Disabled)));
        let empty = AdminConfig {
            enabled: None,
            token: Some(Secret::new("")),
        };
        assert_eq!(
            empty.access(at("127.0.0.1:1")).err(),
            Some(AdminConfigError::EmptyToken)
        );
    }
}
