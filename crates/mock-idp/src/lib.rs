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

mod admin;
mod app;
mod b64;
mod backchannel;
mod client_assertion;
mod client_auth;
mod client_jwks;
mod client_keys;
mod clock;
pub mod config;
mod config_file;
mod cookies;
mod device;
mod dpop;
mod dpop_nonce;
mod endpoints;
mod error;
mod faults;
mod grants;
mod http;
mod jws;
mod jwt_view;
mod keys;
mod login;
mod mock_clock;
mod negative;
mod par;
mod pat;
mod replay;
mod request_log;
mod server;
pub mod shaping;
mod state;
mod tokens;

pub use admin::safety::{AdminConfig, AdminConfigError};
pub use admin::{
    Admin, AdminError, ClientPatch, ClientType, ClientView, LoggedOut, NewClient, NewUser, UserPatch, UserView,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{Config, ConfigError, KeySource, WorldSource};
pub use faults::{
    ActiveFault, Fault, FaultError, FaultId, FaultRule, FaultScope, MAX_DELAY, MAX_FAULT_BODY, MAX_HUGE_BODY,
    endpoint_from_name, endpoint_name,
};
#[doc(hidden)]
pub use http::bench_parse_form;
pub use keys::{KeyError, KeyMaterial, KeyState};
pub use login::LoginForm;
pub use mock_clock::{ClockState, MockClock};
pub use negative::{DefectError, TokenDefect};
pub use providers::{Endpoint, Provider, Secret, SigningAlg, World};
pub use request_log::{LogFilter, LogListing, LoggedRequest, LoggedToken, MAX_LOGGED_TOKENS};
pub use server::{
    ConnectionLimits, HttpError, KeyInfo, MockIdp, MockIdpBuilder, MockIdpError, MockIdpInfo, Refusal, TokenSet,
    TokenSpec,
};

/// The repository README's Rust examples, compiled and run as doctests so they stay true.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
