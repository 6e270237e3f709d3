//! A Keycloak realm representation generated from the World, importable by a real Keycloak 26
//! with `kc.sh start-dev --import-realm` (the file goes in `data/import/`).

use super::{default_realm_roles, service_account_id, service_account_username};
use crate::{Client, ClientKind, GrantType, PkcePolicy, Realm, TokenFormat};
use serde_json::{Value, json};

/// The realm representation (`RealmRepresentation` JSON) of `realm`.
///
/// Clients keep their ids and secrets; users keep their ids and passwords; realm and client roles
/// are declared and assigned; each scope outside Keycloak's built-in ones becomes an optional
/// client scope, and a client whose scopes put it in `aud` (`audience_scopes`) gets an audience
/// mapper on that scope.
pub fn realm_export(realm: &Realm) -> Value {
    let builtin = builtin_scopes();
    let mut realm_roles: Vec<Value> = realm.roles.iter().map(|role| json!({ "name": role })).collect();
    // The default role's composites must be declared: Keycloak creates `offline_access` on import
    // but not `uma_authorization` ("Unable to find composite realm role").
    for role in ["offline_access", "uma_authorization"] {
        if !realm.roles.iter().any(|declared| declared == role) {
            realm_roles.push(json!({ "name": role }));
        }
    }
    realm_roles.push(json!({
        "name": format!("default-roles-{}", realm.name),
        "composite": true,
        "composites": { "realm": ["offline_access", "uma_authorization"] }
    }));
    let client_roles: serde_json::Map<String, Value> = realm
        .clients
        .values()
        .filter(|client| !client.roles.is_empty())
        .map(|client| {
            let roles: Vec<Value> = client.roles.iter().map(|role| json!({ "name": role })).collect();
            (client.id.clone(), json!(roles))
        })
        .collect();

    let custom_scopes: Vec<&String> = realm.scopes.iter().filter(|scope| !is_builtin_scope(scope)).collect();
    // A realm file with a `clientScopes` array gets none of Keycloak's built-in scopes, so the
    // built-in ones (recorded from Keycloak 26.7.3) are written alongside the World's own.
    let mut client_scopes: Vec<Value> = builtin["clientScopes"].as_array().cloned().unwrap_or_default();
    let custom: Vec<Value> = custom_scopes
        .iter()
        .map(|scope| {
            let mappers: Vec<Value> = realm
                .clients
                .values()
                .filter(|client| client.audience_scopes.contains(scope))
                .map(|client| audience_mapper(&client.id))
                .collect();
            json!({
                "name": scope,
                "protocol": "openid-connect",
                "attributes": { "include.in.token.scope": "true", "display.on.consent.screen": "false" },
                "protocolMappers": mappers
            })
        })
        .collect();
    client_scopes.extend(custom);

    let clients: Vec<Value> = realm
        .clients
        .values()
        .map(|client| client_json(realm, client))
        .collect();

    let mut users: Vec<Value> = realm
        .users
        .values()
        .map(|user| {
            let mut roles = user.realm_roles.clone();
            roles.extend(default_realm_roles(&realm.name).into_iter().take(1));
            json!({
                "id": user.id,
                "username": user.username,
                "enabled": user.enabled,
                "email": user.email,
                "emailVerified": user.email_verified,
                "firstName": user.given_name,
                "lastName": user.family_name,
                "credentials": [{ "type": "password", "value": user.password, "temporary": false }],
                "realmRoles": roles,
                "clientRoles": user.client_roles,
            })
        })
        .collect();
    for client in realm
        .clients
        .values()
        .filter(|client| client.allows(GrantType::ClientCredentials))
    {
        let mut roles = client.service_account_roles.clone();
        roles.extend(default_realm_roles(&realm.name).into_iter().take(1));
        users.push(json!({
            "id": service_account_id(&realm.name, &client.id),
            "username": service_account_username(&client.id),
            "enabled": true,
            "serviceAccountClientId": client.id,
            "realmRoles": roles,
        }));
    }

    json!({
        "realm": realm.name,
        "displayName": realm.display_name,
        "enabled": true,
        "sslRequired": "none",
        "accessTokenLifespan": realm.lifetimes.access_token,
        "ssoSessionIdleTimeout": realm.lifetimes.session_idle,
        "accessCodeLifespan": realm.lifetimes.authorization_code,
        "revokeRefreshToken": true,
        "refreshTokenMaxReuse": 0,
        "roles": { "realm": realm_roles, "client": client_roles },
        "defaultRole": { "name": format!("default-roles-{}", realm.name) },
        "clientScopes": client_scopes,
        "defaultDefaultClientScopes": builtin["defaultDefaultClientScopes"],
        "defaultOptionalClientScopes": builtin["defaultOptionalClientScopes"],
        "clients": clients,
        "users": users,
    })
}

