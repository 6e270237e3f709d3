//! `mock-idp`: serve a mock OpenID Connect provider, print tokens, manage keys.
//!
//! Exit codes: 0 success, 1 failure (one line on stderr), 2 usage error.

mod live;
mod opt;
mod wire;

use clap::Parser;
use mock_idp::{Config, KeyMaterial, KeySource, MockIdpBuilder, World, WorldSource};
use opt::{Cli, Command};
use std::io::{Read, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MOCK_IDP_LOG").unwrap_or_else(|_| "mock_idp=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let outcome = match cli.command {
        Command::Serve(serve) => run_serve(serve),
        Command::Token(token) => match token.key_flag() {
            Some(flag) => {
                eprintln!(
                    "mock-idp: token {flag} is refused: the running server signs the token with the keys it was started with (give them to `mock-idp serve`)"
                );
                return ExitCode::from(2);
            }
            None => run_token(token),
        },
        Command::Keys(opt::Keys::Generate(generate)) => run_generate(generate),
        Command::CheckConfig(world) => run_check(world),
        Command::Export(export) => run_export(export),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("mock-idp: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The configuration `serve` runs: the config file's (or the defaults), with every flag or
/// environment variable given overriding its field.
fn serve_config(serve: &opt::Serve) -> Result<Config, String> {
    let mut config = match &serve.config {
        Some(path) => Config::load(path).map_err(|err| err.to_string())?,
        None => Config::default(),
    };
    let common = &serve.common;
    if let Some(provider) = common.provider {
        config.provider = provider;
    }
    if let Some(world) = &common.world.world {
        config.world = Some(WorldSource::File(world.clone()));
    }
    if let Some(public_url) = &common.public_url {
        config.public_url = Some(public_url.clone());
    }
    if let Some(dir) = &serve.keys.keys {
        config.keys = KeySource::Dir(dir.clone());
    } else if serve.keys.fresh_keys {
        config.keys = KeySource::Fresh;
    }
    config.auto_approve |= serve.auto_approve;
    if let Some(timeout) = serve.header_read_timeout {
        config.connections.header_read_timeout = timeout;
    }
    if let Some(timeout) = serve.idle_timeout {
        config.connections.idle_timeout = timeout;
    }
    if let Some(max) = serve.max_connections {
        config.connections.max_connections = max as usize;
    }
    if let Some(entries) = serve.max_state_entries {
        config.max_state_entries = Some(entries);
    }
    if let Some(enabled) = serve.admin {
        config.admin.enabled = Some(enabled);
    }
    if let Some(token) = &serve.admin_token {
        config.admin.token = Some(mock_idp::Secret::new(token.clone()));
    }
    if let Some(entries) = serve.request_log_entries {
        config.request_log_entries = Some(entries);
    }
    Ok(config)
}

fn run_serve(serve: opt::Serve) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| format!("cannot start the runtime: {err}"))?;
    let config = serve_config(&serve)?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind((serve.bind, serve.port))
            .await
            .map_err(|err| format!("cannot listen on {}:{}: {err}", serve.bind, serve.port))?;
        if !serve.bind.is_loopback() {
            eprintln!(
                "mock-idp: WARNING: listening on {} is reachable from other machines, and the login page \
signs anyone in as any user without a password; use it only on a trusted network.{}",
                serve.bind,
                if config.public_url.is_none() && serve.bind.is_unspecified() {
                    " Issuers are advertised on a loopback address; pass --public-url with an address \
clients can reach."
                } else {
                    ""
                }
            );
        }
        let builder = MockIdpBuilder::default().config(config);
        let stdin_eof = if serve.exit_on_stdin_eof {
            Some(stdin_closed().map_err(|err| format!("cannot watch stdin: {err}"))?)
        } else {
            None
        };
        let shutdown = async move {
            let stdin_eof = async move {
                match stdin_eof {
                    Some(closed) => {
                        let _ = closed.await;
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                () = stdin_eof => tracing::info!("stdin closed; shutting down"),
            }
        };
        builder
            .serve_until(
                listener,
                |address, info| {
                    println!("mock-idp listening on {address}");
                    for (realm, issuer, discovery) in info.realms() {
                        println!("realm {realm}\n  issuer:    {issuer}\n  discovery: {discovery}");
                    }
                },
                shutdown,
            )
            .await
            .map_err(|err| err.to_string())
    })
}

/// Watches stdin on a thread of its own (reads block) and reports once it reaches end of file
/// or fails: the process that handed the server the pipe is gone. What is read is discarded.
fn stdin_closed() -> std::io::Result<tokio::sync::oneshot::Receiver<()>> {
    let (closed, receiver) = tokio::sync::oneshot::channel();
    std::thread::Builder::new().name("stdin-eof".into()).spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut sink = [0u8; 1024];
        loop {
            match stdin.read(&mut sink) {
                Ok(0) => break,
                Ok(_) => {}
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let _ = closed.send(());
    })?;
    Ok(receiver)
}

fn run_token(token: opt::Token) -> Result<(), String> {
    let defects = token.negative.defects();
    if !defects.is_empty() || !token.negative.claim.is_empty() {
        return run_negative_token(&token, defects);
    }
    let body = match issue_through_admin(&token)? {
        Some(body) => body,
        None => token_through_discovery(&token)?,
    };
    let line = if token.json {
        serde_json::Value::Object(body).to_string()
    } else {
        body.get("access_token")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    // A closed pipe (`| head`) is the reader's choice, not a failure worth a panic.
    let _ = writeln!(std::io::stdout(), "{line}");
    Ok(())
}

/// The path prefix of `--public-url` (its path without the trailing slash), or "".
fn public_path_prefix(token: &opt::Token) -> String {
    token
        .common
        .public_url
        .as_deref()
        .and_then(|url| url::Url::parse(url).ok())
        .map(|url| url.path().trim_end_matches('/').to_owned())
        .unwrap_or_default()
}

/// The token endpoint's answer from the running server's admin API (`POST
/// /_mock/tokens/issue`: its real grants, for users and clients as its realms hold them now,
/// admin-created ones included); `None` when the server has no admin API (admin off, 404), so
/// the caller goes through discovery and the grants itself.
fn issue_through_admin(token: &opt::Token) -> Result<Option<serde_json::Map<String, serde_json::Value>>, String> {
    let address = std::net::SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, token.port));
    let mut request = serde_json::json!({ "client": token.client });
    if let Some(user) = &token.user {
        request["user"] = user.clone().into();
    }
    if let Some(realm) = &token.realm {
        request["realm"] = realm.clone().into();
    }
    let path = format!("{}/_mock/tokens/issue", public_path_prefix(token));
    let reply = wire::post_json(address, &path, request.to_string().as_bytes()).map_err(|err| match err {
        wire::WireError::Connect(_) => format!(
            "no mock-idp server answers on {address} (start one with `mock-idp serve --port {}`)",
            token.port
        ),
        other => other.to_string(),
    })?;
    if reply.status == 404 {
        return Ok(None);
    }
    let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap_or_default();
    match body {
        serde_json::Value::Object(tokens) if reply.status == 200 => Ok(Some(tokens)),
        problem => Err(format!(
            "the server refused the token ({}): {}",
            reply.status,
            problem["detail"].as_str().unwrap_or("no problem detail")
        )),
    }
}

