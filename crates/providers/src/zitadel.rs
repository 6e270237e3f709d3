//! ZITADEL v4 (built on zitadel/oidc).
//!
//! Sources: `shared/research/providers.md` §3 (source reads of zitadel/oidc and ZITADEL, a
//! recorded v2.65 spike, the docs). Facts marked *unverified* in `docs/providers.md` await a
//! real instance.
//!
//! - One issuer per host: `{public_url}` with no path; `/oauth/v2/*` and `/oidc/v1/*`. The
//!   World's default realm is the organisation served; its project holds every client.
//! - Access tokens are opaque unless a client asks for JWTs; JWT access tokens carry no `scope`
//!   and no profile claims, `aud` holds the client and the project id, roles live in
//!   `urn:zitadel:iam:org:project:roles` as `{role: {orgId: orgDomain}}`.
//! - No password grant; PKCE `S256` advertised, `plain` accepted (the library's); refresh tokens
//!   only with `offline_access`; introspection with `client_secret_basic`.
//! - Errors are 400 for nearly everything, userinfo errors are JSON without `WWW-Authenticate`.

pub mod pat;
pub mod setup;

pub use setup::setup_notes;

use crate::ProviderMetadata;
use crate::claims::{
    AccessTokenInput, DiscoveryInput, IdTokenInput, IntrospectionInput, TokenResponseInput, stable_numeric_id,
    standard_user_claims,
};
use crate::error::sanitize_description;
use crate::reader::{scope_tokens, string_claim};
use crate::{
    ClientRoles, Endpoint, ErrorKind, ErrorResponse, Flavor, GrantType, Grants, LogoutConfirmation, Quirks, Realm,
    RefreshRevocation, ResourceAudience, Site, TokenFormat, User,
};
use serde_json::{Map, Value, json};

/// ZITADEL's facts.
#[derive(Debug, Clone, Copy)]
pub struct Zitadel;

/// The role claim of the project the client belongs to.
pub const ROLES_CLAIM: &str = "urn:zitadel:iam:org:project:roles";

/// ZITADEL's description when the granted scopes lack `openid` (zitadel/oidc
/// `ValidateAuthReqScopes`: the JWT profile grant, token exchange).
pub const OPENID_MISSING: &str = "The scope openid is missing in your request. Please ensure the scope openid is added to the request. If you have any questions, you may contact the administrator of the application.";

/// The prefix of ZITADEL's reserved scopes (project audience and roles, organisation, user
/// metadata): any client may ask for them (ZITADEL `Client.IsScopeAllowed`).
pub const SCOPE_PREFIX: &str = "urn:zitadel:iam:";

/// The roles that carry ZITADEL's `impersonation` permission (its default `InternalAuthZ`
/// role mappings: the instance's and the organization's end-user impersonators); a World
/// user holding one as a realm role may impersonate in token exchange where the realm allows
/// it ([`crate::Realm::impersonation`]).
pub const IMPERSONATOR_ROLES: [&str; 2] = ["IAM_END_USER_IMPERSONATOR", "ORG_END_USER_IMPERSONATOR"];

/// Whether `scope` authorizes rather than asks for user data (`isTokenExchangeAuthorizationScope`):
/// on an impersonation with a scope-less subject token it must still come from an input token.
pub fn is_authorization_scope(scope: &str) -> bool {
    const EXACT: [&str; 3] = [
        "offline_access",
        "urn:zitadel:iam:org:projects:roles",
        "urn:zitadel:iam:org:project:roles",
    ];
    const PREFIXES: [&str; 6] = [
        "urn:zitadel:iam:org:project:role:",
        "urn:zitadel:iam:org:project:id:",
        "urn:zitadel:iam:org:id:",
        "urn:zitadel:iam:org:domain:primary:",
        "urn:zitadel:iam:org:roles:id:",
        "urn:zitadel:iam:org:idp:id:",
    ];
    EXACT.contains(&scope) || PREFIXES.iter().any(|prefix| scope.starts_with(prefix))
}

/// The numeric id ZITADEL would give the organisation of `realm`.
pub fn org_id(realm: &str) -> String {
    stable_numeric_id(&format!("zitadel:org:{realm}"))
}

