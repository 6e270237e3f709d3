//! [`JwksCache`]: one issuer's signing keys, fetched from discovery's `jwks_uri` (or a
//! configured JWKS URL), cached within bounds, refetched single-flight with a cooldown, with a
//! bounded negative-`kid` cache and last-good keys served for a bounded time when the issuer
//! is down.

use crate::clock::Clock;
use crate::error::{ConfigError, InvalidToken};
use crate::http::{self, FetchError};
use crate::keys::{Alg, KeySet, VerifyKey};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// How a [`JwksCache`] fetches and keeps keys. Every bound is explicit; the defaults suit
/// production and tests shorten them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct JwksConfig {
    /// Lifetime of a key set when the response has no usable `Cache-Control: max-age`.
    /// Default 300 s.
    pub default_ttl: u64,
    /// Lower bound on a `max-age` (and the lifetime after `no-store`). Default 30 s.
    pub min_ttl: u64,
    /// Upper bound on a `max-age`. Default 86 400 s.
    pub max_ttl: u64,
    /// At most one upstream fetch per this many seconds, whatever triggers it (unknown `kid`,
    /// expiry, an empty or failed answer). Default 30 s.
    pub refetch_cooldown: u64,
    /// How long after the last successful fetch cached keys keep being served while refetches
    /// fail. Default 3 600 s.
    pub max_stale: u64,
    /// Timeout of one discovery or JWKS request. Default 5 s.
    pub timeout: Duration,
    /// Largest JWKS or discovery body read. Default 256 KiB.
    pub max_body_bytes: usize,
    /// How many unknown `kid`s are remembered. Default 1 024.
    pub negative_capacity: usize,
    /// How long an unknown `kid` is remembered. Default 60 s.
    pub negative_ttl: u64,
    /// Allow plain http to non-loopback hosts. Default false.
    pub allow_insecure_http: bool,
}

impl Default for JwksConfig {
    fn default() -> JwksConfig {
        JwksConfig {
            default_ttl: 300,
            min_ttl: 30,
            max_ttl: 86_400,
            refetch_cooldown: 30,
            max_stale: 3_600,
            timeout: Duration::from_secs(5),
            max_body_bytes: 256 * 1024,
            negative_capacity: 1_024,
            negative_ttl: 60,
            allow_insecure_http: false,
        }
    }
}

/// Where the keys come from.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// `{issuer}/.well-known/openid-configuration` → `jwks_uri`.
    Discovery { issuer: String },
    /// A JWKS URL.
    Url(String),
    /// A fixed key set (no fetching).
    Static,
}

#[derive(Debug, Default)]
struct State {
    keys: Arc<KeySet>,
    /// When the current keys stop being fresh.
    fresh_until: u64,
    /// Last successful fetch.
    last_success: Option<u64>,
    /// Last fetch attempt (success or not).
    last_attempt: Option<u64>,
    jwks_uri: Option<String>,
    negative: Negative,
}

#[derive(Debug, Default)]
struct Negative {
    until: HashMap<String, u64>,
    order: VecDeque<String>,
}

impl Negative {
    fn contains(&self, kid: &str, now: u64) -> bool {
        self.until.get(kid).is_some_and(|until| now < *until)
    }

    fn insert(&mut self, kid: &str, until: u64, capacity: usize) {
        if capacity == 0 {
            return;
        }
        if self.until.insert(kid.to_owned(), until).is_none() {
            self.order.push_back(kid.to_owned());
        }
        while self.order.len() > capacity {
            if let Some(old) = self.order.pop_front() {
                self.until.remove(&old);
            }
        }
    }

    fn clear(&mut self) {
        self.until.clear();
        self.order.clear();
    }
}

/// One issuer's key cache. Cheap to share (`Arc`); all methods take `&self`.
#[derive(Debug)]
pub struct JwksCache {
    source: Source,
    allowed: Vec<Alg>,
    config: JwksConfig,
    clock: Arc<dyn Clock>,
    client: reqwest::Client,
    state: RwLock<State>,
    fetching: tokio::sync::Mutex<()>,
}

impl JwksCache {
    pub(crate) fn new(
        source: Source,
        allowed: Vec<Alg>,
        config: JwksConfig,
        clock: Arc<dyn Clock>,
        client: reqwest::Client,
        initial: Option<KeySet>,
    ) -> Result<JwksCache, ConfigError> {
        match &source {
            Source::Discovery { issuer } => {
                http::checked_url(issuer, config.allow_insecure_http)?;
            }
            Source::Url(url) => {
                http::checked_url(url, config.allow_insecure_http)?;
            }
            Source::Static => {}
        }
        let state = State {
            fresh_until: if initial.is_some() { u64::MAX } else { 0 },
            keys: Arc::new(initial.unwrap_or_default()),
            ..State::default()
        };
        Ok(JwksCache {
            source,
            allowed,
            config,
            clock,
            client,
            state: RwLock::new(state),
            fetching: tokio::sync::Mutex::new(()),
        })
    }

    /// The keys currently cached.
    pub fn keys(&self) -> Arc<KeySet> {
        self.read(|state| state.keys.clone())
    }

