//! Back-channel logout (OpenID Connect Back-Channel Logout 1.0): BCL-01..02. The World's
//! code-flow client with a loopback `backchannel_logout_uri` logs the user in; the session ends at
//! the end-session endpoint (`id_token_hint`); conformance listens at that URI
//! ([`LogoutReceiver`]) for the logout token the provider must POST. A provider whose discovery
//! does not say `backchannel_logout_supported: true` skips with that reason.

use super::{Entry, check};
use crate::cx::receiver::LogoutReceiver;
use crate::cx::{AuthRequest, Cx};
use crate::http::{Step, fail, skip};
use providers::Endpoint;
use providers::backchannel::BACKCHANNEL_LOGOUT_EVENT;
use serde_json::{Map, Value};
use std::time::Duration;

/// How long a logout token may take to arrive after the end-session request.
const DELIVERY_WAIT: Duration = Duration::from_secs(10);

pub(super) fn entries() -> Vec<Entry> {
    vec![
        check!(
            "BCL-01",
            BackchannelLogout,
            Must,
            Strict,
            [BackchannelLogout],
            "OIDC Back-Channel Logout 1.0 §2.4, §2.5, §2.6",
            "ending the session POSTs a signed logout token (iss, aud, iat, jti, the event, sub or sid, no nonce) to the client",
            bcl01
        ),
        check!(
            "BCL-02",
            BackchannelLogout,
            Must,
            Strict,
            [BackchannelLogout],
            "OIDC Back-Channel Logout 1.0 §2.4 (sid), §2.2",
            "the logout token's sid is the ID token's, for a client that requires the session",
            bcl02
        ),
    ]
}

/// A logout token delivered for a fresh session, verified with the JWKS: its header, its
/// claims, and the ID token of the session it ended.
struct Delivered {
    header: Map<String, Value>,
    claims: Map<String, Value>,
    id_token_claims: Map<String, Value>,
}

/// Logs the user in to the logout client, ends the session at the end-session endpoint, and
/// waits for the logout token.
async fn logout_token(cx: &Cx<'_>) -> Step<Delivered> {
    let doc = cx.discovery().await?;
    if doc.get("backchannel_logout_supported").and_then(Value::as_bool) != Some(true) {
        return Err(skip("discovery does not say backchannel_logout_supported: true"));
    }
    let client = cx.logout_client()?;
    let uri = client.backchannel_logout_uri.as_deref().unwrap_or_default();
    let receiver = LogoutReceiver::bind(uri).await?;
    let request = AuthRequest::code(client, "openid").set("nonce", Some("bcl-nonce"));
    let mut callback = cx.callback(&request).await?;
    let code = callback.code()?;
    let tokens = Cx::tokens(cx.redeem(&request, &code, None).await?)?;
    let id_token = tokens.id_token()?.to_owned();
    let (_, id_token_claims) = cx.verify_jwt(&id_token).await?;
    let end_session = cx.endpoint(Endpoint::EndSession).await?;
    let params = [("id_token_hint", id_token.as_str()), ("client_id", client.id.as_str())];
    cx.end_session(&end_session, &params, &mut callback.jar).await?;
    let token = receiver.next(DELIVERY_WAIT).await?;
    let (header, claims) = cx.verify_jwt(&token).await?;
    Ok(Delivered {
        header,
        claims,
        id_token_claims,
    })
}

async fn bcl01(cx: &Cx<'_>) -> Step {
    let delivered = logout_token(cx).await?;
    let client = cx.logout_client()?;
    let claims = &delivered.claims;
    let field = |name: &str| Some(format!("logout_token.{name}"));
    if claims.get("iss").and_then(Value::as_str) != Some(cx.issuer()) {
        return Err(fail(
            field("iss").as_deref(),
            format!("expected {}, got {:?}", cx.issuer(), claims.get("iss")),
        ));
    }
    let aud_names_client = match claims.get("aud") {
        Some(Value::String(aud)) => aud == &client.id,
        Some(Value::Array(auds)) => auds.iter().any(|aud| aud.as_str() == Some(client.id.as_str())),
        _ => false,
    };
    if !aud_names_client {
        return Err(fail(
            field("aud").as_deref(),
            format!("does not name {}: {:?}", client.id, claims.get("aud")),
        ));
    }
    for required in ["iat", "jti"] {
        if !claims.contains_key(required) {
            return Err(fail(field(required).as_deref(), "missing"));
        }
    }
    let event = claims
        .get("events")
        .and_then(Value::as_object)
        .and_then(|events| events.get(BACKCHANNEL_LOGOUT_EVENT));
    if !event.is_some_and(Value::is_object) {
        return Err(fail(
            field("events").as_deref(),
            format!("no {BACKCHANNEL_LOGOUT_EVENT} member holding an object"),
        ));
    }
    if !claims.contains_key("sub") && !claims.contains_key("sid") {
        return Err(fail(field("sub").as_deref(), "neither sub nor sid"));
    }
    if claims.contains_key("nonce") {
        return Err(fail(
            field("nonce").as_deref(),
            "a logout token must not carry a nonce (§2.4)",
        ));
    }
    if claims
        .get("sub")
        .is_some_and(|sub| Some(sub) != delivered.id_token_claims.get("sub"))
    {
        return Err(fail(field("sub").as_deref(), "not the ID token's sub"));
    }
    // Where `providers` records the provider's logout tokens, they must be as recorded.
    if let Some(facts) = cx.provider().quirks().backchannel_logout {
        let typ = delivered.header.get("typ").and_then(Value::as_str);
        if typ != facts.header_typ {
            return Err(fail(
                Some("logout_token.header.typ"),
                format!("expected {:?} as providers documents it, got {typ:?}", facts.header_typ),
            ));
        }
        let payload_typ = claims.get("typ").and_then(Value::as_str);
        if payload_typ != facts.payload_typ {
            return Err(fail(
                field("typ").as_deref(),
                format!(
                    "expected {:?} as providers documents it, got {payload_typ:?}",
                    facts.payload_typ
                ),
            ));
        }
        let lifetime = claims
            .get("exp")
            .and_then(Value::as_u64)
            .zip(claims.get("iat").and_then(Value::as_u64))
            .map(|(exp, iat)| exp.saturating_sub(iat));
        if lifetime != Some(facts.lifetime) {
            return Err(fail(
                field("exp").as_deref(),
                format!(
                    "exp - iat: expected {} as providers documents it, got {lifetime:?}",
                    facts.lifetime
                ),
            ));
        }
    }
    Ok(())
}

async fn bcl02(cx: &Cx<'_>) -> Step {
    let client = cx.logout_client()?;
    if !client.backchannel_logout_session_required {
        return Err(skip(
            "the World's logout client does not require the session (backchannel_logout_session_required)",
        ));
    }
    let delivered = logout_token(cx).await?;
    let expected = delivered.id_token_claims.get("sid");
    if expected.is_none() {
        return Err(fail(Some("id_token.sid"), "the ID token has no sid to compare with"));
    }
    if delivered.claims.get("sid") != expected {
        return Err(fail(
            Some("logout_token.sid"),
            format!(
                "expected the ID token's {expected:?}, got {:?}",
                delivered.claims.get("sid")
            ),
        ));
    }
    Ok(())
}
