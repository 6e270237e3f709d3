//! Command-line options of `idp-conformance`.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Conformance checks against the mock in every flavor or any issuer URL.
///
/// Exit codes: 0 every check passed (warnings and skips allowed), 1 a check failed or the run
/// could not start, 2 usage.
#[derive(Debug, Parser)]
#[command(name = "idp-conformance", version)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Runs checks against a target.
    Run(RunArgs),
    /// Lists the checks (id, suite, level, title, spec).
    List(ListArgs),
    /// Runs the same scenarios against two targets and compares them, normalised; exit 1 when
    /// a difference is not listed as known.
    Diff(DiffArgs),
    /// Starts a provider and keeps it running: prints `issuer <url>` once it is ready, stops it
    /// on SIGINT, SIGTERM or end of standard input.
    Start(StartArgs),
    /// Writes a commented World template for a provider: reads its discovery document, says
    /// which provider it recognised, and gives a section per client and user the checks need.
    Init(InitArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct InitArgs {
    /// The provider to read: url:<issuer>.
    #[arg(long)]
    pub(crate) target: String,
    /// Which provider it is, overriding detection: generic, keycloak (alias ztrust), zitadel,
    /// wso2, appid.
    #[arg(long)]
    pub(crate) provider: Option<String>,
    /// Write the template to this file (default: standard output); an existing file is kept
    /// unless --force.
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Overwrite --out if it exists.
    #[arg(long)]
    pub(crate) force: bool,
}

#[derive(Debug, clap::Args)]
pub(crate) struct StartArgs {
    /// What to start: keycloak-dist (a real Keycloak 26.7.3 on free loopback ports).
    pub(crate) target: String,
    /// World file with the clients and users to import (default: the built-in default world).
    #[arg(long, env = "IDP_CONFORMANCE_WORLD")]
    pub(crate) world: Option<PathBuf>,
    /// Realm of the world to import (default: the world's default realm).
    #[arg(long)]
    pub(crate) realm: Option<String>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct DiffArgs {
    /// The left target (mock:<flavor>, url:<issuer>, …).
    pub(crate) left: String,
    /// The right target.
    pub(crate) right: String,
    /// Which provider a url: target is: generic, keycloak (alias ztrust), zitadel, wso2, appid
    /// (default: detected from its discovery document).
    #[arg(long)]
    pub(crate) provider: Option<String>,
    /// Known differences (TOML, `[[known]] path reason`); default: the shipped file for the
    /// provider when one side is not a mock (for `zitadel-oidc-ref`: its own file).
    #[arg(long)]
    pub(crate) known: Option<PathBuf>,
    /// Output format: text or json.
    #[arg(long, default_value = "text")]
    pub(crate) format: String,
    /// World file with the targets' clients and users.
    #[arg(long, env = "IDP_CONFORMANCE_WORLD")]
    pub(crate) world: Option<PathBuf>,
    /// Realm of the world to use.
    #[arg(long)]
    pub(crate) realm: Option<String>,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 10)]
    pub(crate) timeout: u64,
}

#[derive(Debug, clap::Args)]
pub(crate) struct RunArgs {
    /// mock:<generic|keycloak|ztrust|zitadel|wso2|appid>, url:<issuer>, keycloak-dist, zitadel-oidc-ref or container:<provider>.
    #[arg(long, env = "IDP_CONFORMANCE_TARGET")]
    pub(crate) target: String,
    /// Only these suites (repeatable): discovery, jwks, token, pkce, refresh, authorize,
    /// introspection, revocation, userinfo, id_token, guard, all.
    #[arg(long = "suite")]
    pub(crate) suites: Vec<String>,
    /// Only these checks (repeatable): an id (`TOK-04`) or a prefix (`TOK`).
    #[arg(long = "check")]
    pub(crate) checks: Vec<String>,
    /// Report format: text, json, junit or html (one self-contained page).
    #[arg(long, default_value = "text")]
    pub(crate) format: String,
    /// Write the report to this file (progress still goes to standard output).
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// World file with the target's clients and users (default: the built-in default world).
    #[arg(long, env = "IDP_CONFORMANCE_WORLD")]
    pub(crate) world: Option<PathBuf>,
    /// Realm of the world to use (default: the world's default realm).
    #[arg(long)]
    pub(crate) realm: Option<String>,
    /// Which provider a url: target is, so its documented deviations are expected: generic,
    /// keycloak (alias ztrust), zitadel, wso2, appid (default: detected from its discovery
    /// document, with one line saying what and why).
    #[arg(long)]
    pub(crate) provider: Option<String>,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 10)]
    pub(crate) timeout: u64,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ListArgs {
    /// Only these suites (repeatable).
    #[arg(long = "suite")]
    pub(crate) suites: Vec<String>,
}
