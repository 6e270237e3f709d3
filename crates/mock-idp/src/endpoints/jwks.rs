//! The realm's JWK set: active keys, then keys retired by the last rotation.

use crate::app::{App, RealmCtx};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use std::sync::Arc;

pub(super) fn routes() -> MethodRouter<Arc<App>> {
    get(jwks)
}

async fn jwks(cx: RealmCtx) -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        cx.published.jwks.clone(),
    )
        .into_response()
}
