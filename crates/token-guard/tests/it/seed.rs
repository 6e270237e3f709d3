//! The seed API example, driven with tokens from the mock for each route and outcome.

#[path = "../../examples/seed_api.rs"]
pub(crate) mod seed_api;

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

// ---- The seed API against every flavor of the mock ------------------------------------------

const PROTECTED: [&str; 3] = ["/api/private", "/api/private-scoped", "/api/admin"];

/// The default world with `web-app` issuing JWT access tokens (ZITADEL and WSO2 issue opaque
/// ones unless the application says otherwise).
fn jwt_web_app_world() -> mock_idp::World {
    let text = include_str!("../../../../fixtures/world.toml").replacen(
        "pkce = \"optional\"",
        "pkce = \"optional\"\naccess_token_format = \"jwt\"",
        1,
    );
    mock_idp::World::from_toml_str(&text, "world+jwt-web-app").unwrap()
}

/// The seed API configured for `idp` exactly as its environment variables would configure it:
/// `ISSUER` = the mock's issuer, `PROVIDER` = the flavor's name, `AUDIENCE` = `audience`, the
/// introspection client defaulting to `api`/`api-secret`.
async fn seed_for(idp: &MockIdp, audience: &str) -> axum::Router {
    let vars = [
        ("ISSUER", idp.issuer()),
        ("PROVIDER", idp.provider().name().to_owned()),
        ("AUDIENCE", audience.to_owned()),
    ];
    let config = seed_api::Config::from_vars(|name| {
        vars.iter()
            .find(|(var, _)| *var == name)
            .map(|(_, value)| value.clone())
    })
    .unwrap();
    assert_eq!((config.client_id.as_str(), config.port), ("api", 5000));
    assert_eq!(config.client_secret.expose(), "api-secret");
    assert!(
        !format!("{config:?}").contains("api-secret"),
        "the secret shows in {config:?}"
    );
    seed_api::routes(Arc::new(config.guard().await.unwrap()))
}

/// `/api/public` needs nothing; every protected route answers 401 without a token and for a
/// garbage one, JWT-shaped or opaque.
async fn refuses_missing_and_garbage_tokens(app: &axum::Router) {
    assert_eq!(call(app, "/api/public", &[]).await.0, 200);
    for route in PROTECTED {
        let (status, challenge, _) = call(app, route, &[]).await;
        assert_eq!(status, 401, "{route} without a token");
        assert!(challenge.starts_with("Bearer realm="), "{challenge}");
        assert!(!challenge.contains("error="), "no error without a token: {challenge}");
        for garbage in ["garbage.token.here", "unknown-opaque-token"] {
            let (status, challenge, _) = bearer(app, route, garbage).await;
            assert_eq!(status, 401, "{route} with {garbage}");
            assert!(challenge.contains("invalid_token"), "{challenge}");
        }
    }
}

/// Asserts the status of `/api/private`, `/api/private-scoped` and `/api/admin` for `token`.
async fn expect(app: &axum::Router, who: &str, token: &str, statuses: [u16; 3]) {
    for (route, want) in PROTECTED.into_iter().zip(statuses) {
        let (status, challenge, body) = bearer(app, route, token).await;
        assert_eq!(status, want, "{who} at {route}: {challenge} {body}");
        match want {
            403 => assert!(challenge.contains("insufficient_scope"), "{challenge}"),
            401 => assert!(challenge.contains("invalid_token"), "{challenge}"),
            _ => {}
        }
    }
}

fn user_token(idp: &MockIdp, user: &str, scope: &str) -> String {
    idp.mint(TokenSpec::user(user).for_client("web-app").scope(scope))
        .unwrap()
}

#[tokio::test]
async fn seed_api_against_the_keycloak_flavor() {
    let idp = MockIdp::builder().provider(Provider::Keycloak).start().await;
    let app = seed_for(&idp, "api").await;
    refuses_missing_and_garbage_tokens(&app).await;

    let alice = idp.token_for("alice", "web-app").await.unwrap();
    let access = alice.access_token;
    assert_eq!(crate::support::segment(&access, 0)["typ"], "JWT");
    assert_eq!(crate::support::segment(&access, 1)["typ"], "Bearer");
    expect(&app, "alice", &access, [200, 200, 200]).await;
    // Her client role read:messages on `api` (not a scope) opens /api/private-scoped.
    let alice_openid = user_token(&idp, "alice", "openid");
    assert_eq!(
        crate::support::segment(&alice_openid, 1)["aud"],
        serde_json::json!(["api", "account"])
    );
    expect(&app, "alice (client role)", &alice_openid, [200, 200, 200]).await;
    // The ID token is signed with the same keys but is no access token.
    let id_token = alice.id_token.unwrap();
    assert_eq!(bearer(&app, "/api/private", &id_token).await.0, 401);

    // bob granted read:messages: `api` in `aud`, the scope, no realm role admin.
    let bob = user_token(&idp, "bob", "openid read:messages");
    expect(&app, "bob with read:messages", &bob, [200, 200, 403]).await;
    // `api` in `aud` (as an Audience mapper would put it) but neither the role nor the scope.
    let bob_mapped = idp
        .mint(
            TokenSpec::user("bob")
                .for_client("web-app")
                .scope("openid read:messages")
                .claim("scope", "openid email profile"),
        )
        .unwrap();
    expect(&app, "bob (audience mapper)", &bob_mapped, [200, 403, 403]).await;
    // Without an `api` role or scope Keycloak names only `account`: not a token for this API.
    let bob_account = user_token(&idp, "bob", "openid");
    assert_eq!(crate::support::segment(&bob_account, 1)["aud"], "account");
    expect(&app, "bob (aud account)", &bob_account, [401, 401, 401]).await;
    let service = idp.service_token("service").await.unwrap().access_token;
    expect(&app, "service (aud account)", &service, [401, 401, 401]).await;
}

