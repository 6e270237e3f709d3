//! The [`Flavor`] trait: what a provider module writes as code (its URL layout, claim and
//! response shaping, error table, role reader); its behaviour facts are data, a [`Quirks`]
//! value. The default methods are the standards (the generic provider); each provider module
//! overrides what its provider does differently, and nothing else.

use crate::claims::{AccessTokenInput, DiscoveryInput, IdTokenInput, IntrospectionInput, TokenResponseInput};
use crate::{
    Client, Endpoint, ErrorKind, ErrorResponse, Grants, ProviderMetadata, Quirks, ScopeScreen, Site, User, generic,
    reader,
};
use serde_json::{Map, Value};

/// One provider's facts. Implemented by a zero-sized type per provider module.
pub trait Flavor: Sync + Send + std::fmt::Debug {
    /// The provider's behaviour facts.
    fn quirks(&self) -> &'static Quirks {
        &Quirks::STANDARD
    }

    /// The axum route pattern of `endpoint` (with `{realm}` where the realm goes), or `None`
    /// when the provider does not serve that endpoint.
    fn route(&self, endpoint: Endpoint) -> Option<&'static str> {
        // The generic provider has no PAR endpoint (crate::par): no route, no URL.
        (endpoint != Endpoint::PushedAuthorization).then(|| generic::route(endpoint))
    }

    /// The route pattern of `endpoint` for the world's default realm, when the provider gives it
    /// a layout of its own (WSO2's super tenant lives at `/oauth2/*`, other tenants at
    /// `/t/{tenant}/oauth2/*`). Defaults to [`Flavor::route`].
    fn default_realm_route(&self, endpoint: Endpoint) -> Option<&'static str> {
        self.route(endpoint)
    }

    /// More route patterns serving `endpoint`, beside [`Flavor::route`] and
    /// [`Flavor::default_realm_route`]: a pattern without `{realm}` serves the default realm.
    /// They never appear in an issuer or a discovery document (WSO2 also serves its super tenant
    /// under `/t/carbon.super/…`). Defaults to none.
    fn route_aliases(&self, endpoint: Endpoint) -> &'static [&'static str] {
        let _ = endpoint;
        &[]
    }

    /// The issuer of `site`'s realm.
    fn issuer(&self, site: &Site) -> String {
        generic::issuer(site)
    }

    /// What the provider does with `scope` when a request asks for it, before the client's
    /// allowed scopes are checked (see [`crate::requested_scopes`]); `for_user`: a user (not a
    /// service account) is the subject. The standard: every scope is checked.
    fn screen_scope(&self, scope: &str, for_user: bool) -> ScopeScreen {
        let _ = (scope, for_user);
        ScopeScreen::Check
    }

    /// The scopes a grant ends up with, from the (already allowed) requested ones; Keycloak adds
    /// its default client scopes, for example. `for_user`: a user (not a service account) is
    /// the subject.
    fn granted_scopes(&self, client: &Client, for_user: bool, requested: Vec<String>) -> Vec<String> {
        let _ = (client, for_user);
        requested
    }

    /// The discovery document's members for a provider that behaves as `quirks` say
    /// (normally [`Flavor::quirks`]; tests pass others). A provider module starts from
    /// [`ProviderMetadata::standard`] and changes only what its provider writes differently.
    fn metadata(&self, input: &DiscoveryInput<'_>, quirks: &Quirks) -> ProviderMetadata {
        ProviderMetadata::standard(input, quirks)
    }

    /// The order the provider writes its discovery members in (every member it writes).
    fn metadata_order(&self) -> &'static [&'static str] {
        crate::metadata::STANDARD_ORDER
    }

    /// The discovery document served: [`Flavor::metadata`] for the provider's own quirks, in
    /// [`Flavor::metadata_order`]. Provider modules do not override it.
    fn discovery(&self, input: &DiscoveryInput<'_>) -> Map<String, Value> {
        self.metadata(input, self.quirks()).document(self.metadata_order())
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
