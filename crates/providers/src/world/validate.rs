//! Turns the raw file into a [`World`], enforcing every rule of the model.

use super::raw::{RawClient, RawClientKind, RawLifetimes, RawPat, RawRealm, RawUser, RawWorld};
use super::{
    Client, ClientKind, IdentityProvider, Lifetimes, PersonalAccessToken, PkcePolicy, Realm, User, World, WorldError,
};
use crate::{GrantType, Secret, SigningAlg};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use toml::Spanned;

/// Builds a [`WorldError::Invalid`] from a span, a field path and a message.
pub(super) type Fail<'a> = &'a dyn Fn(Range<usize>, String, String) -> WorldError;

const DEFAULT_LIFETIMES: Lifetimes = Lifetimes {
    access_token: 300,
    refresh_token: 1800,
    authorization_code: 60,
    login: 1800,
    session_idle: 1800,
    session_max: 36000,
    device_code: None,
    device_poll_interval: None,
};

pub(super) fn world(raw: RawWorld, fail: Fail<'_>) -> Result<World, WorldError> {
    let realms_span = raw.realms.span();
    let raw_realms = raw.realms.into_inner();
    if raw_realms.is_empty() {
        return Err(fail(
            realms_span,
            "realms".into(),
            "at least one realm is required".into(),
        ));
    }
    let mut realms = BTreeMap::new();
    for (name, spanned) in raw_realms {
        let span = spanned.span();
        realms.insert(name.clone(), realm(&name, span, spanned.into_inner(), fail)?);
    }
    let default_realm = match raw.default_realm {
        Some(spanned) => {
            if !realms.contains_key(spanned.get_ref()) {
                return Err(fail(
                    spanned.span(),
                    "default_realm".into(),
                    format!(
                        "names realm `{}`, which is not defined under [realms]",
                        spanned.get_ref()
                    ),
                ));
            }
            spanned.into_inner()
        }
        None if realms.len() == 1 => realms.keys().next().cloned().unwrap_or_default(),
        None => {
            return Err(fail(
                realms_span,
                "default_realm".into(),
                "required when more than one realm is defined".into(),
            ));
        }
    };
    Ok(World { default_realm, realms })
}

fn realm(name: &str, span: Range<usize>, raw: RawRealm, fail: Fail<'_>) -> Result<Realm, WorldError> {
    let path = format!("realms.{name}");
    check_name(name, &path, span.clone(), fail)?;

    let scopes_span = raw.scopes.span();
    let scopes = raw.scopes.into_inner();
    for scope in &scopes {
        if !is_scope_token(scope) {
            return Err(fail(
                scopes_span.clone(),
                format!("{path}.scopes"),
                format!("`{scope}` is not a valid scope token (RFC 6749 §3.3)"),
            ));
        }
    }
    if !scopes.iter().any(|scope| scope == "openid") {
        return Err(fail(
            scopes_span,
            format!("{path}.scopes"),
            "must contain `openid`".into(),
        ));
    }
    check_unique(&scopes, &format!("{path}.scopes"), scopes_span.clone(), fail)?;

    let (roles, roles_span) = split(raw.roles, &span);
    check_unique(&roles, &format!("{path}.roles"), roles_span, fail)?;

    let lifetimes = lifetimes(raw.lifetimes, &path, fail)?;

    let mut clients = BTreeMap::new();
    for (id, spanned) in raw.clients {
        let client_span = spanned.span();
        let client = client(
            &id,
            &format!("{path}.clients.{id}"),
            client_span,
            spanned.into_inner(),
            &scopes,
            &roles,
            fail,
        )?;
        clients.insert(id, client);
    }

    let mut users = BTreeMap::new();
    let mut ids = BTreeSet::new();
    for (username, spanned) in raw.users {
        let user_span = spanned.span();
        let user_path = format!("{path}.users.{username}");
        let user = user(
            &username,
            &user_path,
            user_span,
            spanned.into_inner(),
            &roles,
            &clients,
            fail,
        )?;
        if !ids.insert(user.id.clone()) {
            return Err(fail(
                0..0,
                format!("{user_path}.id"),
                format!("id `{}` is used by another user", user.id),
            ));
        }
        users.insert(username, user);
    }

    let mut identity_providers = BTreeMap::new();
    for (idp_name, spanned) in raw.identity_providers {
        let span = spanned.span();
        let idp_path = format!("{path}.identity_providers.{idp_name}");
        let raw_idp = spanned.into_inner();
        let jwks = client_jwks(raw_idp.jwks.get_ref())
            .map_err(|problem| fail(raw_idp.jwks.span(), format!("{idp_path}.jwks"), problem.into()))?;
        let issuer = raw_idp.issuer.unwrap_or_else(|| idp_name.clone());
        if issuer.is_empty() || raw_idp.alias.as_deref() == Some("") {
            return Err(fail(span, idp_path, "issuer and alias may not be empty".into()));
        }
        identity_providers.insert(
            idp_name,
            IdentityProvider {
                issuer,
                jwks,
                alias: raw_idp.alias,
            },
        );
    }

    Ok(Realm {
        name: name.to_owned(),
        display_name: raw.display_name.unwrap_or_else(|| name.to_owned()),
        scopes,
        roles,
        lifetimes,
        signing_alg: raw.signing_alg.unwrap_or(SigningAlg::RS256),
        clients,
        users,
        dpop_nonce: raw.dpop_nonce,
        impersonation: raw.impersonation,
        identity_providers,
    })
}

