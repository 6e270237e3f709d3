//! The token endpoint (RFC 6749 §2.3, §3.2, §4, §5): TOK-01..17.

use super::{Entry, check};
use crate::cx::{AuthRequest, Cx};
use crate::http::{Auth, Exchange, Req, Step};
use crate::targets::TargetKind;
use crate::targets::secret;
use mock_idp::Endpoint;
use providers::{ErrorKind, GrantType};
use serde_json::Value;

pub(super) fn entries() -> Vec<Entry> {
    vec![
        check!(
            "TOK-01",
            Token,
            Must,
            Strict,
            [ClientCredentials],
            "RFC 6749 §3.2",
            "a GET to the token endpoint is refused and issues no token",
            tok01
        ),
        check!(
            "TOK-02",
            Token,
            Must,
            Strict,
            [CodeFlow],
            "RFC 6749 §5.1; OIDC Core §3.1.3.3",
            "a code grant answers 200 JSON with a Bearer token, expires_in, id_token and no-store",
            tok02
        ),
        check!(
            "TOK-03",
            Token,
            Must,
            Strict,
            [CodeFlow],
            "RFC 6749 §5.2",
            "an invalid request answers 400 JSON with an RFC error code and a well-formed description",
            tok03
        ),
        check!(
            "TOK-04",
            Token,
            Must,
            Warn,
            [ClientCredentials],
            "RFC 6749 §5.2",
            "a wrong secret by client_secret_basic answers 401 invalid_client with WWW-Authenticate Basic",
            tok04
        ),
        check!(
            "TOK-05",
            Token,
            Must,
            Strict,
            [ClientCredentials],
            "RFC 6749 §5.2",
            "a wrong secret by post, an unknown client or no authentication answers invalid_client",
            tok05
        ),
        check!(
            "TOK-06",
            Token,
            Must,
            Warn,
            [ClientCredentials],
            "RFC 6749 §2.3",
            "two client authentication methods at once answer 400 invalid_request",
            tok06
        ),
        check!(
            "TOK-07",
            Token,
            Must,
            Warn,
            [ClientCredentials],
            "RFC 6749 §3.1, §3.2",
            "a repeated parameter answers 400 invalid_request",
            tok07
        ),
        check!(
            "TOK-08",
            Token,
            Must,
            Strict,
            [ClientCredentials],
            "RFC 6749 §3.2",
            "an unknown parameter is ignored",
            tok08
        ),
        check!(
            "TOK-09",
            Token,
            Must,
            Strict,
            [CodeFlow],
            "RFC 6749 §5.2",
            "an unknown grant answers unsupported_grant_type; a grant the client may not use answers unauthorized_client",
            tok09
        ),
        check!(
            "TOK-10",
            Token,
            Must,
            Strict,
            [ClientCredentials],
            "RFC 6749 §3.3, §5.2",
            "a scope outside the client's allowance is refused with invalid_scope or not granted",
            tok10
        ),
        check!(
            "TOK-11",
            Token,
            Must,
            Strict,
            [EncodedCredentials],
            "RFC 6749 §2.3.1",
            "Basic credentials are form-urldecoded: an id and secret with `:`, `%`, `+`, space or non-ASCII authenticate",
            tok11
        ),
        check!(
            "TOK-12",
            Token,
            Must,
            Strict,
            [CodeFlow],
            "RFC 6749 §4.1.2, §10.5",
            "a code used twice answers invalid_grant (and the first token should be revoked)",
            tok12
        ),
        check!(
            "TOK-13",
            Token,
            Must,
            Strict,
            [CodeFlow, MockControl],
            "RFC 6749 §4.1.2",
            "an expired code answers invalid_grant",
            tok13
        ),
        check!(
            "TOK-14",
            Token,
            Must,
            Strict,
            [CodeFlow, PublicClient],
            "RFC 6749 §4.1.3",
            "a code redeemed by another client answers invalid_grant",
            tok14
        ),
        check!(
            "TOK-15",
            Token,
            Must,
            Strict,
            [CodeFlow],
            "RFC 6749 §4.1.3",
            "a missing or different redirect_uri answers invalid_grant",
            tok15
        ),
        check!(
            "TOK-16",
            Token,
            Must,
            Warn,
            [CodeFlow],
            "RFC 6749 §10.10",
            "codes and opaque tokens carry at least 128 bits of entropy",
            tok16
        ),
        check!(
            "TOK-17",
            Token,
            Should,
            Strict,
            [ClientCredentials],
            "RFC 6749 §4.4.3",
            "client credentials issue no refresh token",
            tok17
        ),
    ]
}

