//! The layer that records each provider request into the [`super::RequestLog`].

use super::{LoggedRequest, LoggedToken, MAX_LOGGED_TOKENS, mask};
use crate::app::App;
use crate::endpoints::RealmName;
use crate::http;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use providers::Endpoint;
use std::collections::BTreeMap;
use std::sync::Arc;

/// At most this many parameters are kept per entry, each value cut to [`MAX_VALUE`] characters,
/// so a full log stays small whatever clients send.
const MAX_LOGGED_PARAMS: usize = 64;
const MAX_VALUE: usize = 512;

/// Error bodies and token responses up to this size are read (for their `error` code, for the
/// tokens they issued).
const MAX_ERROR_BODY: u64 = 64 * 1024;

/// Tokens longer than this are not decoded into the log.
const MAX_TOKEN: usize = 8 * 1024;

/// Middleware on each provider route: lets the request through (the fault layer and the
/// handler) and logs what was asked and answered.
pub(crate) async fn record(
    State((app, endpoint)): State<(Arc<App>, Endpoint)>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let realm = match RealmName::from_request_parts(&mut parts, &app).await {
        Ok(RealmName(realm)) => realm,
        Err(_) => app.default_realm().to_owned(),
    };
    let mut entry = LoggedRequest {
        id: 0,
        time: app.now(),
        realm,
        endpoint: format!("{endpoint:?}"),
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        params: BTreeMap::new(),
        headers: BTreeMap::new(),
        client: None,
        status: 0,
        error: None,
        tokens: Vec::new(),
    };
    let mut client = None;
    let mut add = |name: String, value: String| {
        if name == "client_id" && client.is_none() {
            client = Some(value.clone());
        }
        if entry.params.len() < MAX_LOGGED_PARAMS {
            keep_token(&mut entry.tokens, || format!("param:{}", cut(&name)), &value);
            entry.params.insert(cut(&name), cut(&mask::param(&name, &value)));
        }
    };
    for (name, value) in form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes()) {
        add(name.into_owned(), value.into_owned());
    }
    let body = if parts.method == Method::POST && http::is_form(&parts.headers) {
        match http::read_body(body).await {
            Ok(bytes) => {
                for (name, value) in form_urlencoded::parse(&bytes) {
                    add(name.into_owned(), value.into_owned());
                }
                Body::from(bytes)
            }
            Err(err) => {
                // The handler would refuse the same body the same way; answer for it.
                let response = err.render(app.provider, &app.site(&entry.realm).challenge_realm());
                entry.client = client;
                record_headers(&mut entry, &parts.headers);
                return finish(&app, entry, response).await;
            }
        }
    } else {
        body
    };
    entry.client = client.or_else(|| basic_id(&parts.headers));
    record_headers(&mut entry, &parts.headers);
    let response = next.run(Request::from_parts(parts, body)).await;
    let response = if endpoint == Endpoint::Token {
        issued_tokens(response, &mut entry.tokens).await
    } else {
        response
    };
    finish(&app, entry, response).await
}

/// Keeps the decoded header and claims of `value` under the name `source` gives, if it is a
/// JWT and the entry has room.
fn keep_token(tokens: &mut Vec<LoggedToken>, source: impl FnOnce() -> String, value: &str) {
    if tokens.len() >= MAX_LOGGED_TOKENS || value.len() > MAX_TOKEN {
        return;
    }
    // Only a value with the dots of a JWS (2) or JWE (4) is worth decoding.
    let dots = value.bytes().filter(|byte| *byte == b'.').count();
    if (dots == 2 || dots == 4)
        && let Ok(decoded) = crate::jwt_view::decode(value)
    {
        tokens.push(LoggedToken {
            source: source(),
            header: decoded.header,
            claims: decoded.claims,
        });
    }
}

/// The members of a token response that may hold a JWT.
const ISSUED: [&str; 3] = ["access_token", "id_token", "refresh_token"];