fn lifetimes(raw: Option<RawLifetimes>, path: &str, fail: Fail<'_>) -> Result<Lifetimes, WorldError> {
    let Some(raw) = raw else { return Ok(DEFAULT_LIFETIMES) };
    let pick = |value: Option<Spanned<u64>>, field: &str, default: u64| -> Result<u64, WorldError> {
        match value {
            None => Ok(default),
            Some(spanned) if *spanned.get_ref() == 0 => Err(fail(
                spanned.span(),
                format!("{path}.lifetimes.{field}"),
                "must be at least 1 second".into(),
            )),
            Some(spanned) => Ok(spanned.into_inner()),
        }
    };
    let refresh_token = pick(
        raw.refresh_token_secs,
        "refresh_token_secs",
        DEFAULT_LIFETIMES.refresh_token,
    )?;
    Ok(Lifetimes {
        access_token: pick(
            raw.access_token_secs,
            "access_token_secs",
            DEFAULT_LIFETIMES.access_token,
        )?,
        refresh_token,
        authorization_code: pick(
            raw.authorization_code_secs,
            "authorization_code_secs",
            DEFAULT_LIFETIMES.authorization_code,
        )?,
        login: pick(raw.login_secs, "login_secs", DEFAULT_LIFETIMES.login)?,
        session_idle: pick(raw.session_idle_secs, "session_idle_secs", refresh_token)?,
        session_max: pick(raw.session_max_secs, "session_max_secs", DEFAULT_LIFETIMES.session_max)?,
        device_code: raw
            .device_code_secs
            .map(|secs| pick(Some(secs), "device_code_secs", 0))
            .transpose()?,
        device_poll_interval: raw
            .device_poll_interval_secs
            .map(|secs| pick(Some(secs), "device_poll_interval_secs", 0))
            .transpose()?,
    })
}

