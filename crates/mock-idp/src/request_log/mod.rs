//! The request log: a bounded ring buffer of every request a provider endpoint answered (time,
//! realm, endpoint, method, parameters with secrets and tokens masked, client, status, error
//! code), filterable and clearable. Recorded by [`record`], a layer on provider routes only, so
//! admin requests never appear in it.

mod layer;
mod mask;

pub(crate) use layer::record;

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Mutex, PoisonError};
use utoipa::{IntoParams, ToSchema};

/// How many requests the log keeps unless configured otherwise.
pub(crate) const DEFAULT_CAPACITY: usize = 1000;

/// The most requests a log can be configured to keep.
pub(crate) const MAX_CAPACITY: usize = 100_000;

/// One answered request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LoggedRequest {
    /// Sequence number, from 1, never reused (also after a clear).
    pub id: u64,
    /// The mock's clock when the request arrived, in seconds since the Unix epoch.
    pub time: u64,
    /// The realm (tenant) of the request.
    pub realm: String,
    /// The endpoint, as `providers::Endpoint` names it (`Token`, `Jwks`, …).
    pub endpoint: String,
    /// The HTTP method.
    pub method: String,
    /// The request path (without the query).
    pub path: String,
    /// Query and form parameters; secrets, codes, passwords and tokens as `[masked]`.
    pub params: BTreeMap<String, String>,
    /// `Authorization` and `DPoP` headers with their credentials masked (`Basic [masked]`).
    pub headers: BTreeMap<String, String>,
    /// The client, from `client_id` or the Basic credentials' id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// The response status.
    pub status: u16,
    /// The OAuth error code of the answer (`error` in a JSON body, a redirect or a
    /// `WWW-Authenticate` challenge), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The JWTs the request carried (in parameters, masked or not, and in `Authorization` and
    /// `DPoP` headers) and the token endpoint issued, decoded but never verified, without their
    /// signatures: at most [`MAX_LOGGED_TOKENS`] per request.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tokens: Vec<LoggedToken>,
}

/// The most tokens kept per logged request.
pub const MAX_LOGGED_TOKENS: usize = 4;

/// A JWT a logged request carried or was answered with, decoded: header and claims only, so the
/// log never holds a usable token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LoggedToken {
    /// Where it was: `param:NAME` (e.g. `param:id_token_hint`), `header:NAME` (e.g.
    /// `header:authorization`) or `response:NAME` (e.g. `response:access_token`).
    pub source: String,
    /// The JOSE header.
    #[schema(value_type = Object)]
    pub header: serde_json::Value,
    /// The claims; absent for an encrypted token.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub claims: Option<serde_json::Value>,
}

/// Which logged requests to list; every given field must match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, IntoParams, ToSchema)]
#[serde(default, deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LogFilter {
    /// Only this realm.
    pub realm: Option<String>,
    /// Only this endpoint (`Token`, `Jwks`, … as in the entries).
    pub endpoint: Option<String>,
    /// Only this client.
    pub client: Option<String>,
    /// Only this response status.
    pub status: Option<u16>,
    /// Only requests at or after this time (seconds since the Unix epoch, the mock's clock).
    pub since: Option<u64>,
}

impl LogFilter {
    fn matches(&self, entry: &LoggedRequest) -> bool {
        self.realm.as_ref().is_none_or(|realm| *realm == entry.realm)
            && self
                .endpoint
                .as_ref()
                .is_none_or(|endpoint| *endpoint == entry.endpoint)
            && self
                .client
                .as_ref()
                .is_none_or(|client| entry.client.as_ref() == Some(client))
            && self.status.is_none_or(|status| status == entry.status)
            && self.since.is_none_or(|since| entry.time >= since)
    }
}

/// The ring buffer.
#[derive(Debug)]
pub(crate) struct RequestLog {
    capacity: usize,
    inner: Mutex<Ring>,
}

#[derive(Debug, Default)]
struct Ring {
    entries: VecDeque<LoggedRequest>,
    next_id: u64,
    dropped: u64,
}

