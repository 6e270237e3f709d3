//! Discovery metadata (OIDC Discovery 1.0, RFC 8414): DISC-01..09.

use super::{Entry, check};
use crate::cx::{AuthRequest, Cx};
use crate::http::{Jar, Req, Step, fail};
use serde_json::{Map, Value};

pub(super) fn entries() -> Vec<Entry> {
    vec![
        check!(
            "DISC-01",
            Discovery,
            Must,
            Strict,
            [],
            "OIDC Discovery §4, §4.2",
            "discovery answers 200 application/json with a JSON object",
            disc01
        ),
        check!(
            "DISC-02",
            Discovery,
            Must,
            Strict,
            [],
            "OIDC Discovery §4.3; RFC 8414 §3, §3.3",
            "issuer is byte-identical to the configured issuer (also in the RFC 8414 document)",
            disc02
        ),
        check!(
            "DISC-03",
            Discovery,
            Must,
            Strict,
            [],
            "RFC 8414 §2; OIDC Discovery §3",
            "issuer is https (loopback http allowed) with a host and no query, fragment or userinfo",
            disc03
        ),
        check!(
            "DISC-04",
            Discovery,
            Must,
            Strict,
            [],
            "OIDC Discovery §3",
            "required metadata members are present",
            disc04
        ),
        check!(
            "DISC-05",
            Discovery,
            Should,
            Strict,
            [],
            "OIDC Discovery §3",
            "recommended members are present; scopes_supported contains openid",
            disc05
        ),
        check!(
            "DISC-06",
            Discovery,
            Must,
            Strict,
            [],
            "OIDC Discovery §3; CS CheckDiscEndpointAllEndpointsAreHttps",
            "every endpoint and jwks_uri is an absolute https URL (loopback http allowed)",
            disc06
        ),
        check!(
            "DISC-07",
            Discovery,
            Must,
            Strict,
            [],
            "RFC 8414 §2; RFC 6749 §3.3",
            "list members are non-empty arrays; scope tokens and locales are well-formed",
            disc07
        ),
        check!(
            "DISC-08",
            Discovery,
            Must,
            Warn,
            [],
            "RFC 8414 §2; RFC 7636 §4.2; RFC 9700 §2.1.1",
            "no `none` auth signing alg; code_challenge_methods_supported contains S256",
            disc08
        ),
        check!(
            "DISC-09",
            Discovery,
            Should,
            Strict,
            [],
            "RFC 8414 §2; RFC 7662; RFC 7009; RFC 9207 §3",
            "introspection and revocation are advertised; iss parameter support is advertised when iss is returned",
            disc09
        ),
    ]
}

async fn disc01(cx: &Cx<'_>) -> Step {
    let exchange = cx.send(Req::get(cx.target.discovery_url())).await?;
    exchange.expect_status(200)?;
    let content_type = exchange.header("content-type").unwrap_or_default();
    if !content_type.to_ascii_lowercase().starts_with("application/json") {
        return Err(exchange.fail(
            Some("Content-Type"),
            format!("expected application/json, got `{content_type}`"),
        ));
    }
    exchange.object()?;
    Ok(())
}

async fn disc02(cx: &Cx<'_>) -> Step {
    let exchange = cx.send(Req::get(cx.target.discovery_url())).await?;
    let doc = exchange.ok_object()?;
    let issuer = doc.get("issuer").and_then(Value::as_str);
    if issuer != Some(cx.issuer()) {
        return Err(exchange.fail(Some("issuer"), format!("expected `{}`, got {:?}", cx.issuer(), issuer)));
    }
    // RFC 8414 §3: /.well-known/oauth-authorization-server inserted before the issuer's path.
    let Ok(url) = url::Url::parse(cx.issuer()) else {
        return Err(fail(Some("issuer"), "the issuer is not a URL"));
    };
    let path = url.path().trim_end_matches('/');
    let rfc8414 = format!(
        "{}/.well-known/oauth-authorization-server{path}",
        url.origin().ascii_serialization()
    );
    let exchange = cx.send(Req::get(rfc8414)).await?;
    if exchange.status != 200 {
        cx.note(format!(
            "no RFC 8414 document at {} ({})",
            exchange.request, exchange.status
        ));
        return Ok(());
    }
    let doc = exchange.object()?;
    let issuer = doc.get("issuer").and_then(Value::as_str);
    if issuer != Some(cx.issuer()) {
        return Err(exchange.fail(
            Some("issuer"),
            format!("RFC 8414 document: expected `{}`, got {:?}", cx.issuer(), issuer),
        ));
    }
    Ok(())
}

