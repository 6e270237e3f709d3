//! Token exchange (RFC 8693) as each provider implements it: which requests it refuses and how
//! it words each refusal. [`Quirks::token_exchange`](crate::Quirks::token_exchange) is `None`
//! where the provider (or the mock's imitation of it) has no token exchange.
//!
//! Sources (docs/providers.md, "Token exchange"):
//! - Keycloak standard token exchange v2: keycloak/keycloak
//!   `services/.../protocol/oidc/tokenexchange/StandardTokenExchangeProvider.java` (`supports`,
//!   `processSubjectToken`, `validateAudience`, `getRequestedScope`, `getRequestedTokenType`,
//!   `checkRequestedAudiences`), `AbstractTokenExchangeProvider.java`
//!   (`getTargetAudienceClients`, `forbiddenIfClientIsNotWithinTokenAudience`) and the texts
//!   `StandardTokenExchangeV2Test` asserts (`testExchangeDisabledOnClient`).
//! - ZITADEL: zitadel/zitadel `internal/api/oidc/token_exchange.go` (`tokenExchange`,
//!   `verifyExchangeToken`, `validateTokenExchangeAudience`, `validateUnionTokenExchangeScopes`,
//!   `createExchangeTokens`) and `error.go` (`oidcError`: a ZITADEL error's message key as the
//!   description), zitadel/oidc `pkg/op/server_http.go` (`tokenExchangeHandler`, `withClient`)
//!   and `pkg/op/auth_request.go` (`ValidateAuthReqScopes`).
//! - WSO2 IS 7: wso2-extensions/identity-oauth2-grant-token-exchange v1.1.12 (pinned by
//!   product-is v7.1.0) `TokenExchangeGrantHandler` (`validateGrant`, `handleJWTSubjectToken`,
//!   `validateMandatoryClaims`, `validateAudience`, `checkJWTValidity`), `TokenExchangeUtils`
//!   (`getSignedJWT`, `getIDP`, the time checks' words, `setAuthorizedUserForImpersonation`),
//!   `Constants` (60 minutes of `iat`); impersonation: `isImpersonationRequest`,
//!   `validateSubjectToken`, `validateActorToken`, `validateTokenIssuer`, `getScopes`;
//!   Oltu's "Missing parameters: …" for the validator's required parameters.
//! - Generic: RFC 8693 §2.2.2 (`invalid_request`, `invalid_target`).

use crate::Provider;
use crate::error::{ErrorResponse, sanitize_description};

/// `urn:ietf:params:oauth:token-type:access_token` (RFC 8693 §3).
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
/// `urn:ietf:params:oauth:token-type:id_token` (RFC 8693 §3).
pub const ID_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:id_token";
/// `urn:ietf:params:oauth:token-type:refresh_token` (RFC 8693 §3).
pub const REFRESH_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:refresh_token";
/// `urn:ietf:params:oauth:token-type:jwt` (RFC 8693 §3).
pub const JWT_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:jwt";
/// ZITADEL's own subject token type: a user id, for impersonation (`UserIDTokenType`).
pub const ZITADEL_USER_ID_TOKEN_TYPE: &str = "urn:zitadel:params:oauth:token-type:user_id";

/// The token types ZITADEL knows (zitadel/oidc `AllTokenTypes` plus its user id type): any
/// other `subject_token_type`, `actor_token_type` or `requested_token_type` is refused before
/// the tokens are looked at.
pub const ZITADEL_TOKEN_TYPES: [&str; 5] = [
    ACCESS_TOKEN_TYPE,
    REFRESH_TOKEN_TYPE,
    ID_TOKEN_TYPE,
    JWT_TOKEN_TYPE,
    ZITADEL_USER_ID_TOKEN_TYPE,
];

