//! Token exchange (RFC 8693 §2) as ZITADEL does it: zitadel/oidc checks the parameters, then
//! ZITADEL refuses `resource`, verifies the subject token by its type, refuses impersonation
//! unless the realm allows it (its security policy; off by default), keeps the requested
//! `audience` and `scope` within the input tokens' and makes the tokens `requested_token_type`
//! asks for. A plain exchange has no `act`; an impersonation's tokens carry the actor's
//! `{"iss", "sub"}` as `act`. Rules and texts: [`providers::exchange`]
//! (`ExchangeStyle::Zitadel`).
//!
//! Subject tokens, by `subject_token_type`:
//! - access token: a live access token of the realm (opaque or JWT) whose `aud` holds the
//!   exchanging client or its project, or a live personal access token;
//! - ID token: an unexpired ID token this realm signed (it carries no scopes, so the exchange
//!   then fails on scopes, as ZITADEL's does);
//! - JWT: a JWT profile assertion signed by one of the exchanging client's keys, for a user;
//! - user id: a user of the realm.
//!
//! The last two, or any `actor_token`, ask for impersonation: refused once verified unless the
//! realm allows it (World `impersonation`); then the actor token (an access or ID token of the
//! realm) must be valid, and the actor must hold an impersonator role
//! ([`providers::zitadel::IMPERSONATOR_ROLES`], checked when the tokens are made, as
//! `CreateOIDCSession` does).

use super::{TOKEN_TYPE_NA, audience_list, refuse};
use crate::app::RealmCtx;
use crate::client_keys;
use crate::error::OAuthError;
use crate::http::Params;
use crate::jws;
use crate::tokens::{Issued, Subject};
use idp_jose::compact;
use providers::exchange::{
    ACCESS_TOKEN_TYPE, ExchangeRefusal as R, ID_TOKEN_TYPE, JWT_TOKEN_TYPE, ZITADEL_TOKEN_TYPES,
    ZITADEL_USER_ID_TOKEN_TYPE,
};
use providers::zitadel::pat::machine_user_id;
use providers::{Client, GrantType, TokenFormat, User};
use serde_json::{Map, Value, json};

/// Subject tokens longer than this are refused before any decoding.
const MAX_SUBJECT_TOKEN_BYTES: usize = 16 * 1024;

/// Scopes zitadel/oidc keeps whatever the client (`ValidateAuthReqScopes`).
const STANDARD_SCOPES: [&str; 6] = ["openid", "profile", "email", "phone", "address", "offline_access"];

/// What the subject token stands for.
struct SubjectToken {
    /// Its `sub`: a user id or a machine user's id.
    sub: String,
    audience: Vec<String>,
    scopes: Vec<String>,
    auth_time: Option<u64>,
}

/// A parameter's value, absent when empty (zitadel/oidc's form decoder).
fn param<'p>(params: &'p Params, name: &str) -> Option<&'p str> {
    params.get(name).filter(|value| !value.is_empty())
}

