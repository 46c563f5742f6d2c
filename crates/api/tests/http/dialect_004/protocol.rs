//! Seed 004's errors and the native protocol on its routes: the error DTO and its field names,
//! ETags and conditional requests, idempotency keys, permissions, tenants, rate-limit headers,
//! request ids, `Cache-Control` and methods the seed does not document.

use clientele_api::idempotency::request_hash;
use clientele_core::enums::Permission;
use clientele_core::idempotency::IdempotencyScope;
use clientele_core::service::{self, NewClientDocs};
use clientele_core::types::Timestamp;
use clientele_core::WriteCtx;
use reqwest::Method;
use serde_json::{json, Value};

use super::{at, contacts_of, create, sample, seed_error, BASE};
use crate::common::TestApp;

#[tokio::test]
async fn validation_errors_name_this_dialects_fields() {
    let app = spawn_app!();
    let r = app
        .post(
            BASE,
            json!({"name": "", "creditLimit": -5, "usedLimit": "x", "point": {"lng": 200, "lat": 1},
                   "country": "XX", "email": "nope", "partnerType": "industry",
                   "legal_name": "native name", "paymentTerms": 99999,
                   "streetAndNumber": 5}),
        )
        .await;
    let mut fields = seed_error(&r, 400, "VALIDATION_ERROR");
    fields.sort();
    // Wrong shapes (unknown fields, enum values, types of the mapped fields) are found first;
    // the rest by the core, under this dialect's names.
    assert_eq!(
        fields,
        vec![
            ("legal_name".into(), "unknown_field".into()),
            ("partnerType".into(), "invalid_value".into()),
            ("streetAndNumber".into(), "invalid_type".into()),
        ]
    );
    let r = app
        .post(
            BASE,
            json!({"name": "", "creditLimit": -5, "usedLimit": "x", "point": {"lng": 200, "lat": 1},
                   "country": "XX", "email": "nope", "paymentTerms": 99999,
                   "streetAndNumber": "x".repeat(201)}),
        )
        .await;
    let mut fields = seed_error(&r, 400, "VALIDATION_ERROR");
    fields.sort();
    assert_eq!(
        fields,
        vec![
            ("country".into(), "invalid_format".into()),
            ("creditLimit".into(), "out_of_range".into()),
            ("email".into(), "invalid_format".into()),
            ("name".into(), "too_short".into()),
            ("paymentTerms".into(), "out_of_range".into()),
            ("point.lng".into(), "out_of_range".into()),
            ("streetAndNumber".into(), "too_long".into()),
            ("usedLimit".into(), "invalid_type".into()),
        ]
    );
    let r = app.post(BASE, json!({"creditLimit": -1})).await;
    let body = &r.body;
    assert_eq!(body["status"], 400);
    assert_eq!(body["success"], false);
    assert_eq!(body["error"], "VALIDATION_ERROR");
    let r = app.post(BASE, json!([1])).await;
    assert_eq!(
        seed_error(&r, 400, "VALIDATION_ERROR"),
        vec![("body".into(), "invalid_type".into())]
    );
    let r = app.get(&at("not-a-uuid")).await;
    assert_eq!(
        seed_error(&r, 400, "VALIDATION_ERROR"),
        vec![("id".into(), "invalid_format".into())]
    );
    let r = app.get(&format!("{BASE}?limit=101&page=0")).await;
    assert_eq!(
        seed_error(&r, 400, "VALIDATION_ERROR"),
        vec![("limit".into(), "out_of_range".into())]
    );
    let r = app.get(&format!("{BASE}?status=active")).await;
    assert_eq!(
        seed_error(&r, 400, "VALIDATION_ERROR"),
        vec![("status".into(), "invalid_value".into())]
    );
}

