//! A mock OpenID Connect provider that mints really signed tokens.
//!
//! Start one in a test with [`MockIdp::start`] (the default world on a random loopback port),
//! shape it with [`MockIdp::builder`], sign tokens without HTTP with [`MockIdp::mint`] or get
//! them through the real grants with [`MockIdp::token_for`]. Dropping the [`MockIdp`] stops the
//! server. The same server runs from the command line as `mock-idp serve`.
//!
//! Every endpoint follows the specifications: discovery (OIDC Discovery, RFC 8414), JWKS
//! (RFC 7517, `kid` = RFC 7638 thumbprint), authorization code with PKCE (RFC 6749, RFC 7636),
//! refresh-token rotation with reuse detection (RFC 9700), client credentials, password,
//! RFC 9068 access tokens, UserInfo, introspection (RFC 7662), revocation (RFC 7009) and
//! RP-initiated logout. Malformed input gets an RFC-shaped 4xx, never a 500.
#![deny(missing_docs)]

mod app;
mod b64;
mod client_assertion;
mod client_auth;
mod client_keys;
mod clock;
pub mod config;
mod cookies;
mod endpoints;
mod error;
mod faults;
mod grants;
mod http;
mod jws;
mod keys;
mod login;
mod pat;
mod server;
mod state;
mod tokens;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{Config, KeySource};
pub use faults::Fault;
#[doc(hidden)]
pub use http::bench_parse_form;
pub use keys::{KeyError, KeyMaterial};
pub use providers::{Endpoint, Provider, World};
pub use server::{ConnectionLimits, MockIdp, MockIdpBuilder, MockIdpError, MockIdpInfo, TokenSet, TokenSpec};

/// The repository README's Rust examples, compiled and run as doctests so they stay true.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
