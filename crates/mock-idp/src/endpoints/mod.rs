//! One module per endpoint, each owning its handlers and its `routes()`; paths come from the
//! provider ([`providers::Provider::route`]).

mod attributes;
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
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::MethodRouter;
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
        let counted = handlers
            .route_layer(axum::middleware::from_fn_with_state(
                (app.clone(), counted_as),
                crate::faults::apply,
            ))
            .route_layer(axum::middleware::from_fn_with_state(
                (app.clone(), endpoint),
                crate::request_log::record,
            ));
        for path in provider.routes(endpoint) {
            routes = routes.route(path, counted.clone());
        }
    }
    if let Some(path) = provider.flavor().quirks().profile_attributes_route {
        routes = routes
            .route(path, attributes::all())
            .route(&format!("{path}/{{name}}"), attributes::one());
    }
    let routes = routes
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

/// The path of the public URL without its trailing slash (`""` for none or `/`).
pub(crate) fn context_path(public_url: &str) -> String {
    url::Url::parse(public_url)
        .map(|url| url.path().trim_end_matches('/').to_owned())
        .unwrap_or_default()
}

/// Renders the outcome of a handler: errors go through the provider's error table, challenges
/// naming the realm's [`challenge_realm`](providers::Site::challenge_realm).
pub(crate) fn respond(app: &App, realm: &str, result: Result<Response, OAuthError>) -> Response {
    result.unwrap_or_else(|err| err.render(app.provider, &app.site(realm).challenge_realm()))
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
        let params = match RawPathParams::from_request_parts(parts, app).await {
            Ok(params) => params,
            Err(_) => return Err(OAuthError::new(ErrorKind::UnknownRealm, "no such realm").render(app.provider, "")),
        };
        // Providers without a realm in the path (one issuer per host) serve the default realm.
        let realm = params
            .iter()
            .find(|(name, _)| *name == "realm")
            .map(|(_, value)| value.to_owned())
            .unwrap_or_else(|| app.default_realm().to_owned());
        Ok(RealmName(realm))
    }
}
