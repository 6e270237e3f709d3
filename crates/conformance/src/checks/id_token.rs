//! The ID token (OIDC Core §2, §3.1.3.6-7): IDT-01..05, IDT-09, IDT-11.

use super::{Entry, check};
use crate::cx::{AuthRequest, Cx, Tokens};
use crate::http::{Step, fail};
use crate::jose;
use serde_json::{Map, Value};

pub(super) fn entries() -> Vec<Entry> {
    vec![
        check!(
            "IDT-01",
            IdToken,
            Must,
            Strict,
            [CodeFlow],
            "OIDC Core §2",
            "iss, sub (at most 255 ASCII), aud, exp and iat are present and typed",
            idt01
        ),
        check!(
            "IDT-02",
            IdToken,
            Must,
            Strict,
            [CodeFlow],
            "OIDC Core §3.1.3.7 (2)",
            "iss is exactly the discovery issuer",
            idt02
        ),
        check!(
            "IDT-03",
            IdToken,
            Must,
            Strict,
            [CodeFlow],
            "OIDC Core §3.1.3.7 (3)",
            "aud contains the client_id",
            idt03
        ),
        check!(
            "IDT-04",
            IdToken,
            Should,
            Strict,
            [CodeFlow],
            "OIDC Core §3.1.3.7 (4)(5)",
            "with several audiences azp is present; azp is the client_id",
            idt04
        ),
        check!(
            "IDT-05",
            IdToken,
            Must,
            Strict,
            [CodeFlow],
            "OIDC Core §3.1.3.7 (6)(7)",
            "the signature verifies with a jwks_uri key and an advertised asymmetric alg",
            idt05
        ),
        check!(
            "IDT-09",
            IdToken,
            Must,
            Strict,
            [CodeFlow],
            "OIDC Core §3.1.3.7 (11)",
            "the nonce sent comes back unchanged",
            idt09
        ),
        check!(
            "IDT-11",
            IdToken,
            Must,
            Strict,
            [CodeFlow],
            "OIDC Core §3.1.3.6, §3.1.3.8",
            "at_hash, when present, is the left half of the access token's hash",
            idt11
        ),
    ]
}

const NONCE: &str = "n-0S6_WzA2Mj";

async fn id_token(cx: &Cx<'_>) -> Step<(Tokens, Map<String, Value>, Map<String, Value>)> {
    let tokens = cx.web_tokens("openid").await?;
    let jwt = tokens.id_token()?.to_owned();
    let (header, claims) = jose::decode(&jwt).map_err(|err| tokens.exchange.fail(Some("id_token"), err.to_string()))?;
    Ok((tokens, header, claims))
}

async fn idt01(cx: &Cx<'_>) -> Step {
    let (tokens, _, claims) = id_token(cx).await?;
    for (claim, ok) in [
        ("iss", claims.get("iss").is_some_and(Value::is_string)),
        (
            "sub",
            claims
                .get("sub")
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty() && s.len() <= 255 && s.is_ascii()),
        ),
        (
            "aud",
            claims.get("aud").is_some_and(|a| {
                a.is_string()
                    || a.as_array()
                        .is_some_and(|v| !v.is_empty() && v.iter().all(Value::is_string))
            }),
        ),
        ("exp", claims.get("exp").is_some_and(Value::is_number)),
        ("iat", claims.get("iat").is_some_and(Value::is_number)),
    ] {
        if !ok {
            return Err(tokens.exchange.fail(
                Some(&format!("id_token.{claim}")),
                format!("missing or mistyped: {:?}", claims.get(claim)),
            ));
        }
    }
    Ok(())
}

async fn idt02(cx: &Cx<'_>) -> Step {
    let (tokens, _, claims) = id_token(cx).await?;
    let doc = cx.discovery().await?;
    let issuer = doc.get("issuer").and_then(Value::as_str);
    if claims.get("iss").and_then(Value::as_str) != issuer || issuer != Some(cx.issuer()) {
        return Err(tokens.exchange.fail(
            Some("id_token.iss"),
            format!("expected {issuer:?}, got {:?}", claims.get("iss")),
        ));
    }
    Ok(())
}

