//! Workspace end-to-end tests: real servers on loopback, real clients.
//! One test binary; add modules here rather than new binaries.

#![allow(unreachable_pub)] // helpers are `pub` inside one test binary
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod browser;
mod support;

mod admin_clock;
mod admin_page;
mod device_flow;
mod discovery_and_jwks;
mod faults;
mod flavor_appid;
mod flavor_appid_ibm;
mod flavor_errors;
mod flavor_keycloak;
mod flavor_wso2;
mod flavor_wso2_sdk;
mod flavor_zitadel;
mod flows;
mod html_report;
mod malformed_input;
mod negative;
mod node_client;
mod node_jose_rotation;
mod openidconnect_rp;
mod state_bounds;
mod state_races;
