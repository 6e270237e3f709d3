//! token-guard integration tests: one binary, modules by area.
#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub, missing_docs, dead_code)]

mod support;

mod atk;
mod backchannel;
mod dpop;
mod http_app;
mod jwks_faults;
mod logout;
mod negative;
mod prop;
mod rotation;
mod rs;
mod seed;
mod seed_keycloak;
mod smoke;
mod wycheproof;
mod zitadel_pat;
