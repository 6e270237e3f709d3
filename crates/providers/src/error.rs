//! The error vocabulary: what went wrong (an [`ErrorKind`]) and how a provider says so
//! (an [`ErrorResponse`]: status, `error` code, description and challenge).
//!
//! The mock raises kinds; each provider renders them through its own error table
//! ([`crate::Provider::error_response`]), so a flavor's status codes and bodies live in
//! exactly one place.

use serde::Serialize;
use std::fmt;

/// The `error` codes of RFC 6749 §4.1.2.1 and §5.2, RFC 6750 §3.1, RFC 7009 §2.2.1 and OIDC Core §3.1.2.6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// `invalid_request`
    InvalidRequest,
    /// `invalid_client`
    InvalidClient,
    /// `invalid_grant`
    InvalidGrant,
    /// `unauthorized_client`
    UnauthorizedClient,
    /// `unsupported_grant_type`
    UnsupportedGrantType,
    /// `invalid_scope`
    InvalidScope,
    /// `unsupported_response_type`
    UnsupportedResponseType,
    /// `access_denied`
    AccessDenied,
    /// `login_required`
    LoginRequired,
    /// `invalid_token`
    InvalidToken,
    /// `insufficient_scope`
    InsufficientScope,
    /// `unsupported_token_type`
    UnsupportedTokenType,
    /// `not_found`: not an OAuth code; used for unknown paths and realms.
    NotFound,
    /// `server_error`
    ServerError,
    /// `request_not_supported` (OIDC Core §3.1.2.6)
    RequestNotSupported,
    /// `request_uri_not_supported` (OIDC Core §3.1.2.6)
    RequestUriNotSupported,
}

