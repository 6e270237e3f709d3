//! `refresh_token` (RFC 6749 §6) with rotation: each exchange returns a new refresh token, and
//! reusing a rotated one revokes the whole family (RFC 9700 §4.14.2).

use crate::app::RealmCtx;
use crate::error::OAuthError;
use crate::http::Params;
use crate::tokens::{Issued, Subject};
use providers::dpop::DpopRefusal;
use providers::{Client, ErrorKind, GrantType};

pub(super) fn issue(cx: &RealmCtx, client: &Client, params: &Params) -> Result<Issued, OAuthError> {
    let token = params.require("refresh_token")?;
    let invalid = || {
        OAuthError::new(
            ErrorKind::InvalidRefreshToken,
            "refresh token is invalid, expired or revoked",
        )
    };
    let now = cx.now();
    // Check the scope before rotating, so a bad request does not burn the token.
    let current = cx.store().live_refresh(token, now);
    let narrowed = match (params.get("scope"), &current) {
        (Some(scope), Some(record)) => Some(narrow(scope, &record.scopes)?),
        _ => None,
    };
    // A bound refresh token needs a proof of its key (RFC 9449 §5), checked before rotating.
    if let Some(bound) = current.as_ref().and_then(|record| record.dpop_jkt.as_deref()) {
        let refusal = match cx.dpop.get() {
            None => Some(DpopRefusal::RefreshWithoutProof),
            Some(proof) if proof.jkt != bound => Some(DpopRefusal::RefreshKeyMismatch),
            Some(_) => None,
        };
        if let Some(refusal) = refusal {
            return Err(OAuthError::new(
                ErrorKind::Dpop(refusal),
                "the refresh token is bound to a DPoP key",
            ));
        }
    }
    let record = cx.store().rotate_refresh(token, &client.id, now).ok_or_else(invalid)?;
    if record.realm != cx.realm.name {
        return Err(invalid());
    }
    let user = match &record.username {
        Some(username) => {
            let user = cx.realm.user(username).ok_or_else(invalid)?;
            if !user.enabled {
                let disabled = ErrorKind::UserDisabled {
                    username: username.clone(),
                };
                return Err(OAuthError::new(disabled, "the account is disabled"));
            }
            Some(user)
        }
        None => None,
    };
    let subject = Subject {
        client,
        user,
        scopes: narrowed.unwrap_or(record.scopes),
        auth_time: record.auth_time,
        session_id: record.session_id,
        nonce: None,
        grant: Some(GrantType::RefreshToken),
        login: record.login,
        form: Some(params),
    };
    cx.issue(&subject, Some(record.family), true)
}

/// A refresh may narrow the scope, never widen it (RFC 6749 §6).
fn narrow(requested: &str, granted: &[String]) -> Result<Vec<String>, OAuthError> {
    let mut scopes = Vec::new();
    for scope in requested.split(' ').filter(|part| !part.is_empty()) {
        if !granted.iter().any(|held| held == scope) {
            return Err(OAuthError::new(
                ErrorKind::InvalidScope,
                format!("scope {scope} was not granted originally"),
            ));
        }
        if !scopes.iter().any(|seen: &String| seen == scope) {
            scopes.push(scope.to_owned());
        }
    }
    Ok(scopes)
}
