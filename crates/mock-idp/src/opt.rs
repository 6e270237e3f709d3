//! Command-line options (clap derive); doc comments are the help text.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

/// A mock OpenID Connect provider that mints really signed tokens.
#[derive(Debug, Parser)]
#[command(name = "mock-idp", version, about)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Serve the world until Ctrl-C; prints each realm's issuer and discovery URL.
    Serve(Serve),
    /// Print a token for a user (or a client's service account) from the server running on
    /// --port, got through its real grants; exit 1 when no server answers there.
    Token(Token),
    /// Manage signing keys.
    #[command(subcommand)]
    Keys(Keys),
    /// Check a world file (and a `serve --config` file) and print a summary; exit 1 with the
    /// error otherwise.
    CheckConfig(Check),
    /// Write a provider's setup generated from the world (e.g. a Keycloak realm import file).
    #[command(subcommand)]
    Export(Export),
}

#[derive(Debug, Subcommand)]
pub(crate) enum Export {
    /// A Keycloak realm representation for `kc.sh start-dev --import-realm`.
    KeycloakRealm(ExportArgs),
    /// Setup notes (Management API calls) for a real ZITADEL.
    ZitadelSetup(ExportArgs),
    /// Setup notes (SCIM and DCR calls) for a real WSO2 Identity Server.
    Wso2Setup(ExportArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    #[command(flatten)]
    pub(crate) world: World,
    /// The realm to export; the world's default realm otherwise.
    #[arg(long)]
    pub(crate) realm: Option<String>,
    /// Output file; standard output otherwise.
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct Check {
    #[command(flatten)]
    pub(crate) world: World,
    /// A `serve --config` file to check as well; its world is checked unless --world is given.
    #[arg(long, env = "MOCK_IDP_CONFIG")]
    pub(crate) config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct World {
    /// World file (TOML); the default world (fixtures/world.toml, compiled in) otherwise.
    #[arg(long, env = "MOCK_IDP_WORLD")]
    pub(crate) world: Option<PathBuf>,
}

/// Parses a provider name (`ztrust` is an alias of `keycloak`).
fn provider(name: &str) -> Result<mock_idp::Provider, String> {
    name.parse::<mock_idp::Provider>().map_err(|err| err.to_string())
}

#[derive(Debug, Args)]
pub(crate) struct Common {
    #[command(flatten)]
    pub(crate) world: World,
    /// Provider to imitate: generic, keycloak (alias ztrust), zitadel, wso2, appid. Default
    /// generic (or the config file's).
    #[arg(long, env = "MOCK_IDP_PROVIDER", value_parser = provider)]
    pub(crate) provider: Option<mock_idp::Provider>,
    /// Base URL clients use to reach the server (issuers and endpoints are built from it);
    /// default http://{bind}:{port}, with 127.0.0.1 (or [::1]) for a wildcard bind such as
    /// 0.0.0.0 or ::, which no client can connect to. Set it whenever clients on other hosts
    /// (or in other containers) must reach the server.
    #[arg(long, env = "MOCK_IDP_PUBLIC_URL")]
    pub(crate) public_url: Option<String>,
}

/// Where `serve`'s signing keys come from.
#[derive(Debug, Args)]
pub(crate) struct KeyArgs {
    /// Directory of per-realm keys written by `mock-idp keys generate`; the embedded
    /// deterministic keys otherwise.
    #[arg(long, env = "MOCK_IDP_KEYS", conflicts_with = "fresh_keys")]
    pub(crate) keys: Option<PathBuf>,
    /// Generate fresh random keys at start instead.
    #[arg(long, env = "MOCK_IDP_FRESH_KEYS")]
    pub(crate) fresh_keys: bool,
}

#[derive(Debug, Args)]
pub(crate) struct Serve {
    /// Configuration file (TOML, the library's `Config`: provider, world, keys, public_url,
    /// connections, max_state_entries, auto_approve, mappings); flags and their environment
    /// variables override its fields.
    #[arg(long, env = "MOCK_IDP_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) common: Common,
    #[command(flatten)]
    pub(crate) keys: KeyArgs,
    /// Port to listen on (0 picks a free one).
    #[arg(long, short, env = "MOCK_IDP_PORT", default_value_t = 8080)]
    pub(crate) port: u16,
    /// Address to bind; loopback by default. Any other address prints a warning: the login
    /// page signs anyone in as any user without a password, so only bind beyond loopback on a
    /// trusted network (and pass --public-url).
    #[arg(long, env = "MOCK_IDP_BIND", default_value = "127.0.0.1")]
    pub(crate) bind: std::net::IpAddr,
    /// Log in the user named by `login_hint` without showing the login page (for headless tests).
    #[arg(long, env = "MOCK_IDP_AUTO_APPROVE")]
    pub(crate) auto_approve: bool,
    /// Close a connection whose request line and headers have not all arrived after this long
    /// (e.g. 10s, 500ms; a bare number is seconds). Default 10s.
    #[arg(long, env = "MOCK_IDP_HEADER_READ_TIMEOUT", value_parser = duration)]
    pub(crate) header_read_timeout: Option<Duration>,
    /// Close a connection with no request in flight (a keep-alive connection after its
    /// response) after this long. Default 5s.
    #[arg(long, env = "MOCK_IDP_IDLE_TIMEOUT", value_parser = duration)]
    pub(crate) idle_timeout: Option<Duration>,
    /// Connections served at once; beyond it a new connection gets 503 (Retry-After: 1) and
    /// is closed. Default 512.
    #[arg(long, env = "MOCK_IDP_MAX_CONNECTIONS", value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) max_connections: Option<u32>,
    /// The most entries the state store keeps (codes, grants, sessions, pending logins); the
    /// oldest is evicted beyond it, and an evicted grant's tokens are refused. Default 100000.
    #[arg(long, env = "MOCK_IDP_MAX_STATE_ENTRIES")]
    pub(crate) max_state_entries: Option<usize>,
    /// The admin API under /_mock/: on (`true`) or off (`false`). Default: on for a loopback
    /// bind, off otherwise; enabling it on another bind needs --admin-token.
    #[arg(long, env = "MOCK_IDP_ADMIN")]
    pub(crate) admin: Option<bool>,
    /// A bearer token every admin request must carry (Authorization: Bearer TOKEN).
    #[arg(long, env = "MOCK_IDP_ADMIN_TOKEN", hide_env_values = true)]
    pub(crate) admin_token: Option<String>,
    /// How many requests the request log (GET /_mock/log) keeps. Default 1000.
    #[arg(long, env = "MOCK_IDP_REQUEST_LOG_ENTRIES")]
    pub(crate) request_log_entries: Option<usize>,
    /// Shut down when stdin reaches end of file. A wrapper (the Python or npm package) hands
    /// the server a pipe it never writes to: when the wrapper's process dies, even by
    /// SIGKILL, the pipe closes and the server exits instead of outliving it.
    #[arg(long)]
    pub(crate) exit_on_stdin_eof: bool,
}

/// Parses `10s`, `500ms` or a bare number of seconds.
fn duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.strip_suffix("ms") {
        Some(number) => (number, 1),
        None => (text.strip_suffix('s').unwrap_or(text), 1000),
    };
    number
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|value| *value > 0)
        .map(|value| Duration::from_millis(value.saturating_mul(unit)))
        .ok_or_else(|| format!("`{text}` is not a positive duration such as 10s or 500ms"))
}

#[derive(Debug, Args)]
pub(crate) struct Token {
    #[command(flatten)]
    pub(crate) common: Common,
    /// The user; without it, a client_credentials token for the client.
    #[arg(long)]
    pub(crate) user: Option<String>,
    /// The client the token is issued to.
    #[arg(long)]
    pub(crate) client: String,
    /// Port of the running server (on 127.0.0.1) to get the token from. Its provider is found
    /// from its discovery document (--provider is tried first); the client's secret and the
    /// user's password come from --world, which must be the world the server serves.
    #[arg(long, short, env = "MOCK_IDP_PORT", default_value_t = 8080)]
    pub(crate) port: u16,
    /// The realm; the world's default realm otherwise.
    #[arg(long)]
    pub(crate) realm: Option<String>,
    /// Print the whole token response as JSON instead of the access token alone.
    #[arg(long)]
    pub(crate) json: bool,
    #[command(flatten)]
    pub(crate) negative: Negative,
    /// Refused: the running server signs the token with its own keys (give them to `serve`).
    /// No environment variable: MOCK_IDP_KEYS belongs to `serve`.
    #[arg(long, hide = true)]
    pub(crate) keys: Option<PathBuf>,
    /// Refused, as --keys is.
    #[arg(long, hide = true)]
    pub(crate) fresh_keys: bool,
}

impl Token {
    /// The key flag given, which `token` refuses: the token comes from the running server.
    pub(crate) fn key_flag(&self) -> Option<&'static str> {
        if self.keys.is_some() {
            Some("--keys")
        } else if self.fresh_keys {
            Some("--fresh-keys")
        } else {
            None
        }
    }
}

