//! The generic provider: plain OpenID Connect as the specifications write it.
//!
//! - Issuer `{public_url}/{realm}`; every endpoint below it (`/{realm}/token`, …).
//! - RFC 9068 JWT access tokens (`typ: at+jwt`), roles in `roles`, scopes in `scope`.
//! - Errors exactly as RFC 6749 §5.2, RFC 6750 §3 and RFC 7662 §2.3 describe them.

use crate::claims::{
    AccessTokenInput, IdTokenInput, IntrospectionInput, TokenResponseInput, audience_value, standard_user_claims,
};
use crate::error::sanitize_description;
use crate::{Challenge, Endpoint, ErrorCode, ErrorKind, ErrorResponse, Flavor, Site, User};
use serde_json::{Map, Value, json};

/// The generic provider's facts: the [`Flavor`] defaults.
#[derive(Debug, Clone, Copy)]
pub struct Generic;

impl Flavor for Generic {}

/// `typ` header of access tokens (RFC 9068 §2.1).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";

/// Claims RFC 9068 §2.2 requires in a JWT access token.
pub const REQUIRED_ACCESS_TOKEN_CLAIMS: [&str; 7] = ["iss", "exp", "aud", "sub", "client_id", "iat", "jti"];

/// Route pattern of each endpoint; `None` for App ID's profile attributes API.
pub(crate) fn route(endpoint: Endpoint) -> Option<&'static str> {
    Some(match endpoint {
        Endpoint::Discovery => "/{realm}/.well-known/openid-configuration",
        Endpoint::AuthorizationServerMetadata => "/.well-known/oauth-authorization-server/{realm}",
        Endpoint::Jwks => "/{realm}/jwks",
        Endpoint::Authorize => "/{realm}/authorize",
        Endpoint::Login => "/{realm}/login",
        Endpoint::Token => "/{realm}/token",
        Endpoint::Userinfo => "/{realm}/userinfo",
        Endpoint::Introspect => "/{realm}/introspect",
        Endpoint::Revoke => "/{realm}/revoke",
        Endpoint::EndSession => "/{realm}/logout",
        Endpoint::DeviceAuthorization => "/{realm}/device_authorization",
        Endpoint::DeviceVerification => "/{realm}/device",
        // The generic flavor has no PAR endpoint (crate::par): no route, no URL.
        Endpoint::ProfileAttributes | Endpoint::PushedAuthorization => return None,
    })
}

/// `{public_url}/{realm}`, without a trailing slash.
pub(crate) fn issuer(site: &Site) -> String {
    format!("{}/{}", site.base(), site.realm)
}

pub(crate) fn access_token_claims(input: &AccessTokenInput<'_>) -> Map<String, Value> {
    let mut claims = Map::new();
    let subject = input.user.map_or(input.client.id.as_str(), |user| user.id.as_str());
    let audiences: Vec<String> = if input.audiences.is_empty() {
        vec![input.client.id.clone()]
    } else {
        input.audiences.to_vec()
    };
    claims.insert("iss".into(), json!(input.issuer));
    claims.insert("sub".into(), json!(subject));
    claims.insert("aud".into(), audience_value(&audiences));
    claims.insert("exp".into(), json!(input.expires_at));
    claims.insert("iat".into(), json!(input.issued_at));
    claims.insert("jti".into(), json!(input.jti));
    claims.insert("client_id".into(), json!(input.client.id));
    claims.insert("scope".into(), json!(input.scopes.join(" ")));
    if let Some(auth_time) = input.auth_time {
        claims.insert("auth_time".into(), json!(auth_time));
    }
    if let Some(sid) = input.session_id {
        claims.insert("sid".into(), json!(sid));
    }
    let roles: &[String] = match input.user {
        Some(user) => &user.realm_roles,
        None => &input.client.service_account_roles,
    };
    if !roles.is_empty() {
        claims.insert("roles".into(), json!(roles));
    }
    claims
}

pub(crate) fn id_token_claims(input: &IdTokenInput<'_>) -> Map<String, Value> {
    let mut claims = Map::new();
    claims.insert("iss".into(), json!(input.issuer));
    claims.insert("sub".into(), json!(input.user.id));
    claims.insert("aud".into(), json!(input.client.id));
    claims.insert("exp".into(), json!(input.expires_at));
    claims.insert("iat".into(), json!(input.issued_at));
    claims.insert("auth_time".into(), json!(input.auth_time));
    claims.insert("jti".into(), json!(input.jti));
    if let Some(nonce) = input.nonce {
        claims.insert("nonce".into(), json!(nonce));
    }
    claims.insert("azp".into(), json!(input.client.id));
    if let Some(sid) = input.session_id {
        claims.insert("sid".into(), json!(sid));
    }
    if let Some(at_hash) = input.at_hash {
        claims.insert("at_hash".into(), json!(at_hash));
    }
    claims.extend(standard_user_claims(input.user, input.scopes));
    claims
}

