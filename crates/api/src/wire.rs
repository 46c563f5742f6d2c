//! One HTTP/1 connection as the server loop sees it, below hyper: what the connection is doing
//! (for the header-read and idle timeouts), and the responses hyper writes on its own.
//!
//! hyper answers a request it cannot parse (a malformed request line or header, a NUL byte in a
//! header, conflicting `Content-Length`s, too many or too large headers, a URI over 64 KiB) with a
//! bare status line and `content-length: 0`, then closes the connection; no service runs, so the
//! router's error envelope and `X-Request-Id` cannot be added there. [`Wire`] sits between hyper
//! and the socket and recognises such a response by position and shape: it is written when no
//! request of ours is in flight and everything before it has been flushed (so it starts a
//! response), it is a 4xx/5xx status line, and it has no `x-request-id` (every response of the
//! router has one). Those bytes are replaced by the same answer with the JSON error envelope and
//! a fresh `X-Request-Id`. When hyper writes its response behind unflushed bytes of an earlier
//! response (a pipelining client that does not read), the position is unknown and hyper's bare
//! response goes out unchanged; see docs/security.md.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{ready, Context, Poll};
use std::time::Duration;

use axum::http::StatusCode;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::error::{ApiError, ErrorBody};

/// Timeouts of one connection.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// From the first byte of a request (or from the accept, for a new connection) to the end of
    /// its headers.
    pub header: Duration,
    /// A keep-alive connection waiting for its next request, or a response the client does not
    /// read.
    pub idle: Duration,
}

/// What the watchdog does when a deadline passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// Close without a word: an idle connection, or a client that does not read.
    Close,
    /// Part of a request head came, not all of it in time: answer 408, then close.
    HeaderTimeout,
}

#[derive(Debug)]
struct Inner {
    /// Requests handed to the router whose response body hyper has not finished with.
    in_flight: usize,
    /// Since when the connection waits for a request (accept, or the end of the last response).
    waiting_since: Instant,
    /// No request has been served yet: the header timeout runs from the accept.
    fresh: bool,
    /// When the first byte of the next request head arrived.
    head_started: Option<Instant>,
    /// Nothing was written since the last flush with no request in flight: the next write
    /// starts a response.
    at_boundary: bool,
    /// Since when a write waits for the client to read.
    write_blocked_since: Option<Instant>,
    /// The header timeout passed: answer 408 (when at a boundary) and report end of input.
    timed_out: bool,
}

/// Shared by the connection's socket wrapper, its service and its watchdog.
#[derive(Debug)]
pub struct ConnState {
    timeouts: Timeouts,
    inner: Mutex<Inner>,
}

