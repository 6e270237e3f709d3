//! The authorization endpoint (RFC 6749 §4.1, OIDC Core §3.1.2) and the login form it shows.
//!
//! Until the client and its redirect URI are known to be good, errors are shown as a page and
//! never redirected (RFC 6749 §4.1.2.1); after that they are redirected with `state` and `iss`.

use crate::app::{App, RealmCtx};
use crate::b64;
use crate::cookies;
use crate::error::OAuthError;
use crate::http::{Params, read_form, read_query_or_form};
use crate::login::{check_password, error_page, login_page};
use crate::state::{CodeRecord, PendingLogin, Pkce, PkceMethod};
use crate::tokens::requested_scopes;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use providers::{Client, Endpoint, ErrorCode, GrantType, PkcePolicy, User};
use std::sync::Arc;

/// The most bytes of `state` or `nonce` an authorization request may carry: they are stored
/// until the login completes and echoed back. Keycloak caps a stored request parameter at
/// 2000 characters (`OIDCProviderConfig.DEFAULT_ADDITIONAL_REQ_PARAMS_MAX_SIZE`) and its HTTP
/// layer (Quarkus) a form attribute at 2048 bytes; the other stored parameters are bounded
/// already (scopes and redirect URI are checked against the client, a PKCE challenge is at most
/// 128 characters).
const MAX_STORED_PARAM_BYTES: usize = 2000;

pub(super) fn routes() -> MethodRouter<Arc<App>> {
    get(authorize).post(authorize)
}

pub(super) fn login_routes() -> MethodRouter<Arc<App>> {
    get(login_again).post(login)
}

async fn authorize(
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
    Ok(handle(&cx, &params, &headers))
}

/// A validated authorization request.
pub(crate) struct AuthRequest<'a> {
    client: &'a Client,
    redirect_uri: String,
    state: Option<String>,
    scopes: Vec<String>,
    nonce: Option<String>,
    pkce: Option<Pkce>,
    /// `dpop_jkt` (RFC 9449 §10), where the provider has DPoP.
    dpop_jkt: Option<String>,
}

/// Where an error goes once the redirect URI is trusted.
struct Redirect<'a> {
    redirect_uri: &'a str,
    state: Option<&'a str>,
    /// The `iss` response parameter (RFC 9207), for providers that send it.
    issuer: Option<&'a str>,
}

impl Redirect<'_> {
    fn to(&self, pairs: &[(&str, &str)]) -> Response {
        let mut url = match url::Url::parse(self.redirect_uri) {
            Ok(url) => url,
            Err(_) => return error_page(StatusCode::BAD_REQUEST, "invalid_request", "unusable redirect_uri"),
        };
        {
            let mut query = url.query_pairs_mut();
            for (name, value) in pairs {
                query.append_pair(name, value);
            }
            if let Some(state) = self.state {
                query.append_pair("state", state);
            }
            if let Some(issuer) = self.issuer {
                query.append_pair("iss", issuer);
            }
        }
        let mut response = StatusCode::FOUND.into_response();
        if let Ok(location) = HeaderValue::from_str(url.as_str()) {
            response.headers_mut().insert(header::LOCATION, location);
        }
        response
    }

    fn error(&self, code: ErrorCode, description: &str) -> Response {
        self.to(&[("error", code.as_str()), ("error_description", description)])
    }
}

