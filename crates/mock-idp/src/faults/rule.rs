//! What a fault does ([`Fault`]), how long it lasts ([`FaultScope`]) and where it applies
//! ([`FaultRule`]); serde-ready for the config file and the admin API.

use providers::Endpoint;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The largest body [`Fault::HugeKeySet`] may ask for (64 MiB).
pub const MAX_HUGE_BODY: usize = 64 * 1024 * 1024;
/// The longest [`Fault::Delay`] (5 minutes).
pub const MAX_DELAY: Duration = Duration::from_secs(300);
/// The largest custom body or header list a fault may carry (64 MiB, as [`MAX_HUGE_BODY`]: a
/// body is how a test sends a client a huge document of its own).
pub const MAX_FAULT_BODY: usize = MAX_HUGE_BODY;

/// What an endpoint does instead of (or before) answering normally.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "FaultRepr", try_from = "FaultRepr")]
#[non_exhaustive]
pub enum Fault {
    /// Waits this long (at most [`MAX_DELAY`]), then answers normally.
    Delay(Duration),
    /// Answers with this status and a JSON `server_error`-style body.
    Status(u16),
    /// Answers 200 with `{"keys":[]}` (meant for the JWKS endpoint).
    EmptyKeySet,
    /// Answers 200 with this body and `Content-Type: application/json`, e.g. a huge or
    /// malformed document.
    Body(String),
    /// Answers 200 normally but with these extra response headers (e.g. `Cache-Control`).
    Headers(Vec<(String, String)>),
    /// Answers with this status and this body (`Content-Type: application/json`).
    Respond {
        /// The HTTP status (100–599).
        status: u16,
        /// The body, sent as is.
        body: String,
    },
    /// Closes the connection without sending a response.
    DropConnection,
    /// Answers normally, but with the body cut in half: the client gets invalid JSON.
    MalformedJson,
    /// JWKS outage: `503 Service Unavailable` with `Retry-After: 1` and an OAuth error body.
    Outage,
    /// JWKS only: serves the key set as it was before the last key rotation (the current set
    /// when the realm's keys were never rotated).
    StaleKeySet,
    /// JWKS only: the realm's real key set padded with an extra member to this many bytes (at
    /// most [`MAX_HUGE_BODY`]), for testing a client's body limit.
    HugeKeySet(usize),
}

/// How long a fault lasts.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum FaultScope {
    /// The next matching request only.
    Once,
    /// The next `n` matching requests.
    Times(u32),
    /// Each matching request with this probability, drawn from a generator seeded with `seed`:
    /// the same requests fire in every run with the same seed.
    Probability {
        /// Between 0 and 1.
        p: f64,
        /// Seed of the fault's own generator.
        seed: u64,
    },
    /// Every matching request until the fault is cleared.
    #[default]
    UntilCleared,
}

/// A fault, where it applies and how long it lasts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// The realm; `None` for every realm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realm: Option<String>,
    /// The endpoint (the login form counts as `authorize`, RFC 8414 metadata as `discovery`).
    #[serde(with = "endpoint_serde")]
    pub endpoint: Endpoint,
    /// What it does.
    pub fault: Fault,
    /// How long it lasts; until cleared by default.
    #[serde(default)]
    pub scope: FaultScope,
}

impl FaultRule {
    /// `fault` on `endpoint` in every realm, until cleared.
    pub fn new(endpoint: Endpoint, fault: Fault) -> FaultRule {
        FaultRule {
            realm: None,
            endpoint,
            fault,
            scope: FaultScope::UntilCleared,
        }
    }

    /// Only in `realm`.
    pub fn in_realm(mut self, realm: impl Into<String>) -> FaultRule {
        self.realm = Some(realm.into());
        self
    }

    /// For the next matching request only.
    pub fn once(self) -> FaultRule {
        self.scoped(FaultScope::Once)
    }

    /// For the next `n` matching requests.
    pub fn times(self, n: u32) -> FaultRule {
        self.scoped(FaultScope::Times(n))
    }

    /// For each matching request with probability `p`, reproducibly from `seed`.
    pub fn probability(self, p: f64, seed: u64) -> FaultRule {
        self.scoped(FaultScope::Probability { p, seed })
    }

    /// With this scope.
    pub fn scoped(mut self, scope: FaultScope) -> FaultRule {
        self.scope = scope;
        self
    }