/// Runs the exchange for `client` (authenticated and allowed the grant).
pub(super) fn issue(cx: &RealmCtx, client: &Client, params: &Params) -> Result<Issued, OAuthError> {
    // zitadel/oidc tokenExchangeHandler, in its order.
    let token = param(params, "subject_token").ok_or_else(|| refuse(R::MissingSubjectToken))?;
    let token_type = param(params, "subject_token_type").ok_or_else(|| refuse(R::MissingSubjectTokenType))?;
    let known = |kind: &str| ZITADEL_TOKEN_TYPES.contains(&kind);
    if !known(token_type) {
        return Err(refuse(R::SubjectTokenTypeUnknown));
    }
    let requested_type = param(params, "requested_token_type");
    if requested_type.is_some_and(|kind| !known(kind)) {
        return Err(refuse(R::RequestedTokenTypeUnsupported));
    }
    if param(params, "actor_token_type").is_some_and(|kind| !known(kind)) {
        return Err(refuse(R::ActorTokenTypeUnknown));
    }
    // ZITADEL tokenExchange.
    if params.get("resource").is_some() {
        return Err(refuse(R::ResourceUnsupported));
    }
    let subject = verify_subject(cx, client, token, token_type).ok_or_else(|| refuse(R::InvalidSubjectToken))?;
    let impersonates = token_type == ZITADEL_USER_ID_TOKEN_TYPE
        || token_type == JWT_TOKEN_TYPE
        || param(params, "actor_token").is_some();
    let actor = if impersonates {
        if !cx.realm.impersonation {
            return Err(refuse(R::ImpersonationDisabled));
        }
        let actor = param(params, "actor_token").unwrap_or_default();
        let actor_type = param(params, "actor_token_type").unwrap_or_default();
        // Access and ID tokens only (a refresh token is allowed, then not supported).
        let verified = match actor_type {
            ACCESS_TOKEN_TYPE | ID_TOKEN_TYPE => verify_subject(cx, client, actor, actor_type),
            _ => None,
        };
        Some(verified.ok_or_else(|| refuse(R::InvalidActorToken))?)
    } else {
        None
    };
    let (actor_audience, actor_scopes) = actor.as_ref().map_or((&subject.audience, &subject.scopes), |actor| {
        (&actor.audience, &actor.scopes)
    });
    let audience = audience(param(params, "audience"), &subject.audience, actor_audience)?;
    let scopes = scopes(
        client,
        param(params, "scope"),
        &subject.scopes,
        actor_scopes,
        actor.is_some(),
    )?;
    if let Some(actor) = &actor
        && !may_impersonate(cx, &actor.sub)
    {
        return Err(refuse(R::ImpersonationNotPermitted));
    }
    let tokens = Tokens {
        requested_type,
        audience,
        scopes,
    };
    mint(cx, client, params, &subject, actor.as_ref(), tokens)
}

/// Whether the actor (a user id) holds one of ZITADEL's impersonator roles.
fn may_impersonate(cx: &RealmCtx, actor: &str) -> bool {
    cx.realm.user_by_id(actor).is_some_and(|user| {
        user.enabled
            && user
                .realm_roles
                .iter()
                .any(|role| providers::zitadel::IMPERSONATOR_ROLES.contains(&role.as_str()))
    })
}

/// What the exchange makes: the requested type, for `audience`, with `scopes`.
struct Tokens<'a> {
    requested_type: Option<&'a str>,
    audience: Vec<String>,
    scopes: Vec<String>,
}

/// `verifyExchangeToken` for `token_type`; `None` when the token is not valid for it.
fn verify_subject(cx: &RealmCtx, client: &Client, token: &str, token_type: &str) -> Option<SubjectToken> {
    if token.len() > MAX_SUBJECT_TOKEN_BYTES {
        return None;
    }
    match token_type {
        ACCESS_TOKEN_TYPE => access_token_subject(cx, client, token),
        ID_TOKEN_TYPE => id_token_subject(cx, token),
        JWT_TOKEN_TYPE => jwt_profile_subject(cx, client, token),
        ZITADEL_USER_ID_TOKEN_TYPE => known_subject(cx, token).then(|| SubjectToken {
            sub: token.to_owned(),
            audience: Vec::new(),
            scopes: Vec::new(),
            auth_time: None,
        }),
        // A refresh token is a known type ZITADEL does not take as a subject.
        _ => None,
    }
}

/// A live access token whose audience holds the client or its project
/// (`validateIntrospectionAudience`), or a live personal access token (no audience check).
fn access_token_subject(cx: &RealmCtx, client: &Client, token: &str) -> Option<SubjectToken> {
    if let Some(live) = cx.live_access_token(token) {
        let project = providers::zitadel::project_id(&cx.realm.name);
        let audience = audience_list(&live.claims);
        if !audience.contains(&client.id.as_str()) && !audience.contains(&project.as_str()) {
            return None;
        }
        return Some(SubjectToken {
            sub: live.claims.get("sub")?.as_str()?.to_owned(),
            audience: audience.into_iter().map(str::to_owned).collect(),
            scopes: live.scopes(cx),
            auth_time: live.claims.get("auth_time").and_then(Value::as_u64),
        });
    }
    let pat = crate::pat::introspect(cx, token, client)?;
    let scope = pat.get("scope").and_then(Value::as_str).unwrap_or_default();
    Some(SubjectToken {
        sub: pat.get("sub")?.as_str()?.to_owned(),
        audience: pat
            .as_object()
            .map(|claims| audience_list(claims).into_iter().map(str::to_owned).collect())
            .unwrap_or_default(),
        scopes: scope.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
        auth_time: None,
    })
}