/// Keeps the JWTs a successful token response issued (Keycloak's refresh tokens are JWTs too;
/// the mock's opaque ones are skipped), and hands the response on unchanged.
async fn issued_tokens(response: Response, tokens: &mut Vec<LoggedToken>) -> Response {
    let small = axum::body::HttpBody::size_hint(response.body())
        .exact()
        .is_some_and(|size| size <= MAX_ERROR_BODY);
    if !response.status().is_success() || !is_json(&response) || !small {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ERROR_BODY as usize).await else {
        return Response::from_parts(parts, Body::empty());
    };
    if let Ok(serde_json::Value::Object(members)) = serde_json::from_slice::<serde_json::Value>(&bytes) {
        for name in ISSUED {
            if let Some(value) = members.get(name).and_then(serde_json::Value::as_str) {
                keep_token(tokens, || format!("response:{name}"), value);
            }
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"))
}

/// Records the request's `Authorization` and `DPoP` headers (masked, their JWTs decoded), before
/// the request moves on: the log keeps no copy of the header map.
fn record_headers(entry: &mut LoggedRequest, headers: &HeaderMap) {
    for name in [header::AUTHORIZATION.as_str(), "dpop"] {
        if let Some(value) = headers.get(name).and_then(|value| value.to_str().ok()) {
            entry.headers.insert(name.to_owned(), mask::header(name, value));
            let credential = match value.split_once(' ') {
                Some((scheme, credential)) if !scheme.eq_ignore_ascii_case("basic") => credential,
                Some(_) => continue,
                None => value,
            };
            keep_token(&mut entry.tokens, || format!("header:{name}"), credential);
        }
    }
}

/// Completes `entry` from the response, stores it, and hands the response on.
async fn finish(app: &App, mut entry: LoggedRequest, response: Response) -> Response {
    entry.status = response.status().as_u16();
    let (response, error) = error_code(response).await;
    entry.error = error.map(|code| cut(&code));
    app.request_log.push(entry);
    response
}

/// The OAuth `error` of a response: a JSON body's `error`, a redirect's `error` parameter, or a
/// Bearer challenge's `error`.
async fn error_code(response: Response) -> (Response, Option<String>) {
    if let Some(location) = response.headers().get(header::LOCATION).and_then(|v| v.to_str().ok())
        && let Ok(url) = url::Url::parse(location)
    {
        let from_query = url
            .query_pairs()
            .find(|(name, _)| name == "error")
            .map(|(_, v)| v.into_owned());
        let from_fragment = url.fragment().and_then(|fragment| {
            form_urlencoded::parse(fragment.as_bytes())
                .find(|(name, _)| name == "error")
                .map(|(_, v)| v.into_owned())
        });
        return (response, from_query.or(from_fragment));
    }
    let challenge = response
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .and_then(challenge_error);
    let is_json = is_json(&response);
    let small = axum::body::HttpBody::size_hint(response.body())
        .exact()
        .is_some_and(|size| size <= MAX_ERROR_BODY);
    if response.status().as_u16() < 400 || !is_json || !small {
        return (response, challenge);
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ERROR_BODY as usize).await else {
        return (Response::from_parts(parts, Body::empty()), challenge);
    };
    let code = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|value| value.get("error").and_then(|e| e.as_str()).map(str::to_owned));
    (Response::from_parts(parts, Body::from(bytes)), code.or(challenge))
}

/// `error="…"` of a `WWW-Authenticate` challenge.
fn challenge_error(challenge: &str) -> Option<String> {
    let start = challenge.find("error=\"")? + "error=\"".len();
    let rest = &challenge[start..];
    rest.find('"').map(|end| rest[..end].to_owned())
}

/// The client id of `Basic` credentials, if any.
fn basic_id(headers: &HeaderMap) -> Option<String> {
    use base64::Engine;
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, _) = decoded.split_once(':')?;
    http::decode_component(id.as_bytes()).ok().map(|id| cut(&id))
}

/// `value` cut to [`MAX_VALUE`] characters.
fn cut(value: &str) -> String {
    match value.char_indices().nth(MAX_VALUE) {
        Some((at, _)) => format!("{}…", &value[..at]),
        None => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_errors_and_long_values() {
        assert_eq!(
            challenge_error(r#"Bearer realm="demo", error="invalid_token", error_description="x""#).as_deref(),
            Some("invalid_token")
        );
        assert_eq!(challenge_error("Bearer realm=\"demo\""), None);
        assert_eq!(cut(&"é".repeat(600)).chars().count(), MAX_VALUE + 1);
        assert_eq!(cut("short"), "short");
    }
}
