//! [`Secret`]: a client secret or a user password from the World. It never shows in `Debug`
//! output or logs, has no `Display`, and is compared in constant time; [`Secret::expose`] hands
//! out the raw value where it must go on the wire (HTTP Basic, a form, a provider's setup).

use serde::{Serialize, Serializer};
use std::fmt;
use subtle::ConstantTimeEq;

/// A client secret or a password. `Debug` prints `[redacted]`; there is no `Display`.
#[derive(Clone, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a raw secret.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The raw value, for where it must be sent or written (HTTP Basic, a token request body,
    /// a provider's setup file). Keep it out of logs and error messages.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether `presented` is this secret, compared in time independent of where the two
    /// differ (a length difference is visible, as in every such comparison).
    pub fn matches(&self, presented: &str) -> bool {
        bool::from(self.0.as_bytes().ct_eq(presented.as_bytes()))
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Constant-time, as [`Secret::matches`].
impl PartialEq for Secret {
    fn eq(&self, other: &Secret) -> bool {
        self.matches(&other.0)
    }
}

impl Eq for Secret {}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

impl From<&String> for Secret {
    fn from(value: &String) -> Secret {
        Secret(value.clone())
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret(value.to_owned())
    }
}

/// The raw value: serializing the World writes a setup file, which needs the real secret.
impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(format!("{:?}", Some(&secret)), "Some([redacted])");
    }

    #[test]
    fn matches_only_the_same_bytes() {
        let secret = Secret::new("web-app-secret");
        assert!(secret.matches("web-app-secret"));
        assert!(!secret.matches("web-app-secreT"));
        assert!(!secret.matches("web-app-secret "));
        assert!(!secret.matches("web-app"));
        assert!(!secret.matches(""));
        assert!(Secret::new("").matches(""));
        assert_eq!(secret, Secret::from("web-app-secret"));
        assert_ne!(secret, Secret::from("other"));
    }

    #[test]
    fn expose_and_serialize_give_the_raw_value() {
        let secret = Secret::from("s3cret".to_owned());
        assert_eq!(secret.expose(), "s3cret");
        assert_eq!(serde_json::to_value(&secret).ok(), Some(serde_json::json!("s3cret")));
    }
}
