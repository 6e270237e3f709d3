//! The device authorization grant (RFC 8628) as each provider implements it: lifetimes,
//! polling interval, user-code format, how polling too fast is answered, and the provider's own
//! error texts. [`Quirks::device`](crate::Quirks::device) is `None` where the provider (or the
//! mock's imitation of it) has no device grant.
//!
//! Sources (docs/providers.md, "Device authorization grant"):
//! - Keycloak: `DeviceEndpoint.java` (`handleDeviceRequest`, `checkClient`) and
//!   `DeviceGrantType.java` (`oauth2DeviceFlow`), realm defaults `oauth2DeviceCodeLifespan`
//!   600 s and `oauth2DevicePollingInterval` 5 s.
//! - ZITADEL: zitadel/oidc `pkg/op/device.go` (`ParseDeviceCodeRequest`,
//!   `CheckDeviceAuthorizationState`) and `pkg/oidc/error.go` (descriptions); ZITADEL's
//!   `DeviceAuth` defaults (5 min, 5 s, base-20 user codes of 8 with a dash after 4).
//! - WSO2 IS 7: wso2-extensions/identity-inbound-auth-oauth (7.0.259, pinned by product-is
//!   v7.1.0) `oauth2/device/grant/DeviceFlowGrant.java`, `dao/DeviceFlowDAOImpl.java`,
//!   `errorcodes/DeviceErrorCodes.java`, `OAuthServerConfiguration` (600 s, 5 s, six characters
//!   of a mixed-case key set) and `oauth/endpoint/device/DeviceEndpoint.java`; the texts as
//!   product-is v7.1.0 `OAuth2DeviceFlowTestCase` asserts them.
//! - Generic: RFC 8628 §3.2 and §3.5.

use crate::error::ErrorResponse;
use crate::{ErrorCode, Provider};
use serde_json::{Map, Value, json};

/// How a provider answers a poll that comes sooner than the interval allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlowDown {
    /// `slow_down` while less than the interval has passed since the last poll that was let
    /// through; the interval stays as it was (Keycloak's `isPollingAllowed`, a single-use entry
    /// living `interval` seconds).
    WithinInterval,
    /// `slow_down`, and the interval grows by 5 s for this and every later poll (RFC 8628 §3.5).
    IncreaseInterval,
    /// Never: polls are answered whatever their pace (zitadel/oidc answers `slow_down` only
    /// when its storage times out).
    Never,
    /// `slow_down` while no more than the interval has passed since the last poll of any
    /// outcome, or since the authorization request for the first poll; the interval stays
    /// (WSO2's `isWithinValidPollInterval`, `LAST_POLL_TIME` set at creation and on every
    /// poll). Approved codes are redeemed whatever the pace.
    SinceLastPoll,
}

/// In which order a poll's checks run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollOrder {
    /// Expiry, then pace, then the user's decision (Keycloak `oauth2DeviceFlow`): an expired
    /// code is `expired_token` even when it was approved.
    ExpiryFirst,
    /// The user's decision, then expiry (zitadel/oidc `CheckDeviceAuthorizationState`: denied,
    /// done, expired, pending).
    DecisionFirst,
    /// Pace, then the code's status for an undecided code, whose lifetime is never looked at: it
    /// is `expired_token` only once marked expired (WSO2's verification page marks a code
    /// entered after its lifetime; [`crate::Deviation::PendingDeviceCodeOutlivesExpiry`]);
    /// expiry by the clock only for an approved code (WSO2's `DeviceFlowGrant.validateGrant`,
    /// `DeviceFlowDAOImpl.getAuthenticationDetails`).
    PaceFirst,
}

/// How user codes look: `length` characters of `charset`, a dash after every `group` characters
/// (0: none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserCodeFormat {
    /// The characters a user code is drawn from.
    pub charset: &'static str,
    /// How many characters (dashes not counted).
    pub length: usize,
    /// A dash after every this many characters; 0 for none.
    pub group: usize,
    /// Whether the code is compared as typed (WSO2's mixed-case codes); otherwise case, dashes
    /// and white space do not matter.
    pub case_sensitive: bool,
}

impl UserCodeFormat {
    /// The user code for `random` (one byte per character; the caller supplies at least
    /// `length` random bytes), dashes included.
    pub fn render(&self, random: &[u8]) -> String {
        let charset: Vec<char> = self.charset.chars().collect();
        let mut code = String::with_capacity(self.length + self.length / self.group.max(1));
        for (index, byte) in random.iter().take(self.length).enumerate() {
            if self.group != 0 && index != 0 && index % self.group == 0 {
                code.push('-');
            }
            let count = charset.len().max(1);
            code.push(charset.get(usize::from(*byte) % count).copied().unwrap_or('X'));
        }
        code
    }

