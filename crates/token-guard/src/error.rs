//! Why a request was refused: [`Rejection`] (what the client is told) and [`InvalidToken`]
//! (why a presented token was not accepted). Descriptions are fixed strings: they never carry
//! the token, a key, a signature or anything else taken from the request.

/// Why a presented token was not accepted. Every variant answers `401 invalid_token`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidToken {
    /// The token is longer than the configured maximum (checked before any decoding).
    #[error("token too large")]
    TooLarge,
    /// Not a compact JWS: wrong segment count, bad base64url, bad JSON, not an object.
    #[error("malformed token")]
    Malformed,
    /// A JSON object in the token repeats a member name.
    #[error("duplicate JSON member")]
    DuplicateMember,
    /// The header `alg` is not in the allowlist (or is `none`, unknown, or not a string).
    #[error("algorithm not allowed")]
    AlgorithmNotAllowed,
    /// The header `typ` does not match the configured access-token type.
    #[error("wrong token type (typ)")]
    Typ,
    /// The header carries `crit`, `b64`, `enc`, `zip` or a nested-JWT `cty`: not supported.
    #[error("unsupported JOSE header parameter")]
    UnsupportedHeader,
    /// No usable key for the `kid` (and `alg`) in the issuer's key set.
    #[error("unknown signing key")]
    UnknownKey,
    /// No key set could be obtained and none is cached within the staleness bound.
    #[error("signing keys unavailable")]
    KeysUnavailable,
    /// The signature does not verify.
    #[error("invalid signature")]
    Signature,
    /// `iss` is missing, not a string, or not exactly the configured issuer.
    #[error("issuer mismatch")]
    Issuer,
    /// `aud` is missing, of the wrong type, or does not name this resource server.
    #[error("audience mismatch")]
    Audience,
    /// `exp` has passed (beyond the leeway).
    #[error("token expired")]
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    #[error("token not yet valid")]
    NotYetValid,
    /// `iat` is in the future (beyond the leeway).
    #[error("token issued in the future")]
    IssuedInFuture,
    /// A required claim is missing.
    #[error("missing required claim `{0}`")]
    MissingClaim(&'static str),
    /// A claim has the wrong JSON type or an out-of-range value.
    #[error("claim `{0}` has the wrong type or value")]
    ClaimType(&'static str),
    /// The token is an ID, refresh or logout token (or another non-access token).
    #[error("not an access token")]
    NotAnAccessToken,
    /// An opaque token arrived and introspection is not configured for it.
    #[error("opaque tokens are not accepted")]
    OpaqueNotAccepted,
    /// The introspection endpoint said the token is not active.
    #[error("token not active")]
    Inactive,
    /// The introspection endpoint could not be reached or answered unexpectedly.
    #[error("token could not be introspected")]
    IntrospectionFailed,
    /// A DPoP-bound token (`cnf.jkt`) was presented with the `Bearer` scheme (RFC 9449 §7.2).
    #[error("DPoP-bound token presented as a bearer token")]
    DpopBoundAsBearer,
    /// A token without `cnf.jkt` was presented with the `DPoP` scheme.
    #[error("token is not DPoP-bound")]
    NotDpopBound,
    /// The proof's key thumbprint is not the token's `cnf.jkt`.
    #[error("DPoP key binding mismatch")]
    DpopKeyMismatch,
}

/// What a protected resource answers instead of the handler (RFC 6750 §3).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// No bearer token was presented: `401` with a bare `Bearer realm=".."` challenge.
    #[error("no bearer token")]
    Missing,
    /// The request is malformed (token in two places, a broken `Authorization` header):
    /// `400 invalid_request`.
    #[error("invalid_request: {0}")]
    InvalidRequest(&'static str),
    /// The token was presented and refused: `401 invalid_token`.
    #[error("invalid_token: {0}")]
    InvalidToken(#[from] InvalidToken),
    /// The DPoP proof was refused: `401 invalid_dpop_proof` (RFC 9449 §7.1).
    #[error("invalid_dpop_proof: {0}")]
    InvalidDpopProof(#[from] crate::dpop::DpopError),
    /// The token is valid but lacks what the resource needs: `403 insufficient_scope`.
    #[error("insufficient_scope")]
    InsufficientScope {
        /// Scopes that would be enough, space-separated (the `scope` attribute), if any.
        scope: Option<String>,
        /// A human-readable statement of what is missing (names of scopes/roles only).
        description: String,
    },
}

impl Rejection {
    /// The HTTP status this rejection answers with.
    pub fn status(&self) -> u16 {
        match self {
            Rejection::Missing | Rejection::InvalidToken(_) | Rejection::InvalidDpopProof(_) => 401,
            Rejection::InvalidRequest(_) => 400,
            Rejection::InsufficientScope { .. } => 403,
        }
    }

    /// The RFC 6750 `error` code, `None` for a missing token.
    pub fn error_code(&self) -> Option<&'static str> {
        match self {
            Rejection::Missing => None,
            Rejection::InvalidRequest(_) => Some("invalid_request"),
            Rejection::InvalidToken(_) => Some("invalid_token"),
            Rejection::InvalidDpopProof(_) => Some("invalid_dpop_proof"),
            Rejection::InsufficientScope { .. } => Some("insufficient_scope"),
        }
    }

    /// The `error_description`: a fixed text that never echoes request data.
    pub fn description(&self) -> Option<String> {
        match self {
            Rejection::Missing => None,
            Rejection::InvalidRequest(reason) => Some((*reason).to_owned()),
            Rejection::InvalidToken(reason) => Some(reason.to_string()),
            Rejection::InvalidDpopProof(reason) => Some(reason.to_string()),
            Rejection::InsufficientScope { description, .. } => Some(description.clone()),
        }
    }

    /// The `DPoP` challenge (RFC 9449 §7.1): `DPoP algs="…"` with this rejection's `error`,
    /// `error_description` and `scope`, for a resource server accepting DPoP with `algs`.
    pub fn dpop_challenge(&self, algs: &str) -> String {
        let mut value = format!("DPoP algs=\"{}\"", quoted(algs));
        self.push_params(&mut value);
        value
    }

    fn push_params(&self, value: &mut String) {
        if let Some(code) = self.error_code() {
            value.push_str(&format!(", error=\"{code}\""));
        }
        if let Some(description) = self.description() {
            value.push_str(&format!(", error_description=\"{}\"", quoted(&description)));
        }
        if let Rejection::InsufficientScope { scope: Some(scope), .. } = self {
            value.push_str(&format!(", scope=\"{}\"", quoted(scope)));
        }
    }

    /// The `WWW-Authenticate` header value for `realm`.
    pub fn www_authenticate(&self, realm: &str) -> String {
        let mut value = format!("Bearer realm=\"{}\"", quoted(realm));
        self.push_params(&mut value);
        value
    }

    /// The JSON error body (`None` for a missing token, which gets an empty body).
    pub fn body(&self) -> Option<serde_json::Value> {
        let code = self.error_code()?;
        let mut body = serde_json::json!({ "error": code });
        if let Some(description) = self.description() {
            body["error_description"] = serde_json::Value::String(description);
        }
        if let Rejection::InsufficientScope { scope: Some(scope), .. } = self {
            body["scope"] = serde_json::Value::String(scope.clone());
        }
        Some(body)
    }
}

/// Keeps a value safe inside a quoted-string of an auth-param (RFC 9110 §5.6.4; RFC 6750 §3
/// restricts values to %x20-21 / %x23-5B / %x5D-7E, the `error_description` set).
fn quoted(value: &str) -> String {
    idp_jose::description::sanitize(value)
}

/// A configuration the guard refuses to run with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The algorithm allowlist is empty.
    #[error("the algorithm allowlist is empty")]
    NoAlgorithms,
    /// Leeway above 60 seconds.
    #[error("leeway must be at most 60 seconds")]
    LeewayTooLarge,
    /// No audience was configured.
    #[error("an audience is required")]
    NoAudience,
    /// A URL is not absolute, not http(s), or plain http to a non-loopback host.
    #[error("unacceptable URL `{0}`: https required (http only for loopback)")]
    Url(String),
    /// A static key set could not be used.
    #[error("static key set: {0}")]
    Keys(#[source] crate::keys::JwksError),
    /// The guard has no validator and no introspector.
    #[error("the guard has nothing to validate tokens with")]
    Empty,
}
