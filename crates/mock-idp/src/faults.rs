//! Faults a test can inject per realm and endpoint (a status and body, latency, a dropped
//! connection, malformed JSON, JWKS outages, empty, stale or huge key sets), scoped once, N
//! times, with a seeded probability or until cleared; and hit counters per realm and endpoint,
//! so a client's caching and retry behaviour can be measured.

mod apply;
mod rng;
mod rule;
mod table;

pub(crate) use apply::{DropConnection, apply};
pub use rule::{
    Fault, FaultError, FaultId, FaultRule, FaultScope, MAX_DELAY, MAX_FAULT_BODY, MAX_HUGE_BODY, endpoint_from_name,
    endpoint_name,
};
pub use table::ActiveFault;
pub(crate) use table::Faults;