impl ErrorCode {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::UnsupportedResponseType => "unsupported_response_type",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::LoginRequired => "login_required",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::InsufficientScope => "insufficient_scope",
            ErrorCode::UnsupportedTokenType => "unsupported_token_type",
            ErrorCode::NotFound => "not_found",
            ErrorCode::ServerError => "server_error",
            ErrorCode::RequestNotSupported => "request_not_supported",
            ErrorCode::RequestUriNotSupported => "request_uri_not_supported",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the client presented (or failed to present) its credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Challenge {
    /// No challenge header.
    None,
    /// `WWW-Authenticate: Basic realm="…"`: the client used, or should use, HTTP Basic (RFC 6749 §5.2).
    Basic,
    /// `WWW-Authenticate: Bearer realm="…"` with the error attributes of RFC 6750 §3.
    Bearer,
}

/// What went wrong, in terms the error tables of every provider can map.
///
/// Kinds are situations ("the client secret is wrong"), not wire codes: providers disagree on
/// the code and status for the same situation (Keycloak answers a wrong secret with
/// `401 unauthorized_client`, RFC 6749 says `401 invalid_client`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request is malformed: repeated parameter, bad encoding, wrong content type.
    MalformedRequest,
    /// A required parameter is missing (RFC 6749 §5.2 `invalid_request`).
    MissingParameter {
        /// The parameter's name, e.g. `grant_type`.
        name: String,
    },
    /// The request body exceeds the size limit.
    BodyTooLarge,
    /// The endpoint does not accept this HTTP method.
    MethodNotAllowed,
    /// No such path.
    NotFound,
    /// No such realm (tenant, organisation).
    UnknownRealm,
    /// The client authenticated with more than one method (RFC 6749 §2.3).
    MultipleClientAuthMethods,
    /// The client's secret is wrong; `basic` is true when it came in an Authorization header.
    BadClientSecret {
        /// Whether the client used HTTP Basic.
        basic: bool,
    },
    /// No client has this `client_id`; `basic` is true when it came in an Authorization header.
    UnknownClient {
        /// Whether the client used HTTP Basic.
        basic: bool,
    },
    /// A confidential client sent no credentials.
    MissingClientAuth,
    /// `grant_type` names a grant this server does not implement.
    UnsupportedGrantType {
        /// The `grant_type` value as the request sent it.
        grant: String,
    },
    /// The client is not allowed this grant type.
    UnauthorizedGrant {
        /// The grant it asked for.
        grant: crate::GrantType,
    },
    /// The authorization code is unknown, expired, already used, or issued to another client.
    InvalidCode,
    /// The PKCE verifier does not match, is missing, or was sent for a code without a challenge.
    PkceMismatch,
    /// The code has a PKCE challenge but the exchange sent no `code_verifier`.
    PkceVerifierMissing,
    /// `redirect_uri` at the token endpoint differs from the authorization request's.
    RedirectUriMismatch,
    /// The refresh token is unknown, expired, revoked, reused or issued to another client.
    InvalidRefreshToken,
    /// The password grant's username or password is wrong.
    InvalidUserCredentials {
        /// The username as the request sent it (WSO2 names it in its description).
        username: String,
    },
    /// The user's account is disabled.
    UserDisabled {
        /// The user's username.
        username: String,
    },
    /// A requested scope is unknown or not allowed for this client.
    InvalidScope,
    /// `response_type` is missing or not `code`.
    UnsupportedResponseType,
    /// The user pressed Deny on the login page.
    AccessDenied,
    /// `prompt=none` but no session exists.
    LoginRequired,
    /// A protected resource was called without a token (RFC 6750 §3.1: no error code).
    MissingBearer,
    /// The bearer token is expired, revoked, malformed or unknown.
    InvalidBearer,
    /// The access token was presented in more than one way (RFC 6750 §2).
    BearerInSeveralPlaces,
    /// The token lacks a scope the resource requires.
    InsufficientScope {
        /// The scope that would have been enough.
        scope: String,
    },
    /// Introspection was called without valid client authentication.
    IntrospectionUnauthenticated,
    /// An introspection request without a `token` parameter (RFC 7662 §2.1: `invalid_request`).
    IntrospectionMissingToken,
    /// The authenticated client may not introspect tokens.
    IntrospectionForbidden,
    /// The server failed (a key could not sign); never caused by request data.
    ServerError,
    /// A device authorization request or poll refused (RFC 8628 §3.5), worded from the
    /// provider's [`DeviceFacts`](crate::device::DeviceFacts).
    Device(crate::device::DeviceError),
    /// A pushed authorization request refused (RFC 9126 §2.3), worded from the provider's
    /// [`ParFacts`](crate::par::ParFacts).
    Par(crate::par::ParError),
    /// A token exchange request refused (RFC 8693 §2.2.2), worded from the provider's
    /// [`ExchangeFacts`](crate::exchange::ExchangeFacts).
    Exchange(crate::exchange::ExchangeRefusal),
    /// A DPoP proof (RFC 9449 §4.3), or a request that needed one, refused at the token
    /// endpoint; worded from the provider's [`DpopFacts`](crate::dpop::DpopFacts).
    Dpop(crate::dpop::DpopRefusal),
    /// A client assertion (`private_key_jwt`, `client_secret_jwt`) refused; worded from the
    /// provider's [`AssertionFacts`](crate::client_assertion::AssertionFacts).
    ClientAssertion(crate::client_assertion::AssertionRefusal),
    /// A protected resource request under the `DPoP` scheme (RFC 9449 §7.1) whose token,
    /// proof or binding is refused: the provider's invalid-token answer under a `DPoP`
    /// challenge that lists the accepted algorithms.
    InvalidDpopToken,
    /// A protected resource of a realm that demands DPoP nonces (RFC 9449 §9) got a proof
    /// without the current one: 401 `use_dpop_nonce` under a `DPoP` challenge, the nonce in
    /// `DPoP-Nonce`.
    ResourceDpopNonce {
        /// The nonce the next proof must carry.
        nonce: String,
    },
    /// A protected resource refused how the request proves its token's binding where the
    /// provider answers that as a bad request (WSO2's userinfo: 400 `invalid_request` under a
    /// `Bearer` challenge); the description says why.
    ResourceBindingRefused,
    /// The assertion of a JWT bearer grant (RFC 7523 §3.1: `invalid_grant`) is malformed,
    /// unsigned by a registered key, for another audience, expired, too old or replayed.
    InvalidAssertion,
}

/// One error as the provider writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorResponse {
    /// HTTP status.
    pub status: u16,
    /// The JSON body, e.g. `{"error":"invalid_client","error_description":"…"}`; `None` for an
    /// empty body (Keycloak's userinfo errors).
    pub body: Option<serde_json::Value>,
    /// `Content-Type` of the body.
    pub content_type: &'static str,
    /// The `WWW-Authenticate` header value, if any.
    pub www_authenticate: Option<String>,
}

/// The description the mock gives an [`ErrorKind::MissingParameter`], followed by its name.
pub const MISSING_PARAMETER: &str = "Missing form parameter: ";

