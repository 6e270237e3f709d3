//! DPoP (RFC 9449) at the resource server: DPOP-ATK-01 … every forged or misused proof and
//! every misuse of a DPoP-bound token is refused; the honest request passes once.

use crate::http_app::app;
use crate::support::*;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair as _};
use axum::body::Body;
use axum::http::{Request, header};
use serde_json::{Value, json};
use std::sync::{Arc, Barrier};
use token_guard::{
    DpopConfig, DpopError, DpopVerifier, Guard, InvalidToken, Presented, Rejection, Validator, thumbprint,
};
use tower::ServiceExt as _;

const ORIGIN: &str = "http://rs.example";
const PATH: &str = "/private";

/// A client's DPoP key (P-256).
struct Client {
    key: EcdsaKeyPair,
    jwk: Value,
}

impl Client {
    fn new() -> Client {
        let key = EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
        let point = key.public_key().as_ref().to_vec();
        let jwk = json!({"kty": "EC", "crv": "P-256", "x": b64(&point[1..33]), "y": b64(&point[33..65])});
        Client { key, jwk }
    }

    fn jkt(&self) -> String {
        thumbprint(self.jwk.as_object().unwrap()).unwrap()
    }

    /// A proof with `header` and `claims` as given, signed with this key.
    fn sign(&self, header: &Value, claims: &Value) -> String {
        forge(header, claims, &Sig::Ec(&self.key))
    }

    fn header(&self) -> Value {
        json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk})
    }

    fn claims(&self, method: &str, url: &str, token: &str, jti: &str) -> Value {
        json!({"htm": method, "htu": url, "iat": NOW, "jti": jti, "ath": ath(token)})
    }

    /// The honest proof for `GET {ORIGIN}{PATH}` with `token`.
    fn proof(&self, token: &str, jti: &str) -> String {
        self.sign(
            &self.header(),
            &self.claims("GET", &format!("{ORIGIN}{PATH}"), token, jti),
        )
    }
}

fn ath(token: &str) -> String {
    b64(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes()).as_ref())
}

struct Setup {
    idp: mock_idp::MockIdp,
    clocks: Clocks,
    guard: Arc<Guard>,
    client: Client,
    /// An access token bound to `client`'s key.
    token: String,
}

async fn setup() -> Setup {
    let (idp, clocks) = idp().await;
    let guard = dpop_guard(validator(&idp, &clocks), &clocks);
    let client = Client::new();
    let token = mock_signed(&header(&idp), &with(claims(&idp), "cnf", json!({"jkt": client.jkt()})));
    Setup {
        idp,
        clocks,
        guard,
        client,
        token,
    }
}

fn dpop_guard(validator: Validator, clocks: &Clocks) -> Arc<Guard> {
    let verifier = DpopVerifier::with_clock(DpopConfig::default(), clocks.guard.clone()).unwrap();
    Arc::new(
        Guard::builder()
            .validator(validator)
            .dpop(verifier, ORIGIN)
            .build()
            .unwrap(),
    )
}

async fn present(
    guard: &Guard,
    method: &str,
    path: &str,
    authorization: &str,
    proofs: &[&str],
) -> Result<token_guard::Principal, Rejection> {
    let authorization = [authorization.as_bytes()];
    let proofs: Vec<&[u8]> = proofs.iter().map(|p| p.as_bytes()).collect();
    guard
        .authenticate_request(&Presented {
            authorization: &authorization,
            dpop: &proofs,
            method,
            path,
            query: None,
        })
        .await
}

async fn dpop_get(s: &Setup, proof: &str) -> Result<token_guard::Principal, Rejection> {
    present(&s.guard, "GET", PATH, &format!("DPoP {}", s.token), &[proof]).await
}

fn proof_error(result: Result<token_guard::Principal, Rejection>) -> DpopError {
    match result {
        Err(Rejection::InvalidDpopProof(reason)) => reason,
        other => panic!("expected invalid_dpop_proof, got {other:?}"),
    }
}

fn token_error(result: Result<token_guard::Principal, Rejection>) -> InvalidToken {
    match result {
        Err(Rejection::InvalidToken(reason)) => reason,
        other => panic!("expected invalid_token, got {other:?}"),
    }
}

#[tokio::test]
async fn dpop_00_the_honest_request_passes() {
    let s = setup().await;
    let principal = dpop_get(&s, &s.client.proof(&s.token, "j-0")).await.unwrap();
    assert_eq!(principal.claims["cnf"]["jkt"], s.client.jkt());
}