/// RFC 6749 §5.2 error codes.
pub(crate) const TOKEN_ERRORS: &[&str] = &[
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
];

/// `error_description` charset of RFC 6749 §5.2.
pub(crate) fn description_ok(text: &str) -> bool {
    idp_jose::description::is_valid(text)
}

async fn tok01(cx: &Cx<'_>) -> Step {
    let service = cx.service()?;
    let url = cx.endpoint(Endpoint::Token).await?;
    let secret = secret(service).unwrap_or_default();
    let exchange = cx
        .send(
            Req::get(url)
                .basic(&service.id, secret)
                .form(&[("grant_type", "client_credentials")]),
        )
        .await?;
    Cx::expect_no_token(&exchange)?;
    if exchange.status == 405 {
        return Ok(());
    }
    cx.expect_error(
        &exchange,
        &ErrorKind::MethodNotAllowed,
        &[400, 405],
        &["invalid_request"],
    )
}

async fn tok02(cx: &Cx<'_>) -> Step {
    let tokens = cx.web_tokens("openid").await?;
    let exchange = &tokens.exchange;
    let content_type = exchange.header("content-type").unwrap_or_default();
    if !content_type.to_ascii_lowercase().starts_with("application/json") {
        return Err(exchange.fail(
            Some("Content-Type"),
            format!("expected application/json, got `{content_type}`"),
        ));
    }
    match tokens.str("token_type") {
        Some(t) if t.eq_ignore_ascii_case("bearer") => {}
        other => return Err(exchange.fail(Some("token_type"), format!("expected Bearer, got {other:?}"))),
    }
    match tokens.body.get("expires_in") {
        None => cx.note("no expires_in (RECOMMENDED)"),
        Some(value) if value.as_u64().is_some_and(|n| n > 0) => {}
        Some(value) => return Err(exchange.fail(Some("expires_in"), format!("not a positive integer: {value}"))),
    }
    tokens.id_token()?;
    if !exchange.no_store() {
        return Err(exchange.fail(
            Some("Cache-Control"),
            format!("expected no-store, got {:?}", exchange.header("cache-control")),
        ));
    }
    if !exchange
        .header("pragma")
        .is_some_and(|p| p.eq_ignore_ascii_case("no-cache"))
    {
        cx.note("no `Pragma: no-cache`");
    }
    Ok(())
}

/// Checks the shape of an error answer: JSON, RFC code, description charset, error_uri, no-store.
pub(crate) fn error_shape(cx: &Cx<'_>, exchange: &Exchange) -> Step {
    let body = exchange.object()?;
    let code = body.get("error").and_then(Value::as_str).unwrap_or_default();
    if !TOKEN_ERRORS.contains(&code) {
        return Err(exchange.fail(Some("error"), format!("`{code}` is not an RFC 6749 §5.2 code")));
    }
    if let Some(description) = body.get("error_description")
        && !description.as_str().is_some_and(description_ok)
    {
        return Err(exchange.fail(
            Some("error_description"),
            "characters outside %x20-21 / %x23-5B / %x5D-7E",
        ));
    }
    if let Some(uri) = body.get("error_uri")
        && uri.as_str().is_none_or(|u| url::Url::parse(u).is_err())
    {
        return Err(exchange.fail(Some("error_uri"), "not a URI"));
    }
    if !exchange.no_store() {
        cx.note("the error answer has no `Cache-Control: no-store`");
    }
    Ok(())
}

async fn tok03(cx: &Cx<'_>) -> Step {
    let web = cx.web()?;
    let request = AuthRequest::code(web, "openid");
    let exchange = cx.redeem(&request, "not-a-code-0123456789", None).await?;
    Cx::expect_no_token(&exchange)?;
    cx.expect_error(&exchange, &ErrorKind::InvalidCode, &[400], &["invalid_grant"])?;
    error_shape(cx, &exchange)
}

