//! The flows checks share: authorization requests, the headless login through the provider's
//! form, the callback, code redemption, client authentication and token requests.

use super::Cx;
use super::form::{confirm_form, login_form};
use super::jwt::s256;
use crate::http::{Auth, Exchange, Jar, Req, Step, skip};
use crate::targets::secret;
use mock_idp::Endpoint;
use providers::{Client, User};
use serde_json::{Map, Value};

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
            fields.push(("password".into(), user.password.expose().to_owned()));
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

    /// Tokens through the code flow that include a refresh token where the provider issues one:
    /// `openid`, plus `offline_access` where the provider needs it for a refresh token
    /// ([`providers::Quirks::refresh_needs_offline_access`], ZITADEL).
    pub(crate) async fn refreshable_tokens(&self) -> Step<Tokens> {
        if self.provider().flavor().quirks().refresh_needs_offline_access {
            self.web_tokens("openid offline_access").await
        } else {
            self.web_tokens("openid").await
        }
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

    /// Ends the session at `end_session` with `params`, in the browser of `jar`; where the
    /// provider asks the user to confirm (WSO2 always does, with a browser session), the
    /// confirmation form is submitted as the user would.
    pub(crate) async fn end_session(
        &self,
        end_session: &str,
        params: &[(&str, &str)],
        jar: &mut Jar,
    ) -> Step<Exchange> {
        let answer = self
            .http
            .send_with(Req::get(end_session).form(params), Some(jar))
            .await?;
        if answer.status != 200 {
            return Ok(answer);
        }
        let Some(form) = confirm_form(&answer.body) else {
            return Ok(answer);
        };
        let action = answer
            .url
            .as_ref()
            .and_then(|base| base.join(&form.action).ok())
            .ok_or_else(|| answer.fail(Some("form action"), "the logout confirmation has no usable action"))?;
        self.http
            .send_with(Req::post(action.as_str()).form(&form.hidden), Some(jar))
            .await
    }

    /// An introspection request as the introspecting client.
    pub(crate) async fn introspect(&self, params: &[(&str, &str)]) -> Step<Exchange> {
        let url = self.endpoint(Endpoint::Introspect).await?;
        let client = self.introspector()?;
        let (auth, extra) = Cx::client_auth(client);
        self.send(Req::post(url).auth(auth).form(params).form(&extra)).await
    }
}

pub(super) fn same_origin(url: &url::Url, issuer: &str) -> bool {
    url::Url::parse(issuer).is_ok_and(|issuer| issuer.origin() == url.origin())
}
