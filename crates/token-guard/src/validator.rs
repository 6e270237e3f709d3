//! [`Validator`]: JWT access tokens of one issuer, checked in a fixed order: size, shape,
//! header (alg allowlist, `typ`, `crit`), key (that issuer's [`JwksCache`] only), signature,
//! then claims (`iss` exact, `aud`, `exp`/`nbf`/`iat` with leeway, required claims, token kind).

use crate::clock::{Clock, SystemClock};
use crate::error::{ConfigError, InvalidToken};
use crate::jose::{self, Compact};
use crate::jwks::{JwksCache, JwksConfig, Source};
use crate::keys::{self, Alg, KeySet};
use crate::principal::{Principal, TokenKind};
use providers::Provider;
use serde_json::{Map, Value};
use std::sync::Arc;

/// Default cap on a token's length, checked before any decoding (ATK-28).
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 8 * 1024;
/// Largest NumericDate accepted (9999-12-31T23:59:59Z); larger values are refused.
const MAX_NUMERIC_DATE: u64 = 253_402_300_799;

/// Which JOSE header `typ` values mark an access token (RS-05).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TypPolicy {
    /// RFC 9068: `at+jwt` or `application/at+jwt`, case-insensitive; required.
    AtJwt,
    /// One of these values (case-insensitive, `application/` implied); required. Keycloak
    /// access tokens say `JWT` unless its per-client at+jwt option is on.
    OneOf(Vec<String>),
}

impl TypPolicy {
    /// The policy for `provider`'s access tokens ([`Provider::access_token_typ`]).
    pub fn for_provider(provider: Provider) -> TypPolicy {
        let typ = provider.access_token_typ();
        if normalize_typ(typ) == "at+jwt" {
            TypPolicy::AtJwt
        } else {
            TypPolicy::OneOf(vec![typ.to_owned()])
        }
    }

    fn accepts(&self, typ: Option<&str>) -> bool {
        let Some(typ) = typ.map(normalize_typ) else {
            return false;
        };
        match self {
            TypPolicy::AtJwt => typ == "at+jwt",
            TypPolicy::OneOf(allowed) => allowed.iter().any(|a| normalize_typ(a) == typ),
        }
    }
}

fn normalize_typ(typ: &str) -> String {
    let lower = typ.to_ascii_lowercase();
    match lower.strip_prefix("application/") {
        Some(rest) => rest.to_owned(),
        None => lower,
    }
}

/// What to do with a `scope` claim that is not a space-separated string (RS-13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ScopeFormat {
    /// Refuse the token (`invalid_token`). The default.
    #[default]
    StringOnly,
    /// Accept the token but grant no scopes from the claim (for IdPs known to emit arrays
    /// elsewhere, with roles carrying the authorization).
    IgnoreNonString,
}

/// Claims required of `provider`'s access tokens (RS-12), as the provider's facts in
/// `providers` state them ([`Provider::required_access_token_claims`]): RFC 9068 §2.2 for the
/// generic provider, `azp` instead of `client_id` for Keycloak, no `jti` for App ID.
pub fn required_claims_for(provider: Provider) -> Vec<String> {
    provider
        .required_access_token_claims()
        .iter()
        .map(|c| (*c).to_owned())
        .collect()
}

/// Payload `typ` values that mark non-access tokens (Keycloak's ID, refresh, logout tokens).
const NON_ACCESS_TYPS: [&str; 5] = ["id", "refresh", "offline", "logout", "serialized-id"];

/// Builds a [`Validator`]; see [`Validator::builder`].
#[derive(Debug)]
pub struct ValidatorBuilder {
    issuer: String,
    audiences: Vec<String>,
    algorithms: Vec<Alg>,
    provider: Provider,
    typ: Option<TypPolicy>,
    payload_typ: Option<Option<String>>,
    required: Option<Vec<String>>,
    leeway: u64,
    clock: Arc<dyn Clock>,
    source: Option<Source>,
    static_jwks: Option<Vec<u8>>,
    jwks_config: JwksConfig,
    client: Option<reqwest::Client>,
    resource: Option<String>,
    max_token_bytes: usize,
    scope_format: ScopeFormat,
}

impl ValidatorBuilder {
    /// The provider whose token shapes (`typ`, required claims, role reader) apply. Default
    /// `generic`.
    pub fn provider(mut self, provider: Provider) -> Self {
        self.provider = provider;
        self
    }

