//! Client authentication by a signed JWT (`private_key_jwt`, `client_secret_jwt`; RFC 7523 §2.2
//! and §3, OIDC Core §9) as each provider checks it: which audiences it takes, how much clock
//! skew and lifetime it allows, and how it words each refusal.
//! [`Quirks::client_assertion`](crate::Quirks::client_assertion) holds a provider's rules.
//!
//! Sources (docs/providers.md, "Client assertions"):
//! - Keycloak 26.7.3, a real run (`idp-conformance start keycloak-dist --world
//!   fixtures/worlds/client-keys.toml`, assertions sent by hand) for every refusal text and
//!   audience here; the order and the numbers from keycloak/keycloak
//!   `services/.../authenticators/client/AbstractJWTClientValidator.java` (`validate`),
//!   `AbstractBaseJWTValidator.java` (`validateTokenActive`, `validateTokenAudience`),
//!   `JWTClientValidator.java` (15 s of skew; the audiences; `token.endpoint.auth.signing.max.exp`,
//!   60 s by default, in `OIDCAdvancedConfigWrapper`) and `JWTClientAuthenticator.java` (the
//!   signature text).
//! - ZITADEL: zitadel/oidc `pkg/op/verifier_jwt_profile.go` (`VerifyJWTAssertion`: `aud` must
//!   contain the issuer) and zitadel's `NewJWTProfileVerifierKeySet(…, time.Hour, …)`.
//! - WSO2 IS 7: wso2-extensions/identity-oauth-addons `component/client-handler`
//!   (`JWTValidator.isValidAssertion`: the mandatory claims `iss sub aud exp jti`,
//!   `getValidAudiences` — the resident IdP's entity id, which is the token endpoint URL and the
//!   issuer, and the PAR endpoint; any one of several audiences; `validateJWTWithExpTime` —
//!   `now + skew > exp` is expired; `validateNotBeforeClaim`; `validateAgeOfTheToken` — 300
//!   minutes, `DEFAULT_VALIDITY_PERIOD_IN_MINUTES`; `isValidSignature` — the app's certificate
//!   or its `jwks_uri`) with the skew of `OAuthServerConfiguration` (300 s in code, but IS 7 ships
//!   `oauth.timestamp_skew = "0m"` in the identity framework's `default.json`, as product-is'
//!   7.1 test artifacts `<TimestampSkew>0</TimestampSkew>`); every refusal is an
//!   `OAuthClientAuthnException` with `invalid_request`. Read, not run.
//! - Standard: RFC 7523 §3 (the token endpoint, or the issuer, in `aud`).

use crate::Endpoint;
use crate::error::ErrorResponse;

/// Why a client assertion was refused, in the order [`AssertionFacts`] checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AssertionRefusal {
    /// Not a compact JWS of JSON objects, or too long.
    #[error("client_assertion is not a well-formed JWT")]
    Malformed,
    /// `client_assertion_type` is missing or not the JWT bearer type.
    #[error("client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer")]
    WrongType,
    /// `iss` and `sub` are not both the client id (or `client_id` names another client).
    #[error("client_assertion iss and sub must both be the client_id")]
    WrongSubject,
    /// No client with that id.
    #[error("unknown client")]
    UnknownClient,
    /// The header's `alg` is `none`, not one the client's credential can verify.
    #[error("client_assertion alg is not allowed for this client")]
    AlgNotAllowed,
    /// No key of the client's `jwks` fits the assertion's `kid` and `alg`.
    #[error("no registered key of the client matches the client_assertion kid and alg")]
    UnknownKey,
    /// The client's `jwks_uri` gave no usable key set.
    #[error("the client's jwks_uri gave no usable key set")]
    KeysUnavailable,
    /// The signature does not verify with the client's key.
    #[error("client_assertion signature is invalid")]
    BadSignature,
    /// The MAC does not verify with the client's secret (`client_secret_jwt`).
    #[error("client_assertion MAC does not verify with the client's secret")]
    BadSecretSignature,
    /// `aud` names none of the accepted audiences.
    #[error("client_assertion aud does not name this server")]
    WrongAudience,
    /// `aud` names more than one audience where the provider takes one only.
    #[error("client_assertion aud must name one audience")]
    MultipleAudiences,
    /// No numeric `exp`.
    #[error("client_assertion has no exp")]
    MissingExpiry,
    /// `exp` has passed (beyond the allowed skew).
    #[error("client_assertion has expired")]
    Expired,
    /// `nbf` lies ahead (beyond the allowed skew).
    #[error("client_assertion is not yet valid (nbf)")]
    NotYetValid,
    /// `iat` lies ahead (beyond the allowed skew).
    #[error("client_assertion was issued in the future (iat)")]
    IssuedInFuture,
    /// `iat` lies further back than the provider's maximum lifetime.
    #[error("client_assertion was issued too long ago (iat)")]
    IssuedTooLongAgo,
    /// `exp` lies further ahead than the provider's maximum lifetime (counted from now).
    #[error("client_assertion exp lies too far ahead")]
    LifetimeTooLong,
    /// No string `jti`.
    #[error("client_assertion has no jti")]
    MissingJti,
    /// The `jti` was already used.
    #[error("client_assertion was already used (jti replay)")]
    Replayed,
    /// The replay cache is full of unexpired entries (the mock's own bound; fails closed).
    #[error("too many client assertions in flight; try again later")]
    CacheFull,
    /// A client that authenticates with a signed JWT sent its secret instead.
    #[error("this client authenticates with a client_assertion")]
    AssertionRequired,
    /// A client assertion from a client registered for another method (an HMAC assertion of
    /// a client whose method is its secret in Basic or the body).
    #[error("the client is not registered for client_secret_jwt")]
    MethodNotRegistered,
}

