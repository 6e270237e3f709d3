//! `/_mock/realms/{realm}/clients`: create, list, read, update and delete a realm's clients
//! (secret, redirect URIs, grants, scopes, token format). Like users, each change is checked
//! by the world's rules and takes effect on the next request.

use super::error::AdminError;
use super::problem::{AdminJson, AdminPath, Problem, json};
use super::users::nullable;
use crate::app::App;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use providers::world::{ClientKind, PkcePolicy, TokenFormat};
use providers::{Client, GrantType, Secret, SigningAlg};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Confidential (authenticates with a secret) or public (RFC 6749 §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClientType {
    /// Authenticates with its secret.
    Confidential,
    /// No secret (`token_endpoint_auth_method=none`).
    Public,
}

/// A client to create; defaults are those of a world file.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClient {
    /// The `client_id`, unique in the realm.
    pub client_id: String,
    /// Confidential or public.
    pub kind: ClientType,
    /// The secret; required for a confidential client, refused for a public one.
    #[serde(default)]
    pub secret: Option<String>,
    /// Redirect URIs (exact match).
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Redirect URIs allowed after logout.
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// Grant types (`authorization_code`, `refresh_token`, `client_credentials`, `password`, …).
    #[schema(value_type = Vec<String>)]
    pub grant_types: Vec<GrantType>,
    /// `optional` (default) or `s256-required`.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub pkce: Option<PkcePolicy>,
    /// Scopes the client may request; the realm's scopes when absent.
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    /// Scopes granted when a request names none.
    #[serde(default)]
    pub default_scopes: Vec<String>,
    /// Client roles this client defines.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Scopes that make this client an audience of the tokens carrying them.
    #[serde(default)]
    pub audience_scopes: Vec<String>,
    /// Realm roles of the service account (`client_credentials`).
    #[serde(default)]
    pub service_account_roles: Vec<String>,
    /// Whether the client may call the introspection endpoint.
    #[serde(default)]
    pub introspection: bool,
    /// `jwt` or `opaque`; the provider's default when absent.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub access_token_format: Option<TokenFormat>,
    /// `RS256`, `ES256`, `EdDSA` or `PS256`; the realm's when absent.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub signing_alg: Option<SigningAlg>,
    /// Public keys for `private_key_jwt` (RFC 7523 §2.2): a JWK set `{"keys": [...]}` of 1 to
    /// 16 RSA, EC or OKP public keys (confidential clients only); none when absent.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<serde_json::Value>,
    /// Where the client publishes its `private_key_jwt` public keys instead of `jwks`: an
    /// `http(s)` URL on a loopback host, fetched when an assertion needs it (providers that read
    /// a client's JWKS URL: Keycloak, generic).
    #[serde(default)]
    pub jwks_uri: Option<String>,
    /// Whether every token request of this client must carry a DPoP proof (RFC 9449;
    /// Keycloak's `dpop.bound.access.tokens`), where the provider has DPoP.
    #[serde(default)]
    pub dpop_bound_access_tokens: bool,
    /// `client_secret_basic`, `client_secret_post`, `client_secret_jwt`, `private_key_jwt` or
    /// `none`: the client's one method where the provider gives a client one (Keycloak);
    /// derived from its kind and keys when absent.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub token_endpoint_auth_method: Option<providers::TokenEndpointAuthMethod>,
}

