//! The client routes of seed 004: the model as the seed documents it, create / read / update /
//! delete, the external-id route and the list.

use serde_json::{json, Value};

use super::{at, create, mains, sample, seed_error, BASE};
use crate::common::TestApp;

const MODEL_KEYS: [&str; 31] = [
    "id",
    "number",
    "name",
    "externalId",
    "customPriceId",
    "creditLimit",
    "usedLimit",
    "paymentTerms",
    "additionalInformation",
    "frameContract",
    "selfInsurance",
    "pricing",
    "website",
    "fax",
    "point",
    "street",
    "streetAndNumber",
    "city",
    "phone",
    "country",
    "email",
    "partnerType",
    "longName",
    "postalCode",
    "creditworthiness",
    "status",
    "organization",
    "structureId",
    "createdAt",
    "updatedAt",
    "contactPersons",
];

const CONTACT_KEYS: [&str; 11] = [
    "id",
    "name",
    "jobTitle",
    "department",
    "email",
    "phone",
    "mobile",
    "isMain",
    "externalId",
    "clientId",
    "updatedAt",
];

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
    k.sort_unstable();
    k
}

fn sorted(k: &[&str]) -> Vec<String> {
    let mut k: Vec<String> = k.iter().map(|s| s.to_string()).collect();
    k.sort_unstable();
    k
}

#[tokio::test]
async fn the_seed_model_is_created_and_read_back_field_by_field() {
    let app = spawn_app!();
    let r = app.post(BASE, sample()).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    let c = r.body.clone();
    let id = c["id"].as_str().expect("id").to_string();
    assert_eq!(r.header("location"), Some(at(&id).as_str()));
    assert!(r.header("etag").is_some());
    // The bare model: exactly the seed's keys, no envelope.
    assert_eq!(keys(&c), sorted(&MODEL_KEYS));
    let given = sample();
    for k in [
        "name",
        "externalId",
        "customPriceId",
        "paymentTerms",
        "additionalInformation",
        "frameContract",
        "selfInsurance",
        "pricing",
        "website",
        "fax",
        "point",
        "street",
        "streetAndNumber",
        "city",
        "phone",
        "country",
        "email",
        "partnerType",
        "longName",
        "postalCode",
        "creditworthiness",
        "status",
        "structureId",
    ] {
        assert_eq!(c[k], given[k], "{k}");
    }
    assert_eq!(c["creditLimit"].as_f64(), Some(50000.0));
    assert_eq!(c["usedLimit"].as_f64(), Some(1250.5));
    assert_eq!(c["number"], 1);
    let me = app.get("/v1/me").await;
    assert_eq!(c["organization"], me.data()["tenant"]["id"]);
    for k in ["createdAt", "updatedAt"] {
        assert!(
            c[k].as_str()
                .is_some_and(|s| s.ends_with('Z') && s.len() == 24),
            "{k}: {}",
            c[k]
        );
    }
    // Contact persons, created in the same request, newest first.
    let cps = c["contactPersons"].as_array().expect("array");
    assert_eq!(cps.len(), 2);
    for cp in cps {
        assert_eq!(keys(cp), sorted(&CONTACT_KEYS));
        assert_eq!(cp["clientId"], id.as_str());
    }
    assert_eq!(cps[0]["name"], "Jonas Weber");
    assert_eq!(cps[1]["name"], "Eva Schmidt");
    assert_eq!(cps[1]["jobTitle"], "Head of Purchasing");
    assert_eq!(cps[1]["externalId"], "CP-1");
    assert_eq!(mains(&c), vec!["Eva Schmidt"]);

    // Every read route answers the same model.
    let got = app.get(&at(&id)).await;
    assert_eq!(got.status.as_u16(), 200);
    assert_eq!(got.body, c);
    assert_eq!(got.header("etag"), r.header("etag"));
    let by_ext = app.get(&format!("{BASE}/external-id/ERP-1001")).await;
    assert_eq!(by_ext.body, c);
    let list = app.get(BASE).await;
    assert_eq!(list.status.as_u16(), 200);
    assert_eq!(list.body["data"], json!([c]));
    assert_eq!(
        list.body["meta"],
        json!({"page": 1, "limit": 25, "total": 1, "totalPages": 1})
    );
    assert_eq!(keys(&list.body), sorted(&["data", "meta"]));
}

