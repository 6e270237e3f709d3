//! Setup for a real ZITADEL v4, derived from the World: the admin and Management API calls
//! that relax the password policy, create the realm's project, roles, applications, machine
//! users and human users, grant roles and deactivate disabled users.
//!
//! Verified against the ZITADEL API reference (management v1 `AddProject` → `id`, `AddOIDCApp`
//! and `AddAPIApp` → `clientId`/`clientSecret`, `AddMachineUser` → `userId`,
//! `GenerateMachineSecret` `PUT /management/v1/users/{id}/secret` → `clientId`/`clientSecret`;
//! admin `PUT /admin/v1/policies/password/complexity`; user v2 `POST /v2/users/human` →
//! `userId`, `POST /v2/users/{id}/deactivate`) and `cmd/defaults.yaml` (default complexity:
//! 8 characters with lower case, upper case, number and symbol).

use crate::setup::{ClientBinding, Method, SetupPlan, SetupStep, var_part};
use crate::{Client, ClientKind, GrantType, Realm, TokenFormat, User};
use serde_json::json;

/// The variable holding the id of the realm's project.
pub const PROJECT_ID: &str = "PROJECT_ID";

/// The calls that set up `realm` on a fresh ZITADEL v4 instance, with an IAM_OWNER token.
pub fn plan(realm: &Realm) -> SetupPlan {
    let mut steps = Vec::new();
    steps.extend(password_policy(realm));
    steps.push(project(realm));
    steps.extend(roles(realm).into_iter().map(role));
    let mut client_bindings = Vec::new();
    for client in realm.clients.values() {
        let (client_steps, binding) = client_setup(client);
        steps.extend(client_steps);
        client_bindings.extend(binding);
    }
    for user in realm.users.values() {
        steps.extend(human_user(user));
    }
    SetupPlan { steps, client_bindings }
}

/// Markdown notes with the plan's API calls (`curl` + `jq`, PAT in `$PAT`, instance at `$ZITADEL`).
pub fn setup_notes(realm: &Realm) -> String {
    format!(
        "# ZITADEL setup for realm `{}` (generated from fixtures/world.toml; do not edit)\n\n\
Run against a ZITADEL v4 started with `start-from-init`, an IAM_OWNER PAT in `$PAT` and the instance URL in \
`$ZITADEL` (e.g. `http://localhost:8080`); run the blocks in order in one shell (they need `jq`). ZITADEL \
generates client ids and secrets: the blocks keep them in shell variables, and the table at the end maps them \
to the World's clients (the `container:zitadel` target runs the same plan and does this itself). The password \
grant does not exist in ZITADEL; clients that use it in the World log in by the code flow instead.\n\n{}",
        realm.name,
        plan(realm).render_markdown("ZITADEL", "-H \"Authorization: Bearer $PAT\"")
    )
}

/// The instance-wide password complexity policy, relaxed to what the World's passwords meet,
/// or nothing when they all meet ZITADEL's default.
fn password_policy(realm: &Realm) -> Option<SetupStep> {
    let passwords: Vec<&str> = realm.users.values().map(|user| user.password.expose()).collect();
    if passwords.iter().all(|password| meets_default_complexity(password)) {
        return None;
    }
    let shortest = passwords
        .iter()
        .map(|password| password.chars().count())
        .min()
        .unwrap_or(8);
    Some(SetupStep::new(
        "Relax the instance password complexity policy (ZITADEL's default wants 8 characters with upper case, \
lower case, number and symbol, which World passwords such as `alice-password` do not have)",
        Method::Put,
        "/admin/v1/policies/password/complexity",
        Some(json!({
            "minLength": shortest.clamp(1, 8),
            "hasUppercase": false,
            "hasLowercase": false,
            "hasNumber": false,
            "hasSymbol": false
        })),
    ))
}

/// ZITADEL's default policy (`cmd/defaults.yaml`): 8 characters, lower, upper, number, symbol.
fn meets_default_complexity(password: &str) -> bool {
    password.chars().count() >= 8
        && password.chars().any(|c| c.is_lowercase())
        && password.chars().any(|c| c.is_uppercase())
        && password.chars().any(|c| c.is_ascii_digit())
        && password.chars().any(|c| !c.is_alphanumeric())
}

fn project(realm: &Realm) -> SetupStep {
    SetupStep::new(
        format!("Project `{}` (its id is `$PROJECT_ID` below)", realm.name),
        Method::Post,
        "/management/v1/projects",
        Some(json!({"name": realm.name, "projectRoleAssertion": true})),
    )
    .capture(PROJECT_ID, "/id")
}

