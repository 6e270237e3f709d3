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

mod hash_map;
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
    ChallengeRealm, Endpoint, ErrorKind, ErrorResponse, Flavor, Grants, LogoutConfirmation, Quirks, Realm,
    RefreshRevocation, ScopeScreen, Site, TokenFormat, User,
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
    // OAuth2IntrospectionEndpoint.java `introspect`: `StringUtils.isBlank(token)` → "Invalid input".
    introspection_blank_token_is_missing: true,
    // identity-inbound-auth-oauth EndpointUtil.java 1322-1329: `"Basic realm=" + HostName`.
    challenge_realm: ChallengeRealm::HostName,
    grant_types: &[
        crate::GrantType::AuthorizationCode,
        crate::GrantType::RefreshToken,
        crate::GrantType::ClientCredentials,
        crate::GrantType::Password,
        crate::GrantType::DeviceCode,
        // For trusted identity providers' assertions (crate::jwt_bearer::WSO2).
        crate::GrantType::JwtBearer,
        // On by default in IS 7 (crate::exchange::WSO2).
        crate::GrantType::TokenExchange,
    ],
    device: Some(crate::device::WSO2),
    // DeviceFlowGrant.validateGrant checks a pending code's status, never its expiry time
    // (crate::device::PollOrder::PaceFirst).
    deviations: &[crate::Deviation::PendingDeviceCodeOutlivesExpiry],
    par: Some(crate::par::WSO2),
    // DefaultLogoutTokenBuilder, LogoutRequestSender (crate::backchannel::WSO2).
    backchannel_logout: Some(crate::backchannel::WSO2),
    // WSO2's JWT client authentication is the private-key-jwt authenticator (certificate or JWKS): no HMAC.
    accepts_client_secret_jwt: false,
    // The application's `jwksURI` (JWTValidator.isValidSignature reads the SP property).
    client_jwks_uri: true,
    client_assertion: crate::client_assertion::WSO2,
    token_exchange: Some(crate::exchange::WSO2),
    dpop: Some(crate::dpop::WSO2),
    ..Quirks::STANDARD
};

