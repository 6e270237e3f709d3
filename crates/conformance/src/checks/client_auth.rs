//! Client authentication by a signed JWT (`private_key_jwt`, RFC 7523 §2.2 and §3, OIDC Core
//! §9): CLAUTH-01..06 and 08, with the World's client that registers conformance's published assertion
//! key ([`ASSERTION_PEM`], `kid` `idp-conformance`) asking for a client_credentials token. A
//! provider whose discovery does not list `private_key_jwt` skips every check with that reason.

use super::{Entry, check};
use crate::cx::Cx;
use crate::cx::dpop::{EcKey, jti, now};
use crate::http::{Auth, Exchange, Req, Step, skip};
use crate::targets::ASSERTION_KID;
use mock_idp::Endpoint;
use providers::ErrorKind;
use providers::client_assertion::{AssertionRefusal, MaxLifetime};
use serde_json::{Value, json};

/// Conformance's client assertion key: a published test key (never trust it), in PKCS#8 PEM.
/// Its public half is in fixtures/worlds/client-keys.toml.
pub(crate) const ASSERTION_PEM: &str = include_str!("client_auth/assertion-ec-p256.pem");

/// The `client_assertion_type` of a JWT client assertion (RFC 7523 §2.2).
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How long the assertions this suite signs live (RFC 7523 §3: short).
const LIFETIME_SECS: u64 = 60;

pub(super) fn entries() -> Vec<Entry> {
    vec![
        check!(
            "CLAUTH-01",
            ClientAuth,
            Must,
            Strict,
            [KeyedClient],
            "RFC 7523 §2.2, §3; OIDC Core §9",
            "a client assertion signed with the client's registered key authenticates it",
            clauth01
        ),
        check!(
            "CLAUTH-02",
            ClientAuth,
            Must,
            Strict,
            [KeyedClient],
            "RFC 7523 §3 (7); OIDC Core §9 (jti)",
            "an assertion already used (same jti) is refused without a token",
            clauth02
        ),
        check!(
            "CLAUTH-03",
            ClientAuth,
            Must,
            Strict,
            [KeyedClient],
            "RFC 7523 §3 (9)",
            "an assertion signed by another key under the registered kid is refused without a token",
            clauth03
        ),
        check!(
            "CLAUTH-04",
            ClientAuth,
            Must,
            Strict,
            [KeyedClient],
            "RFC 7523 §3 (3)",
            "an assertion whose aud names another server is refused without a token",
            clauth04
        ),
        check!(
            "CLAUTH-05",
            ClientAuth,
            Must,
            Strict,
            [KeyedClient],
            "RFC 7523 §3 (4)",
            "an expired assertion is refused without a token",
            clauth05
        ),
        check!(
            "CLAUTH-06",
            ClientAuth,
            Must,
            Strict,
            [KeyedClient],
            "RFC 7523 §3 (9); RFC 8725 §3.1",
            "an unsigned assertion (alg none) is refused without a token",
            clauth06
        ),
        check!(
            "CLAUTH-07",
            ClientAuth,
            Must,
            Strict,
            [SecretJwtClient],
            "RFC 7523 §2.2; OIDC Core §9 (client_secret_jwt)",
            "an HS256 assertion keyed by the secret of a client registered for client_secret_jwt authenticates it (and, where the provider gives a client one method, its secret alone does not)",
            clauth07
        ),
        check!(
            "CLAUTH-08",
            ClientAuth,
            Should,
            Strict,
            [KeyedClient],
            "RFC 7523 §3 (iat); Keycloak token.endpoint.auth.signing.max.exp",
            "an assertion is used only as long after its iat as the provider allows the client (Keycloak: the client's max.exp, else 60 s): 20 s inside it authenticates, 20 s past it is refused",
            clauth08
        ),
    ]
}

/// Skips unless discovery lists `method` among the token endpoint's authentication methods.
async fn require_method(cx: &Cx<'_>, method: &str) -> Step {
    let doc = cx.discovery().await?;
    let listed = doc
        .get("token_endpoint_auth_methods_supported")
        .and_then(Value::as_array)
        .is_some_and(|methods| methods.iter().any(|listed| listed.as_str() == Some(method)));
    if listed {
        Ok(())
    } else {
        Err(skip(format!(
            "discovery does not list {method} in token_endpoint_auth_methods_supported"
        )))
    }
}

/// Skips unless discovery lists `private_key_jwt`.
async fn require_private_key_jwt(cx: &Cx<'_>) -> Step {
    require_method(cx, "private_key_jwt").await
}

