//! A small HTTP benchmark of the real binary on the backend under test (SQLite by default,
//! PostgreSQL with `CLIENTELE_TEST_BACKEND=postgres`). Ignored in normal runs; run with
//! `bench/writes.sh` (release build). Figures go to docs/performance.md.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

#[allow(dead_code)] // held only for its Drop
enum Backing {
    Sqlite(tempfile::TempDir),
    Postgres(clientele_store::testing::TestDatabase),
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The binary under test: `BENCH_BIN` (another build, to compare two in one run) or this build's.
fn binary() -> String {
    std::env::var("BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_clientele").to_string())
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs `op` from `conc` tasks for `secs` seconds; returns (requests/s, p50 ms, p99 ms).
async fn measure<F, Fut>(conc: usize, secs: u64, op: F) -> (f64, f64, f64)
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let op = Arc::new(op);
    let counter = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..conc {
        let (op, counter) = (op.clone(), counter.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while Instant::now() < deadline {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let t = Instant::now();
                assert!(op(n).await, "request failed");
                lat.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("task"));
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_by(f64::total_cmp);
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    (all.len() as f64 / elapsed, pct(0.5), pct(0.99))
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "benchmark: run bench/writes.sh"]
async fn bench() {
    use clientele_store::testing;
    let (_backing, url, label) = if testing::backend_is_postgres() {
        let server = testing::postgres_url();
        let db = match testing::TestDatabase::create(&server) {
            Ok(db) => db,
            Err(e) => {
                testing::skip(&format!("no PostgreSQL at {server} ({e})"));
                return;
            }
        };
        // As many pooled connections as the bench has concurrent requests (default 16).
        let pool = env_u64("BENCH_POOL_SIZE", env_u64("BENCH_CONCURRENCY", 16));
        // More of the store's URL parameters, e.g. `create_groups=0` (docs/deployment.md).
        let more = std::env::var("BENCH_PG_PARAMS")
            .map(|p| format!("&{p}"))
            .unwrap_or_default();
        let url = format!("{}?pool_size={pool}{more}", db.url());
        (Backing::Postgres(db), url, "postgres")
    } else {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("bench.db").display());
        (Backing::Sqlite(dir), url, "sqlite")
    };
    let mut child = Command::new(binary())
        .args(["serve", "--bind", "127.0.0.1:0", "--database", &url])
        .env("RUST_LOG", "warn")
        // Load is the point here, not throttling (read once rate limits exist, issue 4).
        .env("CLIENTELE_RATE_LIMIT", "1000000/min")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let _server = Server(child);
    let (mut key, mut base) = (String::new(), String::new());
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
        if line.starts_with("ck_") {
            key = line.trim().to_string();
        } else if let Some(a) = line.strip_prefix("listening on ") {
            base = a.trim().to_string();
            break;
        }
    }
    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(64)
        .build()
        .expect("client");
    let preload = env_u64("BENCH_PRELOAD", 5_000);
    let secs = env_u64("BENCH_SECONDS", 5);
    let conc = env_u64("BENCH_CONCURRENCY", 16) as usize;

