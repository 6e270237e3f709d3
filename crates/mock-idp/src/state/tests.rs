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
        dpop_jkt: None,
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
        dpop_jkt: None,
    }
}

fn owner(session_id: Option<&str>) -> FamilyOwner<'_> {
    FamilyOwner {
        realm: "demo",
        client_id: "web-app",
        username: Some("alice"),
        session_id,
    }
}

#[test]
fn a_replayed_code_revokes_what_the_first_use_issued() {
    let store = Store::default();
    store.insert_code("c".into(), code(60), 0);
    let CodeOutcome::Fresh(_, family) = store.redeem_code("c", 1) else {
        panic!("first use must succeed")
    };
    store.add_access(family, "jti-1", 300).unwrap();
    store.insert_refresh("r".into(), refresh(family), 1).unwrap();
    assert!(matches!(store.redeem_code("c", 2), CodeOutcome::Replayed));
    assert!(store.is_revoked("jti-1"));
    assert!(store.live_refresh("r", 2).is_none());
}

/// Issue 11 finding 1, at the store: a token recorded after its family was revoked (the
/// replay won the race against the signing) is refused and dead.
#[test]
fn a_token_recorded_into_a_revoked_family_is_refused_and_dead() {
    let store = Store::default();
    store.insert_code("c".into(), code(60), 0);
    let CodeOutcome::Fresh(_, family) = store.redeem_code("c", 1) else {
        panic!("first use must succeed")
    };
    assert!(matches!(store.redeem_code("c", 1), CodeOutcome::Replayed));
    assert_eq!(store.add_access(family, "jti-late", 300), Err(FamilyRevoked));
    assert!(store.is_revoked("jti-late"));
    assert_eq!(store.insert_refresh("r".into(), refresh(family), 1), Err(FamilyRevoked));
    assert!(store.live_refresh("r", 1).is_none());
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
    let family = store.new_family(owner(None), 100, 0);
    store.insert_refresh("r1".into(), refresh(family), 0).unwrap();
    assert!(store.rotate_refresh("r1", "web-app", 1).is_some());
    store.insert_refresh("r2".into(), refresh(family), 1).unwrap();
    assert!(store.rotate_refresh("r1", "web-app", 2).is_none());
    assert!(store.rotate_refresh("r2", "web-app", 2).is_none());
    assert!(store.is_family_revoked(family));
}

#[test]
fn another_clients_refresh_token_is_refused_without_side_effects() {
    let store = Store::default();
    let family = store.new_family(owner(None), 100, 0);
    store.insert_refresh("r1".into(), refresh(family), 0).unwrap();
    assert!(store.rotate_refresh("r1", "spa", 1).is_none());
    assert_eq!(
        store.revoke_refresh("r1", "demo", "spa", RefreshRevocation::Grant, 1),
        RefreshRevoked::Handled
    );
    assert!(store.rotate_refresh("r1", "web-app", 1).is_some());
}

/// Issue 11 finding 2, at the store: each provider's revocation of a rotated refresh token.
#[test]
fn revoking_a_rotated_refresh_token_ends_the_grant_where_the_provider_does() {
    for (scope, ends) in [
        (RefreshRevocation::Grant, true),
        (RefreshRevocation::ClientSessions, true),
        (RefreshRevocation::CurrentTokenOnly, false),
    ] {
        let store = Store::default();
        let family = store.new_family(owner(None), 100, 0);
        store.insert_refresh("r1".into(), refresh(family), 0).unwrap();
        assert!(store.rotate_refresh("r1", "web-app", 1).is_some());
        store.insert_refresh("r2".into(), refresh(family), 1).unwrap();
        store.add_access(family, "at2", 100).unwrap();
        assert_eq!(
            store.revoke_refresh("r1", "demo", "web-app", scope, 2),
            RefreshRevoked::Handled
        );
        assert_eq!(store.is_revoked("at2"), ends, "{scope:?}");
        assert_eq!(store.live_refresh("r2", 2).is_none(), ends, "{scope:?}");
    }
}

/// Keycloak's revocation ends every session the user has with the client, not another
/// client's, nor another user's.
#[test]
fn keycloak_revocation_ends_the_users_sessions_with_that_client_only() {
    let store = Store::default();
    let first = store.new_family(owner(Some("s1")), 100, 0);
    let second = store.new_family(owner(Some("s2")), 100, 0);
    let other_client = store.new_family(
        FamilyOwner {
            client_id: "spa",
            ..owner(Some("s1"))
        },
        100,
        0,
    );
    let other_user = store.new_family(
        FamilyOwner {
            username: Some("bob"),
            ..owner(Some("s3"))
        },
        100,
        0,
    );
    store.insert_refresh("r".into(), refresh(first), 0).unwrap();
    store.revoke_refresh("r", "demo", "web-app", RefreshRevocation::ClientSessions, 1);
    assert!(store.is_family_revoked(first));
    assert!(store.is_family_revoked(second));
    assert!(!store.is_family_revoked(other_client));
    assert!(!store.is_family_revoked(other_user));
}

/// Issue 11 finding 3, at the store: byte-identical access tokens from two grants (no `jti`)
/// stay live while either grant is live.
#[test]
fn identical_tokens_of_independent_grants_do_not_share_fate() {
    let store = Store::default();
    let one = store.new_family(owner(None), 100, 0);
    let two = store.new_family(owner(None), 100, 0);
    store.add_access(one, "same-hash", 100).unwrap();
    store.add_access(two, "same-hash", 100).unwrap();
    store.revoke_family(one);
    assert!(!store.is_revoked("same-hash"));
    store.revoke_family(two);
    assert!(store.is_revoked("same-hash"));
}

