//! Durability and shutdown, against the real binary: acknowledged writes survive `kill -9`, and
//! SIGTERM drains in-flight requests before the process exits. On SQLite, or with
//! `CLIENTELE_TEST_BACKEND=postgres` on a fresh PostgreSQL database.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

/// Keeps the test's database alive; dropping it removes the data.
#[allow(dead_code)] // held only for its Drop
enum Backing {
    Sqlite(tempfile::TempDir),
    Postgres(clientele_store::testing::TestDatabase),
}

/// A fresh database URL for the backend under test, or `None` (printed) to skip.
fn database(name: &str) -> Option<(Backing, String)> {
    use clientele_store::testing;
    if testing::backend_is_postgres() {
        let server = testing::postgres_url();
        match testing::TestDatabase::create(&server) {
            Ok(db) => {
                let url = db.url().to_string();
                Some((Backing::Postgres(db), url))
            }
            Err(e) => {
                testing::skip(&format!("no PostgreSQL at {server} ({e})"));
                None
            }
        }
    } else {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join(name).display());
        Some((Backing::Sqlite(dir), url))
    }
}

fn start(db: &str) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_clientele"))
        .args(["serve", "--bind", "127.0.0.1:0", "--database", db])
        .env("RUST_LOG", "warn")
        // Thousands of requests per second are the point here, not throttling.
        .env("CLIENTELE_RATE_LIMIT", "1000000/min")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn clientele");
    // Owned by the guard at once, so a failed assertion below still kills the child.
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
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx
            .recv_timeout(left)
            .expect("server printed its address in time");
        if line.starts_with("ck_") {
            server.key = Some(line.trim().to_string());
        } else if let Some(addr) = line.strip_prefix("listening on ") {
            server.base = addr.trim().to_string();
            return server;
        }
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

/// What the writers saw: the ids acknowledged with 201, any 5xx statuses, and the requests that
/// got no answer (the server went away): their `Idempotency-Key` and body.
#[derive(Default)]
struct Writes {
    acked: Vec<String>,
    errors: Vec<u16>,
    unanswered: Vec<(String, Value)>,
}