/// The numeric id of the project that holds the realm's clients.
pub fn project_id(realm: &str) -> String {
    stable_numeric_id(&format!("zitadel:project:{realm}"))
}

/// The organisation's primary domain.
pub fn org_domain(realm: &str) -> String {
    format!("{realm}.localhost")
}

/// `{role: {orgId: orgDomain}}` for every role the user holds in the realm (realm roles and
/// client roles alike: ZITADEL has one role list per project).
fn role_map(realm: &Realm, roles: &[String]) -> Value {
    let mut map = Map::new();
    for role in roles {
        map.insert(role.clone(), json!({ org_id(&realm.name): org_domain(&realm.name) }));
    }
    Value::Object(map)
}

fn user_roles(user: &User) -> Vec<String> {
    let mut roles = user.realm_roles.clone();
    for client_roles in user.client_roles.values() {
        roles.extend(client_roles.iter().cloned());
    }
    roles
}

/// The project role claims: the unqualified [`ROLES_CLAIM`] only when the token was requested
/// by a client of the project (`for_project_client`); a client-credentials token (ZITADEL: a
/// machine user's, requested by no application) carries only the project-qualified claim
/// (ZITADEL internal/api/oidc/userinfo.go `setUserInfoRoleClaims`: `ClaimProjectRoles` only for
/// `requestProjectID`).
fn insert_roles(claims: &mut Map<String, Value>, realm: &Realm, roles: &[String], for_project_client: bool) {
    if roles.is_empty() {
        return;
    }
    let map = role_map(realm, roles);
    if for_project_client {
        claims.insert(ROLES_CLAIM.into(), map.clone());
    }
    claims.insert(
        format!("urn:zitadel:iam:org:project:{}:roles", project_id(&realm.name)),
        map,
    );
}

/// ZITADEL's introspection answer (internal/api/oidc/introspect.go `Introspect`): the members
/// of zitadel/oidc's `IntrospectionResponse` in struct order (pkg/oidc/introspection.go),
/// `scope` omitted when empty, the user info of the token's scopes (`SetUserInfo`: `username`
/// is `preferred_username`), then the project role claims; with any such extra claim the library
/// re-encodes a Go map (pkg/oidc/util.go `mergeAndMarshalClaims`), so every member comes out in
/// alphabetical order.
fn introspection_body(input: &IntrospectionInput<'_>) -> Map<String, Value> {
    let claim = |name: &str| input.claims.get(name).cloned();
    let mut body = Map::new();
    body.insert("active".into(), json!(true));
    if let Some(scope) = claim("scope").filter(|scope| scope.as_str() != Some("")) {
        body.insert("scope".into(), scope);
    }
    if let Some(client_id) = claim("client_id") {
        body.insert("client_id".into(), client_id);
    }
    body.insert("token_type".into(), json!("Bearer"));
    for member in ["exp", "iat", "auth_time", "nbf", "sub", "aud", "amr", "iss", "jti"] {
        if let Some(value) = claim(member) {
            body.insert(member.into(), value);
        }
    }
    let user_info = input.user.map_or_else(Map::new, |user| {
        standard_user_claims(user, &scope_tokens(input.claims.get("scope")))
    });
    if let Some(username) = user_info.get("preferred_username") {
        body.insert("username".into(), username.clone());
    }
    body.extend(user_info);
    let mut extra = false;
    for (name, value) in input.claims {
        if name.starts_with("urn:zitadel:") {
            body.insert(name.clone(), value.clone());
            extra = true;
        }
    }
    if extra {
        let sorted: std::collections::BTreeMap<String, Value> = body.into_iter().collect();
        body = sorted.into_iter().collect();
    }
    body
}

