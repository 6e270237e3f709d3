//! The [`Provider`] enum: which identity provider a target imitates, and the entry point to
//! that provider's facts.

use crate::claims::{AccessTokenInput, DiscoveryInput, IdTokenInput, IntrospectionInput, TokenResponseInput};
use crate::generic;
use crate::{ErrorKind, ErrorResponse};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;
use std::str::FromStr;

/// A kind of identity provider whose behaviour the workspace knows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Provider {
    /// Plain OpenID Connect with RFC 9068 JWT access tokens and RFC-shaped errors.
    #[default]
    Generic,
}

/// An endpoint a provider serves; its path comes from [`Provider::route`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// OpenID Connect Discovery (`/.well-known/openid-configuration`).
    Discovery,
    /// RFC 8414 authorization server metadata.
    AuthorizationServerMetadata,
    /// JWK set (`jwks_uri`).
    Jwks,
    /// Authorization endpoint.
    Authorize,
    /// Where the login page posts its form.
    Login,
    /// Token endpoint.
    Token,
    /// UserInfo endpoint.
    Userinfo,
    /// RFC 7662 introspection endpoint.
    Introspect,
    /// RFC 7009 revocation endpoint.
    Revoke,
    /// RP-initiated logout (`end_session_endpoint`).
    EndSession,
}

impl Endpoint {
    /// Every endpoint.
    pub const ALL: [Endpoint; 10] = [
        Endpoint::Discovery,
        Endpoint::AuthorizationServerMetadata,
        Endpoint::Jwks,
        Endpoint::Authorize,
        Endpoint::Login,
        Endpoint::Token,
        Endpoint::Userinfo,
        Endpoint::Introspect,
        Endpoint::Revoke,
        Endpoint::EndSession,
    ];
}

/// A provider name that is not known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown provider `{0}` (known: generic)")]
pub struct UnknownProvider(pub String);

impl Provider {
    /// Every provider.
    pub const ALL: [Provider; 1] = [Provider::Generic];

    /// The provider's name as used on the command line and in config files.
    pub fn name(self) -> &'static str {
        match self {
            Provider::Generic => "generic",
        }
    }

    /// The axum route pattern of `endpoint`, with `{realm}` where the realm goes.
    pub fn route(self, endpoint: Endpoint) -> &'static str {
        match self {
            Provider::Generic => generic::route(endpoint),
        }
    }

    /// The issuer of `realm` when the server is reached at `public_url`.
    pub fn issuer(self, public_url: &str, realm: &str) -> String {
        match self {
            Provider::Generic => generic::issuer(public_url, realm),
        }
    }

    /// The absolute URL of `endpoint` for `realm`.
    pub fn endpoint_url(self, public_url: &str, realm: &str, endpoint: Endpoint) -> String {
        format!(
            "{}{}",
            public_url.trim_end_matches('/'),
            self.route(endpoint).replace("{realm}", realm)
        )
    }

    /// The OpenID Connect discovery document (also served as RFC 8414 metadata).
    pub fn discovery(self, input: &DiscoveryInput<'_>) -> Map<String, Value> {
        match self {
            Provider::Generic => generic::discovery(input),
        }
    }

    /// The `typ` header of JWT access tokens.
    pub fn access_token_typ(self) -> &'static str {
        match self {
            Provider::Generic => generic::ACCESS_TOKEN_TYP,
        }
    }

    /// The claims of an access token.
    pub fn access_token_claims(self, input: &AccessTokenInput<'_>) -> Map<String, Value> {
        match self {
            Provider::Generic => generic::access_token_claims(input),
        }
    }

    /// The claims of an ID token.
    pub fn id_token_claims(self, input: &IdTokenInput<'_>) -> Map<String, Value> {
        match self {
            Provider::Generic => generic::id_token_claims(input),
        }
    }

    /// The UserInfo response for `user` and the scopes the token carries.
    pub fn userinfo(self, user: &crate::User, scopes: &[String]) -> Map<String, Value> {
        match self {
            Provider::Generic => generic::userinfo(user, scopes),
        }
    }

    /// The body of an `active: true` introspection response.
    pub fn introspection(self, input: &IntrospectionInput<'_>) -> Map<String, Value> {
        match self {
            Provider::Generic => generic::introspection(input),
        }
    }

    /// The body of a successful token response.
    pub fn token_response(self, input: &TokenResponseInput<'_>) -> Map<String, Value> {
        match self {
            Provider::Generic => generic::token_response(input),
        }
    }

    /// Scopes, roles and client of a token's claims, read the way this provider writes them.
    /// `resource` is the client id of the resource server asking, for providers whose
    /// client roles are scoped per client (another client's roles never count).
    pub fn read_grants(self, claims: &Map<String, Value>, resource: Option<&str>) -> crate::Grants {
        match self {
            Provider::Generic => crate::reader::generic(claims, resource),
        }
    }

    /// How this provider answers `kind`; `detail` is the mock's explanation, `realm` names the
    /// realm for `WWW-Authenticate`.
    pub fn error_response(self, kind: &ErrorKind, detail: &str, realm: &str) -> ErrorResponse {
        match self {
            Provider::Generic => generic::error_response(kind, detail, realm),
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Provider {
    type Err = UnknownProvider;

    fn from_str(name: &str) -> Result<Provider, UnknownProvider> {
        Provider::ALL
            .into_iter()
            .find(|provider| provider.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| UnknownProvider(name.to_owned()))
    }
}
