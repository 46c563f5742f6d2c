//! Contact persons, locations and accounts: CRUD, invariants under concurrency, expand, cascade.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::common::TestApp;

async fn client(app: &TestApp) -> String {
    app.create(json!({"name": "Parent"})).await["id"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

async fn add(app: &TestApp, cid: &str, seg: &str, body: Value) -> Value {
    let r = app.post(&format!("/v1/clients/{cid}/{seg}"), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body["data"].clone()
}

fn sid(v: &Value) -> String {
    v["id"].as_str().unwrap_or("").to_string()
}

#[tokio::test]
async fn contact_persons_support_every_verb() {
    let app = spawn_app!();
    let cid = client(&app).await;
    let base = format!("/v1/clients/{cid}/contact-persons");
    let r = app
        .post(
            &base,
            json!({"name": "Eva Ek", "job_title": "CFO", "department": "Finance",
                            "email": "eva@example.com", "phone": "+46 8 1", "mobile": "070-1",
                            "external_id": "cp-1"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let cp = r.data().clone();
    let path = format!("{base}/{}", sid(&cp));
    assert_eq!(r.header("location"), Some(path.as_str()));
    assert_eq!(r.header("etag"), Some("\"1\""));
    assert_eq!(cp["client_id"], cid.as_str());
    assert_eq!(cp["is_main"], true, "the first contact becomes main");
    for k in [
        "created_at",
        "updated_at",
        "version",
        "job_title",
        "department",
        "mobile",
    ] {
        assert!(cp.get(k).is_some(), "{k}");
    }
    assert_eq!(app.get(&path).await.data(), &cp);
    let by_ext = app.get(&format!("{base}/external-id/cp-1")).await;
    assert_eq!(by_ext.data()["id"], cp["id"]);
    let patched = app
        .patch(&path, json!({"job_title": null, "phone": "+46 8 2"}))
        .await;
    assert_eq!(patched.data()["job_title"], Value::Null);
    assert_eq!(patched.data()["department"], "Finance");
    assert_eq!(patched.data()["version"], 2);
    let replaced = app.put(&path, json!({"name": "Eva Ek"})).await;
    let d = replaced.data();
    assert_eq!(d["email"], Value::Null, "PUT resets optional fields");
    assert_eq!(d["external_id"], Value::Null);
    assert_eq!(d["is_main"], false);
    let list = app.get(&base).await;
    assert_eq!(list.body["meta"]["total"], 1);
    assert_eq!(app.delete(&path).await.status, StatusCode::NO_CONTENT);
    app.get(&path).await.error(404, "NOT_FOUND");
}

#[tokio::test]
async fn locations_and_accounts_support_every_verb() {
    let app = spawn_app!();
    let cid = client(&app).await;
    let loc = add(
        &app,
        &cid,
        "locations",
        json!({"name": "HQ", "billing_email": "ap@example.com",
        "phone_primary": "+46 8 1", "phone_secondary": "+46 8 2", "fax": "+46 8 3",
        "address": {"city": "Lund", "country": "se"}, "notes": "Dock 4"}),
    )
    .await;
    assert_eq!(loc["is_primary"], true);
    assert_eq!(loc["address"]["country"], "SE");
    let lpath = format!("/v1/clients/{cid}/locations/{}", sid(&loc));
    let p = app
        .patch(&lpath, json!({"address": {"street": "Storgatan"}}))
        .await;
    assert_eq!(p.data()["address"]["city"], "Lund");
    assert_eq!(p.data()["address"]["street"], "Storgatan");
    let acc = add(
        &app,
        &cid,
        "accounts",
        json!({"name": "Main account", "external_code": "ACC-1"}),
    )
    .await;
    assert_eq!(acc["status"], "active");
    let apath = format!("/v1/clients/{cid}/accounts/{}", sid(&acc));
    let p = app
        .put(&apath, json!({"name": "Renamed", "status": "inactive"}))
        .await;
    assert_eq!(p.data()["external_code"], Value::Null);
    assert_eq!(p.data()["status"], "inactive");
    assert_eq!(app.delete(&lpath).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.delete(&apath).await.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn sub_resource_bodies_are_validated_by_field() {
    let app = spawn_app!();
    let cid = client(&app).await;
    for (seg, body, field, code) in [
        ("contact-persons", json!({}), "name", "required"),
        (
            "contact-persons",
            json!({"name": "A", "email": "nope"}),
            "email",
            "invalid_format",
        ),
        (
            "contact-persons",
            json!({"name": "A", "is_main": "yes"}),
            "is_main",
            "invalid_type",
        ),
        (
            "contact-persons",
            json!({"name": "A", "nickname": "x"}),
            "nickname",
            "unknown_field",
        ),
        (
            "contact-persons",
            json!({"name": "A", "external_id": "x".repeat(129)}),
            "external_id",
            "too_long",
        ),
        (
            "locations",
            json!({"name": "A", "address": {"latitude": 100}}),
            "address.latitude",
            "out_of_range",
        ),
        (
            "locations",
            json!({"name": "A", "phone_primary": "abc"}),
            "phone_primary",
            "invalid_format",
        ),
        (
            "accounts",
            json!({"name": "A", "status": "closed"}),
            "status",
            "invalid_value",
        ),
        ("accounts", json!({"name": ""}), "name", "too_short"),
    ] {
        let r = app
            .post(&format!("/v1/clients/{cid}/{seg}"), body.clone())
            .await;
        assert_eq!(
            r.error(400, "VALIDATION_ERROR"),
            vec![(field.to_string(), code.to_string())],
            "{seg} {body}"
        );
    }
}

#[tokio::test]
async fn setting_a_new_main_contact_clears_the_old_one() {
    let app = spawn_app!();
    let cid = client(&app).await;
    let a = add(&app, &cid, "contact-persons", json!({"name": "A"})).await;
    let b = add(&app, &cid, "contact-persons", json!({"name": "B"})).await;
    assert_eq!(
        (a["is_main"].clone(), b["is_main"].clone()),
        (json!(true), json!(false))
    );
    let c = add(
        &app,
        &cid,
        "contact-persons",
        json!({"name": "C", "is_main": true}),
    )
    .await;
    assert_eq!(c["is_main"], true);
    let a_now = app
        .get(&format!("/v1/clients/{cid}/contact-persons/{}", sid(&a)))
        .await;
    assert_eq!(a_now.data()["is_main"], false);
    assert_eq!(
        a_now.data()["version"],
        2,
        "the cleared contact changed too"
    );
    app.patch(
        &format!("/v1/clients/{cid}/contact-persons/{}", sid(&b)),
        json!({"is_main": true}),
    )
    .await
    .data();
    let list = app.get(&format!("/v1/clients/{cid}/contact-persons")).await;
    let mains: Vec<String> = list
        .data()
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|p| p["is_main"] == true)
        .map(sid)
        .collect();
    assert_eq!(mains, vec![sid(&b)]);
}

#[tokio::test]
async fn deleting_the_main_contact_hands_the_flag_to_the_oldest_remaining() {
    let app = spawn_app!();
    let cid = client(&app).await;
    let a = add(&app, &cid, "contact-persons", json!({"name": "A"})).await;
    let b = add(&app, &cid, "contact-persons", json!({"name": "B"})).await;
    let c = add(&app, &cid, "contact-persons", json!({"name": "C"})).await;
    app.delete(&format!("/v1/clients/{cid}/contact-persons/{}", sid(&a)))
        .await;
    let list = app.get(&format!("/v1/clients/{cid}/contact-persons")).await;
    let flags: Vec<(String, Value)> = list
        .data()
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|p| (sid(p), p["is_main"].clone()))
        .collect();
    assert_eq!(flags, vec![(sid(&c), json!(false)), (sid(&b), json!(true))]);
}

#[tokio::test]
async fn twenty_concurrent_make_me_main_requests_leave_exactly_one_main() {
    let app = spawn_app!();
    let cid = client(&app).await;
    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(sid(&add(
            &app,
            &cid,
            "contact-persons",
            json!({"name": format!("P{i}")}),
        )
        .await));
    }
    let mut tasks = Vec::new();
    for id in &ids {
        let req = app
            .request(
                Method::PATCH,
                &format!("/v1/clients/{cid}/contact-persons/{id}"),
            )
            .header("content-type", "application/json")
            .body(json!({"is_main": true}).to_string());
        tasks.push(tokio::spawn(
            async move { req.send().await.map(|r| r.status()) },
        ));
    }
    for t in tasks {
        assert_eq!(t.await.expect("task").expect("response"), StatusCode::OK);
    }
    let list = app
        .get(&format!("/v1/clients/{cid}/contact-persons?limit=100"))
        .await;
    let mains = list
        .data()
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|p| p["is_main"] == true)
        .count();
    assert_eq!(mains, 1);
}

#[tokio::test]
async fn a_holder_that_lowers_its_flag_hands_it_to_the_oldest_sibling() {
    let app = spawn_app!();
    let cid = client(&app).await;
    for (kind, flag) in [("contact-persons", "is_main"), ("locations", "is_primary")] {
        let path = |v: &Value| format!("/v1/clients/{cid}/{kind}/{}", sid(v));
        let a = add(&app, &cid, kind, json!({"name": "A"})).await;
        assert_eq!(a[flag], true, "{kind}: the first takes the flag");
        // An only item may lower it (at most one holder; nothing to hand it to) ...
        let only = app.patch(&path(&a), json!({ flag: false })).await;
        assert_eq!(only.data()[flag], false, "{kind}");
        // ... and the next item takes it, since no item holds it.
        let b = add(&app, &cid, kind, json!({"name": "B"})).await;
        assert_eq!(b[flag], true, "{kind}: taken when nobody holds it");
        let c = add(&app, &cid, kind, json!({"name": "C"})).await;
        assert_eq!(c[flag], false, "{kind}");
        // The holder lowering its flag hands it to the oldest other item (A), as a delete does.
        let lowered = app.patch(&path(&b), json!({ flag: false })).await;
        assert_eq!(lowered.data()[flag], false, "{kind}");
        let list = app.get(&format!("/v1/clients/{cid}/{kind}")).await;
        let flagged: Vec<String> = list
            .data()
            .as_array()
            .expect("list")
            .iter()
            .filter(|i| i[flag] == true)
            .map(sid)
            .collect();
        assert_eq!(
            flagged,
            vec![sid(&a)],
            "{kind}: exactly one, the oldest other"
        );
    }
}

#[tokio::test]
async fn primary_locations_follow_the_same_rule() {
    let app = spawn_app!();
    let cid = client(&app).await;
    let a = add(&app, &cid, "locations", json!({"name": "A"})).await;
    let b = add(
        &app,
        &cid,
        "locations",
        json!({"name": "B", "is_primary": true}),
    )
    .await;
    assert_eq!(b["is_primary"], true);
    let a_now = app
        .get(&format!("/v1/clients/{cid}/locations/{}", sid(&a)))
        .await;
    assert_eq!(a_now.data()["is_primary"], false);
}

#[tokio::test]
async fn associated_accounts_equals_the_number_of_accounts_under_concurrency() {
    let app = spawn_app!();
    let cid = client(&app).await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let req = app
            .request(Method::POST, &format!("/v1/clients/{cid}/accounts"))
            .header("content-type", "application/json")
            .body(json!({"name": format!("Acc {i}")}).to_string());
        tasks.push(tokio::spawn(
            async move { req.send().await.map(|r| r.status()) },
        ));
    }
    for t in tasks {
        assert_eq!(
            t.await.expect("task").expect("response"),
            StatusCode::CREATED
        );
    }
    let list = app
        .get(&format!("/v1/clients/{cid}/accounts?limit=100"))
        .await;
    let ids: Vec<String> = list
        .data()
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(sid)
        .collect();
    assert_eq!(ids.len(), 20);
    let mut tasks = Vec::new();
    for id in ids.iter().take(7) {
        let req = app.request(Method::DELETE, &format!("/v1/clients/{cid}/accounts/{id}"));
        tasks.push(tokio::spawn(
            async move { req.send().await.map(|r| r.status()) },
        ));
    }
    for t in tasks {
        assert_eq!(
            t.await.expect("task").expect("response"),
            StatusCode::NO_CONTENT
        );
    }
    let c = app.get(&format!("/v1/clients/{cid}")).await;
    assert_eq!(c.data()["associated_accounts"], 13);
}

#[tokio::test]
async fn expand_embeds_the_sub_resources_on_client_detail() {
    let app = spawn_app!();
    let cid = client(&app).await;
    add(&app, &cid, "contact-persons", json!({"name": "Eva"})).await;
    add(&app, &cid, "accounts", json!({"name": "A1"})).await;
    let r = app
        .get(&format!(
            "/v1/clients/{cid}?expand=contact_persons,accounts"
        ))
        .await;
    let d = r.data();
    assert_eq!(d["contact_persons"].as_array().map(Vec::len), Some(1));
    assert_eq!(d["accounts"][0]["name"], "A1");
    assert!(d.get("locations").is_none(), "only what was asked for");
    assert_eq!(d["associated_accounts"], 1);
    let r = app
        .get(&format!("/v1/clients/{cid}?expand=locations"))
        .await;
    assert_eq!(r.data()["locations"], json!([]));
    let r = app.get(&format!("/v1/clients/{cid}?expand=invoices")).await;
    assert_eq!(
        r.error(400, "VALIDATION_ERROR"),
        vec![("expand".into(), "invalid_value".into())]
    );
    let r = app.get(&format!("/v1/clients/{cid}")).await;
    assert!(r.data().get("contact_persons").is_none());
}

#[tokio::test]
async fn deleting_a_client_removes_its_sub_resources_and_audits_them() {
    let app = spawn_app!();
    let cid = client(&app).await;
    let cp = add(
        &app,
        &cid,
        "contact-persons",
        json!({"name": "Eva", "email": "eva.secret@example.com"}),
    )
    .await;
    let loc = add(&app, &cid, "locations", json!({"name": "HQ"})).await;
    add(&app, &cid, "accounts", json!({"name": "A"})).await;
    assert_eq!(
        app.delete(&format!("/v1/clients/{cid}")).await.status,
        StatusCode::NO_CONTENT
    );
    app.get(&format!("/v1/clients/{cid}/contact-persons/{}", sid(&cp)))
        .await
        .error(404, "NOT_FOUND");
    app.get(&format!("/v1/clients/{cid}/locations/{}", sid(&loc)))
        .await
        .error(404, "NOT_FOUND");
    app.get(&format!("/v1/clients/{cid}/accounts"))
        .await
        .error(404, "NOT_FOUND");
    let h = app
        .get(&format!("/v1/clients/{cid}/history?limit=100"))
        .await;
    let records = h.data().as_array().cloned().unwrap_or_default();
    let deleted: Vec<&str> = records
        .iter()
        .filter(|r| r["action"] == "deleted")
        .map(|r| r["entity_type"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(deleted.len(), 4, "{deleted:?}");
    for t in ["client", "contact_person", "location", "account"] {
        assert!(deleted.contains(&t), "{t}");
    }
    assert!(
        !h.body.to_string().contains("eva.secret"),
        "sensitive values are masked"
    );
}

#[tokio::test]
async fn sub_resources_are_404_under_the_wrong_client_or_another_tenant() {
    let app = spawn_app!();
    let cid = client(&app).await;
    let other = client(&app).await;
    let cp = add(
        &app,
        &cid,
        "contact-persons",
        json!({"name": "Eva", "external_id": "e"}),
    )
    .await;
    app.get(&format!("/v1/clients/{other}/contact-persons/{}", sid(&cp)))
        .await
        .error(404, "NOT_FOUND");
    app.get(&format!(
        "/v1/clients/{other}/contact-persons/external-id/e"
    ))
    .await
    .error(404, "NOT_FOUND");
    app.patch(
        &format!("/v1/clients/{other}/contact-persons/{}", sid(&cp)),
        json!({"name": "X"}),
    )
    .await
    .error(404, "NOT_FOUND");
    app.post(
        &format!("/v1/clients/{}/contact-persons", uuid::Uuid::now_v7()),
        json!({"name": "X"}),
    )
    .await
    .error(404, "NOT_FOUND");
    let (_, key) = app.other_tenant("globex").await;
    for (m, path) in [
        (Method::GET, format!("/v1/clients/{cid}/contact-persons")),
        (
            Method::GET,
            format!("/v1/clients/{cid}/contact-persons/{}", sid(&cp)),
        ),
        (Method::POST, format!("/v1/clients/{cid}/contact-persons")),
        (
            Method::PUT,
            format!("/v1/clients/{cid}/contact-persons/{}", sid(&cp)),
        ),
        (
            Method::PATCH,
            format!("/v1/clients/{cid}/contact-persons/{}", sid(&cp)),
        ),
        (
            Method::DELETE,
            format!("/v1/clients/{cid}/contact-persons/{}", sid(&cp)),
        ),
    ] {
        let r = app
            .send(
                app.http
                    .request(m.clone(), app.url(&path))
                    .header("x-api-key", &key)
                    .header("content-type", "application/json")
                    .body(json!({"name": "X"}).to_string()),
            )
            .await;
        r.error(404, "NOT_FOUND");
    }
    assert_eq!(
        app.get(&format!("/v1/clients/{cid}/contact-persons/{}", sid(&cp)))
            .await
            .data()["name"],
        "Eva"
    );
}

#[tokio::test]
async fn contact_external_ids_are_unique_within_a_client_only() {
    let app = spawn_app!();
    let a = client(&app).await;
    let b = client(&app).await;
    add(
        &app,
        &a,
        "contact-persons",
        json!({"name": "X", "external_id": "same"}),
    )
    .await;
    let r = app
        .post(
            &format!("/v1/clients/{a}/contact-persons"),
            json!({"name": "Y", "external_id": "same"}),
        )
        .await;
    r.error(409, "CONFLICT");
    add(
        &app,
        &b,
        "contact-persons",
        json!({"name": "Y", "external_id": "same"}),
    )
    .await;
}

#[tokio::test]
async fn sub_resources_honour_etags_and_idempotency_keys() {
    let app = spawn_app!();
    let cid = client(&app).await;
    let base = format!("/v1/clients/{cid}/locations");
    let send = || {
        app.request(Method::POST, &base)
            .header("idempotency-key", "loc-1")
            .header("content-type", "application/json")
            .body(json!({"name": "Depot"}).to_string())
    };
    let first = app.send(send()).await;
    let again = app.send(send()).await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(first.body, again.body);
    assert_eq!(app.get(&base).await.body["meta"]["total"], 1);
    let path = format!("{base}/{}", first.body["data"]["id"].as_str().unwrap_or(""));
    let r = app
        .send(
            app.request(Method::GET, &path)
                .header("if-none-match", "\"1\""),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    let r = app
        .send(
            app.request(Method::PATCH, &path)
                .header("if-match", "\"9\"")
                .header("content-type", "application/json")
                .body(json!({"name": "X"}).to_string()),
        )
        .await;
    r.error(412, "PRECONDITION_FAILED");
    let r = app
        .send(
            app.request(Method::DELETE, &path)
                .header("if-match", "\"9\""),
        )
        .await;
    r.error(412, "PRECONDITION_FAILED");
    assert_eq!(app.get(&path).await.data()["name"], "Depot");
}

#[tokio::test]
async fn client_history_includes_sub_resource_changes() {
    let app = spawn_app!();
    let cid = client(&app).await;
    let cp = add(&app, &cid, "contact-persons", json!({"name": "Eva"})).await;
    app.patch(
        &format!("/v1/clients/{cid}/contact-persons/{}", sid(&cp)),
        json!({"name": "Eva B"}),
    )
    .await
    .data();
    let h = app.get(&format!("/v1/clients/{cid}/history")).await;
    let first = &h.data()[0];
    assert_eq!(first["entity_type"], "contact_person");
    assert_eq!(first["action"], "updated");
    assert_eq!(first["changes"]["name"], json!(["Eva", "Eva B"]));
}

fn listed_ids(r: &crate::common::Reply) -> Vec<String> {
    r.data()
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(sid)
        .collect()
}

#[tokio::test]
async fn contact_person_names_and_emails_find_their_client_in_search() {
    let app = spawn_app!();
    let target = client(&app).await;
    let _other = client(&app).await;
    let cp = add(
        &app,
        &target,
        "contact-persons",
        json!({"name": "Ingrid Svensson", "email": "ingrid.s@nordic-steel.example"}),
    )
    .await;
    for q in ["ingrid", "Svens", "INGRID svensson", "nordic", "Ïngrid"] {
        let r = app
            .get(&format!("/v1/clients?search={}", q.replace(' ', "+")))
            .await;
        assert_eq!(listed_ids(&r), vec![target.clone()], "search {q}");
        assert_eq!(r.body["meta"]["total"], 1, "search {q}");
    }
    // A renamed contact is found by the new name only, at once.
    let path = format!("/v1/clients/{target}/contact-persons/{}", sid(&cp));
    app.patch(&path, json!({"name": "Karin Lund"})).await.data();
    let r = app.get("/v1/clients?search=karin").await;
    assert_eq!(listed_ids(&r), vec![target.clone()]);
    // (The e-mail address still holds "ingrid"; the surname is gone.)
    let r = app.get("/v1/clients?search=svensson").await;
    assert_eq!(listed_ids(&r), Vec::<String>::new());
    assert_eq!(
        r.body["meta"]["total"], 0,
        "the cached total moved with the change"
    );
    // A deleted contact no longer finds its client.
    assert_eq!(app.delete(&path).await.status, StatusCode::NO_CONTENT);
    let r = app.get("/v1/clients?search=karin").await;
    assert_eq!(listed_ids(&r), Vec::<String>::new());
}

#[tokio::test]
async fn expand_on_lists_embeds_a_bounded_number_of_sub_resources() {
    let app = spawn_app!();
    let a = client(&app).await;
    let b = client(&app).await;
    for i in 0..12 {
        add(&app, &a, "accounts", json!({"name": format!("A{i}")})).await;
    }
    add(&app, &b, "contact-persons", json!({"name": "Eva"})).await;
    let r = app.get("/v1/clients?expand=accounts,contact_persons").await;
    let rows = r.data().as_array().cloned().unwrap_or_default();
    let by_id = |id: &str| {
        rows.iter()
            .find(|c| c["id"] == id)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(
        by_id(&a)["accounts"].as_array().map(Vec::len),
        Some(10),
        "at most 10 per kind"
    );
    assert_eq!(by_id(&a)["associated_accounts"], 12);
    assert_eq!(by_id(&b)["contact_persons"][0]["name"], "Eva");
    assert_eq!(by_id(&b)["accounts"], json!([]));
    assert!(by_id(&a).get("locations").is_none());
    let r = app.get("/v1/clients?expand=invoices").await;
    assert_eq!(r.error(400, "VALIDATION_ERROR")[0].0, "expand");
}
