//! [`Guard`]: everything a resource server checks a request with: where the token is read
//! from (RFC 6750 §2), which validator (by exact issuer) or the introspector handles it, and
//! the rejection to answer.

use crate::dpop::{self, DpopError, DpopVerifier, ProofContext};
use crate::error::{ConfigError, InvalidToken, Rejection};
use crate::introspect::Introspector;
use crate::jose;
use crate::principal::Principal;
use crate::validator::{DEFAULT_MAX_TOKEN_BYTES, Validator};
use std::sync::Arc;

/// Which tokens go to the validators and which to introspection (RS-17).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Routing {
    /// JWTs only; an opaque token is refused. The default.
    #[default]
    JwtOnly,
    /// JWT-shaped tokens (three base64url segments) to the validators, anything else to the
    /// introspector.
    OpaqueToIntrospection,
    /// Every token to the introspector.
    IntrospectAll,
}

/// Builds a [`Guard`].
#[derive(Debug, Default)]
pub struct GuardBuilder {
    validators: Vec<Arc<Validator>>,
    introspector: Option<Arc<Introspector>>,
    routing: Routing,
    realm: Option<String>,
    allow_query: bool,
    dpop: Option<(Arc<DpopVerifier>, String)>,
}

impl GuardBuilder {
    /// Accept DPoP-bound tokens (RFC 9449) with the `DPoP` scheme, their proofs checked by
    /// `verifier`. `origin` is this server's public `scheme://host[:port]` (plus any path
    /// prefix a proxy strips): a proof's `htu` must equal `origin` + the request path.
    pub fn dpop(mut self, verifier: DpopVerifier, origin: impl Into<String>) -> Self {
        let origin: String = origin.into();
        self.dpop = Some((Arc::new(verifier), origin.trim_end_matches('/').to_owned()));
        self
    }

    /// Adds an issuer's validator. Tokens are routed by their exact `iss`; keys of one
    /// issuer never verify another's tokens.
    pub fn validator(mut self, validator: Validator) -> Self {
        self.validators.push(Arc::new(validator));
        self
    }

    /// The introspector for opaque tokens (see [`Routing`]).
    pub fn introspector(mut self, introspector: Introspector) -> Self {
        self.introspector = Some(Arc::new(introspector));
        self
    }

    /// The routing rule. Default [`Routing::JwtOnly`], or [`Routing::OpaqueToIntrospection`]
    /// once an introspector is set.
    pub fn routing(mut self, routing: Routing) -> Self {
        self.routing = routing;
        self
    }

    /// The `realm` of `WWW-Authenticate`. Default `api`.
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = Some(realm.into());
        self
    }

    /// Accept `?access_token=` when no header is sent (RFC 6750 §2.3, SHOULD NOT). Default off:
    /// a query token is answered `400 invalid_request`.
    pub fn allow_query_token(mut self, allow: bool) -> Self {
        self.allow_query = allow;
        self
    }

    /// Builds the guard.
    ///
    /// # Errors
    /// [`ConfigError::Empty`] without validators and introspector.
    pub fn build(self) -> Result<Guard, ConfigError> {
        if self.validators.is_empty() && self.introspector.is_none() {
            return Err(ConfigError::Empty);
        }
        let routing = match (self.routing, &self.introspector) {
            (Routing::JwtOnly, Some(_)) if self.validators.is_empty() => Routing::IntrospectAll,
            (Routing::JwtOnly, Some(_)) => Routing::OpaqueToIntrospection,
            (routing, _) => routing,
        };
        let max_token_bytes = self
            .validators
            .iter()
            .map(|v| v.max_token_bytes())
            .max()
            .unwrap_or(DEFAULT_MAX_TOKEN_BYTES);
        Ok(Guard {
            validators: self.validators,
            introspector: self.introspector,
            routing,
            realm: self.realm.unwrap_or_else(|| "api".into()),
            allow_query: self.allow_query,
            max_token_bytes,
            dpop: self.dpop,
        })
    }
}

/// Checks bearer tokens of requests. Share it as `Arc<Guard>` in the router state.
#[derive(Debug)]
pub struct Guard {
    validators: Vec<Arc<Validator>>,
    introspector: Option<Arc<Introspector>>,
    routing: Routing,
    realm: String,
    allow_query: bool,
    max_token_bytes: usize,
    dpop: Option<(Arc<DpopVerifier>, String)>,
}

