//! Back-channel logout (OpenID Connect Back-Channel Logout 1.0) as each provider sends it: the
//! logout token's JOSE `typ`, its payload `typ`, its lifetime and member order.
//! [`Quirks::backchannel_logout`](crate::Quirks::backchannel_logout) is `None` where the mock
//! does not imitate the provider's back-channel logout.
//!
//! Sources (docs/providers.md, "Back-channel logout"):
//! - Keycloak: `DefaultTokenManager.initLogoutToken` (`exp` = now + 2 min, `iss`, the event,
//!   `aud` = client id, `sid` when the client's `backchannel.logout.session.required`, `sub` =
//!   user id), `DefaultTokenManager.type` (`logout+jwt` for the LOGOUT category),
//!   `LogoutToken()` (`typ` = `TokenUtil.TOKEN_TYPE_LOGOUT`, "Logout").
//! - Generic: the specification §2.4 (claims) and §2.4.1 (`typ` `logout+jwt`).

use serde_json::{Map, Value, json};

/// The event member every logout token carries (§2.4).
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// A provider's logout tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackchannelLogoutFacts {
    /// The JOSE header `typ`.
    pub header_typ: &'static str,
    /// The payload `typ` claim, where the provider writes one (Keycloak: `Logout`).
    pub payload_typ: Option<&'static str>,
    /// `exp - iat`, seconds.
    pub lifetime: u64,
}

/// The specification's logout token.
pub const STANDARD: BackchannelLogoutFacts = BackchannelLogoutFacts {
    header_typ: "logout+jwt",
    payload_typ: None,
    lifetime: 120,
};

/// Keycloak 26.
pub const KEYCLOAK: BackchannelLogoutFacts = BackchannelLogoutFacts {
    header_typ: "logout+jwt",
    payload_typ: Some("Logout"),
    lifetime: 120,
};

/// What one logout token says.
#[derive(Debug, Clone, Copy)]
pub struct LogoutTokenInput<'a> {
    /// The issuer.
    pub issuer: &'a str,
    /// The client it goes to (`aud`).
    pub client_id: &'a str,
    /// When it is issued.
    pub issued_at: u64,
    /// Its `jti`.
    pub jti: &'a str,
    /// The user's subject identifier, when the token names it.
    pub subject: Option<&'a str>,
    /// The ended session's id, when the client asked for it.
    pub session_id: Option<&'a str>,
}

impl BackchannelLogoutFacts {
    /// The claims of a logout token, in the order Keycloak's `LogoutToken` writes them
    /// (`iat exp jti iss aud sub typ sid events`); never a `nonce`.
    pub fn claims(&self, input: &LogoutTokenInput<'_>) -> Map<String, Value> {
        let mut claims = Map::new();
        claims.insert("iat".into(), json!(input.issued_at));
        claims.insert("exp".into(), json!(input.issued_at.saturating_add(self.lifetime)));
        claims.insert("jti".into(), json!(input.jti));
        claims.insert("iss".into(), json!(input.issuer));
        claims.insert("aud".into(), json!(input.client_id));
        if let Some(subject) = input.subject {
            claims.insert("sub".into(), json!(subject));
        }
        if let Some(typ) = self.payload_typ {
            claims.insert("typ".into(), json!(typ));
        }
        if let Some(sid) = input.session_id {
            claims.insert("sid".into(), json!(sid));
        }
        claims.insert("events".into(), json!({ BACKCHANNEL_LOGOUT_EVENT: {} }));
        claims
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Provider;

    #[test]
    fn keycloak_and_generic_send_logout_tokens_and_the_others_do_not() {
        assert_eq!(Provider::Keycloak.quirks().backchannel_logout, Some(KEYCLOAK));
        assert_eq!(Provider::Generic.quirks().backchannel_logout, Some(STANDARD));
        for provider in [Provider::Zitadel, Provider::Wso2, Provider::AppId] {
            assert_eq!(provider.quirks().backchannel_logout, None, "{provider}");
        }
    }

    #[test]
    fn a_logout_token_has_the_event_no_nonce_and_a_two_minute_life() {
        let input = LogoutTokenInput {
            issuer: "http://127.0.0.1/realms/demo",
            client_id: "web-app",
            issued_at: 100,
            jti: "j",
            subject: Some("u"),
            session_id: None,
        };
        let claims = KEYCLOAK.claims(&input);
        let names: Vec<&str> = claims.keys().map(String::as_str).collect();
        assert_eq!(names, ["iat", "exp", "jti", "iss", "aud", "sub", "typ", "events"]);
        assert_eq!(claims["exp"], 220);
        assert_eq!(claims["typ"], "Logout");
        assert_eq!(claims["events"][BACKCHANNEL_LOGOUT_EVENT], json!({}));
        assert!(!STANDARD.claims(&input).contains_key("typ"));
    }
}
