//! [`Quirks`]: a provider's behaviour facts as data. Each provider module states one
//! `const QUIRKS: Quirks = Quirks { …, ..Quirks::STANDARD }` naming only where it departs from
//! the standards; the mock routes and answers requests from these values, the discovery
//! document advertises from them, and conformance and token-guard read them.

use crate::{Deviation, GrantType, TokenFormat, generic};
use serde_json::{Map, Value, json};

/// How a token endpoint accepts its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormats {
    /// `application/x-www-form-urlencoded` only (RFC 6749 §3.2).
    FormOnly,
    /// Form or `multipart/form-data`.
    FormOrMultipart,
    /// Form, `multipart/form-data` or `application/json` (IBM App ID's SDKs send all three).
    FormMultipartOrJson,
}

/// Where a provider's tokens put the roles of the resource server's own client, as a
/// resource server (token-guard's `Principal`) reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientRoles {
    /// Kept apart from realm roles, per client (Keycloak `resource_access.{client}.roles`):
    /// `Principal::client_roles`.
    PerClient,
    /// Merged into the one role list (ZITADEL: one role list per project): `Principal::roles`.
    InRoles,
    /// Nowhere: the World's client roles are not written into tokens.
    Absent,
}

/// What a resource server configures as its audience for this provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceAudience {
    /// The resource server's own client id (`api` in the World).
    ClientId,
    /// The id of the ZITADEL project holding the realm's clients: every token of the project
    /// names it in `aud`.
    ZitadelProject,
}

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

/// What the `realm` of a `WWW-Authenticate` challenge names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeRealm {
    /// The realm (tenant, organisation) the request addressed.
    RealmName,
    /// The server's host name, whatever the tenant (WSO2's `EndpointUtil.getRealmInfo`:
    /// `"Basic realm=" + HostName`).
    HostName,
}

