//! The documents SQLite keeps of new clients (`client_docs`, migration 32): `GET
//! /v1/clients/{id}` answers with a client's kept document, byte for byte (status, headers, body)
//! what it answers from the client's row; any change of the row removes the document, whatever
//! wrote it (the API, or SQL by hand), so the answer is always the client's current state. On
//! PostgreSQL (which keeps none) these tests have nothing to check and pass.

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::common::TestApp;

/// A point read as it goes over the wire: status, headers, body bytes.
struct Raw {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

/// Sends `req` and keeps its answer as it went over the wire.
async fn raw(req: reqwest::RequestBuilder) -> Raw {
    let res = req.send().await.expect("request");
    Raw {
        status: res.status(),
        headers: res.headers().clone(),
        body: res.bytes().await.expect("body").to_vec(),
    }
}

async fn raw_get(app: &TestApp, id: &str, if_none_match: Option<&str>) -> Raw {
    let mut req = app.request(Method::GET, &format!("/v1/clients/{id}"));
    if let Some(tag) = if_none_match {
        req = req.header("if-none-match", tag);
    }
    raw(req).await
}

/// What a point read answers, without what differs per request (`x-request-id`, `date`, the
/// rate limit's remaining budget).
fn answer(r: &Raw) -> (StatusCode, Vec<(String, String)>, String) {
    let headers = r
        .headers
        .iter()
        .filter(|(k, _)| {
            !matches!(k.as_str(), "x-request-id" | "date") && !k.as_str().starts_with("ratelimit")
        })
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("?").to_string()))
        .collect();
    (
        r.status,
        headers,
        String::from_utf8_lossy(&r.body).into_owned(),
    )
}

/// The SQLite file behind the app, or `None` on PostgreSQL.
fn sqlite(app: &TestApp) -> Option<rusqlite::Connection> {
    app.url
        .starts_with("sqlite:")
        .then(|| rusqlite::Connection::open(&app.db_path).expect("open the SQLite file"))
}

fn has_doc(db: &rusqlite::Connection, id: &str) -> bool {
    db.query_row(
        "SELECT count(*) FROM client_docs WHERE rid = (SELECT rid FROM clients WHERE id = ?1)",
        [id],
        |r| r.get::<_, i64>(0),
    )
    .expect("count")
        == 1
}

/// The client's kept document, if it has one.
fn kept_doc(db: &rusqlite::Connection, id: &str) -> Option<Value> {
    use rusqlite::OptionalExtension;
    db.query_row(
        "SELECT doc FROM client_docs WHERE rid = (SELECT rid FROM clients WHERE id = ?1)",
        [id],
        |r| r.get::<_, String>(0),
    )
    .optional()
    .expect("document")
    .map(|doc| serde_json::from_str(&doc).expect("a JSON document"))
}

/// A changed client's kept document is gone, or (the idle writer may have written it again
/// already) is the client as it is now.
fn no_stale_doc(db: &rusqlite::Connection, id: &str, now: &Value) {
    if let Some(doc) = kept_doc(db, id) {
        assert_eq!(
            &doc, now,
            "a kept document of {id} that is not the client now"
        );
    }
}

fn drop_doc(db: &rusqlite::Connection, id: &str) {
    let n = db
        .execute(
            "DELETE FROM client_docs WHERE rid = (SELECT rid FROM clients WHERE id = ?1)",
            [id],
        )
        .expect("delete");
    assert_eq!(n, 1, "{id} had a document");
}

