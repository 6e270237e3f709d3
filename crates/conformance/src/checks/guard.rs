//! The guard suite (GUARD-01..08): tokens the target issues, validated by token-guard
//! configured for the target's provider as `docs/token-guard.md` says (issuer and JWKS from
//! discovery, the provider's `typ` policy and required claims, the audience per provider,
//! introspection as the World's introspecting client); accepted with the World's subject,
//! roles and scopes, and forgeries derived from them refused.

use super::{Entry, check};
use crate::cx::{Cx, Tokens};
use crate::http::{Exchange, Step, fail};
use crate::targets::secret;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use mock_idp::{Endpoint, Provider};
use serde_json::{Map, Value, json};
use token_guard::{Alg, Clock, Guard, Introspector, InvalidToken, Principal, Routing, Validator};

pub(super) fn entries() -> Vec<Entry> {
    vec![
        check!(
            "GUARD-01",
            Guard,
            Must,
            Strict,
            [CodeFlow, Introspection],
            "RFC 9068 §4, RFC 7662 §2",
            "a user's access token (code flow) is accepted with the World's subject, roles and scopes",
            guard01
        ),
        check!(
            "GUARD-02",
            Guard,
            Must,
            Strict,
            [ClientCredentials, Introspection],
            "RFC 9068 §4, RFC 6749 §4.4",
            "a service's access token (client_credentials) is accepted with its client and roles",
            guard02
        ),
        check!(
            "GUARD-03",
            Guard,
            Must,
            Strict,
            [CodeFlow, Introspection],
            "RFC 7662 §2.2",
            "through introspection the user's token is accepted and a tampered copy refused",
            guard03
        ),
        check!(
            "GUARD-04",
            Guard,
            Must,
            Strict,
            [CodeFlow, Introspection],
            "RFC 8725 §3.1, RFC 7515 §10",
            "the token re-signed with another key (same or own kid) is refused",
            guard04
        ),
        check!(
            "GUARD-05",
            Guard,
            Must,
            Strict,
            [CodeFlow, Introspection],
            "RFC 8725 §2.1, §3.1",
            "the token with alg none is refused",
            guard05
        ),
        check!(
            "GUARD-06",
            Guard,
            Must,
            Strict,
            [CodeFlow, Introspection],
            "RFC 8725 §2.1, §3.1",
            "the token re-signed HS256 with the issuer's public key as secret is refused",
            guard06
        ),
        check!(
            "GUARD-07",
            Guard,
            Must,
            Strict,
            [CodeFlow, Introspection],
            "RFC 7515 §5.2",
            "the token with sub, roles, scope or aud edited and the old signature is refused",
            guard07
        ),
        check!(
            "GUARD-08",
            Guard,
            Must,
            Strict,
            [CodeFlow, Introspection],
            "RFC 7519 §4.1.4, RFC 9068 §4",
            "the expired token is refused (mock: its clock moved past exp; real: exp edited)",
            guard08
        ),
    ]
}

/// The key the suite forges with: a published test key (never trust it), in PKCS#8 PEM.
const FORGER_PEM: &str = include_str!("guard/forger-rsa-2048.pem");
/// The `kid` forgeries signed with [`FORGER_PEM`] carry when they name their own key.
const FORGER_KID: &str = "conformance-forger";

fn forger() -> Step<RsaKeyPair> {
    let der = idp_jose::pem::decode(idp_jose::pem::PRIVATE_KEY, FORGER_PEM)
        .map_err(|err| fail(None, format!("forger key: {err}")))?;
    RsaKeyPair::from_pkcs8(&der).map_err(|err| fail(None, format!("forger key: {err}")))
}

/// The audience token-guard is configured with for this provider
/// ([`providers::Quirks::resource_audience`]); the resource server is the introspecting client.
fn audience(cx: &Cx<'_>) -> Step<String> {
    let resource = cx.introspector()?.id.clone();
    Ok(cx
        .provider()
        .quirks()
        .resource_audience(cx.target.realm_name(), &resource))
}

