//! The server loop: accepts connections and serves the router on each with hyper's HTTP/1
//! connection builder. It replaces `axum::serve`, which has no header-read or idle timeout and no
//! cap on connections, so slow or idle clients could hold the server (issue 22).
//!
//! - **Connection cap**: at most `max_connections` are served at once; further ones wait in the
//!   listen backlog until one closes (a warning is logged at most every 10 s meanwhile).
//! - **Header timeout**: once the first byte of a request arrives (for a new connection: from its
//!   accept), its headers must be complete within `header_timeout`; otherwise the client gets 408
//!   with the error envelope and the connection is closed. hyper's own `header_read_timeout` is
//!   not used: it starts when hyper begins to wait for a request, so it would also close every
//!   keep-alive connection idle for longer than the header timeout.
//! - **Idle timeout**: a keep-alive connection waiting for its next request, or a response the
//!   client does not read, is closed after `idle_timeout`.
//! - **Graceful shutdown** as with `axum::serve`: when `shutdown` resolves, no new connection is
//!   accepted, idle connections close, in-flight requests finish, and `serve` returns once every
//!   connection is closed.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use bytes::Bytes;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tower::Service as _;

use crate::wire::{ConnState, Expiry, RequestGuard, Timeouts, Wire};

/// Default [`ServerLimits::header_timeout`].
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Default [`ServerLimits::idle_timeout`].
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Default [`ServerLimits::max_connections`]: well below the usual 1024 open files per process,
/// which the store's connections and files share.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

/// How long a connection whose header timeout passed gets to write its 408 before it is dropped.
const TIMEOUT_ANSWER_GRACE: Duration = Duration::from_secs(1);

/// What one client may hold of the server.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves and every connection has closed.
pub async fn serve<F>(listener: TcpListener, app: Router, limits: ServerLimits, shutdown: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    // As in `axum::serve`: dropping `signal_rx` tells every task to shut down; every connection
    // task holds a `close_rx`, so `close_tx.closed()` resolves when the last one ends.
    let (signal_tx, signal_rx) = watch::channel(());
    tokio::spawn(async move {
        shutdown.await;
        drop(signal_rx);
    });
    let (close_tx, close_rx) = watch::channel(());
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut last_full_warning: Option<tokio::time::Instant> = None;
    loop {
        if slots.available_permits() == 0
            && last_full_warning.is_none_or(|t| t.elapsed() >= Duration::from_secs(10))
        {
            last_full_warning = Some(tokio::time::Instant::now());
            tracing::warn!(
                max_connections = limits.max_connections,
                "connection limit reached; new connections wait"
            );
        }
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = signal_tx.closed() => break,
        };
        let (stream, remote) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    accept_error(e).await;
                    continue;
                }
            },
            _ = signal_tx.closed() => break,
        };
        let app = app.clone();
        let signal_tx = signal_tx.clone();
        let close_rx = close_rx.clone();
        tokio::spawn(async move {
            connection(stream, remote, app, limits, signal_tx).await;
            drop(permit);
            drop(close_rx);
        });
    }
    drop(close_rx);
    drop(listener);
    close_tx.closed().await;
}

/// Accept errors: a connection reset before it was accepted is nothing; running out of file
/// descriptors is worth a line and a pause (as hyper and axum do).
async fn accept_error(e: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accept error");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// One connection: hyper serves the router on it while a watchdog enforces the timeouts.
async fn connection(
    stream: tokio::net::TcpStream,
    remote: SocketAddr,
    app: Router,
    limits: ServerLimits,
    signal_tx: watch::Sender<()>,
) {
    let state = ConnState::new(Timeouts {
        header: limits.header_timeout,
        idle: limits.idle_timeout,
    });
    let service_state = state.clone();
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        let guard = service_state.begin_request();
        req.extensions_mut().insert(ConnectInfo(remote));
        let mut app = app.clone();
        let call = app.call(req.map(Body::new));
        async move {
            let res = match call.await {
                Ok(res) => res,
                Err(never) => match never {},
            };
            Ok::<_, Infallible>(res.map(|body| Tracked { body, guard }))
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(Wire::new(stream, state.clone())), service);
    let mut conn = std::pin::pin!(conn);
    let mut signal_closed = std::pin::pin!(signal_tx.closed());
    let mut shutting_down = false;
    // One timer for the connection, moved to the next deadline (or the next look at the state,
    // `ConnState::recheck_every`) each time the watchdog wakes.
    let mut expire = std::pin::pin!(tokio::time::sleep(state.recheck_every()));
    loop {
        let recheck = tokio::time::Instant::now() + state.recheck_every();
        let at = state
            .deadline()
            .map_or(recheck, |(deadline, _)| deadline.min(recheck));
        if expire.deadline() != at {
            expire.as_mut().reset(at);
        }
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            _ = &mut signal_closed, if !shutting_down => {
                shutting_down = true;
                conn.as_mut().graceful_shutdown();
            }
            _ = expire.as_mut() => {
                // Only act if the deadline still stands (the state may have moved meanwhile).
                match state.deadline() {
                    Some((at, Expiry::Close)) if at <= tokio::time::Instant::now() => return,
                    Some((at, Expiry::HeaderTimeout)) if at <= tokio::time::Instant::now() => {
                        state.time_out();
                        let _ = tokio::time::timeout(TIMEOUT_ANSWER_GRACE, conn.as_mut()).await;
                        return;
                    }
                    _ => {}
                }
            }
        }
    }
}

/// A response body that ends its request (for the watchdog) when hyper drops it.
struct Tracked {
    body: Body,
    #[allow(dead_code)] // held for its `Drop`
    guard: RequestGuard,
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        std::pin::Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}
