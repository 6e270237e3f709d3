//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): ends the login session and
//! revokes what was issued under it; redirects only to a registered `post_logout_redirect_uri`,
//! keeping `state`.

use super::{RealmName, respond};
use crate::app::{App, RealmCtx};
use crate::cookies;
use crate::http::{Params, read_query_or_form};
use crate::jws;
use crate::login::{error_page, logged_out_page};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use serde_json::Value;
use std::sync::Arc;

pub(super) fn routes() -> MethodRouter<Arc<App>> {
    get(end_session).post(end_session)
}

async fn end_session(
    State(app): State<Arc<App>>,
    RealmName(realm): RealmName,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let result = async {
        let cx = app.realm(&realm)?;
        let params = match read_query_or_form(&method, uri.query(), &headers, body).await {
            Ok(params) => params,
            Err(err) => return Ok(error_page(StatusCode::BAD_REQUEST, "invalid_request", &err.detail)),
        };
        Ok(handle(&cx, &params, &headers))
    }
    .await;
    respond(&app, &realm, result)
}

/// What a valid `id_token_hint` says: its audience and session.
struct Hint {
    client_id: Option<String>,
    session_id: Option<String>,
}

/// Verifies an `id_token_hint` issued by this realm; an expired one is still a valid hint.
fn hint(cx: &RealmCtx<'_>, token: &str) -> Option<Hint> {
    let verified = jws::verify(cx.keys(), token).ok()?;
    if verified.claims.get("iss").and_then(Value::as_str) != Some(cx.issuer) {
        return None;
    }
    let text = |name: &str| verified.claims.get(name).and_then(Value::as_str).map(str::to_owned);
    Some(Hint {
        client_id: text("aud").or_else(|| text("azp")),
        session_id: text("sid"),
    })
}

fn handle(cx: &RealmCtx<'_>, params: &Params, headers: &HeaderMap) -> Response {
    let page = |description: &str| error_page(StatusCode::BAD_REQUEST, "invalid_request", description);
    let hint = match params.get("id_token_hint") {
        Some(token) => match hint(cx, token) {
            Some(hint) => Some(hint),
            None => return page("id_token_hint is not a valid ID token of this realm"),
        },
        None => None,
    };
    let hinted_client = hint.as_ref().and_then(|hint| hint.client_id.clone());
    let client_id = match (params.get("client_id"), hinted_client.as_deref()) {
        (Some(given), Some(hinted)) if given != hinted => return page("client_id does not match id_token_hint"),
        (Some(given), _) => Some(given.to_owned()),
        (None, hinted) => hinted.map(str::to_owned),
    };
    let target = match params.get(cx.flavor().quirks().logout_redirect_param) {
        None => None,
        Some(uri) => {
            let Some(client) = client_id.as_deref().and_then(|id| cx.realm.client(id)) else {
                return page("post_logout_redirect_uri needs client_id or id_token_hint");
            };
            if !client
                .post_logout_redirect_uris
                .iter()
                .any(|registered| registered == uri)
            {
                return page("post_logout_redirect_uri is not registered for this client");
            }
            Some(uri)
        }
    };

    let sessions = [
        cookies::session_id(headers, &cx.realm.name),
        hint.and_then(|hint| hint.session_id),
    ];
    for sid in sessions.into_iter().flatten() {
        cx.store().end_session(&sid);
    }

    let mut response = match target.and_then(|uri| url::Url::parse(uri).ok()) {
        Some(mut url) => {
            if let Some(state) = params.get("state") {
                url.query_pairs_mut().append_pair("state", state);
            }
            let mut response = StatusCode::FOUND.into_response();
            if let Ok(location) = HeaderValue::from_str(url.as_str()) {
                response.headers_mut().insert(header::LOCATION, location);
            }
            response
        }
        None => logged_out_page(),
    };
    if let Some(cookie) = cookies::clear(&cx.realm.name) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}