async fn tok04(cx: &Cx<'_>) -> Step {
    let service = cx.service()?;
    let url = cx.endpoint(Endpoint::Token).await?;
    let exchange = cx
        .send(
            Req::post(url)
                .basic(&service.id, "wrong-secret")
                .form(&[("grant_type", "client_credentials")]),
        )
        .await?;
    Cx::expect_no_token(&exchange)?;
    cx.expect_error(
        &exchange,
        &ErrorKind::BadClientSecret { basic: true },
        &[401],
        &["invalid_client"],
    )?;
    let challenge = exchange.header("www-authenticate").unwrap_or_default();
    if !challenge.to_ascii_lowercase().starts_with("basic") {
        let documented =
            cx.provider()
                .error_response(&ErrorKind::BadClientSecret { basic: true }, "", cx.target.realm_name());
        if documented.www_authenticate.is_none() && challenge.is_empty() {
            cx.note(format!(
                "{} sends no WWW-Authenticate, as documented in providers",
                cx.provider()
            ));
            return Ok(());
        }
        return Err(exchange.fail(
            Some("WWW-Authenticate"),
            format!("expected a Basic challenge, got `{challenge}`"),
        ));
    }
    Ok(())
}

async fn tok05(cx: &Cx<'_>) -> Step {
    let service = cx.service()?;
    let url = cx.endpoint(Endpoint::Token).await?;
    let cases: [(ErrorKind, Vec<(&str, &str)>); 3] = [
        (
            ErrorKind::BadClientSecret { basic: false },
            vec![("client_id", service.id.as_str()), ("client_secret", "wrong-secret")],
        ),
        (
            ErrorKind::UnknownClient { basic: false },
            vec![("client_id", "no-such-client-x"), ("client_secret", "whatever")],
        ),
        (ErrorKind::MissingClientAuth, vec![("client_id", service.id.as_str())]),
    ];
    for (kind, auth) in cases {
        let exchange = cx
            .send(
                Req::post(url.as_str())
                    .form(&[("grant_type", "client_credentials")])
                    .form(&auth),
            )
            .await?;
        Cx::expect_no_token(&exchange)?;
        cx.expect_error(&exchange, &kind, &[400, 401], &["invalid_client"])?;
    }
    Ok(())
}

async fn tok06(cx: &Cx<'_>) -> Step {
    let service = cx.service()?;
    let secret = secret(service).unwrap_or_default();
    let url = cx.endpoint(Endpoint::Token).await?;
    let exchange = cx
        .send(Req::post(url).basic(&service.id, secret).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", service.id.as_str()),
            ("client_secret", secret),
        ]))
        .await?;
    if cx.provider().flavor().quirks().accepts_repeated_client_credentials && exchange.status == 200 {
        // A documented deviation (providers: Keycloak accepts the same credentials twice).
        cx.note(format!(
            "{} accepts the same client credentials as Basic and in the body, as documented in providers (spec: 400 invalid_request)",
            cx.provider()
        ));
        return Ok(());
    }
    Cx::expect_no_token(&exchange)?;
    cx.expect_error(
        &exchange,
        &ErrorKind::MultipleClientAuthMethods,
        &[400],
        &["invalid_request"],
    )
}

async fn tok07(cx: &Cx<'_>) -> Step {
    let service = cx.service()?;
    let exchange = cx
        .token_request(
            service,
            &[
                ("grant_type", "client_credentials"),
                ("grant_type", "client_credentials"),
            ],
        )
        .await?;
    Cx::expect_no_token(&exchange)?;
    cx.expect_error(&exchange, &ErrorKind::MalformedRequest, &[400], &["invalid_request"])
}

async fn tok08(cx: &Cx<'_>) -> Step {
    let service = cx.service()?;
    let exchange = cx
        .token_request(
            service,
            &[("grant_type", "client_credentials"), ("x_unknown_parameter", "1")],
        )
        .await?;
    Cx::tokens(exchange).map(drop)
}

