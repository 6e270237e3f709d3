//! [`MockIdpError`]: why a mock IdP could not start or could not do what was asked, one typed
//! variant per cause, each keeping its source error.

use crate::error::OAuthError;
use crate::keys::KeyError;
use providers::{Endpoint, ErrorKind, WorldError};
use std::sync::Arc;

/// Why a mock IdP could not start or could not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MockIdpError {
    /// The world file is unreadable or invalid.
    #[error(transparent)]
    World(#[from] WorldError),
    /// The default world compiled into the crate is invalid (a build defect; the error is the
    /// one of the first start, shared by every later one).
    #[error("the embedded default world is invalid: {0}")]
    EmbeddedWorld(#[source] Arc<WorldError>),
    /// A signing key could not be loaded, generated or used.
    #[error(transparent)]
    Keys(#[from] KeyError),
    /// The keys compiled into the crate cannot be loaded (a build defect, shared as
    /// [`MockIdpError::EmbeddedWorld`] is).
    #[error("the embedded signing keys are unusable: {0}")]
    EmbeddedKeys(#[source] Arc<KeyError>),
    /// The listening socket, the server thread or a runtime could not be set up.
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
    /// The client may use neither the password grant nor the authorization code flow, so no
    /// user can get a token for it (`token_for`).
    #[error("client `{client}` has no user grant")]
    NoUserGrant {
        /// The client's `client_id`.
        client: String,
    },
    /// The login form refused the user (`token_for`): a wrong password or a disabled account.
    #[error("the login page refused {username} ({status}): {message}")]
    LoginRefused {
        /// The user.
        username: String,
        /// The login page's status.
        status: u16,
        /// The message the page shows above the form.
        message: String,
    },
    /// A request to the server's own router failed or was answered unexpectedly (`token_for`,
    /// `service_token`).
    #[error(transparent)]
    Http(#[from] HttpError),
    /// The mock's token logic refused (`mint`), e.g. no key signs the client's algorithm.
    #[error("the mock refused the request: {0}")]
    Refused(#[source] Refusal),
    /// A defect could not be applied to a minted token (`mint` with `TokenSpec::defect`).
    #[error("the mock refused the request: {0}")]
    Defect(#[source] crate::negative::DefectError),
    /// No pending device authorization has this user code (`approve_device`, `deny_device`,
    /// `expire_device`).
    #[error("no pending device authorization has user code {user_code}")]
    NoPendingDevice {
        /// The user code asked for.
        user_code: String,
    },
    /// The admin settings cannot be used with the bind address.
    #[error(transparent)]
    Admin(#[from] crate::AdminConfigError),
    /// A claim shape or mapping rule was refused.
    #[error(transparent)]
    Shaping(#[from] crate::shaping::ShapingError),
    /// A fault rule of the configuration is out of bounds or names an unknown realm.
    #[error("fault rule: {0}")]
    Fault(#[from] crate::FaultError),
}

/// How a request to the server's own router went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The request could not be built (e.g. a path that is no URI).
    #[error("cannot build the request")]
    Request(#[source] axum::http::Error),
    /// The response body could not be read (or was over 1 MiB).
    #[error("cannot read the response body")]
    Body(#[source] axum::Error),
    /// The endpoint answered with another status than the flow expects.
    #[error("the {endpoint:?} endpoint answered {status}: {body}")]
    Status {
        /// The endpoint asked.
        endpoint: Endpoint,
        /// Its status.
        status: u16,
        /// Its body, as text.
        body: String,
    },
    /// The authorization endpoint's answer holds no login form.
    #[error("the authorization endpoint showed no login form")]
    NoLoginForm,
    /// The redirect after the login carries no `code`.
    #[error("no code in the redirect: {location}")]
    NoCode {
        /// The redirect's `Location`.
        location: String,
    },
    /// The token response is not the JSON of a token response.
    #[error("the token response is not a token set")]
    Json(#[source] serde_json::Error),
}

/// A refusal by the mock's protocol logic: what went wrong ([`ErrorKind`]) and why.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", .0.detail)]
pub struct Refusal(OAuthError);

impl Refusal {
    /// The situation, as the provider error tables name it.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// The explanation.
    pub fn detail(&self) -> &str {
        &self.0.detail
    }
}

pub(super) fn refused(err: OAuthError) -> MockIdpError {
    MockIdpError::Refused(Refusal(err))
}
