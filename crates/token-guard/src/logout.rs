//! [`LogoutTokenValidator`]: logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.4, §2.6)
//! as a relying party receives them at its `backchannel_logout_uri`: signed by the issuer's
//! keys (the same [`JwksCache`] as its access tokens), `iss` exact, `aud` naming the client,
//! `iat` and `exp` present and live, a `jti` seen once, the back-channel logout event, `sub`
//! and/or `sid`, and never a `nonce`.

use crate::clock::Clock;
use crate::error::InvalidToken;
use crate::jose;
use crate::jwks::JwksCache;
use crate::keys::{self, Alg};
use crate::validator::numeric_date;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// The `events` member a logout token must carry (§2.4).
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// How many `jti`s the replay cache remembers (each until its token's `exp`); beyond that the
/// cache refuses new tokens until old ones expire (fails closed).
pub const DEFAULT_MAX_REPLAY_ENTRIES: usize = 10_000;

/// Why a logout token is refused; every refusal is answered `400` by the relying party (§2.8).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidLogoutToken {
    /// The token failed a check it shares with access tokens (size, shape, algorithm, key,
    /// signature, `iss`, `aud`, `exp`, `iat`).
    #[error("invalid logout token")]
    Token(#[source] InvalidToken),
    /// The header `typ` is neither `logout+jwt` nor `JWT` (an access or other token).
    #[error("wrong token type (typ)")]
    Typ,
    /// `events` lacks the back-channel logout event, or its value is not a JSON object.
    #[error("no back-channel logout event")]
    MissingEvent,
    /// The token carries a `nonce` (§2.4: prohibited, so an ID token cannot pass as one).
    #[error("logout token carries a nonce")]
    NoncePresent,
    /// Neither `sub` nor `sid` (as strings).
    #[error("logout token names neither sub nor sid")]
    NoSubject,
    /// `jti` is missing or not a string.
    #[error("logout token has no jti")]
    MissingJti,
    /// This `jti` was already accepted.
    #[error("logout token replayed")]
    Replayed,
    /// The replay cache is full of live entries.
    #[error("too many logout tokens at once")]
    ReplayCacheFull,
}

impl From<InvalidToken> for InvalidLogoutToken {
    fn from(error: InvalidToken) -> Self {
        InvalidLogoutToken::Token(error)
    }
}

/// What an accepted logout token asks to end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutRequest {
    /// The issuer.
    pub issuer: String,
    /// The user whose sessions end, when named.
    pub subject: Option<String>,
    /// The session that ends, when named.
    pub session_id: Option<String>,
}

/// Checks logout tokens for one client of one issuer. Build it with
/// [`Validator::logout_tokens`](crate::Validator::logout_tokens).
pub struct LogoutTokenValidator {
    issuer: String,
    client_id: String,
    algorithms: Vec<Alg>,
    jwks: Arc<JwksCache>,
    clock: Arc<dyn Clock>,
    leeway: u64,
    max_token_bytes: usize,
    max_replay_entries: usize,
    seen: Mutex<HashMap<String, u64>>,
}

impl std::fmt::Debug for LogoutTokenValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogoutTokenValidator")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// The pieces of a [`crate::Validator`] a logout-token validator shares.
pub(crate) struct Shared {
    pub(crate) issuer: String,
    pub(crate) algorithms: Vec<Alg>,
    pub(crate) jwks: Arc<JwksCache>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) leeway: u64,
    pub(crate) max_token_bytes: usize,
}