async fn tok09(cx: &Cx<'_>) -> Step {
    let web = cx.web()?;
    let exchange = cx
        .token_request(web, &[("grant_type", "urn:example:no-such-grant")])
        .await?;
    Cx::expect_no_token(&exchange)?;
    cx.expect_error(
        &exchange,
        &ErrorKind::UnsupportedGrantType {
            grant: "urn:example:no-such-grant".into(),
        },
        &[400],
        &["unsupported_grant_type"],
    )?;
    let refused = [GrantType::ClientCredentials, GrantType::Password]
        .into_iter()
        .find(|grant| !web.allows(*grant) && cx.provider().flavor().quirks().grant_types.contains(grant));
    let Some(grant) = refused else {
        cx.note("unauthorized_client not checked: the code-flow client may use every grant the provider has");
        return Ok(());
    };
    let user = cx.user()?;
    let mut params = vec![("grant_type", grant.as_str())];
    if grant == GrantType::Password {
        params.extend([
            ("username", user.username.as_str()),
            ("password", user.password.expose()),
        ]);
    }
    let exchange = cx.token_request(web, &params).await?;
    Cx::expect_no_token(&exchange)?;
    cx.expect_error(
        &exchange,
        &ErrorKind::UnauthorizedGrant { grant },
        &[400],
        &["unauthorized_client"],
    )
}

async fn tok10(cx: &Cx<'_>) -> Step {
    let service = cx.service()?;
    let scope = "no-such-scope-x";
    let exchange = cx
        .token_request(service, &[("grant_type", "client_credentials"), ("scope", scope)])
        .await?;
    if exchange.status == 200 {
        let body = exchange.object()?;
        let granted = body.get("scope").and_then(Value::as_str).unwrap_or_default();
        if granted.split(' ').any(|s| s == scope) {
            return Err(exchange.fail(Some("scope"), format!("the unknown scope `{scope}` was granted")));
        }
        cx.note("the unknown scope was ignored rather than refused (RFC 6749 §3.3 allows it)");
        return Ok(());
    }
    cx.expect_error(&exchange, &ErrorKind::InvalidScope, &[400], &["invalid_scope"])
}

async fn tok11(cx: &Cx<'_>) -> Step {
    let client = cx.encoded_client()?;
    let secret = secret(client).unwrap_or_default();
    let url = cx.endpoint(Endpoint::Token).await?;
    let credentials_grant = |auth: Auth| {
        Req::post(url.as_str())
            .auth(auth)
            .form(&[("grant_type", "client_credentials")])
    };
    let encoded = cx
        .send(credentials_grant(Auth::Basic(client.id.clone(), secret.to_owned())))
        .await?;
    if encoded.status != 200 {
        return Err(encoded.fail(
            None,
            format!(
                "form-urlencoded Basic credentials of `{}` were refused with {}",
                client.id, encoded.status
            ),
        ));
    }
    Cx::tokens(encoded)?;
    let raw = cx
        .send(credentials_grant(Auth::RawBasic(client.id.clone(), secret.to_owned())))
        .await?;
    if cx.target.kind() == TargetKind::Mock {
        // The mock always form-urldecodes (docs/conformance.md, TOK-11), so credentials that
        // decoding changes are refused as an unknown client, in the provider's error shape.
        cx.expect_error(
            &raw,
            &ErrorKind::UnknownClient { basic: true },
            &[401],
            &["invalid_client"],
        )?;
    } else {
        cx.note(format!(
            "credentials sent without form-urlencoding answered {} {}",
            raw.status,
            raw.error_code().unwrap_or_else(|| "(no error code)".into())
        ));
    }
    Ok(())
}

async fn tok12(cx: &Cx<'_>) -> Step {
    let web = cx.web()?;
    let request = AuthRequest::code(web, "openid");
    let code = cx.callback(&request).await?.code()?;
    let first = Cx::tokens(cx.redeem(&request, &code, None).await?)?;
    let second = cx.redeem(&request, &code, None).await?;
    Cx::expect_no_token(&second)?;
    cx.expect_error(&second, &ErrorKind::InvalidCode, &[400], &["invalid_grant"])?;
    cx.note("the 30-second replay variant is not run");
    if let Ok(exchange) = cx.introspect(&[("token", first.access_token()?)]).await
        && exchange.json().and_then(|v| v.get("active").cloned()) == Some(Value::Bool(true))
    {
        cx.note("SHOULD: the access token of the first redemption is still active after the replay");
    }
    Ok(())
}

async fn tok13(cx: &Cx<'_>) -> Step {
    let web = cx.web()?;
    let lifetime = cx.target.realm().map(|r| r.lifetimes.authorization_code).unwrap_or(600);
    let request = AuthRequest::code(web, "openid");
    let code = cx.callback(&request).await?.code()?;
    cx.advance_clock(lifetime + 1)?;
    let exchange = cx.redeem(&request, &code, None).await?;
    Cx::expect_no_token(&exchange)?;
    cx.expect_error(&exchange, &ErrorKind::InvalidCode, &[400], &["invalid_grant"])
}

