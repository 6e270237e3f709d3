//! The JWT bearer authorization grant (RFC 7523 §2.1) as each provider implements it. Only
//! ZITADEL's "JWT profile" for service (machine) users is imitated: a key file
//! `{"type":"serviceaccount","keyId","key","userId"}` whose private key signs an assertion with
//! `iss` = `sub` = the user id, `aud` = the issuer, a `kid` header naming the key.
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
    fn only_zitadel_has_the_jwt_profile_grant() {
        assert_eq!(facts(Provider::Zitadel), Some(&ZITADEL));
        for provider in [Provider::Generic, Provider::Keycloak, Provider::Wso2, Provider::AppId] {
            assert_eq!(facts(provider), None, "{provider}");
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