/// The claims of a good assertion of `client_id` for `audience`, issued now. The checks name
/// the issuer: every provider here takes it (RFC 7523 §3; ZITADEL takes nothing else).
pub(crate) fn assertion_claims(cx: &Cx<'_>, client_id: &str, audience: &str) -> Step<Value> {
    let now = now(cx);
    Ok(json!({
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "jti": jti()?,
        "iat": now,
        "exp": now + LIFETIME_SECS,
    }))
}

/// `claims` signed ES256 by `key` under `kid` (conformance's registered `kid` when `None`).
pub(crate) fn sign_assertion(key: &EcKey, claims: &Value, kid: Option<&str>) -> Step<String> {
    let kid = kid.unwrap_or(ASSERTION_KID);
    key.sign(&json!({"alg": "ES256", "typ": "JWT", "kid": kid}), claims)
}

/// `claims` signed under conformance's registered `kid`.
fn signed(key: &EcKey, claims: &Value) -> Step<String> {
    sign_assertion(key, claims, None)
}

/// The registered key.
fn registered_key() -> Step<EcKey> {
    EcKey::from_pem(ASSERTION_PEM, "conformance's assertion key")
}

/// Client_credentials requests to `url` authenticated by an assertion alone.
#[derive(Clone, Copy)]
pub(crate) struct AssertionRequest<'a, 't> {
    pub(crate) cx: &'a Cx<'t>,
    pub(crate) url: &'a str,
}

impl AssertionRequest<'_, '_> {
    /// Sends `assertion` (or the reason there is none).
    pub(crate) async fn send(self, assertion: Step<String>) -> Step<Exchange> {
        let assertion = assertion?;
        self.cx
            .send(Req::post(self.url).auth(Auth::None).form(&[
                ("grant_type", "client_credentials"),
                ("client_assertion_type", ASSERTION_TYPE),
                ("client_assertion", assertion.as_str()),
            ]))
            .await
    }
}

/// A client_credentials request authenticated by `assertion` alone.
async fn token_request(cx: &Cx<'_>, assertion: &str) -> Step<Exchange> {
    let url = cx.endpoint(Endpoint::Token).await?;
    AssertionRequest { cx, url: &url }.send(Ok(assertion.to_owned())).await
}

/// A good assertion for the token endpoint.
async fn good_assertion(cx: &Cx<'_>) -> Step<String> {
    require_private_key_jwt(cx).await?;
    let client = cx.keyed_client()?;
    signed(&registered_key()?, &assertion_claims(cx, &client.id, cx.issuer())?)
}

/// Expects `refusal`: RFC 6749 §5.2's `invalid_client` (400, or 401), or the provider's
/// documented answer, and no token. Where `providers` records the provider's own words
/// (Keycloak), the `error_description` must be exactly them.
fn expect_refused(cx: &Cx<'_>, exchange: &Exchange, refusal: AssertionRefusal) -> Step {
    if exchange.object().is_ok_and(|body| body.contains_key("access_token")) {
        return Err(exchange.fail(
            Some("access_token"),
            "a token was issued for a refused client assertion",
        ));
    }
    let kind = ErrorKind::ClientAssertion(refusal);
    cx.expect_error(exchange, &kind, &[400, 401], &["invalid_client"])?;
    if let Some(documented) = cx.provider().quirks().client_assertion.error_response(refusal) {
        let expected = documented
            .body
            .as_ref()
            .and_then(|body| body.get("error_description"))
            .and_then(Value::as_str);
        let said = exchange
            .object()
            .ok()
            .and_then(|body| body.get("error_description").and_then(Value::as_str).map(str::to_owned));
        if said.as_deref() != expected {
            return Err(exchange.fail(
                Some("error_description"),
                format!("expected {expected:?} as providers documents it, got {said:?}"),
            ));
        }
    }
    Ok(())
}

async fn clauth01(cx: &Cx<'_>) -> Step {
    let assertion = good_assertion(cx).await?;
    let exchange = token_request(cx, &assertion).await?;
    Cx::tokens(exchange)?.access_token()?;
    Ok(())
}

async fn clauth02(cx: &Cx<'_>) -> Step {
    let assertion = good_assertion(cx).await?;
    let first = token_request(cx, &assertion).await?;
    Cx::tokens(first)?;
    let second = token_request(cx, &assertion).await?;
    expect_refused(cx, &second, AssertionRefusal::Replayed)
}

