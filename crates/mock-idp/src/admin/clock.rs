//! `/_mock/clock`: read, freeze, resume, advance, set and reset the mock's clock.

use super::problem::{AdminJson, Problem, json};
use crate::app::App;
use crate::mock_clock::ClockState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The clock's routes.
pub(crate) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(clock_show, clock_reset))
        .routes(routes!(clock_freeze))
        .routes(routes!(clock_resume))
        .routes(routes!(clock_advance))
        .routes(routes!(clock_set))
}

/// How far to move the clock forward.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Advance {
    /// Seconds to add (codes, tokens and sessions expire as if that time had passed).
    seconds: u64,
}

/// The time to show.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetTime {
    /// Seconds since the Unix epoch.
    now: u64,
}

/// The clock's time and mode.
#[utoipa::path(get, path = "/clock", tag = "clock",
    responses((status = 200, description = "The clock", body = ClockState)))]
async fn clock_show(State(app): State<Arc<App>>) -> Response {
    answer(app.clock.state())
}

/// Puts the clock back in step with the system (or builder-given) clock, running.
#[utoipa::path(delete, path = "/clock", tag = "clock",
    responses((status = 200, description = "The clock after the reset", body = ClockState)))]
async fn clock_reset(State(app): State<Arc<App>>) -> Response {
    answer(app.clock.reset())
}

/// Stops the clock at the current time.
#[utoipa::path(post, path = "/clock/freeze", tag = "clock",
    responses((status = 200, description = "The frozen clock", body = ClockState)))]
async fn clock_freeze(State(app): State<Arc<App>>) -> Response {
    answer(app.clock.freeze())
}

/// Lets a frozen clock run again from the time it shows.
#[utoipa::path(post, path = "/clock/resume", tag = "clock",
    responses((status = 200, description = "The running clock", body = ClockState)))]
async fn clock_resume(State(app): State<Arc<App>>) -> Response {
    answer(app.clock.resume())
}

/// Moves the clock forward; a frozen clock stays frozen.
#[utoipa::path(post, path = "/clock/advance", tag = "clock", request_body = Advance,
    responses((status = 200, description = "The advanced clock", body = ClockState),
        (status = "4XX", description = "Malformed input", body = Problem, content_type = "application/problem+json")))]
async fn clock_advance(State(app): State<Arc<App>>, AdminJson(input): AdminJson<Advance>) -> Response {
    answer(app.clock.advance(input.seconds))
}

/// Sets the time; a frozen clock stays frozen.
#[utoipa::path(post, path = "/clock/set", tag = "clock", request_body = SetTime,
    responses((status = 200, description = "The clock at its new time", body = ClockState),
        (status = "4XX", description = "Malformed input", body = Problem, content_type = "application/problem+json")))]
async fn clock_set(State(app): State<Arc<App>>, AdminJson(input): AdminJson<SetTime>) -> Response {
    answer(app.clock.set(input.now))
}

fn answer(state: ClockState) -> Response {
    json(StatusCode::OK, &state)
}
