//! What the mock must remember: single-use codes, grant families with their refresh tokens,
//! revoked access tokens, opaque tokens, login sessions and pending logins. In memory, one
//! lock, every entry expires, and the whole store has a bound.
//!
//! Every change to a family (issuing into it, revoking it) happens under the lock, so issuance
//! and revocation are linearizable: a token is recorded into a live family or refused, and a
//! revoked family's tokens are dead from the moment it is revoked, including tokens whose
//! recording raced the revocation.
//!
//! The bound counts codes, families, refresh tokens, opaque tokens, sessions and pending
//! logins. Beyond it the oldest entry is evicted, and eviction fails closed: an evicted code,
//! session or pending login is unknown afterwards (refused), an evicted family is revoked (its
//! refresh tokens are refused, its access tokens turn inactive). The ids of access tokens that
//! were revoked are kept until the token would have expired anyway (the access-token lifetime)
//! and are never evicted, since forgetting one would bring the token back to life.

mod bound;
#[cfg(test)]
mod tests;

use bound::{Order, Slot};
use providers::{GrantType, RefreshRevocation};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// The default bound on stored entries (see [`crate::config::Config::max_state_entries`]).
pub(crate) const DEFAULT_MAX_ENTRIES: usize = 100_000;

/// The most pending logins kept at once; beyond it the oldest is forgotten (its login page
/// answers "unknown or expired"), so unauthenticated requests cannot fill the store.
pub(crate) const MAX_PENDING_LOGINS: usize = 10_000;

/// Expired entries are swept once this many inserts have happened since the last sweep (or a
/// quarter of the store, whichever is larger, so sweeping stays O(1) per insert on average).
const SWEEP_EVERY: usize = 256;

/// A grant family: everything issued from one authorization (one code, one password grant),
/// revoked together when a code is replayed or a rotated refresh token is reused.
pub(crate) type FamilyId = u64;

/// The authorization request a code was issued for.
#[derive(Debug, Clone)]
pub(crate) struct CodeRecord {
    pub(crate) realm: String,
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) username: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) nonce: Option<String>,
    pub(crate) pkce: Option<Pkce>,
    /// The authorization request's `dpop_jkt` (RFC 9449 §10): the key the code is bound to.
    pub(crate) dpop_jkt: Option<String>,
    pub(crate) auth_time: u64,
    pub(crate) session_id: Option<String>,
    pub(crate) expires_at: u64,
}

/// A PKCE challenge (RFC 7636 §4.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pkce {
    pub(crate) challenge: String,
    pub(crate) method: PkceMethod,
}

/// `code_challenge_method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PkceMethod {
    S256,
    Plain,
}

/// What redeeming a code found.
#[derive(Debug)]
pub(crate) enum CodeOutcome {
    /// First use: the request it was issued for, and the family its tokens belong to.
    Fresh(Box<CodeRecord>, FamilyId),
    /// The code was used before; what it issued has now been revoked.
    Replayed,
    /// Unknown or expired.
    Unknown,
}

/// A refresh token and what it stands for.
#[derive(Debug, Clone)]
pub(crate) struct RefreshRecord {
    pub(crate) realm: String,
    pub(crate) client_id: String,
    pub(crate) username: Option<String>,
    pub(crate) scopes: Vec<String>,
    pub(crate) auth_time: Option<u64>,
    /// How the user logged in (authorization_code or password), for claims that depend on it.
    pub(crate) login: Option<GrantType>,
    pub(crate) session_id: Option<String>,
    pub(crate) family: FamilyId,
    pub(crate) issued_at: u64,
    pub(crate) expires_at: u64,
    /// The DPoP key thumbprint the token is bound to (public clients' tokens issued with a
    /// proof); a refresh must prove possession of that key.
    pub(crate) dpop_jkt: Option<String>,
}

/// An opaque access token's claims.
#[derive(Debug, Clone)]
pub(crate) struct OpaqueRecord {
    pub(crate) realm: String,
    pub(crate) claims: Map<String, Value>,
    pub(crate) family: Option<FamilyId>,
    pub(crate) expires_at: u64,
}

