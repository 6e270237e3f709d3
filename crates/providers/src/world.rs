//! The World: realms, clients, users, roles, scopes and lifetimes that every target is set up from.
//!
//! A world is read from TOML (the default is `fixtures/world.toml`, embedded in this crate as
//! [`World::default_world`]) and validated as a whole: cross references (a user's client role
//! names a client that defines it, a client's scopes are realm scopes, …) are checked at load
//! time, and every error names the field and the line it was found on.

mod check;
mod env;
mod raw;
mod validate;

use crate::{GrantType, Secret, SigningAlg};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The default world's TOML text, as shipped in `fixtures/world.toml`.
pub const DEFAULT_WORLD_TOML: &str = include_str!("../../../fixtures/world.toml");

/// Everything a target is set up with: one or more realms, one of them the default.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct World {
    /// The realm served when none is named (`demo` in the default world).
    pub default_realm: String,
    /// Realms by name (a Keycloak realm, a ZITADEL organisation, a WSO2 or App ID tenant).
    pub realms: BTreeMap<String, Realm>,
}

/// One realm (tenant, organisation): its scopes, roles, clients, users and token lifetimes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Realm {
    /// The realm's name; it appears in URLs and issuers.
    pub name: String,
    /// Human-readable name, for login pages and generated provider setup.
    pub display_name: String,
    /// Scopes clients may request; always contains `openid`.
    pub scopes: Vec<String>,
    /// Realm roles that users and service accounts may hold.
    pub roles: Vec<String>,
    /// Token and code lifetimes.
    pub lifetimes: Lifetimes,
    /// The algorithm tokens are signed with unless a client asks for another.
    pub signing_alg: SigningAlg,
    /// Clients by `client_id`.
    pub clients: BTreeMap<String, Client>,
    /// Users by username.
    pub users: BTreeMap<String, User>,
    /// Whether the token endpoint demands a server-provided nonce in DPoP proofs (RFC 9449 §8:
    /// `use_dpop_nonce` and a `DPoP-Nonce` header), where the provider has server nonces
    /// ([`crate::dpop::DpopFacts::server_nonces`]; the generic provider). Off by default.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub dpop_nonce: bool,
    /// Whether token exchange may impersonate (ZITADEL's security policy
    /// `enable_impersonation`; off by default, as in ZITADEL): an actor token of a user holding
    /// [`crate::zitadel::IMPERSONATOR_ROLES`] gets tokens for the subject with `act`. Other
    /// providers do not read it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub impersonation: bool,
    /// Identity providers the realm trusts to sign assertions, by name (WSO2's federated
    /// identity providers, for its JWT bearer grant). None by default.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub identity_providers: BTreeMap<String, IdentityProvider>,
}

/// An identity provider a realm trusts: the `iss` its assertions carry, the keys they are
/// signed with and the audience they must name (WSO2: the identity provider's alias).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IdentityProvider {
    /// The `iss` of its assertions (the World's `issuer`, else the provider's name).
    pub issuer: String,
    /// Its public keys (a JWK set).
    pub jwks: serde_json::Value,
    /// The audience its assertions must name; `None`: the realm's token endpoint URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
}

/// Lifetimes in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Lifetimes {
    /// Access and ID token lifetime (`expires_in`).
    pub access_token: u64,
    /// Refresh token lifetime.
    pub refresh_token: u64,
    /// Authorization code lifetime.
    pub authorization_code: u64,
    /// How long a login page waits for the user (Keycloak's `accessCodeLifespanLogin`, whose
    /// default is 1800 s).
    pub login: u64,
    /// A login session ends after this long without use (Keycloak's `ssoSessionIdleTimeout`);
    /// defaults to the refresh-token lifetime, as the Keycloak realm export maps it.
    pub session_idle: u64,
    /// A login session ends this long after the login whatever its use (Keycloak's
    /// `ssoSessionMaxLifespan`, whose default is 36000 s).
    pub session_max: u64,
    /// How long a device code lives (RFC 8628 `expires_in`); `None`: the provider's default
    /// ([`DeviceFacts::lifetime`](crate::device::DeviceFacts::lifetime)).
    pub device_code: Option<u64>,
    /// The device polling interval in seconds (RFC 8628 `interval`); `None`: the provider's
    /// default ([`DeviceFacts::interval`](crate::device::DeviceFacts::interval)).
    pub device_poll_interval: Option<u64>,
}

