//! `idp-conformance diff`: the same scenarios against two targets, normalised and compared.
//!
//! Each scenario (discovery, the token endpoint for the password, code and client-credentials
//! grants, access- and ID-token claims, introspection, userinfo, the error cases the error
//! checks provoke) yields an [`Observation`]: a map from a path (`token.code.body.expires_in`)
//! to a normalised value. Volatile values never appear: JSON members are reduced to their
//! type (`string`, `number`, `array<string>`, …), except the error code and description
//! (with the target's origin replaced by `{origin}`), a JWT header's `typ` and `alg`, the status
//! and the media type; the
//! presence of `WWW-Authenticate` is recorded. Key order is irrelevant (the map is sorted).
//! [`compare`] lists every path whose value differs; [`KnownDifferences`] (a TOML file,
//! `known-differences/{provider}.toml`) marks the explained ones.

use crate::cx::dpop::EcKey;
use crate::cx::{Cx, Tokens};
use crate::http::{Exchange, Http, Req, Step, Stop};
use crate::jose;
use crate::targets::Target;
use mock_idp::Endpoint;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// Path → normalised value.
pub type Observation = BTreeMap<String, String>;

/// One path whose normalised value differs between the two targets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// Where: `scenario.part.member` (`discovery.body.check_session_iframe`).
    pub path: String,
    /// The left target's value (`None`: absent there).
    pub left: Option<String>,
    /// The right target's value (`None`: absent there).
    pub right: Option<String>,
    /// Why it is expected, when the known-differences file lists it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub known: Option<String>,
}

/// Explained differences: `[[known]] path = "…" reason = "…"`; a path ending in `*` matches
/// every path with that prefix.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct KnownDifferences {
    /// The entries.
    #[serde(default)]
    pub known: Vec<KnownDifference>,
}

/// One explained difference.
#[derive(Debug, Clone, Deserialize)]
pub struct KnownDifference {
    /// A path, or a prefix followed by `*`.
    pub path: String,
    /// Why the targets differ there.
    pub reason: String,
}

/// The known differences between `mock:zitadel` and `zitadel-oidc-ref` (what ZITADEL adds on
/// top of the zitadel/oidc library), used when one side of a diff is that target.
pub const KNOWN_ZITADEL_OIDC_REF: &str = include_str!("../known-differences/zitadel-oidc-ref.toml");

/// The known differences shipped for `provider` (between its mock flavor and the real one).
pub fn known_for(provider: mock_idp::Provider) -> Option<&'static str> {
    match provider {
        mock_idp::Provider::Keycloak => Some(include_str!("../known-differences/keycloak.toml")),
        _ => None,
    }
}

/// Why a known-differences file was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KnownDifferencesError {
    /// Not TOML of the expected shape (a `[[known]]` without `path` or `reason`, say).
    #[error("{0}")]
    Toml(#[source] toml::de::Error),
    /// An entry whose `reason` is blank: every known difference must say why.
    #[error("known difference `{path}` has no reason")]
    NoReason {
        /// The entry's `path`.
        path: String,
    },
}

impl KnownDifferences {
    /// Parses a known-differences file.
    ///
    /// # Errors
    /// TOML syntax or shape ([`KnownDifferencesError::Toml`], a missing `path` or `reason`
    /// among them), a blank reason ([`KnownDifferencesError::NoReason`]).
    pub fn parse(text: &str) -> Result<KnownDifferences, KnownDifferencesError> {
        let known: KnownDifferences = toml::from_str(text).map_err(KnownDifferencesError::Toml)?;
        if let Some(entry) = known.known.iter().find(|entry| entry.reason.trim().is_empty()) {
            return Err(KnownDifferencesError::NoReason {
                path: entry.path.clone(),
            });
        }
        Ok(known)
    }

    /// The reason `path` differs, if listed.
    pub fn reason(&self, path: &str) -> Option<&str> {
        self.known
            .iter()
            .find(|entry| match entry.path.strip_suffix('*') {
                Some(prefix) => path.starts_with(prefix),
                None => entry.path == path,
            })
            .map(|entry| entry.reason.as_str())
    }
}

