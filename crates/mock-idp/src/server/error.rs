//! [`MockIdpError`]: why a mock IdP could not start or could not do what was asked.

use crate::error::OAuthError;
use crate::keys::KeyError;
use providers::WorldError;

/// Why a mock IdP could not start or could not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MockIdpError {
    /// The world file is unreadable or invalid.
    #[error(transparent)]
    World(#[from] WorldError),
    /// A signing key could not be loaded, generated or used.
    #[error(transparent)]
    Keys(#[from] KeyError),
    /// The listening socket or the server thread could not be set up.
    #[error("cannot start the server: {0}")]
    Io(#[from] std::io::Error),
    /// No realm has this name.
    #[error("unknown realm `{0}`")]
    UnknownRealm(String),
    /// No user has this username in the realm.
    #[error("unknown user `{0}`")]
    UnknownUser(String),
    /// No client has this `client_id` in the realm.
    #[error("unknown client `{0}`")]
    UnknownClient(String),
    /// The admin settings cannot be used with the bind address.
    #[error(transparent)]
    Admin(#[from] crate::AdminConfigError),
    /// A claim shape or mapping rule was refused.
    #[error(transparent)]
    Shaping(#[from] crate::shaping::ShapingError),
    /// A fault rule of the configuration is out of bounds or names an unknown realm.
    #[error("fault rule: {0}")]
    Fault(#[from] crate::FaultError),
    /// The provider refused a request (`token_for`, `mint`).
    #[error("the mock refused the request: {0}")]
    Refused(String),
}

pub(super) fn refused(err: OAuthError) -> MockIdpError {
    MockIdpError::Refused(err.detail)
}
