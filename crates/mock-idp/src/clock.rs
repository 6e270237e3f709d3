//! Time, injectable: the trait and clocks live in `providers::clock` (shared with token-guard,
//! so one [`ManualClock`] drives both); re-exported here so `mock_idp::ManualClock` keeps
//! working.

pub use providers::clock::{Clock, ManualClock, SystemClock};
