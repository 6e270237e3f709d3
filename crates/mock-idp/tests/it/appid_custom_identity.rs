//! IBM App ID's custom identity (its JWT bearer grant) over HTTP, as its docs and Node server
//! SDK describe it: an assertion signed by the tenant's custom identity key, `aud` the OAuth
//! server URL (or its host, as the SDK sends), tokens of an App ID profile for its `sub` with
//! `amr` `appid_custom` and the assertion's normalized claims in the ID token.

use crate::support::EcKey;
use mock_idp::{Endpoint, MockIdp, Provider};
use serde_json::{Value, json};

const GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const NOW: u64 = 1_800_000_000;

/// The default World plus the custom identity key `key` (kid `c1`) and `server-app`, a client
/// with the grant.
async fn start(key: &EcKey) -> MockIdp {
    let extra = format!(
        "\n[realms.demo.clients.server-app]\nkind = \"confidential\"\nsecret = \"server-secret\"\n\
         grant_types = [\"jwt_bearer\"]\n\n[realms.demo.identity_providers.custom]\njwks = '{}'\n",
        crate::support::jwks_of(key, "c1")
    );
    crate::support::with_extra_world(Provider::AppId, &extra, NOW).await
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
    // alice of the World: her profile id is `sub`; the identity is the assertion's `sub`.
    assert_eq!(
        id_token["identities"],
        json!([{"provider": "appid_custom", "id": "alice"}])
    );
    assert_eq!(id_token["sub"], "7f2a1c3e-5b4d-4e6f-8a9b-0c1d2e3f4a5b");
    let access = crate::support::claims(body["access_token"].as_str().unwrap());
    assert_eq!(access["amr"], json!(["appid_custom"]));
    // The Node SDK names the OAuth server's host only; a subject the World does not know gets
    // an App ID profile of its own, the same for every assertion naming it, and the
    // assertion's normalized claims (only those) in the ID token.
    let host = url::Url::parse(&issuer).unwrap();
    let host = format!("{}:{}", host.host_str().unwrap(), host.port().unwrap());
    let stranger = |key: &EcKey| {
        assertion(key, &host, |c| {
            c["sub"] = json!("ext-42");
            c["name"] = json!("Ext Ernal");
            c["email"] = json!("ext@partner.example");
            c["locale"] = json!("de-DE");
            c["picture"] = json!("https://partner.example/ext.png");
            c["gender"] = json!("female");
            c["role"] = json!("admin");
        })
    };
    let (status, body) = grant(&idp, &stranger(&key), "openid").await;
    assert_eq!(status, 200, "{body}");
    let access = crate::support::claims(body["access_token"].as_str().unwrap());
    let profile = access["sub"].as_str().unwrap().to_owned();
    assert_ne!(profile, "ext-42");
    assert_eq!(access["amr"], json!(["appid_custom"]));
    let id_token = crate::support::claims(body["id_token"].as_str().unwrap());
    assert_eq!(id_token["sub"], json!(profile));
    assert_eq!(
        id_token["identities"],
        json!([{"provider": "appid_custom", "id": "ext-42"}])
    );
    for (name, value) in [
        ("name", "Ext Ernal"),
        ("email", "ext@partner.example"),
        ("locale", "de-DE"),
        ("picture", "https://partner.example/ext.png"),
        ("gender", "female"),
    ] {
        assert_eq!(id_token[name], value, "{name}");
    }
    assert!(id_token.get("role").is_none(), "a custom claim is not a normalized one");
    let (_, again) = grant(&idp, &stranger(&key), "openid").await;
    let again = crate::support::claims(again["access_token"].as_str().unwrap());
    assert_eq!(again["sub"], json!(profile), "the same profile");
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
