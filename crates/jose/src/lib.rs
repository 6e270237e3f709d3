//! The JOSE operations mock-idp, token-guard, conformance and providers share, written once:
//!
//! | operation | item |
//! |---|---|
//! | unpadded base64url (RFC 7515 §2) | [`b64`] |
//! | compact JWS segments, signing input (RFC 7515 §7.1) | [`compact`] |
//! | JSON objects that refuse repeated members (RFC 7515 §4, RFC 7519 §4) | [`json::strict_object`] |
//! | PKCE `S256` challenge (RFC 7636 §4.2), `at_hash` (OIDC Core §3.1.3.6), JWK thumbprint (RFC 7638) | `digest` (feature `digest`, default) |
//! | PEM armour (RFC 7468) | [`pem`] |
//! | `error_description` character set (RFC 6749 §5.2, RFC 6750 §3) | [`description`] |
//!
//! Signature verification against a JWK set is token-guard's `KeySet`; signing is mock-idp's.
//! This crate holds no keys and makes no trust decisions.
#![deny(missing_docs)]

pub mod b64;
pub mod compact;
pub mod description;
#[cfg(feature = "digest")]
pub mod digest;
mod error;
pub mod json;
pub mod pem;

pub use error::Error;
