//! Seed 002's errors and the native protocol on its routes: the error body and its field names,
//! ETags and conditional requests, idempotency keys, permissions, tenants, rate-limit headers,
//! request ids, `Cache-Control` and methods the seed does not document.

use clientele_core::enums::Permission;
use reqwest::Method;
use serde_json::{json, Value};

use super::{at, create, example_create, example_update, minimal, BASE};
use crate::common::{Reply, TestApp};

fn sorted(mut v: Vec<(String, String)>) -> Vec<(String, String)> {
    v.sort();
    v
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[tokio::test]
async fn a_body_without_the_client_wrapper_is_refused_naming_client() {
    let app = spawn_app!();
    let unwrapped = example_create()["client"].clone();
    let r = app.post(BASE, unwrapped.clone()).await;
    assert_eq!(
        r.error(400, "VALIDATION_ERROR"),
        pairs(&[("client", "required")])
    );
    assert!(
        r.body["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("client is required")),
        "{}",
        r.body
    );
    create(&app, example_create()).await;
    let r = app.put(&at(1), json!({"account_code": "123456"})).await;
    assert_eq!(
        r.error(400, "VALIDATION_ERROR"),
        pairs(&[("client", "required")])
    );
    let r = app
        .put(&at(1), json!({"client": {"notes": "x"}, "notes": "y"}))
        .await;
    assert_eq!(
        r.error(400, "VALIDATION_ERROR"),
        pairs(&[("notes", "unknown_field")])
    );
    let r = app.put(&at(1), json!({"client": [1]})).await;
    assert_eq!(
        r.error(400, "VALIDATION_ERROR"),
        pairs(&[("client", "invalid_type")])
    );
    let r = app.post(BASE, json!("client")).await;
    assert_eq!(
        r.error(400, "VALIDATION_ERROR"),
        pairs(&[("body", "invalid_type")])
    );
    // Not JSON at all: the native answers.
    let r = app
        .send(
            app.request(Method::POST, BASE)
                .header("content-type", "application/json")
                .body("{"),
        )
        .await;
    r.error(400, "BAD_REQUEST");
    let r = app
        .send(
            app.request(Method::POST, BASE)
                .header("content-type", "text/plain")
                .body("x"),
        )
        .await;
    assert_eq!(r.status.as_u16(), 415);
    assert_eq!(app.get(BASE).await.body["meta"]["total"], 1);
}

#[tokio::test]
async fn validation_errors_name_this_dialects_fields() {
    let app = spawn_app!();
    // The seed's required fields.
    let r = app.post(BASE, json!({"client": {"website": "x"}})).await;
    assert_eq!(
        r.error(400, "VALIDATION_ERROR"),
        pairs(&[("primary_location", "required")])
    );
    let r = app
        .post(
            BASE,
            json!({"client": {"name": "A", "primary_location": {"name": "HQ", "country": "US"}}}),
        )
        .await;
    assert_eq!(
        r.error(400, "VALIDATION_ERROR"),
        pairs(&[("primary_location.state", "required")])
    );
    let r = app
        .post(
            BASE,
            json!({"client": {"name": "A", "primary_location": {"state": "CO"}}}),
        )
        .await;
    assert_eq!(
        r.error(400, "VALIDATION_ERROR"),
        pairs(&[("primary_location.country", "required")])
    );
    let r = app
        .post(
            BASE,
            json!({"client": {"name": "A", "primary_location":
                {"name": "HQ", "state": "Colorado", "country": "US"}}}),
        )
        .await;
    assert_eq!(
        r.error(400, "VALIDATION_ERROR"),
        pairs(&[("primary_location.state", "invalid_length")])
    );
    // Values the core refuses, named here; the shared address fails once.
    let r = app
        .post(
            BASE,
            json!({"client": {"website": "not a url", "email_invoice": "nope",
                   "has_invoice_reminders": "yes", "account_code": "x".repeat(65),
                   "primary_location": {"email_invoice": "nope", "state": "CO",
                       "country": "XX", "phone_primary": "call me", "address_1": "y".repeat(201)}}}),
        )
        .await;
    assert_eq!(
        sorted(r.error(400, "VALIDATION_ERROR")),
        pairs(&[
            ("account_code", "too_long"),
            ("email_invoice", "invalid_format"),
            ("has_invoice_reminders", "invalid_type"),
            ("name", "required"),
            ("primary_location.address_1", "too_long"),
            ("primary_location.country", "invalid_format"),
            ("primary_location.email_invoice", "invalid_format"),
            ("primary_location.name", "required"),
            ("primary_location.phone_primary", "invalid_format"),
            ("website", "invalid_format"),
        ])
    );
    assert!(
        r.body["message"]
            .as_str()
            .is_some_and(|m| !m.contains("billing_email") && !m.contains("locations.0")),
        "{}",
        r.body
    );
    // Fields the seed does not have, by their names here.
    let r = app
        .post(
            BASE,
            json!({"client": {"name": "A", "legal_name": "x", "primary_location":
                {"name": "HQ", "state": "CO", "country": "US", "region": "x"}}}),
        )
        .await;
    assert_eq!(
        sorted(r.error(400, "VALIDATION_ERROR")),
        pairs(&[
            ("legal_name", "unknown_field"),
            ("primary_location.region", "unknown_field")
        ])
    );
    // An update: the location is not writable here, `name` cannot be cleared.
    create(&app, example_create()).await;
    let r = app
        .put(
            &at(1),
            json!({"client": {"primary_location": {"name": "New"}}}),
        )
        .await;
    assert_eq!(
        r.error(400, "VALIDATION_ERROR"),
        pairs(&[("primary_location", "read_only")])
    );
    let r = app
        .put(
            &at(1),
            json!({"client": {"name": null, "salesperson": "x"}}),
        )
        .await;
    assert_eq!(
        sorted(r.error(400, "VALIDATION_ERROR")),
        pairs(&[("name", "required"), ("salesperson", "invalid_type")])
    );
    let r = app
        .put(&at(1), json!({"client": {"name": " ", "salesperson": -1}}))
        .await;
    assert_eq!(
        sorted(r.error(400, "VALIDATION_ERROR")),
        pairs(&[("name", "too_short"), ("salesperson", "invalid_type")])
    );
    let r = app
        .put(
            &at(1),
            json!({"client": {"account_code": "x".repeat(65), "email_invoice": "x"}}),
        )
        .await;
    assert_eq!(
        sorted(r.error(400, "VALIDATION_ERROR")),
        pairs(&[
            ("account_code", "too_long"),
            ("email_invoice", "invalid_format")
        ])
    );
    let r = app.put(&at(1), json!({"client": {"id": 2}})).await;
    assert_eq!(
        r.error(400, "VALIDATION_ERROR"),
        pairs(&[("id", "mismatch")])
    );
    // Nothing of the refused updates was written.
    assert_eq!(app.get(&at(1)).await.body["client"]["name"], "ACME Client");
}

#[tokio::test]
async fn etags_cover_the_primary_location_and_guard_updates() {
    let app = spawn_app!();
    let created = app.post(BASE, example_create()).await;
    let etag = created.header("etag").expect("etag").to_string();
    let get = |tag: &str| {
        app.send(
            app.request(Method::GET, &at(1))
                .header("if-none-match", tag.to_string()),
        )
    };
    let r = get(&etag).await;
    assert_eq!(r.status.as_u16(), 304);
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    // A change to the primary location (through /v1) changes the client's ETag here.
    let id = super::uuid_of(&app, &json!(1)).await;
    let loc = created.body["client"]["primary_location"]["id"]
        .as_str()
        .expect("location id")
        .to_string();
    let r = app
        .patch(
            &format!("/v1/clients/{id}/locations/{loc}"),
            json!({"name": "Denver Office"}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let r = get(&etag).await;
    assert_eq!(r.status.as_u16(), 200);
    assert_eq!(
        r.body["client"]["primary_location"]["name"],
        "Denver Office"
    );
    let etag2 = r.header("etag").expect("etag").to_string();
    assert_ne!(etag2, etag);
    // If-Match compares the client's version: a stale one is 412 and changes nothing.
    let put = |tag: &str| {
        app.send(
            app.request(Method::PUT, &at(1))
                .header("if-match", tag.to_string())
                .header("content-type", "application/json")
                .body(example_update().to_string()),
        )
    };
    put("\"999\"").await.error(412, "PRECONDITION_FAILED");
    assert_eq!(
        app.get(&at(1)).await.body["client"]["account_code"],
        Value::Null
    );
    let ok = put(&etag2).await;
    assert_eq!(ok.status.as_u16(), 200, "{}", ok.body);
    put(&etag2).await.error(412, "PRECONDITION_FAILED");
    // /v1's ETag (the version) is accepted too.
    let v1_tag = app
        .get(&format!("/v1/clients/{id}"))
        .await
        .header("etag")
        .expect("etag")
        .to_string();
    assert_eq!(put(&v1_tag).await.status.as_u16(), 200);
    // A client without a location has /v1's ETag here.
    let n = app.create(json!({"name": "Bare"})).await;
    assert_eq!(
        app.get(&at(&n["number"])).await.header("etag"),
        app.get(&format!("/v1/clients/{}", n["id"].as_str().expect("id")))
            .await
            .header("etag")
    );
}

fn post_with_key(app: &TestApp, key: &str, body: &Value) -> reqwest::RequestBuilder {
    app.request(Method::POST, BASE)
        .header("idempotency-key", key)
        .header("content-type", "application/json")
        .body(body.to_string())
}

#[tokio::test]
async fn idempotency_keys_replay_creates() {
    let app = spawn_app!();
    let first = app
        .send(post_with_key(&app, "k-1", &example_create()))
        .await;
    assert_eq!(first.status.as_u16(), 201, "{}", first.body);
    let again = app
        .send(post_with_key(&app, "k-1", &example_create()))
        .await;
    assert_eq!(again.status.as_u16(), 201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("location"), first.header("location"));
    let other = app
        .send(post_with_key(&app, "k-1", &minimal("Other")))
        .await;
    other.error(409, "CONFLICT");
    assert_eq!(app.get(BASE).await.body["meta"]["total"], 1);
    let fresh = app
        .send(post_with_key(&app, "k-2", &example_create()))
        .await;
    assert_eq!(fresh.status.as_u16(), 201);
    assert_eq!(fresh.body["client"]["id"], 2);
}

#[tokio::test]
async fn permissions_are_the_native_ones() {
    let app = spawn_app!();
    create(&app, example_create()).await;
    let read = app.key_with(&[Permission::ClientsRead]).await;
    let write = app.key_with(&[Permission::ClientsWrite]).await;
    let call = |key: &str, m: Method, path: String, body: Option<Value>| {
        let mut req = app.http.request(m, app.url(&path)).header("x-api-key", key);
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        app.send(req)
    };
    for path in [BASE.to_string(), at(1)] {
        assert_eq!(
            call(&read, Method::GET, path.clone(), None)
                .await
                .status
                .as_u16(),
            200
        );
        call(&write, Method::GET, path, None)
            .await
            .error(403, "FORBIDDEN");
    }
    call(&read, Method::POST, BASE.into(), Some(example_create()))
        .await
        .error(403, "FORBIDDEN");
    call(&read, Method::PUT, at(1), Some(example_update()))
        .await
        .error(403, "FORBIDDEN");
    let r = call(&write, Method::POST, BASE.into(), Some(minimal("W"))).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    let r = call(&write, Method::PUT, at(1), Some(example_update())).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    app.send(app.http.get(app.url(BASE)))
        .await
        .error(401, "UNAUTHORIZED");
    call("not-a-key", Method::GET, at(1), None)
        .await
        .error(401, "UNAUTHORIZED");
}

#[tokio::test]
async fn another_tenants_numbers_are_404_and_each_tenant_counts_from_1() {
    let app = spawn_app!();
    create(&app, example_create()).await;
    let (_, other) = app.other_tenant("rival").await;
    let call = |m: Method, path: String, body: Option<Value>| {
        let mut req = app
            .http
            .request(m, app.url(&path))
            .header("x-api-key", &other);
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        app.send(req)
    };
    call(Method::GET, at(1), None).await.error(404, "NOT_FOUND");
    call(Method::PUT, at(1), Some(example_update()))
        .await
        .error(404, "NOT_FOUND");
    let r = call(Method::GET, BASE.into(), None).await;
    assert_eq!(r.body["meta"]["total"], 0);
    let r = call(Method::POST, BASE.into(), Some(minimal("Theirs"))).await;
    assert_eq!(r.body["client"]["id"], 1, "{}", r.body);
    assert_eq!(app.get(&at(1)).await.body["client"]["name"], "ACME Client");
    let r = call(Method::GET, at(1), None).await;
    assert_eq!(r.body["client"]["name"], "Theirs");
}

fn assert_protocol_headers(r: &Reply, what: &str) {
    assert_eq!(r.header("x-request-id"), Some("req-002.1"), "{what}");
    assert!(r.header("ratelimit-limit").is_some(), "{what}");
    assert!(r.header("ratelimit-remaining").is_some(), "{what}");
    assert!(r.header("ratelimit-reset").is_some(), "{what}");
    assert_eq!(r.header("cache-control"), Some("no-store"), "{what}");
}

#[tokio::test]
async fn answers_carry_request_ids_rate_limits_and_no_store() {
    let app = spawn_app!();
    for (m, path, body) in [
        (Method::POST, BASE.to_string(), Some(example_create())),
        (Method::GET, BASE.to_string(), None),
        (Method::GET, at(1), None),
        (Method::PUT, at(1), Some(example_update())),
        (Method::GET, at("x"), None),
        (Method::GET, at(9), None),
    ] {
        let mut req = app
            .request(m.clone(), &path)
            .header("x-request-id", "req-002.1");
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let r = app.send(req).await;
        assert_protocol_headers(&r, &format!("{m} {path}"));
        if !r.status.is_success() {
            assert_eq!(r.body["request_id"], "req-002.1");
        }
    }
}

#[tokio::test]
async fn methods_the_seed_does_not_document_are_405_with_allow() {
    let app = spawn_app!();
    create(&app, example_create()).await;
    for (m, path, allowed) in [
        (Method::DELETE, BASE.to_string(), vec!["GET", "POST"]),
        (Method::PUT, BASE.to_string(), vec!["GET", "POST"]),
        (Method::PATCH, BASE.to_string(), vec!["GET", "POST"]),
        (Method::DELETE, at(1), vec!["GET", "PUT"]),
        (Method::PATCH, at(1), vec!["GET", "PUT"]),
        (Method::POST, at(1), vec!["GET", "PUT"]),
    ] {
        let r = app
            .send(
                app.request(m.clone(), &path)
                    .header("content-type", "application/json")
                    .body("{}"),
            )
            .await;
        r.error(405, "METHOD_NOT_ALLOWED");
        let mut allow: Vec<&str> = r.header("allow").unwrap_or("").split(", ").collect();
        allow.sort_unstable();
        let mut allowed = allowed;
        allowed.sort_unstable();
        assert_eq!(allow, allowed, "{m} {path}: exactly the documented methods");
    }
    assert_eq!(
        app.get(&at(1)).await.status.as_u16(),
        200,
        "nothing deleted"
    );
    app.get("/api/v1/nothing-here")
        .await
        .error(404, "NOT_FOUND");
}

#[test]
fn the_routes_are_documented_under_their_own_tag() {
    let doc = serde_json::to_value(clientele_api::openapi()).expect("json");
    for (path, methods) in [
        (
            BASE.to_string(),
            vec![("get", "clients:read"), ("post", "clients:write")],
        ),
        (
            format!("{BASE}/{{client_id}}"),
            vec![("get", "clients:read"), ("put", "clients:write")],
        ),
    ] {
        let item = &doc["paths"][&path];
        assert_eq!(
            item.as_object().map(|o| o.len()),
            Some(methods.len()),
            "{path}: {item}"
        );
        for (m, perm) in methods {
            let op = &item[m];
            assert_eq!(op["tags"], json!(["dialect 002"]), "{m} {path}");
            assert_eq!(
                op["security"],
                json!([{"api_key": [perm]}, {"bearer": [perm]}]),
                "{m} {path}"
            );
            assert!(
                op["operationId"]
                    .as_str()
                    .is_some_and(|id| id.starts_with("seed002_")),
                "{m} {path}"
            );
        }
    }
    let schemas = &doc["components"]["schemas"];
    for s in [
        "Seed002Client",
        "Seed002Location",
        "Seed002ClientBody",
        "Seed002ClientPage",
        "Seed002ListMeta",
        "Seed002ClientInput",
        "Seed002ClientFields",
        "Seed002LocationInput",
    ] {
        assert!(schemas[s].is_object(), "schema {s} missing");
    }
    let client = &schemas["Seed002Client"]["properties"];
    for field in [
        "email_invoice",
        "has_invoice_reminders",
        "primary_location",
        "salesperson",
    ] {
        assert!(client[field].is_object(), "Seed002Client.{field}");
    }
    assert!(doc["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .any(|t| t["name"] == "dialect 002"));
}