/// The scope a user or service asks for so that its token is meant for the resource server.
fn api_scope(cx: &Cx<'_>, base: &str) -> String {
    match cx.audience_scope() {
        Some(scope) if base.is_empty() => scope,
        Some(scope) => format!("{base} {scope}"),
        None => base.to_owned(),
    }
}

/// token-guard configured for the target: issuer from discovery, JWKS from `jwks_uri`, the
/// provider's settings, the audience per provider, introspection (when advertised) as the
/// World's introspecting client; the mock's clock on mock targets.
async fn guard(cx: &Cx<'_>, routing: Routing) -> Step<Guard> {
    let doc = cx.discovery().await?;
    let issuer = doc
        .get("issuer")
        .and_then(Value::as_str)
        .ok_or_else(|| fail(Some("issuer"), "discovery has no issuer"))?
        .to_owned();
    let jwks_url = cx.endpoint(Endpoint::Jwks).await?;
    let audience = audience(cx)?;
    let mut validator = Validator::builder(&issuer, &audience, Alg::ALL)
        .provider(cx.provider())
        .jwks_url(jwks_url)
        .http_client(cx.http.reqwest_client());
    if let Some(clock) = cx.target.clock() {
        validator = validator.clock(clock.clone());
    }
    let validator = validator
        .build()
        .map_err(|err| fail(None, format!("token-guard validator: {err}")))?;
    let mut builder = Guard::builder().realm(audience.clone()).validator(validator);
    match introspection_endpoint(cx).await? {
        Some(endpoint) => {
            let client = cx.introspector()?;
            let mut introspector = Introspector::builder(endpoint, &client.id, secret(client).unwrap_or_default())
                .issuer(&issuer)
                .audience(&audience)
                .provider(cx.provider())
                .http_client(cx.http.reqwest_client())
                .cache_ttl(0);
            if let Some(clock) = cx.target.clock() {
                introspector = introspector.clock(clock.clone());
            }
            let introspector = introspector.build().map_err(|err| {
                fail(
                    Some("introspection_endpoint"),
                    format!("token-guard introspector: {err}"),
                )
            })?;
            builder = builder.introspector(introspector).routing(routing);
        }
        None => cx.note("discovery advertises no introspection_endpoint: opaque tokens are refused"),
    }
    builder
        .build()
        .map_err(|err| fail(None, format!("token-guard guard: {err}")))
}

/// The introspection endpoint discovery advertises (token-guard uses no other).
async fn introspection_endpoint(cx: &Cx<'_>) -> Step<Option<String>> {
    let doc = cx.discovery().await?;
    Ok(doc
        .get("introspection_endpoint")
        .and_then(Value::as_str)
        .map(str::to_owned))
}

/// Checks the principal's subject is `user`'s. WSO2 answers introspection of an opaque token
/// without `sub`, naming the user `{username}@{tenant}` in `username`: token-guard's subject is
/// then empty and the user is matched by `username` (noted).
fn check_subject(cx: &Cx<'_>, exchange: &Exchange, principal: &Principal, user: &providers::User) -> Step {
    if principal.subject == user.id {
        return Ok(());
    }
    let username = principal.claims.get("username").and_then(Value::as_str);
    if principal.subject.is_empty()
        && principal.kind == token_guard::TokenKind::Introspected
        && username.is_some_and(|name| name == user.username || name.starts_with(&format!("{}@", user.username)))
    {
        cx.note(format!(
            "introspection has no `sub`, only username {username:?}: token-guard's Principal::subject is empty"
        ));
        return Ok(());
    }
    Err(exchange.fail(
        Some("principal.subject"),
        format!(
            "expected `{}` ({}), got `{}`{}",
            user.id,
            user.username,
            principal.subject,
            username.map(|u| format!(" (username `{u}`)")).unwrap_or_default()
        ),
    ))
}

