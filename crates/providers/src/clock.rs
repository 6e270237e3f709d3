//! Time, injectable: the only place the workspace reads the system clock. The mock
//! (`mock_idp::Clock`) and token-guard (`token_guard::Clock`) re-export these types, so one
//! [`ManualClock`] drives both.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A source of the current time in whole seconds since the Unix epoch.
///
/// Every `iat`, `exp`, code and session expiry the mock computes, and every `exp`/`nbf`/`iat`
/// check, cache lifetime and refetch cooldown of token-guard, reads a clock; a test that
/// injects a [`ManualClock`] gets reproducible tokens and can expire codes, tokens and caches
/// without sleeping.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Seconds since the Unix epoch.
    fn now(&self) -> u64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one sanctioned read of the wall clock
    fn now(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs())
    }
}

/// A clock that stands still until told to move; clones share the same time.
#[derive(Debug, Clone)]
pub struct ManualClock {
    seconds: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock stopped at `seconds` since the Unix epoch.
    pub fn at(seconds: u64) -> ManualClock {
        ManualClock {
            seconds: Arc::new(AtomicU64::new(seconds)),
        }
    }

    /// Moves the clock forward by `seconds`.
    pub fn advance(&self, seconds: u64) {
        self.seconds.fetch_add(seconds, Ordering::SeqCst);
    }

    /// Sets the clock to `seconds` since the Unix epoch.
    pub fn set(&self, seconds: u64) {
        self.seconds.store(seconds, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> u64 {
        self.seconds.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told_and_clones_share_it() {
        let clock = ManualClock::at(1_000);
        let shared = clock.clone();
        clock.advance(61);
        assert_eq!(shared.now(), 1_061);
        shared.set(5);
        assert_eq!(clock.now(), 5);
    }

    #[test]
    fn the_system_clock_is_after_2020() {
        assert!(SystemClock.now() > 1_577_836_800);
    }
}