/// Whether `url` may be http: loopback hosts only (test targets).
fn loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(domain)) => domain == "localhost",
        None => false,
    }
}

fn secure(url: &url::Url) -> bool {
    url.scheme() == "https" || (url.scheme() == "http" && loopback(url))
}

async fn disc03(cx: &Cx<'_>) -> Step {
    let doc = cx.discovery().await?;
    let issuer = doc
        .get("issuer")
        .and_then(Value::as_str)
        .ok_or_else(|| fail(Some("issuer"), "missing"))?;
    let url =
        url::Url::parse(issuer).map_err(|_| fail(Some("issuer"), format!("`{issuer}` is not an absolute URL")))?;
    if !secure(&url) {
        return Err(fail(Some("issuer"), format!("`{issuer}` is not https")));
    }
    if url.host().is_none()
        || url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(fail(
            Some("issuer"),
            format!("`{issuer}` has no host, or has a query, fragment or userinfo"),
        ));
    }
    if url.scheme() == "http" {
        cx.note("http issuer accepted because the host is loopback");
    }
    Ok(())
}

async fn disc04(cx: &Cx<'_>) -> Step {
    let doc = cx.discovery().await?;
    for member in [
        "issuer",
        "authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
        "response_types_supported",
        "subject_types_supported",
        "id_token_signing_alg_values_supported",
    ] {
        if doc.get(member).is_none_or(Value::is_null) {
            return Err(fail(Some(member), "required member is missing"));
        }
    }
    let subject_types = strings(&doc, "subject_types_supported");
    if !subject_types.iter().any(|t| t == "public" || t == "pairwise") {
        return Err(fail(
            Some("subject_types_supported"),
            format!("neither public nor pairwise: {subject_types:?}"),
        ));
    }
    let algs = strings(&doc, "id_token_signing_alg_values_supported");
    if !algs.iter().any(|a| a == "RS256") {
        return Err(fail(
            Some("id_token_signing_alg_values_supported"),
            format!("RS256 missing: {algs:?}"),
        ));
    }
    Ok(())
}

