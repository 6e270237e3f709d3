use super::*;
use crate::{Provider, Realm, Site, World};

fn world() -> World {
    World::default_world().unwrap()
}

fn realm(world: &World) -> &Realm {
    world.realm(&world.default_realm).unwrap()
}

fn document(provider: Provider, quirks: &Quirks) -> Map<String, Value> {
    let world = world();
    let site = Site::new(provider, "http://127.0.0.1:8080", &world.default_realm, true);
    let input = DiscoveryInput {
        site: &site,
        realm: realm(&world),
        grant_types: &GrantType::ALL,
        signing_algs: &SigningAlg::ALL,
    };
    let flavor = provider.flavor();
    flavor.metadata(&input, quirks).document(flavor.metadata_order())
}

fn served(provider: Provider) -> Map<String, Value> {
    document(provider, provider.quirks())
}

#[test]
fn plain_pkce_is_advertised_exactly_when_the_quirks_accept_it() {
    for provider in [Provider::Generic, Provider::Keycloak, Provider::Zitadel, Provider::Wso2] {
        let s256 = Quirks {
            pkce_methods: &["S256"],
            ..*provider.quirks()
        };
        let both = Quirks {
            pkce_methods: &["S256", "plain"],
            ..*provider.quirks()
        };
        assert_eq!(
            document(provider, &s256)["code_challenge_methods_supported"],
            serde_json::json!(["S256"]),
            "{provider}"
        );
        assert_eq!(
            document(provider, &both)["code_challenge_methods_supported"],
            serde_json::json!(["S256", "plain"]),
            "{provider}"
        );
    }
    // ZITADEL's quirks refuse plain, so its document does not name it.
    assert_eq!(
        served(Provider::Zitadel)["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
}

#[test]
fn the_pkce_deviation_removes_the_member() {
    let app_id = served(Provider::AppId);
    assert!(app_id.get("code_challenge_methods_supported").is_none());
    let advertised = Quirks {
        deviations: &[],
        ..*Provider::AppId.quirks()
    };
    assert_eq!(
        document(Provider::AppId, &advertised)["code_challenge_methods_supported"],
        serde_json::json!(Provider::AppId.quirks().pkce_methods)
    );
}

#[test]
fn iss_in_authorization_responses_is_advertised_from_its_quirk() {
    for provider in Provider::ALL {
        let on = Quirks {
            authorization_response_iss: true,
            ..*provider.quirks()
        };
        let off = Quirks {
            authorization_response_iss: false,
            ..*provider.quirks()
        };
        assert_eq!(
            document(provider, &on).get("authorization_response_iss_parameter_supported"),
            Some(&Value::Bool(true)),
            "{provider}"
        );
        assert_eq!(
            document(provider, &off).get("authorization_response_iss_parameter_supported"),
            None,
            "{provider}"
        );
        let served = served(provider)
            .get("authorization_response_iss_parameter_supported")
            .cloned();
        let expected = provider
            .quirks()
            .authorization_response_iss
            .then_some(Value::Bool(true));
        assert_eq!(served, expected, "{provider}");
    }
}

#[test]
fn grant_types_are_those_both_the_server_and_the_quirks_offer() {
    for provider in Provider::ALL {
        let no_password = Quirks {
            grant_types: &[
                GrantType::AuthorizationCode,
                GrantType::RefreshToken,
                GrantType::ClientCredentials,
            ],
            ..*provider.quirks()
        };
        assert_eq!(
            document(provider, &no_password)["grant_types_supported"],
            serde_json::json!(["authorization_code", "refresh_token", "client_credentials"]),
            "{provider}"
        );
        // ZITADEL lists token exchange only where a client may exchange (its instance
        // feature); no client of the default World may (mock-idp's token_exchange_zitadel
        // tests the other case).
        let offered: Vec<&str> = provider
            .quirks()
            .grant_types
            .iter()
            .filter(|grant| provider != Provider::Zitadel || **grant != GrantType::TokenExchange)
            .map(|grant| grant.as_str())
            .collect();
        assert_eq!(
            served(provider)["grant_types_supported"],
            serde_json::json!(offered),
            "{provider}"
        );
    }
}

#[test]
fn every_advertised_endpoint_is_a_served_route() {
    let world = world();
    for provider in Provider::ALL {
        let site = Site::new(provider, "http://127.0.0.1:8080", &world.default_realm, true);
        let document = served(provider);
        for (member, endpoint) in [
            ("authorization_endpoint", Endpoint::Authorize),
            ("token_endpoint", Endpoint::Token),
            ("userinfo_endpoint", Endpoint::Userinfo),
            ("jwks_uri", Endpoint::Jwks),
            ("introspection_endpoint", Endpoint::Introspect),
            ("revocation_endpoint", Endpoint::Revoke),
            ("end_session_endpoint", Endpoint::EndSession),
        ] {
            if let Some(url) = document.get(member) {
                assert_eq!(url.as_str(), site.url(endpoint).as_deref(), "{provider} {member}");
            }
        }
    }
}

#[test]
fn each_order_lists_every_member_its_provider_writes_once() {
    for provider in Provider::ALL {
        let order = provider.flavor().metadata_order();
        let document = served(provider);
        let members: Vec<&str> = document.keys().map(String::as_str).collect();
        let listed: Vec<&str> = order.iter().copied().filter(|name| members.contains(name)).collect();
        assert_eq!(members, listed, "{provider}: a member is missing from its order");
        let mut unique = order.to_vec();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), order.len(), "{provider}: a member is listed twice");
    }
}

#[test]
fn the_document_follows_the_order_and_keeps_unlisted_members() {
    let world = world();
    let site = Site::new(Provider::Generic, "http://127.0.0.1:8080", &world.default_realm, true);
    let input = DiscoveryInput {
        site: &site,
        realm: realm(&world),
        grant_types: &GrantType::ALL,
        signing_algs: &SigningAlg::ALL,
    };
    let mut metadata = ProviderMetadata::standard(&input, &Quirks::STANDARD);
    metadata.extra.insert("x_extra".into(), Value::Bool(true));
    let document = metadata.document(&["jwks_uri", "not_there", "issuer"]);
    let names: Vec<&str> = document.keys().map(String::as_str).take(3).collect();
    assert_eq!(names, ["jwks_uri", "issuer", "authorization_endpoint"]);
    assert_eq!(document.keys().next_back().map(String::as_str), Some("x_extra"));
    assert_eq!(document.len(), STANDARD_ORDER.len() + 1);
}
