//! The JWT bearer authorization grant (RFC 7523 §2.1) as each provider implements it: ZITADEL's
//! "JWT profile" for service (machine) users — a key file
//! `{"type":"serviceaccount","keyId","key","userId"}` whose private key signs an assertion with
//! `iss` = `sub` = the user id, `aud` = the issuer, a `kid` header naming the key — and WSO2's
//! grant for assertions of a trusted identity provider (the World realm's
//! `identity_providers`), whose `sub` becomes a federated user.
//!
//! Sources (docs/providers.md, "JWT bearer grant"): zitadel/zitadel
//! `internal/api/oidc/token_jwt_profile.go` (`verifyJWTProfile`: `NewJWTProfileVerifier(…,
//! time.Hour, time.Second, SubjectCheck(user by sub))`, the key looked up by `kid` and `iss`,
//! scopes through `op.ValidateAuthReqScopes`), zitadel/oidc `pkg/op/verifier_jwt_profile.go`
//! (`VerifyJWTAssertion`: audience, expiry, `iat` age, subject, signature).

use crate::Provider;

/// A provider's JWT profile grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JwtProfileFacts {
    /// How old `iat` may be, in seconds (ZITADEL: one hour).
    pub max_iat_age_secs: u64,
    /// Clock skew allowed on `exp` and `iat`, in seconds (ZITADEL: one second).
    pub offset_secs: u64,
    /// Whether `scope` must contain `openid` (zitadel/oidc `ValidateAuthReqScopes`).
    pub requires_openid: bool,
}

/// ZITADEL's JWT profile grant.
pub const ZITADEL: JwtProfileFacts = JwtProfileFacts {
    max_iat_age_secs: 3600,
    offset_secs: 1,
    requires_openid: true,
};

/// Why WSO2 refuses a JWT bearer assertion, in `JWTBearerGrantHandler.validateGrant`'s order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wso2BearerRefusal {
    /// Not a compact JWS.
    Malformed,
    /// `iss`, `sub`, `exp` or `aud` missing.
    MandatoryMissing,
    /// No trusted identity provider issues `iss`.
    UnknownIssuer {
        /// The `iss`.
        issuer: String,
    },
    /// The signature does not verify with the identity provider's keys.
    BadSignature,
    /// `aud` does not name the identity provider's alias.
    WrongAudience {
        /// The alias.
        alias: String,
    },
    /// `exp` has passed.
    Expired,
    /// `nbf` lies ahead.
    NotYetValid,
    /// `iat` lies further back than [`Wso2BearerFacts::iat_validity_secs`].
    IssuedTooLongAgo,
}

/// WSO2's JWT bearer grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wso2BearerFacts {
    /// How old `iat` may be, in seconds (`OAuth.JWTGrant.IATValidityPeriod`, 30 minutes).
    pub iat_validity_secs: u64,
    /// Clock skew (IS 7 ships none).
    pub skew_secs: u64,
}

/// WSO2 IS 7's JWT bearer grant.
pub const WSO2: Wso2BearerFacts = Wso2BearerFacts {
    iat_validity_secs: 30 * 60,
    skew_secs: 0,
};

impl Wso2BearerFacts {
    /// The `error_description` WSO2 writes for `refusal` (`error` is `invalid_grant`).
    pub fn text(&self, refusal: &Wso2BearerRefusal) -> String {
        use Wso2BearerRefusal as R;
        match refusal {
            R::Malformed => "Error while parsing the JWT.".into(),
            R::MandatoryMissing => {
                "Mandatory fields(Issuer, Subject, Expiration time or Audience) are empty in the given JSON Web Token."
                    .into()
            }
            R::UnknownIssuer { issuer } => {
                format!("No registered identity provider found for the JWT with issuer name : {issuer}")
            }
            R::BadSignature => "Signature or Message Authentication invalid.".into(),
            R::WrongAudience { alias } => {
                format!("None of the audience values matched the tokenEndpoint Alias {alias}")
            }
            R::Expired => "JSON Web Token is expired.".into(),
            R::NotYetValid => "JSON Web Token is used before Not_Before_Time.".into(),
            R::IssuedTooLongAgo => "JSON Web Token is issued before the allowed time.".into(),
        }
    }
}

/// IBM App ID's custom identity (the JWT bearer grant; custom-auth.md, the Node server SDK's
/// `getCustomIdentityTokens`): an assertion signed by the tenant's custom identity key (the
/// World realm's `identity_providers`; `iss` is not matched), naming the OAuth server URL —
/// or, as the SDK sends it, that URL's host — in `aud`; `exp` and `sub` required; `scope` from
/// the form or the assertion. App ID documents no error texts: the mock's own, `invalid_grant`.
///
/// The user is an App ID profile: `sub` is the profile's id (App ID's own, not the assertion's
/// `sub`, which `identities[0].id` carries), and the assertion's normalized claims are "provided
/// in the identity token" (custom-auth.md, "JWS fields").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomIdentityFacts {
    /// The `amr` and identity provider of the tokens (`appid_custom`).
    pub identity_provider: &'static str,
    /// The assertion's claims the ID token carries when the assertion has them.
    pub normalized_claims: &'static [&'static str],
}

/// App ID's custom identity; the normalized claims of custom-auth.md's example JWT format.
pub const APPID_CUSTOM: CustomIdentityFacts = CustomIdentityFacts {
    identity_provider: "appid_custom",
    normalized_claims: &["name", "email", "locale", "picture", "gender"],
};

/// `provider`'s custom identity grant (App ID).
pub fn custom_identity_facts(provider: Provider) -> Option<&'static CustomIdentityFacts> {
    match provider {
        Provider::AppId => Some(&APPID_CUSTOM),
        _ => None,
    }
}

/// `provider`'s JWT bearer grant for trusted identity providers' assertions (WSO2).
pub fn federated_facts(provider: Provider) -> Option<&'static Wso2BearerFacts> {
    match provider {
        Provider::Wso2 => Some(&WSO2),
        _ => None,
    }
}

/// `provider`'s JWT bearer grant, if the mock imitates one; it is served only where
/// [`Quirks::grant_types`](crate::Quirks::grant_types) lists it too.
pub fn facts(provider: Provider) -> Option<&'static JwtProfileFacts> {
    match provider {
        Provider::Zitadel => Some(&ZITADEL),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zitadel_has_the_jwt_profile_grant_and_wso2_the_federated_one() {
        assert_eq!(facts(Provider::Zitadel), Some(&ZITADEL));
        assert_eq!(federated_facts(Provider::Wso2), Some(&WSO2));
        assert!(
            Provider::Wso2
                .quirks()
                .grant_types
                .contains(&crate::GrantType::JwtBearer)
        );
        assert_eq!(custom_identity_facts(Provider::AppId), Some(&APPID_CUSTOM));
        for provider in [Provider::Generic, Provider::Keycloak] {
            assert_eq!(facts(provider), None, "{provider}");
            assert_eq!(federated_facts(provider), None, "{provider}");
            assert!(!provider.quirks().grant_types.contains(&crate::GrantType::JwtBearer));
        }
        assert!(
            Provider::Zitadel
                .quirks()
                .grant_types
                .contains(&crate::GrantType::JwtBearer)
        );
    }
}
