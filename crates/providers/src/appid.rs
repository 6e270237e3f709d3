//! IBM Cloud App ID (OAuth v4).
//!
//! Sources: `shared/research/appid-ztrust.md` §1 (App ID docs, IBM's Node and SPA SDKs, IBM's
//! Postman collection, a recorded v4 token response). Facts marked *unverified* in
//! `docs/providers.md` await a live tenant.
//!
//! - Issuer `{public_url}/oauth/v4/{tenantId}` (the realm is the tenant); JWKS at `/publickeys`,
//!   authorization at `/authorization`, SSO logout at `/cloud_directory/sso/logout`.
//! - Every JWT carries header `ver: 4`; `aud` is always an array; access tokens carry `tenant`,
//!   `amr` and the `appid_*` scopes and no `jti`; roles are mapped into a `roles` claim.
//! - Token requests may be form-urlencoded, multipart or JSON; the SPA SDK sends
//!   `client_id:code_verifier` as its Basic credentials.
//! - The profile attributes API lives on the host root at `/api/v1/attributes`.

use crate::ProviderMetadata;
use crate::claims::{AccessTokenInput, DiscoveryInput, IdTokenInput, IntrospectionInput, TokenResponseInput};
use crate::reader::{scope_tokens, string_array};
use crate::{
    BodyFormats, Client, Deviation, Endpoint, ErrorKind, ErrorResponse, Flavor, GrantType, Grants, LogoutConfirmation,
    Quirks, Site, User,
};
use serde_json::{Map, Value, json};

/// IBM Cloud App ID's facts.
#[derive(Debug, Clone, Copy)]
pub struct AppId;

/// Scopes every App ID user token carries.
pub const USER_SCOPES: [&str; 6] = [
    "openid",
    "appid_default",
    "appid_readprofile",
    "appid_readuserattr",
    "appid_writeuserattr",
    "appid_authenticated",
];

/// The identity-provider record App ID lists in ID tokens and userinfo.
/// The identity provider a token's user signed in with: `appid_custom` for a custom identity
/// (the JWT bearer grant, custom-identity.md), else Cloud Directory.
fn identity_provider(grant: Option<GrantType>) -> &'static str {
    if grant == Some(GrantType::JwtBearer) {
        "appid_custom"
    } else {
        "cloud_directory"
    }
}

fn identities(user: &User, grant: Option<GrantType>) -> Value {
    json!([{ "provider": identity_provider(grant), "id": user.id }])
}

/// IBM Cloud App ID's behaviour facts.
pub const QUIRKS: Quirks = Quirks {
    // App ID documents no back-channel logout.
    backchannel_logout: None,
    // In the order of IBM's documented discovery document (well-known.md); jwt-bearer is the
    // custom identity flow (crate::jwt_bearer::APPID_CUSTOM).
    grant_types: &[
        GrantType::AuthorizationCode,
        GrantType::Password,
        GrantType::RefreshToken,
        GrantType::ClientCredentials,
        GrantType::JwtBearer,
    ],
    // GET {issuer}/cloud_directory/sso/logout ends the SSO session and redirects at once.
    logout_confirmation: LogoutConfirmation::Never,
    authorization_response_iss: false,
    logout_redirect_param: "redirect_uri",
    token_body_formats: BodyFormats::FormMultipartOrJson,
    // IBM's own Postman collection (appid-postman `app-id.postman_collection.json`,
    // "OAuth2/OIDC/v4 / Introspection") posts `/introspect` as form-data (multipart); IBM's docs
    // (`tokens.md`) as form-urlencoded. Nothing IBM wrote sends it JSON.
    introspection_body_formats: BodyFormats::FormOrMultipart,
    // Any app introspects with its own client id and secret (IBM docs `tokens.md` "Using the App
    // ID APIs"; the Postman collection's `/introspect` calls use the app's credentials).
    introspection_needs_permission: false,
    public_client_basic_verifier: true,
    // IBM's documented discovery document (well-known.md) lists no PKCE methods.
    deviations: &[Deviation::PkceMethodsNotAdvertised],
    access_token_typ: "JWT",
    // App ID access tokens carry no `jti` and no `client_id` (the client is `aud[0]`).
    required_access_token_claims: &["iss", "exp", "aud", "sub", "iat", "tenant"],
    jwt_header_ver: Some(4),
    device: None,
    // IBM documents HTTP Basic client authentication only (tokens.md, app-to-app.md).
    accepts_client_secret_jwt: false,
    accepts_private_key_jwt: false,
    client_jwks_uri: false,
    // No DPoP: a `DPoP` header is ignored and tokens stay bearer tokens.
    dpop: None,
    ..Quirks::STANDARD
};

/// The member order of App ID's documented discovery document (well-known.md).
const DISCOVERY_ORDER: [&str; 14] = [
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "subject_types_supported",
    "id_token_signing_alg_values_supported",
    "userinfo_endpoint",
    "scopes_supported",
    "response_types_supported",
    "claims_supported",
    "grant_types_supported",
    "code_challenge_methods_supported",
    "profiles_endpoint",
    "service_documentation",
];

