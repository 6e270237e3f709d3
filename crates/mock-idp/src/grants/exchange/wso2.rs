//! Token exchange (RFC 8693 §2) as WSO2 IS 7's grant handler does it: the subject token is a
//! JWT of an identity provider the realm trusts (World `identity_providers`) or of WSO2 itself,
//! checked in `TokenExchangeGrantHandler`'s order — requested type, subject type, the JWT,
//! mandatory claims, the issuer, the signature, the times (no skew as IS 7 ships, `iat` at most
//! 60 minutes old), the audience (WSO2's token endpoint, else the issuer's alias) — and the new
//! token is issued for its `sub` (a World user of that username or id, else the bare federated
//! subject) with the requested scopes. `audience` and `resource` are not read (v1.1.12).
//!
//! Impersonation (all four of `subject_token`, `subject_token_type`, `actor_token` and
//! `actor_token_type` present): the subject token is one WSO2 issued to the requesting client
//! (`aud`) naming the impersonator in `may_act.sub`, the actor token one WSO2 issued to that
//! impersonator; the new token is for the subject's user (by user id), with the subject
//! token's scopes (those requested among them), and carries `act: {"sub": <impersonator>}`.
//! Rules and texts: [`providers::exchange::Wso2ExchangeRefusal`].

use super::refuse;
use crate::app::RealmCtx;
use crate::client_keys;
use crate::error::OAuthError;
use crate::grants::external_subject::{self, ExternalSubject, audience_list};
use crate::http::Params;
use crate::jws;
use crate::tokens::{Issued, Subject, requested_scopes};
use idp_jose::compact;
use providers::exchange::{
    ACCESS_TOKEN_TYPE, ExchangeRefusal, ID_TOKEN_TYPE, JWT_TOKEN_TYPE, REFRESH_TOKEN_TYPE, Wso2ExchangeRefusal as W,
};
use providers::{Client, Endpoint, GrantType};
use serde_json::{Map, Value, json};

/// Subject tokens longer than this are refused before any decoding.
const MAX_SUBJECT_TOKEN_BYTES: usize = 16 * 1024;

/// `DEFAULT_IAT_VALIDITY_PERIOD_IN_MIN`.
const IAT_VALIDITY_SECS: u64 = 60 * 60;

fn wso2(refusal: W) -> OAuthError {
    refuse(ExchangeRefusal::Wso2(refusal))
}

/// Runs the exchange for `client` (authenticated and allowed the grant).
pub(super) fn issue(cx: &RealmCtx, client: &Client, params: &Params) -> Result<Issued, OAuthError> {
    // The grant validator's required parameters (Apache Oltu).
    let missing: Vec<&str> = ["subject_token", "subject_token_type"]
        .into_iter()
        .filter(|name| params.get(name).is_none_or(str::is_empty))
        .collect();
    if !missing.is_empty() {
        return Err(wso2(W::MissingParameters(missing.join(" "))));
    }
    let token = params.get("subject_token").unwrap_or_default();
    let token_type = params.get("subject_token_type").unwrap_or_default();
    // `isImpersonationRequest`: the four parameters present, empty or not.
    let impersonation = ["actor_token", "actor_token_type"]
        .iter()
        .all(|name| params.contains(name));
    if impersonation {
        return impersonate(cx, client, params);
    }
    let requested = params.get("requested_token_type").unwrap_or(JWT_TOKEN_TYPE);
    let issued_type = match requested {
        JWT_TOKEN_TYPE => JWT_TOKEN_TYPE,
        ACCESS_TOKEN_TYPE => ACCESS_TOKEN_TYPE,
        other => return Err(wso2(W::RequestedType(other.to_owned()))),
    };
    let is_jwt = token.matches('.').count() == 2;
    if !(token_type == JWT_TOKEN_TYPE || (token_type == ACCESS_TOKEN_TYPE && is_jwt)) {
        return Err(wso2(W::SubjectType(token_type.to_owned())));
    }
    let claims = verify(cx, token, Role::Subject).map_err(wso2)?;
    let sub = text_claim(&claims, "sub").unwrap_or_default();
    // A federated user the World does not know, named as WSO2's JWT bearer grant names it.
    let external = ExternalSubject {
        sub,
        scope: params.get("scope"),
        grant: GrantType::TokenExchange,
        refresh_for_users: true,
        bare_claims: &[("aut", json!("APPLICATION_USER"))],
    };
    let mut issued = external_subject::issue(cx, client, params, &external)?;
    issued.issued_token_type = Some(issued_type);
    Ok(issued)
}

