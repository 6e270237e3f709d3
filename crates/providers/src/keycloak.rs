//! Keycloak 26.x (and Keycloak distributions such as ZTrust, a rebranded Keycloak 25).
//!
//! Sources: `shared/research/providers.md` §2 (recorded Keycloak 26.7.1 documents and error
//! bodies), `appid-ztrust.md` §2 (ZTrust). Facts marked *unverified* in `docs/providers.md` are
//! the most likely values, to be confirmed by the real-Keycloak conformance run.
//!
//! - Issuer `{public_url}/realms/{realm}` (a context path such as `/auth` is part of the public
//!   URL); endpoints under `{issuer}/protocol/openid-connect/`.
//! - Access tokens are always JWTs with header `typ: JWT` and claim `typ: Bearer`; roles in
//!   `realm_access.roles` and `resource_access.{client}.roles`; `azp`, `sid`, `acr`,
//!   `preferred_username`; `aud` lists the clients whose roles the token carries.
//! - Token responses add `refresh_expires_in`, `not-before-policy` and `session_state`.
//! - Errors follow Keycloak, not the RFCs: a wrong secret is `401 unauthorized_client`,
//!   userinfo errors have an empty body and speak only through `WWW-Authenticate`.

mod export;

pub use export::realm_export;

use crate::ProviderMetadata;
use crate::claims::{
    AccessTokenInput, DiscoveryInput, IdTokenInput, IntrospectionInput, TokenResponseInput, audience_value, stable_uuid,
};
use crate::error::sanitize_description;
use crate::reader::{scope_tokens, string_array, string_claim};
use crate::{
    Client, ClientRoles, Endpoint, ErrorKind, ErrorResponse, Flavor, GrantType, Grants, Quirks, RefreshRevocation,
    Site, User, generic,
};
use serde_json::{Map, Value, json};

/// Keycloak's facts.
#[derive(Debug, Clone, Copy)]
pub struct Keycloak;

/// Realm roles every Keycloak user holds through the realm's default role (a composite of
/// `offline_access` and `uma_authorization`), besides the roles the World gives them.
pub fn default_realm_roles(realm: &str) -> Vec<String> {
    vec![
        format!("default-roles-{realm}"),
        "offline_access".into(),
        "uma_authorization".into(),
    ]
}

/// The payload `typ` claim of Keycloak access tokens (ID tokens say `ID`, refresh tokens
/// `Refresh`).
pub const ACCESS_TOKEN_PAYLOAD_TYP: &str = "Bearer";

/// Client scopes Keycloak applies to every token of a client ("default client scopes") when
/// the realm has them, whether requested or not.
const DEFAULT_CLIENT_SCOPES: [&str; 2] = ["email", "profile"];

/// The username Keycloak gives a client's service account.
pub fn service_account_username(client_id: &str) -> String {
    format!("service-account-{client_id}")
}

/// The (stable) user id of a client's service account.
pub fn service_account_id(realm: &str, client_id: &str) -> String {
    stable_uuid(&format!("keycloak:{realm}:{}", service_account_username(client_id)))
}

/// Keycloak's behaviour facts.
pub const QUIRKS: Quirks = Quirks {
    // Revoking a refresh token ends every session of the user with the client (revokeClient).
    refresh_revocation: RefreshRevocation::ClientSessions,
    // Keycloak 26.7.3 advertises (and accepts) `plain` first.
    pkce_methods: &["plain", "S256"],
    accepts_repeated_client_credentials: true,
    introspection_hint_strict: true,
    introspection_needs_permission: false,
    introspection_requires_audience: true,
    revocation_unknown_token_error: Some(("invalid_token", "Invalid token")),
    access_token_typ: "JWT",
    // Keycloak names the client in `azp`; `client_id` only on service-account tokens.
    required_access_token_claims: &["iss", "exp", "aud", "sub", "iat", "jti", "azp"],
    access_token_payload_typ: Some(ACCESS_TOKEN_PAYLOAD_TYP),
    client_roles: ClientRoles::PerClient,
    device: Some(crate::device::KEYCLOAK),
    par: Some(crate::par::KEYCLOAK),
    backchannel_logout: Some(crate::backchannel::KEYCLOAK),
    // Standard token exchange v2, a default feature since 26.2; 26.7.3 advertises the grant
    // (golden discovery.json).
    grant_types: &[
        GrantType::AuthorizationCode,
        GrantType::RefreshToken,
        GrantType::ClientCredentials,
        GrantType::Password,
        GrantType::DeviceCode,
        GrantType::TokenExchange,
    ],
    token_exchange: Some(crate::exchange::KEYCLOAK),
    dpop: Some(crate::dpop::KEYCLOAK),
    client_assertion: crate::client_assertion::KEYCLOAK,
    grant_type_before_client_auth: true,
    ..Quirks::STANDARD
};