    // Preload through the API (also a throughput figure: creates at concurrency `conc`).
    let ids = Arc::new(std::sync::Mutex::new(Vec::new()));
    let t = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..conc as u64 {
        let (http, base, key, ids) = (http.clone(), base.clone(), key.clone(), ids.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = w;
            while n < preload {
                let r: Value = http
                    .post(format!("{base}/v1/clients"))
                    .header("x-api-key", &key)
                    .json(
                        &json!({"name": format!("Client {n}"), "email": format!("c{n}@example.com"),
                                  "credit": {"limit": 1000 + n, "currency": "EUR"}}),
                    )
                    .send()
                    .await
                    .expect("create")
                    .json()
                    .await
                    .expect("json");
                if let (Some(id), Ok(mut v)) = (r["data"]["id"].as_str(), ids.lock()) {
                    v.push(id.to_string());
                }
                n += conc as u64;
            }
        }));
    }
    for t in tasks {
        t.await.expect("preload");
    }
    let preload_rate = preload as f64 / t.elapsed().as_secs_f64();
    let ids: Arc<Vec<String>> = Arc::new(ids.lock().map(|v| v.clone()).unwrap_or_default());

    let client = |http: &reqwest::Client| (http.clone(), base.clone(), key.clone());
    let (h, b, k) = client(&http);
    let create = measure(conc, secs, move |n| {
        let (h, b, k) = (h.clone(), b.clone(), k.clone());
        async move {
            h.post(format!("{b}/v1/clients"))
                .header("x-api-key", &k)
                .json(&json!({"name": format!("Bench {n}")}))
                .send()
                .await
                .is_ok_and(|r| r.status() == 201)
        }
    })
    .await;
    let (h, b, k) = client(&http);
    let ids2 = ids.clone();
    let read = measure(conc, secs, move |n| {
        let (h, b, k) = (h.clone(), b.clone(), k.clone());
        let id = ids2[(n as usize * 7919) % ids2.len()].clone();
        async move {
            h.get(format!("{b}/v1/clients/{id}"))
                .header("x-api-key", &k)
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
        }
    })
    .await;
    let (h, b, k) = client(&http);
    let ids3 = ids.clone();
    let patch = measure(conc, secs, move |n| {
        let (h, b, k) = (h.clone(), b.clone(), k.clone());
        let id = ids3[(n as usize * 7919) % ids3.len()].clone();
        async move {
            h.patch(format!("{b}/v1/clients/{id}"))
                .header("x-api-key", &k)
                .json(&json!({"notes": format!("n{n}")}))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
        }
    })
    .await;
    let (h, b, k) = client(&http);
    let list = measure(conc, secs, move |n| {
        let (h, b, k) = (h.clone(), b.clone(), k.clone());
        async move {
            h.get(format!("{b}/v1/clients?limit=25&offset={}", (n % 20) * 25))
                .header("x-api-key", &k)
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
        }
    })
    .await;
    // Writes spread over several tenants.
    let tenants = env_u64("BENCH_TENANTS", 8);
    let mut keys = Vec::new();
    for t in 0..tenants {
        let name = format!("bench-{t}");
        let cli = |args: &[&str]| {
            let out = Command::new(binary())
                .args(args)
                .args(["--database", &url])
                .env("RUST_LOG", "warn")
                .output()
                .expect("run clientele");
            assert!(out.status.success(), "{args:?} failed");
            String::from_utf8_lossy(&out.stdout).to_string()
        };
        cli(&["tenants", "create", &name]);
        let out = cli(&[
            "keys",
            "create",
            "--tenant",
            &name,
            "--permissions",
            "admin",
        ]);
        keys.push(out.lines().last().expect("key line").trim().to_string());
    }
    let keys = Arc::new(keys);
    let (h, b) = (http.clone(), base.clone());
    let spread = measure(conc, secs, move |n| {
        let (h, b) = (h.clone(), b.clone());
        let k = keys[n as usize % keys.len()].clone();
        async move {
            h.post(format!("{b}/v1/clients"))
                .header("x-api-key", &k)
                .json(&json!({"name": format!("Spread {n}")}))
                .send()
                .await
                .is_ok_and(|r| r.status() == 201)
        }
    })
    .await;
    let spread_label = format!("POST /v1/clients over {tenants} tenants");
    println!(
        "backend {label}: preload {preload} clients at {preload_rate:.0} creates/s (c={conc})"
    );
    println!("| backend | operation | req/s | p50 ms | p99 ms |");
    for (name, (rps, p50, p99)) in [
        ("POST /v1/clients", create),
        (spread_label.as_str(), spread),
        ("GET /v1/clients/{id}", read),
        ("PATCH /v1/clients/{id}", patch),
        ("GET /v1/clients?limit=25 (with total)", list),
    ] {
        println!("| {label} | {name} | {rps:.0} | {p50:.1} | {p99:.1} |");
    }
}
