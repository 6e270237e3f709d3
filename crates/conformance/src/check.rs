//! What a check is ([`Check`]) and what running it yields ([`Outcome`], [`Status`]).

use serde::Serialize;
use std::fmt;

/// How strongly the specification asks for the behaviour a check tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    /// A MUST: a failure fails the run.
    Must,
    /// A SHOULD: a failure is reported as a warning.
    Should,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
        })
    }
}

/// How a failure on a real provider (any target other than `mock:*`) counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OnReal {
    /// As on the mock (the checklist's `[M,I]`).
    Strict,
    /// As a warning: the checklist holds the mock to it (`[M]`, `[M strict; I WARN]`), and
    /// real providers are known to deviate.
    Warn,
}

/// The part of the protocol a check exercises; each area is also a suite of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    /// Discovery metadata (`DISC-*`).
    Discovery,
    /// The JWK set (`JWKS-*`).
    Jwks,
    /// The token endpoint (`TOK-*`).
    Token,
    /// PKCE (`PKCE-*`).
    Pkce,
    /// Refresh tokens (`REF-*`).
    Refresh,
    /// The authorization endpoint (`AUTHZ-*`).
    Authorize,
    /// Introspection, RFC 7662 (`INTR-*`).
    Introspection,
    /// Revocation, RFC 7009 (`REV-*`).
    Revocation,
    /// UserInfo (`UI-*`).
    Userinfo,
    /// The ID token (`IDT-*`).
    IdToken,
    /// Tokens the target issues, validated by token-guard (`GUARD-*`).
    Guard,
    /// The device authorization grant, RFC 8628 (`DEV-*`).
    Device,
    /// Pushed authorization requests, RFC 9126 (`PAR-*`).
    Par,
    /// Token exchange, RFC 8693 (`EXCH-*`).
    Exchange,
    /// DPoP, RFC 9449 (`DPOP-*`).
    Dpop,
    /// Client authentication by a signed JWT, RFC 7523 §2.2 and OIDC Core §9 (`CLAUTH-*`).
    ClientAuth,
    /// Back-channel logout, OpenID Connect Back-Channel Logout 1.0 (`BCL-*`).
    BackchannelLogout,
}

impl Area {
    /// Every area, in catalog order.
    pub const ALL: [Area; 17] = [
        Area::Discovery,
        Area::Jwks,
        Area::Token,
        Area::Pkce,
        Area::Refresh,
        Area::Authorize,
        Area::Introspection,
        Area::Revocation,
        Area::Userinfo,
        Area::IdToken,
        Area::Guard,
        Area::Device,
        Area::Par,
        Area::Exchange,
        Area::Dpop,
        Area::ClientAuth,
        Area::BackchannelLogout,
    ];

    /// The suite name (`--suite`).
    pub fn suite(self) -> &'static str {
        match self {
            Area::Discovery => "discovery",
            Area::Jwks => "jwks",
            Area::Token => "token",
            Area::Pkce => "pkce",
            Area::Refresh => "refresh",
            Area::Authorize => "authorize",
            Area::Introspection => "introspection",
            Area::Revocation => "revocation",
            Area::Userinfo => "userinfo",
            Area::IdToken => "id_token",
            Area::Guard => "guard",
            Area::Device => "device",
            Area::Par => "par",
            Area::Exchange => "exchange",
            Area::Dpop => "dpop",
            Area::ClientAuth => "client_auth",
            Area::BackchannelLogout => "backchannel_logout",
        }
    }
}

impl fmt::Display for Area {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.suite())
    }
}

/// Something a target must offer for a check to apply; a check whose capability is missing is
/// skipped with the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// A confidential client with the authorization code grant and a redirect URI, and an
    /// enabled user with a password.
    CodeFlow,
    /// A public client with the authorization code grant.
    PublicClient,
    /// A confidential client with the client credentials grant.
    ClientCredentials,
    /// The code-flow client may use the refresh token grant.
    Refresh,
    /// A client the World allows to introspect.
    Introspection,
    /// A confidential client_credentials client whose id or secret changes under
    /// form-urlencoding (`:`, `%`, `+`, space, non-ASCII).
    EncodedCredentials,
    /// Control over the target's keys and clock (in-process mock targets).
    MockControl,
    /// A client with the device authorization grant (RFC 8628), and an enabled user.
    DeviceFlow,
    /// A confidential client with the token exchange grant (RFC 8693) that a scope puts in the
    /// `aud` of the code-flow client's tokens, and the code flow.
    TokenExchange,
    /// A confidential client_credentials client whose registered `jwks` holds conformance's
    /// published assertion key (`kid` `idp-conformance`).
    KeyedClient,
    /// A confidential code-flow client with a loopback `backchannel_logout_uri`, and the code
    /// flow's user.
    BackchannelLogout,
    /// A confidential client_credentials client registered for `client_secret_jwt`.
    SecretJwtClient,
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Capability::CodeFlow => "a confidential code-flow client and an enabled user",
            Capability::PublicClient => "a public code-flow client",
            Capability::ClientCredentials => "a client_credentials client",
            Capability::Refresh => "a code-flow client with the refresh_token grant",
            Capability::Introspection => "a client allowed to introspect",
            Capability::EncodedCredentials => {
                "a client_credentials client whose id or secret changes under form-urlencoding"
            }
            Capability::MockControl => "control over keys and clock (mock targets only)",
            Capability::DeviceFlow => "a device-grant client and an enabled user",
            Capability::TokenExchange => "a token-exchange client in the audience of the code-flow client's tokens",
            Capability::KeyedClient => "a client_credentials client registering conformance's assertion key",
            Capability::BackchannelLogout => "a code-flow client with a back-channel logout URI",
            Capability::SecretJwtClient => "a client_credentials client registered for client_secret_jwt",
        })
    }
}

