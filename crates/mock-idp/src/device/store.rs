//! Pending device authorizations (RFC 8628): one lock, every entry expires, the whole store
//! has a bound. A device code is redeemed at most once: the poll that finds it approved removes
//! it under the lock, so a concurrent second poll finds nothing.
//!
//! Beyond the bound the oldest authorization is forgotten, and forgetting fails closed: its
//! device code is unknown afterwards (refused), never approved.

use providers::device::{DeviceError, DeviceFacts, PollOrder, SlowDown, UserCodeFormat};
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

/// The default bound on pending device authorizations.
pub(crate) const DEFAULT_MAX_DEVICE_CODES: usize = 10_000;

/// Keycloak keeps an expired code answering `expired_token` for `interval + 10` s past its
/// expiry (`DeviceEndpoint`: "the lifespan of the cache provider is longer than device code");
/// the mock keeps every expired code that long before it is swept (then: unknown). WSO2 keeps
/// its rows, pending ones answering `authorization_pending` ([`PollOrder::PaceFirst`]); the
/// mock keeps those a further lifetime.
const EXPIRED_GRACE: u64 = 10;

/// What the user decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Not yet.
    Pending,
    /// Approved by `username`, who logged in at `auth_time` into session `session_id`.
    Approved {
        username: String,
        auth_time: u64,
        session_id: Option<String>,
    },
    /// Denied.
    Denied,
    /// Approved and redeemed: kept (until swept) only to answer a later poll as the provider
    /// does ([`DeviceFacts::redeemed`]); no user code names it any more.
    Redeemed,
}

/// One device authorization.
#[derive(Debug, Clone)]
pub(crate) struct DeviceRecord {
    pub(crate) realm: String,
    pub(crate) client_id: String,
    pub(crate) scopes: Vec<String>,
    /// As shown to the user (with its dash).
    pub(crate) user_code: String,
    pub(crate) expires_at: u64,
    pub(crate) interval: u64,
    /// How long past `expires_at + interval` the record is kept before it is swept.
    pub(crate) kept_past_expiry: u64,
    pub(crate) last_poll: Option<u64>,
    /// Whether the user code is compared as typed ([`UserCodeFormat::case_sensitive`]).
    pub(crate) case_sensitive: bool,
    pub(crate) decision: Decision,
    /// Marked expired: by the admin API, or when the user entered the code after its lifetime
    /// (what WSO2's poll reads instead of the clock, [`PollOrder::PaceFirst`]).
    pub(crate) marked_expired: bool,
    /// Set when a user signed in on the user-code page: `(ticket, username, auth_time)`; the
    /// consent form carries the ticket back.
    pub(crate) sign_in: Option<(String, String, u64)>,
}

impl DeviceRecord {
    fn sweepable(&self, now: u64) -> bool {
        now > self
            .expires_at
            .saturating_add(self.interval)
            .saturating_add(self.kept_past_expiry)
    }
}

/// A new authorization to record.
#[derive(Debug, Clone)]
pub(crate) struct NewDevice<'a> {
    pub(crate) realm: &'a str,
    pub(crate) client_id: &'a str,
    pub(crate) scopes: Vec<String>,
    pub(crate) lifetime: u64,
    pub(crate) interval: u64,
    pub(crate) user_code: UserCodeFormat,
    /// How the provider paces polls.
    pub(crate) slow_down: SlowDown,
    /// In which order the provider checks a poll.
    pub(crate) poll_order: PollOrder,
}

/// What a scripted or interactive decision found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DecideOutcome {
    /// The authorization was pending and now carries the decision.
    Decided,
    /// No pending authorization has this user code (unknown, already decided, or expired).
    NotPending,
}

#[derive(Debug, Default)]
struct Inner {
    by_device: HashMap<String, DeviceRecord>,
    /// `(realm, normalized user code)` → device code.
    by_user: HashMap<(String, String), String>,
    /// Device codes in insertion order, for eviction and sweeping (may hold removed ones).
    order: VecDeque<String>,
}

