//! [`Principal`]: who called, as a valid token says, and [`Requirement`]: what a route needs.

use crate::error::Rejection;
use providers::Provider;
use serde_json::{Map, Value};

/// How the token was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenKind {
    /// A JWT access token verified against the issuer's keys.
    Jwt,
    /// An opaque token answered `active` by the issuer's introspection endpoint.
    Introspected,
}

/// What a valid token yields: subject, client, scopes, roles, expiry, raw claims and the
/// provider whose reader shaped the roles and scopes.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Principal {
    /// `sub`.
    pub subject: String,
    /// The client the token was issued to (`client_id`, or `azp` where the provider uses it).
    pub client_id: Option<String>,
    /// Scope tokens (space-separated `scope`, split; never matched by substring).
    pub scopes: Vec<String>,
    /// Realm (global) roles, read by the provider's reader (Keycloak `realm_access.roles`,
    /// ZITADEL project roles, WSO2 `roles`/`groups`, generic and App ID `roles`).
    pub roles: Vec<String>,
    /// This resource server's own client roles (Keycloak `resource_access.{resource}.roles`);
    /// another client's roles are never read. Empty for providers without client roles.
    pub client_roles: Vec<String>,
    /// `exp`, seconds since the epoch.
    pub expires_at: u64,
    /// The issuer that vouched for the token.
    pub issuer: String,
    /// The provider whose claim shapes were read.
    pub provider: Provider,
    /// How the token was checked.
    pub kind: TokenKind,
    /// Every claim (or introspection member), verified.
    pub claims: Map<String, Value>,
}

impl Principal {
    /// A principal from verified `claims`, with scopes, roles and client read by `provider`'s
    /// reader for the resource server `resource` (one place for JWTs and introspection answers).
    pub(crate) fn from_claims(
        provider: Provider,
        resource: &str,
        subject: String,
        issuer: String,
        expires_at: u64,
        kind: TokenKind,
        claims: Map<String, Value>,
    ) -> Principal {
        let grants = provider.read_grants(&claims, Some(resource));
        Principal {
            subject,
            client_id: grants.client_id,
            scopes: grants.scopes,
            roles: grants.roles,
            client_roles: grants.client_roles,
            expires_at,
            issuer,
            provider,
            kind,
            claims,
        }
    }

    /// Whether the token carries exactly this scope token.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// Whether the token carries exactly this realm (global) role (case-sensitive). A client
    /// role of the same name does not count: see [`Principal::has_client_role`].
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// Whether the token carries exactly this client role of this resource server
    /// (case-sensitive).
    pub fn has_client_role(&self, role: &str) -> bool {
        self.client_roles.iter().any(|r| r == role)
    }

    /// `Ok` if `requirement` is met, else the `403 insufficient_scope` to answer.
    ///
    /// # Errors
    /// [`Rejection::InsufficientScope`] naming what is missing.
    pub fn require(&self, requirement: &Requirement) -> Result<(), Rejection> {
        if requirement.is_met(self) {
            Ok(())
        } else {
            Err(requirement.insufficient())
        }
    }
}

/// What a route needs from a [`Principal`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Requirement {
    /// Any valid token.
    Authenticated,
    /// This scope token.
    Scope(String),
    /// This realm (global) role; a client role of the same name does not satisfy it.
    Role(String),
    /// This client role of the resource server (Keycloak `resource_access.{resource}.roles`).
    ClientRole(String),
    /// At least one of these.
    AnyOf(Vec<Requirement>),
    /// All of these.
    AllOf(Vec<Requirement>),
}

impl Requirement {
    /// A scope.
    pub fn scope(scope: impl Into<String>) -> Requirement {
        Requirement::Scope(scope.into())
    }

    /// A realm (global) role.
    pub fn role(role: impl Into<String>) -> Requirement {
        Requirement::Role(role.into())
    }

    /// A client role of the resource server.
    pub fn client_role(role: impl Into<String>) -> Requirement {
        Requirement::ClientRole(role.into())
    }

    /// A realm role, a client role or a scope of this name (e.g. `read:messages` as a
    /// Keycloak client role on `api` or as a scope).
    pub fn role_or_scope(name: impl Into<String>) -> Requirement {
        let name = name.into();
        Requirement::AnyOf(vec![
            Requirement::Role(name.clone()),
            Requirement::ClientRole(name.clone()),
            Requirement::Scope(name),
        ])
    }

    /// Whether `principal` meets it.
    pub fn is_met(&self, principal: &Principal) -> bool {
        match self {
            Requirement::Authenticated => true,
            Requirement::Scope(scope) => principal.has_scope(scope),
            Requirement::Role(role) => principal.has_role(role),
            Requirement::ClientRole(role) => principal.has_client_role(role),
            Requirement::AnyOf(any) => any.iter().any(|r| r.is_met(principal)),
            Requirement::AllOf(all) => all.iter().all(|r| r.is_met(principal)),
        }
    }

    fn scopes(&self, out: &mut Vec<String>) {
        match self {
            Requirement::Scope(scope) => out.push(scope.clone()),
            Requirement::AnyOf(list) | Requirement::AllOf(list) => list.iter().for_each(|r| r.scopes(out)),
            Requirement::Authenticated | Requirement::Role(_) | Requirement::ClientRole(_) => {}
        }
    }

    fn describe(&self) -> String {
        match self {
            Requirement::Authenticated => "a valid token".into(),
            Requirement::Scope(scope) => format!("scope {scope}"),
            Requirement::Role(role) => format!("role {role}"),
            Requirement::ClientRole(role) => format!("client role {role}"),
            Requirement::AnyOf(list) => list.iter().map(Requirement::describe).collect::<Vec<_>>().join(" or "),
            Requirement::AllOf(list) => list.iter().map(Requirement::describe).collect::<Vec<_>>().join(" and "),
        }
    }

    /// The `403 insufficient_scope` for this requirement; `scope` lists the scopes that would
    /// satisfy it (RFC 6750 §3).
    pub fn insufficient(&self) -> Rejection {
        let mut scopes = Vec::new();
        self.scopes(&mut scopes);
        Rejection::InsufficientScope {
            scope: (!scopes.is_empty()).then(|| scopes.join(" ")),
            description: format!("requires {}", self.describe()),
        }
    }
}