fn handle(cx: &RealmCtx, params: &Params, headers: &HeaderMap) -> Response {
    let resolved = match crate::par::resolve(cx, params) {
        Ok(resolved) => resolved,
        Err(description) => return error_page(StatusCode::BAD_REQUEST, "invalid_request", description),
    };
    let (params, pushed) = match &resolved {
        crate::par::Resolved::Pushed(pushed) => (pushed, true),
        crate::par::Resolved::Direct => (params, false),
    };
    let page = |description: &str| error_page(StatusCode::BAD_REQUEST, "invalid_request", description);
    let Some(client_id) = params.get("client_id") else {
        return page("client_id is required");
    };
    let Some(client) = cx.realm.client(client_id) else {
        return page("unknown client_id");
    };
    let Some(redirect_uri) = params.get("redirect_uri") else {
        return page("redirect_uri is required");
    };
    if !client.redirect_uris.iter().any(|registered| registered == redirect_uri) {
        return page("redirect_uri is not registered for this client");
    }
    // Refused on a page, not redirected: the redirect would echo the oversized state.
    if let Err(detail) = check_stored_sizes(params) {
        return page(&detail);
    }
    let redirect = Redirect {
        redirect_uri,
        state: params.get("state"),
        issuer: cx.flavor().quirks().authorization_response_iss.then_some(cx.issuer()),
    };
    if crate::par::required_but_direct(cx, client, &resolved) {
        return redirect.error(ErrorCode::InvalidRequest, crate::par::required_description(cx));
    }
    let request = match validate(client, redirect_uri, params, cx.flavor()) {
        Ok(request) => request,
        Err((code, description)) => return redirect.error(code, &description),
    };

    let prompts: Vec<&str> = params
        .get("prompt")
        .unwrap_or_default()
        .split(' ')
        .filter(|p| !p.is_empty())
        .collect();
    if prompts.contains(&"none") && prompts.len() > 1 {
        return redirect.error(
            ErrorCode::InvalidRequest,
            "prompt=none cannot be combined with other values",
        );
    }
    let max_age = match params.get("max_age").map(str::parse::<u64>) {
        None => None,
        Some(Ok(max_age)) => Some(max_age),
        Some(Err(_)) => return redirect.error(ErrorCode::InvalidRequest, "max_age must be a non-negative integer"),
    };

    let now = cx.now();
    let session = cookies::session_id(headers, &cx.realm.name).and_then(|sid| {
        let session = cx.store().session(&sid, now)?;
        let fresh = max_age.is_none_or(|max_age| now.saturating_sub(session.auth_time) <= max_age);
        (session.realm == cx.realm.name && fresh && !prompts.contains(&"login")).then_some((sid, session))
    });
    if let Some((sid, session)) = session
        && let Some(user) = cx.realm.user(&session.username).filter(|user| user.enabled)
    {
        return issue_code(cx, &request, &redirect, user, session.auth_time, &sid, None);
    }
    if prompts.contains(&"none") {
        return redirect.error(ErrorCode::LoginRequired, "the user is not logged in");
    }
    if cx.app.auto_approve {
        let hinted = params
            .get("login_hint")
            .and_then(|hint| cx.realm.user(hint))
            .filter(|user| user.enabled);
        if let Some(user) = hinted {
            tracing::info!(realm = %cx.realm.name, user = %user.username, "auto-approved login by login_hint");
            return log_in(cx, &request, &redirect, user);
        }
    }
    let request_id = b64::random_token(32);
    let pending = PendingLogin {
        realm: cx.realm.name.clone(),
        client_id: client.id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        state: request.state.clone(),
        scopes: request.scopes.clone(),
        nonce: request.nonce.clone(),
        pkce: request.pkce.clone(),
        dpop_jkt: request.dpop_jkt.clone(),
        expires_at: now.saturating_add(cx.realm.lifetimes.login),
    };
    cx.store().insert_pending(request_id.clone(), pending, now);
    let login_url = cx.endpoint_url(Endpoint::Login);
    if pushed && cx.flavor().quirks().par.is_some_and(|par| par.login_by_redirect) {
        return login_redirect(&login_url, &client.id, &request_id, &request.redirect_uri);
    }
    login_page(&cx.realm, &login_url, &request_id, &client.id, None)
}

/// Keycloak's answer to a pushed request that needs a login: 302 to its login page, the
/// pending login named by `tab_id` (`client_data`: the redirect URI and response type, as
/// Keycloak writes it).
fn login_redirect(login_url: &str, client_id: &str, request_id: &str, redirect_uri: &str) -> Response {
    let client_data = b64::encode(serde_json::json!({"ru": redirect_uri, "rt": "code"}).to_string());
    let Ok(mut location) = url::Url::parse(login_url) else {
        return error_page(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "no login URL");
    };
    location
        .query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("tab_id", request_id)
        .append_pair("client_data", &client_data);
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(value) = axum::http::HeaderValue::from_str(location.as_str()) {
        response.headers_mut().insert(axum::http::header::LOCATION, value);
    }
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}

/// The login page of a pending login named by `tab_id` (where [`login_redirect`] sends the
/// browser); a provider that never redirects there serves no GET.
async fn login_again(cx: RealmCtx, uri: Uri) -> Result<Response, OAuthError> {
    if !cx.flavor().quirks().par.is_some_and(|par| par.login_by_redirect) {
        return Err(OAuthError::new(
            providers::ErrorKind::MethodNotAllowed,
            "the login page takes POST",
        ));
    }
    Ok(login_page_of(&cx, &uri))
}