/// `guard` must accept `token`, which came with `exchange`.
async fn accepted(guard: &Guard, token: &str, exchange: &Exchange, what: &str) -> Step<Principal> {
    guard.authenticate(token).await.map_err(|err| {
        exchange.fail(
            Some("access_token"),
            format!("token-guard refused the genuine {what}: {err}"),
        )
    })
}

/// `guard` must refuse `token`, a forgery described by `what`.
async fn refused(guard: &Guard, token: &str, what: &str) -> Step<InvalidToken> {
    match guard.authenticate(token).await {
        Ok(principal) => Err(fail(
            Some(what),
            format!(
                "token-guard accepted a forged token ({what}) as sub `{}` with roles {:?}",
                principal.subject, principal.roles
            ),
        )),
        Err(err) => Ok(err),
    }
}

fn missing(expected: &[String], got: &[String]) -> Vec<String> {
    expected.iter().filter(|e| !got.contains(e)).cloned().collect()
}

/// Where a provider's tokens (or its introspection answers) carry the World's roles.
struct Carriage {
    /// Realm roles land in `Principal::roles`.
    realm: bool,
    /// The resource server's client roles land in `Principal::client_roles` (Keycloak), in
    /// `roles` (ZITADEL: one role list per project), or nowhere.
    client: Option<bool>,
}

/// Read from the provider's [`providers::Quirks`] (`client_roles`, `introspection_carries_roles`).
fn carriage(provider: Provider, principal: &Principal) -> Carriage {
    let quirks = provider.quirks();
    if principal.kind == token_guard::TokenKind::Introspected && !quirks.introspection_carries_roles {
        return Carriage {
            realm: false,
            client: None,
        };
    }
    Carriage {
        realm: true,
        client: match quirks.client_roles {
            providers::ClientRoles::PerClient => Some(true),
            providers::ClientRoles::InRoles => Some(false),
            providers::ClientRoles::Absent => None,
        },
    }
}

/// The granted scopes of a token response (`scope`), each of which the principal must hold.
fn granted_scopes(tokens: &Tokens) -> Option<Vec<String>> {
    tokens
        .str("scope")
        .map(|scope| scope.split_whitespace().map(str::to_owned).collect())
}

fn check_scopes(cx: &Cx<'_>, tokens: &Tokens, principal: &Principal) -> Step {
    let Some(granted) = granted_scopes(tokens) else {
        cx.note("the token response has no `scope`: scopes not compared");
        return Ok(());
    };
    let jwt = tokens.str("access_token").is_some_and(is_jwt);
    if principal.scopes.is_empty() && !cx.provider().quirks().jwt_carries_scope() && jwt {
        cx.note("ZITADEL JWT access tokens carry no `scope` (nor does their introspection)");
        return Ok(());
    }
    let lacking = missing(&granted, &principal.scopes);
    if !lacking.is_empty() {
        return Err(tokens.exchange.fail(
            Some("principal.scopes"),
            format!(
                "granted {granted:?}, the principal lacks {lacking:?} (has {:?})",
                principal.scopes
            ),
        ));
    }
    Ok(())
}

