//! The whole catalog passes against the mock in every flavor (warnings allowed). With the
//! default World only TOK-11 skips (it needs a client whose credentials change under
//! form-urlencoding); it runs here with `fixtures/worlds/encoded-credentials.toml`.

use crate::support::{mock, mock_with_world};
use conformance::{Capability, Outcome, Runner, Selection, Status, report};
use mock_idp::Provider;

/// Checks the default World cannot run, with the capability it lacks.
const SKIPPED_WITH_THE_DEFAULT_WORLD: &[(&str, Capability)] = &[
    ("TOK-11", Capability::EncodedCredentials),
    ("EXCH-01", Capability::TokenExchange),
    ("EXCH-02", Capability::TokenExchange),
    ("EXCH-03", Capability::TokenExchange),
    ("EXCH-04", Capability::TokenExchange),
    ("CLAUTH-01", Capability::KeyedClient),
    ("CLAUTH-02", Capability::KeyedClient),
    ("CLAUTH-03", Capability::KeyedClient),
    ("CLAUTH-04", Capability::KeyedClient),
    ("CLAUTH-05", Capability::KeyedClient),
    ("CLAUTH-06", Capability::KeyedClient),
    ("CLAUTH-07", Capability::SecretJwtClient),
    ("CLAUTH-08", Capability::KeyedClient),
    ("BCL-01", Capability::BackchannelLogout),
    ("BCL-02", Capability::BackchannelLogout),
];

/// Expects every check of `ids` in `run` to pass where the provider `has` the feature, and
/// otherwise to skip with a reason naming one of `named`.
fn pass_or_skip(run: &conformance::Run, ids: &[&str], provider: Provider, has: bool, named: &[&str]) {
    for id in ids {
        let result = run.result(id).unwrap();
        if has {
            assert_eq!(
                result.status,
                Status::Pass,
                "mock:{provider} {}",
                report::progress_line(result)
            );
        } else {
            match &result.outcome {
                Outcome::Skipped { reason } => {
                    assert!(named.iter().any(|name| reason.contains(name)), "{reason}")
                }
                other => panic!("mock:{provider} {id}: {other:?}"),
            }
        }
    }
}