/// A reset forgets grants, and their tokens die with them; but a byte-identical token issued
/// again after the reset (App ID's carry no `jti`: same user, client and second) belongs to a
/// new, live grant and is live, as identical tokens of independent grants are.
#[test]
fn a_token_issued_again_after_a_reset_is_live_and_the_forgotten_one_stays_dead() {
    let store = Store::default();
    let before = store.new_family(owner(None), 100, 0);
    store.add_access(before, "same-hash", 100).unwrap();
    store.add_access(before, "only-before", 100).unwrap();
    store.revoke_access("revoked", 100);
    store.clear();
    assert!(store.is_revoked("only-before"), "a forgotten grant's token stays dead");
    assert!(store.is_revoked("revoked"), "a revoked token stays revoked");
    let after = store.new_family(owner(None), 100, 0);
    store.add_access(after, "same-hash", 100).unwrap();
    assert!(
        !store.is_revoked("same-hash"),
        "the token issued after the reset is live"
    );
}

#[test]
fn ending_a_session_revokes_its_families() {
    let store = Store::default();
    let family = store.new_family(owner(Some("sid")), 100, 0);
    store.add_access(family, "jti", 100).unwrap();
    store.end_session("sid");
    assert!(store.is_revoked("jti"));
}

/// Issue 11 finding 6: the store keeps at most its bound, evicting oldest first, and an
/// evicted grant fails closed (its refresh token is refused, its access token inactive).
#[test]
fn the_store_bound_evicts_oldest_first_and_fails_closed() {
    let store = Store::with_limit(50);
    let first = store.new_family(owner(None), 1_000, 0);
    store.insert_refresh("first-rt".into(), refresh(first), 0).unwrap();
    store.add_access(first, "first-at", 1_000).unwrap();
    store.insert_code("first-code".into(), code(1_000), 0);
    for n in 0..500 {
        let family = store.new_family(owner(None), 1_000, 1);
        store.insert_refresh(format!("rt-{n}"), refresh(family), 1).unwrap();
        assert!(store.sizes().0 <= 50, "{:?} after {n}", store.sizes());
    }
    assert!(store.live_refresh("first-rt", 2).is_none());
    assert!(store.rotate_refresh("first-rt", "web-app", 2).is_none());
    assert!(store.is_revoked("first-at"));
    assert!(matches!(store.redeem_code("first-code", 2), CodeOutcome::Unknown));
    assert!(store.live_refresh("rt-499", 2).is_some(), "the newest grant survives");
}

/// Issue 11 finding 5: unauthenticated authorization requests cannot grow the pending logins
/// past their cap; the oldest ones are forgotten.
#[test]
fn pending_logins_are_capped() {
    let store = Store::default();
    let pending = PendingLogin {
        realm: "demo".into(),
        client_id: "web-app".into(),
        redirect_uri: "http://127.0.0.1:5000/callback".into(),
        state: None,
        scopes: vec![],
        nonce: None,
        pkce: None,
        dpop_jkt: None,
        expires_at: 100,
    };
    for n in 0..MAX_PENDING_LOGINS + 10 {
        store.insert_pending(format!("p{n}"), pending.clone(), 0);
    }
    assert_eq!(store.lock().pending.len(), MAX_PENDING_LOGINS);
    assert!(store.pending("p0", 1).is_none());
    assert!(store.pending(&format!("p{}", MAX_PENDING_LOGINS + 9), 1).is_some());
}

/// Expired entries go away: rotated refresh tokens stay until their family expires, no longer.
#[test]
fn expired_grants_are_swept() {
    let store = Store::default();
    for n in 0..SWEEP_EVERY / 4 {
        let family = store.new_family(owner(None), 100, 0);
        store.insert_refresh(format!("rt-{n}"), refresh(family), 0).unwrap();
        assert!(store.rotate_refresh(&format!("rt-{n}"), "web-app", 0).is_some());
    }
    assert_eq!(
        store.sizes().0,
        2 * (SWEEP_EVERY / 4),
        "a family and its rotated token each"
    );
    store.insert_code("late".into(), code(10_000), 5_000);
    for n in 0..(SWEEP_EVERY as u64) {
        store.insert_code(format!("c{n}"), code(10_000), 5_000);
    }
    assert_eq!(store.sizes().0, SWEEP_EVERY + 1, "only the live codes are left");
    assert!(store.lock().families.is_empty());
    assert!(store.lock().refresh.is_empty());
}

#[test]
fn a_session_ends_when_idle_or_at_its_maximum() {
    let store = Store::default();
    let session = |now| Session {
        realm: "demo".into(),
        username: "alice".into(),
        auth_time: now,
        idle: 10,
        max: 25,
        last_used: now,
    };
    store.insert_session("s".into(), session(0), 0);
    assert!(store.session("s", 9).is_some());
    assert!(store.session("s", 18).is_some(), "use restarts the idle timeout");
    assert!(store.session("s", 24).is_some());
    assert!(store.session("s", 25).is_none(), "the maximum ends it whatever its use");
    store.insert_session("t".into(), session(100), 100);
    assert!(store.session("t", 110).is_none(), "idle for 10 s");
}

#[test]
fn start_session_takes_the_realms_session_lifetimes() {
    let store = Store::default();
    let mut realm = providers::World::default_world()
        .unwrap()
        .realm("demo")
        .unwrap()
        .clone();
    realm.lifetimes.session_idle = 10;
    realm.lifetimes.session_max = 25;
    store.start_session("s".into(), &realm, "alice", 100, 100);
    let session = store.session("s", 105).unwrap();
    assert_eq!((session.realm.as_str(), session.username.as_str()), ("demo", "alice"));
    assert_eq!((session.auth_time, session.idle, session.max), (100, 10, 25));
    assert!(store.session("s", 116).is_none(), "idle for 11 s");
}
