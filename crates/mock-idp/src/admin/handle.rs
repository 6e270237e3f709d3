//! [`Admin`]: the Rust side of the admin API, with the same semantics as its routes.

use super::{AdminError, ClientPatch, ClientView, NewClient, NewUser, UserPatch, UserView};
use crate::app::App;
use crate::mock_clock::MockClock;
use std::sync::Arc;

/// Test control of a running [`crate::MockIdp`]: `idp.admin().clock().advance(3600)`.
#[derive(Debug, Clone)]
pub struct Admin<'a> {
    pub(crate) app: &'a Arc<App>,
}

impl Admin<'_> {
    /// The mock's clock; clones share its state (hand one to token-guard to validate at the
    /// mock's time).
    pub fn clock(&self) -> MockClock {
        self.app.clock.clone()
    }

    /// The requests provider endpoints answered, oldest first, matching `filter`.
    pub fn log(&self, filter: &crate::LogFilter) -> crate::LogListing {
        self.app.request_log.list(filter)
    }

    /// Forgets every logged request.
    pub fn clear_log(&self) {
        self.app.request_log.clear();
    }

    /// Back to the world as loaded: every part listed in the reset registry. Returns the
    /// names of the parts reset.
    pub fn reset(&self) -> Vec<&'static str> {
        super::reset(self.app)
    }
}

/// Users and clients: the same functions the HTTP routes call. `realm` is the realm's name
/// (`idp.world().default_realm` for the default one).
impl Admin<'_> {
    /// Creates a user; it can log in on the next request.
    ///
    /// # Errors
    /// [`AdminError`] for an unknown realm, a taken username or a change the world's rules refuse.
    pub fn create_user(&self, realm: &str, user: NewUser) -> Result<UserView, AdminError> {
        super::users::create(self.app, realm, user)
    }

    /// Creates the user, or replaces the one of that name whole (keeping its `id` unless
    /// `user` gives one). Returns the user and whether it was created.
    ///
    /// # Errors
    /// [`AdminError`] for an unknown realm or a user the world's rules refuse.
    pub fn upsert_user(&self, realm: &str, user: NewUser) -> Result<(UserView, bool), AdminError> {
        super::users::upsert(self.app, realm, user)
    }

    /// One user, without its password.
    ///
    /// # Errors
    /// [`AdminError`] for an unknown realm or user.
    pub fn user(&self, realm: &str, username: &str) -> Result<UserView, AdminError> {
        super::users::get(self.app, realm, username)
    }

    /// Every user of the realm.
    ///
    /// # Errors
    /// [`AdminError::UnknownRealm`].
    pub fn users(&self, realm: &str) -> Result<Vec<UserView>, AdminError> {
        super::users::list(self.app, realm)
    }

    /// Changes a user's password, enabled flag, claims or roles.
    ///
    /// # Errors
    /// [`AdminError`] for an unknown realm or user, or a change the world's rules refuse.
    pub fn update_user(&self, realm: &str, username: &str, patch: UserPatch) -> Result<UserView, AdminError> {
        super::users::update(self.app, realm, username, patch)
    }

    /// Deletes a user.
    ///
    /// # Errors
    /// [`AdminError`] for an unknown realm or user.
    pub fn delete_user(&self, realm: &str, username: &str) -> Result<(), AdminError> {
        super::users::delete(self.app, realm, username)
    }

    /// Ends every login session of `username` (revoking what was issued under them) and sends
    /// back-channel logout tokens to the clients that registered a URI.
    ///
    /// # Errors
    /// [`AdminError`] for an unknown realm or user.
    pub fn logout_user(&self, realm: &str, username: &str) -> Result<super::sessions::LoggedOut, AdminError> {
        super::sessions::logout_user(self.app, realm, username)
    }

    /// Creates a client; it can ask for tokens on the next request.
    ///
    /// # Errors
    /// [`AdminError`] for an unknown realm, a taken id or a change the world's rules refuse.
    pub fn create_client(&self, realm: &str, client: NewClient) -> Result<ClientView, AdminError> {
        super::clients::create(self.app, realm, client)
    }

    /// One client, without its secret.
    ///
    /// # Errors
    /// [`AdminError`] for an unknown realm or client.
    pub fn client(&self, realm: &str, client_id: &str) -> Result<ClientView, AdminError> {
        super::clients::get(self.app, realm, client_id)
    }

    /// Every client of the realm.
    ///
    /// # Errors
    /// [`AdminError::UnknownRealm`].
    pub fn clients(&self, realm: &str) -> Result<Vec<ClientView>, AdminError> {
        super::clients::list(self.app, realm)
    }

    /// Changes a client's secret, redirect URIs, grants, scopes or token format.
    ///
    /// # Errors
    /// [`AdminError`] for an unknown realm or client, or a change the world's rules refuse.
    pub fn update_client(&self, realm: &str, client_id: &str, patch: ClientPatch) -> Result<ClientView, AdminError> {
        super::clients::update(self.app, realm, client_id, patch)
    }

    /// Deletes a client (refused while users hold roles it defines).
    ///
    /// # Errors
    /// [`AdminError`] for an unknown realm or client, or roles still held.
    pub fn delete_client(&self, realm: &str, client_id: &str) -> Result<(), AdminError> {
        super::clients::delete(self.app, realm, client_id)
    }
}