/// Why a token exchange request is refused, in the order Keycloak checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExchangeRefusal {
    /// A parameter of a kind of exchange the provider does not do here (`requested_subject`:
    /// impersonation, `requested_issuer`/`subject_issuer`: federated exchange).
    UnsupportedParameter {
        /// The parameter's name.
        name: &'static str,
    },
    /// The client may not exchange tokens (Keycloak: `standard.token.exchange.enabled` off).
    NotEnabled,
    /// No `subject_token`.
    MissingSubjectToken,
    /// No `subject_token_type`.
    MissingSubjectTokenType,
    /// `subject_token_type` is not the access token type.
    SubjectTokenTypeNotAccessToken,
    /// The subject token is not a live access token of this realm.
    InvalidSubjectToken,
    /// `requested_token_type` names a type the provider does not issue here.
    RequestedTokenTypeUnsupported,
    /// `audience` names no client of the realm.
    AudienceNotFound,
    /// A public client asked.
    PublicClient,
    /// The client is neither the subject token's holder (`azp`) nor in its `aud`.
    NotInSubjectAudience,
    /// `scope` asks for a scope the client does not have.
    InvalidScopes {
        /// The `scope` parameter as sent.
        scope: String,
    },
    /// A requested audience would not be in the new token's `aud`.
    AudienceNotAvailable {
        /// The missing audiences, comma-separated.
        audiences: String,
    },
    /// `subject_token_type` names a type the provider does not know (ZITADEL).
    SubjectTokenTypeUnknown,
    /// `actor_token_type` names a type the provider does not know (ZITADEL).
    ActorTokenTypeUnknown,
    /// A `resource` parameter (ZITADEL takes `audience` only).
    ResourceUnsupported,
    /// The request would impersonate (an actor token, or a subject given as a user id or a
    /// JWT) where the instance's security policy does not allow it (ZITADEL's default).
    ImpersonationDisabled,
    /// The actor token is missing, of a type not taken as an actor, or not valid (ZITADEL).
    InvalidActorToken,
    /// The actor may not impersonate the subject (ZITADEL's `impersonation` permission).
    ImpersonationNotPermitted,
    /// An `audience` value the subject token does not have (ZITADEL).
    AudienceNotInSubject {
        /// The value.
        audience: String,
    },
    /// A `scope` value the subject token does not have (ZITADEL).
    ScopeNotInSubject {
        /// The value.
        scope: String,
    },
    /// No scope at all: neither requested nor on the subject token (ZITADEL).
    ScopeMissing,
    /// The scopes lack `openid` (ZITADEL).
    OpenidMissing,
    /// `requested_token_type` is a known type the provider does not issue (ZITADEL: a refresh
    /// token or a user id), found when the tokens are made.
    RequestedTokenTypeNotIssued,
    /// A refusal in WSO2's own words.
    Wso2(Wso2ExchangeRefusal),
}

/// Why WSO2's token exchange refuses a request, in `TokenExchangeGrantHandler`'s order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wso2ExchangeRefusal {
    /// Required parameters missing (`subject_token`, `subject_token_type`), space-separated.
    MissingParameters(String),
    /// `requested_token_type` other than the JWT or access token type.
    RequestedType(String),
    /// `subject_token_type` other than JWT, or the access token type for a token that is no JWT.
    SubjectType(String),
    /// The subject token does not parse as a JWT.
    NotJwt,
    /// A mandatory claim is missing: `iss`, `exp`, `sub` or `aud`.
    MandatoryClaim(&'static str),
    /// No identity provider of the realm (nor WSO2 itself) issues `iss`.
    UnknownIssuer(String),
    /// The signature does not verify with the issuer's keys.
    BadSignature,
    /// Expired: `exp`, now and the skew, in milliseconds.
    Expired {
        /// `exp`, ms.
        exp_ms: u64,
        /// The skew, ms.
        skew_ms: u64,
        /// Now, ms.
        now_ms: u64,
    },
    /// Not yet valid: `nbf`, now and the skew, in milliseconds.
    NotYetValid {
        /// `nbf`, ms.
        nbf_ms: u64,
        /// The skew, ms.
        skew_ms: u64,
        /// Now, ms.
        now_ms: u64,
    },
    /// Issued too long ago: `iat`, the limit, now and the skew, in milliseconds.
    TooOld {
        /// `iat`, ms.
        iat_ms: u64,
        /// The limit, ms.
        limit_ms: u64,
        /// The skew, ms.
        skew_ms: u64,
        /// Now, ms.
        now_ms: u64,
    },
    /// `aud` names neither WSO2's token endpoint nor the issuer's alias.
    Audience,
    /// Impersonation (an actor token) for a subject token without `may_act.sub`.
    NoImpersonator,
    /// Impersonation with an empty subject or actor token (WSO2 says "subject" for either).
    NoValidToken,
    /// Impersonation: the subject token's signature does not verify.
    SubjectSignature,
    /// Impersonation: the subject token's `aud` does not name the requesting client.
    SubjectAudience,
    /// Impersonation: a token WSO2 did not issue (its `iss` is not WSO2's ID token issuer).
    IssuerNotLocal,
    /// Impersonation: the actor token's `sub` is not the subject token's `may_act.sub`.
    ActorNotImpersonator,
    /// Impersonation: the actor token's signature does not verify.
    ActorSignature,
    /// Impersonation: no user has the subject token's `sub` as id (user id, tenant domain).
    UnknownUser(String, String),
}