/// Changes to a client; absent fields stay as they are, `null` clears an optional setting.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ClientPatch {
    /// A new secret (confidential clients only).
    pub secret: Option<String>,
    /// Replaces the redirect URIs.
    pub redirect_uris: Option<Vec<String>>,
    /// Replaces the post-logout redirect URIs.
    pub post_logout_redirect_uris: Option<Vec<String>>,
    /// Replaces the grant types.
    #[schema(value_type = Option<Vec<String>>)]
    pub grant_types: Option<Vec<GrantType>>,
    /// `optional` or `s256-required`.
    #[schema(value_type = Option<String>)]
    pub pkce: Option<PkcePolicy>,
    /// Replaces the allowed scopes.
    pub scopes: Option<Vec<String>>,
    /// Replaces the default scopes.
    pub default_scopes: Option<Vec<String>>,
    /// Replaces the client roles it defines.
    pub roles: Option<Vec<String>>,
    /// Replaces the audience scopes.
    pub audience_scopes: Option<Vec<String>>,
    /// Replaces the service account's realm roles.
    pub service_account_roles: Option<Vec<String>>,
    /// Whether the client may introspect.
    pub introspection: Option<bool>,
    /// `jwt`, `opaque`, or `null` for the provider's default.
    #[serde(deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub access_token_format: Option<Option<TokenFormat>>,
    /// A signing algorithm, or `null` for the realm's.
    #[serde(deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub signing_alg: Option<Option<SigningAlg>>,
    /// Replaces the `private_key_jwt` public keys (a JWK set), or `null` to remove them.
    #[serde(deserialize_with = "nullable")]
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<Option<serde_json::Value>>,
    /// Replaces the URL of the `private_key_jwt` public keys, or `null` to remove it.
    #[serde(deserialize_with = "nullable")]
    pub jwks_uri: Option<Option<String>>,
    /// The method the client authenticates with (checked against its kind and keys, as the
    /// World's rule checks it), or `null` to derive it from them again.
    #[serde(deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub token_endpoint_auth_method: Option<Option<providers::TokenEndpointAuthMethod>>,
}

/// A client as the admin API shows it (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ClientView {
    /// The `client_id`.
    pub client_id: String,
    /// Confidential or public.
    pub kind: ClientType,
    /// Redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Post-logout redirect URIs.
    pub post_logout_redirect_uris: Vec<String>,
    /// Grant types.
    #[schema(value_type = Vec<String>)]
    pub grant_types: Vec<GrantType>,
    /// PKCE policy.
    #[schema(value_type = String)]
    pub pkce: PkcePolicy,
    /// Allowed scopes.
    pub scopes: Vec<String>,
    /// Default scopes.
    pub default_scopes: Vec<String>,
    /// Client roles it defines.
    pub roles: Vec<String>,
    /// Audience scopes.
    pub audience_scopes: Vec<String>,
    /// Service account realm roles.
    pub service_account_roles: Vec<String>,
    /// Whether it may introspect.
    pub introspection: bool,
    /// Access-token format, `null` for the provider's default.
    #[schema(value_type = Option<String>)]
    pub access_token_format: Option<TokenFormat>,
    /// Signing algorithm, `null` for the realm's.
    #[schema(value_type = Option<String>)]
    pub signing_alg: Option<SigningAlg>,
    /// The `private_key_jwt` public keys, `null` when none.
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<serde_json::Value>,
    /// Where the `private_key_jwt` public keys are published, `null` when not by URL.
    pub jwks_uri: Option<String>,
    /// How the client authenticates at the token endpoint: as registered, else derived from its
    /// kind and keys.
    #[schema(value_type = String)]
    pub token_endpoint_auth_method: providers::TokenEndpointAuthMethod,
}

impl From<&Client> for ClientView {
    fn from(client: &Client) -> ClientView {
        ClientView {
            client_id: client.id.clone(),
            kind: if client.is_confidential() {
                ClientType::Confidential
            } else {
                ClientType::Public
            },
            redirect_uris: client.redirect_uris.clone(),
            post_logout_redirect_uris: client.post_logout_redirect_uris.clone(),
            grant_types: client.grant_types.clone(),
            pkce: client.pkce,
            scopes: client.scopes.clone(),
            default_scopes: client.default_scopes.clone(),
            roles: client.roles.clone(),
            audience_scopes: client.audience_scopes.clone(),
            service_account_roles: client.service_account_roles.clone(),
            introspection: client.introspection,
            access_token_format: client.access_token_format,
            signing_alg: client.signing_alg,
            jwks: client.jwks.clone(),
            jwks_uri: client.jwks_uri.clone(),
            token_endpoint_auth_method: client.auth_method(),
        }
    }
}

fn kind(kind: ClientType, secret: Option<String>) -> Result<ClientKind, AdminError> {
    match (kind, secret) {
        (ClientType::Confidential, Some(secret)) if !secret.is_empty() => Ok(ClientKind::Confidential {
            secret: Secret::new(secret),
        }),
        (ClientType::Confidential, _) => Err(AdminError::invalid("secret", "a confidential client needs a secret")),
        (ClientType::Public, None) => Ok(ClientKind::Public),
        (ClientType::Public, Some(_)) => Err(AdminError::invalid("secret", "a public client has no secret")),
    }
}

