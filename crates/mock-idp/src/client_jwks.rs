//! Fetching a client's public keys from its `jwks_uri` (World `jwks_uri`, Keycloak's "Use
//! JWKS URL"), for `private_key_jwt`. Loopback URLs only (checked again here), a bounded body,
//! a short timeout, no redirects; the fetched set must pass the same check as a registered
//! `jwks`. Sets are cached per URL for [`FRESH_FOR_SECS`] of the mock's clock; an assertion whose
//! key is not in a cached set refetches it (the client may have rotated its keys), as Keycloak's
//! public key storage does on an unknown `kid`, but at most once per [`MIN_REFETCH_SECS`], so
//! assertions naming unknown keys cannot make the mock hammer a client's URL (Keycloak's
//! `minTimeBetweenRequests`, 10 s in its `InfinispanKeyStorageProviderTest`).

use providers::world::is_loopback_url;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

/// How long a fetched set is used before it is fetched again, in seconds.
pub(crate) const FRESH_FOR_SECS: u64 = 60;

/// The least time between two fetches of one URL, in seconds: a refetch asked for sooner (an
/// unknown `kid`) answers the set already held.
pub(crate) const MIN_REFETCH_SECS: u64 = 10;

/// Connect and read timeout of one fetch.
const TIMEOUT: Duration = Duration::from_secs(2);

/// The largest key set read.
const MAX_BODY: usize = 64 * 1024;

/// The most URLs cached at once; beyond it the cache starts again empty.
const MAX_CACHED: usize = 256;

/// Why a client's keys could not be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FetchError {
    /// Not an `http(s)` URL on a loopback host (the World refuses these; checked again).
    #[error("the client's jwks_uri is not a loopback http(s) URL")]
    NotLoopback,
    /// Connecting, the request or reading the body failed, or it timed out.
    #[error("the client's jwks_uri did not answer: {0}")]
    Unreachable(String),
    /// A status other than 200.
    #[error("the client's jwks_uri answered {0}")]
    Status(u16),
    /// More than [`MAX_BODY`] bytes.
    #[error("the client's jwks_uri answered more than {MAX_BODY} bytes")]
    TooLarge,
    /// Not a JSON JWK set of 1 to 16 public keys.
    #[error("the client's jwks_uri answered no usable key set: {0}")]
    BadSet(&'static str),
}

/// The cache of fetched key sets, shared by every realm of a server.
#[derive(Debug, Default)]
pub(crate) struct ClientJwks {
    /// Per URL: when it was fetched (the mock's clock, seconds) and what it answered.
    sets: Mutex<HashMap<String, (u64, Arc<Value>)>>,
}

impl ClientJwks {
    /// The key set at `uri` at `now`: cached while fresh unless `refresh`, else fetched; a
    /// `refresh` within [`MIN_REFETCH_SECS`] of the last fetch answers the set held.
    pub(crate) async fn keys(&self, uri: &str, refresh: bool, now: u64) -> Result<Arc<Value>, FetchError> {
        let held = self.held(uri);
        let age = |at: u64| now.saturating_sub(at);
        match &held {
            Some((at, set)) if !refresh && age(*at) < FRESH_FOR_SECS => return Ok(Arc::clone(set)),
            Some((at, set)) if refresh && age(*at) < MIN_REFETCH_SECS => return Ok(Arc::clone(set)),
            _ => {}
        }
        let set = Arc::new(fetch(uri).await?);
        let mut sets = self.sets.lock().unwrap_or_else(PoisonError::into_inner);
        if sets.len() >= MAX_CACHED {
            sets.clear();
        }
        sets.insert(uri.to_owned(), (now, Arc::clone(&set)));
        Ok(set)
    }

    /// The set fetched from `uri` within [`FRESH_FOR_SECS`] of `now`, if any.
    pub(crate) fn cached(&self, uri: &str, now: u64) -> Option<Arc<Value>> {
        self.held(uri)
            .filter(|(at, _)| now.saturating_sub(*at) < FRESH_FOR_SECS)
            .map(|(_, set)| set)
    }

    fn held(&self, uri: &str) -> Option<(u64, Arc<Value>)> {
        let sets = self.sets.lock().unwrap_or_else(PoisonError::into_inner);
        sets.get(uri).map(|(at, set)| (*at, Arc::clone(set)))
    }

    /// Forgets every fetched set (the admin reset).
    pub(crate) fn clear(&self) {
        self.sets.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }
}

fn http() -> Option<&'static reqwest::Client> {
    static CLIENT: OnceLock<Option<reqwest::Client>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            reqwest::Client::builder()
                .timeout(TIMEOUT)
                .connect_timeout(TIMEOUT)
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .build()
                .ok()
        })
        .as_ref()
}

async fn fetch(uri: &str) -> Result<Value, FetchError> {
    if !is_loopback_url(uri) {
        return Err(FetchError::NotLoopback);
    }
    let client = http().ok_or_else(|| FetchError::Unreachable("no HTTP client".into()))?;
    let mut response = client
        .get(uri)
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|err| FetchError::Unreachable(err.to_string()))?;
    if response.status() != reqwest::StatusCode::OK {
        return Err(FetchError::Status(response.status().as_u16()));
    }
    if response.content_length().is_some_and(|length| length > MAX_BODY as u64) {
        return Err(FetchError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|err| FetchError::Unreachable(err.to_string()))?
    {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(FetchError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    let set: Value = serde_json::from_slice(&body).map_err(|_| FetchError::BadSet("not JSON"))?;
    providers::world::check_client_jwks(&set).map_err(FetchError::BadSet)?;
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_loopback_urls_are_fetched() {
        let jwks = ClientJwks::default();
        for uri in ["https://example.com/jwks", "file:///etc/passwd", "not a url"] {
            assert_eq!(jwks.keys(uri, false, 0).await, Err(FetchError::NotLoopback), "{uri}");
        }
    }

    #[tokio::test]
    async fn a_closed_port_is_unreachable_not_a_panic() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let result = ClientJwks::default()
            .keys(&format!("http://127.0.0.1:{port}/jwks"), false, 0)
            .await;
        assert!(matches!(result, Err(FetchError::Unreachable(_))), "{result:?}");
    }
}
