use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::common::TestApp;

fn full_body() -> Value {
    json!({
        "kind": "organization",
        "name": "Nordic Steel AB",
        "legal_name": "Nordic Steel Aktiebolag",
        "org_number": "556677-8899",
        "tax_id": "SE556677889901",
        "external_id": "crm-1",
        "account_code": "ACC-7",
        "status": "inactive",
        "archived": false,
        "silenced": true,
        "invoice_reminders": true,
        "show_location_on_invoice": true,
        "partner_type": "industry",
        "email": "info@nordicsteel.se",
        "billing_email": "billing@nordicsteel.se",
        "phone": "+46 8 123 45 67",
        "mobile": "+46 70-123 45 67",
        "home_phone": "(08) 12.34.56",
        "fax": "+46 8 123 45 68",
        "website": "https://nordicsteel.se",
        "image_url": "https://nordicsteel.se/logo.png",
        "notes": "Key account",
        "address": {"street": "Storgatan", "street_number": "1", "apartment": "3B", "corner": "Kungsgatan",
                    "line2": "Floor 2", "line3": null, "city": "Stockholm", "region": "Stockholm",
                    "postal_code": "111 22", "country": "se", "latitude": 59.33, "longitude": 18.06},
        "credit": {"limit": 150000.5, "used": 20000.125, "currency": "sek", "payment_terms_days": 30,
                   "rating": "AA", "creditworthiness": "good", "fico": 720, "total_income": 1000000,
                   "total_debt_payments": 2500.75, "first_time_buyer": false, "frame_contract": true,
                   "self_insurance": false, "pricing": "tier-2", "custom_price_id": "P-9"},
        "owner_id": "u-1", "salesperson_id": "u-2", "case_manager_id": "u-3",
        "source": "import", "structure_id": "north",
        "metadata": {"segment": "enterprise"}
    })
}

