//! IBM App ID's custom identity (its JWT bearer grant) over HTTP, as its docs and Node server
//! SDK describe it: an assertion signed by the tenant's custom identity key, `aud` the OAuth
//! server URL (or its host, as the SDK sends), a token for its `sub` with `amr` `appid_custom`.

use crate::support::EcKey;
use mock_idp::{Endpoint, ManualClock, MockIdp, Provider, World};
use serde_json::{Value, json};

const GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const NOW: u64 = 1_800_000_000;

/// The default World plus the custom identity key `key` (kid `c1`) and `server-app`, a client
/// with the grant.
async fn start(key: &EcKey) -> MockIdp {
    let mut jwk = key.public_jwk();
    jwk["kid"] = json!("c1");
    let extra = format!(
        "\n[realms.demo.clients.server-app]\nkind = \"confidential\"\nsecret = \"server-secret\"\n\
         grant_types = [\"jwt_bearer\"]\n\n[realms.demo.identity_providers.custom]\njwks = '{}'\n",
        json!({"keys": [jwk]})
    );
    MockIdp::builder()
        .provider(Provider::AppId)
        .world(World::from_toml_str(&format!("{}{extra}", providers::world::DEFAULT_WORLD_TOML), "c.toml").unwrap())
        .clock(ManualClock::at(NOW))
        .start()
        .await
}

fn assertion(key: &EcKey, aud: &str, edit: impl FnOnce(&mut Value)) -> String {
    let mut claims = json!({"iss": "my-idp.example", "sub": "alice", "aud": aud, "exp": NOW + 60});
    edit(&mut claims);
    key.sign(&json!({"alg": "ES256", "typ": "JOSE", "kid": "c1"}), &claims)
}

async fn grant(idp: &MockIdp, assertion: &str, scope: &str) -> (u16, Value) {
    let (status, body) = crate::support::json_of(
        reqwest::Client::new()
            .post(idp.endpoint(Endpoint::Token))
            .basic_auth("server-app", Some("server-secret"))
            .form(&[("grant_type", GRANT), ("assertion", assertion), ("scope", scope)]),
    )
    .await;
    (status.as_u16(), body)
}

#[tokio::test]
async fn a_custom_identity_gets_tokens_for_its_subject() {
    let key = EcKey::new();
    let idp = start(&key).await;
    let issuer = idp.issuer();
    let doc: Value = reqwest::get(idp.endpoint(Endpoint::Discovery))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["grant_types_supported"].as_array().unwrap().contains(&json!(GRANT)));
    let (status, body) = grant(&idp, &assertion(&key, &issuer, |_| ()), "openid").await;
    assert_eq!(status, 200, "{body}");
    let id_token = crate::support::claims(body["id_token"].as_str().unwrap());
    assert_eq!(id_token["amr"], json!(["appid_custom"]));
    assert_eq!(id_token["identities"][0]["provider"], "appid_custom");
    let access = crate::support::claims(body["access_token"].as_str().unwrap());
    assert_eq!(access["amr"], json!(["appid_custom"]));
    // The Node SDK names the OAuth server's host only; a subject the World does not know.
    let host = url::Url::parse(&issuer).unwrap();
    let host = format!("{}:{}", host.host_str().unwrap(), host.port().unwrap());
    let (status, body) = grant(&idp, &assertion(&key, &host, |c| c["sub"] = json!("ext-42")), "openid").await;
    assert_eq!(status, 200, "{body}");
    let access = crate::support::claims(body["access_token"].as_str().unwrap());
    assert_eq!(
        (access["sub"].as_str(), access["amr"].clone()),
        (Some("ext-42"), json!(["appid_custom"]))
    );
    assert!(body.get("id_token").is_none(), "{body}");
}

#[tokio::test]
async fn a_custom_identity_is_refused_without_the_key_the_audience_or_time() {
    let key = EcKey::new();
    let idp = start(&key).await;
    let issuer = idp.issuer();
    for (case, assertion) in [
        ("another key", assertion(&EcKey::new(), &issuer, |_| ())),
        ("another audience", assertion(&key, "https://elsewhere.example", |_| ())),
        ("expired", assertion(&key, &issuer, |c| c["exp"] = json!(NOW - 1))),
        ("no sub", assertion(&key, &issuer, |c| c["sub"] = json!(""))),
        ("not a JWT", "not-a-jwt".to_owned()),
    ] {
        let (status, body) = grant(&idp, &assertion, "openid").await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant")),
            "{case}: {body}"
        );
    }
}