/// Creates a client in `realm`.
pub(crate) fn create(app: &App, realm: &str, new: NewClient) -> Result<ClientView, AdminError> {
    if new.client_id.is_empty() {
        return Err(AdminError::invalid("client_id", "must not be empty"));
    }
    let kind = kind(new.kind, new.secret)?;
    let mut view = None;
    app.update_realm(realm, |live| {
        if live.clients.contains_key(&new.client_id) {
            return Err(AdminError::Exists(new.client_id.clone()));
        }
        let client = Client {
            id: new.client_id.clone(),
            kind,
            redirect_uris: new.redirect_uris,
            post_logout_redirect_uris: new.post_logout_redirect_uris,
            grant_types: new.grant_types,
            pkce: new.pkce.unwrap_or(PkcePolicy::Optional),
            scopes: new.scopes.unwrap_or_else(|| live.scopes.clone()),
            default_scopes: new.default_scopes,
            roles: new.roles,
            audience_scopes: new.audience_scopes,
            service_account_roles: new.service_account_roles,
            introspection: new.introspection,
            access_token_format: new.access_token_format,
            signing_alg: new.signing_alg,
            personal_access_tokens: Vec::new(),
            // Checked by the world's rules in `update_realm`.
            jwks: new.jwks,
            jwks_uri: new.jwks_uri,
            require_pushed_authorization_requests: false,
            dpop_bound_access_tokens: new.dpop_bound_access_tokens,
            backchannel_logout_uri: None,
            backchannel_logout_session_required: true,
            token_endpoint_auth_method: new.token_endpoint_auth_method,
            client_assertion_max_exp: None,
        };
        view = Some(ClientView::from(&client));
        live.clients.insert(new.client_id.clone(), client);
        Ok(())
    })?;
    view.ok_or_else(|| AdminError::UnknownRealm(realm.to_owned()))
}

/// Applies `patch` to `client_id` in `realm`.
pub(crate) fn update(app: &App, realm: &str, client_id: &str, patch: ClientPatch) -> Result<ClientView, AdminError> {
    let mut view = None;
    app.update_realm(realm, |live| {
        let client = live
            .clients
            .get_mut(client_id)
            .ok_or_else(|| AdminError::UnknownClient(client_id.to_owned()))?;
        if let Some(secret) = patch.secret {
            if !client.is_confidential() {
                return Err(AdminError::invalid("secret", "a public client has no secret"));
            }
            client.kind = kind(ClientType::Confidential, Some(secret))?;
        }
        let replace = |slot: &mut Vec<String>, value: Option<Vec<String>>| {
            if let Some(value) = value {
                *slot = value;
            }
        };
        replace(&mut client.redirect_uris, patch.redirect_uris);
        replace(&mut client.post_logout_redirect_uris, patch.post_logout_redirect_uris);
        replace(&mut client.scopes, patch.scopes);
        replace(&mut client.default_scopes, patch.default_scopes);
        replace(&mut client.roles, patch.roles);
        replace(&mut client.audience_scopes, patch.audience_scopes);
        replace(&mut client.service_account_roles, patch.service_account_roles);
        if let Some(grants) = patch.grant_types {
            client.grant_types = grants;
        }
        if let Some(pkce) = patch.pkce {
            client.pkce = pkce;
        }
        if let Some(introspection) = patch.introspection {
            client.introspection = introspection;
        }
        if let Some(format) = patch.access_token_format {
            client.access_token_format = format;
        }
        if let Some(alg) = patch.signing_alg {
            client.signing_alg = alg;
        }
        if let Some(jwks) = patch.jwks {
            client.jwks = jwks;
        }
        if let Some(uri) = patch.jwks_uri {
            client.jwks_uri = uri;
        }
        // Checked with the client's other settings by the world's rules in `update_realm`.
        if let Some(method) = patch.token_endpoint_auth_method {
            client.token_endpoint_auth_method = method;
        }
        view = Some(ClientView::from(&*client));
        Ok(())
    })?;
    view.ok_or_else(|| AdminError::UnknownClient(client_id.to_owned()))
}

/// Deletes `client_id` from `realm` (refused while users hold roles it defines).
pub(crate) fn delete(app: &App, realm: &str, client_id: &str) -> Result<(), AdminError> {
    app.update_realm(realm, |live| {
        live.clients
            .remove(client_id)
            .map(|_| ())
            .ok_or_else(|| AdminError::UnknownClient(client_id.to_owned()))
    })
}