/// One provider's behaviour facts. [`Quirks::STANDARD`] is plain OpenID Connect as the
/// specifications write it (the generic provider); a provider module overrides what its
/// provider does differently, and nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Quirks {
    /// Whether one server serves several realms (the realm is in the path). When false, only
    /// the world's default realm is served.
    pub multi_realm: bool,
    /// Grant types the provider implements (a subset of what the mock implements).
    pub grant_types: &'static [GrantType],
    /// The `code_challenge_method`s accepted, in the order discovery advertises them; `plain`
    /// is accepted only when listed.
    pub pkce_methods: &'static [&'static str],
    /// Whether authorization responses carry `iss` (RFC 9207); discovery says so where true.
    pub authorization_response_iss: bool,
    /// The query parameter of the logout endpoint that names where to go afterwards.
    pub logout_redirect_param: &'static str,
    /// Whether the logout endpoint asks the user before ending the browser's session.
    pub logout_confirmation: LogoutConfirmation,
    /// How the logout endpoint writes a refused request.
    pub logout_errors: crate::logout::LogoutErrors,
    /// What revoking a refresh token (RFC 7009) ends. Standard: the whole grant, rotated
    /// tokens included (RFC 7009 §2.1, RFC 9700 §4.14.2).
    pub refresh_revocation: RefreshRevocation,
    /// Access-token format of a client whose World entry does not say.
    pub default_access_token_format: TokenFormat,
    /// Token-endpoint body encodings accepted.
    pub token_body_formats: BodyFormats,
    /// Introspection-endpoint body encodings accepted.
    pub introspection_body_formats: BodyFormats,
    /// Whether a public client may authenticate with HTTP Basic `client_id:code_verifier`
    /// (IBM App ID's SPA SDK does).
    pub public_client_basic_verifier: bool,
    /// Whether the same client credentials sent both as HTTP Basic and in the body are accepted
    /// (Keycloak 26.7.3 does; RFC 6749 §2.3 says use one method).
    pub accepts_repeated_client_credentials: bool,
    /// The provider's documented departures from specification requirements; the mock's
    /// builders and the conformance checks both read this list.
    pub deviations: &'static [Deviation],
    /// Whether introspection honours `token_type_hint` strictly: a token of the other type is
    /// inactive and an unknown hint is `invalid_request` (Keycloak 26.7.3); RFC 7662 makes the
    /// hint an optimisation only.
    pub introspection_hint_strict: bool,
    /// Whether a confidential client needs the World's `introspection` permission to introspect
    /// (Keycloak lets every confidential client introspect).
    pub introspection_needs_permission: bool,
    /// Whether introspection answers `active: false` unless the token's `aud` names the caller
    /// (Keycloak 26.7.3; refresh tokens, whose audience is the issuer, are then never active).
    pub introspection_requires_audience: bool,
    /// Whether an introspection `token` of only whitespace counts as missing (WSO2's
    /// `StringUtils.isBlank(token)`); elsewhere it is a token that is not live.
    pub introspection_blank_token_is_missing: bool,
    /// Whether the token endpoint reads `grant_type` (missing, unsupported) before it
    /// authenticates the client: Keycloak's `TokenEndpoint` (`checkGrantType` before
    /// `checkClient`; a real Keycloak 26.7.3 answers an unknown client's request without
    /// `grant_type` with `400 invalid_request` "Missing form parameter: grant_type").
    pub grant_type_before_client_auth: bool,
    /// Whether a client may authenticate with `client_secret_jwt` (RFC 7523 §2.2, an HMAC
    /// assertion keyed by its secret): Keycloak's `client-secret-jwt` authenticator does;
    /// ZITADEL (zitadel/oidc verifies assertions with the client's public keys only), WSO2 (its
    /// private-key-jwt authenticator) and App ID (none documented) do not.
    pub accepts_client_secret_jwt: bool,
    /// Whether a client with registered keys (World `jwks`) may authenticate with
    /// `private_key_jwt` (Keycloak's `client-jwt`, ZITADEL's JWT key auth for API apps,
    /// WSO2's private-key-jwt authenticator; App ID documents none).
    pub accepts_private_key_jwt: bool,
    /// Whether a client's keys may come from its `jwks_uri` (World `jwks_uri`) rather than a
    /// registered `jwks`: Keycloak's "Use JWKS URL" (`use.jwks.url`/`jwks.url` client
    /// attributes, `OIDCAdvancedConfigWrapper`). Not ZITADEL (zitadel/oidc reads a client's
    /// keys from its storage by `kid`), not WSO2 (not read) or App ID.
    pub client_jwks_uri: bool,
    /// `(error, error_description)` of a 200 answer to revoking an unknown token; `None`: the
    /// body is empty (RFC 7009 §2.2).
    pub revocation_unknown_token_error: Option<(&'static str, &'static str)>,
    /// `typ` header of JWT access tokens.
    pub access_token_typ: &'static str,
    /// Claims this provider's JWT access tokens always carry, so a resource server can require
    /// them. Standard: RFC 9068 §2.2 (`iss exp aud sub client_id iat jti`).
    pub required_access_token_claims: &'static [&'static str],
    /// The payload `typ` claim of this provider's JWT access tokens, when it writes one
    /// (Keycloak: `Bearer`). Standard: `None`, no `typ` claim.
    pub access_token_payload_typ: Option<&'static str>,
    /// Access-token claims that introspection reports but a JWT access token does not carry
    /// (ZITADEL keeps `scope` out of its JWTs).
    pub introspection_only_claims: &'static [&'static str],
    /// A `ver` member every JWT's JOSE header carries (IBM App ID: 4); `None`: no extra member.
    pub jwt_header_ver: Option<u8>,
    /// What a resource server configures as its audience.
    pub resource_audience: ResourceAudience,
    /// Where the resource server's client roles land.
    pub client_roles: ClientRoles,
    /// Whether an introspection answer carries the user's roles (WSO2's has scopes only, so
    /// role checks need JWT access tokens there).
    pub introspection_carries_roles: bool,
    /// What the `realm` of a `WWW-Authenticate` challenge names (see
    /// [`Site::challenge_realm`](crate::Site::challenge_realm)).
    pub challenge_realm: ChallengeRealm,
    /// Whether a code or password grant issues a refresh token only when `offline_access` was
    /// granted (zitadel/oidc `NeedsRefreshToken`; ZITADEL `auth_request.go`).
    pub refresh_needs_offline_access: bool,
    /// Whether `code_challenge_method=plain` is accepted although discovery lists
    /// [`Quirks::pkce_methods`] without it (zitadel/oidc: `CodeChallengeMethods` advertises S256
    /// only, `ValidateAuthReqCodeChallengeMethod` and `VerifyCodeChallenge` take plain too).
    pub pkce_plain_unadvertised: bool,
    /// Whether the token endpoint refuses a code exchange without `redirect_uri` as a malformed
    /// request before looking at the code (zitadel/oidc `server_http.go`: "redirect_uri
    /// missing"); otherwise a missing one is a redirect URI mismatch.
    pub token_redirect_uri_required: bool,
    /// Whether the World's personal access tokens of machine users (`client_credentials`
    /// clients) are live bearer tokens at introspection and userinfo (ZITADEL).
    pub personal_access_tokens: bool,
    /// The provider's device authorization grant (RFC 8628); `None` where it has none or the
    /// mock does not imitate it. Served only when [`Quirks::grant_types`] lists
    /// [`GrantType::DeviceCode`] too.
    pub device: Option<crate::device::DeviceFacts>,
    /// The provider's pushed authorization request endpoint (RFC 9126); `None` where it has
    /// none.
    pub par: Option<crate::par::ParFacts>,
    /// The provider's back-channel logout tokens; `None` where the mock does not send them.
    pub backchannel_logout: Option<crate::backchannel::BackchannelLogoutFacts>,
    /// The provider's token exchange (RFC 8693); `None` where it has none or the mock does not
    /// imitate it. Served only when [`Quirks::grant_types`] lists [`GrantType::TokenExchange`] too.
    pub token_exchange: Option<crate::exchange::ExchangeFacts>,
    /// The provider's DPoP (RFC 9449); `None` where it has none: a `DPoP` header is then
    /// ignored and tokens stay bearer tokens.
    pub dpop: Option<crate::dpop::DpopFacts>,
    /// How client assertions (`private_key_jwt`, `client_secret_jwt`) are checked and refused.
    pub client_assertion: crate::client_assertion::AssertionFacts,
}