/// The mock's description of an [`ErrorKind::PkceVerifierMissing`].
pub const PKCE_VERIFIER_MISSING: &str = "code_verifier is required";

/// The description of an [`ErrorKind::IntrospectionUnauthenticated`] whose request carried no
/// client credentials at all (as opposed to wrong ones).
pub const INTROSPECTION_NO_CREDENTIALS: &str = "client authentication is required to introspect";

/// The description of an [`ErrorKind::IntrospectionUnauthenticated`] or
/// [`ErrorKind::IntrospectionForbidden`] whose request named a client but sent neither a secret
/// nor an assertion.
pub const INTROSPECTION_NO_SECRET: &str = "a client_id alone does not authenticate an introspection request";

/// The mock's description of an [`ErrorKind::UnsupportedGrantType`] for the `grant_type` value
/// `name`.
pub fn unsupported_grant_description(name: &str) -> String {
    format!("grant type {name} is not supported")
}

/// `application/json`.
pub(crate) const JSON: &str = "application/json";

impl ErrorResponse {
    /// A JSON error with the standard members, in the order the standards list them.
    pub fn json(status: u16, error: &str, description: &str, www_authenticate: Option<String>) -> ErrorResponse {
        ErrorResponse {
            status,
            body: Some(serde_json::json!({ "error": error, "error_description": sanitize_description(description) })),
            content_type: JSON,
            www_authenticate,
        }
    }

    /// The `error` member of the body, if present.
    pub fn error_code(&self) -> Option<&str> {
        self.body.as_ref()?.get("error").and_then(serde_json::Value::as_str)
    }
}

/// Replaces characters RFC 6749 §5.2 forbids in `error_description` (`"`, `\` and anything outside
/// %x20-7E) so descriptions built from request data stay valid.
pub(crate) fn sanitize_description(description: &str) -> String {
    idp_jose::description::sanitize(description)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_are_restricted_to_the_rfc_charset() {
        assert_eq!(sanitize_description("bad \"x\" \\ é\n"), "bad 'x' / ??");
    }

    fn description(response: &ErrorResponse) -> Option<&str> {
        response.body.as_ref()?.get("error_description")?.as_str()
    }

    #[test]
    fn zitadel_words_the_typed_kinds_without_reading_the_description() {
        let zitadel = crate::Provider::Zitadel;
        let missing = zitadel.error_response(
            &ErrorKind::MissingParameter {
                name: "grant_type".into(),
            },
            "whatever the mock said",
            "demo",
        );
        assert_eq!((missing.status, missing.error_code()), (400, Some("invalid_request")));
        assert_eq!(description(&missing), Some("grant_type missing"));
        // A malformed request whose description merely looks like a missing parameter is not one.
        let malformed = zitadel.error_response(&ErrorKind::MalformedRequest, "Missing form parameter: code", "demo");
        assert_eq!(description(&malformed), Some("Missing form parameter: code"));

        let grant = zitadel.error_response(&ErrorKind::UnsupportedGrantType { grant: "urn:x".into() }, "", "demo");
        assert_eq!(description(&grant), Some("urn:x not supported"));

        let verifier = zitadel.error_response(&ErrorKind::PkceVerifierMissing, "", "demo");
        assert_eq!((verifier.status, verifier.error_code()), (400, Some("invalid_request")));
        assert_eq!(description(&verifier), Some("code_verifier required"));
        let mismatch = zitadel.error_response(&ErrorKind::PkceMismatch, PKCE_VERIFIER_MISSING, "demo");
        assert_eq!(mismatch.error_code(), Some("invalid_grant"));
    }

    #[test]
    fn other_providers_render_the_typed_kinds_as_their_general_kind() {
        for provider in crate::Provider::ALL {
            if provider == crate::Provider::Zitadel {
                continue;
            }
            let detail = format!("{MISSING_PARAMETER}code");
            assert_eq!(
                provider.error_response(&ErrorKind::MissingParameter { name: "code".into() }, &detail, "demo"),
                provider.error_response(&ErrorKind::MalformedRequest, &detail, "demo"),
                "{provider}"
            );
            assert_eq!(
                provider.error_response(&ErrorKind::PkceVerifierMissing, PKCE_VERIFIER_MISSING, "demo"),
                provider.error_response(&ErrorKind::PkceMismatch, PKCE_VERIFIER_MISSING, "demo"),
                "{provider}"
            );
        }
    }
}