impl Inner {
    fn remove(&mut self, device_code: &str) -> Option<DeviceRecord> {
        let record = self.by_device.remove(device_code)?;
        self.by_user
            .remove(&(record.realm.clone(), UserCodeFormat::normalize(&record.user_code)));
        Some(record)
    }

    /// Drops swept and already removed codes from the front of the order, and compacts the
    /// order when removals have left it much longer than the map.
    fn sweep(&mut self, now: u64) {
        while let Some(front) = self.order.front() {
            match self.by_device.get(front) {
                Some(record) if !record.sweepable(now) => break,
                _ => {
                    if let Some(code) = self.order.pop_front() {
                        self.remove(&code);
                    }
                }
            }
        }
        if self.order.len() > 2 * self.by_device.len() + 64 {
            let live = &self.by_device;
            self.order.retain(|code| live.contains_key(code));
        }
    }

    /// The pending authorization `user_code` names. Codes are indexed without case and
    /// dashes (so no two live codes of a realm differ only in case); a case-sensitive code must
    /// also be typed exactly.
    fn pending_by_user_code(&mut self, realm: &str, user_code: &str, now: u64) -> Option<&mut DeviceRecord> {
        let key = (realm.to_owned(), UserCodeFormat::normalize(user_code));
        let device_code = self.by_user.get(&key)?;
        let record = self.by_device.get_mut(device_code)?;
        let typed = !record.case_sensitive || user_code.trim() == record.user_code;
        if !typed || record.decision != Decision::Pending {
            return None;
        }
        if now >= record.expires_at {
            // Entered after its lifetime: expired from now on, whatever the poll rule.
            record.marked_expired = true;
            return None;
        }
        Some(record)
    }

    /// Redeems the approved authorization `device_code`: the record it was, while what stays
    /// behind answers later polls as redeemed.
    fn redeem(&mut self, device_code: &str) -> Option<DeviceRecord> {
        let record = self.by_device.get_mut(device_code)?;
        let redeemed = record.clone();
        record.decision = Decision::Redeemed;
        record.sign_in = None;
        self.by_user
            .remove(&(redeemed.realm.clone(), UserCodeFormat::normalize(&redeemed.user_code)));
        Some(redeemed)
    }
}

/// The device authorizations of one server.
#[derive(Debug)]
pub(crate) struct DeviceStore {
    inner: Mutex<Inner>,
    limit: usize,
}

impl Default for DeviceStore {
    fn default() -> DeviceStore {
        DeviceStore::with_limit(DEFAULT_MAX_DEVICE_CODES)
    }
}

