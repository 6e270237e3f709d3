//! Token exchange (RFC 8693) in the ZITADEL flavor, over HTTP: ZITADEL's rules and texts
//! (`internal/api/oidc/token_exchange.go`, zitadel/oidc's parameter checks), one test per rule.
//! ZITADEL's double quotes around a value are kept (the value itself is restricted to RFC 6749
//! §5.2's characters).

use crate::support::claims;
use mock_idp::{Endpoint, ManualClock, MockIdp, Provider, World};
use serde_json::{Value, json};

const GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS: &str = "urn:ietf:params:oauth:token-type:access_token";
const JWT: &str = "urn:ietf:params:oauth:token-type:jwt";
const ID_TOKEN: &str = "urn:ietf:params:oauth:token-type:id_token";
const REFRESH: &str = "urn:ietf:params:oauth:token-type:refresh_token";
const USER_ID: &str = "urn:zitadel:params:oauth:token-type:user_id";
const ALICE_ID: &str = "7f2a1c3e-5b4d-4e6f-8a9b-0c1d2e3f4a5b";
const PAT: &str = "a-personal-access-token-of-32-chars-or-more";
const NOW: u64 = 1_800_000_000;

/// The default World plus `backend`, a confidential client that may exchange, and a personal
/// access token of the machine user `service`.
const EXTRA: &str = r#"
[realms.demo.clients.backend]
kind = "confidential"
secret = "backend-secret"
grant_types = ["token_exchange"]

[[realms.demo.clients.service.personal_access_tokens]]
token = "a-personal-access-token-of-32-chars-or-more"
expires_at = 4102444800
"#;

fn world(extra: &str) -> World {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/world.toml")).unwrap();
    World::from_toml_str(&format!("{text}\n{extra}"), "test").unwrap()
}

async fn start(extra: &str) -> MockIdp {
    start_at(extra, ManualClock::at(NOW)).await
}

async fn start_at(extra: &str, clock: ManualClock) -> MockIdp {
    MockIdp::builder()
        .provider(Provider::Zitadel)
        .world(world(extra))
        .clock(clock)
        .start()
        .await
}

async fn post(idp: &MockIdp, form: &[(&str, &str)]) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(idp.endpoint(Endpoint::Token))
        .basic_auth("backend", Some("backend-secret"))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// An exchange by `backend` with `params`.
async fn exchange(idp: &MockIdp, params: &[(&str, &str)]) -> (u16, Value) {
    let mut form = vec![("grant_type", GRANT)];
    form.extend_from_slice(params);
    post(idp, &form).await
}

/// Alice's (opaque) access token from `web-app`, through the code flow.
async fn alice_token(idp: &MockIdp) -> String {
    idp.token_for("alice", "web-app").await.unwrap().access_token
}

/// What introspection by `api` (an API app, as ZITADEL's introspection wants) says of `token`.
async fn introspect(idp: &MockIdp, token: &str) -> Value {
    let (status, body) = crate::support::introspect_as(idp, "api", "api-secret", token).await;
    assert_eq!(status, 200, "{body}");
    body
}

fn refused(answer: (u16, Value), status: u16, error: &str, description: &str) {
    assert_eq!(
        answer,
        (status, json!({"error": error, "error_description": description}))
    );
}

#[tokio::test]
async fn zitadel_exchanges_a_users_token_for_another_client_of_the_project() {
    let idp = start(EXTRA).await;
    let subject = alice_token(&idp).await;
    let subject_info = introspect(&idp, &subject).await;
    let (status, body) = exchange(&idp, &[("subject_token", &subject), ("subject_token_type", ACCESS)]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["issued_token_type"], ACCESS);
    assert_eq!(body["token_type"], "Bearer");
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(
        token.split('.').count(),
        1,
        "ZITADEL's access tokens are opaque by default"
    );
    let info = introspect(&idp, token).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["sub"], ALICE_ID);
    assert_eq!(info["client_id"], "backend");
    // The subject's audience and scopes, as nothing narrower was asked for.
    assert_eq!(info["aud"], subject_info["aud"]);
    assert_eq!(info["scope"], subject_info["scope"]);
    // `openid` among them: an ID token of the same user, for the exchanging client.
    let id_token = claims(body["id_token"].as_str().unwrap());
    assert_eq!(
        (id_token["sub"].as_str(), id_token["aud"].clone()),
        (Some(ALICE_ID), json!(["backend"]))
    );
}

