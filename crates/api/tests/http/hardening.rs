//! Hardening: body, nesting, header and time limits; CORS only for configured origins;
//! `nosniff` and `no-store`; 500 bodies that reveal nothing internal.

use std::time::{Duration, Instant};

use clientele_api::config::{parse_cors_origins, Config};
use reqwest::{Method, StatusCode};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::TestApp;

#[tokio::test]
async fn bodies_over_one_mebibyte_are_413() {
    let app = spawn_app!();
    let notes = "x".repeat(1024 * 1024 + 10);
    let r = app
        .send(
            app.request(Method::POST, "/v1/clients")
                .header("content-type", "application/json")
                .body(json!({"name": "Big", "notes": notes}).to_string()),
        )
        .await;
    r.error(413, "PAYLOAD_TOO_LARGE");
}

#[tokio::test]
async fn json_nested_deeper_than_32_levels_is_400_naming_the_problem() {
    let app = spawn_app!();
    let deep = format!("{{\"metadata\": {}1{}}}", "[".repeat(40), "]".repeat(40));
    let r = app
        .send(
            app.request(Method::POST, "/v1/clients")
                .header("content-type", "application/json")
                .body(deep),
        )
        .await;
    r.error(400, "BAD_REQUEST");
    assert!(r.body["message"]
        .as_str()
        .unwrap_or("")
        .contains("nested deeper than 32"));
    // Brackets inside strings are data, not nesting.
    let r = app
        .post("/v1/clients", json!({"name": "[".repeat(100)}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

#[tokio::test]
async fn oversized_headers_are_431() {
    let app = spawn_app!();
    let r = app
        .send(
            app.request(Method::GET, "/v1/clients")
                .header("x-filler", "a".repeat(17 * 1024)),
        )
        .await;
    // 431 has no code of its own in the contract's table; the closest is PAYLOAD_TOO_LARGE.
    r.error(431, "PAYLOAD_TOO_LARGE");
}

#[tokio::test]
async fn a_request_that_stalls_is_answered_503_after_the_request_timeout() {
    let app = spawn_app!(Config {
        request_timeout: Duration::from_secs(1),
        ..Config::default()
    });
    let mut s = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("connect");
    let head = format!(
        "POST /v1/clients HTTP/1.1\r\nHost: x\r\nX-API-Key: {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"name\":",
        app.key
    );
    s.write_all(head.as_bytes()).await.expect("write");
    let started = Instant::now();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf))
        .await
        .expect("answered within 10 s")
        .expect("read");
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn cors_is_off_unless_origins_are_configured() {
    let app = spawn_app!();
    let r = app
        .http
        .request(Method::OPTIONS, app.url("/v1/clients"))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .expect("preflight");
    assert!(r.headers().get("access-control-allow-origin").is_none());
    let r = app
        .send(
            app.request(Method::GET, "/v1/clients")
                .header("origin", "https://evil.example"),
        )
        .await;
    assert!(r.header("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn cors_answers_only_the_allowed_origins() {
    let app = spawn_app!(Config {
        cors_origins: parse_cors_origins("https://app.example").expect("origins"),
        ..Config::default()
    });
    let preflight = |origin: &'static str| {
        app.http
            .request(Method::OPTIONS, app.url("/v1/clients"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "x-api-key,content-type")
            .send()
    };
    let r = preflight("https://app.example").await.expect("preflight");
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(
        r.headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("https://app.example")
    );
    let allowed = r
        .headers()
        .get("access-control-allow-headers")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(allowed.contains("x-api-key"), "{allowed}");
    let r = preflight("https://evil.example").await.expect("preflight");
    assert!(r.headers().get("access-control-allow-origin").is_none());
    let r = app
        .send(
            app.request(Method::GET, "/v1/clients")
                .header("origin", "https://app.example"),
        )
        .await;
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    let exposed = r
        .header("access-control-expose-headers")
        .unwrap_or("")
        .to_string();
    assert!(exposed.contains("ratelimit-remaining"), "{exposed}");
}

#[tokio::test]
async fn responses_say_nosniff_and_v1_says_no_store() {
    let app = spawn_app!();
    for path in [
        "/v1/clients",
        "/v1/nothing",
        "/healthz",
        "/openapi.json",
        "/nowhere",
    ] {
        let r = app
            .http
            .get(app.url(path))
            .header("x-api-key", &app.key)
            .send()
            .await
            .expect("req");
        assert_eq!(
            r.headers()
                .get("x-content-type-options")
                .and_then(|v| v.to_str().ok()),
            Some("nosniff"),
            "{path}"
        );
        if path.starts_with("/v1") {
            assert_eq!(
                r.headers()
                    .get("cache-control")
                    .and_then(|v| v.to_str().ok()),
                Some("no-store"),
                "{path}"
            );
        }
    }
}

#[tokio::test]
async fn a_store_failure_is_500_without_internals() {
    let app = spawn_app!();
    let c = app
        .create(json!({"name": "A", "tax_id": "SE-TAX-987654"}))
        .await;
    if app.db_path.as_os_str().is_empty() {
        eprintln!("skipped: breaking the schema underneath is SQLite-specific");
        return;
    }
    // Break the schema under the running server (SQLite backend): the clients' rows and the
    // documents kept of them, which a point read finds without the rows.
    let conn = rusqlite::Connection::open(&app.db_path).expect("open");
    conn.execute_batch(
        "DROP TRIGGER IF EXISTS clients_ai; ALTER TABLE clients RENAME TO clients_gone;
         ALTER TABLE client_docs RENAME TO client_docs_gone;",
    )
    .expect("rename");
    for r in [
        app.get("/v1/clients").await,
        app.get(&format!("/v1/clients/{}", c["id"].as_str().unwrap_or("")))
            .await,
    ] {
        r.error(500, "INTERNAL_ERROR");
        let text = r.body.to_string().to_lowercase();
        for leak in [
            "sql", "clients", "table", "rusqlite", "src/", "panicked", "987654",
        ] {
            assert!(!text.contains(leak), "500 body leaks {leak:?}: {text}");
        }
    }
}

#[tokio::test]
async fn docs_and_the_openapi_document_have_a_csp_and_cannot_be_framed() {
    let app = spawn_app!();
    for (path, must) in [
        (
            "/docs/",
            vec![
                "script-src 'self'",
                "frame-ancestors 'none'",
                "default-src 'none'",
            ],
        ),
        (
            "/docs/swagger-initializer.js",
            vec!["frame-ancestors 'none'"],
        ),
        (
            "/openapi.json",
            vec!["default-src 'none'", "frame-ancestors 'none'"],
        ),
        (
            "/v1/clients",
            vec!["default-src 'none'", "frame-ancestors 'none'"],
        ),
        ("/healthz", vec!["frame-ancestors 'none'"]),
    ] {
        let r = app
            .http
            .get(app.url(path))
            .header("x-api-key", &app.key)
            .send()
            .await
            .expect("req");
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let h = |name: &str| {
            r.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        assert_eq!(h("x-frame-options"), "DENY", "{path}");
        let csp = h("content-security-policy");
        for m in must {
            assert!(csp.contains(m), "{path}: {csp}");
        }
        // Never a policy that lets injected script run.
        assert!(!csp.contains("unsafe-eval"), "{path}: {csp}");
        assert!(
            !csp.contains("script-src 'self' 'unsafe-inline'"),
            "{path}: {csp}"
        );
    }
}