/// How much lifetime an assertion may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxLifetime {
    /// `exp` at most this many seconds from now, `iat` or not (ZITADEL's hour; the mock's
    /// standard rule).
    FromNow(u64),
    /// Keycloak's `max.exp`: an assertion with `iat` is used at most this many seconds after
    /// it; one without `iat` may not have `exp` further ahead than this.
    FromIssuedAt(u64),
    /// WSO2's "reject before" period: an `iat`, when present, at most this many seconds old
    /// (skew included); `exp` may lie any distance ahead.
    IssuedAtAge(u64),
}

/// How `exp` and `nbf` are compared with the clock (and the skew).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryRule {
    /// Expired once `exp` + skew has passed, not yet valid while `nbf` lies beyond now + skew
    /// (Keycloak, RFC 7519 §4.1.4's leeway).
    Tolerant,
    /// WSO2's comparisons: expired when `now + skew > exp` (`validateJWTWithExpTime`; with a
    /// skew, an assertion living less than it is always refused), not yet valid when
    /// `now + skew - nbf <= 0` (`validateNotBeforeClaim`).
    Strict,
}

/// Who words the refusals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssertionStyle {
    /// Keycloak's texts: `400 invalid_client` with the validator's words; what does not name a
    /// client of the realm as a signed-JWT client, `401 invalid_client` "Invalid client or
    /// Invalid client credentials".
    Keycloak,
    /// WSO2's texts: `400 invalid_request` with `JWTValidator`'s words where they name no
    /// value from the assertion; the flavor's answers otherwise.
    Wso2,
    /// The flavor's own client-authentication errors (its unknown-client and bad-secret
    /// answers, `invalid_request` for a malformed assertion) with the mock's descriptions.
    Flavor,
}

/// A provider's rules for client assertions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssertionFacts {
    /// The endpoints whose URL `aud` may name besides (when [`Self::issuer_audience`]) the
    /// issuer.
    pub audience_endpoints: &'static [Endpoint],
    /// Whether the issuer identifier is an accepted audience.
    pub issuer_audience: bool,
    /// Paths below the issuer that are accepted audiences though the mock serves no endpoint
    /// there (Keycloak's CIBA backchannel authentication endpoint).
    pub issuer_relative_audiences: &'static [&'static str],
    /// Whether the URL of the endpoint called is an accepted audience too (RFC 7523 §3).
    pub called_endpoint_audience: bool,
    /// Whether `aud` may name several audiences (one of them accepted).
    pub multiple_audiences: bool,
    /// Seconds of clock skew allowed on `exp`, `nbf` and `iat`.
    pub skew_secs: u64,
    /// The lifetime rule.
    pub max_lifetime: MaxLifetime,
    /// How the skew applies to `exp`.
    pub expiry_rule: ExpiryRule,
    /// Whether each client authenticates by its one method ([`crate::Client::auth_method`];
    /// Keycloak's client authenticator): a client with keys or registered for
    /// `client_secret_jwt` has its secret refused ([`AssertionRefusal::AssertionRequired`]), and
    /// an HMAC assertion of a client registered for its secret is refused
    /// ([`AssertionRefusal::MethodNotRegistered`]).
    pub one_method_per_client: bool,
    /// Whether HTTP Basic credentials sent beside a `client_assertion` are ignored (Keycloak:
    /// the signed-JWT authenticator reads the assertion only); refused as a second method
    /// otherwise (RFC 6749 §2.3).
    pub ignores_basic_beside_assertion: bool,
    /// How refusals are worded.
    pub style: AssertionStyle,
}

