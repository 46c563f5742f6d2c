//! Seed 000 at `/api/1.0/clients`: the list (ESSENTIAL fields, `limit`/`page`, `updated_since`,
//! `search`, oldest change first) and the FULL profile with its contact, `Cache-Control`, a
//! content ETag and 304, 405 with `Allow: GET`; every example of the seed and of docs/dialects.md.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::common::{Reply, TestApp};

const CACHE: &str = "private, max-age=300";

/// The seed's own picture of a client: identity, credit context, contact details.
fn nordic() -> Value {
    json!({
        "name": "Nordic Metals AB", "legal_name": "Nordic Metals Aktiebolag",
        "org_number": "556677-8899", "email": "info@nordic.example", "phone": "+46 8 123 45",
        "address": {"street": "Industrigatan", "city": "Stockholm", "country": "SE"},
        "credit": {"limit": 50000.00, "used": 1200.50, "currency": "SEK", "rating": "AA",
                   "creditworthiness": "good"}
    })
}

/// A JSON number with exactly these digits (money keeps its scale).
fn n(digits: &str) -> Value {
    serde_json::from_str(digits).expect("number")
}

fn ids(r: &Reply) -> Vec<String> {
    r.body["data"]
        .as_array()
        .expect("data is an array")
        .iter()
        .map(|c| c["id"].as_str().unwrap_or("").to_string())
        .collect()
}

fn id_of(c: &Value) -> String {
    c["id"].as_str().expect("id").to_string()
}

async fn get_if_none_match(app: &TestApp, path: &str, etag: &str) -> Reply {
    app.send(app.request(Method::GET, path).header("if-none-match", etag))
        .await
}

