//! Setup notes for a real WSO2 Identity Server 7, derived from the World: SCIM 2 users, roles,
//! and applications registered by DCR with the World's own client ids and secrets.

use crate::{ClientKind, GrantType, PkcePolicy, Realm, TokenFormat};
use serde_json::json;
use std::fmt::Write;

/// Markdown notes with the API calls (`curl -k`, admin credentials in `$ADMIN`, server at `$IS`).
pub fn setup_notes(realm: &Realm) -> String {
    let mut notes = String::new();
    let _ = writeln!(
        notes,
        "# WSO2 Identity Server setup for realm `{}` (generated from fixtures/world.toml; do not edit)\n",
        realm.name
    );
    notes.push_str(
        "Run against WSO2 IS 7 (`$IS`, e.g. `https://localhost:9443`, self-signed: `-k`) with \
`$ADMIN=admin:admin`. The realm maps to the super tenant. For introspection with client \
credentials, add to `deployment.toml`:\n\n```toml\n[[resource.access_control]]\ncontext=\"(.*)/oauth2/introspect(.*)\"\n\
http_method=\"all\"\nsecure=true\nallowed_auth_handlers=\"BasicClientAuthentication\"\n```\n\n",
    );
    let call = |notes: &mut String, title: &str, path: &str, body: serde_json::Value| {
        let _ = writeln!(
            notes,
            "## {title}\n\n```sh\ncurl -ksfS -u \"$ADMIN\" -X POST \"$IS{path}\" -H 'Content-Type: application/json' -d '{body}'\n```\n"
        );
    };
    for user in realm.users.values() {
        call(
            &mut notes,
            &format!(
                "User `{}`{}",
                user.username,
                if user.enabled { "" } else { " (then lock the account)" }
            ),
            "/scim2/Users",
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": user.username,
                "password": user.password,
                "name": {"givenName": user.given_name, "familyName": user.family_name},
                "emails": [{"value": user.email, "primary": true}]
            }),
        );
    }
    for client in realm.clients.values() {
        let mut grants: Vec<&str> = client.grant_types.iter().map(|grant| grant.as_str()).collect();
        if client.allows(GrantType::AuthorizationCode) && !grants.contains(&"refresh_token") {
            grants.push("refresh_token");
        }
        let secret = match &client.kind {
            ClientKind::Confidential { secret } => Some(secret.clone()),
            ClientKind::Public => None,
        };
        call(
            &mut notes,
            &format!(
                "Application `{}` (DCR keeps the World's client id and secret)",
                client.id
            ),
            "/api/identity/oauth2/dcr/v1.1/register",
            json!({
                "client_name": client.id,
                "grant_types": grants,
                "redirect_uris": client.redirect_uris,
                "ext_param_client_id": client.id,
                "ext_param_client_secret": secret,
                "ext_public_client": !client.is_confidential(),
                "ext_pkce_mandatory": client.pkce == PkcePolicy::S256Required,
                "token_type_extension": if client.access_token_format == Some(TokenFormat::Jwt) { "JWT" } else { "Default" }
            }),
        );
    }
    for role in &realm.roles {
        let members: Vec<&String> = realm
            .users
            .values()
            .filter(|user| user.realm_roles.contains(role))
            .map(|user| &user.username)
            .collect();
        call(
            &mut notes,
            &format!("Role `{role}` (members by SCIM id: {members:?})"),
            "/scim2/v2/Roles",
            json!({"displayName": role, "audience": {"type": "organization", "value": "10084a8d-113f-4211-a0d5-efe36b082211"}}),
        );
    }
    notes
}
