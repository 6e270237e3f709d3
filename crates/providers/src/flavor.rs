//! The [`Flavor`] trait: every fact a provider module states about its provider. The default
//! methods are the standards (the generic provider); each provider module overrides what its
//! provider does differently, and nothing else.

use crate::claims::{AccessTokenInput, DiscoveryInput, IdTokenInput, IntrospectionInput, TokenResponseInput};
use crate::{
    Client, Deviation, Endpoint, ErrorKind, ErrorResponse, GrantType, Grants, TokenFormat, User, generic, reader,
};
use serde_json::{Map, Value};

/// What revoking a refresh token ends, per provider (sources in docs/providers.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefreshRevocation {
    /// The grant the token belongs to (every access and refresh token issued from one
    /// authorization), whether the token is current or was already rotated.
    Grant,
    /// Every session the user has with the client (Keycloak's `revokeClient`: all client
    /// sessions of the user for that client, current or rotated token alike).
    ClientSessions,
    /// The grant, but only through its current refresh token: a rotated one is no longer known
    /// and its revocation is a 200 no-op (ZITADEL's `CheckRefreshToken`, WSO2's token state).
    CurrentTokenOnly,
}

/// How a token endpoint accepts its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormats {
    /// `application/x-www-form-urlencoded` only (RFC 6749 §3.2).
    FormOnly,
    /// Form, `multipart/form-data` or `application/json` (IBM App ID's SDKs send all three).
    FormMultipartOrJson,
}

/// When the logout endpoint asks the user to confirm before it ends a browser session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoutConfirmation {
    /// Unless the request carries a valid `id_token_hint` (OpenID Connect RP-Initiated Logout
    /// 1.0 §6; Keycloak 26's logout confirmation page).
    UnlessIdTokenHint,
    /// Always (WSO2 Identity Server's logout consent page, unless an application is set to skip
    /// it, which the World does not model).
    Always,
    /// Never: a request with the session cookie alone ends the session (ZITADEL's
    /// `end_session`, IBM App ID's SSO logout).
    Never,
}