/// The impersonation path (`validateSubjectToken`, `validateActorToken`,
/// `setSubjectAsAuthorizedUser`); `requested_token_type` is not validated here, only echoed.
fn impersonate(cx: &RealmCtx, client: &Client, params: &Params) -> Result<Issued, OAuthError> {
    let subject_token = params.get("subject_token").unwrap_or_default();
    let actor_token = params.get("actor_token").unwrap_or_default();
    let subject = verify(cx, subject_token, Role::Impersonated { client_id: &client.id }).map_err(wso2)?;
    let impersonator = subject
        .get("may_act")
        .and_then(|may_act| may_act.get("sub"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    verify(cx, actor_token, Role::Actor { impersonator }).map_err(wso2)?;
    let user_id = text_claim(&subject, "sub").unwrap_or_default();
    let user = cx
        .realm
        .users
        .values()
        .find(|user| user.enabled && user.id == user_id)
        .ok_or_else(|| {
            let (_, _, tenant) = providers::wso2::organisation(&cx.realm, cx.site().is_default);
            wso2(W::UnknownUser(user_id.to_owned(), tenant))
        })?;
    // `getScopes`: the subject token's, narrowed to those requested when any are (without a
    // `scope` claim WSO2 throws; the mock grants the client's defaults).
    let scope = text_claim(&subject, "scope").map(|approved| match params.get("scope") {
        Some(requested) => requested
            .split_whitespace()
            .filter(|scope| approved.split_whitespace().any(|granted| granted == *scope))
            .collect::<Vec<_>>()
            .join(" "),
        None => approved.to_owned(),
    });
    let subject = Subject {
        client,
        user: Some(user),
        scopes: requested_scopes(cx.flavor(), client, scope.as_deref(), true)?,
        auth_time: None,
        session_id: None,
        nonce: None,
        grant: Some(GrantType::TokenExchange),
        login: None,
        form: Some(params),
    };
    // `ImpersonatedAccessTokenClaimProvider`.
    let mut claims = Map::new();
    claims.insert("act".into(), json!({ "sub": impersonator }));
    let mut issued = cx.issue_with(&subject, None, true, claims)?;
    let requested = params.get("requested_token_type").unwrap_or(JWT_TOKEN_TYPE);
    issued.issued_token_type = Some(known_type(requested));
    Ok(issued)
}

/// The `&'static` spelling of a requested token type WSO2 echoes unvalidated; types the mock
/// does not know are echoed as the default (JWT).
fn known_type(requested: &str) -> &'static str {
    [JWT_TOKEN_TYPE, ACCESS_TOKEN_TYPE, ID_TOKEN_TYPE, REFRESH_TOKEN_TYPE]
        .into_iter()
        .find(|known| *known == requested)
        .unwrap_or(JWT_TOKEN_TYPE)
}

fn text_claim<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    claims
        .get(name)
        .and_then(Value::as_str)
        .filter(|value| !value.is_empty())
}

/// Which token [`verify`] checks, and so which of WSO2's checks run.
enum Role<'a> {
    /// The subject token of an exchange (`handleJWTSubjectToken`).
    Subject,
    /// The subject token of an impersonation, requested by `client_id`
    /// (`validateSubjectToken`).
    Impersonated {
        /// The requesting client.
        client_id: &'a str,
    },
    /// The actor token of an impersonation, whose subject must be `impersonator`
    /// (`validateActorToken`).
    Actor {
        /// The subject token's `may_act.sub`.
        impersonator: &'a str,
    },
}

