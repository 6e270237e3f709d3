//! Changing a realm's keys at run time: rotation with an overlap, retirement, publish-only keys
//! and the signing algorithm. Keys, discovery document and JWK set are swapped together.

use super::{App, Published, RealmState, publish};
use crate::keys::{KeyError, RealmKeys};
use providers::SigningAlg;
use std::sync::{Arc, PoisonError};

/// A realm's next keys and signing algorithm.
#[derive(Debug)]
pub(crate) struct KeysUpdate {
    pub(crate) keys: RealmKeys,
    pub(crate) signing_alg: Option<SigningAlg>,
    /// A rotation: the JWK set being replaced becomes the stale set.
    pub(crate) rotated: bool,
}

impl App {
    /// Replaces `name`'s keys with what `update` makes of the current ones (under the write
    /// lock, so concurrent updates do not lose each other). False for an unknown realm.
    pub(crate) fn update_keys(
        &self,
        name: &str,
        update: impl FnOnce(&Published, u64) -> Result<KeysUpdate, KeyError>,
    ) -> Result<bool, KeyError> {
        let Some(state) = self.realms.get(name) else {
            return Ok(false);
        };
        let realm = state.snapshot();
        let mut slot = state.published.write().unwrap_or_else(PoisonError::into_inner);
        let next = update(&slot, self.now())?;
        let mut published = publish(self.provider, &state.site, &realm, next.keys);
        published.signing_alg = next.signing_alg;
        published.stale_jwks = if next.rotated {
            slot.jwks.clone()
        } else {
            slot.stale_jwks.clone()
        };
        *slot = Arc::new(published);
        Ok(true)
    }

    /// Drops retired keys whose overlap has ended; returns the keys of the moment.
    pub(super) fn prune_keys(&self, name: &str, state: &RealmState) -> Arc<Published> {
        let _ = self.update_keys(name, |published, now| {
            Ok(KeysUpdate {
                keys: published.keys.pruned(now),
                signing_alg: published.signing_alg,
                rotated: false,
            })
        });
        state.published.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Every realm's keys and signing algorithm back as loaded (for a reset).
    pub(crate) fn restore_loaded_keys(&self) {
        for state in self.realms.values() {
            *state.published.write().unwrap_or_else(PoisonError::into_inner) = state.loaded.clone();
        }
    }
}