/// Whether a client can keep a secret (RFC 6749 §2.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ClientKind {
    /// A confidential client that authenticates with its secret.
    Confidential {
        /// The client secret (`client_secret_basic` or `client_secret_post`).
        secret: Secret,
    },
    /// A public client (`token_endpoint_auth_method=none`).
    Public,
}

/// What a client must do about PKCE (RFC 7636, RFC 9700 §2.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PkcePolicy {
    /// PKCE is accepted (`S256` or `plain`) but not required.
    Optional,
    /// Every authorization request must carry an `S256` code challenge.
    S256Required,
}

/// How a client authenticates at the token endpoint (OAuth 2.0 Dynamic Client Registration's
/// `token_endpoint_auth_method`). Where a provider gives each client one method (Keycloak's
/// client authenticator) only this one is accepted; elsewhere it documents the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenEndpointAuthMethod {
    /// The secret in HTTP Basic (Keycloak's `client-secret` authenticator, which takes the form
    /// body too).
    ClientSecretBasic,
    /// The secret in the form body (as `client_secret_basic` for Keycloak).
    ClientSecretPost,
    /// An HMAC assertion keyed by the secret (RFC 7523 §2.2; Keycloak's `client-secret-jwt`).
    ClientSecretJwt,
    /// An assertion signed by a key of the client's `jwks` or `jwks_uri` (Keycloak's
    /// `client-jwt`).
    PrivateKeyJwt,
    /// No authentication: a public client.
    None,
}

impl Client {
    /// The client's method: as registered, else derived (a public client `none`, a client
    /// with keys `private_key_jwt`, otherwise `client_secret_basic`).
    pub fn auth_method(&self) -> TokenEndpointAuthMethod {
        self.token_endpoint_auth_method
            .unwrap_or(match (&self.kind, self.jwks.is_some() || self.jwks_uri.is_some()) {
                (ClientKind::Public, _) => TokenEndpointAuthMethod::None,
                (ClientKind::Confidential { .. }, true) => TokenEndpointAuthMethod::PrivateKeyJwt,
                (ClientKind::Confidential { .. }, false) => TokenEndpointAuthMethod::ClientSecretBasic,
            })
    }
}

/// How a client's access tokens are shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenFormat {
    /// A signed JWT (RFC 9068 for the generic provider).
    Jwt,
    /// A random reference token that only introspection and userinfo understand.
    Opaque,
}