fn login_page_of(cx: &RealmCtx, uri: &Uri) -> Response {
    let Ok(query) = Params::parse(uri.query().unwrap_or_default().as_bytes()) else {
        return error_page(StatusCode::BAD_REQUEST, "invalid_request", "malformed query");
    };
    let pending = query.get("tab_id").and_then(|id| {
        cx.store()
            .pending(id, cx.now())
            .filter(|pending| pending.realm == cx.realm.name)
            .map(|pending| (id.to_owned(), pending))
    });
    let Some((request_id, pending)) = pending else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the login request is unknown or expired",
        );
    };
    login_page(
        &cx.realm,
        &cx.endpoint_url(Endpoint::Login),
        &request_id,
        &pending.client_id,
        None,
    )
}

/// `state` and `nonce` within [`MAX_STORED_PARAM_BYTES`]; the refusal's description otherwise.
pub(crate) fn check_stored_sizes(params: &Params) -> Result<(), String> {
    for name in ["state", "nonce"] {
        if params
            .get(name)
            .is_some_and(|value| value.len() > MAX_STORED_PARAM_BYTES)
        {
            return Err(format!("{name} exceeds {MAX_STORED_PARAM_BYTES} bytes"));
        }
    }
    Ok(())
}

/// Checks an authorization request of `client` (redirect URI already matched) the way the
/// authorization endpoint does; the PAR endpoint checks pushed requests with it too.
pub(crate) fn validate<'a>(
    client: &'a Client,
    redirect_uri: &str,
    params: &Params,
    flavor: &dyn providers::Flavor,
) -> Result<AuthRequest<'a>, (ErrorCode, String)> {
    if params.contains("request") {
        return Err((
            ErrorCode::RequestNotSupported,
            "request objects are not supported".into(),
        ));
    }
    if params.contains("request_uri") {
        return Err((ErrorCode::RequestUriNotSupported, "request_uri is not supported".into()));
    }
    match params.get("response_type") {
        None => return Err((ErrorCode::InvalidRequest, "response_type is required".into())),
        Some("code") => {}
        Some(_) => {
            return Err((
                ErrorCode::UnsupportedResponseType,
                "only response_type=code is supported".into(),
            ));
        }
    }
    if params.get("response_mode").is_some_and(|mode| mode != "query") {
        return Err((
            ErrorCode::InvalidRequest,
            "only response_mode=query is supported".into(),
        ));
    }
    if !client.allows(GrantType::AuthorizationCode) {
        return Err((
            ErrorCode::UnauthorizedClient,
            "this client may not use the authorization code flow".into(),
        ));
    }
    let scopes = requested_scopes(flavor, client, params.get("scope"), true)
        .map_err(|err| (ErrorCode::InvalidScope, err.detail))?;
    let pkce = pkce(client, params, flavor.quirks().pkce_plain())?;
    Ok(AuthRequest {
        client,
        redirect_uri: redirect_uri.to_owned(),
        state: params.get("state").map(str::to_owned),
        scopes,
        nonce: params.get("nonce").map(str::to_owned),
        pkce,
        dpop_jkt: flavor.quirks().dpop.and(params.get("dpop_jkt")).map(str::to_owned),
    })
}

fn pkce(client: &Client, params: &Params, plain_allowed: bool) -> Result<Option<Pkce>, (ErrorCode, String)> {
    let invalid = |description: &str| (ErrorCode::InvalidRequest, description.to_owned());
    let method = match params.get("code_challenge_method") {
        None => None,
        Some("S256") => Some(PkceMethod::S256),
        Some("plain") => Some(PkceMethod::Plain),
        Some(_) => return Err(invalid("code_challenge_method must be S256 or plain")),
    };
    let pkce = match (params.get("code_challenge"), method) {
        (None, None) => None,
        (None, Some(_)) => return Err(invalid("code_challenge_method without code_challenge")),
        (Some(challenge), method) => {
            let valid = (43..=128).contains(&challenge.len())
                && challenge
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
            if !valid {
                return Err(invalid(
                    "code_challenge must be 43 to 128 characters of [A-Za-z0-9-._~]",
                ));
            }
            Some(Pkce {
                challenge: challenge.to_owned(),
                method: method.unwrap_or(PkceMethod::Plain),
            })
        }
    };
    if !plain_allowed && pkce.as_ref().is_some_and(|pkce| pkce.method == PkceMethod::Plain) {
        return Err(invalid("code_challenge_method=plain is not supported"));
    }
    if client.pkce == PkcePolicy::S256Required && pkce.as_ref().is_none_or(|pkce| pkce.method != PkceMethod::S256) {
        return Err(invalid("this client must use PKCE with code_challenge_method=S256"));
    }
    Ok(pkce)
}

