//! Retries, races and the audit trail: ETags, idempotency keys, history and the change feed.

use clientele_api::idempotency::request_hash;
use clientele_core::idempotency::{IdempotencyBegin, IdempotencyScope};
use clientele_core::types::Timestamp;
use clientele_core::WriteCtx;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::common::TestApp;

fn id_of(c: &Value) -> String {
    c["id"].as_str().unwrap_or("").to_string()
}

#[tokio::test]
async fn twenty_concurrent_patches_with_the_same_if_match_let_exactly_one_through() {
    let app = spawn_app!();
    let c = app.create(json!({"name": "Race"})).await;
    let path = format!("/v1/clients/{}", id_of(&c));
    let mut tasks = Vec::new();
    for i in 0..20 {
        let req = app
            .request(Method::PATCH, &path)
            .header("if-match", "\"1\"")
            .header("content-type", "application/json")
            .body(json!({"name": format!("Writer {i}")}).to_string());
        tasks.push(tokio::spawn(
            async move { req.send().await.map(|r| r.status()) },
        ));
    }
    let mut ok = 0;
    let mut failed = 0;
    for t in tasks {
        match t.await.expect("task").expect("response") {
            StatusCode::OK => ok += 1,
            StatusCode::PRECONDITION_FAILED => failed += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!((ok, failed), (1, 19));
    let now = app.get(&path).await;
    assert_eq!(now.data()["version"], 2);
    let history = app.get(&format!("{path}/history")).await;
    assert_eq!(
        history.data().as_array().map(Vec::len),
        Some(2),
        "one create, one update"
    );
}

/// Writes committed together (one transaction for the writes waiting at once): a failing write
/// among them leaves nothing behind, and every other one is kept whole, with its audit record
/// and search entry; the clients are numbered 1 to 21 (a failed create spends no number, and
/// the numbers a batch counted before its failure are taken again).
#[tokio::test]
async fn failing_writes_among_concurrent_ones_leave_nothing_and_spare_the_others() {
    let app = spawn_app!();
    let mut tasks = Vec::new();
    for i in 0..30 {
        // Every third takes the same external id: one of those ten wins, nine fail with 409.
        let body = if i % 3 == 0 {
            json!({"name": format!("Batchmate {i}"), "external_id": "shared"})
        } else {
            json!({"name": format!("Batchmate {i}")})
        };
        let req = app
            .request(Method::POST, "/v1/clients")
            .header("content-type", "application/json")
            .body(body.to_string());
        tasks.push(tokio::spawn(async move {
            let r = req.send().await.expect("response");
            let status = r.status();
            (status, r.json::<Value>().await.expect("json"))
        }));
    }
    let mut created = Vec::new();
    let mut numbers = Vec::new();
    let mut conflicts = 0;
    for t in tasks {
        match t.await.expect("task") {
            (StatusCode::CREATED, body) => {
                created.push(id_of(&body["data"]));
                numbers.push(body["data"]["number"].as_i64().expect("number"));
            }
            (StatusCode::CONFLICT, _) => conflicts += 1,
            (other, body) => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((created.len(), conflicts), (21, 9));
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=21).collect::<Vec<i64>>());
    let listed = app.get("/v1/clients?search=batchmate&limit=100").await;
    let mut found: Vec<String> = listed
        .data()
        .as_array()
        .expect("array")
        .iter()
        .map(id_of)
        .collect();
    found.sort();
    created.sort();
    assert_eq!(
        found, created,
        "every created client, and no other, is searchable"
    );
    for id in &created {
        let history = app.get(&format!("/v1/clients/{id}/history")).await;
        assert_eq!(history.data().as_array().map(Vec::len), Some(1));
    }
}

#[tokio::test]
async fn concurrent_patches_without_if_match_all_apply() {
    let app = spawn_app!();
    let c = app.create(json!({"name": "Merge"})).await;
    let path = format!("/v1/clients/{}", id_of(&c));
    let mut tasks = Vec::new();
    for i in 0..10 {
        let req = app
            .request(Method::PATCH, &path)
            .header("content-type", "application/json")
            .body(json!({"metadata": {format!("k{i}"): "v"}}).to_string());
        tasks.push(tokio::spawn(
            async move { req.send().await.map(|r| r.status()) },
        ));
    }
    for t in tasks {
        assert_eq!(t.await.expect("task").expect("response"), StatusCode::OK);
    }
    let now = app.get(&path).await;
    assert_eq!(
        now.data()["metadata"].as_object().map(|m| m.len()),
        Some(10),
        "no lost update"
    );
    assert_eq!(now.data()["version"], 11);
}

#[tokio::test]
async fn put_and_delete_with_a_stale_if_match_change_nothing() {
    let app = spawn_app!();
    let c = app.create(json!({"name": "A"})).await;
    let path = format!("/v1/clients/{}", id_of(&c));
    app.patch(&path, json!({"name": "B"})).await.data();
    let r = app
        .send(
            app.request(Method::PUT, &path)
                .header("if-match", "\"1\"")
                .header("content-type", "application/json")
                .body(json!({"name": "C"}).to_string()),
        )
        .await;
    r.error(412, "PRECONDITION_FAILED");
    let r = app
        .send(
            app.request(Method::DELETE, &path)
                .header("if-match", "\"1\""),
        )
        .await;
    r.error(412, "PRECONDITION_FAILED");
    let r = app
        .send(
            app.request(Method::DELETE, &path)
                .header("if-match", "W/\"2\""),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::NO_CONTENT,
        "weak comparison of our own tag"
    );
}

#[tokio::test]
async fn a_put_that_changes_nothing_keeps_the_version() {
    let app = spawn_app!();
    let c = app.create(json!({"name": "Same", "email": "a@b.se"})).await;
    let path = format!("/v1/clients/{}", id_of(&c));
    let r = app
        .put(&path, json!({"name": "Same", "email": "a@b.se"}))
        .await;
    assert_eq!(r.data()["version"], 1);
    assert_eq!(r.header("etag"), Some("\"1\""));
}

async fn post_with_key(
    app: &TestApp,
    key: &str,
    api_key: &str,
    body: &Value,
) -> crate::common::Reply {
    app.send(
        app.http
            .post(app.url("/v1/clients"))
            .header("x-api-key", api_key)
            .header("idempotency-key", key)
            .header("content-type", "application/json")
            .body(body.to_string()),
    )
    .await
}

#[tokio::test]
async fn a_retry_with_the_same_key_and_body_replays_the_first_response() {
    let app = spawn_app!();
    let body = json!({"name": "Once", "email": "once@example.com"});
    let first = post_with_key(&app, "k-1", &app.key, &body).await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(first.header("idempotent-replayed"), None);
    let again = post_with_key(&app, "k-1", &app.key, &body).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body, "same body, byte for byte");
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("etag"), first.header("etag"));
    let list = app.get("/v1/clients").await;
    assert_eq!(list.body["meta"]["total"], 1, "created once");
}