#[tokio::test]
async fn seed_api_against_the_zitadel_flavor_introspects_opaque_tokens() {
    let idp = MockIdp::builder().provider(Provider::Zitadel).start().await;
    let project = Provider::Zitadel.quirks().resource_audience("demo", "api");
    let app = seed_for(&idp, &project).await;
    assert_eq!(idp.issuer(), format!("http://{}", idp.address()), "no path");
    refuses_missing_and_garbage_tokens(&app).await;

    let alice = idp.token_for("alice", "web-app").await.unwrap().access_token;
    assert!(!alice.contains('.'), "opaque: {alice}");
    let hits = idp.hits(mock_idp::Endpoint::Introspect);
    expect(&app, "alice", &alice, [200, 200, 200]).await;
    assert!(idp.hits(mock_idp::Endpoint::Introspect) > hits, "introspected");
    let bob = user_token(&idp, "bob", "openid");
    expect(&app, "bob", &bob, [200, 403, 403]).await;
    let bob_scoped = user_token(&idp, "bob", "openid read:messages");
    expect(&app, "bob with read:messages", &bob_scoped, [200, 200, 403]).await;
    let service = idp.service_token("service").await.unwrap().access_token;
    expect(&app, "service", &service, [200, 403, 403]).await;
}

#[tokio::test]
async fn seed_api_against_the_zitadel_flavor_with_jwt_access_tokens() {
    let idp = MockIdp::builder()
        .world(jwt_web_app_world())
        .provider(Provider::Zitadel)
        .start()
        .await;
    let app = seed_for(&idp, &Provider::Zitadel.quirks().resource_audience("demo", "api")).await;
    let alice = idp.token_for("alice", "web-app").await.unwrap().access_token;
    assert_eq!(crate::support::segment(&alice, 1)["iss"], idp.issuer().as_str());
    let hits = idp.hits(mock_idp::Endpoint::Introspect);
    // ZITADEL JWTs carry no `scope`: read:messages reaches alice as a project role.
    expect(&app, "alice", &alice, [200, 200, 200]).await;
    let bob = user_token(&idp, "bob", "openid");
    expect(&app, "bob", &bob, [200, 403, 403]).await;
    assert_eq!(
        idp.hits(mock_idp::Endpoint::Introspect),
        hits,
        "JWTs are not introspected"
    );
}

#[tokio::test]
async fn seed_api_against_the_wso2_flavor_introspects_opaque_tokens() {
    let idp = MockIdp::builder().provider(Provider::Wso2).start().await;
    let app = seed_for(&idp, "api").await;
    assert!(idp.issuer().ends_with("/oauth2/token"));
    refuses_missing_and_garbage_tokens(&app).await;

    let alice = idp.token_for("alice", "web-app").await.unwrap().access_token;
    assert!(!alice.contains('.'), "opaque: {alice}");
    // WSO2's introspection answer has the scopes but no roles: /api/admin needs JWTs.
    expect(&app, "alice", &alice, [200, 200, 403]).await;
    // The answer names the token's audience (WSO2 adds `aud` for opaque tokens): without
    // read:messages it is only the client, not a token for this API, as with JWTs below.
    let bob = user_token(&idp, "bob", "openid");
    expect(&app, "bob (aud web-app)", &bob, [401, 401, 401]).await;
    let bob_scoped = user_token(&idp, "bob", "openid read:messages");
    expect(&app, "bob with read:messages", &bob_scoped, [200, 200, 403]).await;
}

#[tokio::test]
async fn seed_api_against_the_wso2_flavor_with_jwt_access_tokens() {
    let idp = MockIdp::builder()
        .world(jwt_web_app_world())
        .provider(Provider::Wso2)
        .start()
        .await;
    let app = seed_for(&idp, "api").await;
    let alice = idp.token_for("alice", "web-app").await.unwrap().access_token;
    assert_eq!(crate::support::segment(&alice, 0)["typ"], "at+jwt");
    expect(&app, "alice", &alice, [200, 200, 200]).await;
    let bob = user_token(&idp, "bob", "openid read:messages");
    expect(&app, "bob with read:messages", &bob, [200, 200, 403]).await;
    // Without read:messages `aud` is only the client: not a token for this API.
    let bob_openid = user_token(&idp, "bob", "openid");
    expect(&app, "bob (aud web-app)", &bob_openid, [401, 401, 401]).await;
}

#[tokio::test]
async fn seed_api_against_the_appid_flavor() {
    let idp = MockIdp::builder().provider(Provider::AppId).start().await;
    let app = seed_for(&idp, "api").await;
    refuses_missing_and_garbage_tokens(&app).await;

    let alice = idp.token_for("alice", "web-app").await.unwrap().access_token;
    assert_eq!(crate::support::segment(&alice, 0)["ver"], 4, "numeric ver header");
    assert!(crate::support::segment(&alice, 1).get("jti").is_none());
    expect(&app, "alice", &alice, [200, 200, 200]).await;
    let bob = user_token(&idp, "bob", "openid read:messages");
    expect(&app, "bob with read:messages", &bob, [200, 200, 403]).await;
    let bob_unscoped = idp
        .mint(
            TokenSpec::user("bob")
                .for_client("web-app")
                .scope("openid read:messages")
                .claim("scope", "openid appid_default"),
        )
        .unwrap();
    expect(&app, "bob without the scope", &bob_unscoped, [200, 403, 403]).await;
    let bob_openid = user_token(&idp, "bob", "openid");
    expect(&app, "bob (aud web-app)", &bob_openid, [401, 401, 401]).await;
}