async fn passes(provider: Provider) {
    let target = mock(provider);
    let run = Runner::new(Selection::default()).run(&target, |_| {}).await.unwrap();
    let failed: Vec<String> = run
        .results
        .iter()
        .filter(|r| r.status == Status::Fail)
        .map(report::progress_line)
        .collect();
    assert!(failed.is_empty(), "mock:{provider}:\n{}", failed.join("\n"));
    for result in run.results.iter().filter(|r| r.status == Status::Skip) {
        // A provider without the device grant advertises no device endpoint: DEV-* skip.
        if result.check.id.starts_with("DEV-") && providers::device::facts(provider).is_none() {
            match &result.outcome {
                Outcome::Skipped { reason } => assert!(reason.contains("device_authorization_endpoint"), "{reason}"),
                other => panic!("{other:?}"),
            }
            continue;
        }
        // A provider without PAR advertises no PAR endpoint: PAR-* skip.
        if result.check.id.starts_with("PAR-") && providers::par::facts(provider).is_none() {
            match &result.outcome {
                Outcome::Skipped { reason } => {
                    assert!(reason.contains("pushed_authorization_request_endpoint"), "{reason}")
                }
                other => panic!("{other:?}"),
            }
            continue;
        }
        // A provider without DPoP, or without it in discovery (WSO2), advertises no proof
        // algorithms: DPOP-* skip.
        if result.check.id.starts_with("DPOP-") && providers::dpop::facts(provider).is_none_or(|dpop| !dpop.advertised)
        {
            match &result.outcome {
                Outcome::Skipped { reason } => {
                    assert!(reason.contains("dpop_signing_alg_values_supported"), "{reason}")
                }
                other => panic!("{other:?}"),
            }
            continue;
        }
        // The default World demands no DPoP nonce: DPOP-06 skips saying so.
        if result.check.id == "DPOP-06" {
            match &result.outcome {
                Outcome::Skipped { reason } => assert!(reason.contains("demands no DPoP nonce"), "{reason}"),
                other => panic!("{other:?}"),
            }
            continue;
        }
        let expected = SKIPPED_WITH_THE_DEFAULT_WORLD
            .iter()
            .find(|(id, _)| *id == result.check.id)
            .unwrap_or_else(|| panic!("mock:{provider} skipped {}", report::progress_line(result)));
        match &result.outcome {
            Outcome::Skipped { reason } => assert_eq!(reason, &expected.1.skip_reason("demo")),
            other => panic!("{other:?}"),
        }
    }
    // The exchange suite with a World that has a token-exchange client: it passes where the
    // provider has token exchange and skips, naming the grant, where discovery lists none.
    let exchanging = mock_with_world(provider, &crate::support::token_exchange_world());
    let ids = ["EXCH-01", "EXCH-02", "EXCH-03", "EXCH-04"];
    let run = crate::support::run(&exchanging, &ids).await;
    let facts = providers::exchange::facts(provider);
    let own = facts.is_some_and(|facts| facts.exchanges_own_tokens());
    let (with_subject, without) = (["EXCH-01", "EXCH-04"], ["EXCH-02", "EXCH-03"]);
    pass_or_skip(
        &run,
        &with_subject,
        provider,
        own,
        &["token-exchange grant", "trusted identity providers"],
    );
    pass_or_skip(&run, &without, provider, facts.is_some(), &["token-exchange grant"]);
    // The client authentication suite with a World whose client registers conformance's
    // assertion key: it passes where discovery lists private_key_jwt and skips, naming the
    // discovery member, where it does not.
    let keyed = mock_with_world(provider, &crate::support::client_keys_world());
    let ids = [
        "CLAUTH-01",
        "CLAUTH-02",
        "CLAUTH-03",
        "CLAUTH-04",
        "CLAUTH-05",
        "CLAUTH-06",
        "CLAUTH-07",
        "CLAUTH-08",
    ];
    let run = crate::support::run(&keyed, &ids).await;
    let discovery = reqwest::get(keyed.mock().unwrap().discovery_url()).await.unwrap();
    let discovery: serde_json::Value = discovery.json().await.unwrap();
    let lists = |wanted: &str| {
        discovery["token_endpoint_auth_methods_supported"]
            .as_array()
            .is_some_and(|methods| methods.iter().any(|method| method == wanted))
    };
    let (keyed_methods, secret_jwt) = (lists("private_key_jwt"), lists("client_secret_jwt"));
    assert_eq!(
        keyed_methods,
        matches!(provider, Provider::Keycloak | Provider::Zitadel),
        "mock:{provider}"
    );
    assert_eq!(secret_jwt, provider == Provider::Keycloak, "mock:{provider}");
    let (private_key_jwt, rest) = ids.split_at(6);
    let (client_secret_jwt, max_age) = rest.split_at(1);
    pass_or_skip(&run, private_key_jwt, provider, keyed_methods, &["private_key_jwt"]);
    pass_or_skip(
        &run,
        client_secret_jwt,
        provider,
        secret_jwt,
        &["private_key_jwt", "client_secret_jwt"],
    );
    // CLAUTH-08: where the provider limits an assertion's age after its iat (Keycloak).
    let limits_age = matches!(
        provider.quirks().client_assertion.max_lifetime,
        providers::client_assertion::MaxLifetime::FromIssuedAt(_)
    );
    pass_or_skip(
        &run,
        max_age,
        provider,
        keyed_methods && limits_age,
        &["private_key_jwt", "no limit on an assertion's age"],
    );
    // The DPoP suite at a realm demanding nonces: every check passes (the token-getting ones
    // retry with the nonce) where the provider has server nonces; elsewhere the setting is
    // ignored and DPOP-06 skips.
    if providers::dpop::facts(provider).is_some_and(|dpop| dpop.advertised) {
        let nonces = mock_with_world(provider, &crate::support::dpop_nonce_world());
        let ids = ["DPOP-01", "DPOP-02", "DPOP-03", "DPOP-04", "DPOP-05", "DPOP-06"];
        let run = crate::support::run(&nonces, &ids).await;
        let demands = providers::dpop::facts(provider).is_some_and(|dpop| dpop.server_nonces);
        for id in ids {
            let result = run.result(id).unwrap();
            if id == "DPOP-06" && !demands {
                assert_eq!(
                    result.status,
                    Status::Skip,
                    "mock:{provider} {}",
                    report::progress_line(result)
                );
            } else {
                assert_eq!(
                    result.status,
                    Status::Pass,
                    "mock:{provider} {}",
                    report::progress_line(result)
                );
            }
        }
    }
    // Back-channel logout with a World whose code-flow client has a logout URI: it passes where
    // discovery says backchannel_logout_supported and skips, naming that member, elsewhere.
    let logout = mock_with_world(provider, &crate::support::backchannel_logout_world());
    let ids = ["BCL-01", "BCL-02"];
    let run = crate::support::run(&logout, &ids).await;
    let supported = provider.quirks().backchannel_logout.is_some();
    pass_or_skip(&run, &ids, provider, supported, &["backchannel_logout_supported"]);
    let encoded = mock_with_world(provider, &crate::support::encoded_credentials_world());
    let run = crate::support::run(&encoded, &["TOK-11"]).await;
    assert_eq!(
        run.result("TOK-11").unwrap().status,
        Status::Pass,
        "mock:{provider}: {}",
        report::text(&run)
    );
}

