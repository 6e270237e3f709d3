//! The JWT bearer grant (RFC 7523 §2.1) as WSO2 serves it: an authenticated client presents an
//! `assertion` from an identity provider the realm trusts (World `identity_providers`), checked
//! in `JWTBearerGrantHandler.validateGrant`'s order — mandatory claims, the issuer's provider,
//! the signature by its keys, `aud` naming its alias (by default the token endpoint URL), `exp`,
//! `nbf`, the `iat` age — and the token is issued for the assertion's `sub` as a federated
//! user: a World user of that username or id, else the bare subject (no ID token, no refresh
//! token). No `jti` replay check, as WSO2 ships (`enable_jwt_cache` false). Rules and texts:
//! [`providers::jwt_bearer::Wso2BearerFacts`].

use super::external_subject::{self, ExternalSubject, audience_list};
use crate::app::RealmCtx;
use crate::client_keys;
use crate::error::OAuthError;
use crate::http::Params;
use crate::tokens::Issued;
use idp_jose::compact;
use providers::jwt_bearer::{Wso2BearerFacts, Wso2BearerRefusal as R};
use providers::{Client, Endpoint, ErrorKind, GrantType, IdentityProvider};
use serde_json::{Value, json};

/// Assertions longer than this are refused before any decoding.
const MAX_ASSERTION_BYTES: usize = 8 * 1024;

/// Runs the grant for `client` (authenticated and allowed the grant).
pub(super) fn issue(
    cx: &RealmCtx,
    client: &Client,
    facts: &Wso2BearerFacts,
    params: &Params,
) -> Result<Issued, OAuthError> {
    let refuse = |refusal: R| OAuthError::new(ErrorKind::InvalidAssertion, facts.text(&refusal));
    let assertion = params.require("assertion")?;
    let sub = verify(cx, facts, assertion).map_err(refuse)?;
    // A federated user the World does not know is named as the assertion did, as a user's
    // token (WSO2's `aut`).
    let external = ExternalSubject {
        sub: &sub,
        scope: params.get("scope"),
        grant: GrantType::JwtBearer,
        refresh_for_users: true,
        bare_claims: &[("aut", json!("APPLICATION_USER"))],
    };
    external_subject::issue(cx, client, params, &external)
}

/// The assertion's `sub`, once every check passed.
fn verify(cx: &RealmCtx, facts: &Wso2BearerFacts, assertion: &str) -> Result<String, R> {
    if assertion.len() > MAX_ASSERTION_BYTES {
        return Err(R::Malformed);
    }
    let jws = compact::decode(assertion).map_err(|_| R::Malformed)?;
    let claims = &jws.claims;
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    let (Some(issuer), Some(sub), Some(exp)) = (text("iss"), text("sub"), claims.get("exp").and_then(Value::as_u64))
    else {
        return Err(R::MandatoryMissing);
    };
    let audiences = audience_list(claims);
    if audiences.is_empty() {
        return Err(R::MandatoryMissing);
    }
    let provider = trusted(cx, issuer).ok_or_else(|| R::UnknownIssuer {
        issuer: issuer.to_owned(),
    })?;
    client_keys::verify(
        &provider.jwks,
        &jws.header,
        jws.signing_input.as_bytes(),
        &jws.signature,
    )
    .map_err(|_| R::BadSignature)?;
    let alias = provider
        .alias
        .clone()
        .unwrap_or_else(|| cx.endpoint_url(Endpoint::Token));
    if !audiences.contains(&alias.as_str()) {
        return Err(R::WrongAudience { alias });
    }
    let now = cx.now();
    let skewed = now.saturating_add(facts.skew_secs);
    // `validateGrant`: `now + skew > exp`, `now + skew < nbf`, `now + skew - iat > validity`.
    if skewed > exp {
        return Err(R::Expired);
    }
    if claims
        .get("nbf")
        .and_then(Value::as_u64)
        .is_some_and(|nbf| skewed < nbf)
    {
        return Err(R::NotYetValid);
    }
    if claims
        .get("iat")
        .and_then(Value::as_u64)
        .is_some_and(|iat| skewed.saturating_sub(iat) > facts.iat_validity_secs)
    {
        return Err(R::IssuedTooLongAgo);
    }
    Ok(sub.to_owned())
}

/// The identity provider of the realm whose assertions carry `issuer`.
fn trusted<'a>(cx: &'a RealmCtx, issuer: &str) -> Option<&'a IdentityProvider> {
    cx.realm.identity_providers.values().find(|idp| idp.issuer == issuer)
}
