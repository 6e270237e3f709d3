//! [`ProviderMetadata`]: the discovery document (OpenID Connect Discovery 1.0 §3, RFC 8414 §2)
//! as one typed value, built from a realm's [`Site`] and a provider's [`Quirks`].
//!
//! Every member that states a behaviour is derived from the facts the mock routes and answers
//! requests with: endpoint URLs from the site's routes (an endpoint the provider does not serve
//! has no member), `grant_types_supported` from the grants both the server and the quirks
//! allow, `code_challenge_methods_supported` from [`Quirks::pkce_methods`] and
//! `authorization_response_iss_parameter_supported` from
//! [`Quirks::authorization_response_iss`]. A provider module starts from
//! [`ProviderMetadata::standard`] and changes only what its provider advertises differently;
//! [`ProviderMetadata::document`] writes the members in the provider's own order.

use crate::claims::{DiscoveryInput, SCOPE_CLAIMS};
use crate::{Deviation, Endpoint, GrantType, Quirks, SigningAlg};
use serde::Serialize;
use serde_json::{Map, Value};

/// A discovery document. Standard members are typed fields (`None`: the member is absent);
/// members only one provider writes go into [`ProviderMetadata::extra`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProviderMetadata {
    /// `issuer`.
    pub issuer: String,
    /// `authorization_endpoint`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_endpoint: Option<String>,
    /// `token_endpoint`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_endpoint: Option<String>,
    /// `userinfo_endpoint`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userinfo_endpoint: Option<String>,
    /// `jwks_uri`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// `introspection_endpoint` (RFC 8414 §2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub introspection_endpoint: Option<String>,
    /// `revocation_endpoint` (RFC 8414 §2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<String>,
    /// `end_session_endpoint` (OpenID Connect RP-Initiated Logout 1.0 §2.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_session_endpoint: Option<String>,
    /// `device_authorization_endpoint` (RFC 8628 §4), where the device grant is served.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_authorization_endpoint: Option<String>,
    /// `pushed_authorization_request_endpoint` (RFC 9126 §5), where PAR is served.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pushed_authorization_request_endpoint: Option<String>,
    /// `require_pushed_authorization_requests` (RFC 9126 §5), where the provider writes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub require_pushed_authorization_requests: Option<bool>,
    /// `scopes_supported`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes_supported: Option<Vec<String>>,
    /// `response_types_supported`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_types_supported: Option<Vec<&'static str>>,
    /// `response_modes_supported`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_modes_supported: Option<Vec<&'static str>>,
    /// `grant_types_supported`, as wire names (the device grant's is a URN).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "wire_names")]
    pub grant_types_supported: Option<Vec<GrantType>>,
    /// `subject_types_supported`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_types_supported: Option<Vec<&'static str>>,
    /// `id_token_signing_alg_values_supported`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token_signing_alg_values_supported: Option<Vec<SigningAlg>>,
    /// `token_endpoint_auth_methods_supported`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_methods_supported: Option<Vec<&'static str>>,
    /// `introspection_endpoint_auth_methods_supported`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub introspection_endpoint_auth_methods_supported: Option<Vec<&'static str>>,
    /// `revocation_endpoint_auth_methods_supported`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint_auth_methods_supported: Option<Vec<&'static str>>,
    /// `code_challenge_methods_supported` (RFC 8414 §2, from [`Quirks::pkce_methods`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code_challenge_methods_supported: Option<Vec<&'static str>>,
    /// `dpop_signing_alg_values_supported` (RFC 9449 §5.1, from [`Quirks::dpop`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dpop_signing_alg_values_supported: Option<Vec<&'static str>>,
    /// `claims_supported`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claims_supported: Option<Vec<&'static str>>,
    /// `claim_types_supported`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claim_types_supported: Option<Vec<&'static str>>,
    /// `acr_values_supported`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acr_values_supported: Option<Vec<&'static str>>,
    /// `prompt_values_supported` (OpenID Connect Prompt Create 1.0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_values_supported: Option<Vec<&'static str>>,
    /// `ui_locales_supported`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ui_locales_supported: Option<Vec<&'static str>>,
    /// `claims_parameter_supported`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claims_parameter_supported: Option<bool>,
    /// `request_parameter_supported`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_parameter_supported: Option<bool>,
    /// `request_uri_parameter_supported`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_uri_parameter_supported: Option<bool>,
    /// `authorization_response_iss_parameter_supported` (RFC 9207 §3, from
    /// [`Quirks::authorization_response_iss`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_response_iss_parameter_supported: Option<bool>,
    /// `backchannel_logout_supported`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backchannel_logout_supported: Option<bool>,
    /// `backchannel_logout_session_supported`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backchannel_logout_session_supported: Option<bool>,
    /// `frontchannel_logout_supported`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frontchannel_logout_supported: Option<bool>,
    /// `frontchannel_logout_session_supported`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frontchannel_logout_session_supported: Option<bool>,
    /// Members only one provider writes (App ID's `profiles_endpoint`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Client authentication with a secret, in HTTP Basic or in the body (RFC 6749 §2.3.1).
pub const SECRET_AUTH: [&str; 2] = ["client_secret_basic", "client_secret_post"];

/// [`SECRET_AUTH`] and public clients (`none`, RFC 7591 §2).
pub const SECRET_OR_PUBLIC_AUTH: [&str; 3] = ["client_secret_basic", "client_secret_post", "none"];

/// Claims the standard ID token carries besides the profile claims (OIDC Core §2, §3.1.3.6).
const ID_TOKEN_CLAIMS: [&str; 10] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "azp",
    "sid",
    "at_hash",
];