/// Eight writers create clients as fast as they can, each request with its own
/// `Idempotency-Key`, until the server goes away or a bound is reached.
async fn write_until_gone(base: &str, key: &str, stop_after: Duration) -> Writes {
    let seen = Arc::new(Mutex::new(Writes::default()));
    let deadline = Instant::now() + stop_after;
    let mut tasks = Vec::new();
    for w in 0..8 {
        let seen = seen.clone();
        let (base, key) = (base.to_string(), key.to_string());
        tasks.push(tokio::spawn(async move {
            let client = http();
            for n in 0..5_000 {
                if Instant::now() > deadline {
                    break;
                }
                let idem = format!("writer-{w}-{n}");
                let body =
                    json!({"name": format!("writer {w} #{n}"), "email": format!("w{w}n{n}@example.com")});
                let res = client
                    .post(format!("{base}/v1/clients"))
                    .header("x-api-key", &key)
                    .header("idempotency-key", &idem)
                    .json(&body)
                    .send()
                    .await;
                let Ok(res) = res else {
                    if let Ok(mut s) = seen.lock() {
                        s.unanswered.push((idem, body));
                    }
                    break;
                };
                let status = res.status();
                if status.is_server_error() {
                    if let Ok(mut s) = seen.lock() {
                        s.errors.push(status.as_u16());
                    }
                    continue;
                }
                let Ok(body) = res.json::<Value>().await else { break };
                if status.as_u16() == 201 {
                    if let (Some(id), Ok(mut s)) = (body["data"]["id"].as_str(), seen.lock()) {
                        s.acked.push(id.to_string());
                    }
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let mut seen = seen.lock().expect("writes");
    std::mem::take(&mut *seen)
}

/// Every acknowledged client is readable, and the change feed has exactly one `created` record
/// for each stored client.
async fn check_all_present(base: &str, key: &str, acked: &[String]) {
    let client = http();
    for id in acked {
        let r = client
            .get(format!("{base}/v1/clients/{id}"))
            .header("x-api-key", key)
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 200, "acknowledged client {id} was lost");
    }
    let mut created = std::collections::HashSet::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10_000 {
        let mut url = format!("{base}/v1/events?limit=100");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page: Value = client
            .get(url)
            .header("x-api-key", key)
            .send()
            .await
            .expect("events")
            .json()
            .await
            .expect("json");
        for rec in page["data"].as_array().cloned().unwrap_or_default() {
            assert_eq!(rec["action"], "created");
            assert!(
                created.insert(rec["entity_id"].as_str().unwrap_or("").to_string()),
                "duplicate event"
            );
        }
        match page["meta"]["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    for id in acked {
        assert!(created.contains(id), "no audit record for {id}");
    }
    let total: Value = client
        .get(format!("{base}/v1/clients?limit=1&archived=all"))
        .header("x-api-key", key)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(
        total["meta"]["total"].as_u64(),
        Some(created.len() as u64),
        "audit matches the data"
    );
}

/// Leaves an in-flight claim of `idem` for `body`, as a server that died between claiming the key
/// and committing its write leaves it: claimed through a store instance that is then closed.
/// `me` is the credential's `GET /v1/me`.
async fn leave_claim_behind(db: &str, me: &Value, idem: &str, body: &Value) {
    use clientele_core::idempotency::{IdempotencyBegin, IdempotencyScope};
    use clientele_core::types::Timestamp;
    let tenant = me["data"]["tenant"]["id"]
        .as_str()
        .and_then(|t| uuid::Uuid::parse_str(t).ok())
        .expect("tenant id");
    let scope = IdempotencyScope {
        tenant: clientele_core::TenantId(tenant),
        credential_id: me["data"]["credential"]["id"]
            .as_str()
            .expect("credential id")
            .to_string(),
        key: idem.to_string(),
    };
    let bytes = serde_json::to_vec(body).expect("body");
    let hash =
        clientele_api::idempotency::request_hash(&axum::http::Method::POST, "/v1/clients", &bytes);
    let store = clientele_store::open(db).expect("open the store");
    let begun = store
        .idempotency_begin(&scope, hash, Timestamp::now())
        .await
        .expect("claim");
    assert_eq!(begun, IdempotencyBegin::Started);
    store.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_kill_9() {
    let Some((_backing, db)) = database("crash.db") else {
        return;
    };
    let mut server = start(&db);
    let key = server.key.clone().expect("bootstrap key");
    let base = server.base.clone();
    let me: Value = http()
        .get(format!("{base}/v1/me"))
        .header("x-api-key", &key)
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    let writers = {
        let (base, key) = (base.clone(), key.clone());
        tokio::spawn(async move { write_until_gone(&base, &key, Duration::from_secs(30)).await })
    };
    // Let the writers get going, then kill the server without warning.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.child.kill().expect("kill -9");
    let _ = server.child.wait();
    let Writes {
        mut acked,
        mut unanswered,
        ..
    } = writers.await.expect("writers");
    assert!(
        acked.len() >= 8,
        "too few writes acknowledged before the kill: {}",
        acked.len()
    );
    eprintln!(
        "kill -9 after {} acknowledged creates, {} unanswered",
        acked.len(),
        unanswered.len()
    );

    // A claim whose instance is gone, left on purpose (the kill leaves some by chance).
    let left = json!({"name": "left behind", "email": "left@example.com"});
    leave_claim_behind(&db, &me, "left-behind", &left).await;

    let again = start(&db);
    assert!(
        again.key.is_none(),
        "a restarted store must not bootstrap again"
    );
    // Retried with their keys at once after the restart: each is processed (created, or
    // answered from its committed write), never refused as still in flight.
    unanswered.push(("left-behind".into(), left));
    let client = http();
    for (idem, body) in &unanswered {
        let res = client
            .post(format!("{}/v1/clients", again.base))
            .header("x-api-key", &key)
            .header("idempotency-key", idem)
            .json(body)
            .send()
            .await
            .expect("retry");
        let status = res.status().as_u16();
        let out: Value = res.json().await.expect("json");
        assert_eq!(status, 201, "retry of {idem} after the restart: {out}");
        assert_eq!(out["data"]["name"], body["name"]);
        acked.push(out["data"]["id"].as_str().expect("id").to_string());
    }
    check_all_present(&again.base, &key, &acked).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_drains_in_flight_requests_and_exits_cleanly() {
    let Some((_backing, db)) = database("drain.db") else {
        return;
    };
    let mut server = start(&db);
    let key = server.key.clone().expect("bootstrap key");
    let base = server.base.clone();
    let writers = {
        let (base, key) = (base.clone(), key.clone());
        tokio::spawn(async move { write_until_gone(&base, &key, Duration::from_secs(30)).await })
    };
    tokio::time::sleep(Duration::from_millis(800)).await;
    let pid = server.child.id().to_string();
    let sent = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill -TERM");
    assert!(sent.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = server.child.try_wait().expect("wait") {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "server did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status}");
    let Writes {
        acked,
        errors: server_errors,
        ..
    } = writers.await.expect("writers");
    assert!(
        server_errors.is_empty(),
        "5xx during drain: {server_errors:?}"
    );
    assert!(!acked.is_empty());
    eprintln!("SIGTERM drained with {} acknowledged creates", acked.len());

    let again = start(&db);
    check_all_present(&again.base, &key, &acked).await;
}
