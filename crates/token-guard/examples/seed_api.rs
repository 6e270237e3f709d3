//! The seeds' API in Rust: four routes protected by token-guard.
//!
//! ```sh
//! cargo run -p mock-idp -- serve &                       # issuer http://127.0.0.1:8080/demo
//! cargo run -p token-guard --example seed_api            # serves http://127.0.0.1:5000
//! TOKEN=$(cargo run -q -p mock-idp -- token --user alice --client web-app)
//! curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:5000/api/private-scoped
//! ```
//!
//! Environment: `PORT` (5000), `ISSUER` (`http://127.0.0.1:8080/demo`), `PROVIDER` (`generic`),
//! `AUDIENCE` (`api`), `CLIENT_ID`/`CLIENT_SECRET` for introspection (`api`/`api-secret`).
//! JWT access tokens are checked against the issuer's JWKS, opaque ones by introspection.
#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub, dead_code)]

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use std::sync::Arc;
use token_guard::{Alg, Authenticated, Guard, Introspector, Provider, RequireLayer, Requirement, Routing, Validator};

/// The guard for `issuer`: JWKS from discovery, introspection at discovery's endpoint.
pub async fn guard(
    issuer: &str,
    provider: Provider,
    audience: &str,
    client_id: &str,
    client_secret: &str,
) -> Result<Guard, Box<dyn std::error::Error>> {
    let validator = Validator::builder(issuer, audience, [Alg::RS256, Alg::ES256, Alg::EdDSA])
        .provider(provider)
        .build()?;
    let mut builder = Guard::builder().realm(audience);
    match validator.jwks().discover_introspection_endpoint().await {
        Ok(endpoint) => {
            let introspector = Introspector::builder(endpoint, client_id, client_secret)
                .issuer(issuer)
                .audience(audience)
                .provider(provider)
                .build()?;
            builder = builder
                .introspector(introspector)
                .routing(Routing::OpaqueToIntrospection);
        }
        Err(reason) => eprintln!("seed_api: no introspection ({reason}); opaque tokens will be refused"),
    }
    Ok(builder.validator(validator).build()?)
}

fn json(body: serde_json::Value) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], body.to_string())
}

/// `/api/public` (no token), `/api/private` (any valid token), `/api/private-scoped` (a realm
/// role, a client role of the API or a scope `read:messages`), `/api/admin` (the realm role
/// `admin`; a client role named `admin` does not count).
pub fn routes(guard: Arc<Guard>) -> Router {
    let public = Router::new().route(
        "/api/public",
        get(|| async { json(serde_json::json!({"message": "public: no token needed"})) }),
    );
    let private = Router::new()
        .route(
            "/api/private",
            get(|Authenticated(p): Authenticated| async move {
                json(serde_json::json!({"message": "private: any valid token", "sub": p.subject}))
            }),
        )
        .with_state(guard.clone());
    let scoped = Router::new()
        .route(
            "/api/private-scoped",
            get(|Authenticated(p): Authenticated| async move {
                json(serde_json::json!({"message": "scoped: role (realm or client) or scope read:messages", "sub": p.subject}))
            }),
        )
        .route_layer(RequireLayer::new(
            guard.clone(),
            Requirement::role_or_scope("read:messages"),
        ))
        .with_state(guard.clone());
    let admin = Router::new()
        .route(
            "/api/admin",
            get(|Authenticated(p): Authenticated| async move {
                json(serde_json::json!({"message": "admin: realm role admin", "sub": p.subject}))
            }),
        )
        .route_layer(RequireLayer::new(guard.clone(), Requirement::role("admin")))
        .with_state(guard);
    public.merge(private).merge(scoped).merge(admin)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
    let port = env("PORT", "5000");
    let issuer = env("ISSUER", "http://127.0.0.1:8080/demo");
    let provider: Provider = env("PROVIDER", "generic").parse()?;
    let audience = env("AUDIENCE", "api");
    let guard = guard(
        &issuer,
        provider,
        &audience,
        &env("CLIENT_ID", "api"),
        &env("CLIENT_SECRET", "api-secret"),
    )
    .await?;
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    println!(
        "seed_api: http://{} for issuer {issuer} ({provider}, audience {audience})",
        listener.local_addr()?
    );
    axum::serve(listener, routes(Arc::new(guard))).await?;
    Ok(())
}
