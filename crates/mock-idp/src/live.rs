//! `mock-idp token` against a running server: find which provider it imitates from its
//! discovery document, then get the token through that server's real grants over loopback HTTP
//! (client credentials; the password grant; or the authorization code flow with PKCE through
//! its login form).

use crate::wire::{self, Reply};
use base64::Engine;
use mock_idp::{Endpoint, LoginForm, Provider, World};
use providers::{Client, ClientKind, GrantType};
use serde_json::{Map, Value};
use std::net::SocketAddr;

/// What to ask for.
pub(crate) struct Ask<'a> {
    pub(crate) address: SocketAddr,
    /// The server's public URL when it was started with one (its paths carry any prefix of it);
    /// `http://{address}` otherwise. Requests always go to `address`.
    pub(crate) public_url: Option<&'a str>,
    /// Tried first when probing (the server may imitate another provider).
    pub(crate) provider: Provider,
    pub(crate) world: &'a World,
    pub(crate) realm: &'a str,
    pub(crate) client: &'a str,
    pub(crate) user: Option<&'a str>,
}

/// The discovery document of the server's realm, and the provider whose paths served it.
struct Found {
    provider: Provider,
    discovery: Map<String, Value>,
}

/// The token endpoint's JSON answer, from the server at `ask.address`.
pub(crate) fn token(ask: &Ask<'_>) -> Result<Map<String, Value>, String> {
    let realm = ask
        .world
        .realm(ask.realm)
        .ok_or_else(|| format!("the world has no realm `{}`", ask.realm))?;
    let client = realm
        .client(ask.client)
        .ok_or_else(|| format!("unknown client `{}` in realm {}", ask.client, ask.realm))?;
    let found = probe(ask)?;
    tracing::debug!(provider = %found.provider, "the server answered");
    let token_endpoint = member(&found.discovery, "token_endpoint")?;
    let Some(username) = ask.user else {
        return grant(ask, &token_endpoint, client, &[("grant_type", "client_credentials")]);
    };
    let user = realm
        .user(username)
        .ok_or_else(|| format!("unknown user `{username}` in realm {}", ask.realm))?;
    let scope = client.scopes.join(" ");
    let offered = |grant: &str| {
        found
            .discovery
            .get("grant_types_supported")
            .and_then(Value::as_array)
            .is_some_and(|grants| grants.iter().any(|offered| offered == grant))
    };
    if client.allows(GrantType::Password) && offered("password") {
        let form = [
            ("grant_type", "password"),
            ("username", user.username.as_str()),
            ("password", user.password.expose()),
            ("scope", scope.as_str()),
        ];
        return grant(ask, &token_endpoint, client, &form);
    }
    if !client.allows(GrantType::AuthorizationCode) {
        return Err(format!("client {} has no user grant", client.id));
    }
    let (code, redirect_uri, verifier) = log_in(ask, &found, client, &user.username, user.password.expose(), &scope)?;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", redirect_uri.as_str()),
        ("code_verifier", verifier.as_str()),
    ];
    grant(ask, &token_endpoint, client, &form)
}

/// Asks each provider's discovery URL for the realm, `ask.provider` first; the first JSON
/// document naming a token endpoint wins. No answer at all is the "no server" error.
fn probe(ask: &Ask<'_>) -> Result<Found, String> {
    let base = ask
        .public_url
        .map(|url| url.trim_end_matches('/').to_owned())
        .unwrap_or_else(|| format!("http://{}", ask.address));
    let is_default = ask.realm == ask.world.default_realm;
    let order = std::iter::once(ask.provider).chain(Provider::ALL.into_iter().filter(|p| *p != ask.provider));
    for provider in order {
        let Some(url) = provider.site(&base, ask.realm, is_default).url(Endpoint::Discovery) else {
            continue;
        };
        let reply = wire::get(ask.address, &path_of(&url)).map_err(|err| match err {
            wire::WireError::Connect(_) => format!(
                "no mock-idp server answers on {} (start one with `mock-idp serve --port {}`)",
                ask.address,
                ask.address.port()
            ),
            other => other.to_string(),
        })?;
        if reply.status != 200 {
            continue;
        }
        if let Ok(Value::Object(discovery)) = serde_json::from_slice::<Value>(&reply.body)
            && discovery.get("token_endpoint").is_some_and(Value::is_string)
        {
            return Ok(Found { provider, discovery });
        }
    }
    Err(format!(
        "the server on {} serves no realm `{}` of any provider (is it mock-idp, with the same world?)",
        ask.address, ask.realm
    ))
}