/// Realm roles, then every client's roles, each once: all are project roles in ZITADEL.
fn roles(realm: &Realm) -> Vec<&String> {
    let mut roles: Vec<&String> = Vec::new();
    let client_roles = realm.clients.values().flat_map(|client| client.roles.iter());
    for role in realm.roles.iter().chain(client_roles) {
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    roles
}

fn role(role: &String) -> SetupStep {
    SetupStep::new(
        format!("Role `{role}`"),
        Method::Post,
        "/management/v1/projects/${PROJECT_ID}/roles",
        Some(json!({"roleKey": role, "displayName": role})),
    )
}

fn client_id_var(client: &Client) -> String {
    format!("CLIENT_{}_ID", var_part(&client.id))
}

fn client_secret_var(client: &Client) -> String {
    format!("CLIENT_{}_SECRET", var_part(&client.id))
}

/// The steps for one World client and where its generated credentials end up: an OIDC app for
/// code-flow clients, an API app for introspection clients, a machine user with a secret for
/// `client_credentials` clients; nothing for a client that uses none of these.
fn client_setup(client: &Client) -> (Vec<SetupStep>, Option<ClientBinding>) {
    let steps = if client.allows(GrantType::AuthorizationCode) {
        vec![oidc_app(client)]
    } else if client.introspection {
        vec![api_app(client)]
    } else if client.allows(GrantType::ClientCredentials) {
        machine_user(client)
    } else {
        return (Vec::new(), None);
    };
    let binding = ClientBinding {
        world_client_id: client.id.clone(),
        client_id_var: Some(client_id_var(client)),
        client_secret_var: client.is_confidential().then(|| client_secret_var(client)),
    };
    (steps, Some(binding))
}

fn oidc_app(client: &Client) -> SetupStep {
    let token_type = match client.access_token_format {
        Some(TokenFormat::Jwt) => "OIDC_TOKEN_TYPE_JWT",
        _ => "OIDC_TOKEN_TYPE_BEARER",
    };
    let mut grants = vec!["OIDC_GRANT_TYPE_AUTHORIZATION_CODE"];
    if client.allows(GrantType::RefreshToken) {
        grants.push("OIDC_GRANT_TYPE_REFRESH_TOKEN");
    }
    let (app_type, auth) = match client.kind {
        ClientKind::Confidential { .. } => ("OIDC_APP_TYPE_WEB", "OIDC_AUTH_METHOD_TYPE_BASIC"),
        ClientKind::Public => ("OIDC_APP_TYPE_USER_AGENT", "OIDC_AUTH_METHOD_TYPE_NONE"),
    };
    let step = SetupStep::new(
        format!("OIDC application `{}`", client.id),
        Method::Post,
        "/management/v1/projects/${PROJECT_ID}/apps/oidc",
        Some(json!({
            "name": client.id,
            "redirectUris": client.redirect_uris,
            "postLogoutRedirectUris": client.post_logout_redirect_uris,
            "responseTypes": ["OIDC_RESPONSE_TYPE_CODE"],
            "grantTypes": grants,
            "appType": app_type,
            "authMethodType": auth,
            "accessTokenType": token_type,
            "accessTokenRoleAssertion": true,
            "idTokenRoleAssertion": false,
            "devMode": true
        })),
    )
    .capture(client_id_var(client), "/clientId");
    with_secret(step, client, "/clientSecret")
}

fn api_app(client: &Client) -> SetupStep {
    let step = SetupStep::new(
        format!("API application `{}` (introspection with Basic auth)", client.id),
        Method::Post,
        "/management/v1/projects/${PROJECT_ID}/apps/api",
        Some(json!({"name": client.id, "authMethodType": "API_AUTH_METHOD_TYPE_BASIC"})),
    )
    .capture(client_id_var(client), "/clientId");
    with_secret(step, client, "/clientSecret")
}

fn with_secret(step: SetupStep, client: &Client, pointer: &str) -> SetupStep {
    if client.is_confidential() {
        step.capture(client_secret_var(client), pointer)
    } else {
        step
    }
}

/// A machine user (ZITADEL's client_credentials client), its generated secret, and a grant of
/// its service-account roles.
fn machine_user(client: &Client) -> Vec<SetupStep> {
    let user_var = format!("CLIENT_{}_USER_ID", var_part(&client.id));
    let token_type = match client.access_token_format {
        Some(TokenFormat::Jwt) => "ACCESS_TOKEN_TYPE_JWT",
        _ => "ACCESS_TOKEN_TYPE_BEARER",
    };
    let mut steps = vec![
        SetupStep::new(
            format!("Machine user `{}` (client_credentials)", client.id),
            Method::Post,
            "/management/v1/users/machine",
            Some(json!({"userName": client.id, "name": client.id, "accessTokenType": token_type})),
        )
        .capture(&user_var, "/userId"),
        SetupStep::new(
            format!("Client secret of machine user `{}`", client.id),
            Method::Put,
            format!("/management/v1/users/${{{user_var}}}/secret"),
            Some(json!({})),
        )
        .capture(client_id_var(client), "/clientId")
        .capture(client_secret_var(client), "/clientSecret"),
    ];
    steps.extend(grant(
        &format!("machine user `{}`", client.id),
        &user_var,
        &client.service_account_roles,
    ));
    steps
}

/// A human user (with the World's id as its ZITADEL id, so `sub` matches), its role grant, and
/// its deactivation when the World disables it.
fn human_user(user: &User) -> Vec<SetupStep> {
    let user_var = format!("USER_{}_ID", var_part(&user.username));
    let mut steps = vec![
        SetupStep::new(
            format!("Human user `{}`", user.username),
            Method::Post,
            "/v2/users/human",
            Some(json!({
                "userId": user.id,
                "username": user.username,
                "profile": {"givenName": user.given_name, "familyName": user.family_name},
                "email": {"email": user.email, "isVerified": user.email_verified},
                "password": {"password": user.password, "changeRequired": false}
            })),
        )
        .capture(&user_var, "/userId"),
    ];
    let mut held: Vec<String> = user.realm_roles.clone();
    held.extend(user.client_roles.values().flatten().cloned());
    steps.extend(grant(&format!("`{}`", user.username), &user_var, &held));
    if !user.enabled {
        steps.push(SetupStep::new(
            format!("Deactivate `{}` (disabled in the World)", user.username),
            Method::Post,
            format!("/v2/users/${{{user_var}}}/deactivate"),
            Some(json!({})),
        ));
    }
    steps
}

fn grant(who: &str, user_var: &str, roles: &[String]) -> Option<SetupStep> {
    let mut keys: Vec<&String> = Vec::new();
    for role in roles {
        if !keys.contains(&role) {
            keys.push(role);
        }
    }
    (!keys.is_empty()).then(|| {
        SetupStep::new(
            format!("Grant {who} its roles"),
            Method::Post,
            format!("/management/v1/users/${{{user_var}}}/grants"),
            Some(json!({"projectId": "${PROJECT_ID}", "roleKeys": keys})),
        )
    })
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
    fn every_placeholder_is_captured_first_and_every_capture_is_unique() {
        let plan = demo_plan();
        plan.check().unwrap();
        let mut vars: Vec<&str> = plan
            .steps
            .iter()
            .flat_map(|s| &s.captures)
            .map(|c| c.var.as_str())
            .collect();
        let count = vars.len();
        vars.sort_unstable();
        vars.dedup();
        assert_eq!(vars.len(), count, "a variable is captured twice");
        for binding in &plan.client_bindings {
            for var in binding.client_id_var.iter().chain(&binding.client_secret_var) {
                assert!(vars.contains(&var.as_str()), "{var} is bound but never captured");
            }
        }
    }

    #[test]
    fn the_policy_is_relaxed_first_because_world_passwords_are_simple() {
        let plan = demo_plan();
        assert!(!meets_default_complexity("alice-password"));
        assert!(meets_default_complexity("Alice-Passw0rd!"));
        assert_eq!(plan.steps[0].path, "/admin/v1/policies/password/complexity");
        assert_eq!(plan.steps[0].method, Method::Put);
        assert_eq!(plan.steps[1].captures[0].var, PROJECT_ID);
    }

    #[test]
    fn each_demo_client_is_bound_to_generated_credentials() {
        let plan = demo_plan();
        let bound = |id: &str| plan.binding(id).unwrap().clone();
        assert_eq!(
            bound("web-app").client_secret_var.as_deref(),
            Some("CLIENT_WEB_APP_SECRET")
        );
        assert_eq!(bound("spa").client_secret_var, None);
        assert_eq!(bound("service").client_id_var.as_deref(), Some("CLIENT_SERVICE_ID"));
        assert_eq!(bound("api").client_id_var.as_deref(), Some("CLIENT_API_ID"));
        let secret = plan
            .steps
            .iter()
            .find(|s| s.method == Method::Put && s.path.ends_with("/secret"))
            .unwrap();
        assert_eq!(secret.path, "/management/v1/users/${CLIENT_SERVICE_USER_ID}/secret");
    }

    #[test]
    fn machine_users_carry_the_world_token_type_and_service_roles() {
        let plan = demo_plan();
        let machine = plan
            .steps
            .iter()
            .find(|s| s.path == "/management/v1/users/machine")
            .unwrap();
        assert_eq!(
            machine.body.as_ref().unwrap()["accessTokenType"],
            "ACCESS_TOKEN_TYPE_BEARER"
        );
        let grant = plan
            .steps
            .iter()
            .find(|s| s.path == "/management/v1/users/${CLIENT_SERVICE_USER_ID}/grants")
            .unwrap();
        assert_eq!(grant.body.as_ref().unwrap()["roleKeys"], json!(["reporting"]));
    }

    #[test]
    fn disabled_users_are_deactivated_and_grants_use_captured_ids() {
        let plan = demo_plan();
        let paths: Vec<&str> = plan.steps.iter().map(|s| s.path.as_str()).collect();
        assert!(paths.contains(&"/v2/users/${USER_CAROL_ID}/deactivate"));
        assert!(!paths.contains(&"/v2/users/${USER_ALICE_ID}/deactivate"));
        let alice = plan
            .steps
            .iter()
            .find(|s| s.path == "/management/v1/users/${USER_ALICE_ID}/grants")
            .unwrap();
        assert_eq!(
            alice.body,
            Some(json!({"projectId": "${PROJECT_ID}", "roleKeys": ["user", "admin", "read:messages"]}))
        );
    }
}