/// Client authentication methods at the token, introspection and revocation endpoints, in
/// Keycloak 26.7.3's order (fixtures/golden/keycloak-26.7.3/discovery.json) without
/// `tls_client_auth`, which the mock does not implement.
const CLIENT_AUTH_METHODS: [&str; 4] = [
    "private_key_jwt",
    "client_secret_basic",
    "client_secret_post",
    "client_secret_jwt",
];

/// The assertion algorithms of [`CLIENT_AUTH_METHODS`], in Keycloak 26.7.3's order without
/// `ES512`, which the mock does not verify.
const CLIENT_AUTH_SIGNING_ALGS: [&str; 12] = [
    "PS384", "RS384", "EdDSA", "ES384", "HS256", "HS512", "ES256", "RS256", "HS384", "PS256", "PS512", "RS512",
];

/// The member order of Keycloak's discovery document (recorded 26.7.1 document).
const DISCOVERY_ORDER: [&str; 37] = [
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "introspection_endpoint",
    "userinfo_endpoint",
    "end_session_endpoint",
    "frontchannel_logout_session_supported",
    "frontchannel_logout_supported",
    "jwks_uri",
    "grant_types_supported",
    "acr_values_supported",
    "response_types_supported",
    "subject_types_supported",
    "prompt_values_supported",
    "id_token_signing_alg_values_supported",
    "response_modes_supported",
    "token_endpoint_auth_methods_supported",
    "token_endpoint_auth_signing_alg_values_supported",
    "introspection_endpoint_auth_methods_supported",
    "introspection_endpoint_auth_signing_alg_values_supported",
    "claims_supported",
    "claim_types_supported",
    "claims_parameter_supported",
    "scopes_supported",
    "request_parameter_supported",
    "request_uri_parameter_supported",
    "code_challenge_methods_supported",
    "dpop_signing_alg_values_supported",
    "revocation_endpoint",
    "revocation_endpoint_auth_methods_supported",
    "revocation_endpoint_auth_signing_alg_values_supported",
    "backchannel_logout_supported",
    "backchannel_logout_session_supported",
    "device_authorization_endpoint",
    "require_pushed_authorization_requests",
    "pushed_authorization_request_endpoint",
    "authorization_response_iss_parameter_supported",
];

/// `claims_supported`: the claims of Keycloak's document that the mock writes.
const DISCOVERY_CLAIMS: [&str; 14] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "name",
    "given_name",
    "family_name",
    "preferred_username",
    "email",
    "acr",
    "azp",
    "nonce",
];

