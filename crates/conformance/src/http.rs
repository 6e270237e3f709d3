//! HTTP for checks: every request is described (secrets masked) so a failure can show it.

use crate::check::Evidence;
use reqwest::header::HeaderMap;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// Why a check stopped before passing.
#[derive(Debug)]
pub(crate) enum Stop {
    /// The target misbehaved.
    Fail(Evidence),
    /// The check does not apply.
    Skip(String),
}

/// A check step: `?` stops the check with a failure or a skip.
pub(crate) type Step<T = ()> = Result<T, Stop>;

/// A failure without an HTTP exchange.
pub(crate) fn fail(field: Option<&str>, message: impl Into<String>) -> Stop {
    Stop::Fail(Evidence {
        field: field.map(str::to_owned),
        message: message.into(),
        ..Evidence::default()
    })
}

/// A skip.
pub(crate) fn skip(reason: impl Into<String>) -> Stop {
    Stop::Skip(reason.into())
}

/// Form parameters whose values never appear in evidence.
const SECRET_PARAMS: &[&str] = &["client_secret", "password"];

/// How a request authenticates.
#[derive(Debug, Clone)]
pub(crate) enum Auth {
    None,
    Basic(String, String),
    /// Basic credentials sent without the form-urlencoding RFC 6749 §2.3.1 asks for.
    RawBasic(String, String),
    Bearer(String),
}

/// One request to send.
#[derive(Debug, Clone)]
pub(crate) struct Req {
    method: reqwest::Method,
    url: String,
    form: Option<Vec<(String, String)>>,
    raw: Option<(String, String)>,
    auth: Auth,
    /// Extra request headers (a DPoP proof).
    headers: Vec<(String, String)>,
}

impl Req {
    pub(crate) fn get(url: impl Into<String>) -> Req {
        Req {
            method: reqwest::Method::GET,
            url: url.into(),
            form: None,
            raw: None,
            auth: Auth::None,
            headers: Vec::new(),
        }
    }

    pub(crate) fn post(url: impl Into<String>) -> Req {
        Req {
            method: reqwest::Method::POST,
            ..Req::get(url)
        }
    }

    /// Adds form parameters (the body of a POST, the query of a GET).
    pub(crate) fn form<K: AsRef<str>, V: AsRef<str>>(mut self, pairs: &[(K, V)]) -> Req {
        let form = self.form.get_or_insert_with(Vec::new);
        form.extend(
            pairs
                .iter()
                .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned())),
        );
        self
    }

    /// A raw body with its content type.
    pub(crate) fn body(mut self, content_type: &str, body: impl Into<String>) -> Req {
        self.raw = Some((content_type.to_owned(), body.into()));
        self
    }

    pub(crate) fn basic(mut self, id: &str, secret: &str) -> Req {
        self.auth = Auth::Basic(id.to_owned(), secret.to_owned());
        self
    }

    pub(crate) fn bearer(mut self, token: &str) -> Req {
        self.auth = Auth::Bearer(token.to_owned());
        self
    }

    /// Adds a request header.
    pub(crate) fn header(mut self, name: &str, value: impl Into<String>) -> Req {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    pub(crate) fn auth(mut self, auth: Auth) -> Req {
        self.auth = auth;
        self
    }

    /// `METHOD URL params (auth)`, secrets masked, long values shortened.
    pub(crate) fn describe(&self) -> String {
        let mut text = format!("{} {}", self.method, self.url);
        if let Some(form) = &self.form {
            let params: Vec<String> = form
                .iter()
                .map(|(k, v)| {
                    let v = if SECRET_PARAMS.contains(&k.as_str()) {
                        "***".to_owned()
                    } else {
                        shorten(v)
                    };
                    format!("{k}={v}")
                })
                .collect();
            text.push(' ');
            text.push_str(&params.join("&"));
        }
        if let Some((content_type, body)) = &self.raw {
            text.push_str(&format!(" [{content_type}] {}", shorten(body)));
        }
        match &self.auth {
            Auth::None => {}
            Auth::Basic(id, _) => text.push_str(&format!(" (Basic {id}:***)")),
            Auth::RawBasic(id, _) => text.push_str(&format!(" (Basic, not form-urlencoded, {id}:***)")),
            Auth::Bearer(token) => text.push_str(&format!(" (Bearer {})", shorten(token))),
        }
        for (name, value) in &self.headers {
            text.push_str(&format!(" [{name}: {}]", shorten(value)));
        }
        text
    }
}

fn shorten(value: &str) -> String {
    if value.chars().count() > 48 {
        format!("{}…", value.chars().take(40).collect::<String>())
    } else {
        value.to_owned()
    }
}

/// A request and its answer.
#[derive(Debug, Clone)]
pub(crate) struct Exchange {
    /// The request as evidence shows it ([`Req::describe`]).
    pub(crate) request: String,
    /// The request URL (without a GET form's query); `None` when it does not parse.
    pub(crate) url: Option<url::Url>,
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: String,
}

