//! The catalog: one module per area, each listing its checks with their metadata.

use crate::check::Check;
use crate::cx::Cx;
use crate::http::Step;
use std::future::Future;
use std::pin::Pin;

mod authorize;
mod backchannel_logout;
pub(crate) mod client_auth;
mod device;
mod discovery;
mod dpop;
pub(crate) mod exchange;
mod guard;
mod id_token;
pub(crate) mod introspection;
mod jwks;
pub(crate) mod par;
mod pkce;
mod refresh;
mod revocation;
pub(crate) mod token;
mod userinfo;

/// A check's body.
pub(crate) type RunFn = for<'a, 't> fn(&'a Cx<'t>) -> Pin<Box<dyn Future<Output = Step> + 'a>>;

/// A check and its body.
#[derive(Clone)]
pub(crate) struct Entry {
    pub(crate) check: Check,
    pub(crate) run: RunFn,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("check", &self.check)
            .finish_non_exhaustive()
    }
}

/// Declares a check: `check!(ID, Area, Level, OnReal, [capabilities], "spec", "title", body)`.
macro_rules! check {
    ($id:literal, $area:ident, $level:ident, $on_real:ident, [$($cap:ident),*], $spec:literal, $title:literal, $body:path) => {
        $crate::checks::Entry {
            check: $crate::check::Check {
                id: $id,
                title: $title,
                spec: $spec,
                area: $crate::check::Area::$area,
                level: $crate::check::Level::$level,
                on_real: $crate::check::OnReal::$on_real,
                requires: &[$($crate::check::Capability::$cap),*],
            },
            run: |cx| Box::pin($body(cx)),
        }
    };
}
pub(crate) use check;

/// Every implemented check, in catalog order.
pub(crate) fn catalog() -> Vec<Entry> {
    let mut entries = Vec::new();
    entries.extend(discovery::entries());
    entries.extend(jwks::entries());
    entries.extend(token::entries());
    entries.extend(pkce::entries());
    entries.extend(refresh::entries());
    entries.extend(authorize::entries());
    entries.extend(introspection::entries());
    entries.extend(revocation::entries());
    entries.extend(userinfo::entries());
    entries.extend(id_token::entries());
    entries.extend(guard::entries());
    entries.extend(device::entries());
    entries.extend(par::entries());
    entries.extend(exchange::entries());
    entries.extend(dpop::entries());
    entries.extend(client_auth::entries());
    entries.extend(backchannel_logout::entries());
    entries
}

/// The metadata of every implemented check.
pub fn all() -> Vec<Check> {
    catalog().into_iter().map(|entry| entry.check).collect()
}
