//! Insertion order of the store's evictable entries, for oldest-first eviction.

use super::FamilyId;
use std::collections::VecDeque;

/// One evictable entry. Refresh tokens and a family's opaque tokens go with their family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Slot {
    Code(String),
    Family(FamilyId),
    Session(String),
    Pending(String),
    /// An opaque token outside any family (client credentials).
    Opaque(String),
}

/// Slots, oldest first. Entries removed by other paths (expiry, revocation, logout) leave
/// stale slots behind; eviction skips them and the owner compacts the queue when it grows
/// past twice the live entries.
#[derive(Debug, Default)]
pub(super) struct Order {
    slots: VecDeque<Slot>,
}

impl Order {
    pub(super) fn push(&mut self, slot: Slot) {
        self.slots.push_back(slot);
    }

    pub(super) fn pop(&mut self) -> Option<Slot> {
        self.slots.pop_front()
    }

    pub(super) fn len(&self) -> usize {
        self.slots.len()
    }

    /// The slots for which `keep` holds, in the same order.
    pub(super) fn retained(mut self, keep: impl Fn(&Slot) -> bool) -> Order {
        self.slots.retain(|slot| keep(slot));
        self
    }
}
