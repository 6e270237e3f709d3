//! The device authorization endpoint (RFC 8628 §3.1, §3.2): POST, form body, the client
//! authenticated as at the token endpoint; answers a device code, a user code and where the
//! user goes to enter it.

use super::store::NewDevice;
use crate::app::{App, RealmCtx};
use crate::client_auth::authenticate_with;
use crate::error::OAuthError;
use crate::http::{Params, no_store_json, read_token_body};
use crate::tokens::requested_scopes;
use axum::body::Body;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{MethodRouter, post};
use providers::device::DeviceError;
use providers::{Endpoint, ErrorKind, GrantType};
use serde_json::Value;
use std::sync::Arc;

pub(super) fn routes() -> MethodRouter<Arc<App>> {
    post(device_authorization)
}

async fn device_authorization(cx: RealmCtx, headers: HeaderMap, body: Body) -> Result<Response, OAuthError> {
    let params = read_token_body(&headers, body, cx.flavor().quirks().token_body_formats).await?;
    start(&cx, &headers, &params)
}

fn start(cx: &RealmCtx, headers: &HeaderMap, params: &Params) -> Result<Response, OAuthError> {
    let facts = cx
        .flavor()
        .quirks()
        .device
        .ok_or_else(|| OAuthError::new(ErrorKind::NotFound, "no device grant here"))?;
    let client = authenticate_with(&cx.realm, headers, params, cx.flavor())?.client;
    // WSO2's device endpoint asks nothing of the client beyond authentication: a client
    // without the grant is refused when it polls.
    if facts.endpoint_checks_client && !client.allows(GrantType::DeviceCode) {
        return Err(OAuthError::new(
            ErrorKind::Device(DeviceError::ClientNotAllowed),
            format!("client {} may not use the device grant", client.id),
        ));
    }
    let scopes = requested_scopes(cx.flavor(), client, params.get("scope"), true)?;
    let (lifetime, interval) = super::lifetimes(&cx.realm, &facts);
    let (device_code, user_code) = cx.app.devices.create(
        NewDevice {
            realm: &cx.realm.name,
            client_id: &client.id,
            scopes,
            lifetime,
            interval,
            user_code: facts.user_code,
            slow_down: facts.slow_down,
            poll_order: facts.poll_order,
        },
        cx.now(),
        crate::b64::random_bytes,
    );
    let body = facts.authorization_response(
        &device_code,
        &user_code,
        &cx.endpoint_url(Endpoint::DeviceVerification),
        lifetime,
        interval,
    );
    Ok(no_store_json(&Value::Object(body)))
}
