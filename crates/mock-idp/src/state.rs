//! What the mock must remember: single-use codes, refresh-token families, revoked access
//! tokens, opaque tokens, login sessions and pending logins. In memory, one lock, and every
//! entry expires.

use providers::GrantType;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// Entries are swept once this many inserts have happened since the last sweep.
const SWEEP_EVERY: u32 = 256;

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
    /// Set once the token has been exchanged; a second exchange is reuse.
    pub(crate) rotated: bool,
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
    pub(crate) expires_at: u64,
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
    pub(crate) expires_at: u64,
}

#[derive(Debug, Default)]
struct Family {
    revoked: bool,
    /// `jti`s (JWT) and opaque tokens issued in this family, with their expiry.
    access: Vec<(String, u64)>,
    session_id: Option<String>,
    expires_at: u64,
}

#[derive(Debug, Default)]
struct Inner {
    codes: HashMap<String, (CodeRecord, Option<FamilyId>)>,
    refresh: HashMap<String, RefreshRecord>,
    families: HashMap<FamilyId, Family>,
    next_family: FamilyId,
    revoked: HashMap<String, u64>,
    opaque: HashMap<String, OpaqueRecord>,
    sessions: HashMap<String, Session>,
    pending: HashMap<String, PendingLogin>,
    /// Custom profile attributes by (realm, user id).
    attributes: HashMap<(String, String), Map<String, Value>>,
    inserts_since_sweep: u32,
}

/// The mock's memory.
#[derive(Debug, Default)]
pub(crate) struct Store {
    inner: Mutex<Inner>,
}

impl Store {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave these maps half-updated in a way that
        // matters more than losing the whole store; keep serving.
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn inserted(inner: &mut Inner, now: u64) {
        inner.inserts_since_sweep += 1;
        if inner.inserts_since_sweep >= SWEEP_EVERY {
            inner.inserts_since_sweep = 0;
            inner.codes.retain(|_, (code, _)| code.expires_at > now);
            inner.refresh.retain(|_, record| record.expires_at > now);
            inner.revoked.retain(|_, exp| *exp > now);
            inner.opaque.retain(|_, record| record.expires_at > now);
            inner.sessions.retain(|_, session| session.expires_at > now);
            inner.pending.retain(|_, pending| pending.expires_at > now);
            inner.families.retain(|_, family| family.expires_at > now);
        }
    }

    /// A new grant family that lives until at least `expires_at`.
    pub(crate) fn new_family(&self, session_id: Option<String>, expires_at: u64) -> FamilyId {
        let mut inner = self.lock();
        inner.next_family += 1;
        let id = inner.next_family;
        inner.families.insert(
            id,
            Family {
                session_id,
                expires_at,
                ..Family::default()
            },
        );
        id
    }

    /// Records an access token (its `jti` or opaque value) as issued in `family`.
    pub(crate) fn add_access(&self, family: FamilyId, token_id: &str, expires_at: u64) {
        let mut inner = self.lock();
        if let Some(family) = inner.families.get_mut(&family) {
            family.access.push((token_id.to_owned(), expires_at));
            family.expires_at = family.expires_at.max(expires_at);
        }
    }

    /// Revokes a family: its refresh tokens stop working, its access tokens turn inactive.
    pub(crate) fn revoke_family(&self, family: FamilyId) {
        let mut inner = self.lock();
        revoke_family_locked(&mut inner, family);
    }

    #[cfg(test)]
    pub(crate) fn is_family_revoked(&self, family: FamilyId) -> bool {
        self.lock().families.get(&family).is_none_or(|family| family.revoked)
    }

    /// Stores a fresh code.
    pub(crate) fn insert_code(&self, code: String, record: CodeRecord, now: u64) {
        let mut inner = self.lock();
        inner.codes.insert(code, (record, None));
        Store::inserted(&mut inner, now);
    }