#[tokio::test]
async fn create_returns_201_with_location_etag_and_every_field() {
    let app = spawn_app!();
    let r = app.post("/v1/clients", full_body()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let c = r.data();
    let id = c["id"].as_str().expect("id");
    assert_eq!(
        uuid::Uuid::parse_str(id).expect("uuid").get_version_num(),
        7
    );
    assert_eq!(
        r.header("location"),
        Some(format!("/v1/clients/{id}").as_str())
    );
    assert_eq!(r.header("etag"), Some("\"1\""));
    assert_eq!(r.body["meta"], json!({}));
    assert_eq!(c["number"], 1);
    assert_eq!(c["version"], 1);
    assert_eq!(c["associated_accounts"], 0);
    assert_eq!(c["status"], "inactive");
    assert_eq!(c["address"]["country"], "SE");
    assert_eq!(c["address"]["line3"], Value::Null);
    assert_eq!(c["credit"]["currency"], "SEK");
    // Money is exact: the JSON text keeps its digits.
    let text = r.body.to_string();
    assert!(text.contains("\"limit\":150000.50"), "{text}");
    assert!(text.contains("\"used\":20000.125"), "{text}");
    assert!(text.contains("\"available\":130000.375"), "{text}");
    assert!(text.contains("\"total_income\":1000000.00"), "{text}");
    assert_eq!(c["metadata"], json!({"segment": "enterprise"}));
    for k in ["created_at", "updated_at"] {
        let ts = c[k].as_str().expect("timestamp");
        assert!(ts.ends_with('Z') && ts.len() == 24, "{ts}");
    }
    let got = app.get(&format!("/v1/clients/{id}")).await;
    assert_eq!(got.data(), c);
}

#[tokio::test]
async fn minimal_client_has_every_documented_field_with_defaults() {
    let app = spawn_app!();
    let c = app.create(json!({"name": "Acme"})).await;
    let expected_nulls = [
        "legal_name",
        "first_name",
        "last_name",
        "org_number",
        "tax_id",
        "external_id",
        "account_code",
        "partner_type",
        "email",
        "billing_email",
        "phone",
        "mobile",
        "home_phone",
        "fax",
        "website",
        "image_url",
        "notes",
        "address",
        "owner_id",
        "salesperson_id",
        "case_manager_id",
        "referred_by_id",
        "source",
        "structure_id",
    ];
    for k in expected_nulls {
        assert!(
            c.get(k).is_some_and(Value::is_null),
            "{k} must be present and null: {c}"
        );
    }
    assert_eq!(c["kind"], "organization");
    assert_eq!(c["status"], "active");
    for k in [
        "archived",
        "silenced",
        "invoice_reminders",
        "show_location_on_invoice",
    ] {
        assert_eq!(c[k], false, "{k}");
    }
    assert_eq!(c["metadata"], json!({}));
    let credit = c["credit"].as_object().expect("credit is always an object");
    for k in [
        "limit",
        "used",
        "available",
        "currency",
        "payment_terms_days",
        "rating",
        "creditworthiness",
        "fico",
        "total_income",
        "total_debt_payments",
        "first_time_buyer",
        "frame_contract",
        "self_insurance",
        "pricing",
        "custom_price_id",
    ] {
        assert!(credit.get(k).is_some_and(Value::is_null), "credit.{k}");
    }
}

#[tokio::test]
async fn person_name_defaults_to_first_and_last_name() {
    let app = spawn_app!();
    let c = app
        .create(json!({"kind": "person", "first_name": "Anna", "last_name": "Berg"}))
        .await;
    assert_eq!(c["name"], "Anna Berg");
    let c = app
        .create(json!({"kind": "person", "first_name": "Anna", "last_name": "Berg", "name": "Dr. A. Berg"}))
        .await;
    assert_eq!(c["name"], "Dr. A. Berg");
}

#[tokio::test]
async fn numbers_are_a_per_tenant_sequence_that_never_repeats_after_deletes() {
    let app = spawn_app!();
    let a = app.create(json!({"name": "A"})).await;
    let b = app.create(json!({"name": "B"})).await;
    assert_eq!(
        (a["number"].clone(), b["number"].clone()),
        (json!(1), json!(2))
    );
    let r = app
        .delete(&format!("/v1/clients/{}", b["id"].as_str().unwrap_or("")))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let c = app.create(json!({"name": "C"})).await;
    assert_eq!(c["number"], 3);
    // Another tenant starts at 1.
    let (_, other_key) = app.other_tenant("globex").await;
    let r = app
        .send(
            app.http
                .post(app.url("/v1/clients"))
                .header("x-api-key", other_key)
                .header("content-type", "application/json")
                .body(json!({"name": "G"}).to_string()),
        )
        .await;
    assert_eq!(r.data()["number"], 1);
}

#[tokio::test]
async fn read_only_fields_in_a_body_are_ignored() {
    let app = spawn_app!();
    let c = app
        .create(
            json!({"name": "A", "number": 99, "version": 7, "associated_accounts": 5,
                       "created_at": "2000-01-01T00:00:00Z", "id": "not-used",
                       "credit": {"available": 5}}),
        )
        .await;
    assert_eq!(c["number"], 1);
    assert_eq!(c["version"], 1);
    assert_eq!(c["associated_accounts"], 0);
    assert!(c["created_at"]
        .as_str()
        .is_some_and(|t| t.starts_with("20") && !t.starts_with("2000")));
    assert_eq!(c["credit"]["available"], Value::Null);
}

#[tokio::test]
async fn put_replaces_every_writable_field_and_resets_omitted_ones() {
    let app = spawn_app!();
    let c = app.create(full_body()).await;
    let path = format!("/v1/clients/{}", c["id"].as_str().unwrap_or(""));
    let r = app.put(&path, json!({"name": "Renamed"})).await;
    let d = r.data();
    assert_eq!(d["name"], "Renamed");
    assert_eq!(d["email"], Value::Null);
    assert_eq!(d["status"], "active");
    assert_eq!(d["silenced"], false);
    assert_eq!(d["address"], Value::Null);
    assert_eq!(d["credit"]["limit"], Value::Null);
    assert_eq!(d["metadata"], json!({}));
    assert_eq!(d["version"], 2);
    assert_eq!(d["number"], c["number"]);
    assert_eq!(d["created_at"], c["created_at"]);
    assert_eq!(r.header("etag"), Some("\"2\""));
}

/// `address` is `null` whenever no address field is set, however the client was written.
#[tokio::test]
async fn an_address_without_any_field_is_null_on_every_write() {
    let app = spawn_app!();
    let empty = [
        json!(null),
        json!({}),
        json!({"city": null, "country": null}),
    ];
    for address in &empty {
        let c = app.create(json!({"name": "A", "address": address})).await;
        assert_eq!(c["address"], Value::Null, "create with {address}");
        let path = format!("/v1/clients/{}", c["id"].as_str().unwrap_or(""));
        assert_eq!(app.get(&path).await.data()["address"], Value::Null);
        let r = app
            .put(&path, json!({"name": "A", "address": address}))
            .await;
        assert_eq!(r.data()["address"], Value::Null, "replace with {address}");
        let r = app
            .put(
                "/v1/clients/external-id/crm-empty",
                json!({"name": "B", "address": address}),
            )
            .await;
        assert_eq!(r.data()["address"], Value::Null, "upsert with {address}");
    }
    let c = app.create(json!({"name": "A"})).await;
    assert_eq!(c["address"], Value::Null, "created without one");

    // Patching the last field away leaves no address, not an object of nulls.
    let c = app
        .create(json!({"name": "A", "address": {"city": "Lund"}}))
        .await;
    let path = format!("/v1/clients/{}", c["id"].as_str().unwrap_or(""));
    let r = app.patch(&path, json!({"address": {"city": null}})).await;
    assert_eq!(r.data()["address"], Value::Null);
    assert_eq!(app.get(&path).await.data()["address"], Value::Null);
    let r = app
        .patch(&path, json!({"address": {"country": "se"}}))
        .await;
    let d = r.data();
    assert_eq!(d["address"]["country"], "SE");
    assert_eq!(d["address"]["city"], Value::Null, "every field present");

    // Locations follow the same rule.
    let loc = app
        .post(
            &format!("{path}/locations"),
            json!({"name": "HQ", "address": {"city": null}}),
        )
        .await;
    assert_eq!(loc.data()["address"], Value::Null);
}

#[tokio::test]
async fn put_with_an_id_that_differs_from_the_path_is_refused() {
    let app = spawn_app!();
    let c = app.create(json!({"name": "A"})).await;
    let id = c["id"].as_str().unwrap_or("");
    let other = uuid::Uuid::now_v7().to_string();
    let r = app
        .put(
            &format!("/v1/clients/{id}"),
            json!({"id": other, "name": "B"}),
        )
        .await;
    assert_eq!(
        r.error(400, "VALIDATION_ERROR"),
        vec![("id".into(), "mismatch".into())]
    );
    let r = app
        .put(&format!("/v1/clients/{id}"), json!({"id": id, "name": "B"}))
        .await;
    assert_eq!(r.data()["name"], "B");
}

#[tokio::test]
async fn patch_is_a_json_merge_patch() {
    let app = spawn_app!();
    let c = app.create(full_body()).await;
    let path = format!("/v1/clients/{}", c["id"].as_str().unwrap_or(""));
    let r = app
        .send(
            app.request(Method::PATCH, &path)
                .header("content-type", "application/merge-patch+json")
                .body(
                    json!({"notes": null, "address": {"city": "Malmö"},
                           "credit": {"used": 0}, "metadata": {"tier": "gold", "segment": null}})
                    .to_string(),
                ),
        )
        .await;
    let d = r.data();
    assert_eq!(d["notes"], Value::Null, "null clears");
    assert_eq!(d["name"], "Nordic Steel AB", "absent is unchanged");
    assert_eq!(d["address"]["city"], "Malmö");
    assert_eq!(d["address"]["street"], "Storgatan", "objects merge");
    assert_eq!(d["credit"]["rating"], "AA");
    assert!(r.body.to_string().contains("\"available\":150000.50"));
    assert_eq!(d["metadata"], json!({"tier": "gold"}));
    assert_eq!(d["version"], 2);
}

#[tokio::test]
async fn patch_reports_bad_fields_and_changes_nothing() {
    let app = spawn_app!();
    let c = app.create(json!({"name": "A"})).await;
    let path = format!("/v1/clients/{}", c["id"].as_str().unwrap_or(""));
    let r = app
        .patch(&path, json!({"email": "nope", "colour": "red"}))
        .await;
    let d = r.error(400, "VALIDATION_ERROR");
    assert!(
        d.contains(&("email".into(), "invalid_format".into())),
        "{d:?}"
    );
    assert!(
        d.contains(&("colour".into(), "unknown_field".into())),
        "{d:?}"
    );
    let r = app.patch(&path, json!([1, 2])).await;
    r.error(400, "VALIDATION_ERROR");
    assert_eq!(app.get(&path).await.data()["version"], 1);
}

#[tokio::test]
async fn delete_removes_the_client() {
    let app = spawn_app!();
    let c = app.create(json!({"name": "A"})).await;
    let path = format!("/v1/clients/{}", c["id"].as_str().unwrap_or(""));
    let r = app.delete(&path).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(r.body, Value::Null);
    app.get(&path).await.error(404, "NOT_FOUND");
    app.delete(&path).await.error(404, "NOT_FOUND");
}

#[tokio::test]
async fn delete_on_the_collection_is_405_with_allow() {
    let app = spawn_app!();
    let r = app.delete("/v1/clients").await;
    r.error(405, "METHOD_NOT_ALLOWED");
    let allow = r.header("allow").unwrap_or("");
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
}

#[tokio::test]
async fn external_id_is_unique_per_tenant_only() {
    let app = spawn_app!();
    app.create(json!({"name": "A", "external_id": "x-1"})).await;
    let r = app
        .post("/v1/clients", json!({"name": "B", "external_id": "x-1"}))
        .await;
    r.error(409, "CONFLICT");
    let b = app.create(json!({"name": "B", "external_id": "x-2"})).await;
    let path = format!("/v1/clients/{}", b["id"].as_str().unwrap_or(""));
    app.patch(&path, json!({"external_id": "x-1"}))
        .await
        .error(409, "CONFLICT");
    let (_, other_key) = app.other_tenant("globex").await;
    let r = app
        .send(
            app.http
                .post(app.url("/v1/clients"))
                .header("x-api-key", other_key)
                .header("content-type", "application/json")
                .body(json!({"name": "A", "external_id": "x-1"}).to_string()),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
}

#[tokio::test]
async fn get_by_external_id_finds_the_client() {
    let app = spawn_app!();
    let c = app
        .create(json!({"name": "A", "external_id": "crm/42 ü"}))
        .await;
    let r = app.get("/v1/clients/external-id/crm%2F42%20%C3%BC").await;
    assert_eq!(r.data()["id"], c["id"]);
    assert_eq!(r.header("etag"), Some("\"1\""));
    app.get("/v1/clients/external-id/missing")
        .await
        .error(404, "NOT_FOUND");
}

#[tokio::test]
async fn upsert_by_external_id_creates_then_replaces() {
    let app = spawn_app!();
    let r = app
        .put("/v1/clients/external-id/crm-9", json!({"name": "First"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let id = r.data()["id"].as_str().unwrap_or("").to_string();
    assert_eq!(
        r.header("location"),
        Some(format!("/v1/clients/{id}").as_str())
    );
    assert_eq!(r.data()["external_id"], "crm-9");
    let r = app
        .put(
            "/v1/clients/external-id/crm-9",
            json!({"name": "Second", "external_id": "crm-9"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.data()["id"], id.as_str());
    assert_eq!(r.data()["name"], "Second");
    assert_eq!(r.data()["version"], 2);
    let r = app
        .put(
            "/v1/clients/external-id/crm-9",
            json!({"name": "X", "external_id": "other"}),
        )
        .await;
    assert_eq!(
        r.error(400, "VALIDATION_ERROR"),
        vec![("external_id".into(), "mismatch".into())]
    );
}

#[tokio::test]
async fn referred_by_id_must_name_an_existing_client_of_the_tenant() {
    let app = spawn_app!();
    let a = app.create(json!({"name": "A"})).await;
    let b = app
        .create(json!({"name": "B", "referred_by_id": a["id"]}))
        .await;
    assert_eq!(b["referred_by_id"], a["id"]);
    let r = app
        .post(
            "/v1/clients",
            json!({"name": "C", "referred_by_id": uuid::Uuid::now_v7().to_string()}),
        )
        .await;
    assert_eq!(
        r.error(400, "VALIDATION_ERROR"),
        vec![("referred_by_id".into(), "not_found".into())]
    );
    let r = app
        .post("/v1/clients", json!({"name": "C", "referred_by_id": "abc"}))
        .await;
    assert_eq!(
        r.error(400, "VALIDATION_ERROR"),
        vec![("referred_by_id".into(), "invalid_format".into())]
    );
    // A client cannot refer to itself.
    let path = format!("/v1/clients/{}", a["id"].as_str().unwrap_or(""));
    let r = app.patch(&path, json!({"referred_by_id": a["id"]})).await;
    r.error(400, "VALIDATION_ERROR");
    // Another tenant's client does not exist here.
    let (_, other_key) = app.other_tenant("globex").await;
    let r = app
        .send(
            app.http
                .post(app.url("/v1/clients"))
                .header("x-api-key", other_key)
                .header("content-type", "application/json")
                .body(json!({"name": "G", "referred_by_id": a["id"]}).to_string()),
        )
        .await;
    r.error(400, "VALIDATION_ERROR");
}

#[tokio::test]
async fn etags_answer_if_none_match_and_guard_if_match() {
    let app = spawn_app!();
    let c = app.create(json!({"name": "A"})).await;
    let path = format!("/v1/clients/{}", c["id"].as_str().unwrap_or(""));
    let r = app
        .send(
            app.request(Method::GET, &path)
                .header("if-none-match", "\"1\""),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    assert_eq!(r.header("etag"), Some("\"1\""));
    let r = app
        .send(
            app.request(Method::PATCH, &path)
                .header("if-match", "\"7\"")
                .header("content-type", "application/json")
                .body(json!({"name": "B"}).to_string()),
        )
        .await;
    r.error(412, "PRECONDITION_FAILED");
    let r = app
        .send(
            app.request(Method::PATCH, &path)
                .header("if-match", "\"1\"")
                .header("content-type", "application/json")
                .body(json!({"name": "B"}).to_string()),
        )
        .await;
    assert_eq!(r.data()["name"], "B");
    let r = app
        .send(
            app.request(Method::DELETE, &path)
                .header("if-match", "\"1\""),
        )
        .await;
    r.error(412, "PRECONDITION_FAILED");
    assert_eq!(app.get(&path).await.data()["name"], "B");
}

#[tokio::test]
async fn a_path_id_that_is_not_a_uuid_is_400_naming_it_on_every_route() {
    let app = spawn_app!();
    let created = app.post("/v1/clients", json!({"name": "A"})).await;
    let id = created.data()["id"].as_str().expect("id").to_string();
    let body = json!({"name": "A"});
    let cases: Vec<(&str, String, &str)> = vec![
        ("GET", "/v1/clients/12345".into(), "id"),
        ("PUT", "/v1/clients/12345".into(), "id"),
        ("PATCH", "/v1/clients/12345".into(), "id"),
        ("DELETE", "/v1/clients/12345".into(), "id"),
        ("GET", "/v1/clients/12345/history".into(), "id"),
        ("GET", "/v1/clients/12345/contact-persons".into(), "id"),
        ("POST", "/v1/clients/12345/locations".into(), "id"),
        ("GET", "/v1/clients/12345/accounts/also-bad".into(), "id"),
        (
            "GET",
            format!("/v1/clients/{id}/contact-persons/12345"),
            "item_id",
        ),
        (
            "PUT",
            format!("/v1/clients/{id}/locations/12345"),
            "item_id",
        ),
        (
            "PATCH",
            format!("/v1/clients/{id}/accounts/12345"),
            "item_id",
        ),
        (
            "DELETE",
            format!("/v1/clients/{id}/contact-persons/12345"),
            "item_id",
        ),
        ("DELETE", "/v1/api-keys/not-a-uuid".into(), "id"),
    ];
    for (method, path, field) in cases {
        let r = match method {
            "GET" => app.get(&path).await,
            "PUT" => app.put(&path, body.clone()).await,
            "PATCH" => app.patch(&path, body.clone()).await,
            "POST" => app.post(&path, body.clone()).await,
            _ => app.delete(&path).await,
        };
        let details = r.error(400, "VALIDATION_ERROR");
        assert_eq!(details[0].0, field, "{method} {path}");
    }
}
