//! The context a check runs in: the target, HTTP, discovery, and the flows checks share
//! (headless login, code exchange, client authentication, provider-aware error expectations).

use crate::http::{Auth, Exchange, Http, Jar, Req, Step, Stop, fail, skip};
use crate::targets::{Target, secret};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mock_idp::Endpoint;
use providers::{Client, ErrorKind, User};
use serde_json::{Map, Value};
use std::sync::Mutex;

/// The RFC 7636 Appendix B vector.
pub(crate) const RFC7636_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// Its S256 challenge.
pub(crate) const RFC7636_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// A check's view of the run.
#[derive(Debug)]
pub(crate) struct Cx<'t> {
    pub(crate) target: &'t Target,
    pub(crate) http: Http,
    discovery: tokio::sync::Mutex<Option<Map<String, Value>>>,
    notes: Mutex<Vec<String>>,
}

/// An authorization request checks build.
#[derive(Debug, Clone)]
pub(crate) struct AuthRequest<'a> {
    pub(crate) client: &'a Client,
    pub(crate) redirect_uri: String,
    pub(crate) params: Vec<(String, String)>,
}

impl<'a> AuthRequest<'a> {
    /// `response_type=code`, the client's first redirect URI, `state`, `scope`.
    pub(crate) fn code(client: &'a Client, scope: &str) -> AuthRequest<'a> {
        let redirect_uri = client.redirect_uris.first().cloned().unwrap_or_default();
        AuthRequest {
            client,
            params: vec![
                ("response_type".into(), "code".into()),
                ("client_id".into(), client.id.clone()),
                ("redirect_uri".into(), redirect_uri.clone()),
                ("scope".into(), scope.into()),
                ("state".into(), "st-Az09._~".into()),
            ],
            redirect_uri,
        }
    }

    /// Sets (or with `None` removes) a parameter.
    pub(crate) fn set(mut self, name: &str, value: Option<&str>) -> AuthRequest<'a> {
        self.params.retain(|(k, _)| k != name);
        if let Some(value) = value {
            self.params.push((name.into(), value.into()));
        }
        if name == "redirect_uri" {
            self.redirect_uri = value.unwrap_or_default().to_owned();
        }
        self
    }

    /// Adds an S256 challenge for `verifier`.
    pub(crate) fn s256(self, verifier: &str) -> AuthRequest<'a> {
        self.set("code_challenge", Some(&s256(verifier)))
            .set("code_challenge_method", Some("S256"))
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// What came back to the redirect URI.
#[derive(Debug, Clone)]
pub(crate) struct Callback {
    /// The final redirect.
    pub(crate) exchange: Exchange,
    pub(crate) url: url::Url,
    pub(crate) jar: Jar,
}

impl Callback {
    pub(crate) fn param(&self, name: &str) -> Option<String> {
        self.url
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    pub(crate) fn jar_is_empty(&self) -> bool {
        self.jar.is_empty()
    }

    pub(crate) fn code(&self) -> Step<String> {
        self.param("code").ok_or_else(|| {
            self.exchange
                .fail(Some("code"), format!("no code in the redirect `{}`", self.url))
        })
    }
}

/// A successful token response.
#[derive(Debug, Clone)]
pub(crate) struct Tokens {
    pub(crate) exchange: Exchange,
    pub(crate) body: Map<String, Value>,
}

impl Tokens {
    pub(crate) fn str(&self, name: &str) -> Option<&str> {
        self.body.get(name).and_then(Value::as_str)
    }

    pub(crate) fn access_token(&self) -> Step<&str> {
        self.str("access_token").ok_or_else(|| {
            self.exchange
                .fail(Some("access_token"), "no access_token in the token response")
        })
    }

    pub(crate) fn refresh_token(&self) -> Step<&str> {
        self.str("refresh_token")
            .ok_or_else(|| skip("the target issued no refresh token"))
    }

