//! axum integration: the [`Authenticated`] extractor, the [`RequireLayer`] guard, and
//! [`Rejection`] as an RFC 6750 response.

use crate::error::Rejection;
use crate::guard::Guard;
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
}

impl BearerRejection {
    /// A rejection answered for `realm`.
    pub fn new(rejection: Rejection, realm: impl Into<String>) -> BearerRejection {
        BearerRejection {
            rejection,
            realm: realm.into(),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.rejection.status()).unwrap_or(StatusCode::UNAUTHORIZED)
    }
}

impl IntoResponse for BearerRejection {
    fn into_response(self) -> Response {
        let challenge = HeaderValue::from_str(&self.rejection.www_authenticate(&self.realm))
            .unwrap_or_else(|_| HeaderValue::from_static("Bearer"));
        let headers = [
            (header::WWW_AUTHENTICATE, challenge),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ];
        match self.rejection.body() {
            Some(body) => (
                self.status(),
                headers,
                [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
                body.to_string(),
            )
                .into_response(),
            None => (self.status(), headers).into_response(),
        }
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
    let token = guard.bearer(&values, parts.uri.query())?;
    match guard.authenticate(token).await {
        Ok(principal) => Ok(principal),
        Err(reason) => {
            tracing::debug!(%reason, "bearer token refused");
            Err(Rejection::InvalidToken(reason))
        }
    }
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
            .map_err(|rejection| BearerRejection::new(rejection, guard.realm()))
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
                Err(rejection) => Ok(BearerRejection::new(rejection, guard.realm()).into_response()),
            }
        })
    }
}