/// A browser login session.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub(crate) realm: String,
    pub(crate) username: String,
    pub(crate) auth_time: u64,
    /// Ends at `last_used + idle` or `auth_time + max`, whichever comes first.
    pub(crate) idle: u64,
    pub(crate) max: u64,
    pub(crate) last_used: u64,
}

impl Session {
    /// A session for `username` that logged in at `now`, with the realm's session lifetimes.
    pub(crate) fn new(realm: &providers::Realm, username: &str, now: u64) -> Session {
        Session {
            realm: realm.name.clone(),
            username: username.to_owned(),
            auth_time: now,
            idle: realm.lifetimes.session_idle,
            max: realm.lifetimes.session_max,
            last_used: now,
        }
    }

    fn expires_at(&self) -> u64 {
        self.last_used
            .saturating_add(self.idle)
            .min(self.auth_time.saturating_add(self.max))
    }
}

/// An authorization request waiting for the login page.
#[derive(Debug, Clone)]
pub(crate) struct PendingLogin {
    pub(crate) realm: String,
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) state: Option<String>,
    pub(crate) scopes: Vec<String>,
    pub(crate) nonce: Option<String>,
    pub(crate) pkce: Option<Pkce>,
    pub(crate) dpop_jkt: Option<String>,
    pub(crate) expires_at: u64,
}

/// Why a token could not be recorded into its family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FamilyRevoked;

/// What ending a login session ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct EndedSession {
    /// The user whose session it was, when known.
    pub(crate) username: Option<String>,
    /// The clients that were issued tokens under it, each once.
    pub(crate) clients: Vec<String>,
}

/// What revoking a refresh token found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefreshRevoked {
    /// Not a refresh token this store knows.
    Unknown,
    /// A refresh token; revoked as the provider does (or ignored where the provider ignores
    /// it, e.g. a rotated token, or another client's).
    Handled,
}

/// A code: its request until it is redeemed, then only the family it started.
#[derive(Debug)]
struct CodeEntry {
    record: Option<Box<CodeRecord>>,
    used_by: Option<FamilyId>,
    expires_at: u64,
}

/// A refresh token: its record while current, a small tombstone once rotated (kept until the
/// family expires, so reuse can be detected).
#[derive(Debug)]
enum RefreshEntry {
    Current(Box<RefreshRecord>),
    Rotated { family: FamilyId, expires_at: u64 },
}

impl RefreshEntry {
    fn family(&self) -> FamilyId {
        match self {
            RefreshEntry::Current(record) => record.family,
            RefreshEntry::Rotated { family, .. } => *family,
        }
    }

    fn expires_at(&self) -> u64 {
        match self {
            RefreshEntry::Current(record) => record.expires_at,
            RefreshEntry::Rotated { expires_at, .. } => *expires_at,
        }
    }
}

#[derive(Debug, Default)]
struct Family {
    realm: String,
    client_id: String,
    username: Option<String>,
    session_id: Option<String>,
    expires_at: u64,
    /// Refresh tokens (current and rotated) and opaque access tokens of this family.
    refresh: Vec<String>,
    opaque: Vec<String>,
    code: Option<String>,
}

/// An access token id (JWT `jti`, App ID's token hash) and who issued it. Byte-identical
/// tokens from independent grants (App ID has no `jti`) share one entry and stay live while
/// any of their families is live.
#[derive(Debug, Default)]
struct AccessEntry {
    families: Vec<FamilyId>,
    /// Revoked by itself (RFC 7009 access-token revocation).
    revoked: bool,
    expires_at: u64,
}