/// The token's claims once every check of its `role` passed, in WSO2's order.
fn verify(cx: &RealmCtx, token: &str, role: Role<'_>) -> Result<Map<String, Value>, W> {
    if token.is_empty() && !matches!(role, Role::Subject) {
        return Err(W::NoValidToken);
    }
    if token.len() > MAX_SUBJECT_TOKEN_BYTES {
        return Err(W::NotJwt);
    }
    let compact::Decoded {
        header,
        claims,
        signature,
        signing_input,
    } = compact::decode(token).map_err(|_| W::NotJwt)?;
    let issuer = text_claim(&claims, "iss").ok_or(W::MandatoryClaim("iss"))?;
    let exp = claims
        .get("exp")
        .and_then(Value::as_u64)
        .ok_or(W::MandatoryClaim("exp"))?;
    let sub = text_claim(&claims, "sub").ok_or(W::MandatoryClaim("sub"))?;
    if !matches!(claims.get("aud"), Some(Value::String(_) | Value::Array(_))) {
        return Err(W::MandatoryClaim("aud"));
    }
    match role {
        Role::Impersonated { .. } => {
            let impersonator = claims
                .get("may_act")
                .and_then(|may_act| may_act.get("sub"))
                .and_then(Value::as_str)
                .filter(|sub| !sub.trim().is_empty());
            if impersonator.is_none() {
                return Err(W::NoImpersonator);
            }
        }
        Role::Actor { impersonator } if sub != impersonator => return Err(W::ActorNotImpersonator),
        Role::Subject | Role::Actor { .. } => {}
    }
    // `getIDP`: a trusted identity provider by `iss`, else WSO2 itself (its own issuer), whose
    // alias is its token endpoint.
    let token_endpoint = cx.endpoint_url(Endpoint::Token);
    let local = issuer == cx.issuer();
    let (signed, alias) = if local {
        (jws::verify(cx.keys(), token).is_ok(), token_endpoint.clone())
    } else {
        let provider = cx
            .realm
            .identity_providers
            .values()
            .find(|idp| idp.issuer == issuer)
            .ok_or_else(|| W::UnknownIssuer(issuer.to_owned()))?;
        let signed = client_keys::verify(&provider.jwks, &header, signing_input.as_bytes(), &signature).is_ok();
        (signed, provider.alias.clone().unwrap_or_else(|| token_endpoint.clone()))
    };
    if !signed {
        return Err(match role {
            Role::Subject => W::BadSignature,
            Role::Impersonated { .. } => W::SubjectSignature,
            Role::Actor { .. } => W::ActorSignature,
        });
    }
    check_times(cx, &claims, exp)?;
    let audiences = audience_list(&claims);
    match role {
        // `validateAudience`: WSO2's token endpoint (`getIssuerLocation`), else the alias.
        Role::Subject => {
            if !audiences.contains(&token_endpoint.as_str()) && !audiences.contains(&alias.as_str()) {
                return Err(W::Audience);
            }
        }
        // `validateSubjectTokenAudience`, then `validateTokenIssuer`.
        Role::Impersonated { client_id } => {
            if !audiences.contains(&client_id) {
                return Err(W::SubjectAudience);
            }
            if !local {
                return Err(W::IssuerNotLocal);
            }
        }
        Role::Actor { .. } if !local => return Err(W::IssuerNotLocal),
        Role::Actor { .. } => {}
    }
    Ok(claims)
}

/// `checkJWTValidity`, in milliseconds as WSO2 counts; IS 7 ships no skew.
fn check_times(cx: &RealmCtx, claims: &Map<String, Value>, exp: u64) -> Result<(), W> {
    let now_ms = cx.now().saturating_mul(1000);
    let skew_ms = 0;
    let ms = |seconds: u64| seconds.saturating_mul(1000);
    if now_ms + skew_ms > ms(exp) {
        return Err(W::Expired {
            exp_ms: ms(exp),
            skew_ms,
            now_ms,
        });
    }
    if let Some(nbf) = claims.get("nbf").and_then(Value::as_u64)
        && now_ms + skew_ms < ms(nbf)
    {
        return Err(W::NotYetValid {
            nbf_ms: ms(nbf),
            skew_ms,
            now_ms,
        });
    }
    if let Some(iat) = claims.get("iat").and_then(Value::as_u64)
        && (now_ms + skew_ms).saturating_sub(ms(iat)) > ms(IAT_VALIDITY_SECS)
    {
        return Err(W::TooOld {
            iat_ms: ms(iat),
            limit_ms: ms(IAT_VALIDITY_SECS),
            skew_ms,
            now_ms,
        });
    }
    Ok(())
}