/// `creditLimit` and `usedLimit` are exact up to the largest amount (999999999999999.9999), as
/// on `/v1`; a larger one is refused by this dialect's name for it.
#[tokio::test]
async fn amounts_are_exact_up_to_the_largest_and_refused_beyond_it() {
    let app = spawn_app!();
    let body: Value = serde_json::from_str(
        r#"{"name": "Max", "creditLimit": 999999999999999.9999, "usedLimit": 12345678901234.5678}"#,
    )
    .expect("json");
    let c = create(&app, body).await;
    let id = c["id"].as_str().expect("id");
    for read in [c.clone(), app.get(&at(id)).await.body] {
        assert_eq!(read["creditLimit"].to_string(), "999999999999999.9999");
        assert_eq!(read["usedLimit"].to_string(), "12345678901234.5678");
    }
    let native = app.get(&format!("/v1/clients/{id}")).await;
    assert_eq!(
        native.data()["credit"]["limit"].to_string(),
        "999999999999999.9999"
    );
    let over: Value =
        serde_json::from_str(r#"{"name": "Over", "creditLimit": 1000000000000000}"#).expect("json");
    let r = app.post(BASE, over).await;
    assert_eq!(
        seed_error(&r, 400, "VALIDATION_ERROR"),
        vec![("creditLimit".into(), "out_of_range".into())]
    );
    assert!(
        r.body["message"]
            .as_str()
            .is_some_and(|m| m.contains("999999999999999.9999")),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn a_minimal_client_reads_with_nulls_an_active_status_and_no_contacts() {
    let app = spawn_app!();
    let c = create(&app, json!({"name": "Acme"})).await;
    assert_eq!(keys(&c), sorted(&MODEL_KEYS));
    assert_eq!(c["status"], "ACTIVE");
    assert_eq!(c["contactPersons"], json!([]));
    for k in [
        "point",
        "street",
        "streetAndNumber",
        "creditLimit",
        "usedLimit",
        "partnerType",
        "creditworthiness",
        "externalId",
    ] {
        assert_eq!(c[k], Value::Null, "{k}");
    }
    let second = create(&app, json!({"name": "Beta"})).await;
    assert_eq!(second["number"], 2);
}

#[tokio::test]
async fn street_and_number_is_split_on_write_and_joined_on_read() {
    let app = spawn_app!();
    let c = create(
        &app,
        json!({"name": "A", "streetAndNumber": "Straße des 17. Juni 114"}),
    )
    .await;
    assert_eq!(c["street"], "Straße des 17. Juni");
    assert_eq!(c["streetAndNumber"], "Straße des 17. Juni 114");
    let id = c["id"].as_str().expect("id");
    let v1 = app.get(&format!("/v1/clients/{id}")).await;
    assert_eq!(v1.data()["address"]["street"], "Straße des 17. Juni");
    assert_eq!(v1.data()["address"]["street_number"], "114");
    // `street` alone keeps the number; `streetAndNumber: null` clears both.
    let r = app
        .patch(&at(id), json!({"street": "Unter den Linden"}))
        .await;
    assert_eq!(r.body["streetAndNumber"], "Unter den Linden 114");
    let r = app.patch(&at(id), json!({"streetAndNumber": null})).await;
    assert_eq!(
        (r.body["street"].clone(), r.body["streetAndNumber"].clone()),
        (Value::Null, Value::Null)
    );
    // No word with a digit: all street.
    let r = app
        .patch(&at(id), json!({"streetAndNumber": "Marktplatz"}))
        .await;
    assert_eq!(r.body["street"], "Marktplatz");
}

#[tokio::test]
async fn patch_changes_only_the_given_fields_and_answers_200() {
    let app = spawn_app!();
    let c = create(&app, sample()).await;
    let id = c["id"].as_str().expect("id");
    let r = app
        .patch(
            &at(id),
            json!({"name": "Müller Baustoffe", "status": "INACTIVE", "point": null,
                   "partnerType": "INDUSTRY", "paymentTerms": 45, "longName": null}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    assert_eq!(r.body["name"], "Müller Baustoffe");
    assert_eq!(r.body["status"], "INACTIVE");
    assert_eq!(r.body["partnerType"], "INDUSTRY");
    assert_eq!(r.body["paymentTerms"], 45);
    assert_eq!(r.body["point"], Value::Null);
    assert_eq!(r.body["longName"], Value::Null);
    assert_eq!(r.body["city"], "Berlin");
    assert_eq!(r.body["contactPersons"], c["contactPersons"]);
    assert_eq!(r.body["number"], c["number"]);
    assert_ne!(r.body["updatedAt"], c["updatedAt"]);
    assert_eq!(app.get(&at(id)).await.body, r.body);
    // Read-only fields sent back are ignored; contactPersons belong to their own routes.
    let mut whole = r.body.clone();
    whole["name"] = json!("Again");
    whole.as_object_mut().expect("obj").remove("contactPersons");
    let r = app.patch(&at(id), whole).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    assert_eq!(r.body["name"], "Again");
    let r = app.patch(&at(id), json!({"contactPersons": []})).await;
    assert_eq!(
        seed_error(&r, 400, "VALIDATION_ERROR"),
        vec![("contactPersons".into(), "read_only".into())]
    );
}

#[tokio::test]
async fn delete_answers_204_and_the_client_is_gone() {
    let app = spawn_app!();
    let c = create(&app, sample()).await;
    let id = c["id"].as_str().expect("id");
    let r = app.delete(&at(id)).await;
    assert_eq!(r.status.as_u16(), 204);
    assert_eq!(r.body, Value::Null);
    for path in [at(id), format!("{BASE}/external-id/ERP-1001")] {
        let r = app.get(&path).await;
        seed_error(&r, 404, "NOT_FOUND");
    }
    seed_error(&app.delete(&at(id)).await, 404, "NOT_FOUND");
    let cp = c["contactPersons"][0]["id"].as_str().expect("cp");
    seed_error(
        &app.get(&format!("{BASE}/{id}/contact-persons/{cp}")).await,
        404,
        "NOT_FOUND",
    );
}

#[tokio::test]
async fn the_list_pages_filters_and_sorts() {
    let app = spawn_app!();
    let rows = [
        ("Delta Bau", "CONSTRUCTION", "GOOD", "ACTIVE", "E-1"),
        ("Alpha Werk", "INDUSTRY", "BAD", "ACTIVE", "E-2"),
        ("Charlie Stadt", "CITY_COMMUNITY", "GOOD", "INACTIVE", "E-3"),
        ("Bravo Privat", "PRIVATE", "MIDDLE", "ACTIVE", "E-4"),
        ("Echo Sonst", "OTHER", "SUBSTANDARD", "ACTIVE", "E-5"),
    ];
    for (name, pt, cw, status, ext) in rows {
        create(
            &app,
            json!({"name": name, "partnerType": pt, "creditworthiness": cw, "status": status,
                   "externalId": ext}),
        )
        .await;
    }
    let names = |v: &Value| -> Vec<String> {
        v["data"]
            .as_array()
            .expect("data")
            .iter()
            .map(|c| c["name"].as_str().unwrap_or("").to_string())
            .collect()
    };
    // Default: newest first.
    let r = app.get(BASE).await;
    assert_eq!(names(&r.body)[0], "Echo Sonst");
    assert_eq!(r.body["meta"]["total"], 5);
    let r = app
        .get(&format!("{BASE}?page=2&limit=2&sortBy=name&sortOrder=ASC"))
        .await;
    assert_eq!(names(&r.body), vec!["Charlie Stadt", "Delta Bau"]);
    assert_eq!(
        r.body["meta"],
        json!({"page": 2, "limit": 2, "total": 5, "totalPages": 3})
    );
    let r = app.get(&format!("{BASE}?page=9&limit=2")).await;
    assert_eq!(r.body["data"], json!([]));
    assert_eq!(r.body["meta"]["totalPages"], 3);
    let r = app
        .get(&format!("{BASE}?sortBy=number&sortOrder=DESC"))
        .await;
    let numbers: Vec<i64> = r.body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|c| c["number"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(numbers, vec![5, 4, 3, 2, 1]);
    let r = app
        .get(&format!("{BASE}?sortBy=createdAt&sortOrder=ASC"))
        .await;
    assert_eq!(names(&r.body)[0], "Delta Bau");
    let r = app
        .get(&format!("{BASE}?sortBy=updatedAt&sortOrder=ASC"))
        .await;
    assert_eq!(r.body["meta"]["total"], 5);
    for (q, expected) in [
        ("status=INACTIVE", vec!["Charlie Stadt"]),
        ("partnerType=INDUSTRY", vec!["Alpha Werk"]),
        (
            "creditworthiness=GOOD&sortBy=name",
            vec!["Delta Bau", "Charlie Stadt"],
        ),
        (
            "creditworthiness=GOOD&sortBy=name&sortOrder=asc",
            vec!["Charlie Stadt", "Delta Bau"],
        ),
        ("externalId=E-4", vec!["Bravo Privat"]),
        ("search=bau", vec!["Delta Bau"]),
        ("search=alpha&status=ACTIVE", vec!["Alpha Werk"]),
        ("search=alpha&status=INACTIVE", vec![]),
    ] {
        let r = app.get(&format!("{BASE}?{q}")).await;
        assert_eq!(r.status.as_u16(), 200, "{q}: {}", r.body);
        assert_eq!(names(&r.body), expected, "{q}");
        assert_eq!(r.body["meta"]["total"], expected.len(), "{q}");
    }
}

#[tokio::test]
async fn archived_clients_are_left_out_of_the_list_and_still_readable() {
    let app = spawn_app!();
    let c = create(&app, json!({"name": "Old"})).await;
    create(&app, json!({"name": "New"})).await;
    let id = c["id"].as_str().expect("id");
    let r = app
        .patch(&format!("/v1/clients/{id}"), json!({"archived": true}))
        .await;
    assert_eq!(r.status.as_u16(), 200);
    let list = app.get(BASE).await;
    assert_eq!(list.body["meta"]["total"], 1);
    assert_eq!(list.body["data"][0]["name"], "New");
    assert_eq!(app.get(&at(id)).await.body["name"], "Old");
}

#[tokio::test]
async fn the_list_embeds_every_contact_person_of_each_client() {
    let app = spawn_app!();
    let a = create(&app, sample()).await;
    create(&app, json!({"name": "No contacts"})).await;
    let id = a["id"].as_str().expect("id");
    for i in 0..3 {
        let r = app
            .post(
                &super::contacts_of(id),
                json!({"name": format!("Extra {i}")}),
            )
            .await;
        assert_eq!(r.status.as_u16(), 201);
    }
    let list = app
        .get(&format!("{BASE}?sortBy=number&sortOrder=ASC"))
        .await;
    let data = list.body["data"].as_array().expect("data");
    assert_eq!(data[0]["contactPersons"].as_array().map(Vec::len), Some(5));
    assert_eq!(data[0], app.get(&at(id)).await.body);
    assert_eq!(data[1]["contactPersons"], json!([]));
}
