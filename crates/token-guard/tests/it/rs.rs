//! RS-01 … RS-19 (conformance.md §2.H): resource-server access-token validation.

use crate::http_app::{app, bearer, call};
use crate::support::*;
use serde_json::{Value, json};
use token_guard::{Guard, InvalidToken, Provider, Requirement, Routing, ScopeFormat, TypPolicy, Validator};

async fn refused(validator: &Validator, token: &str) -> InvalidToken {
    validator.validate(token).await.expect_err("must be refused")
}

#[tokio::test]
async fn rs_01_missing_header_and_scheme_handling() {
    let (idp, clocks) = idp().await;
    let app = app(guard(validator(&idp, &clocks)));
    let token = alice(&idp);

    let (status, challenge, body) = call(&app, "/private", &[]).await;
    assert_eq!(
        (status, challenge.as_str(), body.as_str()),
        (401, "Bearer realm=\"api\"", "")
    );

    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let (status, ..) = call(&app, "/private", &[format!("{scheme} {token}").as_bytes()]).await;
        assert_eq!(status, 200, "{scheme}");
    }
    // `1*SP` between scheme and token is the RFC 6750 grammar: two spaces are accepted.
    assert_eq!(
        call(&app, "/private", &[format!("Bearer  {token}").as_bytes()]).await.0,
        200
    );
    // Another scheme carries no bearer token: answered like a missing one.
    let (status, challenge, _) = call(&app, "/private", &[b"Basic YWxpY2U6cHc="]).await;
    assert_eq!((status, challenge.as_str()), (401, "Bearer realm=\"api\""));
    // Malformed Bearer credentials: consistently 400 invalid_request.
    for bad in [
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
        format!("Bearer {token} extra"),
        "Bearer tok\"en".to_owned(),
        "Bearer tok,en".to_owned(),
        "Bearer =abc".to_owned(),
    ] {
        let (status, challenge, _) = call(&app, "/private", &[bad.as_bytes()]).await;
        assert_eq!(status, 400, "{bad}");
        assert!(challenge.contains("error=\"invalid_request\""), "{bad}: {challenge}");
    }
    // Two Authorization headers: 400.
    let two = format!("Bearer {token}");
    assert_eq!(call(&app, "/private", &[two.as_bytes(), two.as_bytes()]).await.0, 400);
}

#[tokio::test]
async fn rs_02_bad_signature_expired_and_garbage_are_401_invalid_token() {
    let (idp, clocks) = idp().await;
    let app = app(guard(validator(&idp, &clocks)));
    let token = alice(&idp);
    let mut bad_sig = token.clone();
    let last = bad_sig.pop().unwrap();
    bad_sig.push(if last == 'A' { 'B' } else { 'A' });
    let expired = idp.mint(mock_idp::TokenSpec::user("alice").expires_in(0)).unwrap();
    clocks.advance(31);
    for token in [bad_sig.as_str(), expired.as_str(), "garbage", "a.b.c"] {
        let (status, challenge, body) = bearer(&app, "/private", token).await;
        assert_eq!(status, 401, "{token}");
        assert!(
            challenge.starts_with("Bearer realm=\"api\", error=\"invalid_token\""),
            "{challenge}"
        );
        assert!(body.contains("\"error\":\"invalid_token\""));
    }
}

#[tokio::test]
async fn rs_03_missing_scope_or_role_is_403_insufficient_scope_naming_the_scope() {
    let (idp, clocks) = idp().await;
    let app = app(guard(validator(&idp, &clocks)));
    let bob = idp
        .mint(
            mock_idp::TokenSpec::user("bob")
                .scope("openid read:messages")
                .claim("scope", "openid"),
        )
        .unwrap();
    let (status, challenge, body) = bearer(&app, "/scoped", &bob).await;
    assert_eq!(status, 403);
    assert!(challenge.contains("error=\"insufficient_scope\""), "{challenge}");
    assert!(challenge.contains("scope=\"read:messages\""), "{challenge}");
    assert!(body.contains("insufficient_scope"));
    let (status, challenge, _) = bearer(&app, "/admin", &bob).await;
    assert_eq!(status, 403);
    assert!(challenge.contains("role admin"), "{challenge}");
    assert_eq!(bearer(&app, "/admin", &alice(&idp)).await.0, 200);
}

