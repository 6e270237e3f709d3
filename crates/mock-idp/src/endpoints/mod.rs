//! One module per endpoint, each owning its handlers and its `routes()`; paths come from the
//! provider ([`providers::Provider::route`]).

mod authorize;
mod discovery;
mod introspect;
mod jwks;
mod logout;
mod revoke;
mod token;
mod userinfo;

use crate::app::App;
use crate::error::OAuthError;
use axum::Router;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use providers::{Endpoint, ErrorKind};
use std::sync::Arc;

/// The whole router for `app`'s provider.
pub(crate) fn router(app: Arc<App>) -> Router {
    let provider = app.provider;
    let counted = |endpoint: Endpoint, routes: Router<Arc<App>>| {
        routes.route_layer(axum::middleware::from_fn_with_state(
            (app.clone(), endpoint),
            crate::faults::apply,
        ))
    };
    Router::new()
        .merge(counted(Endpoint::Discovery, discovery::routes(provider)))
        .merge(counted(Endpoint::Jwks, jwks::routes(provider)))
        .merge(counted(Endpoint::Authorize, authorize::routes(provider)))
        .merge(counted(Endpoint::Token, token::routes(provider)))
        .merge(counted(Endpoint::Userinfo, userinfo::routes(provider)))
        .merge(counted(Endpoint::Introspect, introspect::routes(provider)))
        .merge(counted(Endpoint::Revoke, revoke::routes(provider)))
        .merge(counted(Endpoint::EndSession, logout::routes(provider)))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(app)
}

/// Renders the outcome of a handler: errors go through the provider's error table.
pub(crate) fn respond(app: &App, realm: &str, result: Result<Response, OAuthError>) -> Response {
    result.unwrap_or_else(|err| err.render(app.provider, realm))
}

async fn not_found(axum::extract::State(app): axum::extract::State<Arc<App>>) -> Response {
    OAuthError::new(ErrorKind::NotFound, "no such endpoint").render(app.provider, "")
}

async fn method_not_allowed(axum::extract::State(app): axum::extract::State<Arc<App>>) -> Response {
    OAuthError::new(
        ErrorKind::MethodNotAllowed,
        "this endpoint does not accept that HTTP method",
    )
    .render(app.provider, "")
}

/// The `{realm}` path segment; a malformed one is `not_found` in the provider's shape.
pub(crate) struct RealmName(pub(crate) String);

impl FromRequestParts<Arc<App>> for RealmName {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<RealmName, Response> {
        match Path::<String>::from_request_parts(parts, app).await {
            Ok(Path(realm)) => Ok(RealmName(realm)),
            Err(_) => Err(OAuthError::new(ErrorKind::NotFound, "no such realm")
                .render(app.provider, "")
                .into_response()),
        }
    }
}
