//! UserInfo (OIDC Core §5.3): GET or POST, the token in the Authorization header or (POST) the
//! form body, never both; claims filtered by the token's scopes; RFC 6750 errors.

use crate::app::{App, RealmCtx};
use crate::error::OAuthError;
use crate::http::{Params, bearer, is_form, no_store_json, read_body};
use axum::body::Body;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use axum::routing::{MethodRouter, get};
use providers::ErrorKind;
use serde_json::Value;
use std::sync::Arc;

pub(super) fn routes() -> MethodRouter<Arc<App>> {
    get(userinfo).post(userinfo)
}

async fn userinfo(
    cx: RealmCtx,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, OAuthError> {
    let token = presented_token(&method, &uri, &headers, body).await?;
    if let Some(claims) = crate::pat::userinfo(&cx, &token) {
        return Ok(no_store_json(&Value::Object(claims)));
    }
    let invalid = || {
        OAuthError::new(
            ErrorKind::InvalidBearer,
            "the access token is invalid, expired or revoked",
        )
    };
    let live = cx.live_access_token(&token).ok_or_else(invalid)?;
    // A provider that keeps `scope` out of its JWT access tokens (ZITADEL) knows the scopes
    // server-side; for such a token the mock takes every scope of the client as granted.
    let scopes: Vec<String> = match live.claims.get("scope").and_then(Value::as_str) {
        Some(scope) => scope
            .split(' ')
            .filter(|scope| !scope.is_empty())
            .map(str::to_owned)
            .collect(),
        None if cx.flavor().quirks().introspection_only_claims.contains(&"scope") => live
            .claims
            .get("client_id")
            .and_then(Value::as_str)
            .and_then(|client| cx.realm.client(client))
            .map(|client| client.scopes.clone())
            .unwrap_or_default(),
        None => Vec::new(),
    };
    if !scopes.iter().any(|scope| scope == "openid") {
        return Err(OAuthError::new(
            ErrorKind::InsufficientScope { scope: "openid".into() },
            "the token was not issued with the openid scope",
        ));
    }
    let subject = live.claims.get("sub").and_then(Value::as_str).unwrap_or_default();
    let user = cx
        .realm
        .user_by_id(subject)
        .filter(|user| user.enabled)
        .ok_or_else(invalid)?;
    Ok(no_store_json(&Value::Object(cx.flavor().userinfo(user, &scopes))))
}

/// The one token the request presents (RFC 6750 §2): header, form body (POST) or query.
async fn presented_token(method: &Method, uri: &Uri, headers: &HeaderMap, body: Body) -> Result<String, OAuthError> {
    let mut found: Vec<String> = Vec::new();
    if let Some(token) = bearer(headers)? {
        found.push(token);
    }
    if *method == Method::POST
        && is_form(headers)
        && let Some(token) = Params::parse(&read_body(body).await?)?.get("access_token")
    {
        found.push(token.to_owned());
    }
    if let Some(token) = Params::parse(uri.query().unwrap_or_default().as_bytes())?.get("access_token") {
        found.push(token.to_owned());
    }
    match found.len() {
        0 => Err(OAuthError::new(ErrorKind::MissingBearer, "an access token is required")),
        1 => Ok(found.remove(0)),
        _ => Err(OAuthError::new(
            ErrorKind::BearerInSeveralPlaces,
            "the access token must be presented in exactly one way",
        )),
    }
}