#[tokio::test]
async fn rs_04_token_in_header_and_query_is_400_and_query_only_is_refused() {
    let (idp, clocks) = idp().await;
    let app = app(guard(validator(&idp, &clocks)));
    let token = alice(&idp);
    let (status, challenge, _) = bearer(&app, &format!("/private?access_token={token}"), &token).await;
    assert_eq!(status, 400);
    assert!(challenge.contains("invalid_request"));
    let (status, ..) = call(&app, &format!("/private?access_token={token}"), &[]).await;
    assert_eq!(status, 400);
    // Opt-in query tokens work, and still refuse both at once.
    let v = validator(&idp, &clocks);
    let allowing = std::sync::Arc::new(Guard::builder().validator(v).allow_query_token(true).build().unwrap());
    let app = crate::http_app::app(allowing);
    assert_eq!(call(&app, &format!("/private?access_token={token}"), &[]).await.0, 200);
    assert_eq!(
        bearer(&app, &format!("/private?access_token={token}"), &token).await.0,
        400
    );
}

#[tokio::test]
async fn rs_05_typ_policy_per_provider() {
    let (idp, clocks) = idp().await;
    let validator = validator(&idp, &clocks);
    let claims = claims(&idp);
    let kid = rsa_kid(&idp);
    for typ in ["at+jwt", "application/at+jwt", "AT+JWT", "Application/At+Jwt"] {
        let token = mock_signed(&json!({"alg": "RS256", "typ": typ, "kid": kid}), &claims);
        assert!(validator.validate(&token).await.is_ok(), "{typ}");
    }
    for typ in [json!("JWT"), json!("jwt"), json!("at+jwt2"), json!(""), json!(1)] {
        let token = mock_signed(&json!({"alg": "RS256", "typ": typ, "kid": kid}), &claims);
        assert_eq!(refused(&validator, &token).await, InvalidToken::Typ, "{typ}");
    }
    let untyped = mock_signed(&json!({"alg": "RS256", "kid": kid}), &claims);
    assert_eq!(refused(&validator, &untyped).await, InvalidToken::Typ);

    assert_eq!(TypPolicy::for_provider(Provider::Generic), TypPolicy::AtJwt);
    assert_eq!(
        TypPolicy::for_provider(Provider::Keycloak),
        TypPolicy::OneOf(vec!["JWT".into()])
    );
    // A Keycloak validator takes `typ: JWT` (and its payload `typ: Bearer`), not at+jwt.
    let keycloak = builder(&idp, &clocks)
        .provider(Provider::Keycloak)
        .required_claims(["iss", "exp", "aud", "sub", "iat", "jti"])
        .build()
        .unwrap();
    let kc_claims = with(claims.clone(), "typ", json!("Bearer"));
    let jwt = mock_signed(&json!({"alg": "RS256", "typ": "JWT", "kid": kid}), &kc_claims);
    assert!(keycloak.validate(&jwt).await.is_ok());
    let at = mock_signed(&json!({"alg": "RS256", "typ": "at+jwt", "kid": kid}), &kc_claims);
    assert_eq!(refused(&keycloak, &at).await, InvalidToken::Typ);
}

