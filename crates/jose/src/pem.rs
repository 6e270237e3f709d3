//! PEM armour (RFC 7468 §2): base64 of DER between `-----BEGIN label-----` and
//! `-----END label-----`, 64 characters a line.

use crate::Error;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// The label of a PKCS#8 private key (RFC 7468 §10).
pub const PRIVATE_KEY: &str = "PRIVATE KEY";
/// The label of a PKCS#1 RSA public key (RFC 7468 §13 names `PUBLIC KEY` for SPKI; PKCS#1 keys
/// carry this one, as OpenSSL writes them).
pub const RSA_PUBLIC_KEY: &str = "RSA PUBLIC KEY";

/// Wraps `der` in a PEM block labelled `label`, lines of 64 characters, ending in a newline.
pub fn encode(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut pem = format!("-----BEGIN {label}-----\n");
    // base64 output is ASCII, so every 64-byte chunk is a valid string.
    for line in body.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {label}-----\n"));
    pem
}

/// The DER inside the first block labelled `label` (text around it and surrounding white space
/// on each line are ignored).
///
/// # Errors
/// [`Error::Pem`] when there is no such block, it is empty, or its body is not base64.
pub fn decode(label: &'static str, pem: &str) -> Result<Vec<u8>, Error> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let body: String = pem
        .lines()
        .map(str::trim)
        .skip_while(|line| *line != begin)
        .skip(1)
        .take_while(|line| *line != end)
        .collect();
    if body.is_empty() {
        return Err(Error::Pem(label));
    }
    STANDARD.decode(body).map_err(|_| Error::Pem(label))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_round_trips() {
        let der: Vec<u8> = (0..=255).collect();
        let pem = encode(PRIVATE_KEY, &der);
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{pem}");
        assert!(pem.lines().all(|line| line.len() <= 64), "{pem}");
        assert_eq!(decode(PRIVATE_KEY, &pem), Ok(der));
    }

    #[test]
    fn a_missing_block_or_another_label_is_an_error() {
        assert_eq!(decode(PRIVATE_KEY, "not a pem"), Err(Error::Pem(PRIVATE_KEY)));
        let public = encode(RSA_PUBLIC_KEY, b"key");
        assert_eq!(decode(PRIVATE_KEY, &public), Err(Error::Pem(PRIVATE_KEY)));
        let junk = "-----BEGIN PRIVATE KEY-----\n!!\n-----END PRIVATE KEY-----\n";
        assert_eq!(decode(PRIVATE_KEY, junk), Err(Error::Pem(PRIVATE_KEY)));
    }
}
