//! Back-channel logout (OpenID Connect Back-Channel Logout 1.0): when a login session ends, a
//! signed logout token is POSTed (`logout_token=…`, form) to the `backchannel_logout_uri` of
//! every client that was issued tokens under it. Deliveries run in the background with short
//! time limits, only to loopback targets (checked at World load and again here), at most
//! [`MAX_IN_FLIGHT`] at once; a failure is logged, never fatal to the logout. A provider that
//! retries (ZITADEL) is retried as it does ([`providers::backchannel::LogoutDelivery`]), on
//! the real clock.

use crate::app::RealmCtx;
use crate::state::EndedSession;
use providers::backchannel::{LogoutDelivery, LogoutTokenInput};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::Semaphore;

/// Deliveries under way at once, server-wide; beyond, a delivery is dropped (and logged).
pub(crate) const MAX_IN_FLIGHT: usize = 32;
/// Time limit of one delivery, connection included.
pub(crate) const DELIVERY_TIMEOUT: Duration = Duration::from_secs(2);

fn in_flight() -> &'static Arc<Semaphore> {
    static PERMITS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    PERMITS.get_or_init(|| Arc::new(Semaphore::new(MAX_IN_FLIGHT)))
}

fn http() -> Option<&'static reqwest::Client> {
    static CLIENT: OnceLock<Option<reqwest::Client>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            reqwest::Client::builder()
                .timeout(DELIVERY_TIMEOUT)
                .connect_timeout(DELIVERY_TIMEOUT)
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .build()
                .ok()
        })
        .as_ref()
}

/// Sends a logout token to each client of `ended` (session `sid`) that registered a
/// back-channel logout URI, where the provider sends them; returns how many were handed to
/// delivery.
pub(crate) fn notify(cx: &RealmCtx, sid: &str, ended: &EndedSession) -> usize {
    let Some(facts) = cx.flavor().quirks().backchannel_logout else {
        return 0;
    };
    let mut handed = 0;
    let subject = ended
        .username
        .as_deref()
        .and_then(|username| cx.realm.user(username))
        .map(|user| user.id.clone());
    for client_id in &ended.clients {
        let Some(client) = cx.realm.client(client_id) else {
            continue;
        };
        let Some(uri) = client.backchannel_logout_uri.clone() else {
            continue;
        };
        if !providers::world::is_loopback_url(&uri) {
            tracing::warn!(client = %client.id, "back-channel logout URI is not loopback; not sent");
            continue;
        }
        let jti = crate::b64::random_uuid();
        let claims = facts.claims(&LogoutTokenInput {
            issuer: cx.issuer(),
            client_id: &client.id,
            issued_at: cx.now(),
            jti: &jti,
            subject: subject.as_deref(),
            session_id: (facts.sid_always || client.backchannel_logout_session_required).then_some(sid),
        });
        let token = match cx.sign_for(client, facts.header_typ.unwrap_or_default(), &claims) {
            Ok(token) => token,
            Err(err) => {
                tracing::warn!(client = %client.id, error = %err.detail, "logout token not signed");
                continue;
            }
        };
        if deliver(client.id.clone(), uri, token, facts.delivery) {
            handed += 1;
        }
    }
    handed
}

/// Starts one delivery in the background (its attempts included); false when it was dropped.
fn deliver(client_id: String, uri: String, token: String, delivery: LogoutDelivery) -> bool {
    let Ok(permit) = in_flight().clone().try_acquire_owned() else {
        tracing::warn!(client = %client_id, "too many back-channel logouts under way; dropped");
        return false;
    };
    let Some(http) = http() else {
        tracing::warn!(client = %client_id, "no HTTP client for back-channel logout");
        return false;
    };
    tokio::spawn(async move {
        let _permit = permit;
        let mut attempt = 1;
        loop {
            let status = match http.post(&uri).form(&[("logout_token", token.as_str())]).send().await {
                Ok(response) => {
                    let status = response.status();
                    if delivery.is_delivered(status.as_u16()) {
                        tracing::info!(client = %client_id, %status, attempt, "back-channel logout delivered");
                    } else {
                        tracing::warn!(client = %client_id, %status, attempt, "back-channel logout refused");
                    }
                    Some(status.as_u16())
                }
                Err(err) => {
                    tracing::warn!(client = %client_id, error = %err, attempt, "back-channel logout failed");
                    None
                }
            };
            if !delivery.retries_after(attempt, status) {
                break;
            }
            tokio::time::sleep(delivery.wait_after(attempt)).await;
            attempt += 1;
        }
    });
    true
}