/// A listing: the matching entries, oldest first, and how many entries the bound has pushed out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LogListing {
    /// Matching requests, oldest first.
    pub entries: Vec<LoggedRequest>,
    /// Requests evicted (oldest first) because the log was full, since start or the last clear.
    pub dropped: u64,
    /// How many requests the log keeps.
    pub capacity: usize,
}

impl RequestLog {
    /// A log keeping the last `capacity` requests (at least 1, at most [`MAX_CAPACITY`]).
    pub(crate) fn new(capacity: usize) -> RequestLog {
        RequestLog {
            capacity: capacity.clamp(1, MAX_CAPACITY),
            inner: Mutex::new(Ring::default()),
        }
    }

    fn ring(&self) -> std::sync::MutexGuard<'_, Ring> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends `entry` (its `id` is assigned here), evicting the oldest when full.
    pub(crate) fn push(&self, mut entry: LoggedRequest) {
        let mut ring = self.ring();
        ring.next_id += 1;
        entry.id = ring.next_id;
        if ring.entries.len() >= self.capacity {
            ring.entries.pop_front();
            ring.dropped += 1;
        }
        ring.entries.push_back(entry);
    }

    /// The entries matching `filter`, oldest first.
    pub(crate) fn list(&self, filter: &LogFilter) -> LogListing {
        let ring = self.ring();
        LogListing {
            entries: ring
                .entries
                .iter()
                .filter(|entry| filter.matches(entry))
                .cloned()
                .collect(),
            dropped: ring.dropped,
            capacity: self.capacity,
        }
    }

    /// Forgets every entry (ids keep counting up).
    pub(crate) fn clear(&self) {
        let mut ring = self.ring();
        ring.entries.clear();
        ring.dropped = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(realm: &str, status: u16, time: u64) -> LoggedRequest {
        LoggedRequest {
            id: 0,
            time,
            realm: realm.into(),
            endpoint: "Token".into(),
            method: "POST".into(),
            path: "/token".into(),
            params: BTreeMap::new(),
            headers: BTreeMap::new(),
            client: Some("web".into()),
            status,
            error: None,
            tokens: Vec::new(),
        }
    }

    #[test]
    fn the_ring_keeps_the_newest_and_counts_what_it_dropped() {
        let log = RequestLog::new(3);
        for time in 1..=5 {
            log.push(entry("demo", 200, time));
        }
        let all = log.list(&LogFilter::default());
        assert_eq!(all.entries.iter().map(|e| e.id).collect::<Vec<_>>(), vec![3, 4, 5]);
        assert_eq!(all.dropped, 2);
        log.clear();
        assert!(log.list(&LogFilter::default()).entries.is_empty());
        log.push(entry("demo", 200, 9));
        assert_eq!(log.list(&LogFilter::default()).entries[0].id, 6, "ids are never reused");
        assert_eq!(RequestLog::new(0).capacity, 1);
        assert_eq!(RequestLog::new(usize::MAX).capacity, MAX_CAPACITY);
    }

    #[test]
    fn filters_combine() {
        let log = RequestLog::new(10);
        log.push(entry("demo", 200, 10));
        log.push(entry("other", 400, 20));
        log.push(entry("demo", 400, 30));
        let ids = |filter: LogFilter| log.list(&filter).entries.iter().map(|e| e.id).collect::<Vec<_>>();
        assert_eq!(
            ids(LogFilter {
                realm: Some("demo".into()),
                ..LogFilter::default()
            }),
            vec![1, 3]
        );
        assert_eq!(
            ids(LogFilter {
                status: Some(400),
                ..LogFilter::default()
            }),
            vec![2, 3]
        );
        assert_eq!(
            ids(LogFilter {
                since: Some(20),
                realm: Some("demo".into()),
                ..LogFilter::default()
            }),
            vec![3]
        );
        assert_eq!(
            ids(LogFilter {
                client: Some("cli".into()),
                ..LogFilter::default()
            }),
            Vec::<u64>::new()
        );
        assert_eq!(
            ids(LogFilter {
                endpoint: Some("Token".into()),
                ..LogFilter::default()
            }),
            vec![1, 2, 3]
        );
    }
}