/// The parts of a request a [`Guard`] reads (see [`Guard::authenticate_request`]).
#[derive(Debug, Clone, Copy)]
pub struct Presented<'a> {
    /// Every `Authorization` header value.
    pub authorization: &'a [&'a [u8]],
    /// Every `DPoP` header value.
    pub dpop: &'a [&'a [u8]],
    /// The request method.
    pub method: &'a str,
    /// The request path (no query).
    pub path: &'a str,
    /// The raw query string, if any.
    pub query: Option<&'a str>,
}

impl Guard {
    /// A builder.
    pub fn builder() -> GuardBuilder {
        GuardBuilder::default()
    }

    /// The `realm` of `WWW-Authenticate`.
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// The validators, one per issuer.
    pub fn validators(&self) -> &[Arc<Validator>] {
        &self.validators
    }

    /// Picks the bearer token out of the request: every `Authorization` header value and the
    /// raw query string (RFC 6750 §2.1, §2.3).
    ///
    /// # Errors
    /// [`Rejection::Missing`] without a bearer token, [`Rejection::InvalidRequest`] for a
    /// malformed `Authorization`, several of them, or a token in the query.
    pub fn bearer<'a>(&self, authorization: &[&'a [u8]], query: Option<&'a str>) -> Result<&'a str, Rejection> {
        let in_query = query.is_some_and(|q| q.split('&').any(|pair| pair.split('=').next() == Some("access_token")));
        let header = match authorization {
            [] => None,
            [one] => bearer_from_header(one)?,
            _ => return Err(Rejection::InvalidRequest("more than one Authorization header")),
        };
        match (header, in_query) {
            (Some(_), true) => Err(Rejection::InvalidRequest("token in both the header and the query")),
            (Some(token), false) => Ok(token),
            (None, true) if self.allow_query => query_token(query.unwrap_or_default()),
            (None, true) => Err(Rejection::InvalidRequest("access_token in the query is not accepted")),
            (None, false) => Err(Rejection::Missing),
        }
    }

    /// The accepted DPoP proof algorithms (the `algs` challenge attribute), if DPoP is on.
    pub fn dpop_algs(&self) -> Option<String> {
        self.dpop.as_ref().map(|(verifier, _)| verifier.algs())
    }

    /// Authenticates a request: a `DPoP`-scheme token with its proof when DPoP is configured,
    /// otherwise a bearer token (RFC 6750 §2). A DPoP-bound token (`cnf.jkt`) is never accepted
    /// as a bearer token.
    ///
    /// # Errors
    /// The rejection to answer.
    pub async fn authenticate_request(&self, request: &Presented<'_>) -> Result<Principal, Rejection> {
        if let Some((verifier, origin)) = &self.dpop
            && let [one] = request.authorization
            && let Some(token) = token_of_scheme(one, "dpop")?
        {
            return self.authenticate_dpop(verifier, origin, token, request).await;
        }
        let token = self.bearer(request.authorization, request.query)?;
        Ok(self.authenticate(token).await?)
    }

    async fn authenticate_dpop(
        &self,
        verifier: &DpopVerifier,
        origin: &str,
        token: &str,
        request: &Presented<'_>,
    ) -> Result<Principal, Rejection> {
        if request
            .query
            .is_some_and(|q| q.split('&').any(|pair| pair.split('=').next() == Some("access_token")))
        {
            return Err(Rejection::InvalidRequest("token in both the header and the query"));
        }
        let proof = match request.dpop {
            [] => return Err(DpopError::Missing.into()),
            [one] => std::str::from_utf8(one).map_err(|_| DpopError::Malformed)?,
            _ => return Err(DpopError::Multiple.into()),
        };
        let url = format!("{origin}{}", request.path);
        let context = ProofContext {
            method: request.method,
            url: &url,
            access_token: token,
        };
        let checked = verifier.check(proof, &context)?;
        let principal = self.authenticate_any(token).await?;
        match dpop::bound_jkt(&principal.claims) {
            Ok(Some(jkt)) if jkt == checked.jkt => {}
            Ok(Some(_)) => return Err(InvalidToken::DpopKeyMismatch.into()),
            Ok(None) => return Err(InvalidToken::NotDpopBound.into()),
            Err(()) => return Err(InvalidToken::ClaimType("cnf").into()),
        }
        verifier.accept(&checked)?;
        Ok(principal)
    }

    /// Validates a bearer `token`: opaque or JWT per the routing rule, JWTs by the validator
    /// of their exact `iss`. A DPoP-bound token (`cnf.jkt`) is refused (RFC 9449 §7.2).
    ///
    /// # Errors
    /// [`InvalidToken`]: the token is refused.
    pub async fn authenticate(&self, token: &str) -> Result<Principal, InvalidToken> {
        let principal = self.authenticate_any(token).await?;
        match dpop::bound_jkt(&principal.claims) {
            Ok(None) => Ok(principal),
            Ok(Some(_)) => Err(InvalidToken::DpopBoundAsBearer),
            Err(()) => Err(InvalidToken::ClaimType("cnf")),
        }
    }

    async fn authenticate_any(&self, token: &str) -> Result<Principal, InvalidToken> {
        if token.len() > self.max_token_bytes {
            return Err(InvalidToken::TooLarge);
        }
        let jwt = jose::is_jwt_shaped(token);
        match (self.routing, &self.introspector) {
            (Routing::IntrospectAll, Some(introspector)) => return introspector.introspect(token).await,
            (Routing::OpaqueToIntrospection, Some(introspector)) if !jwt => {
                return introspector.introspect(token).await;
            }
            _ if !jwt => return Err(InvalidToken::OpaqueNotAccepted),
            _ => {}
        }
        let compact = jose::parse(token)?;
        let claims = jose::object(&compact.payload)?;
        let validator = match self.validators.as_slice() {
            [only] => only,
            many => {
                let iss = claims.get("iss").and_then(serde_json::Value::as_str);
                many.iter()
                    .find(|v| Some(v.issuer()) == iss)
                    .ok_or(InvalidToken::Issuer)?
            }
        };
        validator.validate_parsed(&compact, claims).await
    }
}

