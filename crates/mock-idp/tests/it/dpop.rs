//! DPoP (RFC 9449) at the mock's token, userinfo and introspection endpoints over HTTP, as
//! Keycloak 26.7.3 answers (its texts, window, binding and challenges, checked against the real
//! server by conformance's `dpop` suite): a bound token, every refusal of the proof ladder, the
//! refresh binding of a public client, the resource side, a replay race, and the flavors without
//! DPoP ignoring the header.

use crate::support::{EcKey, claims, json_of};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mock_idp::{Endpoint, ManualClock, MockIdp, Provider, World};
use serde_json::{Value, json};
use std::sync::Arc;

const NOW: u64 = 1_800_000_000;

/// A client's DPoP key (P-256) and proofs signed with it.
struct ProofKey {
    key: EcKey,
}

impl ProofKey {
    fn new() -> ProofKey {
        ProofKey { key: EcKey::new() }
    }

    fn jwk(&self) -> Value {
        self.key.public_jwk()
    }

    fn jkt(&self) -> String {
        idp_jose::digest::thumbprint(self.jwk().as_object().unwrap()).unwrap()
    }

    fn sign(&self, header: &Value, claims: &Value) -> String {
        self.key.sign(header, claims)
    }

    /// A valid proof for `htm` `htu` at `iat`, with `ath` for `access_token`.
    fn proof(&self, htm: &str, htu: &str, iat: u64, access_token: Option<&str>) -> String {
        let mut claims = json!({"jti": uuid(), "htm": htm, "htu": htu, "iat": iat});
        if let Some(token) = access_token {
            claims["ath"] = json!(idp_jose::digest::s256(token));
        }
        self.sign(&self.header(), &claims)
    }

    fn header(&self) -> Value {
        json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk()})
    }
}

fn uuid() -> String {
    let mut bytes = [0_u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).unwrap();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The default World plus `cli`, a public client with the password and refresh grants, and
/// `strict`, a confidential client that requires DPoP.
async fn start(provider: Provider) -> MockIdp {
    let extra = "\n[realms.demo.clients.cli]\nkind = \"public\"\ngrant_types = [\"password\", \"refresh_token\"]\n\
                 scopes = [\"openid\", \"profile\", \"email\"]\n\
                 \n[realms.demo.clients.strict]\nkind = \"confidential\"\nsecret = \"strict-secret\"\n\
                 grant_types = [\"client_credentials\"]\ndpop_bound_access_tokens = true\n\
                 \n[realms.demo.clients.boundapp]\nkind = \"confidential\"\nsecret = \"boundapp-secret\"\n\
                 grant_types = [\"password\", \"refresh_token\"]\nscopes = [\"openid\", \"profile\"]\n\
                 dpop_bound_access_tokens = true\n\
                 \n[realms.demo.clients.boundjwt]\nkind = \"confidential\"\nsecret = \"boundjwt-secret\"\n\
                 grant_types = [\"password\"]\nscopes = [\"openid\", \"profile\"]\n\
                 dpop_bound_access_tokens = true\naccess_token_format = \"jwt\"\n";
    let text = format!("{}{extra}", providers::world::DEFAULT_WORLD_TOML);
    MockIdp::builder()
        .provider(provider)
        .world(World::from_toml_str(&text, "dpop.toml").unwrap())
        .clock(ManualClock::at(NOW))
        .auto_approve(true)
        .start()
        .await
}

/// A token request of `client` (Basic with its secret, or `client_id` for a public one) with
/// `form`, and `proof` as the DPoP header when given.
async fn token_request(
    idp: &MockIdp,
    client: (&str, Option<&str>),
    form: &[(&str, &str)],
    proof: Option<&str>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new().post(idp.endpoint(Endpoint::Token));
    let mut form = form.to_vec();
    match client.1 {
        Some(secret) => request = request.basic_auth(client.0, Some(secret)),
        None => form.push(("client_id", client.0)),
    }
    if let Some(proof) = proof {
        request = request.header("DPoP", proof);
    }
    let (status, body) = json_of(request.form(&form)).await;
    (status.as_u16(), body)
}

/// A password grant of `client` for alice, with `proof` as the DPoP header when given.
async fn password(idp: &MockIdp, client: (&str, Option<&str>), proof: Option<&str>) -> (u16, Value) {
    let form = [
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", "alice-password"),
        ("scope", "openid"),
    ];
    token_request(idp, client, &form, proof).await
}

const WEB_APP: (&str, Option<&str>) = ("web-app", Some("web-app-secret"));

#[tokio::test]
async fn a_proof_binds_the_access_token_as_keycloak_does_and_not_the_id_token() {
    let idp = start(Provider::Keycloak).await;
    let key = ProofKey::new();
    let token_url = idp.endpoint(Endpoint::Token);
    let (status, body) = password(&idp, WEB_APP, Some(&key.proof("POST", &token_url, NOW, None))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "DPoP");
    let access = claims(body["access_token"].as_str().unwrap());
    assert_eq!(access["cnf"], json!({"jkt": key.jkt(), "kc-jkt-type": "DPoP"}));
    assert_eq!(access["typ"], "DPoP");
    let names: Vec<&String> = access.as_object().unwrap().keys().collect();
    let cnf = names.iter().position(|name| *name == "cnf").unwrap();
    assert_eq!(names[cnf + 1], "scope", "cnf right before scope: {names:?}");
    assert!(claims(body["id_token"].as_str().unwrap()).get("cnf").is_none());

    // Without a proof, the same request is a bearer token.
    let (status, body) = password(&idp, WEB_APP, None).await;
    assert_eq!(status, 200);
    assert_eq!(body["token_type"], "Bearer");
    assert!(claims(body["access_token"].as_str().unwrap()).get("cnf").is_none());

    let discovery: Value = reqwest::get(idp.endpoint(Endpoint::Discovery))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        discovery["dpop_signing_alg_values_supported"],
        json!([
            "PS384", "RS384", "EdDSA", "ES384", "ES256", "RS256", "ES512", "PS256", "PS512", "RS512"
        ])
    );
}