#[tokio::test]
async fn zitadel_issues_a_jwt_or_an_id_token_as_requested() {
    let idp = start(EXTRA).await;
    let subject = alice_token(&idp).await;
    let base = [("subject_token", subject.as_str()), ("subject_token_type", ACCESS)];
    let (status, body) = exchange(&idp, &[base[0], base[1], ("requested_token_type", JWT)]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["issued_token_type"].as_str(), body["token_type"].as_str()),
        (Some(JWT), Some("Bearer"))
    );
    let access = claims(body["access_token"].as_str().unwrap());
    assert_eq!(
        (access["sub"].as_str(), access["client_id"].as_str()),
        (Some(ALICE_ID), Some("backend"))
    );

    let (status, body) = exchange(&idp, &[base[0], base[1], ("requested_token_type", ID_TOKEN)]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["issued_token_type"].as_str(), body["token_type"].as_str()),
        (Some(ID_TOKEN), Some("N_A"))
    );
    let id_token = claims(body["access_token"].as_str().unwrap());
    assert_eq!(id_token["sub"], ALICE_ID);
    assert!(
        body.get("id_token").is_none() && body.get("refresh_token").is_none(),
        "{body}"
    );

    // A known type ZITADEL does not issue, found when the tokens are made.
    let answer = exchange(&idp, &[base[0], base[1], ("requested_token_type", REFRESH)]).await;
    refused(
        answer,
        400,
        "invalid_request",
        "Errors.TokenExchange.Token.TypeNotSupported",
    );
}

#[tokio::test]
async fn zitadel_keeps_audience_and_scope_within_the_subject_token() {
    let idp = start(EXTRA).await;
    let subject = alice_token(&idp).await;
    let base = [("subject_token", subject.as_str()), ("subject_token_type", ACCESS)];
    // One value of the subject's audience: the new token has just that.
    let (status, body) = exchange(&idp, &[base[0], base[1], ("audience", "web-app")]).await;
    assert_eq!(status, 200, "{body}");
    let info = introspect(&idp, body["access_token"].as_str().unwrap()).await;
    assert_eq!(info["aud"], json!(["web-app"]));
    let answer = exchange(&idp, &[base[0], base[1], ("audience", "foo")]).await;
    refused(
        answer,
        400,
        "invalid_target",
        r#"audience "foo" not found in subject or actor token"#,
    );

    // Fewer scopes: kept; another one: refused; none with openid: refused.
    let (status, body) = exchange(&idp, &[base[0], base[1], ("scope", "openid")]).await;
    assert_eq!((status, body["scope"].as_str()), (200, Some("openid")), "{body}");
    let answer = exchange(&idp, &[base[0], base[1], ("scope", "openid phone")]).await;
    refused(
        answer,
        400,
        "invalid_scope",
        r#"scope "phone" not found in subject or actor token"#,
    );
    let answer = exchange(&idp, &[base[0], base[1], ("scope", "profile")]).await;
    refused(answer, 400, "invalid_scope", providers::zitadel::OPENID_MISSING);
}

#[tokio::test]
async fn zitadel_checks_the_parameters_in_zitadel_oidc_s_order() {
    let idp = start(EXTRA).await;
    let subject = alice_token(&idp).await;
    let token = ("subject_token", subject.as_str());
    refused(
        exchange(&idp, &[("subject_token_type", ACCESS)]).await,
        400,
        "invalid_request",
        "subject_token missing",
    );
    refused(
        exchange(&idp, &[token]).await,
        400,
        "invalid_request",
        "subject_token_type missing",
    );
    refused(
        exchange(&idp, &[token, ("subject_token_type", "urn:example:saml")]).await,
        400,
        "invalid_request",
        "subject_token_type is not supported",
    );
    let access = ("subject_token_type", ACCESS);
    refused(
        exchange(&idp, &[token, access, ("requested_token_type", "urn:example:saml")]).await,
        400,
        "invalid_request",
        "requested_token_type is not supported",
    );
    refused(
        exchange(&idp, &[token, access, ("actor_token_type", "urn:example:saml")]).await,
        400,
        "invalid_request",
        "actor_token_type is not supported",
    );
    refused(
        exchange(&idp, &[token, access, ("resource", "https://api.example.com")]).await,
        400,
        "invalid_target",
        "resource parameter not supported",
    );
}