#[tokio::test]
async fn the_same_key_with_another_body_is_409() {
    let app = spawn_app!();
    post_with_key(&app, "k-2", &app.key, &json!({"name": "A"})).await;
    let r = post_with_key(&app, "k-2", &app.key, &json!({"name": "B"})).await;
    r.error(409, "CONFLICT");
    // And on another path.
    let r = app
        .send(
            app.request(Method::PUT, "/v1/clients/external-id/x")
                .header("idempotency-key", "k-2")
                .header("content-type", "application/json")
                .body(json!({"name": "A"}).to_string()),
        )
        .await;
    r.error(409, "CONFLICT");
}

#[tokio::test]
async fn a_key_still_in_flight_is_409() {
    let app = spawn_app!();
    let keys = app.store.list_api_keys(app.tenant.id).await.expect("keys");
    let scope = IdempotencyScope {
        tenant: app.tenant.id,
        credential_id: keys[0].id.to_string(),
        key: "busy".into(),
    };
    let body = json!({"name": "A"});
    let hash = request_hash(&Method::POST, "/v1/clients", body.to_string().as_bytes());
    let begun = app
        .store
        .idempotency_begin(&scope, hash, Timestamp::now())
        .await
        .expect("begin");
    assert_eq!(begun, IdempotencyBegin::Started);
    let r = post_with_key(&app, "busy", &app.key, &body).await;
    r.error(409, "CONFLICT");
    assert!(r.body["message"]
        .as_str()
        .is_some_and(|m| m.contains("in progress")));
}

