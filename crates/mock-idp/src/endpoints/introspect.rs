//! Token introspection (RFC 7662): only an authenticated client allowed to introspect may ask;
//! every token that is not live is `{"active": false}` and nothing more (§2.2).

use crate::app::{App, RealmCtx};
use crate::client_auth::AuthMethod;
use crate::error::OAuthError;
use crate::http::{no_store_json, read_token_body};
use axum::body::Body;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{MethodRouter, post};
use providers::ErrorKind;
use providers::claims::IntrospectionInput;
use serde_json::{Map, Value, json};
use std::sync::Arc;

pub(super) fn routes() -> MethodRouter<Arc<App>> {
    post(introspect)
}

async fn introspect(cx: RealmCtx, headers: HeaderMap, body: Body) -> Result<Response, OAuthError> {
    let params = read_token_body(&headers, body, cx.flavor().quirks().introspection_body_formats).await?;
    let unauthenticated = |detail: &str| OAuthError::new(ErrorKind::IntrospectionUnauthenticated, detail);
    let id_alone = names_client_without_proof(&headers, &params);
    let caller = crate::client_assertion::authenticate_request(&cx, &headers, &params, providers::Endpoint::Introspect)
        .await
        .map_err(|err| match err.kind {
            ErrorKind::MultipleClientAuthMethods | ErrorKind::MalformedRequest | ErrorKind::MissingParameter { .. } => {
                err
            }
            _ if id_alone => unauthenticated(providers::INTROSPECTION_NO_SECRET),
            ErrorKind::MissingClientAuth => unauthenticated(providers::INTROSPECTION_NO_CREDENTIALS),
            _ => unauthenticated("client authentication failed"),
        })?;
    if caller.method == AuthMethod::None {
        let detail = if id_alone {
            providers::INTROSPECTION_NO_SECRET
        } else {
            "a public client may not introspect tokens"
        };
        return Err(OAuthError::new(ErrorKind::IntrospectionForbidden, detail));
    }
    if cx.flavor().quirks().introspection_needs_permission && !caller.client.introspection {
        return Err(OAuthError::new(
            ErrorKind::IntrospectionForbidden,
            "this client is not allowed to introspect tokens",
        ));
    }
    let blank_is_missing = cx.flavor().quirks().introspection_blank_token_is_missing;
    let token = params
        .get("token")
        .filter(|token| !(blank_is_missing && token.trim().is_empty()))
        .ok_or_else(|| OAuthError::new(ErrorKind::IntrospectionMissingToken, "Missing form parameter: token"))?;
    let lookup = match (
        cx.flavor().quirks().introspection_hint_strict,
        params.get("token_type_hint"),
    ) {
        (false, _) | (true, None) => Lookup::Any,
        (true, Some("access_token")) => Lookup::Access,
        (true, Some("refresh_token")) => Lookup::Refresh,
        (true, Some(_)) => return Err(OAuthError::malformed("Unsupported token type.")),
    };
    let body = crate::pat::introspect(&cx, token, caller.client)
        .or_else(|| describe(&cx, token, lookup).filter(|_| audience_allows(&cx, caller.client, token)))
        .unwrap_or_else(|| json!({ "active": false }));
    Ok(no_store_json(&body))
}

/// Whether the request names a client (`client_id`, or Basic) but sends neither a secret nor an
/// assertion: zitadel/oidc refuses it before looking the client up.
fn names_client_without_proof(headers: &HeaderMap, params: &crate::http::Params) -> bool {
    if params.get("client_assertion").is_some() || params.get("client_secret").is_some_and(|secret| !secret.is_empty())
    {
        return false;
    }
    match crate::client_auth::basic_credentials(headers) {
        Ok(Some((_, secret))) => secret.is_empty(),
        Ok(None) => params.get("client_id").is_some(),
        Err(_) => false,
    }
}

/// Providers that answer only for tokens meant for the caller (ZITADEL) check `aud` here.
fn audience_allows(cx: &RealmCtx, caller: &providers::Client, token: &str) -> bool {
    if !cx.flavor().quirks().introspection_requires_audience {
        return true;
    }
    // A refresh token's audience is the issuer itself: no client is in it.
    let Some(live) = cx.live_access_token(token) else {
        return false;
    };
    match live.claims.get("aud") {
        Some(Value::String(audience)) => *audience == caller.id,
        Some(Value::Array(audiences)) => audiences.iter().any(|audience| audience.as_str() == Some(&caller.id)),
        _ => false,
    }
}

/// Which kinds of token an introspection request looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lookup {
    Any,
    Access,
    Refresh,
}

/// The active response for a live access or refresh token of this realm.
fn describe(cx: &RealmCtx, token: &str, lookup: Lookup) -> Option<Value> {
    if let Some(live) = cx.live_access_token(token).filter(|_| lookup != Lookup::Refresh) {
        let subject = live.claims.get("sub").and_then(Value::as_str).unwrap_or_default();
        let user = cx.realm.user_by_id(subject);
        let body = cx.flavor().introspection(&IntrospectionInput {
            claims: &live.claims,
            username: user.map(|user| user.username.as_str()),
            user,
            refresh_token: false,
            jwt: crate::jws::looks_like_jws(token),
            site: cx.site(),
        });
        return Some(Value::Object(body));
    }
    if lookup == Lookup::Access {
        return None;
    }
    let record = cx.store().live_refresh(token, cx.now())?;
    if record.realm != cx.realm.name {
        return None;
    }
    let user = record.username.as_deref().and_then(|name| cx.realm.user(name));
    let mut claims = Map::new();
    claims.insert("iss".into(), json!(cx.issuer()));
    claims.insert(
        "sub".into(),
        json!(user.map_or(record.client_id.as_str(), |user| user.id.as_str())),
    );
    claims.insert("client_id".into(), json!(record.client_id));
    claims.insert("scope".into(), json!(record.scopes.join(" ")));
    claims.insert("iat".into(), json!(record.issued_at));
    claims.insert("exp".into(), json!(record.expires_at));
    let body = cx.flavor().introspection(&IntrospectionInput {
        claims: &claims,
        username: user.map(|user| user.username.as_str()),
        user,
        refresh_token: true,
        jwt: false,
        site: cx.site(),
    });
    Some(Value::Object(body))
}
