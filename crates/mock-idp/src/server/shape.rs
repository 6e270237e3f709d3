//! Claim shaping on a running [`MockIdp`]: queued claims and mapping rules (see [`crate::shaping`]).

use super::{MockIdp, MockIdpError};
use crate::shaping::{MappingRule, QueuedClaims, ShapingError};

impl MockIdp {
    /// Queues claims (and JWT header parameters) for the next `count` token responses issued
    /// to the shape's client and/or user.
    ///
    /// # Errors
    /// [`MockIdpError::Shaping`] for an unknown realm, a zero count, `alg` among the headers,
    /// too many members, or a full queue.
    pub fn queue_claims(&self, queued: QueuedClaims) -> Result<(), MockIdpError> {
        self.known_realm(queued.realm.as_deref())?;
        Ok(self.app.shaping.enqueue(queued)?)
    }

    /// The queued shapes with their remaining counts, oldest first.
    pub fn queued_claims(&self) -> Vec<QueuedClaims> {
        self.app.shaping.queued()
    }

    /// Drops every queued shape.
    pub fn clear_queued_claims(&self) {
        self.app.shaping.clear_queue();
    }

    /// Adds a standing mapping rule after the existing ones.
    ///
    /// # Errors
    /// [`MockIdpError::Shaping`] for an unknown realm or grant, `alg` among the headers, too
    /// many members or too many rules.
    pub fn add_mapping(&self, rule: MappingRule) -> Result<(), MockIdpError> {
        self.known_realm(rule.realm.as_deref())?;
        Ok(self.app.shaping.add_rule(rule)?)
    }

    /// The mapping rules, in order.
    pub fn mappings(&self) -> Vec<MappingRule> {
        self.app.shaping.rules()
    }

    /// Removes every mapping rule (also those from the configuration).
    pub fn clear_mappings(&self) {
        self.app.shaping.clear_rules();
    }

    fn known_realm(&self, realm: Option<&str>) -> Result<(), ShapingError> {
        match realm {
            Some(name) if self.app.world.realm(name).is_none() => Err(ShapingError::UnknownRealm(name.to_owned())),
            _ => Ok(()),
        }
    }
}