    /// Overrides the provider's `typ` policy.
    pub fn typ(mut self, policy: TypPolicy) -> Self {
        self.typ = Some(policy);
        self
    }

    /// Overrides the payload `typ` claim required (`None`: no `typ` claim is required, but
    /// ID/refresh/logout values are still refused).
    pub fn payload_typ(mut self, typ: Option<&str>) -> Self {
        self.payload_typ = Some(typ.map(str::to_owned));
        self
    }

    /// Overrides the required claims (RS-12); `iss`, `exp` and `aud` are always required.
    pub fn required_claims<I: IntoIterator<Item = S>, S: Into<String>>(mut self, claims: I) -> Self {
        self.required = Some(claims.into_iter().map(Into::into).collect());
        self
    }

    /// Another accepted audience.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Clock skew allowed on `exp`, `nbf` and `iat`, at most 60 s. Default 30 s.
    pub fn leeway(mut self, seconds: u64) -> Self {
        self.leeway = seconds;
        self
    }

    /// The clock (default: the system clock).
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Fetch keys from this JWKS URL instead of discovery.
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.source = Some(Source::Url(url.into()));
        self
    }

    /// Use this fixed JWK set (no fetching).
    pub fn static_jwks(mut self, document: impl Into<Vec<u8>>) -> Self {
        self.static_jwks = Some(document.into());
        self.source = Some(Source::Static);
        self
    }

    /// Cache bounds, cooldowns and timeouts.
    pub fn jwks_config(mut self, config: JwksConfig) -> Self {
        self.jwks_config = config;
        self
    }

    /// The HTTP client for discovery and JWKS.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
    }

    /// The client id whose client roles count (Keycloak `resource_access.<id>`). Default: the
    /// first audience.
    pub fn resource(mut self, client_id: impl Into<String>) -> Self {
        self.resource = Some(client_id.into());
        self
    }

    /// Longest token accepted. Default [`DEFAULT_MAX_TOKEN_BYTES`].
    pub fn max_token_bytes(mut self, bytes: usize) -> Self {
        self.max_token_bytes = bytes;
        self
    }

    /// What to do with a non-string `scope`.
    pub fn scope_format(mut self, format: ScopeFormat) -> Self {
        self.scope_format = format;
        self
    }

    /// Builds the validator.
    ///
    /// # Errors
    /// [`ConfigError`] for an empty allowlist or audience, leeway above 60 s, a URL that is
    /// not https (or loopback http), or an unusable static key set.
    pub fn build(self) -> Result<Validator, ConfigError> {
        if self.algorithms.is_empty() {
            return Err(ConfigError::NoAlgorithms);
        }
        if self.audiences.is_empty() || self.audiences.iter().any(String::is_empty) {
            return Err(ConfigError::NoAudience);
        }
        if self.leeway > 60 {
            return Err(ConfigError::LeewayTooLarge);
        }
        let initial = match &self.static_jwks {
            Some(document) => Some(KeySet::from_jwks(document, &self.algorithms).map_err(ConfigError::Keys)?),
            None => None,
        };
        let source = self.source.unwrap_or_else(|| Source::Discovery {
            issuer: self.issuer.clone(),
        });
        let client = match self.client {
            Some(client) => client,
            None => crate::http::default_client()?,
        };
        let jwks = JwksCache::new(
            source,
            self.algorithms.clone(),
            self.jwks_config,
            self.clock.clone(),
            client,
            initial,
        )?;
        let mut required = self.required.unwrap_or_else(|| required_claims_for(self.provider));
        for always in ["iss", "exp", "aud"] {
            if !required.iter().any(|c| c == always) {
                required.push(always.to_owned());
            }
        }
        Ok(Validator {
            resource: self.resource.unwrap_or_else(|| self.audiences[0].clone()),
            typ: self.typ.unwrap_or_else(|| TypPolicy::for_provider(self.provider)),
            payload_typ: self
                .payload_typ
                .unwrap_or_else(|| self.provider.access_token_payload_typ().map(str::to_owned)),
            issuer: self.issuer,
            audiences: self.audiences,
            algorithms: self.algorithms,
            provider: self.provider,
            required,
            leeway: self.leeway,
            clock: self.clock,
            jwks: Arc::new(jwks),
            max_token_bytes: self.max_token_bytes,
            scope_format: self.scope_format,
        })
    }
}