/// The token of one `Authorization` value: `Bearer` (any case), one or more spaces, a
/// b64token (RFC 6750 §2.1), nothing after. `None` for another scheme (Basic credentials are
/// no bearer token: answered like a missing one).
fn bearer_from_header(value: &[u8]) -> Result<Option<&str>, Rejection> {
    token_of_scheme(value, "bearer")
}

/// The token of one `Authorization` value with `scheme` (lowercase; matched in any case);
/// `None` for another scheme. The same strict grammar for `Bearer` and `DPoP` (RFC 9449 §7.1).
fn token_of_scheme<'a>(value: &'a [u8], scheme_name: &str) -> Result<Option<&'a str>, Rejection> {
    let malformed = Rejection::InvalidRequest("malformed Authorization header");
    let value = std::str::from_utf8(value).map_err(|_| malformed.clone())?;
    // RFC 9110 §5.5: surrounding whitespace is not part of the field value.
    let value = value.trim_matches([' ', '\t']);
    let (scheme, rest) = match value.split_once([' ', '\t']) {
        Some((scheme, rest)) => (scheme, Some(rest)),
        None => (value, None),
    };
    if !scheme.eq_ignore_ascii_case(scheme_name) {
        return Ok(None);
    }
    let Some(rest) = rest else {
        return Err(malformed);
    };
    // Only SP separates scheme and token (RFC 6750 §2.1 `1*SP`); a tab anywhere is malformed.
    if value.contains('\t') {
        return Err(malformed);
    }
    let token = rest.trim_start_matches(' ');
    if token.is_empty() || !is_b64token(token) {
        return Err(malformed);
    }
    Ok(Some(token))
}

/// `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/'))
}

fn query_token(query: &str) -> Result<&str, Rejection> {
    let mut tokens = query.split('&').filter_map(|pair| pair.strip_prefix("access_token="));
    match (tokens.next(), tokens.next()) {
        (Some(token), None) if is_b64token(token) => Ok(token),
        _ => Err(Rejection::InvalidRequest("malformed access_token parameter")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_is_case_insensitive_and_the_grammar_is_strict() {
        assert_eq!(bearer_from_header(b"Bearer abc"), Ok(Some("abc")));
        assert_eq!(bearer_from_header(b"bEaReR abc"), Ok(Some("abc")));
        assert_eq!(bearer_from_header(b"Bearer  abc"), Ok(Some("abc")));
        assert_eq!(bearer_from_header(b" Bearer abc "), Ok(Some("abc")));
        assert_eq!(bearer_from_header(b"Basic abc"), Ok(None));
        for bad in [
            &b"Bearer"[..],
            b"Bearer ",
            b"Bearer abc def",
            b"Bearer\tabc",
            b"Bearer a\"b",
            b"Bearer \xff",
        ] {
            assert!(bearer_from_header(bad).is_err(), "{bad:?}");
        }
    }
}
