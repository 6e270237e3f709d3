//! OpenID Connect Discovery 1.0 and RFC 8414 metadata: the same document, built once per key
//! generation from the provider's facts.

use crate::app::{App, RealmCtx};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use std::sync::Arc;

pub(super) fn routes() -> MethodRouter<Arc<App>> {
    get(metadata)
}

async fn metadata(cx: RealmCtx) -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        cx.published.discovery.clone(),
    )
        .into_response()
}
