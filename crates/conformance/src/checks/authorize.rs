//! The authorization endpoint (RFC 6749 §3.1, §4.1; OIDC Core §3.1.2): AUTHZ-01..07, 09..11.

use super::{Entry, check};
use crate::checks::token::description_ok;
use crate::cx::{AuthRequest, Callback, Cx};
use crate::http::{Exchange, Jar, Req, Step, skip};
use mock_idp::Endpoint;

pub(super) fn entries() -> Vec<Entry> {
    vec![
        check!(
            "AUTHZ-01",
            Authorize,
            Must,
            Strict,
            [CodeFlow],
            "RFC 6749 §4.1.2; RFC 9207 §2",
            "the redirect carries code and the exact state in the query, and iss when advertised",
            authz01
        ),
        check!(
            "AUTHZ-02",
            Authorize,
            Must,
            Strict,
            [CodeFlow],
            "RFC 6749 §4.1.2.1",
            "no response_type gives an error redirect or page",
            authz02
        ),
        check!(
            "AUTHZ-03",
            Authorize,
            Must,
            Strict,
            [CodeFlow],
            "RFC 6749 §3.1.2.4, §4.1.2.1",
            "an unregistered redirect_uri gives an error page, never a redirect there",
            authz03
        ),
        check!(
            "AUTHZ-04",
            Authorize,
            Must,
            Strict,
            [CodeFlow],
            "OIDC Core §3.1.2.1",
            "no redirect_uri (client with several) gives an error page",
            authz04
        ),
        check!(
            "AUTHZ-05",
            Authorize,
            Must,
            Strict,
            [CodeFlow],
            "OIDC Core §3.1.2.1; RFC 9700 §4.1.3",
            "redirect_uri is compared by exact string match",
            authz05
        ),
        check!(
            "AUTHZ-06",
            Authorize,
            Must,
            Strict,
            [CodeFlow],
            "RFC 6749 §3.1, §3.3; OIDC Core §3.1.2.1",
            "unknown parameters, reordered scopes and a POST succeed",
            authz06
        ),
        check!(
            "AUTHZ-07",
            Authorize,
            Must,
            Strict,
            [CodeFlow],
            "OIDC Core §3.1.2.6",
            "prompt=none answers login_required without a session and a code with one",
            authz07
        ),
        check!(
            "AUTHZ-08",
            Authorize,
            Must,
            Strict,
            [CodeFlow],
            "OIDC Core §3.1.2.1, §2",
            "prompt=login and an exceeded max_age force a new login (later auth_time); a generous max_age does not",
            authz08
        ),
        check!(
            "AUTHZ-09",
            Authorize,
            Must,
            Strict,
            [CodeFlow],
            "OIDC Core §3.2.2.1, §3.3.2.11",
            "the code flow works without nonce; an implicit request without nonce is refused",
            authz09
        ),
        check!(
            "AUTHZ-10",
            Authorize,
            Must,
            Strict,
            [CodeFlow],
            "OIDC Core §15.1",
            "display, ui_locales, claims_locales, login_hint, acr_values and id_token_hint cause no error",
            authz10
        ),
        check!(
            "AUTHZ-11",
            Authorize,
            Must,
            Strict,
            [CodeFlow],
            "RFC 6749 §4.1.2.1; OIDC Core §3.1.2.6",
            "error redirects use a known code, echo state, carry no code and a well-formed description",
            authz11
        ),
    ]
}

const AUTHZ_ERRORS: &[&str] = &[
    "invalid_request",
    "unauthorized_client",
    "access_denied",
    "unsupported_response_type",
    "invalid_scope",
    "server_error",
    "temporarily_unavailable",
    "login_required",
    "consent_required",
    "interaction_required",
    "account_selection_required",
    "invalid_request_uri",
    "invalid_request_object",
    "request_not_supported",
    "request_uri_not_supported",
    "registration_not_supported",
];

