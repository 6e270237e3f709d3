//! [`Introspector`]: opaque tokens checked at the issuer's RFC 7662 endpoint, with a bounded
//! cache whose entries never outlive the token's `exp`. Tokens are cached under their SHA-256,
//! never in the clear.

use crate::clock::{Clock, SystemClock};
use crate::error::{ConfigError, InvalidToken};
use crate::http;
use crate::principal::{Principal, TokenKind};
use providers::{Provider, Secret};
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the resource server authenticates to the introspection endpoint (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ClientAuth {
    /// `client_secret_basic`: HTTP Basic. The default.
    #[default]
    Basic,
    /// `client_secret_post`: `client_id` and `client_secret` in the form body.
    Post,
}

/// Builds an [`Introspector`].
#[derive(Debug)]
pub struct IntrospectorBuilder {
    endpoint: String,
    client_id: String,
    client_secret: Secret,
    auth: ClientAuth,
    issuer: Option<String>,
    audience: Option<String>,
    provider: Provider,
    resource: Option<String>,
    clock: Arc<dyn Clock>,
    cache_ttl: u64,
    cache_capacity: usize,
    timeout: Duration,
    max_body_bytes: usize,
    allow_insecure_http: bool,
    client: Option<reqwest::Client>,
}

impl IntrospectorBuilder {
    /// `client_secret_basic` (default) or `client_secret_post`.
    pub fn client_auth(mut self, auth: ClientAuth) -> Self {
        self.auth = auth;
        self
    }

    /// When the response carries `iss`, it must equal this issuer.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// When the response carries `aud`, it must name this audience.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// The provider whose reader shapes the principal. Default `generic`.
    pub fn provider(mut self, provider: Provider) -> Self {
        self.provider = provider;
        self
    }

    /// The client id whose client roles count.
    pub fn resource(mut self, client_id: impl Into<String>) -> Self {
        self.resource = Some(client_id.into());
        self
    }

    /// The clock.
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Longest time an active answer is reused (never past the token's `exp`). Default 60 s;
    /// 0 disables the cache.
    pub fn cache_ttl(mut self, seconds: u64) -> Self {
        self.cache_ttl = seconds;
        self
    }

    /// Most answers cached. Default 10 000.
    pub fn cache_capacity(mut self, entries: usize) -> Self {
        self.cache_capacity = entries;
        self
    }

    /// Timeout of one introspection request. Default 5 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Allow plain http to a non-loopback host.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// The HTTP client.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
    }

    /// Builds the introspector.
    ///
    /// # Errors
    /// [`ConfigError::Url`] for an endpoint that is not https (or loopback http).
    pub fn build(self) -> Result<Introspector, ConfigError> {
        let endpoint = http::checked_url(&self.endpoint, self.allow_insecure_http)?;
        let client = match self.client {
            Some(client) => client,
            None => crate::http::default_client()?,
        };
        Ok(Introspector {
            endpoint,
            resource: self
                .resource
                .or_else(|| self.audience.clone())
                .unwrap_or_else(|| self.client_id.clone()),
            client_id: self.client_id,
            client_secret: self.client_secret,
            auth: self.auth,
            issuer: self.issuer,
            audience: self.audience,
            provider: self.provider,
            clock: self.clock,
            cache_ttl: self.cache_ttl,
            cache_capacity: self.cache_capacity,
            timeout: self.timeout,
            max_body_bytes: self.max_body_bytes,
            client,
            cache: Mutex::new(Cache::default()),
        })
    }
}

#[derive(Debug, Default)]
struct Cache {
    entries: HashMap<[u8; 32], (u64, Principal)>,
    order: VecDeque<[u8; 32]>,
}

/// Checks opaque tokens at an RFC 7662 introspection endpoint.
#[derive(Debug)]
pub struct Introspector {
    endpoint: url::Url,
    client_id: String,
    client_secret: Secret,
    auth: ClientAuth,
    issuer: Option<String>,
    audience: Option<String>,
    provider: Provider,
    resource: String,
    clock: Arc<dyn Clock>,
    cache_ttl: u64,
    cache_capacity: usize,
    timeout: Duration,
    max_body_bytes: usize,
    client: reqwest::Client,
    cache: Mutex<Cache>,
}

impl Introspector {
    /// A builder for `endpoint`, authenticating as `client_id`/`client_secret`.
    pub fn builder(
        endpoint: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
    ) -> IntrospectorBuilder {
        IntrospectorBuilder {
            endpoint: endpoint.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            auth: ClientAuth::default(),
            issuer: None,
            audience: None,
            provider: Provider::Generic,
            resource: None,
            clock: Arc::new(SystemClock),
            cache_ttl: 60,
            cache_capacity: 10_000,
            timeout: Duration::from_secs(5),
            max_body_bytes: 64 * 1024,
            allow_insecure_http: false,
            client: None,
        }
    }

    /// How many answers are cached.
    pub fn cached(&self) -> usize {
        self.lock().entries.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Introspects `token` (or reuses a cached active answer that has not expired).
    ///
    /// # Errors
    /// [`InvalidToken::Inactive`] when the issuer says so or the answer fails a check,
    /// [`InvalidToken::IntrospectionFailed`] when the endpoint cannot be used (fail closed).
    pub async fn introspect(&self, token: &str) -> Result<Principal, InvalidToken> {
        let digest = sha256(token);
        let now = self.clock.now();
        if let Some((until, principal)) = self.lock().entries.get(&digest)
            && now < *until
            && now < principal.expires_at
        {
            return Ok(principal.clone());
        }
        let form: Vec<(&str, &str)> = match self.auth {
            ClientAuth::Basic => vec![("token", token), ("token_type_hint", "access_token")],
            ClientAuth::Post => vec![
                ("token", token),
                ("token_type_hint", "access_token"),
                ("client_id", &self.client_id),
                ("client_secret", self.client_secret.expose()),
            ],
        };
        let mut request = self
            .client
            .post(self.endpoint.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&form);
        if self.auth == ClientAuth::Basic {
            request = request.basic_auth(
                form_encode(&self.client_id),
                Some(form_encode(self.client_secret.expose())),
            );
        }
        let fetched = http::fetch(request, self.timeout, self.max_body_bytes)
            .await
            .map_err(|err| {
                tracing::warn!(reason = %err, "introspection failed");
                InvalidToken::IntrospectionFailed
            })?;
        let body = crate::jose::object(&fetched.body).map_err(|_| InvalidToken::IntrospectionFailed)?;
        let principal = self.principal(body, now)?;
        if self.cache_ttl > 0 && self.cache_capacity > 0 {
            let until = now.saturating_add(self.cache_ttl).min(principal.expires_at);
            let mut cache = self.lock();
            if cache.entries.insert(digest, (until, principal.clone())).is_none() {
                cache.order.push_back(digest);
            }
            while cache.order.len() > self.cache_capacity {
                if let Some(old) = cache.order.pop_front() {
                    cache.entries.remove(&old);
                }
            }
        }
        Ok(principal)
    }

    fn principal(&self, body: serde_json::Map<String, Value>, now: u64) -> Result<Principal, InvalidToken> {
        if body.get("active") != Some(&Value::Bool(true)) {
            return Err(InvalidToken::Inactive);
        }
        // RFC 7662 makes `exp` optional; a cache that never outlives the token needs it.
        let exp = crate::validator::numeric_date(&body, "exp")?.ok_or(InvalidToken::MissingClaim("exp"))?;
        if now >= exp {
            return Err(InvalidToken::Expired);
        }
        if let Some(expected) = &self.issuer
            && body.get("iss").is_some_and(|iss| iss.as_str() != Some(expected))
        {
            return Err(InvalidToken::Issuer);
        }
        if let Some(expected) = &self.audience {
            let ok = match body.get("aud") {
                None => true,
                Some(Value::String(aud)) => aud == expected,
                Some(Value::Array(items)) => items.iter().any(|a| a.as_str() == Some(expected)),
                Some(_) => false,
            };
            if !ok {
                return Err(InvalidToken::Audience);
            }
        }
        if body
            .get("token_type")
            .and_then(Value::as_str)
            .is_some_and(|t| t.to_ascii_lowercase().contains("refresh"))
        {
            return Err(InvalidToken::NotAnAccessToken);
        }
        if body.get("scope").is_some_and(|s| !s.is_string()) {
            return Err(InvalidToken::ClaimType("scope"));
        }
        let subject = match body.get("sub") {
            Some(Value::String(sub)) => sub.clone(),
            None => String::new(),
            Some(_) => return Err(InvalidToken::ClaimType("sub")),
        };
        Ok(Principal::from_claims(
            self.provider,
            &self.resource,
            subject,
            self.issuer.clone().unwrap_or_default(),
            exp,
            TokenKind::Introspected,
            body,
        ))
    }
}

/// RFC 6749 §2.3.1: client id and secret are form-urlencoded before Basic encoding.
fn form_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

fn sha256(token: &str) -> [u8; 32] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_holds_no_client_secret() {
        let builder =
            Introspector::builder("http://127.0.0.1:1/introspect", "api", "api-s3cret-value").allow_insecure_http(true);
        let before = format!("{builder:?}");
        assert!(!before.contains("api-s3cret-value"), "{before}");
        assert!(before.contains("[redacted]"), "{before}");
        let introspector = match builder.build() {
            Ok(introspector) => introspector,
            Err(err) => panic!("{err}"),
        };
        let built = format!("{introspector:?}");
        assert!(!built.contains("api-s3cret-value"), "{built}");
        assert!(built.contains("api"), "{built}");
    }
}
