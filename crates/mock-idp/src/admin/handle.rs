//! [`Admin`]: the Rust side of the admin API, with the same semantics as its routes.

use crate::app::App;
use crate::mock_clock::MockClock;
use std::sync::Arc;

/// Test control of a running [`crate::MockIdp`]: `idp.admin().clock().advance(3600)`.
#[derive(Debug, Clone)]
pub struct Admin<'a> {
    pub(crate) app: &'a Arc<App>,
}

impl Admin<'_> {
    /// The mock's clock; clones share its state (hand one to token-guard to validate at the
    /// mock's time).
    pub fn clock(&self) -> MockClock {
        self.app.clock.clone()
    }

    /// Back to the world as loaded: every part listed in the reset registry. Returns the
    /// names of the parts reset.
    pub fn reset(&self) -> Vec<&'static str> {
        super::reset(self.app)
    }
}
