//! Server-provided DPoP nonces (RFC 9449 §8) for realms whose World sets `dpop_nonce`, where
//! the provider has them ([`providers::dpop::DpopFacts::server_nonces`]). Nonces are stateless:
//! an HMAC of the realm and the current window of the mock's clock under a key made at start,
//! so nothing is stored per client and nothing grows. A nonce is accepted in its window and
//! the next one ([`WINDOW_SECS`] each), so one handed out just before a window ends still works.

use aws_lc_rs::hmac;

/// How long one nonce is handed out, in seconds of the mock's clock.
pub(crate) const WINDOW_SECS: u64 = 300;

/// The key nonces are MACed with, random per server.
pub(crate) struct NonceKey(hmac::Key);

impl std::fmt::Debug for NonceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NonceKey([redacted])")
    }
}

impl NonceKey {
    /// A fresh random key; `None` when the system has no randomness (nonces are then refused).
    pub(crate) fn generate() -> Option<NonceKey> {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        hmac::Key::generate(hmac::HMAC_SHA256, &rng).ok().map(NonceKey)
    }

    /// The nonce to hand out in `realm` at `now`.
    pub(crate) fn current(&self, realm: &str, now: u64) -> String {
        self.for_window(realm, now / WINDOW_SECS)
    }

    /// Whether `nonce` is this or the previous window's nonce for `realm`.
    pub(crate) fn accepts(&self, realm: &str, nonce: &str, now: u64) -> bool {
        let window = now / WINDOW_SECS;
        [Some(window), window.checked_sub(1)]
            .into_iter()
            .flatten()
            .any(|window| {
                let expected = self.for_window(realm, window);
                aws_lc_rs::constant_time::verify_slices_are_equal(expected.as_bytes(), nonce.as_bytes()).is_ok()
            })
    }

    fn for_window(&self, realm: &str, window: u64) -> String {
        let tag = hmac::sign(&self.0, format!("{realm}\u{0}{window}").as_bytes());
        idp_jose::b64::encode(tag.as_ref().get(..18).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_lives_for_its_window_and_the_next_and_is_per_realm_and_per_server() {
        let key = NonceKey::generate().unwrap();
        let start = 10 * WINDOW_SECS;
        let nonce = key.current("demo", start);
        assert!(key.accepts("demo", &nonce, start));
        assert!(key.accepts("demo", &nonce, start + WINDOW_SECS - 1));
        assert!(key.accepts("demo", &nonce, start + 2 * WINDOW_SECS - 1));
        assert!(!key.accepts("demo", &nonce, start + 2 * WINDOW_SECS));
        assert!(
            !key.accepts("demo", &nonce, start - 1),
            "a nonce is not valid before its window"
        );
        assert!(!key.accepts("other", &nonce, start));
        assert!(!NonceKey::generate().unwrap().accepts("demo", &nonce, start));
        assert!(!key.accepts("demo", "", start));
        assert_ne!(key.current("demo", start + WINDOW_SECS), nonce);
    }
}
