//! ATK-01 … ATK-37 (conformance.md §2.I): every attack is forged here and must be refused.

use crate::http_app::{app, call};
use crate::support::*;
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256, RSA_PKCS1_SHA512, RSA_PSS_SHA256};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use token_guard::{Alg, InvalidToken, KeySet, Validator};

async fn setup() -> (mock_idp::MockIdp, Clocks, Validator) {
    let (idp, clocks) = idp().await;
    let validator = validator(&idp, &clocks);
    // Warm the key cache so later lookups are cache hits.
    validator.validate(&alice(&idp)).await.unwrap();
    (idp, clocks, validator)
}

async fn all_refused(validator: &Validator, tokens: &[String]) {
    for token in tokens {
        let started = Instant::now();
        assert!(
            validator.validate(token).await.is_err(),
            "accepted: {}",
            &token[..token.len().min(120)]
        );
        assert!(started.elapsed() < Duration::from_secs(1), "slow refusal");
    }
}

fn with_sig(token: &str, signature: &str) -> String {
    let (input, _) = token.rsplit_once('.').unwrap();
    format!("{input}.{signature}")
}

fn static_validator(idp: &mock_idp::MockIdp, clocks: &Clocks, keys: Value, algs: &[Alg]) -> Validator {
    Validator::builder(idp.issuer(), "api", algs.iter().copied())
        .static_jwks(keys.to_string())
        .clock(clocks.guard.clone())
        .build()
        .unwrap()
}

#[tokio::test]
async fn atk_01_alg_none_in_every_spelling_is_refused() {
    let (idp, _c, v) = setup().await;
    let mut tokens = Vec::new();
    for alg in ["none", "None", "NONE", "nOnE", ""] {
        let h = json!({"alg": alg, "typ": "at+jwt", "kid": rsa_kid(&idp)});
        let input = format!("{}.{}", b64_json(&h), b64_json(&claims(&idp)));
        tokens.push(format!("{input}."));
        tokens.push(input.clone());
        tokens.push(format!("{input}.{}", b64(b"sig")));
    }
    all_refused(&v, &tokens).await;
}

#[tokio::test]
async fn atk_02_empty_or_truncated_signatures_are_refused() {
    let (idp, _c, v) = setup().await;
    let token = alice(&idp);
    let (input, sig) = token.rsplit_once('.').unwrap();
    all_refused(
        &v,
        &[
            format!("{input}."),
            input.to_owned(),
            format!("{input}.{}", &sig[..sig.len() / 2]),
        ],
    )
    .await;
}

#[tokio::test]
async fn atk_03_rs256_to_hs256_key_confusion_is_refused_whatever_the_hmac_key() {
    let (idp, clocks, v) = setup().await;
    let jwk = mock_rsa_jwk(&idp).await;
    let public_der = mock_rsa().public_key().as_ref().to_vec();
    let pem = |label: &str, der: &[u8]| {
        use base64::Engine as _;
        let body = base64::engine::general_purpose::STANDARD.encode(der);
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!("-----BEGIN {label}-----\n{}\n-----END {label}-----", lines.join("\n"))
    };
    let candidates: Vec<Vec<u8>> = vec![
        pem("PUBLIC KEY", &public_der).into_bytes(),
        format!("{}\n", pem("PUBLIC KEY", &public_der)).into_bytes(),
        pem("RSA PUBLIC KEY", &public_der).into_bytes(),
        public_der.clone(),
        jwk.to_string().into_bytes(),
        jwk["n"].as_str().unwrap().as_bytes().to_vec(),
        rsa_components(&public_der).0,
    ];
    let tokens: Vec<String> = candidates
        .iter()
        .map(|key| {
            forge(
                &json!({"alg": "HS256", "typ": "at+jwt", "kid": rsa_kid(&idp)}),
                &claims(&idp),
                &Sig::Hmac(key),
            )
        })
        .collect();
    all_refused(&v, &tokens).await;
    // (b) "[RS256, HS256]" cannot even be configured: HMAC is not an algorithm token-guard has.
    assert_eq!(Alg::from_name("HS256"), None);
    let wide = Validator::builder(idp.issuer(), "api", Alg::ALL)
        .clock(clocks.guard.clone())
        .build()
        .unwrap();
    all_refused(&wide, &tokens).await;
}

#[tokio::test]
async fn atk_04_es256_key_confusion_is_refused() {
    let (idp, clocks, _) = setup().await;
    let v = Validator::builder(idp.issuer(), "api", [Alg::RS256, Alg::ES256])
        .clock(clocks.guard.clone())
        .build()
        .unwrap();
    let point = mock_ec().public_key().as_ref().to_vec();
    let tokens: Vec<String> = [point.clone(), point[1..].to_vec()]
        .iter()
        .map(|key| {
            forge(
                &json!({"alg": "HS256", "typ": "at+jwt"}),
                &claims(&idp),
                &Sig::Hmac(key),
            )
        })
        .collect();
    all_refused(&v, &tokens).await;
}

