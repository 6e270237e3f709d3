//! The accept loop: HTTP/1.1 connections served by hyper with a header-read timeout, an idle
//! timeout, a connection cap and graceful shutdown (what `axum::serve` does not bound).

use axum::Router;
use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tower::ServiceExt;

/// How long clients may take and how many may be connected at once.
///
/// - `header_read_timeout`: a request head (request line and headers) must arrive completely
///   within this time after the server starts waiting for it, else the connection is closed
///   without an answer. hyper starts that wait when the connection opens and again right
///   after each response, so it also bounds how long a keep-alive connection can idle.
/// - `idle_timeout`: a connection with no request in flight and no byte received for this
///   long is closed (a keep-alive connection after its last response, or a connection that
///   never sent anything).
/// - `max_connections`: connections served at once. Beyond it a new connection is **refused**:
///   it gets `503 Service Unavailable` with `Retry-After: 1` and is closed, so a client sees
///   why instead of hanging; slow connections free their slot at the latest after the
///   header-read timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConnectionLimits {
    /// Time allowed for a complete request head. Default 10 s. In TOML: `"10s"`, `"500ms"`
    /// or a number of seconds.
    #[serde(with = "crate::config_file::duration")]
    pub header_read_timeout: Duration,
    /// Time a connection may stay open without a request in flight. Default 5 s (Node.js's
    /// `keepAliveTimeout`).
    #[serde(with = "crate::config_file::duration")]
    pub idle_timeout: Duration,
    /// Connections served at once. Default 512 (half the usual `ulimit -n` of 1024).
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> ConnectionLimits {
        ConnectionLimits {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(5),
            max_connections: 512,
        }
    }
}

/// Refusals answered at once; beyond this a connection over the cap is dropped unanswered.
const MAX_REFUSALS: usize = 64;

/// The answer for a connection over the cap.
const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: 83\r\n\r\n{\"error\":\"temporarily_unavailable\",\"error_description\":\"too many open connections\"}";

/// Serves `router` on `listener` until `shutdown` resolves, then stops accepting, lets every
/// open connection finish its request (idle ones close at once) and returns once all are
/// closed, or after `grace`, dropping what is left.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let refusals = Arc::new(Semaphore::new(MAX_REFUSALS));
    let (closing, close) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            () = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(err) => {
                    // Out of file descriptors or a connection reset before accept: wait a
                    // little instead of spinning (as axum::serve and hyper's examples do).
                    tracing::debug!("accept failed: {err}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        match permits.clone().try_acquire_owned() {
            Ok(permit) => {
                let router = router.clone();
                let close = close.clone();
                connections.spawn(async move {
                    connection(stream, router, limits, close).await;
                    drop(permit);
                });
            }
            Err(_) => {
                if let Ok(permit) = refusals.clone().try_acquire_owned() {
                    connections.spawn(async move {
                        refuse(stream).await;
                        drop(permit);
                    });
                }
            }
        }
    }
    drop(listener);
    let _ = closing.send(true);
    let _ = tokio::time::timeout(grace, async { while connections.join_next().await.is_some() {} }).await;
    connections.shutdown().await;
}

/// Answers 503 and closes, reading what the client sent first so the close does not reset
/// the connection before the answer is read; bounded to one second.
async fn refuse(mut stream: TcpStream) {
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(REFUSAL).await?;
        stream.shutdown().await?;
        let mut sink = [0u8; 4096];
        let mut drained = 0usize;
        while drained < 64 * 1024 {
            match stream.read(&mut sink).await? {
                0 => break,
                n => drained += n,
            }
        }
        Ok::<(), io::Error>(())
    })
    .await;
}

/// Serves one connection until it closes, times out, goes idle or the server shuts down.
async fn connection(stream: TcpStream, router: Router, limits: ConnectionLimits, mut close: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Tracked {
        inner: stream,
        activity: activity.clone(),
    });
    let service = {
        let activity = activity.clone();
        hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let busy = activity.begin();
            let router = router.clone();
            async move {
                let response = router.oneshot(request.map(Body::new)).await;
                drop(busy);
                match response {
                    // A fault asked for the connection to be closed without a response: a
                    // service error makes hyper close it without writing anything.
                    Ok(response) if response.extensions().get::<crate::faults::DropConnection>().is_some() => {
                        Err(DroppedByFault)
                    }
                    Ok(response) => Ok(response),
                    Err(never) => match never {},
                }
            }
        })
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    let mut shutting_down = false;
    loop {
        let idle_deadline = activity.idle_deadline(limits.idle_timeout);
        tokio::select! {
            _ = conn.as_mut() => break,
            changed = close.changed(), if !shutting_down => {
                if changed.is_err() || *close.borrow() {
                    shutting_down = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
            () = tokio::time::sleep_until(idle_deadline.unwrap_or_else(|| Instant::now() + limits.idle_timeout)), if !shutting_down => {
                if idle_deadline.is_some_and(|deadline| activity.idle_deadline(limits.idle_timeout) == Some(deadline)) {
                    // Idle since the deadline was computed: close (hyper closes an idle
                    // HTTP/1 connection at once on graceful shutdown).
                    shutting_down = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// What a connection is doing, for the idle timeout: requests in flight, whether bytes of a
/// new request head arrived, and when it last did something.
/// The service error that makes hyper close a connection without answering.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by an injected fault")]
struct DroppedByFault;

#[derive(Debug)]
struct Activity {
    opened: Instant,
    /// Milliseconds after `opened` of the last byte received or the last response finished.
    last_event_ms: AtomicU64,
    in_flight: AtomicUsize,
    /// Bytes arrived while no request was in flight (a request head being received).
    receiving: AtomicBool,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            opened: Instant::now(),
            last_event_ms: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            receiving: AtomicBool::new(false),
        }
    }

    fn touch(&self) {
        let elapsed = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_event_ms.store(elapsed, Ordering::SeqCst);
    }

    fn received(&self) {
        self.touch();
        if self.in_flight.load(Ordering::SeqCst) == 0 {
            self.receiving.store(true, Ordering::SeqCst);
        }
    }

    /// Marks a request in flight until the returned guard is dropped.
    fn begin(self: &Arc<Activity>) -> Busy {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        self.receiving.store(false, Ordering::SeqCst);
        Busy(self.clone())
    }

    /// When the connection counts as idle for `timeout`; `None` while a request is in flight
    /// or a request head is arriving (the header-read timeout covers that).
    fn idle_deadline(&self, timeout: Duration) -> Option<Instant> {
        if self.in_flight.load(Ordering::SeqCst) > 0 || self.receiving.load(Ordering::SeqCst) {
            return None;
        }
        Some(self.opened + Duration::from_millis(self.last_event_ms.load(Ordering::SeqCst)) + timeout)
    }
}

/// A request in flight; dropping it ends the request.
#[derive(Debug)]
struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.touch();
        self.0.receiving.store(false, Ordering::SeqCst);
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A TCP stream that reports received bytes to its [`Activity`].
#[derive(Debug)]
struct Tracked {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Tracked {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.received();
        }
        polled
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