fn audiences(claims: &Map<String, Value>) -> Vec<String> {
    match claims.get("aud") {
        Some(Value::String(aud)) => vec![aud.clone()],
        Some(Value::Array(values)) => values.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => Vec::new(),
    }
}

async fn idt03(cx: &Cx<'_>) -> Step {
    let (tokens, _, claims) = id_token(cx).await?;
    let web = cx.web()?;
    if !audiences(&claims).contains(&web.id) {
        return Err(tokens.exchange.fail(
            Some("id_token.aud"),
            format!("`{}` is not in {:?}", web.id, claims.get("aud")),
        ));
    }
    Ok(())
}

async fn idt04(cx: &Cx<'_>) -> Step {
    let (tokens, _, claims) = id_token(cx).await?;
    let web = cx.web()?;
    let azp = claims.get("azp").and_then(Value::as_str);
    if audiences(&claims).len() > 1 && azp.is_none() {
        return Err(tokens
            .exchange
            .fail(Some("id_token.azp"), "several audiences and no azp"));
    }
    if let Some(azp) = azp
        && azp != web.id
    {
        return Err(tokens
            .exchange
            .fail(Some("id_token.azp"), format!("expected `{}`, got `{azp}`", web.id)));
    }
    Ok(())
}

async fn idt05(cx: &Cx<'_>) -> Step {
    let (tokens, header, _) = id_token(cx).await?;
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or_default().to_owned();
    let doc = cx.discovery().await?;
    let advertised: Vec<&str> = doc
        .get("id_token_signing_alg_values_supported")
        .and_then(Value::as_array)
        .map(|v| v.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !advertised.contains(&alg.as_str()) {
        return Err(tokens.exchange.fail(
            Some("id_token.header.alg"),
            format!("`{alg}` is not advertised ({advertised:?})"),
        ));
    }
    let jwt = tokens.id_token()?;
    cx.verify_jwt(jwt).await.map_err(|stop| match stop {
        crate::http::Stop::Fail(mut evidence) => {
            evidence.field = Some("id_token.signature".into());
            crate::http::Stop::Fail(evidence)
        }
        other => other,
    })?;
    Ok(())
}

async fn idt09(cx: &Cx<'_>) -> Step {
    let (tokens, _, claims) = id_token(cx).await?;
    match claims.get("nonce").and_then(Value::as_str) {
        Some(NONCE) => {}
        other => {
            return Err(tokens
                .exchange
                .fail(Some("id_token.nonce"), format!("expected `{NONCE}`, got {other:?}")));
        }
    }
    let web = cx.web()?;
    let request = AuthRequest::code(web, "openid");
    let code = cx.callback(&request).await?.code()?;
    let tokens = Cx::tokens(cx.redeem(&request, &code, None).await?)?;
    let claims = jose::decode(tokens.id_token()?)
        .map_err(|err| fail(Some("id_token"), err.to_string()))?
        .1;
    if let Some(nonce) = claims.get("nonce") {
        return Err(tokens.exchange.fail(
            Some("id_token.nonce"),
            format!("no nonce was sent, yet the ID token has {nonce}"),
        ));
    }
    Ok(())
}

async fn idt11(cx: &Cx<'_>) -> Step {
    let (tokens, header, claims) = id_token(cx).await?;
    let Some(at_hash) = claims.get("at_hash") else {
        cx.note("no at_hash (optional for the code flow)");
        return Ok(());
    };
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or_default();
    let expected = idp_jose::digest::at_hash(alg, tokens.access_token()?)
        .ok_or_else(|| fail(Some("id_token.header.alg"), format!("no hash for `{alg}`")))?;
    if at_hash.as_str() != Some(expected.as_str()) {
        return Err(tokens.exchange.fail(
            Some("id_token.at_hash"),
            format!("expected `{expected}`, got {at_hash}"),
        ));
    }
    Ok(())
}
