//! conformance: the suite against every mock flavor, every check against a broken target,
//! reports parsed back, and the CLI.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod diff;
mod faults;
mod guard;
mod init;
mod reports;
mod suite;
mod support;
mod world_gaps;
