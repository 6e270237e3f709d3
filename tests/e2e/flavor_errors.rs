//! Each flavor's error table, snapshotted: the same situations provoked against every provider
//! (bad client secret, unknown client, unknown grant type, invalid code, bad refresh token, bad
//! user credentials, userinfo without and with a bad token, unauthenticated introspection).

use crate::support::*;
use insta::assert_json_snapshot;
use mock_idp::{Endpoint, MockIdp, Provider};
use serde_json::{Map, Value, json};

fn describe(reply: &Reply) -> Value {
    let body = if reply.text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&reply.text).unwrap_or_else(|_| Value::String(reply.text.clone()))
    };
    json!({
        "status": reply.status.as_u16(),
        "content_type": reply.header("content-type"),
        "www_authenticate": reply.header("www-authenticate"),
        "body": body,
    })
}

async fn error_table(provider: Provider) -> Value {
    let idp = MockIdp::builder().provider(provider).start().await;
    let token = idp.endpoint(Endpoint::Token);
    let web = Some(("web-app", "web-app-secret"));
    let mut table = Map::new();
    let cases: Vec<(&str, Reply)> = vec![
        (
            "bad_client_secret",
            post_form(
                &token,
                Some(("service", "wrong")),
                &[("grant_type", "client_credentials")],
            )
            .await,
        ),
        (
            "unknown_client",
            post_form(&token, Some(("ghost", "x")), &[("grant_type", "client_credentials")]).await,
        ),
        (
            "unknown_grant_type",
            post_form(&token, web, &[("grant_type", "urn:example:unknown")]).await,
        ),
        (
            "invalid_code",
            post_form(
                &token,
                web,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", "nope"),
                    ("redirect_uri", WEB_REDIRECT),
                ],
            )
            .await,
        ),
        (
            "bad_refresh_token",
            post_form(
                &token,
                web,
                &[("grant_type", "refresh_token"), ("refresh_token", "nope")],
            )
            .await,
        ),
        (
            "bad_user_credentials",
            post_form(
                &token,
                web,
                &[("grant_type", "password"), ("username", "alice"), ("password", "wrong")],
            )
            .await,
        ),
        ("userinfo_without_token", get(&idp.endpoint(Endpoint::Userinfo)).await),
        (
            "userinfo_bad_token",
            read(
                client()
                    .get(idp.endpoint(Endpoint::Userinfo))
                    .bearer_auth("nope")
                    .send()
                    .await
                    .unwrap(),
            )
            .await,
        ),
        (
            "introspection_unauthenticated",
            post_form(&idp.endpoint(Endpoint::Introspect), None, &[("token", "x")]).await,
        ),
    ];
    for (name, reply) in cases {
        assert!(
            reply.status.is_client_error(),
            "{provider} {name}: {} {}",
            reply.status,
            reply.text
        );
        table.insert(name.into(), describe(&reply));
    }
    Value::Object(table)
}

#[tokio::test]
async fn every_flavor_has_its_own_error_table() {
    for provider in Provider::ALL {
        let table = error_table(provider).await;
        insta::with_settings!({ snapshot_suffix => provider.name() }, {
            assert_json_snapshot!("error_table", table);
        });
    }
}
