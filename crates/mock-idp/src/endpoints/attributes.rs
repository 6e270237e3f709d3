//! IBM App ID's user profile attributes API (`/api/v1/attributes`, on the host root, the tenant
//! taken from the access token): read all, read one, write and delete custom attributes of the
//! token's user.

use super::respond;
use crate::app::{App, RealmCtx};
use crate::error::OAuthError;
use crate::http::{bearer, no_store_json, read_body};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use providers::ErrorKind;
use serde_json::{Map, Value};
use std::sync::Arc;

pub(super) fn all() -> MethodRouter<Arc<App>> {
    get(read_all)
}

pub(super) fn one() -> MethodRouter<Arc<App>> {
    get(read_one).put(write_one).delete(delete_one)
}

/// The realm and user id of the presented token, whichever realm issued it.
fn owner<'a>(app: &'a App, headers: &HeaderMap) -> Result<(RealmCtx<'a>, String), OAuthError> {
    let token =
        bearer(headers)?.ok_or_else(|| OAuthError::new(ErrorKind::MissingBearer, "an access token is required"))?;
    for name in app.realms.keys() {
        let Ok(cx) = app.realm(name) else { continue };
        if let Some(live) = cx.live_access_token(&token) {
            let subject = live
                .claims
                .get("sub")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            if cx.realm.user_by_id(&subject).is_some() {
                return Ok((cx, subject));
            }
        }
    }
    Err(OAuthError::new(
        ErrorKind::InvalidBearer,
        "the access token is invalid, expired or revoked",
    ))
}

fn not_found(name: &str) -> Response {
    let mut body = Map::new();
    body.insert("error".into(), Value::String("not_found".into()));
    body.insert(
        "error_description".into(),
        Value::String(format!("attribute {name} is not set")),
    );
    let mut response = no_store_json(&Value::Object(body));
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}

async fn read_all(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    let result = owner(&app, &headers)
        .map(|(cx, user)| no_store_json(&Value::Object(cx.store().attributes(&cx.realm.name, &user))));
    let realm = app.default_realm().to_owned();
    respond(&app, &realm, result)
}

async fn read_one(State(app): State<Arc<App>>, Path(name): Path<String>, headers: HeaderMap) -> Response {
    let result = owner(&app, &headers).map(|(cx, user)| {
        let attributes = cx.store().attributes(&cx.realm.name, &user);
        match attributes.get(&name) {
            Some(value) => {
                let mut body = Map::new();
                body.insert(name.clone(), value.clone());
                no_store_json(&Value::Object(body))
            }
            None => not_found(&name),
        }
    });
    let realm = app.default_realm().to_owned();
    respond(&app, &realm, result)
}

async fn write_one(State(app): State<Arc<App>>, Path(name): Path<String>, headers: HeaderMap, body: Body) -> Response {
    let result = async {
        let (cx, user) = owner(&app, &headers)?;
        let bytes = read_body(body).await?;
        let text =
            std::str::from_utf8(&bytes).map_err(|_| OAuthError::malformed("the attribute value must be UTF-8"))?;
        // The raw body is the value: JSON when it parses, a string otherwise.
        let value = serde_json::from_str::<Value>(text).unwrap_or_else(|_| Value::String(text.to_owned()));
        cx.store()
            .set_attribute(&cx.realm.name, &user, &name, Some(value.clone()));
        let mut body = Map::new();
        body.insert(name.clone(), value);
        Ok(no_store_json(&Value::Object(body)))
    }
    .await;
    let realm = app.default_realm().to_owned();
    respond(&app, &realm, result)
}

async fn delete_one(State(app): State<Arc<App>>, Path(name): Path<String>, headers: HeaderMap) -> Response {
    let result = owner(&app, &headers).map(|(cx, user)| {
        if cx.store().set_attribute(&cx.realm.name, &user, &name, None) {
            StatusCode::NO_CONTENT.into_response()
        } else {
            not_found(&name)
        }
    });
    let realm = app.default_realm().to_owned();
    respond(&app, &realm, result)
}
