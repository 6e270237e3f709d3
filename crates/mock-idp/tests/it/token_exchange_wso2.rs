//! Token exchange (RFC 8693) in the WSO2 flavor over HTTP, as WSO2 IS 7's grant handler
//! (v1.1.12) reads (source, not run): subject tokens of trusted identity providers, each check
//! in its order and words.

use crate::support::EcKey;
use mock_idp::{Endpoint, ManualClock, MockIdp, Provider, World};
use serde_json::{Value, json};

const GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const JWT: &str = "urn:ietf:params:oauth:token-type:jwt";
const ACCESS: &str = "urn:ietf:params:oauth:token-type:access_token";
const NOW: u64 = 1_800_000_000;
const PARTNER: &str = "https://partner.example";

/// The default World plus the trusted provider `partner` (its key `key`, kid `p1`) and
/// `backend`, a client that may exchange (JWT access tokens).
async fn start(key: &EcKey) -> MockIdp {
    let mut jwk = key.public_jwk();
    jwk["kid"] = json!("p1");
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
        json!({"keys": [jwk]})
    );
    MockIdp::builder()
        .provider(Provider::Wso2)
        .world(World::from_toml_str(&format!("{}{extra}", providers::world::DEFAULT_WORLD_TOML), "x.toml").unwrap())
        .clock(ManualClock::at(NOW))
        .start()
        .await
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
