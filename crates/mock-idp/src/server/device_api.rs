//! Scripting the device authorization grant (RFC 8628) from a test: approve, deny or expire a
//! pending device authorization by its user code, as the user-code page would. The admin API
//! calls the same functions (`admin::device`).

use super::{MockIdp, MockIdpError};

impl MockIdp {
    /// Approves the pending device authorization of `user_code` (in the default realm) as
    /// `username`, as if the user had signed in on the user-code page: the device's next poll
    /// gets tokens for that user.
    ///
    /// # Errors
    /// [`MockIdpError::UnknownUser`] for a user that does not exist or is disabled,
    /// [`MockIdpError::NoPendingDevice`] when no pending authorization has this user code.
    pub fn approve_device(&self, user_code: &str, username: &str) -> Result<(), MockIdpError> {
        self.approve_device_in(&self.app.world().default_realm, user_code, username)
    }

    /// [`MockIdp::approve_device`] in `realm`.
    ///
    /// # Errors
    /// As [`MockIdp::approve_device`], and [`MockIdpError::UnknownRealm`].
    pub fn approve_device_in(&self, realm: &str, user_code: &str, username: &str) -> Result<(), MockIdpError> {
        crate::admin::device::approve(&self.app, realm, user_code, username).map_err(MockIdpError::from)
    }

    /// Denies the pending device authorization of `user_code` (default realm): the device's
    /// next poll gets the provider's `access_denied`.
    ///
    /// # Errors
    /// [`MockIdpError::NoPendingDevice`] when no pending authorization has this user code.
    pub fn deny_device(&self, user_code: &str) -> Result<(), MockIdpError> {
        crate::admin::device::deny(&self.app, &self.app.world().default_realm, user_code).map_err(MockIdpError::from)
    }

    /// Makes the pending device authorization of `user_code` (default realm) expire now: the
    /// device's next poll gets the provider's `expired_token`.
    ///
    /// # Errors
    /// [`MockIdpError::NoPendingDevice`] when no pending authorization has this user code.
    pub fn expire_device(&self, user_code: &str) -> Result<(), MockIdpError> {
        crate::admin::device::expire(&self.app, &self.app.world().default_realm, user_code).map_err(MockIdpError::from)
    }

    /// How many device authorizations the mock holds (pending, decided, or expired but not yet
    /// forgotten).
    pub fn device_authorizations(&self) -> usize {
        self.app.devices.len()
    }
}