/// The clients of `realm`, by id.
pub(crate) fn list(app: &App, realm: &str) -> Result<Vec<ClientView>, AdminError> {
    let live = app
        .live_realm(realm)
        .ok_or_else(|| AdminError::UnknownRealm(realm.to_owned()))?;
    Ok(live.clients.values().map(ClientView::from).collect())
}

/// One client of `realm`.
pub(crate) fn get(app: &App, realm: &str, client_id: &str) -> Result<ClientView, AdminError> {
    let live = app
        .live_realm(realm)
        .ok_or_else(|| AdminError::UnknownRealm(realm.to_owned()))?;
    live.clients
        .get(client_id)
        .map(ClientView::from)
        .ok_or_else(|| AdminError::UnknownClient(client_id.to_owned()))
}

/// The clients' routes.
pub(crate) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(list_clients, create_client))
        .routes(routes!(show_client, update_client, delete_client))
}

fn answer<T: Serialize>(status: StatusCode, result: Result<T, AdminError>) -> Response {
    match result {
        Ok(value) => json(status, &value),
        Err(err) => Problem::from(err).into_response(),
    }
}

/// The realm's clients.
#[utoipa::path(get, path = "/realms/{realm}/clients", tag = "clients",
    params(("realm" = String, Path, description = "Realm name")),
    responses((status = 200, description = "Clients by id", body = Vec<ClientView>),
        (status = 404, description = "No such realm", body = Problem, content_type = "application/problem+json")))]
async fn list_clients(State(app): State<Arc<App>>, AdminPath(realm): AdminPath<String>) -> Response {
    answer(StatusCode::OK, list(&app, &realm))
}

/// Creates a client; it can ask for tokens on the next request.
#[utoipa::path(post, path = "/realms/{realm}/clients", tag = "clients", request_body = NewClient,
    params(("realm" = String, Path, description = "Realm name")),
    responses((status = 201, description = "The new client", body = ClientView),
        (status = 409, description = "The client_id is taken", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", description = "Malformed input or a broken world rule", body = Problem, content_type = "application/problem+json")))]
async fn create_client(
    State(app): State<Arc<App>>,
    AdminPath(realm): AdminPath<String>,
    AdminJson(new): AdminJson<NewClient>,
) -> Response {
    answer(StatusCode::CREATED, create(&app, &realm, new))
}

/// One client.
#[utoipa::path(get, path = "/realms/{realm}/clients/{client_id}", tag = "clients",
    params(("realm" = String, Path, description = "Realm name"), ("client_id" = String, Path, description = "Client id")),
    responses((status = 200, description = "The client", body = ClientView),
        (status = 404, description = "No such realm or client", body = Problem, content_type = "application/problem+json")))]
async fn show_client(
    State(app): State<Arc<App>>,
    AdminPath((realm, client_id)): AdminPath<(String, String)>,
) -> Response {
    answer(StatusCode::OK, get(&app, &realm, &client_id))
}

/// Changes a client's secret, redirect URIs, grants, scopes or token format.
#[utoipa::path(patch, path = "/realms/{realm}/clients/{client_id}", tag = "clients", request_body = ClientPatch,
    params(("realm" = String, Path, description = "Realm name"), ("client_id" = String, Path, description = "Client id")),
    responses((status = 200, description = "The updated client", body = ClientView),
        (status = "4XX", description = "No such client, malformed input or a broken world rule", body = Problem, content_type = "application/problem+json")))]
async fn update_client(
    State(app): State<Arc<App>>,
    AdminPath((realm, client_id)): AdminPath<(String, String)>,
    AdminJson(patch): AdminJson<ClientPatch>,
) -> Response {
    answer(StatusCode::OK, update(&app, &realm, &client_id, patch))
}

/// Deletes a client; its next token request fails.
#[utoipa::path(delete, path = "/realms/{realm}/clients/{client_id}", tag = "clients",
    params(("realm" = String, Path, description = "Realm name"), ("client_id" = String, Path, description = "Client id")),
    responses((status = 204, description = "Deleted"),
        (status = "4XX", description = "No such client, or users still hold its roles", body = Problem, content_type = "application/problem+json")))]
async fn delete_client(
    State(app): State<Arc<App>>,
    AdminPath((realm, client_id)): AdminPath<(String, String)>,
) -> Response {
    match delete(&app, &realm, &client_id) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(err) => Problem::from(err).into_response(),
    }
}
