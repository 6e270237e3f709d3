//! Runs a selection of checks against a target, in catalog order, one at a time.

use crate::check::{Area, Check, Outcome, Status};
use crate::checks::{Entry, catalog};
use crate::cx::Cx;
use crate::http::Http;
use crate::targets::Target;
use serde::Serialize;
use std::str::FromStr;
use std::time::{Duration, Instant};

/// Which checks to run: every check when both lists are empty, else those in a named suite
/// (area) or with a named id (ids match exactly or by prefix, `TOK` selects every `TOK-*`).
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Suites (areas, or all; parsed from their names with [`Suite`]'s `FromStr`).
    pub suites: Vec<Suite>,
    /// Check ids or id prefixes.
    pub checks: Vec<String>,
}

/// A `--suite` or `--check` that names nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SelectionError {
    /// No such suite.
    #[error("unknown suite `{0}` (known: {known})", known = Suite::known())]
    UnknownSuite(String),
    /// No check has this id or prefix.
    #[error("no check matches `{0}`")]
    UnknownCheck(String),
}

/// A `--suite`: every area (`all`) or one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suite {
    /// `all`.
    All,
    /// One area, by its suite name ([`Area::suite`]).
    Area(Area),
}

impl Suite {
    /// The names `FromStr` accepts, in catalog order: `all, discovery, jwks, …`.
    fn known() -> String {
        std::iter::once("all")
            .chain(Area::ALL.iter().map(|area| area.suite()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Whether the suite selects checks of `area`.
    fn covers(self, area: Area) -> bool {
        match self {
            Suite::All => true,
            Suite::Area(own) => own == area,
        }
    }
}

impl FromStr for Suite {
    type Err = SelectionError;

    fn from_str(name: &str) -> Result<Suite, SelectionError> {
        if name == "all" {
            return Ok(Suite::All);
        }
        Area::ALL
            .iter()
            .find(|area| area.suite() == name)
            .map(|area| Suite::Area(*area))
            .ok_or_else(|| SelectionError::UnknownSuite(name.to_owned()))
    }
}

impl Selection {
    /// Parses suite names (`discovery`, `jwks`, …, `all`) into [`Suite`]s.
    ///
    /// # Errors
    /// [`SelectionError::UnknownSuite`] for a name that is neither an area nor `all`.
    pub fn parse_suites<S: AsRef<str>>(names: &[S]) -> Result<Vec<Suite>, SelectionError> {
        names.iter().map(|name| name.as_ref().parse()).collect()
    }

    fn entries(&self) -> Result<Vec<Entry>, SelectionError> {
        let all = catalog();
        let matches = |id: &str, pattern: &str| {
            id.eq_ignore_ascii_case(pattern)
                || id
                    .to_ascii_uppercase()
                    .starts_with(&format!("{}-", pattern.to_ascii_uppercase()))
        };
        for pattern in &self.checks {
            if !all.iter().any(|entry| matches(entry.check.id, pattern)) {
                return Err(SelectionError::UnknownCheck(pattern.clone()));
            }
        }
        if self.suites.is_empty() && self.checks.is_empty() {
            return Ok(all);
        }
        Ok(all
            .into_iter()
            .filter(|entry| {
                self.suites.iter().any(|suite| suite.covers(entry.check.area))
                    || self.checks.iter().any(|p| matches(entry.check.id, p))
            })
            .collect())
    }

    /// The metadata of the selected checks.
    ///
    /// # Errors
    /// When a suite or check names nothing.
    pub fn checks_selected(&self) -> Result<Vec<Check>, SelectionError> {
        Ok(self.entries()?.into_iter().map(|entry| entry.check).collect())
    }
}

/// One check's result.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    /// The check.
    pub check: Check,
    /// What happened.
    pub outcome: Outcome,
    /// How it counts.
    pub status: Status,
    /// Documented deviations and parts not tested.
    pub notes: Vec<String>,
    /// How long it took.
    pub duration: Duration,
}

/// The results of a run.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// The target's name.
    pub target: String,
    /// Its provider.
    pub provider: String,
    /// Its issuer.
    pub issuer: String,
    /// Mock or real.
    pub kind: crate::targets::TargetKind,
    /// Every result, in catalog order.
    pub results: Vec<CheckResult>,
    /// How long the run took.
    pub duration: Duration,
}

/// Counts per status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Checks run.
    pub total: usize,
    /// Passed.
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Warnings.
    pub warned: usize,
    /// Skipped.
    pub skipped: usize,
}

