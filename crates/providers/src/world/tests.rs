use super::*;

fn invalid(text: &str) -> WorldError {
    match World::from_toml_str(text, "test.toml") {
        Ok(world) => panic!("expected an error, got {world:?}"),
        Err(err) => err,
    }
}

const MINIMAL: &str = r#"
[realms.r]
scopes = ["openid"]
"#;

#[test]
fn the_default_world_holds_the_facts_outside_clients_rely_on() {
    let world = World::default_world().unwrap();
    assert_eq!(world.default_realm, "demo");
    let demo = world.realm("demo").unwrap();
    assert_eq!(
        demo.scopes,
        ["openid", "profile", "email", "offline_access", "read:messages"]
    );
    assert_eq!(
        demo.lifetimes,
        Lifetimes {
            access_token: 300,
            refresh_token: 1800,
            authorization_code: 60,
            login: 1800,
            session_idle: 1800,
            session_max: 36000,
            device_code: None,
            device_poll_interval: None,
        }
    );

    let web = demo.client("web-app").unwrap();
    assert_eq!(
        web.kind,
        ClientKind::Confidential {
            secret: "web-app-secret".into()
        }
    );
    assert_eq!(
        web.redirect_uris,
        ["http://127.0.0.1:5000/callback", "http://localhost:5000/callback"]
    );
    assert_eq!(web.post_logout_redirect_uris, ["http://127.0.0.1:5000/"]);
    assert_eq!(
        web.grant_types,
        [
            GrantType::AuthorizationCode,
            GrantType::RefreshToken,
            GrantType::Password
        ]
    );

    let spa = demo.client("spa").unwrap();
    assert_eq!(spa.kind, ClientKind::Public);
    assert_eq!(spa.pkce, PkcePolicy::S256Required);
    assert_eq!(spa.redirect_uris, ["http://127.0.0.1:5173/callback"]);

    let service = demo.client("service").unwrap();
    assert_eq!(
        service.kind,
        ClientKind::Confidential {
            secret: "service-secret".into()
        }
    );
    assert_eq!(service.grant_types, [GrantType::ClientCredentials]);
    assert_eq!(service.service_account_roles, ["reporting"]);

    let api = demo.client("api").unwrap();
    assert_eq!(
        api.kind,
        ClientKind::Confidential {
            secret: "api-secret".into()
        }
    );
    assert!(api.introspection);

    let alice = demo.user("alice").unwrap();
    assert_eq!(alice.password.expose(), "alice-password");
    assert_eq!(alice.email.as_deref(), Some("alice@example.com"));
    assert_eq!(alice.name.as_deref(), Some("Alice Example"));
    assert_eq!(alice.realm_roles, ["user", "admin"]);
    assert_eq!(alice.client_roles["api"], ["read:messages"]);
    let bob = demo.user("bob").unwrap();
    assert_eq!(bob.name.as_deref(), Some("Bob Builder"));
    assert_eq!(bob.realm_roles, ["user"]);
    assert!(!demo.user("carol").unwrap().enabled);
}

#[test]
fn audiences_follow_client_roles_and_owned_scopes() {
    let world = World::default_world().unwrap();
    let demo = world.realm("demo").unwrap();
    let alice = demo.user("alice");
    let bob = demo.user("bob");
    assert_eq!(demo.audiences(alice, &[]), ["api"]);
    assert!(demo.audiences(bob, &["openid".into()]).is_empty());
    assert_eq!(demo.audiences(bob, &["read:messages".into()]), ["api"]);
    assert_eq!(demo.audiences(None, &["read:messages".into()]), ["api"]);
}

#[test]
fn a_single_realm_is_the_default_without_saying_so() {
    let world = World::from_toml_str(MINIMAL, "t").unwrap();
    assert_eq!(world.default_realm, "r");
}

#[test]
fn a_syntax_error_names_the_line() {
    let err = invalid("default_realm = \"demo\"\n[realms.demo]\nscopes = [\"openid\"\n");
    let text = err.to_string();
    assert!(matches!(err, WorldError::Syntax { line: 3 | 4, .. }), "{text}");
    assert!(text.starts_with("test.toml:"), "{text}");
}

