//! The user-code page (RFC 8628 §3.3), shaped like Keycloak's: the user enters the code a
//! device shows (or follows `verification_uri_complete`), signs in, then grants or refuses the
//! device's access on a consent form. Server-rendered like the login page.

use super::store::{DecideOutcome, Decision};
use crate::app::{App, RealmCtx};
use crate::error::OAuthError;
use crate::http::{Params, read_query_or_form};
use crate::login::{check_password, escape, page};
use axum::body::Body;
use axum::extract::RawQuery;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use axum::routing::{MethodRouter, get};
use providers::Endpoint;
use std::sync::Arc;

const INVALID_CODE: &str = "Invalid code, please try again.";

pub(super) fn routes() -> MethodRouter<Arc<App>> {
    get(verification).post(verification)
}

async fn verification(
    cx: RealmCtx,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, OAuthError> {
    let params = match read_query_or_form(&method, query.as_deref(), &headers, body).await {
        Ok(params) => params,
        Err(err) => return Ok(code_form(&cx, Some(&err.detail), StatusCode::BAD_REQUEST)),
    };
    Ok(submit(&cx, &params))
}

/// The user code a request names (`user_code`, or Keycloak's form field `device_user_code`).
fn user_code(params: &Params) -> Option<&str> {
    params
        .get("user_code")
        .or_else(|| params.get("device_user_code"))
        .filter(|code| !code.trim().is_empty())
}

fn submit(cx: &RealmCtx, params: &Params) -> Response {
    let now = cx.now();
    let Some(code) = user_code(params) else {
        return code_form(cx, None, StatusCode::OK);
    };
    let devices = &cx.app.devices;
    let Some(pending) = devices.pending(&cx.realm.name, code, now) else {
        return code_form(cx, Some(INVALID_CODE), StatusCode::BAD_REQUEST);
    };
    if let Some(ticket) = params.get("ticket") {
        return decide(cx, code, ticket, params);
    }
    if params.get("action") != Some("login") {
        return login_form(cx, &pending.user_code, &pending.client_id, None);
    }
    let user = match params.get("pick") {
        Some(username) => cx
            .realm
            .user(username)
            .filter(|user| user.enabled)
            .ok_or("No such enabled user."),
        None => check_password(
            &cx.realm,
            params.get("username").unwrap_or_default(),
            params.get("password").unwrap_or_default(),
        )
        .map_err(|_| "Invalid username or password."),
    };
    let user = match user {
        Ok(user) => user,
        Err(message) => {
            let mut page = login_form(cx, &pending.user_code, &pending.client_id, Some(message));
            *page.status_mut() = StatusCode::UNAUTHORIZED;
            return page;
        }
    };
    let ticket = crate::b64::random_token(32);
    if !devices.sign_in(&cx.realm.name, code, &user.username, ticket.clone(), now) {
        return code_form(cx, Some(INVALID_CODE), StatusCode::BAD_REQUEST);
    }
    consent_form(cx, &pending.user_code, &pending.client_id, &ticket)
}

/// The consent form's answer: `accept` grants, anything else (`cancel`) refuses.
fn decide(cx: &RealmCtx, code: &str, ticket: &str, params: &Params) -> Response {
    let now = cx.now();
    let devices = &cx.app.devices;
    let Some((username, auth_time)) = devices.signed_in(&cx.realm.name, code, ticket, now) else {
        return code_form(cx, Some(INVALID_CODE), StatusCode::BAD_REQUEST);
    };
    let decision = if params.contains("accept") {
        let session_id = crate::b64::random_uuid();
        cx.store()
            .start_session(session_id.clone(), &cx.realm, &username, auth_time, now);
        Decision::Approved {
            username,
            auth_time,
            session_id: Some(session_id),
        }
    } else {
        Decision::Denied
    };
    let approved = matches!(decision, Decision::Approved { .. });
    if devices.decide(&cx.realm.name, code, decision, now) == DecideOutcome::NotPending {
        return code_form(cx, Some(INVALID_CODE), StatusCode::BAD_REQUEST);
    }
    if approved {
        result_page(
            "Device Login Successful",
            "The device is now signed in. You can close this window.",
        )
    } else {
        result_page(
            "Access denied",
            "You refused the device's access. You can close this window.",
        )
    }
}

fn action(cx: &RealmCtx) -> String {
    cx.endpoint_url(Endpoint::DeviceVerification)
}

fn message_html(message: Option<&str>) -> String {
    message
        .map(|text| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(text)))
        .unwrap_or_default()
}

/// Asks for the code the device shows.
fn code_form(cx: &RealmCtx, message: Option<&str>, status: StatusCode) -> Response {
    let body = format!(
        "<h1>Device Login</h1><p>Enter the code provided by your device.</p>{message}\
<form method=\"post\" action=\"{action}\"><label>Code<input name=\"user_code\" autocomplete=\"off\" autofocus></label>\
<button type=\"submit\">Submit</button></form>",
        message = message_html(message),
        action = escape(&action(cx)),
    );
    page(status, "Device Login", &body)
}

/// Sign in for the device of `user_code`.
fn login_form(cx: &RealmCtx, user_code: &str, client_id: &str, message: Option<&str>) -> Response {
    let mut users = String::new();
    for user in cx.realm.users.values().filter(|user| user.enabled) {
        let label = user.name.as_deref().unwrap_or(&user.username);
        users.push_str(&format!(
            "<button type=\"submit\" name=\"pick\" value=\"{username}\">{label} ({username})</button><br>",
            username = escape(&user.username),
            label = escape(label)
        ));
    }
    let body = format!(
        "<h1>Sign in to {realm}</h1><p>Mock identity provider: the device <strong>{client}</strong> showing \
<code>{code}</code> asks you to sign in.</p>{message}\
<form method=\"post\" action=\"{action}\"><input type=\"hidden\" name=\"user_code\" value=\"{code}\">\
<input type=\"hidden\" name=\"action\" value=\"login\">\
<label>Username<input name=\"username\" autocomplete=\"username\"></label>\
<label>Password<input name=\"password\" type=\"password\" autocomplete=\"current-password\"></label>\
<button type=\"submit\">Sign in</button><h2>Or pick a user</h2>{users}</form>",
        realm = escape(&cx.realm.display_name),
        client = escape(client_id),
        code = escape(user_code),
        message = message_html(message),
        action = escape(&action(cx)),
    );
    page(StatusCode::OK, "Sign in", &body)
}

/// Grant or refuse the device's access (Keycloak's consent page: `accept` / `cancel`).
fn consent_form(cx: &RealmCtx, user_code: &str, client_id: &str, ticket: &str) -> Response {
    let body = format!(
        "<h1>Grant access to {client}</h1><p>The device showing <code>{code}</code> asks for access to your account.</p>\
<form method=\"post\" action=\"{action}\"><input type=\"hidden\" name=\"user_code\" value=\"{code}\">\
<input type=\"hidden\" name=\"ticket\" value=\"{ticket}\">\
<input type=\"submit\" name=\"accept\" value=\"Yes\"> <input type=\"submit\" name=\"cancel\" value=\"No\"></form>",
        client = escape(client_id),
        code = escape(user_code),
        ticket = escape(ticket),
        action = escape(&action(cx)),
    );
    page(StatusCode::OK, "Grant access", &body)
}

fn result_page(title: &str, text: &str) -> Response {
    page(
        StatusCode::OK,
        title,
        &format!("<h1>{}</h1><p>{}</p>", escape(title), escape(text)),
    )
}
