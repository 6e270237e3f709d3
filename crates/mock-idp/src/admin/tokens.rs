//! `POST /_mock/tokens`: mint an access token directly, optionally a negative one, with the
//! semantics of [`crate::MockIdp::mint`] and [`crate::TokenSpec`].

use super::problem::{AdminJson, Problem, json};
use crate::app::App;
use crate::negative::TokenDefect;
use crate::server::{MockIdpError, TokenSpec};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The mint route.
pub(crate) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new().routes(routes!(tokens_mint))
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
