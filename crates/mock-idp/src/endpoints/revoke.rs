//! Token revocation (RFC 7009): a refresh token, current or already rotated, ends what the
//! provider ends ([`providers::RefreshRevocation`]: the grant, or Keycloak's client sessions);
//! access tokens turn inactive; unknown tokens and other clients' tokens are a 200 no-op (§2.2).

use crate::app::{App, RealmCtx};
use crate::error::OAuthError;
use crate::http::{no_store_json, read_form};
use crate::state::RefreshRevoked;
use crate::tokens::revocation_id;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, post};
use serde_json::Value;
use std::sync::Arc;

pub(super) fn routes() -> MethodRouter<Arc<App>> {
    post(revoke)
}

async fn revoke(cx: RealmCtx, headers: HeaderMap, body: Body) -> Result<Response, OAuthError> {
    let params = read_form(&headers, body).await?;
    let caller =
        crate::client_assertion::authenticate_request(&cx, &headers, &params, providers::Endpoint::Revoke).await?;
    let token = params.require("token")?;
    // token_type_hint is only an optimisation (RFC 7009 §2.1): both kinds are looked up.
    let now = cx.now();
    let mut known = true;
    // Looked up and revoked under one lock, so a refresh racing this revocation is ordered
    // before it (and its new tokens die with the grant) or after it (and is refused).
    let refresh = cx.store().revoke_refresh(
        token,
        &cx.realm.name,
        &caller.client.id,
        cx.flavor().quirks().refresh_revocation,
        now,
    );
    if refresh == RefreshRevoked::Unknown {
        if let Some(live) = cx.live_access_token(token) {
            // Whose token it is, read the way the provider writes it (App ID: the first `aud`).
            let owner = cx.flavor().read_grants(&live.claims, None).client_id;
            if owner.as_deref() == Some(caller.client.id.as_str()) {
                cx.store().remove_opaque(token);
                let exp = live.claims.get("exp").and_then(Value::as_u64).unwrap_or(now);
                cx.store().revoke_access(&revocation_id(&live.claims, token), exp);
            }
        } else {
            known = false;
        }
    }
    if let (false, Some(body)) = (known, cx.flavor().quirks().revocation_unknown_token_body()) {
        return Ok(no_store_json(&body));
    }
    let mut response = StatusCode::OK.into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
