//! Tokens for a subject another identity provider vouched for (WSO2's federated users of its
//! JWT bearer grant and token exchange, App ID's custom identities): the World user of that
//! username or id when there is one, else the bare subject, and the `aud` reader the
//! assertions share.

use crate::app::RealmCtx;
use crate::error::OAuthError;
use crate::http::Params;
use crate::tokens::{Issued, Subject, requested_scopes};
use providers::{Client, GrantType};
use serde_json::{Map, Value, json};

/// What is issued for an external subject.
pub(super) struct ExternalSubject<'a> {
    /// The subject the assertion named.
    pub(super) sub: &'a str,
    /// The requested scope.
    pub(super) scope: Option<&'a str>,
    /// The grant issuing it.
    pub(super) grant: GrantType,
    /// Whether a World user gets a refresh token too.
    pub(super) refresh_for_users: bool,
    /// Claims a bare subject's access token carries besides its `sub` (the provider's marks).
    pub(super) bare_claims: &'a [(&'static str, Value)],
}

/// Issues `external`'s tokens to `client`: for the enabled World user whose username or id is
/// the subject (an ID token under `openid`), else for the bare subject (no ID or refresh token).
pub(super) fn issue(
    cx: &RealmCtx,
    client: &Client,
    params: &Params,
    external: &ExternalSubject<'_>,
) -> Result<Issued, OAuthError> {
    let sub = external.sub;
    let user = cx
        .realm
        .users
        .values()
        .find(|user| user.enabled && (user.username == sub || user.id == sub));
    let scopes = requested_scopes(cx.flavor(), client, external.scope, user.is_some())?;
    let subject = Subject {
        client,
        user,
        scopes,
        auth_time: None,
        session_id: None,
        nonce: None,
        grant: Some(external.grant),
        login: None,
        form: Some(params),
    };
    let mut claims = Map::new();
    if user.is_none() {
        claims.insert("sub".into(), json!(sub));
        for (name, value) in external.bare_claims {
            claims.insert((*name).to_owned(), value.clone());
        }
    }
    cx.issue_with(&subject, None, external.refresh_for_users && user.is_some(), claims)
}

/// The values of a token's `aud` (a string or an array of strings).
pub(super) fn audience_list(claims: &Map<String, Value>) -> Vec<&str> {
    match claims.get("aud") {
        Some(Value::String(aud)) => vec![aud.as_str()],
        Some(Value::Array(auds)) => auds.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}