/// RFC 7523 as the mock reads it: the issuer, the token endpoint or the endpoint called, one
/// or more audiences, no skew, `exp` at most an hour ahead.
pub const STANDARD: AssertionFacts = AssertionFacts {
    audience_endpoints: &[Endpoint::Token],
    issuer_audience: true,
    issuer_relative_audiences: &[],
    called_endpoint_audience: true,
    multiple_audiences: true,
    skew_secs: 0,
    max_lifetime: MaxLifetime::FromNow(3600),
    expiry_rule: ExpiryRule::Tolerant,
    one_method_per_client: false,
    ignores_basic_beside_assertion: false,
    style: AssertionStyle::Flavor,
};

/// Keycloak 26.7.3 (`JWTClientValidator`): the issuer, the token, introspection and PAR
/// endpoints (and CIBA's, which the mock does not serve); one audience; 15 s of skew; 60 s
/// from `iat`.
pub const KEYCLOAK: AssertionFacts = AssertionFacts {
    audience_endpoints: &[Endpoint::Token, Endpoint::Introspect, Endpoint::PushedAuthorization],
    issuer_audience: true,
    issuer_relative_audiences: &["/protocol/openid-connect/ext/ciba/auth"],
    called_endpoint_audience: false,
    multiple_audiences: false,
    skew_secs: 15,
    max_lifetime: MaxLifetime::FromIssuedAt(60),
    expiry_rule: ExpiryRule::Tolerant,
    one_method_per_client: true,
    ignores_basic_beside_assertion: true,
    style: AssertionStyle::Keycloak,
};

/// ZITADEL (zitadel/oidc `VerifyJWTAssertion`): `aud` must contain the issuer; an hour.
pub const ZITADEL: AssertionFacts = AssertionFacts {
    audience_endpoints: &[],
    called_endpoint_audience: false,
    ..STANDARD
};

/// WSO2 IS 7 (`JWTValidator`): the issuer (its token endpoint) or the PAR endpoint, several
/// audiences, no skew as IS 7 ships it (`exp` must lie ahead of now, strictly by WSO2's rule),
/// an `iat` at most 300 minutes old.
pub const WSO2: AssertionFacts = AssertionFacts {
    audience_endpoints: &[Endpoint::Token, Endpoint::PushedAuthorization],
    issuer_audience: true,
    issuer_relative_audiences: &[],
    called_endpoint_audience: false,
    multiple_audiences: true,
    skew_secs: 0,
    max_lifetime: MaxLifetime::IssuedAtAge(300 * 60),
    expiry_rule: ExpiryRule::Strict,
    one_method_per_client: false,
    ignores_basic_beside_assertion: false,
    style: AssertionStyle::Wso2,
};

/// Keycloak's answer to a request that names no signed-JWT client it can authenticate.
const KEYCLOAK_INVALID_CLIENT: &str = "Invalid client or Invalid client credentials";

impl AssertionFacts {
    /// Keycloak's answer to `refusal`; `None` for [`AssertionStyle::Flavor`], whose answers
    /// come from the flavor's client-authentication errors ([`Self::flavor_kind`]).
    pub fn error_response(&self, refusal: AssertionRefusal) -> Option<ErrorResponse> {
        match self.style {
            AssertionStyle::Keycloak => Some(keycloak_response(refusal)),
            AssertionStyle::Wso2 => wso2_response(refusal),
            AssertionStyle::Flavor => None,
        }
    }