#[tokio::test]
async fn every_rung_of_the_proof_ladder_is_refused_in_keycloak_s_words() {
    let idp = start(Provider::Keycloak).await;
    let key = ProofKey::new();
    let url = idp.endpoint(Endpoint::Token);
    let claims_at = |iat: u64| json!({"jti": uuid(), "htm": "POST", "htu": url, "iat": iat});
    let with_header = |header: Value| key.sign(&header, &claims_at(NOW));
    let mut header_without_typ = key.header();
    header_without_typ.as_object_mut().unwrap().remove("typ");
    let mut private = key.jwk();
    private["d"] = json!("AAAA");
    let mut bad_signature = key.proof("POST", &url, NOW, None);
    bad_signature.replace_range(bad_signature.len() - 4.., "AAAA");
    let mut no_jti = claims_at(NOW);
    no_jti.as_object_mut().unwrap().remove("jti");
    let cases: Vec<(&str, String, &str)> = vec![
        ("blank", " ".into(), "DPoP proof is missing"),
        ("not a JWS", "not-a-proof".into(), "DPoP header verification failure"),
        (
            "typ JWT",
            with_header(json!({"typ": "JWT", "alg": "ES256", "jwk": key.jwk()})),
            "Invalid or missing type in DPoP header: JWT",
        ),
        (
            "typ absent",
            with_header(header_without_typ),
            "Invalid or missing type in DPoP header: null",
        ),
        (
            "alg HS256",
            with_header(json!({"typ": "dpop+jwt", "alg": "HS256", "jwk": key.jwk()})),
            "Unsupported DPoP algorithm: HS256",
        ),
        (
            "no jwk",
            with_header(json!({"typ": "dpop+jwt", "alg": "ES256"})),
            "No JWK in DPoP header",
        ),
        (
            "private jwk",
            with_header(json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": private})),
            "Private key is present in DPoP header",
        ),
        (
            "RS256 over an EC key",
            with_header(json!({"typ": "dpop+jwt", "alg": "RS256", "jwk": key.jwk()})),
            "Key with algorithm RS256 and type EC is incorrect for provider algorithm RS256",
        ),
        (
            "ES384 over a P-256 key",
            with_header(json!({"typ": "dpop+jwt", "alg": "ES384", "jwk": key.jwk()})),
            "DPoP verification failure: org.keycloak.common.VerificationException: Signing failed",
        ),
        (
            "bad signature",
            bad_signature,
            "DPoP verification failure: org.keycloak.exceptions.TokenSignatureInvalidException: Invalid token signature",
        ),
        (
            "no jti",
            key.sign(&key.header(), &no_jti),
            "DPoP mandatory claims are missing",
        ),
        (
            "htu elsewhere",
            key.proof("POST", &format!("{url}x"), NOW, None),
            "DPoP HTTP URL mismatch",
        ),
        // htu is checked before htm: wrong in both ways, the URL is named.
        (
            "htu and htm wrong",
            key.proof("GET", &format!("{url}x"), NOW, None),
            "DPoP HTTP URL mismatch",
        ),
        (
            "htm GET",
            key.proof("GET", &url, NOW, None),
            "DPoP HTTP method mismatch",
        ),
        (
            "26 s old",
            key.proof("POST", &url, NOW - 26, None),
            "DPoP proof is not active",
        ),
        (
            "16 s ahead",
            key.proof("POST", &url, NOW + 16, None),
            "DPoP proof is not active",
        ),
    ];
    for (name, proof, description) in cases {
        let (status, body) = password(&idp, WEB_APP, Some(&proof)).await;
        assert_eq!(status, 400, "{name}: {body}");
        assert_eq!(body["error"], "invalid_request", "{name}: {body}");
        assert_eq!(body["error_description"], description, "{name}");
    }
    // The window's edges, and a query on htu, are accepted.
    for (name, proof) in [
        ("25 s old", key.proof("POST", &url, NOW - 25, None)),
        ("15 s ahead", key.proof("POST", &url, NOW + 15, None)),
        ("htu with a query", key.proof("POST", &format!("{url}?a=b"), NOW, None)),
    ] {
        let (status, body) = password(&idp, WEB_APP, Some(&proof)).await;
        assert_eq!(
            (status, body["token_type"].as_str()),
            (200, Some("DPoP")),
            "{name}: {body}"
        );
    }
    let proof = key.proof("POST", &url, NOW, None);
    assert_eq!(password(&idp, WEB_APP, Some(&proof)).await.0, 200);
    let (status, body) = password(&idp, WEB_APP, Some(&proof)).await;
    assert_eq!(status, 400);
    assert_eq!(body["error_description"], "DPoP proof has already been used");
}

#[tokio::test]
async fn a_client_that_requires_dpop_is_refused_without_a_proof() {
    let idp = start(Provider::Keycloak).await;
    let request = |proof: Option<String>| {
        let mut request = reqwest::Client::new()
            .post(idp.endpoint(Endpoint::Token))
            .basic_auth("strict", Some("strict-secret"))
            .form(&[("grant_type", "client_credentials")]);
        if let Some(proof) = proof {
            request = request.header("DPoP", proof);
        }
        json_of(request)
    };
    let (status, body) = request(None).await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"error": "invalid_request", "error_description": "DPoP proof is missing"})
    );
    let key = ProofKey::new();
    let (status, body) = request(Some(key.proof("POST", &idp.endpoint(Endpoint::Token), NOW, None))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(claims(body["access_token"].as_str().unwrap())["cnf"]["jkt"], key.jkt());
}

