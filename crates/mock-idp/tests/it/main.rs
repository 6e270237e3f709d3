//! mock-idp's integration tests: the `mock-idp` binary as users run it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod admin;
mod admin_page;
mod admin_world;
mod cli;
mod hardening;
mod shaping;
mod zitadel_library;