    /// Redeems a code. The first redemption returns its record and marks it used (the record
    /// stays until it expires so a replay can be detected); a replay revokes what the first
    /// redemption issued (RFC 6749 §4.1.2).
    pub(crate) fn redeem_code(&self, code: &str, now: u64) -> CodeOutcome {
        let mut inner = self.lock();
        let Some((record, used_by)) = inner.codes.get(code).cloned() else {
            return CodeOutcome::Unknown;
        };
        if let Some(family) = used_by {
            revoke_family_locked(&mut inner, family);
            return CodeOutcome::Replayed;
        }
        if record.expires_at <= now {
            inner.codes.remove(code);
            return CodeOutcome::Unknown;
        }
        // Mark as used by binding it to the family its tokens will be issued in.
        inner.next_family += 1;
        let family = inner.next_family;
        inner.families.insert(
            family,
            Family {
                session_id: record.session_id.clone(),
                expires_at: record.expires_at,
                ..Family::default()
            },
        );
        if let Some(entry) = inner.codes.get_mut(code) {
            entry.1 = Some(family);
        }
        CodeOutcome::Fresh(Box::new(record), family)
    }

    /// Stores a refresh token.
    pub(crate) fn insert_refresh(&self, token: String, record: RefreshRecord, now: u64) {
        let mut inner = self.lock();
        if let Some(family) = inner.families.get_mut(&record.family) {
            family.expires_at = family.expires_at.max(record.expires_at);
        }
        inner.refresh.insert(token, record);
        Store::inserted(&mut inner, now);
    }

    /// Exchanges a refresh token: returns its record and marks it rotated. A token that was
    /// already rotated is reuse (RFC 9700 §4.14.2): its whole family is revoked.
    pub(crate) fn rotate_refresh(&self, token: &str, client_id: &str, now: u64) -> Option<RefreshRecord> {
        let mut inner = self.lock();
        let record = inner.refresh.get(token).cloned()?;
        if record.client_id != client_id || record.expires_at <= now {
            return None;
        }
        let family_revoked = inner.families.get(&record.family).is_none_or(|family| family.revoked);
        if family_revoked {
            return None;
        }
        if record.rotated {
            revoke_family_locked(&mut inner, record.family);
            return None;
        }
        if let Some(stored) = inner.refresh.get_mut(token) {
            stored.rotated = true;
        }
        Some(record)
    }

    /// A refresh token that is still usable (not rotated, not revoked, not expired).
    pub(crate) fn live_refresh(&self, token: &str, now: u64) -> Option<RefreshRecord> {
        let inner = self.lock();
        let record = inner.refresh.get(token)?;
        let revoked = inner.families.get(&record.family).is_none_or(|family| family.revoked);
        (!record.rotated && !revoked && record.expires_at > now).then(|| record.clone())
    }

    /// Marks a JWT access token's `jti` revoked until it would have expired anyway.
    pub(crate) fn revoke_jti(&self, jti: &str, expires_at: u64, now: u64) {
        let mut inner = self.lock();
        inner.revoked.insert(jti.to_owned(), expires_at);
        Store::inserted(&mut inner, now);
    }

    pub(crate) fn is_revoked(&self, jti: &str) -> bool {
        self.lock().revoked.contains_key(jti)
    }

    pub(crate) fn insert_opaque(&self, token: String, record: OpaqueRecord, now: u64) {
        let mut inner = self.lock();
        inner.opaque.insert(token, record);
        Store::inserted(&mut inner, now);
    }

    /// An opaque token that is live (not revoked, family not revoked, not expired).
    pub(crate) fn live_opaque(&self, token: &str, now: u64) -> Option<OpaqueRecord> {
        let inner = self.lock();
        let record = inner.opaque.get(token)?;
        let family_revoked = record
            .family
            .is_some_and(|family| inner.families.get(&family).is_none_or(|family| family.revoked));
        (!family_revoked && record.expires_at > now).then(|| record.clone())
    }

    pub(crate) fn remove_opaque(&self, token: &str) {
        self.lock().opaque.remove(token);
    }

    pub(crate) fn insert_session(&self, sid: String, session: Session, now: u64) {
        let mut inner = self.lock();
        inner.sessions.insert(sid, session);
        Store::inserted(&mut inner, now);
    }