impl Quirks {
    /// The standards: what the generic provider does.
    pub const STANDARD: Quirks = Quirks {
        multi_realm: true,
        grant_types: &GrantType::CORE,
        pkce_methods: &["S256", "plain"],
        authorization_response_iss: true,
        logout_redirect_param: "post_logout_redirect_uri",
        logout_confirmation: LogoutConfirmation::UnlessIdTokenHint,
        logout_errors: crate::logout::LogoutErrors::Page,
        refresh_revocation: RefreshRevocation::Grant,
        default_access_token_format: TokenFormat::Jwt,
        token_body_formats: BodyFormats::FormOnly,
        introspection_body_formats: BodyFormats::FormOnly,
        public_client_basic_verifier: false,
        accepts_repeated_client_credentials: false,
        deviations: &[],
        introspection_hint_strict: false,
        introspection_needs_permission: true,
        introspection_requires_audience: false,
        introspection_blank_token_is_missing: false,
        accepts_client_secret_jwt: true,
        accepts_private_key_jwt: true,
        grant_type_before_client_auth: false,
        client_jwks_uri: true,
        revocation_unknown_token_error: None,
        access_token_typ: generic::ACCESS_TOKEN_TYP,
        required_access_token_claims: &generic::REQUIRED_ACCESS_TOKEN_CLAIMS,
        access_token_payload_typ: None,
        introspection_only_claims: &[],
        jwt_header_ver: None,
        resource_audience: ResourceAudience::ClientId,
        client_roles: ClientRoles::Absent,
        introspection_carries_roles: true,
        challenge_realm: ChallengeRealm::RealmName,
        refresh_needs_offline_access: false,
        pkce_plain_unadvertised: false,
        token_redirect_uri_required: false,
        personal_access_tokens: false,
        device: Some(crate::device::STANDARD),
        par: None,
        backchannel_logout: Some(crate::backchannel::STANDARD),
        token_exchange: None,
        dpop: Some(crate::dpop::STANDARD),
        client_assertion: crate::client_assertion::STANDARD,
    };