pub(crate) fn userinfo(user: &User, scopes: &[String]) -> Map<String, Value> {
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(user.id));
    claims.extend(standard_user_claims(user, scopes));
    claims
}

/// Members of an access token's claims that RFC 7662 §2.2 defines for introspection responses.
const INTROSPECTION_MEMBERS: [&str; 9] = ["scope", "client_id", "exp", "iat", "nbf", "sub", "aud", "iss", "jti"];

pub(crate) fn introspection(input: &IntrospectionInput<'_>) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("active".into(), json!(true));
    for member in INTROSPECTION_MEMBERS {
        if let Some(value) = input.claims.get(member) {
            body.insert(member.into(), value.clone());
        }
    }
    if let Some(username) = input.username {
        body.insert("username".into(), json!(username));
    }
    let token_type = if input.refresh_token { "refresh_token" } else { "Bearer" };
    body.insert("token_type".into(), json!(token_type));
    body
}

pub(crate) fn token_response(input: &TokenResponseInput<'_>) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("access_token".into(), json!(input.access_token));
    body.insert("token_type".into(), json!("Bearer"));
    body.insert("expires_in".into(), json!(input.expires_in));
    if let Some(refresh) = input.refresh_token {
        body.insert("refresh_token".into(), json!(refresh));
    }
    if let Some(id_token) = input.id_token {
        body.insert("id_token".into(), json!(id_token));
    }
    body.insert("scope".into(), json!(input.scope));
    body
}

/// The RFC error table.
///
/// | kind | status | `error` | challenge |
/// |---|---|---|---|
/// | malformed request, several auth methods | 400 | `invalid_request` | |
/// | body too large | 413 | `invalid_request` | |
/// | method not allowed | 405 | `invalid_request` | |
/// | unknown path or realm | 404 | `not_found` | |
/// | bad secret, unknown client, no credentials | 401 | `invalid_client` | `Basic` (RFC 6749 §5.2) |
/// | unknown grant type | 400 | `unsupported_grant_type` | |
/// | grant not allowed for the client | 400 | `unauthorized_client` | |
/// | bad code, PKCE, redirect URI, refresh token, user credentials, disabled user | 400 | `invalid_grant` | |
/// | bad scope | 400 | `invalid_scope` | |
/// | no bearer token | 401 | (none) | `Bearer realm` |
/// | bad bearer token | 401 | `invalid_token` | `Bearer error=…` |
/// | insufficient scope | 403 | `insufficient_scope` | `Bearer error=…, scope=…` |
/// | introspection without (allowed) client auth | 401 | `invalid_client` | `Basic` |
pub(crate) fn error_response(kind: &ErrorKind, detail: &str, realm: &str) -> ErrorResponse {
    use ErrorCode as C;
    let (status, code, challenge) = match kind {
        ErrorKind::MalformedRequest
        | ErrorKind::MissingParameter { .. }
        | ErrorKind::MultipleClientAuthMethods
        | ErrorKind::IntrospectionMissingToken => (400, C::InvalidRequest, Challenge::None),
        ErrorKind::BodyTooLarge => (413, C::InvalidRequest, Challenge::None),
        ErrorKind::MethodNotAllowed => (405, C::InvalidRequest, Challenge::None),
        ErrorKind::NotFound | ErrorKind::UnknownRealm => (404, C::NotFound, Challenge::None),
        ErrorKind::BadClientSecret { .. }
        | ErrorKind::UnknownClient { .. }
        | ErrorKind::MissingClientAuth
        | ErrorKind::IntrospectionUnauthenticated
        | ErrorKind::IntrospectionForbidden => (401, C::InvalidClient, Challenge::Basic),
        ErrorKind::UnsupportedGrantType { .. } => (400, C::UnsupportedGrantType, Challenge::None),
        ErrorKind::UnauthorizedGrant { .. } => (400, C::UnauthorizedClient, Challenge::None),
        ErrorKind::InvalidCode
        | ErrorKind::PkceMismatch
        | ErrorKind::PkceVerifierMissing
        | ErrorKind::RedirectUriMismatch
        | ErrorKind::InvalidRefreshToken
        | ErrorKind::InvalidUserCredentials { .. }
        | ErrorKind::UserDisabled { .. }
        | ErrorKind::InvalidAssertion => (400, C::InvalidGrant, Challenge::None),
        ErrorKind::InvalidScope => (400, C::InvalidScope, Challenge::None),
        ErrorKind::UnsupportedResponseType => (400, C::UnsupportedResponseType, Challenge::None),
        ErrorKind::AccessDenied => (400, C::AccessDenied, Challenge::None),
        ErrorKind::LoginRequired => (400, C::LoginRequired, Challenge::None),
        ErrorKind::MissingBearer => (401, C::InvalidRequest, Challenge::Bearer),
        ErrorKind::InvalidBearer => (401, C::InvalidToken, Challenge::Bearer),
        ErrorKind::BearerInSeveralPlaces | ErrorKind::ResourceBindingRefused => {
            (400, C::InvalidRequest, Challenge::Bearer)
        }
        ErrorKind::InsufficientScope { .. } => (403, C::InsufficientScope, Challenge::Bearer),
        ErrorKind::ServerError => (500, C::ServerError, Challenge::None),
        ErrorKind::Device(error) => return crate::device::STANDARD.error_response(*error),
        // Raised only where a provider has PAR (Provider::error_response words it); the
        // standard wording otherwise (RFC 9126 §2.3).
        ErrorKind::Par(_) => (400, C::InvalidRequest, Challenge::None),
        ErrorKind::Exchange(refusal) => return crate::exchange::STANDARD.error_response(refusal),
        ErrorKind::Dpop(refusal) => return crate::dpop::STANDARD.error_response(refusal),
        ErrorKind::ClientAssertion(refusal) => {
            let kind = crate::client_assertion::AssertionFacts::flavor_kind(*refusal);
            return error_response(&kind, &refusal.to_string(), realm);
        }
        // Rendered by `Provider::error_response` from the flavor's invalid bearer answer.
        ErrorKind::InvalidDpopToken => (401, C::InvalidToken, Challenge::Bearer),
        // Rendered by `Provider::error_response` (a `DPoP` challenge).
        ErrorKind::ResourceDpopNonce { .. } => (401, C::InvalidToken, Challenge::Bearer),
    };
    let description = sanitize_description(detail);
    let www_authenticate = match challenge {
        Challenge::None => None,
        Challenge::Basic => Some(format!("Basic realm=\"{realm}\"")),
        Challenge::Bearer => Some(bearer_challenge(kind, code, &description, realm)),
    };
    // RFC 6750 §3.1 keeps error codes out of the challenge of a request without a token;
    // the body still says what happened, in the RFC 6749 §5.2 shape.
    ErrorResponse::json(status, code.as_str(), &description, www_authenticate)
}