/// Runs every scenario against `target`.
///
/// # Errors
/// When the HTTP client cannot be built.
pub async fn observe(target: &Target, timeout: Duration) -> Result<Observation, crate::Error> {
    let http = Http::new(timeout, target.accepts_invalid_certs()).map_err(crate::Error::Http)?;
    let cx = Cx::new(target, http);
    let mut obs = Observation::new();
    let origin = url::Url::parse(target.issuer())
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    record(
        &mut obs,
        &origin,
        "discovery",
        cx.send(Req::get(target.discovery_url())).await,
    );
    let code = cx.web_tokens("openid").await;
    record(
        &mut obs,
        &origin,
        "token.code",
        code.as_ref().map(|t| t.exchange.clone()).map_err(copy),
    );
    let password = password(&cx).await;
    record(&mut obs, &origin, "token.password", password);
    let service = cx.service_tokens().await;
    record(
        &mut obs,
        &origin,
        "token.client_credentials",
        service.as_ref().map(|t| t.exchange.clone()).map_err(copy),
    );
    let api_scope = cx
        .audience_scope()
        .map(|scope| format!("openid {scope}"))
        .unwrap_or_else(|| "openid".into());
    let for_api = cx.web_tokens(&api_scope).await;
    let mut tokens_obs = Observation::new();
    if let Ok(tokens) = &code {
        jwt_into(&mut tokens_obs, "access_token", tokens.str("access_token"));
        jwt_into(&mut tokens_obs, "id_token", tokens.str("id_token"));
        let userinfo = match cx.endpoint(Endpoint::Userinfo).await {
            Ok(url) => {
                cx.send(Req::get(url).bearer(tokens.str("access_token").unwrap_or_default()))
                    .await
            }
            Err(stop) => Err(stop),
        };
        record(&mut obs, &origin, "userinfo", userinfo);
    }
    if let Ok(tokens) = &service {
        jwt_into(&mut tokens_obs, "service_access_token", tokens.str("access_token"));
    }
    obs.append(&mut tokens_obs);
    if let Ok(tokens) = &for_api {
        let token = tokens.str("access_token").unwrap_or_default().to_owned();
        record(
            &mut obs,
            &origin,
            "introspection.active",
            cx.introspect(&[("token", token.as_str())]).await,
        );
    }
    record(
        &mut obs,
        &origin,
        "introspection.inactive",
        cx.introspect(&[("token", "not-a-token")]).await,
    );
    match cx.endpoint(Endpoint::Userinfo).await {
        Ok(url) => {
            record(
                &mut obs,
                &origin,
                "userinfo.no_token",
                cx.send(Req::get(url.clone())).await,
            );
            record(
                &mut obs,
                &origin,
                "userinfo.garbage_token",
                cx.send(Req::get(url).bearer("garbage")).await,
            );
        }
        Err(stop) => record(&mut obs, &origin, "userinfo.no_token", Err(stop)),
    }
    errors(&cx, &mut obs, &origin).await;
    device(&cx, &mut obs, &origin).await;
    dpop(&cx, &mut obs, &origin).await;
    client_auth(&cx, &mut obs, &origin).await;
    secret_jwt(&cx, &mut obs, &origin).await;
    par(&cx, &mut obs, &origin).await;
    exchange(&cx, &mut obs, &origin).await;
    Ok(obs)
}

/// `client_secret_jwt`, where the World has a client registered for it: a good HS256
/// assertion, one keyed by another secret, and the secret alone.
async fn secret_jwt(cx: &Cx<'_>, obs: &mut Observation, origin: &str) {
    use crate::checks::client_auth::{AssertionRequest, assertion_claims, hmac_assertion};
    let (Ok(client), Ok(token_url)) = (cx.secret_jwt_client(), cx.endpoint(Endpoint::Token).await) else {
        return;
    };
    let secret = crate::targets::secret(client).unwrap_or_default();
    let request = AssertionRequest { cx, url: &token_url };
    let good = assertion_claims(cx, &client.id, &token_url).map(|claims| hmac_assertion(secret, &claims));
    record(obs, origin, "client_auth.hmac_good", request.send(good).await);
    let other = assertion_claims(cx, &client.id, &token_url).map(|claims| hmac_assertion("not-the-secret", &claims));
    record(obs, origin, "client_auth.hmac_other_secret", request.send(other).await);
    let alone = cx
        .send(
            Req::post(token_url.clone())
                .basic(&client.id, secret)
                .form(&[("grant_type", "client_credentials")]),
        )
        .await;
    record(obs, origin, "client_auth.hmac_secret_instead", alone);
}

