//! `urn:ietf:params:oauth:grant-type:device_code` (RFC 8628 §3.4, §3.5): a poll answers the
//! provider's pending, slow-down, expired or denied error until the user approved, then issues
//! tokens once.

use super::store::Decision;
use crate::app::RealmCtx;
use crate::error::OAuthError;
use crate::http::Params;
use crate::tokens::{Issued, Subject};
use providers::device::DeviceError;
use providers::{Client, ErrorKind, GrantType};

fn refused(error: DeviceError) -> OAuthError {
    OAuthError::new(ErrorKind::Device(error), format!("{error:?}"))
}

pub(crate) fn issue(cx: &RealmCtx, client: &Client, params: &Params) -> Result<Issued, OAuthError> {
    let facts = cx.flavor().quirks().device.ok_or_else(|| {
        let grant = GrantType::DeviceCode.as_str();
        OAuthError::new(
            ErrorKind::UnsupportedGrantType {
                grant: grant.to_owned(),
            },
            providers::unsupported_grant_description(grant),
        )
    })?;
    let device_code = params
        .get("device_code")
        .ok_or_else(|| refused(DeviceError::MissingCode))?;
    let record = cx
        .app
        .devices
        .poll(&cx.realm.name, &client.id, device_code, cx.now(), &facts)
        .map_err(refused)?;
    let Decision::Approved {
        username,
        auth_time,
        session_id,
    } = record.decision
    else {
        return Err(refused(DeviceError::UnknownCode));
    };
    let user = cx.realm.user(&username).filter(|user| user.enabled).ok_or_else(|| {
        OAuthError::new(
            ErrorKind::UserDisabled {
                username: username.clone(),
            },
            "the user is disabled",
        )
    })?;
    let subject = Subject {
        client,
        user: Some(user),
        scopes: record.scopes,
        auth_time: Some(auth_time),
        session_id,
        nonce: None,
        grant: Some(GrantType::DeviceCode),
        login: Some(GrantType::DeviceCode),
        form: Some(params),
    };
    cx.issue(&subject, None, client.allows(GrantType::RefreshToken))
}