/// The token through the server's discovery document and grants, for a server whose admin API
/// is off: users and clients come from the world file (`--world`).
fn token_through_discovery(token: &opt::Token) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    let world = load_world(&token.common.world)?;
    let realm = token.realm.clone().unwrap_or_else(|| world.default_realm.clone());
    let ask = live::Ask {
        address: std::net::SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, token.port)),
        public_url: token.common.public_url.as_deref(),
        provider: token.common.provider.unwrap_or_default(),
        world: &world,
        realm: &realm,
        client: &token.client,
        user: token.user.as_deref(),
    };
    live::token(&ask)
}

/// `mock-idp token` with negative-token flags or claims: minted directly, shaped as the token
/// endpoint shapes it, then made invalid as asked.
/// A negative token comes from the running server's admin API (`POST /_mock/tokens`), so it
/// carries that server's issuer, keys and claim shapes before its defects.
fn run_negative_token(token: &opt::Token, defects: Vec<mock_idp::TokenDefect>) -> Result<(), String> {
    let address = std::net::SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, token.port));
    let claims: serde_json::Map<String, serde_json::Value> = token.negative.claim.iter().cloned().collect();
    let mut request = serde_json::json!({ "client": token.client, "defects": defects, "claims": claims });
    if let Some(user) = &token.user {
        request["user"] = user.clone().into();
    }
    if let Some(realm) = &token.realm {
        request["realm"] = realm.clone().into();
    }
    let prefix = public_path_prefix(token);
    let reply = wire::post_json(
        address,
        &format!("{prefix}/_mock/tokens"),
        request.to_string().as_bytes(),
    )
    .map_err(|err| match err {
        wire::WireError::Connect(_) => format!(
            "no mock-idp server answers on {address} (start one with `mock-idp serve --port {}`)",
            token.port
        ),
        other => other.to_string(),
    })?;
    let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap_or_default();
    if reply.status != 201 {
        let detail = body["detail"].as_str().unwrap_or("no problem detail");
        return Err(format!("the admin API refused the token: {} {detail}", reply.status));
    }
    let access_token = body["access_token"].as_str().unwrap_or_default();
    if token.json {
        println!("{body}");
    } else {
        println!("{access_token}");
    }
    Ok(())
}

