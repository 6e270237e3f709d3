//! [`Site`]: where one realm of a provider is served. Every URL a provider writes (its issuer,
//! its endpoints, the discovery document's members) is derived from a `Site`, built once per
//! realm and passed down.

use crate::{ChallengeRealm, Endpoint, Provider};

/// One realm of one provider, reached at one public URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// The provider whose layout the realm follows.
    pub provider: Provider,
    /// Base URL the server is reached at (a trailing slash is ignored).
    pub public_url: String,
    /// The realm's name (tenant, organisation).
    pub realm: String,
    /// Whether the realm is the world's default realm (WSO2 serves it at its own layout).
    pub is_default: bool,
}

impl Site {
    /// The site of `realm` of `provider` at `public_url`.
    pub fn new(provider: Provider, public_url: impl Into<String>, realm: impl Into<String>, is_default: bool) -> Site {
        Site {
            provider,
            public_url: public_url.into(),
            realm: realm.into(),
            is_default,
        }
    }

    /// The base URL without a trailing slash.
    pub fn base(&self) -> &str {
        self.public_url.trim_end_matches('/')
    }

    /// The realm's issuer.
    pub fn issuer(&self) -> String {
        self.provider.flavor().issuer(self)
    }

    /// What a `WWW-Authenticate` challenge of this site names as its `realm`: the realm's
    /// name, or for providers whose challenges name the server ([`ChallengeRealm::HostName`])
    /// the public URL's host (without its port).
    pub fn challenge_realm(&self) -> String {
        match self.provider.quirks().challenge_realm {
            ChallengeRealm::RealmName => self.realm.clone(),
            ChallengeRealm::HostName => url::Url::parse(self.base())
                .ok()
                .and_then(|url| url.host_str().map(str::to_owned))
                .unwrap_or_else(|| self.realm.clone()),
        }
    }

    /// The absolute URL of `endpoint` (`None` when the provider does not serve it).
    pub fn url(&self, endpoint: Endpoint) -> Option<String> {
        let flavor = self.provider.flavor();
        let route = if self.is_default {
            flavor.default_realm_route(endpoint)
        } else {
            flavor.route(endpoint)
        };
        route.map(|route| format!("{}{}", self.base(), route.replace("{realm}", &self.realm)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_wso2_realm_has_its_own_layout() {
        let default = Site::new(Provider::Wso2, "https://is:9443/", "demo", true);
        let other = Site::new(Provider::Wso2, "https://is:9443", "acme", false);
        assert_eq!(default.issuer(), "https://is:9443/oauth2/token");
        assert_eq!(other.issuer(), "https://is:9443/t/acme/oauth2/token");
        assert_eq!(
            default.url(Endpoint::Jwks).as_deref(),
            Some("https://is:9443/oauth2/jwks")
        );
        assert_eq!(
            other.url(Endpoint::Jwks).as_deref(),
            Some("https://is:9443/t/acme/oauth2/jwks")
        );
    }

    #[test]
    fn wso2_challenges_name_the_host_and_others_the_realm() {
        assert_eq!(
            Site::new(Provider::Wso2, "https://is.example:9443/", "acme", false).challenge_realm(),
            "is.example"
        );
        assert_eq!(
            Site::new(Provider::Keycloak, "http://127.0.0.1:8080", "demo", true).challenge_realm(),
            "demo"
        );
    }

    #[test]
    fn an_endpoint_the_provider_does_not_serve_has_no_url() {
        let site = Site::new(Provider::Zitadel, "http://127.0.0.1:8080", "demo", true);
        assert_eq!(site.url(Endpoint::AuthorizationServerMetadata), None);
        assert_eq!(site.issuer(), "http://127.0.0.1:8080");
    }
}
