//! The bounded single-use memory behind every "accepted once" rule: client assertions and JWT
//! bearer grants by `jti` (until their `exp`), DPoP proofs by `jti` and `htu` (until the end of
//! their window). Check and insert happen under one lock, so of concurrent uses of one key
//! exactly one succeeds; when full of unexpired keys it refuses everything new (fail closed).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// How many unexpired keys a cache keeps by default.
pub(crate) const DEFAULT_REPLAY_LIMIT: usize = 10_000;

/// How many unexpired DPoP proofs are remembered: each lives 25 s at most (Keycloak's window),
/// so this admits a sustained 4,000 proofs a second before refusing (fail closed).
pub(crate) const DPOP_REPLAY_LIMIT: usize = 100_000;

/// Why a key was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Spent {
    /// The key was used before and has not expired.
    #[error("already used")]
    Replayed,
    /// The cache is full of unexpired keys.
    #[error("the replay cache is full")]
    Full,
}

/// Keys seen, each kept until its expiry; bounded.
#[derive(Debug)]
pub(crate) struct ReplayCache {
    seen: Mutex<HashMap<String, u64>>,
    limit: usize,
}

impl Default for ReplayCache {
    fn default() -> ReplayCache {
        ReplayCache::with_limit(DEFAULT_REPLAY_LIMIT)
    }
}

impl ReplayCache {
    /// A cache that keeps at most `limit` unexpired entries (at least one).
    pub(crate) fn with_limit(limit: usize) -> ReplayCache {
        ReplayCache {
            seen: Mutex::new(HashMap::new()),
            limit: limit.max(1),
        }
    }

    /// Records `key` until `expires_at`. Refuses a key already recorded and unexpired, and
    /// refuses anything when the cache is full of unexpired keys.
    pub(crate) fn first_use(&self, key: &str, expires_at: u64, now: u64) -> Result<(), Spent> {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        if seen.get(key).is_some_and(|&until| until >= now) {
            return Err(Spent::Replayed);
        }
        if seen.len() >= self.limit {
            seen.retain(|_, until| *until >= now);
            if seen.len() >= self.limit {
                return Err(Spent::Full);
            }
        }
        seen.insert(key.to_owned(), expires_at);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::sync::{Arc, Barrier};

    const NOW: u64 = 1_000;

    #[test]
    fn a_full_cache_refuses_until_entries_expire_and_a_key_is_used_once() {
        let cache = ReplayCache::with_limit(2);
        assert_eq!(cache.first_use("a", NOW + 10, NOW), Ok(()));
        assert_eq!(cache.first_use("b", NOW + 20, NOW), Ok(()));
        assert_eq!(cache.first_use("c", NOW + 10, NOW), Err(Spent::Full));
        // "a" expired: room again.
        assert_eq!(cache.first_use("c", NOW + 30, NOW + 11), Ok(()));
        assert_eq!(cache.first_use("b", NOW + 30, NOW + 11), Err(Spent::Replayed));
    }

    #[test]
    fn of_concurrent_uses_of_one_key_exactly_one_wins() {
        for round in 0..50 {
            let cache = Arc::new(ReplayCache::default());
            let barrier = Arc::new(Barrier::new(8));
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    let (cache, barrier) = (Arc::clone(&cache), Arc::clone(&barrier));
                    std::thread::spawn(move || {
                        barrier.wait();
                        cache.first_use("jti", NOW + 10, NOW).is_ok()
                    })
                })
                .collect();
            let wins = handles
                .into_iter()
                .map(|handle| handle.join().unwrap())
                .filter(|won| *won)
                .count();
            assert_eq!(wins, 1, "round {round}");
        }
    }
}