#[tokio::test]
async fn not_found_and_conflicts_use_the_seed_error_dto() {
    let app = spawn_app!();
    let r = app.get(&at(&uuid::Uuid::now_v7().to_string())).await;
    seed_error(&r, 404, "NOT_FOUND");
    assert_eq!(r.body["message"], "No such client");
    seed_error(
        &app.get(&format!("{BASE}/external-id/none")).await,
        404,
        "NOT_FOUND",
    );
    create(&app, json!({"name": "A", "externalId": "X-1"})).await;
    let r = app
        .post(BASE, json!({"name": "B", "externalId": "X-1"}))
        .await;
    seed_error(&r, 409, "CONFLICT");
    assert_eq!(
        r.body["message"],
        "Another client already has this externalId"
    );
    let r = app
        .get("/master-data/v1/client-management/nothing-here")
        .await;
    seed_error(&r, 404, "NOT_FOUND");
}

#[tokio::test]
async fn etags_cover_the_contact_persons_and_guard_writes() {
    let app = spawn_app!();
    let c = create(&app, sample()).await;
    let id = c["id"].as_str().expect("id");
    let first = app.get(&at(id)).await;
    let etag = first.header("etag").expect("etag").to_string();
    let cond = |tag: &str, name: &'static str| {
        app.request(Method::GET, &at(id))
            .header(name, tag.to_string())
    };
    let r = app.send(cond(&etag, "if-none-match")).await;
    assert_eq!(r.status.as_u16(), 304);
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    // A change to a contact person changes the client's representation, so its ETag.
    let cp = c["contactPersons"][0]["id"].as_str().expect("cp");
    let r = app
        .patch(
            &format!("{}/{cp}", contacts_of(id)),
            json!({"phone": "+49 1"}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 200);
    let r = app.send(cond(&etag, "if-none-match")).await;
    assert_eq!(r.status.as_u16(), 200);
    let etag2 = r.header("etag").expect("etag").to_string();
    assert_ne!(etag2, etag);
    // If-Match compares the client's version.
    let stale = app
        .send(
            app.request(Method::PATCH, &at(id))
                .header("if-match", "\"999\"")
                .header("content-type", "application/json")
                .body(json!({"name": "X"}).to_string()),
        )
        .await;
    seed_error(&stale, 412, "PRECONDITION_FAILED");
    let ok = app
        .send(
            app.request(Method::PATCH, &at(id))
                .header("if-match", etag2.clone())
                .header("content-type", "application/json")
                .body(json!({"name": "X"}).to_string()),
        )
        .await;
    assert_eq!(ok.status.as_u16(), 200, "{}", ok.body);
    let r = app
        .send(
            app.request(Method::DELETE, &at(id))
                .header("if-match", etag2),
        )
        .await;
    seed_error(&r, 412, "PRECONDITION_FAILED");
    // A contact person has the native ETag of its own version.
    let r = app.get(&format!("{}/{cp}", contacts_of(id))).await;
    let tag = r.header("etag").expect("etag").to_string();
    let r = app
        .send(
            app.request(Method::GET, &format!("{}/{cp}", contacts_of(id)))
                .header("if-none-match", tag.clone()),
        )
        .await;
    assert_eq!(r.status.as_u16(), 304);
    let r = app
        .send(
            app.request(Method::DELETE, &format!("{}/{cp}", contacts_of(id)))
                .header("if-match", "\"1\""),
        )
        .await;
    seed_error(&r, 412, "PRECONDITION_FAILED");
    // `/v1`'s ETag of a client without contacts is this dialect's too.
    let bare = create(&app, json!({"name": "Bare"})).await;
    let bid = bare["id"].as_str().expect("id");
    assert_eq!(
        app.get(&at(bid)).await.header("etag"),
        app.get(&format!("/v1/clients/{bid}")).await.header("etag")
    );
}

fn post_with_key(app: &TestApp, path: &str, key: &str, body: &Value) -> reqwest::RequestBuilder {
    app.request(Method::POST, path)
        .header("idempotency-key", key)
        .header("content-type", "application/json")
        .body(body.to_string())
}

