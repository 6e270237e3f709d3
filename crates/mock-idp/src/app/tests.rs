//! Realm facts swapped at run time: checked copies, refused edits, reset, and token requests
//! racing updates.

use super::{App, RealmUpdateError};
use crate::server::MockIdp;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use providers::{Endpoint, Realm};
use serde_json::Value;
use std::sync::{Arc, Barrier};
use tower::ServiceExt;

fn app() -> (Arc<App>, Router) {
    MockIdp::builder()
        .build(
            "http://127.0.0.1:9".to_owned(),
            std::net::SocketAddr::from(([127, 0, 0, 1], 9)),
        )
        .unwrap()
}

fn access_lifetime(app: &Arc<App>) -> u64 {
    app.realm("demo").unwrap().realm.lifetimes.access_token
}

#[test]
fn update_realm_swaps_in_an_edited_copy_and_keeps_the_loaded_world() {
    let (app, _) = app();
    let before = app.realm("demo").unwrap().realm;
    app.update_realm("demo", |realm| {
        realm.lifetimes.access_token = 42;
        Ok::<_, RealmUpdateError>(())
    })
    .unwrap();
    assert_eq!(access_lifetime(&app), 42);
    // A snapshot taken before the update is a separate value, not edited under its reader.
    assert_eq!(before.lifetimes.access_token, 300);
    assert_eq!(app.world().realm("demo").unwrap().lifetimes.access_token, 300);
}

#[test]
fn update_realm_refuses_an_invalid_edit_and_keeps_the_live_realm() {
    let (app, _) = app();
    let refused = app.update_realm("demo", |realm| {
        realm.lifetimes.access_token = 42;
        realm.scopes.retain(|scope| scope != "openid");
        Ok::<_, RealmUpdateError>(())
    });
    match refused {
        Err(RealmUpdateError::Invalid(err)) => assert!(err.to_string().contains("openid"), "{err}"),
        other => panic!("expected Invalid, got {other:?}"),
    }
    assert_eq!(access_lifetime(&app), 300);

    let renamed = app.update_realm("demo", |realm| {
        realm.name = "other".into();
        Ok::<_, RealmUpdateError>(())
    });
    assert!(matches!(renamed, Err(RealmUpdateError::Renamed(_))), "{renamed:?}");
    let unknown = app.update_realm("nope", |_| Ok::<_, RealmUpdateError>(()));
    assert!(matches!(unknown, Err(RealmUpdateError::UnknownRealm(_))), "{unknown:?}");

    // The edit's own error comes back unchanged and nothing is swapped in.
    #[derive(Debug)]
    enum EditError {
        Mine,
        Update,
    }
    impl From<RealmUpdateError> for EditError {
        fn from(_: RealmUpdateError) -> EditError {
            EditError::Update
        }
    }
    let mine = app.update_realm("demo", |realm| {
        realm.lifetimes.access_token = 7;
        Err(EditError::Mine)
    });
    assert!(matches!(mine, Err(EditError::Mine)), "{mine:?}");
    assert_eq!(access_lifetime(&app), 300);
    let update = app.update_realm("demo", |realm: &mut Realm| {
        realm.users.clear();
        realm.roles.clear();
        realm.clients.clear();
        realm.lifetimes.login = 0;
        Ok::<_, EditError>(())
    });
    assert!(matches!(update, Err(EditError::Update)), "{update:?}");
}

#[test]
fn updates_republish_discovery_and_reset_restores_the_loaded_realms() {
    let (app, _) = app();
    let scopes_supported = |app: &Arc<App>| -> Vec<String> {
        let published = app.realm("demo").unwrap().published;
        let discovery: Value = serde_json::from_slice(&published.discovery).unwrap();
        serde_json::from_value(discovery["scopes_supported"].clone()).unwrap()
    };
    assert!(!scopes_supported(&app).contains(&"write:messages".to_owned()));
    app.update_realm("demo", |realm| {
        realm.scopes.push("write:messages".into());
        realm.lifetimes.access_token = 42;
        Ok::<_, RealmUpdateError>(())
    })
    .unwrap();
    assert!(scopes_supported(&app).contains(&"write:messages".to_owned()));

    app.reset_realms();
    assert_eq!(access_lifetime(&app), 300);
    assert!(!scopes_supported(&app).contains(&"write:messages".to_owned()));
    assert_eq!(*app.realm("demo").unwrap().realm, *app.world().realm("demo").unwrap());
}

/// Two consistent states of the `demo` realm that differ in two places a token shows: the
/// access-token lifetime (`expires_in`) and the service account's role (in the token's claims).
fn set_state(app: &App, state_b: bool) {
    app.update_realm("demo", |realm| {
        for role in ["role-a", "role-b"] {
            if !realm.roles.iter().any(|held| held == role) {
                realm.roles.push(role.into());
            }
        }
        realm.lifetimes.access_token = if state_b { 200 } else { 100 };
        let client = realm
            .clients
            .get_mut("service")
            .ok_or(RealmUpdateError::UnknownRealm("service".into()))?;
        client.service_account_roles = vec![if state_b { "role-b" } else { "role-a" }.into()];
        Ok::<_, RealmUpdateError>(())
    })
    .unwrap();
}

/// One client-credentials token request through the router: (`expires_in`, role held).
async fn service_token(router: Router, path: &str) -> (u64, &'static str) {
    let basic = STANDARD.encode("service:service-secret");
    let request = Request::post(path)
        .header(header::AUTHORIZATION, format!("Basic {basic}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("grant_type=client_credentials"))
        .unwrap();
    let response = router.oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    let body: Value = serde_json::from_slice(&body).unwrap();
    let token = body["access_token"].as_str().unwrap();
    let payload = token.split('.').nth(1).unwrap();
    let claims = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    let role = match (claims.contains("role-a"), claims.contains("role-b")) {
        (true, false) => "role-a",
        (false, true) => "role-b",
        other => panic!("expected exactly one of role-a/role-b in {claims}: {other:?}"),
    };
    (body["expires_in"].as_u64().unwrap(), role)
}

#[test]
fn token_requests_racing_realm_updates_see_one_consistent_realm() {
    const REQUESTERS: usize = 3;
    const ROUNDS: usize = 60;
    let (app, router) = app();
    set_state(&app, false);
    let url = app.site("demo").url(Endpoint::Token).unwrap();
    let path = url::Url::parse(&url).unwrap().path().to_owned();
    let barrier = Arc::new(Barrier::new(REQUESTERS + 1));
    let requesters: Vec<_> = (0..REQUESTERS)
        .map(|_| {
            let (barrier, router, path) = (barrier.clone(), router.clone(), path.clone());
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                let mut seen = Vec::with_capacity(ROUNDS);
                for _ in 0..ROUNDS {
                    barrier.wait();
                    seen.push(runtime.block_on(service_token(router.clone(), &path)));
                }
                seen
            })
        })
        .collect();
    for round in 0..ROUNDS {
        barrier.wait();
        set_state(&app, round % 2 == 0);
    }
    let mut states = std::collections::BTreeSet::new();
    for requester in requesters {
        for pair in requester.join().unwrap() {
            assert!(
                pair == (100, "role-a") || pair == (200, "role-b"),
                "a token mixed two realm states: {pair:?}"
            );
            states.insert(pair);
        }
    }
    // Both states were served, so the race was real.
    assert_eq!(states.len(), 2, "{states:?}");
}
