//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): ends the login session and
//! revokes what was issued under it; redirects only to a registered `post_logout_redirect_uri`,
//! keeping `state`. Where the provider asks the user first ([`LogoutConfirmation`]), a browser
//! session is only ended by a POST of the confirmation form, whose token is derived from the
//! session id (so another site cannot forge it).

use crate::app::{App, RealmCtx};
use crate::cookies;
use crate::error::OAuthError;
use crate::http::{Params, read_query_or_form};
use crate::jws;
use crate::login::{error_page, logged_out_page, logout_confirm_page};
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use providers::LogoutConfirmation;
use providers::logout::{LogoutErrors, LogoutRefusal};
use serde_json::Value;
use std::sync::Arc;

pub(super) fn routes() -> MethodRouter<Arc<App>> {
    get(end_session).post(end_session)
}

async fn end_session(
    cx: RealmCtx,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, OAuthError> {
    let params = match read_query_or_form(&method, uri.query(), &headers, body).await {
        Ok(params) => params,
        Err(err) => return Ok(error_page(StatusCode::BAD_REQUEST, "invalid_request", &err.detail)),
    };
    handle(&cx, &params, &headers, &method, uri.path())
}

/// What a valid `id_token_hint` says: its audience and session.
struct Hint {
    client_id: Option<String>,
    session_id: Option<String>,
}

/// Verifies an `id_token_hint` issued by this realm; an expired one is still a valid hint.
fn hint(cx: &RealmCtx, token: &str) -> Option<Hint> {
    let verified = jws::verify(cx.keys(), token).ok()?;
    if verified.claims.get("iss").and_then(Value::as_str) != Some(cx.issuer()) {
        return None;
    }
    let text = |name: &str| verified.claims.get(name).and_then(Value::as_str).map(str::to_owned);
    Some(Hint {
        client_id: text("azp").or_else(|| audience_client(cx, verified.claims.get("aud"))),
        session_id: text("sid"),
    })
}

/// The client an ID token's `aud` names (OIDC Core §2: a string, or an array holding the
/// client id): the string, else the first array member that is a client of this realm (App ID
/// writes `aud` as an array and no `azp`).
fn audience_client(cx: &RealmCtx, aud: Option<&Value>) -> Option<String> {
    match aud? {
        Value::String(client) => Some(client.clone()),
        Value::Array(members) => members
            .iter()
            .filter_map(Value::as_str)
            .find(|member| cx.realm.client(member).is_some())
            .map(str::to_owned),
        _ => None,
    }
}

/// The form field carrying the confirmation token.
const CONFIRM: &str = "confirm";

/// The token a confirmation form carries for the session `sid`.
fn confirm_token(sid: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, format!("mock-idp logout {sid}").as_bytes());
    crate::b64::encode(digest.as_ref())
}

/// A refused logout request, written as the provider writes it ([`LogoutErrors`]): the page
/// names the mock's `page_detail`; a JSON body carries the provider's own description.
fn refuse(cx: &RealmCtx, refusal: LogoutRefusal, page_detail: &str) -> Result<Response, OAuthError> {
    match cx.flavor().quirks().logout_errors {
        LogoutErrors::Page => Ok(error_page(StatusCode::BAD_REQUEST, "invalid_request", page_detail)),
        LogoutErrors::OidcLibrary => Err(OAuthError::malformed(
            refusal.oidc_library_description().unwrap_or(page_detail),
        )),
    }
}

fn handle(
    cx: &RealmCtx,
    params: &Params,
    headers: &HeaderMap,
    method: &Method,
    path: &str,
) -> Result<Response, OAuthError> {
    let hint = match params.get("id_token_hint") {
        Some(token) => match hint(cx, token) {
            Some(hint) => Some(hint),
            None => {
                return refuse(
                    cx,
                    LogoutRefusal::InvalidIdTokenHint,
                    "id_token_hint is not a valid ID token of this realm",
                );
            }
        },
        None => None,
    };
    let hinted_client = hint.as_ref().and_then(|hint| hint.client_id.clone());
    let client_id = match (params.get("client_id"), hinted_client.as_deref()) {
        (Some(given), Some(hinted)) if given != hinted => {
            return refuse(
                cx,
                LogoutRefusal::ClientMismatch,
                "client_id does not match id_token_hint",
            );
        }
        (Some(given), _) => Some(given.to_owned()),
        (None, hinted) => hinted.map(str::to_owned),
    };
    let redirect_param = cx.flavor().quirks().logout_redirect_param;
    let target = match params.get(redirect_param) {
        None => None,
        Some(uri) => match client_id.as_deref().map(|id| (id, cx.realm.client(id))) {
            Some((_, Some(client))) => {
                if !client
                    .post_logout_redirect_uris
                    .iter()
                    .any(|registered| registered == uri)
                {
                    return refuse(
                        cx,
                        LogoutRefusal::UnregisteredRedirect,
                        "post_logout_redirect_uri is not registered for this client",
                    );
                }
                Some(uri)
            }
            Some((id, None)) => {
                let detail = format!("{redirect_param}: client {id} is not a client of this realm");
                return refuse(cx, LogoutRefusal::UnknownClient, &detail);
            }
            // zitadel/oidc checks a redirect only against a named client; without one it
            // goes to its default logout page.
            None if cx.flavor().quirks().logout_errors == LogoutErrors::OidcLibrary => None,
            None => {
                let detail = match hint {
                    Some(_) => format!("{redirect_param}: the id_token_hint names no client of this realm"),
                    None => format!("{redirect_param} needs client_id or id_token_hint"),
                };
                return refuse(cx, LogoutRefusal::RedirectWithoutClient, &detail);
            }
        },
    };

    let browser_session =
        cookies::session_id(headers, &cx.realm.name).filter(|sid| cx.store().session(sid, cx.now()).is_some());
    let ask = match cx.flavor().quirks().logout_confirmation {
        LogoutConfirmation::Always => true,
        LogoutConfirmation::UnlessIdTokenHint => hint.is_none(),
        LogoutConfirmation::Never => false,
    };
    if ask && let Some(sid) = &browser_session {
        let token = confirm_token(sid);
        let confirmed = *method == Method::POST
            && params.get(CONFIRM).is_some_and(|given| {
                aws_lc_rs::constant_time::verify_slices_are_equal(given.as_bytes(), token.as_bytes()).is_ok()
            });
        if !confirmed {
            let carried: Vec<(&str, &str)> = [
                "id_token_hint",
                "client_id",
                cx.flavor().quirks().logout_redirect_param,
                "state",
                "ui_locales",
            ]
            .into_iter()
            .filter_map(|name| params.get(name).map(|value| (name, value)))
            .chain([(CONFIRM, token.as_str())])
            .collect();
            return Ok(logout_confirm_page(&cx.realm, path, &carried));
        }
    }

    let sessions = [browser_session, hint.and_then(|hint| hint.session_id)];
    for sid in sessions.into_iter().flatten() {
        let ended = cx.store().end_session(&sid);
        let _delivered = crate::backchannel::notify(cx, &sid, &ended);
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
    Ok(response)
}
