//! A World that lacks a client role or the user: the checks that need it are skipped with a
//! reason naming the missing World entry, the others still run and pass, and the run exits 0.
//! The provider (the mock, serving the whole default World) is a `url:` target, as a user's own
//! provider would be; only the World handed to the checks has the gap.

use conformance::Capability;
use mock_idp::{MockIdp, Provider};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_idp-conformance");
const DEFAULT_WORLD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/world.toml");

/// The default World without the named clients (and the user's roles on them), or without users.
fn world_without(clients: &[&str], users: bool) -> String {
    let mut world: toml::Table = std::fs::read_to_string(DEFAULT_WORLD).unwrap().parse().unwrap();
    let demo = world["realms"]["demo"].as_table().unwrap().clone();
    let mut demo = demo;
    let table = demo.get_mut("clients").unwrap().as_table_mut().unwrap();
    for client in clients {
        assert!(table.remove(*client).is_some(), "no client {client}");
    }
    let user_table = demo.get_mut("users").unwrap().as_table_mut().unwrap();
    if users {
        user_table.clear();
    } else {
        for (_, user) in user_table.iter_mut() {
            if let Some(roles) = user.get_mut("client_roles").and_then(toml::Value::as_table_mut) {
                roles.retain(|client, _| !clients.contains(&client));
            }
        }
    }
    world["realms"]
        .as_table_mut()
        .unwrap()
        .insert("demo".into(), toml::Value::Table(demo));
    toml::to_string(&world).unwrap()
}

fn run_json(issuer: &str, world: &str) -> (i32, serde_json::Value) {
    let output = Command::new(BIN)
        .args([
            "run",
            "--target",
            &format!("url:{issuer}"),
            "--world",
            world,
            "--format",
            "json",
        ])
        .env_remove("IDP_CONFORMANCE_WORLD")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|err| panic!("{err}: {stdout}{}", String::from_utf8_lossy(&output.stderr)));
    (output.status.code().unwrap_or(-1), report)
}

#[test]
fn checks_needing_a_missing_world_entry_skip_naming_it_and_the_rest_run() {
    let idp = MockIdp::builder()
        .provider(Provider::Generic)
        .auto_approve(true)
        .start_blocking();
    let dir = std::env::temp_dir().join(format!("idp-conformance-gaps-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // (what is removed, the clients removed, whether the users go, the entries the reasons
    // name: each reason names one, each is named)
    let gaps: [(&str, &[&str], bool, &[&str]); 5] = [
        (
            "web client",
            &["web-app"],
            false,
            &["kind = \"confidential\", the authorization_code grant"],
        ),
        ("public client", &["spa"], false, &["kind = \"public\""]),
        (
            "service clients",
            &["service", "api"],
            false,
            &["the client_credentials grant", "introspection = true"],
        ),
        ("introspecting client", &["api"], false, &["introspection = true"]),
        (
            "user",
            &[],
            true,
            &["an enabled [realms.demo.users.<name>] with a password"],
        ),
    ];
    for (gap, clients, users, named) in gaps {
        let world = dir.join(format!("{}.toml", gap.replace(' ', "-")));
        std::fs::write(&world, world_without(clients, users)).unwrap();
        let (code, report) = run_json(&idp.issuer(), world.to_str().unwrap());
        let results = report["results"].as_array().unwrap();
        let failed: Vec<&serde_json::Value> = results.iter().filter(|r| r["status"] == "fail").collect();
        assert!(failed.is_empty(), "without the {gap}: failures {failed:#?}");
        assert_eq!(code, 0, "without the {gap}");
        let skipped: Vec<&serde_json::Value> = results
            .iter()
            .filter(|r| r["status"] == "skip" && r["id"] != "TOK-11")
            // A url: target's keys and clock are not ours to move, whatever the World holds.
            .filter(|r| r["reason"] != Capability::MockControl.skip_reason("demo"))
            // The generic provider has no PAR endpoint, whatever the World holds.
            .filter(|r| r["reason"] != "discovery advertises no `pushed_authorization_request_endpoint`")
            // The default World has no token-exchange client, whatever else it lacks.
            .filter(|r| r["reason"] != Capability::TokenExchange.skip_reason("demo"))
            // Nor a client registering conformance's assertion key.
            .filter(|r| r["reason"] != Capability::KeyedClient.skip_reason("demo"))
            .filter(|r| r["reason"] != Capability::SecretJwtClient.skip_reason("demo"))
            // Nor a client with a back-channel logout URI.
            .filter(|r| r["reason"] != Capability::BackchannelLogout.skip_reason("demo"))
            // Nor a realm demanding DPoP nonces.
            .filter(|r| r["id"] != "DPOP-06")
            .collect();
        assert!(!skipped.is_empty(), "without the {gap} nothing was skipped");
        let reasons: Vec<&str> = skipped.iter().map(|r| r["reason"].as_str().unwrap()).collect();
        for reason in &reasons {
            assert!(reason.starts_with("the World lacks "), "without the {gap}: {reason}");
            assert!(
                named.iter().any(|entry| reason.contains(entry)),
                "without the {gap}: {reason}"
            );
        }
        for entry in named {
            assert!(
                reasons.iter().any(|reason| reason.contains(entry)),
                "without the {gap}: {entry} never named"
            );
        }
        let passed = results.iter().filter(|r| r["status"] == "pass").count();
        assert!(passed >= 10, "without the {gap} only {passed} checks passed");
    }
    std::fs::remove_dir_all(dir).unwrap();
}
