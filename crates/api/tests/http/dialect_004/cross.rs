//! Seed 004 and `/v1` are two views of one core: a client written through either reads the
//! same through the other, a change shows at once, a delete removes it everywhere, numbers
//! come from one sequence, and credit amounts without a currency follow docs/dialects.md,
//! "Currency".

use serde_json::{json, Value};

use super::{at, contacts_of, create, read_as_native, read_v1_subset, sample, BASE};
use crate::common::TestApp;

async fn v1_create(app: &TestApp, body: Value) -> Value {
    app.create(body).await
}

#[tokio::test]
async fn a_client_written_here_reads_the_same_through_v1() {
    let app = spawn_app!();
    let c = create(&app, sample()).await;
    let id = c["id"].as_str().expect("id");
    let here = read_as_native(&app, id).await.expect("here");
    let there = read_v1_subset(&app, id).await.expect("v1");
    assert_eq!(here, there);
    // The fields this dialect sets, as /v1 names them.
    let v1 = app.get(&format!("/v1/clients/{id}")).await;
    let d = v1.data();
    assert_eq!(d["legal_name"], "Baustoffe Müller GmbH & Co. KG");
    assert_eq!(d["notes"], "Deliveries before noon only");
    assert_eq!(d["partner_type"], "construction");
    assert_eq!(d["credit"]["creditworthiness"], "good");
    assert_eq!(
        d["credit"]["currency"], "EUR",
        "the tenant's default currency"
    );
    assert_eq!(d["address"]["street_number"], "5a");
    assert_eq!(d["address"]["latitude"].as_f64(), Some(52.52));
    assert_eq!(d["version"], 1);
    // A change here shows there at once, with the same version.
    let r = app
        .patch(&at(id), json!({"creditLimit": 75000, "city": "Potsdam"}))
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let d = app.get(&format!("/v1/clients/{id}")).await.data().clone();
    assert_eq!(d["credit"]["limit"].as_f64(), Some(75000.0));
    assert_eq!(d["address"]["city"], "Potsdam");
    assert_eq!(d["version"], 2);
    assert_eq!(
        read_as_native(&app, id).await,
        read_v1_subset(&app, id).await
    );
}

#[tokio::test]
async fn a_client_written_through_v1_reads_the_same_here() {
    let app = spawn_app!();
    let v = v1_create(
        &app,
        json!({"name": "Nordic AB", "legal_name": "Nordic Aktiebolag", "external_id": "N-1",
               "status": "inactive", "partner_type": "industry", "email": "hi@nordic.example",
               "notes": "n", "structure_id": "s", "phone": "+46 8 1", "fax": "+46 8 2",
               "website": "https://nordic.example",
               "address": {"street": "Storgatan", "street_number": "12 B", "city": "Lund",
                           "postal_code": "222 22", "country": "SE", "latitude": 55.7,
                           "longitude": 13.19, "region": "Skåne"},
               "credit": {"limit": 1000.25, "used": 10, "currency": "SEK",
                          "payment_terms_days": 14, "creditworthiness": "middle",
                          "frame_contract": false, "self_insurance": true, "pricing": "p",
                          "custom_price_id": "c"}}),
    )
    .await;
    let id = v["id"].as_str().expect("id");
    let r = app
        .post(
            &format!("/v1/clients/{id}/contact-persons"),
            json!({"name": "Sven", "job_title": "CTO", "external_id": "S"}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201);
    let here = app.get(&at(id)).await.body;
    assert_eq!(here["longName"], "Nordic Aktiebolag");
    assert_eq!(here["status"], "INACTIVE");
    assert_eq!(here["partnerType"], "INDUSTRY");
    assert_eq!(here["creditworthiness"], "MIDDLE");
    assert_eq!(here["streetAndNumber"], "Storgatan 12 B");
    assert_eq!(here["point"], json!({"lng": 13.19, "lat": 55.7}));
    assert_eq!(here["contactPersons"][0]["jobTitle"], "CTO");
    assert_eq!(here["contactPersons"][0]["isMain"], true);
    assert_eq!(
        read_as_native(&app, id).await,
        read_v1_subset(&app, id).await
    );
    // Amounts written here keep the stored currency.
    let r = app
        .patch(&at(id), json!({"creditLimit": 2000, "usedLimit": 5}))
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let d = app.get(&format!("/v1/clients/{id}")).await.data().clone();
    assert_eq!(d["credit"]["currency"], "SEK");
    assert_eq!(d["credit"]["limit"].as_f64(), Some(2000.0));
    // And a field this dialect does not show survives its writes.
    assert_eq!(d["address"]["region"], "Skåne");
}

#[tokio::test]
async fn amounts_without_a_currency_take_the_tenants_default_when_the_client_has_none() {
    let app = spawn_app!();
    let v = v1_create(&app, json!({"name": "No credit"})).await;
    let id = v["id"].as_str().expect("id");
    let r = app.patch(&at(id), json!({"usedLimit": 12.5})).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let d = app.get(&format!("/v1/clients/{id}")).await.data().clone();
    assert_eq!(d["credit"]["currency"], "EUR");
    assert_eq!(d["credit"]["used"].as_f64(), Some(12.5));
}

#[tokio::test]
async fn a_delete_on_either_side_removes_the_client_everywhere() {
    let app = spawn_app!();
    let a = create(&app, sample()).await;
    let a_id = a["id"].as_str().expect("id");
    let cp = a["contactPersons"][0]["id"].as_str().expect("cp");
    assert_eq!(app.delete(&at(a_id)).await.status.as_u16(), 204);
    assert_eq!(read_v1_subset(&app, a_id).await, None);
    assert_eq!(
        app.get(&format!("/v1/clients/{a_id}/contact-persons/{cp}"))
            .await
            .status
            .as_u16(),
        404
    );
    let b = v1_create(&app, json!({"name": "B"})).await;
    let b_id = b["id"].as_str().expect("id");
    assert!(read_as_native(&app, b_id).await.is_some());
    assert_eq!(
        app.delete(&format!("/v1/clients/{b_id}"))
            .await
            .status
            .as_u16(),
        204
    );
    assert_eq!(read_as_native(&app, b_id).await, None);
    assert_eq!(app.get(BASE).await.body["meta"]["total"], 0);
}

#[tokio::test]
async fn both_share_one_number_sequence_one_total_and_the_audit_trail() {
    let app = spawn_app!();
    let a = create(&app, json!({"name": "A"})).await;
    let b = v1_create(&app, json!({"name": "B"})).await;
    let c = create(&app, json!({"name": "C"})).await;
    assert_eq!(
        (
            a["number"].clone(),
            b["number"].clone(),
            c["number"].clone()
        ),
        (json!(1), json!(2), json!(3))
    );
    assert_eq!(
        app.get(BASE).await.body["meta"]["total"],
        app.get("/v1/clients").await.body["meta"]["total"]
    );
    let id = a["id"].as_str().expect("id");
    app.patch(&at(id), json!({"name": "A2"})).await;
    let r = app.post(&contacts_of(id), json!({"name": "Eva"})).await;
    assert_eq!(r.status.as_u16(), 201);
    let h = app.get(&format!("/v1/clients/{id}/history")).await;
    let actions: Vec<(String, String)> = h
        .data()
        .as_array()
        .expect("records")
        .iter()
        .map(|r| {
            (
                r["entity_type"].as_str().unwrap_or("").to_string(),
                r["action"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        vec![
            ("contact_person".into(), "created".into()),
            ("client".into(), "updated".into()),
            ("client".into(), "created".into()),
        ]
    );
}
