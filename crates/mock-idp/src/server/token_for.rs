//! [`MockIdp::token_for`]: tokens through the real grants, sent to the server's own router.

use super::{HttpError, MockIdp, MockIdpError};
use crate::app::App;
use crate::b64;
use axum::Router;
use axum::body::Body;
use axum::body::Bytes;
use axum::http::{HeaderMap, Request, StatusCode, header};
use base64::Engine;
use providers::{Client, ClientKind, Endpoint, GrantType, User};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tower::ServiceExt;

/// A token endpoint response.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[non_exhaustive]
pub struct TokenSet {
    /// `access_token`.
    pub access_token: String,
    /// `token_type` (`Bearer`).
    pub token_type: String,
    /// `expires_in`, seconds.
    pub expires_in: u64,
    /// `refresh_token`, when the client may refresh.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// `id_token`, when `openid` was granted to a user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// `scope`, the granted scopes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Provider-specific members (e.g. Keycloak's `refresh_expires_in`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl MockIdp {
    /// Gets `username` a token for `client_id` in the default realm through the real token
    /// endpoint: the password grant when the client and the provider have it, otherwise the
    /// authorization code flow with PKCE through the server's own login form (the authorization
    /// endpoint's page, signed in with the user's password). All of the client's allowed scopes
    /// are requested. The admin API's `POST /_mock/tokens/issue` takes the same path.
    ///
    /// # Errors
    /// [`MockIdpError::UnknownUser`], [`MockIdpError::UnknownClient`],
    /// [`MockIdpError::NoUserGrant`], [`MockIdpError::LoginRefused`] (a disabled user) or
    /// [`MockIdpError::Http`] (e.g. [`HttpError::Status`] for the token endpoint's refusal).
    pub async fn token_for(&self, username: &str, client_id: &str) -> Result<TokenSet, MockIdpError> {
        let realm = self.app.default_realm().to_owned();
        self.real_grants().token_for(&realm, username, client_id).await
    }

    /// A service-account token for `client_id` through the real `client_credentials` grant.
    ///
    /// # Errors
    /// As [`MockIdp::token_for`].
    pub async fn service_token(&self, client_id: &str) -> Result<TokenSet, MockIdpError> {
        let realm = self.app.default_realm().to_owned();
        self.real_grants().service_token(&realm, client_id).await
    }

    /// [`MockIdp::token_for`] for tests without an async runtime (it must not be called from
    /// inside one).
    ///
    /// # Errors
    /// As [`MockIdp::token_for`].
    pub fn token_for_blocking(&self, username: &str, client_id: &str) -> Result<TokenSet, MockIdpError> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        runtime.block_on(self.token_for(username, client_id))
    }

    fn real_grants(&self) -> RealGrants<'_> {
        RealGrants {
            app: &self.app,
            router: self.router.clone(),
        }
    }
}

/// Tokens through the real grants of a realm, sent to a router of the provider's routes in
/// process: what [`MockIdp::token_for`] and the admin API's `POST /_mock/tokens/issue` share.
pub(crate) struct RealGrants<'a> {
    pub(crate) app: &'a App,
    pub(crate) router: Router,
}