/// ZITADEL's behaviour facts.
pub const QUIRKS: Quirks = Quirks {
    // ZITADEL sends logout tokens when the instance feature `enable_back_channel_logout` is
    // on: the mock's instance has it on in a realm where a client registers a URI (`metadata`).
    backchannel_logout: Some(crate::backchannel::ZITADEL),
    // end_session logs out every user of the user agent without asking
    // (docs/docs/guides/integrate/login/oidc/logout.md).
    logout_confirmation: LogoutConfirmation::Never,
    // zitadel/oidc `ValidateEndSessionRequest` (`pkg/op/session.go`): JSON refusals.
    logout_errors: crate::logout::LogoutErrors::OidcLibrary,
    refresh_revocation: RefreshRevocation::CurrentTokenOnly,
    multi_realm: false,
    // ZITADEL's order (createDiscoveryConfig): ..., client_credentials, [token-exchange],
    // jwt-bearer, device_code. The JWT profile grant: crate::jwt_bearer. Token exchange is
    // listed only where the instance feature is on (see `metadata`).
    grant_types: &[
        GrantType::AuthorizationCode,
        GrantType::RefreshToken,
        GrantType::ClientCredentials,
        GrantType::TokenExchange,
        GrantType::JwtBearer,
        GrantType::DeviceCode,
    ],
    pkce_methods: &["S256"],
    authorization_response_iss: false,
    default_access_token_format: TokenFormat::Opaque,
    access_token_typ: "JWT",
    // zitadel/oidc `JWTTokenRequest`/access-token claims; no `azp`, no `scope`.
    required_access_token_claims: &["iss", "sub", "aud", "exp", "iat", "client_id", "jti"],
    introspection_only_claims: &["scope", "auth_time", "amr"],
    resource_audience: ResourceAudience::ZitadelProject,
    client_roles: ClientRoles::InRoles,
    // zitadel/oidc pkg/op/token.go `NeedsRefreshToken`; ZITADEL internal/api/oidc/auth_request.go
    // `NeedRefreshToken: slices.Contains(scope, oidc.ScopeOfflineAccess)`.
    refresh_needs_offline_access: true,
    // zitadel/oidc pkg/op/auth_request.go `ValidateAuthReqCodeChallengeMethod`; ZITADEL
    // `CodeChallengeToBusiness` stores any non-S256 method as plain.
    pkce_plain_unadvertised: true,
    // zitadel/oidc pkg/op/server_http.go codeExchange: "redirect_uri missing".
    token_redirect_uri_required: true,
    // Machine users' personal access tokens (zitadel/zitadel internal/command/
    // user_personal_access_token.go, internal/api/oidc/introspect.go).
    personal_access_tokens: true,
    device: Some(crate::device::ZITADEL),
    // zitadel/oidc `VerifyJWTAssertion` checks a client assertion against the client's registered public keys (ZITADEL introspect.go `keySetMap(client.PublicKeys)`): no HMAC.
    accepts_client_secret_jwt: false,
    client_jwks_uri: false,
    // No DPoP: a `DPoP` header is ignored and tokens stay bearer tokens.
    dpop: None,
    client_assertion: crate::client_assertion::ZITADEL,
    token_exchange: Some(crate::exchange::ZITADEL),
    ..Quirks::STANDARD
};

/// The member order of ZITADEL's discovery document (zitadel/oidc's `DiscoveryConfiguration`).
const DISCOVERY_ORDER: [&str; 27] = [
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "introspection_endpoint",
    "userinfo_endpoint",
    "revocation_endpoint",
    "end_session_endpoint",
    // zitadel/oidc `Configuration`: device_authorization_endpoint follows end_session_endpoint.
    "device_authorization_endpoint",
    "jwks_uri",
    "scopes_supported",
    "response_types_supported",
    "response_modes_supported",
    "grant_types_supported",
    "subject_types_supported",
    "id_token_signing_alg_values_supported",
    "token_endpoint_auth_methods_supported",
    "token_endpoint_auth_signing_alg_values_supported",
    "revocation_endpoint_auth_methods_supported",
    "revocation_endpoint_auth_signing_alg_values_supported",
    "introspection_endpoint_auth_methods_supported",
    "introspection_endpoint_auth_signing_alg_values_supported",
    "claims_supported",
    "code_challenge_methods_supported",
    "ui_locales_supported",
    "request_uri_parameter_supported",
    "backchannel_logout_supported",
    "backchannel_logout_session_supported",
];

