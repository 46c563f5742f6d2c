//! The OpenAPI document is generated from code and snapshot-tested, so an unintended change fails.

use std::path::PathBuf;

use crate::common::TestApp;

fn snapshot_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/openapi.json")
}

#[test]
fn openapi_document_matches_the_snapshot() {
    let doc = serde_json::to_string_pretty(&clientele_api::openapi()).expect("json") + "\n";
    let path = snapshot_path();
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
        std::fs::write(&path, &doc).expect("write snapshot");
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == doc,
        "the OpenAPI document changed; review it and run with UPDATE_SNAPSHOTS=1 to accept"
    );
}

#[test]
fn openapi_document_lists_every_route_and_the_error_shape() {
    let doc = serde_json::to_value(clientele_api::openapi()).expect("json");
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    let paths = doc["paths"].as_object().expect("paths");
    for (path, methods) in [
        ("/v1/clients", vec!["get", "post"]),
        ("/v1/clients/{id}", vec!["get", "put", "patch", "delete"]),
        ("/v1/clients/external-id/{external_id}", vec!["get", "put"]),
        ("/healthz", vec!["get"]),
        ("/readyz", vec!["get"]),
        ("/metrics", vec!["get"]),
    ] {
        for m in methods {
            assert!(paths[path][m].is_object(), "{m} {path} missing");
        }
    }
    let schemas = &doc["components"]["schemas"];
    for s in [
        "ErrorBody",
        "Client",
        "ClientData",
        "Address",
        "Credit",
        "FieldError",
    ] {
        assert!(schemas[s].is_object(), "schema {s} missing");
    }
    assert!(paths["/v1/clients"]["post"]["responses"]["401"].is_object());
    assert_eq!(
        doc["components"]["securitySchemes"]["api_key"]["name"],
        "X-API-Key"
    );
}

#[test]
fn every_operation_id_is_unique() {
    let doc = serde_json::to_value(clientele_api::openapi()).expect("json");
    let mut seen = std::collections::HashSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("operations") {
            let id = op["operationId"].as_str().unwrap_or("");
            assert!(
                seen.insert(id.to_string()),
                "{method} {path}: operationId {id} is taken"
            );
        }
    }
}

#[tokio::test]
async fn openapi_json_and_docs_are_served_without_a_credential() {
    let app = spawn_app!();
    let r = app
        .http
        .get(app.url("/openapi.json"))
        .send()
        .await
        .expect("req");
    assert_eq!(r.status(), 200);
    let served: serde_json::Value = r.json().await.expect("json");
    assert_eq!(
        served,
        serde_json::to_value(clientele_api::openapi()).expect("json")
    );
    let r = app.http.get(app.url("/docs/")).send().await.expect("req");
    assert_eq!(r.status(), 200);
    let html = r.text().await.expect("html");
    assert!(html.contains("swagger-ui"), "{html}");
    // The viewer's assets come from this binary, not from a CDN.
    for asset in [
        "/docs/swagger-ui.css",
        "/docs/swagger-ui-bundle.js",
        "/docs/swagger-initializer.js",
    ] {
        let r = app.http.get(app.url(asset)).send().await.expect("req");
        assert_eq!(r.status(), 200, "{asset}");
    }
    assert!(!html.contains("cdn") && !html.contains("unpkg"), "{html}");
}
