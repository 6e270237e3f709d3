//! The admin API: test control over HTTP under `/_mock/` (below the public URL's path), JSON in
//! and out, RFC 9457 problems on errors, described by the OpenAPI 3.1 document it serves at
//! `/_mock/openapi.json`. Handlers stay thin: each calls the same functions as the Rust API
//! ([`crate::MockIdp::admin`]), so the two cannot drift.
//!
//! Admin paths never reach provider handlers and provider paths never reach admin handlers:
//! `/_mock` is routed here before the provider's router, and no provider serves a path under
//! it (tested for every flavor).

mod clients;
mod clock;
pub(crate) mod device;
mod error;
mod faults;
mod handle;
mod keys;
mod log;
mod page;
pub(crate) mod problem;
mod reset;
pub(crate) mod safety;
mod sessions;
mod shaping;
mod tokens;
mod users;

use crate::app::App;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use problem::Problem;
use safety::Access;
use std::sync::Arc;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

pub use clients::{ClientPatch, ClientType, ClientView, NewClient};
pub use error::AdminError;
pub use handle::Admin;
pub(crate) use reset::reset;
pub use sessions::LoggedOut;
pub use users::{NewUser, UserPatch, UserView};

/// The prefix of every admin path, below the public URL's path.
pub(crate) const PREFIX: &str = "/_mock";

/// Every admin resource, in one place: add one line per resource.
fn resources() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(clock::routes())
        .merge(faults::routes())
        .merge(keys::routes())
        .merge(tokens::routes())
        .merge(log::routes())
        .merge(users::routes())
        .merge(sessions::routes())
        .merge(device::routes())
        .merge(clients::routes())
        .merge(reset::routes())
        .merge(shaping::routes())
        .merge(page::routes())
}

/// The document's fixed parts; paths and schemas come from the handlers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "mock-idp admin API",
        description = "Test control of a running mock-idp: clock, request log, users, clients, reset, \
            claim queue and mapping rules. \
            Errors are RFC 9457 problem details (application/problem+json).",
        license(name = "MIT OR Apache-2.0")
    ),
    components(schemas(Problem))
)]
struct ApiDoc;

/// The OpenAPI document of the admin API, with `server_url` (`{public URL}/_mock`) as its server.
pub(crate) fn openapi(server_url: &str) -> utoipa::openapi::OpenApi {
    let (_, mut document) = resources().split_for_parts();
    document.servers = Some(vec![utoipa::openapi::Server::new(server_url)]);
    document
}

/// `provider` (the provider's routes) with the admin API routed ahead of it at
/// `{context_path}/_mock`, unless `access` disables it. The admin routes are built on the first
/// admin request: building them composes the OpenAPI description of every handler, about
/// 2 MiB of resident memory that a run without admin calls never needs (measured with
/// `docs/benchmarks.md`'s start-up bench).
pub(crate) fn with_admin(app: Arc<App>, provider: Router, access: Access, context_path: &str) -> Router {
    if matches!(access, Access::Disabled) {
        return provider;
    }
    let built: Arc<std::sync::OnceLock<Router>> = Arc::default();
    let slash = format!("{context_path}{PREFIX}/");
    let page = format!("{context_path}{PREFIX}/ui");
    let admin = tower::service_fn(move |request: axum::extract::Request| {
        let router = built
            .get_or_init(|| admin_routes(Arc::clone(&app), access.clone()))
            .clone();
        // `/_mock/` is where people look: it sends the browser to the page, query kept.
        let to_page = request
            .extensions()
            .get::<axum::extract::OriginalUri>()
            .filter(|original| original.path() == slash)
            .map(|original| {
                let query = original.query().map(|query| format!("?{query}")).unwrap_or_default();
                format!("{page}{query}")
            });
        async move {
            match to_page {
                Some(location) => Ok(axum::response::Redirect::permanent(location.as_str()).into_response()),
                None => tower::ServiceExt::oneshot(router, request).await,
            }
        }
    });
    Router::new()
        .nest_service(&format!("{context_path}{PREFIX}"), admin)
        .fallback_service(provider)
}

/// The admin API's routes (below the prefix), guarded by `access`.
fn admin_routes(app: Arc<App>, access: Access) -> Router {
    let server_url = format!("{}{PREFIX}", app.public_url.trim_end_matches('/'));
    let (routes, _) = resources().split_for_parts();
    // Built on first request: most runs never ask for it, and building it at start-up cost
    // about 1.4 MB of resident memory (measured with `docs/benchmarks.md`'s start-up bench).
    let document: Arc<std::sync::OnceLock<axum::body::Bytes>> = Arc::default();
    routes
        .route(
            "/openapi.json",
            get(move || {
                let document = Arc::clone(&document);
                let server_url = server_url.clone();
                async move {
                    let bytes = document
                        .get_or_init(|| serde_json::to_vec(&openapi(&server_url)).unwrap_or_default().into())
                        .clone();
                    ([(axum::http::header::CONTENT_TYPE, "application/json")], bytes)
                }
            }),
        )
        .fallback(unknown)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(access, safety::guard))
        .with_state(app)
}

async fn unknown() -> Response {
    Problem::not_found("no such admin resource (see /_mock/openapi.json)").into_response()
}

async fn method_not_allowed() -> Response {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        None,
        "this admin resource does not accept that HTTP method",
    )
    .into_response()
}