    /// What the user typed, made comparable to a stored code: upper case, without dashes and
    /// white space (Keycloak's `format`, RFC 8628 §6.1: case and punctuation do not matter).
    pub fn normalize(input: &str) -> String {
        input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .flat_map(char::to_uppercase)
            .collect()
    }

    /// Whether `input` (what the user typed) names `code` (as issued) under this format.
    pub fn matches(&self, code: &str, input: &str) -> bool {
        if self.case_sensitive {
            input.trim() == code
        } else {
            Self::normalize(input) == Self::normalize(code)
        }
    }
}

/// A reason a device request or poll is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceError {
    /// The user has not decided yet (`authorization_pending`).
    Pending,
    /// The client polls faster than the interval (`slow_down`).
    SlowDown,
    /// The device code expired (`expired_token`).
    Expired,
    /// The user denied the request (`access_denied`).
    Denied,
    /// No such device code for this client, or it was already redeemed.
    UnknownCode,
    /// The poll has no `device_code`.
    MissingCode,
    /// The client may not start a device authorization (at the device endpoint).
    ClientNotAllowed,
}

impl DeviceError {
    /// Every device error.
    pub const ALL: [DeviceError; 7] = [
        DeviceError::Pending,
        DeviceError::SlowDown,
        DeviceError::Expired,
        DeviceError::Denied,
        DeviceError::UnknownCode,
        DeviceError::MissingCode,
        DeviceError::ClientNotAllowed,
    ];
}

/// One error as the provider writes it: status, `error` code and description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceErrorText {
    /// HTTP status.
    pub status: u16,
    /// The `error` member.
    pub error: &'static str,
    /// The `error_description` member.
    pub description: &'static str,
}

const fn text(status: u16, error: &'static str, description: &'static str) -> DeviceErrorText {
    DeviceErrorText {
        status,
        error,
        description,
    }
}

/// A provider's device grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceFacts {
    /// `expires_in` of a device code when the World's realm does not set one.
    pub lifetime: u64,
    /// `interval` (seconds) when the World's realm does not set one.
    pub interval: u64,
    /// How user codes look.
    pub user_code: UserCodeFormat,
    /// How a too-fast poll is answered.
    pub slow_down: SlowDown,
    /// The order of a poll's checks.
    pub poll_order: PollOrder,
    /// The error texts, in [`DeviceError::ALL`] order.
    pub errors: [DeviceErrorText; 7],
    /// Whether the device endpoint refuses a client without the grant (WSO2's does not: such
    /// a client is refused only when it polls).
    pub endpoint_checks_client: bool,
    /// What a poll for a code already redeemed gets: [`DeviceError::UnknownCode`] where the
    /// provider forgets it, [`DeviceError::Expired`] where it keeps it as used (WSO2).
    pub redeemed: DeviceError,
    /// The members of the device authorization response in the provider's order.
    pub response_order: &'static [&'static str; 6],
}

impl DeviceFacts {
    /// How this provider words `error`.
    pub fn text(&self, error: DeviceError) -> DeviceErrorText {
        let index = DeviceError::ALL.iter().position(|known| *known == error).unwrap_or(0);
        self.errors[index]
    }

    /// A device authorization response (RFC 8628 §3.2), members in the provider's order.
    pub fn authorization_response(
        &self,
        device_code: &str,
        user_code: &str,
        verification_uri: &str,
        expires_in: u64,
        interval: u64,
    ) -> Map<String, Value> {
        let separator = if verification_uri.contains('?') { '&' } else { '?' };
        let value = |member: &str| match member {
            "device_code" => json!(device_code),
            "user_code" => json!(user_code),
            "verification_uri" => json!(verification_uri),
            "verification_uri_complete" => json!(format!("{verification_uri}{separator}user_code={user_code}")),
            "expires_in" => json!(expires_in),
            _ => json!(interval),
        };
        self.response_order
            .iter()
            .map(|member| ((*member).to_owned(), value(member)))
            .collect()
    }

    /// The error response for `error`. The description is written as the provider writes it,
    /// even where that breaks RFC 6749 §5.2's character set (zitadel/oidc's expired-code text
    /// quotes `"device_code"`).
    pub fn error_response(&self, error: DeviceError) -> ErrorResponse {
        let text = self.text(error);
        ErrorResponse {
            status: text.status,
            body: Some(json!({ "error": text.error, "error_description": text.description })),
            content_type: crate::error::JSON,
            www_authenticate: None,
        }
    }
}

