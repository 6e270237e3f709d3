//! WSO2 Identity Server 7.x.
//!
//! Sources: `shared/research/providers.md` §4 (source reads of identity-inbound-auth-oauth,
//! docs, recorded IS 7 tokens). Facts marked *unverified* in `docs/providers.md` await a real
//! server.
//!
//! - The issuer is the token endpoint: `{public_url}/oauth2/token` for the default realm (the
//!   super tenant `carbon.super`), `{public_url}/t/{tenant}/oauth2/token` for the others.
//! - Access tokens are opaque by default and JWTs per application, with header `typ: at+jwt`,
//!   claims `aut`, `azp`, `client_id`, `org_id`/`org_name`/`org_handle`, roles in `roles`.
//! - Error bodies put `error_description` first; an unknown grant type is `invalid_request`.
//! - Introspection: the mock accepts client credentials (WSO2 needs the documented
//!   `deployment.toml` change for that; by default it wants a user's Basic credentials).

pub mod setup;

pub use setup::setup_notes;

use crate::ProviderMetadata;
use crate::claims::{
    AccessTokenInput, DiscoveryInput, IdTokenInput, IntrospectionInput, TokenResponseInput, audience_value,
    stable_uuid, standard_user_claims,
};
use crate::error::sanitize_description;
use crate::metadata::SECRET_AUTH;
use crate::reader::{scope_tokens, string_array, string_claim};
use crate::{
    Endpoint, ErrorKind, ErrorResponse, Flavor, Grants, LogoutConfirmation, Quirks, Realm, RefreshRevocation, Site,
    TokenFormat, User,
};
use serde_json::{Map, Value, json};

/// WSO2 Identity Server's facts.
#[derive(Debug, Clone, Copy)]
pub struct Wso2;

/// The super organisation's id, the same on every installation.
pub const SUPER_ORG_ID: &str = "10084a8d-113f-4211-a0d5-efe36b082211";

/// `(org_id, org_name, org_handle)` of a realm: the default realm is the super tenant.
pub fn organisation(realm: &Realm, is_default: bool) -> (String, String, String) {
    if is_default {
        (SUPER_ORG_ID.to_owned(), "Super".to_owned(), "carbon.super".to_owned())
    } else {
        (
            stable_uuid(&format!("wso2:org:{}", realm.name)),
            realm.display_name.clone(),
            realm.name.clone(),
        )
    }
}

fn insert_organisation(claims: &mut Map<String, Value>, realm: &Realm, is_default: bool) {
    let (id, name, handle) = organisation(realm, is_default);
    claims.insert("org_id".into(), json!(id));
    claims.insert("org_name".into(), json!(name));
    claims.insert("org_handle".into(), json!(handle));
}

/// `{"error_description": …, "error": …}`: WSO2's (Apache Oltu's) member order.
fn oltu(status: u16, error: &str, description: &str, www_authenticate: Option<String>) -> ErrorResponse {
    let mut body = Map::new();
    body.insert("error_description".into(), json!(sanitize_description(description)));
    body.insert("error".into(), json!(error));
    ErrorResponse {
        status,
        body: Some(Value::Object(body)),
        content_type: crate::error::JSON,
        www_authenticate,
    }
}

/// WSO2 Identity Server's behaviour facts.
pub const QUIRKS: Quirks = Quirks {
    // /oidc/logout sends the browser to its logout consent page unless consent is skipped
    // (OIDCLogoutServlet, `skipLogoutConsent` defaults to false).
    logout_confirmation: LogoutConfirmation::Always,
    refresh_revocation: RefreshRevocation::CurrentTokenOnly,
    authorization_response_iss: false,
    default_access_token_format: TokenFormat::Opaque,
    required_access_token_claims: &["iss", "sub", "aud", "exp", "iat", "client_id", "jti"],
    introspection_carries_roles: false,
    ..Quirks::STANDARD
};

