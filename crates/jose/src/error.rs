//! The one error type of this crate.

/// Why a JOSE input was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Not unpadded base64url (padding, the standard alphabet, stray characters).
    #[error("not unpadded base64url")]
    Base64,
    /// Not exactly three dot-separated segments.
    #[error("not a compact JWS (three dot-separated segments)")]
    Segments,
    /// Not a JSON object (other JSON, trailing data, invalid JSON).
    #[error("not a JSON object")]
    NotAnObject,
    /// A JSON object repeats a member name.
    #[error("duplicate JSON member")]
    DuplicateMember,
    /// No PEM block with the expected label, or its body is not base64.
    #[error("not a PEM block labelled {0}")]
    Pem(&'static str),
}
