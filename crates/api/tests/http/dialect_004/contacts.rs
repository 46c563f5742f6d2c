//! The contact-person routes of seed 004, and the one main contact per client.

use serde_json::{json, Value};

use super::{at, contacts_of, create, mains, seed_error, BASE};
use crate::common::TestApp;

fn item(client_id: &str, id: &str) -> String {
    format!("{}/{id}", contacts_of(client_id))
}

async fn add(app: &TestApp, client_id: &str, body: Value) -> Value {
    let r = app.post(&contacts_of(client_id), body).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    let id = r.body["id"].as_str().expect("id");
    assert_eq!(r.header("location"), Some(item(client_id, id).as_str()));
    assert!(r.header("etag").is_some());
    r.body
}

/// The names of the client's main contacts, read through the client.
async fn mains_of(app: &TestApp, client_id: &str) -> Vec<String> {
    mains(&app.get(&at(client_id)).await.body)
}

#[tokio::test]
async fn contact_persons_are_created_read_listed_updated_and_deleted() {
    let app = spawn_app!();
    let c = create(&app, json!({"name": "Acme"})).await;
    let cid = c["id"].as_str().expect("id");
    let eva = add(
        &app,
        cid,
        json!({"name": "Eva", "jobTitle": "CFO", "department": "Finance", "email": "eva@acme.example",
               "phone": "+46 8 123", "mobile": "+46 70 123", "externalId": "CP-1"}),
    )
    .await;
    assert_eq!(eva["clientId"], cid);
    assert_eq!(eva["isMain"], true, "the first contact is main");
    assert_eq!(eva["jobTitle"], "CFO");
    let eva_id = eva["id"].as_str().expect("id");

    let got = app.get(&item(cid, eva_id)).await;
    assert_eq!(got.status.as_u16(), 200);
    assert_eq!(got.body, eva);
    let by_ext = app
        .get(&format!("{}/external-id/CP-1", contacts_of(cid)))
        .await;
    assert_eq!(by_ext.body, eva);

    let bo = add(&app, cid, json!({"name": "Bo"})).await;
    let list = app.get(&contacts_of(cid)).await;
    assert_eq!(list.status.as_u16(), 200);
    assert_eq!(list.body["data"], json!([bo, eva]));
    assert_eq!(
        list.body["meta"],
        json!({"page": 1, "limit": 25, "total": 2, "totalPages": 1})
    );
    let page2 = app
        .get(&format!("{}?page=2&limit=1", contacts_of(cid)))
        .await;
    assert_eq!(page2.body["data"], json!([eva]));
    assert_eq!(page2.body["meta"]["totalPages"], 2);

    let r = app
        .patch(
            &item(cid, eva_id),
            json!({"jobTitle": "CEO", "department": null}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    assert_eq!(r.body["jobTitle"], "CEO");
    assert_eq!(r.body["department"], Value::Null);
    assert_eq!(r.body["name"], "Eva");

    let r = app.delete(&item(cid, eva_id)).await;
    assert_eq!(r.status.as_u16(), 204);
    seed_error(&app.get(&item(cid, eva_id)).await, 404, "NOT_FOUND");
    assert_eq!(app.get(&contacts_of(cid)).await.body["meta"]["total"], 1);
}

#[tokio::test]
async fn a_client_has_exactly_one_main_contact_at_all_times() {
    let app = spawn_app!();
    let c = create(&app, json!({"name": "Acme"})).await;
    let cid = c["id"].as_str().expect("id");
    let a = add(&app, cid, json!({"name": "A", "isMain": false})).await;
    assert_eq!(mains_of(&app, cid).await, vec!["A"]);
    add(&app, cid, json!({"name": "B"})).await;
    assert_eq!(mains_of(&app, cid).await, vec!["A"]);
    // A new main takes the flag from the old one.
    let cc = add(&app, cid, json!({"name": "C", "isMain": true})).await;
    assert_eq!(mains_of(&app, cid).await, vec!["C"]);
    let b_id = {
        let all = app.get(&contacts_of(cid)).await;
        all.body["data"]
            .as_array()
            .expect("data")
            .iter()
            .find(|x| x["name"] == "B")
            .and_then(|x| x["id"].as_str())
            .expect("B")
            .to_string()
    };
    let r = app.patch(&item(cid, &b_id), json!({"isMain": true})).await;
    assert_eq!(r.body["isMain"], true);
    assert_eq!(mains_of(&app, cid).await, vec!["B"]);
    // Lowering the flag changes nothing: there is always one main.
    let r = app.patch(&item(cid, &b_id), json!({"isMain": false})).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    assert_eq!(r.body["isMain"], true);
    assert_eq!(mains_of(&app, cid).await, vec!["B"]);
    // Sending a non-main contact back unchanged is fine.
    let mut a_body = app
        .get(&item(cid, a["id"].as_str().expect("id")))
        .await
        .body;
    a_body["name"] = json!("A2");
    let r = app
        .patch(&item(cid, a["id"].as_str().expect("id")), a_body)
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    assert_eq!(r.body["isMain"], false);
    // Deleting the main hands the flag to the oldest remaining contact.
    assert_eq!(app.delete(&item(cid, &b_id)).await.status.as_u16(), 204);
    assert_eq!(mains_of(&app, cid).await, vec!["A2"]);
    assert_eq!(
        app.delete(&item(cid, a["id"].as_str().expect("id")))
            .await
            .status
            .as_u16(),
        204
    );
    assert_eq!(mains_of(&app, cid).await, vec!["C"]);
    let _ = cc;
}

#[tokio::test]
async fn contact_persons_in_a_new_client_settle_on_one_main() {
    let app = spawn_app!();
    let none_main = create(
        &app,
        json!({"name": "A", "contactPersons": [{"name": "First"}, {"name": "Second"}]}),
    )
    .await;
    assert_eq!(mains(&none_main), vec!["First"]);
    let two_mains = create(
        &app,
        json!({"name": "B", "contactPersons": [
            {"name": "One", "isMain": true}, {"name": "Two", "isMain": true}, {"name": "Three"}]}),
    )
    .await;
    // The last one given with the flag holds it.
    assert_eq!(mains(&two_mains), vec!["Two"]);
}

#[tokio::test]
async fn a_bad_contact_in_a_new_client_creates_nothing_and_is_named_by_its_index() {
    let app = spawn_app!();
    let r = app
        .post(
            BASE,
            json!({"name": "A", "creditLimit": -1, "contactPersons": [
                {"name": "Ok"}, {"name": "Bad", "email": "not-an-email", "isMain": "yes"}]}),
        )
        .await;
    let mut fields = seed_error(&r, 400, "VALIDATION_ERROR");
    fields.sort();
    assert_eq!(
        fields,
        vec![
            ("contactPersons.1.email".into(), "invalid_format".into()),
            ("contactPersons.1.isMain".into(), "invalid_type".into()),
            ("creditLimit".into(), "out_of_range".into()),
        ]
    );
    assert_eq!(app.get(BASE).await.body["meta"]["total"], 0);
    assert_eq!(app.get("/v1/clients").await.body["meta"]["total"], 0);
}

#[tokio::test]
async fn contact_errors_name_this_dialects_fields_and_path_parameters() {
    let app = spawn_app!();
    let c = create(
        &app,
        json!({"name": "Acme", "contactPersons": [{"name": "Eva", "externalId": "X"}]}),
    )
    .await;
    let cid = c["id"].as_str().expect("id");
    // Fields this dialect does not know are refused first, by name; then the values.
    let r = app
        .post(&contacts_of(cid), json!({"jobTitle": "CFO", "title": 1}))
        .await;
    assert_eq!(
        seed_error(&r, 400, "VALIDATION_ERROR"),
        vec![("title".into(), "unknown_field".into())]
    );
    let r = app
        .post(&contacts_of(cid), json!({"jobTitle": 5, "isMain": "yes"}))
        .await;
    let mut fields = seed_error(&r, 400, "VALIDATION_ERROR");
    fields.sort();
    assert_eq!(
        fields,
        vec![
            ("isMain".into(), "invalid_type".into()),
            ("jobTitle".into(), "invalid_type".into()),
            ("name".into(), "required".into()),
        ]
    );
    let r = app
        .post(&contacts_of(cid), json!({"name": "Bo", "externalId": "X"}))
        .await;
    seed_error(&r, 409, "CONFLICT");
    assert!(r.body["message"]
        .as_str()
        .unwrap_or("")
        .contains("externalId"));
    let other = uuid::Uuid::now_v7().to_string();
    let r = app
        .post(&contacts_of(cid), json!({"name": "Bo", "clientId": other}))
        .await;
    assert_eq!(
        seed_error(&r, 400, "VALIDATION_ERROR"),
        vec![("clientId".into(), "mismatch".into())]
    );
    let r = app.get(&contacts_of("not-a-uuid")).await;
    assert_eq!(
        seed_error(&r, 400, "VALIDATION_ERROR"),
        vec![("clientId".into(), "invalid_format".into())]
    );
    let r = app.get(&item(cid, "nope")).await;
    assert_eq!(
        seed_error(&r, 400, "VALIDATION_ERROR"),
        vec![("id".into(), "invalid_format".into())]
    );
    let unknown = uuid::Uuid::now_v7().to_string();
    seed_error(&app.get(&contacts_of(&unknown)).await, 404, "NOT_FOUND");
    seed_error(
        &app.post(&contacts_of(&unknown), json!({"name": "A"})).await,
        404,
        "NOT_FOUND",
    );
    seed_error(&app.get(&item(cid, &unknown)).await, 404, "NOT_FOUND");
    let r = app.get(&format!("{}?offset=1", contacts_of(cid))).await;
    assert_eq!(
        seed_error(&r, 400, "VALIDATION_ERROR"),
        vec![("offset".into(), "unknown_parameter".into())]
    );
}
