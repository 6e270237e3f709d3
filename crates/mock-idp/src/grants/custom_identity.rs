//! IBM App ID's custom identity: the JWT bearer grant (RFC 7523 §2.1) for an authenticated
//! client whose `assertion` is signed by the tenant's custom identity key (a key of the World
//! realm's `identity_providers`; `iss` is the identity provider's own and not matched), names
//! the OAuth server URL (the issuer) or its host in `aud`, has not expired and names the user
//! in `sub`. The tokens are an App ID user's: the World user of that username or id, else a
//! profile App ID keeps for the identity (its id stable per tenant and `sub`); `amr`
//! `appid_custom`, `identities` `[{"provider": "appid_custom", "id": <sub>}]`, and the
//! assertion's normalized claims (`name`, `email`, `locale`, `picture`, `gender`) in the ID
//! token. `scope`: the form's, else the assertion's. App ID documents no error texts:
//! `invalid_grant` with the mock's own. Rules: [`providers::jwt_bearer::CustomIdentityFacts`].

use super::external_subject::audience_list;
use crate::app::RealmCtx;
use crate::client_keys;
use crate::error::OAuthError;
use crate::http::Params;
use crate::tokens::{Issued, Subject, requested_scopes};
use idp_jose::compact;
use providers::claims::stable_uuid;
use providers::jwt_bearer::CustomIdentityFacts;
use providers::{Client, ErrorKind, GrantType, Secret, User};
use serde_json::{Map, Value, json};

/// Assertions longer than this are refused before any decoding.
const MAX_ASSERTION_BYTES: usize = 8 * 1024;

fn invalid(detail: &str) -> OAuthError {
    OAuthError::new(ErrorKind::InvalidAssertion, detail)
}

/// Runs the grant for `client` (authenticated and allowed the grant).
pub(super) fn issue(
    cx: &RealmCtx,
    client: &Client,
    facts: &CustomIdentityFacts,
    params: &Params,
) -> Result<Issued, OAuthError> {
    let assertion = params.require("assertion")?;
    let claims = verify(cx, assertion)?;
    let sub = claims.get("sub").and_then(Value::as_str).unwrap_or_default();
    let normalized = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
    let user = cx
        .realm
        .users
        .values()
        .find(|user| user.enabled && (user.username == sub || user.id == sub))
        .cloned()
        .unwrap_or_else(|| User {
            username: sub.to_owned(),
            id: stable_uuid(&format!("appid:{}:{}:{sub}", facts.identity_provider, cx.realm.name)),
            password: Secret::new(""),
            enabled: true,
            email: normalized("email"),
            email_verified: false,
            name: normalized("name"),
            given_name: None,
            family_name: None,
            realm_roles: Vec::new(),
            client_roles: Default::default(),
        });
    let scope = params
        .get("scope")
        .or_else(|| claims.get("scope").and_then(Value::as_str));
    let subject = Subject {
        client,
        user: Some(&user),
        scopes: requested_scopes(cx.flavor(), client, scope, true)?,
        auth_time: None,
        session_id: None,
        nonce: None,
        grant: Some(GrantType::JwtBearer),
        login: None,
        form: Some(params),
    };
    let mut id_claims = Map::new();
    id_claims.insert(
        "identities".into(),
        json!([{ "provider": facts.identity_provider, "id": sub }]),
    );
    for name in facts.normalized_claims {
        if let Some(value) = claims.get(*name).filter(|value| value.is_string()) {
            id_claims.insert((*name).to_owned(), value.clone());
        }
    }
    cx.issue_with_id_claims(&subject, None, false, Map::new(), &id_claims)
}

/// The assertion's claims, once signature, audience, `exp` and `sub` passed.
fn verify(cx: &RealmCtx, assertion: &str) -> Result<Map<String, Value>, OAuthError> {
    if assertion.len() > MAX_ASSERTION_BYTES {
        return Err(invalid("assertion is too long"));
    }
    let compact::Decoded {
        header,
        claims,
        signature,
        signing_input,
    } = compact::decode(assertion).map_err(|_| invalid("assertion is not a well-formed JWT"))?;
    let signed = cx
        .realm
        .identity_providers
        .values()
        .any(|idp| client_keys::verify(&idp.jwks, &header, signing_input.as_bytes(), &signature).is_ok());
    if !signed {
        return Err(invalid("the assertion is not signed by the custom identity key"));
    }
    let issuer = cx.issuer();
    let host = url::Url::parse(issuer)
        .ok()
        .and_then(|url| {
            url.host_str().map(|host| match url.port() {
                Some(port) => format!("{host}:{port}"),
                None => host.to_owned(),
            })
        })
        .unwrap_or_default();
    let audiences = audience_list(&claims);
    if !audiences.iter().any(|aud| *aud == issuer || *aud == host) {
        return Err(invalid("aud must name the OAuth server URL"));
    }
    let exp = claims
        .get("exp")
        .and_then(Value::as_u64)
        .ok_or_else(|| invalid("exp is missing"))?;
    if exp <= cx.now() {
        return Err(invalid("the assertion has expired"));
    }
    if claims.get("sub").and_then(Value::as_str).is_none_or(str::is_empty) {
        return Err(invalid("sub is missing"));
    }
    Ok(claims)
}
