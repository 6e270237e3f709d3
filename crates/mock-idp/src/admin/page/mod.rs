//! `GET /_mock/`: a page for people. Server-rendered HTML with inline CSS and no script or
//! external asset: the realms with their clients and users, the last requests of the request
//! log (with the JOSE header and claims of the JWTs each request carried or was issued; the log
//! keeps no signature, so nothing shown is a usable token),
//! the active faults, and a form that decodes a pasted token (`?token=…`) without verifying it.
//! Behind the same [`super::safety`] guard as the rest of the admin API.

mod html;

mod render;

use super::problem::AdminQuery;
use crate::app::App;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;

/// The page's route (not in the OpenAPI document: it answers HTML, not JSON).
pub(crate) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new().route("/", get(page)).route("/ui", get(page))
}

/// The page's query: an optional token to decode.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct PageQuery {
    /// A compact JWT to show decoded (header and claims; never verified).
    token: Option<String>,
}

async fn page(State(app): State<Arc<App>>, AdminQuery(query): AdminQuery<PageQuery>) -> Response {
    let body = render::page(&app, query.token.as_deref());
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
            ),
        ],
        body,
    )
        .into_response()
}
