//! `/_mock/realms/{realm}/users`: create, list, read, update and delete a realm's users. Each
//! change edits a copy of the realm, re-checks it with the world's rules and swaps it in, so
//! it takes effect on the next request and a refused change leaves the realm as it was.

use super::error::AdminError;
use super::problem::{AdminJson, AdminPath, Problem, json};
use crate::app::App;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use providers::{Secret, User};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// A user to create.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// The login name (`preferred_username`), unique in the realm.
    pub username: String,
    /// The subject (`sub`); a random UUID when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// The password the login page and the password grant check.
    pub password: String,
    /// Whether the account may log in (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// `email`.
    #[serde(default)]
    pub email: Option<String>,
    /// `email_verified` (default true, as in a world file).
    #[serde(default = "yes")]
    pub email_verified: bool,
    /// `name`.
    #[serde(default)]
    pub name: Option<String>,
    /// `given_name`.
    #[serde(default)]
    pub given_name: Option<String>,
    /// `family_name`.
    #[serde(default)]
    pub family_name: Option<String>,
    /// Realm roles (each a role of the realm).
    #[serde(default)]
    pub realm_roles: Vec<String>,
    /// Client roles by `client_id` (each defined by that client).
    #[serde(default)]
    pub client_roles: BTreeMap<String, Vec<String>>,
}

fn yes() -> bool {
    true
}

/// Changes to a user; absent fields stay as they are, `null` clears an optional claim.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct UserPatch {
    /// A new password.
    pub password: Option<String>,
    /// Enables or disables the account.
    pub enabled: Option<bool>,
    /// `email` (`null` removes it).
    #[serde(deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    /// `email_verified`.
    pub email_verified: Option<bool>,
    /// `name` (`null` removes it).
    #[serde(deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub name: Option<Option<String>>,
    /// `given_name` (`null` removes it).
    #[serde(deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub given_name: Option<Option<String>>,
    /// `family_name` (`null` removes it).
    #[serde(deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub family_name: Option<Option<String>>,
    /// Replaces the realm roles.
    pub realm_roles: Option<Vec<String>>,
    /// Replaces the client roles.
    pub client_roles: Option<BTreeMap<String, Vec<String>>>,
}

/// A present field, `null` included: `Some(None)` clears, an absent field (the `default`) is `None`.
pub(crate) fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A user as the admin API shows it (never the password).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct UserView {
    /// The login name.
    pub username: String,
    /// The subject (`sub`).
    pub id: String,
    /// Whether the account may log in.
    pub enabled: bool,
    /// `email`.
    pub email: Option<String>,
    /// `email_verified`.
    pub email_verified: bool,
    /// `name`.
    pub name: Option<String>,
    /// `given_name`.
    pub given_name: Option<String>,
    /// `family_name`.
    pub family_name: Option<String>,
    /// Realm roles.
    pub realm_roles: Vec<String>,
    /// Client roles by `client_id`.
    pub client_roles: BTreeMap<String, Vec<String>>,
}

impl From<&User> for UserView {
    fn from(user: &User) -> UserView {
        UserView {
            username: user.username.clone(),
            id: user.id.clone(),
            enabled: user.enabled,
            email: user.email.clone(),
            email_verified: user.email_verified,
            name: user.name.clone(),
            given_name: user.given_name.clone(),
            family_name: user.family_name.clone(),
            realm_roles: user.realm_roles.clone(),
            client_roles: user.client_roles.clone(),
        }
    }
}

/// Creates a user in `realm`.
pub(crate) fn create(app: &App, realm: &str, new: NewUser) -> Result<UserView, AdminError> {
    store(app, realm, new, false).map(|(view, _)| view)
}

/// Creates `new`, or replaces the user of that name whole (keeping its `id` unless `new` gives
/// one). Returns the user and whether it was created.
pub(crate) fn upsert(app: &App, realm: &str, new: NewUser) -> Result<(UserView, bool), AdminError> {
    store(app, realm, new, true)
}