async fn guard01(cx: &Cx<'_>) -> Step {
    let guard = guard(cx, Routing::OpaqueToIntrospection).await?;
    let user = cx.user()?;
    let tokens = cx.web_tokens(&api_scope(cx, "openid")).await?;
    let principal = accepted(&guard, tokens.access_token()?, &tokens.exchange, "user access token").await?;
    check_subject(cx, &tokens.exchange, &principal, user)?;
    let carriage = carriage(cx.provider(), &principal);
    if carriage.realm {
        let lacking = missing(&user.realm_roles, &principal.roles);
        if !lacking.is_empty() {
            return Err(tokens.exchange.fail(
                Some("principal.roles"),
                format!(
                    "{} holds realm roles {:?}; the principal lacks {lacking:?} (has {:?})",
                    user.username, user.realm_roles, principal.roles
                ),
            ));
        }
    } else {
        cx.note(format!(
            "{} conveys no roles for this token: realm roles not compared",
            cx.provider()
        ));
    }
    let resource = cx.introspector()?.id.clone();
    let client_roles = user.client_roles.get(&resource).cloned().unwrap_or_default();
    match carriage.client {
        Some(own_list) => {
            let (list, name) = if own_list {
                (&principal.client_roles, "principal.client_roles")
            } else {
                (&principal.roles, "principal.roles")
            };
            let lacking = missing(&client_roles, list);
            if !lacking.is_empty() {
                return Err(tokens.exchange.fail(
                    Some(name),
                    format!(
                        "{} holds client roles {client_roles:?} on `{resource}`; the principal lacks {lacking:?} (has {list:?})",
                        user.username
                    ),
                ));
            }
        }
        None if !client_roles.is_empty() => cx.note(format!(
            "{} conveys no client roles: {client_roles:?} on `{resource}` not compared",
            cx.provider()
        )),
        None => {}
    }
    check_scopes(cx, &tokens, &principal)
}

async fn guard02(cx: &Cx<'_>) -> Step {
    let guard = guard(cx, Routing::OpaqueToIntrospection).await?;
    let service = cx.service()?;
    let scope = api_scope(cx, "");
    let mut params = vec![("grant_type", "client_credentials")];
    if !scope.is_empty() {
        params.push(("scope", scope.as_str()));
    }
    let tokens = Cx::tokens(cx.token_request(service, &params).await?)?;
    let principal = accepted(&guard, tokens.access_token()?, &tokens.exchange, "service access token").await?;
    if principal.subject.is_empty() {
        if principal.kind != token_guard::TokenKind::Introspected {
            return Err(tokens.exchange.fail(Some("principal.subject"), "empty subject"));
        }
        cx.note("introspection has no `sub` (optional in RFC 7662 §2.2): the principal's subject is empty");
    }
    match principal.client_id.as_deref() {
        Some(id) if id == service.id => {}
        other => {
            return Err(tokens.exchange.fail(
                Some("principal.client_id"),
                format!("expected `{}`, got {other:?}", service.id),
            ));
        }
    }
    if carriage(cx.provider(), &principal).realm {
        let lacking = missing(&service.service_account_roles, &principal.roles);
        if !lacking.is_empty() {
            return Err(tokens.exchange.fail(
                Some("principal.roles"),
                format!(
                    "`{}`'s service account holds {:?}; the principal lacks {lacking:?} (has {:?})",
                    service.id, service.service_account_roles, principal.roles
                ),
            ));
        }
    } else {
        cx.note(format!(
            "{} conveys no roles for this token: roles not compared",
            cx.provider()
        ));
    }
    check_scopes(cx, &tokens, &principal)
}

async fn guard03(cx: &Cx<'_>) -> Step {
    let guard = guard(cx, Routing::IntrospectAll).await?;
    let user = cx.user()?;
    let tokens = cx.web_tokens(&api_scope(cx, "openid")).await?;
    let token = tokens.access_token()?.to_owned();
    if introspection_endpoint(cx).await?.is_none() {
        let err = refused(&guard, &format!("{}x", opaque_like(&token)), "opaque token").await?;
        if err != InvalidToken::OpaqueNotAccepted {
            return Err(fail(
                Some("opaque token"),
                format!("refused, but as `{err}` instead of opaque tokens not accepted"),
            ));
        }
        return Ok(());
    }
    let principal = accepted(&guard, &token, &tokens.exchange, "user access token, introspected").await?;
    if principal.kind != token_guard::TokenKind::Introspected {
        return Err(fail(Some("principal.kind"), "the token was not introspected"));
    }
    check_subject(cx, &tokens.exchange, &principal, user)?;
    check_scopes(cx, &tokens, &principal)?;
    refused(&guard, &tamper(&token), "tampered token").await?;
    Ok(())
}

