//! The server loop (issue 22): header-read and idle timeouts and the connection cap, so slow or
//! idle clients cannot hold the server; and the error envelope with `X-Request-Id` on the answers
//! hyper gives itself, below the router, to requests it cannot parse. Raw TCP on 127.0.0.1.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use clientele_api::server::ServerLimits;
use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::TestApp;

/// A response read off the wire.
#[derive(Debug)]
struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Asserts the error envelope, its code and that `request_id` is the `X-Request-Id`.
    fn assert_envelope(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(
            self.header("content-type"),
            Some("application/json"),
            "{self:?}"
        );
        let body: Value =
            serde_json::from_slice(&self.body).unwrap_or_else(|_| panic!("not JSON: {self:?}"));
        assert_eq!(body["success"], false, "{body}");
        assert_eq!(body["status"], status, "{body}");
        assert_eq!(body["error"], code, "{body}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert_eq!(body["details"], serde_json::json!([]), "{body}");
        let id = body["request_id"].as_str().unwrap_or("");
        assert!(id.starts_with("req_"), "{body}");
        assert_eq!(self.header("x-request-id"), Some(id), "{self:?}");
    }
}

/// A raw HTTP/1.1 client connection that keeps what it read past a response.
struct Client {
    s: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    async fn connect(addr: SocketAddr) -> Self {
        Self {
            s: TcpStream::connect(addr).await.expect("connect"),
            buf: Vec::new(),
        }
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.s.write_all(bytes).await.expect("write");
    }

    /// Reads one response: its head, then `content-length` bytes of body; `None` at the end of
    /// input.
    async fn read_response(&mut self) -> Option<Raw> {
        let mut chunk = [0u8; 4096];
        let head_end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            let n = self.s.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            self.buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).to_string();
        let mut lines = head.split("\r\n");
        let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        let len: usize = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        while self.buf.len() < head_end + 4 + len {
            let n = self.s.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
        let body = self.buf[head_end + 4..head_end + 4 + len].to_vec();
        self.buf.drain(..head_end + 4 + len);
        Some(Raw {
            status,
            headers,
            body,
        })
    }
}

/// Sends `bytes` on a new connection and reads one response, within 10 s.
async fn exchange(addr: SocketAddr, bytes: &[u8]) -> Raw {
    let mut c = Client::connect(addr).await;
    c.send(bytes).await;
    tokio::time::timeout(Duration::from_secs(10), c.read_response())
        .await
        .expect("answered within 10 s")
        .expect("a response")
}

/// Whether the server closed the connection (end of input) within `within`, and what it sent
/// before that.
async fn closed_within(s: &mut TcpStream, within: Duration) -> Option<Vec<u8>> {
    let mut got = Vec::new();
    let mut chunk = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut chunk)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(got),
            Ok(Ok(n)) => got.extend_from_slice(&chunk[..n]),
        }
    }
}

fn limits(header: u64, idle: u64, max_connections: usize) -> ServerLimits {
    ServerLimits {
        header_timeout: Duration::from_secs(header),
        idle_timeout: Duration::from_secs(idle),
        max_connections,
    }
}

#[tokio::test]
async fn slow_headers_are_answered_408_and_closed_while_others_are_served() {
    let Some(app) = TestApp::spawn_with_limits(Default::default(), limits(1, 30, 64)).await else {
        return;
    };
    // 40 clients each send a request line and one header, and never finish.
    let started = Instant::now();
    let mut slow = Vec::new();
    for _ in 0..40 {
        let mut c = Client::connect(app.addr).await;
        c.send(b"GET /v1/clients HTTP/1.1\r\nHost: x\r\n").await;
        slow.push(c);
    }
    // Meanwhile everyone else is served.
    for _ in 0..5 {
        let r = app.get("/v1/clients").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    for c in &mut slow {
        let r = tokio::time::timeout(Duration::from_secs(5), c.read_response())
            .await
            .expect("answered within the header timeout and a margin")
            .expect("a response");
        r.assert_envelope(408, "REQUEST_TIMEOUT");
        assert_eq!(r.header("connection"), Some("close"), "{r:?}");
        let rest = closed_within(&mut c.s, Duration::from_secs(2))
            .await
            .expect("closed after the 408");
        assert!(rest.is_empty());
    }
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(900), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(6), "{elapsed:?}");
}