/// Starts a session for `user` and issues the code.
fn log_in(cx: &RealmCtx, request: &AuthRequest<'_>, redirect: &Redirect<'_>, user: &User) -> Response {
    let now = cx.now();
    let sid = b64::random_token(32);
    cx.store()
        .start_session(sid.clone(), &cx.realm, &user.username, now, now);
    issue_code(
        cx,
        request,
        redirect,
        user,
        now,
        &sid,
        cookies::set(&cx.realm.name, &sid),
    )
}

fn issue_code(
    cx: &RealmCtx,
    request: &AuthRequest<'_>,
    redirect: &Redirect<'_>,
    user: &User,
    auth_time: u64,
    sid: &str,
    set_cookie: Option<HeaderValue>,
) -> Response {
    let now = cx.now();
    let code = b64::random_token(32);
    let record = CodeRecord {
        realm: cx.realm.name.clone(),
        client_id: request.client.id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        username: user.username.clone(),
        scopes: request.scopes.clone(),
        nonce: request.nonce.clone(),
        pkce: request.pkce.clone(),
        dpop_jkt: request.dpop_jkt.clone(),
        auth_time,
        session_id: Some(sid.to_owned()),
        expires_at: now.saturating_add(cx.realm.lifetimes.authorization_code),
    };
    cx.store().insert_code(code.clone(), record, now);
    let mut response = redirect.to(&[("code", &code)]);
    if let Some(cookie) = set_cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

async fn login(cx: RealmCtx, headers: HeaderMap, body: Body) -> Result<Response, OAuthError> {
    let params = match read_form(&headers, body).await {
        Ok(params) => params,
        Err(err) => return Ok(error_page(StatusCode::BAD_REQUEST, "invalid_request", &err.detail)),
    };
    Ok(submit_login(&cx, &params))
}

fn submit_login(cx: &RealmCtx, params: &Params) -> Response {
    let now = cx.now();
    let expired = || {
        error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the login request is unknown or expired",
        )
    };
    let Some(request_id) = params.get("request_id") else {
        return expired();
    };
    let Some(pending) = cx
        .store()
        .pending(request_id, now)
        .filter(|pending| pending.realm == cx.realm.name)
    else {
        return expired();
    };
    let Some(client) = cx.realm.client(&pending.client_id) else {
        return expired();
    };
    let redirect = Redirect {
        redirect_uri: &pending.redirect_uri,
        state: pending.state.as_deref(),
        issuer: cx.flavor().quirks().authorization_response_iss.then_some(cx.issuer()),
    };
    if params.get("action") == Some("deny") {
        cx.store().remove_pending(request_id);
        return redirect.error(ErrorCode::AccessDenied, "the user denied the request");
    }
    let login_url = cx.endpoint_url(Endpoint::Login);
    let user = match params.get("pick") {
        Some(username) => cx
            .realm
            .user(username)
            .filter(|user| user.enabled)
            .ok_or_else(|| OAuthError::malformed("no such enabled user")),
        None => check_password(
            &cx.realm,
            params.get("username").unwrap_or_default(),
            params.get("password").unwrap_or_default(),
        ),
    };
    let user = match user {
        Ok(user) => user,
        Err(err) => {
            let mut page = login_page(&cx.realm, &login_url, request_id, &client.id, Some(&err.detail));
            *page.status_mut() = StatusCode::UNAUTHORIZED;
            return page;
        }
    };
    cx.store().remove_pending(request_id);
    let request = AuthRequest {
        client,
        redirect_uri: pending.redirect_uri.clone(),
        state: pending.state.clone(),
        scopes: pending.scopes.clone(),
        nonce: pending.nonce.clone(),
        pkce: pending.pkce.clone(),
        dpop_jkt: pending.dpop_jkt.clone(),
    };
    let mut response = log_in(cx, &request, &redirect, user);
    *response.status_mut() = StatusCode::SEE_OTHER;
    response
}
