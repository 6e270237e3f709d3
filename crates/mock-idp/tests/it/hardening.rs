//! Issue 11's request-parsing, connection and safe-default findings, each named after the
//! finding: raw HTTP/1.1 on loopback against an in-process server (or the `serve` binary).

use mock_idp::{Endpoint, MockIdp, Provider};
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const FORM: &str = "application/x-www-form-urlencoded";

/// The path and query of `url` on its server.
fn path_of(url: &str) -> String {
    let rest = url.strip_prefix("http://").unwrap();
    rest.find('/')
        .map(|at| rest[at..].to_owned())
        .unwrap_or_else(|| "/".into())
}

fn connect(idp: &MockIdp) -> TcpStream {
    let stream = TcpStream::connect(idp.address()).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    stream
}

/// A parsed HTTP/1.1 response.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Reads one response (Content-Length bodies only, as the mock sends).
fn read_reply(stream: &mut TcpStream) -> Reply {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let status = line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| {
            panic!("no status line: {line:?}");
        });
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap();
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let length: usize = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .map(|(_, value)| value.parse().unwrap())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).unwrap();
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// Sends raw bytes on a fresh connection, optionally half-closes, reads one response.
fn exchange(idp: &MockIdp, raw: &[u8], half_close: bool) -> Reply {
    let mut stream = connect(idp);
    stream.write_all(raw).unwrap();
    if half_close {
        stream.shutdown(Shutdown::Write).unwrap();
    }
    read_reply(&mut stream)
}

fn post(idp: &MockIdp, endpoint: Endpoint, body: &str) -> Reply {
    let raw = format!(
        "POST {} HTTP/1.1\r\nhost: {}\r\ncontent-type: {FORM}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        path_of(&idp.endpoint(endpoint)),
        idp.address(),
        body.len()
    );
    exchange(idp, raw.as_bytes(), false)
}

fn get(idp: &MockIdp, path: &str, cookie: Option<&str>) -> Reply {
    let cookie = cookie.map(|value| format!("cookie: {value}\r\n")).unwrap_or_default();
    let raw = format!(
        "GET {path} HTTP/1.1\r\nhost: {}\r\n{cookie}connection: close\r\n\r\n",
        idp.address()
    );
    exchange(idp, raw.as_bytes(), false)
}

/// `count` (at most 62³) distinct value-less parameters of three characters after `prefix`:
/// 16,000 of them fit in 63 KiB, under the 64 KiB body limit.
fn many_params(prefix: &str, count: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut body = prefix.to_owned();
    for index in 0..count {
        body.push('&');
        for digit in [index / (62 * 62), index / 62 % 62, index % 62] {
            body.push(char::from(ALPHABET[digit]));
        }
    }
    body
}

