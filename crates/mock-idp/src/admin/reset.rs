//! `POST /_mock/reset`: back to the world as loaded. Every piece of run-time state registers
//! one line in [`PARTS`]; the Rust API ([`crate::MockIdp::reset`]) and the route both call
//! [`reset`].

use super::problem::json;
use crate::app::App;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// One piece of state a reset restores: its name (reported) and how.
type Part = (&'static str, fn(&App));

/// Everything a reset restores, in order: add one line per piece of state.
const PARTS: &[Part] = &[
    ("realms", App::reset_realms),
    ("store", |app| app.store.clear()),
    ("keys", |app| app.restore_loaded_keys()),
    ("faults", |app| app.restore_loaded_faults()),
    ("hits", |app| app.reset_hits()),
    ("clock", |app| {
        app.clock.reset();
    }),
    ("log", |app| app.request_log.clear()),
    ("shaping", |app| app.shaping.reset()),
    ("pushed_requests", |app| app.pars.clear()),
    ("client_jwks", |app| app.client_jwks.clear()),
];

/// Restores every registered part; returns their names.
pub(crate) fn reset(app: &App) -> Vec<&'static str> {
    PARTS
        .iter()
        .map(|(name, restore)| {
            restore(app);
            *name
        })
        .collect()
}

/// What a reset restored.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ResetReport {
    /// The parts of the state put back as loaded.
    reset: Vec<&'static str>,
}

/// The reset route.
pub(crate) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new().routes(routes!(reset_all))
}

/// Puts the whole mock back to the world as loaded.
#[utoipa::path(post, path = "/reset", tag = "reset",
    responses((status = 200, description = "What was reset", body = ResetReport)))]
async fn reset_all(State(app): State<Arc<App>>) -> Response {
    json(StatusCode::OK, &ResetReport { reset: reset(&app) })
}