    pub(crate) fn id_token(&self) -> Step<&str> {
        self.str("id_token").ok_or_else(|| {
            self.exchange
                .fail(Some("id_token"), "no id_token although scope has openid")
        })
    }
}

impl<'t> Cx<'t> {
    pub(crate) fn new(target: &'t Target, http: Http) -> Cx<'t> {
        Cx {
            target,
            http,
            discovery: tokio::sync::Mutex::new(None),
            notes: Mutex::new(Vec::new()),
        }
    }

    /// Adds a note to the check's result (a documented deviation, a part not tested).
    pub(crate) fn note(&self, note: impl Into<String>) {
        self.notes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(note.into());
    }

    pub(crate) fn take_notes(&self) -> Vec<String> {
        std::mem::take(&mut *self.notes.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Whether the target's provider is documented to depart from a requirement as
    /// `deviation` says; if so, notes it, so the report shows why the check let it pass.
    pub(crate) fn excused(&self, deviation: providers::Deviation) -> bool {
        let provider = self.provider();
        let excused = provider.flavor().deviates(deviation);
        if excused {
            self.note(format!(
                "documented {provider} deviation ({}): {}",
                deviation.requirement(),
                deviation.description()
            ));
        }
        excused
    }

    pub(crate) fn provider(&self) -> providers::Provider {
        self.target.provider()
    }

    pub(crate) fn issuer(&self) -> &str {
        self.target.issuer()
    }

    pub(crate) async fn send(&self, req: Req) -> Step<Exchange> {
        self.http.send(req).await
    }

    /// The discovery document (fetched once per run; a failed fetch is retried by the next check).
    pub(crate) async fn discovery(&self) -> Step<Map<String, Value>> {
        let mut cached = self.discovery.lock().await;
        if let Some(doc) = &*cached {
            return Ok(doc.clone());
        }
        let exchange = self.send(Req::get(self.target.discovery_url())).await?;
        let doc = exchange.ok_object()?;
        *cached = Some(doc.clone());
        Ok(doc)
    }

    /// The URL of `endpoint`: from discovery, else where the mock serves it; skips when unknown.
    pub(crate) async fn endpoint(&self, endpoint: Endpoint) -> Step<String> {
        let member = match endpoint {
            Endpoint::Authorize => "authorization_endpoint",
            Endpoint::Token => "token_endpoint",
            Endpoint::Jwks => "jwks_uri",
            Endpoint::Userinfo => "userinfo_endpoint",
            Endpoint::Introspect => "introspection_endpoint",
            Endpoint::Revoke => "revocation_endpoint",
            Endpoint::EndSession => "end_session_endpoint",
            _ => "",
        };
        let doc = self.discovery().await?;
        if let Some(url) = doc.get(member).and_then(Value::as_str) {
            return Ok(url.to_owned());
        }
        self.target
            .fallback_endpoint(endpoint)
            .ok_or_else(|| skip(format!("discovery advertises no `{member}`")))
    }

    /// A role's client from the World, or a skip.
    pub(crate) fn web(&self) -> Step<&'t Client> {
        self.target
            .cast()
            .web
            .ok_or_else(|| skip("the world has no confidential code-flow client"))
    }

    pub(crate) fn spa(&self) -> Step<&'t Client> {
        self.target
            .cast()
            .spa
            .ok_or_else(|| skip("the world has no public code-flow client"))
    }

    pub(crate) fn service(&self) -> Step<&'t Client> {
        self.target
            .cast()
            .service
            .ok_or_else(|| skip("the world has no client_credentials client"))
    }

    pub(crate) fn encoded_client(&self) -> Step<&'t Client> {
        self.target
            .cast()
            .encoded
            .ok_or_else(|| skip("the world has no client whose credentials change under form-urlencoding"))
    }

    pub(crate) fn introspector(&self) -> Step<&'t Client> {
        self.target
            .cast()
            .introspector
            .ok_or_else(|| skip("the world has no client allowed to introspect"))
    }

