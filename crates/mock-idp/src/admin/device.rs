//! `POST /_mock/realms/{realm}/device/{user_code}/{approve,deny,expire}`: decides a pending device
//! authorization (RFC 8628) as the user-code page would, so a test in any language scripts the
//! device flow. [`MockIdp::approve_device`](crate::MockIdp::approve_device) and its siblings are
//! these same functions.

use super::error::AdminError;
use super::problem::{AdminJson, AdminPath, Problem};
use crate::app::App;
use crate::device::store::{DecideOutcome, Decision};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Why a device authorization could not be decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Undecidable {
    /// No realm has this name.
    UnknownRealm(String),
    /// The realm has no enabled user of this name.
    UnknownUser(String),
    /// No pending authorization has this user code.
    NoPending(String),
}

impl From<Undecidable> for AdminError {
    fn from(err: Undecidable) -> AdminError {
        match err {
            Undecidable::UnknownRealm(realm) => AdminError::UnknownRealm(realm),
            Undecidable::UnknownUser(user) => AdminError::UnknownUser(user),
            Undecidable::NoPending(user_code) => AdminError::NoPendingDevice(user_code),
        }
    }
}

impl From<Undecidable> for crate::MockIdpError {
    fn from(err: Undecidable) -> crate::MockIdpError {
        match err {
            Undecidable::UnknownRealm(realm) => crate::MockIdpError::UnknownRealm(realm),
            Undecidable::UnknownUser(user) => crate::MockIdpError::UnknownUser(user),
            Undecidable::NoPending(user_code) => crate::MockIdpError::NoPendingDevice { user_code },
        }
    }
}

/// Who approves a device authorization.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeviceApproval {
    /// The enabled user the device's tokens are for.
    pub(crate) username: String,
}

/// Approves the pending device authorization of `user_code` in `realm` as `username`: a login
/// session starts, and the device's next poll gets that user's tokens.
pub(crate) fn approve(app: &Arc<App>, realm: &str, user_code: &str, username: &str) -> Result<(), Undecidable> {
    let cx = app
        .realm(realm)
        .map_err(|_| Undecidable::UnknownRealm(realm.to_owned()))?;
    let user = cx
        .realm
        .user(username)
        .filter(|user| user.enabled)
        .ok_or_else(|| Undecidable::UnknownUser(username.to_owned()))?;
    let now = cx.now();
    if app.devices.pending(realm, user_code, now).is_none() {
        return Err(Undecidable::NoPending(user_code.to_owned()));
    }
    let session_id = crate::b64::random_uuid();
    cx.store()
        .start_session(session_id.clone(), &cx.realm, &user.username, now, now);
    let decision = Decision::Approved {
        username: user.username.clone(),
        auth_time: now,
        session_id: Some(session_id),
    };
    decided(app.devices.decide(realm, user_code, decision, now), user_code)
}

/// Denies it: the device's next poll gets the provider's `access_denied`.
pub(crate) fn deny(app: &Arc<App>, realm: &str, user_code: &str) -> Result<(), Undecidable> {
    known_realm(app, realm)?;
    decided(
        app.devices.decide(realm, user_code, Decision::Denied, app.now()),
        user_code,
    )
}

/// Makes it expire now: the device's next poll gets the provider's `expired_token`.
pub(crate) fn expire(app: &Arc<App>, realm: &str, user_code: &str) -> Result<(), Undecidable> {
    known_realm(app, realm)?;
    decided(app.devices.expire(realm, user_code, app.now()), user_code)
}

fn known_realm(app: &Arc<App>, realm: &str) -> Result<(), Undecidable> {
    app.realm(realm)
        .map(drop)
        .map_err(|_| Undecidable::UnknownRealm(realm.to_owned()))
}

fn decided(outcome: DecideOutcome, user_code: &str) -> Result<(), Undecidable> {
    match outcome {
        DecideOutcome::Decided => Ok(()),
        DecideOutcome::NotPending => Err(Undecidable::NoPending(user_code.to_owned())),
    }
}

/// The device routes.
pub(crate) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(approve_device))
        .routes(routes!(deny_device))
        .routes(routes!(expire_device))
}

fn answer(result: Result<(), Undecidable>) -> Response {
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(err) => Problem::from(AdminError::from(err)).into_response(),
    }
}

/// Approves a pending device authorization as a user (the device's next poll gets tokens).
#[utoipa::path(post, path = "/realms/{realm}/device/{user_code}/approve", tag = "device",
    params(("realm" = String, Path, description = "Realm name"),
        ("user_code" = String, Path, description = "The user code the device shows")),
    request_body = DeviceApproval,
    responses((status = 204, description = "Approved"),
        (status = 404, description = "No such realm, enabled user or pending user code", body = Problem,
            content_type = "application/problem+json")))]
async fn approve_device(
    State(app): State<Arc<App>>,
    AdminPath((realm, user_code)): AdminPath<(String, String)>,
    AdminJson(approval): AdminJson<DeviceApproval>,
) -> Response {
    answer(approve(&app, &realm, &user_code, &approval.username))
}

/// Denies a pending device authorization (the device's next poll gets `access_denied`).
#[utoipa::path(post, path = "/realms/{realm}/device/{user_code}/deny", tag = "device",
    params(("realm" = String, Path, description = "Realm name"),
        ("user_code" = String, Path, description = "The user code the device shows")),
    responses((status = 204, description = "Denied"),
        (status = 404, description = "No such realm or pending user code", body = Problem,
            content_type = "application/problem+json")))]
async fn deny_device(
    State(app): State<Arc<App>>,
    AdminPath((realm, user_code)): AdminPath<(String, String)>,
) -> Response {
    answer(deny(&app, &realm, &user_code))
}

/// Makes a pending device authorization expire now (the device's next poll gets `expired_token`).
#[utoipa::path(post, path = "/realms/{realm}/device/{user_code}/expire", tag = "device",
    params(("realm" = String, Path, description = "Realm name"),
        ("user_code" = String, Path, description = "The user code the device shows")),
    responses((status = 204, description = "Expired"),
        (status = 404, description = "No such realm or pending user code", body = Problem,
            content_type = "application/problem+json")))]
async fn expire_device(
    State(app): State<Arc<App>>,
    AdminPath((realm, user_code)): AdminPath<(String, String)>,
) -> Response {
    answer(expire(&app, &realm, &user_code))
}