impl Wso2ExchangeRefusal {
    /// Status, `error` and `error_description` as WSO2 writes them.
    pub fn text(&self) -> (u16, &'static str, String) {
        use Wso2ExchangeRefusal as W;
        let request = |text: String| (400, "invalid_request", text);
        match self {
            W::MissingParameters(names) => request(format!("Missing parameters: {names}")),
            W::RequestedType(value) => request(format!("Unsupported requested token type : {value} provided")),
            W::SubjectType(value) => request(format!("Unsupported subject token type : {value} provided")),
            // `getSignedJWT` throws without a code: `invalid_grant`.
            W::NotJwt => (400, "invalid_grant", "Error while parsing the JWT".into()),
            W::MandatoryClaim(claim) => request(match *claim {
                "iss" => "Mandatory field - Issuer is empty in the given JWT".into(),
                "exp" => "Mandatory field - Expiration time is empty in the given JWT".into(),
                "sub" => "Mandatory field - Subject is empty in the given JWT".into(),
                _ => "Mandatory field - Audience is empty in the given JWT".into(),
            }),
            W::UnknownIssuer(issuer) => request(format!(
                "No Registered IDP found for the JWT with issuer name : {issuer}"
            )),
            W::BadSignature => request("Signature or Message Authentication invalid".into()),
            W::Expired {
                exp_ms,
                skew_ms,
                now_ms,
            } => request(format!(
                "JSON Web Token is expired., Expiration Time(ms) : {exp_ms}, TimeStamp Skew : {skew_ms}, Current Time : {now_ms}. JWT Rejected and validation terminated"
            )),
            W::NotYetValid {
                nbf_ms,
                skew_ms,
                now_ms,
            } => request(format!(
                "JSON Web Token is used before Not_Before_Time., Not Before Time(ms) : {nbf_ms}, TimeStamp Skew : {skew_ms}, Current Time : {now_ms}. JWT Rejected and validation terminated"
            )),
            W::TooOld {
                iat_ms,
                limit_ms,
                skew_ms,
                now_ms,
            } => request(format!(
                "JSON Web Token is issued before the allowed time., Issued At Time(ms) : {iat_ms}, Reject before limit(ms) : {limit_ms}, TimeStamp Skew : {skew_ms}, Current Time : {now_ms}. JWT Rejected and validation terminated"
            )),
            W::Audience => (400, "invalid_target", "Invalid audience values provided".into()),
            W::NoImpersonator => request("Impersonator is not found in subject token.".into()),
            W::NoValidToken => request(format!(
                "No Valid subject token was found for {}",
                crate::GrantType::TokenExchange.as_str()
            )),
            W::SubjectSignature => request("Signature or Message Authentication invalid for subject token.".into()),
            W::SubjectAudience => (
                400,
                "invalid_target",
                "Invalid audience values provided for subject token.".into(),
            ),
            W::IssuerNotLocal => (400, "invalid_target", "Invalid issuer values provided".into()),
            W::ActorNotImpersonator => request("Subject of actor token and subject are different.".into()),
            W::ActorSignature => request("Signature or Message Authentication invalid for actor token.".into()),
            W::UnknownUser(user_id, tenant) => request(format!(
                "Invalid User Id provided for Impersonation request. Unable to find the user for given user id : {user_id} tenant Domain : {tenant}"
            )),
        }
    }
}