    pub(crate) fn user(&self) -> Step<&'t User> {
        self.target
            .cast()
            .user
            .ok_or_else(|| skip("the world has no enabled user"))
    }

    /// How `client` authenticates: Basic for confidential clients, `client_id` for public ones.
    pub(crate) fn client_auth(client: &Client) -> (Auth, Vec<(String, String)>) {
        match secret(client) {
            Some(secret) => (Auth::Basic(client.id.clone(), secret.to_owned()), Vec::new()),
            None => (Auth::None, vec![("client_id".into(), client.id.clone())]),
        }
    }

    /// A POST to the token endpoint as `client`.
    pub(crate) async fn token_request(&self, client: &Client, params: &[(&str, &str)]) -> Step<Exchange> {
        let url = self.endpoint(Endpoint::Token).await?;
        let (auth, extra) = Cx::client_auth(client);
        self.send(Req::post(url).auth(auth).form(params).form(&extra)).await
    }

    /// Expects a successful token response.
    pub(crate) fn tokens(exchange: Exchange) -> Step<Tokens> {
        let body = exchange.ok_object()?;
        if !body.get("access_token").is_some_and(Value::is_string) {
            return Err(exchange.fail(Some("access_token"), "no access_token in the token response"));
        }
        Ok(Tokens { exchange, body })
    }

    /// Sends the authorization request and drives the login headlessly (the mock's
    /// `login_hint` auto-approval, or a login form with the user's password) until the
    /// redirect to the client; returns that redirect, or the first answer that is not part of
    /// the login.
    pub(crate) async fn authorize(
        &self,
        request: &AuthRequest<'_>,
        user: Option<&User>,
        jar: Jar,
    ) -> Step<Result<Callback, Exchange>> {
        let url = self.endpoint(Endpoint::Authorize).await?;
        let mut jar = jar;
        let mut params = request.params.clone();
        if let Some(user) = user
            && !params.iter().any(|(k, _)| k == "login_hint")
        {
            params.push(("login_hint".into(), user.username.clone()));
        }
        let mut exchange = self.http.send_with(Req::get(url).form(&params), Some(&mut jar)).await?;
        for _ in 0..6 {
            if exchange.is_redirect() {
                let Some(location) = exchange.location() else {
                    return Ok(Err(exchange));
                };
                if !request.redirect_uri.is_empty() && location.as_str().starts_with(request.redirect_uri.as_str()) {
                    return Ok(Ok(Callback {
                        exchange,
                        url: location,
                        jar,
                    }));
                }
                if !same_origin(&location, self.issuer()) {
                    return Ok(Err(exchange));
                }
                exchange = self.http.send_with(Req::get(location.as_str()), Some(&mut jar)).await?;
                continue;
            }
            let Some(user) = user else {
                return Ok(Err(exchange));
            };
            let Some(form) = login_form(&exchange.body) else {
                return Ok(Err(exchange));
            };
            let action = exchange
                .location()
                .or_else(|| exchange.url.as_ref()?.join(&form.action).ok())
                .ok_or_else(|| exchange.fail(Some("form action"), "the login form has no usable action"))?;
            let mut fields = form.hidden;
            fields.push(("username".into(), user.username.clone()));
            fields.push(("password".into(), user.password.clone()));
            exchange = self
                .http
                .send_with(Req::post(action.as_str()).form(&fields), Some(&mut jar))
                .await?;
        }
        Ok(Err(exchange))
    }

    /// The code flow up to the callback, which must carry a code.
    pub(crate) async fn callback(&self, request: &AuthRequest<'_>) -> Step<Callback> {
        let user = self.user()?;
        match self.authorize(request, Some(user), Jar::default()).await? {
            Ok(callback) => {
                if let Some(error) = callback.param("error") {
                    return Err(callback.exchange.fail(
                        Some("error"),
                        format!(
                            "the authorization request was refused: {error} {}",
                            callback.param("error_description").unwrap_or_default()
                        ),
                    ));
                }
                Ok(callback)
            }
            Err(exchange) => Err(exchange.fail(None, "the login did not end in a redirect to the client")),
        }
    }

    /// Redeems `code` as the request's client (with `verifier` if given).
    pub(crate) async fn redeem(&self, request: &AuthRequest<'_>, code: &str, verifier: Option<&str>) -> Step<Exchange> {
        let mut params = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", request.redirect_uri.as_str()),
        ];
        if let Some(verifier) = verifier {
            params.push(("code_verifier", verifier));
        }
        self.token_request(request.client, &params).await
    }

    /// A full code flow for the web client: tokens for the user with `scope`.
    pub(crate) async fn web_tokens(&self, scope: &str) -> Step<Tokens> {
        let web = self.web()?;
        let request = AuthRequest::code(web, scope).set("nonce", Some("n-0S6_WzA2Mj"));
        let callback = self.callback(&request).await?;
        let code = callback.code()?;
        Cx::tokens(self.redeem(&request, &code, None).await?)
    }

    /// Tokens through client credentials.
    pub(crate) async fn service_tokens(&self) -> Step<Tokens> {
        let service = self.service()?;
        Cx::tokens(
            self.token_request(service, &[("grant_type", "client_credentials")])
                .await?,
        )
    }

    /// The scope that puts the introspecting client into `aud` (Keycloak and ZITADEL answer
    /// `active: false` otherwise), if the World has one.
    pub(crate) fn audience_scope(&self) -> Option<String> {
        let introspector = self.target.cast().introspector?;
        introspector.audience_scopes.first().cloned()
    }

    /// An introspection request as the introspecting client.
    pub(crate) async fn introspect(&self, params: &[(&str, &str)]) -> Step<Exchange> {
        let url = self.endpoint(Endpoint::Introspect).await?;
        let client = self.introspector()?;
        let (auth, extra) = Cx::client_auth(client);
        self.send(Req::post(url).auth(auth).form(params).form(&extra)).await
    }

    /// Expects the answer to a request the spec says must be refused with `spec_status` and one
    /// of `spec_codes`; a provider whose error table (in `providers`) documents another answer
    /// for `kind` passes with a note when it gives exactly that answer.
    pub(crate) fn expect_error(
        &self,
        exchange: &Exchange,
        kind: &ErrorKind,
        spec_status: &[u16],
        spec_codes: &[&str],
    ) -> Step {
        let code = exchange.error_code();
        let spec_ok =
            spec_status.contains(&exchange.status) && code.as_deref().is_some_and(|c| spec_codes.contains(&c));
        if spec_ok {
            return Ok(());
        }
        let documented = self.provider().error_response(kind, "", self.target.realm_name());
        let documented_code = documented.error_code().map(str::to_owned);
        if documented.status == exchange.status && documented_code == code {
            self.note(format!(
                "{} answers {} {} as documented in providers (spec: {} {})",
                self.provider(),
                exchange.status,
                code.as_deref().unwrap_or("(no error code)"),
                join_u16(spec_status),
                spec_codes.join("|"),
            ));
            return Ok(());
        }
        Err(exchange.fail(
            Some("error"),
            format!(
                "expected {} {} (or {}'s documented {} {}), got {} {}",
                join_u16(spec_status),
                spec_codes.join("|"),
                self.provider(),
                documented.status,
                documented_code.as_deref().unwrap_or("(no error code)"),
                exchange.status,
                code.as_deref().unwrap_or("(no error code)"),
            ),
        ))
    }

    /// Expects no token in the answer (for requests that must be refused).
    pub(crate) fn expect_no_token(exchange: &Exchange) -> Step {
        if exchange.json().is_some_and(|v| v.get("access_token").is_some()) {
            return Err(exchange.fail(
                Some("access_token"),
                "a token was issued for a request that must be refused",
            ));
        }
        Ok(())
    }

    /// Verifies `jwt`'s signature against the target's JWKS; returns header and claims.
    pub(crate) async fn verify_jwt(&self, jwt: &str) -> Step<(Map<String, Value>, Map<String, Value>)> {
        let jwks_url = self.endpoint(Endpoint::Jwks).await?;
        let jwks = self.send(Req::get(jwks_url)).await?;
        let keys = jwks.ok_object()?;
        let keys = keys.get("keys").and_then(Value::as_array).cloned().unwrap_or_default();
        crate::jose::verify(jwt, &keys).map_err(|message| fail(Some("signature"), message))
    }

    /// Moves the mock's clock (mock targets built with a clock), or skips.
    pub(crate) fn advance_clock(&self, seconds: u64) -> Step {
        let clock = self
            .target
            .clock()
            .ok_or_else(|| skip("the target's clock cannot be moved"))?;
        clock.advance(seconds);
        Ok(())
    }
}