/// Validates one issuer's JWT access tokens. There is no `Default`: the issuer, the audience
/// and the algorithm allowlist are always the caller's choice.
#[derive(Debug)]
pub struct Validator {
    issuer: String,
    audiences: Vec<String>,
    algorithms: Vec<Alg>,
    provider: Provider,
    typ: TypPolicy,
    payload_typ: Option<String>,
    required: Vec<String>,
    leeway: u64,
    clock: Arc<dyn Clock>,
    jwks: Arc<JwksCache>,
    resource: String,
    max_token_bytes: usize,
    scope_format: ScopeFormat,
}

impl Validator {
    /// A builder for `issuer` (compared as an exact string), `audience` (this resource
    /// server's identifier) and the algorithm allowlist. Keys come from the issuer's discovery
    /// document unless [`ValidatorBuilder::jwks_url`] or [`ValidatorBuilder::static_jwks`] says.
    pub fn builder<A: IntoIterator<Item = Alg>>(
        issuer: impl Into<String>,
        audience: impl Into<String>,
        algorithms: A,
    ) -> ValidatorBuilder {
        ValidatorBuilder {
            issuer: issuer.into(),
            audiences: vec![audience.into()],
            algorithms: algorithms.into_iter().collect(),
            provider: Provider::Generic,
            typ: None,
            payload_typ: None,
            required: None,
            leeway: 30,
            clock: Arc::new(SystemClock),
            source: None,
            static_jwks: None,
            jwks_config: JwksConfig::default(),
            client: None,
            resource: None,
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
            scope_format: ScopeFormat::default(),
        }
    }

    /// The issuer.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The provider.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// This issuer's key cache.
    pub fn jwks(&self) -> &Arc<JwksCache> {
        &self.jwks
    }

    /// Longest token accepted.
    pub fn max_token_bytes(&self) -> usize {
        self.max_token_bytes
    }

    /// A validator of logout tokens (OpenID Connect Back-Channel Logout 1.0) for the client
    /// `client_id` of this issuer, sharing this validator's keys, algorithms, clock and leeway.
    pub fn logout_tokens(&self, client_id: impl Into<String>) -> crate::LogoutTokenValidator {
        crate::LogoutTokenValidator::new(
            crate::logout::Shared {
                issuer: self.issuer.clone(),
                algorithms: self.algorithms.clone(),
                jwks: self.jwks.clone(),
                clock: self.clock.clone(),
                leeway: self.leeway,
                max_token_bytes: self.max_token_bytes,
            },
            client_id.into(),
        )
    }

    /// Validates a JWT access token and shapes its [`Principal`].
    ///
    /// # Errors
    /// Why the token is refused; every error means `401 invalid_token`.
    pub async fn validate(&self, token: &str) -> Result<Principal, InvalidToken> {
        if token.len() > self.max_token_bytes {
            return Err(InvalidToken::TooLarge);
        }
        let compact = jose::parse(token)?;
        let claims = jose::object(&compact.payload)?;
        self.validate_parsed(&compact, claims).await
    }

    pub(crate) async fn validate_parsed(
        &self,
        compact: &Compact<'_>,
        claims: Map<String, Value>,
    ) -> Result<Principal, InvalidToken> {
        let alg = keys::allowed_alg(&compact.header.alg, &self.algorithms)?;
        if !self.typ.accepts(compact.header.typ.as_deref()) {
            return Err(InvalidToken::Typ);
        }
        let key = self.jwks.key(compact.header.kid.as_deref(), alg).await?;
        if !key.verify(compact.signing_input.as_bytes(), &compact.signature) {
            return Err(InvalidToken::Signature);
        }
        self.check_claims(claims)
    }

