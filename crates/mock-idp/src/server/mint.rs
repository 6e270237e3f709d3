//! Minting without HTTP ([`crate::MockIdp::mint`] and the admin API's `/_mock/tokens`).

use super::{MockIdpError, TokenSpec, refused};
use crate::app::App;
use crate::tokens::{Overrides, Subject};

impl App {
    /// Signs an access token as the token endpoint shapes it, with `spec`'s overrides and
    /// defects.
    pub(crate) fn mint(self: &std::sync::Arc<Self>, spec: TokenSpec) -> Result<String, MockIdpError> {
        let realm_name = spec.realm.as_deref().unwrap_or(self.default_realm());
        let cx = self
            .realm(realm_name)
            .map_err(|_| MockIdpError::UnknownRealm(realm_name.to_owned()))?;
        let user = match &spec.user {
            Some(name) => Some(
                cx.realm
                    .user(name)
                    .ok_or_else(|| MockIdpError::UnknownUser(name.clone()))?,
            ),
            None => None,
        };
        let client = match &spec.client {
            Some(id) => cx
                .realm
                .client(id)
                .ok_or_else(|| MockIdpError::UnknownClient(id.clone()))?,
            None => cx
                .realm
                .clients
                .values()
                .find(|client| {
                    client.is_confidential()
                        && (client.allows(providers::GrantType::AuthorizationCode)
                            || client.allows(providers::GrantType::Password))
                })
                .ok_or_else(|| MockIdpError::UnknownClient("(a confidential client with a user grant)".into()))?,
        };
        let subject = Subject {
            client,
            user,
            scopes: spec.scopes.clone().unwrap_or_else(|| client.default_scopes.clone()),
            auth_time: user.map(|_| cx.now()),
            session_id: None,
            nonce: None,
            grant: None,
            login: None,
            form: None,
        };
        let lifetime = spec.lifetime.unwrap_or(cx.realm.lifetimes.access_token);
        let mut claims = crate::negative::claims(&spec.defects, cx.now(), lifetime);
        claims.extend(spec.claims);
        let overrides = Overrides {
            lifetime: spec.lifetime,
            claims,
            shape: None,
        };
        let token = cx
            .access_token(&subject, None, &overrides)
            .map(|(token, _)| token)
            .map_err(refused)?;
        crate::negative::apply(token, &spec.defects, cx.keys()).map_err(MockIdpError::Defect)
    }
}
