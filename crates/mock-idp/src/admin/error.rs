//! [`AdminError`]: why a change through the admin API (HTTP or Rust) was refused; rendered as
//! a problem by [`Problem::from`].

use super::problem::Problem;
use crate::app::RealmUpdateError;
use axum::http::StatusCode;
use providers::WorldError;

/// Why an admin change was refused; the live state is unchanged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdminError {
    /// No realm has this name.
    #[error("no realm `{0}`")]
    UnknownRealm(String),
    /// The realm has no user of this name.
    #[error("no user `{0}` in this realm")]
    UnknownUser(String),
    /// The realm has no client of this id.
    #[error("no client `{0}` in this realm")]
    UnknownClient(String),
    /// A user or client of this name already exists.
    #[error("`{0}` already exists in this realm")]
    Exists(String),
    /// The change breaks a rule of the world model (or of the input).
    #[error("{field}: {message}")]
    Invalid {
        /// Dotted path of the offending field.
        field: String,
        /// What is wrong with it.
        message: String,
        /// The world model's own complaint, when it came from there.
        #[source]
        source: Option<Box<WorldError>>,
    },
    /// No pending device authorization has this user code (none was started, or it was
    /// decided or expired already).
    #[error("no pending device authorization with user code `{0}`")]
    NoPendingDevice(String),
    /// A signing key the change needs could not be generated.
    #[error("a signing key could not be generated")]
    Keys(#[source] crate::keys::KeyError),
}

impl AdminError {
    /// An input that cannot be applied, naming its field.
    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> AdminError {
        AdminError::Invalid {
            field: field.into(),
            message: message.into(),
            source: None,
        }
    }
}

impl From<RealmUpdateError> for AdminError {
    fn from(err: RealmUpdateError) -> AdminError {
        match err {
            RealmUpdateError::UnknownRealm(realm) => AdminError::UnknownRealm(realm),
            RealmUpdateError::Renamed(realm) => {
                AdminError::invalid("name", format!("realm `{realm}` cannot be renamed"))
            }
            RealmUpdateError::Keys(keys) => AdminError::Keys(keys),
            RealmUpdateError::Invalid(world) => match &world {
                WorldError::Invalid { field, message, .. } => AdminError::Invalid {
                    field: field.clone(),
                    message: message.clone(),
                    source: Some(Box::new(world)),
                },
                other => AdminError::Invalid {
                    field: String::new(),
                    message: other.to_string(),
                    source: Some(Box::new(world)),
                },
            },
        }
    }
}

impl From<AdminError> for Problem {
    fn from(err: AdminError) -> Problem {
        let detail = err.to_string();
        match err {
            AdminError::UnknownRealm(_)
            | AdminError::UnknownUser(_)
            | AdminError::UnknownClient(_)
            | AdminError::NoPendingDevice(_) => Problem::not_found(detail),
            AdminError::Exists(_) => Problem::conflict(detail),
            AdminError::Invalid { field, message, .. } => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, Some("invalid-input"), message).at(field)
            }
            // Not the input's fault: the key generator failed.
            AdminError::Keys(_) => Problem::new(StatusCode::INTERNAL_SERVER_ERROR, Some("keys"), detail),
        }
    }
}
