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
}

impl SigningAlg {
    /// Every supported algorithm, in the order discovery lists them.
    pub const ALL: [SigningAlg; 3] = [SigningAlg::RS256, SigningAlg::ES256, SigningAlg::EdDSA];

    /// The `alg` header value.
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::RS256 => "RS256",
            SigningAlg::ES256 => "ES256",
            SigningAlg::EdDSA => "EdDSA",
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