#[tokio::test]
async fn keys_are_scoped_to_the_credential_and_the_tenant() {
    let app = spawn_app!();
    let body = json!({"name": "Scoped"});
    let other_key = app
        .key_with(&[clientele_core::Permission::ClientsWrite])
        .await;
    let (_, other_tenant_key) = app.other_tenant("globex").await;
    let a = post_with_key(&app, "shared", &app.key, &body).await;
    let b = post_with_key(&app, "shared", &other_key, &body).await;
    let c = post_with_key(&app, "shared", &other_tenant_key, &body).await;
    for r in [&a, &b, &c] {
        assert_eq!(r.status, StatusCode::CREATED);
        assert_eq!(r.header("idempotent-replayed"), None);
    }
    assert_ne!(a.body["data"]["id"], b.body["data"]["id"]);
}

#[tokio::test]
async fn validation_failures_are_replayed_too() {
    let app = spawn_app!();
    let body = json!({"name": 5});
    let a = post_with_key(&app, "bad", &app.key, &body).await;
    a.error(400, "VALIDATION_ERROR");
    let b = post_with_key(&app, "bad", &app.key, &body).await;
    assert_eq!(b.header("idempotent-replayed"), Some("true"));
    assert_eq!(a.body, b.body);
}

#[tokio::test]
async fn upserts_honour_idempotency_keys() {
    let app = spawn_app!();
    let put = |name: &str| {
        app.request(Method::PUT, "/v1/clients/external-id/ext-1")
            .header("idempotency-key", "u-1")
            .header("content-type", "application/json")
            .body(json!({"name": name}).to_string())
    };
    let first = app.send(put("A")).await;
    assert_eq!(first.status, StatusCode::CREATED);
    // Someone else changes the client meanwhile; the retry still replays the original answer.
    let path = format!(
        "/v1/clients/{}",
        first.body["data"]["id"].as_str().unwrap_or("")
    );
    app.patch(&path, json!({"name": "Changed"})).await.data();
    let again = app.send(put("A")).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.body, first.body);
    assert_eq!(app.get(&path).await.data()["name"], "Changed");
}

#[tokio::test]
async fn invalid_idempotency_keys_are_refused() {
    let app = spawn_app!();
    let r = post_with_key(&app, &"k".repeat(300), &app.key, &json!({"name": "A"})).await;
    assert_eq!(
        r.error(400, "VALIDATION_ERROR"),
        vec![("Idempotency-Key".into(), "invalid_format".into())]
    );
}

#[tokio::test]
async fn a_write_that_committed_before_its_response_was_recorded_is_not_repeated() {
    let app = spawn_app!();
    let keys = app.store.list_api_keys(app.tenant.id).await.expect("keys");
    let scope = IdempotencyScope {
        tenant: app.tenant.id,
        credential_id: keys[0].id.to_string(),
        key: "crashed".into(),
    };
    let body = json!({"name": "Survivor"});
    let hash = request_hash(&Method::POST, "/v1/clients", body.to_string().as_bytes());
    app.store
        .idempotency_begin(&scope, hash, Timestamp::now())
        .await
        .expect("begin");
    // The write commits together with the key's "committed" mark; then the server "dies".
    let ctx = WriteCtx {
        tenant: app.tenant.id,
        actor: "test".into(),
        idempotency: Some(scope.clone()),
        fill_currency: None,
        import_id: None,
    };
    let data = clientele_core::ClientData::from_json(&body).expect("valid");
    let created = app.store.create_client(&ctx, data).await.expect("create");
    let r = post_with_key(&app, "crashed", &app.key, &body).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.header("idempotent-replayed"), Some("true"));
    assert_eq!(r.data()["id"], created.id.to_string().as_str());
    assert_eq!(app.get("/v1/clients").await.body["meta"]["total"], 1);
}

