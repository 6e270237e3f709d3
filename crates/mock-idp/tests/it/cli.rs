//! The `mock-idp` command line: serve, token, keys, check-config, export; exit codes 0/1/2.

use crate::support::claims as claims_of;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_mock-idp");

fn run(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(BIN).args(args).output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A `mock-idp serve` child, killed on drop.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `mock-idp serve --port 0 …` and returns it with the lines it printed up to the first
/// discovery URL.
fn serve(extra: &[&str]) -> (Server, Vec<String>) {
    let mut child = Command::new(BIN)
        .args(["serve", "--port", "0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let mut lines = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let done = line.trim_start().starts_with("discovery:");
        lines.push(line);
        if done || Instant::now() > deadline {
            break;
        }
    }
    (server, lines)
}

/// A plain HTTP/1.1 GET on loopback: (status, body).
fn http_get(url: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').map(|(h, p)| (h, format!("/{p}"))).unwrap();
    let mut stream = TcpStream::connect(host).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split(' ').nth(1).unwrap().parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn value_after(lines: &[String], label: &str) -> String {
    lines
        .iter()
        .find_map(|line| line.trim_start().strip_prefix(label).map(|rest| rest.trim().to_owned()))
        .unwrap_or_else(|| panic!("no `{label}` in {lines:?}"))
}

#[test]
fn serve_prints_the_issuer_and_serves_discovery_until_killed() {
    let (_server, lines) = serve(&[]);
    let issuer = value_after(&lines, "issuer:");
    let discovery = value_after(&lines, "discovery:");
    assert!(
        issuer.starts_with("http://127.0.0.1:") && issuer.ends_with("/demo"),
        "{issuer}"
    );
    let (status, body) = http_get(&discovery);
    assert_eq!(status, 200);
    let document: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(document["issuer"], issuer.as_str());
}

/// The Python package (python/src/mock_idp/server.py) reads the port `--port 0` picked from this
/// banner: keep its shape (first line `mock-idp listening on ADDR`, then `realm NAME`, `issuer:`,
/// `discovery:` per realm) or change both together.
#[test]
fn serve_banner_names_the_bound_address_first() {
    let (_server, lines) = serve(&["--provider", "keycloak"]);
    let address = lines[0]
        .strip_prefix("mock-idp listening on ")
        .unwrap_or_else(|| panic!("{lines:?}"));
    let port: u16 = address.strip_prefix("127.0.0.1:").unwrap().parse().unwrap();
    assert_ne!(port, 0);
    assert_eq!(lines[1], "realm demo");
    assert_eq!(value_after(&lines, "issuer:"), format!("http://{address}/realms/demo"));
    let (status, _) = http_get(&value_after(&lines, "discovery:"));
    assert_eq!(status, 200);
}

#[test]
fn serve_imitates_the_provider_it_is_told() {
    let (_server, lines) = serve(&["--provider", "ztrust"]);
    let issuer = value_after(&lines, "issuer:");
    assert!(issuer.ends_with("/realms/demo"), "{issuer}");
    let (status, body) = http_get(&format!("{issuer}/protocol/openid-connect/certs"));
    assert_eq!(status, 200, "{body}");
}

fn port_of(lines: &[String]) -> String {
    lines[0].rsplit(':').next().unwrap().to_owned()
}

/// `mock-idp token` gets its token from the server on --port, whatever provider that server
/// imitates (no --provider given): the Keycloak issuer and token shape.
#[test]
fn token_asks_the_running_keycloak_server() {
    let (_server, lines) = serve(&["--provider", "keycloak"]);
    let port = port_of(&lines);
    let (code, stdout, stderr) = run(&["token", "--port", &port, "--user", "alice", "--client", "web-app"]);
    assert_eq!(code, 0, "{stderr}");
    let claims = claims_of(stdout.trim());
    assert_eq!(claims["iss"], format!("http://127.0.0.1:{port}/realms/demo"));
    assert_eq!(claims["sub"], "7f2a1c3e-5b4d-4e6f-8a9b-0c1d2e3f4a5b");
    assert_eq!(claims["typ"], "Bearer", "Keycloak's typ claim: {claims}");
    assert_eq!(claims["azp"], "web-app");
    assert!(claims["realm_access"]["roles"].is_array(), "{claims}");

    let (code, stdout, stderr) = run(&["token", "--port", &port, "--client", "service", "--json"]);
    assert_eq!(code, 0, "{stderr}");
    let body: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert!(body.get("refresh_token").is_none());
    assert!(
        body.get("not-before-policy").is_some(),
        "Keycloak's token response: {body}"
    );
    let claims = claims_of(body["access_token"].as_str().unwrap());
    assert_eq!(claims["iss"], format!("http://127.0.0.1:{port}/realms/demo"));
    assert_eq!(claims["azp"], "service");
}

/// ZITADEL has no password grant: the CLI logs in through the server's login form (code flow
/// with PKCE), and the server knows the (opaque) token it issued: its userinfo answers.
#[test]
fn token_logs_in_through_the_login_form_of_a_zitadel_server() {
    let (_server, lines) = serve(&["--provider", "zitadel"]);
    let port = port_of(&lines);
    let (code, stdout, stderr) = run(&[
        "token", "--port", &port, "--user", "alice", "--client", "web-app", "--json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let body: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let id_claims = claims_of(body["id_token"].as_str().unwrap());
    assert_eq!(id_claims["iss"], format!("http://127.0.0.1:{port}"));
    let access_token = body["access_token"].as_str().unwrap();
    let mut stream = TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
    write!(
        stream,
        "GET /oidc/v1/userinfo HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {access_token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.contains(&format!("\"sub\":\"{}\"", id_claims["sub"].as_str().unwrap())),
        "{response}"
    );
}

/// `serve --config FILE`: the file's provider and mapping rules are served; a flag overrides the
/// file's field; a bad file fails start with one line naming file, line and field.
#[test]
fn serve_reads_a_config_file_and_flags_override_it() {
    let dir = std::env::temp_dir().join(format!("mock-idp-config-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("mock-idp.toml");
    std::fs::write(
        &config,
        "provider = \"keycloak\"\n\n[[mappings]]\nmatch = { client = \"service\" }\nclaims = { tenant = \"acme\" }\n",
    )
    .unwrap();
    let (server, lines) = serve(&["--config", config.to_str().unwrap()]);
    let port = port_of(&lines);
    assert!(value_after(&lines, "issuer:").ends_with("/realms/demo"), "{lines:?}");
    let (code, stdout, stderr) = run(&["token", "--port", &port, "--client", "service"]);
    assert_eq!(code, 0, "{stderr}");
    let claims = claims_of(stdout.trim());
    assert_eq!(claims["tenant"], "acme");
    assert_eq!(claims["iss"], format!("http://127.0.0.1:{port}/realms/demo"));
    drop(server);

    let (code, stdout, stderr) = run(&["check-config", "--config", config.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with(&format!(
            "config {}: provider keycloak, 1 mapping rules\nrealm demo (default)",
            config.display()
        )),
        "{stdout}"
    );

    let (_server, lines) = serve(&["--config", config.to_str().unwrap(), "--provider", "generic"]);
    assert!(!value_after(&lines, "issuer:").contains("/realms/"), "{lines:?}");

    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "provider = \"keycloak\"\n\n[connections]\nidle_timeout = \"soon\"\n",
    )
    .unwrap();
    let (code, _, stderr) = run(&["serve", "--port", "0", "--config", bad.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(run(&["check-config", "--config", bad.to_str().unwrap()]).2, stderr);
    assert_eq!(
        stderr,
        format!(
            "mock-idp: {}:4: connections.idle_timeout: `soon` is not a duration such as \"10s\" or \"500ms\"\n",
            bad.display()
        )
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A server with a public URL of another host under a path prefix (`…/auth`, Keycloak's legacy
/// context path): the CLI given the same public URL finds it on --port and the token carries
/// that issuer.
#[test]
fn token_finds_a_server_under_its_public_url_path() {
    let public_url = "http://idp.test:8443/auth";
    let (_server, lines) = serve(&["--provider", "keycloak", "--public-url", public_url]);
    let port = port_of(&lines);
    assert_eq!(value_after(&lines, "issuer:"), format!("{public_url}/realms/demo"));
    let (code, stdout, stderr) = run(&[
        "token",
        "--port",
        &port,
        "--public-url",
        public_url,
        "--client",
        "service",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(claims_of(stdout.trim())["iss"], format!("{public_url}/realms/demo"));
}

/// `token --keys DIR` / `--fresh-keys` would not change the token (the running server signs
/// it with its own keys): refused in one line with exit 2, before any server is asked. The
/// environment variables stay `serve`'s: a shell exporting MOCK_IDP_KEYS still gets tokens.
#[test]
fn token_refuses_key_flags_since_the_server_signs_the_token() {
    let (_server, lines) = serve(&[]);
    let port = port_of(&lines);
    for flag in [&["--keys", "fixtures/keys"][..], &["--fresh-keys"][..]] {
        let mut args = vec!["token", "--port", &port, "--client", "service"];
        args.extend_from_slice(flag);
        let (code, stdout, stderr) = run(&args);
        assert_eq!(code, 2, "{flag:?}: {stdout}{stderr}");
        assert_eq!(stdout, "");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with(&format!("mock-idp: token {} is refused: ", flag[0])),
            "{stderr}"
        );
    }
    let output = Command::new(BIN)
        .args(["token", "--port", &port, "--client", "service"])
        .env("MOCK_IDP_KEYS", "/nonexistent")
        .env("MOCK_IDP_FRESH_KEYS", "true")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8_lossy(&output.stdout).matches('.').count(), 2);
}

#[test]
fn token_says_so_in_one_line_when_no_server_answers() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port().to_string();
    drop(free);
    let (code, stdout, stderr) = run(&["token", "--port", &port, "--client", "service"]);
    assert_eq!(code, 1);
    assert_eq!(stdout, "");
    assert_eq!(
        stderr,
        format!(
            "mock-idp: no mock-idp server answers on 127.0.0.1:{port} (start one with `mock-idp serve --port {port}`)\n"
        )
    );
}

#[test]
fn token_negative_flags_mint_the_defective_token_asked_for() {
    use base64::Engine;
    let part = |token: &str, index: usize| -> serde_json::Value {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.split('.').nth(index).unwrap())
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    };
    // The running server mints it (admin API), with its own issuer and keys.
    let (_server, lines) = serve(&[]);
    let port = port_of(&lines);
    let (code, stdout, stderr) = run(&[
        "token",
        "--port",
        &port,
        "--user",
        "alice",
        "--client",
        "web-app",
        "--expired",
        "--wrong-audience",
        "--claim",
        "tenant=acme",
        "--claim",
        "level=3",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let token = stdout.trim();
    let claims = part(token, 1);
    let (exp, iat) = (claims["exp"].as_u64().unwrap(), claims["iat"].as_u64().unwrap());
    let now = mock_idp::Clock::now(&mock_idp::SystemClock);
    assert!(exp + 3000 < now && iat < exp, "exp {exp} iat {iat} now {now}");
    assert_eq!(claims["aud"], "wrong-audience");
    assert_eq!(
        (claims["tenant"].clone(), claims["level"].clone()),
        ("acme".into(), 3.into())
    );

    let (code, stdout, stderr) = run(&["token", "--port", &port, "--client", "service", "--alg-none"]);
    assert_eq!(code, 0, "{stderr}");
    let token = stdout.trim();
    assert_eq!(part(token, 0)["alg"], "none");
    assert!(token.ends_with('.'), "{token}");

    let (code, _, stderr) = run(&["token", "--client", "service", "--claim", "oops"]);
    assert_eq!(code, 2, "a usage error: {stderr}");
}

#[test]
fn failures_are_one_line_with_exit_code_1() {
    let (_server, lines) = serve(&[]);
    let port = port_of(&lines);
    let (code, _, stderr) = run(&["token", "--port", &port, "--user", "carol", "--client", "web-app"]);
    assert_eq!(code, 1);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("mock-idp: the server refused the token (409): the Token endpoint answered 400")
            && stderr.contains("disabled"),
        "{stderr}"
    );

    let dir = std::env::temp_dir().join(format!("mock-idp-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let world = dir.join("bad.toml");
    std::fs::write(&world, "[realms.r]\nscopes = [\"openid\"]\nroles = [\"user\"]\n[realms.r.users.u]\nid = \"1\"\npassword = \"p\"\nrealm_roles = [\"root\"]\n").unwrap();
    let (code, _, stderr) = run(&["check-config", "--world", world.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(stderr.contains("bad.toml:7: realms.r.users.u.realm_roles"), "{stderr}");
    let (code, _, stderr) = run(&["serve", "--port", "0", "--world", world.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn usage_errors_exit_with_2() {
    let (code, _, stderr) = run(&["serve", "--provider", "okta"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown provider"), "{stderr}");
    assert_eq!(run(&["no-such-command"]).0, 2);
}

#[test]
fn keys_generate_writes_once_and_refuses_to_overwrite() {
    let dir = std::env::temp_dir().join(format!("mock-idp-keys-cli-{}", std::process::id()));
    let out = dir.to_str().unwrap();
    let (code, stdout, stderr) = run(&["keys", "generate", "--out", out]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.lines().count(), 3);
    for file in ["rsa-2048.pem", "ec-p256.pem", "ed25519.pem"] {
        assert!(dir.join("demo").join(file).exists(), "{file}");
    }
    let (code, _, stderr) = run(&["keys", "generate", "--out", out]);
    assert_eq!(code, 1);
    assert!(stderr.contains("--force"), "{stderr}");
    // A server started on those keys publishes them.
    let (_server, lines) = serve(&["--keys", out]);
    let (status, _) = http_get(&value_after(&lines, "discovery:"));
    assert_eq!(status, 200);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_config_and_export_describe_the_default_world() {
    let (code, stdout, _) = run(&["check-config"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("realm demo (default): 5 clients, 3 users"), "{stdout}");
    let (code, stdout, _) = run(&["export", "keycloak-realm"]);
    assert_eq!(code, 0);
    let realm: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(realm["realm"], "demo");
}

/// Starts `mock-idp serve --port 0 …` with stdin a pipe this test holds; returns the child,
/// the pipe and the base URL from the banner.
fn serve_with_stdin(extra: &[&str]) -> (Server, std::process::ChildStdin, String) {
    let mut child = Command::new(BIN)
        .args(["serve", "--port", "0"])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let address = first
        .trim()
        .strip_prefix("mock-idp listening on ")
        .unwrap_or_else(|| panic!("no banner: {first:?}"))
        .to_owned();
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in stdout.lines() {});
    (Server(child), stdin, address)
}

/// Polls the child for up to `limit`; its exit status if it exited.
fn exited_within(server: &mut Server, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(status) = server.0.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// The Python and npm packages hand `serve` a pipe as stdin and pass `--exit-on-stdin-eof`: a
/// SIGKILLed parent closes the pipe, and the server must not outlive it.
#[test]
fn serve_exits_when_stdin_closes_with_exit_on_stdin_eof() {
    let (mut server, stdin, address) = serve_with_stdin(&["--exit-on-stdin-eof"]);
    let (status, _) = http_get(&format!("http://{address}/demo/.well-known/openid-configuration"));
    assert_eq!(status, 200);
    drop(stdin);
    let status = exited_within(&mut server, Duration::from_secs(10)).expect("serve outlived its stdin");
    assert!(status.success(), "{status}");
    assert!(TcpStream::connect(&address).is_err(), "{address} still answers");
}

/// Data on stdin does not stop the server, and without the flag EOF does not either
/// (`mock-idp serve < /dev/null` in a script keeps serving).
#[test]
fn serve_ignores_stdin_data_and_eof_without_the_flag() {
    let (mut server, mut stdin, address) = serve_with_stdin(&["--exit-on-stdin-eof"]);
    stdin.write_all(b"anything\n").unwrap();
    stdin.flush().unwrap();
    assert!(exited_within(&mut server, Duration::from_millis(300)).is_none());
    let (status, _) = http_get(&format!("http://{address}/demo/.well-known/openid-configuration"));
    assert_eq!(status, 200);

    let (mut plain, stdin, address) = serve_with_stdin(&[]);
    drop(stdin);
    assert!(exited_within(&mut plain, Duration::from_millis(300)).is_none());
    let (status, _) = http_get(&format!("http://{address}/demo/.well-known/openid-configuration"));
    assert_eq!(status, 200);
}

#[test]
fn serve_takes_admin_flags_and_refuses_an_open_admin_api_beyond_loopback() {
    let (code, _, stderr) = run(&["serve", "--port", "0", "--bind", "0.0.0.0", "--admin", "true"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("without a token"), "{stderr}");

    let (_server, lines) = serve(&["--admin-token", "t0k3n", "--request-log-entries", "5"]);
    let address = value_after(&lines, "mock-idp listening on");
    let (status, body) = http_get(&format!("http://{address}/_mock/clock"));
    assert_eq!(status, 401, "{body}");
    let mut stream = TcpStream::connect(&address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        stream,
        "GET /_mock/log HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer t0k3n\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"capacity\":5"), "{response}");

    let (_off, lines) = serve(&["--admin", "false"]);
    let address = value_after(&lines, "mock-idp listening on");
    assert_eq!(http_get(&format!("http://{address}/_mock/clock")).0, 404);
}

#[test]
fn serve_reads_admin_settings_from_the_config_file_and_flags_override_them() {
    let dir = std::env::temp_dir().join(format!("mock-idp-admin-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("config.toml");
    std::fs::write(&file, "[admin]\nenabled = false\n").unwrap();
    let path = file.to_str().unwrap();
    let (_off, lines) = serve(&["--config", path]);
    let address = value_after(&lines, "mock-idp listening on");
    assert_eq!(
        http_get(&format!("http://{address}/_mock/clock")).0,
        404,
        "off by the file"
    );
    let (_on, lines) = serve(&["--config", path, "--admin", "true"]);
    let address = value_after(&lines, "mock-idp listening on");
    assert_eq!(
        http_get(&format!("http://{address}/_mock/clock")).0,
        200,
        "on by the flag"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `mock-idp token` asks the server's admin API for the real grant, so a user and a client
/// created over that API get tokens (the CLI checked them against its own world file before and
/// answered "unknown user"); with the admin API off, it still gets world users their tokens
/// through discovery and the grants.
#[test]
fn token_gets_users_and_clients_created_over_the_admin_api_their_tokens() {
    let (_server, lines) = serve(&["--provider", "keycloak"]);
    let port = port_of(&lines);
    let post = |path: &str, json: &str| {
        let mut stream = TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            stream,
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}",
            json.len()
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response.split(' ').nth(1).unwrap().parse::<u16>().unwrap()
    };
    assert_eq!(
        post("/_mock/realms/demo/users", r#"{"username":"zoe","password":"zoe-pw"}"#),
        201
    );
    assert_eq!(
        post(
            "/_mock/realms/demo/clients",
            r#"{"client_id":"batch","kind":"confidential","secret":"s","grant_types":["client_credentials"]}"#
        ),
        201
    );
    let (code, stdout, stderr) = run(&["token", "--port", &port, "--user", "zoe", "--client", "web-app"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(claims_of(stdout.trim())["preferred_username"], "zoe");
    let (code, stdout, stderr) = run(&["token", "--port", &port, "--client", "batch"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(claims_of(stdout.trim())["azp"], "batch");
    let (code, _, stderr) = run(&["token", "--port", &port, "--user", "nobody", "--client", "web-app"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("422") && stderr.contains("nobody"), "{stderr}");

    let (_off, lines) = serve(&["--provider", "keycloak", "--admin", "false"]);
    let port = port_of(&lines);
    let (code, stdout, stderr) = run(&["token", "--port", &port, "--user", "alice", "--client", "web-app"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(claims_of(stdout.trim())["preferred_username"], "alice");
}
