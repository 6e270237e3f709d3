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
//! JWT access tokens are checked against the issuer's JWKS, opaque ones by introspection (when
//! the issuer's discovery document names an introspection endpoint).
//!
//! Per flavor of the mock (`mock-idp serve --provider …`; tested in `tests/it/seed.rs`):
//!
//! | `PROVIDER` | `ISSUER` | `AUDIENCE` | notes |
//! |---|---|---|---|
//! | `generic` | `{base}/demo` | `api` | `api` is in `aud` when the user holds an `api` role or `read:messages` was granted |
//! | `keycloak` | `{base}/realms/demo` | `api` | same `aud` rule (otherwise `aud` is only `account`: add an Audience mapper for `api` in a real Keycloak so every user's token names it); `read:messages` is a client role on `api` |
//! | `zitadel` | `{base}` (no path) | the project id (`Provider::Zitadel.quirks().resource_audience("demo", "api")`) | every ZITADEL token of the project names the project id in `aud`; tokens are opaque by default and introspected |
//! | `wso2` | `{base}/oauth2/token` | `api` | opaque by default and introspected; WSO2's introspection answer carries scopes but **no roles**, so `/api/admin` needs JWT access tokens (per application in WSO2) |
//! | `appid` | `{base}/oauth/v4/demo` | `api` | JWTs only (header `ver: 4`, no `jti`); App ID advertises no introspection |
#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub, dead_code)]

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use std::sync::Arc;
use token_guard::{
    Alg, Authenticated, Guard, Introspector, Provider, RequireLayer, Requirement, Routing, Secret, Validator,
};

/// The seed API's settings, as its environment variables give them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `PORT`.
    pub port: u16,
    /// `ISSUER`.
    pub issuer: String,
    /// `PROVIDER`.
    pub provider: Provider,
    /// `AUDIENCE`.
    pub audience: String,
    /// `CLIENT_ID`: who introspects.
    pub client_id: String,
    /// `CLIENT_SECRET` (`Debug` shows `[redacted]`).
    pub client_secret: Secret,
}

impl Config {
    /// Reads the settings through `var` (the environment in `main`), with the defaults.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Config, Box<dyn std::error::Error>> {
        let get = |name: &str, default: &str| var(name).unwrap_or_else(|| default.to_owned());
        Ok(Config {
            port: get("PORT", "5000").parse()?,
            issuer: get("ISSUER", "http://127.0.0.1:8080/demo"),
            provider: get("PROVIDER", "generic").parse()?,
            audience: get("AUDIENCE", "api"),
            client_id: get("CLIENT_ID", "api"),
            client_secret: Secret::new(get("CLIENT_SECRET", "api-secret")),
        })
    }

    /// The guard these settings describe.
    pub async fn guard(&self) -> Result<Guard, Box<dyn std::error::Error>> {
        guard(
            &self.issuer,
            self.provider,
            &self.audience,
            &self.client_id,
            self.client_secret.clone(),
        )
        .await
    }
}

/// The guard for `issuer`: JWKS from discovery, introspection at discovery's endpoint.
pub async fn guard(
    issuer: &str,
    provider: Provider,
    audience: &str,
    client_id: &str,
    client_secret: impl Into<Secret>,
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
    let config = Config::from_vars(|name| std::env::var(name).ok())?;
    let guard = config.guard().await?;
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{}", config.port)).await?;
    println!(
        "seed_api: http://{} for issuer {} ({}, audience {})",
        listener.local_addr()?,
        config.issuer,
        config.provider,
        config.audience
    );
    axum::serve(listener, routes(Arc::new(guard))).await?;
    Ok(())
}
