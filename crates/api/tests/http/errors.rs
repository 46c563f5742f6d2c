//! The error model: codes, statuses, body shape, request ids.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::TestApp;

#[tokio::test]
async fn unknown_routes_are_404_in_the_error_shape() {
    let app = spawn_app!();
    app.get("/v2/anything").await.error(404, "NOT_FOUND");
    app.get("/v1/nothing-here").await.error(404, "NOT_FOUND");
}

#[tokio::test]
async fn malformed_json_is_400_with_line_and_column() {
    let app = spawn_app!();
    let r = app
        .send(
            app.request(Method::POST, "/v1/clients")
                .header("content-type", "application/json")
                .body("{\n  \"name\": \"A\",\n  oops\n}"),
        )
        .await;
    r.error(400, "BAD_REQUEST");
    let msg = r.body["message"].as_str().unwrap_or("");
    assert!(msg.contains("line 3") && msg.contains("column 3"), "{msg}");
}

#[tokio::test]
async fn an_empty_body_is_400() {
    let app = spawn_app!();
    let r = app
        .send(
            app.request(Method::POST, "/v1/clients")
                .header("content-type", "application/json"),
        )
        .await;
    r.error(400, "BAD_REQUEST");
}

#[tokio::test]
async fn non_json_bodies_are_415() {
    let app = spawn_app!();
    for ct in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let mut req = app.request(Method::POST, "/v1/clients").body("name=A");
        if let Some(ct) = ct {
            req = req.header("content-type", ct);
        }
        app.send(req).await.error(415, "UNSUPPORTED_MEDIA_TYPE");
    }
    let r = app
        .send(
            app.request(Method::POST, "/v1/clients")
                .header("content-type", "application/json; charset=utf-8")
                .body(json!({"name": "A"}).to_string()),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
}

#[tokio::test]
async fn bodies_over_one_mebibyte_are_413() {
    let app = spawn_app!();
    let big = json!({"name": "A", "notes": "x".repeat(1024 * 1024)}).to_string();
    let r = app
        .send(
            app.request(Method::POST, "/v1/clients")
                .header("content-type", "application/json")
                .body(big),
        )
        .await;
    r.error(413, "PAYLOAD_TOO_LARGE");
}

#[tokio::test]
async fn request_ids_are_echoed_when_valid_and_generated_otherwise() {
    let app = spawn_app!();
    let r = app
        .send(
            app.request(Method::GET, "/v1/clients")
                .header("x-request-id", "abc.DEF_1:2-3"),
        )
        .await;
    assert_eq!(r.header("x-request-id"), Some("abc.DEF_1:2-3"));
    for bad in ["has space", "x".repeat(129).as_str(), "semi;colon"] {
        let r = app
            .send(
                app.request(Method::GET, "/v1/nowhere")
                    .header("x-request-id", bad),
            )
            .await;
        let id = r.header("x-request-id").unwrap_or("").to_string();
        assert!(!id.is_empty() && id != bad, "{id}");
        assert_eq!(r.body["request_id"], id.as_str());
    }
    let r = app.send(app.http.get(app.url("/healthz"))).await;
    assert!(r.header("x-request-id").is_some_and(|v| !v.is_empty()));
}

#[tokio::test]
async fn wrong_json_types_are_validation_errors_not_bad_requests() {
    let app = spawn_app!();
    let r = app.post("/v1/clients", json!("just a string")).await;
    assert_eq!(
        r.error(400, "VALIDATION_ERROR"),
        vec![("body".into(), "invalid_type".into())]
    );
}

/// A body that is valid JSON but not an object is named as such, in a sentence.
#[tokio::test]
async fn a_body_that_is_not_an_object_gets_a_clear_message_on_every_route() {
    let app = spawn_app!();
    let c = app.create(json!({"name": "A"})).await;
    let client = format!("/v1/clients/{}", c["id"].as_str().unwrap_or(""));
    let contact = app
        .post(&format!("{client}/contact-persons"), json!({"name": "Eva"}))
        .await;
    let contact = format!(
        "{client}/contact-persons/{}",
        contact.data()["id"].as_str().unwrap_or("")
    );
    let writes = [
        (Method::POST, "/v1/clients".to_string()),
        (Method::PUT, client.clone()),
        (Method::PUT, "/v1/clients/external-id/crm-1".to_string()),
        (Method::POST, format!("{client}/contact-persons")),
        (Method::PUT, contact.clone()),
    ];
    for (method, path) in writes {
        let r = app.call(method.clone(), &path, Some(json!([1, 2]))).await;
        assert_eq!(
            r.error(400, "VALIDATION_ERROR"),
            vec![("body".into(), "invalid_type".into())],
            "{method} {path}"
        );
        assert_eq!(
            r.body["message"], "The request body must be a JSON object, not an array",
            "{method} {path}"
        );
    }
    for path in [client, contact] {
        let r = app.patch(&path, json!([1, 2])).await;
        assert_eq!(
            r.error(400, "VALIDATION_ERROR"),
            vec![("body".into(), "invalid_type".into())]
        );
        let message = r.body["message"].as_str().unwrap_or("");
        assert!(
            message.starts_with("A merge patch must be a JSON object"),
            "PATCH {path}: {message}"
        );
    }
    let r = app.post("/v1/api-keys", json!("admin")).await;
    assert_eq!(r.error(400, "VALIDATION_ERROR").len(), 1);
    assert_eq!(r.body["message"], "The request body must be a JSON object");
}

#[tokio::test]
async fn health_and_readiness_need_no_credential() {
    let app = spawn_app!();
    let r = app.send(app.http.get(app.url("/healthz"))).await;
    assert_eq!(r.data()["status"], "ok");
    let r = app.send(app.http.get(app.url("/readyz"))).await;
    assert_eq!(r.data()["status"], "ready");
}

#[tokio::test]
async fn responses_carry_nosniff() {
    let app = spawn_app!();
    let r = app.get("/v1/clients").await;
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
}

#[tokio::test]
async fn readiness_turns_503_while_draining() {
    let app = spawn_app!();
    let state = clientele_api::AppState::new(app.store.clone());
    state
        .draining
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, clientele_api::router(state)).await;
    });
    let r = app
        .send(app.http.get(format!("http://{addr}/readyz")))
        .await;
    r.error(503, "SERVICE_UNAVAILABLE");
    let r = app
        .send(app.http.get(format!("http://{addr}/healthz")))
        .await;
    assert_eq!(r.status, StatusCode::OK, "liveness is unaffected");
}