/// The member order of WSO2 Identity Server's discovery document.
const DISCOVERY_ORDER: [&str; 26] = [
    "issuer",
    "authorization_endpoint",
    "pushed_authorization_request_endpoint",
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
    // ProviderConfigBuilder sets it `true` (hard-coded).
    "backchannel_logout_session_supported",
    "frontchannel_logout_supported",
    "code_challenge_methods_supported",
    // OIDProviderConfigResponse: after the PKCE methods, when the device grant is on.
    "device_authorization_endpoint",
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
            Endpoint::PushedAuthorization => "/t/{realm}/oauth2/par",
            // DeviceEndpoint `@Path("/device_authorize")`; the user-code page is the
            // authentication web app's `device.do` (tenant-qualified for a tenant).
            Endpoint::DeviceAuthorization => "/t/{realm}/oauth2/device_authorize",
            Endpoint::DeviceVerification => "/t/{realm}/authenticationendpoint/device.do",
            Endpoint::ProfileAttributes => return None,
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
            Endpoint::PushedAuthorization => "/oauth2/par",
            Endpoint::DeviceAuthorization => "/oauth2/device_authorize",
            Endpoint::DeviceVerification => "/authenticationendpoint/device.do",
            Endpoint::ProfileAttributes => return None,
        })
    }

    /// The super tenant is also served under `/t/carbon.super/…` (tenant-qualified URLs), with
    /// the root issuer and root endpoints in its documents: carbon-identity-framework
    /// `DefaultServiceURLBuilder.getResolvedUrlPath` adds `/t/{tenant}` to a URL only for another
    /// tenant (or when the super tenant is configured into URLs, off by default,
    /// `IdentityTenantUtil.isSuperTenantRequiredInUrl`); product-is `OIDCMetadataTest` asked
    /// `/t/carbon.super/oauth2/token/.well-known/openid-configuration` for issuer
    /// `https://localhost:9853/oauth2/token` until 684258f11. Discovery also answers at
    /// `/oauth2/oidcdiscovery/…` (identity-inbound-auth-oauth `OIDCDiscoveryEndpoint.java`
    /// 45-50, 81-84: `@Path("/{issuer}/.well-known/openid-configuration")`, `token` or
    /// `oidcdiscovery`).
    fn route_aliases(&self, endpoint: Endpoint) -> &'static [&'static str] {
        match endpoint {
            Endpoint::Discovery => &[
                "/oauth2/oidcdiscovery/.well-known/openid-configuration",
                "/t/carbon.super/oauth2/token/.well-known/openid-configuration",
                "/t/carbon.super/oauth2/oidcdiscovery/.well-known/openid-configuration",
                "/t/{realm}/oauth2/oidcdiscovery/.well-known/openid-configuration",
            ],
            Endpoint::AuthorizationServerMetadata => &[],
            Endpoint::Jwks => &["/t/carbon.super/oauth2/jwks"],
            Endpoint::Authorize => &["/t/carbon.super/oauth2/authorize"],
            Endpoint::Login => &["/t/carbon.super/commonauth"],
            Endpoint::Token => &["/t/carbon.super/oauth2/token"],
            Endpoint::Userinfo => &["/t/carbon.super/oauth2/userinfo"],
            Endpoint::Introspect => &["/t/carbon.super/oauth2/introspect"],
            Endpoint::Revoke => &["/t/carbon.super/oauth2/revoke"],
            Endpoint::EndSession => &["/t/carbon.super/oidc/logout"],
            Endpoint::PushedAuthorization => &["/t/carbon.super/oauth2/par"],
            Endpoint::DeviceAuthorization => &["/t/carbon.super/oauth2/device_authorize"],
            Endpoint::DeviceVerification => &["/t/carbon.super/authenticationendpoint/device.do"],
            Endpoint::ProfileAttributes => &[],
        }
    }

    fn issuer(&self, site: &Site) -> String {
        let base = site.base();
        if site.is_default {
            format!("{base}/oauth2/token")
        } else {
            format!("{base}/t/{}/oauth2/token", site.realm)
        }
    }

    /// identity-inbound-auth-oauth @ c4c32bb3f8ed: the authorization handler takes `internal_*`,
    /// `console:*` and `SYSTEM` (any case) out of the request before the other scopes are
    /// validated and grants only the ones the app's authorized APIs allow
    /// (`AuthorizationHandlerManager.java` 297-323, `removeInternalScopes` 545-556; prefixes in
    /// `Oauth2ScopeConstants.java` 35-36), so they are never `invalid_scope`.
    /// `DefaultOAuth2ScopeValidator.handleInternalLoginScope` (666-671) grants `internal_login`
    /// whenever it or `SYSTEM` was requested (authorize 127, token 184), and for
    /// `client_credentials` the token endpoint then removes `internal_login` and `openid`
    /// (186-189). The World cannot authorize console APIs, so `SYSTEM` itself is dropped.
    /// Every other scope is kept only when authorized for the app and otherwise dropped, never
    /// refused: `DefaultOAuth2ScopeValidator.getAuthorizedScopes` approves the requested OIDC
    /// scopes and the scopes the app's authorized APIs validate, nothing else (authorize and
    /// token alike); wso2/product-is `OAuth2ServiceClientCredentialTestCase` asks for
    /// `openid xyz device_01 internal_bulk_resource_create` and gets a token without `xyz`.
    fn screen_scope(&self, scope: &str, for_user: bool) -> ScopeScreen {
        let system = scope.eq_ignore_ascii_case("SYSTEM");
        match (scope, for_user) {
            ("internal_login", true) => ScopeScreen::Grant("internal_login"),
            (_, true) if system => ScopeScreen::Grant("internal_login"),
            ("internal_login" | "openid", false) => ScopeScreen::Drop,
            (_, false) if system => ScopeScreen::Drop,
            _ => ScopeScreen::DropUnlessAllowed,
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

    /// Members as `OAuth2IntrospectionEndpoint` sets them (identity-inbound-auth-oauth
    /// `OAuth2IntrospectionEndpoint.java` 137-166) into `IntrospectionResponseBuilder`'s
    /// `HashMap` (`IntrospectionResponseBuilder.java` 37, blank values skipped), in that map's
    /// order. Opaque access tokens carry `aud`, the app's OIDC audience (a string when one, an
    /// array when several: `TokenValidationHandler.java` 714-717, 1032-1043,
    /// `IntrospectionResponseBuilder.java` 214-222). A user's tokens carry `username` and the
    /// organisation (`TokenValidationHandler.java` 367-371: only with a username, so never a
    /// client-credentials token; product-is `OAuth2ApplicationAccessTokenIntrospectionTestCase`
    /// asserts no `username` for application tokens).
    fn introspection(&self, input: &IntrospectionInput<'_>) -> Map<String, Value> {
        let claim = |member: &str| input.claims.get(member).cloned();
        let mut body = Map::new();
        body.insert("active".into(), json!(true));
        if let Some(nbf) = claim("nbf") {
            body.insert("nbf".into(), nbf);
        }
        // `setScope` skips a blank scope (IntrospectionResponseBuilder.java 244-250).
        if let Some(scope) = claim("scope").filter(|scope| scope.as_str().is_some_and(|scope| !scope.is_empty())) {
            body.insert("scope".into(), scope);
        }
        let tenant = input
            .claims
            .get("org_handle")
            .and_then(Value::as_str)
            .unwrap_or("carbon.super");
        if let Some(username) = input.username {
            body.insert("username".into(), json!(format!("{username}@{tenant}")));
        }
        // A DPoP-bound token: `token_type` DPoP and `cnf.jkt` (DPoPIntrospectionDataProvider).
        let jkt = input.claims.get("cnf").and_then(|cnf| cnf.get("jkt")).cloned();
        let token_type = match (input.refresh_token, input.jwt, &jkt) {
            (true, _, _) => "Refresh",
            (false, _, Some(_)) => "DPoP",
            (false, true, None) => "JWT",
            (false, false, None) => "Bearer",
        };
        body.insert("token_type".into(), json!(token_type));
        if let (false, Some(jkt)) = (input.refresh_token, jkt) {
            // OAuth2IntrospectionEndpoint: the token binding's type and reference.
            if let Some(thumbprint) = jkt.as_str() {
                body.insert("binding_type".into(), json!("DPoP"));
                body.insert("binding_ref".into(), json!(crate::dpop::wso2_binding_ref(thumbprint)));
            }
            body.insert("cnf".into(), json!({ "jkt": jkt }));
        }
        for member in ["client_id", "iat", "exp"] {
            if let Some(value) = claim(member) {
                body.insert(member.into(), value);
            }
        }
        if !input.refresh_token {
            if let Some(aut) = claim("aut") {
                body.insert("aut".into(), aut);
            }
            if !input.jwt
                && let Some(aud) = claim("aud")
            {
                body.insert("aud".into(), aud);
            }
        }
        if input.username.is_some() {
            for member in ["org_id", "org_name", "org_handle"] {
                if let Some(value) = claim(member) {
                    body.insert(member.into(), value);
                }
            }
        }
        if input.jwt {
            for member in ["jti", "sub", "iss"] {
                if let Some(value) = claim(member) {
                    body.insert(member.into(), value);
                }
            }
        }
        hash_map::java_hash_map_order(body)
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
        // `realm` is the site's challenge realm (the host name), written unquoted as
        // EndpointUtil.getRealmInfo does (EndpointUtil.java 1322-1329).
        let basic = || Some(format!("Basic realm={realm}"));
        match kind {
            ErrorKind::BadClientSecret { .. }
            | ErrorKind::UnknownClient { .. }
            | ErrorKind::IntrospectionUnauthenticated => {
                oltu(401, "invalid_client", "Client credentials are invalid.", basic())
            }
            ErrorKind::MissingClientAuth | ErrorKind::IntrospectionForbidden => {
                oltu(401, "invalid_client", "Client ID not found in the request.", basic())
            }
            ErrorKind::UnsupportedGrantType { .. } => {
                oltu(400, "invalid_request", "Unsupported grant_type value", None)
            }
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
            ErrorKind::PkceMismatch | ErrorKind::PkceVerifierMissing => {
                oltu(400, "invalid_grant", "PKCE validation failed", None)
            }
            ErrorKind::RedirectUriMismatch => oltu(400, "invalid_grant", "Callback url mismatch", None),
            ErrorKind::InvalidRefreshToken => oltu(400, "invalid_grant", "Persisted access token data not found", None),
            // PasswordGrantHandler.java 454, 462 (wrong password) and 472, 498 (a user-store
            // refusal such as a disabled account, its reason hidden by default):
            // "Authentication failed for " + the request's `username` parameter.
            ErrorKind::InvalidUserCredentials { username } | ErrorKind::UserDisabled { username } => oltu(
                400,
                "invalid_grant",
                &format!("Authentication failed for {username}"),
                None,
            ),
            ErrorKind::InvalidScope => oltu(400, "invalid_scope", detail, None),
            // `{"error": "Invalid input"}` and nothing else (OAuth2IntrospectionEndpoint.java 85-101).
            ErrorKind::IntrospectionMissingToken => ErrorResponse {
                status: 400,
                body: Some(json!({ "error": "Invalid input" })),
                content_type: crate::error::JSON,
                www_authenticate: None,
            },
            ErrorKind::MalformedRequest | ErrorKind::MissingParameter { .. } | ErrorKind::MultipleClientAuthMethods => {
                oltu(400, "invalid_request", detail, None)
            }
            ErrorKind::MissingBearer => oltu(
                400,
                "invalid_request",
                "Bearer token missing",
                Some("Bearer error=\"invalid_request\"".into()),
            ),
            ErrorKind::ResourceBindingRefused => oltu(
                400,
                "invalid_request",
                detail,
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
        let response = Wso2.error_response(&ErrorKind::UnsupportedGrantType { grant: "urn:x".into() }, "", "demo");
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
    fn internal_scopes_are_never_refused() {
        let world = crate::World::default_world().unwrap();
        let client = &world.realm("demo").unwrap().clients["web-app"];
        let scopes = |scope: &str, for_user: bool| crate::requested_scopes(&Wso2, client, scope, for_user).unwrap();
        // The Asgardeo Python SDK's default request: internal_login is granted, after openid.
        assert_eq!(scopes("internal_login openid", true), ["openid", "internal_login"]);
        assert_eq!(
            scopes("openid SYSTEM internal_user_mgt_view console:org", true),
            ["openid", "internal_login"]
        );
        // client_credentials: internal_login and openid go too.
        assert_eq!(scopes("openid internal_login email", false), ["email"]);
        // Any other scope the client may not have is dropped, not refused (product-is
        // `OAuth2ServiceClientCredentialTestCase`).
        assert_eq!(scopes("openid admin", true), ["openid"]);
        assert_eq!(scopes("xyz email", false), ["email"]);
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
