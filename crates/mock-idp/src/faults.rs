//! Faults a test can inject per endpoint (slow answers, 5xx, an empty key set, any body), and
//! a hit counter per endpoint, so a client's caching and retry behaviour can be measured.

use crate::app::App;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use providers::Endpoint;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What an endpoint does instead of (or before) answering normally.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Waits this long, then answers normally.
    Delay(Duration),
    /// Answers with this status and a JSON `server_error`-style body.
    Status(u16),
    /// Answers 200 with `{"keys":[]}` (meant for the JWKS endpoint).
    EmptyKeySet,
    /// Answers 200 with this body and `Content-Type: application/json`, e.g. a huge or
    /// malformed document.
    Body(String),
    /// Answers 200 normally but with these extra response headers (e.g. `Cache-Control`).
    Headers(Vec<(String, String)>),
}

/// The fault table and hit counters of one server.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    active: Mutex<HashMap<Endpoint, Fault>>,
    hits: Mutex<HashMap<Endpoint, Arc<AtomicU64>>>,
}

impl Faults {
    pub(crate) fn set(&self, endpoint: Endpoint, fault: Option<Fault>) {
        let mut active = self.active.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match fault {
            Some(fault) => active.insert(endpoint, fault),
            None => active.remove(&endpoint),
        };
    }

    /// Clears every fault and hit counter (the admin reset).
    pub(crate) fn clear(&self) {
        self.active
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
        self.hits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }

    /// The active faults, each with its endpoint's hit counter, ordered by endpoint name (for the
    /// admin page).
    pub(crate) fn active(&self) -> Vec<(Endpoint, Fault, u64)> {
        let active: Vec<(Endpoint, Fault)> = self
            .active
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .map(|(endpoint, fault)| (*endpoint, fault.clone()))
            .collect();
        let mut listed: Vec<(Endpoint, Fault, u64)> = active
            .into_iter()
            .map(|(endpoint, fault)| (endpoint, fault, self.hits(endpoint)))
            .collect();
        listed.sort_by_key(|(endpoint, _, _)| format!("{endpoint:?}"));
        listed
    }

    pub(crate) fn hits(&self, endpoint: Endpoint) -> u64 {
        self.counter(endpoint).load(Ordering::SeqCst)
    }

    fn counter(&self, endpoint: Endpoint) -> Arc<AtomicU64> {
        self.hits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(endpoint)
            .or_default()
            .clone()
    }

    fn current(&self, endpoint: Endpoint) -> Option<Fault> {
        self.active
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&endpoint)
            .cloned()
    }
}

/// Middleware: counts the hit, then applies the endpoint's fault, if any.
pub(crate) async fn apply(
    State((app, endpoint)): State<(Arc<App>, Endpoint)>,
    request: Request,
    next: Next,
) -> Response {
    app.faults.counter(endpoint).fetch_add(1, Ordering::SeqCst);
    let json = |status: StatusCode, body: String| {
        (
            status,
            [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            Body::from(body),
        )
            .into_response()
    };
    match app.faults.current(endpoint) {
        None => next.run(request).await,
        Some(Fault::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            next.run(request).await
        }
        Some(Fault::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            json(
                status,
                r#"{"error":"server_error","error_description":"injected fault"}"#.to_owned(),
            )
        }
        Some(Fault::EmptyKeySet) => json(StatusCode::OK, r#"{"keys":[]}"#.to_owned()),
        Some(Fault::Body(body)) => json(StatusCode::OK, body),
        Some(Fault::Headers(extra)) => {
            let mut response = next.run(request).await;
            for (name, value) in extra {
                if let (Ok(name), Ok(value)) = (
                    header::HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_str(&value),
                ) {
                    response.headers_mut().insert(name, value);
                }
            }
            response
        }
    }
}