/// Pushed authorization requests (RFC 9126), where discovery names the endpoint: a good push,
/// one with a redirect URI the client does not have, one carrying `request_uri`, one with a
/// wrong secret, and the authorization endpoint given the pushed `request_uri` (and an unknown
/// one).
async fn par(cx: &Cx<'_>, obs: &mut Observation, origin: &str) {
    use crate::checks::par::{push, pushed_request};
    use crate::http::Auth;
    let listed = cx
        .discovery()
        .await
        .is_ok_and(|doc| doc.contains_key("pushed_authorization_request_endpoint"));
    let Ok(web) = cx.web() else {
        return;
    };
    if !listed {
        return;
    }
    let verifier = "diff-par-verifier-0123456789-0123456789-0123456789";
    let Ok(request) = pushed_request(cx, verifier) else {
        return;
    };
    let (auth, _) = Cx::client_auth(web);
    let good = push(cx, &request, auth.clone()).await;
    let request_uri = good
        .as_ref()
        .ok()
        .and_then(Exchange::json)
        .and_then(|body| body.get("request_uri").and_then(Value::as_str).map(str::to_owned));
    record(obs, origin, "par.push", good);
    let mut elsewhere = request.clone();
    elsewhere = elsewhere.set("redirect_uri", Some("http://127.0.0.1:9/elsewhere"));
    record(
        obs,
        origin,
        "par.unknown_redirect_uri",
        push(cx, &elsewhere, auth.clone()).await,
    );
    let nested = request
        .clone()
        .set("request_uri", Some("urn:ietf:params:oauth:request_uri:nested"));
    record(obs, origin, "par.request_uri_inside", push(cx, &nested, auth).await);
    let wrong = Auth::Basic(web.id.clone(), "not-the-secret".into());
    record(obs, origin, "par.wrong_secret", push(cx, &request, wrong).await);
    if let (Some(uri), Ok(authorize)) = (request_uri, cx.endpoint(Endpoint::Authorize).await) {
        let with = |request_uri: &str| {
            let mut url = url::Url::parse(&authorize).ok()?;
            url.query_pairs_mut()
                .append_pair("client_id", &web.id)
                .append_pair("request_uri", request_uri);
            Some(url.to_string())
        };
        if let Some(url) = with(&uri) {
            record(obs, origin, "par.authorize", cx.send(Req::get(url)).await);
        }
        if let Some(url) = with("urn:ietf:params:oauth:request_uri:unknown") {
            record(obs, origin, "par.authorize_unknown", cx.send(Req::get(url)).await);
        }
    }
}

/// Token exchange (RFC 8693), where the World has a token-exchange client and discovery lists
/// the grant: a good exchange (the response and the new token's claims), and the refusals of
/// EXCH-02..04 plus an impersonation request.
async fn exchange(cx: &Cx<'_>, obs: &mut Observation, origin: &str) {
    use crate::checks::exchange::{GRANT, exchange, subject_token};
    use providers::exchange::ACCESS_TOKEN_TYPE;
    let listed = cx.discovery().await.is_ok_and(|doc| {
        doc.get("grant_types_supported")
            .and_then(Value::as_array)
            .is_some_and(|grants| grants.iter().any(|grant| grant.as_str() == Some(GRANT)))
    });
    if !listed || cx.exchanger().is_err() {
        return;
    }
    let subject = match subject_token(cx).await {
        Ok(subject) => subject,
        Err(stop) => return record(obs, origin, "exchange.subject", Err(stop)),
    };
    let typed = [
        ("subject_token", subject.as_str()),
        ("subject_token_type", ACCESS_TOKEN_TYPE),
    ];
    let good = exchange(cx, &typed).await;
    let token = good
        .as_ref()
        .ok()
        .and_then(Exchange::json)
        .and_then(|body| body.get("access_token").and_then(Value::as_str).map(str::to_owned));
    record(obs, origin, "exchange.good", good);
    let mut tokens_obs = Observation::new();
    jwt_into(&mut tokens_obs, "exchange_access_token", token.as_deref());
    obs.append(&mut tokens_obs);
    let foreign_subject = [
        ("subject_token", "not-a-token-of-this-issuer"),
        ("subject_token_type", ACCESS_TOKEN_TYPE),
    ];
    record(
        obs,
        origin,
        "exchange.bad_subject",
        exchange(cx, &foreign_subject).await,
    );
    record(
        obs,
        origin,
        "exchange.no_subject_token_type",
        exchange(cx, &[("subject_token", subject.as_str())]).await,
    );
    if let Ok(web) = cx.web() {
        let mut foreign = typed.to_vec();
        foreign.push(("audience", web.id.as_str()));
        record(obs, origin, "exchange.foreign_audience", exchange(cx, &foreign).await);
    }
    let mut impersonate = typed.to_vec();
    impersonate.push(("requested_subject", "someone-else"));
    record(
        obs,
        origin,
        "exchange.requested_subject",
        exchange(cx, &impersonate).await,
    );
}