async fn refresh(idp: &MockIdp, client: (&str, Option<&str>), token: &str, proof: Option<String>) -> (u16, Value) {
    let form = [("grant_type", "refresh_token"), ("refresh_token", token)];
    token_request(idp, client, &form, proof.as_deref()).await
}

#[tokio::test]
async fn a_public_client_s_refresh_token_is_bound_and_a_confidential_client_s_is_not() {
    let idp = start(Provider::Keycloak).await;
    let url = idp.endpoint(Endpoint::Token);
    let key = ProofKey::new();
    let cli = ("cli", None);
    let (status, body) = password(&idp, cli, Some(&key.proof("POST", &url, NOW, None))).await;
    assert_eq!(status, 200, "{body}");
    let token = body["refresh_token"].as_str().unwrap().to_owned();

    let (status, body) = refresh(&idp, cli, &token, None).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
    assert_eq!(body["error_description"], "DPoP proof is missing");
    let other = ProofKey::new();
    let (status, body) = refresh(&idp, cli, &token, Some(other.proof("POST", &url, NOW, None))).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
    assert_eq!(body["error_description"], "DPoP confirmation doesn't match DPoP proof");
    // Neither refusal used the token up.
    let (status, body) = refresh(&idp, cli, &token, Some(key.proof("POST", &url, NOW, None))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "DPoP");
    assert_eq!(claims(body["access_token"].as_str().unwrap())["cnf"]["jkt"], key.jkt());

    // web-app is confidential: its refresh token is not bound (Keycloak 26.7.3, a real run).
    let (_, body) = password(&idp, WEB_APP, Some(&key.proof("POST", &url, NOW, None))).await;
    let (status, body) = refresh(&idp, WEB_APP, body["refresh_token"].as_str().unwrap(), None).await;
    assert_eq!((status, body["token_type"].as_str()), (200, Some("Bearer")), "{body}");
}

