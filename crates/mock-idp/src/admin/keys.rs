//! `/_mock/realms/{realm}/keys`: list, rotate (with an overlap), retire, publish-only keys and
//! the signing algorithm, with the semantics of [`crate::MockIdp::rotate_realm_keys`] and
//! friends.

use super::problem::{AdminJson, Problem, json};
use crate::app::App;
use crate::keys::KeyError;
use crate::server::MockIdpError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use providers::SigningAlg;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The key routes.
pub(crate) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(keys_list))
        .routes(routes!(keys_rotate))
        .routes(routes!(keys_retire))
        .routes(routes!(keys_publish))
        .routes(routes!(keys_signing_alg))
}

/// A rotation.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Rotate {
    /// Seconds the old keys stay published (on the mock's clock); absent: until retired.
    overlap_seconds: Option<u64>,
}

/// What to retire.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Retire {
    /// One retired or publish-only key; absent: every retired key.
    kid: Option<String>,
}

/// A publish-only key to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Publish {
    /// `RS256`, `ES256`, `EdDSA` or `PS256`.
    #[schema(value_type = String)]
    alg: SigningAlg,
}

/// The realm's signing algorithm.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Alg {
    /// `RS256`, `ES256`, `EdDSA` or `PS256`; `null` for the world's algorithm.
    #[schema(value_type = Option<String>)]
    alg: Option<SigningAlg>,
}

/// The `kid` of a key just published.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Published {
    kid: String,
}

/// A key: `kid`, `alg`, `state` (`active`, `retired` with `until`, `publish_only`).
#[derive(Debug, ToSchema)]
#[schema(value_type = Object)]
#[allow(dead_code)] // a schema only: answers serialize KeyInfo
pub(crate) struct KeyBody(serde_json::Value);

/// The realm's published keys: active, retired, publish-only.
#[utoipa::path(get, path = "/realms/{realm}/keys", tag = "keys",
    params(("realm" = String, Path, description = "The realm")),
    responses((status = 200, description = "Keys", body = Vec<KeyBody>),
        (status = 404, description = "No such realm", body = Problem, content_type = "application/problem+json")))]
async fn keys_list(State(app): State<Arc<App>>, Path(realm): Path<String>) -> Response {
    answer(app.keys(&realm).map(|keys| json(StatusCode::OK, &keys)))
}

/// Rotates the realm's signing keys; the old ones stay for the overlap (or until retired).
#[utoipa::path(post, path = "/realms/{realm}/keys/rotate", tag = "keys", request_body = Rotate,
    params(("realm" = String, Path, description = "The realm")),
    responses((status = 200, description = "The keys after the rotation", body = Vec<KeyBody>),
        (status = "4XX", description = "No such realm or malformed input", body = Problem, content_type = "application/problem+json")))]
async fn keys_rotate(
    State(app): State<Arc<App>>,
    Path(realm): Path<String>,
    AdminJson(input): AdminJson<Rotate>,
) -> Response {
    let overlap = input.overlap_seconds.map(Duration::from_secs);
    answer(
        app.rotate_realm_keys(&realm, overlap)
            .and_then(|()| app.keys(&realm))
            .map(|keys| json(StatusCode::OK, &keys)),
    )
}

/// Retires one retired or publish-only key, or every retired key.
#[utoipa::path(post, path = "/realms/{realm}/keys/retire", tag = "keys", request_body = Retire,
    params(("realm" = String, Path, description = "The realm")),
    responses((status = 200, description = "The keys after retirement", body = Vec<KeyBody>),
        (status = "4XX", description = "No such realm or key, an active key, or malformed input", body = Problem, content_type = "application/problem+json")))]
async fn keys_retire(
    State(app): State<Arc<App>>,
    Path(realm): Path<String>,
    AdminJson(input): AdminJson<Retire>,
) -> Response {
    let result = match &input.kid {
        Some(kid) => app.retire_key(&realm, kid),
        None => app.retire_old_keys(&realm),
    };
    answer(
        result
            .and_then(|()| app.keys(&realm))
            .map(|keys| json(StatusCode::OK, &keys)),
    )
}

/// Publishes a fresh key that never signs.
#[utoipa::path(post, path = "/realms/{realm}/keys/publish", tag = "keys", request_body = Publish,
    params(("realm" = String, Path, description = "The realm")),
    responses((status = 201, description = "The new key's kid", body = Published),
        (status = "4XX", description = "No such realm, too many keys or malformed input", body = Problem, content_type = "application/problem+json")))]
async fn keys_publish(
    State(app): State<Arc<App>>,
    Path(realm): Path<String>,
    AdminJson(input): AdminJson<Publish>,
) -> Response {
    answer(
        app.publish_key(&realm, input.alg)
            .map(|kid| json(StatusCode::CREATED, &Published { kid })),
    )
}

/// Sets the realm's signing algorithm (a client's own algorithm still wins).
#[utoipa::path(put, path = "/realms/{realm}/signing-alg", tag = "keys", request_body = Alg,
    params(("realm" = String, Path, description = "The realm")),
    responses((status = 204, description = "Set"),
        (status = "4XX", description = "No such realm or malformed input", body = Problem, content_type = "application/problem+json")))]
async fn keys_signing_alg(
    State(app): State<Arc<App>>,
    Path(realm): Path<String>,
    AdminJson(input): AdminJson<Alg>,
) -> Response {
    answer(
        app.set_signing_alg(&realm, input.alg)
            .map(|()| StatusCode::NO_CONTENT.into_response()),
    )
}

fn answer(result: Result<Response, MockIdpError>) -> Response {
    result.unwrap_or_else(|err| {
        match &err {
            MockIdpError::UnknownRealm(_) => Problem::not_found(err.to_string()),
            MockIdpError::Keys(KeyError::Active(_)) => Problem::conflict(err.to_string()).at("kid"),
            MockIdpError::Keys(KeyError::UnknownKid(_)) => Problem::not_found(err.to_string()),
            MockIdpError::Keys(KeyError::TooMany(_)) => Problem::conflict(err.to_string()),
            _ => Problem::new(StatusCode::SERVICE_UNAVAILABLE, Some("keys"), err.to_string()),
        }
        .into_response()
    })
}