#[tokio::test]
async fn dpop_atk_01_a_proof_for_another_url_or_method_is_refused() {
    let s = setup().await;
    let c = &s.client;
    let cases = [
        ("POST", format!("{ORIGIN}{PATH}")),
        ("get", format!("{ORIGIN}{PATH}")),
        ("GET", format!("{ORIGIN}/other")),
        ("GET", format!("https://rs.example{PATH}")),
        ("GET", format!("http://evil.example{PATH}")),
        ("GET", format!("{ORIGIN}{PATH}/")),
        ("GET", PATH.to_owned()),
    ];
    for (index, (method, url)) in cases.iter().enumerate() {
        let proof = c.sign(&c.header(), &c.claims(method, url, &s.token, &format!("j-{index}")));
        let reason = proof_error(dpop_get(&s, &proof).await);
        assert!(
            matches!(reason, DpopError::Method | DpopError::Url),
            "{method} {url}: {reason:?}"
        );
    }
    // Query and fragment are not part of htu's comparison (RFC 9449 §4.3 check 9).
    let proof = c.sign(
        &c.header(),
        &c.claims("GET", &format!("{ORIGIN}{PATH}?a=1#f"), &s.token, "j-ok"),
    );
    dpop_get(&s, &proof).await.unwrap();
}

#[tokio::test]
async fn dpop_atk_02_a_stale_or_future_iat_is_refused() {
    let s = setup().await;
    let c = &s.client;
    let url = format!("{ORIGIN}{PATH}");
    for (index, iat) in [NOW - 61, NOW + 6, 0].into_iter().enumerate() {
        let proof = c.sign(
            &c.header(),
            &with(
                c.claims("GET", &url, &s.token, &format!("j-{index}")),
                "iat",
                json!(iat),
            ),
        );
        assert_eq!(
            proof_error(dpop_get(&s, &proof).await),
            DpopError::IssuedAt,
            "iat {iat}"
        );
    }
    for iat in [json!("1700000000"), json!(-1), json!(1.5e300)] {
        let proof = c.sign(
            &c.header(),
            &with(c.claims("GET", &url, &s.token, "j-x"), "iat", iat.clone()),
        );
        assert_eq!(
            proof_error(dpop_get(&s, &proof).await),
            DpopError::IssuedAt,
            "iat {iat}"
        );
    }
    let proof = c.sign(&c.header(), &without(c.claims("GET", &url, &s.token, "j-y"), "iat"));
    assert_eq!(proof_error(dpop_get(&s, &proof).await), DpopError::IssuedAt);
    // Within the window both ways: accepted.
    for (index, iat) in [NOW - 60, NOW + 5].into_iter().enumerate() {
        let proof = c.sign(
            &c.header(),
            &with(
                c.claims("GET", &url, &s.token, &format!("ok-{index}")),
                "iat",
                json!(iat),
            ),
        );
        dpop_get(&s, &proof).await.unwrap();
    }
    // The same proof, later: stale.
    let proof = c.proof(&s.token, "later");
    s.clocks.advance(61);
    assert_eq!(proof_error(dpop_get(&s, &proof).await), DpopError::IssuedAt);
}

#[tokio::test]
async fn dpop_atk_03_a_replayed_proof_is_refused() {
    let s = setup().await;
    let proof = s.client.proof(&s.token, "once");
    dpop_get(&s, &proof).await.unwrap();
    assert_eq!(proof_error(dpop_get(&s, &proof).await), DpopError::Replayed);
    // Another proof reusing the jti (fresh signature): still a replay.
    let again = s.client.proof(&s.token, "once");
    assert_eq!(proof_error(dpop_get(&s, &again).await), DpopError::Replayed);
    let jti = s.client.sign(
        &s.client.header(),
        &with(
            s.client.claims("GET", &format!("{ORIGIN}{PATH}"), &s.token, "x"),
            "jti",
            json!(7),
        ),
    );
    assert_eq!(proof_error(dpop_get(&s, &jti).await), DpopError::Jti);
    let long = s.client.proof(&s.token, &"j".repeat(257));
    assert_eq!(proof_error(dpop_get(&s, &long).await), DpopError::Jti);
}

