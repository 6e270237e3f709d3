//! mock-idp's integration tests: the `mock-idp` binary as users run it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod client_secret_jwt;
mod hardening;
mod zitadel_library;
