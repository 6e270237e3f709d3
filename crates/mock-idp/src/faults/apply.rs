//! The middleware in front of every endpoint: counts the hit, then applies the fault, if any.

use super::Fault;
use crate::app::App;
use crate::endpoints::RealmName;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use providers::Endpoint;
use std::sync::Arc;

/// Bodies read back for [`Fault::MalformedJson`] are cut at this size.
const MAX_MALFORMED_SOURCE: usize = 1024 * 1024;

/// The name hits on a realm the world does not hold are counted under (keeps the counters
/// bounded whatever paths clients try).
const UNKNOWN_REALM: &str = "(unknown)";

/// Marks a response the accept loop must not send: it closes the connection instead.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DropConnection;

/// Middleware: counts the hit, then applies the fault of the request's realm and endpoint.
pub(crate) async fn apply(
    State((app, endpoint)): State<(Arc<App>, Endpoint)>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    // Taken from the request log's extraction (see `RealmName`).
    let realm = match RealmName::from_request_parts(&mut parts, &app).await {
        Ok(RealmName(realm)) => realm,
        Err(_) => app.default_realm().to_owned(),
    };
    let request = Request::from_parts(parts, body);
    let counted = if app.realms.contains_key(&realm) {
        realm.as_str()
    } else {
        UNKNOWN_REALM
    };
    let Some(fault) = app.faults.hit(counted, endpoint) else {
        return next.run(request).await;
    };
    match fault {
        Fault::Delay(delay) => {
            tokio::time::sleep(delay).await;
            next.run(request).await
        }
        Fault::Status(code) => json(
            status(code),
            r#"{"error":"server_error","error_description":"injected fault"}"#.into(),
        ),
        Fault::Respond { status: code, body } => json(status(code), body.into()),
        Fault::EmptyKeySet => json(StatusCode::OK, r#"{"keys":[]}"#.into()),
        Fault::Body(body) => json(StatusCode::OK, body.into()),
        Fault::Headers(extra) => {
            let mut response = next.run(request).await;
            for (name, value) in extra {
                if let (Ok(name), Ok(value)) = (
                    header::HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_str(&value),
                ) {
                    response.headers_mut().insert(name, value);
                }
            }
            response
        }
        Fault::DropConnection => {
            // Served through the accept loop, this response is never sent (see
            // `server::listen`); anyone else sees a 502 saying why.
            let mut response = json(
                StatusCode::BAD_GATEWAY,
                r#"{"error":"server_error","error_description":"connection dropped by an injected fault"}"#.into(),
            );
            response.extensions_mut().insert(DropConnection);
            response
        }
        Fault::MalformedJson => malformed(next.run(request).await).await,
        Fault::Outage => {
            let mut response = json(
                StatusCode::SERVICE_UNAVAILABLE,
                r#"{"error":"temporarily_unavailable","error_description":"injected outage"}"#.into(),
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            response
        }
        Fault::StaleKeySet => match app.realm(&realm) {
            Ok(cx) => json(StatusCode::OK, Body::from(cx.published.stale_jwks.clone())),
            Err(_) => next.run(request).await,
        },
        Fault::HugeKeySet(bytes) => match app.realm(&realm) {
            Ok(cx) => json(StatusCode::OK, Body::from(padded(&cx.published.jwks, bytes))),
            Err(_) => next.run(request).await,
        },
    }
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn json(status: StatusCode, body: Body) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body,
    )
        .into_response()
}

/// The normal response with its body cut in half (a proper prefix of a JSON object or array is
/// never valid JSON); an empty body becomes `{"`.
async fn malformed(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_MALFORMED_SOURCE)
        .await
        .unwrap_or_default();
    let cut = if bytes.len() >= 2 {
        bytes.slice(..bytes.len() / 2)
    } else {
        axum::body::Bytes::from_static(b"{\"")
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Response::from_parts(parts, Body::from(cut))
}

/// `jwks` (a JSON object) with a `"x-padding"` member added so the whole is `bytes` long (or
/// just over the set's own length when `bytes` is smaller).
fn padded(jwks: &[u8], bytes: usize) -> Vec<u8> {
    const OPEN: &[u8] = b",\"x-padding\":\"";
    const CLOSE: &[u8] = b"\"}";
    let head = jwks.strip_suffix(b"}").unwrap_or(jwks);
    let fill = bytes.saturating_sub(head.len() + OPEN.len() + CLOSE.len());
    let mut body = Vec::with_capacity(head.len() + OPEN.len() + fill + CLOSE.len());
    body.extend_from_slice(head);
    body.extend_from_slice(OPEN);
    body.resize(body.len() + fill, b'a');
    body.extend_from_slice(CLOSE);
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_padded_key_set_is_valid_json_of_the_asked_size_with_the_real_keys() {
        let jwks = br#"{"keys":[{"kid":"a"}]}"#;
        let body = padded(jwks, 5 << 20);
        assert_eq!(body.len(), 5 << 20);
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(value["keys"][0]["kid"], "a");
        let small: serde_json::Value = serde_json::from_slice(&padded(jwks, 3)).unwrap();
        assert_eq!(small["x-padding"], "");
    }
}
