//! Malformed input at every endpoint gets an RFC-shaped 4xx, never a 5xx, a panic or lost state.

use crate::support::*;
use mock_idp::{Endpoint, MockIdp, Provider};
use reqwest::header::HeaderValue;
use reqwest::{Method, StatusCode};

const FORM: &str = "application/x-www-form-urlencoded";

/// Bodies that are wrong in some way, with the content type they are sent with.
fn bad_bodies() -> Vec<(&'static str, Option<&'static str>, Vec<u8>)> {
    vec![
        ("bad percent-encoding", Some(FORM), b"grant_type=%zz&token=%ff%fe&client_id=%".to_vec()),
        ("invalid UTF-8", Some(FORM), b"grant_type=\xff\xfe&token=\xc3\x28".to_vec()),
        (
            "duplicate parameters",
            Some(FORM),
            b"grant_type=client_credentials&grant_type=password&token=a&token=b&code=x&code=y&request_id=1&request_id=2".to_vec(),
        ),
        ("huge body", Some(FORM), format!("grant_type=client_credentials&pad={}", "x".repeat(70 * 1024)).into_bytes()),
        ("JSON body", Some("application/json"), br#"{"grant_type": "client_credentials", "token": "#.to_vec()),
        ("no content type", None, b"grant_type=client_credentials&token=x".to_vec()),
        ("multipart claim", Some("multipart/form-data; boundary=zzz"), b"--zzz\r\n\r\n".to_vec()),
        ("binary junk", Some(FORM), (0u8..=255).cycle().take(4096).collect()),
        ("empty", Some(FORM), Vec::new()),
    ]
}

/// Authorization headers that are wrong in some way.
fn bad_authorizations() -> Vec<HeaderValue> {
    vec![
        HeaderValue::from_static("Basic !!!not-base64"),
        HeaderValue::from_static("Basic bm9jb2xvbg=="), // "nocolon"
        HeaderValue::from_static("Basic"),
        HeaderValue::from_static("Bearer"),
        HeaderValue::from_static("Bearer a b c"),
        HeaderValue::from_static("Digest x=1"),
        HeaderValue::from_bytes(b"Bearer \xff\xfe").unwrap(),
        HeaderValue::from_bytes(b"Basic \xc3\x28").unwrap(),
    ]
}

fn assert_shaped(reply: &Reply, what: &str) {
    assert!(
        reply.status.is_client_error() || reply.status.is_success() || reply.status.is_redirection(),
        "{what}: {} {}",
        reply.status,
        reply.text
    );
    if reply.status.is_client_error() && reply.header("content-type") == Some("application/json") {
        let body = reply.json();
        assert!(body["error"].is_string(), "{what}: {body}");
    }
}

fn all_endpoints(idp: &MockIdp) -> Vec<String> {
    Endpoint::ALL.iter().map(|endpoint| idp.endpoint(*endpoint)).collect()
}

#[tokio::test]
async fn every_endpoint_answers_malformed_bodies_with_a_4xx() {
    let idp = MockIdp::start().await;
    for url in all_endpoints(&idp) {
        for (what, content_type, body) in bad_bodies() {
            let mut request = client().post(&url).body(body);
            if let Some(content_type) = content_type {
                request = request.header("content-type", content_type);
            }
            let reply = read(request.send().await.unwrap()).await;
            assert_shaped(&reply, &format!("POST {url} with {what}"));
        }
    }
}

#[tokio::test]
async fn the_form_endpoints_refuse_each_malformed_body_with_an_oauth_error() {
    let idp = MockIdp::start().await;
    for endpoint in [Endpoint::Token, Endpoint::Introspect, Endpoint::Revoke] {
        let url = idp.endpoint(endpoint);
        for (what, content_type, body) in bad_bodies() {
            let mut request = client()
                .post(&url)
                .header("authorization", basic("api", "api-secret"))
                .body(body);
            if let Some(content_type) = content_type {
                request = request.header("content-type", content_type);
            }
            let reply = read(request.send().await.unwrap()).await;
            assert!(
                reply.status.is_client_error(),
                "{endpoint:?} {what}: {} {}",
                reply.status,
                reply.text
            );
            let error = reply.json()["error"].as_str().unwrap_or_default().to_owned();
            assert!(!error.is_empty(), "{endpoint:?} {what}: {}", reply.text);
            if what == "huge body" {
                assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "{endpoint:?}");
            }
        }
    }
}

#[tokio::test]
async fn every_endpoint_answers_bad_authorization_headers_and_methods_with_a_4xx() {
    let idp = MockIdp::start().await;
    for url in all_endpoints(&idp) {
        for authorization in bad_authorizations() {
            for method in [Method::GET, Method::POST] {
                let reply = read(
                    client()
                        .request(method.clone(), &url)
                        .header("authorization", authorization.clone())
                        .header("content-type", FORM)
                        .body("token=x&grant_type=client_credentials")
                        .send()
                        .await
                        .unwrap(),
                )
                .await;
                assert_shaped(&reply, &format!("{method} {url} with {authorization:?}"));
            }
        }
        for method in [Method::PUT, Method::DELETE, Method::PATCH] {
            let reply = read(client().request(method.clone(), &url).send().await.unwrap()).await;
            assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {url}");
            assert_eq!(reply.json()["error"], "invalid_request");
        }
    }
}

#[tokio::test]
async fn malformed_queries_never_break_the_browser_endpoints() {
    let idp = MockIdp::start().await;
    for endpoint in [Endpoint::Authorize, Endpoint::EndSession, Endpoint::Userinfo] {
        for query in [
            "client_id=%zz",
            "client_id=%ff",
            "a=1&a=2",
            "client_id=web-app&client_id=spa",
            "state=%",
        ] {
            let url = format!("{}?{query}", idp.endpoint(endpoint));
            let reply = get(&url).await;
            assert!(reply.status.is_client_error(), "{url}: {} {}", reply.status, reply.text);
        }
        // Odd but well-formed: unknown parameters are ignored, never a server error.
        for query in ["%00=%00", "&&&==&"] {
            let url = format!("{}?{query}", idp.endpoint(endpoint));
            assert_shaped(&get(&url).await, &url);
        }
    }
}

#[tokio::test]
async fn pseudo_random_bodies_never_cause_a_server_error_and_state_survives() {
    let idp = MockIdp::builder().auto_approve(true).start().await;
    let before = web_tokens(&idp, "alice", "openid").await;
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let alphabet = b"=&%+ azAZ09-._~\xff\x00grant_typecodetokenclient_id";
    let urls = all_endpoints(&idp);
    for round in 0..300 {
        let len = (next() % 200) as usize;
        let body: Vec<u8> = (0..len)
            .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
            .collect();
        let url = &urls[round % urls.len()];
        let reply = read(
            client()
                .post(url)
                .header("content-type", FORM)
                .body(body.clone())
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert!(
            !reply.status.is_server_error(),
            "{url} {:?}: {}",
            String::from_utf8_lossy(&body),
            reply.text
        );
    }
    // Nothing was lost: the earlier grant still works.
    assert_eq!(
        introspect(&idp, before["access_token"].as_str().unwrap()).await["active"],
        true
    );
    let refreshed = post_form(
        &token_url(&idp),
        Some(("web-app", "web-app-secret")),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", before["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.text);
    assert_eq!(idp.provider(), Provider::Generic);
}
