//! The real binary, as separate processes on 127.0.0.1: configuration errors, masked JSON logs,
//! and two instances sharing one rate-limit budget through Redis.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_clientele");

/// The child sees none of the caller's `CLIENTELE_*` settings (nor `NO_COLOR`), only what a test
/// gives it.
fn clean_env(cmd: &mut Command) -> &mut Command {
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("CLIENTELE_") {
            cmd.env_remove(k);
        }
    }
    cmd.env_remove("NO_COLOR")
}

/// A `clientele serve` child process; killed on drop.
struct Server {
    child: Child,
    base: String,
    /// The bootstrap admin key, when this instance created the first tenant.
    key: Option<String>,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(db: &str, envs: &[(&str, &str)]) -> Server {
        let mut cmd = Command::new(BIN);
        cmd.args(["--database", db, "serve", "--bind", "127.0.0.1:0"]);
        clean_env(&mut cmd)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        #[allow(clippy::zombie_processes)] // `Server` waits for it on drop.
        let mut child = cmd.spawn().expect("spawn clientele");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let sink = stderr.clone();
        let err = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                sink.lock().expect("lock").push(line);
            }
        });
        let out = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut key = None;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = rx.recv_timeout(left).unwrap_or_else(|_| {
                let _ = child.kill();
                let _ = child.wait();
                panic!("server did not start: {:?}", stderr.lock().expect("lock"))
            });
            if line.starts_with("ck_") {
                key = Some(line.trim().to_string());
            }
            if let Some(addr) = line.strip_prefix("listening on ") {
                return Server {
                    child,
                    base: addr.trim().to_string(),
                    key,
                    stderr,
                };
            }
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn logs(&self) -> Vec<String> {
        self.stderr.lock().expect("lock").clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

#[test]
fn bad_values_exit_non_zero_with_one_line_before_binding() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", dir.path().join("x.db").display());
    let ec384 = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../api/tests/fixtures/ec384-test-only.pub.pem"
    );
    let cases: &[&[&str]] = &[
        &["--jwt-secret", "too-short"],
        &["--jwt-public-key", "/nonexistent/key.pem"],
        &["--jwt-public-key", ec384],
        &[
            "--jwt-secret",
            "0123456789abcdef0123456789abcdef",
            "--jwt-public-key",
            ec384,
        ],
        &["--rate-limit", "0/min"],
        &["--rate-limit", "lots"],
        &["--redis-url", "http://not-redis"],
        &["--redis-failure", "sometimes"],
        &["--cors-origins", "*"],
        &["--cors-origins", "https://a.example/path"],
        &["--request-timeout", "0"],
        &["--max-key-rate-limit", "0/min"],
        &["--header-timeout", "0"],
        &["--idle-timeout", "soon"],
        &["--max-connections", "0"],
    ];
    for args in cases {
        let mut cmd = Command::new(BIN);
        cmd.args(["--database", &db, "serve", "--bind", "127.0.0.1:0"])
            .args(*args);
        let out = clean_env(&mut cmd)
            .stdin(Stdio::null())
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
        // A value clap refuses is a usage error (2) with clap's whole message; one refused
        // after parsing (a weak secret, an unreadable key) is one line.
        match out.status.code() {
            Some(2) => assert!(
                stderr.contains("Usage: ") || stderr.contains("--help"),
                "{args:?}: {stderr}"
            ),
            _ => assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}"),
        }
        assert!(!stdout.contains("listening"), "{args:?} bound: {stdout}");
        // The secret itself is never echoed.
        assert!(!stderr.contains("too-short"), "{stderr}");
    }
    // The same checks apply to the environment variables.
    let mut cmd = Command::new(BIN);
    cmd.args(["--database", &db, "serve", "--bind", "127.0.0.1:0"]);
    let out = clean_env(&mut cmd)
        .env("CLIENTELE_JWT_SECRET", "short")
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("CLIENTELE_JWT_SECRET"));
}

#[tokio::test]
async fn the_binary_closes_a_slow_client_after_its_header_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", dir.path().join("slow.db").display());
    let server = Server::start(
        &db,
        &[
            ("CLIENTELE_HEADER_TIMEOUT", "1"),
            ("CLIENTELE_MAX_CONNECTIONS", "8"),
        ],
    );
    let addr = server.base.trim_start_matches("http://").to_string();
    let mut slow = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    let started = Instant::now();
    // Others are served meanwhile.
    let r = http()
        .get(server.url("/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(r.status(), 200);
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut got)).await;
    assert!(
        read.is_ok(),
        "the slow connection was not closed within 5 s"
    );
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 408 "), "{text}");
    assert!(text.contains("\"REQUEST_TIMEOUT\""), "{text}");
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn a_jwt_subject_is_masked_in_the_access_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", dir.path().join("jwt.db").display());
    let secret = "test-only-secret-of-at-least-32-bytes!!";
    let server = Server::start(
        &db,
        &[
            ("CLIENTELE_LOG_FORMAT", "json"),
            ("CLIENTELE_JWT_SECRET", secret),
        ],
    );
    let sub = "anna.subject.4711@example.com";
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        + 600;
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"sub": sub, "tenant": "default", "exp": exp, "permissions": ["clients:read"]}),
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("sign");
    let r = http()
        .get(server.url("/v1/clients"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 200);
    let line = |s: &Server| {
        s.logs()
            .iter()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|v| v["message"] == "request" && v["route"] == "/v1/clients")
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while line(&server).is_none() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let access = line(&server).expect("an access log line");
    assert_eq!(access["actor"], "sub:***om", "{access}");
    let logs = server.logs().join("\n");
    assert!(
        !logs.contains("anna.subject"),
        "the subject is logged:\n{logs}"
    );
}