/// Keycloak's built-in client scopes and the realm's default assignments.
fn builtin_scopes() -> Value {
    serde_json::from_str(include_str!("builtin-client-scopes.json")).unwrap_or(Value::Null)
}

/// Scopes every Keycloak realm already has (`openid` is implicit).
fn is_builtin_scope(scope: &str) -> bool {
    scope == "openid"
        || builtin_scopes()["clientScopes"]
            .as_array()
            .is_some_and(|scopes| scopes.iter().any(|builtin| builtin["name"] == scope))
}

fn audience_mapper(client_id: &str) -> Value {
    json!({
        "name": format!("audience {client_id}"),
        "protocol": "openid-connect",
        "protocolMapper": "oidc-audience-mapper",
        "config": {
            "included.client.audience": client_id,
            "id.token.claim": "false",
            "access.token.claim": "true",
            "introspection.token.claim": "true"
        }
    })
}

fn client_json(realm: &Realm, client: &Client) -> Value {
    let mut attributes = serde_json::Map::new();
    if client.pkce == PkcePolicy::S256Required {
        attributes.insert("pkce.code.challenge.method".into(), json!("S256"));
    }
    if !client.post_logout_redirect_uris.is_empty() {
        attributes.insert(
            "post.logout.redirect.uris".into(),
            json!(client.post_logout_redirect_uris.join("##")),
        );
    }
    if client.allows(GrantType::ClientCredentials) && !client.allows(GrantType::RefreshToken) {
        attributes.insert("client_credentials.use_refresh_token".into(), json!("false"));
    }
    if client.allows(GrantType::DeviceCode) {
        attributes.insert("oauth2.device.authorization.grant.enabled".into(), json!("true"));
    }
    if client.allows(GrantType::TokenExchange) {
        // OIDCConfigAttributes.STANDARD_TOKEN_EXCHANGE_ENABLED (StandardTokenExchangeV2Test).
        attributes.insert("standard.token.exchange.enabled".into(), json!("true"));
    }
    if client.dpop_bound_access_tokens {
        // OIDCConfigAttributes.DPOP_BOUND_ACCESS_TOKENS.
        attributes.insert("dpop.bound.access.tokens".into(), json!("true"));
    }
    // A client with keys authenticates with a signed JWT only (Keycloak's `client-jwt`
    // authenticator); OIDCAdvancedConfigWrapper's `use.jwks.string`/`jwks.string` and
    // `use.jwks.url`/`jwks.url` say where its keys are.
    if let Some(jwks) = &client.jwks {
        attributes.insert("use.jwks.string".into(), json!("true"));
        attributes.insert("jwks.string".into(), json!(jwks.to_string()));
    }
    if let Some(uri) = &client.jwks_uri {
        attributes.insert("use.jwks.url".into(), json!("true"));
        attributes.insert("jwks.url".into(), json!(uri));
    }
    if let Some(max_exp) = client.client_assertion_max_exp {
        // OIDCAdvancedConfigWrapper.getTokenEndpointAuthSigningMaxExp.
        attributes.insert("token.endpoint.auth.signing.max.exp".into(), json!(max_exp.to_string()));
    }
    if let Some(uri) = &client.backchannel_logout_uri {
        attributes.insert("backchannel.logout.url".into(), json!(uri));
        attributes.insert(
            "backchannel.logout.session.required".into(),
            json!(client.backchannel_logout_session_required.to_string()),
        );
    }
    if client.access_token_format == Some(TokenFormat::Opaque) {
        // Keycloak has no opaque access tokens; the mock's flavor always issues JWTs.
        attributes.insert(
            "x-idp-harness.access-token-format".into(),
            json!("opaque (not supported by Keycloak)"),
        );
    }
    let optional_scopes: Vec<&String> = client
        .scopes
        .iter()
        .filter(|scope| !is_builtin_scope(scope) || *scope == "offline_access")
        .collect();
    // Keycloak's built-in `profile` and `email` scopes put their claims in every token of a
    // client that has them by default; a realm whose World has no such scope gets none (its
    // tokens carry no `email` in the mock either).
    let mut default_scopes = vec!["web-origins", "acr"];
    if realm.scopes.iter().any(|scope| scope == "profile") {
        default_scopes.push("profile");
    }
    default_scopes.extend(["roles", "basic"]);
    if realm.scopes.iter().any(|scope| scope == "email") {
        default_scopes.push("email");
    }
    if client.allows(GrantType::ClientCredentials) {
        default_scopes.push("service_account");
    }
    let (public, secret) = match &client.kind {
        ClientKind::Confidential { secret } => (false, Some(secret.clone())),
        ClientKind::Public => (true, None),
    };
    let authenticator = match client.auth_method() {
        crate::TokenEndpointAuthMethod::PrivateKeyJwt => "client-jwt",
        crate::TokenEndpointAuthMethod::ClientSecretJwt => "client-secret-jwt",
        _ => "client-secret",
    };
    json!({
        "clientId": client.id,
        "enabled": true,
        "protocol": "openid-connect",
        "publicClient": public,
        "secret": secret,
        "clientAuthenticatorType": authenticator,
        "redirectUris": client.redirect_uris,
        "webOrigins": [],
        "standardFlowEnabled": client.allows(GrantType::AuthorizationCode),
        "implicitFlowEnabled": false,
        "directAccessGrantsEnabled": client.allows(GrantType::Password),
        "serviceAccountsEnabled": client.allows(GrantType::ClientCredentials),
        "frontchannelLogout": false,
        "attributes": attributes,
        "defaultClientScopes": default_scopes,
        "optionalClientScopes": optional_scopes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::World;

    #[test]
    fn the_committed_realm_file_matches_the_world() {
        let world = World::default_world().unwrap();
        let generated = realm_export(world.realm("demo").unwrap());
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/keycloak/realm-demo.json");
        let committed: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(
            committed, generated,
            "fixtures/keycloak/realm-demo.json is stale: run `cargo run -p mock-idp -- export keycloak-realm --out fixtures/keycloak/realm-demo.json`"
        );
    }

    #[test]
    fn a_client_with_keys_gets_the_signed_jwt_authenticator() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/worlds/client-keys.toml");
        let world = World::load(&path).unwrap();
        let export = realm_export(world.realm("demo").unwrap());
        let client = |id: &str| {
            export["clients"]
                .as_array()
                .unwrap()
                .iter()
                .find(|client| client["clientId"] == id)
                .unwrap()
                .clone()
        };
        let machine = client("machine");
        // A client registered for client_secret_jwt gets Keycloak's HMAC authenticator.
        assert_eq!(client("hmac")["clientAuthenticatorType"], "client-secret-jwt");
        assert_eq!(machine["clientAuthenticatorType"], "client-jwt");
        assert_eq!(machine["attributes"]["use.jwks.string"], "true");
        let jwks: Value = serde_json::from_str(machine["attributes"]["jwks.string"].as_str().unwrap()).unwrap();
        assert_eq!(jwks["keys"][0]["kid"], "idp-conformance");
        // The default World's clients keep the secret authenticator and have no key attributes.
        let default = realm_export(World::default_world().unwrap().realm("demo").unwrap());
        for client in default["clients"].as_array().unwrap() {
            assert_eq!(
                client["clientAuthenticatorType"], "client-secret",
                "{}",
                client["clientId"]
            );
            assert!(client["attributes"].get("use.jwks.string").is_none());
        }
    }

    #[test]
    fn the_export_carries_every_client_user_and_role_of_the_world() {
        let world = World::default_world().unwrap();
        let export = realm_export(world.realm("demo").unwrap());
        let clients: Vec<&str> = export["clients"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["clientId"].as_str().unwrap())
            .collect();
        assert_eq!(clients, ["api", "service", "spa", "tv", "web-app"]);
        let tv = &export["clients"][3];
        assert_eq!(tv["attributes"]["oauth2.device.authorization.grant.enabled"], "true");
        assert_eq!(tv["standardFlowEnabled"], false);
        let spa = &export["clients"][2];
        assert_eq!(spa["publicClient"], true);
        assert_eq!(spa["attributes"]["pkce.code.challenge.method"], "S256");
        let users = export["users"].as_array().unwrap();
        let alice = users.iter().find(|u| u["username"] == "alice").unwrap();
        assert_eq!(alice["credentials"][0]["value"], "alice-password");
        assert_eq!(alice["clientRoles"]["api"][0], "read:messages");
        let carol = users.iter().find(|u| u["username"] == "carol").unwrap();
        assert_eq!(carol["enabled"], false);
        let service_account = users
            .iter()
            .find(|u| u["username"] == "service-account-service")
            .unwrap();
        assert_eq!(service_account["serviceAccountClientId"], "service");
        assert!(
            service_account["realmRoles"]
                .as_array()
                .unwrap()
                .contains(&serde_json::json!("reporting"))
        );
        let scopes = export["clientScopes"].as_array().unwrap();
        let scope = scopes.iter().find(|scope| scope["name"] == "read:messages").unwrap();
        assert!(
            scopes.iter().any(|scope| scope["name"] == "profile"),
            "built-in scopes are written too"
        );
        let roles = export["roles"]["realm"].as_array().unwrap();
        assert!(roles.iter().any(|role| role["name"] == "uma_authorization"));
        assert_eq!(scope["protocolMappers"][0]["config"]["included.client.audience"], "api");
    }
}
