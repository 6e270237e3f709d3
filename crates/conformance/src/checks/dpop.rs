//! DPoP (RFC 9449): DPOP-01..06, with the World's client_credentials client and ES256 proofs
//! of a key made for the run. A provider whose discovery does not advertise
//! `dpop_signing_alg_values_supported` with ES256 skips every check with that reason. Where the
//! target demands server nonces (RFC 9449 §8), the checks that need a token retry once with the
//! nonce, as clients do; DPOP-06 checks that exchange itself and skips where none is demanded.

use super::{Entry, check};
use crate::cx::dpop::{EcKey, jti, now};
use crate::cx::{Cx, Tokens};
use crate::http::{Exchange, Req, Step, skip};
use providers::dpop::DpopRefusal;
use providers::{Endpoint, ErrorKind};
use serde_json::{Value, json};

pub(super) fn entries() -> Vec<Entry> {
    vec![
        check!(
            "DPOP-01",
            Dpop,
            Must,
            Strict,
            [ClientCredentials],
            "RFC 9449 §5, §6.1",
            "a token request with a valid proof gets a DPoP token bound to the proof's key (cnf.jkt)",
            dpop01
        ),
        check!(
            "DPOP-02",
            Dpop,
            Must,
            Strict,
            [ClientCredentials],
            "RFC 9449 §4.3 (htu)",
            "a proof for another URL is refused without a token",
            dpop02
        ),
        check!(
            "DPOP-03",
            Dpop,
            Must,
            Strict,
            [ClientCredentials],
            "RFC 9449 §4.3, §11.1 (jti)",
            "a proof used a second time is refused without a token",
            dpop03
        ),
        check!(
            "DPOP-04",
            Dpop,
            Must,
            Strict,
            [ClientCredentials],
            "RFC 9449 §4.3 (iat)",
            "a proof issued an hour ago is refused without a token",
            dpop04
        ),
        check!(
            "DPOP-05",
            Dpop,
            Must,
            Strict,
            [ClientCredentials],
            "RFC 9449 §4.3 (alg)",
            "an unsigned proof (alg none) is refused without a token",
            dpop05
        ),
        check!(
            "DPOP-06",
            Dpop,
            Must,
            Strict,
            [ClientCredentials],
            "RFC 9449 §8",
            "where the server demands a nonce: use_dpop_nonce with a DPoP-Nonce header, then a token for a proof with it",
            dpop06
        ),
    ]
}

/// A token request with a proof of `key`, sent again once with a fresh proof carrying the
/// server's nonce if it asks for one (RFC 9449 §8's retry): the last answer, and the proof it
/// answered.
async fn with_nonce_retry(cx: &Cx<'_>, key: &EcKey) -> Step<(Exchange, String)> {
    let url = cx.endpoint(Endpoint::Token).await?;
    let proof = key.proof(&url, now(cx))?;
    let first = token_request(cx, &proof).await?;
    let Some(nonce) = demanded_nonce(&first) else {
        return Ok((first, proof));
    };
    let proof = key.proof_with_nonce(&url, now(cx), &nonce)?;
    Ok((token_request(cx, &proof).await?, proof))
}

/// The tokens of a successful answer whose `token_type` is DPoP.
fn dpop_tokens(exchange: Exchange) -> Step<Tokens> {
    let tokens = Cx::tokens(exchange)?;
    if !tokens
        .str("token_type")
        .is_some_and(|kind| kind.eq_ignore_ascii_case("dpop"))
    {
        return Err(tokens.exchange.fail(
            Some("token_type"),
            format!("expected DPoP, got {:?}", tokens.str("token_type")),
        ));
    }
    Ok(tokens)
}

/// The nonce of a `use_dpop_nonce` answer (its `DPoP-Nonce` header).
fn demanded_nonce(exchange: &Exchange) -> Option<String> {
    if exchange.error_code().as_deref() != Some("use_dpop_nonce") {
        return None;
    }
    exchange.header("dpop-nonce").map(str::to_owned)
}

/// Skips unless discovery advertises DPoP with ES256.
async fn require_dpop(cx: &Cx<'_>) -> Step {
    let doc = cx.discovery().await?;
    let advertised = doc
        .get("dpop_signing_alg_values_supported")
        .and_then(Value::as_array)
        .is_some_and(|algs| algs.iter().any(|alg| alg.as_str() == Some("ES256")));
    if advertised {
        Ok(())
    } else {
        Err(skip(
            "discovery does not advertise DPoP with ES256 (dpop_signing_alg_values_supported)",
        ))
    }
}

/// A client_credentials request of the World's service client with `proof` as its `DPoP` header.
async fn token_request(cx: &Cx<'_>, proof: &str) -> Step<Exchange> {
    let url = cx.endpoint(Endpoint::Token).await?;
    let (auth, extra) = Cx::client_auth(cx.service()?);
    cx.send(
        Req::post(url)
            .auth(auth)
            .form(&[("grant_type", "client_credentials")])
            .form(&extra)
            .header("DPoP", proof),
    )
    .await
}

