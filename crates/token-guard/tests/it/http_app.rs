//! A small protected router used by the HTTP-level tests (oneshot, no socket).

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use axum::routing::get;
use std::sync::Arc;
use token_guard::{Authenticated, Guard, RequireLayer, Requirement};
use tower::ServiceExt as _;

pub fn app(guard: Arc<Guard>) -> Router {
    let private = Router::new()
        .route(
            "/private",
            get(|Authenticated(p): Authenticated| async move { p.subject }),
        )
        .with_state(guard.clone());
    let scoped = Router::new()
        .route("/scoped", get(|| async { "scoped" }))
        .route_layer(RequireLayer::new(guard.clone(), Requirement::scope("read:messages")));
    let admin = Router::new()
        .route("/admin", get(|| async { "admin" }))
        .route_layer(RequireLayer::new(guard, Requirement::role("admin")));
    private.merge(scoped).merge(admin)
}

/// Status, `WWW-Authenticate` and body of `GET uri` with these `Authorization` values.
pub async fn call(app: &Router, uri: &str, authorization: &[&[u8]]) -> (u16, String, String) {
    let mut request = Request::get(uri);
    for value in authorization {
        request = request.header(
            header::AUTHORIZATION,
            axum::http::HeaderValue::from_bytes(value).unwrap(),
        );
    }
    let response = app.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, challenge, crate::support::body_text(response).await)
}

pub async fn bearer(app: &Router, uri: &str, token: &str) -> (u16, String, String) {
    call(app, uri, &[format!("Bearer {token}").as_bytes()]).await
}