fn store(app: &App, realm: &str, new: NewUser, replace: bool) -> Result<(UserView, bool), AdminError> {
    let given_id = new.id.is_some();
    let mut user = User {
        username: new.username.clone(),
        id: new.id.unwrap_or_else(crate::b64::random_uuid),
        password: Secret::new(new.password),
        enabled: new.enabled,
        email: new.email,
        email_verified: new.email_verified,
        name: new.name,
        given_name: new.given_name,
        family_name: new.family_name,
        realm_roles: new.realm_roles,
        client_roles: new.client_roles,
    };
    if user.username.is_empty() {
        return Err(AdminError::invalid("username", "must not be empty"));
    }
    let mut outcome = None;
    app.update_realm(realm, |live| {
        let existing = live.users.get(&user.username);
        if let Some(existing) = existing {
            if !replace {
                return Err(AdminError::Exists(user.username.clone()));
            }
            if !given_id {
                user.id = existing.id.clone();
            }
        }
        outcome = Some((UserView::from(&user), existing.is_none()));
        live.users.insert(user.username.clone(), user);
        Ok(())
    })?;
    outcome.ok_or_else(|| AdminError::UnknownRealm(realm.to_owned()))
}

/// Applies `patch` to `username` in `realm`.
pub(crate) fn update(app: &App, realm: &str, username: &str, patch: UserPatch) -> Result<UserView, AdminError> {
    let mut view = None;
    app.update_realm(realm, |live| {
        let user = live
            .users
            .get_mut(username)
            .ok_or_else(|| AdminError::UnknownUser(username.to_owned()))?;
        if let Some(password) = patch.password {
            user.password = Secret::new(password);
        }
        if let Some(enabled) = patch.enabled {
            user.enabled = enabled;
        }
        if let Some(email) = patch.email {
            user.email = email;
        }
        if let Some(verified) = patch.email_verified {
            user.email_verified = verified;
        }
        if let Some(name) = patch.name {
            user.name = name;
        }
        if let Some(given_name) = patch.given_name {
            user.given_name = given_name;
        }
        if let Some(family_name) = patch.family_name {
            user.family_name = family_name;
        }
        if let Some(roles) = patch.realm_roles {
            user.realm_roles = roles;
        }
        if let Some(roles) = patch.client_roles {
            user.client_roles = roles;
        }
        view = Some(UserView::from(&*user));
        Ok::<(), AdminError>(())
    })?;
    view.ok_or_else(|| AdminError::UnknownUser(username.to_owned()))
}

/// Deletes `username` from `realm`.
pub(crate) fn delete(app: &App, realm: &str, username: &str) -> Result<(), AdminError> {
    app.update_realm(realm, |live| {
        live.users
            .remove(username)
            .map(|_| ())
            .ok_or_else(|| AdminError::UnknownUser(username.to_owned()))
    })
}

/// The users of `realm`, by username.
pub(crate) fn list(app: &App, realm: &str) -> Result<Vec<UserView>, AdminError> {
    let cx = app
        .realm(realm)
        .map_err(|_| AdminError::UnknownRealm(realm.to_owned()))?;
    Ok(cx.realm.users.values().map(UserView::from).collect())
}

/// One user of `realm`.
pub(crate) fn get(app: &App, realm: &str, username: &str) -> Result<UserView, AdminError> {
    let cx = app
        .realm(realm)
        .map_err(|_| AdminError::UnknownRealm(realm.to_owned()))?;
    cx.realm
        .users
        .get(username)
        .map(UserView::from)
        .ok_or_else(|| AdminError::UnknownUser(username.to_owned()))
}

/// The users' routes.
pub(crate) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(show_user, put_user, update_user, delete_user))
}

fn answer<T: Serialize>(status: StatusCode, result: Result<T, AdminError>) -> Response {
    match result {
        Ok(value) => json(status, &value),
        Err(err) => Problem::from(err).into_response(),
    }
}

/// The realm's users.
#[utoipa::path(get, path = "/realms/{realm}/users", tag = "users",
    params(("realm" = String, Path, description = "Realm name")),
    responses((status = 200, description = "Users by username", body = Vec<UserView>),
        (status = 404, description = "No such realm", body = Problem, content_type = "application/problem+json")))]
