//! mock-idp's integration tests: the `mock-idp` binary as users run it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod admin;
mod admin_client_keys;
mod admin_device;
mod admin_faults;
mod admin_page;
mod admin_world;
mod builder;
mod cli;
mod client_jwks_uri;
mod client_secret_jwt;
mod dpop;
mod faults;
mod hardening;
mod jwt_bearer;
mod keycloak_client_jwt;
mod keys;
mod par;
mod ps256;
mod shaping;
mod support;
mod token_exchange;
mod token_exchange_zitadel;
mod token_for;
mod wso2_client_jwt;
mod zitadel_library;
