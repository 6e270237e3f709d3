//! Client authentication by a signed JWT (RFC 7523 §2.2, OIDC Core §9): `client_secret_jwt`,
//! an assertion MACed with the client's own secret (HS256, HS384 or HS512), and
//! `private_key_jwt`, signed by a key of the client's registered `jwks` ([`client_keys`]).
//!
//! The assertion must name the client as both `iss` and `sub`, name this server in `aud` (its
//! issuer, its token endpoint, or the endpoint called), carry `exp` no further ahead than
//! [`MAX_LIFETIME_SECS`], and carry a `jti` that is accepted once: a [`ReplayCache`] remembers
//! it until `exp`. The algorithm comes from the client's registration (a secret: HMAC only),
//! never from the header alone: a client with registered keys is checked against them only, a
//! client without against its secret only; `none` never passes. Where the provider reads a
//! client's `jwks_uri` ([`Quirks::client_jwks_uri`](providers::Quirks::client_jwks_uri)), a
//! client without registered keys is checked against the set fetched from it
//! ([`crate::client_jwks`]), fetched again once when no key of a cached set fits.

use crate::app::RealmCtx;
use crate::client_auth::{AuthMethod, AuthenticatedClient, authenticate_with, basic_credentials};
use crate::client_keys::{self, KeyRefusal};
use crate::error::OAuthError;
use crate::http::Params;
pub(crate) use crate::replay::ReplayCache;
use crate::replay::Spent;
use aws_lc_rs::hmac;
use axum::http::HeaderMap;
use idp_jose::compact;
use providers::client_assertion::{AssertionFacts, ExpiryRule, MaxLifetime};
use providers::{Client, ClientKind, Endpoint, ErrorKind, Realm};
use serde_json::{Map, Value};

/// The `client_assertion_type` of a JWT client assertion (RFC 7523 §2.2).
pub(crate) const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Assertions longer than this are refused before any decoding.
const MAX_ASSERTION_BYTES: usize = 8 * 1024;

/// Which JWT client authentication methods the provider has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Allowed {
    /// `client_secret_jwt` (an HMAC keyed by the client's secret).
    pub(crate) client_secret_jwt: bool,
    /// `private_key_jwt` (a signature by a key of the client's `jwks`).
    pub(crate) private_key_jwt: bool,
    /// `private_key_jwt` with the keys at the client's `jwks_uri`.
    pub(crate) jwks_uri: bool,
}

impl Allowed {
    /// Both methods.
    #[cfg(test)]
    pub(crate) const BOTH: Allowed = Allowed {
        client_secret_jwt: true,
        private_key_jwt: true,
        jwks_uri: true,
    };
}

/// Why a client assertion was refused (one list, in providers, worded per provider).
pub(crate) use providers::client_assertion::AssertionRefusal as AssertionError;

/// The refusal as the error the provider answers with.
fn into_oauth(refusal: AssertionError) -> OAuthError {
    OAuthError::new(ErrorKind::ClientAssertion(refusal), refusal.to_string())
}

/// What an assertion is checked against: the accepted audiences, the methods the provider
/// has, and its rules.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Policy<'p> {
    /// The URLs `aud` may name.
    pub(crate) audiences: &'p [&'p str],
    /// The JWT methods the provider has.
    pub(crate) allowed: Allowed,
    /// Skew, lifetime and audience-count rules.
    pub(crate) facts: &'p AssertionFacts,
}

