//! `POST /_mock/tokens`: mint an access token directly, optionally a negative one, with the
//! semantics of [`crate::MockIdp::mint`] and [`crate::TokenSpec`].

use super::problem::{AdminJson, Problem, json};
use crate::app::App;
use crate::negative::TokenDefect;
use crate::server::{MockIdpError, RealGrants, TokenSpec};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The mint route and the real-grant route.
pub(crate) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(tokens_mint))
        .routes(routes!(tokens_issue))
}

/// What to mint.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Mint {
    /// The realm; the default realm otherwise.
    realm: Option<String>,
    /// The user; without it, a service-account token for `client`.
    user: Option<String>,
    /// The client; without it (and with a user), the first confidential client with a user grant.
    client: Option<String>,
    /// Space-separated scopes, taken as given; the client's default scopes otherwise.
    scope: Option<String>,
    /// Lifetime in seconds; the realm's otherwise.
    expires_in: Option<u64>,
    /// Claims to set or override (over those a defect sets).
    #[schema(value_type = Object)]
    claims: Map<String, Value>,
    /// `expired`, `not_yet_valid`, `wrong_issuer`, `wrong_audience`, `unknown_kid`,
    /// `bad_signature`, `alg_none`.
    #[schema(value_type = Vec<String>)]
    defects: Vec<TokenDefect>,
}

/// The minted token.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Minted {
    access_token: String,
    token_type: &'static str,
}

/// Mints an access token shaped as the token endpoint shapes it, made invalid as asked.
#[utoipa::path(post, path = "/tokens", tag = "tokens", request_body = Mint,
    responses((status = 201, description = "The token", body = Minted),
        (status = "4XX", description = "Unknown realm, user or client, or malformed input", body = Problem, content_type = "application/problem+json")))]
async fn tokens_mint(State(app): State<Arc<App>>, AdminJson(input): AdminJson<Mint>) -> Response {
    let mut spec = match (&input.user, &input.client) {
        (Some(user), Some(client)) => TokenSpec::user(user.clone()).for_client(client.clone()),
        (Some(user), None) => TokenSpec::user(user.clone()),
        (None, Some(client)) => TokenSpec::client(client.clone()),
        (None, None) => TokenSpec::default(),
    };
    if let Some(realm) = input.realm {
        spec = spec.realm(realm);
    }
    if let Some(scope) = &input.scope {
        spec = spec.scope(scope);
    }
    if let Some(seconds) = input.expires_in {
        spec = spec.expires_in(seconds);
    }
    for defect in input.defects {
        spec = spec.defect(defect);
    }
    for (name, value) in input.claims {
        spec = spec.claim(name, value);
    }
    match app.mint(spec) {
        Ok(access_token) => json(
            StatusCode::CREATED,
            &Minted {
                access_token,
                token_type: "Bearer",
            },
        ),
        Err(err) => {
            let field = match &err {
                MockIdpError::UnknownRealm(_) => "realm",
                MockIdpError::UnknownUser(_) => "user",
                MockIdpError::UnknownClient(_) => "client",
                _ => "defects",
            };
            Problem::invalid(field, err.to_string()).into_response()
        }
    }
}

/// Whose token to get through the provider's real grants.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Issue {
    /// The realm; the default realm otherwise.
    #[serde(default)]
    realm: Option<String>,
    /// The user (as the realm holds it now, admin-created users included); without it, a
    /// service-account token for `client` through `client_credentials`.
    #[serde(default)]
    user: Option<String>,
    /// The client the token is issued to.
    client: String,
}

/// Gets a token through the provider's real grants, as an app would: for a user, the password
/// grant where the client and the provider have it, otherwise the authorization code flow with
/// PKCE through the login page; for a client alone, `client_credentials`. The answer is the
/// token endpoint's own JSON (refresh and ID tokens included), and the server knows the tokens
/// as it knows any it issued. The same path as the Rust API's `MockIdp::token_for`.
#[utoipa::path(post, path = "/tokens/issue", tag = "tokens", request_body = Issue,
    responses((status = 200, description = "The token endpoint's answer", body = Object),
        (status = 409, description = "The provider refused: a disabled user, a client without a user grant, or the token endpoint's error", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown realm, user or client, or malformed input", body = Problem, content_type = "application/problem+json")))]
async fn tokens_issue(State(app): State<Arc<App>>, AdminJson(input): AdminJson<Issue>) -> Response {
    let realm = input.realm.unwrap_or_else(|| app.default_realm().to_owned());
    let grants = RealGrants {
        app: &app,
        router: crate::endpoints::router(app.clone()),
    };
    let issued = match &input.user {
        Some(user) => grants.token_for(&realm, user, &input.client).await,
        None => grants.service_token(&realm, &input.client).await,
    };
    match issued {
        Ok(tokens) => json(StatusCode::OK, &tokens),
        Err(err) => {
            let field = match &err {
                MockIdpError::UnknownRealm(_) => "realm",
                MockIdpError::UnknownUser(_) => "user",
                MockIdpError::UnknownClient(_) => "client",
                _ => return Problem::conflict(err.to_string()).into_response(),
            };
            Problem::invalid(field, err.to_string()).into_response()
        }
    }
}
