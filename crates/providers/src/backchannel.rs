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
//! - ZITADEL: zitadel/oidc `NewLogoutTokenClaims` (`iat` = now − 1 s, the event, `aud` an
//!   array), zitadel `BackChannelLogoutWorker.logoutToken` (`exp` = now + `TokenLifetime`,
//!   15 min in `defaults.yaml`; `sid` the session's), `sign/signer.go` (`typ` `JWT`), the example
//!   token of `docs/.../back-channel-logout.mdx` (member order, `exp − iat` = 901); delivery:
//!   `channels/set/channel.go` (200, 202 and 204 succeed; 400 is logged and not retried; any
//!   other answer fails the job) and `defaults.yaml` (`MaxAttempts: 3`), retried by the river
//!   queue, whose default policy waits `attempt⁴` seconds (ZITADEL sets no policy of its own
//!   that we found).
//! - WSO2 IS 7: identity-inbound-auth-oauth `DefaultLogoutTokenBuilder.buildJwtToken` (`sub iss
//!   aud jti events exp iat sid`, `sid` always, `aud` one client as a string), 120 s
//!   (`OAuthServerConfiguration.openIDConnectBCLogoutTokenExpiryInSeconds`), `OAuth2Util.signJWT`
//!   (no `typ`), the docs-is example token.
//! - Generic: the specification §2.4 (claims) and §2.4.1 (`typ` `logout+jwt`).

use serde_json::{Map, Value, json};

/// The event member every logout token carries (§2.4).
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// The members of a logout token in the order Keycloak's `LogoutToken` writes them.
const KEYCLOAK_ORDER: [&str; 9] = ["iat", "exp", "jti", "iss", "aud", "sub", "typ", "sid", "events"];

/// zitadel/oidc `LogoutTokenClaims` field order.
const ZITADEL_ORDER: [&str; 9] = ["iss", "sub", "aud", "iat", "exp", "jti", "events", "sid", "typ"];

/// WSO2 `DefaultLogoutTokenBuilder`'s insertion order (Nimbus keeps it; not observed).
const WSO2_ORDER: [&str; 9] = ["sub", "iss", "aud", "jti", "events", "exp", "iat", "sid", "typ"];

/// A provider's logout tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackchannelLogoutFacts {
    /// The JOSE header `typ`; `None`: the header has none (WSO2).
    pub header_typ: Option<&'static str>,
    /// The payload `typ` claim, where the provider writes one (Keycloak: `Logout`).
    pub payload_typ: Option<&'static str>,
    /// `exp - iat`, seconds.
    pub lifetime: u64,
    /// How far before now `iat` is set (ZITADEL: one second).
    pub iat_backdate: u64,
    /// Whether `aud` is an array even of one client (ZITADEL); a string otherwise.
    pub audience_array: bool,
    /// Whether `sid` is sent whatever the client's `backchannel_logout_session_required`
    /// (ZITADEL, WSO2).
    pub sid_always: bool,
    /// The members in the provider's order.
    pub order: &'static [&'static str; 9],
    /// How a logout token is delivered.
    pub delivery: LogoutDelivery,
}

/// How a provider POSTs a logout token: how often it tries, and what ends the trying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogoutDelivery {
    /// Attempts in all (1: sent once whatever the answer).
    pub attempts: u32,
    /// The answers that count as delivered; empty: any 2xx.
    pub delivered: &'static [u16],
    /// Answers after which no further attempt is made although they are not deliveries.
    pub final_refusals: &'static [u16],
}

impl LogoutDelivery {
    /// Sent once, whatever the answer (Keycloak, WSO2 `LogoutRequestSender`, the mock's
    /// default).
    pub const ONCE: LogoutDelivery = LogoutDelivery {
        attempts: 1,
        delivered: &[],
        final_refusals: &[],
    };

    /// Whether `status` ends the delivery as delivered.
    pub fn is_delivered(&self, status: u16) -> bool {
        if self.delivered.is_empty() {
            (200..300).contains(&status)
        } else {
            self.delivered.contains(&status)
        }
    }

    /// Whether another attempt follows attempt `attempt` (from 1), which got `status` (`None`:
    /// no answer).
    pub fn retries_after(&self, attempt: u32, status: Option<u16>) -> bool {
        attempt < self.attempts
            && !status.is_some_and(|status| self.is_delivered(status) || self.final_refusals.contains(&status))
    }

    /// The wait before the next attempt after failed attempt `attempt` (from 1): `attempt⁴`
    /// seconds, river's default retry policy.
    pub fn wait_after(&self, attempt: u32) -> std::time::Duration {
        std::time::Duration::from_secs(u64::from(attempt.min(16)).pow(4))
    }
}

/// The specification's logout token.
pub const STANDARD: BackchannelLogoutFacts = BackchannelLogoutFacts {
    header_typ: Some("logout+jwt"),
    payload_typ: None,
    lifetime: 120,
    iat_backdate: 0,
    audience_array: false,
    sid_always: false,
    order: &KEYCLOAK_ORDER,
    delivery: LogoutDelivery::ONCE,
};