/// The authorization code flow with PKCE through the server's login form: the code, the
/// redirect URI and the verifier.
fn log_in(
    ask: &Ask<'_>,
    found: &Found,
    client: &Client,
    username: &str,
    password: &str,
    scope: &str,
) -> Result<(String, String, String), String> {
    let authorize = member(&found.discovery, "authorization_endpoint")?;
    let redirect_uri = client
        .redirect_uris
        .first()
        .cloned()
        .ok_or_else(|| format!("client {} has no redirect URI", client.id))?;
    let verifier = random_text()?;
    let challenge = idp_jose::digest::s256(&verifier);
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("response_type", "code"),
            ("client_id", client.id.as_str()),
            ("redirect_uri", redirect_uri.as_str()),
            ("scope", scope),
            ("state", "mock-idp-token"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .finish();
    let page = wire::get(ask.address, &format!("{}?{query}", path_of(&authorize))).map_err(|err| err.to_string())?;
    if page.status != 200 {
        return Err(format!("the authorization endpoint answered {}", describe(&page)));
    }
    let LoginForm { action, request_id } = LoginForm::scrape(&String::from_utf8_lossy(&page.body))
        .ok_or("the authorization endpoint showed no login form")?;
    let form = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("request_id", request_id.as_str()),
            ("username", username),
            ("password", password),
            ("action", "login"),
        ])
        .finish();
    let reply = wire::post(ask.address, &path_of(&action), &[], form.as_bytes()).map_err(|err| err.to_string())?;
    let location = reply
        .header("location")
        .and_then(|location| url::Url::parse(location).ok())
        .ok_or_else(|| match LoginForm::message(&String::from_utf8_lossy(&reply.body)) {
            Some(message) => format!("the login was refused: {message}"),
            None => format!("the login was refused: {}", describe(&reply)),
        })?;
    let code = location
        .query_pairs()
        .find(|(name, _)| name == "code")
        .map(|(_, value)| value.into_owned())
        .ok_or_else(|| format!("no code in the redirect: {location}"))?;
    Ok((code, redirect_uri, verifier))
}

/// Posts a token request, authenticating the client as the World registers it.
fn grant(ask: &Ask<'_>, endpoint: &str, client: &Client, form: &[(&str, &str)]) -> Result<Map<String, Value>, String> {
    let mut body = form_urlencoded::Serializer::new(String::new());
    body.extend_pairs(form);
    let mut headers = Vec::new();
    match &client.kind {
        ClientKind::Confidential { secret } => {
            let encode = |text: &str| form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
            let credentials = format!("{}:{}", encode(&client.id), encode(secret.expose()));
            let basic = base64::engine::general_purpose::STANDARD.encode(credentials);
            headers.push(("Authorization".to_owned(), format!("Basic {basic}")));
        }
        ClientKind::Public => {
            body.append_pair("client_id", &client.id);
        }
    }
    let reply = wire::post(ask.address, &path_of(endpoint), &headers, body.finish().as_bytes())
        .map_err(|err| err.to_string())?;
    if reply.status != 200 {
        return Err(format!("the token endpoint refused: {}", describe(&reply)));
    }
    match serde_json::from_slice::<Value>(&reply.body) {
        Ok(Value::Object(body)) if body.get("access_token").is_some_and(Value::is_string) => Ok(body),
        _ => Err(format!("the token endpoint answered no token: {}", describe(&reply))),
    }
}

fn member(discovery: &Map<String, Value>, name: &str) -> Result<String, String> {
    discovery
        .get(name)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| format!("the server's discovery document has no {name}"))
}

/// `status body` of a reply, the body cut to one short line.
fn describe(reply: &Reply) -> String {
    let text: String = String::from_utf8_lossy(&reply.body)
        .chars()
        .filter(|c| !c.is_control())
        .take(300)
        .collect();
    format!("{} {text}", reply.status)
}

/// The path and query of a URL (the request goes to the loopback address whatever its host).
fn path_of(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(parsed) => match parsed.query() {
            Some(query) => format!("{}?{query}", parsed.path()),
            None => parsed.path().to_owned(),
        },
        Err(_) => url.to_owned(),
    }
}

/// 32 random bytes, base64url: a PKCE verifier.
fn random_text() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| "no randomness".to_owned())?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}