#[tokio::test]
async fn userinfo_takes_a_bound_token_only_under_the_dpop_scheme_with_a_proof_of_its_key() {
    let idp = start(Provider::Keycloak).await;
    let key = ProofKey::new();
    let (_, body) = password(
        &idp,
        WEB_APP,
        Some(&key.proof("POST", &idp.endpoint(Endpoint::Token), NOW, None)),
    )
    .await;
    let token = body["access_token"].as_str().unwrap().to_owned();
    let userinfo = idp.endpoint(Endpoint::Userinfo);
    let get = |scheme: &str, proof: Option<String>| userinfo_call(&userinfo, format!("{scheme} {token}"), proof);
    let (status, _, body) = get("DPoP", Some(key.proof("GET", &userinfo, NOW, Some(&token)))).await;
    assert_eq!(status, 200, "{body}");
    let dpop_challenge = "DPoP algs=\"PS384 RS384 EdDSA ES384 ES256 RS256 ES512 PS256 PS512 RS512\", realm=\"demo\", \
                          error=\"invalid_token\", error_description=\"Token verification failed\"";
    let refused = [
        (
            "no ath",
            get("DPoP", Some(key.proof("GET", &userinfo, NOW, None))).await,
        ),
        ("no proof", get("DPoP", None).await),
        (
            "another key",
            get("DPoP", Some(ProofKey::new().proof("GET", &userinfo, NOW, Some(&token)))).await,
        ),
        (
            "proof for POST",
            get("DPoP", Some(key.proof("POST", &userinfo, NOW, Some(&token)))).await,
        ),
    ];
    for (name, (status, challenge, body)) in refused {
        assert_eq!(status, 401, "{name}");
        assert_eq!(challenge.as_deref(), Some(dpop_challenge), "{name}");
        assert_eq!(body, "", "{name}");
    }
    let (status, challenge, _) = get("Bearer", None).await;
    assert_eq!(status, 401, "a bound token presented as a bearer token");
    assert_eq!(
        challenge.as_deref(),
        Some("Bearer realm=\"demo\", error=\"invalid_token\", error_description=\"Token verification failed\"")
    );

    let (status, body) = json_of(
        reqwest::Client::new()
            .post(idp.endpoint(Endpoint::Introspect))
            .basic_auth("api", Some("api-secret"))
            .form(&[("token", token.as_str())]),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        (body["active"].as_bool(), body["token_type"].as_str()),
        (Some(true), Some("DPoP"))
    );
    assert_eq!(body["cnf"]["jkt"], key.jkt());
}

/// One proof sent by many requests at once is accepted by exactly one of them, every round.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_proof_replayed_concurrently_is_accepted_once() {
    const ROUNDS: usize = 20;
    const SENDERS: usize = 8;
    let idp = Arc::new(start(Provider::Keycloak).await);
    let key = ProofKey::new();
    for round in 0..ROUNDS {
        let proof = Arc::new(key.proof("POST", &idp.endpoint(Endpoint::Token), NOW, None));
        let barrier = Arc::new(tokio::sync::Barrier::new(SENDERS));
        let tasks: Vec<_> = (0..SENDERS)
            .map(|_| {
                let (idp, proof, barrier) = (Arc::clone(&idp), Arc::clone(&proof), Arc::clone(&barrier));
                tokio::spawn(async move {
                    barrier.wait().await;
                    password(&idp, WEB_APP, Some(&proof)).await.0
                })
            })
            .collect();
        let mut statuses = Vec::new();
        for task in tasks {
            statuses.push(task.await.unwrap());
        }
        assert_eq!(
            statuses.iter().filter(|status| **status == 200).count(),
            1,
            "round {round}: {statuses:?}"
        );
        assert!(
            statuses.iter().all(|status| matches!(status, 200 | 400)),
            "{statuses:?}"
        );
    }
}

#[tokio::test]
async fn providers_without_dpop_ignore_the_header_and_the_generic_one_uses_rfc_9449_s_code() {
    let key = ProofKey::new();
    // ZITADEL has no DPoP; WSO2 reads the header only for applications bound to DPoP, and lists
    // no proof algorithms in discovery.
    for provider in [Provider::Zitadel, Provider::Wso2] {
        let idp = start(provider).await;
        let (status, body) = json_of(
            reqwest::Client::new()
                .post(idp.endpoint(Endpoint::Token))
                .basic_auth("service", Some("service-secret"))
                .header("DPoP", "not-a-proof")
                .form(&[("grant_type", "client_credentials")]),
        )
        .await;
        assert_eq!(status, 200, "{provider}: {body}");
        assert_eq!(body["token_type"], "Bearer", "{provider}");
        let discovery: Value = reqwest::get(idp.endpoint(Endpoint::Discovery))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(
            discovery.get("dpop_signing_alg_values_supported").is_none(),
            "{provider}"
        );
    }
    let idp = start(Provider::Generic).await;
    let (status, body) = password(&idp, WEB_APP, Some("not-a-proof")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_dpop_proof")),
        "{body}"
    );
    let (status, body) = password(
        &idp,
        WEB_APP,
        Some(&key.proof("POST", &idp.endpoint(Endpoint::Token), NOW, None)),
    )
    .await;
    assert_eq!((status, body["token_type"].as_str()), (200, Some("DPoP")), "{body}");
    assert_eq!(
        claims(body["access_token"].as_str().unwrap())["cnf"],
        json!({"jkt": key.jkt()})
    );
}

