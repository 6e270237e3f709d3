//! The active fault rules and hit counters of one server.

use super::rng::SplitMix64;
use super::rule::{Fault, FaultError, FaultId, FaultRule, FaultScope};
use providers::Endpoint;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// At most this many fault rules are active at once.
pub(crate) const MAX_FAULTS: usize = 1024;

/// An active fault rule and what is left of its scope.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActiveFault {
    /// Its id.
    pub id: FaultId,
    /// The rule as set.
    #[serde(flatten)]
    pub rule: FaultRule,
    /// Requests it has changed so far.
    pub fired: u64,
    /// Requests it will still change (`Once`, `Times`); `None` when unbounded.
    pub remaining: Option<u32>,
}

#[derive(Debug)]
struct Entry {
    active: ActiveFault,
    rng: Option<SplitMix64>,
}

/// The fault table and hit counters of one server.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    rules: Mutex<Vec<Entry>>,
    /// How many rules are active: lets a request skip the lock when there are none.
    count: AtomicUsize,
    next_id: AtomicU64,
    hits: Mutex<HashMap<(String, Endpoint), Arc<AtomicU64>>>,
    /// The rules of the configuration, restored by a reset.
    loaded: Mutex<Vec<FaultRule>>,
}

impl Faults {
    fn rules(&self) -> MutexGuard<'_, Vec<Entry>> {
        self.rules.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn set_loaded(&self, rules: Vec<FaultRule>) {
        *self.loaded.lock().unwrap_or_else(PoisonError::into_inner) = rules;
    }

    pub(crate) fn loaded(&self) -> Vec<FaultRule> {
        self.loaded.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Adds a rule (checked with [`FaultRule::validate`]).
    pub(crate) fn add(&self, rule: FaultRule) -> Result<FaultId, FaultError> {
        rule.validate()?;
        let mut rules = self.rules();
        if rules.len() >= MAX_FAULTS {
            return Err(FaultError::Full(MAX_FAULTS));
        }
        let id = FaultId(self.next_id.fetch_add(1, Ordering::SeqCst) + 1);
        let (remaining, rng) = match rule.scope {
            FaultScope::Once => (Some(1), None),
            FaultScope::Times(n) => (Some(n), None),
            FaultScope::Probability { seed, .. } => (None, Some(SplitMix64::new(seed))),
            FaultScope::UntilCleared => (None, None),
        };
        rules.push(Entry {
            active: ActiveFault {
                id,
                rule,
                fired: 0,
                remaining,
            },
            rng,
        });
        self.count.store(rules.len(), Ordering::SeqCst);
        Ok(id)
    }

    /// Removes the rules `remove` picks; returns how many were removed.
    pub(crate) fn remove_where(&self, remove: impl Fn(&ActiveFault) -> bool) -> usize {
        let mut rules = self.rules();
        let before = rules.len();
        rules.retain(|entry| !remove(&entry.active));
        self.count.store(rules.len(), Ordering::SeqCst);
        before - rules.len()
    }

    /// The active rules, oldest first.
    pub(crate) fn list(&self) -> Vec<ActiveFault> {
        self.rules().iter().map(|entry| entry.active.clone()).collect()
    }

    /// Counts a hit on `endpoint` in `realm` and returns the fault to apply, if any. A rule for
    /// this realm is considered before a rule for every realm; among equals, the oldest first.
    /// A rule whose scope is used up is removed.
    pub(crate) fn hit(&self, realm: &str, endpoint: Endpoint) -> Option<Fault> {
        self.counter(realm, endpoint).fetch_add(1, Ordering::SeqCst);
        if self.count.load(Ordering::SeqCst) == 0 {
            return None;
        }
        let mut rules = self.rules();
        let specific = |entry: &Entry| entry.active.rule.realm.as_deref() == Some(realm);
        let candidates = rules
            .iter()
            .enumerate()
            .filter(|(_, entry)| entry.active.rule.endpoint == endpoint)
            .filter(|(_, entry)| entry.active.rule.realm.is_none() || specific(entry))
            .map(|(index, entry)| (!specific(entry), index))
            .collect::<Vec<_>>();
        let mut order = candidates;
        order.sort_unstable();
        for (_, index) in order {
            let entry = &mut rules[index];
            let fires = match (entry.active.rule.scope, entry.rng.as_mut()) {
                (FaultScope::Probability { p, .. }, Some(rng)) => rng.next_f64() < p,
                _ => true,
            };
            if !fires {
                continue;
            }
            entry.active.fired += 1;
            let fault = entry.active.rule.fault.clone();
            if let Some(remaining) = entry.active.remaining.as_mut() {
                *remaining = remaining.saturating_sub(1);
                if *remaining == 0 {
                    rules.remove(index);
                    self.count.store(rules.len(), Ordering::SeqCst);
                }
            }
            return Some(fault);
        }
        None
    }

    /// Requests `endpoint` received in `realm`.
    pub(crate) fn hits_in(&self, realm: &str, endpoint: Endpoint) -> u64 {
        self.hits
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&(realm.to_owned(), endpoint))
            .map_or(0, |counter| counter.load(Ordering::SeqCst))
    }