    fn read<T>(&self, f: impl FnOnce(&State) -> T) -> T {
        f(&self.state.read().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    fn write<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.write().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// The key for `kid`/`alg`, fetching the key set first if it is missing, expired, or lacks
    /// the `kid` (within the cooldown and negative-cache rules).
    ///
    /// # Errors
    /// [`InvalidToken::UnknownKey`], [`InvalidToken::AlgorithmNotAllowed`] (the key is pinned
    /// to another algorithm) or [`InvalidToken::KeysUnavailable`].
    pub async fn key(&self, kid: Option<&str>, alg: Alg) -> Result<Arc<VerifyKey>, InvalidToken> {
        let now = self.clock.now();
        let (keys, fresh) = self.read(|state| (state.keys.clone(), now < state.fresh_until));
        let cached = keys.find(kid, alg).cloned();
        if fresh && let Ok(key) = cached {
            return Ok(key);
        }
        if matches!(self.source, Source::Static) {
            return cached;
        }
        if let (Some(kid), Err(InvalidToken::UnknownKey)) = (kid, &cached)
            && fresh
            && self.read(|state| state.negative.contains(kid, now))
        {
            return Err(InvalidToken::UnknownKey);
        }
        // The set is stale, missing or lacks the kid: one fetch per cooldown, single-flight.
        self.refresh(now).await;
        let now = self.clock.now();
        let result = self.read(|state| {
            let usable = now < state.fresh_until
                || state
                    .last_success
                    .is_some_and(|at| now < at.saturating_add(self.config.max_stale));
            if state.keys.is_empty() && state.last_success.is_none() {
                return Err(InvalidToken::KeysUnavailable);
            }
            if !usable {
                return Err(InvalidToken::KeysUnavailable);
            }
            state.keys.find(kid, alg).cloned()
        });
        if let (Some(kid), Err(InvalidToken::UnknownKey)) = (kid, &result) {
            let until = now.saturating_add(self.config.negative_ttl);
            self.write(|state| state.negative.insert(kid, until, self.config.negative_capacity));
        }
        result
    }

    /// Fetches the key set unless a fetch happened within the cooldown; concurrent callers
    /// wait for the one fetch in flight instead of starting their own.
    async fn refresh(&self, now: u64) {
        let _flight = self.fetching.lock().await;
        let cooling = self.read(|state| {
            state
                .last_attempt
                .is_some_and(|at| now < at.saturating_add(self.config.refetch_cooldown))
        });
        if cooling {
            return;
        }
        let attempt = self.clock.now();
        self.write(|state| state.last_attempt = Some(attempt));
        match self.fetch().await {
            Ok((keys, ttl)) => {
                let now = self.clock.now();
                tracing::debug!(keys = keys.len(), skipped = keys.skipped().len(), ttl, "JWKS fetched");
                self.write(|state| {
                    state.keys = Arc::new(keys);
                    state.fresh_until = now.saturating_add(ttl);
                    state.last_success = Some(now);
                    state.negative.clear();
                });
            }
            Err(reason) => tracing::warn!(%reason, "JWKS fetch failed; keeping the cached keys"),
        }
    }

    async fn fetch(&self) -> Result<(KeySet, u64), String> {
        let uri = self.jwks_uri().await?;
        let fetched = http::fetch(
            self.client.get(uri.as_str()),
            self.config.timeout,
            self.config.max_body_bytes,
        )
        .await
        .map_err(|err: FetchError| err.to_string())?;
        let keys = KeySet::from_jwks(&fetched.body, &self.allowed).map_err(|err| err.to_string())?;
        if keys.is_empty() {
            // An empty answer never replaces good keys (and the cooldown still applies).
            return Err("the key set has no usable key".into());
        }
        let ttl = fetched
            .cache_control
            .as_deref()
            .and_then(http::max_age)
            .unwrap_or(self.config.default_ttl)
            .clamp(self.config.min_ttl, self.config.max_ttl);
        Ok((keys, ttl))
    }

    async fn jwks_uri(&self) -> Result<url::Url, String> {
        let issuer = match &self.source {
            Source::Url(url) => {
                return http::checked_url(url, self.config.allow_insecure_http).map_err(|e| e.to_string());
            }
            Source::Static => return Err("static key set".into()),
            Source::Discovery { issuer } => issuer,
        };
        if let Some(uri) = self.read(|state| state.jwks_uri.clone()) {
            return http::checked_url(&uri, self.config.allow_insecure_http).map_err(|e| e.to_string());
        }
        let discovery = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
        let fetched = http::fetch(
            self.client.get(&discovery),
            self.config.timeout,
            self.config.max_body_bytes,
        )
        .await
        .map_err(|err| format!("discovery: {err}"))?;
        let document = crate::jose::object(&fetched.body).map_err(|err| format!("discovery: {err}"))?;
        // OIDC Discovery §4.3: the document's issuer must be exactly the configured one.
        if document.get("issuer").and_then(serde_json::Value::as_str) != Some(issuer.as_str()) {
            return Err("discovery: issuer mismatch".into());
        }
        let uri = document
            .get("jwks_uri")
            .and_then(serde_json::Value::as_str)
            .ok_or("discovery: no jwks_uri")?;
        let checked = http::checked_url(uri, self.config.allow_insecure_http).map_err(|e| e.to_string())?;
        self.write(|state| state.jwks_uri = Some(uri.to_owned()));
        Ok(checked)
    }

    /// Discovery's `introspection_endpoint` for this issuer (used by the seed API).
    ///
    /// # Errors
    /// The discovery document cannot be fetched or has no such endpoint.
    pub async fn discover_introspection_endpoint(&self) -> Result<String, String> {
        let Source::Discovery { issuer } = &self.source else {
            return Err("not a discovery source".into());
        };
        let discovery = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
        let fetched = http::fetch(
            self.client.get(&discovery),
            self.config.timeout,
            self.config.max_body_bytes,
        )
        .await
        .map_err(|err| err.to_string())?;
        let document = crate::jose::object(&fetched.body).map_err(|err| err.to_string())?;
        document
            .get("introspection_endpoint")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| "no introspection_endpoint".into())
    }
}