async fn authz01(cx: &Cx<'_>) -> Step {
    let web = cx.web()?;
    let state = "s t+a/t=e&1%~";
    let request = AuthRequest::code(web, "openid").set("state", Some(state));
    let callback = cx.callback(&request).await?;
    callback.code()?;
    if callback.param("state").as_deref() != Some(state) {
        return Err(callback.exchange.fail(
            Some("state"),
            format!("expected `{state}`, got {:?}", callback.param("state")),
        ));
    }
    if callback.url.fragment().is_some_and(|f| f.contains("code=")) {
        return Err(callback.exchange.fail(Some("code"), "the code is in the fragment"));
    }
    let doc = cx.discovery().await?;
    let advertised = doc.get("authorization_response_iss_parameter_supported") == Some(&serde_json::Value::Bool(true));
    match callback.param("iss") {
        Some(iss) if iss != cx.issuer() => Err(callback
            .exchange
            .fail(Some("iss"), format!("expected `{}`, got `{iss}`", cx.issuer()))),
        None if advertised => Err(callback.exchange.fail(Some("iss"), "advertised but absent")),
        _ => Ok(()),
    }
}

/// Expects an error redirect to the client (`codes`) or a 4xx page; never a code.
/// A parameter of the authorization response: from the query, else from the fragment (where
/// `token` and `id_token` response types answer, errors included: OAuth 2.0 Multiple Response
/// Type Encoding Practices §5; Keycloak does so for a refused implicit request).
fn response_param(callback: &Callback, name: &str) -> Option<String> {
    callback.param(name).or_else(|| {
        let fragment = callback.url.fragment()?;
        url::form_urlencoded::parse(fragment.as_bytes())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    })
}

fn refused(answer: &Result<Callback, Exchange>, codes: &[&str]) -> Step {
    match answer {
        Ok(callback) => {
            if response_param(callback, "code").is_some() {
                return Err(callback
                    .exchange
                    .fail(Some("code"), "a code was issued for a request that must be refused"));
            }
            match response_param(callback, "error") {
                Some(error) if codes.contains(&error.as_str()) => Ok(()),
                other => Err(callback
                    .exchange
                    .fail(Some("error"), format!("expected one of {codes:?}, got {other:?}"))),
            }
        }
        Err(exchange) if (400..500).contains(&exchange.status) => Ok(()),
        Err(exchange) => Err(exchange.fail(None, "neither an error redirect nor a 4xx error page")),
    }
}

/// Expects an error page: a 4xx, and no redirect to `uri`.
fn error_page(answer: &Result<Callback, Exchange>, uri: &str) -> Step {
    match answer {
        Ok(callback) => Err(callback
            .exchange
            .fail(Some("redirect_uri"), format!("redirected to `{}`", callback.url))),
        Err(exchange) => {
            if let Some(location) = exchange.location()
                && location.as_str().starts_with(uri)
            {
                return Err(exchange.fail(Some("Location"), format!("redirected to the untrusted `{location}`")));
            }
            if !(400..500).contains(&exchange.status) {
                return Err(exchange.fail(None, format!("expected a 4xx error page, got {}", exchange.status)));
            }
            Ok(())
        }
    }
}

async fn authz02(cx: &Cx<'_>) -> Step {
    let web = cx.web()?;
    let user = cx.user()?;
    let request = AuthRequest::code(web, "openid").set("response_type", None);
    let answer = cx.authorize(&request, Some(user), Jar::default()).await?;
    refused(&answer, &["invalid_request", "unsupported_response_type"])
}

async fn authz03(cx: &Cx<'_>) -> Step {
    let web = cx.web()?;
    let user = cx.user()?;
    let evil = "https://evil.example/callback";
    let request = AuthRequest::code(web, "openid").set("redirect_uri", Some(evil));
    let answer = cx.authorize(&request, Some(user), Jar::default()).await?;
    error_page(&answer, evil)
}

