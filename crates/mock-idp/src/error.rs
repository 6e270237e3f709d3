//! The mock's protocol error: a situation ([`ErrorKind`]) plus an explanation, rendered by the
//! provider's error table. This is the only place that writes error responses.
//!
//! Handlers return `Result<_, OAuthError>`: [`IntoResponse`] renders the error in the generic
//! (RFC) shape and marks the response [`Unshaped`]; the endpoints' `shape_errors` layer, which
//! knows the provider and the realm, renders it again in the provider's shape.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use providers::{ErrorKind, Provider};

/// A request the mock refuses, before it is shaped by a provider.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind:?}: {detail}")]
pub(crate) struct OAuthError {
    pub(crate) kind: ErrorKind,
    pub(crate) detail: String,
}

impl OAuthError {
    pub(crate) fn new(kind: ErrorKind, detail: impl Into<String>) -> OAuthError {
        OAuthError {
            kind,
            detail: detail.into(),
        }
    }

    /// `invalid_request` with an explanation.
    pub(crate) fn malformed(detail: impl Into<String>) -> OAuthError {
        OAuthError::new(ErrorKind::MalformedRequest, detail)
    }

    /// The response `provider` gives for this error in `realm`.
    pub(crate) fn render(&self, provider: Provider, realm: &str) -> Response {
        let shaped = provider.error_response(&self.kind, &self.detail, realm);
        let status = StatusCode::from_u16(shaped.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut response = match &shaped.body {
            Some(body) => (status, crate::http::no_store_json(body)).into_response(),
            None => {
                let mut empty = status.into_response();
                empty
                    .headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                empty
            }
        };
        if let Ok(content_type) = HeaderValue::from_str(shaped.content_type) {
            response.headers_mut().insert(header::CONTENT_TYPE, content_type);
        }
        if let Some(challenge) = shaped.www_authenticate
            && let Ok(value) = HeaderValue::from_str(&challenge)
        {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
        }
        // RFC 9449 §8: the nonce to use travels in the `DPoP-Nonce` header.
        let nonce = match &self.kind {
            ErrorKind::Dpop(providers::dpop::DpopRefusal::UseNonce { nonce })
            | ErrorKind::ResourceDpopNonce { nonce } => Some(nonce),
            _ => None,
        };
        if let Some(nonce) = nonce
            && let Ok(value) = HeaderValue::from_str(nonce)
        {
            response.headers_mut().insert("dpop-nonce", value);
        }
        response
    }
}

/// Marks a response rendered from an [`OAuthError`] without the provider's shape.
#[derive(Debug, Clone)]
pub(crate) struct Unshaped(pub(crate) OAuthError);

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        // Fail safe: RFC-shaped even if no layer shapes it for the provider.
        let mut response = self.render(Provider::Generic, "");
        response.extensions_mut().insert(Unshaped(self));
        response
    }
}
