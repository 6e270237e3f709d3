//! Shared helpers: mock targets with a movable clock, and one-check runs.

use conformance::{Outcome, Run, Runner, Selection, Target};
use mock_idp::{ManualClock, MockIdp, Provider};

/// A mock of `provider` with auto-approval and a frozen clock the target can move.
pub(crate) fn mock(provider: Provider) -> Target {
    let clock = ManualClock::at(1_900_000_000);
    let idp = MockIdp::builder()
        .provider(provider)
        .clock(clock.clone())
        .auto_approve(true)
        .start_blocking();
    Target::from_mock(idp).with_clock(clock)
}

/// A mock of `provider` serving `world`, with auto-approval and a movable frozen clock.
pub(crate) fn mock_with_world(provider: Provider, world: &mock_idp::World) -> Target {
    let clock = ManualClock::at(1_900_000_000);
    let idp = MockIdp::builder()
        .provider(provider)
        .world(world.clone())
        .clock(clock.clone())
        .auto_approve(true)
        .start_blocking();
    Target::from_mock(idp).with_clock(clock)
}

/// `fixtures/worlds/encoded-credentials.toml`: one client whose credentials change under
/// form-urlencoding (check TOK-11).
pub(crate) fn encoded_credentials_world() -> mock_idp::World {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/worlds/encoded-credentials.toml"
    );
    mock_idp::World::load(path).unwrap()
}

/// Runs the checks `ids` against `target`.
pub(crate) async fn run(target: &Target, ids: &[&str]) -> Run {
    let selection = Selection {
        suites: Vec::new(),
        checks: ids.iter().map(|id| (*id).to_owned()).collect(),
    };
    Runner::new(selection).run(target, |_| {}).await.unwrap()
}

/// The outcome of `id` in `run`.
pub(crate) fn outcome<'r>(run: &'r Run, id: &str) -> &'r Outcome {
    &run.result(id).unwrap_or_else(|| panic!("{id} did not run")).outcome
}

/// A hand-made provider on loopback that issues a code for any authorization request and a
/// token for any other request (GET included): what a careless server does. Returns its issuer.
pub(crate) fn careless_server() -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let issuer = base.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let mut length = 0;
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                    break;
                }
                if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = std::io::Read::read_exact(&mut reader, &mut body);
            let target = line.split(' ').nth(1).unwrap_or("/").to_owned();
            let url = url::Url::parse(&format!("{base}{target}")).unwrap();
            let response = if url.path().ends_with("openid-configuration") {
                let doc = serde_json::json!({
                    "issuer": base, "authorization_endpoint": format!("{base}/authorize"), "token_endpoint": format!("{base}/token"),
                    "jwks_uri": format!("{base}/jwks"), "response_types_supported": ["code"],
                });
                format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{doc}")
            } else if url.path() == "/authorize" {
                let param = |name: &str| {
                    url.query_pairs()
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| v.into_owned())
                        .unwrap_or_default()
                };
                let mut location = url::Url::parse(&param("redirect_uri")).unwrap();
                location
                    .query_pairs_mut()
                    .append_pair("code", "careless-code")
                    .append_pair("state", &param("state"));
                format!("HTTP/1.1 302 Found\r\nlocation: {location}\r\nconnection: close\r\n\r\n")
            } else {
                let tokens = r#"{"access_token":"careless","token_type":"Bearer","expires_in":300}"#;
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncache-control: no-store\r\nconnection: close\r\n\r\n{tokens}"
                )
            };
            let _ = stream.write_all(response.as_bytes());
        }
    });
    issuer
}

pub(crate) fn token_exchange_world() -> mock_idp::World {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/worlds/token-exchange.toml");
    mock_idp::World::load(path).unwrap()
}

/// fixtures/worlds/backchannel-logout.toml with its logout URI moved to a port free now (tests
/// run at once; the fixture's fixed port is for one run against a real provider).
pub(crate) fn backchannel_logout_world() -> mock_idp::World {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/worlds/backchannel-logout.toml"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let text = text.replace("127.0.0.1:47391", &format!("127.0.0.1:{port}"));
    assert!(text.contains(&format!(":{port}/")));
    mock_idp::World::from_toml_str(&text, "backchannel-logout.toml").unwrap()
}

/// fixtures/worlds/dpop-nonce.toml: a realm demanding DPoP server nonces.
pub(crate) fn dpop_nonce_world() -> mock_idp::World {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/worlds/dpop-nonce.toml");
    mock_idp::World::load(path).unwrap()
}

/// fixtures/worlds/client-keys.toml: a client registering conformance's assertion key.
pub(crate) fn client_keys_world() -> mock_idp::World {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/worlds/client-keys.toml");
    mock_idp::World::load(path).unwrap()
}