fn bearer_challenge(kind: &ErrorKind, code: ErrorCode, description: &str, realm: &str) -> String {
    match kind {
        ErrorKind::MissingBearer => format!("Bearer realm=\"{realm}\""),
        ErrorKind::InsufficientScope { scope } => format!(
            "Bearer realm=\"{realm}\", error=\"{code}\", error_description=\"{description}\", scope=\"{}\"",
            sanitize_description(scope)
        ),
        _ => format!("Bearer realm=\"{realm}\", error=\"{code}\", error_description=\"{description}\""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_basic_secret_is_401_invalid_client_with_a_basic_challenge() {
        let response = error_response(&ErrorKind::BadClientSecret { basic: true }, "bad secret", "demo");
        assert_eq!(response.status, 401);
        assert_eq!(response.error_code(), Some("invalid_client"));
        assert_eq!(response.www_authenticate.as_deref(), Some("Basic realm=\"demo\""));
    }

    #[test]
    fn a_missing_bearer_challenge_carries_no_error_attribute() {
        let response = error_response(&ErrorKind::MissingBearer, "no token", "demo");
        assert_eq!(response.status, 401);
        assert_eq!(response.www_authenticate.as_deref(), Some("Bearer realm=\"demo\""));
    }

    #[test]
    fn insufficient_scope_names_the_scope() {
        let response = error_response(
            &ErrorKind::InsufficientScope { scope: "openid".into() },
            "need openid",
            "demo",
        );
        assert_eq!(response.status, 403);
        let challenge = response.www_authenticate.unwrap_or_default();
        assert!(challenge.contains("error=\"insufficient_scope\""), "{challenge}");
        assert!(challenge.contains("scope=\"openid\""), "{challenge}");
    }

    #[test]
    fn issuer_has_no_trailing_slash() {
        let site = Site::new(crate::Provider::Generic, "http://127.0.0.1:8080/", "demo", true);
        assert_eq!(issuer(&site), "http://127.0.0.1:8080/demo");
    }
}
