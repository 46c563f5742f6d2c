//! Bulk import and export over HTTP (API.md "Bulk import and export"): round trips in both
//! formats, bad rows among good ones, a truncated last line, a wrong CSV header, an interrupted
//! import resumed with `upsert`, CSV quoting and non-ASCII text, permissions, tenant isolation,
//! and imported clients being first-class (numbers, search, audit, feed, sub-resources).

use clientele_core::enums::Permission;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{Reply, TestApp};

async fn import_as(app: &TestApp, key: &str, query: &str, ctype: &str, body: String) -> Reply {
    app.send(
        app.http
            .post(app.url(&format!("/v1/clients/import{query}")))
            .header("x-api-key", key)
            .header("content-type", ctype)
            .body(body),
    )
    .await
}

async fn import(app: &TestApp, query: &str, ctype: &str, body: String) -> Reply {
    import_as(app, &app.key, query, ctype, body).await
}

fn ndjson(rows: &[Value]) -> String {
    rows.iter().map(|r| format!("{r}\n")).collect()
}

/// The export's status, content type and text.
async fn export_as(app: &TestApp, key: &str, query: &str) -> (StatusCode, String, String) {
    let r = app
        .http
        .get(app.url(&format!("/v1/clients/export{query}")))
        .header("x-api-key", key)
        .send()
        .await
        .expect("export");
    let status = r.status();
    let ctype = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, ctype, r.text().await.expect("body"))
}

async fn export(app: &TestApp, query: &str) -> String {
    let (status, _, text) = export_as(app, &app.key, query).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    text
}

fn counts(r: &Reply) -> [u64; 4] {
    let d = r.data();
    ["created", "updated", "unchanged", "failed"].map(|k| d[k].as_u64().expect(k))
}

