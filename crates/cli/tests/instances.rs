//! Several stateless instances on one PostgreSQL database, against the real binary: what is
//! written through one is read through the other, and idempotency keys, `If-Match` and the
//! per-tenant `number` sequence hold across them. Runs with `CLIENTELE_TEST_BACKEND=postgres`
//! (server from `CLIENTELE_TEST_POSTGRES_URL`); otherwise, or without a server, it prints a skip
//! line and passes.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clientele_store::testing::{backend_is_postgres, postgres_url, TestDatabase};
use serde_json::{json, Value};

struct Server {
    child: Child,
    base: String,
    key: Option<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `clientele serve` on `url`; returns once it listens.
fn spawn(url: &str) -> (Server, std::sync::mpsc::Receiver<String>) {
    spawn_with(url, &[])
}

fn spawn_with(url: &str, env: &[(&str, &str)]) -> (Server, std::sync::mpsc::Receiver<String>) {
    let child = Command::new(env!("CARGO_BIN_EXE_clientele"))
        .args(["serve", "--bind", "127.0.0.1:0", "--database", url])
        .env("RUST_LOG", "warn")
        // Load is the point here, not throttling (read once rate limits exist, issue 4).
        .env("CLIENTELE_RATE_LIMIT", "1000000/min")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn clientele");
    let mut server = Server {
        child,
        base: String::new(),
        key: None,
    };
    let stdout = server.child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (server, rx)
}

fn wait_listening(server: &mut Server, rx: &std::sync::mpsc::Receiver<String>) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx
            .recv_timeout(left)
            .expect("server printed its address in time");
        if line.starts_with("ck_") {
            server.key = Some(line.trim().to_string());
        } else if let Some(addr) = line.strip_prefix("listening on ") {
            server.base = addr.trim().to_string();
            return;
        }
    }
}

fn fresh_database() -> Option<TestDatabase> {
    if !backend_is_postgres() {
        clientele_store::testing::skip(
            "the two-instance test needs CLIENTELE_TEST_BACKEND=postgres",
        );
        return None;
    }
    let server = postgres_url();
    match TestDatabase::create(&server) {
        Ok(db) => Some(db),
        Err(e) => {
            clientele_store::testing::skip(&format!("no PostgreSQL at {server} ({e})"));
            None
        }
    }
}

struct Api {
    http: reqwest::Client,
    key: String,
}