/// Client authentication by a signed JWT (`private_key_jwt`), where the World has a client
/// registering conformance's assertion key: a good assertion, and each way one is refused
/// (replay, another key, another audience, several audiences, expired, no `jti`, `alg` none,
/// an unknown `kid`), and the client's secret instead of an assertion.
async fn client_auth(cx: &Cx<'_>, obs: &mut Observation, origin: &str) {
    use crate::checks::client_auth::{AssertionRequest, assertion_claims, sign_assertion};
    let (Ok(client), Ok(token_url)) = (cx.keyed_client(), cx.endpoint(Endpoint::Token).await) else {
        return;
    };
    let Ok(registered) = EcKey::from_pem(crate::checks::client_auth::ASSERTION_PEM, "assertion key") else {
        return;
    };
    let request = AssertionRequest { cx, url: &token_url };
    let claims = |edit: &dyn Fn(&mut Value)| {
        let mut claims = assertion_claims(cx, &client.id, &token_url)?;
        edit(&mut claims);
        Ok::<Value, crate::http::Stop>(claims)
    };
    let send = |key: &EcKey, claims: Step<Value>| {
        let assertion = claims.and_then(|claims| sign_assertion(key, &claims, None));
        request.send(assertion)
    };
    let good = claims(&|_| ()).and_then(|claims| sign_assertion(&registered, &claims, None));
    let Ok(good) = good else {
        return;
    };
    record(obs, origin, "client_auth.good", request.send(Ok(good.clone())).await);
    record(obs, origin, "client_auth.replayed", request.send(Ok(good)).await);
    if let Ok(stranger) = EcKey::new() {
        record(
            obs,
            origin,
            "client_auth.other_key",
            send(&stranger, claims(&|_| ())).await,
        );
    }
    let elsewhere = |claims: &mut Value| claims["aud"] = serde_json::json!("https://elsewhere.invalid/token");
    record(
        obs,
        origin,
        "client_auth.other_audience",
        send(&registered, claims(&elsewhere)).await,
    );
    let issuer = cx.issuer().to_owned();
    let both = move |claims: &mut Value| claims["aud"] = serde_json::json!([claims["aud"].clone(), issuer.clone()]);
    record(
        obs,
        origin,
        "client_auth.two_audiences",
        send(&registered, claims(&both)).await,
    );
    let expired = |claims: &mut Value| {
        let hour_ago = claims["iat"].as_u64().unwrap_or_default().saturating_sub(3600);
        claims["iat"] = serde_json::json!(hour_ago.saturating_sub(60));
        claims["exp"] = serde_json::json!(hour_ago);
    };
    record(
        obs,
        origin,
        "client_auth.expired",
        send(&registered, claims(&expired)).await,
    );
    let no_jti = |claims: &mut Value| {
        if let Some(claims) = claims.as_object_mut() {
            claims.remove("jti");
        }
    };
    record(
        obs,
        origin,
        "client_auth.no_jti",
        send(&registered, claims(&no_jti)).await,
    );
    let unknown_kid = claims(&|_| ()).and_then(|claims| sign_assertion(&registered, &claims, Some("not-registered")));
    record(obs, origin, "client_auth.unknown_kid", request.send(unknown_kid).await);
    let unsigned = claims(&|_| ()).map(|claims| {
        format!(
            "{}.{}.",
            idp_jose::b64::encode(serde_json::json!({"alg": "none", "typ": "JWT"}).to_string()),
            idp_jose::b64::encode(claims.to_string())
        )
    });
    record(obs, origin, "client_auth.alg_none", request.send(unsigned).await);
    let secret = match crate::targets::secret(client) {
        Some(secret) => {
            cx.send(
                Req::post(token_url.clone())
                    .basic(&client.id, secret)
                    .form(&[("grant_type", "client_credentials")]),
            )
            .await
        }
        None => Err(crate::http::skip("the keyed client has no secret")),
    };
    record(obs, origin, "client_auth.secret_instead", secret);
}