/// Authenticates the client of a request to `called`: by its `client_assertion` when it sends
/// one, else by the secret methods of [`authenticate_with`].
pub(crate) async fn authenticate_request<'a>(
    cx: &'a RealmCtx,
    headers: &HeaderMap,
    params: &Params,
    called: Endpoint,
) -> Result<AuthenticatedClient<'a>, OAuthError> {
    let realm: &'a Realm = &cx.realm;
    let Some(assertion) = params.get("client_assertion") else {
        return authenticate_with(realm, headers, params, cx.flavor());
    };
    let quirks = cx.flavor().quirks();
    let facts = &quirks.client_assertion;
    let has_basic = !facts.ignores_basic_beside_assertion && matches!(basic_credentials(headers), Ok(Some(_)));
    precheck(has_basic, params).map_err(|err| *err)?;
    let mut urls: Vec<String> = facts
        .audience_endpoints
        .iter()
        .map(|endpoint| cx.endpoint_url(*endpoint))
        .collect();
    if facts.called_endpoint_audience {
        urls.push(cx.endpoint_url(called));
    }
    urls.extend(
        facts
            .issuer_relative_audiences
            .iter()
            .map(|path| format!("{}{path}", cx.issuer())),
    );
    let issuer = facts.issuer_audience.then(|| cx.issuer());
    // An endpoint the provider does not serve has no URL: never let `""` match.
    let audiences: Vec<&str> = issuer
        .into_iter()
        .chain(urls.iter().map(String::as_str))
        .filter(|audience| !audience.is_empty())
        .collect();
    let allowed = Allowed {
        client_secret_jwt: quirks.accepts_client_secret_jwt,
        private_key_jwt: quirks.accepts_private_key_jwt,
        jwks_uri: quirks.client_jwks_uri,
    };
    let uri = allowed.jwks_uri.then(|| jwks_uri_of(realm, assertion)).flatten();
    let fetch = |refresh: bool| async move {
        let uri = uri?;
        match cx.app.client_jwks.keys(uri, refresh, cx.now()).await {
            Ok(set) => Some(set),
            Err(err) => {
                tracing::warn!(client_jwks_uri = uri, "private_key_jwt: {err}");
                None
            }
        }
    };
    let cached = uri.and_then(|uri| cx.app.client_jwks.cached(uri, cx.now()));
    let from_cache = cached.is_some();
    let remote = match cached {
        Some(set) => Some(set),
        None => fetch(false).await,
    };
    let verify_with = |remote: Option<&Value>| {
        let policy = Policy {
            audiences: &audiences,
            allowed,
            facts,
        };
        verify(
            realm,
            assertion,
            params.get("client_id"),
            policy,
            cx.now(),
            &cx.app.assertions,
            remote,
        )
    };
    let mut verified = verify_with(remote.as_deref());
    // A cached set may predate the client's key rotation: fetch it again, once.
    if from_cache && verified == Err(AssertionError::UnknownKey) {
        let refreshed = fetch(true).await;
        verified = verify_with(refreshed.as_deref());
    }
    verified
        .map(|client| AuthenticatedClient {
            client,
            method: method_of(client),
        })
        .map_err(into_oauth)
}

/// The `jwks_uri` of the client an assertion names in `iss` (read before any check: it only
/// chooses which keys the checks use), when that client has no registered `jwks`.
fn jwks_uri_of<'a>(realm: &'a Realm, assertion: &str) -> Option<&'a str> {
    if assertion.len() > MAX_ASSERTION_BYTES {
        return None;
    }
    let claims = compact::split(assertion).ok()?.payload_object().ok()?;
    let client = realm.client(string(&claims, "iss")?)?;
    match &client.jwks {
        Some(_) => None,
        None => client.jwks_uri.as_deref(),
    }
}

/// `private_key_jwt` for a client with keys (registered or by URL), else `client_secret_jwt`.
fn method_of(client: &Client) -> AuthMethod {
    if client.jwks.is_some() || client.jwks_uri.is_some() {
        AuthMethod::PrivateKeyJwt
    } else {
        AuthMethod::SecretJwt
    }
}

/// What is refused before the assertion is read: another method besides it, a wrong type.
fn precheck(has_basic: bool, params: &Params) -> Result<(), Box<OAuthError>> {
    if has_basic || params.get("client_secret").is_some() {
        return Err(Box::new(OAuthError::new(
            ErrorKind::MultipleClientAuthMethods,
            "use one client authentication method, not client_assertion with a secret",
        )));
    }
    if params.get("client_assertion_type") != Some(ASSERTION_TYPE) {
        return Err(Box::new(into_oauth(AssertionError::WrongType)));
    }
    Ok(())
}