/// An opaque-looking string derived from `token` (no dots).
fn opaque_like(token: &str) -> String {
    token.replace('.', "")
}

/// `token` with one character changed in its middle (a JWT keeps its shape).
fn tamper(token: &str) -> String {
    let mut bytes: Vec<char> = token.chars().collect();
    let at = bytes
        .iter()
        .enumerate()
        .filter(|(_, c)| c.is_ascii_alphanumeric())
        .map(|(i, _)| i)
        .nth(bytes.len() / 3)
        .unwrap_or(0);
    if let Some(c) = bytes.get_mut(at) {
        *c = if *c == 'A' { 'B' } else { 'A' };
    }
    bytes.into_iter().collect()
}

/// A JWT's JOSE header and claims.
type Parts = (Map<String, Value>, Map<String, Value>);

/// An edit of a token's claims.
type Edit = fn(&mut Map<String, Value>);

/// The token forgeries are derived from: the user's access token, or the service's when the
/// user's is opaque; `None` parts when both are opaque.
struct Base {
    guard: Guard,
    token: String,
    exchange: Exchange,
    jwt: Option<Parts>,
}

impl Base {
    fn parts(&self) -> Option<&Parts> {
        self.jwt.as_ref()
    }
}

/// The base token, accepted by the guard first (a forgery refused by a guard that refuses
/// everything proves nothing).
async fn base(cx: &Cx<'_>) -> Step<Base> {
    let guard = guard(cx, Routing::OpaqueToIntrospection).await?;
    let mut tokens = cx.web_tokens(&api_scope(cx, "openid")).await?;
    if !is_jwt(tokens.access_token()?)
        && let Ok(service) = cx.service()
    {
        let scope = api_scope(cx, "");
        let mut params = vec![("grant_type", "client_credentials")];
        if !scope.is_empty() {
            params.push(("scope", scope.as_str()));
        }
        let service_tokens = Cx::tokens(cx.token_request(service, &params).await?)?;
        if is_jwt(service_tokens.access_token()?) {
            tokens = service_tokens;
        }
    }
    let token = tokens.access_token()?.to_owned();
    accepted(&guard, &token, &tokens.exchange, "access token").await?;
    let jwt = if is_jwt(&token) {
        Some(crate::jose::decode(&token).map_err(|err| tokens.exchange.fail(Some("access_token"), err.to_string()))?)
    } else {
        cx.note("the target's access tokens are opaque: the forgery is a tampered opaque token");
        None
    };
    Ok(Base {
        guard,
        token,
        exchange: tokens.exchange,
        jwt,
    })
}

fn is_jwt(token: &str) -> bool {
    token.split('.').count() == 3
}

/// For opaque bases: a tampered copy must be refused.
async fn opaque_forgery(base: &Base) -> Step {
    refused(&base.guard, &tamper(&base.token), "tampered opaque token").await?;
    Ok(())
}

fn b64_json(value: &Map<String, Value>) -> String {
    idp_jose::b64::encode(Value::Object(value.clone()).to_string())
}

fn signature_of(token: &str) -> &str {
    token.rsplit('.').next().unwrap_or_default()
}

fn sign_rs256(header: &Map<String, Value>, claims: &Map<String, Value>) -> Step<String> {
    let pair = forger()?;
    let input = format!("{}.{}", b64_json(header), b64_json(claims));
    let mut signature = vec![0; pair.public_modulus_len()];
    pair.sign(
        &RSA_PKCS1_SHA256,
        &aws_lc_rs::rand::SystemRandom::new(),
        input.as_bytes(),
        &mut signature,
    )
    .map_err(|_| fail(None, "the forger key did not sign"))?;
    Ok(format!("{input}.{}", idp_jose::b64::encode(signature)))
}

