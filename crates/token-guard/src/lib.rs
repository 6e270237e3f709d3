//! Resource-server validation of OAuth 2.0 access tokens that survives the known JWT attacks.
//!
//! - [`JwksCache`]: one issuer's keys from discovery (or a JWKS URL), cached within bounds,
//!   refetched single-flight with a cooldown, with a negative-`kid` cache and bounded stale
//!   serving.
//! - [`Validator`]: JWT access tokens of one issuer: algorithm allowlist pinned per key, `typ`
//!   policy per provider, `crit` refused, exact `iss`, `aud`, `exp`/`nbf`/`iat` with leeway and
//!   an injectable [`Clock`], required claims, ID/refresh/logout tokens refused, size limits
//!   before decoding. There is no decode-without-verify path.
//! - [`Introspector`]: opaque tokens through RFC 7662 with a bounded cache.
//! - [`Principal`]: subject, client, scopes, roles (read by the provider's reader from
//!   `providers`), expiry and claims; [`Requirement`] for role and scope policy.
//! - [`DpopVerifier`]: DPoP proofs (RFC 9449) for DPoP-bound tokens: `htm`/`htu`/`iat`/`ath`,
//!   the key's thumbprint against `cnf.jkt`, a bounded replay cache; bearer downgrade refused.
//! - [`Guard`] and, with the `axum` feature, the [`Authenticated`] extractor, the
//!   [`RequireLayer`] and RFC 6750 responses.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use token_guard::{Alg, Guard, Requirement, RequireLayer, Validator};
//! let validator = Validator::builder("https://idp.example/demo", "api", [Alg::RS256]).build()?;
//! let guard = Arc::new(Guard::builder().validator(validator).build()?);
//! let app: axum::Router = axum::Router::new()
//!     .route("/api/private", axum::routing::get(|| async { "ok" }))
//!     .route_layer(RequireLayer::new(guard, Requirement::scope("read:messages")));
//! # let _ = app; Ok(()) }
//! ```
#![deny(missing_docs)]

#[cfg(feature = "axum")]
mod axum;
mod clock;
mod dpop;
mod error;
mod guard;
mod http;
mod introspect;
mod jose;
mod jwks;
mod keys;
mod logout;
mod principal;
mod validator;

#[cfg(feature = "axum")]
pub use crate::axum::{Authenticated, BearerRejection, RequireLayer, RequireService, authenticate_parts};
pub use clock::{Clock, ManualClock, SystemClock};
pub use dpop::{CheckedProof, DpopConfig, DpopError, DpopVerifier, ProofContext, thumbprint};
pub use error::{ConfigError, InvalidToken, Rejection};
pub use guard::{Guard, GuardBuilder, Presented, Routing};
pub use introspect::{ClientAuth, Introspector, IntrospectorBuilder};
pub use jwks::{JwksCache, JwksConfig};
pub use keys::{Alg, JwksError, KeyRefused, KeySet, MAX_RSA_BITS, MIN_RSA_BITS, VerifyKey};
pub use logout::{
    BACKCHANNEL_LOGOUT_EVENT, DEFAULT_MAX_REPLAY_ENTRIES, InvalidLogoutToken, LogoutRequest, LogoutTokenValidator,
    logout_claims,
};
pub use principal::{Principal, Requirement, TokenKind};
pub use providers::{Provider, Secret};
pub use validator::{
    DEFAULT_MAX_TOKEN_BYTES, ScopeFormat, TypPolicy, Validator, ValidatorBuilder, required_claims_for,
};

/// This crate's README example, compiled and run as doctests so they stay true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