    /// The client-authentication error a [`AssertionStyle::Flavor`] provider answers `refusal`
    /// with.
    pub fn flavor_kind(refusal: AssertionRefusal) -> crate::ErrorKind {
        match refusal {
            AssertionRefusal::Malformed | AssertionRefusal::WrongType => crate::ErrorKind::MalformedRequest,
            AssertionRefusal::UnknownClient => crate::ErrorKind::UnknownClient { basic: false },
            _ => crate::ErrorKind::BadClientSecret { basic: false },
        }
    }
}

/// Keycloak's answer to `refusal` (a real run's words).
fn keycloak_response(refusal: AssertionRefusal) -> ErrorResponse {
    use AssertionRefusal as R;
    let description = match refusal {
        // Keycloak's authenticators ignore an assertion of a client with another
        // authenticator: no authenticator succeeds.
        R::Malformed | R::WrongType | R::WrongSubject | R::UnknownClient | R::MethodNotRegistered => {
            return ErrorResponse::json(401, "invalid_client", KEYCLOAK_INVALID_CLIENT, None);
        }
        R::AlgNotAllowed => "Invalid signature algorithm",
        R::UnknownKey | R::KeysUnavailable => "Unable to load public key",
        R::BadSignature => "Client authentication with signed JWT failed: Signature on JWT token failed validation",
        // JWTClientSecretAuthenticator: its own code, and the client secret's (empty) name
        // between two spaces (a real run).
        R::BadSecretSignature => {
            return ErrorResponse::json(
                400,
                "unauthorized_client",
                "Client authentication with client secret signed JWT failed: Signature on JWT token by client secret  failed validation",
                None,
            );
        }
        R::WrongAudience => "Invalid token audience",
        R::MultipleAudiences => "Multiple audiences not allowed",
        R::MissingExpiry => "Token exp claim is required",
        R::Expired | R::NotYetValid => "Token is not active",
        R::IssuedInFuture => "Token was issued in the future",
        R::IssuedTooLongAgo => "Token was issued too far in the past to be used now",
        R::LifetimeTooLong => "Token expiration is too far in the future and iat claim not present in token",
        R::MissingJti => "Token jti claim is required",
        R::Replayed => "Token reuse detected",
        R::AssertionRequired => "Parameter client_assertion_type is missing",
        // The mock's own bound: Keycloak has no such refusal.
        R::CacheFull => "too many client assertions in flight; try again later",
    };
    ErrorResponse::json(400, "invalid_client", description, None)
}

/// WSO2's answer to `refusal` (`JWTValidator`'s words), where they name no value of the
/// assertion; `None` (the flavor's answer) otherwise.
fn wso2_response(refusal: AssertionRefusal) -> Option<ErrorResponse> {
    use AssertionRefusal as R;
    let description = match refusal {
        R::Malformed => "Error while parsing the JWT.",
        R::WrongAudience => "Failed to match audience values.",
        R::MissingExpiry => "Mandatory field :exp is missing in the JWT assertion.",
        R::MissingJti => "Mandatory field :jti is missing in the JWT assertion.",
        R::NotYetValid => "The token is used before the nbf claim value.",
        R::IssuedTooLongAgo => "The jwt is too old to use.",
        // "JWT Token is expired. Expired Time: <Java Date>": the mock stops before the date.
        R::Expired => "JWT Token is expired.",
        _ => return None,
    };
    Some(ErrorResponse::json(400, "invalid_request", description, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keycloak_words_validator_refusals_as_400_and_unknown_clients_as_401() {
        let audience = KEYCLOAK.error_response(AssertionRefusal::WrongAudience).unwrap();
        assert_eq!(audience.status, 400);
        assert_eq!(audience.body.as_ref().unwrap()["error"], "invalid_client");
        assert_eq!(
            audience.body.as_ref().unwrap()["error_description"],
            "Invalid token audience"
        );
        let unknown = KEYCLOAK.error_response(AssertionRefusal::WrongSubject).unwrap();
        assert_eq!(unknown.status, 401);
        assert_eq!(
            unknown.body.as_ref().unwrap()["error_description"],
            KEYCLOAK_INVALID_CLIENT
        );
        assert!(STANDARD.error_response(AssertionRefusal::WrongAudience).is_none());
    }
}
