//! The character set of `error_description` (RFC 6749 §5.2: `%x20-21 / %x23-5B / %x5D-7E`),
//! which RFC 6750 §3 also requires of `WWW-Authenticate` auth-param values: printable ASCII
//! without `"` and `\`.

/// Whether `byte` may appear in an `error_description`.
pub fn allowed(byte: u8) -> bool {
    matches!(byte, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E)
}

/// Whether every character of `text` is allowed.
pub fn is_valid(text: &str) -> bool {
    text.bytes().all(allowed)
}

/// `text` with every character outside the set replaced: `"` by `'`, `\` by `/`, anything
/// else by `?`, so descriptions built from request data stay valid.
pub fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '"' => '\'',
            '\\' => '/',
            c if c.is_ascii() && allowed(c as u8) => c,
            _ => '?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_set_is_printable_ascii_without_quote_and_backslash() {
        let allowed: Vec<u8> = (0..=255u8).filter(|b| allowed(*b)).collect();
        let expected: Vec<u8> = (0x20..=0x7E).filter(|b| *b != b'"' && *b != b'\\').collect();
        assert_eq!(allowed, expected);
        assert!(is_valid("scope orders:read is not allowed!"));
        assert!(!is_valid("bad \"x\""));
        assert!(!is_valid("é"));
    }

    #[test]
    fn sanitizing_yields_only_allowed_characters() {
        assert_eq!(sanitize("bad \"x\" \\ é\n"), "bad 'x' / ??");
        assert!(is_valid(&sanitize("\u{7f}\t\"\\☃")));
    }
}