#[tokio::test]
async fn atk_05_an_embedded_jwk_header_is_never_used() {
    let (idp, _c, v) = setup().await;
    let kid = rsa_kid(&idp);
    let h = json!({"alg": "RS256", "typ": "at+jwt", "kid": kid, "jwk": attacker_jwk(&kid)});
    let token = forge(&h, &claims(&idp), &Sig::Rsa(attacker_rsa(), &RSA_PKCS1_SHA256));
    assert_eq!(v.validate(&token).await.unwrap_err(), InvalidToken::Signature);
}

#[tokio::test]
async fn atk_06_jku_and_x5u_are_never_fetched() {
    let (idp, _c, v) = setup().await;
    let trap = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    trap.set_nonblocking(true).unwrap();
    let trap_url = format!("http://{}/jwks", trap.local_addr().unwrap());
    let hits_before = idp.hits(mock_idp::Endpoint::Jwks);
    for url in [
        trap_url.as_str(),
        "http://169.254.169.254/latest",
        "http://localhost:1/",
        "file:///etc/passwd",
        "gopher://x/",
    ] {
        for (member, kid) in [
            ("jku", "attacker"),
            ("x5u", "attacker"),
            ("jku", rsa_kid(&idp).as_str()),
        ] {
            let h = json!({"alg": "RS256", "typ": "at+jwt", "kid": kid, member: url});
            let token = forge(&h, &claims(&idp), &Sig::Rsa(attacker_rsa(), &RSA_PKCS1_SHA256));
            assert!(v.validate(&token).await.is_err());
        }
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(trap.accept().is_err(), "the attacker's listener saw a connection");
    // Only the issuer's own JWKS may be consulted (at most one cooldown-bound refetch).
    assert!(idp.hits(mock_idp::Endpoint::Jwks) - hits_before <= 1);
}

#[tokio::test]
async fn atk_07_an_x5c_header_certificate_is_ignored() {
    let (idp, _c, v) = setup().await;
    let h = json!({"alg": "RS256", "typ": "at+jwt", "kid": rsa_kid(&idp), "x5c": ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]});
    let token = forge(&h, &claims(&idp), &Sig::Rsa(attacker_rsa(), &RSA_PKCS1_SHA256));
    assert_eq!(v.validate(&token).await.unwrap_err(), InvalidToken::Signature);
}

#[tokio::test]
async fn atk_08_kid_injection_is_an_in_memory_miss_fast_and_without_a_refetch_storm() {
    let (idp, _c, v) = setup().await;
    let hits = idp.hits(mock_idp::Endpoint::Jwks);
    let long = "k".repeat(64 * 1024);
    let kids = [
        json!("../../../../../../dev/null"),
        json!("/dev/null"),
        json!("/invalid_path"),
        json!("x' UNION SELECT '1';--"),
        json!("|sleep 10"),
        json!(""),
        json!(long),
        json!("a\u{0}b\r\nc"),
        json!(7),
        json!({"k": 1}),
        json!(["k"]),
    ];
    let mut tokens = Vec::new();
    for kid in kids {
        for alg in ["HS256", "RS256"] {
            let h = json!({"alg": alg, "typ": "at+jwt", "kid": kid});
            let key: &[u8] = if alg == "HS256" { b"" } else { b"1" };
            tokens.push(forge(&h, &claims(&idp), &Sig::Hmac(key)));
        }
    }
    let started = Instant::now();
    all_refused(&v, &tokens).await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        idp.hits(mock_idp::Endpoint::Jwks) - hits <= 1,
        "at most one refetch per cooldown"
    );
}

#[tokio::test]
async fn atk_09_hmac_keys_cannot_be_configured_and_hs_tokens_are_refused() {
    let (idp, clocks, v) = setup().await;
    // No HMAC algorithm exists in the allowlist type; oct JWKs are skipped with a reason.
    let set = KeySet::from_jwks(
        json!({"keys": [{"kty": "oct", "kid": "h", "k": ""}, {"kty": "oct", "kid": "s", "k": "c2VjcmV0"}]})
            .to_string()
            .as_bytes(),
        &Alg::ALL,
    )
    .unwrap();
    assert!(set.is_empty());
    assert_eq!(set.skipped().len(), 2);
    let weak = static_validator(
        &idp,
        &clocks,
        json!({"keys": [{"kty": "oct", "kid": "h", "k": ""}]}),
        &Alg::ALL,
    );
    let mut tokens = Vec::new();
    for secret in [
        &b""[..],
        b"secret",
        b"password",
        b"your-256-bit-secret",
        b"0123456789abcdef",
    ] {
        tokens.push(forge(
            &json!({"alg": "HS256", "typ": "at+jwt", "kid": "h"}),
            &claims(&idp),
            &Sig::Hmac(secret),
        ));
    }
    all_refused(&v, &tokens).await;
    all_refused(&weak, &tokens).await;
}

