//! [`Config`] read from a TOML file (`mock-idp serve --config FILE`): the same type the Rust
//! builder edits. Every error names the file, the line and the dotted field.

use crate::config::{Config, WorldSource};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Why a configuration file was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Io {
        /// The file that was read.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// Malformed TOML, an unknown field, a wrong type, or an invalid value (an inline world
    /// that breaks a rule, a mapping rule the mock refuses).
    #[error("{origin}:{line}: {}{message}", prefix(field))]
    Field {
        /// The file name, or the origin given for text.
        origin: String,
        /// 1-based line of the offending item, 0 when unknown.
        line: usize,
        /// Dotted path of the field, e.g. `mappings[0].match.grant`; empty for a syntax error.
        field: String,
        /// What is wrong with it.
        message: String,
    },
}

/// `field: `, or nothing for a syntax error (no field).
fn prefix(field: &str) -> String {
    if field.is_empty() {
        String::new()
    } else {
        format!("{field}: ")
    }
}

impl Config {
    /// Reads a configuration file.
    ///
    /// # Errors
    /// [`ConfigError::Io`] when the file cannot be read, otherwise as [`Config::from_toml_str`].
    pub fn load(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut config = Config::from_toml_str(&text, &path.display().to_string())?;
        // A relative world path is relative to the configuration file.
        if let (Some(WorldSource::File(world)), Some(dir)) = (&mut config.world, path.parent())
            && world.is_relative()
        {
            *world = dir.join(&*world);
        }
        Ok(config)
    }

    /// Parses configuration TOML; `origin` names the text in errors. An inline world and the
    /// mapping rules are validated here, so a bad one fails before a server starts.
    ///
    /// # Errors
    /// [`ConfigError::Field`] naming the line and the field.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Config, ConfigError> {
        let fail = |line: usize, field: String, message: String| ConfigError::Field {
            origin: origin.to_owned(),
            line,
            field,
            message,
        };
        let document = toml::Deserializer::parse(text).map_err(|err| {
            let line = err.span().map_or(0, |span| line_of(text, span.start));
            fail(line, String::new(), err.message().trim().to_owned())
        })?;
        let config: Config = serde_path_to_error::deserialize(document).map_err(|err| {
            let field = err.path().to_string();
            let inner = err.into_inner();
            let line = inner.span().map_or(0, |span| line_of(text, span.start));
            fail(line, field, inner.message().trim().to_owned())
        })?;
        let spans = Spans::of(text);
        if let Some(world @ WorldSource::Inline(_)) = &config.world
            && let Err(err) = world.load()
        {
            let (field, message) = match err {
                providers::WorldError::Invalid { field, message, .. } => (format!("world.{field}"), message),
                other => ("world".to_owned(), other.to_string()),
            };
            return Err(fail(spans.line(text, spans.world.as_ref()), field, message));
        }
        let probe = crate::shaping::Shaping::default();
        for (index, rule) in config.mappings.iter().enumerate() {
            if let Err(err) = probe.add_rule(rule.clone()) {
                let line = spans.line(text, spans.mappings.get(index));
                return Err(fail(line, format!("mappings[{index}]"), err.to_string()));
            }
        }
        Ok(config)
    }
}

/// Where the tables validated after parsing start.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Spans {
    world: Option<toml::Spanned<toml::Value>>,
    mappings: Vec<toml::Spanned<toml::Value>>,
}

impl Spans {
    fn of(text: &str) -> Spans {
        toml::from_str(text).unwrap_or_default()
    }

    fn line(&self, text: &str, item: Option<&toml::Spanned<toml::Value>>) -> usize {
        item.map_or(0, |item| line_of(text, item.span().start))
    }
}