#[derive(Debug)]
struct Inner {
    codes: HashMap<String, CodeEntry>,
    refresh: HashMap<String, RefreshEntry>,
    families: HashMap<FamilyId, Family>,
    next_family: FamilyId,
    access: HashMap<String, AccessEntry>,
    opaque: HashMap<String, OpaqueRecord>,
    sessions: HashMap<String, Session>,
    pending: HashMap<String, PendingLogin>,
    /// Custom profile attributes by (realm, user id); set through the admin API, not bounded.
    attributes: HashMap<(String, String), Map<String, Value>>,
    order: Order,
    pending_order: Order,
    max_entries: usize,
    inserts_since_sweep: usize,
}

impl Inner {
    fn new(max_entries: usize) -> Inner {
        Inner {
            codes: HashMap::new(),
            refresh: HashMap::new(),
            families: HashMap::new(),
            next_family: 0,
            access: HashMap::new(),
            opaque: HashMap::new(),
            sessions: HashMap::new(),
            pending: HashMap::new(),
            attributes: HashMap::new(),
            order: Order::default(),
            pending_order: Order::default(),
            max_entries: max_entries.max(1),
            inserts_since_sweep: 0,
        }
    }

    /// Entries the bound counts.
    fn len(&self) -> usize {
        self.codes.len()
            + self.families.len()
            + self.refresh.len()
            + self.opaque.len()
            + self.sessions.len()
            + self.pending.len()
    }

    fn contains(&self, slot: &Slot) -> bool {
        match slot {
            Slot::Code(code) => self.codes.contains_key(code),
            Slot::Family(family) => self.families.contains_key(family),
            Slot::Session(sid) => self.sessions.contains_key(sid),
            Slot::Pending(id) => self.pending.contains_key(id),
            Slot::Opaque(token) => self.opaque.contains_key(token),
        }
    }

    /// After an insert: sweep expired entries now and then, then evict oldest-first down to
    /// the bound.
    fn inserted(&mut self, slot: Slot, now: u64) {
        self.order.push(slot);
        self.grew(now);
    }

    /// After any insert: sweep now and then, evict down to the bound, compact the order.
    fn grew(&mut self, now: u64) {
        self.inserts_since_sweep += 1;
        if self.inserts_since_sweep >= SWEEP_EVERY.max(self.len() / 4) {
            self.inserts_since_sweep = 0;
            self.sweep(now);
        }
        while self.len() > self.max_entries {
            let Some(slot) = self.order.pop() else { break };
            self.evict(slot);
        }
        if self.order.len() > 2 * self.len() + SWEEP_EVERY {
            let order = std::mem::take(&mut self.order);
            let kept = order.retained(|slot| self.contains(slot));
            self.order = kept;
        }
    }

    fn evict(&mut self, slot: Slot) {
        match slot {
            Slot::Code(code) => {
                if let Some(entry) = self.codes.remove(&code)
                    && let Some(family) = entry.used_by
                {
                    // Without the code a replay could not be detected: end what it issued.
                    self.revoke_family(family);
                }
            }
            Slot::Family(family) => self.revoke_family(family),
            Slot::Session(sid) => {
                self.sessions.remove(&sid);
            }
            Slot::Pending(id) => {
                self.pending.remove(&id);
            }
            Slot::Opaque(token) => {
                self.opaque.remove(&token);
            }
        }
    }

    fn sweep(&mut self, now: u64) {
        self.codes.retain(|_, code| code.expires_at > now);
        self.access.retain(|_, access| access.expires_at > now);
        self.opaque.retain(|_, record| record.expires_at > now);
        self.sessions.retain(|_, session| session.expires_at() > now);
        self.pending.retain(|_, pending| pending.expires_at > now);
        let expired: Vec<FamilyId> = self
            .families
            .iter()
            .filter(|(_, family)| family.expires_at <= now)
            .map(|(id, _)| *id)
            .collect();
        for family in expired {
            self.revoke_family(family);
        }
        self.refresh.retain(|_, entry| entry.expires_at() > now);
    }

    fn is_live(&self, family: FamilyId) -> bool {
        self.families.contains_key(&family)
    }