fn strings(doc: &Map<String, Value>, member: &str) -> Vec<String> {
    doc.get(member)
        .and_then(Value::as_array)
        .map(|values| values.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

async fn disc05(cx: &Cx<'_>) -> Step {
    let doc = cx.discovery().await?;
    let mut missing: Vec<&str> = [
        "userinfo_endpoint",
        "scopes_supported",
        "claims_supported",
        "registration_endpoint",
    ]
    .into_iter()
    .filter(|member| doc.get(*member).is_none())
    .collect();
    if doc.get("scopes_supported").is_some() && !strings(&doc, "scopes_supported").iter().any(|s| s == "openid") {
        return Err(fail(Some("scopes_supported"), "does not contain `openid`"));
    }
    if let Some(first) = missing.first().copied() {
        missing.sort_unstable();
        return Err(fail(
            Some(first),
            format!("recommended members missing: {}", missing.join(", ")),
        ));
    }
    Ok(())
}

async fn disc06(cx: &Cx<'_>) -> Step {
    let doc = cx.discovery().await?;
    for (member, value) in &doc {
        if !(member.ends_with("_endpoint") || member == "jwks_uri") {
            continue;
        }
        let Some(text) = value.as_str() else {
            return Err(fail(Some(member), "not a string"));
        };
        match url::Url::parse(text) {
            Ok(url) if secure(&url) => {}
            _ => return Err(fail(Some(member), format!("`{text}` is not an absolute https URL"))),
        }
    }
    Ok(())
}

/// Members that are JSON arrays by definition (OIDC Discovery §3, RFC 8414 §2).
const LIST_MEMBERS: &[&str] = &[
    "scopes_supported",
    "response_types_supported",
    "response_modes_supported",
    "grant_types_supported",
    "acr_values_supported",
    "subject_types_supported",
    "id_token_signing_alg_values_supported",
    "id_token_encryption_alg_values_supported",
    "userinfo_signing_alg_values_supported",
    "request_object_signing_alg_values_supported",
    "token_endpoint_auth_methods_supported",
    "token_endpoint_auth_signing_alg_values_supported",
    "display_values_supported",
    "claim_types_supported",
    "claims_supported",
    "claims_locales_supported",
    "ui_locales_supported",
    "code_challenge_methods_supported",
    "introspection_endpoint_auth_methods_supported",
    "revocation_endpoint_auth_methods_supported",
];

async fn disc07(cx: &Cx<'_>) -> Step {
    let doc = cx.discovery().await?;
    for (member, value) in &doc {
        let listed = LIST_MEMBERS.contains(&member.as_str());
        match value {
            Value::Array(items) if items.is_empty() => return Err(fail(Some(member), "an empty array")),
            Value::Array(items) if items.iter().any(|item| !item.is_string()) => {
                return Err(fail(Some(member), "holds a value that is not a string"));
            }
            Value::Array(_) => {}
            _ if listed => return Err(fail(Some(member), format!("not a JSON array: {value}"))),
            _ => {}
        }
    }
    for scope in strings(&doc, "scopes_supported") {
        let valid = !scope.is_empty()
            && scope
                .bytes()
                .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b));
        if !valid {
            return Err(fail(
                Some("scopes_supported"),
                format!("`{scope}` is not an RFC 6749 §3.3 scope token"),
            ));
        }
    }
    for member in ["ui_locales_supported", "claims_locales_supported"] {
        for locale in strings(&doc, member) {
            let valid = locale
                .split('-')
                .all(|part| !part.is_empty() && part.len() <= 8 && part.bytes().all(|b| b.is_ascii_alphanumeric()))
                && locale
                    .split('-')
                    .next()
                    .is_some_and(|lang| lang.bytes().all(|b| b.is_ascii_alphabetic()));
            if !valid {
                return Err(fail(Some(member), format!("`{locale}` is not a BCP 47 tag")));
            }
        }
    }
    Ok(())
}

async fn disc08(cx: &Cx<'_>) -> Step {
    let doc = cx.discovery().await?;
    for member in [
        "token_endpoint_auth_signing_alg_values_supported",
        "introspection_endpoint_auth_signing_alg_values_supported",
        "revocation_endpoint_auth_signing_alg_values_supported",
    ] {
        if strings(&doc, member).iter().any(|alg| alg.eq_ignore_ascii_case("none")) {
            return Err(fail(Some(member), "contains `none`"));
        }
    }
    let methods = strings(&doc, "code_challenge_methods_supported");
    if methods.is_empty() && cx.excused(providers::Deviation::PkceMethodsNotAdvertised) {
        return Ok(());
    }
    if !methods.iter().any(|m| m == "S256") {
        return Err(fail(
            Some("code_challenge_methods_supported"),
            format!("S256 missing: {methods:?}"),
        ));
    }
    Ok(())
}

async fn disc09(cx: &Cx<'_>) -> Step {
    let doc = cx.discovery().await?;
    for (endpoint, methods) in [
        (
            "introspection_endpoint",
            "introspection_endpoint_auth_methods_supported",
        ),
        ("revocation_endpoint", "revocation_endpoint_auth_methods_supported"),
    ] {
        if doc.get(endpoint).is_none() {
            return Err(fail(Some(endpoint), "not advertised"));
        }
        if doc.get(methods).is_none() {
            cx.note(format!("`{methods}` not advertised (defaults to client_secret_basic)"));
        }
    }
    let Ok(web) = cx.web() else {
        cx.note("iss parameter not checked: no code-flow client");
        return Ok(());
    };
    let user = cx.user()?;
    let request = AuthRequest::code(web, "openid");
    if let Ok(callback) = cx.authorize(&request, Some(user), Jar::default()).await? {
        let advertised = doc.get("authorization_response_iss_parameter_supported") == Some(&Value::Bool(true));
        if callback.param("iss").is_some() && !advertised {
            return Err(callback.exchange.fail(
                Some("authorization_response_iss_parameter_supported"),
                "the authorization response carries `iss` but discovery does not advertise it",
            ));
        }
    }
    Ok(())
}