fn errors(r: &Reply) -> Vec<(u64, String, String)> {
    r.data()["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()));
            (
                e["line"].as_u64().expect("line"),
                e["field"].as_str().unwrap_or("").to_string(),
                e["code"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// A client as exported, without what the tenant assigns (id, number, times).
fn portable(mut doc: Value) -> Value {
    if let Some(o) = doc.as_object_mut() {
        for k in ["id", "number", "created_at", "updated_at"] {
            o.remove(k);
        }
    }
    doc
}

fn lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).expect("an NDJSON line"))
        .collect()
}

fn sample_clients() -> Vec<Value> {
    vec![
        json!({"name": "Ærø Fisk, \"Havn\" AB", "external_id": "e-1", "email": "info@aero.dk",
               "address": {"street": "Strandvejen 1\nBaghuset", "city": "Ærøskøbing", "country": "dk",
                           "latitude": 54.89},
               "credit": {"limit": 12500.50, "used": 100, "currency": "DKK", "fico": 700,
                          "first_time_buyer": true},
               "metadata": {"segment": "fisk, frisk", "tier": "gold"}, "silenced": true}),
        json!({"kind": "person", "first_name": "Zoë", "last_name": "Łukasiewicz",
               "phone": "+48 12 345 67 89", "status": "inactive", "partner_type": "private",
               "notes": "line one\r\nline \"two\""}),
        json!({"name": "日本商事", "legal_name": "日本商事株式会社", "archived": true,
               "website": "https://example.jp/a?b=c,d"}),
    ]
}

#[tokio::test]
async fn an_export_imported_into_an_empty_tenant_reproduces_the_clients_in_both_formats() {
    let app = spawn_app!();
    for body in sample_clients() {
        app.create(body).await;
    }
    let original = export(&app, "?archived=all").await;
    let originals: Vec<Value> = lines(&original).into_iter().map(portable).collect();
    assert_eq!(originals.len(), 3);
    for (format, ctype, tenant) in [
        ("ndjson", "application/x-ndjson", "copy-nd"),
        ("csv", "text/csv", "copy-csv"),
    ] {
        let (status, got_type, dump) =
            export_as(&app, &app.key, &format!("?archived=all&format={format}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(got_type.starts_with(ctype), "{got_type}");
        let (_, key) = app.other_tenant(tenant).await;
        let r = import_as(&app, &key, "", ctype, dump).await;
        assert_eq!(counts(&r), [3, 0, 0, 0], "{format}: {}", r.body);
        let (_, _, copy) = export_as(&app, &key, "?archived=all").await;
        let copies = lines(&copy);
        // Numbers come from the new tenant's own sequence, in the same order.
        let numbers: Vec<&Value> = copies.iter().map(|c| &c["number"]).collect();
        assert_eq!(numbers, vec![&json!(1), &json!(2), &json!(3)], "{format}");
        let copies: Vec<Value> = copies.into_iter().map(portable).collect();
        assert_eq!(copies, originals, "{format}");
    }
}

/// The largest amounts go through import and export exactly in both formats, and one beyond
/// them is a row error naming the field.
#[tokio::test]
async fn the_largest_amounts_import_and_export_exactly() {
    let app = spawn_app!();
    let body = concat!(
        r#"{"name": "Max", "credit": {"limit": 999999999999999.9999, "used": 12345678901234.5678, "currency": "EUR"}}"#,
        "\n",
        r#"{"name": "Over", "credit": {"limit": 1000000000000000, "currency": "EUR"}}"#,
        "\n",
        r#"{"name": "Small", "credit": {"limit": 0.5, "currency": "EUR"}}"#,
        "\n",
    );
    let r = import(&app, "", "application/x-ndjson", body.to_string()).await;
    assert_eq!(counts(&r), [2, 0, 0, 1], "{}", r.body);
    assert_eq!(
        errors(&r),
        vec![(2, "credit.limit".to_string(), "out_of_range".to_string())]
    );
    let filter = "?filter=credit.limit%20ge%20999999999999999.9999";
    let nd = export(&app, filter).await;
    assert_eq!(nd.lines().count(), 1, "{nd}");
    assert!(
        nd.contains(r#""limit":999999999999999.9999,"used":12345678901234.5678"#),
        "{nd}"
    );
    let csv = export(&app, "?format=csv").await;
    assert!(
        csv.contains(",999999999999999.9999,12345678901234.5678,"),
        "{csv}"
    );
    // The CSV export imported elsewhere keeps every digit.
    let (_, key) = app.other_tenant("copy").await;
    let r = import_as(&app, &key, "", "text/csv", csv).await;
    assert_eq!(counts(&r), [2, 0, 0, 0], "{}", r.body);
    let (_, _, copy) = export_as(&app, &key, filter).await;
    assert_eq!(
        lines(&copy).into_iter().map(portable).collect::<Vec<_>>(),
        lines(&nd).into_iter().map(portable).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn bad_rows_are_reported_by_line_and_never_stop_the_good_ones() {
    let app = spawn_app!();
    let body = format!(
        "{}\n{}\n\n{}\nnot json\n{}\n{{\"name\": \"Cut",
        json!({"name": "Good 1"}),
        json!({"name": "Bad", "email": "not-an-address", "credit": {"limit": -1, "currency": "EUR"}}),
        json!({"name": "Good 2", "contact_persons": [{"name": "Eva Ek", "email": "eva@example.com"}],
               "accounts": [{"name": "Main"}, {"name": "Side"}]}),
        json!({"name": "Good 3", "bogus": 1}),
    );
    let r = import(&app, "", "application/x-ndjson", body).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(counts(&r), [2, 0, 0, 4], "{}", r.body);
    let errs = errors(&r);
    let lines_fields: Vec<(u64, &str)> = errs.iter().map(|(l, f, _)| (*l, f.as_str())).collect();
    assert_eq!(
        lines_fields,
        vec![
            (2, "email"),
            (2, "credit.limit"),
            (5, "body"),
            (6, "bogus"),
            (7, "body")
        ],
        "{}",
        r.body
    );
    assert_eq!(errs[0].2, "invalid_format");
    assert_eq!(errs[4].2, "invalid_json");
    // The good rows are first-class clients: numbered in order, their items created, found by
    // their contact person's name, each with one audit record by the caller.
    let list = app.get("/v1/clients?sort=number").await;
    let names: Vec<&str> = list
        .data()
        .as_array()
        .expect("list")
        .iter()
        .map(|c| c["name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(names, vec!["Good 1", "Good 2"]);
    let good2 = &list.data()[1];
    assert_eq!(good2["number"], 2);
    assert_eq!(good2["associated_accounts"], 2);
    let id = good2["id"].as_str().expect("id");
    let found = app.get("/v1/clients?search=eva").await;
    assert_eq!(found.data()[0]["id"], id);
    let cps = app.get(&format!("/v1/clients/{id}/contact-persons")).await;
    assert_eq!(cps.data()[0]["is_main"], true);
    let me = app.get("/v1/me").await;
    let history = app.get(&format!("/v1/clients/{id}/history")).await;
    let client_records: Vec<&Value> = history
        .data()
        .as_array()
        .expect("history")
        .iter()
        .filter(|r| r["entity_type"] == "client")
        .collect();
    assert_eq!(client_records.len(), 1);
    assert_eq!(client_records[0]["action"], "created");
    assert_eq!(client_records[0]["actor"], me.data()["actor"]);
    let events = app.get("/v1/events?limit=100").await;
    assert!(events
        .data()
        .as_array()
        .expect("feed")
        .iter()
        .any(|e| e["entity_id"] == id && e["action"] == "created"));
}

#[tokio::test]
async fn csv_quoting_bom_crlf_and_non_ascii_are_read_as_written() {
    let app = spawn_app!();
    let body = "\u{feff}name,address.city,credit.limit,credit.currency,metadata.note,archived\r\n\
                \"Smörgås, \"\"Bord\"\" & Co\",Göteborg,99.95,SEK,\"two\nlines\",false\r\n\
                Ünïcödé Ltd,Zürich,,,,\r\n\
                only one field\r\n\
                ,Oslo,,,,\r\n"
        .to_string();
    let r = import(&app, "", "text/csv; charset=utf-8", body).await;
    assert_eq!(counts(&r), [2, 0, 0, 2], "{}", r.body);
    let errs = errors(&r);
    assert_eq!(errs[0].0, 5, "{}", r.body);
    assert_eq!(errs[0].1, "body");
    assert_eq!(
        (errs[1].0, errs[1].1.as_str(), errs[1].2.as_str()),
        (6, "name", "required")
    );
    let list = app.get("/v1/clients?sort=number").await;
    let first = &list.data()[0];
    assert_eq!(first["name"], "Smörgås, \"Bord\" & Co");
    assert_eq!(first["address"]["city"], "Göteborg");
    assert_eq!(first["credit"]["limit"].to_string(), "99.95");
    assert_eq!(first["metadata"]["note"], "two\nlines");
    assert_eq!(list.data()[1]["name"], "Ünïcödé Ltd");
    // Exported CSV quotes what needs quoting.
    let csv = export(&app, "?format=csv").await;
    assert!(csv.starts_with("id,number,kind,name,"), "{csv}");
    assert!(csv.contains("\"Smörgås, \"\"Bord\"\" & Co\""), "{csv}");
}

#[tokio::test]
async fn a_wrong_header_or_content_type_is_refused_and_writes_nothing() {
    let app = spawn_app!();
    let r = import(&app, "", "text/csv", "name,nmae\nA,B\n".into()).await;
    let details = r.error(400, "VALIDATION_ERROR");
    assert_eq!(details[0].0, "header", "{}", r.body);
    let r = import(&app, "", "text/csv", String::new()).await;
    assert_eq!(r.error(400, "VALIDATION_ERROR")[0].0, "header");
    let r = import(
        &app,
        "",
        "application/json",
        ndjson(&[json!({"name": "A"})]),
    )
    .await;
    r.error(415, "UNSUPPORTED_MEDIA_TYPE");
    let r = import(&app, "?mode=merge", "application/x-ndjson", String::new()).await;
    assert_eq!(r.error(400, "VALIDATION_ERROR")[0].0, "mode");
    let r = app.get("/v1/clients/export?limit=5").await;
    assert_eq!(r.error(400, "VALIDATION_ERROR")[0].0, "limit");
    let r = app.get("/v1/clients/export?format=xml").await;
    assert_eq!(r.error(400, "VALIDATION_ERROR")[0].0, "format");
    let list = app.get("/v1/clients").await;
    assert_eq!(list.body["meta"]["total"], 0);
}

#[tokio::test]
async fn an_interrupted_import_resumes_with_upsert_writing_only_what_changed() {
    let app = spawn_app!();
    let rows: Vec<Value> = (1..=30)
        .map(|i| json!({"name": format!("Client {i}"), "external_id": format!("x-{i}")}))
        .collect();
    // The first run stopped after 12 rows.
    let r = import(&app, "", "application/x-ndjson", ndjson(&rows[..12])).await;
    assert_eq!(counts(&r), [12, 0, 0, 0]);
    // A create of the same rows fails them: their external ids are taken.
    let r = import(&app, "", "application/x-ndjson", ndjson(&rows[..2])).await;
    assert_eq!(counts(&r), [0, 0, 0, 2]);
    assert_eq!(errors(&r)[0].1, "external_id");
    let mut all = rows.clone();
    all[3]["email"] = json!("changed@example.com");
    let r = import(&app, "?mode=upsert", "application/x-ndjson", ndjson(&all)).await;
    assert_eq!(counts(&r), [18, 1, 11, 0], "{}", r.body);
    let list = app.get("/v1/clients?limit=100&sort=number").await;
    let data = list.data().as_array().expect("list");
    assert_eq!(data.len(), 30);
    assert_eq!(list.body["meta"]["total"], 30);
    let numbers: Vec<i64> = data
        .iter()
        .map(|c| c["number"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(numbers, (1..=30).collect::<Vec<_>>());
    for c in data {
        let changed = c["external_id"] == "x-4";
        assert_eq!(c["version"], if changed { 2 } else { 1 }, "{c}");
        let id = c["id"].as_str().expect("id");
        let history = app.get(&format!("/v1/clients/{id}/history")).await;
        let n = history.data().as_array().expect("history").len();
        assert_eq!(n, if changed { 2 } else { 1 }, "{c}");
    }
    // Rows repeating an external id within one upsert: the later one updates the earlier.
    let twice = [
        json!({"name": "Twin", "external_id": "t"}),
        json!({"name": "Twin 2", "external_id": "t"}),
    ];
    let r = import(&app, "?mode=upsert", "application/x-ndjson", ndjson(&twice)).await;
    assert_eq!(counts(&r), [1, 1, 0, 0], "{}", r.body);
}

#[tokio::test]
async fn import_needs_clients_write_export_clients_read_and_neither_is_a_client_id() {
    let app = spawn_app!();
    app.create(json!({"name": "A"})).await;
    let reader = app.key_with(&[Permission::ClientsRead]).await;
    let writer = app.key_with(&[Permission::ClientsWrite]).await;
    let body = ndjson(&[json!({"name": "B"})]);
    import_as(&app, &reader, "", "application/x-ndjson", body.clone())
        .await
        .error(403, "FORBIDDEN");
    let r = import_as(&app, &writer, "", "application/x-ndjson", body).await;
    assert_eq!(counts(&r), [1, 0, 0, 0]);
    let (status, _, _) = export_as(&app, &writer, "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, ctype, text) = export_as(&app, &reader, "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ctype, "application/x-ndjson");
    assert_eq!(lines(&text).len(), 2);
    // The other verbs of these paths are not client ids either.
    let r = app.delete("/v1/clients/export").await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{}", r.body);
}

#[tokio::test]
async fn export_applies_the_list_filters_in_creation_order() {
    let app = spawn_app!();
    for (name, country, archived) in [
        ("Alpha", "SE", false),
        ("Beta", "NO", false),
        ("Gamma", "SE", true),
        ("Delta", "SE", false),
    ] {
        app.create(json!({"name": name, "address": {"country": country}, "archived": archived}))
            .await;
    }
    let names = |text: String| -> Vec<String> {
        lines(&text)
            .iter()
            .map(|c| c["name"].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(names(export(&app, "").await), ["Alpha", "Beta", "Delta"]);
    assert_eq!(names(export(&app, "?country=SE").await), ["Alpha", "Delta"]);
    assert_eq!(
        names(export(&app, "?archived=all&filter=country%20eq%20%27SE%27").await),
        ["Alpha", "Gamma", "Delta"]
    );
    assert_eq!(names(export(&app, "?search=bet").await), ["Beta"]);
    let r = app.get("/v1/clients/export?filter=nope%20eq%201").await;
    assert_eq!(r.error(400, "VALIDATION_ERROR")[0].0, "filter");
}

#[tokio::test]
async fn export_streams_more_than_one_page() {
    let app = spawn_app!();
    let rows: Vec<Value> = (0..2500)
        .map(|i| json!({"name": format!("N{i}")}))
        .collect();
    let r = import(&app, "", "application/x-ndjson", ndjson(&rows)).await;
    assert_eq!(counts(&r), [2500, 0, 0, 0]);
    let text = export(&app, "").await;
    let got = lines(&text);
    assert_eq!(got.len(), 2500);
    let numbers: Vec<i64> = got
        .iter()
        .map(|c| c["number"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(numbers, (1..=2500).collect::<Vec<_>>());
    let csv = export(&app, "?format=csv").await;
    assert_eq!(csv.lines().count(), 2501);
    // At most 100 errors are listed; every failed row is counted.
    let bad: Vec<Value> = (0..150).map(|_| json!({"name": ""})).collect();
    let r = import(&app, "", "application/x-ndjson", ndjson(&bad)).await;
    assert_eq!(counts(&r), [0, 0, 0, 150]);
    assert_eq!(errors(&r).len(), 100);
}

/// The records of a client's history, oldest first: (entity type, action, import id).
async fn history(app: &TestApp, id: &str) -> Vec<(String, String, Value)> {
    let h = app
        .get(&format!("/v1/clients/{id}/history?limit=100"))
        .await;
    let mut out: Vec<(String, String, Value)> = h
        .data()
        .as_array()
        .expect("history")
        .iter()
        .map(|r| {
            (
                r["entity_type"].as_str().unwrap_or("").to_string(),
                r["action"].as_str().unwrap_or("").to_string(),
                r["import_id"].clone(),
            )
        })
        .collect();
    out.reverse();
    out
}

#[tokio::test]
async fn an_imports_audit_records_and_feed_events_name_it_and_other_changes_do_not() {
    let app = spawn_app!();
    let rows = [
        json!({"name": "A", "external_id": "a", "accounts": [{"name": "Main"}]}),
        json!({"name": "B", "external_id": "b"}),
    ];
    let first = import(&app, "", "application/x-ndjson", ndjson(&rows)).await;
    assert_eq!(counts(&first), [2, 0, 0, 0], "{}", first.body);
    let one = first.body["meta"]["import_id"].clone();
    let one_text = one.as_str().expect("meta.import_id");
    uuid::Uuid::parse_str(one_text).expect("a UUID");
    let list = app.get("/v1/clients?sort=number").await;
    let a = list.data()[0]["id"].as_str().expect("id").to_string();
    let b = list.data()[1]["id"].as_str().expect("id").to_string();
    // A change outside an import has none.
    let r = app
        .patch(&format!("/v1/clients/{b}"), json!({"notes": "by hand"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mut changed = rows.clone();
    changed[0]["name"] = json!("A2");
    changed[1]["notes"] = json!("by hand");
    let second = import(
        &app,
        "?mode=upsert",
        "application/x-ndjson",
        ndjson(&changed),
    )
    .await;
    assert_eq!(counts(&second), [0, 1, 1, 0], "{}", second.body);
    let two = second.body["meta"]["import_id"].clone();
    assert!(two.is_string());
    assert_ne!(one, two);
    let s = |x: &str| x.to_string();
    assert_eq!(
        history(&app, &a).await,
        vec![
            (s("client"), s("created"), one.clone()),
            (s("account"), s("created"), one.clone()),
            (s("client"), s("updated"), two.clone()),
        ]
    );
    assert_eq!(
        history(&app, &b).await,
        vec![
            (s("client"), s("created"), one.clone()),
            (s("client"), s("updated"), Value::Null),
        ]
    );
    let feed = app.get("/v1/events?limit=100").await;
    let ids: Vec<&Value> = feed
        .data()
        .as_array()
        .expect("feed")
        .iter()
        .map(|e| &e["import_id"])
        .collect();
    assert_eq!(ids, [&one, &one, &one, &Value::Null, &two]);
}

#[tokio::test]
async fn an_upsert_replaces_the_items_of_each_array_it_holds_and_leaves_the_others() {
    let app = spawn_app!();
    let row = json!({"name": "A", "external_id": "a",
        "contact_persons": [{"name": "Eva Ek", "is_main": true}, {"name": "Olle Berg"}],
        "locations": [{"name": "Depot", "address": {"city": "Lund"}}],
        "accounts": [{"name": "Main"}]});
    let r = import(
        &app,
        "",
        "application/x-ndjson",
        ndjson(std::slice::from_ref(&row)),
    )
    .await;
    assert_eq!(counts(&r), [1, 0, 0, 0], "{}", r.body);
    let id = app.get("/v1/clients").await.data()[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let records = history(&app, &id).await.len();
    // The same arrays again: nothing written.
    let r = import(
        &app,
        "?mode=upsert",
        "application/x-ndjson",
        ndjson(std::slice::from_ref(&row)),
    )
    .await;
    assert_eq!(counts(&r), [0, 0, 1, 0], "{}", r.body);
    assert_eq!(history(&app, &id).await.len(), records);
    // Contact persons replaced, accounts emptied, locations (left out) kept.
    let next = json!({"name": "A", "external_id": "a",
        "contact_persons": [{"name": "Olle Berg"}], "accounts": []});
    let r = import(
        &app,
        "?mode=upsert",
        "application/x-ndjson",
        ndjson(&[next]),
    )
    .await;
    assert_eq!(counts(&r), [0, 1, 0, 0], "{}", r.body);
    let import_id = r.body["meta"]["import_id"].clone();
    let cps = app.get(&format!("/v1/clients/{id}/contact-persons")).await;
    let cps = cps.data().as_array().expect("contact persons").clone();
    assert_eq!(cps.len(), 1);
    assert_eq!(cps[0]["name"], "Olle Berg");
    assert_eq!(cps[0]["is_main"], true, "the only contact is the main one");
    let locations = app.get(&format!("/v1/clients/{id}/locations")).await;
    assert_eq!(locations.data().as_array().map(Vec::len), Some(1));
    let accounts = app.get(&format!("/v1/clients/{id}/accounts")).await;
    assert_eq!(accounts.data().as_array().map(Vec::len), Some(0));
    let client = app.get(&format!("/v1/clients/{id}")).await;
    assert_eq!(client.data()["associated_accounts"], 0);
    assert_eq!(client.data()["name"], "A");
    // Search follows the contact persons.
    let found = app.get("/v1/clients?search=eva").await;
    assert_eq!(found.data().as_array().map(Vec::len), Some(0));
    let found = app.get("/v1/clients?search=olle").await;
    assert_eq!(found.data()[0]["id"], id.as_str());
    // Every item deleted and created by the upsert has its audit record, naming the import.
    let h = history(&app, &id).await;
    let s = |x: &str| x.to_string();
    let theirs: Vec<(String, String)> = h
        .iter()
        .filter(|r| r.2 == import_id)
        .map(|r| (r.0.clone(), r.1.clone()))
        .collect();
    assert_eq!(
        theirs,
        vec![
            (s("contact_person"), s("deleted")),
            (s("contact_person"), s("deleted")),
            (s("contact_person"), s("created")),
            (s("account"), s("deleted")),
        ]
    );
}

/// A body that breaks off after more than one batch: 400 naming the import, the batch committed
/// before the break stays (its records carry that id), and the whole file again with `upsert`
/// creates only what is missing.
#[tokio::test]
async fn a_body_that_breaks_off_keeps_its_committed_batches_and_resumes_with_upsert() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app!();
    let rows: Vec<Value> = (0..2500)
        .map(|i| json!({"name": format!("R{i}"), "external_id": format!("r-{i}")}))
        .collect();
    let body = ndjson(&rows);
    let sent = &body[..body.len() - 40];
    let mut conn = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("connect");
    let head = format!(
        "POST /v1/clients/import HTTP/1.1\r\nhost: {}\r\nx-api-key: {}\r\n\
         content-type: application/x-ndjson\r\ncontent-length: {}\r\n\r\n",
        app.addr,
        app.key,
        body.len()
    );
    conn.write_all(head.as_bytes()).await.expect("head");
    conn.write_all(sent.as_bytes()).await.expect("body");
    // The client stops sending: the body ends short of its length.
    conn.shutdown().await.expect("shutdown");
    let mut answer = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        conn.read_to_end(&mut answer),
    )
    .await;
    let answer = String::from_utf8_lossy(&answer).to_string();
    assert!(read.is_ok(), "no answer within 60 s");
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    let import_id = answer
        .split("(import ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_else(|| panic!("no import id in {answer}"))
        .to_string();
    uuid::Uuid::parse_str(&import_id).expect("a UUID");
    // Every whole row read before the break is committed (the cut last one is not).
    let list = app.get("/v1/clients?limit=1").await;
    let kept = list.body["meta"]["total"].as_u64().expect("total");
    assert!((2000..2500).contains(&kept), "{kept} rows kept");
    let feed = app.get("/v1/events?limit=5").await;
    assert_eq!(feed.data()[0]["import_id"], import_id.as_str());
    let r = import(&app, "?mode=upsert", "application/x-ndjson", body).await;
    assert_eq!(counts(&r), [2500 - kept, 0, kept, 0], "{}", r.body);
    let list = app.get("/v1/clients?limit=1").await;
    assert_eq!(list.body["meta"]["total"], 2500);
}
