//! The JWT bearer grant (RFC 7523 §2.1) as ZITADEL's JWT profile for service users: no client
//! authentication; the `assertion` names the machine user (a World `client_credentials` client
//! with a `jwks`, whose ZITADEL user id is `providers::zitadel::pat::machine_user_id`) in `iss`
//! and `sub`, is signed by a key of its `jwks` named by `kid`, names the issuer in `aud`, has
//! not expired, and has an `iat` at most [`JwtProfileFacts::max_iat_age_secs`] old. A `jti`,
//! when present, is accepted once (ZITADEL checks none; the mock is stricter, bounded by the
//! shared [`ReplayCache`](crate::client_assertion::ReplayCache)). The token is the machine
//! user's, as for `client_credentials`.

use crate::app::RealmCtx;
use crate::client_keys::{self, KeyRefusal};
use crate::error::OAuthError;
use crate::http::Params;
use crate::tokens::{Issued, Subject, requested_scopes};
use idp_jose::compact;
use providers::jwt_bearer::JwtProfileFacts;
use providers::{Client, ErrorKind, GrantType};
use serde_json::{Map, Value};

/// Assertions longer than this are refused before any decoding.
const MAX_ASSERTION_BYTES: usize = 8 * 1024;

fn invalid(detail: &str) -> OAuthError {
    OAuthError::new(ErrorKind::InvalidAssertion, detail)
}

/// Whether `params` ask for the JWT bearer grant.
pub(crate) fn applies(params: &Params) -> bool {
    params.get("grant_type") == Some(GrantType::JwtBearer.as_str())
}

/// Runs the grant, if `params` asks for it and the realm's provider has it; `None` otherwise
/// (the request goes through client authentication and the other grants).
pub(crate) fn try_issue(cx: &RealmCtx, params: &Params) -> Option<Result<Issued, OAuthError>> {
    let wanted = applies(params);
    let facts = providers::jwt_bearer::facts(cx.app.provider)?;
    (wanted && cx.app.grant_types.contains(&GrantType::JwtBearer)).then(|| issue(cx, facts, params))
}

fn issue(cx: &RealmCtx, facts: &JwtProfileFacts, params: &Params) -> Result<Issued, OAuthError> {
    let assertion = params.require("assertion")?;
    let now = cx.now();
    let (client, claims) = verify(cx, facts, assertion, now)?;
    let scopes = requested_scopes(cx.flavor(), client, params.get("scope"), false)?;
    if facts.requires_openid && !scopes.iter().any(|scope| scope == "openid") {
        return Err(OAuthError::new(
            ErrorKind::InvalidScope,
            providers::zitadel::OPENID_MISSING,
        ));
    }
    if let Some(jti) = claims.get("jti").and_then(Value::as_str) {
        let expires_at = claims.get("exp").and_then(Value::as_u64).unwrap_or(now);
        let key = format!("jwt-bearer\u{0}{}\u{0}{}\u{0}{jti}", cx.realm.name, client.id);
        cx.app
            .assertions
            .first_use(&key, expires_at, now)
            .map_err(|refusal| invalid(&refusal.to_string()))?;
    }
    let subject = Subject {
        client,
        user: None,
        scopes,
        auth_time: None,
        session_id: None,
        nonce: None,
        grant: Some(GrantType::JwtBearer),
        login: None,
        form: Some(params),
    };
    cx.issue(&subject, None, false)
}

/// Checks the assertion in zitadel/oidc `VerifyJWTAssertion`'s order (audience, expiry, `iat`,
/// subject, signature); the machine user it names and its claims.
fn verify<'a>(
    cx: &'a RealmCtx,
    facts: &JwtProfileFacts,
    assertion: &str,
    now: u64,
) -> Result<(&'a Client, Map<String, Value>), OAuthError> {
    if assertion.len() > MAX_ASSERTION_BYTES {
        return Err(invalid("assertion is too long"));
    }
    let compact::Decoded {
        header,
        claims,
        signature,
        signing_input,
    } = compact::decode(assertion).map_err(|_| invalid("assertion is not a well-formed JWT"))?;
    if header.contains_key("crit") {
        return Err(invalid("assertion header has crit"));
    }
    if !names(claims.get("aud"), cx.issuer()) {
        return Err(invalid("audience is not valid"));
    }
    let exp = claims
        .get("exp")
        .and_then(Value::as_u64)
        .ok_or_else(|| invalid("exp is missing"))?;
    if exp.saturating_add(facts.offset_secs) <= now {
        return Err(invalid("token has expired"));
    }
    let iat = claims
        .get("iat")
        .and_then(Value::as_u64)
        .ok_or_else(|| invalid("iat is missing"))?;
    if iat > now.saturating_add(facts.offset_secs) {
        return Err(invalid("iat is in the future"));
    }
    if now.saturating_sub(iat) > facts.max_iat_age_secs {
        return Err(invalid("iat is too old"));
    }
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    let (Some(issuer), Some(subject)) = (text("iss"), text("sub")) else {
        return Err(invalid("iss and sub are required"));
    };
    if issuer != subject {
        return Err(invalid("sub must equal iss"));
    }
    let client = machine_user(cx, subject).ok_or_else(|| invalid("user not found"))?;
    let jwks = client.jwks.as_ref().ok_or_else(|| invalid("the user has no keys"))?;
    client_keys::verify(jwks, &header, signing_input.as_bytes(), &signature).map_err(|refusal| match refusal {
        KeyRefusal::Alg => invalid("assertion alg is not allowed"),
        KeyRefusal::NoKey => invalid("no key of the user matches the assertion kid and alg"),
        KeyRefusal::Signature => invalid("assertion signature is invalid"),
    })?;
    Ok((client, claims))
}

/// The machine user (a `client_credentials` client) whose ZITADEL user id is `user_id`.
fn machine_user<'a>(cx: &'a RealmCtx, user_id: &str) -> Option<&'a Client> {
    cx.realm.clients.values().find(|client| {
        client.allows(GrantType::ClientCredentials) && providers::zitadel::pat::machine_user_id(&client.id) == user_id
    })
}

/// Whether `aud` (a string or an array of strings) names `issuer`.
fn names(aud: Option<&Value>, issuer: &str) -> bool {
    match aud {
        Some(Value::String(one)) => one == issuer,
        Some(Value::Array(many)) => many.iter().any(|one| one.as_str() == Some(issuer)),
        _ => false,
    }
}