async fn authz04(cx: &Cx<'_>) -> Step {
    let web = cx.web()?;
    if web.redirect_uris.len() < 2 {
        return Err(skip("the code-flow client has a single redirect URI"));
    }
    let user = cx.user()?;
    let mut request = AuthRequest::code(web, "openid").set("redirect_uri", None);
    request.redirect_uri = web.redirect_uris.first().cloned().unwrap_or_default();
    let answer = cx.authorize(&request, Some(user), Jar::default()).await?;
    match &answer {
        Ok(callback) => Err(callback.exchange.fail(
            Some("redirect_uri"),
            format!("redirected to `{}` without a redirect_uri", callback.url),
        )),
        Err(_) => error_page(&answer, "-"),
    }
}

fn variants(uri: &str) -> Vec<String> {
    let Ok(url) = url::Url::parse(uri) else {
        return Vec::new();
    };
    let mut out = vec![
        format!("{uri}?x=1"),
        format!("{uri}/"),
        format!("{uri}/extra"),
        format!("{uri}#frag"),
    ];
    let path = url.path();
    if path.chars().any(|c| c.is_ascii_lowercase()) {
        out.push(uri.replacen(path, &path.to_ascii_uppercase(), 1));
    }
    let other_scheme = if url.scheme() == "https" { "http" } else { "https" };
    out.push(format!("{other_scheme}{}", &uri[url.scheme().len()..]));
    if let Some(host) = url.host_str() {
        out.push(uri.replacen(&format!("://{host}"), &format!("://good@{host}"), 1));
    }
    out
}

async fn authz05(cx: &Cx<'_>) -> Step {
    let web = cx.web()?;
    let user = cx.user()?;
    let registered = web.redirect_uris.first().cloned().unwrap_or_default();
    for variant in variants(&registered) {
        let request = AuthRequest::code(web, "openid").set("redirect_uri", Some(&variant));
        let answer = cx.authorize(&request, Some(user), Jar::default()).await?;
        match &answer {
            Ok(callback) => {
                return Err(callback
                    .exchange
                    .fail(Some("redirect_uri"), format!("the variant `{variant}` was accepted")));
            }
            Err(exchange) => {
                if exchange
                    .location()
                    .is_some_and(|l| l.as_str().starts_with(variant.trim_end_matches(['/', '#'])))
                    || !(400..500).contains(&exchange.status)
                {
                    return Err(exchange.fail(
                        Some("redirect_uri"),
                        format!("the variant `{variant}` was not refused with an error page"),
                    ));
                }
            }
        }
    }
    Ok(())
}

async fn authz06(cx: &Cx<'_>) -> Step {
    let web = cx.web()?;
    let request = AuthRequest::code(web, "email openid profile").set("x_unknown_parameter", Some("1"));
    let callback = cx.callback(&request).await?;
    callback.code()?;
    let user = cx.user()?;
    let url = cx.endpoint(Endpoint::Authorize).await?;
    let mut params = request.params.clone();
    params.push(("login_hint".into(), user.username.clone()));
    let exchange = cx.send(Req::post(url).form(&params)).await?;
    let login_or_code = exchange.is_redirect() || (exchange.status == 200 && exchange.body.contains("<form"));
    if !login_or_code {
        return Err(exchange.fail(
            None,
            "a POST authorization request was not answered with a login page or a redirect",
        ));
    }
    if let Some(location) = exchange.location()
        && location.query_pairs().any(|(k, _)| k == "error")
    {
        return Err(exchange.fail(Some("error"), format!("the POST request was refused: {location}")));
    }
    Ok(())
}