impl ConnState {
    pub fn new(timeouts: Timeouts) -> Arc<Self> {
        Arc::new(Self {
            timeouts,
            inner: Mutex::new(Inner {
                in_flight: 0,
                waiting_since: Instant::now(),
                fresh: true,
                head_started: None,
                at_boundary: true,
                write_blocked_since: None,
                timed_out: false,
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding this lock cannot leave it inconsistent in a way that matters.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A request reached the router; the guard ends it when its response is done.
    pub fn begin_request(self: &Arc<Self>) -> RequestGuard {
        {
            let mut s = self.lock();
            s.in_flight += 1;
            s.head_started = None;
            s.at_boundary = false;
        }
        RequestGuard(self.clone())
    }

    /// The next deadline and what happens then; `None` while a request is being handled.
    pub fn deadline(&self) -> Option<(Instant, Expiry)> {
        let s = self.lock();
        let t = self.timeouts;
        if let Some(since) = s.write_blocked_since {
            return Some((since + t.idle, Expiry::Close));
        }
        if s.in_flight > 0 {
            return None;
        }
        Some(match (s.head_started, s.fresh) {
            (Some(started), _) => (started + t.header, Expiry::HeaderTimeout),
            (None, true) => (s.waiting_since + t.header, Expiry::Close),
            (None, false) => (s.waiting_since + t.idle, Expiry::Close),
        })
    }

    /// How long the watchdog may sleep at most before it looks at [`deadline`](Self::deadline)
    /// again. Nothing tells it when the state changes (that would wake the connection's task up to
    /// three times per request): a change can only set a deadline later than now plus the
    /// shortest timeout, so waking at least that often is enough to meet every deadline on time.
    pub fn recheck_every(&self) -> Duration {
        self.timeouts
            .header
            .min(self.timeouts.idle)
            .max(Duration::from_millis(1))
    }

    /// Marks the header timeout: the next read answers 408 (if it can) and ends the input.
    pub fn time_out(&self) {
        self.lock().timed_out = true;
    }
}

/// Ends a request when dropped: hyper drops the response body once it has written it all.
pub struct RequestGuard(Arc<ConnState>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        {
            let mut s = self.0.lock();
            s.in_flight = s.in_flight.saturating_sub(1);
            if s.in_flight == 0 {
                s.waiting_since = Instant::now();
                s.fresh = false;
            }
        }
    }
}

/// The socket of one connection, as hyper reads and writes it.
pub struct Wire {
    stream: TcpStream,
    state: Arc<ConnState>,
    /// Bytes of our own (a replaced or a 408 response) still to be written.
    pending: Vec<u8>,
    written: usize,
    /// The 408 of a header timeout has been queued.
    answered_timeout: bool,
}

impl Wire {
    pub fn new(stream: TcpStream, state: Arc<ConnState>) -> Self {
        Self {
            stream,
            state,
            pending: Vec::new(),
            written: 0,
            answered_timeout: false,
        }
    }

    /// Writes what is pending; `Ready(Ok)` once nothing is.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.pending.len() {
            let n =
                ready!(Pin::new(&mut self.stream).poll_write(cx, &self.pending[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.pending.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }

    /// Whether `head` (the bytes of one write at a response boundary) is a response hyper made
    /// itself; then the status it carries.
    fn hypers_own_error(&self, bufs: &[io::IoSlice<'_>]) -> Option<(StatusCode, Option<String>)> {
        if !self.state.lock().at_boundary {
            return None;
        }
        let mut non_empty = bufs.iter().filter(|b| !b.is_empty());
        let first = non_empty.next()?;
        if non_empty.next().is_some() {
            return None;
        }
        own_error_response(first)
    }

    fn wrote(&self, n: usize) {
        let mut s = self.state.lock();
        s.write_blocked_since = None;
        if n > 0 {
            s.at_boundary = false;
        }
    }

    fn blocked(&self) {
        let mut s = self.state.lock();
        if s.write_blocked_since.is_none() {
            s.write_blocked_since = Some(Instant::now());
        }
    }

    fn write_vectored_inner(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.poll_pending(cx)?.is_pending() {
            self.blocked();
            return Poll::Pending;
        }
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        if let Some((status, date)) = self.hypers_own_error(bufs) {
            self.pending = below_router_response(status, date.as_deref());
            self.wrote(total);
            // Written as far as hyper is concerned; ours goes out on the next flush.
            return Poll::Ready(Ok(total));
        }
        let r = if bufs.len() == 1 {
            Pin::new(&mut self.stream).poll_write(cx, &bufs[0])
        } else {
            Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
        };
        match r {
            Poll::Pending => {
                self.blocked();
                Poll::Pending
            }
            Poll::Ready(Ok(n)) => {
                self.wrote(n);
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
        }
    }
}

impl AsyncRead for Wire {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let timed_out = this.state.lock().timed_out;
        if timed_out {
            if !this.answered_timeout {
                this.answered_timeout = true;
                if this.state.lock().at_boundary {
                    this.pending = timeout_response();
                }
            }
            ready!(this.poll_pending(cx))?;
            // End of input: hyper gives up on the incomplete head and closes.
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.stream).poll_read(cx, buf))?;
        if buf.filled().len() > before {
            let mut s = this.state.lock();
            if s.in_flight == 0 && s.head_started.is_none() {
                s.head_started = Some(Instant::now());
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Wire {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .write_vectored_inner(cx, &[io::IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().write_vectored_inner(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.poll_pending(cx)?.is_pending() {
            this.blocked();
            return Poll::Pending;
        }
        ready!(Pin::new(&mut this.stream).poll_flush(cx))?;
        let mut s = this.state.lock();
        s.write_blocked_since = None;
        if s.in_flight == 0 {
            s.at_boundary = true;
        }
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.stream).poll_shutdown(cx)
    }
}

/// The status and `date` of a response head hyper wrote for a request it could not parse: an
/// error status line, `content-length: 0`, and no `x-request-id`.
pub fn own_error_response(bytes: &[u8]) -> Option<(StatusCode, Option<String>)> {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
    if end + 4 != bytes.len() {
        return None;
    }
    let head = std::str::from_utf8(&bytes[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let code = status_line.strip_prefix("HTTP/1.1 ")?.get(..3)?;
    let status = StatusCode::from_bytes(code.as_bytes()).ok()?;
    if !(status.is_client_error() || status.is_server_error()) {
        return None;
    }
    let mut date = None;
    let mut empty_body = false;
    for line in lines {
        let (name, value) = line.split_once(':')?;
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "x-request-id" => return None,
            "content-length" => empty_body = value == "0",
            "date" => date = Some(value.to_string()),
            _ => {}
        }
    }
    empty_body.then_some((status, date))
}

/// What a client is told for an error hyper detected below the router.
fn below_router_error(status: StatusCode) -> ApiError {
    let message = match status.as_u16() {
        400 => {
            "The request could not be parsed: a malformed request line or header (for example \
             an invalid character, a NUL byte, or conflicting Content-Length headers)"
        }
        414 => "The request URI is too long (at most 65534 bytes)",
        431 => "The request head is too large (at most 100 headers and about 400 KB)",
        _ => status
            .canonical_reason()
            .unwrap_or("The request could not be handled"),
    };
    ApiError::new(status, ApiError::code_for(status), message)
}

/// A complete HTTP/1.1 response with the error envelope and a new request id; the connection
/// closes after it.
fn raw_error_response(error: ApiError, date: Option<&str>) -> Vec<u8> {
    let request_id = crate::request_id::generate();
    let status = error.status;
    let body = ErrorBody {
        success: false,
        status: status.as_u16(),
        error: error.code,
        message: error.message,
        details: Vec::new(),
        request_id: request_id.clone(),
    };
    let body = serde_json::to_vec(&body).unwrap_or_default();
    let mut out = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         x-request-id: {request_id}\r\nx-content-type-options: nosniff\r\n\
         cache-control: no-store\r\nconnection: close\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        body.len(),
    )
    .into_bytes();
    if let Some(d) = date {
        out.extend_from_slice(format!("date: {d}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&body);
    tracing::info!(
        request_id = %request_id,
        method = "-",
        route = "-",
        status = status.as_u16(),
        latency_ms = 0.0,
        tenant = "-",
        actor = "-",
        "request"
    );
    out
}

fn below_router_response(status: StatusCode, date: Option<&str>) -> Vec<u8> {
    raw_error_response(below_router_error(status), date)
}

/// 408 for a request whose headers did not all arrive within the header timeout.
fn timeout_response() -> Vec<u8> {
    raw_error_response(
        ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            ApiError::code_for(StatusCode::REQUEST_TIMEOUT),
            "The request headers did not arrive in time; the connection is closed",
        ),
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hypers_own_error_heads_are_recognised_and_ours_are_not() {
        let hyper_400 = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\
                          date: Thu, 01 Jan 2026 00:00:00 GMT\r\n\r\n";
        assert_eq!(
            own_error_response(hyper_400),
            Some((
                StatusCode::BAD_REQUEST,
                Some("Thu, 01 Jan 2026 00:00:00 GMT".into())
            ))
        );
        let hyper_431 = b"HTTP/1.1 431 Request Header Fields Too Large\r\n\
                          connection: close\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(
            own_error_response(hyper_431).map(|r| r.0),
            Some(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
        );
        for ours in [
            &b"HTTP/1.1 400 Bad Request\r\nx-request-id: r\r\ncontent-length: 0\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 100 Continue\r\n\r\n",
            b"HTTP/1.1 404 Not Found\r\ncontent-length: 2\r\n\r\n{}",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n",
            b"0\r\n\r\n",
        ] {
            assert_eq!(
                own_error_response(ours),
                None,
                "{:?}",
                String::from_utf8_lossy(ours)
            );
        }
    }

    #[test]
    fn the_replacement_is_a_complete_response_with_the_envelope() {
        let raw = below_router_response(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, Some("d"));
        let text = String::from_utf8(raw).expect("utf-8");
        let (head, body) = text.split_once("\r\n\r\n").expect("head and body");
        assert!(head.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
        assert!(head.contains(&format!("content-length: {}\r\n", body.len())));
        let v: serde_json::Value = serde_json::from_str(body).expect("json");
        assert_eq!(v["error"], "PAYLOAD_TOO_LARGE");
        assert_eq!(v["status"], 431);
        let id = v["request_id"].as_str().expect("id");
        assert!(head.contains(&format!("x-request-id: {id}\r\n")));
    }
}
