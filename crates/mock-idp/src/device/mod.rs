//! The device authorization grant (RFC 8628): the device authorization endpoint, the user-code
//! page, polling at the token endpoint, and the scripted decisions (approve, deny, expire) the
//! Rust API and the admin API call. What each provider answers comes from
//! [`providers::device`]; a provider without the grant mounts none of it.

pub(crate) mod endpoint;
pub(crate) mod grant;
pub(crate) mod page;
pub(crate) mod store;

use crate::app::App;
use axum::Router;
use axum::routing::MethodRouter;
use providers::{Endpoint, GrantType};
use std::sync::Arc;

pub(crate) use store::DeviceStore;

/// Whether `app`'s provider serves the device grant.
pub(crate) fn served(app: &App) -> bool {
    app.provider.quirks().device.is_some() && app.grant_types.contains(&GrantType::DeviceCode)
}

/// Adds the device endpoints to `routes` where the provider serves them, each counted (and
/// open to faults) as its own [`Endpoint`].
pub(crate) fn mount(mut routes: Router<Arc<App>>, app: &Arc<App>) -> Router<Arc<App>> {
    if !served(app) {
        return routes;
    }
    let endpoints: [(Endpoint, MethodRouter<Arc<App>>); 2] = [
        (Endpoint::DeviceAuthorization, endpoint::routes()),
        (Endpoint::DeviceVerification, page::routes()),
    ];
    for (endpoint, handlers) in endpoints {
        routes = crate::endpoints::mount(routes, app, endpoint, handlers, endpoint);
    }
    routes
}

/// `(expires_in, interval)` of a new device code in `realm`: the World's, else the provider's.
pub(crate) fn lifetimes(realm: &providers::Realm, facts: &providers::device::DeviceFacts) -> (u64, u64) {
    (
        realm.lifetimes.device_code.unwrap_or(facts.lifetime),
        realm.lifetimes.device_poll_interval.unwrap_or(facts.interval),
    )
}