#[test]
fn an_unknown_field_is_named_with_its_line() {
    let err = invalid(
        "[realms.r]\nscopes = [\"openid\"]\n[realms.r.clients.c]\nkind = \"public\"\ngrant_types = [\"password\"]\nsecrett = \"x\"\n",
    );
    let text = err.to_string();
    assert!(text.contains("secrett"), "{text}");
    assert!(matches!(err, WorldError::Syntax { line: 6, .. }), "{text}");
}

#[test]
fn an_unknown_grant_type_is_refused() {
    let err = invalid(
        "[realms.r]\nscopes = [\"openid\"]\n[realms.r.clients.c]\nkind = \"public\"\ngrant_types = [\"implicit\"]\n",
    );
    assert!(err.to_string().contains("implicit"), "{err}");
}

#[test]
fn a_user_role_that_does_not_exist_is_refused_with_field_and_line() {
    let err = invalid(
        "[realms.r]\nscopes = [\"openid\"]\nroles = [\"user\"]\n\n[realms.r.users.u]\nid = \"1\"\npassword = \"p\"\nrealm_roles = [\"root\"]\n",
    );
    match err {
        WorldError::Invalid {
            line, field, message, ..
        } => {
            assert_eq!(field, "realms.r.users.u.realm_roles");
            assert_eq!(line, 8);
            assert!(message.contains("root"), "{message}");
        }
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn a_client_role_on_an_unknown_client_is_refused() {
    let err = invalid(
        "[realms.r]\nscopes = [\"openid\"]\n[realms.r.users.u]\nid = \"1\"\npassword = \"p\"\nclient_roles = { ghost = [\"x\"] }\n",
    );
    assert!(err.to_string().contains("realms.r.users.u.client_roles.ghost"), "{err}");
}

#[test]
fn bad_clients_are_refused() {
    let cases = [
        (
            "kind = \"confidential\"\ngrant_types = [\"client_credentials\"]\n",
            "realms.r.clients.c.secret",
        ),
        (
            "kind = \"public\"\nsecret = \"s\"\ngrant_types = [\"password\"]\n",
            "realms.r.clients.c.secret",
        ),
        (
            "kind = \"public\"\ngrant_types = [\"client_credentials\"]\n",
            "realms.r.clients.c.grant_types",
        ),
        (
            "kind = \"public\"\ngrant_types = [\"authorization_code\"]\n",
            "realms.r.clients.c.redirect_uris",
        ),
        (
            "kind = \"public\"\ngrant_types = [\"authorization_code\"]\nredirect_uris = [\"/relative\"]\n",
            "realms.r.clients.c.redirect_uris",
        ),
        (
            "kind = \"public\"\ngrant_types = [\"authorization_code\"]\nredirect_uris = [\"http://a/cb#frag\"]\n",
            "realms.r.clients.c.redirect_uris",
        ),
        (
            "kind = \"public\"\ngrant_types = [\"password\"]\nscopes = [\"admin\"]\n",
            "realms.r.clients.c.scopes",
        ),
        (
            "kind = \"public\"\ngrant_types = []\n",
            "realms.r.clients.c.grant_types",
        ),
    ];
    for (body, field) in cases {
        let err = invalid(&format!(
            "[realms.r]\nscopes = [\"openid\"]\n[realms.r.clients.c]\n{body}"
        ));
        assert!(err.to_string().contains(field), "{body}: {err}");
    }
}

#[test]
fn realm_scopes_must_be_scope_tokens_and_contain_openid() {
    assert!(
        invalid("[realms.r]\nscopes = [\"profile\"]\n")
            .to_string()
            .contains("openid")
    );
    assert!(
        invalid("[realms.r]\nscopes = [\"openid\", \"bad scope\"]\n")
            .to_string()
            .contains("scope token")
    );
}

#[test]
fn default_realm_must_exist() {
    let err = invalid("default_realm = \"nope\"\n[realms.r]\nscopes = [\"openid\"]\n");
    assert!(matches!(err, WorldError::Invalid { line: 1, .. }), "{err}");
}

#[test]
fn a_missing_file_is_an_io_error() {
    assert!(matches!(
        World::load("/nonexistent/world.toml"),
        Err(WorldError::Io { .. })
    ));
}

#[test]
fn every_world_file_in_fixtures_parses() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "toml") {
            World::load(&path).unwrap_or_else(|err| panic!("{err}"));
            seen += 1;
        }
    }
    assert!(seen >= 1);
}