/// One provider's facts. Implemented by a zero-sized type per provider module.
pub trait Flavor: Sync + Send + std::fmt::Debug {
    /// The axum route pattern of `endpoint` (with `{realm}` where the realm goes), or `None`
    /// when the provider does not serve that endpoint.
    fn route(&self, endpoint: Endpoint) -> Option<&'static str> {
        Some(generic::route(endpoint))
    }

    /// The route pattern of `endpoint` for the world's default realm, when the provider gives it
    /// a layout of its own (WSO2's super tenant lives at `/oauth2/*`, other tenants at
    /// `/t/{tenant}/oauth2/*`). Defaults to [`Flavor::route`].
    fn default_realm_route(&self, endpoint: Endpoint) -> Option<&'static str> {
        self.route(endpoint)
    }

    /// The issuer of `realm` (`is_default`: whether it is the world's default realm) when the
    /// server is reached at `public_url`.
    fn issuer(&self, public_url: &str, realm: &str, is_default: bool) -> String {
        let _ = is_default;
        generic::issuer(public_url, realm)
    }

    /// Whether one server serves several realms (the realm is in the path). When false, only
    /// the world's default realm is served.
    fn multi_realm(&self) -> bool {
        true
    }

    /// Grant types the provider implements (a subset of what the mock implements).
    fn grant_types(&self) -> &'static [GrantType] {
        &GrantType::ALL
    }

    /// Whether `code_challenge_method=plain` is accepted.
    fn pkce_plain(&self) -> bool {
        true
    }

    /// The scopes a grant ends up with, from the (already allowed) requested ones; Keycloak adds
    /// its default client scopes, for example. `for_user`: a user (not a service account) is
    /// the subject.
    fn granted_scopes(&self, client: &Client, for_user: bool, requested: Vec<String>) -> Vec<String> {
        let _ = (client, for_user);
        requested
    }

    /// Whether authorization responses carry `iss` (RFC 9207); discovery says so where true.
    fn authorization_response_iss(&self) -> bool {
        true
    }

    /// The query parameter of the logout endpoint that names where to go afterwards.
    fn logout_redirect_param(&self) -> &'static str {
        "post_logout_redirect_uri"
    }

    /// Whether the logout endpoint asks the user before ending the browser's session.
    fn logout_confirmation(&self) -> LogoutConfirmation {
        LogoutConfirmation::UnlessIdTokenHint
    }

    /// The path of the user profile attributes API (IBM App ID's `/api/v1/attributes`), served
    /// at the host root; `None` when the provider has none.
    fn profile_attributes_route(&self) -> Option<&'static str> {
        None
    }

    /// Access-token format of a client whose World entry does not say.
    fn default_access_token_format(&self) -> TokenFormat {
        TokenFormat::Jwt
    }

    /// Token-endpoint body encodings accepted.
    fn token_body_formats(&self) -> BodyFormats {
        BodyFormats::FormOnly
    }

    /// Whether a public client may authenticate with HTTP Basic `client_id:code_verifier`
    /// (IBM App ID's SPA SDK does).
    fn public_client_basic_verifier(&self) -> bool {
        false
    }

    /// Whether the same client credentials sent both as HTTP Basic and in the body are accepted
    /// (Keycloak 26.7.3 does; RFC 6749 §2.3 says use one method).
    fn accepts_repeated_client_credentials(&self) -> bool {
        false
    }

    /// The provider's documented departures from specification requirements; the mock's
    /// builders and the conformance checks both read this list.
    fn deviations(&self) -> &'static [Deviation] {
        &[]
    }

    /// Whether the provider departs from a requirement in the way `deviation` says.
    fn deviates(&self, deviation: Deviation) -> bool {
        self.deviations().contains(&deviation)
    }

    /// Whether introspection honours `token_type_hint` strictly: a token of the other type is
    /// inactive and an unknown hint is `invalid_request` (Keycloak 26.7.3); RFC 7662 makes the
    /// hint an optimisation only.
    fn introspection_hint_strict(&self) -> bool {
        false
    }

    /// The discovery document.
    fn discovery(&self, input: &DiscoveryInput<'_>) -> Map<String, Value> {
        generic::discovery(input)
    }

    /// `typ` header of JWT access tokens.
    fn access_token_typ(&self) -> &'static str {
        generic::ACCESS_TOKEN_TYP
    }

    /// Access-token claims that introspection reports but a JWT access token does not carry
    /// (ZITADEL keeps `scope` out of its JWTs).
    fn introspection_only_claims(&self) -> &'static [&'static str] {
        &[]
    }

    /// Claims a JWT access token of this provider always carries, so a resource server can
    /// require them. Default: RFC 9068 §2.2 (`iss exp aud sub client_id iat jti`).
    fn required_access_token_claims(&self) -> &'static [&'static str] {
        &generic::REQUIRED_ACCESS_TOKEN_CLAIMS
    }

    /// The payload `typ` claim of this provider's JWT access tokens, when it writes one
    /// (Keycloak: `Bearer`). Default `None`: no `typ` claim.
    fn access_token_payload_typ(&self) -> Option<&'static str> {
        None
    }

    /// Whether verified claims are those of an access token, as opposed to another kind of
    /// token signed with the same keys (Keycloak marks ID tokens `typ: ID`). Default: when the
    /// provider writes a payload `typ` ([`Flavor::access_token_payload_typ`]), the claim must
    /// equal it; otherwise every token counts.
    fn is_access_token(&self, claims: &Map<String, Value>) -> bool {
        match self.access_token_payload_typ() {
            Some(typ) => claims.get("typ").and_then(Value::as_str) == Some(typ),
            None => true,
        }
    }

    /// Extra JOSE header members of every JWT (e.g. App ID's `ver`).
    fn extra_jwt_header(&self) -> Map<String, Value> {
        Map::new()
    }

    /// Claims of an access token.
    fn access_token_claims(&self, input: &AccessTokenInput<'_>) -> Map<String, Value> {
        generic::access_token_claims(input)
    }

    /// Claims of an ID token.
    fn id_token_claims(&self, input: &IdTokenInput<'_>) -> Map<String, Value> {
        generic::id_token_claims(input)
    }

    /// The UserInfo response.
    fn userinfo(&self, user: &User, scopes: &[String]) -> Map<String, Value> {
        generic::userinfo(user, scopes)
    }

    /// An `active: true` introspection response.
    fn introspection(&self, input: &IntrospectionInput<'_>) -> Map<String, Value> {
        generic::introspection(input)
    }

    /// Whether a confidential client needs the World's `introspection` permission to introspect
    /// (Keycloak lets every confidential client introspect).
    fn introspection_needs_permission(&self) -> bool {
        true
    }

    /// Whether introspection answers `active: false` unless the token's `aud` names the caller
    /// (Keycloak 26.7.3; refresh tokens, whose audience is the issuer, are then never active).
    fn introspection_requires_audience(&self) -> bool {
        false
    }

    /// The body of a 200 answer to revoking an unknown token (`None`: empty).
    fn revocation_unknown_token_body(&self) -> Option<Value> {
        None
    }

    /// What revoking a refresh token (RFC 7009) ends. Defaults to the whole grant, rotated
    /// tokens included (RFC 7009 §2.1, RFC 9700 §4.14.2).
    fn refresh_revocation(&self) -> RefreshRevocation {
        RefreshRevocation::Grant
    }

    /// A successful token response.
    fn token_response(&self, input: &TokenResponseInput<'_>) -> Map<String, Value> {
        generic::token_response(input)
    }

    /// How the provider answers `kind`.
    fn error_response(&self, kind: &ErrorKind, detail: &str, realm: &str) -> ErrorResponse {
        generic::error_response(kind, detail, realm)
    }

    /// Scopes, roles and client of a token's claims; `resource` is the asking resource server.
    fn read_grants(&self, claims: &Map<String, Value>, resource: Option<&str>) -> Grants {
        reader::generic(claims, resource)
    }
}