fn client(
    id: &str,
    path: &str,
    span: Range<usize>,
    raw: RawClient,
    realm_scopes: &[String],
    realm_roles: &[String],
    fail: Fail<'_>,
) -> Result<Client, WorldError> {
    check_name(id, path, span.clone(), fail)?;
    let kind = match (raw.kind, raw.secret.map(Spanned::into_inner)) {
        (RawClientKind::Confidential, Some(secret)) if !secret.is_empty() => ClientKind::Confidential {
            secret: Secret::from(secret),
        },
        (RawClientKind::Confidential, _) => {
            return Err(fail(
                span,
                format!("{path}.secret"),
                "a confidential client needs a non-empty secret".into(),
            ));
        }
        (RawClientKind::Public, None) => ClientKind::Public,
        (RawClientKind::Public, Some(_)) => {
            return Err(fail(
                span,
                format!("{path}.secret"),
                "a public client has no secret".into(),
            ));
        }
    };

    let grants_span = raw.grant_types.span();
    let grant_types = raw.grant_types.into_inner();
    if grant_types.is_empty() {
        return Err(fail(
            grants_span,
            format!("{path}.grant_types"),
            "at least one grant type is required".into(),
        ));
    }
    if matches!(kind, ClientKind::Public) && grant_types.contains(&GrantType::ClientCredentials) {
        return Err(fail(
            grants_span,
            format!("{path}.grant_types"),
            "a public client cannot use client_credentials".into(),
        ));
    }

    let redirect_uris = uris(raw.redirect_uris, &format!("{path}.redirect_uris"), fail)?;
    if grant_types.contains(&GrantType::AuthorizationCode) && redirect_uris.is_empty() {
        return Err(fail(
            span.clone(),
            format!("{path}.redirect_uris"),
            "authorization_code needs at least one redirect URI".into(),
        ));
    }
    let post_logout_redirect_uris = uris(
        raw.post_logout_redirect_uris,
        &format!("{path}.post_logout_redirect_uris"),
        fail,
    )?;

    let scopes = match raw.scopes {
        Some(spanned) => {
            let scope_span = spanned.span();
            let scopes = spanned.into_inner();
            check_subset(
                &scopes,
                realm_scopes,
                &format!("{path}.scopes"),
                "a realm scope",
                scope_span,
                fail,
            )?;
            scopes
        }
        None => realm_scopes.to_vec(),
    };
    let (default_scopes, default_span) = split(raw.default_scopes, &span);
    check_subset(
        &default_scopes,
        &scopes,
        &format!("{path}.default_scopes"),
        "one of the client's scopes",
        default_span,
        fail,
    )?;
    let (audience_scopes, audience_span) = split(raw.audience_scopes, &span);
    check_subset(
        &audience_scopes,
        realm_scopes,
        &format!("{path}.audience_scopes"),
        "a realm scope",
        audience_span,
        fail,
    )?;
    let (service_account_roles, sa_span) = split(raw.service_account_roles, &span);
    check_subset(
        &service_account_roles,
        realm_roles,
        &format!("{path}.service_account_roles"),
        "a realm role",
        sa_span.clone(),
        fail,
    )?;
    if !service_account_roles.is_empty() && !grant_types.contains(&GrantType::ClientCredentials) {
        return Err(fail(
            sa_span,
            format!("{path}.service_account_roles"),
            "only a client with the client_credentials grant has a service account".into(),
        ));
    }
    if raw.introspection && matches!(kind, ClientKind::Public) {
        return Err(fail(
            span,
            format!("{path}.introspection"),
            "a public client cannot authenticate to introspect".into(),
        ));
    }

    let personal_access_tokens = personal_access_tokens(raw.personal_access_tokens, &grant_types, path, fail)?;
    let jwks = match raw.jwks {
        Some(spanned) => {
            let span = spanned.span();
            let text = spanned.into_inner();
            let checked =
                client_jwks(&text).map_err(|problem| fail(span.clone(), format!("{path}.jwks"), problem.into()))?;
            if matches!(kind, ClientKind::Public) {
                return Err(fail(
                    span,
                    format!("{path}.jwks"),
                    "a public client cannot authenticate with private_key_jwt".into(),
                ));
            }
            Some(checked)
        }
        None => None,
    };

    let jwks_uri = match raw.jwks_uri {
        Some(spanned) => {
            let span = spanned.span();
            let uri = spanned.into_inner();
            let field = format!("{path}.jwks_uri");
            if let Some(problem) = client_jwks_uri_problem(&uri, jwks.is_some(), matches!(kind, ClientKind::Public)) {
                return Err(fail(span, field, problem.into()));
            }
            Some(uri)
        }
        None => None,
    };

    let backchannel_logout_uri = match raw.backchannel_logout_uri {
        Some(spanned) => {
            let span = spanned.span();
            let uri = spanned.into_inner();
            if !super::is_loopback_url(&uri) {
                return Err(fail(
                    span,
                    format!("{path}.backchannel_logout_uri"),
                    "must be an http(s) URL on a loopback host (127.0.0.0/8, ::1 or localhost)".into(),
                ));
            }
            Some(uri)
        }
        None => None,
    };

    let token_endpoint_auth_method = match raw.token_endpoint_auth_method {
        Some(spanned) => {
            let span = spanned.span();
            let method = spanned.into_inner();
            let public = matches!(kind, ClientKind::Public);
            let keyed = jwks.is_some() || jwks_uri.is_some();
            if let Some(problem) = auth_method_problem(method, public, keyed) {
                return Err(fail(span, format!("{path}.token_endpoint_auth_method"), problem.into()));
            }
            Some(method)
        }
        None => None,
    };

    let client_assertion_max_exp = match raw.client_assertion_max_exp {
        Some(spanned) if *spanned.get_ref() == 0 => {
            return Err(fail(
                spanned.span(),
                format!("{path}.client_assertion_max_exp"),
                "must be at least 1 second".into(),
            ));
        }
        other => other.map(Spanned::into_inner),
    };
    Ok(Client {
        id: id.to_owned(),
        kind,
        redirect_uris,
        post_logout_redirect_uris,
        grant_types,
        pkce: raw.pkce.unwrap_or(PkcePolicy::Optional),
        scopes,
        default_scopes,
        roles: raw.roles,
        audience_scopes,
        service_account_roles,
        introspection: raw.introspection,
        access_token_format: raw.access_token_format,
        signing_alg: raw.signing_alg,
        personal_access_tokens,
        jwks,
        jwks_uri,
        require_pushed_authorization_requests: raw.require_pushed_authorization_requests,
        dpop_bound_access_tokens: raw.dpop_bound_access_tokens,
        backchannel_logout_uri,
        backchannel_logout_session_required: raw.backchannel_logout_session_required.unwrap_or(true),
        token_endpoint_auth_method,
        client_assertion_max_exp,
    })
}

