//! Token exchange (RFC 8693) as each provider implements it: which requests it refuses and how
//! it words each refusal. [`Quirks::token_exchange`](crate::Quirks::token_exchange) is `None`
//! where the provider (or the mock's imitation of it) has no token exchange.
//!
//! Sources (docs/providers.md, "Token exchange"):
//! - Keycloak standard token exchange v2: keycloak/keycloak
//!   `services/.../protocol/oidc/tokenexchange/StandardTokenExchangeProvider.java` (`supports`,
//!   `processSubjectToken`, `validateAudience`, `getRequestedScope`, `getRequestedTokenType`,
//!   `checkRequestedAudiences`), `AbstractTokenExchangeProvider.java`
//!   (`getTargetAudienceClients`, `forbiddenIfClientIsNotWithinTokenAudience`) and the texts
//!   `StandardTokenExchangeV2Test` asserts (`testExchangeDisabledOnClient`).
//! - Generic: RFC 8693 §2.2.2 (`invalid_request`, `invalid_target`).

use crate::Provider;
use crate::error::ErrorResponse;

/// `urn:ietf:params:oauth:token-type:access_token` (RFC 8693 §3).
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
/// `urn:ietf:params:oauth:token-type:id_token` (RFC 8693 §3).
pub const ID_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:id_token";
/// `urn:ietf:params:oauth:token-type:refresh_token` (RFC 8693 §3).
pub const REFRESH_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:refresh_token";

/// Why a token exchange request is refused, in the order Keycloak checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExchangeRefusal {
    /// A parameter of a kind of exchange the provider does not do here (`requested_subject`:
    /// impersonation, `requested_issuer`/`subject_issuer`: federated exchange).
    UnsupportedParameter {
        /// The parameter's name.
        name: &'static str,
    },
    /// The client may not exchange tokens (Keycloak: `standard.token.exchange.enabled` off).
    NotEnabled,
    /// No `subject_token`.
    MissingSubjectToken,
    /// No `subject_token_type`.
    MissingSubjectTokenType,
    /// `subject_token_type` is not the access token type.
    SubjectTokenTypeNotAccessToken,
    /// The subject token is not a live access token of this realm.
    InvalidSubjectToken,
    /// `requested_token_type` names a type the provider does not issue here.
    RequestedTokenTypeUnsupported,
    /// `audience` names no client of the realm.
    AudienceNotFound,
    /// A public client asked.
    PublicClient,
    /// The client is neither the subject token's holder (`azp`) nor in its `aud`.
    NotInSubjectAudience,
    /// `scope` asks for a scope the client does not have.
    InvalidScopes {
        /// The `scope` parameter as sent.
        scope: String,
    },
    /// A requested audience would not be in the new token's `aud`.
    AudienceNotAvailable {
        /// The missing audiences, comma-separated.
        audiences: String,
    },
}

/// Who words the refusals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExchangeStyle {
    /// Keycloak's standard token exchange v2.
    KeycloakStandardV2,
    /// RFC 8693 codes with the mock's own descriptions.
    Rfc8693,
}

/// A provider's token exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExchangeFacts {
    /// How refusals are worded.
    pub style: ExchangeStyle,
}