fn every_field() -> Value {
    json!({
        "kind": "organization", "name": "Nordic Steel AB", "legal_name": "Nordic Steel Aktiebolag",
        "first_name": "Anna", "last_name": "Berg", "org_number": "556677-8899",
        "tax_id": "SE556677889901", "external_id": "crm-1", "account_code": "ACC-7",
        "status": "inactive", "archived": false, "silenced": true, "invoice_reminders": true,
        "show_location_on_invoice": true, "partner_type": "industry",
        "email": "info@nordicsteel.se", "billing_email": "billing@nordicsteel.se",
        "phone": "+46 8 123 45 67", "mobile": "+46 70-123 45 67", "home_phone": "(08) 12.34.56",
        "fax": "+46 8 123 45 68", "website": "https://nordicsteel.se",
        "image_url": "https://nordicsteel.se/logo.png", "notes": "Key \"account\"\n\t\\ </script>",
        "address": {"street": "Storgatan", "street_number": "1", "apartment": "3B",
                    "corner": "Kungsgatan", "line2": "Floor 2", "line3": "Box 7", "city": "Stockholm",
                    "region": "Stockholm", "postal_code": "111 22", "country": "se",
                    "latitude": 59.33, "longitude": -0.0},
        "credit": {"limit": 150000.5, "used": 20000.125, "currency": "sek", "payment_terms_days": 30,
                   "rating": "AA", "creditworthiness": "good", "fico": 720, "total_income": 1000000,
                   "total_debt_payments": 2500.75, "first_time_buyer": false, "frame_contract": true,
                   "self_insurance": false, "pricing": "tier-2", "custom_price_id": "P-9"},
        "owner_id": "u-1", "salesperson_id": "u-2", "case_manager_id": "u-3",
        "source": "import", "structure_id": "north",
        "metadata": {"segment": "enterprise", "ключ": "värde"}
    })
}

/// The same answer from the kept document and from the row, for clients with every field set,
/// none, and non-ASCII text; `If-None-Match` too.
#[tokio::test]
async fn a_point_read_answers_the_same_with_and_without_the_kept_document() {
    let app = spawn_app!();
    let Some(db) = sqlite(&app) else { return };
    let referrer = app.create(json!({"name": "Referrer"})).await;
    let mut full = every_field();
    full["referred_by_id"] = referrer["id"].clone();
    let bodies = [
        full,
        json!({"name": "Minimal"}),
        json!({"kind": "person", "name": "Åsa Öberg 😀", "first_name": "Åsa", "last_name": "Öberg",
               "address": {"city": "Malmö", "country": "SE"}, "notes": "日本語 \u{7f}\u{1}"}),
    ];
    for body in bodies {
        let created = app.create(body).await;
        let id = created["id"].as_str().expect("id");
        assert!(has_doc(&db, id));
        let kept = raw_get(&app, id, None).await;
        assert_eq!(kept.status, StatusCode::OK);
        let tag = kept.headers["etag"].to_str().expect("etag").to_string();
        let not_modified = raw_get(&app, id, Some(&tag)).await;
        assert_eq!(not_modified.status, StatusCode::NOT_MODIFIED);
        let data: Value = serde_json::from_slice(&kept.body).expect("json");
        assert_eq!(data["data"]["id"], created["id"]);
        assert_eq!(data["data"]["name"], created["name"]);

        drop_doc(&db, id);
        let from_row = raw_get(&app, id, None).await;
        assert_eq!(answer(&kept), answer(&from_row));
        assert_eq!(
            answer(&not_modified),
            answer(&raw_get(&app, id, Some(&tag)).await)
        );
    }
}

