//! A minimal HTTP/1.1 client for loopback requests to a running mock (`mock-idp token`): one
//! request per connection (`Connection: close`), bounded in time and size, no TLS.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// The most bytes of a response read.
const MAX_RESPONSE: u64 = 4 << 20;
/// How long connecting may take (loopback: a refusal is immediate).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a response may take.
const READ_TIMEOUT: Duration = Duration::from_secs(15);

/// Why a request got no response.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WireError {
    /// Nothing accepted the connection.
    #[error("cannot connect: {0}")]
    Connect(#[source] std::io::Error),
    /// The connection failed or timed out mid-exchange.
    #[error("the server did not answer: {0}")]
    Io(#[source] std::io::Error),
    /// The response is not HTTP/1.1.
    #[error("the server answered something that is not HTTP: {0}")]
    Malformed(&'static str),
}

/// A response: status, headers (names lower-cased), body.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    /// The first value of header `name` (lower case).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// `GET path`.
pub(crate) fn get(address: SocketAddr, path: &str) -> Result<Reply, WireError> {
    exchange(address, "GET", path, &[], None)
}

/// `POST path` with a JSON body (the admin API).
pub(crate) fn post_json(address: SocketAddr, path: &str, json: &[u8]) -> Result<Reply, WireError> {
    exchange(address, "POST", path, &[], Some((JSON, json)))
}

/// `POST path` with a form body.
pub(crate) fn post(
    address: SocketAddr,
    path: &str,
    headers: &[(String, String)],
    form: &[u8],
) -> Result<Reply, WireError> {
    exchange(address, "POST", path, headers, Some((FORM, form)))
}

const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";

fn exchange(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: Option<(&str, &[u8])>,
) -> Result<Reply, WireError> {
    let mut stream = TcpStream::connect_timeout(&address, CONNECT_TIMEOUT).map_err(WireError::Connect)?;
    stream.set_read_timeout(Some(READ_TIMEOUT)).map_err(WireError::Io)?;
    stream.set_write_timeout(Some(READ_TIMEOUT)).map_err(WireError::Io)?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nAccept: */*\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some((content_type, body)) = body {
        head.push_str(&format!(
            "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    let mut request = head.into_bytes();
    request.extend_from_slice(body.map(|(_, body)| body).unwrap_or_default());
    stream.write_all(&request).map_err(WireError::Io)?;
    let mut raw = Vec::new();
    stream.take(MAX_RESPONSE).read_to_end(&mut raw).map_err(WireError::Io)?;
    parse(&raw)
}

/// Parses a whole `Connection: close` response.
fn parse(raw: &[u8]) -> Result<Reply, WireError> {
    let split = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .ok_or(WireError::Malformed("no end of headers"))?;
    let head = std::str::from_utf8(&raw[..split]).map_err(|_| WireError::Malformed("headers are not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .filter(|line| line.starts_with("HTTP/1."))
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or(WireError::Malformed("no status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let rest = &raw[split + 4..];
    let chunked = headers
        .iter()
        .any(|(name, value)| name == "transfer-encoding" && value.eq_ignore_ascii_case("chunked"));
    let body = if chunked { dechunk(rest)? } else { rest.to_vec() };
    Ok(Reply { status, headers, body })
}

/// Decodes a `Transfer-Encoding: chunked` body.
fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, WireError> {
    let mut body = Vec::new();
    loop {
        let end = rest
            .windows(2)
            .position(|window| window == b"\r\n")
            .ok_or(WireError::Malformed("bad chunked body"))?;
        let size_text = std::str::from_utf8(&rest[..end]).map_err(|_| WireError::Malformed("bad chunk size"))?;
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| WireError::Malformed("bad chunk size"))?;
        rest = &rest[end + 2..];
        if size == 0 {
            return Ok(body);
        }
        let chunk = rest.get(..size).ok_or(WireError::Malformed("truncated chunk"))?;
        body.extend_from_slice(chunk);
        rest = rest.get(size + 2..).ok_or(WireError::Malformed("truncated chunk"))?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_parse_with_and_without_chunking() {
        let plain =
            parse(b"HTTP/1.1 303 See Other\r\nLocation: http://x/cb?code=1\r\nContent-Length: 2\r\n\r\nok").unwrap();
        assert_eq!(
            (plain.status, plain.header("location"), plain.body.as_slice()),
            (303, Some("http://x/cb?code=1"), &b"ok"[..])
        );
        let chunked =
            parse(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n").unwrap();
        assert_eq!(chunked.body, b"abcde");
        assert!(parse(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
        assert!(parse(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n").is_err());
    }
}
