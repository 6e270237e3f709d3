//! Setup for a real WSO2 Identity Server 7, derived from the World: SCIM 2 users (disabled ones
//! locked), applications registered by DCR with the World's own client ids and secrets, and
//! SCIM 2 v2 roles with their members.
//!
//! Sources: the IS 7 console (`identity-apps` user management constants: `accountLocked` lives
//! in the `urn:scim:wso2:schema` extension, roles under `/scim2/v2/Roles`), the root
//! organisation id `10084a8d-113f-4211-a0d5-efe36b082211` (`OrganizationManagementConstants`),
//! and SCIM PATCH `add` of `users` by SCIM id for role members.

use crate::setup::{Method, SetupPlan, SetupStep, var_part};
use crate::{Client, ClientKind, GrantType, PkcePolicy, Realm, TokenFormat, User};
use serde_json::{Value, json};

/// The id of the root organisation (the super tenant) that organisation-audience roles name.
pub const ROOT_ORGANIZATION_ID: &str = "10084a8d-113f-4211-a0d5-efe36b082211";

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// The calls that set up `realm` in the super tenant of a fresh WSO2 IS 7, as `admin`.
///
/// DCR keeps the World's client ids and secrets, so the plan has no client bindings.
pub fn plan(realm: &Realm) -> SetupPlan {
    let mut steps: Vec<SetupStep> = realm.users.values().map(user).collect();
    steps.extend(realm.users.values().filter(|user| !user.enabled).map(lock));
    steps.extend(realm.clients.values().map(application));
    for role_name in &realm.roles {
        steps.push(role(role_name));
        steps.extend(members(realm, role_name));
    }
    SetupPlan {
        steps,
        client_bindings: Vec::new(),
    }
}

/// Markdown notes with the plan's API calls (`curl -k` + `jq`, admin credentials in `$ADMIN`,
/// server at `$IS`).
pub fn setup_notes(realm: &Realm) -> String {
    format!(
        "# WSO2 Identity Server setup for realm `{}` (generated from fixtures/world.toml; do not edit)\n\n\
Run against WSO2 IS 7 (`$IS`, e.g. `https://localhost:9443`, self-signed: `-k`) with `$ADMIN=admin:admin`; run \
the blocks in order in one shell (they need `jq`). The realm maps to the super tenant. For introspection with \
client credentials, add to `deployment.toml`:\n\n```toml\n[[resource.access_control]]\n\
context=\"(.*)/oauth2/introspect(.*)\"\nhttp_method=\"all\"\nsecure=true\n\
allowed_auth_handlers=\"BasicClientAuthentication\"\n```\n\n{}",
        realm.name,
        plan(realm).render_markdown("IS", "-k -u \"$ADMIN\"")
    )
}

fn user_var(user: &User) -> String {
    format!("USER_{}_ID", var_part(&user.username))
}

fn user(user: &User) -> SetupStep {
    SetupStep::new(
        format!("User `{}`", user.username),
        Method::Post,
        "/scim2/Users",
        Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": user.username,
            "password": user.password,
            "name": {"givenName": user.given_name, "familyName": user.family_name},
            "emails": [{"value": user.email, "primary": true}]
        })),
    )
    .capture(user_var(user), "/id")
}

/// Locks a user the World disables (the `accountLocked` claim of WSO2's SCIM extension).
fn lock(user: &User) -> SetupStep {
    SetupStep::new(
        format!("Lock `{}` (disabled in the World)", user.username),
        Method::Patch,
        format!("/scim2/Users/${{{}}}", user_var(user)),
        Some(json!({
            "schemas": [PATCH_OP],
            "Operations": [{"op": "replace", "path": "urn:scim:wso2:schema:accountLocked", "value": true}]
        })),
    )
}

