//! Which provider serves a discovery document: the provider whose own layout, for some public
//! URL and realm, puts the issuer and the token endpoint exactly where the document says. The
//! layouts are the flavors' route facts, so detection cannot drift from what the mock serves.

use crate::{Endpoint, Provider};
use serde_json::Value;

/// The providers tried, most specific layout first; `generic` is the fallback.
const CANDIDATES: [Provider; 4] = [Provider::Keycloak, Provider::Zitadel, Provider::Wso2, Provider::AppId];

/// A realm name no URL contains.
const NO_REALM: &str = "\u{0}";

/// A provider recognised from its discovery document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    /// The provider.
    pub provider: Provider,
    /// The realm, tenant or organisation the issuer names (`None` where the layout has none in
    /// the issuer: ZITADEL, WSO2's super tenant).
    pub realm: Option<String>,
    /// The URL the provider's paths hang off.
    pub public_url: String,
    /// One line saying why.
    pub reason: String,
}

/// The provider that serves `discovery`, or `generic` (with the reason) when no known layout
/// matches.
pub fn detect(discovery: &Value) -> Detection {
    let issuer = discovery.get("issuer").and_then(Value::as_str).unwrap_or_default();
    let token = discovery
        .get("token_endpoint")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let bases = bases(issuer);
    let segments: Vec<&str> = path_of(issuer).split('/').filter(|s| !s.is_empty()).collect();
    for provider in CANDIDATES {
        for base in &bases {
            for realm in &segments {
                if matches(provider, base, realm, false, issuer, token) {
                    return found(provider, base, Some((*realm).to_owned()), token);
                }
            }
            // Layouts whose issuer names no realm (ZITADEL; WSO2's super tenant): a realm name
            // that cannot occur in a URL must not change them.
            if matches(provider, base, NO_REALM, true, issuer, token) {
                return found(provider, base, None, token);
            }
        }
    }
    Detection {
        provider: Provider::Generic,
        realm: segments.last().map(|realm| (*realm).to_owned()),
        public_url: bases.last().cloned().unwrap_or_default(),
        reason: format!(
            "issuer {issuer} and token_endpoint {token} follow none of keycloak, zitadel, wso2 or appid's layouts"
        ),
    }
}

fn matches(provider: Provider, base: &str, realm: &str, is_default: bool, issuer: &str, token: &str) -> bool {
    let site = provider.site(base, realm, is_default);
    site.issuer() == issuer && site.url(Endpoint::Token).as_deref() == Some(token)
}

fn found(provider: Provider, base: &str, realm: Option<String>, token: &str) -> Detection {
    let realm_text = realm
        .as_deref()
        .map(|realm| format!(", realm `{realm}`"))
        .unwrap_or_default();
    Detection {
        provider,
        reason: format!("issuer and token_endpoint ({token}) follow {provider}'s layout{realm_text}"),
        realm,
        public_url: base.to_owned(),
    }
}

/// The issuer's origin and every longer prefix of it that ends at a `/`, longest last.
fn bases(issuer: &str) -> Vec<String> {
    let path = path_of(issuer);
    let origin = &issuer[..issuer.len() - path.len()];
    let mut bases = vec![origin.to_owned()];
    let mut prefix = String::new();
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        prefix.push('/');
        prefix.push_str(segment);
        bases.push(format!("{origin}{prefix}"));
    }
    bases
}

/// The path of an absolute URL (empty when it has none).
fn path_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |at| at + 3);
    url[after_scheme..].find('/').map_or("", |at| &url[after_scheme + at..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(issuer: &str, token: &str) -> Value {
        json!({"issuer": issuer, "token_endpoint": token})
    }

    #[test]
    fn each_provider_is_recognised_from_its_own_layout() {
        let base = "https://sso.example.com";
        for provider in CANDIDATES {
            for (realm, is_default) in [("acme", false), ("acme", true)] {
                let site = provider.site(base, realm, is_default);
                let issuer = site.issuer();
                let Some(token) = site.url(Endpoint::Token) else {
                    continue;
                };
                let found = detect(&doc(&issuer, &token));
                assert_eq!(found.provider, provider, "{issuer} {token}: {}", found.reason);
                assert_eq!(found.public_url, base, "{issuer}");
                if issuer.contains("/acme") {
                    assert_eq!(found.realm.as_deref(), Some("acme"), "{issuer}");
                }
            }
        }
    }

    #[test]
    fn a_keycloak_under_a_context_path_keeps_its_realm() {
        let found = detect(&doc(
            "https://idp.example.com/auth/realms/demo",
            "https://idp.example.com/auth/realms/demo/protocol/openid-connect/token",
        ));
        assert_eq!(found.provider, Provider::Keycloak);
        assert_eq!(found.realm.as_deref(), Some("demo"));
        assert_eq!(found.public_url, "https://idp.example.com/auth");
        assert!(
            found.reason.contains("keycloak's layout, realm `demo`"),
            "{}",
            found.reason
        );
    }

    #[test]
    fn anything_else_is_generic_with_the_reason() {
        let found = detect(&doc(
            "https://login.example.com/tenant-1",
            "https://login.example.com/oauth/token",
        ));
        assert_eq!(found.provider, Provider::Generic);
        assert!(found.reason.contains("follow none of"), "{}", found.reason);
        let found = detect(&json!({}));
        assert_eq!(found.provider, Provider::Generic);
    }
}
