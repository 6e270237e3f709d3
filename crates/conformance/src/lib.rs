//! Conformance checks for OpenID Connect providers: the mock in every flavor, a real provider
//! at any issuer URL.
//!
//! A [`Target`] is one provider instance (`mock:<flavor>` in-process, `url:<issuer>` with the
//! clients and users of a World); a [`Check`] is one expectation with a stable id from the
//! checklist (`DISC-01`, `TOK-04`, …), a spec reference and a level; the [`Runner`] runs a
//! [`Selection`] of them with real HTTP and yields a [`Run`], which [`report`] renders as
//! text, JSON or JUnit XML. Where a provider is known to deviate from the specification (its
//! error table in `providers`), the check expects that documented answer and notes it.
//!
//! ```no_run
//! # async fn demo() -> Result<(), conformance::Error> {
//! use conformance::{Runner, Selection, Target, TargetOptions, TargetSpec};
//! let target = Target::open(&"mock:keycloak".parse()?, &TargetOptions::default()).await?;
//! let run = Runner::new(Selection::default()).run(&target, |_| {}).await?;
//! assert!(run.passed(), "{}", conformance::report::text(&run));
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod check;
mod checks;
mod cx;
pub mod diff;
mod http;
pub mod init;
mod jose;
pub mod report;
mod runner;
mod targets;

pub use check::{Area, Capability, Check, Evidence, Level, OnReal, Outcome, Status};
pub use checks::all as catalog;
pub use runner::{CheckResult, Run, Runner, Selection, SelectionError, Suite, Summary};
#[cfg(feature = "containers")]
pub use targets::ProvisionError;
#[cfg(feature = "containers")]
pub use targets::containers::docker_engine_reachable;
pub use targets::{ContainerError, DistError, RefError, Target, TargetError, TargetKind, TargetOptions, TargetSpec};

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The target could not be set up.
    #[error(transparent)]
    Target(#[from] TargetError),
    /// The selection names nothing.
    #[error(transparent)]
    Selection(#[from] SelectionError),
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Http(#[source] reqwest::Error),
}
