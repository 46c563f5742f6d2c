//! `GET /v1/clients`: limit, offset, page, totals, archived, count.

use serde_json::{json, Value};

use crate::common::TestApp;

async fn seed(app: &TestApp, n: usize) -> Vec<Value> {
    let mut out = Vec::new();
    for i in 0..n {
        out.push(app.create(json!({"name": format!("Client {i}")})).await);
    }
    out
}

fn names(v: &Value) -> Vec<String> {
    v["data"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| c["name"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn lists_newest_first_with_default_meta() {
    let app = spawn_app!();
    seed(&app, 3).await;
    let r = app.get("/v1/clients").await;
    assert_eq!(names(&r.body), vec!["Client 2", "Client 1", "Client 0"]);
    assert_eq!(
        r.body["meta"],
        json!({"total": 3, "limit": 25, "offset": 0, "next_cursor": null})
    );
}

#[tokio::test]
async fn limit_offset_and_page_select_the_window() {
    let app = spawn_app!();
    seed(&app, 7).await;
    let r = app.get("/v1/clients?limit=3&offset=2").await;
    assert_eq!(names(&r.body), vec!["Client 4", "Client 3", "Client 2"]);
    assert_eq!(r.body["meta"]["total"], 7);
    assert_eq!(r.body["meta"]["offset"], 2);
    let r = app.get("/v1/clients?limit=3&page=3").await;
    assert_eq!(names(&r.body), vec!["Client 0"]);
    assert_eq!(r.body["meta"]["offset"], 6);
    let r = app.get("/v1/clients?offset=100").await;
    assert_eq!(names(&r.body), Vec::<String>::new());
    assert_eq!(r.body["meta"]["total"], 7);
}

#[tokio::test]
async fn count_false_skips_the_total() {
    let app = spawn_app!();
    seed(&app, 2).await;
    let r = app.get("/v1/clients?count=false").await;
    assert_eq!(r.body["meta"]["total"], Value::Null);
    assert_eq!(names(&r.body).len(), 2);
}

#[tokio::test]
async fn archived_clients_are_left_out_unless_asked_for() {
    let app = spawn_app!();
    app.create(json!({"name": "Live"})).await;
    app.create(json!({"name": "Old", "archived": true})).await;
    assert_eq!(names(&app.get("/v1/clients").await.body), vec!["Live"]);
    assert_eq!(
        names(&app.get("/v1/clients?archived=false").await.body),
        vec!["Live"]
    );
    assert_eq!(
        names(&app.get("/v1/clients?archived=true").await.body),
        vec!["Old"]
    );
    let r = app.get("/v1/clients?archived=all").await;
    assert_eq!(names(&r.body), vec!["Old", "Live"]);
    assert_eq!(r.body["meta"]["total"], 2);
}

#[tokio::test]
async fn bad_list_parameters_are_validation_errors() {
    let app = spawn_app!();
    for (q, field, code) in [
        ("limit=0", "limit", "out_of_range"),
        ("limit=101", "limit", "out_of_range"),
        ("limit=ten", "limit", "invalid_type"),
        ("offset=-1", "offset", "invalid_type"),
        ("page=0", "page", "out_of_range"),
        ("page=2&offset=3", "page", "conflict"),
        ("archived=maybe", "archived", "invalid_value"),
        ("count=nope", "count", "invalid_value"),
        ("limit=1&limit=2", "limit", "duplicate"),
        ("colour=red", "colour", "unknown_parameter"),
    ] {
        let r = app.get(&format!("/v1/clients?{q}")).await;
        assert_eq!(
            r.error(400, "VALIDATION_ERROR"),
            vec![(field.to_string(), code.to_string())],
            "{q}"
        );
    }
}

#[tokio::test]
async fn limit_bounds_are_inclusive() {
    let app = spawn_app!();
    seed(&app, 2).await;
    assert_eq!(names(&app.get("/v1/clients?limit=1").await.body).len(), 1);
    assert_eq!(names(&app.get("/v1/clients?limit=100").await.body).len(), 2);
}