/// `service_documentation` of App ID's documented document (well-known.md).
const SERVICE_DOCUMENTATION: &str = "https://cloud.ibm.com/docs/appid?topic=appid-getting-started";

/// `claims_supported` of App ID's document.
const DISCOVERY_CLAIMS: [&str; 9] = [
    "iss",
    "aud",
    "exp",
    "tenant",
    "iat",
    "sub",
    "nonce",
    "amr",
    "oauth_client",
];

impl Flavor for AppId {
    fn quirks(&self) -> &'static Quirks {
        &QUIRKS
    }

    fn route(&self, endpoint: Endpoint) -> Option<&'static str> {
        match endpoint {
            Endpoint::Discovery => Some("/oauth/v4/{realm}/.well-known/openid-configuration"),
            Endpoint::AuthorizationServerMetadata => None,
            Endpoint::Jwks => Some("/oauth/v4/{realm}/publickeys"),
            Endpoint::Authorize => Some("/oauth/v4/{realm}/authorization"),
            Endpoint::Login => Some("/oauth/v4/{realm}/cloud_directory/login"),
            Endpoint::Token => Some("/oauth/v4/{realm}/token"),
            Endpoint::Userinfo => Some("/oauth/v4/{realm}/userinfo"),
            Endpoint::Introspect => Some("/oauth/v4/{realm}/introspect"),
            Endpoint::Revoke => Some("/oauth/v4/{realm}/revoke"),
            Endpoint::EndSession => Some("/oauth/v4/{realm}/cloud_directory/sso/logout"),
            // App ID has no device authorization grant.
            // Nor pushed authorization requests.
            Endpoint::DeviceAuthorization | Endpoint::DeviceVerification | Endpoint::PushedAuthorization => None,
            // On the host root: the tenant comes from the access token.
            Endpoint::ProfileAttributes => Some("/api/v1/attributes"),
        }
    }

    fn issuer(&self, site: &Site) -> String {
        format!("{}/oauth/v4/{}", site.base(), site.realm)
    }

    fn granted_scopes(&self, _client: &Client, for_user: bool, requested: Vec<String>) -> Vec<String> {
        let defaults: &[&str] = if for_user { &USER_SCOPES } else { &["appid_default"] };
        let mut scopes: Vec<String> = defaults.iter().map(|scope| (*scope).to_owned()).collect();
        for scope in requested {
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        scopes
    }

    fn metadata(&self, input: &DiscoveryInput<'_>, quirks: &Quirks) -> ProviderMetadata {
        let mut extra = Map::new();
        extra.insert("profiles_endpoint".into(), json!(input.site.base()));
        // IBM's document also has `management_endpoint` ({host}/management/v4/{tenant}), an
        // IAM-authenticated API the mock does not serve, so it is left out.
        extra.insert("service_documentation".into(), json!(SERVICE_DOCUMENTATION));
        // IBM's documented document (well-known.md) names no introspection, revocation or
        // logout endpoint and no client authentication methods, although the mock serves them.
        ProviderMetadata {
            scopes_supported: Some(vec!["openid".into()]),
            claims_supported: Some(DISCOVERY_CLAIMS.to_vec()),
            introspection_endpoint: None,
            revocation_endpoint: None,
            end_session_endpoint: None,
            response_modes_supported: None,
            token_endpoint_auth_methods_supported: None,
            introspection_endpoint_auth_methods_supported: None,
            revocation_endpoint_auth_methods_supported: None,
            prompt_values_supported: None,
            claims_parameter_supported: None,
            request_parameter_supported: None,
            request_uri_parameter_supported: None,
            backchannel_logout_supported: None,
            frontchannel_logout_supported: None,
            extra,
            ..ProviderMetadata::standard(input, quirks)
        }
    }

    fn metadata_order(&self) -> &'static [&'static str] {
        &DISCOVERY_ORDER
    }

    fn access_token_claims(&self, input: &AccessTokenInput<'_>) -> Map<String, Value> {
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(input.issuer));
        claims.insert("exp".into(), json!(input.expires_at));
        let mut audiences = vec![input.client.id.clone()];
        audiences.extend(input.audiences.iter().filter(|aud| **aud != input.client.id).cloned());
        claims.insert("aud".into(), json!(audiences));
        match input.user {
            Some(user) => {
                claims.insert("sub".into(), json!(user.id));
                claims.insert("email_verified".into(), json!(user.email_verified));
                claims.insert("amr".into(), json!([identity_provider(input.grant)]));
            }
            None => {
                claims.insert("sub".into(), json!(input.client.id));
                claims.insert("amr".into(), json!(["appid_client_credentials"]));
            }
        }
        claims.insert("iat".into(), json!(input.issued_at));
        claims.insert("tenant".into(), json!(input.realm.name));
        claims.insert("scope".into(), json!(input.scopes.join(" ")));
        let roles = input
            .user
            .map_or(&input.client.service_account_roles, |user| &user.realm_roles);
        if !roles.is_empty() {
            claims.insert("roles".into(), json!(roles));
        }
        claims
    }

    fn id_token_claims(&self, input: &IdTokenInput<'_>) -> Map<String, Value> {
        let user = input.user;
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(input.issuer));
        claims.insert("aud".into(), json!([input.client.id]));
        claims.insert("exp".into(), json!(input.expires_at));
        claims.insert("tenant".into(), json!(input.realm.name));
        claims.insert("iat".into(), json!(input.issued_at));
        if let Some(email) = &user.email {
            claims.insert("email".into(), json!(email));
        }
        if let Some(name) = &user.name {
            claims.insert("name".into(), json!(name));
        }
        claims.insert("sub".into(), json!(user.id));
        claims.insert("email_verified".into(), json!(user.email_verified));
        if let Some(given) = &user.given_name {
            claims.insert("given_name".into(), json!(given));
        }
        if let Some(family) = &user.family_name {
            claims.insert("family_name".into(), json!(family));
        }
        claims.insert("identities".into(), identities(user, input.grant));
        claims.insert("amr".into(), json!([identity_provider(input.grant)]));
        if let Some(nonce) = input.nonce {
            claims.insert("nonce".into(), json!(nonce));
        }
        claims
    }

    fn userinfo(&self, user: &User, _scopes: &[String]) -> Map<String, Value> {
        let mut claims = Map::new();
        claims.insert("sub".into(), json!(user.id));
        if let Some(name) = &user.name {
            claims.insert("name".into(), json!(name));
        }
        if let Some(email) = &user.email {
            claims.insert("email".into(), json!(email));
        }
        if let Some(given) = &user.given_name {
            claims.insert("given_name".into(), json!(given));
        }
        if let Some(family) = &user.family_name {
            claims.insert("family_name".into(), json!(family));
        }
        // Userinfo does not know how the token's user signed in: the World's users are Cloud
        // Directory users.
        claims.insert("identities".into(), identities(user, None));
        claims
    }

    fn introspection(&self, _input: &IntrospectionInput<'_>) -> Map<String, Value> {
        // App ID documents only `{"active": true}`.
        let mut body = Map::new();
        body.insert("active".into(), json!(true));
        body
    }

    fn token_response(&self, input: &TokenResponseInput<'_>) -> Map<String, Value> {
        let mut body = Map::new();
        body.insert("access_token".into(), json!(input.access_token));
        if let Some(id_token) = input.id_token {
            body.insert("id_token".into(), json!(id_token));
        }
        body.insert("token_type".into(), json!("Bearer"));
        body.insert("expires_in".into(), json!(input.expires_in));
        if let Some(refresh) = input.refresh_token {
            body.insert("refresh_token".into(), json!(refresh));
        }
        body.insert("scope".into(), json!(input.scope));
        body
    }

    fn error_response(&self, kind: &ErrorKind, detail: &str, realm: &str) -> ErrorResponse {
        match kind {
            // IBM's own SDK test mock answers bad ROPC credentials and bad refresh tokens with 401.
            ErrorKind::InvalidUserCredentials { .. } | ErrorKind::UserDisabled { .. } => {
                ErrorResponse::json(401, "invalid_grant", "wrong credentials", None)
            }
            ErrorKind::InvalidRefreshToken => ErrorResponse::json(401, "invalid_grant", "invalid grant", None),
            other => crate::generic::error_response(other, detail, realm),
        }
    }

    fn read_grants(&self, claims: &Map<String, Value>, _resource: Option<&str>) -> Grants {
        let client_id = match claims.get("aud") {
            Some(Value::Array(audiences)) => audiences.first().and_then(Value::as_str).map(str::to_owned),
            _ => None,
        };
        Grants {
            scopes: scope_tokens(claims.get("scope")),
            roles: string_array(claims.get("roles")),
            client_roles: Vec::new(),
            client_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_tokens_get_the_appid_scopes_and_service_tokens_appid_default() {
        let world = crate::World::default_world().unwrap();
        let client = world.realm("demo").unwrap().client("web-app").unwrap();
        let user = AppId.granted_scopes(client, true, vec!["email".into()]);
        assert_eq!(user[..6], USER_SCOPES.map(String::from));
        assert_eq!(user[6], "email");
        assert_eq!(AppId.granted_scopes(client, false, vec![]), ["appid_default"]);
    }

    #[test]
    fn the_client_is_the_first_audience() {
        let claims = match json!({"aud": ["web-app"], "scope": "openid appid_default", "roles": ["admin"]}) {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        let grants = AppId.read_grants(&claims, None);
        assert_eq!(grants.client_id.as_deref(), Some("web-app"));
        assert_eq!(grants.roles, ["admin"]);
        assert!(grants.scopes.contains(&"appid_default".to_owned()));
    }
}
