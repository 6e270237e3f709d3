//! Inputs to the claim and document builders, and the standard OIDC claims every provider shares.

use crate::{Client, GrantType, Realm, SigningAlg, Site, User};
use serde_json::{Map, Value, json};

/// What an access token is built from.
#[derive(Debug, Clone, Copy)]
pub struct AccessTokenInput<'a> {
    /// The realm's issuer.
    pub issuer: &'a str,
    /// The realm.
    pub realm: &'a Realm,
    /// The client the token is issued to.
    pub client: &'a Client,
    /// The user, or `None` for a service account (`client_credentials`).
    pub user: Option<&'a User>,
    /// Granted scopes.
    pub scopes: &'a [String],
    /// Clients the token is meant for ([`Realm::audiences`]).
    pub audiences: &'a [String],
    /// `iat`, seconds since the epoch.
    pub issued_at: u64,
    /// `exp`, seconds since the epoch.
    pub expires_at: u64,
    /// `jti`.
    pub jti: &'a str,
    /// `auth_time` of the user's login, if a user logged in.
    pub auth_time: Option<u64>,
    /// The login session id (`sid`), if any.
    pub session_id: Option<&'a str>,
    /// Where the realm is served.
    pub site: &'a Site,
    /// The grant that issued the token (`None` for tokens minted without a grant).
    pub grant: Option<GrantType>,
    /// The grant by which the user logged in for this session: `authorization_code` (an
    /// interactive login) or `password` (a direct grant); kept across refreshes. `None` without
    /// a user login (client credentials, tokens minted directly).
    pub login: Option<GrantType>,
}

/// What an ID token is built from.
#[derive(Debug, Clone, Copy)]
pub struct IdTokenInput<'a> {
    /// The realm's issuer.
    pub issuer: &'a str,
    /// The client (`aud`, `azp`).
    pub client: &'a Client,
    /// The user.
    pub user: &'a User,
    /// Granted scopes; they decide which profile claims appear.
    pub scopes: &'a [String],
    /// `iat`.
    pub issued_at: u64,
    /// `exp`.
    pub expires_at: u64,
    /// `auth_time`.
    pub auth_time: u64,
    /// `nonce` from the authorization request.
    pub nonce: Option<&'a str>,
    /// `sid`.
    pub session_id: Option<&'a str>,
    /// `at_hash` of the access token issued alongside.
    pub at_hash: Option<&'a str>,
    /// `jti`.
    pub jti: &'a str,
    /// The realm.
    pub realm: &'a Realm,
    /// Where the realm is served.
    pub site: &'a Site,
    /// The grant that issued the token.
    pub grant: Option<GrantType>,
    /// The grant by which the user logged in for this session: `authorization_code` (an
    /// interactive login) or `password` (a direct grant); kept across refreshes. `None` without
    /// a user login (client credentials, tokens minted directly).
    pub login: Option<GrantType>,
}

/// What an active introspection response is built from.
#[derive(Debug, Clone, Copy)]
pub struct IntrospectionInput<'a> {
    /// The token's claims (for opaque and refresh tokens: the claims recorded at issuance).
    pub claims: &'a Map<String, Value>,
    /// The user's login name, when a user is the subject.
    pub username: Option<&'a str>,
    /// The user, when a user of the realm is the subject (ZITADEL adds their user info).
    pub user: Option<&'a User>,
    /// Whether the token is a refresh token (otherwise an access token).
    pub refresh_token: bool,
    /// Whether the (access) token is a JWT rather than an opaque reference.
    pub jwt: bool,
    /// Where the realm is served.
    pub site: &'a Site,
}

/// What a successful token response is built from.
#[derive(Debug, Clone, Copy)]
pub struct TokenResponseInput<'a> {
    /// `access_token`.
    pub access_token: &'a str,
    /// `expires_in`.
    pub expires_in: u64,
    /// `refresh_token`, if one was issued.
    pub refresh_token: Option<&'a str>,
    /// Lifetime of the refresh token.
    pub refresh_expires_in: Option<u64>,
    /// `id_token`, if one was issued.
    pub id_token: Option<&'a str>,
    /// Granted scopes, space-separated.
    pub scope: &'a str,
    /// The login session id, if any.
    pub session_id: Option<&'a str>,
}

/// What a discovery document is built from: only what the server really implements.
#[derive(Debug, Clone, Copy)]
pub struct DiscoveryInput<'a> {
    /// Where the realm is served (issuer and endpoint URLs).
    pub site: &'a Site,
    /// The realm.
    pub realm: &'a Realm,
    /// Grant types the server implements.
    pub grant_types: &'a [GrantType],
    /// Algorithms the server holds keys for.
    pub signing_algs: &'a [SigningAlg],
}

/// Claims each standard scope releases (OIDC Core §5.4), for the claims this world models.
pub const SCOPE_CLAIMS: &[(&str, &[&str])] = &[
    ("profile", &["name", "given_name", "family_name", "preferred_username"]),
    ("email", &["email", "email_verified"]),
];

/// The standard claims of `user` released by `scopes` (OIDC Core §5.1, §5.4), `sub` excluded.
pub fn standard_user_claims(user: &User, scopes: &[String]) -> Map<String, Value> {
    let mut claims = Map::new();
    let has = |scope: &str| scopes.iter().any(|s| s == scope);
    if has("profile") {
        insert_opt(&mut claims, "name", user.name.as_deref());
        insert_opt(&mut claims, "given_name", user.given_name.as_deref());
        insert_opt(&mut claims, "family_name", user.family_name.as_deref());
        claims.insert("preferred_username".into(), json!(user.username));
    }
    if let (true, Some(email)) = (has("email"), &user.email) {
        claims.insert("email".into(), json!(email));
        claims.insert("email_verified".into(), json!(user.email_verified));
    }
    claims
}

/// `aud` as one string when there is one audience, as an array otherwise (RFC 7519 §4.1.3).
pub fn audience_value(audiences: &[String]) -> Value {
    match audiences {
        [single] => json!(single),
        many => json!(many),
    }
}

fn insert_opt(claims: &mut Map<String, Value>, name: &str, value: Option<&str>) {
    if let Some(value) = value {
        claims.insert(name.into(), json!(value));
    }
}

/// A UUID-shaped identifier derived from `seed` (stable across runs and machines), for ids a
/// provider would have generated (e.g. Keycloak's service-account users).
pub fn stable_uuid(seed: &str) -> String {
    let hash = |offset: u64| {
        seed.bytes().fold(offset, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    let (high, low) = (hash(0xcbf2_9ce4_8422_2325), hash(0x8422_2325_cbf2_9ce4));
    format!(
        "{:08x}-{:04x}-8{:03x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0x0fff,
        (low >> 48) & 0x3fff | 0x8000,
        low & 0xffff_ffff_ffff
    )
}

/// An 18-digit decimal identifier derived from `seed`, the shape of ZITADEL's snowflake ids.
pub fn stable_numeric_id(seed: &str) -> String {
    let hash = seed.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{}", 100_000_000_000_000_000 + hash % 900_000_000_000_000_000)
}