    /// Revokes a family: it is forgotten with its refresh and opaque tokens; its JWT access
    /// tokens turn inactive because their family is gone.
    fn revoke_family(&mut self, family_id: FamilyId) {
        let Some(family) = self.families.remove(&family_id) else {
            return;
        };
        for token in family.refresh {
            self.refresh.remove(&token);
        }
        for token in family.opaque {
            self.opaque.remove(&token);
        }
        if let Some(code) = family.code {
            self.codes.remove(&code);
        }
    }

    fn new_family(&mut self, family: Family) -> FamilyId {
        self.next_family += 1;
        let id = self.next_family;
        self.families.insert(id, family);
        id
    }
}

/// The mock's memory.
#[derive(Debug)]
pub(crate) struct Store {
    inner: Mutex<Inner>,
}

impl Default for Store {
    fn default() -> Store {
        Store::with_limit(DEFAULT_MAX_ENTRIES)
    }
}

/// Who a new family is issued to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FamilyOwner<'a> {
    pub(crate) realm: &'a str,
    pub(crate) client_id: &'a str,
    pub(crate) username: Option<&'a str>,
    pub(crate) session_id: Option<&'a str>,
}

impl Store {
    /// A store that keeps at most `max_entries` entries (at least one).
    pub(crate) fn with_limit(max_entries: usize) -> Store {
        Store {
            inner: Mutex::new(Inner::new(max_entries)),
        }
    }