/// One registered client.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Client {
    /// The `client_id`.
    pub id: String,
    /// Confidential (with its secret) or public.
    #[serde(flatten)]
    pub kind: ClientKind,
    /// Redirect URIs, compared by exact string match.
    pub redirect_uris: Vec<String>,
    /// Redirect URIs allowed after logout, compared by exact string match.
    pub post_logout_redirect_uris: Vec<String>,
    /// Grant types the client may use.
    pub grant_types: Vec<GrantType>,
    /// PKCE requirement at the authorization endpoint.
    pub pkce: PkcePolicy,
    /// Scopes the client may request (a subset of the realm's).
    pub scopes: Vec<String>,
    /// Scopes granted when a token request names none.
    pub default_scopes: Vec<String>,
    /// Client roles this client defines (the roles users hold "on" this client).
    pub roles: Vec<String>,
    /// Scopes that make this client an audience of the token that carries them.
    pub audience_scopes: Vec<String>,
    /// Realm roles of this client's service account (`client_credentials` tokens).
    pub service_account_roles: Vec<String>,
    /// Whether the client may call the introspection endpoint.
    pub introspection: bool,
    /// Access-token format for this client; the provider's default when `None`.
    pub access_token_format: Option<TokenFormat>,
    /// Signing algorithm for this client's tokens; the realm's when `None`.
    pub signing_alg: Option<SigningAlg>,
    /// Personal access tokens of the client's machine user (ZITADEL: a `client_credentials`
    /// client is a machine user); only providers with
    /// [`crate::Quirks::personal_access_tokens`] honour them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub personal_access_tokens: Vec<PersonalAccessToken>,
    /// The client's public keys for `private_key_jwt` (RFC 7523 §2.2): a JWK set of RSA, EC or
    /// OKP public keys, checked at World load (no private members, at most
    /// [`MAX_CLIENT_JWKS_KEYS`] keys). `None`: the client cannot use `private_key_jwt`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwks: Option<serde_json::Value>,
    /// Where the client publishes its `private_key_jwt` public keys instead (Keycloak's
    /// `use.jwks.url` + `jwks.url` client attributes; OIDC Dynamic Client Registration's
    /// `jwks_uri`): an `http(s)` URL on a loopback host, checked at World load, fetched by the
    /// mock when an assertion needs it. Never together with `jwks`; only providers with
    /// [`crate::Quirks::client_jwks_uri`] read it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// Whether the client must push its authorization requests (RFC 9126 §6; Keycloak's
    /// `require.pushed.authorization.requests` client attribute); honoured only where the
    /// provider has a PAR endpoint.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub require_pushed_authorization_requests: bool,
    /// Whether the client must send a DPoP proof with every token request (RFC 9449 §5;
    /// Keycloak's `dpop.bound.access.tokens` client attribute); honoured only where the
    /// provider has DPoP. Without it a proof is still verified, and binds the tokens, when sent.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub dpop_bound_access_tokens: bool,
    /// Where the mock POSTs logout tokens when a session of this client ends (OpenID Connect
    /// Back-Channel Logout 1.0 §2.2; Keycloak's `backchannel.logout.url`): an `http(s)` URL
    /// on a loopback host, checked at World load.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backchannel_logout_uri: Option<String>,
    /// Whether logout tokens to this client carry `sid` (§2.2
    /// `backchannel_logout_session_required`; Keycloak's client default: on).
    #[serde(skip_serializing_if = "is_true")]
    pub backchannel_logout_session_required: bool,
    /// The method the client registered (World `token_endpoint_auth_method`); derived by
    /// [`Client::auth_method`] when `None`. Checked at World load against the client's kind
    /// and keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_method: Option<TokenEndpointAuthMethod>,
    /// How long, in seconds, a client assertion of this client may be used after its `iat`
    /// (without `iat`: how far ahead its `exp` may be), where the provider's rule is
    /// Keycloak's (`MaxLifetime::FromIssuedAt`; its client attribute
    /// `token.endpoint.auth.signing.max.exp`); `None`: the provider's default (60 s).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_assertion_max_exp: Option<u64>,
}

fn is_true(value: &bool) -> bool {
    *value
}

/// Whether `uri` is an `http(s)` URL whose host is a loopback address (`127.0.0.0/8`, `::1`)
/// or `localhost`: the only targets the mock sends requests to.
pub fn is_loopback_url(uri: &str) -> bool {
    let Ok(url) = url::Url::parse(uri) else {
        return false;
    };
    if !matches!(url.scheme(), "http" | "https") {
        return false;
    }
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Checks a client's JWK set, registered or fetched from its `jwks_uri`: `{"keys": [...]}` of 1
/// to [`MAX_CLIENT_JWKS_KEYS`] public keys of `kty` RSA, EC or OKP, no private member; the
/// reason when it is refused.
pub fn check_client_jwks(set: &serde_json::Value) -> Result<(), &'static str> {
    validate::check_client_jwks(set)
}

/// How many keys a client's `jwks` may hold.
pub const MAX_CLIENT_JWKS_KEYS: usize = 16;

/// A personal access token: an opaque bearer token of a machine user, valid until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonalAccessToken {
    /// The token as the machine user presents it.
    pub token: String,
    /// Expiry, seconds since the Unix epoch.
    pub expires_at: u64,
    /// Creation time, seconds since the Unix epoch, when the World states it.
    pub issued_at: Option<u64>,
}

impl Client {
    /// Whether the client is confidential.
    pub fn is_confidential(&self) -> bool {
        matches!(self.kind, ClientKind::Confidential { .. })
    }

    /// Whether the client may use `grant`.
    pub fn allows(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }
}

/// One user account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    /// The login name (`preferred_username`).
    pub username: String,
    /// The stable subject identifier (`sub`).
    pub id: String,
    /// The password the login page and the password grant check.
    pub password: Secret,
    /// Whether the account may log in.
    pub enabled: bool,
    /// `email`, if the user has one.
    pub email: Option<String>,
    /// `email_verified`.
    pub email_verified: bool,
    /// `name`.
    pub name: Option<String>,
    /// `given_name`.
    pub given_name: Option<String>,
    /// `family_name`.
    pub family_name: Option<String>,
    /// Realm roles the user holds.
    pub realm_roles: Vec<String>,
    /// Client roles the user holds, by `client_id`.
    pub client_roles: BTreeMap<String, Vec<String>>,
}