/// Waits (at most 20 s) for the server to close `stream`: true when it did.
fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(err) if matches!(err.kind(), ErrorKind::ConnectionReset | ErrorKind::BrokenPipe) => return true,
            Err(_) => return false, // the 20 s read timeout: still open
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn finding_4_form_and_query_parameters_beyond_the_cap_are_refused_with_400() {
    for provider in [
        Provider::Generic,
        Provider::Keycloak,
        Provider::Zitadel,
        Provider::Wso2,
        Provider::AppId,
    ] {
        let idp = MockIdp::builder().provider(provider).start().await;
        // 1,000 parameters are parsed (the request then fails for its own reasons, never 5xx).
        let at_cap = post(
            &idp,
            Endpoint::Token,
            &many_params("grant_type=client_credentials", 999),
        );
        assert!(at_cap.status < 500, "{provider:?}: {at_cap:?}");
        assert!(!at_cap.body.contains("too many parameters"), "{provider:?}: {at_cap:?}");
        for count in [1_000, 16_000] {
            let reply = post(
                &idp,
                Endpoint::Token,
                &many_params("grant_type=client_credentials", count),
            );
            assert_eq!(reply.status, 400, "{provider:?} {count} form parameters: {reply:?}");
            if !reply.body.is_empty() {
                let body: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
                assert_eq!(body["error"], "invalid_request", "{provider:?}: {body}");
            }
        }
        let query = many_params("response_type=code&client_id=web-app", 2_000);
        let path = format!("{}?{query}", path_of(&idp.endpoint(Endpoint::Authorize)));
        let reply = get(&idp, &path, None);
        assert_eq!(reply.status, 400, "{provider:?} query: {reply:?}");
        assert!(
            reply.body.contains("too many parameters"),
            "{provider:?}: {}",
            reply.body
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn finding_7_half_a_request_line_is_closed_after_the_header_read_timeout() {
    let idp = MockIdp::builder()
        .header_read_timeout(Duration::from_millis(300))
        .idle_timeout(Duration::from_secs(60))
        .start()
        .await;
    let mut half_line = connect(&idp);
    half_line.write_all(b"GET /demo/.well-known/openid-conf").unwrap();
    let mut half_header = connect(&idp);
    half_header
        .write_all(b"GET /demo/.well-known/openid-configuration HTTP/1.1\r\nhost: x\r\nx-slow: ")
        .unwrap();
    assert!(closed_by_server(&mut half_line), "a half request line is held open");
    assert!(closed_by_server(&mut half_header), "a half header is held open");
    // A prompt client is unaffected.
    assert_eq!(get(&idp, &path_of(&idp.discovery_url()), None).status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn finding_7_an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let idp = MockIdp::builder()
        .header_read_timeout(Duration::from_secs(60))
        .idle_timeout(Duration::from_millis(300))
        .start()
        .await;
    let mut stream = connect(&idp);
    let request = format!(
        "GET {} HTTP/1.1\r\nhost: {}\r\n\r\n",
        path_of(&idp.discovery_url()),
        idp.address()
    );
    for _ in 0..2 {
        // Back-to-back requests reuse the connection: it is idle only between them.
        stream.write_all(request.as_bytes()).unwrap();
        assert_eq!(read_reply(&mut stream).status, 200);
    }
    assert!(
        closed_by_server(&mut stream),
        "an idle keep-alive connection is held open"
    );
    // A connection that never sends anything is idle too.
    let mut silent = connect(&idp);
    assert!(closed_by_server(&mut silent), "a silent connection is held open");
}

#[tokio::test(flavor = "multi_thread")]
async fn finding_7_connections_over_the_cap_get_503_until_slow_ones_time_out() {
    let idp = MockIdp::builder()
        .max_connections(3)
        .header_read_timeout(Duration::from_millis(500))
        .idle_timeout(Duration::from_secs(60))
        .start()
        .await;
    let mut slow: Vec<TcpStream> = (0..3).map(|_| connect(&idp)).collect();
    for stream in &mut slow {
        stream
            .write_all(b"GET /demo/.well-known/openid-configuration HTTP/1.1\r\n")
            .unwrap();
    }
    // The cap is reached: a fourth connection is answered 503 with Retry-After and closed.
    let refused = get(&idp, &path_of(&idp.discovery_url()), None);
    assert_eq!(refused.status, 503, "{refused:?}");
    assert_eq!(refused.header("retry-after"), Some("1"));
    let body: serde_json::Value = serde_json::from_str(&refused.body).unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");
    // The slow connections lose their slots after the header-read timeout; then requests
    // are served again.
    for stream in &mut slow {
        assert!(closed_by_server(stream), "a slow connection keeps its slot");
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let reply = get(&idp, &path_of(&idp.discovery_url()), None);
        if reply.status == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still refused after the slow ones closed: {reply:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn finding_8_broken_bodies_are_400_invalid_request_and_only_oversized_ones_413() {
    for provider in [
        Provider::Generic,
        Provider::Keycloak,
        Provider::Zitadel,
        Provider::Wso2,
        Provider::AppId,
    ] {
        let idp = MockIdp::builder().provider(provider).start().await;
        let head = |framing: &str| {
            format!(
                "POST {} HTTP/1.1\r\nhost: {}\r\ncontent-type: {FORM}\r\n{framing}\r\n\r\n",
                path_of(&idp.endpoint(Endpoint::Token)),
                idp.address()
            )
        };
        let cases = [
            (
                "malformed chunk size",
                format!("{}zz\r\ngrant_type=x\r\n0\r\n\r\n", head("transfer-encoding: chunked")),
                false,
            ),
            (
                "truncated chunked data",
                format!(
                    "{}40\r\ngrant_type=client_credentials",
                    head("transfer-encoding: chunked")
                ),
                true,
            ),
            (
                "Content-Length larger than the body",
                format!("{}grant_type=client_credentials", head("content-length: 100")),
                true,
            ),
        ];
        for (what, raw, half_close) in cases {
            let reply = exchange(&idp, raw.as_bytes(), half_close);
            assert_eq!(reply.status, 400, "{provider:?} {what}: {reply:?}");
            if !reply.body.is_empty() {
                let body: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
                assert_eq!(body["error"], "invalid_request", "{provider:?} {what}: {body}");
            }
        }
        let oversized = format!("grant_type=client_credentials&pad={}", "x".repeat(70 * 1024));
        assert_eq!(post(&idp, Endpoint::Token, &oversized).status, 413, "{provider:?}");
        let chunked_oversized = format!(
            "{}{:x}\r\n{oversized}\r\n0\r\n\r\n",
            head("transfer-encoding: chunked"),
            oversized.len()
        );
        assert_eq!(
            exchange(&idp, chunked_oversized.as_bytes(), false).status,
            413,
            "{provider:?}"
        );
    }
}

const BIN: &str = env!("CARGO_BIN_EXE_mock-idp");

/// Runs `mock-idp serve --port 0 …` until its first discovery line: (stdout lines, stderr).
fn serve_output(args: &[&str], envs: &[(&str, &str)]) -> (Vec<String>, String) {
    let mut child = Command::new(BIN)
        .args(["serve", "--port", "0"])
        .args(args)
        .env_remove("MOCK_IDP_BIND")
        .env_remove("MOCK_IDP_PUBLIC_URL")
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let done = line.trim_start().starts_with("discovery:");
        lines.push(line);
        if done {
            break;
        }
    }
    let _ = child.kill();
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    let _ = child.wait();
    (lines, stderr)
}

#[test]
fn finding_9_a_wildcard_bind_warns_and_advertises_a_reachable_issuer() {
    for (args, envs) in [
        (vec!["--bind", "0.0.0.0"], vec![]),
        (vec![], vec![("MOCK_IDP_BIND", "0.0.0.0")]),
        (vec!["--bind", "::"], vec![]),
    ] {
        let (lines, stderr) = serve_output(&args, &envs);
        let text = lines
            .iter()
            .filter(|line| line.contains("issuer:") || line.contains("discovery:"))
            .cloned()
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            stderr.contains("WARNING"),
            "{args:?} {envs:?}: no warning in {stderr:?}"
        );
        assert!(stderr.contains("--public-url"), "{stderr}");
        assert!(
            !text.contains("0.0.0.0") && !text.contains("[::]"),
            "{args:?} {envs:?}: {text}"
        );
        let issuer = lines.iter().find(|line| line.contains("issuer:")).unwrap();
        assert!(
            issuer.contains("http://127.0.0.1:") || issuer.contains("http://[::1]:"),
            "{issuer}"
        );
    }
    // With a public URL the issuer uses it; loopback binds print no warning.
    let (lines, stderr) = serve_output(&["--bind", "0.0.0.0", "--public-url", "http://idp.test:8080"], &[]);
    assert!(stderr.contains("WARNING"), "{stderr}");
    assert!(
        lines
            .iter()
            .any(|line| line.contains("issuer:    http://idp.test:8080/demo")),
        "{lines:?}"
    );
    let (_, stderr) = serve_output(&[], &[]);
    assert!(!stderr.contains("WARNING"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn finding_10_the_login_page_refuses_framing_and_sniffing() {
    for provider in [
        Provider::Generic,
        Provider::Keycloak,
        Provider::Zitadel,
        Provider::Wso2,
        Provider::AppId,
    ] {
        let idp = MockIdp::builder().provider(provider).start().await;
        let path = format!(
            "{}?response_type=code&client_id=web-app&redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2Fcallback&scope=openid&state=s&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
            path_of(&idp.endpoint(Endpoint::Authorize))
        );
        let page = get(&idp, &path, None);
        assert_eq!(page.status, 200, "{provider:?}: {page:?}");
        assert!(page.body.contains("<form"), "{provider:?}: not the login page");
        assert_eq!(page.header("x-frame-options"), Some("SAMEORIGIN"), "{provider:?}");
        assert!(
            page.header("content-security-policy")
                .is_some_and(|csp| csp.contains("frame-ancestors 'self'")),
            "{provider:?}: {:?}",
            page.headers
        );
        assert_eq!(page.header("x-content-type-options"), Some("nosniff"), "{provider:?}");
    }
}

/// The authorization request path of `web-app` in `idp`, plus `extra` (already encoded).
fn authorize_path(idp: &MockIdp, extra: &str) -> String {
    format!(
        "{}?response_type=code&client_id=web-app&redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2Fcallback&scope=openid&state=s&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256{extra}",
        path_of(&idp.endpoint(Endpoint::Authorize))
    )
}

/// Whether the browser holding `cookie` still has a session: an authorization request without
/// a login hint is answered with a code instead of the login page.
fn session_alive(idp: &MockIdp, cookie: &str) -> bool {
    let reply = get(idp, &authorize_path(idp, ""), Some(cookie));
    match reply.status {
        302 | 303 => reply
            .header("location")
            .is_some_and(|location| location.contains("code=")),
        _ => false,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn finding_10_logout_with_only_the_session_cookie_asks_where_the_provider_asks() {
    for (provider, asks) in [
        (Provider::Generic, true),
        (Provider::Keycloak, true),
        (Provider::Wso2, true),
        (Provider::Zitadel, false),
        (Provider::AppId, false),
    ] {
        let idp = MockIdp::builder().provider(provider).auto_approve(true).start().await;
        let login = get(&idp, &authorize_path(&idp, "&login_hint=alice"), None);
        let cookie = login
            .header("set-cookie")
            .and_then(|value| value.split(';').next())
            .unwrap_or_else(|| panic!("{provider:?}: no session cookie: {login:?}"))
            .to_owned();
        assert!(session_alive(&idp, &cookie), "{provider:?}");
        let logout_path = path_of(&idp.endpoint(Endpoint::EndSession));
        let reply = get(&idp, &logout_path, Some(&cookie));
        if !asks {
            assert!(
                !session_alive(&idp, &cookie),
                "{provider:?}: the session survived logout"
            );
            continue;
        }
        assert_eq!(reply.status, 200, "{provider:?}: {reply:?}");
        assert!(
            reply.body.contains("<form method=\"post\""),
            "{provider:?}: {}",
            reply.body
        );
        assert_eq!(reply.header("x-frame-options"), Some("SAMEORIGIN"), "{provider:?}");
        assert!(session_alive(&idp, &cookie), "{provider:?}: ended without asking");
        // A forged confirmation (wrong token, or the right one by GET) ends nothing.
        let token = reply
            .body
            .split("name=\"confirm\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .to_owned();
        let forged = format!(
            "POST {logout_path} HTTP/1.1\r\nhost: x\r\ncookie: {cookie}\r\ncontent-type: {FORM}\r\ncontent-length: 9\r\nconnection: close\r\n\r\nconfirm=x"
        );
        assert_eq!(exchange(&idp, forged.as_bytes(), false).status, 200, "{provider:?}");
        get(&idp, &format!("{logout_path}?confirm={token}"), Some(&cookie));
        assert!(
            session_alive(&idp, &cookie),
            "{provider:?}: a forged confirmation ended the session"
        );
        let body = format!("confirm={token}");
        let confirmed = format!(
            "POST {logout_path} HTTP/1.1\r\nhost: x\r\ncookie: {cookie}\r\ncontent-type: {FORM}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let done = exchange(&idp, confirmed.as_bytes(), false);
        assert_eq!(done.status, 200, "{provider:?}: {done:?}");
        assert!(done.body.contains("signed out"), "{provider:?}: {}", done.body);
        assert!(
            !session_alive(&idp, &cookie),
            "{provider:?}: the confirmed logout left the session"
        );
    }
}