    pub(crate) fn session(&self, sid: &str, now: u64) -> Option<Session> {
        self.lock()
            .sessions
            .get(sid)
            .filter(|session| session.expires_at > now)
            .cloned()
    }

    /// Ends a login session and revokes every family issued under it.
    pub(crate) fn end_session(&self, sid: &str) {
        let mut inner = self.lock();
        inner.sessions.remove(sid);
        let families: Vec<FamilyId> = inner
            .families
            .iter()
            .filter(|(_, family)| family.session_id.as_deref() == Some(sid))
            .map(|(id, _)| *id)
            .collect();
        for family in families {
            revoke_family_locked(&mut inner, family);
        }
    }

    pub(crate) fn insert_pending(&self, id: String, pending: PendingLogin, now: u64) {
        let mut inner = self.lock();
        inner.pending.insert(id, pending);
        Store::inserted(&mut inner, now);
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
}

fn revoke_family_locked(inner: &mut Inner, family_id: FamilyId) {
    let Some(family) = inner.families.get_mut(&family_id) else {
        return;
    };
    family.revoked = true;
    let access = std::mem::take(&mut family.access);
    for (token_id, expires_at) in access {
        inner.opaque.remove(&token_id);
        inner.revoked.insert(token_id, expires_at);
    }
    inner.refresh.retain(|_, record| record.family != family_id);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(expires_at: u64) -> CodeRecord {
        CodeRecord {
            realm: "demo".into(),
            client_id: "web-app".into(),
            redirect_uri: "http://127.0.0.1:5000/callback".into(),
            username: "alice".into(),
            scopes: vec!["openid".into()],
            nonce: None,
            pkce: None,
            auth_time: 0,
            session_id: None,
            expires_at,
        }
    }

    fn refresh(family: FamilyId) -> RefreshRecord {
        RefreshRecord {
            realm: "demo".into(),
            client_id: "web-app".into(),
            username: Some("alice".into()),
            scopes: vec![],
            auth_time: None,
            login: None,
            session_id: None,
            family,
            issued_at: 0,
            expires_at: 100,
            rotated: false,
        }
    }

    #[test]
    fn a_replayed_code_revokes_what_the_first_use_issued() {
        let store = Store::default();
        store.insert_code("c".into(), code(60), 0);
        let CodeOutcome::Fresh(_, family) = store.redeem_code("c", 1) else {
            panic!("first use must succeed")
        };
        store.add_access(family, "jti-1", 300);
        store.insert_refresh("r".into(), refresh(family), 1);
        assert!(matches!(store.redeem_code("c", 2), CodeOutcome::Replayed));
        assert!(store.is_revoked("jti-1"));
        assert!(store.live_refresh("r", 2).is_none());
    }

    #[test]
    fn an_expired_code_is_unknown() {
        let store = Store::default();
        store.insert_code("c".into(), code(60), 0);
        assert!(matches!(store.redeem_code("c", 60), CodeOutcome::Unknown));
    }

    #[test]
    fn reusing_a_rotated_refresh_token_revokes_the_family() {
        let store = Store::default();
        let family = store.new_family(None, 100);
        store.insert_refresh("r1".into(), refresh(family), 0);
        assert!(store.rotate_refresh("r1", "web-app", 1).is_some());
        store.insert_refresh("r2".into(), refresh(family), 1);
        assert!(store.rotate_refresh("r1", "web-app", 2).is_none());
        assert!(store.rotate_refresh("r2", "web-app", 2).is_none());
        assert!(store.is_family_revoked(family));
    }

    #[test]
    fn another_clients_refresh_token_is_refused_without_side_effects() {
        let store = Store::default();
        let family = store.new_family(None, 100);
        store.insert_refresh("r1".into(), refresh(family), 0);
        assert!(store.rotate_refresh("r1", "spa", 1).is_none());
        assert!(store.rotate_refresh("r1", "web-app", 1).is_some());
    }

    #[test]
    fn ending_a_session_revokes_its_families() {
        let store = Store::default();
        let family = store.new_family(Some("sid".into()), 100);
        store.add_access(family, "jti", 100);
        store.end_session("sid");
        assert!(store.is_revoked("jti"));
    }
}
