//! Pushed authorization requests (RFC 9126): the PAR endpoint, the bounded single-use store of
//! pushed requests, and the look-up the authorization endpoint makes for a `request_uri`. What
//! each provider answers comes from [`providers::par`]; a provider without PAR mounts nothing
//! here, so its path is the provider's 404.

pub(crate) mod endpoint;
pub(crate) mod store;

use crate::app::{App, RealmCtx};
use crate::http::Params;
use axum::Router;
use providers::Endpoint;
use std::sync::Arc;

pub(crate) use store::ParStore;

/// Adds the PAR endpoint to `routes` where the provider serves one, behind the layers of every
/// provider route and counted (and open to faults) as [`Endpoint::PushedAuthorization`].
pub(crate) fn mount(routes: Router<Arc<App>>, app: &Arc<App>) -> Router<Arc<App>> {
    if app.provider.quirks().par.is_none() {
        return routes;
    }
    let endpoint = Endpoint::PushedAuthorization;
    crate::endpoints::mount(routes, app, endpoint, endpoint::routes(), endpoint)
}

/// An authorization request as the authorization endpoint goes on with it.
pub(crate) enum Resolved {
    /// Sent in the front channel (no pushed `request_uri`).
    Direct,
    /// Redeemed from the store: the pushed parameters.
    Pushed(Params),
}

/// Looks up a pushed `request_uri` at the authorization endpoint: its parameters, redeemed
/// once; an unknown, used, expired or other client's `request_uri` is an error page, never a
/// redirect (Keycloak `AuthzEndpointParParser`: "PAR not found. not issued or used multiple
/// times.", "PAR expired."; RFC 9126 §4): the `Err` is the page's description. A request
/// without a pushed `request_uri` (or at a provider without PAR) is [`Resolved::Direct`].
pub(crate) fn resolve(cx: &RealmCtx, params: &Params) -> Result<Resolved, &'static str> {
    let Some(facts) = cx.flavor().quirks().par else {
        return Ok(Resolved::Direct);
    };
    let Some(request_uri) = params.get("request_uri") else {
        return Ok(Resolved::Direct);
    };
    if !request_uri.starts_with(facts.request_uri_prefix) {
        return Ok(Resolved::Direct);
    }
    let client_id = params.get("client_id").ok_or("client_id is required")?;
    cx.app
        .pars
        .take(&cx.realm.name, request_uri, client_id, cx.now())
        .map(Resolved::Pushed)
        .map_err(store::Refusal::description)
}

/// Whether `client` may send this request to the authorization endpoint: a client that must
/// push (World `require_pushed_authorization_requests`) needs a pushed request.
pub(crate) fn required_but_direct(cx: &RealmCtx, client: &providers::Client, resolved: &Resolved) -> bool {
    cx.flavor().quirks().par.is_some()
        && client.require_pushed_authorization_requests
        && matches!(resolved, Resolved::Direct)
}

/// The description of a refused direct request from a client that must push.
pub(crate) fn required_description(cx: &RealmCtx) -> &'static str {
    cx.flavor()
        .quirks()
        .par
        .and_then(|facts| facts.text(providers::par::ParError::Required).description)
        .unwrap_or("this client must use a pushed authorization request")
}