async fn authz07(cx: &Cx<'_>) -> Step {
    let web = cx.web()?;
    let request = AuthRequest::code(web, "openid").set("prompt", Some("none"));
    let answer = cx.authorize(&request, None, Jar::default()).await?;
    let Ok(callback) = &answer else {
        return Err(answer
            .err()
            .map(|e| e.fail(None, "prompt=none without a session did not redirect"))
            .unwrap_or_else(|| skip("")));
    };
    match callback.param("error").as_deref() {
        Some("login_required" | "interaction_required") => {}
        other => {
            return Err(callback
                .exchange
                .fail(Some("error"), format!("expected login_required, got {other:?}")));
        }
    }
    if callback.param("state").as_deref() != request.get("state") {
        return Err(callback.exchange.fail(Some("state"), "state not echoed"));
    }
    let first = cx.callback(&AuthRequest::code(web, "openid")).await?;
    if first.jar_is_empty() {
        cx.note("the login set no cookie: the session half is not checked");
        return Ok(());
    }
    let again = cx.authorize(&request, None, first.jar.clone()).await?;
    match again {
        Ok(callback) if callback.param("code").is_some() => Ok(()),
        Ok(callback) => Err(callback.exchange.fail(
            Some("code"),
            format!("prompt=none with a session gave {:?}", callback.param("error")),
        )),
        Err(exchange) => Err(exchange.fail(None, "prompt=none with a session did not redirect with a code")),
    }
}

/// The `auth_time` of the ID token a callback's code buys (`None` when the provider's ID
/// tokens carry none, as IBM App ID's).
async fn auth_time(cx: &Cx<'_>, request: &AuthRequest<'_>, callback: &Callback) -> Step<Option<u64>> {
    let code = callback.code()?;
    let tokens = Cx::tokens(cx.redeem(request, &code, None).await?)?;
    let id_token = tokens.id_token()?;
    Ok(crate::cx::claims(id_token).and_then(|claims| claims.get("auth_time").and_then(serde_json::Value::as_u64)))
}

async fn authz08(cx: &Cx<'_>) -> Step {
    let web = cx.web()?;
    let user = cx.user()?;
    let base = AuthRequest::code(web, "openid");
    let first = cx.callback(&base).await?;
    if first.jar_is_empty() {
        cx.note("the login set no cookie: re-authentication cannot be observed");
        return Ok(());
    }
    let first_time = auth_time(cx, &base, &first).await?;
    if first_time.is_none() {
        cx.note(format!(
            "{}'s ID tokens carry no auth_time: only re-authentication is checked",
            cx.provider()
        ));
    }

    // A generous max_age: the session answers, with the original auth_time.
    let generous = base.clone().set("max_age", Some("10000"));
    match cx.authorize(&generous, None, first.jar.clone()).await? {
        Ok(callback) if callback.param("code").is_some() => {
            let time = auth_time(cx, &generous, &callback).await?;
            if time != first_time {
                return Err(callback.exchange.fail(
                    Some("auth_time"),
                    format!("auth_time {time:?} is not the login's {first_time:?}"),
                ));
            }
        }
        Ok(callback) => {
            return Err(callback.exchange.fail(
                Some("error"),
                format!("max_age=10000 was refused: {:?}", callback.param("error")),
            ));
        }
        Err(exchange) => return Err(exchange.fail(None, "max_age=10000 asked for a new login within the session")),
    }

    // prompt=login: no code without a new login.
    let forced = base.clone().set("prompt", Some("login"));
    if let Ok(callback) = cx.authorize(&forced, None, first.jar.clone()).await?
        && callback.param("code").is_some()
    {
        return Err(callback
            .exchange
            .fail(Some("code"), "prompt=login issued a code without a new login"));
    }

    // Past max_age=1: no code without a new login; after one, a later auth_time.
    if cx.advance_clock(2).is_err() {
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    }
    let short = base.clone().set("max_age", Some("1"));
    if let Ok(callback) = cx.authorize(&short, None, first.jar.clone()).await?
        && callback.param("code").is_some()
    {
        return Err(callback
            .exchange
            .fail(Some("code"), "max_age=1 issued a code for a session older than 1 s"));
    }
    match cx.authorize(&short, Some(user), first.jar.clone()).await? {
        Ok(callback) if callback.param("code").is_some() => {
            let time = auth_time(cx, &short, &callback).await?;
            match (first_time, time) {
                (Some(first), Some(later)) if later > first => Ok(()),
                (None, None) => Ok(()),
                (first, later) => Err(callback.exchange.fail(
                    Some("auth_time"),
                    format!("auth_time {later:?} after the new login is not later than {first:?}"),
                )),
            }
        }
        Ok(callback) => Err(callback.exchange.fail(
            Some("error"),
            format!("the new login was refused: {:?}", callback.param("error")),
        )),
        Err(exchange) => Err(exchange.fail(None, "the new login under max_age=1 did not end in a redirect")),
    }
}

