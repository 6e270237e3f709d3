//! Token exchange (RFC 8693) in the WSO2 flavor over HTTP, as WSO2 IS 7's grant handler
//! (v1.1.12) reads (source, not run): subject tokens of trusted identity providers, each check
//! in its order and words.

use crate::support::EcKey;
use mock_idp::{Endpoint, MockIdp, Provider};
use serde_json::{Value, json};

const GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const JWT: &str = "urn:ietf:params:oauth:token-type:jwt";
const ACCESS: &str = "urn:ietf:params:oauth:token-type:access_token";
const NOW: u64 = 1_800_000_000;
const PARTNER: &str = "https://partner.example";

/// The default World plus the trusted provider `partner` (its key `key`, kid `p1`) and
/// `backend`, a client that may exchange (JWT access tokens).
async fn start(key: &EcKey) -> MockIdp {
    let extra = format!(
        r#"
[realms.demo.clients.backend]
kind = "confidential"
secret = "backend-secret"
grant_types = ["token_exchange"]
access_token_format = "jwt"

[realms.demo.identity_providers.partner]
issuer = "{PARTNER}"
jwks = '{}'
"#,
        crate::support::jwks_of(key, "p1")
    );
    crate::support::with_extra_world(Provider::Wso2, &extra, NOW).await
}

fn subject(key: &EcKey, idp: &MockIdp, edit: impl FnOnce(&mut Value)) -> String {
    let mut claims = json!({"iss": PARTNER, "sub": "alice", "aud": idp.endpoint(Endpoint::Token),
        "exp": NOW + 300, "iat": NOW});
    edit(&mut claims);
    key.sign(&json!({"alg": "ES256", "kid": "p1"}), &claims)
}

async fn exchange(idp: &MockIdp, params: &[(&str, &str)]) -> (u16, Value) {
    let mut form = vec![("grant_type", GRANT)];
    form.extend_from_slice(params);
    let (status, body) = crate::support::json_of(
        reqwest::Client::new()
            .post(idp.endpoint(Endpoint::Token))
            .basic_auth("backend", Some("backend-secret"))
            .form(&form),
    )
    .await;
    (status.as_u16(), body)
}

fn refused(answer: (u16, Value), error: &str, description: &str) {
    assert_eq!(answer, (400, json!({"error": error, "error_description": description})));
}