impl Flavor for Keycloak {
    fn quirks(&self) -> &'static Quirks {
        &QUIRKS
    }

    fn route(&self, endpoint: Endpoint) -> Option<&'static str> {
        Some(match endpoint {
            Endpoint::Discovery => "/realms/{realm}/.well-known/openid-configuration",
            Endpoint::AuthorizationServerMetadata => "/realms/{realm}/.well-known/oauth-authorization-server",
            Endpoint::Jwks => "/realms/{realm}/protocol/openid-connect/certs",
            Endpoint::Authorize => "/realms/{realm}/protocol/openid-connect/auth",
            Endpoint::Login => "/realms/{realm}/login-actions/authenticate",
            Endpoint::Token => "/realms/{realm}/protocol/openid-connect/token",
            Endpoint::Userinfo => "/realms/{realm}/protocol/openid-connect/userinfo",
            Endpoint::Introspect => "/realms/{realm}/protocol/openid-connect/token/introspect",
            Endpoint::Revoke => "/realms/{realm}/protocol/openid-connect/revoke",
            Endpoint::EndSession => "/realms/{realm}/protocol/openid-connect/logout",
            Endpoint::DeviceAuthorization => "/realms/{realm}/protocol/openid-connect/auth/device",
            // DeviceGrantType.oauth2DeviceVerificationUrl: `{realm}/device`.
            Endpoint::DeviceVerification => "/realms/{realm}/device",
            Endpoint::ProfileAttributes => return None,
            // ParEndpoint.parUrl: the `par` extension's `request` resource.
            Endpoint::PushedAuthorization => "/realms/{realm}/protocol/openid-connect/ext/par/request",
        })
    }

    fn issuer(&self, site: &Site) -> String {
        format!("{}/realms/{}", site.base(), site.realm)
    }

    /// `openid` first, then the default client scopes, then the other requested scopes: the
    /// order Keycloak 26.7.3 was recorded writing (`openid email profile read:messages`).
    fn granted_scopes(&self, client: &Client, _for_user: bool, requested: Vec<String>) -> Vec<String> {
        let mut granted: Vec<String> = requested.iter().filter(|scope| *scope == "openid").cloned().collect();
        for default in DEFAULT_CLIENT_SCOPES {
            if client.scopes.iter().any(|scope| scope == default) || requested.iter().any(|scope| scope == default) {
                granted.push(default.to_owned());
            }
        }
        for scope in requested {
            if !granted.contains(&scope) {
                granted.push(scope);
            }
        }
        granted
    }

    fn metadata(&self, input: &DiscoveryInput<'_>, quirks: &Quirks) -> ProviderMetadata {
        let mut extra = Map::new();
        for member in [
            "token_endpoint_auth_signing_alg_values_supported",
            "introspection_endpoint_auth_signing_alg_values_supported",
            "revocation_endpoint_auth_signing_alg_values_supported",
        ] {
            extra.insert(member.into(), json!(CLIENT_AUTH_SIGNING_ALGS));
        }
        ProviderMetadata {
            token_endpoint_auth_methods_supported: Some(CLIENT_AUTH_METHODS.to_vec()),
            introspection_endpoint_auth_methods_supported: Some(CLIENT_AUTH_METHODS.to_vec()),
            revocation_endpoint_auth_methods_supported: Some(CLIENT_AUTH_METHODS.to_vec()),
            extra,
            claims_supported: Some(DISCOVERY_CLAIMS.to_vec()),
            claim_types_supported: Some(vec!["normal"]),
            acr_values_supported: Some(vec!["0", "1"]),
            frontchannel_logout_session_supported: Some(false),
            ..ProviderMetadata::standard(input, quirks)
        }
    }

    fn metadata_order(&self) -> &'static [&'static str] {
        &DISCOVERY_ORDER
    }

    fn access_token_claims(&self, input: &AccessTokenInput<'_>) -> Map<String, Value> {
        let realm = &input.realm.name;
        let mut claims = Map::new();
        claims.insert("exp".into(), json!(input.expires_at));
        claims.insert("iat".into(), json!(input.issued_at));
        // Keycloak 26.7.3 keeps the session's auth_time after an interactive login, also in
        // refreshed tokens; a direct (password) grant's tokens have none (golden token-password.json).
        if let (Some(GrantType::AuthorizationCode | GrantType::DeviceCode), Some(auth_time)) =
            (input.login, input.auth_time)
        {
            claims.insert("auth_time".into(), json!(auth_time));
        }
        claims.insert("jti".into(), json!(jti(input.grant, input.jti)));
        claims.insert("iss".into(), json!(input.issuer));
        let mut audiences: Vec<String> = input.audiences.to_vec();
        audiences.push("account".into());
        if !audiences.is_empty() {
            claims.insert("aud".into(), audience_value(&audiences));
        }
        let subject = match input.user {
            Some(user) => user.id.clone(),
            None => service_account_id(realm, &input.client.id),
        };
        claims.insert("sub".into(), json!(subject));
        claims.insert("typ".into(), json!(ACCESS_TOKEN_PAYLOAD_TYP));
        claims.insert("azp".into(), json!(input.client.id));
        if let Some(sid) = input.session_id {
            claims.insert("sid".into(), json!(sid));
        }
        claims.insert("acr".into(), json!("1"));
        let mut realm_roles = default_realm_roles(realm);
        let mut resource_access = Map::new();
        match input.user {
            Some(user) => {
                realm_roles.extend(user.realm_roles.iter().cloned());
                for (client, roles) in &user.client_roles {
                    resource_access.insert(client.clone(), json!({ "roles": roles }));
                }
            }
            None => realm_roles.extend(input.client.service_account_roles.iter().cloned()),
        }
        resource_access.insert(
            "account".into(),
            json!({ "roles": ["manage-account", "manage-account-links", "view-profile"] }),
        );
        claims.insert("realm_access".into(), json!({ "roles": realm_roles }));
        if !resource_access.is_empty() {
            claims.insert("resource_access".into(), Value::Object(resource_access));
        }
        claims.insert("scope".into(), json!(input.scopes.join(" ")));
        match input.user {
            Some(user) => claims.extend(profile_claims(user, input.scopes)),
            None => {
                claims.insert("email_verified".into(), json!(false));
                claims.insert("clientHost".into(), json!("127.0.0.1"));
                claims.insert(
                    "preferred_username".into(),
                    json!(service_account_username(&input.client.id)),
                );
                claims.insert("clientAddress".into(), json!("127.0.0.1"));
                claims.insert("client_id".into(), json!(input.client.id));
            }
        }
        claims
    }

    fn id_token_claims(&self, input: &IdTokenInput<'_>) -> Map<String, Value> {
        let mut claims = Map::new();
        claims.insert("exp".into(), json!(input.expires_at));
        claims.insert("iat".into(), json!(input.issued_at));
        if input.login != Some(GrantType::Password) {
            claims.insert("auth_time".into(), json!(input.auth_time));
        }
        claims.insert("jti".into(), json!(input.jti));
        claims.insert("iss".into(), json!(input.issuer));
        claims.insert("aud".into(), json!(input.client.id));
        claims.insert("sub".into(), json!(input.user.id));
        claims.insert("typ".into(), json!("ID"));
        claims.insert("azp".into(), json!(input.client.id));
        if let Some(nonce) = input.nonce {
            claims.insert("nonce".into(), json!(nonce));
        }
        if let Some(sid) = input.session_id {
            claims.insert("sid".into(), json!(sid));
        }
        if let Some(at_hash) = input.at_hash {
            claims.insert("at_hash".into(), json!(at_hash));
        }
        claims.insert("acr".into(), json!("1"));
        claims.extend(profile_claims(input.user, input.scopes));
        claims
    }

    fn userinfo(&self, user: &User, scopes: &[String]) -> Map<String, Value> {
        let mut claims = Map::new();
        claims.insert("sub".into(), json!(user.id));
        claims.extend(profile_claims(user, scopes));
        claims
    }

    fn introspection(&self, input: &IntrospectionInput<'_>) -> Map<String, Value> {
        let mut body = input.claims.clone();
        if input.refresh_token {
            body.insert("typ".into(), json!("Refresh"));
        }
        let client = input
            .claims
            .get("client_id")
            .or_else(|| input.claims.get("azp"))
            .cloned()
            .unwrap_or(Value::Null);
        body.insert("client_id".into(), client);
        if let Some(username) = input.username {
            body.insert("username".into(), json!(username));
        }
        // A DPoP-bound access token's type is DPoP (its `typ` claim says so).
        let token_type = if input.refresh_token {
            "Refresh"
        } else if QUIRKS.is_bound_access_token(input.claims) {
            "DPoP"
        } else {
            "Bearer"
        };
        body.insert("token_type".into(), json!(token_type));
        body.insert("active".into(), json!(true));
        body
    }

    fn token_response(&self, input: &TokenResponseInput<'_>) -> Map<String, Value> {
        let mut body = Map::new();
        body.insert("access_token".into(), json!(input.access_token));
        body.insert("expires_in".into(), json!(input.expires_in));
        body.insert(
            "refresh_expires_in".into(),
            json!(input.refresh_expires_in.unwrap_or(0)),
        );
        if let Some(refresh) = input.refresh_token {
            body.insert("refresh_token".into(), json!(refresh));
        }
        body.insert("token_type".into(), json!("Bearer"));
        if let Some(id_token) = input.id_token {
            body.insert("id_token".into(), json!(id_token));
        }
        body.insert("not-before-policy".into(), json!(0));
        if let Some(session) = input.session_id {
            body.insert("session_state".into(), json!(session));
        }
        body.insert("scope".into(), json!(input.scope));
        body
    }

    fn error_response(&self, kind: &ErrorKind, detail: &str, realm: &str) -> ErrorResponse {
        let invalid_client = "Invalid client or Invalid client credentials";
        let json = |status: u16, error: &str, description: &str| ErrorResponse::json(status, error, description, None);
        let bare = |status: u16, error: &str| ErrorResponse {
            status,
            body: Some(json!({ "error": error })),
            content_type: crate::error::JSON,
            www_authenticate: None,
        };
        let bearer = |status: u16, attributes: String| ErrorResponse {
            status,
            body: None,
            content_type: "text/plain;charset=utf-8",
            www_authenticate: Some(format!("Bearer realm=\"{realm}\"{attributes}")),
        };
        match kind {
            ErrorKind::BadClientSecret { .. } => json(401, "unauthorized_client", invalid_client),
            ErrorKind::UnknownClient { .. } => json(401, "invalid_client", invalid_client),
            ErrorKind::MissingClientAuth => json(401, "unauthorized_client", "Client secret not provided in request"),
            ErrorKind::UnsupportedGrantType { .. } => json(400, "unsupported_grant_type", "Unsupported grant_type"),
            ErrorKind::UnauthorizedGrant {
                grant: GrantType::ClientCredentials,
            } => json(
                401,
                "unauthorized_client",
                "Client not enabled to retrieve service account",
            ),
            ErrorKind::UnauthorizedGrant {
                grant: GrantType::Password,
            } => json(
                400,
                "unauthorized_client",
                "Client not allowed for direct access grants",
            ),
            // DeviceGrantType.oauth2DeviceFlow: the device flow disabled for the client.
            ErrorKind::UnauthorizedGrant {
                grant: GrantType::DeviceCode,
            } => json(400, "invalid_grant", "Client not allowed OAuth 2.0 Device Authorization Grant"),
            ErrorKind::UnauthorizedGrant { .. } => json(400, "unauthorized_client", &sanitize_description(detail)),
            ErrorKind::InvalidCode => json(400, "invalid_grant", "Code not valid"),
            ErrorKind::PkceMismatch | ErrorKind::PkceVerifierMissing => json(400, "invalid_grant", "PKCE verification failed"),
            ErrorKind::RedirectUriMismatch => json(400, "invalid_grant", "Incorrect redirect_uri"),
            ErrorKind::InvalidRefreshToken => json(400, "invalid_grant", "Invalid refresh token"),
            ErrorKind::InvalidUserCredentials { .. } => json(400, "invalid_grant", "Invalid user credentials"),
            ErrorKind::UserDisabled { .. } => json(400, "invalid_grant", "Account disabled"),
            ErrorKind::InvalidScope => json(400, "invalid_scope", &sanitize_description(detail)),
            ErrorKind::MissingBearer => bearer(401, String::new()),
            ErrorKind::BearerInSeveralPlaces => bearer(
                400,
                ", error=\"invalid_request\", error_description=\"More than one method used for including an access token\"".into(),
            ),
            ErrorKind::InvalidBearer => bearer(
                401,
                ", error=\"invalid_token\", error_description=\"Token verification failed\"".into(),
            ),
            ErrorKind::InsufficientScope { .. } => bearer(
                403,
                ", error=\"insufficient_scope\", error_description=\"Missing openid scope\"".into(),
            ),
            ErrorKind::IntrospectionUnauthenticated => json(401, "invalid_client", invalid_client),
            ErrorKind::IntrospectionForbidden => json(403, "invalid_request", "Client not allowed."),
            ErrorKind::UnknownRealm => bare(404, "Realm does not exist"),
            ErrorKind::NotFound => bare(404, "HTTP 404 Not Found"),
            ErrorKind::MethodNotAllowed => bare(405, "HTTP 405 Method Not Allowed"),
            other => generic::error_response(other, detail, realm),
        }
    }

    fn read_grants(&self, claims: &Map<String, Value>, resource: Option<&str>) -> Grants {
        let roles = string_array(
            claims
                .get("realm_access")
                .and_then(Value::as_object)
                .and_then(|access| access.get("roles")),
        );
        let client_roles = match resource {
            Some(resource) => string_array(
                claims
                    .get("resource_access")
                    .and_then(Value::as_object)
                    .and_then(|access| access.get(resource))
                    .and_then(Value::as_object)
                    .and_then(|entry| entry.get("roles")),
            ),
            None => Vec::new(),
        };
        Grants {
            scopes: scope_tokens(claims.get("scope")),
            roles,
            client_roles,
            client_id: string_claim(claims, "azp").or_else(|| string_claim(claims, "client_id")),
        }
    }
}