/// RFC 8628 §3.2's member order, which Keycloak and zitadel/oidc write.
const RFC_ORDER: [&str; 6] = [
    "device_code",
    "user_code",
    "verification_uri",
    "verification_uri_complete",
    "expires_in",
    "interval",
];

/// Base-20 consonants: no vowels (no words), no look-alikes (RFC 8628 §6.1).
pub const BASE20: &str = "BCDFGHJKLMNPQRSTVWXZ";

/// RFC 8628 as written: 1800 s codes, 5 s interval, `slow_down` grows the interval.
pub const STANDARD: DeviceFacts = DeviceFacts {
    lifetime: 1800,
    interval: 5,
    user_code: UserCodeFormat {
        charset: BASE20,
        length: 8,
        group: 4,
        case_sensitive: false,
    },
    slow_down: SlowDown::IncreaseInterval,
    poll_order: PollOrder::ExpiryFirst,
    errors: [
        text(400, "authorization_pending", "the user has not yet decided"),
        text(400, "slow_down", "polling too fast: the interval grows by 5 seconds"),
        text(400, "expired_token", "the device code has expired"),
        text(400, "access_denied", "the user denied the authorization request"),
        text(400, "invalid_grant", "unknown device code"),
        text(400, "invalid_request", "Missing form parameter: device_code"),
        text(
            400,
            "unauthorized_client",
            "the client may not use the device authorization grant",
        ),
    ],
    endpoint_checks_client: true,
    redeemed: DeviceError::UnknownCode,
    response_order: &RFC_ORDER,
};

/// Keycloak 26 (`DeviceEndpoint`, `DeviceGrantType`).
pub const KEYCLOAK: DeviceFacts = DeviceFacts {
    lifetime: 600,
    interval: 5,
    // DefaultOAuth2DeviceUserCodeProvider: eight letters of SecretGenerator.UPPER, shown as
    // XXXX-XXXX.
    user_code: UserCodeFormat {
        charset: "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        length: 8,
        group: 4,
        case_sensitive: false,
    },
    slow_down: SlowDown::WithinInterval,
    poll_order: PollOrder::ExpiryFirst,
    errors: [
        text(
            400,
            "authorization_pending",
            "The authorization request is still pending",
        ),
        text(400, "slow_down", "Slow down"),
        text(400, "expired_token", "Device code is expired"),
        text(400, "access_denied", "The end user denied the authorization request"),
        text(400, "invalid_grant", "Device code not valid"),
        text(400, "invalid_request", "Missing parameter: device_code"),
        text(
            400,
            "unauthorized_client",
            "Client is not allowed to initiate OAuth 2.0 Device Authorization Grant. The flow is disabled for the client.",
        ),
    ],
    endpoint_checks_client: true,
    redeemed: DeviceError::UnknownCode,
    response_order: &RFC_ORDER,
};

/// ZITADEL (zitadel/oidc `device.go`, `error.go`).
pub const ZITADEL: DeviceFacts = DeviceFacts {
    lifetime: 300,
    interval: 5,
    user_code: UserCodeFormat {
        charset: BASE20,
        length: 8,
        group: 4,
        case_sensitive: false,
    },
    slow_down: SlowDown::Never,
    poll_order: PollOrder::DecisionFirst,
    errors: [
        text(
            400,
            "authorization_pending",
            "The client SHOULD repeat the access token request to the token endpoint, after interval from device authorization response.",
        ),
        text(
            400,
            "slow_down",
            "Polling should continue, but the interval MUST be increased by 5 seconds for this and all subsequent requests.",
        ),
        text(400, "expired_token", "The \"device_code\" has expired."),
        text(400, "access_denied", "The authorization request was denied."),
        // A device code the storage does not know is `ErrAccessDenied().WithParent(err)`.
        text(400, "access_denied", "The authorization request was denied."),
        text(400, "invalid_request", "device_code missing"),
        // `ParseDeviceCodeRequest` names the wrong grant type in its description.
        text(
            400,
            "unauthorized_client",
            "client missing grant type authorization_code",
        ),
    ],
    endpoint_checks_client: true,
    redeemed: DeviceError::UnknownCode,
    response_order: &RFC_ORDER,
};

/// The key set of WSO2's user codes (`OAuthServerConfiguration.deviceCodeKeySet`).
pub const WSO2_USER_CODE_CHARSET: &str = "BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz23456789";

