//! One module per endpoint, each owning its handlers and its `routes()`; paths come from the
//! provider ([`providers::Provider::route`]).

mod attributes;
pub(crate) mod authorize;
mod discovery;
mod extract;
mod introspect;
mod jwks;
mod logout;
mod revoke;
mod token;
mod userinfo;

use crate::app::App;
use crate::error::OAuthError;
use axum::Router;
use axum::response::Response;
use axum::routing::MethodRouter;
pub(crate) use extract::RealmName;
use providers::{Endpoint, ErrorKind};
use std::sync::Arc;

/// The whole router for `app`'s provider: each endpoint the provider serves, at its path, under
/// the public URL's path (a context path such as Keycloak's legacy `/auth`).
pub(crate) fn router(app: Arc<App>) -> Router {
    let provider = app.provider;
    let endpoints: [(Endpoint, MethodRouter<Arc<App>>, Endpoint); 10] = [
        (Endpoint::Discovery, discovery::routes(), Endpoint::Discovery),
        (
            Endpoint::AuthorizationServerMetadata,
            discovery::routes(),
            Endpoint::Discovery,
        ),
        (Endpoint::Jwks, jwks::routes(), Endpoint::Jwks),
        (Endpoint::Authorize, authorize::routes(), Endpoint::Authorize),
        (Endpoint::Login, authorize::login_routes(), Endpoint::Authorize),
        (Endpoint::Token, token::routes(), Endpoint::Token),
        (Endpoint::Userinfo, userinfo::routes(), Endpoint::Userinfo),
        (Endpoint::Introspect, introspect::routes(), Endpoint::Introspect),
        (Endpoint::Revoke, revoke::routes(), Endpoint::Revoke),
        (Endpoint::EndSession, logout::routes(), Endpoint::EndSession),
    ];
    let mut routes = Router::new();
    for (endpoint, handlers, counted_as) in endpoints {
        routes = mount(routes, &app, endpoint, handlers, counted_as);
    }
    if let Some(path) = provider.route(Endpoint::ProfileAttributes) {
        let one = layered(
            &app,
            attributes::one(),
            Endpoint::ProfileAttributes,
            Endpoint::ProfileAttributes,
        );
        routes = mount(
            routes,
            &app,
            Endpoint::ProfileAttributes,
            attributes::all(),
            Endpoint::ProfileAttributes,
        )
        .route(&format!("{path}/{{name}}"), one);
    }
    let routes = crate::device::mount(routes, &app);
    let routes = crate::par::mount(routes, &app)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);
    let context_path = context_path(&app.public_url);
    let routes = if context_path.is_empty() {
        routes
    } else {
        Router::new().nest(&context_path, routes).fallback(not_found)
    };
    routes.with_state(app)
}

/// Adds `handlers` at every route pattern of `endpoint`, behind the stack of layers every
/// provider route has ([`layered`]).
pub(crate) fn mount(
    routes: Router<Arc<App>>,
    app: &Arc<App>,
    endpoint: Endpoint,
    handlers: MethodRouter<Arc<App>>,
    counted_as: Endpoint,
) -> Router<Arc<App>> {
    let handlers = layered(app, handlers, endpoint, counted_as);
    app.provider
        .routes(endpoint)
        .into_iter()
        .fold(routes, |routes, path| routes.route(path, handlers.clone()))
}

/// `handlers` behind the layers of every provider route, outermost first: the request log
/// (logged as `endpoint`, so it records faults and shaped errors as the client saw them), the
/// provider's error shape, then the faults set for `counted_as` (the login form's POST counts
/// as the authorization endpoint).
pub(crate) fn layered(
    app: &Arc<App>,
    handlers: MethodRouter<Arc<App>>,
    endpoint: Endpoint,
    counted_as: Endpoint,
) -> MethodRouter<Arc<App>> {
    handlers
        .route_layer(axum::middleware::from_fn_with_state(
            (app.clone(), counted_as),
            crate::faults::apply,
        ))
        .route_layer(axum::middleware::from_fn_with_state(app.clone(), extract::shape_errors))
        .route_layer(axum::middleware::from_fn_with_state(
            (app.clone(), endpoint),
            crate::request_log::record,
        ))
}

/// The path of the public URL without its trailing slash (`""` for none or `/`).
pub(crate) fn context_path(public_url: &str) -> String {
    url::Url::parse(public_url)
        .map(|url| url.path().trim_end_matches('/').to_owned())
        .unwrap_or_default()
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
