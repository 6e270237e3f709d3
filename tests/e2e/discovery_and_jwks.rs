//! Snapshots of every document the mock emits (generic provider), with volatile values redacted:
//! the clock is fixed, the port is replaced, random ids are masked.

use crate::support::*;
use insta::assert_json_snapshot;
use mock_idp::{Endpoint, MockIdp};
use serde_json::{Value, json};

async fn fixed_idp() -> MockIdp {
    fixed(mock_idp::Provider::Generic).await
}

/// Replaces the server's base URL (random port) by a stable one.
fn stable(idp: &MockIdp, value: Value) -> Value {
    stable_as(idp, value, "http://mock-idp")
}

#[tokio::test]
async fn discovery_document() {
    let idp = fixed_idp().await;
    let reply = get(&idp.discovery_url()).await;
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let metadata = get(&idp.endpoint(Endpoint::AuthorizationServerMetadata)).await.json();
    assert_eq!(metadata, reply.json(), "RFC 8414 metadata is the same document");
    assert_json_snapshot!(stable(&idp, reply.json()));
}

#[tokio::test]
async fn discovery_advertises_only_what_is_served() {
    let idp = fixed_idp().await;
    let doc = get(&idp.discovery_url()).await.json();
    assert_eq!(doc["issuer"], idp.issuer());
    for (name, value) in doc.as_object().unwrap() {
        if name.ends_with("_endpoint") || name == "jwks_uri" {
            let url = value.as_str().unwrap();
            let reply = get(url).await;
            assert!(
                reply.status != 404 && !reply.status.is_server_error(),
                "{name} = {url} is advertised but answers {}",
                reply.status
            );
        }
    }
    let jwks = get(doc["jwks_uri"].as_str().unwrap()).await.json();
    let published: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["alg"].as_str().unwrap())
        .collect();
    assert_eq!(doc["id_token_signing_alg_values_supported"], json!(published));
}

#[tokio::test]
async fn jwks_document() {
    let idp = fixed_idp().await;
    let jwks = get(&idp.endpoint(Endpoint::Jwks)).await.json();
    for key in jwks["keys"].as_array().unwrap() {
        assert_eq!(key["use"], "sig");
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(key.get(private).is_none());
        }
    }
    // The embedded keys are deterministic, so the whole set is stable.
    assert_json_snapshot!(jwks);
}

#[tokio::test]
async fn code_flow_token_response_and_claims() {
    let idp = fixed_idp().await;
    let body = web_tokens(&idp, "alice", "openid profile email read:messages").await;
    assert_json_snapshot!("token_response", body, {
        ".access_token" => "[jwt]", ".id_token" => "[jwt]", ".refresh_token" => "[opaque]"
    });
    let access = body["access_token"].as_str().unwrap();
    assert_json_snapshot!("access_token_header", header_of(access), { ".kid" => "[kid]" });
    assert_json_snapshot!("access_token_claims", stable(&idp, claims_of(access)), {
        ".jti" => "[jti]", ".sid" => "[sid]"
    });
    assert_json_snapshot!("id_token_claims", stable(&idp, claims_of(body["id_token"].as_str().unwrap())), {
        ".jti" => "[jti]", ".sid" => "[sid]", ".at_hash" => "[at_hash]"
    });
    assert_json_snapshot!("introspection_active", stable(&idp, introspect(&idp, access).await), { ".jti" => "[jti]" });
    let userinfo = read(
        client()
            .get(idp.endpoint(Endpoint::Userinfo))
            .bearer_auth(access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_json_snapshot!("userinfo", userinfo.json());
}

#[tokio::test]
async fn client_credentials_claims() {
    let idp = fixed_idp().await;
    let reply = post_form(
        &token_url(&idp),
        Some(("service", "service-secret")),
        &[("grant_type", "client_credentials"), ("scope", "read:messages")],
    )
    .await;
    let body = reply.json();
    assert_json_snapshot!("client_credentials_response", body, { ".access_token" => "[jwt]" });
    assert_json_snapshot!("client_credentials_claims", stable(&idp, claims_of(body["access_token"].as_str().unwrap())), {
        ".jti" => "[jti]"
    });
}

#[tokio::test]
async fn error_bodies() {
    let idp = fixed_idp().await;
    let token = token_url(&idp);
    let mut errors = serde_json::Map::new();
    let mut record = |name: &str, reply: Reply| {
        errors.insert(
            name.into(),
            json!({
                "status": reply.status.as_u16(),
                "www_authenticate": reply.header("www-authenticate"),
                "content_type": reply.header("content-type"),
                "body": reply.json(),
            }),
        );
    };
    record(
        "bad_client_secret_basic",
        post_form(&token, Some(("web-app", "x")), &[("grant_type", "password")]).await,
    );
    record(
        "bad_client_secret_post",
        post_form(
            &token,
            None,
            &[
                ("grant_type", "password"),
                ("client_id", "web-app"),
                ("client_secret", "x"),
            ],
        )
        .await,
    );
    record(
        "unknown_client",
        post_form(&token, Some(("ghost", "x")), &[("grant_type", "password")]).await,
    );
    record(
        "unknown_grant_type",
        post_form(&token, Some(("web-app", "web-app-secret")), &[("grant_type", "urn:x")]).await,
    );
    record(
        "unauthorized_grant",
        post_form(
            &token,
            Some(("web-app", "web-app-secret")),
            &[("grant_type", "client_credentials")],
        )
        .await,
    );
    record(
        "invalid_code",
        post_form(
            &token,
            Some(("web-app", "web-app-secret")),
            &[
                ("grant_type", "authorization_code"),
                ("code", "nope"),
                ("redirect_uri", WEB_REDIRECT),
            ],
        )
        .await,
    );
    record(
        "bad_refresh_token",
        post_form(
            &token,
            Some(("web-app", "web-app-secret")),
            &[("grant_type", "refresh_token"), ("refresh_token", "nope")],
        )
        .await,
    );
    record(
        "bad_user_credentials",
        post_form(
            &token,
            Some(("web-app", "web-app-secret")),
            &[("grant_type", "password"), ("username", "alice"), ("password", "x")],
        )
        .await,
    );
    record(
        "missing_parameter",
        post_form(&token, Some(("web-app", "web-app-secret")), &[]).await,
    );
    record("get_on_token", get(&token).await);
    record("userinfo_without_token", get(&idp.endpoint(Endpoint::Userinfo)).await);
    record(
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
    );
    record(
        "introspection_unauthenticated",
        post_form(&idp.endpoint(Endpoint::Introspect), None, &[("token", "x")]).await,
    );
    record("unknown_realm", get(&format!("{}/nope/jwks", idp.uri())).await);
    assert_json_snapshot!(Value::Object(errors));
}