#[tokio::test]
async fn a_trusted_provider_s_token_is_exchanged_for_its_subject() {
    let key = EcKey::new();
    let idp = start(&key).await;
    let doc: Value = reqwest::get(idp.endpoint(Endpoint::Discovery))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["grant_types_supported"].as_array().unwrap().contains(&json!(GRANT)));
    let token = subject(&key, &idp, |_| ());
    let (status, body) = exchange(
        &idp,
        &[
            ("subject_token", &token),
            ("subject_token_type", JWT),
            ("scope", "openid"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // `issued_token_type` defaults to the JWT type; alice is a World user: ID and refresh tokens.
    assert_eq!(
        (body["issued_token_type"].as_str(), body["token_type"].as_str()),
        (Some(JWT), Some("Bearer"))
    );
    assert!(
        body["id_token"].is_string() && body["refresh_token"].is_string(),
        "{body}"
    );
    let claims = crate::support::claims(body["access_token"].as_str().unwrap());
    assert_eq!(claims["client_id"], "backend");
    // The access token type as requested; a federated subject the World does not know.
    let stranger = subject(&key, &idp, |c| c["sub"] = json!("partner-user-7"));
    let (status, body) = exchange(
        &idp,
        &[
            ("subject_token", &stranger),
            ("subject_token_type", ACCESS),
            ("requested_token_type", ACCESS),
        ],
    )
    .await;
    assert_eq!(
        (status, body["issued_token_type"].as_str()),
        (200, Some(ACCESS)),
        "{body}"
    );
    assert_eq!(
        crate::support::claims(body["access_token"].as_str().unwrap())["sub"],
        "partner-user-7"
    );
}

#[tokio::test]
async fn every_check_answers_in_wso2_s_order_and_words() {
    let key = EcKey::new();
    let idp = start(&key).await;
    let good = subject(&key, &idp, |_| ());
    let id = "urn:ietf:params:oauth:token-type:id_token";
    refused(
        exchange(&idp, &[]).await,
        "invalid_request",
        "Missing parameters: subject_token subject_token_type",
    );
    refused(
        exchange(
            &idp,
            &[
                ("subject_token", &good),
                ("subject_token_type", JWT),
                ("requested_token_type", id),
            ],
        )
        .await,
        "invalid_request",
        &format!("Unsupported requested token type : {id} provided"),
    );
    refused(
        exchange(&idp, &[("subject_token", &good), ("subject_token_type", id)]).await,
        "invalid_request",
        &format!("Unsupported subject token type : {id} provided"),
    );
    // An opaque token as an access token is no JWT: the same refusal.
    refused(
        exchange(&idp, &[("subject_token", "opaque"), ("subject_token_type", ACCESS)]).await,
        "invalid_request",
        &format!("Unsupported subject token type : {ACCESS} provided"),
    );
    refused(
        exchange(&idp, &[("subject_token", "not-a-jwt"), ("subject_token_type", JWT)]).await,
        "invalid_grant",
        "Error while parsing the JWT",
    );
    let cases: Vec<(String, &str, String)> = vec![
        (
            subject(&key, &idp, |c| {
                c.as_object_mut().unwrap().remove("iss");
            }),
            "invalid_request",
            "Mandatory field - Issuer is empty in the given JWT".into(),
        ),
        (
            subject(&key, &idp, |c| c["iss"] = json!("https://nobody.example")),
            "invalid_request",
            "No Registered IDP found for the JWT with issuer name : https://nobody.example".into(),
        ),
        (
            EcKey::new().sign(
                &json!({"alg": "ES256", "kid": "p1"}),
                &json!({"iss": PARTNER, "sub": "alice", "aud": idp.endpoint(Endpoint::Token), "exp": NOW + 300}),
            ),
            "invalid_request",
            "Signature or Message Authentication invalid".into(),
        ),
        (
            subject(&key, &idp, |c| c["exp"] = json!(NOW - 1)),
            "invalid_request",
            format!(
                "JSON Web Token is expired., Expiration Time(ms) : {}, TimeStamp Skew : 0, Current Time : {}. JWT Rejected and validation terminated",
                (NOW - 1) * 1000,
                NOW * 1000
            ),
        ),
        (
            subject(&key, &idp, |c| c["iat"] = json!(NOW - 3601)),
            "invalid_request",
            format!(
                "JSON Web Token is issued before the allowed time., Issued At Time(ms) : {}, Reject before limit(ms) : 3600000, TimeStamp Skew : 0, Current Time : {}. JWT Rejected and validation terminated",
                (NOW - 3601) * 1000,
                NOW * 1000
            ),
        ),
        (
            subject(&key, &idp, |c| c["aud"] = json!("https://elsewhere.example")),
            "invalid_target",
            "Invalid audience values provided".into(),
        ),
    ];
    for (token, error, description) in cases {
        refused(
            exchange(&idp, &[("subject_token", &token), ("subject_token_type", JWT)]).await,
            error,
            &description,
        );
    }
    // WSO2's own access tokens name their client in `aud`, not its token endpoint (v1.1.12):
    // refused; one that names the token endpoint is exchanged.
    let own = idp
        .mint(mock_idp::TokenSpec::user("alice").for_client("backend"))
        .unwrap();
    refused(
        exchange(&idp, &[("subject_token", &own), ("subject_token_type", JWT)]).await,
        "invalid_target",
        "Invalid audience values provided",
    );
    let addressed = idp
        .mint(
            mock_idp::TokenSpec::user("alice")
                .for_client("backend")
                .claim("aud", idp.endpoint(Endpoint::Token)),
        )
        .unwrap();
    let (status, body) = exchange(&idp, &[("subject_token", &addressed), ("subject_token_type", JWT)]).await;
    assert_eq!(status, 200, "{body}");
    // Impersonation: the subject token has no `may_act`.
    refused(
        exchange(
            &idp,
            &[
                ("subject_token", &good),
                ("subject_token_type", JWT),
                ("actor_token", &good),
                ("actor_token_type", JWT),
            ],
        )
        .await,
        "invalid_request",
        "Impersonator is not found in subject token.",
    );
}

const ALICE_ID: &str = "7f2a1c3e-5b4d-4e6f-8a9b-0c1d2e3f4a5b";
const BOB_ID: &str = "2b8e4d6f-1a3c-4b5d-9e7f-6a8b0c2d4e6f";

/// A token of the mock's own for `username`, issued to `backend`, with `claims` over it.
fn own_token(idp: &MockIdp, username: &str, claims: Value) -> String {
    let mut spec = mock_idp::TokenSpec::user(username).for_client("backend");
    for (name, value) in claims.as_object().unwrap() {
        spec = spec.claim(name.as_str(), value.clone());
    }
    idp.mint(spec).unwrap()
}

fn impersonation<'a>(subject: &'a str, actor: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("subject_token", subject),
        ("subject_token_type", ACCESS),
        ("actor_token", actor),
        ("actor_token_type", ACCESS),
    ]
}