    /// Checks the rule's bounds.
    ///
    /// # Errors
    /// [`FaultError`] naming what is out of bounds.
    pub fn validate(&self) -> Result<(), FaultError> {
        let jwks_only = matches!(self.fault, Fault::StaleKeySet | Fault::HugeKeySet(_));
        if jwks_only && self.endpoint != Endpoint::Jwks {
            return Err(FaultError::JwksOnly);
        }
        match &self.fault {
            Fault::Delay(delay) if *delay > MAX_DELAY => return Err(FaultError::TooLong),
            Fault::Status(status) | Fault::Respond { status, .. } if !(100..=599).contains(status) => {
                return Err(FaultError::Status(*status));
            }
            Fault::Body(body) | Fault::Respond { body, .. } if body.len() > MAX_FAULT_BODY => {
                return Err(FaultError::TooLarge);
            }
            Fault::Headers(headers)
                if headers.iter().map(|(n, v)| n.len() + v.len()).sum::<usize>() > MAX_FAULT_BODY =>
            {
                return Err(FaultError::TooLarge);
            }
            Fault::HugeKeySet(bytes) if *bytes > MAX_HUGE_BODY => return Err(FaultError::TooLarge),
            _ => {}
        }
        match self.scope {
            FaultScope::Times(0) => Err(FaultError::ZeroTimes),
            FaultScope::Probability { p, .. } if !(0.0..=1.0).contains(&p) => Err(FaultError::Probability),
            _ => Ok(()),
        }
    }
}

/// The id of an active fault, to remove it alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FaultId(pub u64);

/// A fault rule that cannot be set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FaultError {
    /// Stale and huge key sets only make sense on the JWKS endpoint.
    #[error("this fault applies to the jwks endpoint only")]
    JwksOnly,
    /// A delay above [`MAX_DELAY`].
    #[error("delays are limited to {} s", MAX_DELAY.as_secs())]
    TooLong,
    /// A body or header list above [`MAX_FAULT_BODY`], or a huge key set above [`MAX_HUGE_BODY`].
    #[error("the fault's body is too large")]
    TooLarge,
    /// Not an HTTP status.
    #[error("{0} is not an HTTP status (100-599)")]
    Status(u16),
    /// `times` of zero would never fire.
    #[error("times must be at least 1")]
    ZeroTimes,
    /// A probability outside `[0, 1]`.
    #[error("the probability must be between 0 and 1")]
    Probability,
    /// No realm has this name.
    #[error("unknown realm `{0}`")]
    UnknownRealm(String),
    /// The table is full.
    #[error("at most {0} faults can be active at once")]
    Full(usize),
}

/// The name of `endpoint` in fault rules and hit counters (`discovery`, `jwks`, `token`, …).
pub fn endpoint_name(endpoint: Endpoint) -> &'static str {
    match endpoint {
        Endpoint::Discovery => "discovery",
        Endpoint::AuthorizationServerMetadata => "authorization_server_metadata",
        Endpoint::Jwks => "jwks",
        Endpoint::Authorize => "authorize",
        Endpoint::Login => "login",
        Endpoint::Token => "token",
        Endpoint::Userinfo => "userinfo",
        Endpoint::Introspect => "introspect",
        Endpoint::Revoke => "revoke",
        Endpoint::EndSession => "end_session",
        Endpoint::DeviceAuthorization => "device_authorization",
        Endpoint::DeviceVerification => "device_verification",
        Endpoint::ProfileAttributes => "profile_attributes",
        Endpoint::PushedAuthorization => "pushed_authorization",
    }
}

/// The endpoint named `name` (see [`endpoint_name`]).
pub fn endpoint_from_name(name: &str) -> Option<Endpoint> {
    Endpoint::ALL
        .into_iter()
        .find(|endpoint| endpoint_name(*endpoint) == name)
}

mod endpoint_serde {
    use super::{endpoint_from_name, endpoint_name};
    use providers::Endpoint;
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    pub(super) fn serialize<S: Serializer>(endpoint: &Endpoint, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(endpoint_name(*endpoint))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Endpoint, D::Error> {
        let name = String::deserialize(deserializer)?;
        endpoint_from_name(&name).ok_or_else(|| D::Error::custom(format!("unknown endpoint `{name}`")))
    }
}

/// The wire shape of a [`Fault`]: `{"kind": "status", "status": 503}` and so on.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum FaultRepr {
    Delay { ms: u64 },
    Status { status: u16 },
    EmptyKeySet,
    Body { body: String },
    Headers { headers: Vec<(String, String)> },
    Respond { status: u16, body: String },
    DropConnection,
    MalformedJson,
    Outage,
    StaleKeySet,
    HugeKeySet { bytes: usize },
}