impl Capability {
    /// Why a check needing this capability is skipped on a target serving `realm`: for what a
    /// World provides, the entry to add, named as it is written in the World file.
    pub fn skip_reason(self, realm: &str) -> String {
        let client = format!("[realms.{realm}.clients.<id>]");
        let user = format!("an enabled [realms.{realm}.users.<name>] with a password");
        let entry = match self {
            Capability::MockControl => return format!("the target lacks {self}"),
            Capability::CodeFlow => format!(
                "{client} with kind = \"confidential\", the authorization_code grant and a redirect URI, and {user}"
            ),
            Capability::PublicClient => {
                format!("{client} with kind = \"public\", the authorization_code grant and a redirect URI, and {user}")
            }
            Capability::ClientCredentials => {
                format!("{client} with kind = \"confidential\" and the client_credentials grant")
            }
            Capability::Refresh => {
                "refresh_token in the grant_types of the confidential code-flow client (and that client)".to_owned()
            }
            Capability::Introspection => format!("{client} with kind = \"confidential\" and introspection = true"),
            Capability::DeviceFlow => {
                format!("{client} with the device_code grant, and {user}")
            }
            Capability::TokenExchange => format!(
                "{client} with kind = \"confidential\", the token_exchange grant and audience_scopes, besides the \
                 code flow (as in fixtures/worlds/token-exchange.toml)"
            ),
            Capability::BackchannelLogout => format!(
                "{client} with kind = \"confidential\", the authorization_code grant, a redirect URI and a \
                 loopback backchannel_logout_uri, and {user} (as in fixtures/worlds/backchannel-logout.toml)"
            ),
            Capability::SecretJwtClient => format!(
                "{client} with kind = \"confidential\", the client_credentials grant and \
                 token_endpoint_auth_method = \"client_secret_jwt\" (as in fixtures/worlds/client-keys.toml)"
            ),
            Capability::KeyedClient => format!(
                "{client} with kind = \"confidential\", the client_credentials grant and a jwks holding the key \
                 with kid idp-conformance (as in fixtures/worlds/client-keys.toml)"
            ),
            Capability::EncodedCredentials => format!(
                "{client} with the client_credentials grant whose id or secret changes under form-urlencoding \
                 (as in fixtures/worlds/encoded-credentials.toml)"
            ),
        };
        format!("the World lacks {self}: add {entry}")
    }
}

/// One conformance check: its stable id and what it holds the target to.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Stable id from the checklist (`DISC-01`).
    pub id: &'static str,
    /// One line saying what is checked.
    pub title: &'static str,
    /// The specification sections the expectation comes from.
    pub spec: &'static str,
    /// The area (and suite).
    pub area: Area,
    /// MUST or SHOULD.
    pub level: Level,
    /// How a failure counts on a real provider.
    pub on_real: OnReal,
    /// What the target must offer.
    pub requires: &'static [Capability],
}

/// What the target sent that made a check fail.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// The request, as `METHOD URL` plus its parameters (secrets masked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    /// The HTTP status of the answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The offending field, header or parameter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What was expected and what came instead.
    pub message: String,
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(field) = &self.field {
            write!(f, " [field {field}]")?;
        }
        if let Some(status) = self.status {
            write!(f, " [status {status}]")?;
        }
        if let Some(request) = &self.request {
            write!(f, " [request {request}]")?;
        }
        Ok(())
    }
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum Outcome {
    /// The target behaved as expected.
    Pass,
    /// It did not; the evidence says where.
    Fail {
        /// Request, status and the offending field.
        evidence: Evidence,
    },
    /// The check could not apply to this target.
    Skipped {
        /// Why.
        reason: String,
    },
}

/// How an outcome counts, given the check's level and the kind of target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Passed.
    Pass,
    /// Failed: the run fails.
    Fail,
    /// Failed a SHOULD, or a check that only warns on real providers.
    Warn,
    /// Skipped.
    Skip,
}

impl Status {
    /// How `outcome` of `check` counts on a target (`real`: not an in-process mock).
    pub fn of(check: &Check, outcome: &Outcome, real: bool) -> Status {
        match outcome {
            Outcome::Pass => Status::Pass,
            Outcome::Skipped { .. } => Status::Skip,
            Outcome::Fail { .. } if check.level == Level::Should => Status::Warn,
            Outcome::Fail { .. } if real && check.on_real == OnReal::Warn => Status::Warn,
            Outcome::Fail { .. } => Status::Fail,
        }
    }

    /// `PASS`, `FAIL`, `WARN` or `SKIP`.
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Warn => "WARN",
            Status::Skip => "SKIP",
        }
    }
}