#[tokio::test]
async fn rs_06_iss_must_equal_the_configured_issuer_exactly() {
    let (idp, clocks) = idp().await;
    let validator = validator(&idp, &clocks);
    let iss = idp.issuer();
    let variants = [
        json!(format!("{iss}/")),
        json!(iss.trim_end_matches("/demo")),
        json!(iss.to_uppercase()),
        json!(iss.replace("http://", "https://")),
        json!([iss.clone()]),
        json!(["evil", iss.clone()]),
        json!(42),
        Value::Null,
    ];
    for variant in variants {
        let token = mock_signed(&header(&idp), &with(claims(&idp), "iss", variant.clone()));
        assert_eq!(refused(&validator, &token).await, InvalidToken::Issuer, "{variant}");
    }
    let token = mock_signed(&header(&idp), &without(claims(&idp), "iss"));
    assert_eq!(refused(&validator, &token).await, InvalidToken::Issuer);
}

#[tokio::test]
async fn rs_07_aud_must_name_this_resource_server() {
    let (idp, clocks) = idp().await;
    let validator = validator(&idp, &clocks);
    for ok in [json!("api"), json!(["api"]), json!(["other", "api"])] {
        let token = mock_signed(&header(&idp), &with(claims(&idp), "aud", ok.clone()));
        assert!(validator.validate(&token).await.is_ok(), "{ok}");
    }
    for bad in [
        json!(""),
        json!([]),
        Value::Null,
        json!(123),
        json!(["x", 1]),
        json!(["api", 1]),
        json!({}),
        json!("api/"),
        json!("API"),
        json!("other"),
        json!([["api"]]),
    ] {
        let token = mock_signed(&header(&idp), &with(claims(&idp), "aud", bad.clone()));
        assert_eq!(refused(&validator, &token).await, InvalidToken::Audience, "{bad}");
    }
    let token = mock_signed(&header(&idp), &without(claims(&idp), "aud"));
    assert_eq!(refused(&validator, &token).await, InvalidToken::Audience);
}

