//! `POST /_mock/realms/{realm}/users/{username}/logout`: ends every login session of a user as
//! an administrator's logout does (Keycloak's admin "Sign out" of a user), revoking what was
//! issued under them and sending back-channel logout tokens to their clients.

use super::error::AdminError;
use super::problem::{AdminPath, Problem, json};
use crate::app::App;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// What an admin logout ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LoggedOut {
    /// How many login sessions ended.
    pub sessions: usize,
    /// How many back-channel logout tokens were handed to delivery.
    pub backchannel_notifications: usize,
}

/// Ends every session of `username` in `realm`.
pub(crate) fn logout_user(app: &Arc<App>, realm: &str, username: &str) -> Result<LoggedOut, AdminError> {
    let cx = app
        .realm(realm)
        .map_err(|_| AdminError::UnknownRealm(realm.to_owned()))?;
    if cx.realm.user(username).is_none() {
        return Err(AdminError::UnknownUser(username.to_owned()));
    }
    let sids = cx.store().sessions_of(realm, username);
    let mut logged_out = LoggedOut {
        sessions: sids.len(),
        backchannel_notifications: 0,
    };
    for sid in sids {
        let ended = cx.store().end_session(&sid);
        logged_out.backchannel_notifications += crate::backchannel::notify(&cx, &sid, &ended);
    }
    Ok(logged_out)
}

/// The sessions' routes.
pub(crate) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new().routes(routes!(logout_user_sessions))
}

/// Logs a user out of every session (back-channel logout tokens go to its clients).
#[utoipa::path(post, path = "/realms/{realm}/users/{username}/logout", tag = "users",
    params(("realm" = String, Path, description = "Realm name"), ("username" = String, Path, description = "Username")),
    responses((status = 200, description = "What ended", body = LoggedOut),
        (status = 404, description = "No such realm or user", body = Problem, content_type = "application/problem+json")))]
async fn logout_user_sessions(
    State(app): State<Arc<App>>,
    AdminPath((realm, username)): AdminPath<(String, String)>,
) -> Response {
    match logout_user(&app, &realm, &username) {
        Ok(done) => json(StatusCode::OK, &done),
        Err(err) => Problem::from(err).into_response(),
    }
}