async fn authz09(cx: &Cx<'_>) -> Step {
    let web = cx.web()?;
    let user = cx.user()?;
    cx.callback(&AuthRequest::code(web, "openid").set("nonce", None))
        .await?
        .code()?;
    let implicit = AuthRequest::code(web, "openid").set("response_type", Some("id_token"));
    let answer = cx.authorize(&implicit, Some(user), Jar::default()).await?;
    if let Ok(callback) = &answer
        && (callback.url.fragment().is_some_and(|f| f.contains("id_token=")) || callback.param("id_token").is_some())
    {
        return Err(callback
            .exchange
            .fail(Some("nonce"), "an implicit request without nonce got an ID token"));
    }
    refused(
        &answer,
        &["invalid_request", "unsupported_response_type", "unauthorized_client"],
    )
}

async fn authz10(cx: &Cx<'_>) -> Step {
    let tokens = cx.web_tokens("openid").await?;
    let id_token = tokens.id_token()?.to_owned();
    let web = cx.web()?;
    let user = cx.user()?;
    let request = AuthRequest::code(web, "openid")
        .set("display", Some("page"))
        .set("ui_locales", Some("en"))
        .set("claims_locales", Some("en"))
        .set("login_hint", Some(&user.username))
        .set("acr_values", Some("1"))
        .set("id_token_hint", Some(&id_token));
    cx.callback(&request).await?.code().map(drop)
}

async fn authz11(cx: &Cx<'_>) -> Step {
    let web = cx.web()?;
    let cases = [
        AuthRequest::code(web, "openid").set("response_type", Some("token")),
        AuthRequest::code(web, "openid").set("prompt", Some("none")),
        AuthRequest::code(web, "openid")
            .set("code_challenge", Some("abc"))
            .set("code_challenge_method", Some("S512")),
    ];
    for (index, request) in cases.into_iter().enumerate() {
        // prompt=none without a session must come back as an error redirect (OIDC Core §3.1.2.6).
        let must_redirect = index == 1;
        let answer = cx.authorize(&request, None, Jar::default()).await?;
        let callback = match answer {
            Ok(callback) => callback,
            Err(exchange) if must_redirect => {
                return Err(exchange.fail(None, "prompt=none without a session did not redirect with an error"));
            }
            Err(_) => continue,
        };
        let Some(error) = response_param(&callback, "error") else {
            if must_redirect {
                return Err(callback.exchange.fail(
                    Some("error"),
                    "prompt=none without a session redirected without an error",
                ));
            }
            continue;
        };
        if !AUTHZ_ERRORS.contains(&error.as_str()) {
            return Err(callback
                .exchange
                .fail(Some("error"), format!("`{error}` is not an authorization error code")));
        }
        if response_param(&callback, "code").is_some() {
            return Err(callback.exchange.fail(Some("code"), "an error redirect carries a code"));
        }
        if response_param(&callback, "state").as_deref() != request.get("state") {
            return Err(callback.exchange.fail(Some("state"), "state not echoed on an error"));
        }
        if !response_param(&callback, "error_description").is_none_or(|d| description_ok(&d)) {
            return Err(callback
                .exchange
                .fail(Some("error_description"), "characters outside the RFC 6749 charset"));
        }
    }
    Ok(())
}