/// Keycloak 26.
pub const KEYCLOAK: BackchannelLogoutFacts = BackchannelLogoutFacts {
    payload_typ: Some("Logout"),
    ..STANDARD
};

/// ZITADEL: `typ` `JWT`, `iat` a second back, `exp` 15 minutes ahead, `aud` an array, `sid`
/// always.
pub const ZITADEL: BackchannelLogoutFacts = BackchannelLogoutFacts {
    header_typ: Some("JWT"),
    payload_typ: None,
    lifetime: 901,
    iat_backdate: 1,
    audience_array: true,
    sid_always: true,
    order: &ZITADEL_ORDER,
    delivery: LogoutDelivery {
        attempts: 3,
        delivered: &[200, 202, 204],
        final_refusals: &[400],
    },
};

/// WSO2 IS 7: no header `typ`, 120 s, `sid` always.
pub const WSO2: BackchannelLogoutFacts = BackchannelLogoutFacts {
    header_typ: None,
    payload_typ: None,
    lifetime: 120,
    iat_backdate: 0,
    audience_array: false,
    sid_always: true,
    order: &WSO2_ORDER,
    delivery: LogoutDelivery::ONCE,
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
    /// The claims of a logout token, in the provider's order; never a `nonce`. `input`'s
    /// `session_id` is sent where the client asked for it, or always where the provider
    /// always sends it (the caller passes it in both cases).
    pub fn claims(&self, input: &LogoutTokenInput<'_>) -> Map<String, Value> {
        let issued_at = input.issued_at.saturating_sub(self.iat_backdate);
        let mut claims = Map::new();
        for member in self.order {
            let value = match *member {
                "iat" => Some(json!(issued_at)),
                "exp" => Some(json!(issued_at.saturating_add(self.lifetime))),
                "jti" => Some(json!(input.jti)),
                "iss" => Some(json!(input.issuer)),
                "aud" if self.audience_array => Some(json!([input.client_id])),
                "aud" => Some(json!(input.client_id)),
                "sub" => input.subject.map(|subject| json!(subject)),
                "typ" => self.payload_typ.map(|typ| json!(typ)),
                "sid" => input.session_id.map(|sid| json!(sid)),
                "events" => Some(json!({ BACKCHANNEL_LOGOUT_EVENT: {} })),
                _ => None,
            };
            if let Some(value) = value {
                claims.insert((*member).to_owned(), value);
            }
        }
        claims
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Provider;

    #[test]
    fn every_provider_but_app_id_sends_logout_tokens() {
        assert_eq!(Provider::Keycloak.quirks().backchannel_logout, Some(KEYCLOAK));
        assert_eq!(Provider::Generic.quirks().backchannel_logout, Some(STANDARD));
        assert_eq!(Provider::Zitadel.quirks().backchannel_logout, Some(ZITADEL));
        assert_eq!(Provider::Wso2.quirks().backchannel_logout, Some(WSO2));
        assert_eq!(Provider::AppId.quirks().backchannel_logout, None);
    }

    #[test]
    fn zitadel_retries_all_but_a_delivery_or_a_400_three_times_in_all() {
        let zitadel = ZITADEL.delivery;
        assert!(zitadel.retries_after(1, Some(503)) && zitadel.retries_after(2, None));
        assert!(
            zitadel.retries_after(1, Some(201)),
            "201 is not one of ZITADEL's successes"
        );
        assert!(!zitadel.retries_after(3, Some(503)));
        assert!(!zitadel.retries_after(1, Some(400)) && !zitadel.retries_after(1, Some(204)));
        assert_eq!(
            (zitadel.wait_after(1).as_secs(), zitadel.wait_after(2).as_secs()),
            (1, 16)
        );
        for once in [KEYCLOAK.delivery, WSO2.delivery] {
            assert!(!once.retries_after(1, Some(503)) && !once.retries_after(1, None));
            assert!(once.is_delivered(201));
        }
    }

    #[test]
    fn zitadel_and_wso2_write_their_own_shapes() {
        let input = LogoutTokenInput {
            issuer: "http://127.0.0.1",
            client_id: "web-app",
            issued_at: 1000,
            jti: "j",
            subject: Some("u"),
            session_id: Some("s"),
        };
        let zitadel = ZITADEL.claims(&input);
        let names: Vec<&str> = zitadel.keys().map(String::as_str).collect();
        assert_eq!(names, ["iss", "sub", "aud", "iat", "exp", "jti", "events", "sid"]);
        assert_eq!(
            (zitadel["iat"].clone(), zitadel["exp"].clone()),
            (json!(999), json!(1900))
        );
        assert_eq!(zitadel["aud"], json!(["web-app"]));
        let wso2 = WSO2.claims(&input);
        let names: Vec<&str> = wso2.keys().map(String::as_str).collect();
        assert_eq!(names, ["sub", "iss", "aud", "jti", "events", "exp", "iat", "sid"]);
        assert_eq!(wso2["aud"], "web-app");
        assert_eq!(wso2["exp"], 1120);
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