/// An unexpired ID token this realm signed, of a known subject (`VerifyIDTokenHint`). ID
/// tokens carry no scopes.
fn id_token_subject(cx: &RealmCtx, token: &str) -> Option<SubjectToken> {
    let verified = jws::verify(cx.keys(), token).ok()?;
    let claims = verified.claims;
    let issuer_ok = claims.get("iss").and_then(Value::as_str) == Some(cx.issuer());
    let live = claims
        .get("exp")
        .and_then(Value::as_u64)
        .is_some_and(|exp| exp > cx.now());
    let sub = claims.get("sub").and_then(Value::as_str)?;
    (issuer_ok && live && known_subject(cx, sub)).then(|| SubjectToken {
        sub: sub.to_owned(),
        audience: audience_list(&claims).into_iter().map(str::to_owned).collect(),
        scopes: Vec::new(),
        auth_time: claims.get("auth_time").and_then(Value::as_u64),
    })
}

/// A JWT profile assertion (`iss` = `sub` = a user, `aud` the issuer, unexpired) signed by a
/// key the exchanging client registered (`NewJWTProfileVerifierKeySet(client.PublicKeys, …)`).
fn jwt_profile_subject(cx: &RealmCtx, client: &Client, token: &str) -> Option<SubjectToken> {
    let compact::Decoded {
        header,
        claims,
        signature,
        signing_input,
    } = compact::decode(token).ok()?;
    let names_issuer = audience_list(&claims).contains(&cx.issuer());
    let live = claims
        .get("exp")
        .and_then(Value::as_u64)
        .is_some_and(|exp| exp > cx.now());
    let sub = claims.get("sub").and_then(Value::as_str)?;
    let same = claims.get("iss").and_then(Value::as_str) == Some(sub);
    if !(names_issuer && live && same && known_subject(cx, sub)) {
        return None;
    }
    let jwks = client.jwks.as_ref()?;
    client_keys::verify(jwks, &header, signing_input.as_bytes(), &signature).ok()?;
    Some(SubjectToken {
        sub: sub.to_owned(),
        audience: Vec::new(),
        scopes: Vec::new(),
        auth_time: None,
    })
}

/// Whether `sub` is an enabled user or a machine user of the realm.
fn known_subject(cx: &RealmCtx, sub: &str) -> bool {
    cx.realm.user_by_id(sub).is_some_and(|user| user.enabled) || machine(cx, sub).is_some()
}

/// The machine user (a `client_credentials` client) whose ZITADEL user id is `sub`.
fn machine<'a>(cx: &'a RealmCtx, sub: &str) -> Option<&'a Client> {
    cx.realm
        .clients
        .values()
        .find(|client| client.allows(GrantType::ClientCredentials) && machine_user_id(&client.id) == sub)
}

/// `validateTokenExchangeAudience`: the subject's audience (else the actor's) unless one is
/// asked for; every asked value must be in the subject's or the actor's.
fn audience(requested: Option<&str>, subject: &[String], actor: &[String]) -> Result<Vec<String>, OAuthError> {
    let Some(requested) = requested else {
        return Ok(if subject.is_empty() { actor } else { subject }.to_vec());
    };
    if !subject.iter().chain(actor).any(|audience| audience == requested) {
        return Err(refuse(R::AudienceNotInSubject {
            audience: requested.to_owned(),
        }));
    }
    Ok(vec![requested.to_owned()])
}

