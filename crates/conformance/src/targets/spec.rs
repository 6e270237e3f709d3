//! The `--target` syntax: `mock:<flavor>`, `url:<issuer>`, `keycloak-dist`, `container:<provider>`.

use super::TargetError;
use mock_idp::Provider;
use std::fmt;
use std::str::FromStr;

/// A parsed `--target` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSpec {
    /// `mock:<flavor>`: the in-process mock imitating that provider.
    Mock(Provider),
    /// `url:<issuer>`: any running provider, with credentials from a world file.
    Url(String),
    /// `keycloak-dist`: a real Keycloak 26.7.3 from its Maven Central distribution, started as a
    /// process (cached download) and stopped when the target is dropped.
    KeycloakDist,
    /// `zitadel-oidc-ref`: `reference/zitadel-op`, a Go program on zitadel/oidc's `op` package
    /// serving the World, built with `go` (cached) and stopped when the target is dropped.
    ZitadelRef,
    /// `container:<provider>`: Keycloak, ZITADEL or WSO2 IS started in Docker by testcontainers,
    /// set up with the World and removed when the target is dropped.
    Container(Provider),
}

impl FromStr for TargetSpec {
    type Err = TargetError;

    fn from_str(text: &str) -> Result<TargetSpec, TargetError> {
        if let Some(flavor) = text.strip_prefix("mock:") {
            return Ok(TargetSpec::Mock(flavor.parse()?));
        }
        if let Some(issuer) = text.strip_prefix("url:") {
            let url = url::Url::parse(issuer).map_err(|_| TargetError::Issuer(issuer.to_owned()))?;
            if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
                return Err(TargetError::Issuer(issuer.to_owned()));
            }
            return Ok(TargetSpec::Url(issuer.to_owned()));
        }
        if text == "keycloak-dist" {
            return Ok(TargetSpec::KeycloakDist);
        }
        if text == super::zitadel_ref::NAME {
            return Ok(TargetSpec::ZitadelRef);
        }
        if let Some(provider) = text.strip_prefix("container:") {
            return Ok(TargetSpec::Container(provider.parse()?));
        }
        Err(TargetError::Unknown(text.to_owned()))
    }
}

impl fmt::Display for TargetSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetSpec::Mock(provider) => write!(f, "mock:{provider}"),
            TargetSpec::Url(issuer) => write!(f, "url:{issuer}"),
            TargetSpec::KeycloakDist => f.write_str("keycloak-dist"),
            TargetSpec::ZitadelRef => f.write_str(super::zitadel_ref::NAME),
            TargetSpec::Container(provider) => write!(f, "container:{provider}"),
        }
    }
}