/// Who words the refusals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExchangeStyle {
    /// Keycloak's standard token exchange v2.
    KeycloakStandardV2,
    /// ZITADEL's token exchange (zitadel/oidc's checks, then ZITADEL's own).
    Zitadel,
    /// WSO2's token exchange grant (subject tokens from trusted identity providers).
    Wso2,
    /// RFC 8693 codes with the mock's own descriptions.
    Rfc8693,
}

/// A provider's token exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExchangeFacts {
    /// How refusals are worded.
    pub style: ExchangeStyle,
}

impl ExchangeFacts {
    /// Status, `error` and `error_description` of `refusal`.
    pub fn text(&self, refusal: &ExchangeRefusal) -> (u16, &'static str, String) {
        match self.style {
            ExchangeStyle::KeycloakStandardV2 => keycloak_text(refusal),
            ExchangeStyle::Zitadel => zitadel_text(refusal),
            ExchangeStyle::Wso2 => rfc8693_text(refusal),
            ExchangeStyle::Rfc8693 => rfc8693_text(refusal),
        }
    }

    /// Whether the provider exchanges its own access tokens as subject tokens (Keycloak,
    /// ZITADEL); WSO2 takes JWTs its trusted identity providers signed, and its own JWTs only
    /// when their `aud` names its token endpoint, which its tokens never do.
    pub fn exchanges_own_tokens(&self) -> bool {
        self.style != ExchangeStyle::Wso2
    }

    /// Whether the grant itself checks that the client may exchange, in the provider's order
    /// (Keycloak: after the unsupported parameters); otherwise the token endpoint refuses a
    /// client without the grant first, as for any grant.
    pub fn grant_checks_client(&self) -> bool {
        self.style == ExchangeStyle::KeycloakStandardV2
    }

    /// The response for `refusal`.
    /// The response for `refusal`. ZITADEL's descriptions keep its double quotes (Go's `%q`)
    /// around the value, which is itself restricted to RFC 6749 §5.2's characters; the others
    /// are restricted whole.
    pub fn error_response(&self, refusal: &ExchangeRefusal) -> ErrorResponse {
        let (status, error, description) = self.text(refusal);
        if self.style != ExchangeStyle::Zitadel {
            return ErrorResponse::json(status, error, &description, None);
        }
        ErrorResponse {
            status,
            body: Some(serde_json::json!({ "error": error, "error_description": description })),
            content_type: crate::error::JSON,
            www_authenticate: None,
        }
    }
}

/// Keycloak's words (`StandardTokenExchangeProvider`); a refusal Keycloak never makes is worded
/// as [`rfc8693_text`] does.
fn keycloak_text(refusal: &ExchangeRefusal) -> (u16, &'static str, String) {
    use ExchangeRefusal as R;
    let request = |text: &str| (400, "invalid_request", text.to_owned());
    match refusal {
        R::UnsupportedParameter { name } => request(&format!(
            "Parameter '{name}' is not supported for standard token exchange"
        )),
        R::NotEnabled => request("Standard token exchange is not enabled for the requested client"),
        R::MissingSubjectToken => request("Parameter 'subject_token' required for standard token exchange"),
        R::MissingSubjectTokenType => request("Parameter 'subject_token_type' required for standard token exchange"),
        R::SubjectTokenTypeNotAccessToken => request("Parameter 'subject_token' supports access tokens only"),
        R::InvalidSubjectToken => request("Invalid token"),
        R::RequestedTokenTypeUnsupported => request("requested_token_type unsupported"),
        R::AudienceNotFound => (400, "invalid_client", "Audience not found".into()),
        R::PublicClient => (
            400,
            "invalid_client",
            "Public client is not allowed to exchange token".into(),
        ),
        R::NotInSubjectAudience => (403, "access_denied", "Client is not within the token audience".into()),
        R::InvalidScopes { scope } => (400, "invalid_scope", format!("Invalid scopes: {scope}")),
        R::AudienceNotAvailable { audiences } => request(&format!("Requested audience not available: {audiences}")),
        other => rfc8693_text(other),
    }
}

