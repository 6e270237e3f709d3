//! `/_mock/faults` and `/_mock/hits`: fault rules (add, list, remove one or all) and hit
//! counters (read, zero), with the semantics of [`crate::MockIdp::add_fault`] and friends.

use super::problem::{AdminJson, Problem, json};
use crate::app::App;
use crate::faults::{FaultError, FaultId, FaultRule, endpoint_name};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The fault and hit routes.
pub(crate) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(faults_list, faults_add, faults_clear))
        .routes(routes!(faults_remove))
        .routes(routes!(hits_list, hits_reset))
}

/// A fault rule as sent: `{"realm"?: "demo", "endpoint": "jwks", "fault": {"kind": "status",
/// "status": 503}, "scope"?: "once" | {"times": 3} | {"probability": {"p": 0.5, "seed": 7}} |
/// "until_cleared"}`. Kinds: `delay` (`ms`), `status` (`status`), `respond` (`status`, `body`),
/// `body` (`body`), `headers` (`headers`: [[name, value]]), `empty_key_set`, `drop_connection`,
/// `malformed_json`, `outage`, `stale_key_set`, `huge_key_set` (`bytes`).
#[derive(Debug, ToSchema)]
#[schema(value_type = Object)]
#[allow(dead_code)] // a schema only: the body parses as a FaultRule
pub(crate) struct FaultRuleBody(serde_json::Value);

/// An active rule: the rule's members plus `id`, `fired` and `remaining`.
#[derive(Debug, ToSchema)]
#[schema(value_type = Object)]
#[allow(dead_code)] // a schema only: answers serialize ActiveFault
pub(crate) struct ActiveFaultBody(serde_json::Value);

/// The id of a rule just added.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Added {
    /// Use it to remove the rule alone.
    id: u64,
}

/// One hit counter.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Hit {
    /// The realm (`(unknown)` for realms the world does not hold).
    realm: String,
    /// The endpoint (`discovery`, `jwks`, `token`, …).
    endpoint: &'static str,
    /// Requests received.
    hits: u64,
}

/// The active fault rules, oldest first.
#[utoipa::path(get, path = "/faults", tag = "faults",
    responses((status = 200, description = "Active rules", body = Vec<ActiveFaultBody>)))]
async fn faults_list(State(app): State<Arc<App>>) -> Response {
    json(StatusCode::OK, &app.faults())
}

/// Adds a fault rule.
#[utoipa::path(post, path = "/faults", tag = "faults", request_body = FaultRuleBody,
    responses((status = 201, description = "The rule's id", body = Added),
        (status = "4XX", description = "Malformed or out-of-bounds rule", body = Problem, content_type = "application/problem+json")))]
async fn faults_add(State(app): State<Arc<App>>, AdminJson(rule): AdminJson<FaultRule>) -> Response {
    match app.add_fault(rule) {
        Ok(FaultId(id)) => json(StatusCode::CREATED, &Added { id }),
        Err(err) => problem(&err).into_response(),
    }
}

/// Removes every fault rule.
#[utoipa::path(delete, path = "/faults", tag = "faults",
    responses((status = 204, description = "No rule is active")))]
async fn faults_clear(State(app): State<Arc<App>>) -> StatusCode {
    app.clear_faults();
    StatusCode::NO_CONTENT
}

/// Removes one fault rule.
#[utoipa::path(delete, path = "/faults/{id}", tag = "faults",
    params(("id" = u64, Path, description = "The rule's id")),
    responses((status = 204, description = "Removed"),
        (status = 404, description = "No such active rule", body = Problem, content_type = "application/problem+json")))]
async fn faults_remove(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    match id.parse::<u64>() {
        Ok(id) if app.remove_fault(FaultId(id)) => StatusCode::NO_CONTENT.into_response(),
        _ => {
            Problem::not_found(format!("no active fault rule `{id}` (used up, removed or never added)")).into_response()
        }
    }
}

/// Every non-zero hit counter, by realm and endpoint.
#[utoipa::path(get, path = "/hits", tag = "faults",
    responses((status = 200, description = "Hit counters", body = Vec<Hit>)))]
async fn hits_list(State(app): State<Arc<App>>) -> Response {
    let hits: Vec<Hit> = app
        .all_hits()
        .into_iter()
        .map(|(realm, endpoint, hits)| Hit {
            realm,
            endpoint: endpoint_name(endpoint),
            hits,
        })
        .collect();
    json(StatusCode::OK, &hits)
}

/// Zeroes every hit counter.
#[utoipa::path(delete, path = "/hits", tag = "faults",
    responses((status = 204, description = "Counters zeroed")))]
async fn hits_reset(State(app): State<Arc<App>>) -> StatusCode {
    app.reset_hits();
    StatusCode::NO_CONTENT
}

fn problem(err: &FaultError) -> Problem {
    match err {
        FaultError::UnknownRealm(_) => Problem::invalid("realm", err.to_string()),
        FaultError::ZeroTimes | FaultError::Probability => Problem::invalid("scope", err.to_string()),
        FaultError::Full(_) => Problem::conflict(err.to_string()),
        _ => Problem::invalid("fault", err.to_string()),
    }
}