fn join_u16(values: &[u16]) -> String {
    values.iter().map(u16::to_string).collect::<Vec<_>>().join("|")
}

fn same_origin(url: &url::Url, issuer: &str) -> bool {
    url::Url::parse(issuer).is_ok_and(|issuer| issuer.origin() == url.origin())
}

/// A login form: its action and hidden fields.
struct LoginForm {
    action: String,
    hidden: Vec<(String, String)>,
}

fn login_form(html: &str) -> Option<LoginForm> {
    let start = html.find("<form")?;
    let form = &html[start..];
    let end = form.find("</form>").unwrap_or(form.len());
    let form = &form[..end];
    let tag_end = form.find('>')?;
    let action = attribute(&form[..tag_end], "action")?;
    if !form.contains("name=\"password\"") {
        return None;
    }
    let mut hidden = Vec::new();
    for input in form.split("<input").skip(1) {
        let tag = &input[..input.find('>').unwrap_or(input.len())];
        if attribute(tag, "type").as_deref() == Some("hidden")
            && let Some(name) = attribute(tag, "name")
        {
            hidden.push((name, attribute(tag, "value").unwrap_or_default()));
        }
    }
    Some(LoginForm { action, hidden })
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let needle = format!("{name}=\"");
    let start = tag.find(&needle)? + needle.len();
    let value = &tag[start..];
    let end = value.find('"')?;
    Some(unescape(&value[..end]))
}

fn unescape(text: &str) -> String {
    text.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

/// The S256 challenge of `verifier`.
pub(crate) fn s256(verifier: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// Decodes a JWT's payload without verifying it.
pub(crate) fn claims(jwt: &str) -> Option<Map<String, Value>> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

impl From<Stop> for crate::check::Outcome {
    fn from(stop: Stop) -> crate::check::Outcome {
        match stop {
            Stop::Fail(evidence) => crate::check::Outcome::Fail { evidence },
            Stop::Skip(reason) => crate::check::Outcome::Skipped { reason },
        }
    }
}
