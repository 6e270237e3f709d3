//! The grants the token endpoint implements, one module each. [`SUPPORTED`] is the only list:
//! discovery's `grant_types_supported` is read from it.

mod authorization_code;
mod client_credentials;
mod custom_identity;
mod exchange;
mod external_subject;
mod federated_bearer;
pub(crate) mod jwt_bearer;
mod password;
mod refresh_token;

use crate::app::RealmCtx;
use crate::client_auth::AuthenticatedClient;
use crate::error::OAuthError;
use crate::http::Params;
use crate::tokens::Issued;
use providers::{ErrorKind, GrantType};

/// Grant types this server implements.
pub(crate) const SUPPORTED: &[GrantType] = &[
    GrantType::AuthorizationCode,
    GrantType::RefreshToken,
    GrantType::ClientCredentials,
    GrantType::Password,
    GrantType::DeviceCode,
    GrantType::TokenExchange,
    GrantType::JwtBearer,
];

/// Grant types this server implements for `provider` (the provider may offer fewer).
pub(crate) fn supported(provider: providers::Provider) -> Vec<GrantType> {
    let offered = provider.flavor().quirks().grant_types;
    SUPPORTED
        .iter()
        .copied()
        .filter(|grant| offered.contains(grant))
        .collect()
}

/// The grant `grant_type` names, when this server has it for the provider.
pub(crate) fn requested(cx: &RealmCtx, params: &Params) -> Result<GrantType, OAuthError> {
    let name = params.require("grant_type")?;
    GrantType::from_wire(name)
        .filter(|grant| cx.app.grant_types.contains(grant))
        .ok_or_else(|| {
            OAuthError::new(
                ErrorKind::UnsupportedGrantType { grant: name.to_owned() },
                providers::unsupported_grant_description(name),
            )
        })
}

/// Runs `grant` (from [`requested`]) for an already authenticated client.
pub(crate) fn issue(
    cx: &RealmCtx,
    client: AuthenticatedClient<'_>,
    grant: GrantType,
    params: &Params,
) -> Result<Issued, OAuthError> {
    // Keycloak's token exchange checks the client itself, in its order and words.
    let checked_by_grant = grant == GrantType::TokenExchange
        && providers::exchange::facts(cx.app.provider).is_some_and(|facts| facts.grant_checks_client());
    if !checked_by_grant && !client.client.allows(grant) {
        return Err(OAuthError::new(
            ErrorKind::UnauthorizedGrant { grant },
            format!("client {} may not use the {grant} grant", client.client.id),
        ));
    }
    match grant {
        GrantType::AuthorizationCode => authorization_code::issue(cx, client.client, params),
        GrantType::RefreshToken => refresh_token::issue(cx, client.client, params),
        GrantType::ClientCredentials => client_credentials::issue(cx, client.client, params),
        GrantType::Password => password::issue(cx, client.client, params),
        GrantType::DeviceCode => crate::device::grant::issue(cx, client.client, params),
        GrantType::TokenExchange => exchange::issue(cx, client.client, params),
        // WSO2: trusted identity providers' assertions, for an authenticated client.
        GrantType::JwtBearer if let Some(facts) = providers::jwt_bearer::federated_facts(cx.app.provider) => {
            federated_bearer::issue(cx, client.client, facts, params)
        }
        // App ID: its custom identity, for an authenticated client.
        GrantType::JwtBearer if let Some(facts) = providers::jwt_bearer::custom_identity_facts(cx.app.provider) => {
            custom_identity::issue(cx, client.client, facts, params)
        }
        // ZITADEL's is served before client authentication (jwt_bearer::try_issue).
        GrantType::JwtBearer => Err(OAuthError::new(
            ErrorKind::UnsupportedGrantType {
                grant: grant.as_str().to_owned(),
            },
            providers::unsupported_grant_description(grant.as_str()),
        )),
    }
}
