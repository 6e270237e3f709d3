//! The token endpoint (RFC 6749 §3.2): POST only, form body, client authenticated once before
//! the grant runs, `Cache-Control: no-store` on every answer.

use crate::app::{App, RealmCtx};
use crate::error::OAuthError;
use crate::grants;
use crate::http::{no_store_json, read_token_body};
use crate::tokens::Issued;
use axum::body::Body;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{MethodRouter, post};
use providers::claims::TokenResponseInput;
use providers::{ErrorKind, GrantType};
use serde_json::Value;
use std::sync::Arc;

pub(super) fn routes() -> MethodRouter<Arc<App>> {
    post(token)
}

async fn token(cx: RealmCtx, headers: HeaderMap, body: Body) -> Result<Response, OAuthError> {
    let params = read_token_body(&headers, body, cx.flavor().quirks().token_body_formats).await?;
    // The JWT bearer grant authenticates by its assertion, not as a client.
    if grants::jwt_bearer::applies(&params) {
        if let Some(proof) = dpop_proof(&cx, &headers, false, false)? {
            let _ = cx.dpop.set(proof);
        }
        if let Some(issued) = grants::jwt_bearer::try_issue(&cx, &params) {
            return Ok(token_response(&cx, &issued?));
        }
    }
    // Keycloak reads the grant type before it authenticates the client; RFC 6749 §3.2.1
    // authenticates first.
    let early = cx.flavor().quirks().grant_type_before_client_auth;
    let grant = if early {
        Some(grants::requested(&cx, &params)?)
    } else {
        None
    };
    let client =
        crate::client_assertion::authenticate_request(&cx, &headers, &params, providers::Endpoint::Token).await?;
    let grant = match grant {
        Some(grant) => grant,
        None => grants::requested(&cx, &params)?,
    };
    // After client authentication, before the grant (Keycloak's order), for every grant.
    let requires = client.client.dpop_bound_access_tokens;
    // A client that requires DPoP needs the header here, unless the provider leaves a refresh
    // without one to the refresh grant (WSO2).
    let left_to_grant = grant == GrantType::RefreshToken
        && cx
            .dpop_facts()
            .is_some_and(|facts| facts.refresh_proof_checked_by_grant);
    if let Some(proof) = dpop_proof(&cx, &headers, requires, requires && !left_to_grant)? {
        let _ = cx.dpop.set(proof);
    }
    let issued = grants::issue(&cx, client, grant, &params)?;
    let mut response = token_response(&cx, &issued);
    // RFC 9449 §8.2: a realm that demands nonces hands the current one out with its tokens too.
    if let Some(nonce) = cx.dpop_nonce()
        && let Ok(value) = axum::http::HeaderValue::from_str(&nonce)
    {
        response.headers_mut().insert("dpop-nonce", value);
    }
    Ok(response)
}

/// The request's DPoP proof for the token endpoint, refused in the provider's words.
fn dpop_proof(
    cx: &RealmCtx,
    headers: &HeaderMap,
    client_requires: bool,
    header_required: bool,
) -> Result<Option<crate::dpop::Proof>, OAuthError> {
    let url = cx.endpoint_url(providers::Endpoint::Token);
    let target = crate::dpop::Target {
        method: "POST",
        url: &url,
        access_token: None,
    };
    cx.dpop_proof(headers, &target, client_requires, header_required)
        .map_err(|refusal| OAuthError::new(ErrorKind::Dpop(refusal), "the DPoP proof is refused"))
}

pub(crate) fn token_response(cx: &RealmCtx, issued: &Issued) -> Response {
    let mut body = cx.flavor().token_response(&TokenResponseInput {
        access_token: &issued.access_token,
        expires_in: issued.expires_in,
        refresh_token: issued.refresh_token.as_deref(),
        refresh_expires_in: issued.refresh_expires_in,
        id_token: issued.id_token.as_deref(),
        scope: &issued.scope,
        session_id: issued.session_id.as_deref(),
    });
    if let Some(token_type) = issued.token_type {
        body.insert("token_type".into(), Value::from(token_type));
    }
    if let Some(issued_token_type) = issued.issued_token_type {
        body.insert("issued_token_type".into(), Value::from(issued_token_type));
    }
    no_store_json(&Value::Object(body))
}