impl Exchange {
    /// A failure showing this exchange.
    pub(crate) fn fail(&self, field: Option<&str>, message: impl Into<String>) -> Stop {
        Stop::Fail(Evidence {
            request: Some(self.request.clone()),
            status: Some(self.status),
            field: field.map(str::to_owned),
            message: message.into(),
        })
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub(crate) fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.body).ok()
    }

    /// The body as a JSON object, or a failure.
    pub(crate) fn object(&self) -> Step<Map<String, Value>> {
        match self.json() {
            Some(Value::Object(map)) => Ok(map),
            _ => Err(self.fail(None, format!("expected a JSON object, got `{}`", shorten(&self.body)))),
        }
    }

    /// Expects `status`.
    pub(crate) fn expect_status(&self, status: u16) -> Step {
        if self.status == status {
            Ok(())
        } else {
            Err(self.fail(
                None,
                format!(
                    "expected status {status}, got {}: `{}`",
                    self.status,
                    shorten(&self.body)
                ),
            ))
        }
    }

    /// Expects a 200 JSON object.
    pub(crate) fn ok_object(&self) -> Step<Map<String, Value>> {
        self.expect_status(200)?;
        self.object()
    }

    /// The `error` member of a JSON body.
    pub(crate) fn error_code(&self) -> Option<String> {
        self.json()?.get("error")?.as_str().map(str::to_owned)
    }

    /// The `Location` header, resolved against the request URL.
    pub(crate) fn location(&self) -> Option<url::Url> {
        let location = self.header("location")?;
        match &self.url {
            Some(base) => base.join(location).ok(),
            None => url::Url::parse(location).ok(),
        }
    }

    pub(crate) fn is_redirect(&self) -> bool {
        (300..400).contains(&self.status)
    }

    /// `Cache-Control` contains `no-store`.
    pub(crate) fn no_store(&self) -> bool {
        self.header("cache-control")
            .is_some_and(|v| v.to_ascii_lowercase().contains("no-store"))
    }
}

/// A cookie jar of name → value (enough for login sessions on one host).
#[derive(Debug, Clone, Default)]
pub(crate) struct Jar(BTreeMap<String, String>);

impl Jar {
    fn absorb(&mut self, headers: &HeaderMap) {
        for value in headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()) {
            let pair = value.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                let expired = value.is_empty() || value.eq_ignore_ascii_case("deleted");
                if expired {
                    self.0.remove(name.trim());
                } else {
                    self.0.insert(name.trim().to_owned(), value.trim().to_owned());
                }
            }
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn header(&self) -> Option<String> {
        (!self.0.is_empty()).then(|| {
            self.0
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }
}

/// The HTTP client of a run: redirects are never followed.
#[derive(Debug, Clone)]
pub(crate) struct Http {
    client: reqwest::Client,
}

impl Http {
    /// A client with `timeout` per request that follows no redirects; `accept_invalid_certs`
    /// for targets with a self-signed certificate only (`Target::accepts_invalid_certs`).
    pub(crate) fn new(timeout: Duration, accept_invalid_certs: bool) -> Result<Http, reqwest::Error> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .danger_accept_invalid_certs(accept_invalid_certs)
            .build()?;
        Ok(Http { client })
    }

    /// The underlying client, for token-guard's discovery, JWKS and introspection fetches: the
    /// same timeout, redirect policy and certificate trust as the checks' own requests.
    pub(crate) fn reqwest_client(&self) -> reqwest::Client {
        self.client.clone()
    }

    pub(crate) async fn send(&self, req: Req) -> Step<Exchange> {
        self.send_with(req, None).await
    }

    /// Sends `req` with the jar's cookies and keeps the cookies it sets.
    pub(crate) async fn send_with(&self, req: Req, jar: Option<&mut Jar>) -> Step<Exchange> {
        let request = req.describe();
        let url = url::Url::parse(&req.url).ok();
        let mut builder = self.client.request(req.method.clone(), &req.url);
        if let Some(form) = &req.form {
            builder = if req.method == reqwest::Method::GET {
                builder.query(form)
            } else {
                builder.form(form)
            };
        }
        if let Some((content_type, body)) = req.raw {
            builder = builder.header("content-type", content_type).body(body);
        }
        builder = match &req.auth {
            Auth::None => builder,
            Auth::Basic(id, secret) => builder.basic_auth(form_encode(id), Some(form_encode(secret))),
            Auth::RawBasic(id, secret) => builder.basic_auth(id, Some(secret)),
            Auth::Bearer(token) => builder.bearer_auth(token),
        };
        for (name, value) in &req.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(cookie) = jar.as_deref().and_then(Jar::header) {
            builder = builder.header("cookie", cookie);
        }
        let response = builder.send().await.map_err(|err| {
            Stop::Fail(Evidence {
                request: Some(request.clone()),
                message: format!("no answer: {}", error_chain(&err)),
                ..Evidence::default()
            })
        })?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        if let Some(jar) = jar {
            jar.absorb(&headers);
        }
        let body = response.text().await.map_err(|err| {
            Stop::Fail(Evidence {
                request: Some(request.clone()),
                status: Some(status),
                message: format!("body not read: {}", error_chain(&err)),
                ..Evidence::default()
            })
        })?;
        Ok(Exchange {
            request,
            url,
            status,
            headers,
            body,
        })
    }
}

/// RFC 6749 §2.3.1: client id and secret are form-urlencoded before HTTP Basic.
/// RFC 6749 §2.3.1's form-urlencoding of a client id or secret before Basic authentication.
pub(crate) fn form_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
