//! `password` (RFC 6749 §4.3): the resource owner's username and password, checked against the
//! World; a disabled account is refused.

use crate::app::RealmCtx;
use crate::error::OAuthError;
use crate::http::Params;
use crate::tokens::{Issued, Subject, requested_scopes};
use providers::{Client, GrantType};

pub(super) fn issue(cx: &RealmCtx, client: &Client, params: &Params) -> Result<Issued, OAuthError> {
    let username = params.require("username")?;
    let password = params.require("password")?;
    let scopes = requested_scopes(cx.flavor(), client, params.get("scope"), true)?;
    let user = crate::login::check_password(&cx.realm, username, password)?;
    // A server-side session, as providers open for a direct grant (`sid`, logout by hint).
    let now = cx.now();
    let session_id = crate::b64::random_uuid();
    cx.store()
        .start_session(session_id.clone(), &cx.realm, &user.username, now, now);
    let subject = Subject {
        client,
        user: Some(user),
        scopes,
        auth_time: Some(now),
        session_id: Some(session_id),
        nonce: None,
        grant: Some(GrantType::Password),
        login: Some(GrantType::Password),
        form: Some(params),
    };
    cx.issue(&subject, None, client.allows(GrantType::RefreshToken))
}