/// Why a client of that kind (`public`) and keys (`keyed`) cannot register `method`.
pub(super) fn auth_method_problem(
    method: crate::world::TokenEndpointAuthMethod,
    public: bool,
    keyed: bool,
) -> Option<&'static str> {
    use crate::world::TokenEndpointAuthMethod as M;
    match method {
        M::None if !public => Some("none is for public clients"),
        M::PrivateKeyJwt if !keyed => Some("private_key_jwt needs jwks or jwks_uri"),
        M::ClientSecretBasic | M::ClientSecretPost | M::ClientSecretJwt if public => {
            Some("a public client has no secret")
        }
        M::ClientSecretBasic | M::ClientSecretPost | M::ClientSecretJwt if keyed => {
            Some("a client with jwks or jwks_uri authenticates with private_key_jwt")
        }
        _ => None,
    }
}

/// A client's JWK set: JSON `{"keys": [...]}` of 1 to [`super::MAX_CLIENT_JWKS_KEYS`] public
/// keys (`kty` RSA, EC or OKP, no private member).
fn client_jwks(text: &str) -> Result<serde_json::Value, &'static str> {
    let set: serde_json::Value = serde_json::from_str(text).map_err(|_| "jwks must be a JSON JWK set")?;
    check_client_jwks(&set)?;
    Ok(set)
}