/// DPoP (RFC 9449), where discovery advertises it: the password grant with a proof (the
/// response and the bound token's claims), the token at userinfo under the DPoP scheme, as a
/// bearer token and without `ath`, at introspection, and three refused proofs.
async fn dpop(cx: &Cx<'_>, obs: &mut Observation, origin: &str) {
    let advertised = cx
        .discovery()
        .await
        .is_ok_and(|doc| doc.contains_key("dpop_signing_alg_values_supported"));
    if !advertised {
        return;
    }
    let (Ok(key), Ok(token_url)) = (EcKey::new(), cx.endpoint(Endpoint::Token).await) else {
        return;
    };
    let now = crate::cx::dpop::now(cx);
    let with_proof = |proof: Step<String>| async move {
        let web = cx.web()?;
        let user = cx.user()?;
        let url = cx.endpoint(Endpoint::Token).await?;
        let (auth, extra) = Cx::client_auth(web);
        cx.send(
            Req::post(url)
                .auth(auth)
                .form(&[
                    ("grant_type", "password"),
                    ("username", user.username.as_str()),
                    ("password", user.password.expose()),
                    ("scope", "openid"),
                ])
                .form(&extra)
                .header("DPoP", proof?),
        )
        .await
    };
    let bound = with_proof(key.proof(&token_url, now)).await;
    let token = bound
        .as_ref()
        .ok()
        .and_then(Exchange::json)
        .and_then(|body| body.get("access_token").and_then(Value::as_str).map(str::to_owned));
    record(obs, origin, "dpop.token", bound);
    let mut tokens_obs = Observation::new();
    jwt_into(&mut tokens_obs, "dpop_access_token", token.as_deref());
    obs.append(&mut tokens_obs);
    record(
        obs,
        origin,
        "dpop.token.htu_elsewhere",
        with_proof(key.proof(&format!("{token_url}/elsewhere"), now)).await,
    );
    record(
        obs,
        origin,
        "dpop.token.stale",
        with_proof(key.proof(&token_url, now.saturating_sub(3600))).await,
    );
    record(
        obs,
        origin,
        "dpop.token.not_a_jws",
        with_proof(Ok("not-a-proof".into())).await,
    );
    let (Some(token), Ok(userinfo)) = (token, cx.endpoint(Endpoint::Userinfo).await) else {
        return;
    };
    let dpop_get = |proof: Option<String>| {
        let mut req = Req::get(userinfo.clone()).header("Authorization", format!("DPoP {token}"));
        if let Some(proof) = proof {
            req = req.header("DPoP", proof);
        }
        cx.send(req)
    };
    if let Ok(proof) = key.proof_for("GET", &userinfo, now, Some(&token)) {
        record(obs, origin, "dpop.userinfo", dpop_get(Some(proof)).await);
    }
    if let Ok(proof) = key.proof_for("GET", &userinfo, now, None) {
        record(obs, origin, "dpop.userinfo.no_ath", dpop_get(Some(proof)).await);
    }
    record(
        obs,
        origin,
        "dpop.userinfo.as_bearer",
        cx.send(Req::get(userinfo.clone()).bearer(&token)).await,
    );
    record(
        obs,
        origin,
        "dpop.introspection",
        cx.introspect(&[("token", token.as_str())]).await,
    );
}