/// A code for alice and `web-app` (auto-approved by `login_hint`), with `dpop_jkt` when given.
async fn code(idp: &MockIdp, dpop_jkt: Option<&str>) -> String {
    let mut query = vec![
        ("client_id", "web-app"),
        ("redirect_uri", "http://127.0.0.1:5000/callback"),
        ("response_type", "code"),
        ("scope", "openid"),
        ("login_hint", "alice"),
        ("state", "s"),
    ];
    if let Some(jkt) = dpop_jkt {
        query.push(("dpop_jkt", jkt));
    }
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(idp.endpoint(Endpoint::Authorize))
        .query(&query)
        .send()
        .await
        .unwrap();
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    reqwest::Url::parse(&location)
        .unwrap()
        .query_pairs()
        .find(|(name, _)| name == "code")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_else(|| panic!("no code in {location}"))
}

async fn redeem(idp: &MockIdp, code: &str, proof: Option<String>) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(idp.endpoint(Endpoint::Token))
        .basic_auth("web-app", Some("web-app-secret"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", "http://127.0.0.1:5000/callback"),
        ]);
    if let Some(proof) = proof {
        request = request.header("DPoP", proof);
    }
    let (status, body) = json_of(request).await;
    (status.as_u16(), body)
}

/// RFC 9449 §10, in Keycloak 26.7.3's words (a real run, docs/providers.md): a code requested
/// with `dpop_jkt` needs a proof of that key; ZITADEL ignores the parameter.
#[tokio::test]
async fn a_code_requested_with_dpop_jkt_is_redeemed_only_with_that_key() {
    let idp = start(Provider::Keycloak).await;
    let url = idp.endpoint(Endpoint::Token);
    let key = ProofKey::new();
    let jkt = key.jkt();
    let (status, body) = redeem(&idp, &code(&idp, Some(&jkt)).await, None).await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"error": "invalid_request", "error_description": "DPoP Proof missing"})
    );
    let other = ProofKey::new().proof("POST", &url, NOW, None);
    let (status, body) = redeem(&idp, &code(&idp, Some(&jkt)).await, Some(other)).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error_description"],
        "DPoP Proof public key thumbprint does not match dpop_jkt"
    );
    let (status, body) = redeem(
        &idp,
        &code(&idp, Some(&jkt)).await,
        Some(key.proof("POST", &url, NOW, None)),
    )
    .await;
    assert_eq!((status, body["token_type"].as_str()), (200, Some("DPoP")), "{body}");
    // Without dpop_jkt the code needs no proof.
    let (status, body) = redeem(&idp, &code(&idp, None).await, None).await;
    assert_eq!((status, body["token_type"].as_str()), (200, Some("Bearer")), "{body}");

    let zitadel = start(Provider::Zitadel).await;
    let (status, body) = redeem(&zitadel, &code(&zitadel, Some(&jkt)).await, None).await;
    assert_eq!(status, 200, "ZITADEL ignores dpop_jkt: {body}");
}

/// WSO2 IS (its DPoP component, docs/providers.md): proofs only for applications bound to DPoP,
/// every refusal `invalid_dpop_proof`, "Invalid DPoP Proof" but for a missing header, several
/// headers and an expired proof; 60 s of age, no future limit, no replay cache; the claims are
/// checked before the header; every bound client's refresh token is bound.
#[tokio::test]
async fn wso2_checks_proofs_only_for_bound_applications_in_its_own_words() {
    let idp = start(Provider::Wso2).await;
    let url = idp.endpoint(Endpoint::Token);
    let key = ProofKey::new();
    let strict = |proofs: Vec<String>| {
        let mut request = reqwest::Client::new()
            .post(idp.endpoint(Endpoint::Token))
            .basic_auth("strict", Some("strict-secret"))
            .form(&[("grant_type", "client_credentials")]);
        for proof in proofs {
            request = request.header("DPoP", proof);
        }
        async move {
            let (status, body) = json_of(request).await;
            (status.as_u16(), body)
        }
    };
    let refused = |description: &str| {
        (
            400,
            json!({"error": "invalid_dpop_proof", "error_description": description}),
        )
    };
    assert_eq!(strict(vec![]).await, refused("DPoP header is required."));
    let two = vec![key.proof("POST", &url, NOW, None), key.proof("POST", &url, NOW, None)];
    assert_eq!(
        strict(two).await,
        refused("Exception occurred while extracting the DPoP proof header: Request contains multiple DPoP headers.")
    );
    assert_eq!(
        strict(vec![key.proof("POST", &url, NOW - 61, None)]).await,
        refused("Expired DPoP Proof")
    );
    assert_eq!(
        strict(vec![key.proof("GET", &url, NOW, None)]).await,
        refused("Invalid DPoP Proof")
    );
    let wrong_typ = json!({"typ": "JWT", "alg": "ES256", "jwk": key.jwk()});
    let stale = json!({"jti": uuid(), "htm": "POST", "htu": url, "iat": NOW - 61});
    assert_eq!(
        strict(vec![key.sign(&wrong_typ, &stale)]).await,
        refused("Expired DPoP Proof"),
        "the claims are checked before the header"
    );
    // Accepted: 60 s old, an hour ahead, and the same proof twice (WSO2 keeps no replay cache).
    let proof = key.proof("POST", &url, NOW + 3600, None);
    for proof in [key.proof("POST", &url, NOW - 60, None), proof.clone(), proof] {
        let (status, body) = strict(vec![proof]).await;
        assert_eq!((status, body["token_type"].as_str()), (200, Some("DPoP")), "{body}");
    }
    let (_, body) = strict(vec![key.proof("POST", &url, NOW, None)]).await;
    let token = body["access_token"].as_str().unwrap().to_owned();
    let (status, introspected) = json_of(
        reqwest::Client::new()
            .post(idp.endpoint(Endpoint::Introspect))
            .basic_auth("api", Some("api-secret"))
            .form(&[("token", token.as_str())]),
    )
    .await;
    assert_eq!(status, 200, "{introspected}");
    assert_eq!(introspected["token_type"], "DPoP");
    assert_eq!(introspected["cnf"], json!({"jkt": key.jkt()}));

    // An application not bound to DPoP: the header is not even read.
    let (status, body) = password(&idp, WEB_APP, Some("not-a-proof")).await;
    assert_eq!((status, body["token_type"].as_str()), (200, Some("Bearer")), "{body}");

    // A bound confidential client's refresh token is bound.
    let boundapp = ("boundapp", Some("boundapp-secret"));
    let (status, body) = password(&idp, boundapp, Some(&key.proof("POST", &url, NOW, None))).await;
    assert_eq!(status, 200, "{body}");
    let refresh_token = body["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(
        refresh(&idp, boundapp, &refresh_token, None).await,
        refused("DPoP proof is required.")
    );
    let other = ProofKey::new().proof("POST", &url, NOW, None);
    assert_eq!(
        refresh(&idp, boundapp, &refresh_token, Some(other)).await,
        refused("Invalid DPoP Proof")
    );
    let (status, body) = refresh(&idp, boundapp, &refresh_token, Some(key.proof("POST", &url, NOW, None))).await;
    assert_eq!((status, body["token_type"].as_str()), (200, Some("DPoP")), "{body}");
}