    fn check_claims(&self, claims: Map<String, Value>) -> Result<Principal, InvalidToken> {
        match claims.get("iss") {
            Some(Value::String(iss)) if *iss == self.issuer => {}
            _ => return Err(InvalidToken::Issuer),
        }
        check_audience(claims.get("aud"), &self.audiences)?;
        let now = self.clock.now();
        let exp = numeric_date(&claims, "exp")?.ok_or(InvalidToken::MissingClaim("exp"))?;
        if now >= exp.saturating_add(self.leeway) {
            return Err(InvalidToken::Expired);
        }
        if let Some(nbf) = numeric_date(&claims, "nbf")?
            && now.saturating_add(self.leeway) < nbf
        {
            return Err(InvalidToken::NotYetValid);
        }
        if let Some(iat) = numeric_date(&claims, "iat")?
            && iat > now.saturating_add(self.leeway)
        {
            return Err(InvalidToken::IssuedInFuture);
        }
        for name in &self.required {
            if claims.get(name).is_none_or(Value::is_null) {
                return Err(InvalidToken::MissingClaim(static_name(name)));
            }
        }
        for name in ["sub", "client_id", "jti", "azp"] {
            if claims.get(name).is_some_and(|v| !v.is_string()) {
                return Err(InvalidToken::ClaimType(static_name(name)));
            }
        }
        let Some(Value::String(subject)) = claims.get("sub") else {
            return Err(InvalidToken::MissingClaim("sub"));
        };
        let subject = subject.clone();
        self.check_kind(&claims)?;
        if claims.get("scope").is_some_and(|s| !s.is_string()) && self.scope_format == ScopeFormat::StringOnly {
            return Err(InvalidToken::ClaimType("scope"));
        }
        Ok(Principal::from_claims(
            self.provider,
            &self.resource,
            subject,
            self.issuer.clone(),
            exp,
            TokenKind::Jwt,
            claims,
        ))
    }

    /// Refuses ID, refresh and logout tokens presented as access tokens (RS-15, ATK-36).
    fn check_kind(&self, claims: &Map<String, Value>) -> Result<(), InvalidToken> {
        if claims.contains_key("events")
            || claims.contains_key("at_hash")
            || claims.contains_key("nonce") && !claims.contains_key("scope")
        {
            return Err(InvalidToken::NotAnAccessToken);
        }
        match (claims.get("typ"), &self.payload_typ) {
            (None, None) => Ok(()),
            (Some(Value::String(typ)), None) if !NON_ACCESS_TYPS.contains(&typ.to_ascii_lowercase().as_str()) => Ok(()),
            (Some(Value::String(typ)), Some(expected)) if typ == expected => Ok(()),
            // A DPoP-bound token of a provider that marks binding in `typ` (Keycloak: `DPoP`);
            // its binding is checked by the DPoP layer, which refuses it as a bearer token.
            (Some(Value::String(_)), Some(_))
                if claims.get("cnf").and_then(|cnf| cnf.get("jkt")).is_some()
                    && self.provider.quirks().is_bound_access_token(claims) =>
            {
                Ok(())
            }
            _ => Err(InvalidToken::NotAnAccessToken),
        }
    }
}

fn check_audience(aud: Option<&Value>, accepted: &[String]) -> Result<(), InvalidToken> {
    let ok = match aud {
        Some(Value::String(aud)) => accepted.contains(aud),
        Some(Value::Array(items)) if !items.is_empty() && items.iter().all(Value::is_string) => items
            .iter()
            .filter_map(Value::as_str)
            .any(|aud| accepted.iter().any(|a| a == aud)),
        _ => false,
    };
    if ok { Ok(()) } else { Err(InvalidToken::Audience) }
}

/// A NumericDate claim (RFC 7519 §2): a non-negative integer, or a finite non-negative number
/// (rounded), at most year 9999. `None` when absent; `null` and other types are refused.
pub(crate) fn numeric_date(claims: &Map<String, Value>, name: &'static str) -> Result<Option<u64>, InvalidToken> {
    let Some(value) = claims.get(name) else {
        return Ok(None);
    };
    let seconds = match value {
        Value::Number(n) => match (n.as_u64(), n.as_f64()) {
            (Some(u), _) => Some(u),
            (None, Some(f)) if f.is_finite() && f >= 0.0 && f <= MAX_NUMERIC_DATE as f64 => Some(f.round() as u64),
            _ => None,
        },
        _ => None,
    };
    match seconds {
        Some(s) if s <= MAX_NUMERIC_DATE => Ok(Some(s)),
        _ => Err(InvalidToken::ClaimType(name)),
    }
}

fn static_name(name: &str) -> &'static str {
    const KNOWN: [&str; 13] = [
        "iss",
        "exp",
        "aud",
        "sub",
        "client_id",
        "iat",
        "jti",
        "azp",
        "nbf",
        "scope",
        "typ",
        "roles",
        "tenant",
    ];
    KNOWN
        .iter()
        .copied()
        .find(|k| *k == name)
        .unwrap_or("(configured claim)")
}
