//! Token exchange (RFC 8693 §2) as Keycloak's standard token exchange v2 does it: an access
//! token of this realm (`subject_token`) exchanged by a confidential client that is its holder
//! or in its audience, for a token of the same user and session issued to that client,
//! optionally restricted to the clients named by `audience`. No impersonation
//! (`requested_subject`), no federation (`requested_issuer`, `subject_issuer`), no `act`
//! claim. Rules and texts: [`providers::exchange`].

use super::{TOKEN_TYPE_NA, audience_list, refuse};
use crate::app::RealmCtx;
use crate::error::OAuthError;
use crate::http::Params;
use crate::tokens::{Issued, Overrides, Subject, requested_scopes};
use providers::exchange::{ACCESS_TOKEN_TYPE, ExchangeRefusal, ID_TOKEN_TYPE};
use providers::{Client, GrantType, User};
use serde_json::{Map, Value};

/// Runs the exchange for `client` (authenticated; whether it may exchange is checked here, in
/// the provider's order).
pub(super) fn issue(cx: &RealmCtx, client: &Client, params: &Params) -> Result<Issued, OAuthError> {
    // StandardTokenExchangeProvider.supports, in its order.
    for name in ["requested_subject", "requested_issuer", "subject_issuer"] {
        if params.get(name).is_some() {
            return Err(refuse(ExchangeRefusal::UnsupportedParameter { name }));
        }
    }
    if !client.allows(GrantType::TokenExchange) {
        return Err(refuse(ExchangeRefusal::NotEnabled));
    }
    let subject_token = params
        .get("subject_token")
        .ok_or_else(|| refuse(ExchangeRefusal::MissingSubjectToken))?;
    let subject_token_type = params
        .get("subject_token_type")
        .ok_or_else(|| refuse(ExchangeRefusal::MissingSubjectTokenType))?;
    if subject_token_type != ACCESS_TOKEN_TYPE {
        return Err(refuse(ExchangeRefusal::SubjectTokenTypeNotAccessToken));
    }
    let claims = cx
        .live_access_token(subject_token)
        .ok_or_else(|| refuse(ExchangeRefusal::InvalidSubjectToken))?
        .claims;
    let user = subject_user(cx, &claims)?;
    let requested_type = requested_token_type(params)?;
    let audiences = target_audiences(cx, params)?;
    if !client.is_confidential() {
        return Err(refuse(ExchangeRefusal::PublicClient));
    }
    let holder = claims.get("azp").and_then(Value::as_str);
    if holder != Some(client.id.as_str()) && !audience_list(&claims).contains(&client.id.as_str()) {
        return Err(refuse(ExchangeRefusal::NotInSubjectAudience));
    }
    let scope_param = params.get("scope");
    let scopes = requested_scopes(cx.flavor(), client, scope_param, user.is_some()).map_err(|_| {
        refuse(ExchangeRefusal::InvalidScopes {
            scope: scope_param.unwrap_or_default().to_owned(),
        })
    })?;
    let scopes = cx.flavor().granted_scopes(client, user.is_some(), scopes);
    // The session's login stays the one the subject token records: a token with `auth_time`
    // comes from an interactive login, whose `auth_time` a real Keycloak 26.7.3 keeps in the
    // exchanged token (found by `idp-conformance diff`).
    let auth_time = claims.get("auth_time").and_then(Value::as_u64);
    let subject = Subject {
        client,
        user,
        scopes,
        auth_time,
        session_id: claims.get("sid").and_then(Value::as_str).map(str::to_owned),
        nonce: None,
        grant: Some(GrantType::TokenExchange),
        login: auth_time.map(|_| GrantType::AuthorizationCode),
        form: Some(params),
    };
    let mut overrides = Overrides::default();
    if !audiences.is_empty() {
        let granted = cx.realm.audiences(user, &subject.scopes);
        let missing: Vec<&str> = audiences
            .iter()
            .filter(|audience| !granted.contains(audience))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(refuse(ExchangeRefusal::AudienceNotAvailable {
                audiences: missing.join(","),
            }));
        }
        overrides
            .claims
            .insert("aud".into(), providers::claims::audience_value(&audiences));
    }
    let (access_token, expires_in) = cx.access_token(&subject, None, &overrides)?;
    let wants_id_token = scope_param.is_some_and(|scope| scope.split(' ').any(|s| s == "openid"));
    let id_token = match user {
        Some(user) if wants_id_token || requested_type == ID_TOKEN_TYPE => {
            Some(cx.id_token(&subject, user, &access_token, cx.now(), None, &serde_json::Map::new())?)
        }
        _ => None,
    };
    let mut issued = Issued {
        access_token,
        expires_in,
        refresh_token: None,
        refresh_expires_in: None,
        id_token,
        scope: subject.scopes.join(" "),
        session_id: subject.session_id.clone(),
        token_type: None,
        issued_token_type: Some(requested_type),
    };
    if requested_type == ID_TOKEN_TYPE {
        // RFC 8693 §2.2.1: the ID token in `access_token`, `token_type` N_A (Keycloak does so).
        issued.access_token = issued
            .id_token
            .take()
            .ok_or_else(|| refuse(ExchangeRefusal::RequestedTokenTypeUnsupported))?;
        issued.token_type = Some(TOKEN_TYPE_NA);
    }
    Ok(issued)
}

/// The World user the subject token is for (by `sub`); `None` for a service account's token.
/// A token for a user who is gone or disabled is not valid.
fn subject_user<'a>(cx: &'a RealmCtx, claims: &Map<String, Value>) -> Result<Option<&'a User>, OAuthError> {
    let sub = claims.get("sub").and_then(Value::as_str);
    match cx.realm.users.values().find(|user| Some(user.id.as_str()) == sub) {
        Some(user) if user.enabled => Ok(Some(user)),
        Some(_) => Err(refuse(ExchangeRefusal::InvalidSubjectToken)),
        None if claims.get("sid").is_none() => Ok(None),
        None => Err(refuse(ExchangeRefusal::InvalidSubjectToken)),
    }
}

/// `requested_token_type`: absent means an access token; an ID token may be asked for; a
/// refresh token (Keycloak's default client setting) and anything else are refused
/// (`getRequestedTokenType`).
fn requested_token_type(params: &Params) -> Result<&'static str, OAuthError> {
    match params.get("requested_token_type") {
        None | Some(ACCESS_TOKEN_TYPE) => Ok(ACCESS_TOKEN_TYPE),
        Some(ID_TOKEN_TYPE) => Ok(ID_TOKEN_TYPE),
        Some(_) => Err(refuse(ExchangeRefusal::RequestedTokenTypeUnsupported)),
    }
}

/// The clients named by `audience` (one value: the mock's form parser refuses repeated
/// parameters); each must be a client of the realm.
fn target_audiences(cx: &RealmCtx, params: &Params) -> Result<Vec<String>, OAuthError> {
    match params.get("audience") {
        None => Ok(Vec::new()),
        Some(audience) if cx.realm.client(audience).is_some() => Ok(vec![audience.to_owned()]),
        Some(_) => Err(refuse(ExchangeRefusal::AudienceNotFound)),
    }
}
