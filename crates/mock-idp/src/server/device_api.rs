//! Scripting the device authorization grant (RFC 8628) from a test: approve, deny or expire a
//! pending device authorization by its user code, as the user-code page would. The admin API
//! calls these same methods.

use super::{MockIdp, MockIdpError};
use crate::device::store::{DecideOutcome, Decision};

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
        let cx = self
            .app
            .realm(realm)
            .map_err(|_| MockIdpError::UnknownRealm(realm.to_owned()))?;
        let user = cx
            .realm
            .user(username)
            .filter(|user| user.enabled)
            .ok_or_else(|| MockIdpError::UnknownUser(username.to_owned()))?;
        let now = cx.now();
        if self.app.devices.pending(realm, user_code, now).is_none() {
            return Err(not_pending(user_code));
        }
        let session_id = crate::b64::random_uuid();
        cx.store()
            .start_session(session_id.clone(), &cx.realm, &user.username, now, now);
        let decision = Decision::Approved {
            username: user.username.clone(),
            auth_time: now,
            session_id: Some(session_id),
        };
        outcome(self.app.devices.decide(realm, user_code, decision, now), user_code)
    }

    /// Denies the pending device authorization of `user_code` (default realm): the device's
    /// next poll gets the provider's `access_denied`.
    ///
    /// # Errors
    /// [`MockIdpError::NoPendingDevice`] when no pending authorization has this user code.
    pub fn deny_device(&self, user_code: &str) -> Result<(), MockIdpError> {
        let realm = &self.app.world().default_realm;
        let now = self.app.now();
        outcome(
            self.app.devices.decide(realm, user_code, Decision::Denied, now),
            user_code,
        )
    }

    /// Makes the pending device authorization of `user_code` (default realm) expire now: the
    /// device's next poll gets the provider's `expired_token`.
    ///
    /// # Errors
    /// [`MockIdpError::NoPendingDevice`] when no pending authorization has this user code.
    pub fn expire_device(&self, user_code: &str) -> Result<(), MockIdpError> {
        let realm = &self.app.world().default_realm;
        let now = self.app.now();
        outcome(self.app.devices.expire(realm, user_code, now), user_code)
    }

    /// How many device authorizations the mock holds (pending, decided, or expired but not yet
    /// forgotten).
    pub fn device_authorizations(&self) -> usize {
        self.app.devices.len()
    }
}

fn not_pending(user_code: &str) -> MockIdpError {
    MockIdpError::NoPendingDevice {
        user_code: user_code.to_owned(),
    }
}

fn outcome(outcome: DecideOutcome, user_code: &str) -> Result<(), MockIdpError> {
    match outcome {
        DecideOutcome::Decided => Ok(()),
        DecideOutcome::NotPending => Err(not_pending(user_code)),
    }
}
