//! The world file as written: serde shapes with spans, before validation.

use crate::{GrantType, PkcePolicy, SigningAlg, TokenFormat};
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWorld {
    pub(super) default_realm: Option<Spanned<String>>,
    pub(super) realms: Spanned<BTreeMap<String, Spanned<RawRealm>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRealm {
    pub(super) display_name: Option<String>,
    pub(super) scopes: Spanned<Vec<String>>,
    pub(super) roles: Option<Spanned<Vec<String>>>,
    pub(super) lifetimes: Option<RawLifetimes>,
    pub(super) signing_alg: Option<SigningAlg>,
    #[serde(default)]
    pub(super) dpop_nonce: bool,
    #[serde(default)]
    pub(super) impersonation: bool,
    #[serde(default)]
    pub(super) clients: BTreeMap<String, Spanned<RawClient>>,
    #[serde(default)]
    pub(super) users: BTreeMap<String, Spanned<RawUser>>,
    #[serde(default)]
    pub(super) identity_providers: BTreeMap<String, Spanned<RawIdentityProvider>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawIdentityProvider {
    pub(super) issuer: Option<String>,
    /// A JWK set as JSON text.
    pub(super) jwks: Spanned<String>,
    pub(super) alias: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLifetimes {
    pub(super) access_token_secs: Option<Spanned<u64>>,
    pub(super) refresh_token_secs: Option<Spanned<u64>>,
    pub(super) authorization_code_secs: Option<Spanned<u64>>,
    pub(super) login_secs: Option<Spanned<u64>>,
    pub(super) session_idle_secs: Option<Spanned<u64>>,
    pub(super) session_max_secs: Option<Spanned<u64>>,
    pub(super) device_code_secs: Option<Spanned<u64>>,
    pub(super) device_poll_interval_secs: Option<Spanned<u64>>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum RawClientKind {
    Confidential,
    Public,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawClient {
    pub(super) kind: RawClientKind,
    pub(super) secret: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) redirect_uris: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) post_logout_redirect_uris: Vec<Spanned<String>>,
    pub(super) grant_types: Spanned<Vec<GrantType>>,
    pub(super) pkce: Option<PkcePolicy>,
    pub(super) scopes: Option<Spanned<Vec<String>>>,
    pub(super) default_scopes: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub(super) roles: Vec<String>,
    pub(super) audience_scopes: Option<Spanned<Vec<String>>>,
    pub(super) service_account_roles: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub(super) introspection: bool,
    pub(super) access_token_format: Option<TokenFormat>,
    pub(super) signing_alg: Option<SigningAlg>,
    #[serde(default)]
    pub(super) personal_access_tokens: Vec<Spanned<RawPat>>,
    /// A JWK set as JSON text.
    pub(super) jwks: Option<Spanned<String>>,
    pub(super) jwks_uri: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) require_pushed_authorization_requests: bool,
    #[serde(default)]
    pub(super) dpop_bound_access_tokens: bool,
    pub(super) backchannel_logout_uri: Option<Spanned<String>>,
    pub(super) backchannel_logout_session_required: Option<bool>,
    pub(super) token_endpoint_auth_method: Option<Spanned<crate::world::TokenEndpointAuthMethod>>,
    pub(super) client_assertion_max_exp: Option<Spanned<u64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPat {
    pub(super) token: String,
    pub(super) expires_at: u64,
    pub(super) issued_at: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawUser {
    pub(super) id: Spanned<String>,
    pub(super) password: Spanned<String>,
    #[serde(default = "enabled_by_default")]
    pub(super) enabled: bool,
    pub(super) email: Option<String>,
    #[serde(default = "enabled_by_default")]
    pub(super) email_verified: bool,
    pub(super) name: Option<String>,
    pub(super) given_name: Option<String>,
    pub(super) family_name: Option<String>,
    pub(super) realm_roles: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub(super) client_roles: BTreeMap<String, Spanned<Vec<String>>>,
}

fn enabled_by_default() -> bool {
    true
}