/// The device grant (RFC 8628): the authorization response, each poll answer, the tokens, and
/// the errors the DEV checks provoke. Skipped where discovery advertises no device endpoint.
async fn device(cx: &Cx<'_>, obs: &mut Observation, origin: &str) {
    let start = match cx.device_start().await {
        Ok(start) => start,
        Err(stop) => return record(obs, origin, "device.authorization", Err(stop)),
    };
    exchange_into(obs, "device.authorization", &start.exchange, origin);
    let code = start.str("device_code").to_owned();
    record(obs, origin, "device.pending", cx.device_poll(&code).await);
    record(obs, origin, "device.slow_down", cx.device_poll(&code).await);
    record(
        obs,
        origin,
        "device.unknown_code",
        cx.device_poll("not-a-device-code").await,
    );
    if let Ok(client) = cx.device_client() {
        let missing = cx
            .token_request(client, &[("grant_type", crate::cx::device::DEVICE_GRANT)])
            .await;
        record(obs, origin, "device.missing_code", missing);
    }
    if let Ok(web) = cx.web() {
        record(
            obs,
            origin,
            "device.not_allowed",
            cx.device_request(web, "openid").await,
        );
    }
    let Ok(user) = cx.user() else { return };
    if let Ok(denied) = cx.device_start().await
        && cx.device_consent(&denied.user_url(), user, false).await.is_ok()
    {
        record(
            obs,
            origin,
            "device.denied",
            cx.device_poll(denied.str("device_code")).await,
        );
    }
    if let Ok(approved) = cx.device_start().await {
        match cx.device_consent(&approved.user_url(), user, true).await {
            Ok(_) => {
                let tokens = cx.device_poll(approved.str("device_code")).await;
                if let Ok(exchange) = &tokens {
                    let body = exchange.json().unwrap_or_default();
                    jwt_into(
                        obs,
                        "device_access_token",
                        body.get("access_token").and_then(Value::as_str),
                    );
                }
                record(obs, origin, "device.tokens", tokens);
                record(
                    obs,
                    origin,
                    "device.redeemed",
                    cx.device_poll(approved.str("device_code")).await,
                );
            }
            Err(stop) => record(obs, origin, "device.tokens", Err(stop)),
        }
    }
}

fn copy(stop: &Stop) -> Stop {
    match stop {
        Stop::Skip(reason) => Stop::Skip(reason.clone()),
        Stop::Fail(evidence) => Stop::Fail(evidence.clone()),
    }
}

async fn password(cx: &Cx<'_>) -> Step<Exchange> {
    let web = cx.web()?;
    if !web.allows(providers::GrantType::Password) {
        return Err(crate::http::skip("the code-flow client has no password grant"));
    }
    let user = cx.user()?;
    let tokens: Tokens = Cx::tokens(
        cx.token_request(
            web,
            &[
                ("grant_type", "password"),
                ("username", user.username.as_str()),
                ("password", user.password.expose()),
                ("scope", "openid"),
            ],
        )
        .await?,
    )?;
    Ok(tokens.exchange)
}

/// The error cases the token checks provoke.
async fn errors(cx: &Cx<'_>, obs: &mut Observation, origin: &str) {
    let url = match cx.endpoint(Endpoint::Token).await {
        Ok(url) => url,
        Err(stop) => return record(obs, origin, "error", Err(stop)),
    };
    let service = cx.service().ok();
    let (id, secret) = service
        .and_then(|s| crate::targets::secret(s).map(|secret| (s.id.clone(), secret.to_owned())))
        .unwrap_or_default();
    let wrong = format!("{secret}-wrong");
    record(
        obs,
        origin,
        "error.invalid_client",
        cx.send(
            Req::post(url.clone())
                .basic(&id, &wrong)
                .form(&[("grant_type", "client_credentials")]),
        )
        .await,
    );
    record(
        obs,
        origin,
        "error.unsupported_grant_type",
        cx.send(
            Req::post(url.clone())
                .basic(&id, &secret)
                .form(&[("grant_type", "urn:example:nope")]),
        )
        .await,
    );
    record(
        obs,
        origin,
        "error.missing_grant_type",
        cx.send(Req::post(url.clone()).basic(&id, &secret).form(&[("scope", "openid")]))
            .await,
    );
    if let Ok(web) = cx.web() {
        let (auth, extra) = Cx::client_auth(web);
        let redirect = web.redirect_uris.first().cloned().unwrap_or_default();
        record(
            obs,
            origin,
            "error.invalid_grant",
            cx.send(
                Req::post(url)
                    .auth(auth)
                    .form(&[
                        ("grant_type", "authorization_code"),
                        ("code", "not-a-code"),
                        ("redirect_uri", redirect.as_str()),
                    ])
                    .form(&extra),
            )
            .await,
        );
    }
}

fn record(obs: &mut Observation, origin: &str, name: &str, step: Step<Exchange>) {
    match step {
        Ok(exchange) => exchange_into(obs, name, &exchange, origin),
        Err(Stop::Skip(reason)) => {
            obs.insert(format!("{name}.skipped"), reason);
        }
        Err(Stop::Fail(evidence)) => {
            obs.insert(
                format!("{name}.failed"),
                evidence.field.unwrap_or_else(|| "request".into()),
            );
        }
    }
}

/// Members whose value (not only type) is compared.
const KEPT: [&str; 2] = ["error", "error_description"];

