//! The seed API example, driven with tokens from the mock for each route and outcome.

#[path = "../../examples/seed_api.rs"]
mod seed_api;

use crate::http_app::{bearer, call};
use mock_idp::{MockIdp, TokenSpec};
use std::sync::Arc;
use token_guard::Provider;

const OPAQUE_CLIENT: &str = r#"
[realms.demo.clients.opaque-app]
kind = "confidential"
secret = "opaque-secret"
grant_types = ["client_credentials"]
access_token_format = "opaque"
"#;

async fn start() -> (MockIdp, axum::Router) {
    let text = format!("{}\n{OPAQUE_CLIENT}", include_str!("../../../../fixtures/world.toml"));
    let world = mock_idp::World::from_toml_str(&text, "world+opaque").unwrap();
    let idp = MockIdp::builder().world(world).start().await;
    let guard = seed_api::guard(&idp.issuer(), Provider::Generic, "api", "api", "api-secret")
        .await
        .unwrap();
    let app = seed_api::routes(Arc::new(guard));
    (idp, app)
}

#[tokio::test]
async fn every_route_answers_200_401_and_403_as_the_seeds_do() {
    let (idp, app) = start().await;
    let alice = idp
        .mint(TokenSpec::user("alice").scope("openid read:messages"))
        .unwrap();
    // `read:messages` puts `api` in `aud`; the scope claim is then narrowed to `openid`.
    let for_api = |user: &str| {
        TokenSpec::user(user)
            .scope("openid read:messages")
            .claim("scope", "openid")
    };
    let bob = idp.mint(for_api("bob")).unwrap();
    let expired = idp
        .mint(
            TokenSpec::user("alice")
                .scope("openid read:messages")
                .claim("exp", 1_000_000_000),
        )
        .unwrap();

    assert_eq!(call(&app, "/api/public", &[]).await.0, 200);
    assert_eq!(bearer(&app, "/api/public", "garbage").await.0, 200);

    for route in ["/api/private", "/api/private-scoped", "/api/admin"] {
        let (status, challenge, _) = call(&app, route, &[]).await;
        assert_eq!((status, challenge.as_str()), (401, "Bearer realm=\"api\""), "{route}");
        let (status, challenge, _) = bearer(&app, route, "garbage.token.here").await;
        assert_eq!(status, 401, "{route}");
        assert!(challenge.contains("invalid_token"));
        assert_eq!(bearer(&app, route, &alice).await.0, 200, "{route}");
    }
    assert_eq!(bearer(&app, "/api/private", &bob).await.0, 200);
    let (status, challenge, _) = bearer(&app, "/api/private-scoped", &bob).await;
    assert_eq!(status, 403);
    assert!(challenge.contains("scope=\"read:messages\""));
    assert_eq!(bearer(&app, "/api/admin", &bob).await.0, 403);
    // Generic roles are realm roles: read:messages reaches alice as a scope, admin as a role.
    let alice_no_scope = idp.mint(for_api("alice")).unwrap();
    assert_eq!(bearer(&app, "/api/private-scoped", &alice_no_scope).await.0, 403);
    assert_eq!(bearer(&app, "/api/admin", &alice_no_scope).await.0, 200);
    assert_eq!(bearer(&app, "/api/private", &expired).await.0, 401);
}

#[tokio::test]
async fn opaque_tokens_are_introspected_with_the_api_clients_credentials() {
    let (idp, app) = start().await;
    let opaque = idp
        .mint(TokenSpec::client("opaque-app").scope("read:messages"))
        .unwrap();
    assert!(!opaque.contains('.'), "opaque: {opaque}");
    assert_eq!(bearer(&app, "/api/private", &opaque).await.0, 200);
    assert_eq!(bearer(&app, "/api/private-scoped", &opaque).await.0, 200);
    assert_eq!(bearer(&app, "/api/admin", &opaque).await.0, 403);
    let hits = idp.hits(mock_idp::Endpoint::Introspect);
    assert_eq!(bearer(&app, "/api/private", &opaque).await.0, 200);
    assert_eq!(idp.hits(mock_idp::Endpoint::Introspect), hits, "answer cached");
    assert_eq!(bearer(&app, "/api/private", "unknown-opaque-token").await.0, 401);
}

#[tokio::test]
async fn a_keycloak_client_role_admin_on_api_is_not_the_realm_role_admin() {
    // dave: realm role `user` only, client role `admin` on `api` (so `api` is in his `aud`).
    let world = include_str!("../../../../fixtures/world.toml").replace(
        "roles = [\"read:messages\"]\naudience_scopes",
        "roles = [\"read:messages\", \"admin\"]\naudience_scopes",
    );
    let text = format!(
        "{world}\n{}",
        r#"
[realms.demo.users.dave]
id = "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"
password = "dave-password"
realm_roles = ["user"]
client_roles = { api = ["admin"] }
"#
    );
    let world = mock_idp::World::from_toml_str(&text, "world+dave").unwrap();
    let idp = MockIdp::builder()
        .world(world)
        .provider(Provider::Keycloak)
        .start()
        .await;
    let guard = seed_api::guard(&idp.issuer(), Provider::Keycloak, "api", "api", "api-secret")
        .await
        .unwrap();
    let app = seed_api::routes(Arc::new(guard));
    let dave = idp.token_for("dave", "web-app").await.unwrap().access_token;
    let claims = crate::support::segment(&dave, 1);
    assert_eq!(claims["resource_access"]["api"]["roles"], serde_json::json!(["admin"]));
    assert!(
        !claims["realm_access"]["roles"]
            .as_array()
            .unwrap()
            .contains(&"admin".into())
    );
    assert_eq!(bearer(&app, "/api/private", &dave).await.0, 200);
    let (status, challenge, _) = bearer(&app, "/api/admin", &dave).await;
    assert_eq!(status, 403, "a client role admin is no realm role admin");
    assert!(challenge.contains("insufficient_scope"), "{challenge}");
    let alice = idp.token_for("alice", "web-app").await.unwrap().access_token;
    assert_eq!(
        bearer(&app, "/api/admin", &alice).await.0,
        200,
        "alice holds the realm role"
    );
}