#[tokio::test]
async fn impersonation_gives_the_subject_s_token_with_act_naming_the_impersonator() {
    let key = EcKey::new();
    let idp = start(&key).await;
    let subject = own_token(
        &idp,
        "alice",
        json!({"may_act": {"sub": BOB_ID}, "scope": "openid profile email"}),
    );
    let actor = own_token(&idp, "bob", json!({}));
    let mut params = impersonation(&subject, &actor);
    params.push(("scope", "openid profile phone"));
    let (status, body) = exchange(&idp, &params).await;
    assert_eq!(status, 200, "{body}");
    let claims = crate::support::claims(body["access_token"].as_str().unwrap());
    assert_eq!(
        (&claims["sub"], &claims["act"]),
        (&json!(ALICE_ID), &json!({"sub": BOB_ID}))
    );
    // The requested scopes among the subject token's: phone was never granted.
    let scopes: Vec<&str> = body["scope"].as_str().unwrap().split(' ').collect();
    assert!(scopes.contains(&"openid") && scopes.contains(&"profile"), "{body}");
    assert!(!scopes.contains(&"phone") && !scopes.contains(&"email"), "{body}");
    // The ID token is alice's and has no `act`; the type is echoed as requested, unvalidated.
    let id_token = crate::support::claims(body["id_token"].as_str().unwrap());
    assert_eq!((&id_token["sub"], id_token.get("act")), (&json!(ALICE_ID), None));
    assert_eq!(body["issued_token_type"], JWT);
    let mut params = impersonation(&subject, &actor);
    params.push(("requested_token_type", "urn:ietf:params:oauth:token-type:id_token"));
    let (status, body) = exchange(&idp, &params).await;
    assert_eq!(
        (status, body["issued_token_type"].as_str()),
        (200, Some("urn:ietf:params:oauth:token-type:id_token"))
    );
}

#[tokio::test]
async fn impersonation_checks_answer_in_wso2_s_order_and_words() {
    let key = EcKey::new();
    let idp = start(&key).await;
    let may_act = json!({"may_act": {"sub": BOB_ID}, "scope": "openid"});
    let subject = own_token(&idp, "alice", may_act.clone());
    let actor = own_token(&idp, "bob", json!({}));
    let ask = |subject: String, actor: String| {
        let idp = &idp;
        async move { exchange(idp, &impersonation(&subject, &actor)).await }
    };
    // Empty actor token (the parameters are present: still impersonation).
    refused(
        ask(subject.clone(), String::new()).await,
        "invalid_request",
        "No Valid subject token was found for urn:ietf:params:oauth:grant-type:token-exchange",
    );
    refused(
        ask(own_token(&idp, "alice", json!({"scope": "openid"})), actor.clone()).await,
        "invalid_request",
        "Impersonator is not found in subject token.",
    );
    // A trusted provider's token is well signed but not WSO2's own, and not for this client.
    let foreign = subject_for(&key, |c| {
        c["may_act"] = json!({"sub": BOB_ID});
        c["aud"] = json!("backend");
    });
    refused(
        ask(foreign, actor.clone()).await,
        "invalid_target",
        "Invalid issuer values provided",
    );
    refused(
        ask(with_signature_of(&subject, &actor), actor.clone()).await,
        "invalid_request",
        "Signature or Message Authentication invalid for subject token.",
    );
    let elsewhere = own_token(&idp, "alice", json!({"may_act": {"sub": BOB_ID}, "aud": "other-app"}));
    refused(
        ask(elsewhere, actor.clone()).await,
        "invalid_target",
        "Invalid audience values provided for subject token.",
    );
    // The actor must be the one `may_act` names, and signed by WSO2.
    refused(
        ask(subject.clone(), own_token(&idp, "carol", json!({}))).await,
        "invalid_request",
        "Subject of actor token and subject are different.",
    );
    refused(
        ask(subject.clone(), with_signature_of(&actor, &subject)).await,
        "invalid_request",
        "Signature or Message Authentication invalid for actor token.",
    );
    // A subject that is no user of the tenant.
    let ghost = own_token(
        &idp,
        "alice",
        json!({"sub": "no-such-user", "may_act": {"sub": BOB_ID}}),
    );
    refused(
        ask(ghost, actor.clone()).await,
        "invalid_request",
        "Invalid User Id provided for Impersonation request. Unable to find the user for given user id : no-such-user tenant Domain : carbon.super",
    );
    // An expired actor token.
    let stale = own_token(&idp, "bob", json!({"exp": NOW - 1}));
    let (status, body) = ask(subject.clone(), stale).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")));
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .starts_with("JSON Web Token is expired."),
        "{body}"
    );
}

/// A token of the trusted provider `partner` (not WSO2's own).
fn subject_for(key: &EcKey, edit: impl FnOnce(&mut Value)) -> String {
    let mut claims = json!({"iss": PARTNER, "sub": ALICE_ID, "exp": NOW + 300, "iat": NOW});
    edit(&mut claims);
    key.sign(&json!({"alg": "ES256", "kid": "p1"}), &claims)
}

/// `token`'s header and claims under `other`'s signature: well formed, wrongly signed.
fn with_signature_of(token: &str, other: &str) -> String {
    let (signed, _) = token.rsplit_once('.').unwrap();
    let (_, signature) = other.rsplit_once('.').unwrap();
    format!("{signed}.{signature}")
}