/// Verifies a client assertion of `realm`'s client against `policy`; the client it
/// authenticates. `remote`: the key set fetched from the client's `jwks_uri`, if it has one and
/// the fetch succeeded. The checks run in Keycloak's order (`AbstractJWTClientValidator`):
/// the client, the algorithm and signature, the audience, then the times and the `jti`.
pub(crate) fn verify<'a>(
    realm: &'a Realm,
    assertion: &str,
    client_id: Option<&str>,
    policy: Policy<'_>,
    now: u64,
    cache: &ReplayCache,
    remote: Option<&Value>,
) -> Result<&'a Client, AssertionError> {
    if assertion.len() > MAX_ASSERTION_BYTES {
        return Err(AssertionError::Malformed);
    }
    let compact::Decoded {
        header,
        claims,
        signature,
        signing_input,
    } = compact::decode(assertion).map_err(|_| AssertionError::Malformed)?;

    let issuer = string(&claims, "iss").ok_or(AssertionError::WrongSubject)?;
    if string(&claims, "sub") != Some(issuer) || client_id.is_some_and(|id| id != issuer) {
        return Err(AssertionError::WrongSubject);
    }
    let client = realm.client(issuer).ok_or(AssertionError::UnknownClient)?;
    if header.contains_key("crit") {
        return Err(AssertionError::Malformed);
    }
    // Where a client has one method, an assertion of a client registered for its secret (in
    // Basic or the body) authenticates nothing.
    let secret_methods = [
        providers::TokenEndpointAuthMethod::ClientSecretBasic,
        providers::TokenEndpointAuthMethod::ClientSecretPost,
    ];
    if policy.facts.one_method_per_client && secret_methods.contains(&client.auth_method()) {
        return Err(AssertionError::MethodNotRegistered);
    }
    verify_signature(
        client,
        &header,
        signing_input.as_bytes(),
        &signature,
        policy.allowed,
        remote,
    )?;
    check_audience(claims.get("aud"), policy)?;
    let expires_at = check_times(&claims, &client_facts(policy.facts, client), now)?;
    let jti = string(&claims, "jti").ok_or(AssertionError::MissingJti)?;
    cache
        .first_use(&format!("{}\u{0}{}\u{0}{jti}", realm.name, client.id), expires_at, now)
        .map_err(|spent| match spent {
            Spent::Replayed => AssertionError::Replayed,
            Spent::Full => AssertionError::CacheFull,
        })?;
    Ok(client)
}

/// Checks the signature (or MAC) with the client's credential: its keys when it has any (an
/// HMAC keyed by anything public can never pass), else its secret.
fn verify_signature(
    client: &Client,
    header: &Map<String, Value>,
    message: &[u8],
    signature: &[u8],
    allowed: Allowed,
    remote: Option<&Value>,
) -> Result<(), AssertionError> {
    let by_url = client.jwks.is_none() && client.jwks_uri.is_some() && allowed.jwks_uri;
    let keys = match (&client.jwks, by_url) {
        (Some(jwks), _) => Some(jwks),
        (None, true) => Some(remote.ok_or(AssertionError::KeysUnavailable)?),
        (None, false) => None,
    };
    match (keys, &client.kind) {
        (Some(jwks), _) => {
            if !allowed.private_key_jwt {
                return Err(AssertionError::AlgNotAllowed);
            }
            client_keys::verify(jwks, header, message, signature).map_err(|refusal| match refusal {
                KeyRefusal::Alg => AssertionError::AlgNotAllowed,
                KeyRefusal::NoKey => AssertionError::UnknownKey,
                KeyRefusal::Signature => AssertionError::BadSignature,
            })
        }
        (None, ClientKind::Confidential { secret }) if allowed.client_secret_jwt => {
            let algorithm = match header.get("alg").and_then(Value::as_str) {
                Some("HS256") => hmac::HMAC_SHA256,
                Some("HS384") => hmac::HMAC_SHA384,
                Some("HS512") => hmac::HMAC_SHA512,
                _ => return Err(AssertionError::AlgNotAllowed),
            };
            let key = hmac::Key::new(algorithm, secret.expose().as_bytes());
            hmac::verify(&key, message, signature).map_err(|_| AssertionError::BadSecretSignature)
        }
        _ => Err(AssertionError::AlgNotAllowed),
    }
}

