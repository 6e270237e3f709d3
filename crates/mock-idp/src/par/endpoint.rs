//! The pushed authorization request endpoint (RFC 9126 §2): POST, form body, the client
//! authenticated as at the token endpoint, every authorization parameter checked before the
//! request is stored; answers `201` with the `request_uri` and its `expires_in`.

use crate::app::{App, RealmCtx};
use crate::client_auth::authenticate_with;
use crate::endpoints::authorize;
use crate::error::OAuthError;
use crate::http::{Params, no_store_json, read_token_body};
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{MethodRouter, post};
use providers::par::ParError;
use providers::{BodyFormats, ErrorCode, ErrorKind};
use serde_json::json;
use std::sync::Arc;

/// Client authentication parameters: checked here, never stored with the request.
const CLIENT_AUTH_PARAMS: [&str; 3] = ["client_secret", "client_assertion", "client_assertion_type"];

pub(super) fn routes() -> MethodRouter<Arc<App>> {
    post(push)
}

async fn push(cx: RealmCtx, headers: HeaderMap, body: Body) -> Result<Response, OAuthError> {
    let params = read_token_body(&headers, body, BodyFormats::FormOnly).await?;
    accept(&cx, &headers, &params)
}

fn refuse(error: ParError, detail: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorKind::Par(error), detail)
}

fn accept(cx: &RealmCtx, headers: &HeaderMap, params: &Params) -> Result<Response, OAuthError> {
    let facts = cx
        .flavor()
        .quirks()
        .par
        .ok_or_else(|| OAuthError::new(ErrorKind::NotFound, "no PAR endpoint here"))?;
    let client = match authenticate_with(&cx.realm, headers, params, cx.flavor()) {
        Ok(authenticated) => authenticated.client,
        Err(err) if matches!(err.kind, ErrorKind::MalformedRequest | ErrorKind::BodyTooLarge) => return Err(err),
        Err(err) => return Err(refuse(ParError::ClientAuthFailed, err.detail)),
    };
    if params.contains("request_uri") {
        return Err(refuse(
            ParError::RequestUriInPush,
            "request_uri is not allowed in a pushed request",
        ));
    }
    let redirect_uri = params
        .get("redirect_uri")
        .filter(|uri| client.redirect_uris.iter().any(|registered| registered == uri))
        .ok_or_else(|| {
            refuse(
                ParError::InvalidRedirectUri,
                "redirect_uri is missing or not registered",
            )
        })?;
    authorize::check_stored_sizes(params).map_err(|detail| refuse(ParError::InvalidParameter, detail))?;
    if params.get("response_type").is_none() {
        return Err(refuse(ParError::MissingResponseType, "response_type is required"));
    }
    if let Err((code, detail)) = authorize::validate(client, redirect_uri, params, cx.flavor()) {
        let error = match code {
            ErrorCode::UnsupportedResponseType => ParError::UnsupportedResponseType,
            ErrorCode::InvalidScope => ParError::InvalidScope,
            _ => ParError::InvalidParameter,
        };
        return Err(refuse(error, detail));
    }
    // The client may have authenticated with HTTP Basic: the stored request names it.
    let mut stored = params.without(&CLIENT_AUTH_PARAMS)?;
    stored.set("client_id", &client.id);
    let request_uri = format!("{}{}", facts.request_uri_prefix, crate::b64::random_uuid());
    let now = cx.now();
    cx.app.pars.insert(
        request_uri.clone(),
        &cx.realm.name,
        &client.id,
        stored,
        now.saturating_add(facts.lifetime),
        now,
    );
    let mut response = no_store_json(&json!({ "request_uri": request_uri, "expires_in": facts.lifetime }));
    *response.status_mut() = StatusCode::CREATED;
    Ok(response)
}