/// Expects `refusal` answered as RFC 9449 §5 says (400 `invalid_dpop_proof`) or as the
/// provider documents it, with no token.
fn expect_refused(cx: &Cx<'_>, exchange: &Exchange, refusal: DpopRefusal) -> Step {
    if exchange.object().is_ok_and(|body| body.contains_key("access_token")) {
        return Err(exchange.fail(Some("access_token"), "a token was issued for a refused proof"));
    }
    cx.expect_error(
        exchange,
        &ErrorKind::Dpop(refusal.clone()),
        &[400],
        &["invalid_dpop_proof"],
    )?;
    // A provider whose own words `providers` records (Keycloak) must use exactly them.
    if let Some(facts) = providers::dpop::facts(cx.provider())
        && facts.style == providers::dpop::DpopStyle::Keycloak
    {
        let (_, _, documented) = facts.text(&refusal);
        let said = exchange
            .object()
            .ok()
            .and_then(|body| body.get("error_description").and_then(Value::as_str).map(str::to_owned));
        if said.as_deref() != Some(documented.as_str()) {
            return Err(exchange.fail(
                Some("error_description"),
                format!("expected {documented:?} as providers documents it, got {said:?}"),
            ));
        }
    }
    Ok(())
}

async fn dpop01(cx: &Cx<'_>) -> Step {
    require_dpop(cx).await?;
    let key = EcKey::new()?;
    let (exchange, _) = with_nonce_retry(cx, &key).await?;
    let tokens = dpop_tokens(exchange)?;
    let (_, claims) = cx.verify_jwt(tokens.access_token()?).await?;
    let jkt = claims.get("cnf").and_then(|cnf| cnf.get("jkt")).and_then(Value::as_str);
    if jkt != key.jkt().as_deref() {
        return Err(tokens.exchange.fail(
            Some("access_token.cnf.jkt"),
            format!("expected the proof key's thumbprint {:?}, got {jkt:?}", key.jkt()),
        ));
    }
    Ok(())
}

async fn dpop02(cx: &Cx<'_>) -> Step {
    require_dpop(cx).await?;
    let key = EcKey::new()?;
    let url = cx.endpoint(Endpoint::Token).await?;
    let exchange = token_request(cx, &key.proof(&format!("{url}/elsewhere"), now(cx))?).await?;
    expect_refused(cx, &exchange, DpopRefusal::Htu)
}

async fn dpop03(cx: &Cx<'_>) -> Step {
    require_dpop(cx).await?;
    let key = EcKey::new()?;
    let (first, proof) = with_nonce_retry(cx, &key).await?;
    Cx::tokens(first)?;
    let second = token_request(cx, &proof).await?;
    expect_refused(cx, &second, DpopRefusal::Replayed)
}

async fn dpop04(cx: &Cx<'_>) -> Step {
    require_dpop(cx).await?;
    let key = EcKey::new()?;
    let url = cx.endpoint(Endpoint::Token).await?;
    let exchange = token_request(cx, &key.proof(&url, now(cx).saturating_sub(3600))?).await?;
    expect_refused(cx, &exchange, DpopRefusal::NotActive)
}

async fn dpop05(cx: &Cx<'_>) -> Step {
    require_dpop(cx).await?;
    let key = EcKey::new()?;
    let url = cx.endpoint(Endpoint::Token).await?;
    let header = json!({"typ": "dpop+jwt", "alg": "none", "jwk": key.jwk()});
    let claims = json!({"jti": jti()?, "htm": "POST", "htu": url, "iat": now(cx)});
    let unsigned = format!(
        "{}.{}.",
        idp_jose::b64::encode(header.to_string()),
        idp_jose::b64::encode(claims.to_string())
    );
    let exchange = token_request(cx, &unsigned).await?;
    expect_refused(cx, &exchange, DpopRefusal::UnsupportedAlg("none".into()))
}

async fn dpop06(cx: &Cx<'_>) -> Step {
    require_dpop(cx).await?;
    let key = EcKey::new()?;
    let url = cx.endpoint(Endpoint::Token).await?;
    let first = token_request(cx, &key.proof(&url, now(cx))?).await?;
    if first.object().is_ok_and(|body| body.contains_key("access_token")) {
        return Err(skip(
            "the target demands no DPoP nonce (a proof without one got a token)",
        ));
    }
    if first.error_code().as_deref() != Some("use_dpop_nonce") {
        return Err(first.fail(
            Some("error"),
            format!("expected a token or use_dpop_nonce, got {:?}", first.error_code()),
        ));
    }
    first.expect_status(400)?;
    let Some(nonce) = demanded_nonce(&first) else {
        return Err(first.fail(Some("DPoP-Nonce"), "use_dpop_nonce without a DPoP-Nonce header"));
    };
    let retry = token_request(cx, &key.proof_with_nonce(&url, now(cx), &nonce)?).await?;
    dpop_tokens(retry).map(|_| ())
}