/// `aud` (a string or an array of strings) must name one of the policy's audiences, and only
/// one audience where the provider takes no more.
fn check_audience(aud: Option<&Value>, policy: Policy<'_>) -> Result<(), AssertionError> {
    let named: Vec<&str> = match aud {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !named.iter().any(|one| policy.audiences.contains(one)) {
        return Err(AssertionError::WrongAudience);
    }
    if !policy.facts.multiple_audiences && named.len() > 1 {
        return Err(AssertionError::MultipleAudiences);
    }
    Ok(())
}

/// `facts` with `client`'s own `max.exp` where the provider's rule is Keycloak's and the client
/// sets one (World `client_assertion_max_exp`).
fn client_facts(facts: &AssertionFacts, client: &Client) -> AssertionFacts {
    match (facts.max_lifetime, client.client_assertion_max_exp) {
        (MaxLifetime::FromIssuedAt(_), Some(max)) => AssertionFacts {
            max_lifetime: MaxLifetime::FromIssuedAt(max),
            ..*facts
        },
        _ => *facts,
    }
}

/// Checks `exp`, `nbf` and `iat` against `now` with the provider's skew and lifetime rule (as
/// Keycloak's `validateTokenActive` orders them); the time until which the `jti` is kept.
fn check_times(claims: &Map<String, Value>, facts: &AssertionFacts, now: u64) -> Result<u64, AssertionError> {
    let time = |name: &str| claims.get(name).and_then(Value::as_u64);
    let skew = facts.skew_secs;
    let expires_at = time("exp").ok_or(AssertionError::MissingExpiry)?;
    let expired = match facts.expiry_rule {
        ExpiryRule::Tolerant => expires_at.saturating_add(skew) <= now,
        ExpiryRule::Strict => now.saturating_add(skew) > expires_at,
    };
    if expired {
        return Err(AssertionError::Expired);
    }
    let not_yet = |nbf: u64| match facts.expiry_rule {
        ExpiryRule::Tolerant => nbf > now.saturating_add(skew),
        ExpiryRule::Strict => nbf >= now.saturating_add(skew),
    };
    if time("nbf").is_some_and(not_yet) {
        return Err(AssertionError::NotYetValid);
    }
    let issued_at = time("iat");
    if issued_at.is_some_and(|iat| iat > now.saturating_add(skew)) {
        return Err(AssertionError::IssuedInFuture);
    }
    match (facts.max_lifetime, issued_at) {
        (MaxLifetime::FromNow(max), _) | (MaxLifetime::FromIssuedAt(max), None) => {
            if expires_at.saturating_sub(now) > max {
                return Err(AssertionError::LifetimeTooLong);
            }
        }
        (MaxLifetime::IssuedAtAge(max), Some(iat)) => {
            if now.saturating_add(skew).saturating_sub(iat) > max {
                return Err(AssertionError::IssuedTooLongAgo);
            }
        }
        (MaxLifetime::IssuedAtAge(_), None) => {}
        (MaxLifetime::FromIssuedAt(max), Some(iat)) => {
            // Keycloak: the usable lifetime is min(exp - now, max), and must be left.
            if expires_at <= now {
                return Err(AssertionError::Expired);
            }
            if now > iat.saturating_add(max) {
                return Err(AssertionError::IssuedTooLongAgo);
            }
        }
    }
    // The jti is kept until exp, or (past a skew-tolerated exp) a moment longer.
    Ok(expires_at.max(now + 1))
}

fn string<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    claims.get(name).and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair};
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use providers::World;
    use serde_json::json;
    use std::sync::{Arc, Barrier};

    const NOW: u64 = 1_800_000_000;
    const ISSUER: &str = "http://127.0.0.1:1/realms/demo";

    fn jwt(header: Value, claims: Value, secret: &[u8]) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let alg = match header["alg"].as_str().unwrap() {
            "HS384" => hmac::HMAC_SHA384,
            "HS512" => hmac::HMAC_SHA512,
            _ => hmac::HMAC_SHA256,
        };
        let tag = hmac::sign(&hmac::Key::new(alg, secret), input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }

    /// The standard rules with the issuer as the only audience.
    fn policy(allowed: Allowed) -> Policy<'static> {
        Policy {
            audiences: &[ISSUER],
            allowed,
            facts: &providers::client_assertion::STANDARD,
        }
    }

    fn claims(jti: &str) -> Value {
        json!({ "iss": "web-app", "sub": "web-app", "aud": ISSUER, "exp": NOW + 60, "iat": NOW, "jti": jti })
    }

    fn check(world: &World, assertion: &str, cache: &ReplayCache) -> Result<String, AssertionError> {
        let realm = world.realm("demo").unwrap();
        verify(realm, assertion, None, policy(Allowed::BOTH), NOW, cache, None).map(|client| client.id.clone())
    }

    #[test]
    fn a_secret_jwt_is_accepted_once_and_its_replay_is_refused() {
        let world = World::default_world().unwrap();
        let cache = ReplayCache::default();
        for alg in ["HS256", "HS384", "HS512"] {
            let token = jwt(json!({"alg": alg}), claims(alg), b"web-app-secret");
            assert_eq!(check(&world, &token, &cache), Ok("web-app".to_owned()), "{alg}");
            assert_eq!(check(&world, &token, &cache), Err(AssertionError::Replayed), "{alg}");
        }
        // An array aud naming the issuer among others is accepted.
        let mut many = claims("array");
        many["aud"] = json!(["https://elsewhere", ISSUER]);
        let token = jwt(json!({"alg": "HS256"}), many, b"web-app-secret");
        assert_eq!(check(&world, &token, &cache), Ok("web-app".to_owned()));
    }

    #[test]
    fn bad_assertions_are_refused_for_their_reason() {
        let world = World::default_world().unwrap();
        let cache = ReplayCache::default();
        let hs = json!({"alg": "HS256"});
        let with = |name: &str, value: Value| {
            let mut c = claims(&format!("j-{name}-{value}"));
            c[name] = value;
            c
        };
        let without = |name: &str| {
            let mut c = claims(&format!("without-{name}"));
            c.as_object_mut().unwrap().remove(name);
            c
        };
        let cases = [
            (
                jwt(hs.clone(), claims("wrong-secret"), b"other-secret"),
                AssertionError::BadSecretSignature,
            ),
            (
                jwt(hs.clone(), with("aud", json!("https://elsewhere")), b"web-app-secret"),
                AssertionError::WrongAudience,
            ),
            (
                jwt(hs.clone(), with("exp", json!(NOW)), b"web-app-secret"),
                AssertionError::Expired,
            ),
            (
                jwt(hs.clone(), without("exp"), b"web-app-secret"),
                AssertionError::MissingExpiry,
            ),
            (
                jwt(hs.clone(), with("exp", json!(NOW + 3601)), b"web-app-secret"),
                AssertionError::LifetimeTooLong,
            ),
            (
                jwt(hs.clone(), with("nbf", json!(NOW + 30)), b"web-app-secret"),
                AssertionError::NotYetValid,
            ),
            (
                jwt(hs.clone(), with("iat", json!(NOW + 30)), b"web-app-secret"),
                AssertionError::IssuedInFuture,
            ),
            (
                jwt(hs.clone(), without("jti"), b"web-app-secret"),
                AssertionError::MissingJti,
            ),
            (
                jwt(hs.clone(), with("sub", json!("spa")), b"web-app-secret"),
                AssertionError::WrongSubject,
            ),
            (
                jwt(hs.clone(), with("iss", json!("spa")), b"web-app-secret"),
                AssertionError::WrongSubject,
            ),
            (
                jwt(hs.clone(), with("iss", json!("nobody")).tap_sub("nobody"), b"x"),
                AssertionError::UnknownClient,
            ),
            // `spa` is public: no secret, so no HMAC key.
            (
                jwt(hs.clone(), with("iss", json!("spa")).tap_sub("spa"), b""),
                AssertionError::AlgNotAllowed,
            ),
            (
                jwt(json!({"alg": "none"}), claims("none"), b"web-app-secret"),
                AssertionError::AlgNotAllowed,
            ),
            // A public-key alg over a secret-keyed client: the MAC is never tried.
            (
                jwt(json!({"alg": "RS256"}), claims("rs"), b"web-app-secret"),
                AssertionError::AlgNotAllowed,
            ),
            ("not.a.jwt".to_owned(), AssertionError::Malformed),
            ("x".repeat(MAX_ASSERTION_BYTES + 1), AssertionError::Malformed),
        ];
        for (token, expected) in cases {
            assert_eq!(check(&world, &token, &cache), Err(expected), "{token}");
        }
        // `alg: none` with an empty signature.
        let unsigned = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(json!({"alg": "none"}).to_string()),
            URL_SAFE_NO_PAD.encode(claims("unsigned").to_string())
        );
        assert_eq!(check(&world, &unsigned, &cache), Err(AssertionError::AlgNotAllowed));
        // None of the refused assertions used up a jti: a good one with a refused one's jti passes.
        let good = jwt(hs, claims("wrong-secret"), b"web-app-secret");
        assert_eq!(check(&world, &good, &cache), Ok("web-app".to_owned()));
    }

    #[test]
    fn client_id_must_match_the_assertion() {
        let world = World::default_world().unwrap();
        let realm = world.realm("demo").unwrap();
        let cache = ReplayCache::default();
        let token = jwt(json!({"alg": "HS256"}), claims("named"), b"web-app-secret");
        assert_eq!(
            verify(realm, &token, Some("spa"), policy(Allowed::BOTH), NOW, &cache, None).map(|c| c.id.clone()),
            Err(AssertionError::WrongSubject)
        );
        assert_eq!(
            verify(realm, &token, Some("web-app"), policy(Allowed::BOTH), NOW, &cache, None).map(|c| c.id.clone()),
            Ok("web-app".to_owned())
        );
    }

    #[test]
    fn a_provider_without_client_secret_jwt_refuses_a_good_assertion() {
        let world = World::default_world().unwrap();
        let realm = world.realm("demo").unwrap();
        let cache = ReplayCache::default();
        let token = jwt(json!({"alg": "HS256"}), claims("no-hmac"), b"web-app-secret");
        assert_eq!(
            verify(
                realm,
                &token,
                None,
                policy(Allowed {
                    client_secret_jwt: false,
                    private_key_jwt: true,
                    jwks_uri: true,
                }),
                NOW,
                &cache,
                None,
            )
            .map(|c| c.id.clone()),
            Err(AssertionError::AlgNotAllowed)
        );
        // Its jti was not used up.
        assert_eq!(check(&world, &token, &cache), Ok("web-app".to_owned()));
    }

    /// The same assertion sent by many threads at once is accepted exactly once, each round.
    #[test]
    fn concurrent_replays_are_accepted_at_most_once() {
        const THREADS: usize = 8;
        const ROUNDS: usize = 50;
        let world = Arc::new(World::default_world().unwrap());
        let cache = Arc::new(ReplayCache::default());
        for round in 0..ROUNDS {
            let token = Arc::new(jwt(
                json!({"alg": "HS256"}),
                claims(&format!("race-{round}")),
                b"web-app-secret",
            ));
            let barrier = Arc::new(Barrier::new(THREADS));
            let handles: Vec<_> = (0..THREADS)
                .map(|_| {
                    let (world, cache, token, barrier) = (world.clone(), cache.clone(), token.clone(), barrier.clone());
                    std::thread::spawn(move || {
                        barrier.wait();
                        check(&world, &token, &cache)
                    })
                })
                .collect();
            let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
            let accepted = results.iter().filter(|r| r.is_ok()).count();
            assert_eq!(accepted, 1, "round {round}: {results:?}");
            assert!(
                results.iter().all(|r| r.is_ok() || *r == Err(AssertionError::Replayed)),
                "{results:?}"
            );
        }
    }

    /// The default world with `service` registering an EC P-256 key `ec` and an Ed25519 key
    /// `ed`; the key pairs.
    fn world_with_keys() -> (World, EcdsaKeyPair, Ed25519KeyPair) {
        let ec = EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
        let ed = Ed25519KeyPair::generate().unwrap();
        let point = ec.public_key().as_ref();
        let jwks = json!({"keys": [
            {"kty": "EC", "crv": "P-256", "kid": "ec", "use": "sig",
             "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..65])},
            {"kty": "OKP", "crv": "Ed25519", "kid": "ed", "x": URL_SAFE_NO_PAD.encode(ed.public_key().as_ref())},
        ]});
        let header = "[realms.demo.clients.service]\n";
        let text = providers::world::DEFAULT_WORLD_TOML.replacen(header, &format!("{header}jwks = '{jwks}'\n"), 1);
        (World::from_toml_str(&text, "keys.toml").unwrap(), ec, ed)
    }

    fn signed(header: Value, claims: Value, sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    fn service_claims(jti: &str) -> Value {
        json!({ "iss": "service", "sub": "service", "aud": ISSUER, "exp": NOW + 60, "jti": jti })
    }

    #[test]
    fn private_key_jwt_verifies_against_the_client_s_registered_keys() {
        let (world, ec, ed) = world_with_keys();
        let cache = ReplayCache::default();
        let rng = SystemRandom::new();
        let es = |message: &[u8]| ec.sign(&rng, message).unwrap().as_ref().to_vec();
        let eddsa = |message: &[u8]| ed.sign(message).as_ref().to_vec();
        let realm = world.realm("demo").unwrap();
        let run =
            |token: &str| verify(realm, token, None, policy(Allowed::BOTH), NOW, &cache, None).map(|c| c.id.clone());

        let good = signed(json!({"alg": "ES256", "kid": "ec"}), service_claims("p-1"), es);
        assert_eq!(run(&good), Ok("service".to_owned()));
        assert_eq!(run(&good), Err(AssertionError::Replayed));
        let good = signed(json!({"alg": "EdDSA", "kid": "ed"}), service_claims("p-2"), eddsa);
        assert_eq!(run(&good), Ok("service".to_owned()));
        // Without a kid, the only key of the alg's type is used.
        let good = signed(json!({"alg": "ES256"}), service_claims("p-3"), es);
        assert_eq!(run(&good), Ok("service".to_owned()));

        let other = EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
        let forged = signed(json!({"alg": "ES256", "kid": "ec"}), service_claims("p-4"), |m| {
            other.sign(&rng, m).unwrap().as_ref().to_vec()
        });
        assert_eq!(run(&forged), Err(AssertionError::BadSignature));
        let unknown = signed(json!({"alg": "ES256", "kid": "nope"}), service_claims("p-5"), es);
        assert_eq!(run(&unknown), Err(AssertionError::UnknownKey));
        // The EC key named with an EdDSA alg: the key's type decides, and the signature fails
        // (as Keycloak 26.7.3 answers an RS256 header naming its EC key).
        let mismatched = signed(json!({"alg": "EdDSA", "kid": "ec"}), service_claims("p-6"), eddsa);
        assert_eq!(run(&mismatched), Err(AssertionError::BadSignature));
        // HS256 keyed by the client's secret, or by its public key text: a client with keys
        // never takes an HMAC.
        let hs = jwt(
            json!({"alg": "HS256", "kid": "ec"}),
            service_claims("p-7"),
            b"service-secret",
        );
        assert_eq!(run(&hs), Err(AssertionError::AlgNotAllowed));
        let public_text = serde_json::to_string(&realm.clients["service"].jwks).unwrap();
        let hs = jwt(json!({"alg": "HS256"}), service_claims("p-8"), public_text.as_bytes());
        assert_eq!(run(&hs), Err(AssertionError::AlgNotAllowed));
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(json!({"alg": "none", "kid": "ec"}).to_string()),
            URL_SAFE_NO_PAD.encode(service_claims("p-9").to_string())
        );
        assert_eq!(run(&none), Err(AssertionError::AlgNotAllowed));
        // A provider without private_key_jwt refuses a good one.
        let good = signed(json!({"alg": "ES256", "kid": "ec"}), service_claims("p-10"), es);
        let only_secret = Allowed {
            client_secret_jwt: true,
            private_key_jwt: false,
            jwks_uri: false,
        };
        assert_eq!(
            verify(realm, &good, None, policy(only_secret), NOW, &cache, None).map(|c| c.id.clone()),
            Err(AssertionError::AlgNotAllowed)
        );
    }

    /// Keycloak's rules at their edges (15 s of skew, 60 s from `iat`, one audience), as a
    /// real Keycloak 26.7.3 answered them (docs/providers.md, "Client assertions").
    #[test]
    fn keycloak_times_and_audiences_at_their_edges() {
        use providers::client_assertion::KEYCLOAK;
        let times = |claims: Value| check_times(claims.as_object().unwrap(), &KEYCLOAK, NOW);
        let good = json!({"exp": NOW + 60, "iat": NOW});
        assert!(times(good).is_ok());
        // exp passed: refused even within the skew once iat is there (no usable lifetime left).
        assert_eq!(
            times(json!({"exp": NOW - 5, "iat": NOW - 10})),
            Err(AssertionError::Expired)
        );
        assert_eq!(times(json!({"exp": NOW - 16})), Err(AssertionError::Expired));
        // iat up to 15 s ahead is skew; beyond, issued in the future.
        assert!(times(json!({"exp": NOW + 60, "iat": NOW + 15})).is_ok());
        assert_eq!(
            times(json!({"exp": NOW + 60, "iat": NOW + 16})),
            Err(AssertionError::IssuedInFuture)
        );
        assert_eq!(
            times(json!({"exp": NOW + 60, "nbf": NOW + 16})),
            Err(AssertionError::NotYetValid)
        );
        // A far exp is fine with a fresh iat; an iat older than 60 s is not.
        assert!(times(json!({"exp": NOW + 86_400, "iat": NOW})).is_ok());
        assert!(times(json!({"exp": NOW + 60, "iat": NOW - 60})).is_ok());
        assert_eq!(
            times(json!({"exp": NOW + 60, "iat": NOW - 61})),
            Err(AssertionError::IssuedTooLongAgo)
        );
        // Without iat, exp may lie at most 60 s ahead.
        assert!(times(json!({"exp": NOW + 60})).is_ok());
        assert_eq!(times(json!({"exp": NOW + 61})), Err(AssertionError::LifetimeTooLong));
        assert_eq!(times(json!({"iat": NOW})), Err(AssertionError::MissingExpiry));

        let keycloak = Policy {
            audiences: &[ISSUER, "http://127.0.0.1:1/token"],
            allowed: Allowed::BOTH,
            facts: &KEYCLOAK,
        };
        assert!(check_audience(Some(&json!([ISSUER])), keycloak).is_ok());
        assert_eq!(
            check_audience(Some(&json!([ISSUER, "http://127.0.0.1:1/token"])), keycloak),
            Err(AssertionError::MultipleAudiences)
        );
        assert_eq!(
            check_audience(Some(&json!("https://elsewhere")), keycloak),
            Err(AssertionError::WrongAudience)
        );
        assert_eq!(check_audience(None, keycloak), Err(AssertionError::WrongAudience));
        // The standard rules take several audiences, one of them this server.
        assert!(check_audience(Some(&json!(["https://elsewhere", ISSUER])), policy(Allowed::BOTH)).is_ok());
    }

    trait TapSub {
        fn tap_sub(self, sub: &str) -> Self;
    }

    impl TapSub for Value {
        fn tap_sub(mut self, sub: &str) -> Value {
            self["sub"] = json!(sub);
            self
        }
    }
}
