//! Rate limits: GCRA per credential, `RateLimit-*` headers on every `/v1` response, 429 with
//! `Retry-After` over the budget; shared through Redis by several instances; Redis down is a
//! configured choice (open or closed), never a 500.

use std::sync::Arc;

use clientele_api::config::Config;
use clientele_api::ratelimit::{FailMode, RateLimiter};
use clientele_api::AppState;
use clientele_core::enums::Permission;
use clientele_core::tenant::RateLimit;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::{serve, Reply, TestApp};

fn per_min(count: u32) -> RateLimit {
    RateLimit {
        count,
        per_seconds: 60,
    }
}

fn assert_rate_headers(r: &Reply, what: &str) {
    for h in [
        "ratelimit-limit",
        "ratelimit-remaining",
        "ratelimit-reset",
        "ratelimit-policy",
    ] {
        assert!(
            r.header(h).is_some_and(|v| !v.is_empty()),
            "{what}: {h} missing ({})",
            r.status
        );
    }
}

#[tokio::test]
async fn every_v1_response_carries_the_rate_limit_headers() {
    let app = spawn_app!();
    let reader = app.key_with(&[Permission::ClientsRead]).await;
    let with = |m: Method, p: &str, key: Option<&str>| {
        let mut req = app.http.request(m, app.url(p));
        if let Some(k) = key {
            req = req.header("x-api-key", k);
        }
        req
    };
    let cases = [
        (with(Method::GET, "/v1/clients", Some(&app.key)), 200),
        (with(Method::GET, "/v1/clients", None), 401),
        (with(Method::GET, "/v1/clients", Some("ck_nope")), 401),
        (with(Method::POST, "/v1/clients", Some(&reader)), 403),
        (
            with(
                Method::GET,
                "/v1/clients/0193a5b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b",
                Some(&app.key),
            ),
            404,
        ),
        (with(Method::GET, "/v1/clients/0", Some(&app.key)), 400),
        (with(Method::GET, "/v1/no-such-route", Some(&app.key)), 404),
        (with(Method::GET, "/v1/no-such-route", None), 404),
        (with(Method::DELETE, "/v1/clients", Some(&app.key)), 405),
        (
            with(Method::GET, "/v1/clients?limit=0", Some(&app.key)),
            400,
        ),
    ];
    for (req, status) in cases {
        let r = app.send(req).await;
        assert_eq!(r.status.as_u16(), status, "{}", r.body);
        assert_rate_headers(&r, &format!("status {status}"));
    }
    let r = app.send(app.request(Method::GET, "/v1/clients")).await;
    assert_eq!(r.header("ratelimit-limit"), Some("1200"));
    assert_eq!(r.header("ratelimit-policy"), Some("1200;w=60"));
    let r = app
        .http
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("healthz");
    assert!(r.headers().get("ratelimit-limit").is_none());
}

#[tokio::test]
async fn over_the_keys_limit_is_429_with_retry_after() {
    let app = spawn_app!();
    let (_, limited) = clientele_api::keys::issue_key(
        app.store.as_ref(),
        app.tenant.id,
        vec![Permission::ClientsRead],
        Some(per_min(3)),
        None,
    )
    .await
    .expect("key");
    let get = || {
        app.http
            .get(app.url("/v1/clients"))
            .header("x-api-key", &limited)
    };
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let r = app.send(get()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.header("ratelimit-limit"), Some("3"));
        remaining.push(r.header("ratelimit-remaining").unwrap_or("").to_string());
    }
    assert_eq!(remaining, vec!["2", "1", "0"]);
    let r = app.send(get()).await;
    r.error(429, "RATE_LIMITED");
    let retry: u64 = r
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=20).contains(&retry), "retry after {retry}");
    assert_eq!(r.header("ratelimit-remaining"), Some("0"));
    let reset: u64 = r
        .header("ratelimit-reset")
        .and_then(|v| v.parse().ok())
        .expect("reset");
    assert!((40..=60).contains(&reset), "reset {reset}");
    // Another credential has its own budget.
    assert_eq!(app.get("/v1/clients").await.status, StatusCode::OK);
}

#[tokio::test]
async fn requests_without_a_valid_credential_share_a_budget_per_client_address() {
    let app = spawn_app!(Config {
        default_rate_limit: per_min(2),
        ..Config::default()
    });
    for _ in 0..2 {
        let r = app
            .send(
                app.http
                    .get(app.url("/v1/clients"))
                    .header("x-api-key", "ck_guess"),
            )
            .await;
        r.error(401, "UNAUTHORIZED");
    }
    let r = app.send(app.http.get(app.url("/v1/clients"))).await;
    r.error(429, "RATE_LIMITED");
    // A valid key is counted on its own.
    assert_eq!(app.get("/v1/clients").await.status, StatusCode::OK);
}

