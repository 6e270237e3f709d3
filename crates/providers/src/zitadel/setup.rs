//! Setup notes for a real ZITADEL v4, derived from the World: the Management API calls that
//! create the realm's project, roles, applications, machine users and human users.

use crate::{ClientKind, GrantType, Realm, TokenFormat};
use serde_json::json;
use std::fmt::Write;

/// Markdown notes with the API calls (`curl`, PAT in `$PAT`, instance at `$ZITADEL`).
pub fn setup_notes(realm: &Realm) -> String {
    let mut notes = String::new();
    let _ = writeln!(
        notes,
        "# ZITADEL setup for realm `{}` (generated from fixtures/world.toml; do not edit)\n",
        realm.name
    );
    notes.push_str(
        "Run against a ZITADEL v4 started with `start-from-init`, an IAM_OWNER PAT in `$PAT` and \
the instance URL in `$ZITADEL` (e.g. `http://localhost:8080`). ZITADEL generates client ids and \
secrets: note the returned values and map them to the World's ids in your target file. The \
password grant does not exist in ZITADEL; clients that use it in the World log in by the code \
flow instead.\n\n",
    );
    let call = |notes: &mut String, title: &str, path: &str, body: serde_json::Value| {
        // Bodies are single-quoted; let the shell expand the ids captured from earlier calls.
        let body = body.to_string().replace("\"$PROJECT_ID\"", "\"'\"$PROJECT_ID\"'\"");
        let _ = writeln!(
            notes,
            "## {title}\n\n```sh\ncurl -fsS -X POST \"$ZITADEL{path}\" -H \"Authorization: Bearer $PAT\" \
-H 'Content-Type: application/json' -d '{body}'\n```\n"
        );
    };
    call(
        &mut notes,
        "Project (its id is `$PROJECT_ID` below)",
        "/management/v1/projects",
        json!({"name": realm.name, "projectRoleAssertion": true}),
    );
    let mut roles: Vec<&String> = realm.roles.iter().collect();
    for client in realm.clients.values() {
        roles.extend(client.roles.iter());
    }
    for role in roles {
        call(
            &mut notes,
            &format!("Role `{role}`"),
            "/management/v1/projects/$PROJECT_ID/roles",
            json!({"roleKey": role, "displayName": role}),
        );
    }
    for client in realm.clients.values() {
        let token_type = match client.access_token_format {
            Some(TokenFormat::Jwt) => "OIDC_TOKEN_TYPE_JWT",
            _ => "OIDC_TOKEN_TYPE_BEARER",
        };
        if client.allows(GrantType::AuthorizationCode) {
            let mut grants = vec!["OIDC_GRANT_TYPE_AUTHORIZATION_CODE"];
            if client.allows(GrantType::RefreshToken) {
                grants.push("OIDC_GRANT_TYPE_REFRESH_TOKEN");
            }
            let (app_type, auth) = match client.kind {
                ClientKind::Confidential { .. } => ("OIDC_APP_TYPE_WEB", "OIDC_AUTH_METHOD_TYPE_BASIC"),
                ClientKind::Public => ("OIDC_APP_TYPE_USER_AGENT", "OIDC_AUTH_METHOD_TYPE_NONE"),
            };
            call(
                &mut notes,
                &format!("OIDC application `{}`", client.id),
                "/management/v1/projects/$PROJECT_ID/apps/oidc",
                json!({
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
                }),
            );
        } else if client.allows(GrantType::ClientCredentials) && !client.introspection {
            call(
                &mut notes,
                &format!(
                    "Machine user `{}` (client_credentials; then `PUT /management/v1/users/$USER_ID/secret`)",
                    client.id
                ),
                "/management/v1/users/machine",
                json!({
                    "userName": client.id,
                    "name": client.id,
                    "accessTokenType": if client.access_token_format == Some(TokenFormat::Jwt) { "ACCESS_TOKEN_TYPE_JWT" } else { "ACCESS_TOKEN_TYPE_BEARER" }
                }),
            );
        }
        if client.introspection {
            call(
                &mut notes,
                &format!("API application `{}` (introspection with Basic auth)", client.id),
                "/management/v1/projects/$PROJECT_ID/apps/api",
                json!({"name": client.id, "authMethodType": "API_AUTH_METHOD_TYPE_BASIC"}),
            );
        }
    }
    for user in realm.users.values() {
        call(
            &mut notes,
            &format!(
                "Human user `{}` (ZITADEL's default password policy may need a stronger password)",
                user.username
            ),
            "/v2/users/human",
            json!({
                "username": user.username,
                "profile": {"givenName": user.given_name, "familyName": user.family_name},
                "email": {"email": user.email, "isVerified": user.email_verified},
                "password": {"password": user.password, "changeRequired": false}
            }),
        );
        let mut held: Vec<&String> = user.realm_roles.iter().collect();
        for roles in user.client_roles.values() {
            held.extend(roles.iter());
        }
        if !held.is_empty() {
            call(
                &mut notes,
                &format!("Grant `{}` its roles", user.username),
                "/management/v1/users/$USER_ID/grants",
                json!({"projectId": "$PROJECT_ID", "roleKeys": held}),
            );
        }
        if !user.enabled {
            let _ = writeln!(
                notes,
                "Deactivate `{}`: `curl -fsS -X POST \"$ZITADEL/v2/users/$USER_ID/deactivate\" -H \"Authorization: Bearer $PAT\"`\n",
                user.username
            );
        }
    }
    notes
}