/// WSO2 IS 7 (`DeviceFlowGrant`, `DeviceErrorCodes`, `OAuthServerConfiguration`). It has no
/// denial (no code path sets a denied status): the mock's scripted denial answers RFC 8628's
/// `access_denied` with its own words.
pub const WSO2: DeviceFacts = DeviceFacts {
    lifetime: 600,
    interval: 5,
    user_code: UserCodeFormat {
        charset: WSO2_USER_CODE_CHARSET,
        length: 6,
        group: 0,
        case_sensitive: true,
    },
    slow_down: SlowDown::SinceLastPoll,
    poll_order: PollOrder::PaceFirst,
    errors: [
        text(400, "authorization_pending", "Precondition required"),
        text(400, "slow_down", "Forbidden"),
        text(400, "expired_token", "Forbidden"),
        text(400, "access_denied", "the user denied the authorization request"),
        text(
            400,
            "invalid_request",
            "The provided device code is not registered or is invalid.",
        ),
        text(400, "invalid_request", "Missing parameters: device_code"),
        // Never at the device endpoint (`endpoint_checks_client`); a poll is refused by the
        // token endpoint's grant check.
        text(
            400,
            "unauthorized_client",
            "The authenticated client is not authorized to use this authorization grant type",
        ),
    ],
    endpoint_checks_client: false,
    redeemed: DeviceError::Expired,
    // `org.json.JSONObject` is backed by a `HashMap`: its iteration order for these six keys
    // (computed, not observed from a running WSO2).
    response_order: &[
        "user_code",
        "device_code",
        "interval",
        "verification_uri_complete",
        "verification_uri",
        "expires_in",
    ],
};

/// The device facts of `provider`, if it has the grant.
pub fn facts(provider: Provider) -> Option<&'static DeviceFacts> {
    provider.quirks().device.as_ref()
}

/// The `error` code a device error carries in `provider`'s texts, as an [`ErrorCode`] where the
/// standard vocabulary has one (`None` for the RFC 8628 codes).
pub fn standard_code(error: &str) -> Option<ErrorCode> {
    match error {
        "invalid_request" => Some(ErrorCode::InvalidRequest),
        "invalid_grant" => Some(ErrorCode::InvalidGrant),
        "unauthorized_client" => Some(ErrorCode::UnauthorizedClient),
        "access_denied" => Some(ErrorCode::AccessDenied),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_have_the_format_and_normalize_back() {
        let format = KEYCLOAK.user_code;
        let code = format.render(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        assert_eq!(code, "ABCD-EFGH");
        assert_eq!(ZITADEL.user_code.render(&[0, 1, 2, 3, 4, 5, 6, 7]), "BCDF-GHJK");
        assert_eq!(UserCodeFormat::normalize(" bcdf-ghjk "), "BCDFGHJK");
        assert_eq!(UserCodeFormat::normalize(&code), "ABCDEFGH");
    }

    #[test]
    fn each_error_has_its_own_text() {
        assert_eq!(KEYCLOAK.text(DeviceError::SlowDown).description, "Slow down");
        assert_eq!(KEYCLOAK.text(DeviceError::UnknownCode).error, "invalid_grant");
        assert_eq!(ZITADEL.text(DeviceError::UnknownCode).error, "access_denied");
        assert_eq!(STANDARD.text(DeviceError::Expired).error, "expired_token");
        let body = KEYCLOAK.error_response(DeviceError::Pending).body.unwrap();
        assert_eq!(body["error"], "authorization_pending");
    }

    #[test]
    fn the_complete_uri_carries_the_user_code() {
        let body = KEYCLOAK.authorization_response("d", "ABCD-EFGH", "http://x/realms/demo/device", 600, 5);
        assert_eq!(
            body["verification_uri_complete"],
            "http://x/realms/demo/device?user_code=ABCD-EFGH"
        );
        let keys: Vec<&String> = body.keys().collect();
        assert_eq!(
            keys,
            [
                "device_code",
                "user_code",
                "verification_uri",
                "verification_uri_complete",
                "expires_in",
                "interval"
            ]
        );
    }

    #[test]
    fn device_grant_per_provider() {
        assert_eq!(facts(Provider::Keycloak), Some(&KEYCLOAK));
        assert_eq!(facts(Provider::Zitadel), Some(&ZITADEL));
        assert_eq!(facts(Provider::Generic), Some(&STANDARD));
        assert_eq!(facts(Provider::Wso2), Some(&WSO2));
        assert_eq!(facts(Provider::AppId), None);
    }

    #[test]
    fn a_provider_whose_pending_codes_ignore_their_lifetime_documents_the_deviation() {
        for provider in Provider::ALL {
            let pace_first = facts(provider).is_some_and(|facts| facts.poll_order == PollOrder::PaceFirst);
            let deviates = provider
                .flavor()
                .quirks()
                .deviates(crate::Deviation::PendingDeviceCodeOutlivesExpiry);
            assert_eq!(pace_first, deviates, "{provider}");
        }
    }
}