impl LogoutTokenValidator {
    pub(crate) fn new(shared: Shared, client_id: String) -> LogoutTokenValidator {
        LogoutTokenValidator {
            issuer: shared.issuer,
            client_id,
            algorithms: shared.algorithms,
            jwks: shared.jwks,
            clock: shared.clock,
            leeway: shared.leeway,
            max_token_bytes: shared.max_token_bytes,
            max_replay_entries: DEFAULT_MAX_REPLAY_ENTRIES,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Bounds the replay cache at `entries` (at least 1).
    pub fn max_replay_entries(mut self, entries: usize) -> Self {
        self.max_replay_entries = entries.max(1);
        self
    }

    /// Validates `token` (the `logout_token` form parameter) and remembers its `jti`.
    ///
    /// # Errors
    /// Why the token is refused.
    pub async fn validate(&self, token: &str) -> Result<LogoutRequest, InvalidLogoutToken> {
        if token.len() > self.max_token_bytes {
            return Err(InvalidToken::TooLarge.into());
        }
        let compact = jose::parse(token)?;
        let claims = jose::object(&compact.payload)?;
        let alg = keys::allowed_alg(&compact.header.alg, &self.algorithms)?;
        let typ = compact.header.typ.as_deref().map(str::to_ascii_lowercase);
        if !matches!(
            typ.as_deref(),
            None | Some("logout+jwt" | "application/logout+jwt" | "jwt")
        ) {
            return Err(InvalidLogoutToken::Typ);
        }
        let key = self.jwks.key(compact.header.kid.as_deref(), alg).await?;
        if !key.verify(compact.signing_input.as_bytes(), &compact.signature) {
            return Err(InvalidToken::Signature.into());
        }
        let (request, jti, exp) = self.check_claims(&claims)?;
        self.remember(jti, exp)?;
        Ok(request)
    }

    fn check_claims(&self, claims: &Map<String, Value>) -> Result<(LogoutRequest, String, u64), InvalidLogoutToken> {
        if claims.get("iss").and_then(Value::as_str) != Some(self.issuer.as_str()) {
            return Err(InvalidToken::Issuer.into());
        }
        let audience_ok = match claims.get("aud") {
            Some(Value::String(aud)) => *aud == self.client_id,
            Some(Value::Array(items)) => items.iter().any(|aud| aud.as_str() == Some(self.client_id.as_str())),
            _ => false,
        };
        if !audience_ok {
            return Err(InvalidToken::Audience.into());
        }
        let now = self.clock.now();
        let iat = numeric_date(claims, "iat")?.ok_or(InvalidToken::MissingClaim("iat"))?;
        if iat > now.saturating_add(self.leeway) {
            return Err(InvalidToken::IssuedInFuture.into());
        }
        let exp = numeric_date(claims, "exp")?.ok_or(InvalidToken::MissingClaim("exp"))?;
        if now >= exp.saturating_add(self.leeway) {
            return Err(InvalidToken::Expired.into());
        }
        if claims.contains_key("nonce") {
            return Err(InvalidLogoutToken::NoncePresent);
        }
        let event = claims
            .get("events")
            .and_then(Value::as_object)
            .and_then(|events| events.get(BACKCHANNEL_LOGOUT_EVENT));
        if !event.is_some_and(Value::is_object) {
            return Err(InvalidLogoutToken::MissingEvent);
        }
        let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
        let (subject, session_id) = (text("sub"), text("sid"));
        if subject.is_none() && session_id.is_none() {
            return Err(InvalidLogoutToken::NoSubject);
        }
        let jti = text("jti").ok_or(InvalidLogoutToken::MissingJti)?;
        let request = LogoutRequest {
            issuer: self.issuer.clone(),
            subject,
            session_id,
        };
        Ok((request, jti, exp))
    }

    /// Records `jti` until `exp` (plus the leeway); refuses one already recorded.
    fn remember(&self, jti: String, exp: u64) -> Result<(), InvalidLogoutToken> {
        let now = self.clock.now();
        let mut seen = self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if seen.contains_key(&jti) {
            return Err(InvalidLogoutToken::Replayed);
        }
        if seen.len() >= self.max_replay_entries {
            seen.retain(|_, until| *until > now);
            if seen.len() >= self.max_replay_entries {
                return Err(InvalidLogoutToken::ReplayCacheFull);
            }
        }
        seen.insert(jti, exp.saturating_add(self.leeway));
        Ok(())
    }
}

/// The claims of a logout token as the OpenID Connect Back-Channel Logout 1.0 §2.4 lists them,
/// in that order: for tests and mocks that mint one.
pub fn logout_claims(
    issuer: &str,
    audience: &str,
    issued_at: u64,
    lifetime: u64,
    jti: &str,
    subject: Option<&str>,
    session_id: Option<&str>,
) -> Map<String, Value> {
    let mut events = BTreeMap::new();
    events.insert(BACKCHANNEL_LOGOUT_EVENT, Value::Object(Map::new()));
    let mut claims = Map::new();
    claims.insert("iss".into(), issuer.into());
    if let Some(subject) = subject {
        claims.insert("sub".into(), subject.into());
    }
    claims.insert("aud".into(), audience.into());
    claims.insert("iat".into(), issued_at.into());
    claims.insert("exp".into(), issued_at.saturating_add(lifetime).into());
    claims.insert("jti".into(), jti.into());
    claims.insert("events".into(), serde_json::json!(events));
    if let Some(sid) = session_id {
        claims.insert("sid".into(), sid.into());
    }
    claims
}