/// A write (create, replace, merge patch, upsert by external id) answers with the same bytes
/// and `ETag` that a point read of the client gives right after it, on either backend and
/// whether or not a document is kept.
#[tokio::test]
async fn a_write_answers_the_document_a_read_then_gives() {
    let app = spawn_app!();
    let raw_write =
        |method: Method, path: String, body: Value| raw(app.request(method, &path).json(&body));
    let same_as_read = |written: Raw, id: String| {
        let app = &app;
        async move {
            let read = raw_get(app, &id, None).await;
            assert_eq!(read.status, StatusCode::OK);
            assert_eq!(
                String::from_utf8_lossy(&written.body),
                String::from_utf8_lossy(&read.body)
            );
            assert_eq!(written.headers["etag"], read.headers["etag"]);
        }
    };
    let id_of = |r: &Raw| -> String {
        let v: Value = serde_json::from_slice(&r.body).expect("json");
        v["data"]["id"].as_str().expect("id").to_string()
    };
    let bodies = [
        every_field_without_external_id(),
        json!({"name": "Minimal"}),
        json!({"kind": "person", "name": "Åsa Öberg 😀", "first_name": "Åsa", "last_name": "Öberg",
               "address": {"city": "Malmö", "country": "SE"}, "notes": "日本語 \u{7f}\u{1}",
               "metadata": {"b": "2", "a": "\"1\""}}),
    ];
    for body in bodies {
        let created = raw_write(Method::POST, "/v1/clients".into(), body).await;
        assert_eq!(created.status, StatusCode::CREATED);
        let id = id_of(&created);
        same_as_read(created, id.clone()).await;

        let path = format!("/v1/clients/{id}");
        let patch = json!({"notes": "line\nbreak", "credit": {"limit": 12.5, "currency": "EUR"}});
        let patched = raw_write(Method::PATCH, path.clone(), patch).await;
        assert_eq!(patched.status, StatusCode::OK);
        same_as_read(patched, id.clone()).await;

        let replaced = raw_write(Method::PUT, path, json!({"name": "Replaced ÅB"})).await;
        assert_eq!(replaced.status, StatusCode::OK);
        same_as_read(replaced, id).await;
    }
    let upsert = "/v1/clients/external-id/erp-42".to_string();
    let first = raw_write(Method::PUT, upsert.clone(), json!({"name": "Upserted"})).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let id = id_of(&first);
    same_as_read(first, id.clone()).await;
    let again = raw_write(Method::PUT, upsert, json!({"name": "Upserted again"})).await;
    assert_eq!(again.status, StatusCode::OK);
    same_as_read(again, id).await;
}

