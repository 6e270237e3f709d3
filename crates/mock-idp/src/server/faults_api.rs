//! [`MockIdp`]'s fault and hit-counter controls.

use super::MockIdp;
use crate::app::App;
use crate::faults::{ActiveFault, Fault, FaultError, FaultId, FaultRule, FaultScope};
use providers::Endpoint;

impl App {
    /// Adds the configured rules and remembers them for resets.
    pub(crate) fn load_faults(&self, rules: Vec<FaultRule>) -> Result<(), FaultError> {
        for rule in &rules {
            self.add_fault(rule.clone())?;
        }
        self.faults.set_loaded(rules);
        Ok(())
    }

    /// Back to the configured rules (for a reset).
    pub(crate) fn restore_loaded_faults(&self) {
        self.clear_faults();
        for rule in self.faults.loaded() {
            // Checked when loaded; the table was just emptied, so it cannot be full.
            let _ = self.faults.add(rule);
        }
    }

    /// Adds a fault rule: what `rule.endpoint` does in `rule.realm` (or every realm), for how
    /// long (`rule.scope`). A realm's own rule is considered before an every-realm rule; among
    /// equals, the oldest first.
    ///
    /// # Errors
    /// [`FaultError`] for a rule out of bounds, an unknown realm or a full table.
    pub(crate) fn add_fault(&self, rule: FaultRule) -> Result<FaultId, FaultError> {
        if let Some(realm) = rule
            .realm
            .as_ref()
            .filter(|realm| !self.realms.contains_key(realm.as_str()))
        {
            return Err(FaultError::UnknownRealm(realm.clone()));
        }
        self.faults.add(rule)
    }

    /// Removes one fault rule; false when it is no longer active (used up or removed).
    pub(crate) fn remove_fault(&self, id: FaultId) -> bool {
        self.faults.remove_where(|active| active.id == id) > 0
    }

    /// Removes every fault rule.
    pub(crate) fn clear_faults(&self) {
        self.faults.remove_where(|_| true);
    }

    /// The active fault rules, oldest first, with what is left of their scopes.
    pub(crate) fn faults(&self) -> Vec<ActiveFault> {
        self.faults.list()
    }

    /// How many requests `endpoint` has received in `realm` (the login form counts as
    /// `Authorize`, RFC 8414 metadata as `Discovery`).
    pub(crate) fn hits_in(&self, realm: &str, endpoint: Endpoint) -> u64 {
        self.faults.hits_in(realm, endpoint)
    }

    /// Every non-zero hit counter as `(realm, endpoint, hits)`, sorted by realm and endpoint.
    pub(crate) fn all_hits(&self) -> Vec<(String, Endpoint, u64)> {
        self.faults.all_hits()
    }

    /// Zeroes every hit counter.
    pub(crate) fn reset_hits(&self) {
        self.faults.reset_hits();
    }

    /// `set_fault`'s body: replaces the every-realm, until-cleared rule of `endpoint`.
    pub(crate) fn replace_fault(&self, endpoint: Endpoint, fault: Fault) {
        self.faults.remove_where(|active| {
            active.rule.endpoint == endpoint
                && active.rule.realm.is_none()
                && active.rule.scope == FaultScope::UntilCleared
        });
        if let Err(err) = self.faults.add(FaultRule::new(endpoint, fault)) {
            tracing::warn!("set_fault ignored: {err}");
        }
    }

    /// `clear_fault`'s body: removes every rule of `endpoint`, in every realm.
    pub(crate) fn remove_endpoint_faults(&self, endpoint: Endpoint) {
        self.faults.remove_where(|active| active.rule.endpoint == endpoint);
    }
}

impl MockIdp {
    /// Adds a fault rule: what `rule.endpoint` does in `rule.realm` (or every realm), for how
    /// long (`rule.scope`). A realm's own rule is considered before an every-realm rule; among
    /// equals, the oldest first.
    ///
    /// # Errors
    /// [`FaultError`] for a rule out of bounds, an unknown realm or a full table.
    pub fn add_fault(&self, rule: FaultRule) -> Result<FaultId, FaultError> {
        self.app.add_fault(rule)
    }

    /// Removes one fault rule; false when it is no longer active (used up or removed).
    pub fn remove_fault(&self, id: FaultId) -> bool {
        self.app.remove_fault(id)
    }

    /// The active fault rules, oldest first, with what is left of their scopes.
    pub fn faults(&self) -> Vec<ActiveFault> {
        self.app.faults()
    }

    /// How many requests `endpoint` has received in `realm` (the login form counts as
    /// `Authorize`, RFC 8414 metadata as `Discovery`).
    pub fn hits_in(&self, realm: &str, endpoint: Endpoint) -> u64 {
        self.app.hits_in(realm, endpoint)
    }

    /// Every non-zero hit counter as `(realm, endpoint, hits)`, sorted by realm and endpoint.
    pub fn all_hits(&self) -> Vec<(String, Endpoint, u64)> {
        self.app.all_hits()
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.app.clear_faults();
    }

    /// Zeroes every hit counter.
    pub fn reset_hits(&self) {
        self.app.reset_hits();
    }
}
