//! UserInfo (OIDC Core §5.3): GET or POST, the token in the Authorization header or (POST) the
//! form body, never both; claims filtered by the token's scopes; RFC 6750 errors.

use crate::app::{App, RealmCtx};
use crate::error::OAuthError;
use crate::http::{Params, access_token_header, is_form, no_store_json, read_body};
use axum::body::Body;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use axum::routing::{MethodRouter, get};
use providers::ErrorKind;
use providers::dpop::ResourceDpop;
use serde_json::Value;
use std::sync::Arc;

pub(super) fn routes() -> MethodRouter<Arc<App>> {
    get(userinfo).post(userinfo)
}

async fn userinfo(
    cx: RealmCtx,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, OAuthError> {
    let (token, dpop_scheme) = presented_token(&cx, &method, &uri, &headers, body).await?;
    if !dpop_scheme && let Some(claims) = crate::pat::userinfo(&cx, &token) {
        return Ok(no_store_json(&Value::Object(claims)));
    }
    let wso2 = cx
        .dpop_facts()
        .is_some_and(|facts| facts.resource == ResourceDpop::Wso2TokenBinding);
    if wso2 && dpop_scheme && headers.get("dpop").is_none() {
        return Err(OAuthError::new(
            ErrorKind::ResourceBindingRefused,
            providers::dpop::WSO2_DPOP_HEADER_REQUIRED,
        ));
    }
    let invalid = || {
        // WSO2 answers every refusal under a Bearer challenge.
        let kind = if dpop_scheme && !wso2 {
            ErrorKind::InvalidDpopToken
        } else {
            ErrorKind::InvalidBearer
        };
        OAuthError::new(kind, "the access token is invalid, expired or revoked")
    };
    let live = cx.live_access_token(&token).ok_or_else(invalid)?;
    if wso2 {
        check_wso2_binding(&cx, &method, &headers, dpop_scheme, &live.claims).map_err(|()| {
            OAuthError::new(
                ErrorKind::ResourceBindingRefused,
                providers::dpop::WSO2_BINDING_NOT_PRESENT,
            )
        })?;
    } else {
        check_binding(&cx, &method, &headers, &token, dpop_scheme, &live.claims).map_err(|refused| match refused {
            Refused::Nonce(nonce) => OAuthError::new(
                ErrorKind::ResourceDpopNonce { nonce },
                "the DPoP proof lacks the current nonce",
            ),
            Refused::Binding(detail) => {
                let kind = if dpop_scheme {
                    ErrorKind::InvalidDpopToken
                } else {
                    ErrorKind::InvalidBearer
                };
                OAuthError::new(kind, detail)
            }
        })?;
    }
    let scopes = live.scopes(&cx);
    if !scopes.iter().any(|scope| scope == "openid") {
        return Err(OAuthError::new(
            ErrorKind::InsufficientScope { scope: "openid".into() },
            "the token was not issued with the openid scope",
        ));
    }
    let subject = live.claims.get("sub").and_then(Value::as_str).unwrap_or_default();
    let user = cx
        .realm
        .user_by_id(subject)
        .filter(|user| user.enabled)
        .ok_or_else(invalid)?;
    Ok(no_store_json(&Value::Object(cx.flavor().userinfo(user, &scopes))))
}

/// Why [`check_binding`] refused a request.
enum Refused {
    /// The proof lacks the realm's current DPoP nonce (RFC 9449 §9): the nonce to use.
    Nonce(String),
    /// The token, the proof or the binding is refused: why.
    Binding(String),
}

/// Where the provider has DPoP (RFC 9449 §7): a token presented under the `DPoP` scheme must
/// come with a proof for this request, of the key it is bound to, with its `ath` (and the
/// realm's nonce where it demands one, §9); a bound token may not be presented as a bearer
/// token, nor any token of a client that requires DPoP.
fn check_binding(
    cx: &RealmCtx,
    method: &Method,
    headers: &HeaderMap,
    token: &str,
    dpop_scheme: bool,
    claims: &serde_json::Map<String, Value>,
) -> Result<(), Refused> {
    if cx.dpop_facts().is_none() {
        return Ok(());
    }
    let bound = crate::dpop::bound_jkt(claims);
    if !dpop_scheme {
        let client_requires = client_binds_tokens(cx, claims);
        return match (bound, client_requires) {
            (None, false) => Ok(()),
            (Some(_), _) => Err(Refused::Binding(
                "the access token is DPoP-bound but presented as a bearer token".into(),
            )),
            (None, true) => Err(Refused::Binding("the client requires DPoP".into())),
        };
    }
    let Some(bound) = bound else {
        return Err(Refused::Binding(
            "the access token is not DPoP-bound but presented under the DPoP scheme".into(),
        ));
    };
    let url = cx.endpoint_url(providers::Endpoint::Userinfo);
    let target = crate::dpop::Target {
        method: method.as_str(),
        url: &url,
        access_token: Some(token),
    };
    match cx.dpop_proof(headers, &target, true, true) {
        Ok(Some(proof)) if proof.jkt == bound => Ok(()),
        Ok(_) => Err(Refused::Binding(
            "the DPoP proof's key is not the one the token is bound to".into(),
        )),
        Err(providers::dpop::DpopRefusal::UseNonce { nonce }) => Err(Refused::Nonce(nonce)),
        Err(refusal) => Err(Refused::Binding(cx.dpop_facts().map_or_else(
            || "the DPoP proof is refused".to_owned(),
            |facts| facts.text(&refusal).2,
        ))),
    }
}

/// Whether the client the token was issued to (`azp`, else `client_id`) binds its tokens with
/// DPoP (the World's `dpop_bound_access_tokens`).
fn client_binds_tokens(cx: &RealmCtx, claims: &serde_json::Map<String, Value>) -> bool {
    claims
        .get("azp")
        .or_else(|| claims.get("client_id"))
        .and_then(Value::as_str)
        .and_then(|client| cx.realm.client(client))
        .is_some_and(|client| client.dpop_bound_access_tokens)
}

/// WSO2's token binding validation at userinfo (`UserInfoISAccessTokenValidator`,
/// `DPoPBasedTokenBinder.validateDPoPHeader`): for a bound token of an application that binds
/// its tokens, the `DPoP` scheme and a proof for this request's method and URL by the bound key
/// (`ath` is not read); every other token passes.
fn check_wso2_binding(
    cx: &RealmCtx,
    method: &Method,
    headers: &HeaderMap,
    dpop_scheme: bool,
    claims: &serde_json::Map<String, Value>,
) -> Result<(), ()> {
    let Some(bound) = crate::dpop::bound_jkt(claims) else {
        return Ok(());
    };
    if !client_binds_tokens(cx, claims) {
        return Ok(());
    }
    if !dpop_scheme {
        return Err(());
    }
    let url = cx.endpoint_url(providers::Endpoint::Userinfo);
    let target = crate::dpop::Target {
        method: method.as_str(),
        url: &url,
        access_token: None,
    };
    match cx.dpop_proof(headers, &target, true, true) {
        Ok(Some(proof)) if proof.jkt == bound => Ok(()),
        _ => Err(()),
    }
}

/// The one token the request presents (RFC 6750 §2): header, form body (POST) or query; `true`
/// with it when it came under the `DPoP` scheme (only where the provider has DPoP).
async fn presented_token(
    cx: &RealmCtx,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Body,
) -> Result<(String, bool), OAuthError> {
    let mut found: Vec<String> = Vec::new();
    let mut dpop_scheme = false;
    if let Some((token, dpop)) = access_token_header(headers, cx.dpop_facts().is_some())? {
        found.push(token);
        dpop_scheme = dpop;
    }
    if *method == Method::POST
        && is_form(headers)
        && let Some(token) = Params::parse(&read_body(body).await?)?.get("access_token")
    {
        found.push(token.to_owned());
    }
    if let Some(token) = Params::parse(uri.query().unwrap_or_default().as_bytes())?.get("access_token") {
        found.push(token.to_owned());
    }
    match found.len() {
        0 => Err(OAuthError::new(ErrorKind::MissingBearer, "an access token is required")),
        1 => Ok((found.remove(0), dpop_scheme)),
        _ => Err(OAuthError::new(
            ErrorKind::BearerInSeveralPlaces,
            "the access token must be presented in exactly one way",
        )),
    }
}