async fn guard04(cx: &Cx<'_>) -> Step {
    let base = base(cx).await?;
    let Some((header, claims)) = base.parts() else {
        return opaque_forgery(&base).await;
    };
    let mut header = header.clone();
    header.insert("alg".into(), json!("RS256"));
    refused(&base.guard, &sign_rs256(&header, claims)?, "re-signed, same kid").await?;
    header.insert("kid".into(), json!(FORGER_KID));
    refused(&base.guard, &sign_rs256(&header, claims)?, "re-signed, own kid").await?;
    header.remove("kid");
    refused(&base.guard, &sign_rs256(&header, claims)?, "re-signed, no kid").await?;
    Ok(())
}

async fn guard05(cx: &Cx<'_>) -> Step {
    let base = base(cx).await?;
    let Some((header, claims)) = base.parts() else {
        return opaque_forgery(&base).await;
    };
    for alg in ["none", "None", "NONE"] {
        let mut header = header.clone();
        header.insert("alg".into(), json!(alg));
        let input = format!("{}.{}", b64_json(&header), b64_json(claims));
        refused(
            &base.guard,
            &format!("{input}."),
            &format!("alg {alg}, empty signature"),
        )
        .await?;
        refused(
            &base.guard,
            &format!("{input}.{}", signature_of(&base.token)),
            &format!("alg {alg}, original signature"),
        )
        .await?;
    }
    Ok(())
}

/// DER length octets.
fn der_len(len: usize) -> Vec<u8> {
    if len < 0x80 {
        return vec![len as u8];
    }
    let bytes: Vec<u8> = len.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
    let mut out = vec![0x80 | bytes.len() as u8];
    out.extend(bytes);
    out
}

fn der_integer(value: &[u8]) -> Vec<u8> {
    let trimmed: Vec<u8> = value.iter().copied().skip_while(|b| *b == 0).collect();
    let mut content = trimmed;
    if content.first().is_none_or(|b| *b & 0x80 != 0) {
        content.insert(0, 0);
    }
    let mut out = vec![0x02];
    out.extend(der_len(content.len()));
    out.extend(content);
    out
}

/// The secrets an HS256 confusion attack tries for `key`: its PKCS#1 PEM and DER (RSA), and
/// its JWK JSON (any key type).
fn confusion_secrets(key: &Value) -> Vec<(String, Vec<u8>)> {
    let mut secrets = vec![("the JWK JSON".to_owned(), key.to_string().into_bytes())];
    let field = |name: &str| {
        key.get(name)
            .and_then(Value::as_str)
            .and_then(|v| idp_jose::b64::decode(v).ok())
    };
    if let (Some(n), Some(e)) = (field("n"), field("e")) {
        let mut body = der_integer(&n);
        body.extend(der_integer(&e));
        let mut der = vec![0x30];
        der.extend(der_len(body.len()));
        der.extend(body);
        let pem = idp_jose::pem::encode(idp_jose::pem::RSA_PUBLIC_KEY, &der);
        secrets.push(("the PKCS#1 PEM".into(), pem.into_bytes()));
        secrets.push(("the PKCS#1 DER".into(), der));
    }
    secrets
}

async fn guard06(cx: &Cx<'_>) -> Step {
    let base = base(cx).await?;
    let Some((header, claims)) = base.parts() else {
        return opaque_forgery(&base).await;
    };
    let jwks_url = cx.endpoint(Endpoint::Jwks).await?;
    let jwks = cx.send(crate::http::Req::get(jwks_url)).await?.ok_object()?;
    let kid = header.get("kid").and_then(Value::as_str);
    let keys = jwks.get("keys").and_then(Value::as_array).cloned().unwrap_or_default();
    let key = keys
        .iter()
        .find(|k| kid.is_none() || k.get("kid").and_then(Value::as_str) == kid)
        .ok_or_else(|| fail(Some("kid"), format!("no key {kid:?} in the JWK set")))?;
    let mut header = header.clone();
    header.insert("alg".into(), json!("HS256"));
    let input = format!("{}.{}", b64_json(&header), b64_json(claims));
    for (what, secret) in confusion_secrets(key) {
        let mac = aws_lc_rs::hmac::sign(
            &aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &secret),
            input.as_bytes(),
        );
        let token = format!("{input}.{}", idp_jose::b64::encode(mac.as_ref()));
        refused(&base.guard, &token, &format!("HS256 keyed with {what}")).await?;
    }
    Ok(())
}

