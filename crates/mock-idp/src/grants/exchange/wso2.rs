//! Token exchange (RFC 8693 §2) as WSO2 IS 7's grant handler does it: the subject token is a
//! JWT of an identity provider the realm trusts (World `identity_providers`) or of WSO2 itself,
//! checked in `TokenExchangeGrantHandler`'s order — requested type, subject type, the JWT,
//! mandatory claims, the issuer, the signature, the times (no skew as IS 7 ships, `iat` at most
//! 60 minutes old), the audience (WSO2's token endpoint, else the issuer's alias) — and the new
//! token is issued for its `sub` (a World user of that username or id, else the bare federated
//! subject) with the requested scopes. `audience` and `resource` are not read (v1.1.12);
//! impersonation (an actor token) is refused as for a subject token without `may_act`. Rules
//! and texts: [`providers::exchange::Wso2ExchangeRefusal`].

use super::refuse;
use crate::app::RealmCtx;
use crate::client_keys;
use crate::error::OAuthError;
use crate::grants::external_subject::{self, ExternalSubject, audience_list};
use crate::http::Params;
use crate::jws;
use crate::tokens::Issued;
use idp_jose::compact;
use providers::exchange::{ACCESS_TOKEN_TYPE, ExchangeRefusal, JWT_TOKEN_TYPE, Wso2ExchangeRefusal as W};
use providers::{Client, Endpoint, GrantType};
use serde_json::{Value, json};

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
    let impersonation = ["actor_token", "actor_token_type"]
        .iter()
        .all(|name| params.get(name).is_some_and(|value| !value.is_empty()));
    if impersonation {
        return Err(wso2(W::NoImpersonator));
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
    let sub = verify(cx, token).map_err(wso2)?;
    // A federated user the World does not know, named as WSO2's JWT bearer grant names it.
    let external = ExternalSubject {
        sub: &sub,
        scope: params.get("scope"),
        grant: GrantType::TokenExchange,
        refresh_for_users: true,
        bare_claims: &[("aut", json!("APPLICATION_USER"))],
    };
    let mut issued = external_subject::issue(cx, client, params, &external)?;
    issued.issued_token_type = Some(issued_type);
    Ok(issued)
}

/// `handleJWTSubjectToken`: the subject token's `sub`, once every check passed.
fn verify(cx: &RealmCtx, token: &str) -> Result<String, W> {
    if token.len() > MAX_SUBJECT_TOKEN_BYTES {
        return Err(W::NotJwt);
    }
    let segments = compact::split(token).map_err(|_| W::NotJwt)?;
    let header = segments.header_object().map_err(|_| W::NotJwt)?;
    let claims = segments.payload_object().map_err(|_| W::NotJwt)?;
    let signature = segments.signature_bytes().map_err(|_| W::NotJwt)?;
    let text = |name: &str| {
        claims
            .get(name)
            .and_then(Value::as_str)
            .filter(|value| !value.is_empty())
    };
    let issuer = text("iss").ok_or(W::MandatoryClaim("iss"))?;
    let exp = claims
        .get("exp")
        .and_then(Value::as_u64)
        .ok_or(W::MandatoryClaim("exp"))?;
    let sub = text("sub").ok_or(W::MandatoryClaim("sub"))?;
    if !matches!(claims.get("aud"), Some(Value::String(_) | Value::Array(_))) {
        return Err(W::MandatoryClaim("aud"));
    }
    let audiences = audience_list(&claims);
    // `getIDP`: a trusted identity provider by `iss`, else WSO2 itself (its own issuer), whose
    // alias is its token endpoint.
    let token_endpoint = cx.endpoint_url(Endpoint::Token);
    let (signed, alias) = if issuer == cx.issuer() {
        (jws::verify(cx.keys(), token).is_ok(), token_endpoint.clone())
    } else {
        let provider = cx
            .realm
            .identity_providers
            .values()
            .find(|idp| idp.issuer == issuer)
            .ok_or_else(|| W::UnknownIssuer(issuer.to_owned()))?;
        let signed =
            client_keys::verify(&provider.jwks, &header, segments.signing_input().as_bytes(), &signature).is_ok();
        (signed, provider.alias.clone().unwrap_or_else(|| token_endpoint.clone()))
    };
    if !signed {
        return Err(W::BadSignature);
    }
    // `checkJWTValidity`, in milliseconds as WSO2 counts; IS 7 ships no skew.
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
    // `validateAudience`: WSO2's token endpoint (`getIssuerLocation`), else the alias.
    if !audiences.contains(&token_endpoint.as_str()) && !audiences.contains(&alias.as_str()) {
        return Err(W::Audience);
    }
    Ok(sub.to_owned())
}
