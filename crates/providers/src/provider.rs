//! The [`Provider`] enum: which identity provider a target imitates, and the entry point to
//! that provider's facts (its [`Flavor`]).

use crate::Flavor;
use crate::{appid, generic, keycloak, wso2, zitadel};
use serde::{Deserialize, Serialize};
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
    /// Keycloak 26 (and distributions such as ZTrust): `/realms/{realm}/protocol/openid-connect/*`.
    Keycloak,
    /// ZITADEL v4: host-level issuer, `/oauth/v2/*` and `/oidc/v1/*`, opaque tokens by default.
    Zitadel,
    /// WSO2 Identity Server 7: issuer `{base}/oauth2/token`, tenants under `/t/{tenant}`.
    Wso2,
    /// IBM Cloud App ID: `/oauth/v4/{tenantId}/*`, JWT header `ver: 4`, `appid_*` scopes.
    #[serde(rename = "appid")]
    AppId,
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
    /// RFC 8628 device authorization endpoint (`device_authorization_endpoint`).
    DeviceAuthorization,
    /// The page where the user enters a device's user code (`verification_uri`).
    DeviceVerification,
    /// IBM App ID's user profile attributes API (`/api/v1/attributes`, one attribute under
    /// `/{name}` below it); no other provider serves it.
    ProfileAttributes,
    /// RFC 9126 pushed authorization request endpoint (`pushed_authorization_request_endpoint`).
    PushedAuthorization,
}

impl Endpoint {
    /// Every endpoint.
    pub const ALL: [Endpoint; 14] = [
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
        Endpoint::DeviceAuthorization,
        Endpoint::DeviceVerification,
        Endpoint::ProfileAttributes,
        Endpoint::PushedAuthorization,
    ];
}

/// A provider name that is not known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown provider `{0}` (known: generic, keycloak, ztrust, zitadel, wso2, appid)")]
pub struct UnknownProvider(pub String);

impl Provider {
    /// Every provider.
    pub const ALL: [Provider; 5] = [
        Provider::Generic,
        Provider::Keycloak,
        Provider::Zitadel,
        Provider::Wso2,
        Provider::AppId,
    ];

    /// The provider's name as used on the command line and in config files.
    pub fn name(self) -> &'static str {
        match self {
            Provider::Generic => "generic",
            Provider::Keycloak => "keycloak",
            Provider::Zitadel => "zitadel",
            Provider::Wso2 => "wso2",
            Provider::AppId => "appid",
        }
    }

    /// The provider's facts.
    pub fn flavor(self) -> &'static dyn Flavor {
        match self {
            Provider::Generic => &generic::Generic,
            Provider::Keycloak => &keycloak::Keycloak,
            Provider::Zitadel => &zitadel::Zitadel,
            Provider::Wso2 => &wso2::Wso2,
            Provider::AppId => &appid::AppId,
        }
    }

    /// The axum route pattern of `endpoint`, with `{realm}` where the realm goes; `None` when
    /// the provider does not serve it.
    pub fn route(self, endpoint: Endpoint) -> Option<&'static str> {
        self.flavor().route(endpoint)
    }

    /// Every route pattern the server mounts for `endpoint` (the default realm's layout first,
    /// then the realm layout, then the [aliases](Flavor::route_aliases)).
    pub fn routes(self, endpoint: Endpoint) -> Vec<&'static str> {
        let flavor = self.flavor();
        let mut routes: Vec<&'static str> = flavor.default_realm_route(endpoint).into_iter().collect();
        let others = flavor
            .route(endpoint)
            .into_iter()
            .chain(flavor.route_aliases(endpoint).iter().copied());
        for route in others {
            if !routes.contains(&route) {
                routes.push(route);
            }
        }
        routes
    }

    /// The [`Site`](crate::Site) of `realm` at `public_url` (`is_default`: the world's default
    /// realm): its issuer and endpoint URLs.
    pub fn site(self, public_url: &str, realm: &str, is_default: bool) -> crate::Site {
        crate::Site::new(self, public_url, realm, is_default)
    }
}

