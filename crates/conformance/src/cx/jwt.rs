//! JWT and PKCE utilities for checks: the RFC 7636 vector, S256, unverified claims.

use serde_json::{Map, Value};

/// The RFC 7636 Appendix B vector.
pub(crate) const RFC7636_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// Its S256 challenge.
pub(crate) const RFC7636_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// The S256 challenge of `verifier`.
pub(crate) fn s256(verifier: &str) -> String {
    idp_jose::digest::s256(verifier)
}

/// Decodes a JWT's payload without verifying it.
pub(crate) fn claims(jwt: &str) -> Option<Map<String, Value>> {
    let payload = jwt.split('.').nth(1)?;
    idp_jose::compact::decode_object(payload).ok()
}
