//! Unpadded base64url (RFC 7515 §2), the only encoding JOSE uses.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Encodes bytes as unpadded base64url.
pub(crate) fn encode(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes unpadded base64url; `None` for anything else (padding, other alphabets, junk).
pub(crate) fn decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

/// `count` random bytes from a CSPRNG, base64url-encoded (codes, refresh and opaque tokens,
/// session ids: 32 bytes give 256 bits, above RFC 6749 §10.10's 128).
pub(crate) fn random_token(count: usize) -> String {
    let mut bytes = vec![0u8; count];
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        // aws-lc's DRBG failed to reseed; take the operating system's generator directly.
        use rand::RngCore;
        rand::rngs::OsRng.fill_bytes(&mut bytes);
    }
    encode(bytes)
}

/// A random (version 4) UUID, the shape of `jti`s and ids most providers use.
pub(crate) fn random_uuid() -> String {
    let mut bytes = [0u8; 16];
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        use rand::RngCore;
        rand::rngs::OsRng.fill_bytes(&mut bytes);
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}