#[tokio::test]
async fn zitadel_refuses_invalid_subject_tokens_and_impersonation() {
    let clock = ManualClock::at(NOW);
    let idp = start_at(EXTRA, clock.clone()).await;
    let subject = alice_token(&idp).await;
    let invalid = |answer| refused(answer, 400, "invalid_request", "subject_token invalid");
    invalid(exchange(&idp, &[("subject_token", "foo"), ("subject_token_type", ACCESS)]).await);
    // A refresh token is no subject ZITADEL takes, nor an access token presented as an ID token.
    invalid(exchange(&idp, &[("subject_token", &subject), ("subject_token_type", REFRESH)]).await);
    invalid(exchange(&idp, &[("subject_token", &subject), ("subject_token_type", ID_TOKEN)]).await);
    invalid(
        exchange(
            &idp,
            &[("subject_token", "no-such-user"), ("subject_token_type", USER_ID)],
        )
        .await,
    );
    // Expired: the subject token has lived out its 300 s.
    clock.advance(301);
    invalid(exchange(&idp, &[("subject_token", &subject), ("subject_token_type", ACCESS)]).await);

    // Impersonation, once the subject is verified: refused by the default security policy.
    let fresh = alice_token(&idp).await;
    let policy = |answer| {
        refused(
            answer,
            403,
            "invalid_request",
            "Errors.TokenExchange.Impersonation.PolicyDisabled",
        )
    };
    policy(exchange(&idp, &[("subject_token", ALICE_ID), ("subject_token_type", USER_ID)]).await);
    let with_actor = [
        ("subject_token", fresh.as_str()),
        ("subject_token_type", ACCESS),
        ("actor_token", PAT),
        ("actor_token_type", ACCESS),
    ];
    policy(exchange(&idp, &with_actor).await);
}

#[tokio::test]
async fn zitadel_exchanges_an_id_token_only_to_fail_on_its_missing_scopes() {
    // ZITADEL's union rule: an ID token carries no scopes, so no scope can be granted.
    let idp = start(EXTRA).await;
    let id_token = idp.token_for("alice", "web-app").await.unwrap().id_token.unwrap();
    let base = [("subject_token", id_token.as_str()), ("subject_token_type", ID_TOKEN)];
    let answer = exchange(&idp, &base).await;
    refused(
        answer,
        400,
        "invalid_request",
        "The scope of your request is missing. Please ensure some scopes are requested. If you have any questions, you may contact the administrator of the application.",
    );
    let answer = exchange(&idp, &[base[0], base[1], ("scope", "openid")]).await;
    refused(
        answer,
        400,
        "invalid_scope",
        r#"scope "openid" not found in subject or actor token"#,
    );
}

#[tokio::test]
async fn zitadel_exchanges_a_machine_users_token_and_personal_access_token() {
    let idp = start(EXTRA).await;
    let machine = providers::zitadel::pat::machine_user_id("service");
    let (status, body) = reqwest::Client::new()
        .post(idp.endpoint(Endpoint::Token))
        .basic_auth("service", Some("service-secret"))
        .form(&[("grant_type", "client_credentials"), ("scope", "openid profile")])
        .send()
        .await
        .map(|response| (response.status(), response))
        .unwrap();
    let body: Value = body.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    let service = body["access_token"].as_str().unwrap().to_owned();
    let pat_info = introspect(&idp, PAT).await;
    for subject in [service.as_str(), PAT] {
        let answer = exchange(
            &idp,
            &[
                ("subject_token", subject),
                ("subject_token_type", ACCESS),
                ("scope", "openid"),
            ],
        )
        .await;
        let (status, body) = answer;
        assert_eq!(status, 200, "{body}");
        let info = introspect(&idp, body["access_token"].as_str().unwrap()).await;
        // The machine user stays the subject; the exchanging client holds the token.
        assert_eq!(
            (info["sub"].as_str(), info["client_id"].as_str()),
            (Some(machine.as_str()), Some("backend"))
        );
    }
    assert_eq!(pat_info["sub"], machine);
}