struct Reply {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Api {
    async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        let res = req
            .header("x-api-key", &self.key)
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).expect("JSON body")
        };
        Reply {
            status,
            headers,
            body,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_share_one_postgres_database() {
    let Some(db) = fresh_database() else {
        return;
    };
    // Both start at once on the empty database: migrations and bootstrap must not race.
    let (mut a, rx_a) = spawn(db.url());
    let (mut b, rx_b) = spawn(db.url());
    wait_listening(&mut a, &rx_a);
    wait_listening(&mut b, &rx_b);
    let keys: Vec<String> = [&a.key, &b.key].into_iter().flatten().cloned().collect();
    assert_eq!(keys.len(), 1, "exactly one instance bootstraps: {keys:?}");
    let api = Api {
        http: reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(20))
            .build()
            .expect("client"),
        key: keys[0].clone(),
    };
    let (ua, ub) = (a.base.clone(), b.base.clone());

    // A write through A is read through B.
    let created = api
        .send(
            api.http
                .post(format!("{ua}/v1/clients"))
                .header("content-type", "application/json")
                .body(
                    r#"{"name": "Ångström AB", "credit": {"limit": 1234.5600, "currency": "SEK"}}"#,
                ),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["data"]["id"].as_str().expect("id").to_string();
    let read = api
        .send(api.http.get(format!("{ub}/v1/clients/{id}")))
        .await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body["data"], created.body["data"]);
    assert_eq!(
        read.body["data"]["credit"]["limit"].to_string(),
        "1234.5600"
    );

    // An idempotency key used on A replays on B; another body with it is a conflict on B.
    let body = json!({"name": "Once Only"});
    let first = api
        .send(
            api.http
                .post(format!("{ua}/v1/clients"))
                .header("idempotency-key", "k-1")
                .json(&body),
        )
        .await;
    assert_eq!(first.status, 201);
    let again = api
        .send(
            api.http
                .post(format!("{ub}/v1/clients"))
                .header("idempotency-key", "k-1")
                .json(&body),
        )
        .await;
    assert_eq!(again.status, 201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    let other = api
        .send(
            api.http
                .post(format!("{ub}/v1/clients"))
                .header("idempotency-key", "k-1")
                .json(&json!({"name": "Something Else"})),
        )
        .await;
    assert_eq!(other.status, 409, "{}", other.body);

    // If-Match: B updates with the ETag A handed out; A's stale ETag then fails with 412.
    let etag = read.header("etag").expect("etag").to_string();
    let patched = api
        .send(
            api.http
                .patch(format!("{ub}/v1/clients/{id}"))
                .header("if-match", &etag)
                .json(&json!({"notes": "via B"})),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    let stale = api
        .send(
            api.http
                .patch(format!("{ua}/v1/clients/{id}"))
                .header("if-match", &etag)
                .json(&json!({"notes": "via A"})),
        )
        .await;
    assert_eq!(stale.status, 412, "{}", stale.body);
    assert_eq!(stale.body["error"], "PRECONDITION_FAILED");
    let now = api
        .send(api.http.get(format!("{ua}/v1/clients/{id}")))
        .await;
    assert_eq!(now.body["data"]["notes"], "via B");

    // Concurrent creates through both instances: numbers stay a gap-free per-tenant sequence,
    // and concurrent patches through both are all applied (no lost update).
    let mut tasks = Vec::new();
    for i in 0..40 {
        let base = if i % 2 == 0 { ua.clone() } else { ub.clone() };
        let (http, key) = (api.http.clone(), api.key.clone());
        tasks.push(tokio::spawn(async move {
            let api = Api { http, key };
            let r = api
                .send(
                    api.http
                        .post(format!("{base}/v1/clients"))
                        .json(&json!({"name": format!("Parallel {i}")})),
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.body);
            r.body["data"]["number"].as_i64().expect("number")
        }));
    }
    for i in 0..20 {
        let base = if i % 2 == 0 { ua.clone() } else { ub.clone() };
        let (http, key, id) = (api.http.clone(), api.key.clone(), id.clone());
        tasks.push(tokio::spawn(async move {
            let api = Api { http, key };
            let r = api
                .send(
                    api.http
                        .patch(format!("{base}/v1/clients/{id}"))
                        .json(&json!({"metadata": {format!("k{i}"): "v"}})),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            0
        }));
    }
    let mut numbers = BTreeSet::new();
    for t in tasks {
        let n = t.await.expect("task");
        if n > 0 {
            assert!(numbers.insert(n), "number {n} handed out twice");
        }
    }
    // Clients 1 and 2 were created above, so the parallel ones are exactly 3..=42.
    assert_eq!(numbers, (3..=42).collect::<BTreeSet<i64>>());
    let merged = api
        .send(api.http.get(format!("{ub}/v1/clients/{id}")))
        .await;
    let metadata = merged.body["data"]["metadata"]
        .as_object()
        .expect("metadata");
    assert_eq!(
        metadata.len(),
        20,
        "every concurrent patch kept: {metadata:?}"
    );

    // The change feed read through B has every change, in an order that never goes back.
    let mut seen = 0;
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{ub}/v1/events?limit=100");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page = api.send(api.http.get(url)).await;
        assert_eq!(page.status, 200, "{}", page.body);
        seen += page.body["data"].as_array().map_or(0, Vec::len);
        match page.body["meta"]["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, 42 + 21, "42 creates and 21 updates");
    drop((a, b));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_one_rate_limit_budget_through_redis() {
    let redis = std::env::var("CLIENTELE_TEST_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let hostport = redis
        .trim_start_matches("redis://")
        .split('/')
        .next()
        .unwrap_or("127.0.0.1:6379")
        .to_string();
    if std::net::TcpStream::connect(&hostport).is_err() {
        clientele_store::testing::skip(&format!("no Redis at {redis}"));
        return;
    }
    let Some(db) = fresh_database() else {
        return;
    };
    let prefix = format!("clientele-test-{}:", uuid::Uuid::now_v7().simple());
    let env = [
        ("CLIENTELE_RATE_LIMIT", "10/min"),
        ("CLIENTELE_REDIS_URL", redis.as_str()),
        ("CLIENTELE_REDIS_PREFIX", prefix.as_str()),
    ];
    let (mut a, rx_a) = spawn_with(db.url(), &env);
    wait_listening(&mut a, &rx_a);
    let (mut b, rx_b) = spawn_with(db.url(), &env);
    wait_listening(&mut b, &rx_b);
    let api = Api {
        http: reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client"),
        key: a.key.clone().expect("bootstrap key"),
    };
    let mut statuses = Vec::new();
    for i in 0..12 {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        let r = api.send(api.http.get(format!("{base}/v1/clients"))).await;
        statuses.push(r.status);
    }
    assert_eq!(&statuses[..10], &[200; 10], "{statuses:?}");
    assert_eq!(
        &statuses[10..],
        &[429, 429],
        "one budget of 10 for both: {statuses:?}"
    );
}