/// The member order of WSO2 Identity Server's discovery document.
const DISCOVERY_ORDER: [&str; 23] = [
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "revocation_endpoint",
    "revocation_endpoint_auth_methods_supported",
    "introspection_endpoint",
    "introspection_endpoint_auth_methods_supported",
    "jwks_uri",
    "scopes_supported",
    "response_types_supported",
    "response_modes_supported",
    "grant_types_supported",
    "subject_types_supported",
    "id_token_signing_alg_values_supported",
    "token_endpoint_auth_methods_supported",
    "request_parameter_supported",
    "claims_parameter_supported",
    "claims_supported",
    "end_session_endpoint",
    "backchannel_logout_supported",
    "frontchannel_logout_supported",
    "code_challenge_methods_supported",
];

/// `claims_supported` of WSO2's document.
const DISCOVERY_CLAIMS: [&str; 9] = [
    "name",
    "given_name",
    "family_name",
    "preferred_username",
    "email",
    "email_verified",
    "sub",
    "iss",
    "acr",
];

impl Flavor for Wso2 {
    fn quirks(&self) -> &'static Quirks {
        &QUIRKS
    }

    fn route(&self, endpoint: Endpoint) -> Option<&'static str> {
        Some(match endpoint {
            Endpoint::Discovery => "/t/{realm}/oauth2/token/.well-known/openid-configuration",
            Endpoint::AuthorizationServerMetadata => "/.well-known/oauth-authorization-server/t/{realm}/oauth2/token",
            Endpoint::Jwks => "/t/{realm}/oauth2/jwks",
            Endpoint::Authorize => "/t/{realm}/oauth2/authorize",
            Endpoint::Login => "/t/{realm}/commonauth",
            Endpoint::Token => "/t/{realm}/oauth2/token",
            Endpoint::Userinfo => "/t/{realm}/oauth2/userinfo",
            Endpoint::Introspect => "/t/{realm}/oauth2/introspect",
            Endpoint::Revoke => "/t/{realm}/oauth2/revoke",
            Endpoint::EndSession => "/t/{realm}/oidc/logout",
        })
    }

    fn default_realm_route(&self, endpoint: Endpoint) -> Option<&'static str> {
        Some(match endpoint {
            Endpoint::Discovery => "/oauth2/token/.well-known/openid-configuration",
            Endpoint::AuthorizationServerMetadata => "/.well-known/oauth-authorization-server/oauth2/token",
            Endpoint::Jwks => "/oauth2/jwks",
            Endpoint::Authorize => "/oauth2/authorize",
            Endpoint::Login => "/commonauth",
            Endpoint::Token => "/oauth2/token",
            Endpoint::Userinfo => "/oauth2/userinfo",
            Endpoint::Introspect => "/oauth2/introspect",
            Endpoint::Revoke => "/oauth2/revoke",
            Endpoint::EndSession => "/oidc/logout",
        })
    }

    fn issuer(&self, site: &Site) -> String {
        let base = site.base();
        if site.is_default {
            format!("{base}/oauth2/token")
        } else {
            format!("{base}/t/{}/oauth2/token", site.realm)
        }
    }

    fn metadata(&self, input: &DiscoveryInput<'_>, quirks: &Quirks) -> ProviderMetadata {
        ProviderMetadata {
            token_endpoint_auth_methods_supported: Some(SECRET_AUTH.to_vec()),
            revocation_endpoint_auth_methods_supported: Some(SECRET_AUTH.to_vec()),
            claims_supported: Some(DISCOVERY_CLAIMS.to_vec()),
            prompt_values_supported: None,
            request_uri_parameter_supported: None,
            ..ProviderMetadata::standard(input, quirks)
        }
    }

    fn metadata_order(&self) -> &'static [&'static str] {
        &DISCOVERY_ORDER
    }

    fn access_token_claims(&self, input: &AccessTokenInput<'_>) -> Map<String, Value> {
        let mut claims = Map::new();
        let subject = input.user.map_or(input.client.id.as_str(), |user| user.id.as_str());
        claims.insert("sub".into(), json!(subject));
        let aut = if input.user.is_some() {
            "APPLICATION_USER"
        } else {
            "APPLICATION"
        };
        claims.insert("aut".into(), json!(aut));
        claims.insert("iss".into(), json!(input.issuer));
        claims.insert("client_id".into(), json!(input.client.id));
        let mut audiences = vec![input.client.id.clone()];
        audiences.extend(input.audiences.iter().filter(|aud| **aud != input.client.id).cloned());
        claims.insert("aud".into(), audience_value(&audiences));
        claims.insert("nbf".into(), json!(input.issued_at));
        claims.insert("azp".into(), json!(input.client.id));
        claims.insert("scope".into(), json!(input.scopes.join(" ")));
        claims.insert("exp".into(), json!(input.expires_at));
        claims.insert("iat".into(), json!(input.issued_at));
        claims.insert("jti".into(), json!(input.jti));
        insert_organisation(&mut claims, input.realm, input.site.is_default);
        let roles = input
            .user
            .map_or(&input.client.service_account_roles, |user| &user.realm_roles);
        if !roles.is_empty() {
            claims.insert("roles".into(), json!(roles));
        }
        claims
    }

    fn id_token_claims(&self, input: &IdTokenInput<'_>) -> Map<String, Value> {
        let mut claims = Map::new();
        claims.insert("isk".into(), json!(input.session_id.unwrap_or_default()));
        claims.insert("at_hash".into(), json!(input.at_hash.unwrap_or_default()));
        claims.insert("sub".into(), json!(input.user.id));
        claims.insert("amr".into(), json!(["BasicAuthenticator"]));
        claims.insert("iss".into(), json!(input.issuer));
        claims.insert("sid".into(), json!(input.session_id.unwrap_or_default()));
        claims.insert("aud".into(), json!(input.client.id));
        claims.insert("azp".into(), json!(input.client.id));
        claims.insert("auth_time".into(), json!(input.auth_time));
        claims.insert("exp".into(), json!(input.expires_at));
        claims.insert("iat".into(), json!(input.issued_at));
        claims.insert("jti".into(), json!(input.jti));
        if let Some(nonce) = input.nonce {
            claims.insert("nonce".into(), json!(nonce));
        }
        insert_organisation(&mut claims, input.realm, input.site.is_default);
        claims.extend(standard_user_claims(input.user, input.scopes));
        claims
    }

    fn userinfo(&self, user: &User, scopes: &[String]) -> Map<String, Value> {
        let mut claims = Map::new();
        claims.insert("sub".into(), json!(user.id));
        claims.extend(standard_user_claims(user, scopes));
        claims
    }

    fn introspection(&self, input: &IntrospectionInput<'_>) -> Map<String, Value> {
        let mut body = Map::new();
        if let (false, Some(aut)) = (input.refresh_token, input.claims.get("aut")) {
            body.insert("aut".into(), aut.clone());
        }
        for member in ["nbf", "scope"] {
            if let Some(value) = input.claims.get(member) {
                body.insert(member.into(), value.clone());
            }
        }
        body.insert("active".into(), json!(true));
        let token_type = match (input.refresh_token, input.jwt) {
            (true, _) => "Refresh",
            (false, true) => "JWT",
            (false, false) => "Bearer",
        };
        body.insert("token_type".into(), json!(token_type));
        for member in ["exp", "iat", "client_id"] {
            if let Some(value) = input.claims.get(member) {
                body.insert(member.into(), value.clone());
            }
        }
        if let Some(username) = input.username {
            let tenant = input
                .claims
                .get("org_handle")
                .and_then(Value::as_str)
                .unwrap_or("carbon.super");
            body.insert("username".into(), json!(format!("{username}@{tenant}")));
        }
        if input.jwt {
            for member in ["jti", "sub", "iss"] {
                if let Some(value) = input.claims.get(member) {
                    body.insert(member.into(), value.clone());
                }
            }
        }
        body
    }

    fn token_response(&self, input: &TokenResponseInput<'_>) -> Map<String, Value> {
        let mut body = Map::new();
        body.insert("access_token".into(), json!(input.access_token));
        if let Some(refresh) = input.refresh_token {
            body.insert("refresh_token".into(), json!(refresh));
        }
        body.insert("scope".into(), json!(input.scope));
        if let Some(id_token) = input.id_token {
            body.insert("id_token".into(), json!(id_token));
        }
        body.insert("token_type".into(), json!("Bearer"));
        body.insert("expires_in".into(), json!(input.expires_in));
        body
    }

    fn error_response(&self, kind: &ErrorKind, detail: &str, realm: &str) -> ErrorResponse {
        let basic = || Some(format!("Basic realm=\"{realm}\""));
        match kind {
            ErrorKind::BadClientSecret { .. }
            | ErrorKind::UnknownClient { .. }
            | ErrorKind::IntrospectionUnauthenticated => {
                oltu(401, "invalid_client", "Client credentials are invalid.", basic())
            }
            ErrorKind::MissingClientAuth | ErrorKind::IntrospectionForbidden => {
                oltu(401, "invalid_client", "Client ID not found in the request.", basic())
            }
            ErrorKind::UnsupportedGrantType => oltu(400, "invalid_request", "Unsupported grant_type value", None),
            ErrorKind::UnauthorizedGrant { .. } => oltu(
                400,
                "unauthorized_client",
                "The authenticated client is not authorized to use this authorization grant type",
                None,
            ),
            ErrorKind::InvalidCode => oltu(
                400,
                "invalid_grant",
                "Invalid authorization code received from token request",
                None,
            ),
            ErrorKind::PkceMismatch => oltu(400, "invalid_grant", "PKCE validation failed", None),
            ErrorKind::RedirectUriMismatch => oltu(400, "invalid_grant", "Callback url mismatch", None),
            ErrorKind::InvalidRefreshToken => oltu(400, "invalid_grant", "Persisted access token data not found", None),
            ErrorKind::InvalidUserCredentials | ErrorKind::UserDisabled => {
                oltu(400, "invalid_grant", "Authentication failed", None)
            }
            ErrorKind::InvalidScope => oltu(400, "invalid_scope", detail, None),
            ErrorKind::MalformedRequest | ErrorKind::MultipleClientAuthMethods => {
                oltu(400, "invalid_request", detail, None)
            }
            ErrorKind::MissingBearer => oltu(
                400,
                "invalid_request",
                "Bearer token missing",
                Some("Bearer error=\"invalid_request\"".into()),
            ),
            ErrorKind::InvalidBearer => oltu(
                401,
                "invalid_token",
                "Access token validation failed",
                Some("Bearer error=\"invalid_token\"".into()),
            ),
            ErrorKind::InsufficientScope { .. } => oltu(
                403,
                "insufficient_scope",
                "Access token does not have the openid scope",
                Some("Bearer error=\"insufficient_scope\"".into()),
            ),
            other => crate::generic::error_response(other, detail, realm),
        }
    }

    fn read_grants(&self, claims: &Map<String, Value>, _resource: Option<&str>) -> Grants {
        let mut roles = string_array(claims.get("roles"));
        roles.extend(string_array(claims.get("groups")));
        Grants {
            scopes: scope_tokens(claims.get("scope")),
            roles,
            client_roles: Vec::new(),
            client_id: string_claim(claims, "client_id").or_else(|| string_claim(claims, "azp")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_put_the_description_first_and_unknown_grants_are_invalid_request() {
        let response = Wso2.error_response(&ErrorKind::UnsupportedGrantType, "", "demo");
        assert_eq!(response.status, 400);
        let body = response.body.unwrap_or_default().to_string();
        assert_eq!(
            body,
            r#"{"error_description":"Unsupported grant_type value","error":"invalid_request"}"#
        );
    }

    #[test]
    fn the_default_realm_is_the_super_tenant() {
        assert_eq!(
            Wso2.issuer(&Site::new(crate::Provider::Wso2, "https://is:9443", "demo", true)),
            "https://is:9443/oauth2/token"
        );
        assert_eq!(
            Wso2.issuer(&Site::new(crate::Provider::Wso2, "https://is:9443", "acme", false)),
            "https://is:9443/t/acme/oauth2/token"
        );
    }

    #[test]
    fn roles_and_groups_both_count() {
        let claims = match json!({"roles": ["admin"], "groups": ["ops"], "scope": "openid"}) {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        assert_eq!(Wso2.read_grants(&claims, None).roles, ["admin", "ops"]);
    }
}
