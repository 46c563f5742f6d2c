//! `GET /metrics`: the Prometheus text format without a credential, checked by `promtool check
//! metrics` when it is installed; requests show up under their route template (never the raw
//! path) with method and status, and the counters move.

use std::io::Write as _;
use std::process::{Command, Stdio};

use clientele_core::enums::Permission;
use clientele_core::tenant::RateLimit;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::TestApp;

/// The exposition, fetched without a credential.
async fn scrape(app: &TestApp) -> String {
    let res = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("scrape");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    res.text().await.expect("body")
}

/// The value of the sample of `name` whose labels include all of `labels`, if there is one.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines().find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let rest = series.strip_prefix(name)?;
        if !(rest.is_empty() || rest.starts_with('{')) {
            return None;
        }
        labels
            .iter()
            .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")))
            .then(|| value.parse().ok())
            .flatten()
    })
}

/// Every line of the exposition that mentions `name` (for failure messages).
fn lines_of<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.contains(name)).collect()
}

/// `promtool check metrics` on the exposition; prints a skip line when promtool is missing.
fn promtool_check(text: &str) {
    let child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        eprintln!("skipped: no promtool (install the Debian package prometheus)");
        return;
    };
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write to promtool");
    let out = child.wait_with_output().expect("promtool");
    assert!(
        out.status.success(),
        "promtool check metrics failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn metrics_are_served_without_a_credential_and_pass_promtool() {
    let app = spawn_app!();
    // Traffic of each kind the metrics report.
    let created = app
        .send(
            app.request(Method::POST, "/v1/clients")
                .header("idempotency-key", "metrics-1")
                .json(&json!({"name": "Metrics AG"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.data()["id"].as_str().expect("id").to_string();
    let replay = app
        .send(
            app.request(Method::POST, "/v1/clients")
                .header("idempotency-key", "metrics-1")
                .json(&json!({"name": "Metrics AG"})),
        )
        .await;
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(app.get(&format!("/v1/clients/{id}")).await.status, 200);
    let (_, limited) = clientele_api::keys::issue_key(
        app.store.as_ref(),
        app.tenant.id,
        vec![Permission::ClientsRead],
        Some(RateLimit {
            count: 1,
            per_seconds: 60,
        }),
        None,
    )
    .await
    .expect("key");
    let mut statuses = Vec::new();
    for _ in 0..2 {
        let r = app
            .http
            .get(app.url("/v1/clients"))
            .header("x-api-key", &limited)
            .send()
            .await
            .expect("get");
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, vec![200, 429]);
    let unmatched = app.http.get(app.url("/no/such/route")).send().await;
    assert_eq!(unmatched.expect("get").status(), StatusCode::NOT_FOUND);

    let text = scrape(&app).await;
    promtool_check(&text);
    let by_route = |route: &str, method: &str, status: &str| {
        sample(
            &text,
            "clientele_http_requests_total",
            &[("route", route), ("method", method), ("status", status)],
        )
        .unwrap_or_else(|| {
            panic!(
                "no {method} {route} {status} series: {:?}",
                lines_of(&text, "clientele_http_requests_total")
            )
        })
    };
    assert!(by_route("/v1/clients", "POST", "201") >= 2.0);
    assert!(by_route("/v1/clients/{id}", "GET", "200") >= 1.0);
    assert!(by_route("/v1/clients", "GET", "429") >= 1.0);
    assert!(by_route("unmatched", "GET", "404") >= 1.0);
    // The route template, never the raw path.
    assert!(!text.contains(&id), "a raw path leaked into the metrics");
    assert!(!text.contains("/no/such/route"));
    for (name, labels) in [
        (
            "clientele_http_request_duration_seconds_bucket",
            &[("route", "/v1/clients/{id}"), ("le", "+Inf")][..],
        ),
        ("clientele_http_requests_in_flight", &[]),
        (
            "clientele_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))],
        ),
        (
            "clientele_store_operations_total",
            &[
                ("operation", "clients::Create"),
                ("kind", "write"),
                ("outcome", "ok"),
            ],
        ),
        (
            "clientele_store_operation_duration_seconds_count",
            &[("operation", "idempotency::Begin"), ("kind", "write")],
        ),
    ] {
        assert!(
            sample(&text, name, labels).is_some(),
            "{name} {labels:?} missing: {:?}",
            lines_of(&text, name)
        );
    }
    for (name, labels) in [
        (
            "clientele_rate_limit_rejections_total",
            ("by", "credential"),
        ),
        ("clientele_idempotent_replays_total", ("kind", "response")),
    ] {
        assert!(
            sample(&text, name, &[labels]).is_some_and(|v| v >= 1.0),
            "{name} {labels:?} did not count: {:?}",
            lines_of(&text, name)
        );
    }
    let backend_metrics: &[&str] = if clientele_store::testing::backend_is_postgres() {
        &[
            "clientele_postgres_pool_connections",
            "clientele_postgres_pool_max_connections",
            "clientele_postgres_pool_waiting",
            "clientele_postgres_pool_wait_duration_seconds_count",
        ]
    } else {
        &[
            "clientele_sqlite_writer_queue_depth",
            "clientele_sqlite_writer_batch_size_bucket",
            "clientele_sqlite_writer_commit_duration_seconds_count",
            "clientele_sqlite_wal_sync_duration_seconds_count",
        ]
    };
    for name in backend_metrics {
        assert!(sample(&text, name, &[]).is_some(), "{name} missing");
    }
    if cfg!(target_os = "linux") {
        for name in [
            "process_resident_memory_bytes",
            "process_cpu_seconds_total",
            "process_open_fds",
        ] {
            assert!(
                sample(&text, name, &[]).is_some_and(|v| v > 0.0),
                "{name} missing"
            );
        }
    }
}

#[tokio::test]
async fn request_counters_move_under_their_route_template() {
    let app = spawn_app!();
    let route = [
        ("route", "/v1/clients/{id}"),
        ("method", "GET"),
        ("status", "404"),
    ];
    let before =
        sample(&scrape(&app).await, "clientele_http_requests_total", &route).unwrap_or(0.0);
    for _ in 0..3 {
        let r = app
            .get("/v1/clients/0190a1b2-0000-7000-8000-00000000abcd")
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
    let after = scrape(&app).await;
    let now = sample(&after, "clientele_http_requests_total", &route).expect("series");
    // Other tests of this process may add to it meanwhile, never take away.
    assert!(now >= before + 3.0, "{before} -> {now}");
    let count = sample(
        &after,
        "clientele_http_request_duration_seconds_count",
        &[("route", "/v1/clients/{id}"), ("method", "GET")],
    )
    .expect("latency count");
    assert!(count >= 3.0);
    assert!(!after.contains("00000000abcd"));
}
