//! Personal access tokens of the World's machine users (ZITADEL): a presented bearer token that
//! is one of them, live, answers introspection and userinfo as `providers::zitadel::pat` says.
//! They live in the World, not in the store: no grant issues them and they are never evicted.

use crate::app::RealmCtx;
use providers::{Client, PersonalAccessToken};
use serde_json::{Map, Value};

/// The machine user (its client) and the PAT `token` is, when it is a live PAT of this realm
/// and the provider has PATs. Every PAT of the realm is compared in constant time.
fn find<'c>(cx: &'c RealmCtx<'_>, token: &str) -> Option<(&'c Client, &'c PersonalAccessToken)> {
    if !cx.flavor().quirks().personal_access_tokens {
        return None;
    }
    let now = cx.now();
    let mut found = None;
    for client in cx.realm.clients.values() {
        for pat in &client.personal_access_tokens {
            let same =
                aws_lc_rs::constant_time::verify_slices_are_equal(pat.token.as_bytes(), token.as_bytes()).is_ok();
            if same && now < pat.expires_at {
                found = Some((client, pat));
            }
        }
    }
    found
}

/// The introspection answer to `caller` for a live PAT, or `None` when `token` is not one.
pub(crate) fn introspect(cx: &RealmCtx<'_>, token: &str, caller: &Client) -> Option<Value> {
    let (machine, pat) = find(cx, token)?;
    Some(Value::Object(providers::zitadel::pat::introspection(
        &cx.realm, machine, pat, caller, cx.issuer,
    )))
}

/// The userinfo answer for a live PAT, or `None` when `token` is not one.
pub(crate) fn userinfo(cx: &RealmCtx<'_>, token: &str) -> Option<Map<String, Value>> {
    let (machine, _) = find(cx, token)?;
    Some(providers::zitadel::pat::userinfo(&cx.realm, machine))
}
