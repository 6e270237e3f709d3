//! JWS signing algorithms the workspace signs and verifies with.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A JWS algorithm backed by an asymmetric key (RFC 7518 §3.1, RFC 8037).
///
/// Only algorithms the mock can really sign with are listed, so discovery built from
/// this enum never advertises what is not implemented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SigningAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256 over an RSA key of at least 2048 bits.
    RS256,
    /// ECDSA over P-256 with SHA-256, signature in the IEEE P1363 (r‖s) form.
    ES256,
    /// Edwards-curve signatures over Ed25519 (RFC 8037).
    EdDSA,
    /// RSASSA-PSS with SHA-256 and MGF1 with SHA-256 (RFC 7518 §3.5) over an RSA key of at
    /// least 2048 bits of its own. A realm holds a PS256 key only while it or one of its
    /// clients signs with PS256 (as a Keycloak realm has an `rsa-generated` PS256 key provider
    /// only when one is added), so discovery lists it only then.
    PS256,
}

impl SigningAlg {
    /// Every supported algorithm, in the order discovery lists them.
    pub const ALL: [SigningAlg; 4] = [
        SigningAlg::RS256,
        SigningAlg::ES256,
        SigningAlg::EdDSA,
        SigningAlg::PS256,
    ];

    /// The algorithms every realm holds a key for from the start; the others get a key when
    /// first used.
    pub const BUILT_IN: [SigningAlg; 3] = [SigningAlg::RS256, SigningAlg::ES256, SigningAlg::EdDSA];

    /// The `alg` header value.
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::RS256 => "RS256",
            SigningAlg::ES256 => "ES256",
            SigningAlg::EdDSA => "EdDSA",
            SigningAlg::PS256 => "PS256",
        }
    }

    /// Parses an `alg` header value; `None` for anything this workspace does not sign with.
    pub fn from_name(name: &str) -> Option<SigningAlg> {
        SigningAlg::ALL.into_iter().find(|alg| alg.as_str() == name)
    }
}

impl fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