#[tokio::test]
async fn keys_expire_after_24_hours_and_abandoned_claims_are_taken_over() {
    let app = spawn_app!();
    let scope = IdempotencyScope {
        tenant: app.tenant.id,
        credential_id: "cred".into(),
        key: "old".into(),
    };
    let t0 = Timestamp::now();
    let s = &app.store;
    assert_eq!(
        s.idempotency_begin(&scope, [1; 32], t0).await.expect("b"),
        IdempotencyBegin::Started
    );
    assert_eq!(
        s.idempotency_begin(&scope, [1; 32], t0).await.expect("b"),
        IdempotencyBegin::InFlight
    );
    assert_eq!(
        s.idempotency_begin(&scope, [2; 32], t0).await.expect("b"),
        IdempotencyBegin::Mismatch
    );
    // Three minutes on, the claim is considered abandoned (its server died before committing).
    let later = t0.plus_seconds(180);
    assert_eq!(
        s.idempotency_begin(&scope, [1; 32], later)
            .await
            .expect("b"),
        IdempotencyBegin::Started
    );
    s.idempotency_finish(
        &scope,
        clientele_core::idempotency::StoredResponse {
            status: 201,
            headers: vec![],
            body: b"x".to_vec(),
        },
    )
    .await
    .expect("finish");
    assert!(matches!(
        s.idempotency_begin(&scope, [1; 32], later)
            .await
            .expect("b"),
        IdempotencyBegin::Replay(_)
    ));
    // After 24 hours the key is forgotten: even another body starts afresh.
    let next_day = later.plus_seconds(24 * 3600 + 1);
    assert_eq!(
        s.idempotency_begin(&scope, [2; 32], next_day)
            .await
            .expect("b"),
        IdempotencyBegin::Started
    );
}