impl DeviceStore {
    /// A store holding at most `limit` authorizations (at least one).
    pub(crate) fn with_limit(limit: usize) -> DeviceStore {
        DeviceStore {
            inner: Mutex::new(Inner::default()),
            limit: limit.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How many authorizations are held.
    pub(crate) fn len(&self) -> usize {
        self.lock().by_device.len()
    }

    /// Records a new authorization; returns `(device_code, user_code)`. `random` supplies
    /// random bytes.
    pub(crate) fn create(
        &self,
        new: NewDevice<'_>,
        now: u64,
        mut random: impl FnMut(usize) -> Vec<u8>,
    ) -> (String, String) {
        let facts_slow_down = new.slow_down;
        let mut inner = self.lock();
        inner.sweep(now);
        while inner.by_device.len() >= self.limit {
            let Some(oldest) = inner.order.pop_front() else { break };
            inner.remove(&oldest);
        }
        // A user code is short: draw again while it collides with a live one of the realm.
        let mut user_code = new.user_code.render(&random(new.user_code.length));
        for _ in 0..16 {
            let key = (new.realm.to_owned(), UserCodeFormat::normalize(&user_code));
            if !inner.by_user.contains_key(&key) {
                break;
            }
            user_code = new.user_code.render(&random(new.user_code.length));
        }
        let device_code = crate::b64::encode(random(32));
        let key = (new.realm.to_owned(), UserCodeFormat::normalize(&user_code));
        if let Some(previous) = inner.by_user.get(&key).cloned() {
            // Sixteen collisions in a row: the old authorization gives way (fails closed).
            inner.remove(&previous);
        }
        inner.by_user.insert(key, device_code.clone());
        inner.by_device.insert(
            device_code.clone(),
            DeviceRecord {
                realm: new.realm.to_owned(),
                client_id: new.client_id.to_owned(),
                scopes: new.scopes,
                user_code: user_code.clone(),
                expires_at: now.saturating_add(new.lifetime),
                interval: new.interval,
                kept_past_expiry: match new.poll_order {
                    PollOrder::PaceFirst => new.lifetime.max(EXPIRED_GRACE),
                    _ => EXPIRED_GRACE,
                },
                // WSO2 counts the first poll's pace from the authorization request.
                last_poll: (facts_slow_down == SlowDown::SinceLastPoll).then_some(now),
                case_sensitive: new.user_code.case_sensitive,
                decision: Decision::Pending,
                marked_expired: false,
                sign_in: None,
            },
        );
        inner.order.push_back(device_code.clone());
        (device_code, user_code)
    }

    /// The pending authorization of `user_code` in `realm` (what the verification page shows).
    pub(crate) fn pending(&self, realm: &str, user_code: &str, now: u64) -> Option<DeviceRecord> {
        self.lock().pending_by_user_code(realm, user_code, now).cloned()
    }

    /// Records the user's decision on a pending authorization.
    pub(crate) fn decide(&self, realm: &str, user_code: &str, decision: Decision, now: u64) -> DecideOutcome {
        let mut inner = self.lock();
        match inner.pending_by_user_code(realm, user_code, now) {
            Some(record) => {
                record.decision = decision;
                DecideOutcome::Decided
            }
            None => DecideOutcome::NotPending,
        }
    }

    /// Records that `username` signed in on the page for a pending authorization; returns the
    /// ticket the consent form carries.
    pub(crate) fn sign_in(&self, realm: &str, user_code: &str, username: &str, ticket: String, now: u64) -> bool {
        let mut inner = self.lock();
        match inner.pending_by_user_code(realm, user_code, now) {
            Some(record) => {
                record.sign_in = Some((ticket, username.to_owned(), now));
                true
            }
            None => false,
        }
    }

    /// Who signed in with `ticket` for the pending authorization of `user_code`:
    /// `(username, auth_time)`.
    pub(crate) fn signed_in(&self, realm: &str, user_code: &str, ticket: &str, now: u64) -> Option<(String, u64)> {
        let mut inner = self.lock();
        let record = inner.pending_by_user_code(realm, user_code, now)?;
        let (expected, username, auth_time) = record.sign_in.as_ref()?;
        aws_lc_rs::constant_time::verify_slices_are_equal(expected.as_bytes(), ticket.as_bytes())
            .ok()
            .map(|()| (username.clone(), *auth_time))
    }

    /// Makes a pending authorization expire now (its next poll is `expired_token`).
    pub(crate) fn expire(&self, realm: &str, user_code: &str, now: u64) -> DecideOutcome {
        let mut inner = self.lock();
        match inner.pending_by_user_code(realm, user_code, now) {
            Some(record) => {
                record.expires_at = now;
                record.marked_expired = true;
                DecideOutcome::Decided
            }
            None => DecideOutcome::NotPending,
        }
    }

    /// A poll by `client_id` in `realm`: the approved authorization (removed, so it is
    /// redeemed once), or why not, in the order and with the pace rule of `facts`.
    pub(crate) fn poll(
        &self,
        realm: &str,
        client_id: &str,
        device_code: &str,
        now: u64,
        facts: &DeviceFacts,
    ) -> Result<DeviceRecord, DeviceError> {
        let mut inner = self.lock();
        inner.sweep(now);
        let record = inner
            .by_device
            .get_mut(device_code)
            .filter(|record| record.realm == realm && record.client_id == client_id)
            .ok_or(DeviceError::UnknownCode)?;
        if record.decision == Decision::Redeemed {
            return Err(facts.redeemed);
        }
        let expired = now >= record.expires_at;
        match facts.poll_order {
            PollOrder::DecisionFirst => match record.decision {
                Decision::Denied => return Err(DeviceError::Denied),
                Decision::Approved { .. } => return inner.redeem(device_code).ok_or(DeviceError::UnknownCode),
                Decision::Pending if expired => return Err(DeviceError::Expired),
                Decision::Pending | Decision::Redeemed => {}
            },
            // WSO2: an approved code is checked for expiry only, then redeemed.
            PollOrder::PaceFirst if matches!(record.decision, Decision::Approved { .. }) => {
                if expired {
                    return Err(DeviceError::Expired);
                }
                return inner.redeem(device_code).ok_or(DeviceError::UnknownCode);
            }
            PollOrder::PaceFirst => {}
            PollOrder::ExpiryFirst if expired => return Err(DeviceError::Expired),
            PollOrder::ExpiryFirst => {}
        }
        let too_fast = record.last_poll.is_some_and(|last| match facts.slow_down {
            SlowDown::SinceLastPoll => now <= last.saturating_add(record.interval),
            _ => now < last.saturating_add(record.interval),
        });
        match facts.slow_down {
            SlowDown::WithinInterval if too_fast => return Err(DeviceError::SlowDown),
            SlowDown::IncreaseInterval if too_fast => {
                record.interval = record.interval.saturating_add(5);
                record.last_poll = Some(now);
                return Err(DeviceError::SlowDown);
            }
            SlowDown::SinceLastPoll => {
                record.last_poll = Some(now);
                if too_fast {
                    return Err(DeviceError::SlowDown);
                }
            }
            _ => record.last_poll = Some(now),
        }
        // WSO2 reads an undecided code's status, not its lifetime.
        if facts.poll_order == PollOrder::PaceFirst && record.marked_expired {
            return Err(DeviceError::Expired);
        }
        match record.decision {
            Decision::Denied => Err(DeviceError::Denied),
            Decision::Pending => Err(DeviceError::Pending),
            Decision::Redeemed => Err(facts.redeemed),
            Decision::Approved { .. } => inner.redeem(device_code).ok_or(DeviceError::UnknownCode),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use providers::device::{KEYCLOAK, STANDARD, ZITADEL};

    fn counter() -> impl FnMut(usize) -> Vec<u8> {
        let mut next = 0u8;
        move |count| {
            (0..count)
                .map(|_| {
                    next = next.wrapping_add(7);
                    next
                })
                .collect()
        }
    }

    fn new(facts: &DeviceFacts) -> NewDevice<'static> {
        NewDevice {
            realm: "demo",
            client_id: "tv",
            scopes: vec!["openid".into()],
            lifetime: 600,
            interval: 5,
            user_code: facts.user_code,
            slow_down: facts.slow_down,
            poll_order: facts.poll_order,
        }
    }

    fn approved() -> Decision {
        Decision::Approved {
            username: "alice".into(),
            auth_time: 0,
            session_id: None,
        }
    }

    #[test]
    fn pending_then_approved_then_gone() {
        let store = DeviceStore::default();
        let (device, user) = store.create(new(&KEYCLOAK), 100, counter());
        assert_eq!(
            store.poll("demo", "tv", &device, 100, &KEYCLOAK).unwrap_err(),
            DeviceError::Pending
        );
        assert_eq!(
            store.decide("demo", &user.to_lowercase(), approved(), 101),
            DecideOutcome::Decided
        );
        assert!(store.poll("demo", "tv", &device, 105, &KEYCLOAK).is_ok());
        assert_eq!(
            store.poll("demo", "tv", &device, 110, &KEYCLOAK).unwrap_err(),
            DeviceError::UnknownCode
        );
        assert_eq!(
            store.decide("demo", &user, Decision::Denied, 111),
            DecideOutcome::NotPending
        );
    }

    #[test]
    fn wso2_paces_from_the_request_and_every_poll_and_keeps_a_redeemed_code_as_expired() {
        use providers::device::WSO2;
        let store = DeviceStore::default();
        let (device, user) = store.create(new(&WSO2), 100, counter());
        assert_eq!(user.len(), 6);
        let poll = |now| store.poll("demo", "tv", &device, now, &WSO2);
        // Within 5 s of the request, and of any poll (a slowed-down one too).
        assert_eq!(poll(105).unwrap_err(), DeviceError::SlowDown);
        assert_eq!(poll(111).unwrap_err(), DeviceError::Pending);
        assert_eq!(poll(114).unwrap_err(), DeviceError::SlowDown);
        assert_eq!(poll(119).unwrap_err(), DeviceError::SlowDown);
        assert_eq!(poll(125).unwrap_err(), DeviceError::Pending);
        // Mixed-case codes are compared as typed.
        let other_case: String = user
            .chars()
            .map(|c| {
                if c.is_ascii_uppercase() {
                    c.to_ascii_lowercase()
                } else {
                    c.to_ascii_uppercase()
                }
            })
            .collect();
        if other_case != user {
            assert_eq!(
                store.decide("demo", &other_case, approved(), 126),
                DecideOutcome::NotPending
            );
        }
        assert_eq!(store.decide("demo", &user, approved(), 126), DecideOutcome::Decided);
        // An approved code is redeemed whatever the pace; afterwards it is expired_token.
        assert!(poll(127).is_ok());
        assert_eq!(poll(140).unwrap_err(), DeviceError::Expired);
        // Past its lifetime a pending code stays authorization_pending until the user enters
        // it; then it is expired_token (once the pace allows a poll).
        let (late, late_user) = store.create(new(&WSO2), 1_000, counter());
        assert_eq!(
            store.poll("demo", "tv", &late, 1_605, &WSO2).unwrap_err(),
            DeviceError::Pending
        );
        assert!(store.pending("demo", &late_user, 1_606).is_none());
        assert_eq!(
            store.poll("demo", "tv", &late, 1_607, &WSO2).unwrap_err(),
            DeviceError::SlowDown
        );
        assert_eq!(
            store.poll("demo", "tv", &late, 1_613, &WSO2).unwrap_err(),
            DeviceError::Expired
        );
        // The admin API's expiry marks the code at once.
        let (scripted, scripted_user) = store.create(new(&WSO2), 2_000, counter());
        assert_eq!(store.expire("demo", &scripted_user, 2_001), DecideOutcome::Decided);
        assert_eq!(
            store.poll("demo", "tv", &scripted, 2_006, &WSO2).unwrap_err(),
            DeviceError::Expired
        );
    }

    #[test]
    fn another_client_or_realm_does_not_know_the_code() {
        let store = DeviceStore::default();
        let (device, _) = store.create(new(&KEYCLOAK), 100, counter());
        assert_eq!(
            store.poll("demo", "web-app", &device, 100, &KEYCLOAK).unwrap_err(),
            DeviceError::UnknownCode
        );
        assert_eq!(
            store.poll("other", "tv", &device, 100, &KEYCLOAK).unwrap_err(),
            DeviceError::UnknownCode
        );
    }

    #[test]
    fn keycloak_slows_down_within_the_interval_without_growing_it() {
        let store = DeviceStore::default();
        let (device, _) = store.create(new(&KEYCLOAK), 100, counter());
        assert_eq!(
            store.poll("demo", "tv", &device, 100, &KEYCLOAK).unwrap_err(),
            DeviceError::Pending
        );
        assert_eq!(
            store.poll("demo", "tv", &device, 104, &KEYCLOAK).unwrap_err(),
            DeviceError::SlowDown
        );
        assert_eq!(
            store.poll("demo", "tv", &device, 105, &KEYCLOAK).unwrap_err(),
            DeviceError::Pending
        );
    }

    #[test]
    fn the_standard_grows_the_interval_by_five() {
        let store = DeviceStore::default();
        let (device, _) = store.create(new(&STANDARD), 100, counter());
        assert_eq!(
            store.poll("demo", "tv", &device, 100, &STANDARD).unwrap_err(),
            DeviceError::Pending
        );
        assert_eq!(
            store.poll("demo", "tv", &device, 101, &STANDARD).unwrap_err(),
            DeviceError::SlowDown
        );
        // Now 10 s apart are needed; each too-early poll adds 5 more.
        assert_eq!(
            store.poll("demo", "tv", &device, 106, &STANDARD).unwrap_err(),
            DeviceError::SlowDown
        );
        assert_eq!(
            store.poll("demo", "tv", &device, 120, &STANDARD).unwrap_err(),
            DeviceError::SlowDown
        );
        assert_eq!(
            store.poll("demo", "tv", &device, 140, &STANDARD).unwrap_err(),
            DeviceError::Pending
        );
    }

    #[test]
    fn zitadel_never_slows_down_and_answers_the_decision_before_expiry() {
        let store = DeviceStore::default();
        let (device, user) = store.create(new(&ZITADEL), 100, counter());
        assert_eq!(
            store.poll("demo", "tv", &device, 100, &ZITADEL).unwrap_err(),
            DeviceError::Pending
        );
        assert_eq!(
            store.poll("demo", "tv", &device, 100, &ZITADEL).unwrap_err(),
            DeviceError::Pending
        );
        store.decide("demo", &user, Decision::Denied, 100);
        // Past its expiry (700), a denied code is still `access_denied`, not `expired_token`.
        assert_eq!(
            store.poll("demo", "tv", &device, 705, &ZITADEL).unwrap_err(),
            DeviceError::Denied
        );
    }

    #[test]
    fn expiry_is_expired_token_then_unknown_once_swept() {
        let store = DeviceStore::default();
        let (device, user) = store.create(new(&KEYCLOAK), 100, counter());
        assert_eq!(
            store.poll("demo", "tv", &device, 700, &KEYCLOAK).unwrap_err(),
            DeviceError::Expired
        );
        assert_eq!(store.decide("demo", &user, approved(), 700), DecideOutcome::NotPending);
        assert_eq!(
            store.poll("demo", "tv", &device, 716, &KEYCLOAK).unwrap_err(),
            DeviceError::UnknownCode
        );
        assert_eq!(store.len(), 0);
    }

    #[test]
    fn a_scripted_expiry_ends_a_pending_code() {
        let store = DeviceStore::default();
        let (device, user) = store.create(new(&KEYCLOAK), 100, counter());
        assert_eq!(store.expire("demo", &user, 101), DecideOutcome::Decided);
        assert_eq!(
            store.poll("demo", "tv", &device, 110, &KEYCLOAK).unwrap_err(),
            DeviceError::Expired
        );
    }

    #[test]
    fn the_store_is_bounded_and_forgets_the_oldest() {
        let store = DeviceStore::with_limit(3);
        let mut random = counter();
        let codes: Vec<(String, String)> = (0..5).map(|_| store.create(new(&KEYCLOAK), 100, &mut random)).collect();
        assert_eq!(store.len(), 3);
        assert_eq!(
            store.poll("demo", "tv", &codes[0].0, 100, &KEYCLOAK).unwrap_err(),
            DeviceError::UnknownCode
        );
        assert_eq!(
            store.decide("demo", &codes[1].1, approved(), 100),
            DecideOutcome::NotPending
        );
        assert_eq!(
            store.poll("demo", "tv", &codes[4].0, 100, &KEYCLOAK).unwrap_err(),
            DeviceError::Pending
        );
    }

    #[test]
    fn an_approved_code_is_redeemed_once_under_concurrency() {
        use std::sync::{Arc, Barrier};
        const THREADS: usize = 8;
        for round in 0..200 {
            let store = Arc::new(DeviceStore::default());
            // ZITADEL's facts: no slow_down, so only the removal stops a second redemption.
            let (device, user) = store.create(new(&ZITADEL), 100, counter());
            store.decide("demo", &user, approved(), 100);
            let barrier = Arc::new(Barrier::new(THREADS));
            let handles: Vec<_> = (0..THREADS)
                .map(|_| {
                    let (store, barrier, device) = (store.clone(), barrier.clone(), device.clone());
                    std::thread::spawn(move || {
                        barrier.wait();
                        store.poll("demo", "tv", &device, 100, &ZITADEL).is_ok()
                    })
                })
                .collect();
            let redeemed = handles
                .into_iter()
                .map(|handle| handle.join().unwrap())
                .filter(|ok| *ok)
                .count();
            assert_eq!(redeemed, 1, "round {round}");
        }
    }
}