impl Run {
    /// Counts per status.
    pub fn summary(&self) -> Summary {
        let mut summary = Summary {
            total: self.results.len(),
            ..Summary::default()
        };
        for result in &self.results {
            match result.status {
                Status::Pass => summary.passed += 1,
                Status::Fail => summary.failed += 1,
                Status::Warn => summary.warned += 1,
                Status::Skip => summary.skipped += 1,
            }
        }
        summary
    }

    /// Whether no check failed.
    pub fn passed(&self) -> bool {
        self.summary().failed == 0
    }

    /// The result of check `id`.
    pub fn result(&self, id: &str) -> Option<&CheckResult> {
        self.results.iter().find(|result| result.check.id == id)
    }
}

/// Runs checks against a target.
#[derive(Debug, Clone)]
pub struct Runner {
    selection: Selection,
    timeout: Duration,
}

impl Default for Runner {
    fn default() -> Runner {
        Runner::new(Selection::default())
    }
}

impl Runner {
    /// A runner for `selection`, with a 10-second timeout per request.
    pub fn new(selection: Selection) -> Runner {
        Runner {
            selection,
            timeout: Duration::from_secs(10),
        }
    }

    /// Sets the per-request timeout.
    pub fn timeout(mut self, timeout: Duration) -> Runner {
        self.timeout = timeout;
        self
    }

    /// Runs the selected checks; `progress` sees each result as it completes.
    ///
    /// # Errors
    /// When the selection names nothing or the HTTP client cannot be built.
    pub async fn run(&self, target: &Target, mut progress: impl FnMut(&CheckResult)) -> Result<Run, crate::Error> {
        let entries = self.selection.entries()?;
        let http = Http::new(self.timeout, target.accepts_invalid_certs()).map_err(crate::Error::Http)?;
        let cx = Cx::new(target, http);
        let started = Instant::now();
        let real = target.kind() == crate::targets::TargetKind::Real;
        let mut results = Vec::with_capacity(entries.len());
        for entry in entries {
            let began = Instant::now();
            // Each check starts a second later on a mock's frozen clock, so tokens minted by
            // different checks differ even where a provider's tokens carry no `jti`.
            if let Some(clock) = target.clock() {
                clock.advance(1);
            }
            let outcome = match target.missing(entry.check.requires) {
                Some(capability) => Outcome::Skipped {
                    reason: capability.skip_reason(target.realm_name()),
                },
                None => match (entry.run)(&cx).await {
                    Ok(()) => Outcome::Pass,
                    Err(stop) => stop.into(),
                },
            };
            let status = Status::of(&entry.check, &outcome, real);
            let result = CheckResult {
                check: entry.check,
                outcome,
                status,
                notes: cx.take_notes(),
                duration: began.elapsed(),
            };
            progress(&result);
            results.push(result);
        }
        Ok(Run {
            target: target.name().to_owned(),
            provider: target.provider().to_string(),
            issuer: target.issuer().to_owned(),
            kind: target.kind(),
            results,
            duration: started.elapsed(),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn suites_parse_and_the_error_lists_every_name() {
        assert_eq!("all".parse::<Suite>().unwrap(), Suite::All);
        assert_eq!("id_token".parse::<Suite>().unwrap(), Suite::Area(Area::IdToken));
        let err = "nope".parse::<Suite>().unwrap_err().to_string();
        assert_eq!(
            err,
            "unknown suite `nope` (known: all, discovery, jwks, token, pkce, refresh, authorize, introspection, revocation, userinfo, id_token, guard, device, par, exchange, dpop, client_auth, backchannel_logout)"
        );
    }
}