/// A world that could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorldError {
    /// The file could not be read.
    #[error("cannot read world file {path}: {source}")]
    Io {
        /// The file that was read.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The TOML is malformed or a field has the wrong type or an unknown name.
    #[error("{origin}:{line}: {message}")]
    Syntax {
        /// The file name, or `<string>` for text passed directly.
        origin: String,
        /// 1-based line of the error, 0 when unknown.
        line: usize,
        /// The parser's explanation, naming the field.
        message: String,
    },
    /// The TOML parses but breaks a rule of the world model.
    #[error("{origin}:{line}: {field}: {message}")]
    Invalid {
        /// The file name, or `<string>` for text passed directly.
        origin: String,
        /// 1-based line of the offending item, 0 when unknown.
        line: usize,
        /// Dotted path of the offending field, e.g. `realms.demo.clients.spa.redirect_uris`.
        field: String,
        /// What is wrong with it.
        message: String,
    },
}

impl World {
    /// The default world (`fixtures/world.toml`), parsed from the copy embedded at build time.
    ///
    /// # Errors
    /// Only if the embedded file is invalid, which the crate's tests rule out.
    pub fn default_world() -> Result<World, WorldError> {
        World::from_toml_str(DEFAULT_WORLD_TOML, "fixtures/world.toml")
    }

    /// Reads and validates a world file.
    ///
    /// # Errors
    /// [`WorldError::Io`] when the file cannot be read, otherwise as [`World::from_toml_str`].
    pub fn load(path: impl AsRef<Path>) -> Result<World, WorldError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| WorldError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        World::from_toml_str(&text, &path.display().to_string())
    }

    /// Parses and validates world TOML; `origin` names the text in error messages. `${NAME}` in
    /// a client secret or a user password is read from the process environment.
    ///
    /// # Errors
    /// [`WorldError::Syntax`] for malformed TOML, unknown fields and wrong types;
    /// [`WorldError::Invalid`] for broken rules (unknown role, bad redirect URI, an unset
    /// `${NAME}`, …).
    pub fn from_toml_str(text: &str, origin: &str) -> Result<World, WorldError> {
        World::from_toml_str_with_env(text, origin, &env::process_env)
    }

    /// [`World::from_toml_str`] with `${NAME}` looked up through `env` instead of the process
    /// environment.
    ///
    /// # Errors
    /// As [`World::from_toml_str`].
    pub fn from_toml_str_with_env(
        text: &str,
        origin: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<World, WorldError> {
        let mut raw: raw::RawWorld = toml::from_str(text).map_err(|err| WorldError::Syntax {
            origin: origin.to_owned(),
            line: err.span().map_or(0, |span| line_of(text, span.start)),
            message: err.message().trim().to_owned(),
        })?;
        let fail = |span: std::ops::Range<usize>, field: String, message: String| WorldError::Invalid {
            origin: origin.to_owned(),
            line: line_of(text, span.start),
            field,
            message,
        };
        env::expand(&mut raw, env, &fail)?;
        validate::world(raw, &fail)
    }

    /// The realm called `name`.
    pub fn realm(&self, name: &str) -> Option<&Realm> {
        self.realms.get(name)
    }
}

impl Realm {
    /// The client with `client_id`.
    pub fn client(&self, client_id: &str) -> Option<&Client> {
        self.clients.get(client_id)
    }

    /// The user with `username`.
    pub fn user(&self, username: &str) -> Option<&User> {
        self.users.get(username)
    }

    /// The user whose subject identifier is `id`.
    pub fn user_by_id(&self, id: &str) -> Option<&User> {
        self.users.values().find(|user| user.id == id)
    }

    /// The clients a token is meant for: every client whose roles the user holds, plus every
    /// client that owns one of the granted scopes, in `client_id` order.
    pub fn audiences(&self, user: Option<&User>, granted_scopes: &[String]) -> Vec<String> {
        self.clients
            .values()
            .filter(|client| {
                let holds_role =
                    user.is_some_and(|user| user.client_roles.get(&client.id).is_some_and(|roles| !roles.is_empty()));
                let owns_scope = client
                    .audience_scopes
                    .iter()
                    .any(|scope| granted_scopes.contains(scope));
                holds_role || owns_scope
            })
            .map(|client| client.id.clone())
            .collect()
    }
}

fn line_of(text: &str, byte: usize) -> usize {
    let end = byte.min(text.len());
    text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

#[cfg(test)]
mod tests;