/// ZITADEL's words: zitadel/oidc's for the parameters, ZITADEL's for the rest (its own errors
/// carry their message key as the description, `oidcError`). A refusal ZITADEL never makes is
/// worded as [`rfc8693_text`] does.
fn zitadel_text(refusal: &ExchangeRefusal) -> (u16, &'static str, String) {
    use ExchangeRefusal as R;
    let request = |text: &str| (400, "invalid_request", text.to_owned());
    match refusal {
        R::MissingSubjectToken => request("subject_token missing"),
        R::MissingSubjectTokenType => request("subject_token_type missing"),
        R::SubjectTokenTypeUnknown => request("subject_token_type is not supported"),
        R::RequestedTokenTypeUnsupported => request("requested_token_type is not supported"),
        R::ActorTokenTypeUnknown => request("actor_token_type is not supported"),
        R::ResourceUnsupported => (400, "invalid_target", "resource parameter not supported".into()),
        R::InvalidSubjectToken => request("subject_token invalid"),
        // zerrors.ThrowPermissionDenied → 403 through oidcError.
        R::ImpersonationDisabled => (
            403,
            "invalid_request",
            "Errors.TokenExchange.Impersonation.PolicyDisabled".into(),
        ),
        R::InvalidActorToken => request("actor_token invalid"),
        // CreateOIDCSession's checkPermission("impersonation"): zerrors.ThrowPermissionDenied.
        R::ImpersonationNotPermitted => (403, "invalid_request", "Errors.PermissionDenied".into()),
        R::AudienceNotInSubject { audience } => (
            400,
            "invalid_target",
            format!(
                "audience \"{}\" not found in subject or actor token",
                sanitize_description(audience)
            ),
        ),
        R::ScopeNotInSubject { scope } => (
            400,
            "invalid_scope",
            format!(
                "scope \"{}\" not found in subject or actor token",
                sanitize_description(scope)
            ),
        ),
        R::ScopeMissing => request(
            "The scope of your request is missing. Please ensure some scopes are requested. If you have any questions, you may contact the administrator of the application.",
        ),
        R::OpenidMissing => (400, "invalid_scope", crate::zitadel::OPENID_MISSING.into()),
        R::RequestedTokenTypeNotIssued => request("Errors.TokenExchange.Token.TypeNotSupported"),
        other => rfc8693_text(other),
    }
}

/// RFC 8693's codes with the mock's own descriptions.
fn rfc8693_text(refusal: &ExchangeRefusal) -> (u16, &'static str, String) {
    use ExchangeRefusal as R;
    let request = |text: &str| (400, "invalid_request", text.to_owned());
    match refusal {
        R::UnsupportedParameter { name } => request(&format!("{name} is not supported")),
        R::NotEnabled => (400, "unauthorized_client", "the client may not exchange tokens".into()),
        R::MissingSubjectToken => request("subject_token is missing"),
        R::MissingSubjectTokenType => request("subject_token_type is missing"),
        R::SubjectTokenTypeNotAccessToken => request("subject_token_type must be an access token"),
        R::SubjectTokenTypeUnknown => request("subject_token_type is not supported"),
        R::ActorTokenTypeUnknown => request("actor_token_type is not supported"),
        R::InvalidSubjectToken => request("subject_token is not valid"),
        R::RequestedTokenTypeUnsupported | R::RequestedTokenTypeNotIssued => {
            request("requested_token_type is not supported")
        }
        R::AudienceNotFound => (400, "invalid_target", "audience is unknown".into()),
        R::PublicClient => (400, "invalid_client", "public clients may not exchange tokens".into()),
        R::NotInSubjectAudience => (403, "access_denied", "the client is not in the token's audience".into()),
        R::InvalidScopes { scope } => (400, "invalid_scope", format!("invalid scope: {scope}")),
        R::AudienceNotAvailable { audiences } => {
            (400, "invalid_target", format!("audience not available: {audiences}"))
        }
        R::ResourceUnsupported => (400, "invalid_target", "resource is not supported".into()),
        R::ImpersonationDisabled => (403, "access_denied", "impersonation is not allowed".into()),
        R::InvalidActorToken => request("actor_token is invalid"),
        R::ImpersonationNotPermitted => (403, "access_denied", "the actor may not impersonate the subject".into()),
        R::AudienceNotInSubject { audience } => (
            400,
            "invalid_target",
            format!("audience not in the subject token: {audience}"),
        ),
        R::ScopeNotInSubject { scope } => (400, "invalid_scope", format!("scope not in the subject token: {scope}")),
        R::ScopeMissing => request("scope is missing"),
        R::OpenidMissing => (400, "invalid_scope", "the openid scope is required".into()),
        R::Wso2(refusal) => refusal.text(),
    }
}