fn application(client: &Client) -> SetupStep {
    let mut grants: Vec<&str> = client.grant_types.iter().map(|grant| grant.as_str()).collect();
    if client.allows(GrantType::AuthorizationCode) && !grants.contains(&"refresh_token") {
        grants.push("refresh_token");
    }
    let secret = match &client.kind {
        ClientKind::Confidential { secret } => Value::String(secret.expose().to_owned()),
        ClientKind::Public => Value::Null,
    };
    SetupStep::new(
        format!(
            "Application `{}` (DCR keeps the World's client id and secret)",
            client.id
        ),
        Method::Post,
        "/api/identity/oauth2/dcr/v1.1/register",
        Some(json!({
            "client_name": client.id,
            "grant_types": grants,
            "redirect_uris": client.redirect_uris,
            "ext_param_client_id": client.id,
            "ext_param_client_secret": secret,
            "ext_public_client": !client.is_confidential(),
            "ext_pkce_mandatory": client.pkce == PkcePolicy::S256Required,
            "token_type_extension": if client.access_token_format == Some(TokenFormat::Jwt) { "JWT" } else { "Default" }
        })),
    )
}

fn role_var(role: &str) -> String {
    format!("ROLE_{}_ID", var_part(role))
}

/// A role of the root organisation's audience, so it applies to every application.
fn role(role: &String) -> SetupStep {
    SetupStep::new(
        format!("Role `{role}`"),
        Method::Post,
        "/scim2/v2/Roles",
        Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:extension:2.0:Role"],
            "displayName": role,
            "audience": {"type": "organization", "value": ROOT_ORGANIZATION_ID},
            "permissions": []
        })),
    )
    .capture(role_var(role), "/id")
}

/// Adds the users that hold `role` in the World to it, by their captured SCIM ids.
fn members(realm: &Realm, role: &str) -> Option<SetupStep> {
    let holders: Vec<&User> = realm
        .users
        .values()
        .filter(|user| user.realm_roles.iter().any(|held| held == role))
        .collect();
    if holders.is_empty() {
        return None;
    }
    let names: Vec<String> = holders.iter().map(|user| format!("`{}`", user.username)).collect();
    let values: Vec<Value> = holders
        .iter()
        .map(|user| json!({"value": format!("${{{}}}", user_var(user))}))
        .collect();
    Some(SetupStep::new(
        format!("Members of role `{role}`: {}", names.join(", ")),
        Method::Patch,
        format!("/scim2/v2/Roles/${{{}}}", role_var(role)),
        Some(json!({
            "schemas": [PATCH_OP],
            "Operations": [{"op": "add", "path": "users", "value": values}]
        })),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::World;

    fn demo_plan() -> SetupPlan {
        let world = World::default_world().unwrap();
        plan(world.realm("demo").unwrap())
    }

    #[test]
    fn every_placeholder_is_captured_first_and_nothing_is_bound() {
        let plan = demo_plan();
        plan.check().unwrap();
        assert!(plan.client_bindings.is_empty());
    }

    #[test]
    fn the_disabled_user_is_locked_by_its_scim_id() {
        let plan = demo_plan();
        let locks: Vec<&SetupStep> = plan.steps.iter().filter(|s| s.title.starts_with("Lock")).collect();
        assert_eq!(locks.len(), 1);
        assert_eq!(locks[0].path, "/scim2/Users/${USER_CAROL_ID}");
        assert_eq!(locks[0].method, Method::Patch);
        assert_eq!(
            locks[0].body.as_ref().unwrap()["Operations"][0]["path"],
            "urn:scim:wso2:schema:accountLocked"
        );
    }

    #[test]
    fn role_members_are_added_by_captured_user_ids() {
        let plan = demo_plan();
        let user_role = plan
            .steps
            .iter()
            .find(|s| s.path == "/scim2/v2/Roles/${ROLE_USER_ID}")
            .unwrap();
        assert_eq!(
            user_role.body.as_ref().unwrap()["Operations"][0]["value"],
            json!([{"value": "${USER_ALICE_ID}"}, {"value": "${USER_BOB_ID}"}, {"value": "${USER_CAROL_ID}"}])
        );
        assert!(
            !plan
                .steps
                .iter()
                .any(|s| s.path == "/scim2/v2/Roles/${ROLE_REPORTING_ID}")
        );
    }
}
