//! IBM App ID's custom identity: the JWT bearer grant (RFC 7523 §2.1) for an authenticated
//! client whose `assertion` is signed by the tenant's custom identity key (a key of the World
//! realm's `identity_providers`; `iss` is the identity provider's own and not matched), names
//! the OAuth server URL (the issuer) or its host in `aud`, has not expired and names the user
//! in `sub`. The token is for the World user of that username or id (an ID token with
//! `openid`), else for the bare subject; `amr` `appid_custom`. `scope`: the form's, else the
//! assertion's. App ID documents no error texts: `invalid_grant` with the mock's own. Rules:
//! [`providers::jwt_bearer::CustomIdentityFacts`].

use super::external_subject::{self, ExternalSubject, audience_list};
use crate::app::RealmCtx;
use crate::client_keys;
use crate::error::OAuthError;
use crate::http::Params;
use crate::tokens::Issued;
use idp_jose::compact;
use providers::jwt_bearer::CustomIdentityFacts;
use providers::{Client, ErrorKind, GrantType};
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
    let external = ExternalSubject {
        sub: claims.get("sub").and_then(Value::as_str).unwrap_or_default(),
        scope: params
            .get("scope")
            .or_else(|| claims.get("scope").and_then(Value::as_str)),
        grant: GrantType::JwtBearer,
        refresh_for_users: false,
        bare_claims: &[("amr", json!([facts.identity_provider]))],
    };
    external_subject::issue(cx, client, params, &external)
}

/// The assertion's claims, once signature, audience, `exp` and `sub` passed.
fn verify(cx: &RealmCtx, assertion: &str) -> Result<Map<String, Value>, OAuthError> {
    if assertion.len() > MAX_ASSERTION_BYTES {
        return Err(invalid("assertion is too long"));
    }
    let malformed = |_| invalid("assertion is not a well-formed JWT");
    let segments = compact::split(assertion).map_err(malformed)?;
    let header = segments.header_object().map_err(malformed)?;
    let claims = segments.payload_object().map_err(malformed)?;
    let signature = segments.signature_bytes().map_err(malformed)?;
    let signed =
        cx.realm.identity_providers.values().any(|idp| {
            client_keys::verify(&idp.jwks, &header, segments.signing_input().as_bytes(), &signature).is_ok()
        });
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
