//! Issue 15: a ZITADEL machine user's personal access token reaches an API through
//! introspection, as in ZITADEL's Python API tutorial (example-api-python3-flask: the API
//! introspects the bearer token with its own client id and secret and serves it when `active`),
//! both through token-guard's `Introspector` and through a plain HTTP client doing what the
//! tutorial's validator does; userinfo answers for the machine user.

use mock_idp::{Endpoint, MockIdp, Provider as IdpProvider};
use providers::World;
use providers::world::DEFAULT_WORLD_TOML;
use serde_json::Value;
use token_guard::{Introspector, InvalidToken, Provider};

const PAT: &str = "pat-of-the-service-machine-user-0123456789abcdef";
const EXPIRED_PAT: &str = "expired-pat-of-the-service-machine-user-0123456789";

async fn zitadel_with_pats() -> MockIdp {
    let toml = format!(
        "{DEFAULT_WORLD_TOML}
[[realms.demo.clients.service.personal_access_tokens]]
token = \"{PAT}\"
issued_at = 1700000000
expires_at = 4102444800

[[realms.demo.clients.service.personal_access_tokens]]
token = \"{EXPIRED_PAT}\"
expires_at = 1000
"
    );
    let world = World::from_toml_str(&toml, "pat-world.toml").unwrap();
    MockIdp::builder()
        .provider(IdpProvider::Zitadel)
        .world(world)
        .start()
        .await
}

#[tokio::test]
async fn a_zitadel_pat_reaches_the_api_through_token_guard_introspection() {
    let idp = zitadel_with_pats().await;
    let project = providers::zitadel::project_id("demo");
    let introspector = Introspector::builder(idp.endpoint(Endpoint::Introspect), "api", "api-secret")
        .provider(Provider::Zitadel)
        .issuer(idp.issuer())
        .audience(project.clone())
        .allow_insecure_http(true)
        .build()
        .unwrap();
    let principal = introspector.introspect(PAT).await.unwrap();
    assert_eq!(principal.subject, providers::zitadel::pat::machine_user_id("service"));
    assert_eq!(principal.expires_at, 4_102_444_800);
    assert!(
        principal.has_scope("openid") && principal.has_scope("profile"),
        "{principal:?}"
    );
    assert!(principal.has_role("reporting"), "{principal:?}");
    assert_eq!(
        introspector.introspect(EXPIRED_PAT).await.unwrap_err(),
        InvalidToken::Inactive
    );
    assert_eq!(
        introspector
            .introspect("not-a-pat-of-anyone-0123456789abcdef")
            .await
            .unwrap_err(),
        InvalidToken::Inactive
    );
}

#[tokio::test]
async fn a_zitadel_pat_introspects_and_reaches_userinfo_over_plain_http() {
    let idp = zitadel_with_pats().await;
    let http = reqwest::Client::new();
    // What the tutorial's ZitadelIntrospectTokenValidator sends: Basic auth of the API app.
    let text = http
        .post(idp.endpoint(Endpoint::Introspect))
        .basic_auth("api", Some("api-secret"))
        .form(&[("token", PAT)])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let body: serde_json::Map<String, Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(body["active"], Value::Bool(true), "{text}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(
        body["aud"],
        serde_json::json!(["api", providers::zitadel::project_id("demo")])
    );
    assert_eq!(body["username"], "service");
    assert!(
        !body.contains_key("client_id"),
        "a PAT belongs to no application: {text}"
    );
    let scope = body["scope"].as_str().unwrap();
    assert!(
        scope.starts_with("openid profile urn:zitadel:iam:user:metadata urn:zitadel:iam:user:resourceowner"),
        "{scope}"
    );
    assert!(scope.contains("urn:zitadel:iam:org:project:role:reporting"), "{scope}");
    let keys: Vec<&String> = body.keys().collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "extra claims: alphabetical members: {text}");

    let userinfo: Value = http
        .get(idp.endpoint(Endpoint::Userinfo))
        .bearer_auth(PAT)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(userinfo["sub"], body["sub"]);
    assert_eq!(userinfo["preferred_username"], "service");
    assert!(userinfo.get(providers::zitadel::ROLES_CLAIM).is_none(), "{userinfo}");

    let expired = http
        .get(idp.endpoint(Endpoint::Userinfo))
        .bearer_auth(EXPIRED_PAT)
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), 401);
}