/// WSO2's userinfo validates a bound application's token binding (`DPoP` scheme, a proof for
/// the request by the bound key, `ath` not read) and answers 400 `invalid_request` under a
/// Bearer challenge; its JWT access tokens and introspection carry `binding_type` and
/// `binding_ref` (the MD5 hex of the thumbprint).
#[tokio::test]
async fn wso2_userinfo_validates_a_bound_application_s_binding_in_its_own_words() {
    let idp = start(Provider::Wso2).await;
    let key = ProofKey::new();
    let boundjwt = ("boundjwt", Some("boundjwt-secret"));
    let token_url = idp.endpoint(Endpoint::Token);
    let (status, body) = password(&idp, boundjwt, Some(&key.proof("POST", &token_url, NOW, None))).await;
    assert_eq!((status, body["token_type"].as_str()), (200, Some("DPoP")), "{body}");
    let token = body["access_token"].as_str().unwrap().to_owned();
    let jkt = key.jkt();
    let binding_ref = providers::dpop::wso2_binding_ref(&jkt);
    assert_eq!(binding_ref.len(), 32);
    let access = claims(&token);
    assert_eq!(
        (&access["cnf"], &access["binding_type"], &access["binding_ref"]),
        (&json!({"jkt": jkt}), &json!("DPoP"), &json!(binding_ref))
    );
    let (_, introspected) = json_of(
        reqwest::Client::new()
            .post(idp.endpoint(Endpoint::Introspect))
            .basic_auth("api", Some("api-secret"))
            .form(&[("token", token.as_str())]),
    )
    .await;
    assert_eq!(
        (&introspected["binding_type"], &introspected["binding_ref"]),
        (&json!("DPoP"), &json!(binding_ref)),
        "{introspected}"
    );

    let userinfo = idp.endpoint(Endpoint::Userinfo);
    let get = |scheme: &str, token: &str, proof: Option<String>| {
        let call = userinfo_call(&userinfo, format!("{scheme} {token}"), proof);
        async move {
            let (status, challenge, body) = call.await;
            (status, challenge, serde_json::from_str::<Value>(&body).unwrap())
        }
    };
    // A proof without `ath` is enough.
    let (status, _, body) = get("DPoP", &token, Some(key.proof("GET", &userinfo, NOW, None))).await;
    assert_eq!(status, 200, "{body}");
    let refusal = |description: &str| {
        (
            400,
            Some("Bearer error=\"invalid_request\"".to_owned()),
            json!({"error_description": description, "error": "invalid_request"}),
        )
    };
    let binding = refusal("Valid token binding value not present in the request.");
    assert_eq!(
        get("DPoP", &token, None).await,
        refusal("DPoP header is required with DPoP tokens")
    );
    assert_eq!(get("Bearer", &token, None).await, binding, "as a bearer token");
    let other_key = ProofKey::new().proof("GET", &userinfo, NOW, None);
    assert_eq!(get("DPoP", &token, Some(other_key)).await, binding, "another key");
    let for_post = key.proof("POST", &userinfo, NOW, None);
    assert_eq!(get("DPoP", &token, Some(for_post)).await, binding, "another method");
    let stale = key.proof("GET", &userinfo, NOW - 61, None);
    assert_eq!(get("DPoP", &token, Some(stale)).await, binding, "a stale proof");
    // An unknown token is the token validator's refusal, under Bearer whatever the scheme.
    let (status, challenge, body) = get("DPoP", "no-such-token", Some(key.proof("GET", &userinfo, NOW, None))).await;
    assert_eq!(
        (status, challenge.as_deref(), body["error_description"].as_str()),
        (
            401,
            Some("Bearer error=\"invalid_token\""),
            Some("Access token validation failed")
        )
    );
    // An application that does not bind tokens: its token works under either scheme.
    let (_, body) = password(&idp, WEB_APP, None).await;
    let plain = body["access_token"].as_str().unwrap().to_owned();
    let (status, _, body) = get("DPoP", &plain, Some(key.proof("GET", &userinfo, NOW, None))).await;
    assert_eq!(status, 200, "{body}");
}