/// `claims` with the role claims the provider uses (or a generic `roles`) granted `admin`
/// and `forged-role`.
fn add_roles(claims: &mut Map<String, Value>) {
    let forged = json!(["admin", "forged-role"]);
    let mut touched = false;
    if let Some(Value::Object(realm)) = claims.get_mut("realm_access") {
        realm.insert("roles".into(), forged.clone());
        touched = true;
    }
    if let Some(Value::Object(roles)) = claims.get_mut(providers::zitadel::ROLES_CLAIM) {
        roles.insert("admin".into(), json!({"0": "forged"}));
        roles.insert("forged-role".into(), json!({"0": "forged"}));
        touched = true;
    }
    for name in ["roles", "groups"] {
        if claims.contains_key(name) {
            claims.insert(name.into(), forged.clone());
            touched = true;
        }
    }
    if !touched {
        claims.insert("roles".into(), forged);
    }
}

async fn guard07(cx: &Cx<'_>) -> Step {
    let base = base(cx).await?;
    let Some((header, claims)) = base.parts() else {
        return opaque_forgery(&base).await;
    };
    let signature = signature_of(&base.token);
    let edits: [(&str, Edit); 4] = [
        ("sub edited", |c| {
            c.insert("sub".into(), json!("forged-subject"));
        }),
        ("roles edited", add_roles),
        ("scope edited", |c| {
            let scope = c.get("scope").and_then(Value::as_str).unwrap_or_default();
            c.insert("scope".into(), json!(format!("{scope} admin forged:scope").trim()));
        }),
        ("aud edited", |c| {
            c.insert("aud".into(), json!(["forged-audience"]));
        }),
    ];
    for (what, edit) in edits {
        let mut edited = claims.clone();
        edit(&mut edited);
        let token = format!("{}.{}.{signature}", b64_json(header), b64_json(&edited));
        refused(&base.guard, &token, what).await?;
    }
    Ok(())
}

async fn guard08(cx: &Cx<'_>) -> Step {
    let base = base(cx).await?;
    let exp = match base.parts() {
        Some((_, claims)) => claims.get("exp").and_then(Value::as_u64),
        None => None,
    };
    if let Some(clock) = cx.target.clock() {
        // Past `exp` and any leeway (token-guard's is at most 60 s); for opaque tokens past
        // the World's access-token lifetime.
        let lifetime = cx
            .target
            .realm()
            .map(|realm| realm.lifetimes.access_token)
            .unwrap_or(3600);
        let target = exp.unwrap_or(clock.now() + lifetime) + 61;
        cx.advance_clock(target.saturating_sub(clock.now()))?;
        let err = refused(&base.guard, &base.token, "expired token").await?;
        let want = if base.jwt.is_some() {
            InvalidToken::Expired
        } else {
            InvalidToken::Inactive
        };
        if err != want {
            return Err(base.exchange.fail(
                Some("exp"),
                format!("the expired token was refused as `{err}`, expected `{want}`"),
            ));
        }
        return Ok(());
    }
    let Some((header, claims)) = base.parts() else {
        cx.note("opaque tokens cannot be expired without waiting; a tampered copy is refused instead");
        return opaque_forgery(&base).await;
    };
    let mut expired = claims.clone();
    expired.insert("exp".into(), json!(1_000_000_000));
    let token = format!(
        "{}.{}.{}",
        b64_json(header),
        b64_json(&expired),
        signature_of(&base.token)
    );
    refused(&base.guard, &token, "exp edited into the past").await?;
    cx.note("real target: the expired copy has exp edited (its signature no longer verifies)");
    Ok(())
}