impl Provider {
    /// The provider's behaviour facts.
    pub fn quirks(self) -> &'static crate::Quirks {
        self.flavor().quirks()
    }

    /// The `typ` header of this provider's JWT access tokens.
    pub fn access_token_typ(self) -> &'static str {
        self.quirks().access_token_typ
    }

    /// Claims this provider's JWT access tokens always carry (see
    /// [`Quirks::required_access_token_claims`](crate::Quirks::required_access_token_claims)).
    pub fn required_access_token_claims(self) -> &'static [&'static str] {
        self.quirks().required_access_token_claims
    }

    /// The payload `typ` claim of this provider's JWT access tokens, if it writes one.
    pub fn access_token_payload_typ(self) -> Option<&'static str> {
        self.quirks().access_token_payload_typ
    }

    /// Scopes, roles and client of a token's claims, read the way this provider writes them.
    /// `resource` is the client id of the resource server asking, for providers whose client
    /// roles are scoped per client (another client's roles never count).
    pub fn read_grants(
        self,
        claims: &serde_json::Map<String, serde_json::Value>,
        resource: Option<&str>,
    ) -> crate::Grants {
        self.flavor().read_grants(claims, resource)
    }

    /// How this provider answers `kind`; `detail` is the mock's explanation, `realm` names the
    /// realm for `WWW-Authenticate`.
    pub fn error_response(self, kind: &crate::ErrorKind, detail: &str, realm: &str) -> crate::ErrorResponse {
        if let crate::ErrorKind::Device(error) = kind
            && let Some(facts) = crate::device::facts(self)
        {
            return facts.error_response(*error);
        }
        if let crate::ErrorKind::Par(error) = kind
            && let Some(facts) = crate::par::facts(self)
        {
            return facts.error_response(*error, detail);
        }
        if let crate::ErrorKind::InvalidDpopToken = kind {
            let mut response = self
                .flavor()
                .error_response(&crate::ErrorKind::InvalidBearer, detail, realm);
            let facts = crate::dpop::facts(self).unwrap_or(&crate::dpop::STANDARD);
            response.www_authenticate = response.www_authenticate.map(|challenge| {
                let params = challenge.strip_prefix("Bearer ").unwrap_or(&challenge);
                format!("DPoP algs=\"{}\", {params}", facts.challenge_algs())
            });
            return response;
        }
        if let crate::ErrorKind::ResourceDpopNonce { .. } = kind {
            // RFC 9449 §9's example: 401 and the error in the `DPoP` challenge.
            let facts = crate::dpop::facts(self).unwrap_or(&crate::dpop::STANDARD);
            let description = crate::dpop::RESOURCE_USE_NONCE_DESCRIPTION;
            let challenge = format!(
                "DPoP algs=\"{}\", error=\"use_dpop_nonce\", error_description=\"{description}\"",
                facts.challenge_algs()
            );
            return crate::ErrorResponse::json(401, "use_dpop_nonce", description, Some(challenge));
        }
        if let crate::ErrorKind::Dpop(refusal) = kind {
            let facts = crate::dpop::facts(self).unwrap_or(&crate::dpop::STANDARD);
            return facts.error_response(refusal);
        }
        if let crate::ErrorKind::ClientAssertion(refusal) = kind {
            let facts = &self.quirks().client_assertion;
            return match facts.error_response(*refusal) {
                Some(response) => response,
                None => self.flavor().error_response(
                    &crate::client_assertion::AssertionFacts::flavor_kind(*refusal),
                    &refusal.to_string(),
                    realm,
                ),
            };
        }
        if let crate::ErrorKind::Exchange(refusal) = kind {
            let facts = crate::exchange::facts(self).unwrap_or(&crate::exchange::STANDARD);
            return facts.error_response(refusal);
        }
        self.flavor().error_response(kind, detail, realm)
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Provider {
    type Err = UnknownProvider;

    /// Parses a provider name; `ztrust` (a Keycloak distribution) is an alias of `keycloak`.
    fn from_str(name: &str) -> Result<Provider, UnknownProvider> {
        if name.eq_ignore_ascii_case("ztrust") {
            return Ok(Provider::Keycloak);
        }
        Provider::ALL
            .into_iter()
            .find(|provider| provider.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| UnknownProvider(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_token_facts_per_provider() {
        assert_eq!(
            Provider::Generic.required_access_token_claims(),
            ["iss", "exp", "aud", "sub", "client_id", "iat", "jti"]
        );
        assert!(Provider::Keycloak.required_access_token_claims().contains(&"azp"));
        assert!(!Provider::Keycloak.required_access_token_claims().contains(&"client_id"));
        assert!(!Provider::AppId.required_access_token_claims().contains(&"jti"));
        for provider in [Provider::Zitadel, Provider::Wso2] {
            let mut claims = provider.required_access_token_claims().to_vec();
            claims.sort_unstable();
            assert_eq!(claims, ["aud", "client_id", "exp", "iat", "iss", "jti", "sub"]);
        }
        assert_eq!(Provider::Keycloak.access_token_payload_typ(), Some("Bearer"));
        for provider in [Provider::Generic, Provider::Zitadel, Provider::Wso2, Provider::AppId] {
            assert_eq!(provider.access_token_payload_typ(), None, "{provider}");
        }
    }

    #[test]
    fn keycloak_access_tokens_are_the_bearer_typed_ones() {
        let claims = |typ: &str| match serde_json::json!({ "typ": typ }) {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        let keycloak = Provider::Keycloak.quirks();
        assert!(keycloak.is_access_token(&claims("Bearer")));
        assert!(!keycloak.is_access_token(&claims("ID")));
        assert!(!keycloak.is_access_token(&serde_json::Map::new()));
    }

    #[test]
    fn names_round_trip_and_ztrust_is_keycloak() {
        for provider in Provider::ALL {
            assert_eq!(provider.name().parse::<Provider>(), Ok(provider));
        }
        assert_eq!("ZTrust".parse::<Provider>(), Ok(Provider::Keycloak));
        assert!("okta".parse::<Provider>().is_err());
    }
}