/// `claims_supported` of ZITADEL's document.
const DISCOVERY_CLAIMS: [&str; 17] = [
    "sub",
    "aud",
    "exp",
    "iat",
    "iss",
    "auth_time",
    "nonce",
    "amr",
    "at_hash",
    "client_id",
    "azp",
    "preferred_username",
    "name",
    "family_name",
    "given_name",
    "email",
    "email_verified",
];

/// The standard scopes ZITADEL advertises; the World's other scopes are not listed.
const DISCOVERY_SCOPES: [&str; 6] = ["openid", "profile", "email", "phone", "address", "offline_access"];

/// `none` first, then the secret methods, as ZITADEL lists them.
/// `token_endpoint_auth_methods_supported` (and revocation's) with ZITADEL's defaults
/// (`defaults.yaml`: `AuthMethodPost` and `AuthMethodPrivateKeyJWT` on; zitadel/oidc
/// `AuthMethodsTokenEndpoint`); a saved zitadel.cloud document lists the same.
const TOKEN_AUTH: [&str; 4] = ["none", "client_secret_basic", "client_secret_post", "private_key_jwt"];

/// `introspection_endpoint_auth_methods_supported` (zitadel/oidc
/// `AuthMethodsIntrospectionEndpoint`: Basic, and `private_key_jwt` where it is on).
const INTROSPECTION_AUTH: [&str; 2] = ["client_secret_basic", "private_key_jwt"];

/// The signing algorithms ZITADEL lists for client assertions at the token, revocation and
/// introspection endpoints (zitadel/oidc `TokenSigAlgorithms` and its siblings).
const ASSERTION_ALGS: [&str; 1] = ["RS256"];

