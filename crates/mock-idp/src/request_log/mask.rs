//! What the log never shows: secrets, passwords, codes and tokens, in parameters and headers.

/// Parameters whose values are credentials or tokens (RFC 6749, 7009, 7521/7523, 7636, 7662,
/// 8628, 8693, OIDC); compared case-insensitively.
const MASKED_PARAMS: &[&str] = &[
    "client_secret",
    "password",
    "code",
    "code_verifier",
    "refresh_token",
    "access_token",
    "id_token",
    "id_token_hint",
    "token",
    "assertion",
    "client_assertion",
    "subject_token",
    "actor_token",
    "device_code",
    "user_code",
    "logout_token",
    "request",
];

/// The placeholder of a masked value.
pub(crate) const MASKED: &str = "[masked]";

/// `value`, or [`MASKED`] when `name` carries a credential.
pub(crate) fn param(name: &str, value: &str) -> String {
    if MASKED_PARAMS.iter().any(|masked| masked.eq_ignore_ascii_case(name)) {
        MASKED.to_owned()
    } else {
        value.to_owned()
    }
}

/// An `Authorization` header as `Scheme [masked]`; a `DPoP` proof as [`MASKED`].
pub(crate) fn header(name: &str, value: &str) -> String {
    if name.eq_ignore_ascii_case("authorization") {
        match value.split_once(' ') {
            Some((scheme, _)) => format!("{scheme} {MASKED}"),
            None => MASKED.to_owned(),
        }
    } else {
        MASKED.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_masked_and_other_values_kept() {
        for name in [
            "client_secret",
            "Password",
            "code",
            "code_verifier",
            "refresh_token",
            "token",
            "assertion",
            "client_assertion",
        ] {
            assert_eq!(param(name, "s3cret"), MASKED, "{name}");
        }
        assert_eq!(param("grant_type", "password"), "password");
        assert_eq!(param("client_id", "web"), "web");
        assert_eq!(header("Authorization", "Basic d2ViOnMzY3JldA=="), "Basic [masked]");
        assert_eq!(header("authorization", "garbage"), MASKED);
        assert_eq!(header("DPoP", "eyJ.eyJ.sig"), MASKED);
    }
}