async fn tok14(cx: &Cx<'_>) -> Step {
    let web = cx.web()?;
    let spa = cx.spa()?;
    let request = AuthRequest::code(web, "openid");
    let code = cx.callback(&request).await?.code()?;
    let other = AuthRequest::code(spa, "openid").set("redirect_uri", Some(&request.redirect_uri));
    let exchange = cx.redeem(&other, &code, Some(crate::cx::RFC7636_VERIFIER)).await?;
    Cx::expect_no_token(&exchange)?;
    cx.expect_error(&exchange, &ErrorKind::InvalidCode, &[400], &["invalid_grant"])
}

async fn tok15(cx: &Cx<'_>) -> Step {
    let web = cx.web()?;
    let request = AuthRequest::code(web, "openid");
    let other_uri = web
        .redirect_uris
        .iter()
        .find(|uri| **uri != request.redirect_uri)
        .cloned()
        .unwrap_or_else(|| format!("{}-other", request.redirect_uri));
    for redirect_uri in [None, Some(other_uri.as_str())] {
        let code = cx.callback(&request).await?.code()?;
        let mut params = vec![("grant_type", "authorization_code"), ("code", code.as_str())];
        if let Some(uri) = redirect_uri {
            params.push(("redirect_uri", uri));
        }
        let exchange = cx.token_request(web, &params).await?;
        Cx::expect_no_token(&exchange)?;
        if redirect_uri.is_none() && cx.provider().flavor().quirks().token_redirect_uri_required {
            let detail = format!("{}redirect_uri", providers::MISSING_PARAMETER);
            cx.expect_error_detail(
                &exchange,
                &ErrorKind::MissingParameter {
                    name: "redirect_uri".into(),
                },
                &detail,
                &[400],
                &["invalid_grant"],
            )?;
        } else {
            cx.expect_error(&exchange, &ErrorKind::RedirectUriMismatch, &[400], &["invalid_grant"])?;
        }
    }
    Ok(())
}

/// Estimated entropy of a random-looking string: length × log2(alphabet of its character classes).
pub(crate) fn entropy_bits(text: &str) -> f64 {
    let classes = [
        (text.bytes().any(|b| b.is_ascii_lowercase()), 26.0),
        (text.bytes().any(|b| b.is_ascii_uppercase()), 26.0),
        (text.bytes().any(|b| b.is_ascii_digit()), 10.0),
        (text.bytes().any(|b| !b.is_ascii_alphanumeric()), 4.0),
    ];
    let alphabet: f64 = classes
        .iter()
        .filter(|(present, _)| *present)
        .map(|(_, size)| size)
        .sum();
    if text.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-' || b == b'.') {
        // hex (UUIDs): 4 bits per hex digit
        return text.bytes().filter(u8::is_ascii_hexdigit).count() as f64 * 4.0;
    }
    text.len() as f64 * alphabet.max(1.0).log2()
}

async fn tok16(cx: &Cx<'_>) -> Step {
    let web = cx.web()?;
    let request = AuthRequest::code(web, "openid");
    let callback = cx.callback(&request).await?;
    let code = callback.code()?;
    let bits = entropy_bits(&code);
    if bits < 128.0 {
        return Err(callback.exchange.fail(
            Some("code"),
            format!("about {bits:.0} bits of entropy (`{code}`), at least 128 needed"),
        ));
    }
    let tokens = Cx::tokens(cx.redeem(&request, &code, None).await?)?;
    for name in ["access_token", "refresh_token"] {
        if let Some(token) = tokens.str(name).filter(|t| t.split('.').count() != 3) {
            let bits = entropy_bits(token);
            if bits < 128.0 {
                return Err(tokens.exchange.fail(
                    Some(name),
                    format!("an opaque token with about {bits:.0} bits of entropy"),
                ));
            }
        }
    }
    Ok(())
}

async fn tok17(cx: &Cx<'_>) -> Step {
    let tokens = cx.service_tokens().await?;
    if tokens.body.contains_key("refresh_token") {
        return Err(tokens.exchange.fail(
            Some("refresh_token"),
            "a refresh token was issued for client credentials",
        ));
    }
    Ok(())
}
