//! ZITADEL personal access tokens (PATs) of machine users: how introspection and userinfo
//! describe them.
//!
//! Sources (zitadel/zitadel): `internal/api/grpc/user/v2/*` and `internal/api/grpc/management`
//! create every PAT with the static scopes [`PAT_SCOPES`]; `internal/command/
//! user_personal_access_token.go` (an opaque, encrypted `tokenID:userID`, with an expiration
//! date); `internal/api/oidc/introspect.go` (`assertClientScopesForPAT`: the caller's client id
//! and project id join the audience, a `urn:zitadel:iam:org:project:role:{key}` scope per role of
//! the caller's project); `internal/api/oidc/userinfo.go` (`userInfoToOIDC`: `openid` → `sub`,
//! `profile` → the machine's name and username, `urn:zitadel:iam:user:resourceowner` → the
//! organisation claims; `setUserInfoRoleClaims`).

use super::{ROLES_CLAIM, org_domain, org_id, project_id, role_map};
use crate::claims::stable_numeric_id;
use crate::{Client, PersonalAccessToken, Realm};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The scopes ZITADEL gives every personal access token ("Scopes are currently static and can
/// not be overwritten").
pub const PAT_SCOPES: [&str; 4] = [
    "openid",
    "profile",
    "urn:zitadel:iam:user:metadata",
    "urn:zitadel:iam:user:resourceowner",
];

/// The scope prefix that asks for one project role.
const ROLE_SCOPE_PREFIX: &str = "urn:zitadel:iam:org:project:role:";

/// The user id of the machine user behind a `client_credentials` client.
pub fn machine_user_id(client_id: &str) -> String {
    stable_numeric_id(&format!("zitadel:machine:{client_id}"))
}

/// Every role of the realm's project (ZITADEL has one role list per project: the World's realm
/// roles and client roles).
fn project_roles(realm: &Realm) -> Vec<String> {
    let mut roles = realm.roles.clone();
    for client in realm.clients.values() {
        for role in &client.roles {
            if !roles.contains(role) {
                roles.push(role.clone());
            }
        }
    }
    roles
}

fn resource_owner_claims(realm: &Realm, claims: &mut Map<String, Value>) {
    claims.insert(
        "urn:zitadel:iam:user:resourceowner:id".into(),
        json!(org_id(&realm.name)),
    );
    claims.insert("urn:zitadel:iam:user:resourceowner:name".into(), json!(realm.name));
    claims.insert(
        "urn:zitadel:iam:user:resourceowner:primary_domain".into(),
        json!(org_domain(&realm.name)),
    );
}

/// The userinfo answer for a PAT of `machine`: `sub`, the profile (name and username are the
/// machine user's; the World names it by its client id) and the organisation claims. No role
/// claims: a PAT asks for no role scope.
pub fn userinfo(realm: &Realm, machine: &Client) -> Map<String, Value> {
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(machine_user_id(&machine.id)));
    claims.insert("name".into(), json!(machine.id));
    claims.insert("preferred_username".into(), json!(machine.id));
    resource_owner_claims(realm, &mut claims);
    claims
}

/// The introspection answer for a live PAT of `machine`, asked by `caller` (a client of the
/// realm's project). The members are in alphabetical order: the answer always carries extra
/// (organisation) claims, so zitadel/oidc re-encodes it as a Go map.
pub fn introspection(
    realm: &Realm,
    machine: &Client,
    pat: &PersonalAccessToken,
    caller: &Client,
    issuer: &str,
) -> Map<String, Value> {
    let project = project_id(&realm.name);
    let roles = project_roles(realm);
    let mut scopes: Vec<String> = PAT_SCOPES.iter().map(|scope| (*scope).to_owned()).collect();
    scopes.extend(roles.iter().map(|role| format!("{ROLE_SCOPE_PREFIX}{role}")));
    let mut body = BTreeMap::new();
    body.insert("active".to_owned(), json!(true));
    body.insert("scope".to_owned(), json!(scopes.join(" ")));
    body.insert("token_type".to_owned(), json!("Bearer"));
    body.insert("exp".to_owned(), json!(pat.expires_at));
    if let Some(issued_at) = pat.issued_at {
        body.insert("iat".to_owned(), json!(issued_at));
        body.insert("nbf".to_owned(), json!(issued_at));
    }
    body.insert("sub".to_owned(), json!(machine_user_id(&machine.id)));
    body.insert("aud".to_owned(), json!([caller.id, project]));
    body.insert("iss".to_owned(), json!(issuer));
    body.insert(
        "jti".to_owned(),
        json!(stable_numeric_id(&format!("zitadel:pat:{}", pat.token))),
    );
    body.insert("username".to_owned(), json!(machine.id));
    body.insert("name".to_owned(), json!(machine.id));
    body.insert("preferred_username".to_owned(), json!(machine.id));
    let mut extra = Map::new();
    resource_owner_claims(realm, &mut extra);
    // Every project role was asked for: the machine's granted ones come back, for the caller's
    // project both unqualified and project-qualified.
    let granted: Vec<String> = machine
        .service_account_roles
        .iter()
        .filter(|role| roles.contains(role))
        .cloned()
        .collect();
    if !granted.is_empty() {
        let map = role_map(realm, &granted);
        extra.insert(ROLES_CLAIM.into(), map.clone());
        extra.insert(format!("urn:zitadel:iam:org:project:{project}:roles"), map);
    }
    body.extend(extra);
    body.into_iter().collect()
}