/// RFC 8693's codes with the mock's descriptions; used for flavors without their own texts.
pub const STANDARD: ExchangeFacts = ExchangeFacts {
    style: ExchangeStyle::Rfc8693,
};

/// Keycloak 26's standard token exchange (v2, on by default since 26.2). A refresh token as
/// `requested_token_type` is refused: the client attribute
/// `standard.token.exchange.enableRefreshRequestedTokenType` defaults to `NO`.
pub const KEYCLOAK: ExchangeFacts = ExchangeFacts {
    style: ExchangeStyle::KeycloakStandardV2,
};

/// ZITADEL's token exchange (an instance feature, `oidc_token_exchange`; the mock's ZITADEL has
/// it on in a realm where a client may exchange). Plain exchange only: impersonation is refused
/// as ZITADEL's default security policy refuses it.
pub const ZITADEL: ExchangeFacts = ExchangeFacts {
    style: ExchangeStyle::Zitadel,
};

/// WSO2 IS 7's token exchange grant (on by default): subject tokens are JWTs of an identity
/// provider the realm trusts (World `identity_providers`) or of WSO2 itself; no impersonation.
pub const WSO2: ExchangeFacts = ExchangeFacts {
    style: ExchangeStyle::Wso2,
};

/// `provider`'s token exchange, if the mock imitates one.
pub fn facts(provider: Provider) -> Option<&'static ExchangeFacts> {
    provider.quirks().token_exchange.as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keycloak_words_the_disabled_client_as_its_test_asserts() {
        let response = KEYCLOAK.error_response(&ExchangeRefusal::NotEnabled);
        assert_eq!(response.status, 400);
        assert_eq!(
            response.body,
            Some(json!({"error": "invalid_request",
                "error_description": "Standard token exchange is not enabled for the requested client"}))
        );
        let (status, error, _) = KEYCLOAK.text(&ExchangeRefusal::NotInSubjectAudience);
        assert_eq!((status, error), (403, "access_denied"));
    }

    #[test]
    fn zitadel_words_its_refusals_as_its_source_does() {
        let (status, error, description) =
            ZITADEL.text(&ExchangeRefusal::AudienceNotInSubject { audience: "foo".into() });
        assert_eq!(
            (status, error, description.as_str()),
            (
                400,
                "invalid_target",
                r#"audience "foo" not found in subject or actor token"#
            )
        );
        let (status, error, _) = ZITADEL.text(&ExchangeRefusal::ImpersonationDisabled);
        assert_eq!((status, error), (403, "invalid_request"));
        assert_eq!(
            ZITADEL.text(&ExchangeRefusal::InvalidSubjectToken).2,
            "subject_token invalid"
        );
        // A refusal only Keycloak makes keeps Keycloak's words there.
        assert_eq!(KEYCLOAK.text(&ExchangeRefusal::InvalidSubjectToken).2, "Invalid token");
    }

    #[test]
    fn keycloak_zitadel_and_wso2_have_token_exchange() {
        assert_eq!(facts(Provider::Keycloak), Some(&KEYCLOAK));
        assert_eq!(facts(Provider::Zitadel), Some(&ZITADEL));
        assert_eq!(facts(Provider::Wso2), Some(&WSO2));
        for provider in [Provider::Generic, Provider::AppId] {
            assert_eq!(facts(provider), None, "{provider}");
        }
    }
}
