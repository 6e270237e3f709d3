//! One configuration for the library, the CLI and the container.

use crate::keys::{KeyError, KeyMaterial};
use providers::Provider;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::OnceLock;

pub use crate::config_file::ConfigError;

/// Where a realm's signing keys come from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeySource {
    /// The deterministic keys of `fixtures/keys/demo/`, compiled in, for the world's default
    /// realm (tokens are reproducible and a restarted server keeps its `kid`s); every other
    /// realm gets fresh random keys of its own, so no two realms share a key. The default.
    #[default]
    Embedded,
    /// `{dir}/{realm}/rsa-2048.pem`, `ec-p256.pem` and `ed25519.pem`, as written by
    /// `mock-idp keys generate`.
    Dir(PathBuf),
    /// Fresh random keys per realm at every start (RSA generation adds tens of milliseconds).
    Fresh,
}

impl KeySource {
    /// The key material for `realm`.
    pub(crate) fn material(&self, realm: &str, is_default_realm: bool) -> Result<KeyMaterial, KeyError> {
        match self {
            KeySource::Embedded if is_default_realm => Ok(embedded().clone()),
            KeySource::Embedded => KeyMaterial::generate(),
            KeySource::Dir(dir) => KeyMaterial::read_dir(&dir.join(realm)),
            KeySource::Fresh => KeyMaterial::generate(),
        }
    }
}

fn embedded() -> &'static KeyMaterial {
    static EMBEDDED: OnceLock<KeyMaterial> = OnceLock::new();
    EMBEDDED.get_or_init(KeyMaterial::embedded)
}

/// Where the world comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum WorldSource {
    /// A world file (TOML), read when the server starts.
    File(PathBuf),
    /// A world given inline, as the tables of a world file.
    Inline(toml::Table),
}

impl From<PathBuf> for WorldSource {
    fn from(path: PathBuf) -> WorldSource {
        WorldSource::File(path)
    }
}

impl WorldSource {
    /// Reads and validates the world.
    ///
    /// # Errors
    /// [`providers::WorldError`] for an unreadable or invalid world.
    pub fn load(&self) -> Result<providers::World, providers::WorldError> {
        match self {
            WorldSource::File(path) => providers::World::load(path),
            WorldSource::Inline(table) => {
                let text = toml::to_string(table).map_err(|err| providers::WorldError::Syntax {
                    origin: "[world]".into(),
                    line: 0,
                    message: err.to_string(),
                })?;
                providers::World::from_toml_str(&text, "[world]")
            }
        }
    }
}

/// Settings of a mock IdP.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Provider to imitate. Defaults to `generic`.
    pub provider: Provider,
    /// The world: a file (`world = "world.toml"`) or inline (`[world]` holding a world's
    /// tables); `None` serves the default world (`fixtures/world.toml`, compiled in).
    pub world: Option<WorldSource>,
    /// Base URL clients reach the server at, used in issuers and endpoint URLs. Defaults to
    /// `http://{bound address}`, e.g. `http://127.0.0.1:8080`.
    pub public_url: Option<String>,
    /// Where signing keys come from. Defaults to the embedded deterministic keys.
    pub keys: KeySource,
    /// A path prefix for every endpoint when no public URL is given (e.g. `/auth`, Keycloak's
    /// legacy context path): the public URL becomes `http://{bound address}{context_path}`.
    pub context_path: Option<String>,
    /// When true, an authorization request whose `login_hint` names an enabled user logs that
    /// user in without showing the login page (a headless path for tests). Defaults to false;
    /// every auto-approved login is logged.
    pub auto_approve: bool,
    /// Header-read and idle timeouts and the connection cap of the server.
    pub connections: crate::server::ConnectionLimits,
    /// The most entries the state store keeps (codes, grants with their refresh tokens,
    /// opaque tokens, login sessions, pending logins); beyond it the oldest is evicted, failing
    /// closed (an evicted code or refresh token is refused, an evicted grant's access tokens
    /// turn inactive). `None`: 100000, about 70–85 MB of RSS when full at 500 operations/s (docs/benchmarks.md).
    pub max_state_entries: Option<usize>,
    /// Standing claim mapping rules, applied in order (see [`crate::shaping`]); none by default.
    pub mappings: Vec<crate::shaping::MappingRule>,
    /// How many requests the request log keeps (oldest evicted first); `None`: 1000, at most
    /// 100000.
    pub request_log_entries: Option<usize>,
    /// The admin API under `/_mock/`: on by default on loopback binds only; see [`crate::AdminConfig`].
    pub admin: crate::AdminConfig,
}