/// A GET of `userinfo` with `authorization` (and `proof` as the DPoP header): status,
/// `WWW-Authenticate` and body.
fn userinfo_call(
    userinfo: &str,
    authorization: String,
    proof: Option<String>,
) -> impl std::future::Future<Output = (u16, Option<String>, String)> + use<> {
    let mut request = reqwest::Client::new()
        .get(userinfo)
        .header("Authorization", authorization);
    if let Some(proof) = proof {
        request = request.header("DPoP", proof);
    }
    async move {
        let response = request.send().await.unwrap();
        let challenge = response
            .headers()
            .get("www-authenticate")
            .map(|value| value.to_str().unwrap().to_owned());
        (response.status().as_u16(), challenge, response.text().await.unwrap())
    }
}

/// A proof for `POST htu` at `iat` carrying `nonce`.
fn proof_with_nonce(key: &ProofKey, htu: &str, iat: u64, nonce: Option<&str>) -> String {
    let mut claims = json!({"jti": uuid(), "htm": "POST", "htu": htu, "iat": iat});
    if let Some(nonce) = nonce {
        claims["nonce"] = json!(nonce);
    }
    key.sign(&key.header(), &claims)
}

/// A client_credentials request of `service` with `proof`; the status, the `DPoP-Nonce`
/// header and the body.
async fn service_with_proof(idp: &MockIdp, proof: &str) -> (u16, Option<String>, Value) {
    let response = reqwest::Client::new()
        .post(idp.endpoint(Endpoint::Token))
        .basic_auth("service", Some("service-secret"))
        .header("DPoP", proof)
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let nonce = response
        .headers()
        .get("dpop-nonce")
        .map(|value| value.to_str().unwrap().to_owned());
    (status, nonce, response.json().await.unwrap())
}

async fn start_with_nonces(provider: Provider) -> MockIdp {
    let text =
        providers::world::DEFAULT_WORLD_TOML.replacen("[realms.demo]\n", "[realms.demo]\ndpop_nonce = true\n", 1);
    assert!(text.contains("dpop_nonce = true"));
    MockIdp::builder()
        .provider(provider)
        .world(World::from_toml_str(&text, "nonce.toml").unwrap())
        .clock(ManualClock::at(NOW))
        .start()
        .await
}

