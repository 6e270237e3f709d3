//! Workspace end-to-end tests: real servers on loopback, real clients.
//! One test binary; add modules here rather than new binaries.

#![allow(unreachable_pub)] // helpers are `pub` inside one test binary

mod support;

mod discovery_and_jwks;
mod flows;
mod malformed_input;
mod negative;
mod node_client;
mod openidconnect_rp;