#[tokio::test]
async fn atk_10_psychic_ecdsa_signatures_are_refused() {
    let (idp, clocks, _) = setup().await;
    let v = Validator::builder(idp.issuer(), "api", [Alg::ES256])
        .clock(clocks.guard.clone())
        .build()
        .unwrap();
    let ec = {
        let jwks: Value = reqwest::get(idp.endpoint(mock_idp::Endpoint::Jwks))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kty"] == "EC")
            .unwrap()["kid"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let good = forge(
        &json!({"alg": "ES256", "typ": "at+jwt", "kid": ec}),
        &claims(&idp),
        &Sig::Ec(mock_ec()),
    );
    assert!(v.validate(&good).await.is_ok());
    let n = hex("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551");
    let mut n_minus_1 = n.clone();
    *n_minus_1.last_mut().unwrap() -= 1;
    let one = {
        let mut b = vec![0u8; 32];
        b[31] = 1;
        b
    };
    let zero = vec![0u8; 32];
    let pairs = [
        (&zero, &zero),
        (&n, &n),
        (&n_minus_1, &n_minus_1),
        (&one, &zero),
        (&zero, &one),
        (&n, &zero),
    ];
    let mut tokens: Vec<String> = pairs
        .iter()
        .map(|(r, s)| with_sig(&good, &b64(&[r.as_slice(), s.as_slice()].concat())))
        .collect();
    tokens.push(with_sig(&good, "MAYCAQACAQA"));
    all_refused(&v, &tokens).await;
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[tokio::test]
async fn atk_11_der_encoded_ecdsa_signatures_are_refused() {
    let (idp, clocks, _) = setup().await;
    let v = Validator::builder(idp.issuer(), "api", [Alg::ES256])
        .clock(clocks.guard.clone())
        .build()
        .unwrap();
    let kid = {
        let jwks: Value = reqwest::get(idp.endpoint(mock_idp::Endpoint::Jwks))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kty"] == "EC")
            .unwrap()["kid"]
            .clone()
    };
    let h = json!({"alg": "ES256", "typ": "at+jwt", "kid": kid});
    let input = format!("{}.{}", b64_json(&h), b64_json(&claims(&idp)));
    let der_key =
        aws_lc_rs::signature::EcdsaKeyPair::from_pkcs8(&aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1_SIGNING, &{
            use base64::Engine as _;
            let pem = include_str!("../../../../fixtures/keys/demo/ec-p256.pem");
            base64::engine::general_purpose::STANDARD
                .decode(pem.lines().filter(|l| !l.starts_with("-----")).collect::<String>())
                .unwrap()
        })
        .unwrap();
    let der = der_key
        .sign(&aws_lc_rs::rand::SystemRandom::new(), input.as_bytes())
        .unwrap();
    assert!((70..=72).contains(&der.as_ref().len()));
    assert_eq!(
        v.validate(&format!("{input}.{}", b64(der.as_ref()))).await.unwrap_err(),
        InvalidToken::Signature
    );
}

#[tokio::test]
async fn atk_12_rsa_signature_manipulations_are_refused() {
    let (idp, clocks, v) = setup().await;
    let token = mock_signed(&header(&idp), &claims(&idp));
    let sig = {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.rsplit('.').next().unwrap())
            .unwrap()
    };
    let n = rsa_components(mock_rsa().public_key().as_ref()).0;
    let mut n_minus_1 = n.clone();
    *n_minus_1.last_mut().unwrap() -= 1;
    let variants = [
        [vec![0], sig.clone()].concat(),
        [sig.clone(), vec![0]].concat(),
        vec![0; 256],
        {
            let mut one = vec![0; 256];
            one[255] = 1;
            one
        },
        n,
        n_minus_1,
    ];
    let mut tokens: Vec<String> = variants.iter().map(|s| with_sig(&token, &b64(s))).collect();
    tokens.push(forge(
        &header(&idp),
        &claims(&idp),
        &Sig::Rsa(mock_rsa(), &RSA_PSS_SHA256),
    ));
    tokens.push(forge(
        &header(&idp),
        &claims(&idp),
        &Sig::Rsa(mock_rsa(), &RSA_PKCS1_SHA512),
    ));
    all_refused(&v, &tokens).await;
    let ps = Validator::builder(idp.issuer(), "api", [Alg::PS256])
        .clock(clocks.guard.clone())
        .build()
        .unwrap();
    assert!(
        ps.validate(&token).await.is_err(),
        "RS256 signature under a PS256-only policy"
    );
}

#[tokio::test]
async fn atk_13_exp_must_be_a_sane_number() {
    let (idp, _c, v) = setup().await;
    for bad in [
        json!("9999999999"),
        json!(1e20),
        json!(-1),
        Value::Null,
        json!(true),
        json!([]),
    ] {
        let token = mock_signed(&header(&idp), &with(claims(&idp), "exp", bad.clone()));
        assert!(v.validate(&token).await.is_err(), "{bad}");
    }
    let token = mock_signed(&header(&idp), &without(claims(&idp), "exp"));
    assert!(v.validate(&token).await.is_err());
    let float = mock_signed(
        &header(&idp),
        &with(claims(&idp), "exp", json!((NOW + 60) as f64 + 0.6)),
    );
    assert_eq!(
        v.validate(&float).await.unwrap().expires_at,
        NOW + 61,
        "a float is accepted, rounded"
    );
}

#[tokio::test]
async fn atk_14_nbf_in_the_future_or_as_a_string_is_refused() {
    let (idp, _c, v) = setup().await;
    for bad in [json!(NOW + 3600), json!("99999999999")] {
        let token = mock_signed(&header(&idp), &with(claims(&idp), "nbf", bad.clone()));
        assert!(v.validate(&token).await.is_err(), "{bad}");
    }
}

#[tokio::test]
async fn atk_15_iat_in_the_future_or_as_a_string_is_refused() {
    let (idp, _c, v) = setup().await;
    for bad in [json!(NOW + 365 * 86_400), json!(NOW.to_string())] {
        let token = mock_signed(&header(&idp), &with(claims(&idp), "iat", bad.clone()));
        assert!(v.validate(&token).await.is_err(), "{bad}");
    }
}

#[tokio::test]
async fn atk_16_aud_variants_are_refused() {
    // Same matrix as RS-07 (kept there); here the CVE-2020-26160 shape: a mixed-type array.
    let (idp, _c, v) = setup().await;
    for bad in [
        json!(["api", 1]),
        json!([]),
        json!(7),
        json!({"api": true}),
        json!("Api"),
    ] {
        let token = mock_signed(&header(&idp), &with(claims(&idp), "aud", bad.clone()));
        assert_eq!(v.validate(&token).await.unwrap_err(), InvalidToken::Audience, "{bad}");
    }
}

#[tokio::test]
async fn atk_17_iss_arrays_and_variants_are_refused() {
    let (idp, _c, v) = setup().await;
    for bad in [
        json!(["evil", idp.issuer()]),
        json!([idp.issuer()]),
        json!(format!("{} ", idp.issuer())),
    ] {
        let token = mock_signed(&header(&idp), &with(claims(&idp), "iss", bad.clone()));
        assert_eq!(v.validate(&token).await.unwrap_err(), InvalidToken::Issuer, "{bad}");
    }
}

#[tokio::test]
async fn atk_18_sub_must_be_a_string() {
    let (idp, _c, v) = setup().await;
    for bad in [json!(42), json!(["alice"]), Value::Null] {
        let token = mock_signed(&header(&idp), &with(claims(&idp), "sub", bad.clone()));
        assert!(v.validate(&token).await.is_err(), "{bad}");
    }
    assert!(
        v.validate(&mock_signed(&header(&idp), &without(claims(&idp), "sub")))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn atk_19_any_crit_is_refused() {
    let (idp, _c, v) = setup().await;
    let kid = rsa_kid(&idp);
    for (crit, extra) in [
        (json!(["x-foo"]), json!({"x-foo": 1})),
        (json!(["exp"]), json!({})),
        (json!([]), json!({})),
        (json!("b64"), json!({})),
        (json!(["absent"]), json!({})),
    ] {
        let mut h = json!({"alg": "RS256", "typ": "at+jwt", "kid": kid, "crit": crit});
        for (k, val) in extra.as_object().unwrap() {
            h[k] = val.clone();
        }
        let token = mock_signed(&h, &claims(&idp));
        assert_eq!(
            v.validate(&token).await.unwrap_err(),
            InvalidToken::UnsupportedHeader,
            "{h}"
        );
    }
}

#[tokio::test]
async fn atk_20_unencoded_payload_b64_false_is_refused() {
    let (idp, _c, v) = setup().await;
    let h = json!({"alg": "RS256", "typ": "at+jwt", "kid": rsa_kid(&idp), "b64": false, "crit": ["b64"]});
    let payload = claims(&idp).to_string();
    let input = format!("{}.{payload}", b64_json(&h));
    let sig = sign(&input, &Sig::Rsa(mock_rsa(), &RSA_PKCS1_SHA256));
    assert!(v.validate(&format!("{input}.{}", b64(&sig))).await.is_err());
    let encoded = mock_signed(&h, &claims(&idp));
    assert_eq!(v.validate(&encoded).await.unwrap_err(), InvalidToken::UnsupportedHeader);
}

#[tokio::test]
async fn atk_21_duplicate_json_members_are_refused() {
    let (idp, _c, v) = setup().await;
    let kid = rsa_kid(&idp);
    let h = header(&idp).to_string();
    let c = claims(&idp).to_string();
    let body = &c[1..c.len() - 1];
    let headers = [
        format!(r#"{{"alg":"none","alg":"RS256","typ":"at+jwt","kid":"{kid}"}}"#),
        format!(r#"{{"alg":"RS256","typ":"at+jwt","kid":"a","kid":"{kid}"}}"#),
    ];
    for header in headers {
        let token = forge_raw(
            header.as_bytes(),
            c.as_bytes(),
            &Sig::Rsa(mock_rsa(), &RSA_PKCS1_SHA256),
        );
        assert_eq!(
            v.validate(&token).await.unwrap_err(),
            InvalidToken::DuplicateMember,
            "{header}"
        );
    }
    for dup in [
        r#""sub":"admin""#,
        r#""exp":9999999999"#,
        r#""aud":"api""#,
        r#""roles":["admin"]"#,
    ] {
        let payload = format!("{{{body},{dup}}}");
        let token = forge_raw(
            h.as_bytes(),
            payload.as_bytes(),
            &Sig::Rsa(mock_rsa(), &RSA_PKCS1_SHA256),
        );
        assert_eq!(
            v.validate(&token).await.unwrap_err(),
            InvalidToken::DuplicateMember,
            "{dup}"
        );
    }
}

#[tokio::test]
async fn atk_22_json_edge_cases_are_refused_without_panic_in_bounded_time() {
    let (idp, _c, v) = setup().await;
    let h = header(&idp).to_string();
    let c = claims(&idp).to_string();
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let payloads: Vec<Vec<u8>> = vec![
        [b"\xef\xbb\xbf".as_slice(), c.as_bytes()].concat(),
        c.encode_utf16().flat_map(|u| u.to_le_bytes()).collect(),
        [c.as_bytes()[..c.len() - 1].to_vec(), b",\"x\":\"\xff\"}".to_vec()].concat(),
        format!("{},\"x\":\"\\ud800\"}}", &c[..c.len() - 1]).into_bytes(),
        format!("{},\"x\":{deep}}}", &c[..c.len() - 1]).into_bytes(),
        format!("{},\"x\":NaN}}", &c[..c.len() - 1]).into_bytes(),
        format!("{},\"x\":Infinity}}", &c[..c.len() - 1]).into_bytes(),
        format!("{} /* c */", c).into_bytes(),
        format!("{},}}", &c[..c.len() - 1]).into_bytes(),
        format!("{},\"x\":1e400}}", &c[..c.len() - 1]).into_bytes(),
    ];
    let tokens: Vec<String> = payloads
        .iter()
        .map(|p| forge_raw(h.as_bytes(), p, &Sig::Rsa(mock_rsa(), &RSA_PKCS1_SHA256)))
        .collect();
    all_refused(&v, &tokens).await;
}

#[tokio::test]
async fn atk_23_header_or_payload_that_is_not_an_object_is_refused() {
    let (idp, _c, v) = setup().await;
    let h = header(&idp).to_string();
    let c = claims(&idp).to_string();
    let mut tokens = Vec::new();
    for not_object in ["[]", "\"x\"", "1", "null"] {
        tokens.push(forge_raw(
            not_object.as_bytes(),
            c.as_bytes(),
            &Sig::Rsa(mock_rsa(), &RSA_PKCS1_SHA256),
        ));
        tokens.push(forge_raw(
            h.as_bytes(),
            not_object.as_bytes(),
            &Sig::Rsa(mock_rsa(), &RSA_PKCS1_SHA256),
        ));
    }
    all_refused(&v, &tokens).await;
}

#[tokio::test]
async fn atk_24_alg_spelling_variants_are_refused() {
    let (idp, _c, v) = setup().await;
    let kid = rsa_kid(&idp);
    let tokens: Vec<String> = [
        json!("hs256"),
        json!("rs256"),
        json!("RS256 "),
        json!("RS256\u{0}"),
        json!("ES512"),
        json!("Ed25519"),
        json!(256),
        Value::Null,
    ]
    .into_iter()
    .map(|alg| mock_signed(&json!({"alg": alg, "typ": "at+jwt", "kid": kid}), &claims(&idp)))
    .chain([mock_signed(&json!({"typ": "at+jwt", "kid": kid}), &claims(&idp))])
    .collect();
    all_refused(&v, &tokens).await;
}

#[tokio::test]
async fn atk_25_base64url_irregularities_are_refused() {
    let (idp, _c, v) = setup().await;
    let token = alice(&idp);
    let parts: Vec<&str> = token.split('.').collect();
    let (h, p, s) = (parts[0], parts[1], parts[2]);
    let mut tokens = vec![
        format!("{h}=.{p}.{s}"),
        format!("{h}.{p}=.{s}"),
        format!("{h}.{p}.{s}="),
        format!("{h}.{}+A.{s}", &p[..p.len() - 2]),
        format!("{h}.{}/A.{s}", &p[..p.len() - 2]),
        format!("{h}.{} .{s}", p),
        format!("{h}.{}\n.{s}", p),
        format!("{h}.{}?.{s}", p),
        format!("{h}..{s}"),
        format!(".{p}.{s}"),
    ];
    // A non-canonical last character (unused bits set) in the signature.
    let mut chars: Vec<char> = s.chars().collect();
    let last = chars.pop().unwrap();
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let index = alphabet.find(last).unwrap();
    chars.push(alphabet.chars().nth(index ^ 1).unwrap());
    tokens.push(format!("{h}.{p}.{}", chars.into_iter().collect::<String>()));
    all_refused(&v, &tokens).await;
}

#[tokio::test]
async fn atk_26_wrong_segment_counts_and_json_serialization_are_refused() {
    let (idp, _c, v) = setup().await;
    let token = alice(&idp);
    let (h, rest) = token.split_once('.').unwrap();
    let tokens = vec![
        h.to_owned(),
        format!("{h}.x"),
        format!("{token}.x"),
        format!("{token}.x.y"),
        format!("{token}."),
        format!("{token}.."),
        json!({"payload": rest, "signatures": [{"protected": h, "signature": "x"}]}).to_string(),
    ];
    all_refused(&v, &tokens).await;
}

#[tokio::test]
async fn atk_27_jwe_and_nested_jwts_are_refused() {
    let (idp, _c, v) = setup().await;
    let jwe_header = b64_json(&json!({"alg": "RSA-OAEP", "enc": "A256GCM", "kid": rsa_kid(&idp)}));
    let jwe = format!(
        "{jwe_header}.{}.{}.{}.{}",
        b64(b"key"),
        b64(b"iv"),
        b64(b"ct"),
        b64(b"tag")
    );
    let nested = mock_signed(
        &json!({"alg": "RS256", "typ": "at+jwt", "cty": "JWT", "kid": rsa_kid(&idp)}),
        &claims(&idp),
    );
    let enc_header = mock_signed(
        &json!({"alg": "RS256", "typ": "at+jwt", "enc": "A256GCM", "kid": rsa_kid(&idp)}),
        &claims(&idp),
    );
    all_refused(&v, &[jwe, nested.clone(), enc_header]).await;
    assert_eq!(v.validate(&nested).await.unwrap_err(), InvalidToken::UnsupportedHeader);
}

#[tokio::test]
async fn atk_28_oversized_input_is_refused_fast_before_decoding() {
    let (idp, clocks, v) = setup().await;
    for size in [16 * 1024, 1024 * 1024, 8 * 1024 * 1024] {
        let token = "a".repeat(size);
        let started = Instant::now();
        assert_eq!(v.validate(&token).await.unwrap_err(), InvalidToken::TooLarge);
        assert!(started.elapsed() < Duration::from_millis(50));
    }
    let dots = ".".repeat(100_000);
    assert_eq!(v.validate(&dots).await.unwrap_err(), InvalidToken::TooLarge);
    let big_claims = with(claims(&idp), "x", json!(vec!["a"; 300_000]));
    assert_eq!(
        v.validate(&mock_signed(&header(&idp), &big_claims)).await.unwrap_err(),
        InvalidToken::TooLarge
    );
    let app = app(guard(validator(&idp, &clocks)));
    let header = format!("Bearer {}", "a".repeat(16 * 1024));
    let (status, _, body) = call(&app, "/private", &[header.as_bytes()]).await;
    assert_eq!(status, 401);
    assert!(body.len() < 200);
}

#[tokio::test]
async fn atk_29_refetch_storm_is_bounded() {
    // Covered in depth (storm, rotation burst, slow, 5xx, 10 MB, empty set) by jwks_faults;
    // this is the short form: 200 concurrent random kids cost at most one upstream fetch.
    let (idp, _c, v) = setup().await;
    let v = std::sync::Arc::new(v);
    let before = idp.hits(mock_idp::Endpoint::Jwks);
    let mut tasks = Vec::new();
    for i in 0..200 {
        let v = v.clone();
        let token = forge(
            &json!({"alg": "RS256", "typ": "at+jwt", "kid": format!("random-{i}")}),
            &claims(&idp),
            &Sig::Raw(vec![1; 256]),
        );
        tasks.push(tokio::spawn(async move { v.validate(&token).await }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap_err(), InvalidToken::UnknownKey);
    }
    assert!(idp.hits(mock_idp::Endpoint::Jwks) - before <= 1);
}

fn sign_with_rsa_crate(key: &rsa::RsaPrivateKey, input: &str) -> Vec<u8> {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, input.as_bytes());
    let info = [hex("3031300d060960864801650304020105000420"), digest.as_ref().to_vec()].concat();
    key.sign(rsa::Pkcs1v15Sign::new_unprefixed(), &info).unwrap()
}

#[tokio::test]
async fn atk_30_weak_or_oversized_rsa_keys_are_refused() {
    use rsa::pkcs8::DecodePrivateKey as _;
    use rsa::traits::PublicKeyParts as _;
    let (idp, clocks, _) = setup().await;
    // aws-lc-rs neither parses nor signs with RSA keys under 2048 bits, which ATK-30 needs: the
    // `rsa` crate (a dev-dependency only) does, with fixed keys (fixtures/keys/weak, made by
    // `openssl genpkey`) rather than generating them, which takes seconds unoptimised.
    for (bits, pem) in [
        (512, include_str!("../../../../fixtures/keys/weak/rsa-512.pem")),
        (1024, include_str!("../../../../fixtures/keys/weak/rsa-1024.pem")),
        (1536, include_str!("../../../../fixtures/keys/weak/rsa-1536.pem")),
    ] {
        let key = rsa::RsaPrivateKey::from_pkcs8_pem(pem).unwrap();
        assert_eq!(key.n().bits(), bits);
        let jwk = json!({"kty": "RSA", "kid": "weak", "alg": "RS256", "n": b64(&key.n().to_bytes_be()), "e": b64(&key.e().to_bytes_be())});
        let set = KeySet::from_jwks(json!({"keys": [jwk]}).to_string().as_bytes(), &[Alg::RS256]).unwrap();
        assert!(set.is_empty(), "{bits}-bit key accepted");
        let v = static_validator(&idp, &clocks, json!({"keys": [jwk]}), &[Alg::RS256]);
        let input = format!(
            "{}.{}",
            b64_json(&json!({"alg": "RS256", "typ": "at+jwt", "kid": "weak"})),
            b64_json(&claims(&idp))
        );
        let token = format!("{input}.{}", b64(&sign_with_rsa_crate(&key, &input)));
        assert_eq!(
            v.validate(&token).await.unwrap_err(),
            InvalidToken::UnknownKey,
            "{bits}"
        );
    }
    let n = mock_rsa_jwk(&idp).await["n"].clone();
    let e_one = json!({"kty": "RSA", "kid": "e1", "n": n, "e": "AQ"});
    let mut huge = vec![0xffu8; 1024];
    huge[1023] = 0xfd;
    let oversized = json!({"kty": "RSA", "kid": "big", "n": b64(&huge), "e": "AQAB"});
    let set = KeySet::from_jwks(
        json!({"keys": [e_one, oversized]}).to_string().as_bytes(),
        &[Alg::RS256],
    )
    .unwrap();
    assert!(
        set.is_empty(),
        "e=1 and 8192-bit keys are refused (the bound is {} bits)",
        token_guard::MAX_RSA_BITS
    );
}

#[tokio::test]
async fn atk_31_mixed_key_sets_keep_the_usable_keys_and_alg_conflicts_are_refused() {
    let (idp, clocks, _) = setup().await;
    let jwk = mock_rsa_jwk(&idp).await;
    let set = json!({"keys": [
        {"kty": "oct", "kid": "o", "k": "c2VjcmV0"},
        {"kty": "EC", "crv": "P-521", "kid": "p521", "x": "AA", "y": "AA"},
        {"kty": "OKP", "crv": "X25519", "kid": "x", "x": "AA"},
        {"kty": "EC", "crv": "secp256k1", "kid": "k1", "x": "AA", "y": "AA"},
        {"kty": "RSA", "kid": "enc", "use": "enc", "n": jwk["n"], "e": "AQAB"},
        "not even an object",
        jwk,
    ]});
    let v = static_validator(&idp, &clocks, set, &[Alg::RS256]);
    assert!(v.validate(&mock_signed(&header(&idp), &claims(&idp))).await.is_ok());
    let conflicting = mock_signed(
        &json!({"alg": "RS512", "typ": "at+jwt", "kid": rsa_kid(&idp)}),
        &claims(&idp),
    );
    assert!(v.validate(&conflicting).await.is_err());
}

#[tokio::test]
async fn atk_32_two_keys_under_one_kid_make_that_kid_unusable() {
    let (idp, clocks, _) = setup().await;
    let jwk = mock_rsa_jwk(&idp).await;
    let twin = attacker_jwk(jwk["kid"].as_str().unwrap());
    let v = static_validator(&idp, &clocks, json!({"keys": [jwk, twin]}), &[Alg::RS256]);
    let token = mock_signed(&header(&idp), &claims(&idp));
    assert_eq!(v.validate(&token).await.unwrap_err(), InvalidToken::UnknownKey);
}

#[tokio::test]
async fn atk_33_no_kid_uses_the_single_key_of_that_alg_and_refuses_ambiguity() {
    let (idp, clocks, _) = setup().await;
    let jwk = without(mock_rsa_jwk(&idp).await, "kid");
    let no_kid = mock_signed(&json!({"alg": "RS256", "typ": "at+jwt"}), &claims(&idp));
    let single = static_validator(&idp, &clocks, json!({"keys": [jwk.clone()]}), &[Alg::RS256]);
    assert!(single.validate(&no_kid).await.is_ok());
    let several = static_validator(
        &idp,
        &clocks,
        json!({"keys": [jwk, without(attacker_jwk("x"), "kid")]}),
        &[Alg::RS256],
    );
    assert_eq!(several.validate(&no_kid).await.unwrap_err(), InvalidToken::UnknownKey);
}

#[tokio::test]
async fn atk_34_key_and_alg_mismatches_are_refused() {
    let (idp, clocks, _) = setup().await;
    let jwk = mock_rsa_jwk(&idp).await; // alg RS256
    let v = static_validator(
        &idp,
        &clocks,
        json!({"keys": [jwk]}),
        &[Alg::RS256, Alg::PS256, Alg::RS512],
    );
    let kid = rsa_kid(&idp);
    let ps = forge(
        &json!({"alg": "PS256", "typ": "at+jwt", "kid": kid}),
        &claims(&idp),
        &Sig::Rsa(mock_rsa(), &RSA_PSS_SHA256),
    );
    let rs512 = forge(
        &json!({"alg": "RS512", "typ": "at+jwt", "kid": kid}),
        &claims(&idp),
        &Sig::Rsa(mock_rsa(), &RSA_PKCS1_SHA512),
    );
    assert_eq!(v.validate(&ps).await.unwrap_err(), InvalidToken::AlgorithmNotAllowed);
    assert_eq!(v.validate(&rs512).await.unwrap_err(), InvalidToken::AlgorithmNotAllowed);
    // A P-384 key offered for ES256: the JWK's curve fixes ES384.
    let p384 =
        aws_lc_rs::signature::EcdsaKeyPair::generate(&aws_lc_rs::signature::ECDSA_P384_SHA384_FIXED_SIGNING).unwrap();
    let point = p384.public_key().as_ref();
    let jwk = json!({"kty": "EC", "crv": "P-384", "kid": "p384", "alg": "ES256", "x": b64(&point[1..49]), "y": b64(&point[49..])});
    let set = KeySet::from_jwks(json!({"keys": [jwk]}).to_string().as_bytes(), &[Alg::ES256, Alg::ES384]).unwrap();
    assert!(set.is_empty());
}

#[tokio::test]
async fn atk_35_cut_and_paste_and_foreign_signatures_are_refused() {
    let (idp, _c, v) = setup().await;
    let a = mock_signed(&header(&idp), &claims(&idp));
    let b = mock_signed(&header(&idp), &with(claims(&idp), "sub", json!("admin")));
    let (a_parts, b_parts): (Vec<&str>, Vec<&str>) = (a.split('.').collect(), b.split('.').collect());
    let pasted = format!("{}.{}.{}", a_parts[0], b_parts[1], a_parts[2]);
    let foreign = forge(
        &header(&idp),
        &claims(&idp),
        &Sig::Rsa(attacker_rsa(), &RSA_PKCS1_SHA256),
    );
    assert_eq!(v.validate(&pasted).await.unwrap_err(), InvalidToken::Signature);
    assert_eq!(v.validate(&foreign).await.unwrap_err(), InvalidToken::Signature);
}

#[tokio::test]
async fn atk_36_cross_jwt_confusion_is_refused() {
    // ID, refresh, logout tokens and client assertions: the full matrix is RS-15's test.
    let (idp, _c, v) = setup().await;
    let id_token = idp.token_for("alice", "web-app").await.unwrap().id_token.unwrap();
    assert!(v.validate(&id_token).await.is_err());
    let as_id = mock_signed(
        &header(&idp),
        &with(with(claims(&idp), "typ", json!("ID")), "nonce", json!("n")),
    );
    assert_eq!(v.validate(&as_id).await.unwrap_err(), InvalidToken::NotAnAccessToken);
}

#[tokio::test]
async fn atk_37_whitespace_and_crlf_in_authorization_are_handled_consistently() {
    let (idp, clocks, _) = setup().await;
    let app = app(guard(validator(&idp, &clocks)));
    let token = alice(&idp);
    // Surrounding whitespace is not part of the field value (RFC 9110 §5.5): trimmed.
    for ok in [
        format!(" Bearer {token}"),
        format!("Bearer {token} "),
        format!("\tBearer {token}"),
        format!("bearer {token}"),
    ] {
        assert_eq!(call(&app, "/private", &[ok.as_bytes()]).await.0, 200, "{ok:?}");
    }
    for bad in [format!("Bearer\t{token}"), format!("Bearer \t{token}")] {
        let (status, challenge, body) = call(&app, "/private", &[bad.as_bytes()]).await;
        assert_eq!(status, 400, "{bad:?}");
        assert!(!challenge.contains(&token) && !body.contains(&token));
    }
    // CR/LF cannot even reach the guard: the HTTP layer refuses such header values.
    assert!(axum::http::HeaderValue::from_bytes(format!("Bearer {token}\r\nX-Injected: 1").as_bytes()).is_err());
}
