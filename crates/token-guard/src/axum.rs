//! axum integration: the [`Authenticated`] extractor, the [`RequireLayer`] guard, and
//! [`Rejection`] as an RFC 6750 response.

use crate::error::{InvalidToken, Rejection};
use crate::guard::Guard;
use crate::guard::Presented;
use crate::principal::{Principal, Requirement};
use axum::extract::{FromRef, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// A rejection together with the realm it is answered for.
#[derive(Debug, Clone)]
pub struct BearerRejection {
    /// What went wrong.
    pub rejection: Rejection,
    realm: String,
    dpop_algs: Option<String>,
}

impl BearerRejection {
    /// A rejection answered for `realm`.
    pub fn new(rejection: Rejection, realm: impl Into<String>) -> BearerRejection {
        BearerRejection {
            rejection,
            realm: realm.into(),
            dpop_algs: None,
        }
    }

    /// A rejection from `guard`: with DPoP on, a refused proof or DPoP-bound token is
    /// challenged with `DPoP algs=…` (RFC 9449 §7.1) and a missing token with both schemes.
    pub fn from_guard(rejection: Rejection, guard: &Guard) -> BearerRejection {
        BearerRejection {
            rejection,
            realm: guard.realm().to_owned(),
            dpop_algs: guard.dpop_algs(),
        }
    }

    /// The `WWW-Authenticate` values to send.
    pub fn challenges(&self) -> Vec<String> {
        let Some(algs) = &self.dpop_algs else {
            return vec![self.rejection.www_authenticate(&self.realm)];
        };
        let dpop_error = matches!(
            self.rejection,
            Rejection::InvalidDpopProof(_)
                | Rejection::InvalidToken(
                    InvalidToken::DpopBoundAsBearer | InvalidToken::NotDpopBound | InvalidToken::DpopKeyMismatch
                )
        );
        match &self.rejection {
            Rejection::Missing => vec![
                self.rejection.www_authenticate(&self.realm),
                self.rejection.dpop_challenge(algs),
            ],
            _ if dpop_error => vec![self.rejection.dpop_challenge(algs)],
            _ => vec![self.rejection.www_authenticate(&self.realm)],
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.rejection.status()).unwrap_or(StatusCode::UNAUTHORIZED)
    }
}

impl IntoResponse for BearerRejection {
    fn into_response(self) -> Response {
        let mut response = match self.rejection.body() {
            Some(body) => (
                self.status(),
                [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
                body.to_string(),
            )
                .into_response(),
            None => self.status().into_response(),
        };
        let headers = response.headers_mut();
        for challenge in self.challenges() {
            let value = HeaderValue::from_str(&challenge).unwrap_or_else(|_| HeaderValue::from_static("Bearer"));
            headers.append(header::WWW_AUTHENTICATE, value);
        }
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

/// Authenticates a request with `guard`: the bearer token (RFC 6750 §2), then validation.
///
/// # Errors
/// The rejection to answer.
pub async fn authenticate_parts(guard: &Guard, parts: &Parts) -> Result<Principal, Rejection> {
    let values: Vec<&[u8]> = parts
        .headers
        .get_all(header::AUTHORIZATION)
        .iter()
        .map(HeaderValue::as_bytes)
        .collect();
    let proofs: Vec<&[u8]> = parts
        .headers
        .get_all("dpop")
        .iter()
        .map(HeaderValue::as_bytes)
        .collect();
    let presented = Presented {
        authorization: &values,
        dpop: &proofs,
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
    };
    let result = guard.authenticate_request(&presented).await;
    if let Err(reason) = &result {
        tracing::debug!(%reason, "token refused");
    }
    result
}

/// The caller, authenticated. Uses the principal a [`RequireLayer`] already established, or
/// validates the request's token itself.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Principal);

impl<S> FromRequestParts<S> for Authenticated
where
    Arc<Guard>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = BearerRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Authenticated, BearerRejection> {
        if let Some(principal) = parts.extensions.get::<Principal>() {
            return Ok(Authenticated(principal.clone()));
        }
        let guard = Arc::<Guard>::from_ref(state);
        authenticate_parts(&guard, parts)
            .await
            .map(Authenticated)
            .map_err(|rejection| BearerRejection::from_guard(rejection, &guard))
    }
}

/// A layer that lets a request through only with a valid token meeting a [`Requirement`];
/// the [`Principal`] goes into the request extensions for [`Authenticated`].
#[derive(Debug, Clone)]
pub struct RequireLayer {
    guard: Arc<Guard>,
    requirement: Arc<Requirement>,
}

impl RequireLayer {
    /// Requires `requirement` (use [`Requirement::Authenticated`] for any valid token).
    pub fn new(guard: Arc<Guard>, requirement: Requirement) -> RequireLayer {
        RequireLayer {
            guard,
            requirement: Arc::new(requirement),
        }
    }
}

impl<S> tower::Layer<S> for RequireLayer {
    type Service = RequireService<S>;

    fn layer(&self, inner: S) -> RequireService<S> {
        RequireService {
            inner,
            guard: self.guard.clone(),
            requirement: self.requirement.clone(),
        }
    }
}

/// The service of [`RequireLayer`].
#[derive(Debug, Clone)]
pub struct RequireService<S> {
    inner: S,
    guard: Arc<Guard>,
    requirement: Arc<Requirement>,
}

impl<S> tower::Service<Request> for RequireService<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let guard = self.guard.clone();
        let requirement = self.requirement.clone();
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            let checked = match authenticate_parts(&guard, &parts).await {
                Ok(principal) => principal.require(&requirement).map(|()| principal),
                Err(rejection) => Err(rejection),
            };
            match checked {
                Ok(principal) => {
                    parts.extensions.insert(principal);
                    inner.call(Request::from_parts(parts, body)).await
                }
                Err(rejection) => Ok(BearerRejection::from_guard(rejection, &guard).into_response()),
            }
        })
    }
}
