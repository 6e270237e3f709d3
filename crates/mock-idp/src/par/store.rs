//! Pushed authorization requests waiting to be redeemed: one lock, every entry expires on the
//! mock clock, the store has a bound. A `request_uri` is redeemed at most once: the look-up
//! removes it under the lock, so a concurrent second redemption finds nothing.
//!
//! Beyond the bound, expired entries go first, then the oldest; a forgotten `request_uri` is
//! unknown afterwards (fails closed).

use crate::http::Params;
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

/// The default bound on pushed requests waiting.
pub(crate) const DEFAULT_MAX_PUSHED: usize = 10_000;

/// One pushed request.
#[derive(Debug, Clone)]
struct Pushed {
    realm: String,
    client_id: String,
    params: Params,
    expires_at: u64,
}

/// Why a `request_uri` was not redeemed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Never issued, already redeemed, forgotten, or from another realm.
    Unknown,
    /// Issued but past its lifetime.
    Expired,
    /// Pushed by another client (RFC 9126 §4: the `client_id` must match).
    OtherClient,
}

impl Refusal {
    /// The text of the error page.
    pub(crate) fn description(self) -> &'static str {
        match self {
            // Keycloak AuthzEndpointParParser's texts.
            Refusal::Unknown => "PAR not found. not issued or used multiple times.",
            Refusal::Expired => "PAR expired.",
            Refusal::OtherClient => "the request_uri was pushed by another client",
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<String, Pushed>,
    /// Insertion order, for eviction (may name entries already removed).
    order: VecDeque<String>,
}

/// The store of pushed requests.
#[derive(Debug)]
pub(crate) struct ParStore {
    inner: Mutex<Inner>,
    max: usize,
}

impl Default for ParStore {
    fn default() -> Self {
        ParStore::with_bound(DEFAULT_MAX_PUSHED)
    }
}

impl ParStore {
    /// A store holding at most `max` pushed requests.
    pub(crate) fn with_bound(max: usize) -> ParStore {
        ParStore {
            inner: Mutex::new(Inner::default()),
            max: max.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Stores `params` pushed by `client_id` in `realm` under `request_uri` until `expires_at`.
    pub(crate) fn insert(
        &self,
        request_uri: String,
        realm: &str,
        client_id: &str,
        params: Params,
        expires_at: u64,
        now: u64,
    ) {
        let mut inner = self.lock();
        if inner.entries.len() >= self.max {
            inner.entries.retain(|_, pushed| pushed.expires_at > now);
            let Inner { entries, order } = &mut *inner;
            order.retain(|key| entries.contains_key(key));
        }
        while inner.entries.len() >= self.max {
            let Some(oldest) = inner.order.pop_front() else {
                break;
            };
            inner.entries.remove(&oldest);
        }
        inner.order.push_back(request_uri.clone());
        inner.entries.insert(
            request_uri,
            Pushed {
                realm: realm.to_owned(),
                client_id: client_id.to_owned(),
                params,
                expires_at,
            },
        );
    }

    /// Redeems `request_uri` for `client_id` in `realm`: its parameters, once. Whatever the
    /// outcome, an entry found is gone afterwards.
    pub(crate) fn take(&self, realm: &str, request_uri: &str, client_id: &str, now: u64) -> Result<Params, Refusal> {
        let pushed = self.lock().entries.remove(request_uri).ok_or(Refusal::Unknown)?;
        if pushed.realm != realm {
            return Err(Refusal::Unknown);
        }
        if now >= pushed.expires_at {
            return Err(Refusal::Expired);
        }
        if pushed.client_id != client_id {
            return Err(Refusal::OtherClient);
        }
        Ok(pushed.params)
    }

    /// How many pushed requests are stored.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Forgets every pushed request (admin reset).
    pub(crate) fn clear(&self) {
        let mut inner = self.lock();
        inner.entries.clear();
        inner.order.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Barrier};

    fn params() -> Params {
        Params::from_pairs([("client_id".to_owned(), "web".to_owned())]).unwrap()
    }

    #[test]
    fn a_request_uri_is_redeemed_once_by_its_client_before_expiry() {
        let store = ParStore::default();
        store.insert("u1".into(), "demo", "web", params(), 160, 100);
        assert_eq!(
            store.take("demo", "u1", "web", 159).unwrap().get("client_id"),
            Some("web")
        );
        assert_eq!(store.take("demo", "u1", "web", 159).unwrap_err(), Refusal::Unknown);

        store.insert("u2".into(), "demo", "web", params(), 160, 100);
        assert_eq!(store.take("demo", "u2", "web", 160).unwrap_err(), Refusal::Expired);
        store.insert("u3".into(), "demo", "web", params(), 160, 100);
        assert_eq!(
            store.take("demo", "u3", "other", 120).unwrap_err(),
            Refusal::OtherClient
        );
        assert_eq!(store.take("demo", "u3", "web", 120).unwrap_err(), Refusal::Unknown);
        store.insert("u4".into(), "demo", "web", params(), 160, 100);
        assert_eq!(store.take("other", "u4", "web", 120).unwrap_err(), Refusal::Unknown);
    }

    #[test]
    fn the_store_is_bounded_expired_first_then_oldest() {
        let store = ParStore::with_bound(3);
        store.insert("old".into(), "demo", "web", params(), 110, 100);
        store.insert("a".into(), "demo", "web", params(), 200, 100);
        store.insert("b".into(), "demo", "web", params(), 200, 100);
        // Full at 150: the expired one goes, the live ones stay.
        store.insert("c".into(), "demo", "web", params(), 300, 150);
        assert_eq!(store.len(), 3);
        assert!(store.take("demo", "a", "web", 150).is_ok());
        store.insert("d".into(), "demo", "web", params(), 300, 150);
        // Full of live entries: the oldest ("b") is forgotten, and stays unknown.
        store.insert("e".into(), "demo", "web", params(), 300, 150);
        assert_eq!(store.len(), 3);
        assert_eq!(store.take("demo", "b", "web", 150).unwrap_err(), Refusal::Unknown);
        for key in ["c", "d", "e"] {
            assert!(store.take("demo", key, "web", 150).is_ok(), "{key}");
        }
    }

    #[test]
    fn concurrent_redemptions_of_one_request_uri_succeed_once() {
        const THREADS: usize = 8;
        for round in 0..200 {
            let store = Arc::new(ParStore::default());
            let key = format!("uri-{round}");
            store.insert(key.clone(), "demo", "web", params(), 1000, 0);
            let barrier = Arc::new(Barrier::new(THREADS));
            let handles: Vec<_> = (0..THREADS)
                .map(|_| {
                    let (store, barrier, key) = (store.clone(), barrier.clone(), key.clone());
                    std::thread::spawn(move || {
                        barrier.wait();
                        store.take("demo", &key, "web", 10).is_ok()
                    })
                })
                .collect();
            let wins = handles
                .into_iter()
                .map(|h| h.join().unwrap())
                .filter(|won| *won)
                .count();
            assert_eq!(wins, 1, "round {round}");
        }
    }
}