#[tokio::test]
async fn idempotency_keys_replay_creates() {
    let app = spawn_app!();
    let first = app.send(post_with_key(&app, BASE, "k-1", &sample())).await;
    assert_eq!(first.status.as_u16(), 201);
    let again = app.send(post_with_key(&app, BASE, "k-1", &sample())).await;
    assert_eq!(again.status.as_u16(), 201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("location"), first.header("location"));
    let other = app
        .send(post_with_key(&app, BASE, "k-1", &json!({"name": "Other"})))
        .await;
    seed_error(&other, 409, "CONFLICT");
    assert_eq!(app.get(BASE).await.body["meta"]["total"], 1);
    let cid = first.body["id"].as_str().expect("id");
    let body = json!({"name": "Kim"});
    let a = app
        .send(post_with_key(&app, &contacts_of(cid), "k-2", &body))
        .await;
    let b = app
        .send(post_with_key(&app, &contacts_of(cid), "k-2", &body))
        .await;
    assert_eq!((a.status.as_u16(), b.status.as_u16()), (201, 201));
    assert_eq!(a.body, b.body);
    assert_eq!(app.get(&contacts_of(cid)).await.body["meta"]["total"], 3);
}

#[tokio::test]
async fn a_create_that_committed_before_its_response_was_recorded_answers_in_this_shape() {
    let app = spawn_app!();
    let keys = app.store.list_api_keys(app.tenant.id).await.expect("keys");
    let scope = IdempotencyScope {
        tenant: app.tenant.id,
        credential_id: keys[0].id.to_string(),
        key: "crashed".into(),
    };
    let body = json!({"name": "Survivor", "contactPersons": [{"name": "Eva"}]});
    let hash = request_hash(&Method::POST, BASE, body.to_string().as_bytes());
    app.store
        .idempotency_begin(&scope, hash, Timestamp::now())
        .await
        .expect("begin");
    // The write commits with the key marked; then the server "dies" before answering.
    let mut ctx = WriteCtx::new(app.tenant.id, "test").filling_currency_of(&app.tenant);
    ctx.idempotency = Some(scope);
    let docs = NewClientDocs {
        contact_persons: vec![json!({"name": "Eva"})],
        ..NewClientDocs::client(json!({"name": "Survivor"}))
    };
    let created = service::create_client_with_subs(app.store.as_ref(), &ctx, &docs)
        .await
        .expect("create");
    let r = app.send(post_with_key(&app, BASE, "crashed", &body)).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    assert_eq!(r.header("idempotent-replayed"), Some("true"));
    let id = created.client.id.to_string();
    assert_eq!(r.header("location"), Some(at(&id).as_str()));
    assert_eq!(r.body, app.get(&at(&id)).await.body);
    assert_eq!(r.body["contactPersons"][0]["name"], "Eva");
    assert_eq!(app.get(BASE).await.body["meta"]["total"], 1);

    // The same for a contact person: answered as this dialect shows it, with its Location.
    let scope = IdempotencyScope {
        key: "crashed-contact".into(),
        ..ctx.idempotency.clone().expect("scope")
    };
    let body = json!({"name": "Kim"});
    let path = contacts_of(&id);
    let hash = request_hash(&Method::POST, &path, body.to_string().as_bytes());
    app.store
        .idempotency_begin(&scope, hash, Timestamp::now())
        .await
        .expect("begin");
    ctx.idempotency = Some(scope);
    let kim = service::create_sub(
        app.store.as_ref(),
        &ctx,
        clientele_core::sub::SubKind::ContactPerson,
        created.client.id,
        &body,
    )
    .await
    .expect("create");
    let r = app
        .send(post_with_key(&app, &path, "crashed-contact", &body))
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    assert_eq!(r.header("idempotent-replayed"), Some("true"));
    let kim_path = format!("{path}/{}", kim.id);
    assert_eq!(r.header("location"), Some(kim_path.as_str()));
    assert_eq!(r.body, app.get(&kim_path).await.body);
    assert_eq!(r.body["isMain"], false);
}

