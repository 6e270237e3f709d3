//! The scopes of an authorization or token request: what a provider does with each requested
//! scope ([`ScopeScreen`], a [`Flavor::screen_scope`] answer) before the client's allowed scopes
//! are checked, and [`requested_scopes`], the one place that applies it.

use crate::{Client, Flavor};

/// What a provider does with one requested scope before checking it against the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeScreen {
    /// Checked: a scope the client may not have is refused (`invalid_scope`).
    Check,
    /// Kept when the client may have it, dropped silently otherwise (never `invalid_scope`).
    DropUnlessAllowed,
    /// Dropped silently.
    Drop,
    /// Replaced by the named scope, granted without a check and listed after the checked ones
    /// (WSO2 grants a requested `internal_login` to every user login).
    Grant(&'static str),
}

/// A requested scope the client may not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("scope {0} is not allowed for this client")]
pub struct RefusedScope(pub String);

/// The scopes a request for `client` ends up with, from its space-separated `scope` parameter
/// (`for_user`: a user, not the client's service account, is the subject): each requested scope
/// as `flavor` screens it, in request order, without duplicates, the granted-without-check ones
/// last.
///
/// # Errors
/// The first checked scope the client may not have.
pub fn requested_scopes(
    flavor: &dyn Flavor,
    client: &Client,
    scope: &str,
    for_user: bool,
) -> Result<Vec<String>, RefusedScope> {
    let allowed = |scope: &str| client.scopes.iter().any(|allowed| allowed == scope);
    let mut kept: Vec<String> = Vec::new();
    let mut granted: Vec<&str> = Vec::new();
    for requested in scope.split(' ').filter(|part| !part.is_empty()) {
        let keep = match flavor.screen_scope(requested, for_user) {
            ScopeScreen::Check if allowed(requested) => true,
            ScopeScreen::Check => return Err(RefusedScope(requested.to_owned())),
            ScopeScreen::DropUnlessAllowed => allowed(requested),
            ScopeScreen::Drop => false,
            ScopeScreen::Grant(scope) => {
                granted.push(scope);
                false
            }
        };
        if keep && !kept.iter().any(|seen| seen == requested) {
            kept.push(requested.to_owned());
        }
    }
    for scope in granted {
        if !kept.iter().any(|seen| seen == scope) {
            kept.push(scope.to_owned());
        }
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Provider;

    fn client() -> Client {
        let world = crate::World::default_world().unwrap();
        world.realm("demo").unwrap().clients["web-app"].clone()
    }

    #[test]
    fn a_scope_the_client_may_not_have_is_refused_by_the_standard_flavor() {
        let client = client();
        assert_eq!(
            requested_scopes(Provider::Generic.flavor(), &client, "openid internal_login", true),
            Err(RefusedScope("internal_login".into()))
        );
        assert_eq!(
            requested_scopes(Provider::Generic.flavor(), &client, "openid  email openid", true),
            Ok(vec!["openid".to_owned(), "email".to_owned()])
        );
    }
}