#[tokio::test]
async fn history_lists_every_change_newest_first_with_masked_sensitive_values() {
    let app = spawn_app!();
    let c = app
        .create(json!({"name": "Audited", "email": "secret.person@example.com", "org_number": "556677-8899"}))
        .await;
    let path = format!("/v1/clients/{}", id_of(&c));
    app.patch(
        &path,
        json!({"name": "Audited 2", "email": "other.person@example.com"}),
    )
    .await
    .data();
    let r = app.delete(&path).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let h = app.get(&format!("{path}/history")).await;
    let records = h.data().as_array().cloned().unwrap_or_default();
    let actions: Vec<&str> = records
        .iter()
        .map(|r| r["action"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(actions, vec!["deleted", "updated", "created"]);
    let keys = app.store.list_api_keys(app.tenant.id).await.expect("keys");
    for r in &records {
        assert_eq!(r["entity_type"], "client");
        assert_eq!(r["entity_id"], c["id"]);
        assert_eq!(r["actor"], keys[0].id.to_string().as_str());
        assert!(r["at"].as_str().is_some_and(|t| t.ends_with('Z')));
    }
    let updated = &records[1]["changes"];
    assert_eq!(updated["name"], json!(["Audited", "Audited 2"]));
    assert_eq!(updated["email"], json!(["***om", "***om"]));
    assert!(
        updated.get("org_number").is_none(),
        "unchanged fields are left out"
    );
    let created = &records[2]["changes"];
    assert_eq!(created["org_number"], json!([null, "***99"]));
    let text = h.body.to_string();
    assert!(
        !text.contains("secret.person") && !text.contains("556677"),
        "{text}"
    );
    assert_eq!(h.body["meta"]["next_cursor"], Value::Null);
}

#[tokio::test]
async fn history_of_an_id_that_never_existed_is_404() {
    let app = spawn_app!();
    let r = app
        .get(&format!("/v1/clients/{}/history", uuid::Uuid::now_v7()))
        .await;
    r.error(404, "NOT_FOUND");
}

#[tokio::test]
async fn history_pages_with_a_cursor() {
    let app = spawn_app!();
    let c = app.create(json!({"name": "v1"})).await;
    let path = format!("/v1/clients/{}", id_of(&c));
    for i in 2..=5 {
        app.patch(&path, json!({"name": format!("v{i}")}))
            .await
            .data();
    }
    let mut seen = Vec::new();
    let mut url = format!("{path}/history?limit=2");
    for _ in 0..10 {
        let r = app.get(&url).await;
        for rec in r.data().as_array().cloned().unwrap_or_default() {
            seen.push(rec["id"].as_str().unwrap_or("").to_string());
        }
        match r.body["meta"]["next_cursor"].as_str() {
            Some(cur) => url = format!("{path}/history?limit=2&cursor={cur}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5);
    let mut dedup = seen.clone();
    dedup.dedup();
    assert_eq!(dedup.len(), 5);
}

#[tokio::test]
async fn the_event_feed_is_oldest_first_and_resumable() {
    let app = spawn_app!();
    let a = app.create(json!({"name": "A"})).await;
    let b = app.create(json!({"name": "B"})).await;
    app.patch(&format!("/v1/clients/{}", id_of(&a)), json!({"name": "A2"}))
        .await
        .data();
    let r = app.get("/v1/events?limit=2").await;
    let first: Vec<Value> = r.data().as_array().cloned().unwrap_or_default();
    assert_eq!(first.len(), 2);
    assert_eq!(first[0]["entity_id"], a["id"]);
    assert_eq!(first[1]["entity_id"], b["id"]);
    let cursor = r.body["meta"]["next_cursor"]
        .as_str()
        .expect("more follow")
        .to_string();
    let r = app.get(&format!("/v1/events?cursor={cursor}")).await;
    let rest = r.data().as_array().cloned().unwrap_or_default();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0]["action"], "updated");
    assert_eq!(r.body["meta"]["next_cursor"], Value::Null);
    // Polling from the last position returns only what happens afterwards.
    let last = r.body["meta"]["last_cursor"]
        .as_str()
        .expect("last")
        .to_string();
    let empty = app.get(&format!("/v1/events?cursor={last}")).await;
    assert_eq!(empty.data().as_array().map(Vec::len), Some(0));
    assert_eq!(empty.body["meta"]["last_cursor"], last.as_str());
    app.delete(&format!("/v1/clients/{}", id_of(&b))).await;
    let newer = app.get(&format!("/v1/events?cursor={last}")).await;
    let newer = newer.data().as_array().cloned().unwrap_or_default();
    assert_eq!(newer.len(), 1);
    assert_eq!(newer[0]["action"], "deleted");
}

/// One tenant's feed positions count its own records only: another tenant's writes between them
/// move neither its cursors nor the positions of its records (security probe, issue 22 #4).
#[tokio::test]
async fn another_tenants_writes_do_not_move_a_tenants_feed_positions() {
    let app = spawn_app!();
    let as_tenant = |key: &str, method: Method, path: &str, body: Option<Value>| {
        let mut req = app
            .http
            .request(method, app.url(path))
            .header("x-api-key", key);
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        req
    };
    let (_, busy) = app.other_tenant("busy").await;
    let (_, quiet) = app.other_tenant("quiet").await;
    let last_cursor = |r: &crate::common::Reply| {
        r.body["meta"]["last_cursor"]
            .as_str()
            .expect("a last cursor")
            .to_string()
    };
    // The app's tenant writes, then another tenant writes a lot, then the app's tenant again.
    app.create(json!({"name": "Mine 1"})).await;
    let first = last_cursor(&app.get("/v1/events").await);
    for i in 0..5 {
        let r = app
            .send(as_tenant(
                &busy,
                Method::POST,
                "/v1/clients",
                Some(json!({"name": format!("Busy {i}")})),
            ))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    assert_eq!(
        last_cursor(&app.get("/v1/events").await),
        first,
        "another tenant's writes do not move the end of this tenant's feed"
    );
    app.create(json!({"name": "Mine 2"})).await;
    let r = app.get(&format!("/v1/events?cursor={first}")).await;
    let newer = r.data().as_array().cloned().unwrap_or_default();
    assert_eq!(newer.len(), 1);
    assert_eq!(newer[0]["changes"]["name"][1], "Mine 2");
    let mine = last_cursor(&r);
    // A tenant with the same two writes of its own and nobody writing in between reaches the
    // same positions: they reveal nothing of anyone else's writes.
    for i in 1..=2 {
        let r = app
            .send(as_tenant(
                &quiet,
                Method::POST,
                "/v1/clients",
                Some(json!({"name": format!("Quiet {i}")})),
            ))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let r = app
        .send(as_tenant(&quiet, Method::GET, "/v1/events?limit=1", None))
        .await;
    assert_eq!(r.body["meta"]["last_cursor"], first.as_str());
    let r = app
        .send(as_tenant(&quiet, Method::GET, "/v1/events", None))
        .await;
    assert_eq!(last_cursor(&r), mine);
    // History cursors are feed positions too.
    let c = app.create(json!({"name": "Mine 3"})).await;
    let h = app.get(&format!("/v1/clients/{}/history", id_of(&c))).await;
    assert_eq!(h.data().as_array().map(Vec::len), Some(1));
    let r = app.get(&format!("/v1/events?cursor={mine}")).await;
    assert_eq!(h.body["meta"]["last_cursor"], r.body["meta"]["last_cursor"]);
}

/// Many writers of one tenant (creates, and patches of one shared client) while a reader walks
/// the feed with its cursors: what the reader collected during and after the writes is exactly
/// the whole feed read afterwards, in the same order (nothing was skipped or put behind a
/// cursor), and the shared client's changes appear in the order they committed (each one's old
/// name is the previous one's new name).
#[tokio::test]
async fn a_feed_walked_during_concurrent_writes_skips_nothing_and_keeps_commit_order() {
    const WRITERS: usize = 8;
    const EACH: usize = 12;
    let app = spawn_app!();
    let shared = app.create(json!({"name": "v0"})).await;
    let shared_id = id_of(&shared);
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let reqs: Vec<_> = (0..EACH)
            .map(|i| {
                let body = json!({"name": format!("w{w}-{i}")}).to_string();
                let req = if i % 2 == 0 {
                    app.request(Method::POST, "/v1/clients")
                } else {
                    app.request(Method::PATCH, &format!("/v1/clients/{shared_id}"))
                };
                req.header("content-type", "application/json").body(body)
            })
            .collect();
        writers.push(tokio::spawn(async move {
            for req in reqs {
                let status = req.send().await.map(|r| r.status());
                assert!(matches!(status, Ok(s) if s.is_success()), "{status:?}");
            }
        }));
    }
    let expected = 1 + WRITERS * EACH;
    let app = &app;
    let walk_page = |cursor: Option<String>| {
        let path = match &cursor {
            Some(c) => format!("/v1/events?limit=7&cursor={c}"),
            None => "/v1/events?limit=7".to_string(),
        };
        async move {
            let r = app.get(&path).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            let ids: Vec<Value> = r.data().as_array().cloned().unwrap_or_default();
            let last = r.body["meta"]["last_cursor"].as_str().map(str::to_string);
            (ids, last.or(cursor))
        }
    };
    // The reader walks while the writers write, then on until it has seen every record.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let (mut walked, mut cursor) = (Vec::new(), None);
    for _ in 0..10_000 {
        assert!(
            std::time::Instant::now() < deadline,
            "the walk took too long"
        );
        let (page, next) = walk_page(cursor.clone()).await;
        walked.extend(page);
        cursor = next;
        if walked.len() >= expected && writers.iter().all(|w| w.is_finished()) {
            break;
        }
        if walked.len() >= expected {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
    for w in writers {
        w.await.expect("writer");
    }
    // Nothing new appears behind the reader's last cursor.
    let (after, _) = walk_page(cursor).await;
    assert!(
        after.is_empty(),
        "records appeared behind a cursor: {after:?}"
    );
    // The whole feed, read at rest.
    let (mut full, mut cursor) = (Vec::new(), None);
    for _ in 0..1_000 {
        let (page, next) = walk_page(cursor).await;
        if page.is_empty() {
            break;
        }
        full.extend(page);
        cursor = next;
    }
    let ids = |v: &[Value]| v.iter().map(|r| r["id"].clone()).collect::<Vec<_>>();
    assert_eq!(full.len(), expected);
    assert_eq!(
        ids(&walked),
        ids(&full),
        "the walk during the writes skipped or reordered"
    );
    let mut name = json!("v0");
    let mut patches = 0;
    for r in full.iter().filter(|r| r["entity_id"] == shared_id.as_str()) {
        if r["action"] == "updated" {
            assert_eq!(r["changes"]["name"][0], name, "out of commit order: {r}");
            name = r["changes"]["name"][1].clone();
            patches += 1;
        }
    }
    assert_eq!(patches, WRITERS * EACH / 2);
}

#[tokio::test]
async fn bad_feed_parameters_are_validation_errors() {
    let app = spawn_app!();
    for (q, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("cursor=zzz", "cursor"),
        ("since=1", "since"),
    ] {
        let r = app.get(&format!("/v1/events?{q}")).await;
        let d = r.error(400, "VALIDATION_ERROR");
        assert_eq!(d[0].0, field, "{q}");
    }
}