const SENSITIVE: &[&str] = &[
    "zq.leak.7731@example.org",
    "TAXLEAK99887766",
    "ORGLEAK55443322",
    "+46 70 999 88 77",
    "+4670999887",
    "EXTLEAK-1234",
    "bad-LEAK5566@",
    "eyJleakleakleak",
];

#[tokio::test]
async fn json_logs_have_one_line_per_request_and_no_sensitive_value() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", dir.path().join("logs.db").display());
    let server = Server::start(&db, &[("CLIENTELE_LOG_FORMAT", "json")]);
    let key = server.key.clone().expect("bootstrap key");
    let http = http();
    let send = |m: reqwest::Method, path: &str, body: Option<Value>| {
        let mut req = http.request(m, server.url(path)).header("x-api-key", &key);
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send()
    };
    let r = send(
        reqwest::Method::POST,
        "/v1/clients",
        Some(
            json!({"name": "Leaky AB", "email": SENSITIVE[0], "tax_id": SENSITIVE[1],
                    "org_number": SENSITIVE[2], "phone": SENSITIVE[3], "mobile": SENSITIVE[4],
                    "external_id": SENSITIVE[5]}),
        ),
    )
    .await
    .expect("create");
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.expect("json")["data"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    for (m, path, body) in [
        (
            reqwest::Method::GET,
            format!("/v1/clients/external-id/{}", SENSITIVE[5]),
            None,
        ),
        (
            reqwest::Method::PATCH,
            format!("/v1/clients/{id}"),
            Some(json!({"email": SENSITIVE[6]})),
        ),
        (
            reqwest::Method::PATCH,
            format!("/v1/clients/{id}"),
            Some(json!({"phone": 12345})),
        ),
        (
            reqwest::Method::POST,
            "/v1/clients".to_string(),
            Some(json!({"name": "Dup", "external_id": SENSITIVE[5], "tax_id": SENSITIVE[1]})),
        ),
        (
            reqwest::Method::PUT,
            format!("/v1/clients/external-id/{}", SENSITIVE[5]),
            Some(json!({"name": "Leaky AB", "tax_id": SENSITIVE[1], "phone": SENSITIVE[3]})),
        ),
        (
            reqwest::Method::GET,
            format!("/v1/clients?search={}", SENSITIVE[1]),
            None,
        ),
    ] {
        let r = send(m, &path, body).await.expect("request");
        assert!(r.status().as_u16() < 500, "{path}: {}", r.status());
    }
    let r = http
        .get(server.url("/v1/clients"))
        .bearer_auth(format!("{}.e30.sig", SENSITIVE[7]))
        .send()
        .await
        .expect("bearer");
    assert_eq!(r.status(), 401);
    // The body of a JSON parse error quotes nothing sensitive into the logs either.
    let r = http
        .post(server.url("/v1/clients"))
        .header("x-api-key", &key)
        .header("content-type", "application/json")
        .body(format!("{{\"email\": \"{}\", oops", SENSITIVE[0]))
        .send()
        .await
        .expect("bad json");
    assert_eq!(r.status(), 400);

    // The reader thread may lag the last response by a moment: wait, boundedly.
    let count = |s: &Server| {
        s.logs()
            .iter()
            .filter(|l| l.contains("\"message\":\"request\""))
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while count(&server) < 9 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let logs = server.logs().join("\n");
    for value in SENSITIVE.iter().chain([&key.as_str()]) {
        assert!(
            !logs.contains(value),
            "{value:?} appears in the logs:\n{logs}"
        );
    }
    // One JSON line per request with the documented fields.
    let access: Vec<Value> = server
        .logs()
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["message"] == "request")
        .collect();
    assert_eq!(access.len(), 9, "{logs}");
    let created = &access[0];
    assert_eq!(created["route"], "/v1/clients");
    assert_eq!(created["method"], "POST");
    assert_eq!(created["status"], 201);
    assert_eq!(created["tenant"], "default");
    assert!(
        created["actor"].as_str().is_some_and(|a| a.len() == 36),
        "{created}"
    );
    assert!(created["request_id"]
        .as_str()
        .is_some_and(|r| r.starts_with("req_")));
    assert!(created["latency_ms"].is_number());
    assert_eq!(access[1]["route"], "/v1/clients/external-id/{external_id}");
    let unauthenticated = &access[7];
    assert_eq!(unauthenticated["status"], 401);
    assert_eq!(unauthenticated["tenant"], "-");
    // Latencies as written, not as re-serialised: whole microseconds.
    for line in server
        .logs()
        .iter()
        .filter(|l| l.contains("\"message\":\"request\""))
    {
        let value = line
            .split_once("\"latency_ms\":")
            .map(|(_, rest)| rest.split([',', '}']).next().unwrap_or(""))
            .unwrap_or_else(|| panic!("no latency_ms in {line}"));
        assert_rounded_latency(value, line);
    }
}