#[tokio::test]
async fn zitadel_lists_the_grant_only_where_a_client_may_exchange() {
    for (extra, listed) in [(EXTRA, true), ("", false)] {
        let idp = start(extra).await;
        let doc: Value = reqwest::get(idp.endpoint(Endpoint::Discovery))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let grants = doc["grant_types_supported"].as_array().unwrap();
        assert_eq!(grants.contains(&json!(GRANT)), listed, "{grants:?}");
    }
    // A client without the grant is refused as for any grant it lacks, before its parameters.
    let idp = start(EXTRA).await;
    let (status, body) = reqwest::Client::new()
        .post(idp.endpoint(Endpoint::Token))
        .basic_auth("service", Some("service-secret"))
        .form(&[("grant_type", GRANT)])
        .send()
        .await
        .map(|response| (response.status().as_u16(), response))
        .unwrap();
    let body: Value = body.json().await.unwrap();
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client")),
        "{body}"
    );
}

/// The default World with impersonation allowed in `demo` (ZITADEL's security policy) and bob
/// an organization end-user impersonator; `backend` may exchange.
fn impersonation_world() -> World {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/world.toml")).unwrap();
    let text = text
        .replacen(
            "roles = [\"user\", \"admin\", \"reporting\"]\n",
            "roles = [\"user\", \"admin\", \"reporting\", \"ORG_END_USER_IMPERSONATOR\"]\nimpersonation = true\n",
            1,
        )
        .replacen(
            "family_name = \"Builder\"\nrealm_roles = [\"user\"]\n",
            "family_name = \"Builder\"\nrealm_roles = [\"user\", \"ORG_END_USER_IMPERSONATOR\"]\n",
            1,
        );
    World::from_toml_str(&format!("{text}\n{EXTRA}"), "impersonation").unwrap()
}

const BOB_ID: &str = "2b8e4d6f-1a3c-4b5d-9e7f-6a8b0c2d4e6f";

#[tokio::test]
async fn zitadel_impersonates_where_the_policy_allows_it_with_act_naming_the_actor() {
    let idp = MockIdp::builder()
        .provider(Provider::Zitadel)
        .world(impersonation_world())
        .clock(ManualClock::at(NOW))
        .start()
        .await;
    let bob = idp.token_for("bob", "web-app").await.unwrap().access_token;
    // A user id as the subject, bob's access token as the actor: alice's tokens with `act`.
    let (status, body) = exchange(
        &idp,
        &[
            ("subject_token", ALICE_ID),
            ("subject_token_type", USER_ID),
            ("actor_token", &bob),
            ("actor_token_type", ACCESS),
            ("requested_token_type", JWT),
            ("scope", "openid profile"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let access = claims(body["access_token"].as_str().unwrap());
    let act = json!({"iss": idp.issuer(), "sub": BOB_ID});
    assert_eq!((&access["sub"], &access["act"]), (&json!(ALICE_ID), &act));
    let id_token = claims(body["id_token"].as_str().unwrap());
    assert_eq!((&id_token["sub"], &id_token["act"]), (&json!(ALICE_ID), &act));
    // Alice herself may not impersonate bob: no impersonator role.
    let alice = alice_token(&idp).await;
    refused(
        exchange(
            &idp,
            &[
                ("subject_token", BOB_ID),
                ("subject_token_type", USER_ID),
                ("actor_token", &alice),
                ("actor_token_type", ACCESS),
                ("scope", "openid"),
            ],
        )
        .await,
        403,
        "invalid_request",
        "Errors.PermissionDenied",
    );
    // A missing, unknown or unsupported actor token is "actor_token invalid".
    for (actor, actor_type) in [
        ("", ""),
        ("not-a-token", ACCESS),
        (bob.as_str(), REFRESH),
        (bob.as_str(), USER_ID),
    ] {
        let mut form = vec![("subject_token", ALICE_ID), ("subject_token_type", USER_ID)];
        if !actor.is_empty() {
            form.extend([("actor_token", actor), ("actor_token_type", actor_type)]);
        }
        refused(
            exchange(&idp, &form).await,
            400,
            "invalid_request",
            "actor_token invalid",
        );
    }
    // A scope-less subject: an authorization scope must still come from an input token.
    refused(
        exchange(
            &idp,
            &[
                ("subject_token", ALICE_ID),
                ("subject_token_type", USER_ID),
                ("actor_token", &bob),
                ("actor_token_type", ACCESS),
                ("scope", "openid urn:zitadel:iam:org:projects:roles"),
            ],
        )
        .await,
        400,
        "invalid_scope",
        r#"scope "urn:zitadel:iam:org:projects:roles" not found in subject or actor token"#,
    );
}