#[test]
fn dpop_atk_04_the_same_proof_sent_concurrently_is_accepted_at_most_once() {
    const ROUNDS: usize = 40;
    const THREADS: usize = 8;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let s = Arc::new(runtime.block_on(setup()));
    for round in 0..ROUNDS {
        let proof = Arc::new(s.client.proof(&s.token, &format!("race-{round}")));
        let barrier = Arc::new(Barrier::new(THREADS));
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                let (s, proof, barrier) = (s.clone(), proof.clone(), barrier.clone());
                let handle = runtime.handle().clone();
                std::thread::spawn(move || {
                    barrier.wait();
                    handle.block_on(dpop_get(&s, &proof))
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let accepted = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(accepted, 1, "round {round}: {accepted} accepted");
        for result in results.into_iter().filter(Result::is_err) {
            assert_eq!(proof_error(result), DpopError::Replayed);
        }
    }
}

#[tokio::test]
async fn dpop_atk_05_a_proof_by_another_key_is_refused() {
    let s = setup().await;
    let thief = Client::new();
    let proof = thief.proof(&s.token, "thief");
    assert_eq!(token_error(dpop_get(&s, &proof).await), InvalidToken::DpopKeyMismatch);
    // The thief's jwk in the header, signed by the owner: the signature fails.
    let mixed = s.client.sign(
        &thief.header(),
        &s.client.claims("GET", &format!("{ORIGIN}{PATH}"), &s.token, "mixed"),
    );
    assert_eq!(proof_error(dpop_get(&s, &mixed).await), DpopError::Signature);
}

#[tokio::test]
async fn dpop_atk_06_a_missing_or_wrong_ath_is_refused() {
    let s = setup().await;
    let c = &s.client;
    let url = format!("{ORIGIN}{PATH}");
    let missing = c.sign(&c.header(), &without(c.claims("GET", &url, &s.token, "a"), "ath"));
    assert_eq!(proof_error(dpop_get(&s, &missing).await), DpopError::AccessTokenHash);
    let other_token = mock_signed(
        &header(&s.idp),
        &with(
            with(claims(&s.idp), "jti", json!("jti-2")),
            "cnf",
            json!({"jkt": c.jkt()}),
        ),
    );
    let wrong = c.sign(&c.header(), &c.claims("GET", &url, &other_token, "b"));
    assert_eq!(proof_error(dpop_get(&s, &wrong).await), DpopError::AccessTokenHash);
    // ath of the token's text, not a hex digest or padded base64.
    let padded = c.sign(
        &c.header(),
        &with(
            c.claims("GET", &url, &s.token, "c"),
            "ath",
            json!(format!("{}=", ath(&s.token))),
        ),
    );
    assert_eq!(proof_error(dpop_get(&s, &padded).await), DpopError::AccessTokenHash);
}

#[tokio::test]
async fn dpop_atk_07_a_bound_token_as_bearer_is_refused() {
    let s = setup().await;
    let bearer = format!("Bearer {}", s.token);
    let reason = token_error(present(&s.guard, "GET", PATH, &bearer, &[]).await);
    assert_eq!(reason, InvalidToken::DpopBoundAsBearer);
    // Even with a valid proof alongside, and even on a guard without DPoP support.
    let proof = s.client.proof(&s.token, "d");
    assert_eq!(
        token_error(present(&s.guard, "GET", PATH, &bearer, &[&proof]).await),
        InvalidToken::DpopBoundAsBearer
    );
    let plain = guard(validator(&s.idp, &s.clocks));
    assert_eq!(
        plain.authenticate(&s.token).await.unwrap_err(),
        InvalidToken::DpopBoundAsBearer
    );
    // A malformed confirmation is refused too.
    let odd = mock_signed(&header(&s.idp), &with(claims(&s.idp), "cnf", json!({"jkt": 1})));
    assert_eq!(
        plain.authenticate(&odd).await.unwrap_err(),
        InvalidToken::ClaimType("cnf")
    );
    // An unbound token with the DPoP scheme: refused too.
    let unbound = mock_signed(&header(&s.idp), &claims(&s.idp));
    let proof = s.client.proof(&unbound, "e");
    let reason = token_error(present(&s.guard, "GET", PATH, &format!("DPoP {unbound}"), &[&proof]).await);
    assert_eq!(reason, InvalidToken::NotDpopBound);
}

#[tokio::test]
async fn dpop_atk_08_alg_none_and_hmac_proofs_are_refused() {
    let s = setup().await;
    let c = &s.client;
    let claims = c.claims("GET", &format!("{ORIGIN}{PATH}"), &s.token, "n");
    for alg in ["none", "HS256", "es256", ""] {
        let header = with(c.header(), "alg", json!(alg));
        for sig in [Sig::Hmac(b"secret"), Sig::Raw(b"x".to_vec()), Sig::Ec(&c.key)] {
            let proof = forge(&header, &claims, &sig);
            assert_eq!(proof_error(dpop_get(&s, &proof).await), DpopError::Algorithm, "{alg}");
        }
    }
    let unsigned = format!(
        "{}.{}.",
        b64_json(&with(c.header(), "alg", json!("none"))),
        b64_json(&claims)
    );
    assert_eq!(proof_error(dpop_get(&s, &unsigned).await), DpopError::Malformed);
    // A symmetric `oct` key in the header: refused as a key.
    let oct = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": {"kty": "oct", "k": b64(b"secret")}});
    assert_eq!(
        proof_error(dpop_get(&s, &forge(&oct, &claims, &Sig::Ec(&c.key))).await),
        DpopError::Key
    );
    // ES256 header with an RSA jwk: the key does not fit the algorithm.
    let rsa = with(c.header(), "jwk", attacker_jwk("k"));
    assert_eq!(
        proof_error(dpop_get(&s, &forge(&rsa, &claims, &Sig::Ec(&c.key))).await),
        DpopError::Key
    );
}

#[tokio::test]
async fn dpop_atk_09_a_private_key_in_jwk_is_refused() {
    let s = setup().await;
    let c = &s.client;
    let mut jwk = c.jwk.clone();
    jwk["d"] = json!(b64(&[7u8; 32]));
    let header = with(c.header(), "jwk", jwk);
    let proof = c.sign(&header, &c.claims("GET", &format!("{ORIGIN}{PATH}"), &s.token, "p"));
    assert_eq!(proof_error(dpop_get(&s, &proof).await), DpopError::Key);
    let no_jwk = c.sign(
        &without(c.header(), "jwk"),
        &c.claims("GET", &format!("{ORIGIN}{PATH}"), &s.token, "q"),
    );
    assert_eq!(proof_error(dpop_get(&s, &no_jwk).await), DpopError::Key);
}

#[tokio::test]
async fn dpop_atk_10_wrong_typ_missing_proof_and_several_proofs_are_refused() {
    let s = setup().await;
    let c = &s.client;
    let claims = c.claims("GET", &format!("{ORIGIN}{PATH}"), &s.token, "t");
    for typ in [
        json!("JWT"),
        json!("at+jwt"),
        json!("DPOP+JWT"),
        json!("application/dpop+jwt"),
        json!(1),
    ] {
        let proof = c.sign(&with(c.header(), "typ", typ.clone()), &claims);
        assert_eq!(proof_error(dpop_get(&s, &proof).await), DpopError::Typ, "{typ}");
    }
    let auth = format!("DPoP {}", s.token);
    assert_eq!(
        proof_error(present(&s.guard, "GET", PATH, &auth, &[]).await),
        DpopError::Missing
    );
    let (a, b) = (c.proof(&s.token, "a"), c.proof(&s.token, "b"));
    assert_eq!(
        proof_error(present(&s.guard, "GET", PATH, &auth, &[&a, &b]).await),
        DpopError::Multiple
    );
    for junk in ["", "a.b", "a.b.c", &"x".repeat(5000)] {
        assert_eq!(
            proof_error(dpop_get(&s, junk).await),
            DpopError::Malformed,
            "{junk:.20}"
        );
    }
    // A tampered payload: signature fails.
    let proof = c.proof(&s.token, "u");
    let mut parts: Vec<&str> = proof.split('.').collect();
    let other = b64_json(&c.claims("GET", &format!("{ORIGIN}{PATH}"), &s.token, "v"));
    parts[1] = &other;
    assert_eq!(proof_error(dpop_get(&s, &parts.join(".")).await), DpopError::Signature);
}

#[test]
fn dpop_the_replay_cache_is_bounded_and_fails_closed() {
    let clock = token_guard::ManualClock::at(NOW);
    let mut config = DpopConfig::default();
    config.replay_capacity = 3;
    let verifier = DpopVerifier::with_clock(config, clock.clone()).unwrap();
    let client = Client::new();
    let token = "t.o.k";
    let url = format!("{ORIGIN}{PATH}");
    let context = token_guard::ProofContext {
        method: "GET",
        url: &url,
        access_token: token,
    };
    for i in 0..3 {
        verifier
            .verify(&client.proof(token, &format!("c-{i}")), &context)
            .unwrap();
    }
    let full = verifier.verify(&client.proof(token, "c-3"), &context);
    assert_eq!(full.unwrap_err(), DpopError::ReplayCacheFull);
    // Once the remembered proofs are past the window, room is made again.
    clock.advance(62);
    let fresh = client.sign(
        &client.header(),
        &with(client.claims("GET", &url, token, "c-4"), "iat", json!(NOW + 62)),
    );
    verifier.verify(&fresh, &context).unwrap();
}

#[tokio::test]
async fn dpop_http_challenges_name_the_dpop_scheme_and_algs() {
    let s = setup().await;
    let app = app(s.guard.clone());
    let call = |auth: Option<String>, proof: Option<String>| {
        let app = app.clone();
        async move {
            let mut request = Request::get(PATH);
            if let Some(auth) = auth {
                request = request.header(header::AUTHORIZATION, auth);
            }
            if let Some(proof) = proof {
                request = request.header("DPoP", proof);
            }
            let response = app.oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
            let challenges: Vec<String> = response
                .headers()
                .get_all(header::WWW_AUTHENTICATE)
                .iter()
                .map(|v| v.to_str().unwrap().to_owned())
                .collect();
            (response.status().as_u16(), challenges, body_text(response).await)
        }
    };
    let (status, _, body) = call(Some(format!("DPoP {}", s.token)), Some(s.client.proof(&s.token, "h1"))).await;
    assert_eq!((status, body.as_str()), (200, "7f2a1c3e-5b4d-4e6f-8a9b-0c1d2e3f4a5b"));
    let (status, challenges, body) =
        call(Some(format!("DPoP {}", s.token)), Some(s.client.proof(&s.token, "h1"))).await;
    assert_eq!(status, 401);
    assert_eq!(
        challenges,
        [
            r#"DPoP algs="ES256 ES384 RS256 PS256 EdDSA", error="invalid_dpop_proof", error_description="DPoP proof replayed""#
        ]
    );
    assert!(body.contains("invalid_dpop_proof"), "{body}");
    let (status, challenges, _) = call(Some(format!("Bearer {}", s.token)), None).await;
    assert_eq!(status, 401);
    assert!(
        challenges[0].starts_with(r#"DPoP algs="#) && challenges[0].contains(r#"error="invalid_token""#),
        "{challenges:?}"
    );
    let (status, challenges, _) = call(None, None).await;
    assert_eq!(status, 401);
    assert_eq!(
        challenges,
        [r#"Bearer realm="api""#, r#"DPoP algs="ES256 ES384 RS256 PS256 EdDSA""#]
    );
}

/// A token the mock's Keycloak flavor bound to a proof (`typ: DPoP`, `cnf.jkt`, as Keycloak
/// 26.7.3 writes it) passes a Keycloak validator under the DPoP scheme, and is refused as a
/// bearer token. Before the fix, its `typ` made it "not an access token".
#[tokio::test]
async fn dpop_a_keycloak_bound_token_passes_under_the_dpop_scheme_only() {
    let clocks = Clocks::new();
    let idp = mock_idp::MockIdp::builder()
        .provider(mock_idp::Provider::Keycloak)
        .clock(clocks.mock.clone())
        .start()
        .await;
    let client = Client::new();
    let token_url = idp.endpoint(mock_idp::Endpoint::Token);
    let proof = client.sign(
        &client.header(),
        &json!({"htm": "POST", "htu": token_url, "iat": NOW, "jti": "token-request"}),
    );
    let answer: Value = reqwest::Client::new()
        .post(&token_url)
        .basic_auth("web-app", Some("web-app-secret"))
        .header("DPoP", proof)
        .form(&[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "alice-password"),
            ("scope", "openid"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["token_type"], "DPoP", "{answer}");
    let token = answer["access_token"].as_str().unwrap();
    let validator = builder(&idp, &clocks)
        .provider(mock_idp::Provider::Keycloak)
        .build()
        .unwrap();
    let guard = dpop_guard(validator, &clocks);
    let principal = present(
        &guard,
        "GET",
        PATH,
        &format!("DPoP {token}"),
        &[&client.proof(token, "rs-1")],
    )
    .await
    .unwrap();
    assert_eq!(principal.claims["preferred_username"], "alice");
    let refused = present(&guard, "GET", PATH, &format!("Bearer {token}"), &[]).await;
    assert!(refused.is_err(), "{refused:?}");
}