/// The largest amount reads exactly here too.
#[tokio::test]
async fn the_largest_amount_reads_exactly() {
    let app = spawn_app!();
    let mut doc = nordic();
    doc["credit"]["limit"] = n("999999999999999.9999");
    let c = app.create(doc).await;
    let r = app.get(&format!("/api/1.0/clients/{}", id_of(&c))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let text = r.body.to_string();
    assert!(
        text.contains(r#""credit_limit":999999999999999.9999"#),
        "{text}"
    );
}

#[tokio::test]
async fn the_list_shows_the_essential_fields_with_pagination() {
    let app = spawn_app!();
    let c = app.create(nordic()).await;
    app.create(json!({"name": "Bare Minimum"})).await;
    let r = app.get("/api/1.0/clients").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.body["pagination"],
        json!({"page": 1, "limit": 25, "total": 2, "total_pages": 1})
    );
    assert_eq!(r.body.as_object().map(|o| o.len()), Some(2), "{}", r.body);
    assert_eq!(
        r.body["data"][0],
        json!({
            "id": c["id"],
            "company_name": "Nordic Metals AB",
            "org_number": "556677-8899",
            "country": "SE",
            "credit_limit": n("50000.00"),
            "currency": "SEK",
            "rating": "AA",
            "updated_at": c["updated_at"]
        })
    );
    let bare = &r.body["data"][1];
    assert_eq!(bare["company_name"], "Bare Minimum");
    for k in [
        "org_number",
        "country",
        "credit_limit",
        "currency",
        "rating",
    ] {
        assert_eq!(bare[k], Value::Null, "{k}");
    }
    assert_eq!(r.header("cache-control"), Some(CACHE));
    assert!(r.header("etag").is_some_and(|e| e.starts_with('"')));
}

#[tokio::test]
async fn the_list_walks_forward_by_update_time_and_a_change_moves_a_client_to_the_end() {
    let app = spawn_app!();
    let mut created = Vec::new();
    for i in 0..3 {
        created.push(id_of(
            &app.create(json!({"name": format!("Client {i}")})).await,
        ));
    }
    let r = app.get("/api/1.0/clients").await;
    assert_eq!(ids(&r), created);
    let p = app
        .patch(
            &format!("/v1/clients/{}", created[0]),
            json!({"name": "Client 0b"}),
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    let r = app.get("/api/1.0/clients").await;
    assert_eq!(
        ids(&r),
        [created[1].clone(), created[2].clone(), created[0].clone()]
    );
    assert_eq!(r.body["data"][2]["company_name"], "Client 0b");
    assert_eq!(
        r.body["data"][2]["updated_at"],
        p.body["data"]["updated_at"]
    );
}

#[tokio::test]
async fn limit_and_page_select_the_window() {
    let app = spawn_app!();
    let mut created = Vec::new();
    for i in 0..5 {
        created.push(id_of(
            &app.create(json!({"name": format!("Client {i}")})).await,
        ));
    }
    let r = app.get("/api/1.0/clients?limit=2&page=2").await;
    assert_eq!(ids(&r), created[2..4]);
    assert_eq!(
        r.body["pagination"],
        json!({"page": 2, "limit": 2, "total": 5, "total_pages": 3})
    );
    let r = app.get("/api/1.0/clients?limit=2&page=3").await;
    assert_eq!(ids(&r), created[4..]);
    let r = app.get("/api/1.0/clients?limit=2&page=9").await;
    assert_eq!(ids(&r), Vec::<String>::new());
    assert_eq!(r.body["pagination"]["total"], 5);
    let r = app.get("/api/1.0/clients?limit=100").await;
    assert_eq!(r.body["pagination"]["limit"], 100);
}

#[tokio::test]
async fn updated_since_is_inclusive_and_a_date_means_its_midnight_utc() {
    let app = spawn_app!();
    let mut created = Vec::new();
    for i in 0..3 {
        created.push(app.create(json!({"name": format!("Client {i}")})).await);
    }
    let since = created[1]["updated_at"].as_str().expect("ts");
    let r = app
        .get(&format!(
            "/api/1.0/clients?updated_since={}",
            since.replace('+', "%2B")
        ))
        .await;
    let expected: Vec<String> = created[1..].iter().map(id_of).collect();
    assert_eq!(
        ids(&r),
        expected,
        "inclusive: the client changed at that instant is sent"
    );
    let today = &since[..10];
    let r = app
        .get(&format!("/api/1.0/clients?updated_since={today}"))
        .await;
    assert_eq!(r.body["pagination"]["total"], 3);
    let r = app.get("/api/1.0/clients?updated_since=2999-01-01").await;
    assert_eq!(
        r.body["pagination"],
        json!({"page": 1, "limit": 25, "total": 0, "total_pages": 0})
    );
    let r = app
        .get("/api/1.0/clients?updated_since=2999-01-01T00:00:00%2B02:00")
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn search_is_the_native_search_and_archived_clients_are_left_out() {
    let app = spawn_app!();
    let c = app.create(nordic()).await;
    app.create(json!({"name": "Southern Timber"})).await;
    let archived = app
        .create(json!({"name": "Nordic Ghost", "archived": true}))
        .await;
    let r = app.get("/api/1.0/clients?search=nordic").await;
    assert_eq!(ids(&r), [id_of(&c)]);
    let r = app.get("/api/1.0/clients?search=556677").await;
    assert_eq!(ids(&r), [id_of(&c)], "identifiers match too");
    let r = app.get("/api/1.0/clients").await;
    assert_eq!(r.body["pagination"]["total"], 2);
    // Archived: left out of the list, still served by the detail.
    let r = app
        .get(&format!("/api/1.0/clients/{}", id_of(&archived)))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["data"]["company_name"], "Nordic Ghost");
}

#[tokio::test]
async fn the_detail_is_the_full_profile_with_the_main_contact() {
    let app = spawn_app!();
    let c = app.create(nordic()).await;
    let id = id_of(&c);
    let path = format!("/api/1.0/clients/{id}");
    // No contact person yet: the client's own e-mail and phone, no name.
    let r = app.get(&path).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body.as_object().map(|o| o.len()), Some(1), "{}", r.body);
    assert_eq!(
        r.body["data"],
        json!({
            "id": id,
            "company_name": "Nordic Metals AB",
            "org_number": "556677-8899",
            "country": "SE",
            "credit_limit": n("50000.00"),
            "currency": "SEK",
            "rating": "AA",
            "updated_at": c["updated_at"],
            "credit_used": n("1200.50"),
            "creditworthiness": "good",
            "contact_name": null,
            "contact_email": "info@nordic.example",
            "contact_phone": "+46 8 123 45",
            "created_at": c["created_at"]
        })
    );
    assert_eq!(r.header("cache-control"), Some(CACHE));
    // The first contact person becomes the main one, and shows at once.
    let contacts = format!("/v1/clients/{id}/contact-persons");
    let anna = app
        .post(
            &contacts,
            json!({"name": "Anna Berg", "email": "anna@nordic.example",
                                "phone": "+46 70 111 22 33"}),
        )
        .await;
    assert_eq!(anna.status, StatusCode::CREATED, "{}", anna.body);
    let r = app.get(&path).await;
    assert_eq!(r.body["data"]["contact_name"], "Anna Berg");
    assert_eq!(r.body["data"]["contact_email"], "anna@nordic.example");
    assert_eq!(r.body["data"]["contact_phone"], "+46 70 111 22 33");
    // Another contact made main takes over.
    let r2 = app
        .post(&contacts, json!({"name": "Bo Ek", "is_main": true}))
        .await;
    assert_eq!(r2.status, StatusCode::CREATED, "{}", r2.body);
    let r = app.get(&path).await;
    assert_eq!(r.body["data"]["contact_name"], "Bo Ek");
    assert_eq!(r.body["data"]["contact_email"], Value::Null);
    assert_eq!(r.body["data"]["contact_phone"], Value::Null);
}

#[tokio::test]
async fn etags_answer_304_until_something_changes() {
    let app = spawn_app!();
    let c = app.create(nordic()).await;
    let id = id_of(&c);
    for path in [
        "/api/1.0/clients".to_string(),
        format!("/api/1.0/clients/{id}"),
    ] {
        let r = app.get(&path).await;
        let etag = r.header("etag").expect("etag").to_string();
        let again = app.get(&path).await;
        assert_eq!(again.header("etag"), Some(etag.as_str()), "{path}: stable");
        let r = get_if_none_match(&app, &path, &etag).await;
        assert_eq!(r.status, StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(r.header("etag"), Some(etag.as_str()));
        assert_eq!(r.header("cache-control"), Some(CACHE));
        assert_eq!(r.body, Value::Null);
        let r = get_if_none_match(&app, &path, &format!("W/{etag}")).await;
        assert_eq!(
            r.status,
            StatusCode::NOT_MODIFIED,
            "{path}: weak comparison"
        );
        let r = get_if_none_match(&app, &path, "\"something-else\"").await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
    }
    let list = app.get("/api/1.0/clients").await;
    let detail = app.get(&format!("/api/1.0/clients/{id}")).await;
    // A change of the client changes both; a new contact person changes the detail.
    let p = app
        .patch(
            &format!("/v1/clients/{id}"),
            json!({"credit": {"rating": "A"}}),
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    let r = get_if_none_match(&app, "/api/1.0/clients", list.header("etag").expect("etag")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["data"][0]["rating"], "A");
    let path = format!("/api/1.0/clients/{id}");
    let r = app.get(&path).await;
    assert_ne!(r.header("etag"), detail.header("etag"));
    let etag = r.header("etag").expect("etag").to_string();
    let added = app
        .post(
            &format!("/v1/clients/{id}/contact-persons"),
            json!({"name": "Anna Berg"}),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED);
    let r = get_if_none_match(&app, &path, &etag).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["data"]["contact_name"], "Anna Berg");
}

#[tokio::test]
async fn any_other_method_is_405_with_allow_get() {
    let app = spawn_app!();
    let id = id_of(&app.create(json!({"name": "Read Only"})).await);
    for path in [
        "/api/1.0/clients".to_string(),
        format!("/api/1.0/clients/{id}"),
    ] {
        for m in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            let r = app
                .send(
                    app.request(m.clone(), &path)
                        .header("content-type", "application/json")
                        .body("{}"),
                )
                .await;
            r.error(405, "METHOD_NOT_ALLOWED");
            assert_eq!(r.header("allow"), Some("GET"), "{m} {path}");
        }
        // Without a credential the method is still the first thing wrong.
        let r = app.send(app.http.delete(app.url(&path))).await;
        r.error(405, "METHOD_NOT_ALLOWED");
    }
    let r = app.get(&format!("/api/1.0/clients/{id}")).await;
    assert_eq!(r.status, StatusCode::OK, "nothing was written");
    let r = app
        .send(app.request(Method::HEAD, "/api/1.0/clients"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn errors_are_the_native_envelope_naming_the_seeds_parameters_and_are_not_cached() {
    let app = spawn_app!();
    for (query, field, code) in [
        ("limit=0", "limit", "out_of_range"),
        ("limit=101", "limit", "out_of_range"),
        ("limit=many", "limit", "invalid_type"),
        ("page=0", "page", "out_of_range"),
        ("updated_since=last-week", "updated_since", "invalid_format"),
        ("offset=10", "offset", "unknown_parameter"),
        ("page=1&page=2", "page", "duplicate"),
    ] {
        let r = app.get(&format!("/api/1.0/clients?{query}")).await;
        assert_eq!(
            r.error(400, "VALIDATION_ERROR"),
            [(field.to_string(), code.to_string())],
            "{query}"
        );
        assert_eq!(r.header("cache-control"), Some("no-store"), "{query}");
    }
    let long = "x".repeat(121);
    let r = app.get(&format!("/api/1.0/clients?search={long}")).await;
    assert_eq!(
        r.error(400, "VALIDATION_ERROR"),
        [("search".into(), "too_long".into())]
    );
    let r = app
        .get("/api/1.0/clients/0193a5b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b")
        .await;
    r.error(404, "NOT_FOUND");
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let r = app.get("/api/1.0/clients/42").await;
    assert_eq!(
        r.error(400, "VALIDATION_ERROR"),
        [("id".into(), "invalid_format".into())]
    );
    let r = app.send(app.http.get(app.url("/api/1.0/clients"))).await;
    r.error(401, "UNAUTHORIZED");
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let r = app.get("/api/1.0/nothing-here").await;
    r.error(404, "NOT_FOUND");
}

#[tokio::test]
async fn credentials_permissions_and_tenants_are_the_native_ones() {
    use clientele_core::enums::Permission;
    let app = spawn_app!();
    let id = id_of(&app.create(nordic()).await);
    let (_, other_key) = app.other_tenant("globex").await;
    let writer = app.key_with(&[Permission::ClientsWrite]).await;
    let reader = app.key_with(&[Permission::ClientsRead]).await;
    let with = |key: &str, path: &str| {
        app.http
            .get(app.url(path))
            .header("x-api-key", key.to_string())
    };
    let detail = format!("/api/1.0/clients/{id}");
    let r = app.send(with(&reader, &detail)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("ratelimit-limit").is_some());
    let r = app.send(with(&writer, "/api/1.0/clients")).await;
    r.error(403, "FORBIDDEN");
    // Another tenant's client is unknown there, exactly as an unknown id.
    let r = app.send(with(&other_key, &detail)).await;
    r.error(404, "NOT_FOUND");
    let r = app.send(with(&other_key, "/api/1.0/clients")).await;
    assert_eq!(r.body["pagination"]["total"], 0);
    let r = app
        .send(with(&reader, "/api/1.0/clients").header("tenant", "globex"))
        .await;
    r.error(403, "FORBIDDEN");
}

#[test]
fn the_routes_are_documented_under_their_own_tag_with_their_own_schemas() {
    let doc = serde_json::to_value(clientele_api::openapi()).expect("json");
    for path in ["/api/1.0/clients", "/api/1.0/clients/{id}"] {
        let op = &doc["paths"][path]["get"];
        assert_eq!(op["tags"], json!(["dialect 000"]), "{path}");
        assert_eq!(
            op["security"],
            json!([{"api_key": ["clients:read"]}, {"bearer": ["clients:read"]}]),
            "{path}: either native credential"
        );
        for other in ["post", "put", "patch", "delete"] {
            assert!(doc["paths"][path][other].is_null(), "{other} {path}");
        }
    }
    let schemas = &doc["components"]["schemas"];
    for s in [
        "Seed000Client",
        "Seed000ClientProfile",
        "Seed000Pagination",
        "Seed000ClientList",
        "Seed000ClientResponse",
    ] {
        assert!(schemas[s].is_object(), "schema {s} missing");
    }
    assert!(doc["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .any(|t| t["name"] == "dialect 000"));
}
