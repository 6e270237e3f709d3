//! `/_mock/claims` and `/_mock/mappings`: claims queued for the next N token responses of a
//! client and/or user, and standing mapping rules ([`crate::shaping`]). The handlers call what
//! [`crate::MockIdp::queue_claims`] and [`crate::MockIdp::add_mapping`] call.

use super::problem::{AdminJson, Problem, json};
use crate::app::App;
use crate::shaping::{MappingRule, QueuedClaims, ShapingError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The claim queue's and the mapping rules' routes.
pub(crate) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(list_claims, queue_claims, clear_claims))
        .routes(routes!(list_mappings, add_mapping, clear_mappings))
}

/// The queued shapes with their remaining counts, oldest first.
#[utoipa::path(get, path = "/claims", tag = "shaping",
    responses((status = 200, description = "The queued shapes", body = Vec<QueuedClaims>)))]
async fn list_claims(State(app): State<Arc<App>>) -> Response {
    json(StatusCode::OK, &app.shaping.queued())
}

/// Queues claims (or header parameters, or removals) for the next `count` token responses of
/// the shape's client and/or user.
#[utoipa::path(post, path = "/claims", tag = "shaping", request_body = QueuedClaims,
    responses((status = 201, description = "Queued", body = QueuedClaims),
        (status = "4XX", description = "Malformed or refused input", body = Problem, content_type = "application/problem+json")))]
async fn queue_claims(State(app): State<Arc<App>>, AdminJson(input): AdminJson<QueuedClaims>) -> Response {
    let checked = crate::shaping::known_names(
        &app,
        input.realm.as_deref(),
        input.client.as_deref(),
        input.user.as_deref(),
    )
    .and_then(|()| app.shaping.enqueue(input.clone()));
    match checked {
        Ok(()) => json(StatusCode::CREATED, &input),
        Err(err) => refused(&err).into_response(),
    }
}

/// Empties the queue.
#[utoipa::path(delete, path = "/claims", tag = "shaping",
    responses((status = 204, description = "The queue is empty")))]
async fn clear_claims(State(app): State<Arc<App>>) -> Response {
    app.shaping.clear_queue();
    StatusCode::NO_CONTENT.into_response()
}

/// The mapping rules, in the order they apply.
#[utoipa::path(get, path = "/mappings", tag = "shaping",
    responses((status = 200, description = "The rules", body = Vec<MappingRule>)))]
async fn list_mappings(State(app): State<Arc<App>>) -> Response {
    json(StatusCode::OK, &app.shaping.rules())
}

/// Adds a mapping rule after the existing ones.
#[utoipa::path(post, path = "/mappings", tag = "shaping", request_body = MappingRule,
    responses((status = 201, description = "Added", body = MappingRule),
        (status = "4XX", description = "Malformed or refused input", body = Problem, content_type = "application/problem+json")))]
async fn add_mapping(State(app): State<Arc<App>>, AdminJson(input): AdminJson<MappingRule>) -> Response {
    let checked = crate::shaping::known_names(
        &app,
        input.realm.as_deref(),
        input.when.client.as_deref(),
        input.when.user.as_deref(),
    )
    .and_then(|()| app.shaping.add_rule(input.clone()));
    match checked {
        Ok(()) => json(StatusCode::CREATED, &input),
        Err(err) => refused(&err).into_response(),
    }
}

/// Removes every mapping rule (those of the configuration too, until a reset).
#[utoipa::path(delete, path = "/mappings", tag = "shaping",
    responses((status = 204, description = "No rules left")))]
async fn clear_mappings(State(app): State<Arc<App>>) -> Response {
    app.shaping.clear_rules();
    StatusCode::NO_CONTENT.into_response()
}

/// A refused shape as a problem: 409 when a bound is reached, 422 naming the field otherwise.
fn refused(err: &ShapingError) -> Problem {
    let field = match err {
        ShapingError::QueueFull | ShapingError::TooManyRules => return Problem::conflict(err.to_string()),
        ShapingError::TooManyMembers => "claims",
        ShapingError::ZeroCount => "count",
        ShapingError::ForbiddenHeader(_) => "headers",
        ShapingError::UnknownGrant(_) => "match.grant",
        ShapingError::UnknownRealm(_) => "realm",
        ShapingError::UnknownClient(_) => "client",
        ShapingError::UnknownUser(_) => "user",
    };
    Problem::invalid(field, err.to_string())
}