    /// Requests `endpoint` received in all realms.
    pub(crate) fn hits(&self, endpoint: Endpoint) -> u64 {
        self.hits
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|((_, counted), _)| *counted == endpoint)
            .map(|(_, counter)| counter.load(Ordering::SeqCst))
            .sum()
    }

    /// Every non-zero counter: `(realm, endpoint, hits)`.
    pub(crate) fn all_hits(&self) -> Vec<(String, Endpoint, u64)> {
        let mut all: Vec<_> = self
            .hits
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|((realm, endpoint), counter)| (realm.clone(), *endpoint, counter.load(Ordering::SeqCst)))
            .filter(|(_, _, hits)| *hits > 0)
            .collect();
        all.sort_by(|a, b| (&a.0, super::endpoint_name(a.1)).cmp(&(&b.0, super::endpoint_name(b.1))));
        all
    }

    /// Zeroes every hit counter.
    pub(crate) fn reset_hits(&self) {
        self.hits.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }

    /// The counter of `(realm, endpoint)`. Callers pass only realms of the world (or one
    /// placeholder for unknown names), so the map stays bounded.
    fn counter(&self, realm: &str, endpoint: Endpoint) -> Arc<AtomicU64> {
        self.hits
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry((realm.to_owned(), endpoint))
            .or_default()
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fired(faults: &Faults, realm: &str, endpoint: Endpoint, n: usize) -> Vec<bool> {
        (0..n).map(|_| faults.hit(realm, endpoint).is_some()).collect()
    }

    #[test]
    fn scopes_stop_when_they_should() {
        let faults = Faults::default();
        faults
            .add(FaultRule::new(Endpoint::Jwks, Fault::Outage).once())
            .unwrap();
        assert_eq!(fired(&faults, "demo", Endpoint::Jwks, 3), [true, false, false]);
        faults
            .add(FaultRule::new(Endpoint::Jwks, Fault::Outage).times(2))
            .unwrap();
        assert_eq!(fired(&faults, "demo", Endpoint::Jwks, 3), [true, true, false]);
        let id = faults.add(FaultRule::new(Endpoint::Jwks, Fault::Outage)).unwrap();
        assert_eq!(fired(&faults, "demo", Endpoint::Jwks, 3), [true, true, true]);
        assert_eq!(faults.remove_where(|active| active.id == id), 1);
        assert_eq!(fired(&faults, "demo", Endpoint::Jwks, 2), [false, false]);
        assert_eq!(faults.hits(Endpoint::Jwks), 11);
        assert_eq!(faults.hits_in("demo", Endpoint::Jwks), 11);
        assert_eq!(faults.hits_in("other", Endpoint::Jwks), 0);
    }

    #[test]
    fn a_realm_rule_matches_its_realm_only_and_wins_over_an_any_realm_rule() {
        let faults = Faults::default();
        faults.add(FaultRule::new(Endpoint::Token, Fault::Status(500))).unwrap();
        faults
            .add(FaultRule::new(Endpoint::Token, Fault::Status(502)).in_realm("b"))
            .unwrap();
        assert_eq!(faults.hit("a", Endpoint::Token), Some(Fault::Status(500)));
        assert_eq!(faults.hit("b", Endpoint::Token), Some(Fault::Status(502)));
        assert_eq!(faults.hit("b", Endpoint::Jwks), None);
    }

    #[test]
    fn a_seeded_probability_fires_on_the_same_requests_in_every_run() {
        let run = |seed| {
            let faults = Faults::default();
            faults
                .add(FaultRule::new(Endpoint::Token, Fault::Outage).probability(0.3, seed))
                .unwrap();
            fired(&faults, "demo", Endpoint::Token, 200)
        };
        let first = run(7);
        assert_eq!(first, run(7));
        assert_ne!(first, run(8));
        let count = first.iter().filter(|f| **f).count();
        assert!((30..=90).contains(&count), "{count} of 200 at p=0.3");
    }

    #[test]
    fn the_table_is_bounded() {
        let faults = Faults::default();
        for _ in 0..MAX_FAULTS {
            faults.add(FaultRule::new(Endpoint::Token, Fault::Outage)).unwrap();
        }
        assert_eq!(
            faults.add(FaultRule::new(Endpoint::Token, Fault::Outage)),
            Err(FaultError::Full(MAX_FAULTS))
        );
    }

    #[test]
    fn n_times_fires_exactly_n_times_under_concurrent_requests() {
        use std::sync::Barrier;
        const THREADS: usize = 8;
        for round in 0..50u32 {
            let faults = Faults::default();
            let n = 1 + round % 7;
            faults
                .add(FaultRule::new(Endpoint::Token, Fault::Outage).times(n))
                .unwrap();
            let barrier = Barrier::new(THREADS);
            let fired = std::thread::scope(|scope| {
                let handles: Vec<_> = (0..THREADS)
                    .map(|_| {
                        scope.spawn(|| {
                            barrier.wait();
                            (0..4).filter(|_| faults.hit("demo", Endpoint::Token).is_some()).count()
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).sum::<usize>()
            });
            assert_eq!(fired, n as usize, "round {round}");
            assert_eq!(faults.hits(Endpoint::Token), (THREADS * 4) as u64);
            assert!(faults.list().is_empty());
        }
    }
}