/// Negative-token flags of `mock-idp token`: any of them mints the token directly (no grant),
/// made invalid in the ways asked.
#[derive(Debug, Args, Default)]
pub(crate) struct Negative {
    /// Mint an expired token (`exp` an hour ago).
    #[arg(long)]
    pub(crate) expired: bool,
    /// Mint a token that is not valid yet (`nbf` an hour from now).
    #[arg(long)]
    pub(crate) not_yet_valid: bool,
    /// Mint a token from a wrong issuer (`https://wrong-issuer.invalid/`).
    #[arg(long)]
    pub(crate) wrong_issuer: bool,
    /// Mint a token for a wrong audience (`wrong-audience`).
    #[arg(long)]
    pub(crate) wrong_audience: bool,
    /// Sign correctly but name a `kid` no published key has.
    #[arg(long)]
    pub(crate) unknown_kid: bool,
    /// Alter the signature.
    #[arg(long)]
    pub(crate) bad_signature: bool,
    /// An unsecured token: `"alg": "none"` and an empty signature.
    #[arg(long)]
    pub(crate) alg_none: bool,
    /// Set a claim, NAME=VALUE (VALUE as JSON, or a string when it is not JSON); repeatable.
    #[arg(long, value_name = "NAME=VALUE", value_parser = claim)]
    pub(crate) claim: Vec<(String, serde_json::Value)>,
}

