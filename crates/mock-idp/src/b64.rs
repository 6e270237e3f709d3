//! Random identifiers (codes, tokens, session ids, `jti`s) and the base64url encoding of
//! `idp_jose`, the only encoding JOSE uses.

pub(crate) use idp_jose::b64::encode;

/// Fills `bytes` from aws-lc's CSPRNG. AWS-LC's `RAND_bytes` "returns one. In the event that
/// sufficient random data can not be obtained, |abort| is called" (aws-lc
/// include/openssl/rand.h), so the error branch is unreachable; should it ever be taken, the
/// process stops as aws-lc would, rather than hand out predictable identifiers.
fn fill(bytes: &mut [u8]) {
    if aws_lc_rs::rand::fill(bytes).is_err() {
        std::process::abort();
    }
}

/// `count` random bytes from a CSPRNG, base64url-encoded (codes, refresh and opaque tokens,
/// session ids: 32 bytes give 256 bits, above RFC 6749 §10.10's 128).
pub(crate) fn random_token(count: usize) -> String {
    let mut bytes = vec![0u8; count];
    fill(&mut bytes);
    encode(bytes)
}

/// `count` random bytes from the CSPRNG (user codes draw their characters from them).
pub(crate) fn random_bytes(count: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; count];
    fill(&mut bytes);
    bytes
}

/// A random (version 4) UUID, the shape of `jti`s and ids most providers use.
pub(crate) fn random_uuid() -> String {
    let mut bytes = [0u8; 16];
    fill(&mut bytes);
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
