//! Claim shaping on a running [`MockIdp`]: queued claims and mapping rules (see [`crate::shaping`]).

use super::{MockIdp, MockIdpError};
use crate::shaping::{MappingRule, QueuedClaims, ShapingError};

impl MockIdp {
    /// Queues claims (and JWT header parameters) for the next `count` token responses issued
    /// to the shape's client and/or user.
    ///
    /// # Errors
    /// [`MockIdpError::Shaping`] for an unknown realm, client or user, a zero count, `alg` among the headers,
    /// too many members, or a full queue.
    pub fn queue_claims(&self, queued: QueuedClaims) -> Result<(), MockIdpError> {
        self.known_names(
            queued.realm.as_deref(),
            queued.client.as_deref(),
            queued.user.as_deref(),
        )?;
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
    /// [`MockIdpError::Shaping`] for an unknown realm, client, user or grant, `alg` among the headers, too
    /// many members or too many rules.
    pub fn add_mapping(&self, rule: MappingRule) -> Result<(), MockIdpError> {
        self.known_names(
            rule.realm.as_deref(),
            rule.when.client.as_deref(),
            rule.when.user.as_deref(),
        )?;
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

    /// Refuses a shape naming a realm, client or user that does not exist (in the realm, or in
    /// any realm when none is named): it could never match.
    fn known_names(&self, realm: Option<&str>, client: Option<&str>, user: Option<&str>) -> Result<(), ShapingError> {
        known_names(self.app.world(), realm, client, user)
    }
}

/// See [`MockIdp::queue_claims`]: the realm, client and user a shape names must exist.
pub(crate) fn known_names(
    world: &providers::World,
    realm: Option<&str>,
    client: Option<&str>,
    user: Option<&str>,
) -> Result<(), ShapingError> {
    let realms: Vec<&providers::Realm> = match realm {
        Some(name) => vec![
            world
                .realm(name)
                .ok_or_else(|| ShapingError::UnknownRealm(name.to_owned()))?,
        ],
        None => world.realms.values().collect(),
    };
    if let Some(id) = client.filter(|id| realms.iter().all(|realm| realm.client(id).is_none())) {
        return Err(ShapingError::UnknownClient(id.to_owned()));
    }
    if let Some(name) = user.filter(|name| realms.iter().all(|realm| realm.user(name).is_none())) {
        return Err(ShapingError::UnknownUser(name.to_owned()));
    }
    Ok(())
}
