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

/// Every endpoint the provider serves (generic serves all but App ID's profile attributes API).
fn all_endpoints(idp: &MockIdp) -> Vec<String> {
    // An endpoint the flavor does not serve has no URL (the generic flavor has no PAR endpoint).
    Endpoint::ALL
        .iter()
        .map(|endpoint| idp.endpoint(*endpoint))
        .filter(|url| !url.is_empty())
        .collect()
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

/// The status of the one response to `raw` sent on a fresh connection (half-closed after
/// sending when `half_close`), or `None` when the server closed without answering.
fn raw_status(idp: &MockIdp, raw: &[u8], half_close: bool) -> Option<u16> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(idp.address()).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    // The server may answer (and close) before reading everything: a failed write is fine.
    let _ = stream.write_all(raw);
    if half_close {
        let _ = stream.shutdown(std::net::Shutdown::Write);
    }
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    let line = String::from_utf8_lossy(&head);
    line.split(' ').nth(1).and_then(|code| code.parse().ok())
}

/// `count` distinct value-less three-character parameters, `&`-joined.
fn many_params(count: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    (0..count)
        .map(|index| {
            [index / (62 * 62), index / 62 % 62, index % 62]
                .iter()
                .map(|digit| char::from(ALPHABET[*digit]))
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[tokio::test(flavor = "multi_thread")]
async fn every_endpoint_survives_many_parameters_chunked_bodies_and_slow_headers() {
    for provider in [
        Provider::Generic,
        Provider::Keycloak,
        Provider::Zitadel,
        Provider::Wso2,
        Provider::AppId,
    ] {
        let idp = MockIdp::builder()
            .provider(provider)
            .auto_approve(true)
            .header_read_timeout(std::time::Duration::from_millis(300))
            .start()
            .await;
        let before = web_tokens(&idp, "alice", "openid").await;
        // Slow clients hold half a request line and half a header block throughout.
        let mut slow = Vec::new();
        for partial in [
            &b"GET /demo/.well-known/open"[..],
            b"POST /x HTTP/1.1\r\nhost: x\r\ncontent-",
        ] {
            let mut stream = std::net::TcpStream::connect(idp.address()).unwrap();
            std::io::Write::write_all(&mut stream, partial).unwrap();
            slow.push(stream);
        }
        let host = idp.address();
        let endpoints: Vec<String> = Endpoint::ALL
            .iter()
            .map(|endpoint| idp.endpoint(*endpoint))
            .filter(|url| !url.is_empty())
            .collect();
        for url in &endpoints {
            let path = url.strip_prefix(&format!("http://{host}")).unwrap().to_owned();
            let bare = path.split('?').next().unwrap().to_owned();
            let form = |framing: &str| {
                format!(
                    "POST {bare} HTTP/1.1\r\nhost: {host}\r\ncontent-type: {FORM}\r\nauthorization: Basic YXBpOmFwaS1zZWNyZXQ=\r\n{framing}\r\n\r\n"
                )
            };
            let big_form = format!("grant_type=client_credentials&{}", many_params(16_000));
            let cases: Vec<(&str, String, bool)> = vec![
                (
                    "a query of 5,000 parameters",
                    format!(
                        "GET {bare}?{} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n",
                        many_params(5_000)
                    ),
                    false,
                ),
                (
                    "a form of 16,000 parameters",
                    format!(
                        "{}{big_form}",
                        form(&format!("content-length: {}\r\nconnection: close", big_form.len()))
                    ),
                    false,
                ),
                (
                    "a chunked form",
                    format!(
                        "{}1d\r\ngrant_type=client_credentials\r\n0\r\n\r\n",
                        form("transfer-encoding: chunked\r\nconnection: close")
                    ),
                    false,
                ),
                (
                    "a chunk extension and trailer",
                    format!(
                        "{}1d;x=y\r\ngrant_type=client_credentials\r\n0\r\nx-trailer: 1\r\n\r\n",
                        form("transfer-encoding: chunked\r\nconnection: close")
                    ),
                    false,
                ),
                (
                    "a malformed chunk size",
                    format!(
                        "{}zz\r\nab\r\n0\r\n\r\n",
                        form("transfer-encoding: chunked\r\nconnection: close")
                    ),
                    false,
                ),
                (
                    "an overflowing chunk size",
                    format!(
                        "{}ffffffffffffffffff\r\nab\r\n0\r\n\r\n",
                        form("transfer-encoding: chunked\r\nconnection: close")
                    ),
                    false,
                ),
                (
                    "truncated chunked data",
                    format!(
                        "{}40\r\ngrant_type=client_credentials",
                        form("transfer-encoding: chunked")
                    ),
                    true,
                ),
                (
                    "a short Content-Length body",
                    format!("{}grant_type=client_credentials", form("content-length: 500")),
                    true,
                ),
                (
                    "an oversized chunked body",
                    format!(
                        "{}11000\r\n{}\r\n0\r\n\r\n",
                        form("transfer-encoding: chunked\r\nconnection: close"),
                        "a".repeat(0x11000)
                    ),
                    false,
                ),
            ];
            for (what, raw, half_close) in cases {
                let status = raw_status(&idp, raw.as_bytes(), half_close);
                assert!(
                    status.is_some_and(|status| (200..500).contains(&status)),
                    "{provider:?} {bare} {what}: {status:?}"
                );
            }
        }
        // The slow connections were closed by the header-read timeout, not served.
        for mut stream in slow {
            stream
                .set_read_timeout(Some(std::time::Duration::from_secs(20)))
                .unwrap();
            let mut buf = [0u8; 64];
            let closed = matches!(std::io::Read::read(&mut stream, &mut buf), Ok(0) | Err(_));
            assert!(closed, "{provider:?}: a slow connection was held open");
        }
        // Nothing was lost: the earlier grant still works.
        let token = before["access_token"].as_str().unwrap();
        let userinfo = read(
            client()
                .get(idp.endpoint(Endpoint::Userinfo))
                .bearer_auth(token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(userinfo.status, StatusCode::OK, "{provider:?}: {}", userinfo.text);
    }
}