fn load_world(world: &opt::World) -> Result<World, String> {
    match &world.world {
        Some(path) => World::load(path),
        None => World::default_world(),
    }
    .map_err(|err| err.to_string())
}

fn run_generate(generate: opt::Generate) -> Result<(), String> {
    let world = load_world(&generate.world)?;
    for realm in world.realms.keys() {
        let dir = generate.out.join(realm);
        if dir.join("rsa-2048.pem").exists() && !generate.force {
            return Err(format!(
                "{} already holds keys; pass --force to replace them",
                dir.display()
            ));
        }
        let written = KeyMaterial::generate()
            .and_then(|material| material.write_dir(&dir))
            .map_err(|err| err.to_string())?;
        for path in written {
            println!("wrote {}", path.display());
        }
    }
    Ok(())
}

fn run_check(check: opt::Check) -> Result<(), String> {
    let config = match &check.config {
        Some(path) => {
            let config = Config::load(path).map_err(|err| err.to_string())?;
            println!(
                "config {}: provider {}, {} mapping rules",
                path.display(),
                config.provider,
                config.mappings.len()
            );
            Some(config)
        }
        None => None,
    };
    let world = match (&check.world.world, config.and_then(|config| config.world)) {
        (None, Some(source)) => source.load().map_err(|err| err.to_string())?,
        _ => load_world(&check.world)?,
    };
    for (name, realm) in &world.realms {
        println!(
            "realm {name}{}: {} clients, {} users, scopes: {}",
            if *name == world.default_realm { " (default)" } else { "" },
            realm.clients.len(),
            realm.users.len(),
            realm.scopes.join(" ")
        );
    }
    Ok(())
}

fn run_export(export: opt::Export) -> Result<(), String> {
    type Render = fn(&providers::Realm) -> Result<String, String>;
    let keycloak: Render = |realm| {
        serde_json::to_string_pretty(&providers::keycloak::realm_export(realm))
            .map(|text| text + "\n")
            .map_err(|err| err.to_string())
    };
    let zitadel: Render = |realm| Ok(providers::zitadel::setup_notes(realm));
    let wso2: Render = |realm| Ok(providers::wso2::setup_notes(realm));
    let (args, render) = match export {
        opt::Export::KeycloakRealm(args) => (args, keycloak),
        opt::Export::ZitadelSetup(args) => (args, zitadel),
        opt::Export::Wso2Setup(args) => (args, wso2),
    };
    let world = load_world(&args.world)?;
    let name = args.realm.as_deref().unwrap_or(&world.default_realm);
    let realm = world
        .realm(name)
        .ok_or_else(|| format!("the world has no realm `{name}`"))?;
    let text = render(realm)?;
    match &args.out {
        Some(path) => {
            if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|err| format!("{}: {err}", dir.display()))?;
            }
            std::fs::write(path, text).map_err(|err| format!("{}: {err}", path.display()))?;
            println!("wrote {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(())
}