/// Checks a client's JWK set (`{"keys": [...]}`, 1 to [`super::MAX_CLIENT_JWKS_KEYS`] public
/// keys of `kty` RSA, EC or OKP, no private member); the reason when it is refused.
pub(super) fn check_client_jwks(set: &serde_json::Value) -> Result<(), &'static str> {
    let keys = set
        .get("keys")
        .and_then(serde_json::Value::as_array)
        .ok_or("jwks must have a \"keys\" array")?;
    if keys.is_empty() || keys.len() > super::MAX_CLIENT_JWKS_KEYS {
        return Err("jwks must hold between 1 and 16 keys");
    }
    for key in keys {
        let kty = key.get("kty").and_then(serde_json::Value::as_str);
        if !matches!(kty, Some("RSA" | "EC" | "OKP")) {
            return Err("each jwks key needs kty RSA, EC or OKP");
        }
        if ["d", "p", "q", "dp", "dq", "qi", "k"]
            .iter()
            .any(|private| key.get(private).is_some())
        {
            return Err("jwks holds a private key member: register public keys only");
        }
    }
    Ok(())
}

/// Why a client's `jwks_uri` is refused, if it is: not a loopback `http(s)` URL, given with
/// `jwks`, or on a public client.
pub(super) fn client_jwks_uri_problem(uri: &str, has_jwks: bool, public: bool) -> Option<&'static str> {
    if !super::is_loopback_url(uri) {
        Some("must be an http(s) URL on a loopback host (127.0.0.0/8, ::1 or localhost)")
    } else if has_jwks {
        Some("give a client's keys as jwks or as jwks_uri, not both")
    } else if public {
        Some("a public client cannot authenticate with private_key_jwt")
    } else {
        None
    }
}

/// A machine user's personal access tokens: only on a `client_credentials` client (the
/// machine user), each at least 32 characters of `[A-Za-z0-9-._~]` (what a bearer token may
/// hold unescaped, RFC 6750 §2.1) with an expiry after its creation.
fn personal_access_tokens(
    raw: Vec<Spanned<RawPat>>,
    grant_types: &[GrantType],
    path: &str,
    fail: Fail<'_>,
) -> Result<Vec<PersonalAccessToken>, WorldError> {
    let mut tokens: Vec<PersonalAccessToken> = Vec::with_capacity(raw.len());
    for (index, spanned) in raw.into_iter().enumerate() {
        let span = spanned.span();
        let pat = spanned.into_inner();
        let field = format!("{path}.personal_access_tokens[{index}]");
        let problem = pat_problem(grant_types, &pat.token, pat.issued_at, pat.expires_at, &tokens);
        if let Some(problem) = problem {
            return Err(fail(span, field, problem.into()));
        }
        tokens.push(PersonalAccessToken {
            token: pat.token,
            expires_at: pat.expires_at,
            issued_at: pat.issued_at,
        });
    }
    Ok(tokens)
}

/// What is wrong with one personal access token of a client with `grant_types`, given the
/// tokens listed before it, if anything.
pub(super) fn pat_problem(
    grant_types: &[GrantType],
    token: &str,
    issued_at: Option<u64>,
    expires_at: u64,
    earlier: &[PersonalAccessToken],
) -> Option<&'static str> {
    if !grant_types.contains(&GrantType::ClientCredentials) {
        Some("only a client with the client_credentials grant (a machine user) has personal access tokens")
    } else if token.len() < 32
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
    {
        Some("token must be at least 32 characters of [A-Za-z0-9-._~]")
    } else if issued_at.is_some_and(|issued| issued >= expires_at) {
        Some("expires_at must be after issued_at")
    } else if earlier.iter().any(|other| other.token == token) {
        Some("the same token is listed twice")
    } else {
        None
    }
}