#[tokio::test]
async fn idle_connections_close_after_the_idle_timeout_not_the_header_timeout() {
    let Some(app) = TestApp::spawn_with_limits(Default::default(), limits(1, 3, 64)).await else {
        return;
    };
    // A new connection that sends nothing is closed after the header timeout, silently.
    let mut quiet = TcpStream::connect(app.addr).await.expect("connect");
    let t = Instant::now();
    let sent = closed_within(&mut quiet, Duration::from_secs(4))
        .await
        .expect("closed");
    assert!(sent.is_empty(), "{}", String::from_utf8_lossy(&sent));
    assert!(
        t.elapsed() >= Duration::from_millis(900),
        "{:?}",
        t.elapsed()
    );

    // A keep-alive connection may wait longer than the header timeout between requests...
    let mut c = Client::connect(app.addr).await;
    let req = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    c.send(req).await;
    let r = c.read_response().await.expect("first response");
    assert_eq!(r.status, 200);
    tokio::time::sleep(Duration::from_millis(1800)).await;
    c.send(req).await;
    let r = c.read_response().await.expect("second response");
    assert_eq!(r.status, 200);
    // ...but is closed, without a word, once idle for the idle timeout.
    let t = Instant::now();
    let sent = closed_within(&mut c.s, Duration::from_secs(6))
        .await
        .expect("closed after the idle timeout");
    assert!(sent.is_empty(), "{}", String::from_utf8_lossy(&sent));
    assert!(
        t.elapsed() >= Duration::from_millis(2800),
        "{:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn connections_over_the_cap_wait_until_one_closes() {
    let Some(app) = TestApp::spawn_with_limits(Default::default(), limits(2, 30, 2)).await else {
        return;
    };
    // Two connections take both slots and send nothing.
    let mut held = Vec::new();
    for _ in 0..2 {
        held.push(TcpStream::connect(app.addr).await.expect("connect"));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let t = Instant::now();
    let mut third = Client::connect(app.addr).await;
    third
        .send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    // Not served while the slots are taken...
    let early = tokio::time::timeout(Duration::from_millis(800), third.read_response()).await;
    assert!(early.is_err(), "served over the cap: {early:?}");
    // ...and served once the held ones are closed by their header timeout.
    let r = tokio::time::timeout(Duration::from_secs(6), third.read_response())
        .await
        .expect("served once a slot is free")
        .expect("response");
    assert_eq!(r.status, 200);
    assert!(
        t.elapsed() >= Duration::from_millis(1500),
        "{:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn requests_hyper_cannot_parse_get_the_envelope_and_a_request_id() {
    let app = spawn_app!();
    let many_headers: String = (0..120).map(|i| format!("X-H{i}: v\r\n")).collect();
    let long_uri = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(70_000));
    let cases: Vec<(Vec<u8>, u16, &str)> = vec![
        (b"GARBAGE\r\n\r\n".to_vec(), 400, "BAD_REQUEST"),
        (
            b"GET /v1/clients HTTP/9.9\r\n\r\n".to_vec(),
            400,
            "BAD_REQUEST",
        ),
        (
            b"G<T / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
            400,
            "BAD_REQUEST",
        ),
        (
            b"GET /v1/clients HTTP/1.1\r\nHost: x\r\nX-Bad: a\0b\r\n\r\n".to_vec(),
            400,
            "BAD_REQUEST",
        ),
        (
            b"GET /v1/clients HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n".to_vec(),
            400,
            "BAD_REQUEST",
        ),
        (
            b"POST /v1/clients HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\
              Content-Length: 6\r\n\r\nhello!"
                .to_vec(),
            400,
            "BAD_REQUEST",
        ),
        (long_uri.into_bytes(), 414, "PAYLOAD_TOO_LARGE"),
        (
            format!("GET /healthz HTTP/1.1\r\nHost: x\r\n{many_headers}\r\n").into_bytes(),
            431,
            "PAYLOAD_TOO_LARGE",
        ),
    ];
    for (bytes, status, code) in cases {
        let r = exchange(app.addr, &bytes).await;
        r.assert_envelope(status, code);
        assert_eq!(r.header("connection"), Some("close"), "{r:?}");
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"), "{r:?}");
    }
}

#[tokio::test]
async fn a_bad_request_after_good_ones_on_a_keep_alive_connection_gets_the_envelope_too() {
    let app = spawn_app!();
    let mut c = Client::connect(app.addr).await;
    for _ in 0..2 {
        c.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await;
        let r = c.read_response().await.expect("response");
        assert_eq!(r.status, 200);
    }
    c.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Bad: \0\r\n\r\n")
        .await;
    let r = c.read_response().await.expect("response");
    r.assert_envelope(400, "BAD_REQUEST");
    // Pipelined: a good request and a bad one in one write.
    let mut c = Client::connect(app.addr).await;
    c.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE\r\n\r\n")
        .await;
    let r = c.read_response().await.expect("first response");
    assert_eq!(r.status, 200);
    let r = c.read_response().await.expect("second response");
    r.assert_envelope(400, "BAD_REQUEST");
}

#[tokio::test]
async fn headers_over_the_routers_limit_are_431_with_the_closest_code() {
    let app = spawn_app!();
    let r = exchange(
        app.addr,
        format!(
            "GET /v1/clients HTTP/1.1\r\nHost: x\r\nX-Filler: {}\r\n\r\n",
            "a".repeat(17 * 1024)
        )
        .as_bytes(),
    )
    .await;
    r.assert_envelope(431, "PAYLOAD_TOO_LARGE");
}
