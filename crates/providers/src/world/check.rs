//! Re-checks an already typed [`Realm`] against the world's rules for a realm, for realms edited
//! at run time (the admin API). The rules are the ones [`super::validate`] applies to the file,
//! through the same helpers.

use super::validate::{check_name, check_subset, check_unique, is_scope_token, pat_problem, uris};
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
        if let Some(jwks) = &client.jwks {
            let field = format!("{path}.jwks");
            super::validate::check_client_jwks(jwks).map_err(|problem| fail(0..0, field.clone(), problem.into()))?;
            if public {
                return Err(fail(
                    0..0,
                    field,
                    "a public client cannot authenticate with private_key_jwt".into(),
                ));
            }
        }
        if let Some(uri) = &client.jwks_uri
            && let Some(problem) = super::validate::client_jwks_uri_problem(uri, client.jwks.is_some(), public)
        {
            return Err(fail(0..0, format!("{path}.jwks_uri"), problem.into()));
        }
        if let Some(method) = client.token_endpoint_auth_method
            && let Some(problem) =
                super::validate::auth_method_problem(method, public, client.jwks.is_some() || client.jwks_uri.is_some())
        {
            return Err(fail(0..0, format!("{path}.token_endpoint_auth_method"), problem.into()));
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
        for (index, pat) in client.personal_access_tokens.iter().enumerate() {
            let earlier = &client.personal_access_tokens[..index];
            if let Some(problem) = pat_problem(&client.grant_types, &pat.token, pat.issued_at, pat.expires_at, earlier)
            {
                return Err(fail(
                    0..0,
                    format!("{path}.personal_access_tokens[{index}]"),
                    problem.into(),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::{ClientKind, GrantType, Realm, Secret, World, WorldError};

    fn demo() -> Realm {
        World::default_world().unwrap().realm("demo").unwrap().clone()
    }

    /// The field the first broken rule names, after `edit`.
    fn refused(edit: impl FnOnce(&mut Realm)) -> String {
        let mut realm = demo();
        edit(&mut realm);
        match realm.validate() {
            Err(WorldError::Invalid { field, .. }) => field,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn every_realm_of_the_shipped_worlds_passes() {
        let encoded = World::load(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/worlds/encoded-credentials.toml"
        ))
        .unwrap();
        for world in [World::default_world().unwrap(), encoded] {
            for realm in world.realms.values() {
                realm.validate().unwrap();
            }
        }
    }

    #[test]
    fn each_rule_of_the_world_file_is_enforced_on_a_typed_realm() {
        assert_eq!(refused(|r| r.name = "no spaces".into()), "realms.no spaces");
        assert_eq!(refused(|r| r.scopes.retain(|s| s != "openid")), "realms.demo.scopes");
        assert_eq!(refused(|r| r.scopes.push("bad\"scope".into())), "realms.demo.scopes");
        assert_eq!(refused(|r| r.scopes.push("openid".into())), "realms.demo.scopes");
        assert_eq!(refused(|r| r.roles.push("user".into())), "realms.demo.roles");
        assert_eq!(
            refused(|r| r.lifetimes.session_max = 0),
            "realms.demo.lifetimes.session_max_secs"
        );
        assert_eq!(
            refused(|r| r.clients.get_mut("service").unwrap().kind = ClientKind::Public),
            "realms.demo.clients.service.grant_types"
        );
        assert_eq!(
            refused(|r| {
                r.clients.get_mut("service").unwrap().kind = ClientKind::Confidential {
                    secret: Secret::from(String::new()),
                }
            }),
            "realms.demo.clients.service.secret"
        );
        assert_eq!(
            refused(|r| r.clients.get_mut("web-app").unwrap().redirect_uris = vec!["/relative".into()]),
            "realms.demo.clients.web-app.redirect_uris"
        );
        assert_eq!(
            refused(|r| r.clients.get_mut("web-app").unwrap().redirect_uris.clear()),
            "realms.demo.clients.web-app.redirect_uris"
        );
        assert_eq!(
            refused(|r| r.clients.get_mut("web-app").unwrap().grant_types.clear()),
            "realms.demo.clients.web-app.grant_types"
        );
        assert_eq!(
            refused(|r| r.clients.get_mut("web-app").unwrap().default_scopes = vec!["nope".into()]),
            "realms.demo.clients.web-app.default_scopes"
        );
        assert_eq!(
            refused(|r| r.clients.get_mut("web-app").unwrap().service_account_roles = vec!["user".into()]),
            "realms.demo.clients.web-app.service_account_roles"
        );
        assert_eq!(
            refused(|r| r.clients.get_mut("spa").unwrap().introspection = true),
            "realms.demo.clients.spa.introspection"
        );
        assert_eq!(
            refused(|r| r.clients.get_mut("spa").unwrap().id = "other".into()),
            "realms.demo.clients.spa"
        );
        assert_eq!(
            refused(|r| r.roles.retain(|role| role != "reporting")),
            "realms.demo.clients.service.service_account_roles"
        );
        assert_eq!(
            refused(|r| r.users.get_mut("alice").unwrap().realm_roles.push("nope".into())),
            "realms.demo.users.alice.realm_roles"
        );
        assert_eq!(
            refused(|r| {
                r.clients.remove("api");
            }),
            "realms.demo.users.alice.client_roles.api"
        );
        assert_eq!(
            refused(|r| {
                let id = r.users["alice"].id.clone();
                r.users.get_mut("bob").unwrap().id = id;
            }),
            "realms.demo.users.bob.id"
        );
        assert_eq!(
            refused(|r| r.users.get_mut("bob").unwrap().password = Secret::from(String::new())),
            "realms.demo.users.bob.password"
        );
        assert_eq!(
            refused(|r| r.users.get_mut("bob").unwrap().username = "robert".into()),
            "realms.demo.users.bob"
        );
        let pat = |token: &str| crate::PersonalAccessToken {
            token: token.into(),
            expires_at: 2_000_000_000,
            issued_at: None,
        };
        let long = "a".repeat(32);
        assert_eq!(
            refused(|r| r.clients.get_mut("service").unwrap().personal_access_tokens = vec![pat("short")]),
            "realms.demo.clients.service.personal_access_tokens[0]"
        );
        assert_eq!(
            refused(|r| r.clients.get_mut("service").unwrap().personal_access_tokens = vec![pat(&long), pat(&long)]),
            "realms.demo.clients.service.personal_access_tokens[1]"
        );
        assert_eq!(
            refused(|r| r.clients.get_mut("web-app").unwrap().personal_access_tokens = vec![pat(&long)]),
            "realms.demo.clients.web-app.personal_access_tokens[0]"
        );
        // And a valid edit passes.
        let mut realm = demo();
        realm
            .clients
            .get_mut("service")
            .unwrap()
            .grant_types
            .push(GrantType::Password);
        realm.validate().unwrap();
    }
}