/// Every write that changes a client removes its document: the read then answers the new state.
#[tokio::test]
async fn a_changed_client_is_read_as_it_is_now() {
    let app = spawn_app!();
    let Some(db) = sqlite(&app) else { return };
    let create = || async { app.create(every_field_without_external_id()).await };

    let c = create().await;
    let id = c["id"].as_str().expect("id").to_string();
    let path = format!("/v1/clients/{id}");
    let patched = app
        .patch(&path, json!({"name": "Patched AB", "email": null}))
        .await;
    no_stale_doc(&db, &id, patched.data());
    assert_eq!(app.get(&path).await.data(), patched.data());
    let replaced = app.put(&path, json!({"name": "Replaced AB"})).await;
    assert_eq!(app.get(&path).await.data(), replaced.data());
    assert_eq!(app.get(&path).await.data()["email"], Value::Null);

    let c = create().await;
    let id = c["id"].as_str().expect("id").to_string();
    let path = format!("/v1/clients/{id}");
    let archived = app.patch(&path, json!({"archived": true})).await;
    no_stale_doc(&db, &id, archived.data());
    let read = app.get(&path).await;
    assert_eq!(read.data(), archived.data());
    assert_eq!(read.data()["archived"], true);
    assert_eq!(read.header("etag"), Some("\"2\""));

    // An account changes the client's count and version (an update of its row).
    let c = create().await;
    let id = c["id"].as_str().expect("id").to_string();
    let path = format!("/v1/clients/{id}");
    let r = app
        .post(&format!("{path}/accounts"), json!({"name": "Main account"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    if let Some(doc) = kept_doc(&db, &id) {
        assert_eq!(
            (&doc["associated_accounts"], &doc["version"]),
            (&json!(1), &json!(2))
        );
    }
    let read = app.get(&path).await;
    assert_eq!(read.data()["associated_accounts"], 1);
    assert_eq!(read.data()["version"], 2);

    let c = create().await;
    let id = c["id"].as_str().expect("id").to_string();
    let path = format!("/v1/clients/{id}");
    assert_eq!(app.delete(&path).await.status, StatusCode::NO_CONTENT);
    assert!(!has_doc(&db, &id));
    app.get(&path).await.error(404, "NOT_FOUND");
    let left: i64 = db
        .query_row(
            "SELECT count(*) FROM client_docs WHERE rid NOT IN (SELECT rid FROM clients)",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(left, 0, "no document outlives its client");
}

fn every_field_without_external_id() -> Value {
    let mut b = every_field();
    b["external_id"] = Value::Null;
    b
}

/// The triggers of migration 32: a change of the row by SQL alone (no rule of the store knows
/// it) removes the document as well, so the read answers the changed row.
#[tokio::test]
async fn a_row_changed_by_sql_is_read_as_changed() {
    let app = spawn_app!();
    let Some(db) = sqlite(&app) else { return };
    let c = app.create(json!({"name": "Before SQL"})).await;
    let id = c["id"].as_str().expect("id");
    let path = format!("/v1/clients/{id}");
    assert_eq!(app.get(&path).await.data()["name"], "Before SQL");
    db.execute(
        "UPDATE clients SET name = 'Changed by SQL' WHERE id = ?1",
        [id],
    )
    .expect("update");
    if let Some(doc) = kept_doc(&db, id) {
        assert_eq!(doc["name"], "Changed by SQL");
    }
    assert_eq!(app.get(&path).await.data()["name"], "Changed by SQL");
}

/// A changed client's document is written again once the writer is idle (migration 34,
/// `client_docs_wanted`), from its row: the read answers the same with it as without it.
#[tokio::test]
async fn a_changed_clients_document_is_written_again_when_the_writer_is_idle() {
    let app = spawn_app!();
    let Some(db) = sqlite(&app) else { return };
    let c = app.create(every_field_without_external_id()).await;
    let id = c["id"].as_str().expect("id").to_string();
    let path = format!("/v1/clients/{id}");
    let patched = app
        .patch(&path, json!({"name": "Patched Again AB", "notes": "ny ✓"}))
        .await;
    // The writer writes it after 100 ms without a job and a merge step (at most 10 s here).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while kept_doc(&db, &id).is_none() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(kept_doc(&db, &id).as_ref(), Some(patched.data()));
    let wanted: i64 = db
        .query_row("SELECT count(*) FROM client_docs_wanted", [], |r| r.get(0))
        .expect("count");
    assert_eq!(wanted, 0);
    let kept = raw_get(&app, &id, None).await;
    drop_doc(&db, &id);
    assert_eq!(answer(&kept), answer(&raw_get(&app, &id, None).await));
}

/// Clients created by a bulk import keep their documents, read as their rows are.
#[tokio::test]
async fn imported_clients_are_read_the_same_from_their_documents() {
    let app = spawn_app!();
    let Some(db) = sqlite(&app) else { return };
    let rows = [
        every_field_without_external_id(),
        json!({"name": "Imported 2", "address": {"city": "Göteborg", "country": "se"}}),
        json!({"name": "Imported 3", "credit": {"limit": 10, "used": 2.5, "currency": "eur"}}),
    ];
    let body: String = rows.iter().map(|r| format!("{r}\n")).collect();
    let r = app
        .send(
            app.request(Method::POST, "/v1/clients/import")
                .header("content-type", "application/x-ndjson")
                .body(body),
        )
        .await;
    assert_eq!(r.data()["created"], 3, "{}", r.body);
    let ids: Vec<String> = db
        .prepare("SELECT id FROM clients ORDER BY rid")
        .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
        .expect("ids");
    assert_eq!(ids.len(), 3);
    for id in &ids {
        assert!(has_doc(&db, id));
        let kept = raw_get(&app, id, None).await;
        assert_eq!(kept.status, StatusCode::OK);
        drop_doc(&db, id);
        assert_eq!(answer(&kept), answer(&raw_get(&app, id, None).await));
    }
}