#[tokio::test]
async fn rs_08_alg_allowlist_is_per_key_and_never_from_the_token() {
    let (idp, clocks) = idp().await;
    let only_rs = validator(&idp, &clocks);
    // The mock's own ES256 token: ES256 is not on the allowlist.
    let ec = idp
        .mint(mock_idp::TokenSpec::user("alice").scope("openid read:messages"))
        .unwrap();
    assert!(only_rs.validate(&ec).await.is_ok());
    let ec_kid = {
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
    let es = forge(
        &json!({"alg": "ES256", "typ": "at+jwt", "kid": ec_kid}),
        &claims(&idp),
        &Sig::Ec(mock_ec()),
    );
    assert_eq!(refused(&only_rs, &es).await, InvalidToken::AlgorithmNotAllowed);
    // With ES256 allowed it verifies against the EC key only.
    let both = Validator::builder(idp.issuer(), "api", [token_guard::Alg::RS256, token_guard::Alg::ES256])
        .clock(clocks.guard.clone())
        .build()
        .unwrap();
    assert!(both.validate(&es).await.is_ok());
    // PS256 allowed, but the RSA JWK says `alg: RS256`: a PS256 signature by that key is refused.
    let ps_too = Validator::builder(idp.issuer(), "api", [token_guard::Alg::RS256, token_guard::Alg::PS256])
        .clock(clocks.guard.clone())
        .build()
        .unwrap();
    let ps = forge(
        &json!({"alg": "PS256", "typ": "at+jwt", "kid": rsa_kid(&idp)}),
        &claims(&idp),
        &Sig::Rsa(mock_rsa(), &aws_lc_rs::signature::RSA_PSS_SHA256),
    );
    assert_eq!(refused(&ps_too, &ps).await, InvalidToken::AlgorithmNotAllowed);
    // RS256 header, ES256 key: the kid's key is pinned to ES256.
    let swapped = mock_signed(&json!({"alg": "RS256", "typ": "at+jwt", "kid": ec_kid}), &claims(&idp));
    assert_eq!(refused(&both, &swapped).await, InvalidToken::AlgorithmNotAllowed);
}

#[tokio::test]
async fn rs_09_exp_is_required_numeric_and_checked_with_leeway_at_the_boundaries() {
    let (idp, clocks) = idp().await;
    let validator = builder(&idp, &clocks).leeway(30).build().unwrap();
    let at = |exp: u64| mock_signed(&header(&idp), &with(claims(&idp), "exp", json!(exp)));
    assert_eq!(refused(&validator, &at(NOW - 30 - 1)).await, InvalidToken::Expired);
    assert_eq!(refused(&validator, &at(NOW - 30)).await, InvalidToken::Expired);
    assert!(validator.validate(&at(NOW - 30 + 1)).await.is_ok());
    let missing = mock_signed(&header(&idp), &without(claims(&idp), "exp"));
    assert_eq!(refused(&validator, &missing).await, InvalidToken::MissingClaim("exp"));
    // Leeway above 60 s is refused at configuration time.
    assert!(builder(&idp, &clocks).leeway(61).build().is_err());
}

#[tokio::test]
async fn rs_10_nbf_if_present_is_numeric_and_not_in_the_future() {
    let (idp, clocks) = idp().await;
    let validator = builder(&idp, &clocks).leeway(30).build().unwrap();
    let at = |nbf: Value| mock_signed(&header(&idp), &with(claims(&idp), "nbf", nbf));
    assert!(validator.validate(&at(json!(NOW + 30))).await.is_ok());
    assert_eq!(
        refused(&validator, &at(json!(NOW + 31))).await,
        InvalidToken::NotYetValid
    );
    assert_eq!(
        refused(&validator, &at(json!(NOW.to_string()))).await,
        InvalidToken::ClaimType("nbf")
    );
}

#[tokio::test]
async fn rs_11_iat_is_numeric_and_not_in_the_future() {
    let (idp, clocks) = idp().await;
    let validator = builder(&idp, &clocks).leeway(30).build().unwrap();
    let at = |iat: Value| mock_signed(&header(&idp), &with(claims(&idp), "iat", iat));
    assert!(validator.validate(&at(json!(NOW + 30))).await.is_ok());
    assert_eq!(
        refused(&validator, &at(json!(NOW + 31))).await,
        InvalidToken::IssuedInFuture
    );
    assert_eq!(
        refused(&validator, &at(json!("1700000000"))).await,
        InvalidToken::ClaimType("iat")
    );
}

#[tokio::test]
async fn rs_12_rfc_9068_required_claims_are_present_and_configurable_per_provider() {
    let (idp, clocks) = idp().await;
    let validator = validator(&idp, &clocks);
    for claim in ["sub", "client_id", "iat", "jti"] {
        let token = mock_signed(&header(&idp), &without(claims(&idp), claim));
        let err = refused(&validator, &token).await;
        assert!(
            matches!(err, InvalidToken::MissingClaim(c) if c == claim),
            "{claim}: {err:?}"
        );
    }
    assert_eq!(
        token_guard::required_claims_for(Provider::Keycloak),
        ["iss", "exp", "aud", "sub", "iat", "jti", "azp"]
    );
    let relaxed = builder(&idp, &clocks).required_claims(["sub"]).build().unwrap();
    let token = mock_signed(&header(&idp), &without(without(claims(&idp), "jti"), "client_id"));
    assert!(relaxed.validate(&token).await.is_ok());
}

#[tokio::test]
async fn rs_13_scopes_match_token_by_token_and_arrays_follow_the_configured_policy() {
    let (idp, clocks) = idp().await;
    let validator = validator(&idp, &clocks);
    let with_scope = |scope: Value| mock_signed(&header(&idp), &with(claims(&idp), "scope", scope));
    let p = validator
        .validate(&with_scope(json!("read:all superadmin readwrite")))
        .await
        .unwrap();
    for near_miss in ["read", "admin", "read write", "write", "read:al", ""] {
        assert!(!p.has_scope(near_miss), "{near_miss}");
    }
    assert!(p.has_scope("readwrite"));
    let array = with_scope(json!(["read:messages"]));
    assert_eq!(refused(&validator, &array).await, InvalidToken::ClaimType("scope"));
    let lenient = builder(&idp, &clocks)
        .scope_format(ScopeFormat::IgnoreNonString)
        .build()
        .unwrap();
    assert!(lenient.validate(&array).await.unwrap().scopes.is_empty());
}

#[tokio::test]
async fn rs_14_roles_come_from_the_providers_claim_path_and_type_confusion_denies() {
    let (idp, clocks) = idp().await;
    let validator = validator(&idp, &clocks);
    let with_roles = |roles: Value| mock_signed(&header(&idp), &with(claims(&idp), "roles", roles));
    for confused in [
        json!("admin"),
        json!({"admin": true}),
        json!([["admin"]]),
        json!(["Admin"]),
        json!(["admin", 1]),
    ] {
        let p = validator.validate(&with_roles(confused.clone())).await.unwrap();
        assert!(!p.has_role("admin"), "{confused}");
    }
    // Generic reads `roles` only: `groups` or Keycloak's paths grant nothing.
    let elsewhere = without(claims(&idp), "roles");
    let elsewhere = with(elsewhere, "realm_access", json!({"roles": ["admin"]}));
    let p = validator
        .validate(&mock_signed(&header(&idp), &elsewhere))
        .await
        .unwrap();
    assert!(p.roles.is_empty());
    // Keycloak: realm roles, and apart from them the resource server's client roles; another
    // client's never count.
    let jwk = mock_rsa_jwk(&idp).await;
    let keycloak = Validator::builder(idp.issuer(), "api", [token_guard::Alg::RS256])
        .provider(Provider::Keycloak)
        .static_jwks(json!({"keys": [jwk]}).to_string())
        .clock(clocks.guard.clone())
        .build()
        .unwrap();
    let kc = json!({
        "iss": idp.issuer(), "sub": "u", "aud": "api", "exp": NOW + 60, "iat": NOW, "jti": "j",
        "azp": "web-app", "typ": "Bearer", "scope": "openid",
        "realm_access": {"roles": ["user"]},
        "resource_access": {"api": {"roles": ["read:messages"]}, "other": {"roles": ["admin"]}},
    });
    let token = mock_signed(&json!({"alg": "RS256", "typ": "JWT", "kid": rsa_kid(&idp)}), &kc);
    let p = keycloak.validate(&token).await.unwrap();
    assert_eq!(p.roles, ["user"]);
    assert_eq!(p.client_roles, ["read:messages"]);
    assert!(p.has_role("user") && p.has_client_role("read:messages"));
    assert!(!p.has_role("read:messages"), "a client role is no realm role");
    assert!(
        !p.has_role("admin") && !p.has_client_role("admin"),
        "another client's role never counts"
    );
    assert!(Requirement::role_or_scope("read:messages").is_met(&p));
    assert!(Requirement::client_role("read:messages").is_met(&p));
    assert!(!Requirement::role("read:messages").is_met(&p));
    assert_eq!(p.client_id.as_deref(), Some("web-app"));
    assert_eq!(p.provider, Provider::Keycloak);
}

#[tokio::test]
async fn rs_15_id_refresh_logout_tokens_and_client_assertions_are_refused() {
    let (idp, clocks) = idp().await;
    let validator = validator(&idp, &clocks);
    let set = idp.token_for("alice", "web-app").await.unwrap();
    let id_token = set.id_token.unwrap();
    assert!(validator.validate(&id_token).await.is_err(), "ID token");
    if let Some(refresh) = set.refresh_token {
        assert!(validator.validate(&refresh).await.is_err(), "refresh token");
    }
    // Keycloak-style refresh token: HS-signed, payload typ Refresh.
    let refresh = forge(
        &json!({"alg": "HS256", "typ": "JWT", "kid": "x"}),
        &with(claims(&idp), "typ", json!("Refresh")),
        &Sig::Hmac(b"0123456789abcdef0123456789abcdef"),
    );
    assert_eq!(refused(&validator, &refresh).await, InvalidToken::AlgorithmNotAllowed);
    // The same payload kinds signed by the real key, with the right typ header: still refused.
    for typ in ["ID", "Refresh", "Logout"] {
        let token = mock_signed(&header(&idp), &with(claims(&idp), "typ", json!(typ)));
        assert_eq!(
            refused(&validator, &token).await,
            InvalidToken::NotAnAccessToken,
            "{typ}"
        );
    }
    let logout = with(
        claims(&idp),
        "events",
        json!({"http://schemas.openid.net/event/backchannel-logout": {}}),
    );
    let logout = mock_signed(
        &json!({"alg": "RS256", "typ": "logout+jwt", "kid": rsa_kid(&idp)}),
        &logout,
    );
    assert_eq!(refused(&validator, &logout).await, InvalidToken::Typ);
    let assertion = json!({"iss": "web-app", "sub": "web-app", "aud": idp.endpoint(mock_idp::Endpoint::Token),
        "exp": NOW + 60, "iat": NOW, "jti": "a"});
    let assertion = mock_signed(&json!({"alg": "RS256", "typ": "JWT", "kid": rsa_kid(&idp)}), &assertion);
    assert!(validator.validate(&assertion).await.is_err());
}

#[tokio::test]
async fn rs_16_keys_are_filtered_on_use_key_ops_kty_and_alg() {
    let (idp, clocks) = idp().await;
    let jwk = mock_rsa_jwk(&idp).await;
    let token = mock_signed(&header(&idp), &claims(&idp));
    let mut cases = Vec::new();
    cases.push(with(jwk.clone(), "use", json!("enc")));
    cases.push(with(jwk.clone(), "key_ops", json!(["sign"])));
    cases.push(with(jwk.clone(), "key_ops", json!("verify")));
    cases.push(with(jwk.clone(), "alg", json!("RS512")));
    cases.push(with(jwk.clone(), "alg", json!("ES256")));
    cases.push(with(jwk.clone(), "kty", json!("oct")));
    cases.push(json!({"kty": "oct", "kid": rsa_kid(&idp), "k": b64(b"0123456789abcdef0123456789abcdef")}));
    for case in cases {
        let validator = Validator::builder(idp.issuer(), "api", [token_guard::Alg::RS256])
            .static_jwks(json!({"keys": [case]}).to_string())
            .clock(clocks.guard.clone())
            .build()
            .unwrap();
        assert!(validator.validate(&token).await.is_err(), "{case}");
    }
    let ok = with(jwk, "key_ops", json!(["verify"]));
    let validator = Validator::builder(idp.issuer(), "api", [token_guard::Alg::RS256])
        .static_jwks(json!({"keys": [ok]}).to_string())
        .clock(clocks.guard.clone())
        .build()
        .unwrap();
    assert!(validator.validate(&token).await.is_ok());
}

#[tokio::test]
async fn rs_17_opaque_tokens_only_via_configured_introspection_and_no_unverified_decode_exists() {
    let (idp, clocks) = idp().await;
    let jwt_only = guard(validator(&idp, &clocks));
    assert_eq!(
        jwt_only.authenticate("opaque-token-value").await.unwrap_err(),
        InvalidToken::OpaqueNotAccepted
    );
    let app = app(jwt_only);
    assert_eq!(bearer(&app, "/private", "opaque-token-value").await.0, 401);
    let with_introspection = Guard::builder()
        .validator(validator(&idp, &clocks))
        .introspector(
            token_guard::Introspector::builder(idp.endpoint(mock_idp::Endpoint::Introspect), "api", "api-secret")
                .build()
                .unwrap(),
        )
        .routing(Routing::OpaqueToIntrospection)
        .build()
        .unwrap();
    assert_eq!(
        with_introspection.authenticate("unknown-opaque").await.unwrap_err(),
        InvalidToken::Inactive
    );
    // No decode-without-verify path: the crate never names one.
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for entry in std::fs::read_dir(src).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(!text.contains("insecure_decode") && !text.contains("dangerous"));
    }
}