impl From<Fault> for FaultRepr {
    fn from(fault: Fault) -> FaultRepr {
        match fault {
            Fault::Delay(delay) => FaultRepr::Delay {
                ms: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            },
            Fault::Status(status) => FaultRepr::Status { status },
            Fault::EmptyKeySet => FaultRepr::EmptyKeySet,
            Fault::Body(body) => FaultRepr::Body { body },
            Fault::Headers(headers) => FaultRepr::Headers { headers },
            Fault::Respond { status, body } => FaultRepr::Respond { status, body },
            Fault::DropConnection => FaultRepr::DropConnection,
            Fault::MalformedJson => FaultRepr::MalformedJson,
            Fault::Outage => FaultRepr::Outage,
            Fault::StaleKeySet => FaultRepr::StaleKeySet,
            Fault::HugeKeySet(bytes) => FaultRepr::HugeKeySet { bytes },
        }
    }
}

impl TryFrom<FaultRepr> for Fault {
    type Error = FaultError;

    fn try_from(repr: FaultRepr) -> Result<Fault, FaultError> {
        Ok(match repr {
            FaultRepr::Delay { ms } => Fault::Delay(Duration::from_millis(ms)),
            FaultRepr::Status { status } => Fault::Status(status),
            FaultRepr::EmptyKeySet => Fault::EmptyKeySet,
            FaultRepr::Body { body } => Fault::Body(body),
            FaultRepr::Headers { headers } => Fault::Headers(headers),
            FaultRepr::Respond { status, body } => Fault::Respond { status, body },
            FaultRepr::DropConnection => Fault::DropConnection,
            FaultRepr::MalformedJson => Fault::MalformedJson,
            FaultRepr::Outage => Fault::Outage,
            FaultRepr::StaleKeySet => Fault::StaleKeySet,
            FaultRepr::HugeKeySet { bytes } => Fault::HugeKeySet(bytes),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rules_round_trip_through_json() {
        let rules = [
            FaultRule::new(Endpoint::Jwks, Fault::Outage).in_realm("demo").times(3),
            FaultRule::new(Endpoint::Token, Fault::Delay(Duration::from_millis(250))).probability(0.5, 42),
            FaultRule::new(
                Endpoint::Userinfo,
                Fault::Respond {
                    status: 418,
                    body: "{}".into(),
                },
            )
            .once(),
            FaultRule::new(Endpoint::Jwks, Fault::HugeKeySet(5 << 20)),
        ];
        for rule in rules {
            let text = serde_json::to_string(&rule).unwrap();
            assert_eq!(serde_json::from_str::<FaultRule>(&text).unwrap(), rule, "{text}");
        }
        let parsed: FaultRule = serde_json::from_value(json!({
            "endpoint": "jwks", "fault": {"kind": "status", "status": 503}, "scope": {"times": 2}
        }))
        .unwrap();
        assert_eq!(parsed, FaultRule::new(Endpoint::Jwks, Fault::Status(503)).times(2));
    }

    #[test]
    fn out_of_bounds_rules_are_refused_by_name() {
        let bad = [
            (
                FaultRule::new(Endpoint::Token, Fault::StaleKeySet),
                FaultError::JwksOnly,
            ),
            (
                FaultRule::new(Endpoint::Jwks, Fault::HugeKeySet(MAX_HUGE_BODY + 1)),
                FaultError::TooLarge,
            ),
            (
                FaultRule::new(Endpoint::Jwks, Fault::Status(99)),
                FaultError::Status(99),
            ),
            (
                FaultRule::new(Endpoint::Jwks, Fault::Outage).times(0),
                FaultError::ZeroTimes,
            ),
            (
                FaultRule::new(Endpoint::Jwks, Fault::Outage).probability(1.5, 1),
                FaultError::Probability,
            ),
            (
                FaultRule::new(Endpoint::Jwks, Fault::Outage).probability(f64::NAN, 1),
                FaultError::Probability,
            ),
            (
                FaultRule::new(Endpoint::Jwks, Fault::Delay(MAX_DELAY + Duration::from_secs(1))),
                FaultError::TooLong,
            ),
        ];
        for (rule, error) in bad {
            assert_eq!(rule.validate(), Err(error), "{rule:?}");
        }
        for text in [
            r#"{"endpoint":"nope","fault":{"kind":"outage"}}"#,
            r#"{"endpoint":"jwks","fault":{"kind":"outage"},"extra":1}"#,
            r#"{"endpoint":"jwks","fault":{"kind":"status"}}"#,
        ] {
            assert!(serde_json::from_str::<FaultRule>(text).is_err(), "{text}");
        }
    }
}