#[tokio::test]
async fn a_realm_that_demands_nonces_answers_use_dpop_nonce_until_the_proof_carries_one() {
    let idp = start_with_nonces(Provider::Generic).await;
    let key = ProofKey::new();
    let url = idp.endpoint(Endpoint::Token);
    // No nonce: 400 use_dpop_nonce with the nonce to use in `DPoP-Nonce` (RFC 9449 §8).
    let first = proof_with_nonce(&key, &url, NOW, None);
    let (status, nonce, body) = service_with_proof(&idp, &first).await;
    assert_eq!(
        (status, body["error"].as_str(), body["error_description"].as_str()),
        (
            400,
            Some("use_dpop_nonce"),
            Some(providers::dpop::USE_NONCE_DESCRIPTION)
        ),
        "{body}"
    );
    let nonce = nonce.expect("a DPoP-Nonce header with the refusal");
    // A made-up nonce is refused the same way.
    let (status, again, body) = service_with_proof(&idp, &proof_with_nonce(&key, &url, NOW, Some("made-up"))).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("use_dpop_nonce")));
    assert_eq!(again.as_deref(), Some(nonce.as_str()));
    // The refused proof was not spent: with the nonce, a proof gets a bound token, and the
    // token response hands out the nonce too.
    let (status, handed, body) = service_with_proof(&idp, &proof_with_nonce(&key, &url, NOW, Some(&nonce))).await;
    assert_eq!((status, body["token_type"].as_str()), (200, Some("DPoP")), "{body}");
    assert_eq!(handed.as_deref(), Some(nonce.as_str()));
    // A window later the old nonce still works; two windows later it is stale, and the
    // refusal names a new one.
    idp.clock().advance(300);
    let (status, _, body) = service_with_proof(&idp, &proof_with_nonce(&key, &url, NOW + 300, Some(&nonce))).await;
    assert_eq!(status, 200, "{body}");
    idp.clock().advance(300);
    let (status, fresh, body) = service_with_proof(&idp, &proof_with_nonce(&key, &url, NOW + 600, Some(&nonce))).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("use_dpop_nonce")));
    assert_ne!(fresh.as_deref(), Some(nonce.as_str()));
    // A request without DPoP is not asked for a nonce (the realm demands nonces in proofs, not
    // proofs).
    let (status, body) = json_of(
        reqwest::Client::new()
            .post(idp.endpoint(Endpoint::Token))
            .basic_auth("service", Some("service-secret"))
            .form(&[("grant_type", "client_credentials")]),
    )
    .await;
    assert_eq!((status.as_u16(), body["token_type"].as_str()), (200, Some("Bearer")));
}

#[tokio::test]
async fn keycloak_demands_no_nonce_whatever_the_world_says() {
    // Keycloak 26.7.3's DPoPUtil reads no `nonce`: the flavor ignores the realm's setting.
    let idp = start_with_nonces(Provider::Keycloak).await;
    let key = ProofKey::new();
    let url = idp.endpoint(Endpoint::Token);
    let (status, nonce, body) = service_with_proof(&idp, &proof_with_nonce(&key, &url, NOW, None)).await;
    assert_eq!((status, nonce), (200, None), "{body}");
}

/// RFC 9449 §9: userinfo, a protected resource of a realm that demands nonces, answers a proof
/// without the nonce 401 `use_dpop_nonce` in a `DPoP` challenge with the nonce in
/// `DPoP-Nonce`, and takes the retry that carries it.
#[tokio::test]
async fn userinfo_demands_the_realm_s_nonce_as_a_resource_server() {
    let idp = start_with_nonces(Provider::Generic).await;
    let key = ProofKey::new();
    let token_url = idp.endpoint(Endpoint::Token);
    let (status, body) = password(&idp, WEB_APP, Some(&proof_with_nonce(&key, &token_url, NOW, None))).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("use_dpop_nonce")));
    let (_, nonce, _) = service_with_proof(&idp, &proof_with_nonce(&key, &token_url, NOW, None)).await;
    let nonce = nonce.unwrap();
    let (status, body) = password(
        &idp,
        WEB_APP,
        Some(&proof_with_nonce(&key, &token_url, NOW, Some(&nonce))),
    )
    .await;
    assert_eq!((status, body["token_type"].as_str()), (200, Some("DPoP")), "{body}");
    let token = body["access_token"].as_str().unwrap().to_owned();

    let userinfo = idp.endpoint(Endpoint::Userinfo);
    let resource_proof = |nonce: Option<&str>| {
        let mut claims = json!({"jti": uuid(), "htm": "GET", "htu": userinfo, "iat": NOW,
            "ath": idp_jose::digest::s256(&token)});
        if let Some(nonce) = nonce {
            claims["nonce"] = json!(nonce);
        }
        key.sign(&key.header(), &claims)
    };
    let get = |proof: String| {
        let request = reqwest::Client::new()
            .get(&userinfo)
            .header("Authorization", format!("DPoP {token}"))
            .header("DPoP", proof);
        async move {
            let response = request.send().await.unwrap();
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .map(|value| value.to_str().unwrap().to_owned())
            };
            let (challenge, nonce) = (header("www-authenticate"), header("dpop-nonce"));
            let status = response.status().as_u16();
            (status, challenge, nonce, response.text().await.unwrap())
        }
    };
    for refused in [resource_proof(None), resource_proof(Some("made-up"))] {
        let (status, challenge, handed, body) = get(refused).await;
        assert_eq!(status, 401, "{body}");
        let challenge = challenge.unwrap();
        assert!(
            challenge.starts_with("DPoP algs=\"")
                && challenge.ends_with(
                    "error=\"use_dpop_nonce\", error_description=\"Resource server requires nonce in DPoP proof\""
                ),
            "{challenge}"
        );
        assert_eq!(handed.as_deref(), Some(nonce.as_str()));
    }
    let (status, _, _, body) = get(resource_proof(Some(&nonce))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["sub"],
        "7f2a1c3e-5b4d-4e6f-8a9b-0c1d2e3f4a5b"
    );
}