impl ExchangeFacts {
    /// Status, `error` and `error_description` of `refusal`.
    pub fn text(&self, refusal: &ExchangeRefusal) -> (u16, &'static str, String) {
        use ExchangeRefusal as R;
        match self.style {
            ExchangeStyle::KeycloakStandardV2 => match refusal {
                R::UnsupportedParameter { name } => (
                    400,
                    "invalid_request",
                    format!("Parameter '{name}' is not supported for standard token exchange"),
                ),
                R::NotEnabled => (
                    400,
                    "invalid_request",
                    "Standard token exchange is not enabled for the requested client".into(),
                ),
                R::MissingSubjectToken => (
                    400,
                    "invalid_request",
                    "Parameter 'subject_token' required for standard token exchange".into(),
                ),
                R::MissingSubjectTokenType => (
                    400,
                    "invalid_request",
                    "Parameter 'subject_token_type' required for standard token exchange".into(),
                ),
                R::SubjectTokenTypeNotAccessToken => (
                    400,
                    "invalid_request",
                    "Parameter 'subject_token' supports access tokens only".into(),
                ),
                R::InvalidSubjectToken => (400, "invalid_request", "Invalid token".into()),
                R::RequestedTokenTypeUnsupported => (400, "invalid_request", "requested_token_type unsupported".into()),
                R::AudienceNotFound => (400, "invalid_client", "Audience not found".into()),
                R::PublicClient => (
                    400,
                    "invalid_client",
                    "Public client is not allowed to exchange token".into(),
                ),
                R::NotInSubjectAudience => (403, "access_denied", "Client is not within the token audience".into()),
                R::InvalidScopes { scope } => (400, "invalid_scope", format!("Invalid scopes: {scope}")),
                R::AudienceNotAvailable { audiences } => (
                    400,
                    "invalid_request",
                    format!("Requested audience not available: {audiences}"),
                ),
            },
            ExchangeStyle::Rfc8693 => match refusal {
                R::UnsupportedParameter { name } => (400, "invalid_request", format!("{name} is not supported")),
                R::NotEnabled => (400, "unauthorized_client", "the client may not exchange tokens".into()),
                R::MissingSubjectToken => (400, "invalid_request", "subject_token is missing".into()),
                R::MissingSubjectTokenType => (400, "invalid_request", "subject_token_type is missing".into()),
                R::SubjectTokenTypeNotAccessToken => (
                    400,
                    "invalid_request",
                    "subject_token_type must be an access token".into(),
                ),
                R::InvalidSubjectToken => (400, "invalid_request", "subject_token is not valid".into()),
                R::RequestedTokenTypeUnsupported => {
                    (400, "invalid_request", "requested_token_type is not supported".into())
                }
                R::AudienceNotFound => (400, "invalid_target", "audience is unknown".into()),
                R::PublicClient => (400, "invalid_client", "public clients may not exchange tokens".into()),
                R::NotInSubjectAudience => (403, "access_denied", "the client is not in the token's audience".into()),
                R::InvalidScopes { scope } => (400, "invalid_scope", format!("invalid scope: {scope}")),
                R::AudienceNotAvailable { audiences } => {
                    (400, "invalid_target", format!("audience not available: {audiences}"))
                }
            },
        }
    }

    /// The response for `refusal`.
    pub fn error_response(&self, refusal: &ExchangeRefusal) -> ErrorResponse {
        let (status, error, description) = self.text(refusal);
        ErrorResponse::json(status, error, &description, None)
    }
}

/// RFC 8693's codes with the mock's descriptions; used for flavors without their own texts.
pub const STANDARD: ExchangeFacts = ExchangeFacts {
    style: ExchangeStyle::Rfc8693,
};

/// Keycloak 26's standard token exchange (v2, on by default since 26.2). A refresh token as
/// `requested_token_type` is refused: the client attribute
/// `standard.token.exchange.enableRefreshRequestedTokenType` defaults to `NO`.
pub const KEYCLOAK: ExchangeFacts = ExchangeFacts {
    style: ExchangeStyle::KeycloakStandardV2,
};

/// `provider`'s token exchange, if the mock imitates one.
pub fn facts(provider: Provider) -> Option<&'static ExchangeFacts> {
    provider.quirks().token_exchange.as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keycloak_words_the_disabled_client_as_its_test_asserts() {
        let response = KEYCLOAK.error_response(&ExchangeRefusal::NotEnabled);
        assert_eq!(response.status, 400);
        assert_eq!(
            response.body,
            Some(json!({"error": "invalid_request",
                "error_description": "Standard token exchange is not enabled for the requested client"}))
        );
        let (status, error, _) = KEYCLOAK.text(&ExchangeRefusal::NotInSubjectAudience);
        assert_eq!((status, error), (403, "access_denied"));
    }

    #[test]
    fn only_keycloak_has_token_exchange() {
        assert_eq!(facts(Provider::Keycloak), Some(&KEYCLOAK));
        for provider in [Provider::Generic, Provider::Zitadel, Provider::Wso2, Provider::AppId] {
            assert_eq!(facts(provider), None, "{provider}");
        }
    }
}