async fn list_users(State(app): State<Arc<App>>, AdminPath(realm): AdminPath<String>) -> Response {
    answer(StatusCode::OK, list(&app, &realm))
}

/// Creates a user; it can log in on the next request.
#[utoipa::path(post, path = "/realms/{realm}/users", tag = "users", request_body = NewUser,
    params(("realm" = String, Path, description = "Realm name")),
    responses((status = 201, description = "The new user", body = UserView),
        (status = 409, description = "The username is taken", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", description = "Malformed input or a broken world rule", body = Problem, content_type = "application/problem+json")))]
async fn create_user(
    State(app): State<Arc<App>>,
    AdminPath(realm): AdminPath<String>,
    AdminJson(new): AdminJson<NewUser>,
) -> Response {
    answer(StatusCode::CREATED, create(&app, &realm, new))
}

/// One user.
#[utoipa::path(get, path = "/realms/{realm}/users/{username}", tag = "users",
    params(("realm" = String, Path, description = "Realm name"), ("username" = String, Path, description = "Username")),
    responses((status = 200, description = "The user", body = UserView),
        (status = 404, description = "No such realm or user", body = Problem, content_type = "application/problem+json")))]
async fn show_user(State(app): State<Arc<App>>, AdminPath((realm, username)): AdminPath<(String, String)>) -> Response {
    answer(StatusCode::OK, get(&app, &realm, &username))
}

/// Creates the user, or replaces it whole (its `id` kept unless given); the body's `username`
/// must be the path's.
#[utoipa::path(put, path = "/realms/{realm}/users/{username}", tag = "users", request_body = NewUser,
    params(("realm" = String, Path, description = "Realm name"), ("username" = String, Path, description = "Username")),
    responses((status = 201, description = "Created", body = UserView),
        (status = 200, description = "Replaced", body = UserView),
        (status = "4XX", description = "Malformed input or a broken world rule", body = Problem, content_type = "application/problem+json")))]
async fn put_user(
    State(app): State<Arc<App>>,
    AdminPath((realm, username)): AdminPath<(String, String)>,
    AdminJson(new): AdminJson<NewUser>,
) -> Response {
    if new.username != username {
        return Problem::from(AdminError::invalid("username", "must be the username in the path")).into_response();
    }
    match upsert(&app, &realm, new) {
        Ok((view, true)) => json(StatusCode::CREATED, &view),
        Ok((view, false)) => json(StatusCode::OK, &view),
        Err(err) => Problem::from(err).into_response(),
    }
}

/// Changes a user's password, enabled flag, claims or roles.
#[utoipa::path(patch, path = "/realms/{realm}/users/{username}", tag = "users", request_body = UserPatch,
    params(("realm" = String, Path, description = "Realm name"), ("username" = String, Path, description = "Username")),
    responses((status = 200, description = "The updated user", body = UserView),
        (status = "4XX", description = "No such user, malformed input or a broken world rule", body = Problem, content_type = "application/problem+json")))]
async fn update_user(
    State(app): State<Arc<App>>,
    AdminPath((realm, username)): AdminPath<(String, String)>,
    AdminJson(patch): AdminJson<UserPatch>,
) -> Response {
    answer(StatusCode::OK, update(&app, &realm, &username, patch))
}

/// Deletes a user; its next login or password grant fails.
#[utoipa::path(delete, path = "/realms/{realm}/users/{username}", tag = "users",
    params(("realm" = String, Path, description = "Realm name"), ("username" = String, Path, description = "Username")),
    responses((status = 204, description = "Deleted"),
        (status = 404, description = "No such realm or user", body = Problem, content_type = "application/problem+json")))]
async fn delete_user(
    State(app): State<Arc<App>>,
    AdminPath((realm, username)): AdminPath<(String, String)>,
) -> Response {
    match delete(&app, &realm, &username) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(err) => Problem::from(err).into_response(),
    }
}
