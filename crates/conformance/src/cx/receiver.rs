//! A one-purpose HTTP receiver for back-channel logout (OpenID Connect Back-Channel Logout 1.0
//! §2.5): listens on the loopback address and port of the World's `backchannel_logout_uri`,
//! answers every POST with 200, and hands over the `logout_token` of each. Bounded: a request of
//! at most [`MAX_REQUEST_BYTES`], read within the caller's deadline; anything else is dropped.

use crate::http::{Step, fail};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The largest request (headers and body) read.
const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// Listens where the provider will POST logout tokens.
pub(crate) struct LogoutReceiver {
    listener: TcpListener,
    uri: String,
}

impl LogoutReceiver {
    /// Binds the host and port of `uri` (an `http` URL on a loopback host, as the World checks).
    pub(crate) async fn bind(uri: &str) -> Step<LogoutReceiver> {
        let url = url::Url::parse(uri).map_err(|err| fail(Some("backchannel_logout_uri"), format!("{uri}: {err}")))?;
        let host = match url.host() {
            Some(url::Host::Ipv4(ip)) => std::net::IpAddr::V4(ip),
            Some(url::Host::Ipv6(ip)) => std::net::IpAddr::V6(ip),
            Some(url::Host::Domain("localhost")) => std::net::IpAddr::from([127, 0, 0, 1]),
            _ => {
                return Err(fail(
                    Some("backchannel_logout_uri"),
                    format!("{uri} is not on a loopback address"),
                ));
            }
        };
        if url.scheme() != "http" || !host.is_loopback() {
            return Err(fail(
                Some("backchannel_logout_uri"),
                format!("{uri} is not http on a loopback address"),
            ));
        }
        let port = url.port_or_known_default().unwrap_or(80);
        let listener = TcpListener::bind((host, port)).await.map_err(|err| {
            fail(
                Some("backchannel_logout_uri"),
                format!("cannot listen on {host}:{port} for the logout token: {err}"),
            )
        })?;
        Ok(LogoutReceiver {
            listener,
            uri: uri.to_owned(),
        })
    }

    /// The next `logout_token` POSTed within `wait`.
    pub(crate) async fn next(&self, wait: Duration) -> Step<String> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let accepted = tokio::time::timeout_at(deadline, self.listener.accept()).await;
            let Ok(Ok((stream, _))) = accepted else {
                return Err(fail(
                    Some("logout_token"),
                    format!("no logout token was POSTed to {} within {wait:?}", self.uri),
                ));
            };
            if let Ok(Some(token)) = tokio::time::timeout_at(deadline, read_logout_token(stream)).await {
                return Ok(token);
            }
        }
    }
}

/// Reads one request, answers it, and returns its form body's `logout_token`, if any.
async fn read_logout_token(mut stream: TcpStream) -> Option<String> {
    let mut request = Vec::new();
    let mut chunk = [0_u8; 4096];
    let (head_end, length) = loop {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 || request.len() + read > MAX_REQUEST_BYTES {
            return None;
        }
        request.extend_from_slice(chunk.get(..read)?);
        if let Some(at) = request.windows(4).position(|window| window == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(request.get(..at)?).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|value| value.trim().parse::<usize>().ok())
                .unwrap_or(0);
            break (at + 4, length);
        }
    };
    if head_end + length > MAX_REQUEST_BYTES {
        return None;
    }
    while request.len() < head_end + length {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        request.extend_from_slice(chunk.get(..read)?);
    }
    let _ = stream
        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        .await;
    let body = request.get(head_end..head_end + length)?;
    url::form_urlencoded::parse(body)
        .find(|(name, _)| name == "logout_token")
        .map(|(_, value)| value.into_owned())
}