fn user(
    username: &str,
    path: &str,
    span: Range<usize>,
    raw: RawUser,
    realm_roles: &[String],
    clients: &BTreeMap<String, Client>,
    fail: Fail<'_>,
) -> Result<User, WorldError> {
    check_name(username, path, span.clone(), fail)?;
    let id_span = raw.id.span();
    let id = raw.id.into_inner();
    if id.is_empty() || id.len() > 255 || !id.is_ascii() {
        return Err(fail(
            id_span,
            format!("{path}.id"),
            "must be 1 to 255 ASCII characters (OIDC Core §2)".into(),
        ));
    }
    if raw.password.get_ref().is_empty() {
        return Err(fail(
            span.clone(),
            format!("{path}.password"),
            "must not be empty".into(),
        ));
    }
    let (realm_roles_held, roles_span) = split(raw.realm_roles, &span);
    check_subset(
        &realm_roles_held,
        realm_roles,
        &format!("{path}.realm_roles"),
        "a realm role",
        roles_span,
        fail,
    )?;
    let mut client_roles = BTreeMap::new();
    for (client_id, spanned) in raw.client_roles {
        let field = format!("{path}.client_roles.{client_id}");
        let roles_span = spanned.span();
        let Some(client) = clients.get(&client_id) else {
            return Err(fail(
                roles_span,
                field,
                format!("client `{client_id}` is not defined in this realm"),
            ));
        };
        let roles = spanned.into_inner();
        check_subset(
            &roles,
            &client.roles,
            &field,
            "a role the client defines",
            roles_span,
            fail,
        )?;
        client_roles.insert(client_id, roles);
    }
    Ok(User {
        username: username.to_owned(),
        id,
        password: Secret::from(raw.password.into_inner()),
        enabled: raw.enabled,
        email: raw.email,
        email_verified: raw.email_verified,
        name: raw.name,
        given_name: raw.given_name,
        family_name: raw.family_name,
        realm_roles: realm_roles_held,
        client_roles,
    })
}

pub(super) fn uris(raw: Vec<Spanned<String>>, field: &str, fail: Fail<'_>) -> Result<Vec<String>, WorldError> {
    raw.into_iter()
        .map(|spanned| {
            let span = spanned.span();
            let uri = spanned.into_inner();
            match url::Url::parse(&uri) {
                Ok(parsed) if parsed.fragment().is_none() && !parsed.cannot_be_a_base() => Ok(uri),
                Ok(_) => Err(fail(
                    span,
                    field.to_owned(),
                    format!("`{uri}` must be absolute and carry no fragment (RFC 6749 §3.1.2)"),
                )),
                Err(err) => Err(fail(
                    span,
                    field.to_owned(),
                    format!("`{uri}` is not an absolute URI: {err}"),
                )),
            }
        })
        .collect()
}

fn split(value: Option<Spanned<Vec<String>>>, fallback: &Range<usize>) -> (Vec<String>, Range<usize>) {
    match value {
        Some(spanned) => {
            let span = spanned.span();
            (spanned.into_inner(), span)
        }
        None => (Vec::new(), fallback.clone()),
    }
}

pub(super) fn check_subset(
    values: &[String],
    allowed: &[String],
    field: &str,
    what: &str,
    span: Range<usize>,
    fail: Fail<'_>,
) -> Result<(), WorldError> {
    match values.iter().find(|value| !allowed.contains(value)) {
        Some(value) => Err(fail(span, field.to_owned(), format!("`{value}` is not {what}"))),
        None => check_unique(values, field, span, fail),
    }
}

pub(super) fn check_unique(
    values: &[String],
    field: &str,
    span: Range<usize>,
    fail: Fail<'_>,
) -> Result<(), WorldError> {
    let mut seen = BTreeSet::new();
    match values.iter().find(|value| !seen.insert(value.as_str())) {
        Some(value) => Err(fail(span, field.to_owned(), format!("`{value}` is listed twice"))),
        None => Ok(()),
    }
}

pub(super) fn check_name(name: &str, path: &str, span: Range<usize>, fail: Fail<'_>) -> Result<(), WorldError> {
    let valid = !name.is_empty()
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'@'));
    if valid {
        Ok(())
    } else {
        Err(fail(
            span,
            path.to_owned(),
            format!("`{name}` must be 1 to 128 characters of A-Z a-z 0-9 - _ . @"),
        ))
    }
}

/// RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.
pub(crate) fn is_scope_token(scope: &str) -> bool {
    !scope.is_empty()
        && scope
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}
