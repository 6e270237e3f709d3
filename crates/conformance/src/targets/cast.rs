//! The World's clients and users by the part they play in checks.

use crate::check::Capability;
use providers::{Client, ClientKind, GrantType, PkcePolicy, Realm, User};

/// The World's clients and users, by the part they play in checks.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Cast<'w> {
    /// A confidential client with the code grant and a redirect URI.
    pub(crate) web: Option<&'w Client>,
    /// A public client with the code grant and a redirect URI.
    pub(crate) spa: Option<&'w Client>,
    /// A confidential client with client credentials.
    pub(crate) service: Option<&'w Client>,
    /// A client allowed to introspect.
    pub(crate) introspector: Option<&'w Client>,
    /// A confidential client_credentials client whose id or secret form-urlencoding changes.
    pub(crate) encoded: Option<&'w Client>,
    /// A client with the device authorization grant.
    pub(crate) device: Option<&'w Client>,
    /// A confidential client with the token exchange grant that a scope of the code-flow
    /// client's tokens puts in their `aud` (an `audience_scopes` entry).
    pub(crate) exchanger: Option<&'w Client>,
    /// A confidential client_credentials client whose registered `jwks` holds conformance's
    /// assertion key ([`ASSERTION_KID`]).
    pub(crate) keyed: Option<&'w Client>,
    /// A confidential code-flow client with a back-channel logout URI.
    pub(crate) logout: Option<&'w Client>,
    /// A confidential client_credentials client registered for `client_secret_jwt`.
    pub(crate) secret_jwt: Option<&'w Client>,
    /// An enabled user.
    pub(crate) user: Option<&'w User>,
}

/// The `kid` of conformance's published client assertion key, as a World registers it.
pub(crate) const ASSERTION_KID: &str = "idp-conformance";

/// Whether `client` registers keys (inline or by URL): such a client authenticates with a
/// signed JWT, and where the provider lets only one method serve a client (Keycloak's
/// `client-jwt` authenticator) its secret no longer does.
fn has_keys(client: &Client) -> bool {
    client.jwks.is_some() || client.jwks_uri.is_some()
}

/// Whether `client`'s registered `jwks` holds a key with `kid`.
fn registers_kid(client: &Client, kid: &str) -> bool {
    client
        .jwks
        .as_ref()
        .and_then(|jwks| jwks.get("keys"))
        .and_then(serde_json::Value::as_array)
        .is_some_and(|keys| {
            keys.iter()
                .any(|key| key.get("kid").and_then(serde_json::Value::as_str) == Some(kid))
        })
}

impl<'w> Cast<'w> {
    pub(super) fn of(realm: Option<&'w Realm>) -> Cast<'w> {
        let Some(realm) = realm else {
            return Cast::default();
        };
        let code_client = |public: bool| {
            realm.clients.values().find(|client| {
                client.allows(GrantType::AuthorizationCode)
                    && !client.redirect_uris.is_empty()
                    && client.is_confidential() != public
            })
        };
        let introspector = realm
            .clients
            .values()
            .find(|client| client.introspection && client.is_confidential());
        let service = realm
            .clients
            .values()
            .filter(|client| {
                client.is_confidential()
                    && client.allows(GrantType::ClientCredentials)
                    && !has_keys(client)
                    && client.token_endpoint_auth_method != Some(providers::TokenEndpointAuthMethod::ClientSecretJwt)
            })
            .min_by_key(|client| client.introspection);
        let keyed = realm.clients.values().find(|client| {
            client.is_confidential()
                && client.allows(GrantType::ClientCredentials)
                && registers_kid(client, ASSERTION_KID)
        });
        let encoded = realm.clients.values().find(|client| {
            client.allows(GrantType::ClientCredentials)
                && secret(client)
                    .is_some_and(|secret| changes_when_form_encoded(&client.id) || changes_when_form_encoded(secret))
        });
        let exchanger = realm.clients.values().find(|client| {
            client.is_confidential() && client.allows(GrantType::TokenExchange) && !client.audience_scopes.is_empty()
        });
        let mut users = realm.users.values().filter(|user| user.enabled);
        Cast {
            web: code_client(false),
            spa: code_client(true),
            service,
            introspector,
            encoded,
            device: realm
                .clients
                .values()
                .find(|client| client.allows(GrantType::DeviceCode)),
            exchanger,
            keyed,
            secret_jwt: realm.clients.values().find(|client| {
                client.is_confidential()
                    && client.allows(GrantType::ClientCredentials)
                    && client.token_endpoint_auth_method == Some(providers::TokenEndpointAuthMethod::ClientSecretJwt)
            }),
            logout: realm.clients.values().find(|client| {
                client.is_confidential()
                    && client.allows(GrantType::AuthorizationCode)
                    && !client.redirect_uris.is_empty()
                    && client.backchannel_logout_uri.is_some()
            }),
            user: users.next(),
        }
    }

    pub(super) fn has(&self, capability: Capability, mock_control: bool) -> bool {
        match capability {
            Capability::CodeFlow => self.web.is_some() && self.user.is_some(),
            Capability::PublicClient => self.spa.is_some() && self.user.is_some(),
            Capability::ClientCredentials => self.service.is_some(),
            Capability::Refresh => self.web.is_some_and(|web| web.allows(GrantType::RefreshToken)),
            Capability::Introspection => self.introspector.is_some(),
            Capability::EncodedCredentials => self.encoded.is_some(),
            Capability::MockControl => mock_control,
            Capability::DeviceFlow => self.device.is_some() && self.user.is_some(),
            Capability::TokenExchange => self.exchanger.is_some() && self.web.is_some() && self.user.is_some(),
            Capability::KeyedClient => self.keyed.is_some(),
            Capability::BackchannelLogout => self.logout.is_some() && self.user.is_some(),
            Capability::SecretJwtClient => self.secret_jwt.is_some(),
        }
    }

    pub(crate) fn spa_requires_pkce(&self) -> bool {
        self.spa.is_some_and(|spa| spa.pkce == PkcePolicy::S256Required)
    }
}

/// Whether RFC 6749 §2.3.1's form-urlencoding changes `text` (`:`, `%`, `+`, space, `@`,
/// non-ASCII, …), so a server that skips decoding would refuse it.
pub(crate) fn changes_when_form_encoded(text: &str) -> bool {
    crate::http::form_encode(text) != text
}

/// The raw secret of a confidential client, for the request that sends it.
pub(crate) fn secret(client: &Client) -> Option<&str> {
    match &client.kind {
        ClientKind::Confidential { secret } => Some(secret.expose()),
        ClientKind::Public => None,
    }
}