const WITH_ENV: &str = r#"
[realms.r]
scopes = ["openid"]

[realms.r.clients.web]
kind = "confidential"
secret = "${KC_WEB_SECRET}"
grant_types = ["client_credentials"]

[realms.r.users.alice]
id = "a1"
password = "pre-${ALICE_PASSWORD}"
"#;

#[test]
fn secrets_and_passwords_come_from_the_environment() {
    let env = |name: &str| match name {
        "KC_WEB_SECRET" => Some("from-env".to_owned()),
        "ALICE_PASSWORD" => Some("pw".to_owned()),
        _ => None,
    };
    let world = World::from_toml_str_with_env(WITH_ENV, "ci.toml", &env).unwrap();
    let realm = world.realm("r").unwrap();
    assert!(
        matches!(&realm.client("web").unwrap().kind, ClientKind::Confidential { secret } if secret.expose() == "from-env")
    );
    assert_eq!(realm.users["alice"].password.expose(), "pre-pw");
}

#[test]
fn an_unset_variable_names_the_field_the_line_and_the_variable() {
    let only_secret = |name: &str| (name == "KC_WEB_SECRET").then(|| "x".to_owned());
    let err = World::from_toml_str_with_env(WITH_ENV, "ci.toml", &only_secret).unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("ci.toml:12: realms.r.users.alice.password:"), "{text}");
    assert!(
        text.ends_with("environment variable ALICE_PASSWORD is not set"),
        "{text}"
    );
    // An empty value is as empty as a written one.
    let empty = |_: &str| Some(String::new());
    let err = World::from_toml_str_with_env(WITH_ENV, "ci.toml", &empty).unwrap_err();
    assert!(
        err.to_string()
            .contains("realms.r.clients.web.secret: a confidential client needs a non-empty secret"),
        "{err}"
    );
}

#[test]
fn personal_access_tokens_belong_to_machine_users_and_are_checked() {
    let with = |client: &str, pat: &str| {
        format!("{DEFAULT_WORLD_TOML}\n[[realms.demo.clients.{client}.personal_access_tokens]]\n{pat}\n")
    };
    let good = "token = \"a-personal-access-token-of-32-chars-or-more\"\nexpires_at = 4102444800";
    let world = World::from_toml_str(&with("service", good), "pat.toml").unwrap();
    let service = &world.realm("demo").unwrap().clients["service"];
    assert_eq!(service.personal_access_tokens[0].expires_at, 4_102_444_800);
    assert_eq!(service.personal_access_tokens[0].issued_at, None);
    for (client, pat, problem) in [
        ("web-app", good, "only a client with the client_credentials grant"),
        (
            "service",
            "token = \"short\"\nexpires_at = 4102444800",
            "at least 32 characters",
        ),
        (
            "service",
            "token = \"a-personal-access-token-of-32-chars-or-more\"\nexpires_at = 10\nissued_at = 20",
            "after issued_at",
        ),
        (
            "service",
            "token = \"a-personal-access-token-of-32-chars-or-more\"",
            "expires_at",
        ),
    ] {
        let err = invalid(&with(client, pat)).to_string();
        assert!(err.contains(problem), "{client} {pat}: {err}");
    }
}

