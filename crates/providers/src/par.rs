//! Pushed authorization requests (RFC 9126) as each provider implements them: the
//! `request_uri` format, its lifetime, what discovery advertises and the provider's own error
//! texts. [`Quirks::par`](crate::Quirks::par) is `None` where the provider (or the mock's
//! imitation of it) has no PAR endpoint: ZITADEL, IBM App ID and the generic provider answer
//! the path with their 404.
//!
//! Sources (docs/providers.md, "Pushed authorization requests"):
//! - Keycloak: `ParEndpoint.java` (`REQUEST_URI_PREFIX`, 201 with `request_uri` and
//!   `expires_in`, the `invalid_request` texts), `AuthzEndpointParParser.java` (single use:
//!   `parStore.remove(key)`; expiry), `AuthorizationEndpointChecker.checkParRequired`, the
//!   realm's `parRequestUriLifespan` default 60 s, and `ParTest.java` (status and texts).
//! - WSO2: identity-inbound-auth-oauth `ParConstants.java` (prefix, 60 s, texts) and
//!   `OAuth2ParEndpointTest.java` (statuses and codes).

use crate::Provider;
use crate::error::ErrorResponse;
use serde_json::json;

/// A reason a pushed authorization request, or the authorization request that redeems it, is
/// refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParError {
    /// The pushed request itself carries `request_uri` (RFC 9126 §2.1).
    RequestUriInPush,
    /// The client failed to authenticate at the PAR endpoint.
    ClientAuthFailed,
    /// `redirect_uri` is missing or not registered for the client.
    InvalidRedirectUri,
    /// `response_type` is missing.
    MissingResponseType,
    /// `response_type` is not one the server supports.
    UnsupportedResponseType,
    /// A requested scope is not allowed (the mock's detail names it).
    InvalidScope,
    /// Another authorization parameter is invalid (PKCE, `response_mode`, …; the mock's detail
    /// says which).
    InvalidParameter,
    /// The client must push its authorization requests but sent one without a pushed
    /// `request_uri` (at the authorization endpoint).
    Required,
}

impl ParError {
    /// Every PAR error, in the order of [`ParFacts::errors`].
    pub const ALL: [ParError; 8] = [
        ParError::RequestUriInPush,
        ParError::ClientAuthFailed,
        ParError::InvalidRedirectUri,
        ParError::MissingResponseType,
        ParError::UnsupportedResponseType,
        ParError::InvalidScope,
        ParError::InvalidParameter,
        ParError::Required,
    ];
}

/// One error as a provider words it; `description: None` keeps the mock's own detail (the
/// provider's text names request values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParErrorText {
    /// HTTP status.
    pub status: u16,
    /// The `error` code.
    pub error: &'static str,
    /// The `error_description`, when the provider's is fixed text.
    pub description: Option<&'static str>,
}

const fn text(status: u16, error: &'static str, description: Option<&'static str>) -> ParErrorText {
    ParErrorText {
        status,
        error,
        description,
    }
}

/// A provider's PAR endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParFacts {
    /// What every `request_uri` starts with; a random UUID follows.
    pub request_uri_prefix: &'static str,
    /// `expires_in` of a pushed request, seconds.
    pub lifetime: u64,
    /// Whether discovery writes `require_pushed_authorization_requests` (always `false`: the
    /// requirement is per client).
    pub advertises_required: bool,
    /// The error texts, in [`ParError::ALL`] order.
    pub errors: [ParErrorText; 8],
    /// Whether an authorization request by `request_uri` that needs a login is answered with a
    /// 302 to the login page rather than the page itself (Keycloak 26.7.3, a real run: `302` to
    /// `login-actions/authenticate?client_id=…&tab_id=…&client_data=…`, while a plain request
    /// gets the form at once).
    pub login_by_redirect: bool,
}

impl ParFacts {
    /// How this provider words `error`.
    pub fn text(&self, error: ParError) -> ParErrorText {
        let index = ParError::ALL.iter().position(|known| *known == error).unwrap_or(0);
        self.errors[index]
    }

    /// The JSON error response for `error`; `detail` is the mock's explanation, used where the
    /// provider's text depends on the request.
    pub fn error_response(&self, error: ParError, detail: &str) -> ErrorResponse {
        let text = self.text(error);
        ErrorResponse {
            status: text.status,
            body: Some(json!({
                "error": text.error,
                "error_description": text.description.map_or_else(|| crate::error::sanitize_description(detail), str::to_owned),
            })),
            content_type: crate::error::JSON,
            www_authenticate: None,
        }
    }
}

/// Keycloak 26 (`ParEndpoint`, `ParTest`).
pub const KEYCLOAK: ParFacts = ParFacts {
    request_uri_prefix: "urn:ietf:params:oauth:request_uri:",
    lifetime: 60,
    advertises_required: true,
    errors: [
        text(
            400,
            "invalid_request",
            Some("It is not allowed to include request_uri to PAR."),
        ),
        // ParTest.testFailureClientAuthnFailed: 401 invalid_request.
        text(401, "invalid_request", Some("Authentication failed.")),
        text(400, "invalid_request", Some("Invalid parameter: redirect_uri")),
        text(400, "invalid_request", Some("Missing parameter: response_type")),
        text(400, "invalid_request", Some("Unsupported response type")),
        // "Invalid scopes: openid not_registered_scope": the mock's detail.
        text(400, "invalid_request", None),
        text(400, "invalid_request", None),
        text(
            400,
            "invalid_request",
            Some("Pushed Authorization Request is only allowed."),
        ),
    ],
    login_by_redirect: true,
};

/// WSO2 Identity Server 7 (`ParConstants`, `OAuth2ParEndpointTest`).
pub const WSO2: ParFacts = ParFacts {
    request_uri_prefix: "urn:ietf:params:oauth:par:request_uri:",
    lifetime: 60,
    advertises_required: false,
    errors: [
        text(400, "invalid_request", Some("Request with request_uri not allowed.")),
        text(401, "invalid_client", Some("Client Authentication Failed.")),
        // OAuth2ParEndpointTest: an unregistered redirect is 400 invalid_callback.
        text(400, "invalid_callback", None),
        text(400, "invalid_request", None),
        text(400, "invalid_request", None),
        text(400, "invalid_scope", None),
        text(400, "invalid_request", None),
        text(400, "invalid_request", None),
    ],
    login_by_redirect: false,
};

/// `provider`'s PAR facts, if it has a PAR endpoint.
pub fn facts(provider: Provider) -> Option<&'static ParFacts> {
    provider.quirks().par.as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keycloak_and_wso2_push_and_the_others_do_not() {
        assert_eq!(facts(Provider::Keycloak), Some(&KEYCLOAK));
        assert_eq!(facts(Provider::Wso2), Some(&WSO2));
        for provider in [Provider::Generic, Provider::Zitadel, Provider::AppId] {
            assert_eq!(facts(provider), None, "{provider}");
        }
    }

    #[test]
    fn fixed_texts_win_and_open_ones_take_the_detail() {
        let fixed = KEYCLOAK.error_response(ParError::RequestUriInPush, "ignored");
        assert_eq!(fixed.status, 400);
        assert_eq!(
            fixed.body.unwrap()["error_description"],
            "It is not allowed to include request_uri to PAR."
        );
        let open = KEYCLOAK.error_response(ParError::InvalidScope, "Invalid scopes: openid x");
        assert_eq!(open.body.unwrap()["error_description"], "Invalid scopes: openid x");
        assert_eq!(WSO2.error_response(ParError::ClientAuthFailed, "").status, 401);
    }
}
