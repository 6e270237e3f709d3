//! Outbound HTTP (discovery, JWKS, introspection): a timeout on every request, a cap on every
//! response body, and only URLs that come from configuration or the issuer's discovery.

use crate::error::ConfigError;
use std::time::Duration;

/// Checks that `url` is absolute http(s), and plain http only for a loopback host.
pub(crate) fn checked_url(url: &str, allow_http: bool) -> Result<url::Url, ConfigError> {
    let parsed = url::Url::parse(url).map_err(|_| ConfigError::Url(url.to_owned()))?;
    let loopback = match parsed.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if loopback || allow_http => Ok(parsed),
        _ => Err(ConfigError::Url(url.to_owned())),
    }
}

/// The client used when the caller brings none: HTTPS through rustls (the WebPKI roots and the
/// system's trust store), no redirects (a JWKS or introspection URL that moves is a
/// configuration error, not something to follow).
pub(crate) fn default_client() -> Result<reqwest::Client, ConfigError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|err| ConfigError::Url(err.to_string()))
}

/// Why a fetch failed (never shown to clients).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FetchError {
    #[error("request failed: {0}")]
    Transport(String),
    #[error("status {0}")]
    Status(u16),
    #[error("response larger than {0} bytes")]
    TooLarge(usize),
}

/// A successful response: body and the `Cache-Control` header.
#[derive(Debug)]
pub(crate) struct Fetched {
    pub(crate) body: Vec<u8>,
    pub(crate) cache_control: Option<String>,
}

/// Sends `request`, waits at most `timeout` in total and reads at most `cap` bytes of body.
pub(crate) async fn fetch(
    request: reqwest::RequestBuilder,
    timeout: Duration,
    cap: usize,
) -> Result<Fetched, FetchError> {
    let work = async {
        let mut response = request
            .send()
            .await
            .map_err(|err| FetchError::Transport(err.without_url().to_string()))?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(FetchError::Status(status));
        }
        if response.content_length().is_some_and(|len| len > cap as u64) {
            return Err(FetchError::TooLarge(cap));
        }
        let cache_control = response
            .headers()
            .get(reqwest::header::CACHE_CONTROL)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|err| FetchError::Transport(err.without_url().to_string()))?
        {
            if body.len() + chunk.len() > cap {
                return Err(FetchError::TooLarge(cap));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched { body, cache_control })
    };
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| FetchError::Transport("timed out".into()))?
}

/// `max-age` of a `Cache-Control` value; `Some(0)` for `no-store`/`no-cache`.
pub(crate) fn max_age(cache_control: &str) -> Option<u64> {
    let mut age = None;
    for directive in cache_control.split(',') {
        let directive = directive.trim();
        let lower = directive.to_ascii_lowercase();
        if lower == "no-store" || lower == "no-cache" {
            return Some(0);
        }
        if let Some(value) = lower.strip_prefix("max-age=") {
            age = value.trim_matches('"').parse().ok();
        }
    }
    age
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_default_client_speaks_tls() {
        // Real issuers are https: the first bytes the default client sends to an https URL must
        // be a TLS handshake record (0x16, version 3.x), not a refusal to try.
        use tokio::io::AsyncReadExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("https://{}/jwks", listener.local_addr().unwrap());
        let server = tokio::spawn(tokio::time::timeout(Duration::from_secs(10), async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut first = [0u8; 3];
            stream.read_exact(&mut first).await.unwrap();
            first
        }));
        let client = default_client().unwrap();
        let attempt = tokio::time::timeout(Duration::from_secs(10), client.get(&url).send()).await;
        let first = server.await.unwrap();
        assert_eq!(
            first.ok().map(|bytes| (bytes[0], bytes[1])),
            Some((0x16, 3)),
            "{attempt:?}"
        );
    }

    #[test]
    fn cache_control_is_read() {
        assert_eq!(max_age("public, max-age=600"), Some(600));
        assert_eq!(max_age("no-store"), Some(0));
        assert_eq!(max_age("public"), None);
        assert_eq!(max_age("max-age=abc"), None);
    }

    #[test]
    fn only_https_or_loopback_http() {
        assert!(checked_url("https://idp.example/x", false).is_ok());
        assert!(checked_url("http://127.0.0.1:8080/x", false).is_ok());
        assert!(checked_url("http://localhost/x", false).is_ok());
        for bad in ["http://idp.example/x", "file:///etc/passwd", "gopher://x", "/relative"] {
            assert!(checked_url(bad, false).is_err(), "{bad}");
        }
    }
}