/// `0.023`, not `0.023294000000000002`.
fn assert_rounded_latency(value: &str, line: &str) {
    assert!(value.parse::<f64>().is_ok(), "latency {value:?} in {line}");
    let decimals = value.split_once('.').map_or(0, |(_, f)| f.len());
    assert!(decimals <= 3, "latency {value:?} has float noise: {line}");
}

#[tokio::test]
async fn pretty_logs_to_a_pipe_are_plain_text_with_rounded_latencies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", dir.path().join("pretty.db").display());
    // The default format is `pretty`; stderr is a pipe here, as it is for a log file.
    let server = Server::start(&db, &[]);
    let key = server.key.clone().expect("bootstrap key");
    for _ in 0..3 {
        let r = http()
            .get(server.url("/v1/clients"))
            .header("x-api-key", &key)
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), 200);
    }
    let requests = |s: &Server| {
        s.logs()
            .into_iter()
            .filter(|l| l.contains("latency_ms="))
            .collect::<Vec<_>>()
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while requests(&server).len() < 3 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let logs = server.logs().join("\n");
    assert!(
        !logs.contains('\u{1b}'),
        "colour codes in the log:\n{logs:?}"
    );
    let lines = requests(&server);
    assert_eq!(lines.len(), 3, "{logs}");
    for line in &lines {
        let value = line
            .split_once("latency_ms=")
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .unwrap_or("");
        assert_rounded_latency(value, line);
    }
}

/// The Redis of `CLIENTELE_TEST_REDIS_URL`, if set and answering.
async fn test_redis() -> Option<(String, redis::aio::MultiplexedConnection)> {
    let Ok(url) = std::env::var("CLIENTELE_TEST_REDIS_URL") else {
        println!("skipped: no Redis at <CLIENTELE_TEST_REDIS_URL unset>");
        return None;
    };
    let conn = async {
        let client = redis::Client::open(url.as_str()).ok()?;
        let mut conn = client.get_multiplexed_async_connection().await.ok()?;
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .ok()?;
        Some(conn)
    };
    match tokio::time::timeout(Duration::from_secs(2), conn).await {
        Ok(Some(c)) => Some((url, c)),
        _ => {
            println!("skipped: no Redis at {url}");
            None
        }
    }
}

#[tokio::test]
async fn two_server_processes_share_one_budget_through_redis() {
    let Some((url, mut conn)) = test_redis().await else {
        return;
    };
    let prefix = format!(
        "clientele-test:{}:{}:",
        std::process::id(),
        uuid::Uuid::now_v7().simple()
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", dir.path().join("shared.db").display());
    let envs = [
        ("CLIENTELE_REDIS_URL", url.as_str()),
        ("CLIENTELE_REDIS_PREFIX", prefix.as_str()),
        ("CLIENTELE_RATE_LIMIT", "5/min"),
        ("CLIENTELE_REDIS_FAILURE", "closed"),
    ];
    let a = Server::start(&db, &envs);
    let b = Server::start(&db, &envs);
    let key = a.key.clone().expect("bootstrap key");
    assert!(b.key.is_none(), "the second instance found the tenant");
    let http = http();
    let mut seen = Vec::new();
    for i in 0..5 {
        let server = if i % 2 == 0 { &a } else { &b };
        let r = http
            .get(server.url("/v1/clients"))
            .header("x-api-key", &key)
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), 200, "request {i}");
        let remaining = r.headers()["ratelimit-remaining"]
            .to_str()
            .unwrap_or("")
            .to_string();
        seen.push(remaining);
    }
    assert_eq!(seen, vec!["4", "3", "2", "1", "0"]);
    for server in [&a, &b] {
        let r = http
            .get(server.url("/v1/clients"))
            .header("x-api-key", &key)
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), 429);
        assert!(r.headers().contains_key("retry-after"));
    }
    drop(a);
    drop(b);
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut conn)
        .await
        .expect("keys");
    assert!(!keys.is_empty(), "the budget lived in Redis");
    let _: i64 = redis::cmd("DEL")
        .arg(&keys)
        .query_async(&mut conn)
        .await
        .expect("del");
}
