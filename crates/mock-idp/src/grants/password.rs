//! `password` (RFC 6749 §4.3): the resource owner's username and password, checked against the
//! World; a disabled account is refused.

use crate::app::RealmCtx;
use crate::error::OAuthError;
use crate::http::Params;
use crate::tokens::{Issued, Subject, requested_scopes};
use providers::{Client, GrantType};

pub(super) fn issue(cx: &RealmCtx<'_>, client: &Client, params: &Params) -> Result<Issued, OAuthError> {
    let username = params.require("username")?;
    let password = params.require("password")?;
    let scopes = requested_scopes(client, params.get("scope"))?;
    let user = crate::login::check_password(cx.realm, username, password)?;
    let subject = Subject {
        client,
        user: Some(user),
        scopes,
        auth_time: Some(cx.now()),
        session_id: None,
        nonce: None,
    };
    cx.issue(&subject, None, client.allows(GrantType::RefreshToken))
}
