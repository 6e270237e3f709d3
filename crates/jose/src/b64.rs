//! Unpadded base64url (RFC 7515 §2), the only encoding JOSE uses.

use crate::Error;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Encodes bytes as unpadded base64url.
pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes unpadded base64url.
///
/// # Errors
/// [`Error::Base64`] for anything else: padding, the standard alphabet, junk.
pub fn decode(text: impl AsRef<[u8]>) -> Result<Vec<u8>, Error> {
    URL_SAFE_NO_PAD.decode(text).map_err(|_| Error::Base64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_without_padding() {
        assert_eq!(encode([0xfb, 0xff]), "-_8");
        assert_eq!(decode("-_8").unwrap(), vec![0xfb, 0xff]);
    }

    #[test]
    fn padding_and_the_standard_alphabet_are_refused() {
        for text in ["-_8=", "+/8", "a b", "!"] {
            assert_eq!(decode(text), Err(Error::Base64), "{text}");
        }
    }
}