impl Negative {
    /// The defects asked for.
    pub(crate) fn defects(&self) -> Vec<mock_idp::TokenDefect> {
        use mock_idp::TokenDefect;
        [
            (self.expired, TokenDefect::Expired),
            (self.not_yet_valid, TokenDefect::NotYetValid),
            (self.wrong_issuer, TokenDefect::WrongIssuer),
            (self.wrong_audience, TokenDefect::WrongAudience),
            (self.unknown_kid, TokenDefect::UnknownKid),
            (self.bad_signature, TokenDefect::BadSignature),
            (self.alg_none, TokenDefect::AlgNone),
        ]
        .into_iter()
        .filter_map(|(asked, defect)| asked.then_some(defect))
        .collect()
    }
}

/// Parses `NAME=VALUE`, VALUE as JSON or else as a string.
fn claim(text: &str) -> Result<(String, serde_json::Value), String> {
    let (name, value) = text
        .split_once('=')
        .filter(|(name, _)| !name.is_empty())
        .ok_or_else(|| format!("`{text}` is not NAME=VALUE"))?;
    let value = serde_json::from_str(value).unwrap_or_else(|_| serde_json::Value::String(value.to_owned()));
    Ok((name.to_owned(), value))
}

#[derive(Debug, Subcommand)]
pub(crate) enum Keys {
    /// Write fresh keys (RSA 2048, P-256, Ed25519) for every realm of the world into DIR/{realm}/.
    Generate(Generate),
}

#[derive(Debug, Args)]
pub(crate) struct Generate {
    #[command(flatten)]
    pub(crate) world: World,
    /// Directory to write into.
    #[arg(long, default_value = "fixtures/keys")]
    pub(crate) out: PathBuf,
    /// Overwrite keys that already exist.
    #[arg(long)]
    pub(crate) force: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_serve_flag_has_an_environment_variable() {
        let mut cli = Cli::command();
        let serve = cli
            .find_subcommand_mut("serve")
            .map(|serve| serve.clone())
            .unwrap_or_default();
        let mut flags = 0;
        // --exit-on-stdin-eof is for wrappers that hand serve a pipe; an inherited environment
        // variable would make an unrelated serve exit at once.
        for arg in serve
            .get_arguments()
            .filter(|arg| !matches!(arg.get_id().as_str(), "help" | "version" | "exit_on_stdin_eof"))
        {
            flags += 1;
            assert!(
                arg.get_env().is_some(),
                "--{} has no environment variable",
                arg.get_id()
            );
        }
        assert!(flags >= 13, "{flags}");
    }

    #[test]
    fn durations_take_seconds_or_milliseconds() {
        assert_eq!(duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(duration("7"), Ok(Duration::from_secs(7)));
        assert_eq!(duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(duration("0").is_err());
        assert!(duration("soon").is_err());
        assert!(duration("-1s").is_err());
    }

    #[test]
    fn claims_take_json_or_a_string() {
        assert_eq!(claim("n=5"), Ok(("n".into(), serde_json::json!(5))));
        assert_eq!(claim("tenant=acme"), Ok(("tenant".into(), serde_json::json!("acme"))));
        assert_eq!(claim("x=a=b"), Ok(("x".into(), serde_json::json!("a=b"))));
        assert!(claim("=1").is_err());
        assert!(claim("novalue").is_err());
    }

    #[test]
    fn provider_help_lists_every_provider_and_alias() {
        let help = Cli::command()
            .find_subcommand_mut("serve")
            .map(|serve| serve.render_long_help().to_string())
            .unwrap_or_default();
        for name in ["generic", "keycloak", "ztrust", "zitadel", "wso2", "appid"] {
            assert!(help.contains(name), "{name} missing from: {help}");
            assert!(provider(name).is_ok(), "{name} does not parse");
        }
    }
}