#[tokio::test]
async fn permissions_are_the_native_ones() {
    let app = spawn_app!();
    let c = create(
        &app,
        json!({"name": "A", "contactPersons": [{"name": "Eva"}]}),
    )
    .await;
    let id = c["id"].as_str().expect("id");
    let cp = c["contactPersons"][0]["id"].as_str().expect("cp");
    let cp_path = format!("{}/{cp}", contacts_of(id));
    let read = app.key_with(&[Permission::ClientsRead]).await;
    let write = app
        .key_with(&[Permission::ClientsRead, Permission::ClientsWrite])
        .await;
    let call = |key: &str, m: Method, path: &str, body: Option<Value>| {
        let mut req = app.http.request(m, app.url(path)).header("x-api-key", key);
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        app.send(req)
    };
    for path in [BASE.to_string(), at(id), contacts_of(id), cp_path.clone()] {
        let r = call(&read, Method::GET, &path, None).await;
        assert_eq!(r.status.as_u16(), 200, "{path}");
    }
    let r = call(&read, Method::POST, BASE, Some(json!({"name": "B"}))).await;
    seed_error(&r, 403, "FORBIDDEN");
    let r = call(&read, Method::PATCH, &cp_path, Some(json!({"name": "B"}))).await;
    seed_error(&r, 403, "FORBIDDEN");
    let r = call(&write, Method::PATCH, &at(id), Some(json!({"name": "B"}))).await;
    assert_eq!(r.status.as_u16(), 200);
    seed_error(
        &call(&write, Method::DELETE, &cp_path, None).await,
        403,
        "FORBIDDEN",
    );
    seed_error(
        &call(&write, Method::DELETE, &at(id), None).await,
        403,
        "FORBIDDEN",
    );
    let r = app.send(app.http.get(app.url(BASE))).await;
    seed_error(&r, 401, "UNAUTHORIZED");
    let r = call("not-a-key", Method::GET, BASE, None).await;
    seed_error(&r, 401, "UNAUTHORIZED");
}

#[tokio::test]
async fn another_tenants_clients_and_contacts_are_404() {
    let app = spawn_app!();
    let c = create(
        &app,
        json!({"name": "Mine", "externalId": "E", "contactPersons": [{"name": "Eva"}]}),
    )
    .await;
    let id = c["id"].as_str().expect("id");
    let cp = c["contactPersons"][0]["id"].as_str().expect("cp");
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
    let cp_path = format!("{}/{cp}", contacts_of(id));
    for (m, path, body) in [
        (Method::GET, at(id), None),
        (Method::GET, format!("{BASE}/external-id/E"), None),
        (Method::PATCH, at(id), Some(json!({"name": "Theirs"}))),
        (Method::DELETE, at(id), None),
        (Method::GET, contacts_of(id), None),
        (Method::POST, contacts_of(id), Some(json!({"name": "Spy"}))),
        (Method::GET, cp_path.clone(), None),
        (Method::PATCH, cp_path.clone(), Some(json!({"name": "Spy"}))),
        (Method::DELETE, cp_path.clone(), None),
    ] {
        let r = call(m.clone(), path.clone(), body).await;
        seed_error(&r, 404, "NOT_FOUND");
    }
    let r = call(Method::GET, BASE.to_string(), None).await;
    assert_eq!(r.body["meta"]["total"], 0);
    assert_eq!(app.get(&at(id)).await.body, c);
    // Each tenant's own organisation.
    let mine = create(&app, json!({"name": "x"})).await;
    let theirs = call(Method::POST, BASE.to_string(), Some(json!({"name": "y"}))).await;
    assert_ne!(mine["organization"], theirs.body["organization"]);
    assert_eq!(theirs.body["number"], 1);
}

#[tokio::test]
async fn answers_carry_request_ids_rate_limits_and_no_store() {
    let app = spawn_app!();
    let c = create(&app, json!({"name": "A"})).await;
    let id = c["id"].as_str().expect("id");
    for path in [BASE.to_string(), at(id), contacts_of(id)] {
        let r = app
            .send(
                app.request(Method::GET, &path)
                    .header("x-request-id", "req-004.1"),
            )
            .await;
        assert_eq!(r.header("x-request-id"), Some("req-004.1"), "{path}");
        assert!(r.header("ratelimit-limit").is_some(), "{path}");
        assert!(r.header("ratelimit-remaining").is_some(), "{path}");
        assert_eq!(r.header("cache-control"), Some("no-store"), "{path}");
    }
    let r = app.get(&at("bad")).await;
    assert_eq!(
        r.body["request_id"].as_str(),
        r.header("x-request-id"),
        "the error body carries the request id"
    );
}