    /// Forgets every code, grant family with its tokens, session, pending login and profile
    /// attribute (the admin reset). Family ids keep counting up, so a token of a forgotten
    /// family never matches a new one.
    ///
    /// No access token comes back to life: every access-token id the store knew keeps its
    /// entry until the token would have expired anyway. One revoked by itself stays revoked (a
    /// revocation promised the test the token never works again, RFC 7009 §2.2); one issued
    /// into a family that the reset forgets keeps that family's id, which is no longer live, so
    /// it dies with its grant as the grant's refresh and opaque tokens do. A byte-identical
    /// token issued again after the reset (no `jti`, same second) joins a new, live family and
    /// is live, as identical tokens of independent grants are.
    pub(crate) fn clear(&self) {
        let mut inner = self.lock();
        let mut fresh = Inner::new(inner.max_entries);
        fresh.next_family = inner.next_family;
        fresh.access = std::mem::take(&mut inner.access);
        *inner = fresh;
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave these maps half-updated in a way that
        // matters more than losing the whole store; keep serving.
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A new grant family that lives until at least `expires_at`.
    pub(crate) fn new_family(&self, owner: FamilyOwner<'_>, expires_at: u64, now: u64) -> FamilyId {
        let mut inner = self.lock();
        let id = inner.new_family(Family {
            realm: owner.realm.to_owned(),
            client_id: owner.client_id.to_owned(),
            username: owner.username.map(str::to_owned),
            session_id: owner.session_id.map(str::to_owned),
            expires_at,
            ..Family::default()
        });
        inner.inserted(Slot::Family(id), now);
        id
    }

    /// Records an access token (its `jti` or hash) as issued in `family`. A family revoked
    /// meanwhile refuses it, and the token is dead (its only family is gone).
    pub(crate) fn add_access(&self, family: FamilyId, token_id: &str, expires_at: u64) -> Result<(), FamilyRevoked> {
        let mut inner = self.lock();
        let live = match inner.families.get_mut(&family) {
            Some(record) => {
                record.expires_at = record.expires_at.max(expires_at);
                true
            }
            None => false,
        };
        let entry = inner.access.entry(token_id.to_owned()).or_default();
        entry.expires_at = entry.expires_at.max(expires_at);
        if !entry.families.contains(&family) {
            entry.families.push(family);
        }
        if live { Ok(()) } else { Err(FamilyRevoked) }
    }

    /// Revokes a family: its refresh tokens stop working, its access tokens turn inactive.
    pub(crate) fn revoke_family(&self, family: FamilyId) {
        self.lock().revoke_family(family);
    }

    #[cfg(test)]
    pub(crate) fn is_family_revoked(&self, family: FamilyId) -> bool {
        !self.lock().is_live(family)
    }

    /// Stores a fresh code.
    pub(crate) fn insert_code(&self, code: String, record: CodeRecord, now: u64) {
        let mut inner = self.lock();
        let expires_at = record.expires_at;
        inner.codes.insert(
            code.clone(),
            CodeEntry {
                record: Some(Box::new(record)),
                used_by: None,
                expires_at,
            },
        );
        inner.inserted(Slot::Code(code), now);
    }

    /// Redeems a code. The first redemption returns its record and marks it used (a small entry
    /// stays until the code expires so a replay can be detected); a replay revokes what the
    /// first redemption issued (RFC 6749 §4.1.2).
    pub(crate) fn redeem_code(&self, code: &str, now: u64) -> CodeOutcome {
        let mut inner = self.lock();
        let Some(entry) = inner.codes.get_mut(code) else {
            return CodeOutcome::Unknown;
        };
        if let Some(family) = entry.used_by {
            inner.revoke_family(family);
            return CodeOutcome::Replayed;
        }
        if entry.expires_at <= now {
            inner.codes.remove(code);
            return CodeOutcome::Unknown;
        }
        let Some(record) = entry.record.take() else {
            return CodeOutcome::Unknown;
        };
        // Mark as used by binding it to the family its tokens will be issued in.
        let family = inner.new_family(Family {
            realm: record.realm.clone(),
            client_id: record.client_id.clone(),
            username: Some(record.username.clone()),
            session_id: record.session_id.clone(),
            expires_at: record.expires_at,
            code: Some(code.to_owned()),
            ..Family::default()
        });
        if let Some(entry) = inner.codes.get_mut(code) {
            entry.used_by = Some(family);
        }
        inner.inserted(Slot::Family(family), now);
        CodeOutcome::Fresh(record, family)
    }

    /// Stores a refresh token in its family; a family revoked meanwhile refuses it.
    pub(crate) fn insert_refresh(&self, token: String, record: RefreshRecord, now: u64) -> Result<(), FamilyRevoked> {
        let mut inner = self.lock();
        let Some(family) = inner.families.get_mut(&record.family) else {
            return Err(FamilyRevoked);
        };
        family.expires_at = family.expires_at.max(record.expires_at);
        family.refresh.push(token.clone());
        inner.refresh.insert(token, RefreshEntry::Current(Box::new(record)));
        // Counted against the bound, evicted with its family.
        inner.grew(now);
        Ok(())
    }

    /// Exchanges a refresh token: returns its record and marks it rotated. A token that was
    /// already rotated is reuse (RFC 9700 §4.14.2): its whole family is revoked.
    pub(crate) fn rotate_refresh(&self, token: &str, client_id: &str, now: u64) -> Option<RefreshRecord> {
        let mut inner = self.lock();
        let family = inner.refresh.get(token)?.family();
        if !inner.is_live(family) {
            return None;
        }
        let record = match inner.refresh.get(token)? {
            RefreshEntry::Rotated { .. } => {
                inner.revoke_family(family);
                return None;
            }
            RefreshEntry::Current(record) => record,
        };
        if record.client_id != client_id || record.expires_at <= now {
            return None;
        }
        let record = (**record).clone();
        inner.refresh.insert(
            token.to_owned(),
            RefreshEntry::Rotated {
                family,
                expires_at: record.expires_at,
            },
        );
        Some(record)
    }

    /// A refresh token that is still usable (not rotated, not revoked, not expired).
    pub(crate) fn live_refresh(&self, token: &str, now: u64) -> Option<RefreshRecord> {
        let inner = self.lock();
        match inner.refresh.get(token)? {
            RefreshEntry::Current(record) if inner.is_live(record.family) && record.expires_at > now => {
                Some((**record).clone())
            }
            _ => None,
        }
    }

    /// Revokes a refresh token (RFC 7009) presented by `client_id` in `realm`, as the provider
    /// does (`scope`), current or rotated. Another client's token is left alone (§2.1).
    pub(crate) fn revoke_refresh(
        &self,
        token: &str,
        realm: &str,
        client_id: &str,
        scope: RefreshRevocation,
        now: u64,
    ) -> RefreshRevoked {
        let mut inner = self.lock();
        let Some(entry) = inner.refresh.get(token) else {
            return RefreshRevoked::Unknown;
        };
        let rotated = matches!(entry, RefreshEntry::Rotated { .. });
        if entry.expires_at() <= now {
            return RefreshRevoked::Unknown;
        }
        let family_id = entry.family();
        let Some(family) = inner.families.get(&family_id) else {
            return RefreshRevoked::Unknown;
        };
        if family.realm != realm || family.client_id != client_id {
            return RefreshRevoked::Handled;
        }
        match scope {
            RefreshRevocation::CurrentTokenOnly if rotated => {}
            RefreshRevocation::ClientSessions => {
                let username = family.username.clone();
                let ended: Vec<FamilyId> = inner
                    .families
                    .iter()
                    .filter(|(id, other)| {
                        **id == family_id
                            || (username.is_some()
                                && other.realm == realm
                                && other.client_id == client_id
                                && other.username == username)
                    })
                    .map(|(id, _)| *id)
                    .collect();
                for id in ended {
                    inner.revoke_family(id);
                }
            }
            _ => inner.revoke_family(family_id),
        }
        RefreshRevoked::Handled
    }

    /// Marks one access token (its `jti` or hash) revoked until it would have expired anyway.
    pub(crate) fn revoke_access(&self, token_id: &str, expires_at: u64) {
        let mut inner = self.lock();
        let entry = inner.access.entry(token_id.to_owned()).or_default();
        entry.revoked = true;
        entry.expires_at = entry.expires_at.max(expires_at);
    }

    /// Whether an access token id was revoked, by itself or because every family that issued
    /// it is revoked (or evicted, or expired).
    pub(crate) fn is_revoked(&self, token_id: &str) -> bool {
        let inner = self.lock();
        inner.access.get(token_id).is_some_and(|entry| {
            entry.revoked || (!entry.families.is_empty() && !entry.families.iter().any(|family| inner.is_live(*family)))
        })
    }

    /// Stores an opaque token; one of a family revoked meanwhile is refused.
    pub(crate) fn insert_opaque(&self, token: String, record: OpaqueRecord, now: u64) -> Result<(), FamilyRevoked> {
        let mut inner = self.lock();
        match record.family {
            Some(family_id) => {
                let Some(family) = inner.families.get_mut(&family_id) else {
                    return Err(FamilyRevoked);
                };
                family.expires_at = family.expires_at.max(record.expires_at);
                family.opaque.push(token.clone());
                inner.opaque.insert(token, record);
            }
            None => {
                inner.opaque.insert(token.clone(), record);
                inner.inserted(Slot::Opaque(token), now);
            }
        }
        Ok(())
    }

    /// An opaque token that is live (not revoked, family not revoked, not expired).
    pub(crate) fn live_opaque(&self, token: &str, now: u64) -> Option<OpaqueRecord> {
        let inner = self.lock();
        let record = inner.opaque.get(token)?;
        let family_live = record.family.is_none_or(|family| inner.is_live(family));
        (family_live && record.expires_at > now).then(|| record.clone())
    }

    pub(crate) fn remove_opaque(&self, token: &str) {
        self.lock().opaque.remove(token);
    }

    /// Starts the login session `sid` for `username` at `now`, with `realm`'s session lifetimes:
    /// the one way a session comes to be (the login page, the password grant, `token_for`, the
    /// device verification page). The user authenticated at `auth_time` (`now` but for the
    /// device page, where signing in and approving are two requests).
    pub(crate) fn start_session(
        &self,
        sid: String,
        realm: &providers::Realm,
        username: &str,
        auth_time: u64,
        now: u64,
    ) {
        let mut session = Session::new(realm, username, auth_time);
        session.last_used = now;
        self.insert_session(sid, session, now);
    }

    fn insert_session(&self, sid: String, session: Session, now: u64) {
        let mut inner = self.lock();
        inner.sessions.insert(sid.clone(), session);
        inner.inserted(Slot::Session(sid), now);
    }

    /// A live session; using it restarts its idle timeout.
    pub(crate) fn session(&self, sid: &str, now: u64) -> Option<Session> {
        let mut inner = self.lock();
        let session = inner.sessions.get_mut(sid)?;
        if session.expires_at() <= now {
            return None;
        }
        session.last_used = now;
        Some(session.clone())
    }

    /// The ids of `username`'s live sessions in `realm`.
    pub(crate) fn sessions_of(&self, realm: &str, username: &str) -> Vec<String> {
        self.lock()
            .sessions
            .iter()
            .filter(|(_, session)| session.realm == realm && session.username == username)
            .map(|(sid, _)| sid.clone())
            .collect()
    }

    /// Ends a login session and revokes every family issued under it; returns who was logged
    /// out of which clients (for back-channel logout).
    pub(crate) fn end_session(&self, sid: &str) -> EndedSession {
        let mut inner = self.lock();
        let session = inner.sessions.remove(sid);
        let mut ended = EndedSession {
            username: session.map(|session| session.username),
            clients: Vec::new(),
        };
        let families: Vec<FamilyId> = inner
            .families
            .iter()
            .filter(|(_, family)| family.session_id.as_deref() == Some(sid))
            .map(|(id, family)| {
                if !ended.clients.contains(&family.client_id) {
                    ended.clients.push(family.client_id.clone());
                }
                if ended.username.is_none() {
                    ended.username.clone_from(&family.username);
                }
                *id
            })
            .collect();
        for family in families {
            inner.revoke_family(family);
        }
        ended
    }

    /// Stores a pending login; beyond [`MAX_PENDING_LOGINS`] the oldest is forgotten.
    pub(crate) fn insert_pending(&self, id: String, pending: PendingLogin, now: u64) {
        let mut inner = self.lock();
        inner.pending.insert(id.clone(), pending);
        inner.pending_order.push(Slot::Pending(id.clone()));
        while inner.pending.len() > MAX_PENDING_LOGINS {
            let Some(Slot::Pending(oldest)) = inner.pending_order.pop() else {
                break;
            };
            inner.pending.remove(&oldest);
        }
        if inner.pending_order.len() > 2 * inner.pending.len() + SWEEP_EVERY {
            let order = std::mem::take(&mut inner.pending_order);
            inner.pending_order = order.retained(|slot| inner.contains(slot));
        }
        inner.inserted(Slot::Pending(id), now);
    }

    pub(crate) fn pending(&self, id: &str, now: u64) -> Option<PendingLogin> {
        self.lock()
            .pending
            .get(id)
            .filter(|pending| pending.expires_at > now)
            .cloned()
    }

    /// A user's custom profile attributes.
    pub(crate) fn attributes(&self, realm: &str, user: &str) -> Map<String, Value> {
        self.lock()
            .attributes
            .get(&(realm.to_owned(), user.to_owned()))
            .cloned()
            .unwrap_or_default()
    }

    /// Sets (`Some`) or deletes (`None`) one attribute; returns whether it existed before.
    pub(crate) fn set_attribute(&self, realm: &str, user: &str, name: &str, value: Option<Value>) -> bool {
        let mut inner = self.lock();
        let attributes = inner.attributes.entry((realm.to_owned(), user.to_owned())).or_default();
        match value {
            Some(value) => attributes.insert(name.to_owned(), value).is_some(),
            None => attributes.remove(name).is_some(),
        }
    }

    pub(crate) fn remove_pending(&self, id: &str) {
        self.lock().pending.remove(id);
    }

    /// How many entries the bound counts, and how many access-token ids are kept besides.
    #[cfg(test)]
    pub(crate) fn sizes(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.len(), inner.access.len())
    }
}