fn line_of(text: &str, byte: usize) -> usize {
    let end = byte.min(text.len());
    text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

/// Durations in configuration files: `"10s"`, `"500ms"` or a whole number of seconds.
pub(crate) mod duration {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        Seconds(u64),
        Text(String),
    }

    pub(crate) fn serialize<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format!("{}ms", value.as_millis()))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        let bad =
            |text: &str| serde::de::Error::custom(format!("`{text}` is not a duration such as \"10s\" or \"500ms\""));
        match Text::deserialize(deserializer)? {
            Text::Seconds(seconds) => Ok(Duration::from_secs(seconds)),
            Text::Text(text) => {
                let trimmed = text.trim();
                let (number, unit) = match trimmed.strip_suffix("ms") {
                    Some(number) => (number, 1),
                    None => (trimmed.strip_suffix('s').unwrap_or(trimmed), 1000),
                };
                number
                    .trim()
                    .parse::<u64>()
                    .map(|value| Duration::from_millis(value.saturating_mul(unit)))
                    .map_err(|_| bad(&text))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shaping::TokenKinds;
    use std::time::Duration;

    const FULL: &str = r#"
provider = "keycloak"
public_url = "http://idp.test:8080"
keys = "fresh"
auto_approve = true
max_state_entries = 5000

[connections]
header_read_timeout = "2s"
idle_timeout = "750ms"
max_connections = 64

[[mappings]]
realm = "demo"
tokens = "both"
remove = ["email"]
match = { grant = "password", client = "web-app", params = { resource = "https://orders" } }
claims = { tenant = "acme" }

[world]
default_realm = "r"
[world.realms.r]
scopes = ["openid"]
[world.realms.r.clients.c]
kind = "public"
redirect_uris = ["http://127.0.0.1:5000/cb"]
grant_types = ["authorization_code"]
"#;

    #[test]
    fn a_full_file_sets_every_field() {
        let config = Config::from_toml_str(FULL, "full.toml").unwrap();
        assert_eq!(config.provider, providers::Provider::Keycloak);
        assert_eq!(config.public_url.as_deref(), Some("http://idp.test:8080"));
        assert_eq!(config.keys, crate::KeySource::Fresh);
        assert!(config.auto_approve);
        assert_eq!(config.max_state_entries, Some(5000));
        assert_eq!(config.connections.header_read_timeout, Duration::from_secs(2));
        assert_eq!(config.connections.idle_timeout, Duration::from_millis(750));
        assert_eq!(config.connections.max_connections, 64);
        let rule = &config.mappings[0];
        assert_eq!(rule.when.grant.as_deref(), Some("password"));
        assert_eq!(
            rule.when.params.get("resource").map(String::as_str),
            Some("https://orders")
        );
        assert_eq!(rule.tokens, TokenKinds::Both);
        let world = config.world.as_ref().unwrap().load().unwrap();
        assert_eq!(world.default_realm, "r");
        assert!(world.realm("r").unwrap().client("c").is_some());
    }

    #[test]
    fn every_example_config_file_loads_and_starts() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/config");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let config = Config::load(&path).unwrap_or_else(|err| panic!("{err}"));
            let (app, _) = crate::MockIdp::builder()
                .config(config)
                .build(
                    "http://127.0.0.1:1".into(),
                    std::net::SocketAddr::from(([127, 0, 0, 1], 1)),
                )
                .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
            assert!(!app.world().realms.is_empty());
            seen += 1;
        }
        assert!(seen >= 1);
    }

    #[test]
    fn an_empty_file_is_the_default_config() {
        assert_eq!(Config::from_toml_str("", "empty.toml").unwrap(), Config::default());
    }

    fn error(text: &str) -> String {
        Config::from_toml_str(text, "cfg.toml").unwrap_err().to_string()
    }

    #[test]
    fn errors_name_the_line_and_the_field() {
        assert_eq!(
            error("provider = \"keycloak\"\n\n[connections]\nidle_timeout = \"soon\"\n"),
            "cfg.toml:4: connections.idle_timeout: `soon` is not a duration such as \"10s\" or \"500ms\""
        );
        let unknown = error("provider = \"generic\"\npublic_uri = \"http://x\"\n");
        assert!(
            unknown.starts_with("cfg.toml:2: public_uri: unknown field `public_uri`"),
            "{unknown}"
        );
        let wrong = error("\n[[mappings]]\nclaims = { a = 1 }\n\n[[mappings]]\nmatch = { grant = 7 }\n");
        assert!(
            wrong.starts_with("cfg.toml:6: mappings[1].match.grant: invalid type: integer `7`"),
            "{wrong}"
        );
        assert_eq!(
            error("[[mappings]]\nclaims = { a = 1 }\n\n[[mappings]]\nmatch = { grant = \"magic\" }\n"),
            "cfg.toml:4: mappings[1]: unknown grant type `magic`"
        );
        let provider = error("provider = \"okta\"\n");
        assert!(
            provider.starts_with("cfg.toml:1: provider: unknown variant `okta`"),
            "{provider}"
        );
        let syntax = error("provider = \n");
        assert!(
            syntax.starts_with("cfg.toml:1: ") && !syntax.contains(": : "),
            "{syntax}"
        );
    }

    #[test]
    fn an_invalid_inline_world_names_the_world_field() {
        let text =
            "provider = \"generic\"\n\n[world]\ndefault_realm = \"missing\"\n[world.realms.r]\nscopes = [\"openid\"]\n";
        let message = error(text);
        assert!(message.starts_with("cfg.toml:3: world"), "{message}");
        assert!(message.contains("missing"), "{message}");
    }
}