#[tokio::test]
async fn unreachable_redis_fails_open_to_per_instance_limits() {
    let limiter =
        RateLimiter::redis("redis://127.0.0.1:1", "unused:", FailMode::Open).expect("url");
    let app = spawn_app!(Config {
        rate_limiter: Arc::new(limiter),
        default_rate_limit: per_min(2),
        ..Config::default()
    });
    for expected in [200, 200, 429] {
        let r = app.get("/v1/clients").await;
        assert_eq!(r.status.as_u16(), expected, "{}", r.body);
        assert_rate_headers(&r, "fail open");
    }
}

#[tokio::test]
async fn unreachable_redis_fails_closed_with_503_when_so_configured() {
    let limiter =
        RateLimiter::redis("redis://127.0.0.1:1", "unused:", FailMode::Closed).expect("url");
    let app = spawn_app!(Config {
        rate_limiter: Arc::new(limiter),
        ..Config::default()
    });
    for _ in 0..3 {
        let r = app.get("/v1/clients").await;
        r.error(503, "SERVICE_UNAVAILABLE");
        assert_eq!(r.header("retry-after"), Some("1"));
        assert_rate_headers(&r, "fail closed");
    }
    // Probes are not limited.
    let r = app
        .http
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(r.status(), 200);
}

/// The Redis of `CLIENTELE_TEST_REDIS_URL`, if set and answering.
pub async fn test_redis() -> Option<(String, redis::aio::MultiplexedConnection)> {
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
    match tokio::time::timeout(std::time::Duration::from_secs(2), conn).await {
        Ok(Some(c)) => Some((url, c)),
        _ => {
            println!("skipped: no Redis at {url}");
            None
        }
    }
}

/// Deletes every key under `prefix` (bounded: at most 100 SCAN rounds).
pub async fn delete_prefix(conn: &mut redis::aio::MultiplexedConnection, prefix: &str) {
    let mut cursor: u64 = 0;
    for _ in 0..100 {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{prefix}*"))
            .arg("COUNT")
            .arg(1000)
            .query_async(conn)
            .await
            .expect("scan");
        if !keys.is_empty() {
            let _: i64 = redis::cmd("DEL")
                .arg(&keys)
                .query_async(conn)
                .await
                .expect("del");
        }
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
}

pub fn unique_prefix() -> String {
    format!(
        "clientele-test:{}:{}:",
        std::process::id(),
        uuid::Uuid::now_v7().simple()
    )
}

#[tokio::test]
async fn two_instances_sharing_redis_share_one_budget() {
    let Some((url, mut conn)) = test_redis().await else {
        return;
    };
    let prefix = unique_prefix();
    let app = spawn_app!(Config {
        rate_limiter: Arc::new(RateLimiter::redis(&url, &prefix, FailMode::Closed).expect("url")),
        ..Config::default()
    });
    // A second instance over the same store, with its own limiter on the same Redis.
    let second = serve(AppState::with_config(
        app.store.clone(),
        Config {
            rate_limiter: Arc::new(
                RateLimiter::redis(&url, &prefix, FailMode::Closed).expect("url"),
            ),
            ..Config::default()
        },
    ))
    .await;
    let (_, limited) = clientele_api::keys::issue_key(
        app.store.as_ref(),
        app.tenant.id,
        vec![Permission::ClientsRead],
        Some(per_min(4)),
        None,
    )
    .await
    .expect("key");
    let urls = [app.url("/v1/me"), format!("http://{second}/v1/me")];
    let mut remaining = Vec::new();
    for i in 0..4 {
        let r = app
            .send(app.http.get(&urls[i % 2]).header("x-api-key", &limited))
            .await;
        assert_eq!(r.status, StatusCode::OK, "request {i}: {}", r.body);
        remaining.push(r.data()["rate_limit"]["remaining"].as_u64().unwrap_or(99));
    }
    assert_eq!(remaining, vec![3, 2, 1, 0]);
    for u in &urls {
        let r = app
            .send(app.http.get(u).header("x-api-key", &limited))
            .await;
        r.error(429, "RATE_LIMITED");
    }
    let r = app
        .send(
            app.http
                .post(app.url("/v1/clients"))
                .json(&json!({}))
                .header("x-api-key", &limited),
        )
        .await;
    r.error(429, "RATE_LIMITED");
    delete_prefix(&mut conn, &prefix).await;
    let left: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut conn)
        .await
        .expect("keys");
    assert!(left.is_empty(), "{left:?}");
}