impl ProviderMetadata {
    /// The document of a provider that does what `quirks` say and nothing more: every served
    /// endpoint of `input.site`, the grants both `input` (the server) and `quirks` offer, the
    /// PKCE methods `quirks` accept (none listed under
    /// [`Deviation::PkceMethodsNotAdvertised`]), `iss` in authorization responses when
    /// `quirks` say so, and the standard answers for the rest.
    pub fn standard(input: &DiscoveryInput<'_>, quirks: &Quirks) -> ProviderMetadata {
        let url = |endpoint| input.site.url(endpoint);
        let mut claims: Vec<&'static str> = ID_TOKEN_CLAIMS.to_vec();
        for (_, scope_claims) in SCOPE_CLAIMS {
            claims.extend_from_slice(scope_claims);
        }
        // In the provider's order (App ID's document has its own).
        let grants: Vec<GrantType> = quirks
            .grant_types
            .iter()
            .copied()
            .filter(|grant| input.grant_types.contains(grant))
            .collect();
        let device = quirks.device.is_some() && grants.contains(&GrantType::DeviceCode);
        let pkce = (!quirks.deviates(Deviation::PkceMethodsNotAdvertised)).then(|| quirks.pkce_methods.to_vec());
        ProviderMetadata {
            issuer: input.site.issuer(),
            authorization_endpoint: url(Endpoint::Authorize),
            token_endpoint: url(Endpoint::Token),
            userinfo_endpoint: url(Endpoint::Userinfo),
            jwks_uri: url(Endpoint::Jwks),
            introspection_endpoint: url(Endpoint::Introspect),
            revocation_endpoint: url(Endpoint::Revoke),
            end_session_endpoint: url(Endpoint::EndSession),
            device_authorization_endpoint: device.then(|| url(Endpoint::DeviceAuthorization)).flatten(),
            pushed_authorization_request_endpoint: quirks.par.and_then(|_| url(Endpoint::PushedAuthorization)),
            require_pushed_authorization_requests: quirks.par.and_then(|par| par.advertises_required.then_some(false)),
            scopes_supported: Some(input.realm.scopes.clone()),
            response_types_supported: Some(vec!["code"]),
            response_modes_supported: Some(vec!["query"]),
            grant_types_supported: Some(grants),
            subject_types_supported: Some(vec!["public"]),
            id_token_signing_alg_values_supported: Some(input.signing_algs.to_vec()),
            token_endpoint_auth_methods_supported: Some(SECRET_OR_PUBLIC_AUTH.to_vec()),
            introspection_endpoint_auth_methods_supported: Some(SECRET_AUTH.to_vec()),
            revocation_endpoint_auth_methods_supported: Some(SECRET_OR_PUBLIC_AUTH.to_vec()),
            code_challenge_methods_supported: pkce,
            dpop_signing_alg_values_supported: quirks
                .dpop
                .filter(|dpop| dpop.advertised)
                .map(|dpop| dpop.signing_algs.to_vec()),
            claims_supported: Some(claims),
            claim_types_supported: None,
            acr_values_supported: None,
            prompt_values_supported: Some(vec!["none", "login"]),
            ui_locales_supported: None,
            claims_parameter_supported: Some(false),
            request_parameter_supported: Some(false),
            request_uri_parameter_supported: Some(false),
            authorization_response_iss_parameter_supported: quirks.authorization_response_iss.then_some(true),
            backchannel_logout_supported: Some(quirks.backchannel_logout.is_some()),
            backchannel_logout_session_supported: quirks.backchannel_logout.map(|_| true),
            frontchannel_logout_supported: Some(false),
            frontchannel_logout_session_supported: None,
            extra: Map::new(),
        }
    }

    /// The JSON object, members in `order` first (names absent from the document are
    /// skipped), then any member `order` does not name, in field order. Each provider's order
    /// lists every member it writes (tested), so nothing lands in the tail by accident.
    pub fn document(&self, order: &[&str]) -> Map<String, Value> {
        // Serializing strings, booleans, lists of them and a JSON map cannot fail; should it
        // ever, the document advertises nothing rather than something half-written.
        let Ok(Value::Object(mut members)) = serde_json::to_value(self) else {
            return Map::new();
        };
        let mut document = Map::with_capacity(members.len());
        for name in order {
            if let Some((name, value)) = members.shift_remove_entry(*name) {
                document.insert(name, value);
            }
        }
        document.extend(members);
        document
    }
}

/// The member order of the generic provider's document (the field order of
/// [`ProviderMetadata`]).
pub const STANDARD_ORDER: &[&str] = &[
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "jwks_uri",
    "introspection_endpoint",
    "revocation_endpoint",
    "end_session_endpoint",
    "device_authorization_endpoint",
    "scopes_supported",
    "response_types_supported",
    "response_modes_supported",
    "grant_types_supported",
    "subject_types_supported",
    "id_token_signing_alg_values_supported",
    "token_endpoint_auth_methods_supported",
    "introspection_endpoint_auth_methods_supported",
    "revocation_endpoint_auth_methods_supported",
    "code_challenge_methods_supported",
    "dpop_signing_alg_values_supported",
    "claims_supported",
    "prompt_values_supported",
    "claims_parameter_supported",
    "request_parameter_supported",
    "request_uri_parameter_supported",
    "authorization_response_iss_parameter_supported",
    "backchannel_logout_supported",
    "backchannel_logout_session_supported",
    "frontchannel_logout_supported",
];

/// Serializes grant types by their `grant_type` wire names.
fn wire_names<S: serde::Serializer>(grants: &Option<Vec<GrantType>>, serializer: S) -> Result<S::Ok, S::Error> {
    let names: Option<Vec<&str>> = grants
        .as_ref()
        .map(|grants| grants.iter().map(|grant| grant.as_str()).collect());
    names.serialize(serializer)
}

#[cfg(test)]
mod tests;
