//! `client_credentials` (RFC 6749 §4.4): a token for the client's service account, never a
//! refresh token (§4.4.3).

use crate::app::RealmCtx;
use crate::error::OAuthError;
use crate::http::Params;
use crate::tokens::{Issued, Subject, requested_scopes};
use providers::{Client, GrantType};

pub(super) fn issue(cx: &RealmCtx, client: &Client, params: &Params) -> Result<Issued, OAuthError> {
    let scopes = requested_scopes(cx.flavor(), client, params.get("scope"), false)?;
    let subject = Subject {
        client,
        user: None,
        scopes,
        auth_time: None,
        session_id: None,
        nonce: None,
        grant: Some(GrantType::ClientCredentials),
        login: None,
        form: Some(params),
    };
    cx.issue(&subject, None, false)
}
