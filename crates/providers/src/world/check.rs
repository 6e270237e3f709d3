//! Re-checks an already typed [`Realm`] against the world's rules for a realm, for realms edited
//! at run time (the admin API). The rules are the ones [`super::validate`] applies to the file,
//! through the same helpers.

use super::validate::{check_name, check_subset, check_unique, is_scope_token, uris};
use super::{ClientKind, Realm, WorldError};
use crate::GrantType;
use std::collections::BTreeSet;

impl Realm {
    /// Checks this realm against the rules a world file's realm must follow (names, scope tokens,
    /// `openid`, lifetimes, client kinds and grants, redirect URIs, roles, user ids).
    ///
    /// # Errors
    /// [`WorldError::Invalid`] naming the first broken rule (origin `<realm>`, line 0).
    pub fn validate(&self) -> Result<(), WorldError> {
        let fail = |_span: std::ops::Range<usize>, field: String, message: String| WorldError::Invalid {
            origin: "<realm>".to_owned(),
            line: 0,
            field,
            message,
        };
        let fail: super::validate::Fail<'_> = &fail;
        let path = format!("realms.{}", self.name);
        check_name(&self.name, &path, 0..0, fail)?;
        let scopes_field = format!("{path}.scopes");
        if let Some(scope) = self.scopes.iter().find(|scope| !is_scope_token(scope)) {
            return Err(fail(
                0..0,
                scopes_field,
                format!("`{scope}` is not a valid scope token (RFC 6749 §3.3)"),
            ));
        }
        if !self.scopes.iter().any(|scope| scope == "openid") {
            return Err(fail(0..0, scopes_field, "must contain `openid`".into()));
        }
        check_unique(&self.scopes, &scopes_field, 0..0, fail)?;
        check_unique(&self.roles, &format!("{path}.roles"), 0..0, fail)?;
        let lifetimes = &self.lifetimes;
        for (field, value) in [
            ("access_token_secs", lifetimes.access_token),
            ("refresh_token_secs", lifetimes.refresh_token),
            ("authorization_code_secs", lifetimes.authorization_code),
            ("login_secs", lifetimes.login),
            ("session_idle_secs", lifetimes.session_idle),
            ("session_max_secs", lifetimes.session_max),
        ] {
            if value == 0 {
                return Err(fail(
                    0..0,
                    format!("{path}.lifetimes.{field}"),
                    "must be at least 1 second".into(),
                ));
            }
        }
        for (id, client) in &self.clients {
            self.check_client(id, client, &format!("{path}.clients.{id}"), fail)?;
        }
        let mut ids = BTreeSet::new();
        for (username, user) in &self.users {
            let user_path = format!("{path}.users.{username}");
            check_name(username, &user_path, 0..0, fail)?;
            if user.username != *username {
                return Err(fail(0..0, user_path, "the key must equal the username".into()));
            }
            if user.id.is_empty() || user.id.len() > 255 || !user.id.is_ascii() {
                return Err(fail(
                    0..0,
                    format!("{user_path}.id"),
                    "must be 1 to 255 ASCII characters (OIDC Core §2)".into(),
                ));
            }
            if !ids.insert(user.id.as_str()) {
                return Err(fail(
                    0..0,
                    format!("{user_path}.id"),
                    format!("id `{}` is used by another user", user.id),
                ));
            }
            if user.password.expose().is_empty() {
                return Err(fail(0..0, format!("{user_path}.password"), "must not be empty".into()));
            }
            check_subset(
                &user.realm_roles,
                &self.roles,
                &format!("{user_path}.realm_roles"),
                "a realm role",
                0..0,
                fail,
            )?;
            for (client_id, roles) in &user.client_roles {
                let field = format!("{user_path}.client_roles.{client_id}");
                let Some(client) = self.clients.get(client_id) else {
                    return Err(fail(
                        0..0,
                        field,
                        format!("client `{client_id}` is not defined in this realm"),
                    ));
                };
                check_subset(roles, &client.roles, &field, "a role the client defines", 0..0, fail)?;
            }
        }
        Ok(())
    }

    fn check_client(
        &self,
        id: &str,
        client: &super::Client,
        path: &str,
        fail: super::validate::Fail<'_>,
    ) -> Result<(), WorldError> {
        check_name(id, path, 0..0, fail)?;
        if client.id != id {
            return Err(fail(0..0, path.to_owned(), "the key must equal the client id".into()));
        }
        let public = matches!(client.kind, ClientKind::Public);
        if let ClientKind::Confidential { secret } = &client.kind
            && secret.expose().is_empty()
        {
            return Err(fail(
                0..0,
                format!("{path}.secret"),
                "a confidential client needs a non-empty secret".into(),
            ));
        }
        let grants_field = format!("{path}.grant_types");
        if client.grant_types.is_empty() {
            return Err(fail(0..0, grants_field, "at least one grant type is required".into()));
        }
        let client_credentials = client.grant_types.contains(&GrantType::ClientCredentials);
        if public && client_credentials {
            return Err(fail(
                0..0,
                grants_field,
                "a public client cannot use client_credentials".into(),
            ));
        }
        let spanned = |list: &[String]| list.iter().map(|uri| toml::Spanned::new(0..0, uri.clone())).collect();
        uris(spanned(&client.redirect_uris), &format!("{path}.redirect_uris"), fail)?;
        uris(
            spanned(&client.post_logout_redirect_uris),
            &format!("{path}.post_logout_redirect_uris"),
            fail,
        )?;
        if client.grant_types.contains(&GrantType::AuthorizationCode) && client.redirect_uris.is_empty() {
            return Err(fail(
                0..0,
                format!("{path}.redirect_uris"),
                "authorization_code needs at least one redirect URI".into(),
            ));
        }
        check_subset(
            &client.scopes,
            &self.scopes,
            &format!("{path}.scopes"),
            "a realm scope",
            0..0,
            fail,
        )?;
        check_subset(
            &client.default_scopes,
            &client.scopes,
            &format!("{path}.default_scopes"),
            "one of the client's scopes",
            0..0,
            fail,
        )?;
        check_subset(
            &client.audience_scopes,
            &self.scopes,
            &format!("{path}.audience_scopes"),
            "a realm scope",
            0..0,
            fail,
        )?;
        let sa_field = format!("{path}.service_account_roles");
        check_subset(
            &client.service_account_roles,
            &self.roles,
            &sa_field,
            "a realm role",
            0..0,
            fail,
        )?;
        if !client.service_account_roles.is_empty() && !client_credentials {
            return Err(fail(
                0..0,
                sa_field,
                "only a client with the client_credentials grant has a service account".into(),
            ));
        }
        if client.introspection && public {
            return Err(fail(
                0..0,
                format!("{path}.introspection"),
                "a public client cannot authenticate to introspect".into(),
            ));
        }
        if !client.personal_access_tokens.is_empty() && !client_credentials {
            return Err(fail(
                0..0,
                format!("{path}.personal_access_tokens"),
                "only a client with the client_credentials grant (a machine user) has personal access tokens".into(),
            ));
        }
        Ok(())
    }
}
