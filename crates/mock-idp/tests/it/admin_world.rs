//! Users and clients through the admin API (HTTP and Rust), reset, and admin changes racing
//! token requests.

use crate::support::{admin_url, claims, client_credentials, json_of, password_grant};
use mock_idp::{Endpoint, MockIdp, NewUser, UserPatch};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn users_created_changed_disabled_and_deleted_over_http_take_effect_on_the_next_request() {
    let idp = MockIdp::start().await;
    let http = reqwest::Client::new();
    let users = admin_url(&idp, "/realms/demo/users");
    assert_eq!(
        password_grant(&idp, "dave", "dave-pw", "openid email").await.status(),
        StatusCode::BAD_REQUEST
    );

    let (status, created) = json_of(http.post(&users).json(
        &json!({"username": "dave", "password": "dave-pw", "email": "dave@example.com", "realm_roles": ["user"]}),
    ))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(created.get("password").is_none(), "passwords are never shown");
    let token: Value = password_grant(&idp, "dave", "dave-pw", "openid email")
        .await
        .json()
        .await
        .unwrap();
    let access = claims(token["access_token"].as_str().unwrap());
    assert_eq!(access["sub"], created["id"]);
    assert_eq!(
        claims(token["id_token"].as_str().unwrap())["email"],
        json!("dave@example.com")
    );

    let (status, again) = json_of(http.post(&users).json(&json!({"username": "dave", "password": "x"}))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    let (status, bad_role) = json_of(
        http.post(&users)
            .json(&json!({"username": "erin", "password": "x", "realm_roles": ["no-such-role"]})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad_role}");
    assert!(
        bad_role["field"].as_str().unwrap().contains("realm_roles"),
        "{bad_role}"
    );
    let (status, _) = json_of(http.get(admin_url(&idp, "/realms/demo/users/erin"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a refused create leaves nothing behind");

    let dave = admin_url(&idp, "/realms/demo/users/dave");
    let (status, patched) = json_of(
        http.patch(&dave)
            .json(&json!({"password": "new-pw", "email": null, "name": "Dave D"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(
        (patched["email"].clone(), patched["name"].clone()),
        (Value::Null, json!("Dave D"))
    );
    assert_eq!(
        password_grant(&idp, "dave", "dave-pw", "openid email").await.status(),
        StatusCode::BAD_REQUEST
    );
    let token: Value = password_grant(&idp, "dave", "new-pw", "openid email")
        .await
        .json()
        .await
        .unwrap();
    let id_claims = claims(token["id_token"].as_str().unwrap());
    assert!(id_claims.get("email").is_none(), "{id_claims}");

    http.patch(&dave).json(&json!({"enabled": false})).send().await.unwrap();
    assert_eq!(
        password_grant(&idp, "dave", "new-pw", "openid email").await.status(),
        StatusCode::BAD_REQUEST
    );
    let deleted = http.delete(&dave).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let (status, _) = json_of(http.get(&dave)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = json_of(http.get(admin_url(&idp, "/realms/nowhere/users"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, put) = json_of(
        http.put(admin_url(&idp, "/realms/demo/users/bob"))
            .json(&json!({"username": "bob", "password": "bob-2", "realm_roles": ["user", "admin"]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "replaced: {put}");
    assert_eq!(
        put["id"],
        json!("2b8e4d6f-1a3c-4b5d-9e7f-6a8b0c2d4e6f"),
        "the id is kept"
    );
    assert_eq!(put["email"], Value::Null, "replaced whole");
    assert_eq!(
        password_grant(&idp, "bob", "bob-2", "openid email").await.status(),
        StatusCode::OK
    );
    let (status, _) = json_of(
        http.put(admin_url(&idp, "/realms/demo/users/bob"))
            .json(&json!({"username": "robert", "password": "x"})),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the body's username must be the path's"
    );
    let new_user = serde_json::from_value::<NewUser>(json!({"username": "fay", "password": "fay-pw"})).unwrap();
    let (fay, created) = idp.admin().upsert_user("demo", new_user).unwrap();
    assert!(created && !fay.id.is_empty());
    assert_eq!(
        password_grant(&idp, "fay", "fay-pw", "openid email").await.status(),
        StatusCode::OK
    );
    idp.admin().delete_user("demo", "fay").unwrap();
    let listed: Value = json_of(http.get(&users)).await.1;
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice", "bob", "carol"]);
}

#[tokio::test]
async fn clients_created_and_changed_over_http_take_effect_on_the_next_request() {
    let idp = MockIdp::start().await;
    let http = reqwest::Client::new();
    let clients = admin_url(&idp, "/realms/demo/clients");
    let (status, created) = json_of(http.post(&clients).json(
        &json!({"client_id": "batch", "kind": "confidential", "secret": "batch-secret",
                "grant_types": ["client_credentials"], "service_account_roles": ["reporting"]}),
    ))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(created.get("secret").is_none(), "secrets are never shown");
    assert_eq!(
        client_credentials(&idp, "batch", "batch-secret").await.status(),
        StatusCode::OK
    );

    let batch = admin_url(&idp, "/realms/demo/clients/batch");
    let patched = http
        .patch(&batch)
        .json(&json!({"secret": "rotated"}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), StatusCode::OK);
    assert_eq!(
        client_credentials(&idp, "batch", "batch-secret").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let token: Value = client_credentials(&idp, "batch", "rotated").await.json().await.unwrap();
    assert_eq!(token["access_token"].as_str().unwrap().split('.').count(), 3);

    http.patch(&batch)
        .json(&json!({"access_token_format": "opaque"}))
        .send()
        .await
        .unwrap();
    let token: Value = client_credentials(&idp, "batch", "rotated").await.json().await.unwrap();
    assert_eq!(
        token["access_token"].as_str().unwrap().split('.').count(),
        1,
        "opaque now: {token}"
    );

    let (status, problem) = json_of(http.patch(&batch).json(&json!({"grant_types": ["password"]}))).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "service account roles need client_credentials"
    );
    assert!(
        problem["field"].as_str().unwrap().ends_with("service_account_roles"),
        "{problem}"
    );
    let patched = http
        .patch(&batch)
        .json(&json!({"grant_types": ["password"], "service_account_roles": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), StatusCode::OK);
    let refused = client_credentials(&idp, "batch", "rotated").await;
    assert!(
        refused.status().is_client_error(),
        "the grant was taken away: {}",
        refused.status()
    );

    let (status, problem) = json_of(
        http.patch(admin_url(&idp, "/realms/demo/clients/web-app"))
            .json(&json!({"redirect_uris": ["not a url"]})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(
        problem["field"].as_str().unwrap().ends_with("redirect_uris"),
        "{problem}"
    );
    let web = idp.admin().client("demo", "web-app").unwrap();
    assert_eq!(
        web.redirect_uris.len(),
        2,
        "a refused change leaves the client as it was"
    );

    let (status, public_secret) = json_of(
        http.post(&clients)
            .json(&json!({"client_id": "p", "kind": "public", "secret": "s", "grant_types": ["authorization_code"]})),
    )
    .await;
    assert_eq!(
        (status, public_secret["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("secret"))
    );
    let (status, held) = json_of(http.delete(admin_url(&idp, "/realms/demo/clients/api"))).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "alice holds roles api defines: {held}"
    );
    assert_eq!(
        http.delete(&batch).send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        client_credentials(&idp, "batch", "rotated").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn reset_restores_the_world_as_loaded_and_forgets_codes_tokens_and_the_clock() {
    let idp = MockIdp::start().await;
    let http = reqwest::Client::new();
    let token: Value = password_grant(&idp, "alice", "alice-password", "openid email")
        .await
        .json()
        .await
        .unwrap();
    let refresh = token["refresh_token"].as_str().unwrap().to_owned();
    idp.admin().delete_user("demo", "bob").unwrap();
    idp.admin()
        .create_user(
            "demo",
            serde_json::from_value::<NewUser>(json!({"username": "zed", "password": "zed-pw"})).unwrap(),
        )
        .unwrap();
    idp.admin()
        .update_user(
            "demo",
            "alice",
            UserPatch {
                password: Some("changed".into()),
                ..UserPatch::default()
            },
        )
        .unwrap();
    idp.admin().clock().advance(60);
    let jwks_before: Value = json_of(http.get(idp.endpoint(Endpoint::Jwks))).await.1;
    idp.rotate_keys().unwrap();
    idp.set_fault(Endpoint::Userinfo, mock_idp::Fault::Status(503));
    http.get(idp.endpoint(Endpoint::Jwks)).send().await.unwrap();

    let report: Value = json_of(http.post(admin_url(&idp, "/reset"))).await.1;
    let parts: Vec<&str> = report["reset"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    for part in ["realms", "store", "keys", "faults", "clock", "log"] {
        assert!(parts.contains(&part), "{part} in {parts:?}");
    }
    assert_eq!(idp.hits(Endpoint::Jwks), 0, "hit counters restart");
    let jwks_after: Value = json_of(http.get(idp.endpoint(Endpoint::Jwks))).await.1;
    assert_eq!(jwks_after, jwks_before, "the keys as loaded, rotations forgotten");
    let userinfo = http.get(idp.endpoint(Endpoint::Userinfo)).send().await.unwrap();
    assert_eq!(
        userinfo.status(),
        StatusCode::UNAUTHORIZED,
        "the fault is gone (no token: 401, not 503)"
    );
    assert!(idp.admin().user("demo", "bob").is_ok());
    assert!(idp.admin().user("demo", "zed").is_err());
    assert_eq!(
        password_grant(&idp, "alice", "alice-password", "openid email")
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(idp.admin().clock().state().offset_seconds, 0);
    let log = idp.admin().log(&Default::default());
    assert_eq!(log.entries.len(), 3, "only the requests after the reset: {log:?}");
    let refreshed = http
        .post(idp.endpoint(Endpoint::Token))
        .basic_auth("web-app", Some("web-app-secret"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(
        refreshed.status(),
        StatusCode::BAD_REQUEST,
        "refresh tokens from before the reset are forgotten"
    );
}

/// Raw HTTP/1.1 POST from a plain thread (no runtime), `Connection: close`.
fn post(address: std::net::SocketAddr, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    let status = reply.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
    let body = reply
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn path_of(url: &str) -> String {
    let rest = url.strip_prefix("http://").unwrap();
    rest[rest.find('/').unwrap()..].to_owned()
}

#[test]
fn concurrent_admin_changes_racing_token_requests_lose_nothing_and_corrupt_nothing() {
    const ROUNDS: usize = 15;
    const WRITERS: usize = 4;
    const READERS: usize = 4;
    let idp = MockIdp::start_blocking();
    let token_path = path_of(&idp.endpoint(Endpoint::Token));
    let users_path = path_of(&admin_url(&idp, "/realms/demo/users"));
    let emails: Vec<String> = (0..WRITERS).map(|i| format!("alice{i}@example.com")).collect();
    for round in 0..ROUNDS {
        let barrier = std::sync::Barrier::new(2 * WRITERS + READERS);
        std::thread::scope(|scope| {
            let mut tokens = Vec::new();
            for writer in 0..WRITERS {
                let (barrier, idp, users_path, emails) = (&barrier, &idp, &users_path, &emails);
                // Each writer creates a user (over HTTP or in Rust) while a twin changes alice's email.
                scope.spawn(move || {
                    barrier.wait();
                    let name = format!("u{round}x{writer}");
                    if writer % 2 == 0 {
                        let body = json!({"username": name, "password": "pw"}).to_string();
                        let (status, body) = post(
                            idp.address(),
                            users_path,
                            &[("Content-Type", "application/json")],
                            &body,
                        );
                        assert_eq!(status, 201, "{body}");
                    } else {
                        let user = serde_json::from_value(json!({"username": name, "password": "pw"})).unwrap();
                        idp.admin().create_user("demo", user).unwrap();
                    }
                });
                scope.spawn(move || {
                    barrier.wait();
                    let patch = UserPatch {
                        email: Some(Some(emails[writer].clone())),
                        ..UserPatch::default()
                    };
                    idp.admin().update_user("demo", "alice", patch).unwrap();
                });
            }
            for _ in 0..READERS {
                let (barrier, idp, token_path) = (&barrier, &idp, &token_path);
                tokens.push(scope.spawn(move || {
                    barrier.wait();
                    post(
                        idp.address(),
                        token_path,
                        &[
                            ("Content-Type", "application/x-www-form-urlencoded"),
                            ("Authorization", "Basic d2ViLWFwcDp3ZWItYXBwLXNlY3JldA=="),
                        ],
                        "grant_type=password&username=alice&password=alice-password&scope=openid%20email",
                    )
                }));
            }
            for reader in tokens {
                let (status, body) = reader.join().unwrap();
                assert_eq!(status, 200, "round {round}: {body}");
                let token: Value = serde_json::from_str(&body).unwrap();
                let email = claims(token["id_token"].as_str().unwrap())["email"].clone();
                let known = email == json!("alice@example.com") || emails.iter().any(|e| email == json!(e));
                assert!(known, "round {round}: a token carried {email}");
            }
        });
        let users = idp.admin().users("demo").unwrap();
        for writer in 0..WRITERS {
            let name = format!("u{round}x{writer}");
            assert!(
                users.iter().any(|u| u.username == name),
                "round {round}: {name} was lost"
            );
        }
        let alice = idp.admin().user("demo", "alice").unwrap();
        assert!(
            emails.iter().any(|e| alice.email.as_deref() == Some(e.as_str())),
            "{alice:?}"
        );
    }
    assert_eq!(idp.admin().users("demo").unwrap().len(), 3 + ROUNDS * WRITERS);
}

/// A revocation is a promise that the token never works again (RFC 7009 §2.2), and a reset
/// forgets the grants issued before it: neither may bring a token back to life. Failed before
/// the fix: the revoked client-credentials JWT introspected `active: true` after the reset.
#[tokio::test]
async fn a_reset_brings_no_revoked_or_forgotten_token_back_to_life() {
    let idp = MockIdp::start().await;
    let http = reqwest::Client::new();
    let introspect = |token: String| {
        http.post(idp.endpoint(Endpoint::Introspect))
            .basic_auth("api", Some("api-secret"))
            .form(&[("token", token)])
            .send()
    };
    let active = |body: Value| body["active"].as_bool().unwrap();
    let revoked: Value = client_credentials(&idp, "service", "service-secret")
        .await
        .json()
        .await
        .unwrap();
    let revoked = revoked["access_token"].as_str().unwrap().to_owned();
    let kept: Value = client_credentials(&idp, "service", "service-secret")
        .await
        .json()
        .await
        .unwrap();
    let kept = kept["access_token"].as_str().unwrap().to_owned();
    assert_ne!(revoked, kept);
    let user: Value = password_grant(&idp, "alice", "alice-password", "openid email")
        .await
        .json()
        .await
        .unwrap();
    let user = user["access_token"].as_str().unwrap().to_owned();
    let revocation = http
        .post(idp.endpoint(Endpoint::Revoke))
        .basic_auth("service", Some("service-secret"))
        .form(&[("token", revoked.as_str()), ("token_type_hint", "access_token")])
        .send()
        .await
        .unwrap();
    assert_eq!(revocation.status(), StatusCode::OK);
    for (token, expected) in [(&revoked, false), (&kept, true), (&user, true)] {
        let body: Value = introspect(token.clone()).await.unwrap().json().await.unwrap();
        assert_eq!(active(body), expected, "before the reset: {token}");
    }

    idp.admin().reset();

    let body: Value = introspect(revoked.clone()).await.unwrap().json().await.unwrap();
    assert!(!active(body), "a revoked token stays revoked across a reset");
    let body: Value = introspect(user.clone()).await.unwrap().json().await.unwrap();
    assert!(!active(body), "the user's grant was forgotten, so is its access token");
    let body: Value = introspect(kept.clone()).await.unwrap().json().await.unwrap();
    assert!(
        active(body),
        "a self-contained client-credentials JWT nobody revoked is signed by the loaded keys and holds no state"
    );
    let fresh: Value = client_credentials(&idp, "service", "service-secret")
        .await
        .json()
        .await
        .unwrap();
    let body: Value = introspect(fresh["access_token"].as_str().unwrap().to_owned())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(active(body), "tokens issued after the reset work");
}
