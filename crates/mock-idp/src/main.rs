//! `mock-idp`: serve a mock OpenID Connect provider, print tokens, manage keys.
//!
//! Exit codes: 0 success, 1 failure (one line on stderr), 2 usage error.

mod opt;

use clap::Parser;
use mock_idp::{Config, KeyMaterial, KeySource, MockIdp, MockIdpBuilder, World};
use opt::{Cli, Command, Common};
use std::io::Read;
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
        Command::Token(token) => run_token(token),
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

fn config(common: &Common, public_url: Option<String>, auto_approve: bool) -> Config {
    let keys = match (&common.keys, common.fresh_keys) {
        (Some(dir), _) => KeySource::Dir(dir.clone()),
        (None, true) => KeySource::Fresh,
        (None, false) => KeySource::Embedded,
    };
    Config {
        provider: common.provider,
        world: common.world.world.clone(),
        public_url: common.public_url.clone().or(public_url),
        keys,
        auto_approve,
        context_path: None,
        ..Config::default()
    }
}

fn run_serve(serve: opt::Serve) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| format!("cannot start the runtime: {err}"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind((serve.bind, serve.port))
            .await
            .map_err(|err| format!("cannot listen on {}:{}: {err}", serve.bind, serve.port))?;
        if !serve.bind.is_loopback() {
            eprintln!(
                "mock-idp: WARNING: listening on {} is reachable from other machines, and the login page \
signs anyone in as any user without a password; use it only on a trusted network.{}",
                serve.bind,
                if serve.common.public_url.is_none() && serve.bind.is_unspecified() {
                    " Issuers are advertised on a loopback address; pass --public-url with an address \
clients can reach."
                } else {
                    ""
                }
            );
        }
        let mut builder = MockIdpBuilder::default()
            .config(config(&serve.common, None, serve.auto_approve))
            .header_read_timeout(serve.header_read_timeout)
            .idle_timeout(serve.idle_timeout)
            .max_connections(serve.max_connections as usize);
        if let Some(entries) = serve.max_state_entries {
            builder = builder.max_state_entries(entries);
        }
        builder = admin_settings(builder, &serve);
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

/// The admin API and request-log flags.
fn admin_settings(mut builder: MockIdpBuilder, serve: &opt::Serve) -> MockIdpBuilder {
    if serve.admin.is_some() || serve.admin_token.is_some() {
        builder = builder.admin(mock_idp::AdminConfig {
            enabled: serve.admin,
            token: serve.admin_token.clone().map(mock_idp::Secret::new),
        });
    }
    if let Some(entries) = serve.request_log_entries {
        builder = builder.request_log_entries(entries);
    }
    builder
}

fn run_token(token: opt::Token) -> Result<(), String> {
    let public_url = format!("http://127.0.0.1:{}", token.port);
    let idp = MockIdp::builder()
        .config(config(&token.common, Some(public_url), false))
        .try_start()
        .map_err(|err| err.to_string())?;
    let defects = token.negative.defects();
    if !defects.is_empty() || !token.negative.claim.is_empty() {
        return run_negative_token(&idp, &token, defects);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| err.to_string())?;
    let set = runtime
        .block_on(async {
            match &token.user {
                Some(user) => idp.token_for(user, &token.client).await,
                None => idp.service_token(&token.client).await,
            }
        })
        .map_err(|err| err.to_string())?;
    if token.json {
        let mut body = set.extra.clone();
        body.insert("access_token".into(), set.access_token.clone().into());
        body.insert("token_type".into(), set.token_type.clone().into());
        body.insert("expires_in".into(), set.expires_in.into());
        for (name, value) in [
            ("refresh_token", &set.refresh_token),
            ("id_token", &set.id_token),
            ("scope", &set.scope),
        ] {
            if let Some(value) = value {
                body.insert(name.into(), value.clone().into());
            }
        }
        println!("{}", serde_json::Value::Object(body));
    } else {
        println!("{}", set.access_token);
    }
    Ok(())
}

/// `mock-idp token` with negative-token flags or claims: minted directly, shaped as the token
/// endpoint shapes it, then made invalid as asked.
fn run_negative_token(idp: &MockIdp, token: &opt::Token, defects: Vec<mock_idp::TokenDefect>) -> Result<(), String> {
    let mut spec = match &token.user {
        Some(user) => mock_idp::TokenSpec::user(user.clone()).for_client(token.client.clone()),
        None => mock_idp::TokenSpec::client(token.client.clone()),
    };
    for defect in defects {
        spec = spec.defect(defect);
    }
    for (name, value) in &token.negative.claim {
        spec = spec.claim(name.clone(), value.clone());
    }
    let access_token = idp.mint(spec).map_err(|err| err.to_string())?;
    if token.json {
        println!(
            "{}",
            serde_json::json!({"access_token": access_token, "token_type": "Bearer"})
        );
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

fn run_check(world: opt::World) -> Result<(), String> {
    let world = load_world(&world)?;
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