fn exchange_into(obs: &mut Observation, name: &str, exchange: &Exchange, origin: &str) {
    obs.insert(format!("{name}.status"), exchange.status.to_string());
    let media = exchange
        .header("content-type")
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
        .unwrap_or_else(|| "(none)".into());
    obs.insert(format!("{name}.content_type"), media);
    obs.insert(
        format!("{name}.www_authenticate"),
        if exchange.header("www-authenticate").is_some() {
            "present".into()
        } else {
            "absent".into()
        },
    );
    match exchange.json() {
        Some(Value::Object(map)) => {
            for (key, value) in &map {
                let path = format!("{name}.body.{key}");
                match (KEPT.contains(&key.as_str()), value) {
                    (true, Value::String(text)) => {
                        obs.insert(path, format!("{:?}", text.replace(origin, "{origin}")));
                    }
                    _ => flatten(obs, &path, value),
                }
            }
        }
        Some(other) => flatten(obs, &format!("{name}.body"), &other),
        None if exchange.body.is_empty() => {
            obs.insert(format!("{name}.body"), "(empty)".into());
        }
        None => {
            obs.insert(format!("{name}.body"), "(not JSON)".into());
        }
    }
}

fn jwt_into(obs: &mut Observation, name: &str, token: Option<&str>) {
    let Some(token) = token else {
        obs.insert(name.to_owned(), "(absent)".into());
        return;
    };
    match jose::decode(token) {
        Ok((header, claims)) => {
            obs.insert(name.to_owned(), "jwt".into());
            for (key, value) in &header {
                let path = format!("{name}.header.{key}");
                match value {
                    Value::String(text) if key == "typ" || key == "alg" => {
                        obs.insert(path, format!("{text:?}"));
                    }
                    _ => flatten(obs, &path, value),
                }
            }
            for (key, value) in &claims {
                flatten(obs, &format!("{name}.claims.{key}"), value);
            }
        }
        Err(_) => {
            obs.insert(name.to_owned(), "opaque".into());
        }
    }
}

/// Objects are walked; anything else is reduced to its JSON type.
fn flatten(obs: &mut Observation, path: &str, value: &Value) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, value) in map {
                flatten(obs, &format!("{path}.{key}"), value);
            }
        }
        other => {
            obs.insert(path.to_owned(), type_name(other));
        }
    }
}

fn type_name(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(_) => "boolean".into(),
        Value::Number(_) => "number".into(),
        Value::String(_) => "string".into(),
        Value::Object(_) => "object".into(),
        Value::Array(items) => {
            let mut kinds: Vec<String> = items.iter().map(type_name).collect();
            kinds.sort();
            kinds.dedup();
            format!("array<{}>", kinds.join("|"))
        }
    }
}

/// Every path whose value differs, with the reason where `known` lists it.
pub fn compare(left: &Observation, right: &Observation, known: &KnownDifferences) -> Vec<Difference> {
    let mut paths: Vec<&String> = left.keys().chain(right.keys()).collect();
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .filter(|path| left.get(*path) != right.get(*path))
        .map(|path| Difference {
            path: path.clone(),
            left: left.get(path).cloned(),
            right: right.get(path).cloned(),
            known: known.reason(path).map(str::to_owned),
        })
        .collect()
}

/// Whether any difference is not explained.
pub fn unexplained(differences: &[Difference]) -> usize {
    differences.iter().filter(|d| d.known.is_none()).count()
}

/// One line per difference (`path: left ≠ right`), known ones marked, and a summary.
pub fn text(left: &str, right: &str, differences: &[Difference]) -> String {
    let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(absent)".into());
    let mut out = String::new();
    for d in differences {
        let mark = if d.known.is_some() { "known " } else { "DIFF  " };
        out.push_str(&format!("{mark}{}: {} ≠ {}", d.path, show(&d.left), show(&d.right)));
        if let Some(reason) = &d.known {
            out.push_str(&format!("  ({reason})"));
        }
        out.push('\n');
    }
    out.push_str(&format!(
        "{left} vs {right}: {} differences, {} unexplained\n",
        differences.len(),
        unexplained(differences)
    ));
    out
}

/// `{"schema": "idp-conformance/diff/v1", "left", "right", "differences": [...], "unexplained"}`.
pub fn json(left: &str, right: &str, differences: &[Difference]) -> String {
    serde_json::json!({
        "schema": "idp-conformance/diff/v1",
        "left": left,
        "right": right,
        "differences": differences,
        "unexplained": unexplained(differences),
    })
    .to_string()
}