const TWO_REALMS: &str = r#"
default_realm = "one"
[realms.one]
scopes = ["openid"]
[realms.one.clients.rs-a]
kind = "confidential"
secret = "s"
grant_types = ["client_credentials"]
[realms.two]
scopes = ["openid"]
[realms.two.clients.rs-b]
kind = "confidential"
secret = "s"
grant_types = ["client_credentials"]
"#;

#[tokio::test]
async fn rs_18_keys_are_scoped_per_issuer() {
    let clocks = Clocks::new();
    let world = mock_idp::World::from_toml_str(TWO_REALMS, "two-realms").unwrap();
    let idp = mock_idp::MockIdp::builder()
        .world(world)
        .clock(clocks.mock.clone())
        .start()
        .await;
    let (one, two) = (idp.issuer_of("one"), idp.issuer_of("two"));
    let v = |issuer: &str, aud: &str| {
        Validator::builder(issuer, aud, [token_guard::Alg::RS256])
            .clock(clocks.guard.clone())
            .jwks_config(test_jwks_config())
            .build()
            .unwrap()
    };
    let guard = Guard::builder()
        .validator(v(&one, "rs-a"))
        .validator(v(&two, "rs-b"))
        .build()
        .unwrap();
    let from_two = idp.mint(mock_idp::TokenSpec::client("rs-b").realm("two")).unwrap();
    let from_two_payload = segment(&from_two, 1);
    assert!(guard.authenticate(&from_two).await.is_ok(), "B's own token for B's RS");
    // (1) a valid token of issuer B whose aud is RS A's: refused on aud.
    let aimed_at_a = idp
        .mint(mock_idp::TokenSpec::client("rs-b").realm("two").claim("aud", "rs-a"))
        .unwrap();
    assert_eq!(
        guard.authenticate(&aimed_at_a).await.unwrap_err(),
        InvalidToken::Audience
    );
    // (2) claims of issuer B, signed with issuer A's key and kid: B's key set has no such kid.
    let one_kid = segment(&idp.mint(mock_idp::TokenSpec::client("rs-a")).unwrap(), 0)["kid"].clone();
    let forged = mock_signed(
        &json!({"alg": "RS256", "typ": "at+jwt", "kid": one_kid}),
        &from_two_payload,
    );
    assert_eq!(guard.authenticate(&forged).await.unwrap_err(), InvalidToken::UnknownKey);
    // An issuer nobody configured.
    let stranger = mock_signed(
        &json!({"alg": "RS256", "typ": "at+jwt", "kid": one_kid}),
        &with(from_two_payload, "iss", json!("http://127.0.0.1:1/x")),
    );
    assert_eq!(guard.authenticate(&stranger).await.unwrap_err(), InvalidToken::Issuer);
}

#[tokio::test]
async fn rs_19_responses_never_echo_the_token_signature_or_key_material() {
    let (idp, clocks) = idp().await;
    let app = app(guard(validator(&idp, &clocks)));
    let token = alice(&idp);
    let jwk = mock_rsa_jwk(&idp).await;
    let n = jwk["n"].as_str().unwrap();
    let mut bad = token.clone();
    bad.truncate(token.len() - 4);
    bad.push_str("AAAA");
    let signature = token.rsplit('.').next().unwrap();
    let forged = forge(&header(&idp), &claims(&idp), &Sig::Hmac(n.as_bytes()));
    for presented in [bad.as_str(), forged.as_str(), "x.y.z", &format!("{token}~~")] {
        let (_, challenge, body) = call(&app, "/private", &[format!("Bearer {presented}").as_bytes()]).await;
        for secret in [presented, signature, n, &token[..40]] {
            assert!(
                !challenge.contains(secret) && !body.contains(secret),
                "leaked into {challenge} / {body}"
            );
        }
    }
}