/// `validateTokenExchangeScopes` then `ValidateAuthReqScopes`: the asked scopes (else the
/// subject's, else the actor's), each on an input token — on an impersonation with a scope-less
/// subject (a user id or an ID token), only the authorization scopes need be
/// (`validateImpersonationTokenExchangeScopes`); scopes the client may not have are dropped;
/// some scope and `openid` must remain.
fn scopes(
    client: &Client,
    requested: Option<&str>,
    subject: &[String],
    actor: &[String],
    impersonation: bool,
) -> Result<Vec<String>, OAuthError> {
    let mut scopes: Vec<String> = requested
        .map(|scope| scope.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default();
    let relaxed = impersonation && subject.is_empty();
    if scopes.is_empty() {
        scopes = if subject.is_empty() { actor } else { subject }.to_vec();
    }
    let on_input = |scope: &String| subject.contains(scope) || actor.contains(scope);
    let missing = scopes.iter().find(|scope| {
        let must_be_on_input = !relaxed || providers::zitadel::is_authorization_scope(scope);
        must_be_on_input && !on_input(scope)
    });
    if let Some(missing) = missing {
        return Err(refuse(R::ScopeNotInSubject { scope: missing.clone() }));
    }
    if scopes.is_empty() {
        return Err(refuse(R::ScopeMissing));
    }
    scopes.retain(|scope| {
        STANDARD_SCOPES.contains(&scope.as_str())
            || client.scopes.contains(scope)
            || scope.starts_with(providers::zitadel::SCOPE_PREFIX)
    });
    if !scopes.iter().any(|scope| scope == "openid") {
        return Err(refuse(R::OpenidMissing));
    }
    Ok(scopes)
}

/// `createExchangeTokens`: an access token (opaque or JWT as the client's tokens are, a JWT
/// when `jwt` is asked for) of the subject's user for `client`, restricted to `audience`, with
/// a refresh token under `offline_access` and an ID token under `openid`; or, for
/// `requested_token_type` ID token, the ID token in `access_token` (`token_type` N_A).
fn mint(
    cx: &RealmCtx,
    client: &Client,
    params: &Params,
    subject: &SubjectToken,
    actor: Option<&SubjectToken>,
    tokens: Tokens<'_>,
) -> Result<Issued, OAuthError> {
    let Tokens {
        requested_type,
        audience,
        scopes,
    } = tokens;
    let jwt_client;
    let (client, issued_type) = match requested_type {
        None | Some(ACCESS_TOKEN_TYPE) => (client, ACCESS_TOKEN_TYPE),
        Some(JWT_TOKEN_TYPE) => {
            jwt_client = Client {
                access_token_format: Some(TokenFormat::Jwt),
                ..client.clone()
            };
            (&jwt_client, JWT_TOKEN_TYPE)
        }
        Some(ID_TOKEN_TYPE) => (client, ID_TOKEN_TYPE),
        Some(_) => return Err(refuse(R::RequestedTokenTypeNotIssued)),
    };
    let user: Option<&User> = cx.realm.user_by_id(&subject.sub);
    // The new tokens' auth time is the actor token's (the subject's in a plain exchange).
    let auth_time = actor.map_or(subject.auth_time, |actor| actor.auth_time);
    let minted = Subject {
        client,
        user,
        scopes,
        auth_time,
        session_id: None,
        nonce: None,
        grant: Some(GrantType::TokenExchange),
        login: auth_time.map(|_| GrantType::AuthorizationCode),
        form: Some(params),
    };
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(subject.sub));
    // zitadel/oidc writes `aud` as an array, even of one.
    claims.insert("aud".into(), json!(audience));
    // `nestedActor`: the actor's issuer and user (zitadel/oidc `ActorClaims`), in the access
    // token and the ID token.
    let mut id_claims = Map::new();
    if let Some(actor) = actor {
        let act = json!({ "iss": cx.issuer(), "sub": actor.sub });
        claims.insert("act".into(), act.clone());
        id_claims.insert("act".into(), act);
    }
    let mut issued = cx.issue_with_id_claims(&minted, None, issued_type != ID_TOKEN_TYPE, claims, &id_claims)?;
    issued.issued_token_type = Some(issued_type);
    if issued_type == ID_TOKEN_TYPE {
        // The mock writes ID tokens for users only; a machine user's is not imitated.
        issued.access_token = issued
            .id_token
            .take()
            .ok_or_else(|| refuse(R::RequestedTokenTypeNotIssued))?;
        issued.token_type = Some(TOKEN_TYPE_NA);
        issued.refresh_token = None;
        issued.refresh_expires_in = None;
    }
    Ok(issued)
}