#[tokio::test]
async fn methods_the_seed_does_not_document_are_405_with_allow() {
    let app = spawn_app!();
    let c = create(
        &app,
        json!({"name": "A", "contactPersons": [{"name": "Eva"}]}),
    )
    .await;
    let id = c["id"].as_str().expect("id");
    let cp = c["contactPersons"][0]["id"].as_str().expect("cp");
    for (m, path, allowed) in [
        (Method::DELETE, BASE.to_string(), vec!["GET", "POST"]),
        (Method::PUT, BASE.to_string(), vec!["GET", "POST"]),
        (Method::PUT, at(id), vec!["GET", "PATCH", "DELETE"]),
        (Method::POST, at(id), vec!["GET", "PATCH", "DELETE"]),
        (Method::PATCH, format!("{BASE}/external-id/x"), vec!["GET"]),
        (Method::DELETE, contacts_of(id), vec!["GET", "POST"]),
        (
            Method::PUT,
            format!("{}/{cp}", contacts_of(id)),
            vec!["GET", "PATCH", "DELETE"],
        ),
        (
            Method::DELETE,
            format!("{}/external-id/x", contacts_of(id)),
            vec!["GET"],
        ),
    ] {
        let r = app
            .send(
                app.request(m.clone(), &path)
                    .header("content-type", "application/json")
                    .body("{}"),
            )
            .await;
        seed_error(&r, 405, "METHOD_NOT_ALLOWED");
        let mut allow: Vec<&str> = r.header("allow").unwrap_or("").split(", ").collect();
        allow.sort_unstable();
        let mut allowed = allowed;
        allowed.sort_unstable();
        assert_eq!(allow, allowed, "{m} {path}: exactly the documented methods");
    }
}

#[test]
fn the_routes_are_documented_under_their_own_tag_with_camel_case_schemas() {
    let doc = serde_json::to_value(clientele_api::openapi()).expect("json");
    let clients = "/master-data/v1/client-management/clients";
    let contacts = format!("{clients}/{{clientId}}/contact-persons");
    for (path, methods) in [
        (
            clients.to_string(),
            vec![("get", "clients:read"), ("post", "clients:write")],
        ),
        (
            format!("{clients}/{{id}}"),
            vec![
                ("get", "clients:read"),
                ("patch", "clients:write"),
                ("delete", "clients:delete"),
            ],
        ),
        (
            format!("{clients}/external-id/{{externalId}}"),
            vec![("get", "clients:read")],
        ),
        (
            contacts.clone(),
            vec![("get", "clients:read"), ("post", "clients:write")],
        ),
        (
            format!("{contacts}/{{id}}"),
            vec![
                ("get", "clients:read"),
                ("patch", "clients:write"),
                ("delete", "clients:delete"),
            ],
        ),
        (
            format!("{contacts}/external-id/{{externalId}}"),
            vec![("get", "clients:read")],
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
            assert_eq!(op["tags"], json!(["dialect 004"]), "{m} {path}");
            assert_eq!(
                op["security"],
                json!([{"api_key": [perm]}, {"bearer": [perm]}]),
                "{m} {path}"
            );
            assert!(
                op["operationId"]
                    .as_str()
                    .is_some_and(|id| id.starts_with("seed004_")),
                "{m} {path}"
            );
        }
    }
    let schemas = &doc["components"]["schemas"];
    let client = &schemas["Seed004Client"]["properties"];
    for field in [
        "externalId",
        "creditLimit",
        "streetAndNumber",
        "contactPersons",
        "organization",
    ] {
        assert!(client[field].is_object(), "Seed004Client.{field}");
    }
    assert!(client["external_id"].is_null());
    for s in [
        "Seed004ContactPerson",
        "Seed004ClientPage",
        "Seed004ContactPersonPage",
        "Seed004ListMeta",
        "Seed004ClientInput",
        "Seed004ContactPersonInput",
        "Seed004Point",
    ] {
        assert!(schemas[s].is_object(), "schema {s} missing");
    }
    assert_eq!(
        schemas["Seed004PartnerType"]["enum"],
        json!([
            "CITY_COMMUNITY",
            "CONSTRUCTION",
            "INDUSTRY",
            "OTHER",
            "PRIVATE"
        ])
    );
    assert!(doc["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .any(|t| t["name"] == "dialect 004"));
}
