//! How each provider refuses an RP-initiated logout request (OpenID Connect RP-Initiated
//! Logout 1.0 §2–§3): an HTML error page in the browser, or a JSON error body.
//!
//! Sources (docs/providers.md, ZITADEL "logout confirmation"):
//! - ZITADEL: its OIDC layer is zitadel/oidc, whose `ValidateEndSessionRequest`
//!   (`pkg/op/session.go`) refuses with `oidc.ErrInvalidRequest()` and the descriptions below,
//!   written by `WriteError` (`pkg/op/server_http.go` `endSessionHandler`) as a 400 JSON body;
//!   a `post_logout_redirect_uri` is only checked when the request names a client (by
//!   `client_id` or the hint's `azp`), otherwise the default logout page is used.

/// A reason a logout request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogoutRefusal {
    /// `id_token_hint` is not an ID token this realm issued (an expired one is still a hint).
    InvalidIdTokenHint,
    /// `client_id` names another client than the hint's.
    ClientMismatch,
    /// `client_id` (or the hint's audience) names no client of the realm.
    UnknownClient,
    /// The `post_logout_redirect_uri` is not registered for the client.
    UnregisteredRedirect,
    /// A `post_logout_redirect_uri` without `client_id` or `id_token_hint` to check it against.
    RedirectWithoutClient,
}

/// How a provider writes a refused logout request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoutErrors {
    /// An HTML error page for the browser (Keycloak's `ErrorPage`, WSO2's and App ID's error
    /// pages, the generic provider); the mock's page names the cause.
    Page,
    /// zitadel/oidc's `ValidateEndSessionRequest`: 400 JSON `invalid_request` with the
    /// library's description ([`LogoutRefusal::oidc_library_description`]); a redirect
    /// without a client is not refused but ignored.
    OidcLibrary,
}

impl LogoutRefusal {
    /// zitadel/oidc's `error_description` for this refusal (`pkg/op/session.go`), `None` where
    /// the library has no text of its own: it ignores [`LogoutRefusal::RedirectWithoutClient`],
    /// and answers an unknown client with its storage's error (`DefaultToServerError`), which
    /// the mock does not imitate.
    pub fn oidc_library_description(self) -> Option<&'static str> {
        match self {
            LogoutRefusal::InvalidIdTokenHint => Some("id_token_hint invalid"),
            LogoutRefusal::ClientMismatch => Some("client_id does not match azp of id_token_hint"),
            LogoutRefusal::UnregisteredRedirect => Some("post_logout_redirect_uri invalid"),
            LogoutRefusal::UnknownClient | LogoutRefusal::RedirectWithoutClient => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_library_texts_are_its_own() {
        assert_eq!(
            LogoutRefusal::InvalidIdTokenHint.oidc_library_description(),
            Some("id_token_hint invalid")
        );
        assert_eq!(LogoutRefusal::RedirectWithoutClient.oidc_library_description(), None);
    }
}