impl RealGrants<'_> {
    /// A token for `username` issued to `client_id` in `realm` (see [`MockIdp::token_for`]).
    pub(crate) async fn token_for(
        &self,
        realm: &str,
        username: &str,
        client_id: &str,
    ) -> Result<TokenSet, MockIdpError> {
        let facts = self
            .app
            .live_realm(realm)
            .ok_or_else(|| MockIdpError::UnknownRealm(realm.to_owned()))?;
        let client = facts
            .client(client_id)
            .ok_or_else(|| MockIdpError::UnknownClient(client_id.to_owned()))?
            .clone();
        let user = facts
            .user(username)
            .ok_or_else(|| MockIdpError::UnknownUser(username.to_owned()))?
            .clone();
        let scope = client.scopes.join(" ");
        // ZITADEL has no password grant even where the World allows it: use the code flow.
        let password = client.allows(GrantType::Password)
            && self
                .app
                .provider
                .flavor()
                .quirks()
                .grant_types
                .contains(&GrantType::Password);
        if password {
            let form = [
                ("grant_type", "password"),
                ("username", &user.username),
                ("password", user.password.expose()),
                ("scope", &scope),
            ];
            return self.token_request(realm, &client, &form).await;
        }
        if !client.allows(GrantType::AuthorizationCode) {
            return Err(MockIdpError::NoUserGrant {
                client: client_id.to_owned(),
            });
        }
        let redirect_uri = client.redirect_uris.first().cloned().unwrap_or_default();
        let verifier = b64::random_token(32);
        let code = self
            .log_in(realm, &client, &user, &redirect_uri, &scope, &verifier)
            .await?;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect_uri.as_str()),
            ("code_verifier", verifier.as_str()),
        ];
        self.token_request(realm, &client, &form).await
    }

    /// A service-account token for `client_id` of `realm` through `client_credentials`.
    pub(crate) async fn service_token(&self, realm: &str, client_id: &str) -> Result<TokenSet, MockIdpError> {
        let client = self
            .app
            .live_realm(realm)
            .ok_or_else(|| MockIdpError::UnknownRealm(realm.to_owned()))?
            .client(client_id)
            .cloned()
            .ok_or_else(|| MockIdpError::UnknownClient(client_id.to_owned()))?;
        self.token_request(realm, &client, &[("grant_type", "client_credentials")])
            .await
    }

    fn endpoint_of(&self, realm: &str, endpoint: Endpoint) -> String {
        self.app.site(realm).url(endpoint).unwrap_or_default()
    }

    /// The authorization code flow's browser part, as a user would do it: GET the
    /// authorization endpoint (PKCE S256), fill in the login form it shows with the user's
    /// password, and take the code from the redirect. Sent to the server's own router, so the
    /// login page starts the session (`Store::start_session`), as it does for a browser.
    async fn log_in(
        &self,
        realm: &str,
        client: &Client,
        user: &User,
        redirect_uri: &str,
        scope: &str,
        verifier: &str,
    ) -> Result<String, MockIdpError> {
        let challenge = idp_jose::digest::s256(verifier);
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("response_type", "code"),
                ("client_id", client.id.as_str()),
                ("redirect_uri", redirect_uri),
                ("scope", scope),
                ("state", "token_for"),
                ("code_challenge", challenge.as_str()),
                ("code_challenge_method", "S256"),
            ])
            .finish();
        let authorize = format!("{}?{query}", path_of(&self.endpoint_of(realm, Endpoint::Authorize)));
        let request = Request::get(authorize)
            .body(Body::empty())
            .map_err(HttpError::Request)?;
        let (status, _, page) = self.send(request).await?;
        if !status.is_success() {
            return Err(status_error(Endpoint::Authorize, status, &page));
        }
        let form = crate::login::LoginForm::scrape(&String::from_utf8_lossy(&page)).ok_or(HttpError::NoLoginForm)?;
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("request_id", form.request_id.as_str()),
                ("username", user.username.as_str()),
                ("password", user.password.expose()),
                ("action", "login"),
            ])
            .finish();
        let request = Request::post(path_of(&form.action))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .map_err(HttpError::Request)?;
        let (status, headers, page) = self.send(request).await?;
        let Some(location) = headers
            .get(header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| url::Url::parse(value).ok())
        else {
            return Err(
                match crate::login::LoginForm::message(&String::from_utf8_lossy(&page)) {
                    Some(message) => MockIdpError::LoginRefused {
                        username: user.username.clone(),
                        status: status.as_u16(),
                        message,
                    },
                    None => status_error(Endpoint::Login, status, &page),
                },
            );
        };
        let code = location
            .query_pairs()
            .find(|(name, _)| name == "code")
            .map(|(_, value)| value.into_owned());
        code.ok_or_else(|| {
            HttpError::NoCode {
                location: location.to_string(),
            }
            .into()
        })
    }

    /// Sends `request` to the server's router: status, headers and body (at most 1 MiB).
    async fn send(&self, request: Request<Body>) -> Result<(StatusCode, HeaderMap, Bytes), MockIdpError> {
        let response = match self.router.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 20).await.map_err(HttpError::Body)?;
        Ok((parts.status, parts.headers, bytes))
    }

    async fn token_request(
        &self,
        realm: &str,
        client: &Client,
        form: &[(&str, &str)],
    ) -> Result<TokenSet, MockIdpError> {
        // Built in a block: the serializer is not `Send` and must not live across the await.
        let request = {
            let mut body = form_urlencoded::Serializer::new(String::new());
            body.extend_pairs(form);
            let mut request = Request::post(path_of(&self.endpoint_of(realm, Endpoint::Token)))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            match &client.kind {
                ClientKind::Confidential { secret } => {
                    let encode = |text: &str| form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
                    let credentials = format!("{}:{}", encode(&client.id), encode(secret.expose()));
                    let basic = base64::engine::general_purpose::STANDARD.encode(credentials);
                    request = request.header(header::AUTHORIZATION, format!("Basic {basic}"));
                }
                ClientKind::Public => {
                    body.append_pair("client_id", &client.id);
                }
            }
            request.body(Body::from(body.finish())).map_err(HttpError::Request)?
        };
        let (status, _, bytes) = self.send(request).await?;
        if !status.is_success() {
            return Err(status_error(Endpoint::Token, status, &bytes));
        }
        serde_json::from_slice(&bytes).map_err(|err| HttpError::Json(err).into())
    }
}

/// An endpoint's unexpected answer.
fn status_error(endpoint: Endpoint, status: StatusCode, body: &[u8]) -> MockIdpError {
    HttpError::Status {
        endpoint,
        status: status.as_u16(),
        body: String::from_utf8_lossy(body).into_owned(),
    }
    .into()
}

/// The path and query of an absolute URL (the router sees paths, not hosts).
fn path_of(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(parsed) => parsed.path().to_owned(),
        Err(_) => url.to_owned(),
    }
}
