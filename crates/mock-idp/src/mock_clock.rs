//! [`MockClock`]: the configured clock made controllable at run time (freeze, set, advance,
//! resume), by the Rust API and the admin API alike. Every expiry the mock computes reads it,
//! so advancing it expires codes, access tokens, refresh tokens and sessions without sleeping.

use crate::clock::Clock;
use serde::Serialize;
use std::sync::{Arc, Mutex, PoisonError};
use utoipa::ToSchema;

/// A controllable view of a base clock; clones share the same state, so a clone handed to
/// token-guard sees the same time as the mock.
#[derive(Debug, Clone)]
pub struct MockClock {
    base: Arc<dyn Clock>,
    state: Arc<Mutex<Mode>>,
}

/// Offset from the base clock, or a frozen instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Mode {
    offset: i64,
    frozen: Option<u64>,
}

/// What the clock says: the time, whether it stands still, and how far it is from its base.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct ClockState {
    /// The mock's current time, in seconds since the Unix epoch.
    pub now: u64,
    /// Whether the clock stands still until advanced, set or resumed.
    pub frozen: bool,
    /// Seconds between the mock's time and the base clock's (system time unless a clock was
    /// given to the builder); negative when set into the past.
    pub offset_seconds: i64,
}

impl MockClock {
    /// Controls `base`, starting in step with it.
    pub fn new(base: Arc<dyn Clock>) -> MockClock {
        MockClock {
            base,
            state: Arc::new(Mutex::new(Mode::default())),
        }
    }

    fn edit<R>(&self, change: impl FnOnce(&mut Mode, u64) -> R) -> R {
        let mut mode = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let base = self.base.now();
        change(&mut mode, base)
    }

    /// Stops the clock at the current time.
    pub fn freeze(&self) -> ClockState {
        self.edit(|mode, base| {
            mode.frozen = Some(mode.frozen.unwrap_or_else(|| shifted(base, mode.offset)));
        });
        self.state()
    }

    /// Lets a frozen clock run again from the time it shows.
    pub fn resume(&self) -> ClockState {
        self.edit(|mode, base| {
            if let Some(at) = mode.frozen.take() {
                mode.offset = difference(at, base);
            }
        });
        self.state()
    }

    /// Moves the clock forward by `seconds` (frozen or running).
    pub fn advance(&self, seconds: u64) -> ClockState {
        self.edit(|mode, _| match &mut mode.frozen {
            Some(at) => *at = at.saturating_add(seconds),
            None => mode.offset = mode.offset.saturating_add(i64::try_from(seconds).unwrap_or(i64::MAX)),
        });
        self.state()
    }

    /// Sets the time to `now` (seconds since the Unix epoch); a frozen clock stays frozen.
    pub fn set(&self, now: u64) -> ClockState {
        self.edit(|mode, base| match &mut mode.frozen {
            Some(at) => *at = now,
            None => mode.offset = difference(now, base),
        });
        self.state()
    }

    /// Back in step with the base clock, running.
    pub fn reset(&self) -> ClockState {
        self.edit(|mode, _| *mode = Mode::default());
        self.state()
    }

    /// The time, whether it is frozen, and the offset from the base clock.
    pub fn state(&self) -> ClockState {
        self.edit(|mode, base| {
            let now = mode.frozen.unwrap_or_else(|| shifted(base, mode.offset));
            ClockState {
                now,
                frozen: mode.frozen.is_some(),
                offset_seconds: difference(now, base),
            }
        })
    }
}

impl Clock for MockClock {
    fn now(&self) -> u64 {
        let mode = *self.state.lock().unwrap_or_else(PoisonError::into_inner);
        mode.frozen.unwrap_or_else(|| shifted(self.base.now(), mode.offset))
    }
}

fn shifted(base: u64, offset: i64) -> u64 {
    base.saturating_add_signed(offset)
}

fn difference(to: u64, from: u64) -> i64 {
    let wide = i128::from(to) - i128::from(from);
    i64::try_from(wide).unwrap_or(if wide < 0 { i64::MIN } else { i64::MAX })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn freeze_set_advance_resume_and_reset_follow_the_base_clock() {
        let base = ManualClock::at(1_000);
        let clock = MockClock::new(Arc::new(base.clone()));
        assert_eq!(clock.now(), 1_000);
        assert_eq!(clock.advance(50).now, 1_050);
        base.advance(10);
        assert_eq!(clock.now(), 1_060, "a running clock keeps its offset");
        let frozen = clock.freeze();
        assert_eq!((frozen.now, frozen.frozen), (1_060, true));
        base.advance(100);
        assert_eq!(clock.now(), 1_060, "a frozen clock stands still");
        assert_eq!(clock.advance(5).now, 1_065);
        assert_eq!(clock.set(900).now, 900);
        assert!(clock.state().frozen, "set keeps a frozen clock frozen");
        let resumed = clock.resume();
        assert_eq!(
            (resumed.now, resumed.frozen, resumed.offset_seconds),
            (900, false, 900 - 1_110)
        );
        base.advance(1);
        assert_eq!(clock.now(), 901);
        let shared = clock.clone();
        clock.advance(9);
        assert_eq!(shared.now(), 910, "clones share the state");
        assert_eq!(clock.reset().now, 1_111);
        assert_eq!(clock.set(0).now, 0);
        assert!(
            clock.advance(u64::MAX).now > 1 << 62,
            "saturates instead of overflowing"
        );
    }
}
