//! Documented departures of a provider from a MUST of the specifications. The mock copies them
//! (so an app tested against the mock meets the real provider's behaviour), and conformance
//! checks expect them, with a note, instead of failing.

/// One documented departure from a specification requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Deviation {
    /// Discovery has no `code_challenge_methods_supported` although PKCE with S256 works
    /// (RFC 8414 §2, RFC 9700 §2.1.1).
    PkceMethodsNotAdvertised,
    /// A pending device code keeps answering `authorization_pending` past its lifetime; it
    /// answers `expired_token` only once the user has entered it on the verification page
    /// (or after it was redeemed) (RFC 8628 §3.5).
    PendingDeviceCodeOutlivesExpiry,
}

impl Deviation {
    /// What the provider does, in one line.
    pub fn description(self) -> &'static str {
        match self {
            Deviation::PkceMethodsNotAdvertised => {
                "discovery has no code_challenge_methods_supported although S256 works"
            }
            Deviation::PendingDeviceCodeOutlivesExpiry => {
                "a pending device code past its lifetime is authorization_pending until the user enters it"
            }
        }
    }

    /// The requirement it departs from.
    pub fn requirement(self) -> &'static str {
        match self {
            Deviation::PkceMethodsNotAdvertised => "RFC 8414 §2; RFC 9700 §2.1.1",
            Deviation::PendingDeviceCodeOutlivesExpiry => "RFC 8628 §3.5",
        }
    }
}