#[test]
fn debug_output_of_the_world_holds_no_secret_or_password() {
    let world = World::default_world().unwrap();
    let debug = format!("{world:?}");
    let pretty = format!("{world:#?}");
    let mut checked = 0;
    for realm in world.realms.values() {
        for client in realm.clients.values() {
            if let ClientKind::Confidential { secret } = &client.kind {
                assert!(!debug.contains(secret.expose()), "client {} secret in Debug", client.id);
                assert!(
                    !pretty.contains(secret.expose()),
                    "client {} secret in Debug",
                    client.id
                );
                checked += 1;
            }
        }
        for user in realm.users.values() {
            assert!(
                !debug.contains(user.password.expose()),
                "password of {} in Debug",
                user.username
            );
            assert!(
                !pretty.contains(user.password.expose()),
                "password of {} in Debug",
                user.username
            );
            checked += 1;
        }
    }
    assert!(checked >= 4, "the default world has secrets and passwords to check");
    assert!(debug.contains("[redacted]"), "{debug}");
    // The rest of the World is still there to debug with.
    assert!(debug.contains("alice"), "{debug}");
}

#[test]
fn client_jwks_are_public_key_sets() {
    let with = |client: &str, jwks: &str| {
        let header = format!("[realms.demo.clients.{client}]\n");
        DEFAULT_WORLD_TOML.replacen(&header, &format!("{header}jwks = '{jwks}'\n"), 1)
    };
    let good = r#"{"keys":[{"kty":"EC","crv":"P-256","kid":"k1","x":"AAAA","y":"AAAA"}]}"#;
    let world = World::from_toml_str(&with("service", good), "jwks.toml").unwrap();
    let service = &world.realm("demo").unwrap().clients["service"];
    assert_eq!(service.jwks.as_ref().unwrap()["keys"][0]["kid"], "k1");
    assert!(world.realm("demo").unwrap().clients["web-app"].jwks.is_none());
    for (client, jwks, problem) in [
        ("spa", good, "a public client cannot"),
        ("service", "not json", "JSON JWK set"),
        ("service", r#"{"keys":[]}"#, "between 1 and 16"),
        (
            "service",
            r#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#,
            "kty RSA, EC or OKP",
        ),
        (
            "service",
            r#"{"keys":[{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA","d":"AAAA"}]}"#,
            "private key member",
        ),
    ] {
        let err = invalid(&with(client, jwks)).to_string();
        assert!(err.contains(problem), "{client} {jwks}: {err}");
    }
}

#[test]
fn backchannel_logout_uris_are_loopback_only() {
    let with = |uri: &str| {
        let header = "[realms.demo.clients.web-app]\n";
        DEFAULT_WORLD_TOML.replacen(header, &format!("{header}backchannel_logout_uri = '{uri}'\n"), 1)
    };
    for good in [
        "http://127.0.0.1:9/logout",
        "http://127.8.0.1/x",
        "https://localhost:8443/bc",
        "http://[::1]:9/bc",
    ] {
        let world = World::from_toml_str(&with(good), "bc.toml").unwrap();
        let client = &world.realm("demo").unwrap().clients["web-app"];
        assert_eq!(client.backchannel_logout_uri.as_deref(), Some(good));
        assert!(client.backchannel_logout_session_required);
    }
    for bad in [
        "http://10.0.0.1/logout",
        "http://example.com/logout",
        "ftp://127.0.0.1/x",
        "not a url",
        "http://localhost.evil/x",
    ] {
        let err = World::from_toml_str(&with(bad), "bc.toml").unwrap_err().to_string();
        assert!(err.contains("loopback"), "{bad}: {err}");
    }
}

#[test]
fn client_jwks_uris_are_loopback_only_and_never_beside_jwks() {
    let with = |client: &str, lines: &str| {
        let header = format!("[realms.demo.clients.{client}]\n");
        DEFAULT_WORLD_TOML.replacen(&header, &format!("{header}{lines}\n"), 1)
    };
    let world = World::from_toml_str(&with("service", "jwks_uri = 'http://127.0.0.1:9/jwks'"), "u.toml").unwrap();
    let service = &world.realm("demo").unwrap().clients["service"];
    assert_eq!(service.jwks_uri.as_deref(), Some("http://127.0.0.1:9/jwks"));
    let jwks = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#;
    for (client, lines, problem) in [
        (
            "service",
            "jwks_uri = 'https://keys.example.com/jwks'".to_owned(),
            "loopback",
        ),
        ("service", "jwks_uri = 'file:///etc/keys'".to_owned(), "loopback"),
        (
            "service",
            format!("jwks_uri = 'http://127.0.0.1:9/jwks'\njwks = '{jwks}'"),
            "not both",
        ),
        (
            "spa",
            "jwks_uri = 'http://127.0.0.1:9/jwks'".to_owned(),
            "public client",
        ),
    ] {
        let err = invalid(&with(client, &lines)).to_string();
        assert!(err.contains(problem), "{client} {lines}: {err}");
        assert!(err.contains("jwks_uri"), "the error names the field: {err}");
    }
}

#[test]
fn token_endpoint_auth_methods_fit_the_client() {
    let with = |client: &str, line: &str| {
        let header = format!("[realms.demo.clients.{client}]\n");
        DEFAULT_WORLD_TOML.replacen(&header, &format!("{header}{line}\n"), 1)
    };
    let world = World::from_toml_str(
        &with("service", "token_endpoint_auth_method = \"client_secret_jwt\""),
        "m.toml",
    )
    .unwrap();
    let clients = &world.realm("demo").unwrap().clients;
    assert_eq!(
        clients["service"].auth_method(),
        crate::TokenEndpointAuthMethod::ClientSecretJwt
    );
    // Derived where not registered.
    assert_eq!(
        clients["web-app"].auth_method(),
        crate::TokenEndpointAuthMethod::ClientSecretBasic
    );
    assert_eq!(clients["spa"].auth_method(), crate::TokenEndpointAuthMethod::None);
    for (client, line, problem) in [
        (
            "spa",
            "token_endpoint_auth_method = \"client_secret_jwt\"",
            "a public client has no secret",
        ),
        (
            "service",
            "token_endpoint_auth_method = \"none\"",
            "none is for public clients",
        ),
        (
            "service",
            "token_endpoint_auth_method = \"private_key_jwt\"",
            "needs jwks or jwks_uri",
        ),
        ("service", "token_endpoint_auth_method = \"magic\"", "unknown variant"),
    ] {
        let err = invalid(&with(client, line)).to_string();
        assert!(err.contains(problem), "{client} {line}: {err}");
    }
}

#[test]
fn identity_providers_are_read_with_their_keys_and_checked() {
    let jwks = r#"{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","kid":"p1"}]}"#;
    let with = |idp: &str| format!("{DEFAULT_WORLD_TOML}\n[realms.demo.identity_providers.partner]\n{idp}\n");
    let world = World::from_toml_str(&with(&format!("jwks = '{jwks}'")), "idp.toml").unwrap();
    let partner = &world.realm("demo").unwrap().identity_providers["partner"];
    assert_eq!((partner.issuer.as_str(), partner.alias.as_deref()), ("partner", None));
    assert_eq!(partner.jwks["keys"][0]["kid"], "p1");
    let named = format!("issuer = \"https://partner.example\"\nalias = \"https://as.example/token\"\njwks = '{jwks}'");
    let world = World::from_toml_str(&with(&named), "idp.toml").unwrap();
    assert_eq!(
        world.realm("demo").unwrap().identity_providers["partner"].issuer,
        "https://partner.example"
    );
    for (idp, problem) in [
        ("jwks = 'not json'", "JSON JWK set"),
        ("jwks = '{\"keys\":[]}'", "between 1 and 16 keys"),
        (&format!("alias = \"\"\njwks = '{jwks}'") as &str, "may not be empty"),
    ] {
        let err = World::from_toml_str(&with(idp), "idp.toml").unwrap_err().to_string();
        assert!(
            err.contains(problem) && err.contains("realms.demo.identity_providers.partner"),
            "{err}"
        );
    }
}