/// Keycloak 26 prefixes access-token ids with the grant that issued them: `onrtac:` (code),
/// `onrtro:` (password), `onrtrt:` (refresh), `trrtcc:` (client credentials); all four
/// recorded from Keycloak 26.7.3.
fn jti(grant: Option<GrantType>, id: &str) -> String {
    match grant {
        Some(GrantType::Password) => format!("onrtro:{id}"),
        Some(GrantType::ClientCredentials) => format!("trrtcc:{id}"),
        Some(GrantType::AuthorizationCode) => format!("onrtac:{id}"),
        Some(GrantType::RefreshToken) => format!("onrtrt:{id}"),
        // DeviceGrantTypeFactory.GRANT_SHORTCUT `dg` (source, not yet recorded).
        Some(GrantType::DeviceCode) => format!("onrtdg:{id}"),
        // TokenExchangeGrantTypeFactory.getShortcut `te` (source, not yet recorded).
        Some(GrantType::TokenExchange) => format!("onrtte:{id}"),
        // The Keycloak flavor does not imitate Keycloak's JWT authorization grant.
        Some(GrantType::JwtBearer) | None => id.to_owned(),
    }
}

/// The profile and email claims Keycloak's default `profile`, `email` (and `basic`) scopes map.
fn profile_claims(user: &User, scopes: &[String]) -> Map<String, Value> {
    let has = |scope: &str| scopes.iter().any(|s| s == scope);
    let mut claims = Map::new();
    if has("email") {
        claims.insert("email_verified".into(), json!(user.email_verified));
    }
    if has("profile") {
        if let Some(name) = &user.name {
            claims.insert("name".into(), json!(name));
        }
        claims.insert("preferred_username".into(), json!(user.username));
        if let Some(given) = &user.given_name {
            claims.insert("given_name".into(), json!(given));
        }
        if let Some(family) = &user.family_name {
            claims.insert("family_name".into(), json!(family));
        }
    } else {
        claims.insert("preferred_username".into(), json!(user.username));
    }
    if let (true, Some(email)) = (has("email"), &user.email) {
        claims.insert("email".into(), json!(email));
    }
    claims
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
    fn another_clients_roles_never_count() {
        let claims = map(json!({
            "azp": "web-app",
            "scope": "openid email",
            "realm_access": {"roles": ["user"]},
            "resource_access": {"api": {"roles": ["read:messages"]}, "other": {"roles": ["admin"]}}
        }));
        let grants = Keycloak.read_grants(&claims, Some("api"));
        assert_eq!(grants.roles, ["user"]);
        assert_eq!(grants.client_roles, ["read:messages"]);
        assert_eq!(grants.client_id.as_deref(), Some("web-app"));
        assert!(!grants.roles.contains(&"admin".to_owned()));
        assert!(!grants.client_roles.contains(&"admin".to_owned()));
        let unnamed = Keycloak.read_grants(&claims, None);
        assert_eq!(unnamed.roles, ["user"]);
        assert!(unnamed.client_roles.is_empty());
    }

    #[test]
    fn client_roles_are_kept_apart_from_realm_roles() {
        let claims = map(json!({
            "realm_access": {"roles": ["user"]},
            "resource_access": {"api": {"roles": ["admin"]}}
        }));
        let grants = Keycloak.read_grants(&claims, Some("api"));
        assert_eq!(grants.roles, ["user"], "a client role named admin is no realm role");
        assert_eq!(grants.client_roles, ["admin"]);
    }

    #[test]
    fn a_roles_claim_of_the_wrong_shape_gives_no_roles() {
        let claims = map(json!({"realm_access": {"roles": "admin"}, "resource_access": {"api": ["admin"]}}));
        let grants = Keycloak.read_grants(&claims, Some("api"));
        assert!(grants.roles.is_empty() && grants.client_roles.is_empty());
    }

    #[test]
    fn a_wrong_secret_is_401_unauthorized_client() {
        let response = Keycloak.error_response(&ErrorKind::BadClientSecret { basic: true }, "x", "demo");
        assert_eq!(response.status, 401);
        assert_eq!(response.error_code(), Some("unauthorized_client"));
    }

    #[test]
    fn service_account_ids_are_stable_uuids() {
        let id = service_account_id("demo", "service");
        assert_eq!(id, service_account_id("demo", "service"));
        assert_ne!(id, service_account_id("demo", "api"));
        assert_eq!(id.len(), 36);
        assert_eq!(id.matches('-').count(), 4);
    }
}
