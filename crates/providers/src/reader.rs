//! Reading authorization facts (roles, scopes, client) back out of a provider's claims: the
//! inverse of the claim builders, used by resource servers (token-guard).
//!
//! Readers are strict about types: a claim of the wrong JSON type yields nothing rather than a
//! guess (a `scope` array where a string belongs, a `roles` string where an array belongs), so
//! type confusion can only ever deny.

use serde_json::{Map, Value};

/// What a resource server learns about the caller from a token's claims.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    /// Scopes, one entry per space-separated token of `scope`.
    pub scopes: Vec<String>,
    /// Realm (global) roles: Keycloak's `realm_access.roles`, ZITADEL's project roles, WSO2's
    /// `roles`/`groups`, App ID's and the generic `roles`.
    pub roles: Vec<String>,
    /// Client roles of the resource server that asked, and of no other client (Keycloak's
    /// `resource_access.{resource}.roles`); empty for providers without client roles or when
    /// no resource was named. Kept apart from [`Grants::roles`] so that a client role never
    /// satisfies a realm-role requirement.
    pub client_roles: Vec<String>,
    /// The client the token was issued to, if the claims say.
    pub client_id: Option<String>,
}

/// Space-separated scope string → scope tokens; anything but a string → none.
pub fn scope_tokens(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(scope)) => scope
            .split(' ')
            .filter(|token| !token.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// An array of strings → the strings; anything else (a string, a number, an array holding
/// a non-string) → none.
pub fn string_array(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => {
            let strings: Option<Vec<String>> = items.iter().map(|item| item.as_str().map(str::to_owned)).collect();
            strings.unwrap_or_default()
        }
        _ => Vec::new(),
    }
}

/// A string claim.
pub fn string_claim(claims: &Map<String, Value>, name: &str) -> Option<String> {
    claims.get(name).and_then(Value::as_str).map(str::to_owned)
}

/// The generic reader (RFC 9068): `scope`, `roles` (RFC 9068 §2.2.3.1), `client_id`.
pub(crate) fn generic(claims: &Map<String, Value>, _resource: Option<&str>) -> Grants {
    Grants {
        scopes: scope_tokens(claims.get("scope")),
        roles: string_array(claims.get("roles")),
        client_roles: Vec::new(),
        client_id: string_claim(claims, "client_id"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn scopes_are_split_token_by_token() {
        let grants = generic(&map(json!({"scope": "read:messages  openid"})), None);
        assert_eq!(grants.scopes, ["read:messages", "openid"]);
    }

    #[test]
    fn wrong_types_yield_nothing() {
        let grants = generic(
            &map(json!({"scope": ["admin"], "roles": "admin", "client_id": 7})),
            None,
        );
        assert_eq!(grants, Grants::default());
        assert!(string_array(Some(&json!(["admin", 1]))).is_empty());
    }
}
