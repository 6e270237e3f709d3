//! OAuth 2.0 grant types and their wire names.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A grant type a client may be allowed to use (RFC 6749 §4, OIDC Core §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    /// `authorization_code` (RFC 6749 §4.1), with PKCE (RFC 7636).
    AuthorizationCode,
    /// `refresh_token` (RFC 6749 §6).
    RefreshToken,
    /// `client_credentials` (RFC 6749 §4.4).
    ClientCredentials,
    /// `password`, the resource owner password credentials grant (RFC 6749 §4.3).
    Password,
    /// `urn:ietf:params:oauth:grant-type:device_code`, the device authorization grant
    /// (RFC 8628 §3.4); `device_code` in the World.
    DeviceCode,
    /// `urn:ietf:params:oauth:grant-type:token-exchange` (RFC 8693 §2.1); `token_exchange` in
    /// the World (Keycloak: the client attribute `standard.token.exchange.enabled`).
    TokenExchange,
    /// `urn:ietf:params:oauth:grant-type:jwt-bearer`, the JWT bearer authorization grant
    /// (RFC 7523 §2.1; ZITADEL's JWT profile for service users); `jwt_bearer` in the World.
    JwtBearer,
}

impl GrantType {
    /// Every grant type, in the order discovery lists them.
    pub const ALL: [GrantType; 7] = [
        GrantType::AuthorizationCode,
        GrantType::RefreshToken,
        GrantType::ClientCredentials,
        GrantType::Password,
        GrantType::DeviceCode,
        GrantType::TokenExchange,
        GrantType::JwtBearer,
    ];

    /// The grants of RFC 6749 and RFC 8628: what the generic provider offers.
    pub const CORE: [GrantType; 5] = [
        GrantType::AuthorizationCode,
        GrantType::RefreshToken,
        GrantType::ClientCredentials,
        GrantType::Password,
        GrantType::DeviceCode,
    ];

    /// The `grant_type` wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
            GrantType::ClientCredentials => "client_credentials",
            GrantType::Password => "password",
            GrantType::DeviceCode => "urn:ietf:params:oauth:grant-type:device_code",
            GrantType::TokenExchange => "urn:ietf:params:oauth:grant-type:token-exchange",
            GrantType::JwtBearer => "urn:ietf:params:oauth:grant-type:jwt-bearer",
        }
    }

    /// Parses a `grant_type` wire value; `None` for grant types this workspace does not know.
    pub fn from_wire(value: &str) -> Option<GrantType> {
        GrantType::ALL.into_iter().find(|grant| grant.as_str() == value)
    }
}

impl fmt::Display for GrantType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for grant in GrantType::ALL {
            assert_eq!(GrantType::from_wire(grant.as_str()), Some(grant));
        }
        assert_eq!(GrantType::from_wire("implicit"), None);
    }
}