impl Flavor for Zitadel {
    fn quirks(&self) -> &'static Quirks {
        &QUIRKS
    }

    fn route(&self, endpoint: Endpoint) -> Option<&'static str> {
        match endpoint {
            Endpoint::Discovery => Some("/.well-known/openid-configuration"),
            // "ZITADEL does not yet provide a OAuth 2.0 Metadata endpoint".
            Endpoint::AuthorizationServerMetadata => None,
            Endpoint::Jwks => Some("/oauth/v2/keys"),
            Endpoint::Authorize => Some("/oauth/v2/authorize"),
            Endpoint::Login => Some("/ui/login/login"),
            Endpoint::Token => Some("/oauth/v2/token"),
            Endpoint::Userinfo => Some("/oidc/v1/userinfo"),
            Endpoint::Introspect => Some("/oauth/v2/introspect"),
            Endpoint::Revoke => Some("/oauth/v2/revoke"),
            Endpoint::EndSession => Some("/oidc/v1/end_session"),
            Endpoint::DeviceAuthorization => Some("/oauth/v2/device_authorization"),
            // ZITADEL serves `/device` (RedirectDeviceAuthToPrefix to its login UI) and
            // zitadel/oidc writes issuer + UserFormPath into verification_uri.
            Endpoint::DeviceVerification => Some("/device"),
            Endpoint::ProfileAttributes => None,
            // zitadel/oidc has no PAR endpoint.
            Endpoint::PushedAuthorization => None,
        }
    }

    fn issuer(&self, site: &Site) -> String {
        site.base().to_owned()
    }

    fn metadata(&self, input: &DiscoveryInput<'_>, quirks: &Quirks) -> ProviderMetadata {
        let standard = ProviderMetadata::standard(input, quirks);
        // Token exchange is an instance feature (`oidc_token_exchange`), off by default: a
        // real ZITADEL v2.65.1 listed no token-exchange grant (docs/providers.md). The mock's
        // instance has it on where a client of the realm may exchange.
        let exchanging = input
            .realm
            .clients
            .values()
            .any(|client| client.allows(GrantType::TokenExchange));
        // Back-channel logout too (`enable_back_channel_logout`): both members `true` with
        // the feature, absent without it (zitadel/oidc `omitempty`).
        let logout_feature = input
            .realm
            .clients
            .values()
            .any(|client| client.backchannel_logout_uri.is_some())
            .then_some(true);
        let grant_types_supported = standard.grant_types_supported.clone().map(|grants| {
            grants
                .into_iter()
                .filter(|grant| exchanging || *grant != GrantType::TokenExchange)
                .collect()
        });
        let scopes = input
            .realm
            .scopes
            .iter()
            .filter(|scope| DISCOVERY_SCOPES.contains(&scope.as_str()))
            .cloned()
            .collect();
        let mut extra = standard.extra.clone();
        for member in [
            "token_endpoint_auth_signing_alg_values_supported",
            "revocation_endpoint_auth_signing_alg_values_supported",
            "introspection_endpoint_auth_signing_alg_values_supported",
        ] {
            extra.insert(member.into(), serde_json::json!(ASSERTION_ALGS));
        }
        ProviderMetadata {
            scopes_supported: Some(scopes),
            token_endpoint_auth_methods_supported: Some(TOKEN_AUTH.to_vec()),
            revocation_endpoint_auth_methods_supported: Some(TOKEN_AUTH.to_vec()),
            introspection_endpoint_auth_methods_supported: Some(INTROSPECTION_AUTH.to_vec()),
            extra,
            claims_supported: Some(DISCOVERY_CLAIMS.to_vec()),
            ui_locales_supported: Some(vec!["en"]),
            // zitadel/oidc `DiscoveryConfiguration`: request_parameter_supported is `omitempty`,
            // so a `false` is never written; request_uri_parameter_supported is not.
            request_parameter_supported: None,
            prompt_values_supported: None,
            claims_parameter_supported: None,
            backchannel_logout_supported: logout_feature,
            backchannel_logout_session_supported: logout_feature,
            frontchannel_logout_supported: None,
            grant_types_supported,
            ..standard
        }
    }

    fn metadata_order(&self) -> &'static [&'static str] {
        &DISCOVERY_ORDER
    }

    fn access_token_claims(&self, input: &AccessTokenInput<'_>) -> Map<String, Value> {
        let realm = &input.realm.name;
        let mut audiences = vec![input.client.id.clone()];
        audiences.extend(input.audiences.iter().filter(|aud| **aud != input.client.id).cloned());
        audiences.push(project_id(realm));
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(input.issuer));
        let subject = input
            .user
            .map_or_else(|| pat::machine_user_id(&input.client.id), |user| user.id.clone());
        claims.insert("sub".into(), json!(subject));
        claims.insert("aud".into(), json!(audiences));
        claims.insert("exp".into(), json!(input.expires_at));
        claims.insert("iat".into(), json!(input.issued_at));
        claims.insert("nbf".into(), json!(input.issued_at));
        claims.insert("client_id".into(), json!(input.client.id));
        claims.insert("jti".into(), json!(input.jti));
        let roles = input
            .user
            .map_or_else(|| input.client.service_account_roles.clone(), user_roles);
        insert_roles(&mut claims, input.realm, &roles, input.user.is_some());
        // Introspection reports when and how the user logged in (ZITADEL introspect.go:
        // `AuthTime`, `AuthenticationMethodsReferences`); the signed JWT does not carry them.
        if input.user.is_some() {
            if let Some(auth_time) = input.auth_time {
                claims.insert("auth_time".into(), json!(auth_time));
            }
            claims.insert("amr".into(), json!(["pwd"]));
        }
        // Introspection reports the scope; the signed JWT does not carry it (see
        // `introspection_only_claims`).
        claims.insert("scope".into(), json!(input.scopes.join(" ")));
        claims
    }

    fn id_token_claims(&self, input: &IdTokenInput<'_>) -> Map<String, Value> {
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(input.issuer));
        claims.insert("sub".into(), json!(input.user.id));
        claims.insert("aud".into(), json!([input.client.id]));
        claims.insert("exp".into(), json!(input.expires_at));
        claims.insert("iat".into(), json!(input.issued_at));
        claims.insert("auth_time".into(), json!(input.auth_time));
        if let Some(nonce) = input.nonce {
            claims.insert("nonce".into(), json!(nonce));
        }
        claims.insert("amr".into(), json!(["pwd"]));
        claims.insert("azp".into(), json!(input.client.id));
        claims.insert("client_id".into(), json!(input.client.id));
        if let Some(at_hash) = input.at_hash {
            claims.insert("at_hash".into(), json!(at_hash));
        }
        if let Some(sid) = input.session_id {
            claims.insert("sid".into(), json!(sid));
        }
        // Profile claims stay out of the ID token when an access token is issued alongside
        // (no `idTokenUserinfoAssertion`): clients read them from userinfo.
        claims
    }

    fn userinfo(&self, user: &User, scopes: &[String]) -> Map<String, Value> {
        let mut claims = Map::new();
        claims.insert("sub".into(), json!(user.id));
        claims.extend(standard_user_claims(user, scopes));
        claims
    }

    fn introspection(&self, input: &IntrospectionInput<'_>) -> Map<String, Value> {
        introspection_body(input)
    }

    fn token_response(&self, input: &TokenResponseInput<'_>) -> Map<String, Value> {
        let mut body = Map::new();
        body.insert("access_token".into(), json!(input.access_token));
        body.insert("token_type".into(), json!("Bearer"));
        if let Some(refresh) = input.refresh_token {
            body.insert("refresh_token".into(), json!(refresh));
        }
        body.insert("expires_in".into(), json!(input.expires_in));
        if let Some(id_token) = input.id_token {
            body.insert("id_token".into(), json!(id_token));
        }
        if !input.scope.is_empty() {
            body.insert("scope".into(), json!(input.scope));
        }
        body
    }

    fn error_response(&self, kind: &ErrorKind, detail: &str, _realm: &str) -> ErrorResponse {
        let error = |status: u16, code: &str, description: &str| ErrorResponse::json(status, code, description, None);
        match kind {
            // zitadel/oidc pkg/op/server_http.go: "grant_type missing", "code missing", …
            ErrorKind::MissingParameter { name } => error(400, "invalid_request", &format!("{name} missing")),
            ErrorKind::MalformedRequest => error(400, "invalid_request", &sanitize_description(detail)),
            ErrorKind::MultipleClientAuthMethods | ErrorKind::IntrospectionMissingToken => {
                error(400, "invalid_request", &sanitize_description(detail))
            }
            ErrorKind::BodyTooLarge => error(413, "invalid_request", &sanitize_description(detail)),
            ErrorKind::BadClientSecret { .. } => error(400, "invalid_client", "invalid secret"),
            ErrorKind::UnknownClient { .. } => error(400, "invalid_client", "no active client not found"),
            ErrorKind::MissingClientAuth => error(400, "invalid_client", "client must be authenticated"),
            // zitadel/oidc pkg/op/server.go: "{grant} not supported" (server_http_routes_test.go).
            ErrorKind::UnsupportedGrantType { grant } => {
                error(400, "unsupported_grant_type", &format!("{grant} not supported"))
            }
            ErrorKind::UnauthorizedGrant { .. } => error(400, "unauthorized_client", &sanitize_description(detail)),
            // zitadel/zitadel#11892: a bad code is invalid_request, not invalid_grant; ZITADEL
            // token_code.go `ThrowInvalidArgument(…, "Errors.User.Code.Invalid")`, and error.go
            // `oidcError` writes the ZITADEL message as the description.
            ErrorKind::InvalidCode => error(400, "invalid_request", "Errors.User.Code.Invalid"),
            // zitadel/oidc pkg/op/token_request.go `AuthorizeCodeChallenge` (ZITADEL token_code.go).
            ErrorKind::PkceVerifierMissing => error(400, "invalid_request", "code_verifier required"),
            ErrorKind::PkceMismatch => error(400, "invalid_grant", "invalid code_verifier"),
            ErrorKind::RedirectUriMismatch => error(400, "invalid_grant", "redirect_uri does not correspond"),
            // ZITADEL token_refresh.go → command `ExchangeOIDCSessionRefreshAndAccessToken`:
            // `OIDCSessionWriteModel.CheckRefreshToken` throws `PreconditionFailed(…,
            // "Errors.OIDCSession.RefreshTokenInvalid")` for a rotated, revoked or expired token;
            // error.go `oidcError` makes every ZITADEL error below 500 an `invalid_request` with
            // the message as description. (A token that never parsed as a v2 one falls back to v1
            // and says "Errors.User.RefreshToken.Invalid"; the mock does not tell the two apart.)
            ErrorKind::InvalidRefreshToken => error(400, "invalid_request", "Errors.OIDCSession.RefreshTokenInvalid"),
            ErrorKind::InvalidUserCredentials { .. } | ErrorKind::UserDisabled { .. } => {
                error(400, "invalid_grant", &sanitize_description(detail))
            }
            ErrorKind::InvalidScope => error(400, "invalid_scope", &sanitize_description(detail)),
            ErrorKind::MissingBearer => error(401, "invalid_request", "access token missing"),
            ErrorKind::InvalidBearer | ErrorKind::InsufficientScope { .. } => {
                error(401, "access_denied", "access token invalid")
            }
            // zitadel/oidc pkg/op/server_http.go `parseClientCredentials`, before ZITADEL's
            // `Introspect`.
            ErrorKind::IntrospectionUnauthenticated if detail == crate::INTROSPECTION_NO_CREDENTIALS => {
                error(400, "invalid_request", "client_id or client_assertion must be provided")
            }
            // zitadel/oidc pkg/op/server_http.go `introspectionHandler`: no secret and no
            // assertion, before ZITADEL's `Introspect` (a public client included).
            ErrorKind::IntrospectionUnauthenticated | ErrorKind::IntrospectionForbidden
                if detail == crate::INTROSPECTION_NO_SECRET =>
            {
                error(400, "invalid_client", "client must be authenticated")
            }
            // ZITADEL internal/api/oidc/introspect.go `introspectionClientAuth`:
            // `oidc.ErrUnauthorizedClient().WithParent(err)`, no description (omitempty).
            ErrorKind::IntrospectionUnauthenticated | ErrorKind::IntrospectionForbidden => ErrorResponse {
                status: 400,
                body: Some(json!({ "error": "unauthorized_client" })),
                content_type: crate::error::JSON,
                www_authenticate: None,
            },
            ErrorKind::NotFound | ErrorKind::UnknownRealm | ErrorKind::MethodNotAllowed => ErrorResponse {
                status: 404,
                body: Some(json!({ "code": 5, "message": "Not Found" })),
                content_type: crate::error::JSON,
                www_authenticate: None,
            },
            other => crate::generic::error_response(other, detail, _realm),
        }
    }

    fn read_grants(&self, claims: &Map<String, Value>, _resource: Option<&str>) -> Grants {
        // A client-credentials token has only `urn:zitadel:iam:org:project:{id}:roles`.
        let qualified = || {
            claims
                .iter()
                .find(|(name, _)| name.starts_with("urn:zitadel:iam:org:project:") && name.ends_with(":roles"))
                .map(|(_, value)| value)
        };
        let roles = match claims.get(ROLES_CLAIM).or_else(qualified) {
            Some(Value::Object(roles)) => roles.keys().cloned().collect(),
            _ => Vec::new(),
        };
        Grants {
            scopes: scope_tokens(claims.get("scope")),
            roles,
            client_roles: Vec::new(),
            client_id: string_claim(claims, "client_id"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_the_keys_of_the_project_roles_map() {
        let claims = match json!({
            ROLES_CLAIM: {"admin": {"1": "demo.localhost"}, "user": {"1": "demo.localhost"}},
            "client_id": "web-app"
        }) {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        let grants = Zitadel.read_grants(&claims, None);
        assert_eq!(grants.roles, ["admin", "user"]);
        assert_eq!(grants.client_id.as_deref(), Some("web-app"));
    }

    #[test]
    fn an_array_of_roles_is_not_the_zitadel_shape() {
        let claims = match json!({ ROLES_CLAIM: ["admin"] }) {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        assert!(Zitadel.read_grants(&claims, None).roles.is_empty());
    }

    #[test]
    fn ids_are_numeric_and_stable() {
        assert_eq!(org_id("demo"), org_id("demo"));
        assert_ne!(org_id("demo"), project_id("demo"));
        assert!(project_id("demo").bytes().all(|b| b.is_ascii_digit()));
    }
}
