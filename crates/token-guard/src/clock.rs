//! Time, injectable: the trait and clocks live in `providers::clock` (shared with the mock, so
//! one [`ManualClock`] drives both); re-exported here so `token_guard::ManualClock` keeps
//! working.

pub use providers::clock::{Clock, ManualClock, SystemClock};