async fn clauth03(cx: &Cx<'_>) -> Step {
    require_private_key_jwt(cx).await?;
    let client = cx.keyed_client()?;
    let stranger = EcKey::new()?;
    let exchange = token_request(cx, &signed(&stranger, &assertion_claims(cx, &client.id, cx.issuer())?)?).await?;
    expect_refused(cx, &exchange, AssertionRefusal::BadSignature)
}

async fn clauth04(cx: &Cx<'_>) -> Step {
    require_private_key_jwt(cx).await?;
    let client = cx.keyed_client()?;
    let assertion = signed(
        &registered_key()?,
        &assertion_claims(cx, &client.id, "https://elsewhere.invalid/token")?,
    )?;
    let exchange = token_request(cx, &assertion).await?;
    expect_refused(cx, &exchange, AssertionRefusal::WrongAudience)
}

async fn clauth05(cx: &Cx<'_>) -> Step {
    require_private_key_jwt(cx).await?;
    let client = cx.keyed_client()?;
    let mut expired = assertion_claims(cx, &client.id, cx.issuer())?;
    let hour_ago = now(cx).saturating_sub(3600);
    expired["iat"] = json!(hour_ago - LIFETIME_SECS);
    expired["exp"] = json!(hour_ago);
    let exchange = token_request(cx, &signed(&registered_key()?, &expired)?).await?;
    expect_refused(cx, &exchange, AssertionRefusal::Expired)
}

async fn clauth06(cx: &Cx<'_>) -> Step {
    require_private_key_jwt(cx).await?;
    let client = cx.keyed_client()?;
    let header = json!({"alg": "none", "typ": "JWT", "kid": ASSERTION_KID});
    let unsigned = format!(
        "{}.{}.",
        idp_jose::b64::encode(header.to_string()),
        idp_jose::b64::encode(assertion_claims(cx, &client.id, cx.issuer())?.to_string())
    );
    let exchange = token_request(cx, &unsigned).await?;
    expect_refused(cx, &exchange, AssertionRefusal::AlgNotAllowed)
}

/// `claims` MACed HS256 with `secret`.
pub(crate) fn hmac_assertion(secret: &str, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        idp_jose::b64::encode(json!({"alg": "HS256", "typ": "JWT"}).to_string()),
        idp_jose::b64::encode(claims.to_string())
    );
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret.as_bytes());
    let tag = aws_lc_rs::hmac::sign(&key, input.as_bytes());
    format!("{input}.{}", idp_jose::b64::encode(tag.as_ref()))
}

async fn clauth07(cx: &Cx<'_>) -> Step {
    require_method(cx, "client_secret_jwt").await?;
    let client = cx.secret_jwt_client()?;
    let secret = crate::targets::secret(client).unwrap_or_default();
    let url = cx.endpoint(Endpoint::Token).await?;
    let assertion = hmac_assertion(secret, &assertion_claims(cx, &client.id, cx.issuer())?);
    Cx::tokens(token_request(cx, &assertion).await?)?.access_token()?;
    if !cx.provider().quirks().client_assertion.one_method_per_client {
        cx.note("the secret alone not tried: providers records no one-method rule for this provider");
        return Ok(());
    }
    let with_secret = cx
        .send(
            Req::post(url)
                .basic(&client.id, secret)
                .form(&[("grant_type", "client_credentials")]),
        )
        .await?;
    if with_secret.object().is_ok_and(|body| body.contains_key("access_token")) {
        return Err(with_secret.fail(
            Some("access_token"),
            "the secret alone authenticated a client registered for client_secret_jwt",
        ));
    }
    Ok(())
}

async fn clauth08(cx: &Cx<'_>) -> Step {
    require_private_key_jwt(cx).await?;
    let client = cx.keyed_client()?;
    let MaxLifetime::FromIssuedAt(default) = cx.provider().quirks().client_assertion.max_lifetime else {
        return Err(skip(
            "providers records no limit on an assertion's age after its iat for this provider",
        ));
    };
    let max = client.client_assertion_max_exp.unwrap_or(default);
    cx.note(format!("the client's limit: {max} s after iat"));
    let now = now(cx);
    let issued = |age: u64| -> Step<String> {
        let mut claims = assertion_claims(cx, &client.id, cx.issuer())?;
        claims["iat"] = json!(now.saturating_sub(age));
        signed(&registered_key()?, &claims)
    };
    Cx::tokens(token_request(cx, &issued(max.saturating_sub(20))?).await?)?.access_token()?;
    let stale = token_request(cx, &issued(max.saturating_add(20))?).await?;
    expect_refused(cx, &stale, AssertionRefusal::IssuedTooLongAgo)
}