    /// The audience a resource server whose client is `resource` configures for `realm`.
    pub fn resource_audience(&self, realm: &str, resource: &str) -> String {
        match self.resource_audience {
            ResourceAudience::ClientId => resource.to_owned(),
            ResourceAudience::ZitadelProject => crate::zitadel::project_id(realm),
        }
    }

    /// Whether a JWT access token carries `scope` (ZITADEL's do not: only introspection
    /// reports it).
    pub fn jwt_carries_scope(&self) -> bool {
        !self.introspection_only_claims.contains(&"scope")
    }

    /// Whether the provider departs from a requirement in the way `deviation` says.
    pub fn deviates(&self, deviation: Deviation) -> bool {
        self.deviations.contains(&deviation)
    }

    /// Whether `code_challenge_method=plain` is accepted (advertised or not).
    pub fn pkce_plain(&self) -> bool {
        self.pkce_plain_unadvertised || self.pkce_methods.contains(&"plain")
    }

    /// Whether verified claims are those of an access token, as opposed to another kind of
    /// token signed with the same keys (Keycloak marks ID tokens `typ: ID`): when the provider
    /// writes a payload `typ` ([`Quirks::access_token_payload_typ`]), the claim must equal it;
    /// otherwise every token counts.
    pub fn is_access_token(&self, claims: &Map<String, Value>) -> bool {
        match self.access_token_payload_typ {
            Some(typ) => claims.get("typ").and_then(Value::as_str) == Some(typ) || self.is_bound_access_token(claims),
            None => true,
        }
    }

    /// The body of a 200 answer to revoking an unknown token (`None`: empty).
    pub fn revocation_unknown_token_body(&self) -> Option<Value> {
        self.revocation_unknown_token_error
            .map(|(error, description)| json!({"error": error, "error_description": description}))
    }

    /// Extra JOSE header members of every JWT (e.g. App ID's `ver`).
    pub fn extra_jwt_header(&self) -> Map<String, Value> {
        let mut header = Map::new();
        if let Some(ver) = self.jwt_header_ver {
            header.insert("ver".into(), json!(ver));
        }
        header
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_pkce_is_accepted_only_where_listed() {
        assert!(Quirks::STANDARD.pkce_plain());
        let s256_only = Quirks {
            pkce_methods: &["S256"],
            ..Quirks::STANDARD
        };
        assert!(!s256_only.pkce_plain());
    }

    #[test]
    fn zitadel_resource_servers_name_the_project_and_others_their_client() {
        let zitadel = crate::Provider::Zitadel.quirks();
        assert_eq!(
            zitadel.resource_audience("demo", "api"),
            crate::zitadel::project_id("demo")
        );
        assert!(!zitadel.jwt_carries_scope());
        for provider in [
            crate::Provider::Generic,
            crate::Provider::Keycloak,
            crate::Provider::Wso2,
        ] {
            assert_eq!(provider.quirks().resource_audience("demo", "api"), "api", "{provider}");
            assert!(provider.quirks().jwt_carries_scope(), "{provider}");
        }
    }

    #[test]
    fn an_unknown_token_revocation_body_is_empty_unless_stated() {
        assert_eq!(Quirks::STANDARD.revocation_unknown_token_body(), None);
        let stated = Quirks {
            revocation_unknown_token_error: Some(("invalid_token", "Invalid token")),
            ..Quirks::STANDARD
        };
        assert_eq!(
            stated.revocation_unknown_token_body(),
            Some(json!({"error": "invalid_token", "error_description": "Invalid token"}))
        );
    }
}
