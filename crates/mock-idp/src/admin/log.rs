//! `/_mock/log`: the request log, filtered; cleared by `DELETE`.

use super::problem::{AdminQuery, json};
use crate::app::App;
use crate::request_log::{LogFilter, LogListing};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The log's routes.
pub(crate) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new().routes(routes!(log_list, log_clear))
}

/// The requests provider endpoints answered, oldest first, matching every given filter.
#[utoipa::path(get, path = "/log", tag = "log", params(LogFilter),
    responses((status = 200, description = "Matching requests", body = LogListing),
        (status = 400, description = "Malformed filter", body = super::problem::Problem, content_type = "application/problem+json")))]
async fn log_list(State(app): State<Arc<App>>, AdminQuery(filter): AdminQuery<LogFilter>) -> Response {
    json(StatusCode::OK, &app.request_log.list(&filter))
}

/// Forgets every logged request.
#[utoipa::path(delete, path = "/log", tag = "log",
    responses((status = 204, description = "The log is empty")))]
async fn log_clear(State(app): State<Arc<App>>) -> Response {
    app.request_log.clear();
    StatusCode::NO_CONTENT.into_response()
}