#[tokio::test]
async fn the_suite_passes_against_mock_generic() {
    passes(Provider::Generic).await;
}

#[tokio::test]
async fn the_suite_passes_against_mock_keycloak() {
    passes(Provider::Keycloak).await;
}

#[tokio::test]
async fn the_suite_passes_against_mock_zitadel() {
    passes(Provider::Zitadel).await;
}

#[tokio::test]
async fn the_suite_passes_against_mock_wso2() {
    passes(Provider::Wso2).await;
}

#[tokio::test]
async fn the_suite_passes_against_mock_appid() {
    passes(Provider::AppId).await;
}

#[tokio::test]
async fn a_documented_deviation_passes_with_a_note_and_only_for_its_provider() {
    // App ID's documented discovery has no code_challenge_methods_supported (providers:
    // Deviation::PkceMethodsNotAdvertised): DISC-08 passes for mock:appid and says why.
    let appid = mock(Provider::AppId);
    let run = crate::support::run(&appid, &["DISC-08"]).await;
    let result = run.result("DISC-08").unwrap();
    assert_eq!(result.status, Status::Pass);
    assert!(
        result
            .notes
            .iter()
            .any(|n| n.contains("documented appid deviation") && n.contains("RFC 8414")),
        "{:?}",
        result.notes
    );
    // The same document served for a target that claims to be generic fails.
    let document = reqwest::get(appid.discovery_url()).await.unwrap().text().await.unwrap();
    let generic = mock(Provider::Generic);
    generic
        .mock()
        .unwrap()
        .set_fault(mock_idp::Endpoint::Discovery, mock_idp::Fault::Body(document));
    let run = crate::support::run(&generic, &["DISC-08"]).await;
    assert_eq!(run.result("DISC-08").unwrap().status, Status::Fail);
}

#[tokio::test]
async fn keycloak_deviations_come_from_the_providers_error_table_and_are_noted() {
    let target = mock(Provider::Keycloak);
    let run = crate::support::run(&target, &["TOK-04"]).await;
    let result = run.result("TOK-04").unwrap();
    assert_eq!(result.status, Status::Pass);
    assert!(
        result
            .notes
            .iter()
            .any(|n| n.contains("401 unauthorized_client") && n.contains("documented in providers")),
        "{:?}",
        result.notes
    );
}

#[tokio::test]
async fn a_real_target_turns_warn_on_real_failures_into_warnings() {
    // A token endpoint that issues a token for anything: on a real target TOK-04 (`[M strict;
    // I WARN]`) is a warning, TOK-05 (`[M,I]`) a failure.
    let idp = mock_idp::MockIdp::builder().auto_approve(true).start_blocking();
    idp.set_fault(
        mock_idp::Endpoint::Token,
        mock_idp::Fault::Body(r#"{"access_token":"x","token_type":"Bearer"}"#.into()),
    );
    let target = conformance::Target::url(idp.issuer(), Provider::Generic, idp.world().clone());
    let run = crate::support::run(&target, &["TOK-04", "TOK-05"]).await;
    assert_eq!(run.result("TOK-04").unwrap().status, Status::Warn);
    assert_eq!(run.result("TOK-05").unwrap().status, Status::Fail);
    assert!(!run.passed());
    drop(idp);
}

#[test]
fn every_check_id_is_unique_and_from_the_checklist() {
    let checks = conformance::catalog();
    let mut ids: Vec<&str> = checks.iter().map(|c| c.id).collect();
    ids.sort_unstable();
    let before = ids.len();
    ids.dedup();
    assert_eq!(before, ids.len());
    for id in ids {
        let prefix = id.split('-').next().unwrap();
        assert!(
            [
                "DISC", "JWKS", "TOK", "PKCE", "REF", "AUTHZ", "INTR", "REV", "UI", "IDT", "GUARD", "DEV", "PAR",
                "EXCH", "DPOP", "CLAUTH", "BCL"
            ]
            .contains(&prefix),
            "{id}"
        );
    }
}
