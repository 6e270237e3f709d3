//! The realm's JWK set: active keys, then keys retired by the last rotation.

use super::{RealmName, respond};
use crate::app::App;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use std::sync::Arc;

pub(super) fn routes() -> MethodRouter<Arc<App>> {
    get(jwks)
}

async fn jwks(State(app): State<Arc<App>>, RealmName(realm): RealmName) -> Response {
    let result = app.realm(&realm).map(|cx| {
        (
            [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            cx.published.jwks.clone(),
        )
            .into_response()
    });
    respond(&app, &realm, result)
}
