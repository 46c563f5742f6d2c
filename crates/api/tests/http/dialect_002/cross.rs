//! Seed 002 and the rest are views of one core: a client written here reads the same through
//! `/v1` and the dialects 000 and 004, a client written there reads the same here, a change
//! shows at once with the same version, and numbers come from one sequence.

use serde_json::{json, Value};

use super::{at, create, example_create, example_update, uuid_of, BASE};
use crate::common::TestApp;

#[tokio::test]
async fn a_client_written_here_reads_the_same_through_v1_and_the_other_dialects() {
    let app = spawn_app!();
    let c = create(&app, example_create()).await;
    let id = uuid_of(&app, &c["id"]).await;
    let v1 = app.get(&format!("/v1/clients/{id}?expand=locations")).await;
    let d = v1.data().clone();
    assert_eq!(d["number"], c["id"]);
    assert_eq!(d["name"], "ACME Client");
    assert_eq!(d["website"], "https://example.com");
    assert_eq!(d["notes"], "VIP client");
    assert_eq!(d["invoice_reminders"], true);
    assert_eq!(d["show_location_on_invoice"], true);
    assert_eq!(d["kind"], "organization");
    assert_eq!(d["address"]["street"], "123 Main Street");
    assert_eq!(d["address"]["line2"], "STE 123");
    assert_eq!(d["address"]["city"], "Denver");
    assert_eq!(d["address"]["region"], "CO");
    assert_eq!(d["address"]["postal_code"], "80202");
    assert_eq!(d["address"]["country"], "US");
    assert_eq!(d["version"], 1);
    assert_eq!(d["created_at"], c["created_at"]);
    assert_eq!(d["updated_at"], c["updated_at"]);
    let l = &d["locations"][0];
    assert_eq!(l["name"], "Main Location");
    assert_eq!(l["billing_email"], "billing@example.com");
    assert_eq!(l["phone_primary"], "555-555-5555");
    assert_eq!(l["fax"], "555-555-5555");
    assert_eq!(l["is_primary"], true);
    // The other dialects.
    let r = app.get(&format!("/api/1.0/clients/{id}")).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    assert_eq!(r.body["data"]["company_name"], "ACME Client");
    assert_eq!(r.body["data"]["country"], "US");
    let r = app
        .get(&format!("/master-data/v1/client-management/clients/{id}"))
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    assert_eq!(r.body["number"], c["id"]);
    assert_eq!(r.body["street"], "123 Main Street");
    assert_eq!(r.body["postalCode"], "80202");
    assert_eq!(r.body["additionalInformation"], "VIP client");
    // The update example shows at once everywhere, with one version and one history.
    let r = app.put(&at(&c["id"]), example_update()).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let d = app.get(&format!("/v1/clients/{id}")).await.data().clone();
    assert_eq!(d["account_code"], "123456");
    assert_eq!(d["version"], 2);
    assert_eq!(d["updated_at"], r.body["client"]["updated_at"]);
    let h = app.get(&format!("/v1/clients/{id}/history")).await;
    let actions: Vec<&str> = h
        .data()
        .as_array()
        .expect("history")
        .iter()
        .map(|e| e["action"].as_str().unwrap_or(""))
        .collect();
    assert!(actions.starts_with(&["updated", "created"]), "{actions:?}");
    // Numbers are one sequence: the next client through /v1 or 004 takes the next number.
    let n = app.create(json!({"name": "Next"})).await;
    assert_eq!(n["number"], 2);
    let r = app
        .post(
            "/master-data/v1/client-management/clients",
            json!({"name": "After"}),
        )
        .await;
    assert_eq!(r.body["number"], 3);
    assert_eq!(app.get(&at(3)).await.body["client"]["name"], "After");
    assert_eq!(app.get(BASE).await.body["meta"]["total"], 3);
}

#[tokio::test]
async fn a_client_written_through_v1_reads_the_same_here() {
    let app = spawn_app!();
    let v = app
        .create(json!({
            "name": "Nordic AB", "account_code": "N-7", "website": "https://nordic.example",
            "billing_email": "ap@nordic.example", "notes": "n", "invoice_reminders": true,
            "show_location_on_invoice": false, "salesperson_id": "12",
            "case_manager_id": "cm-3", "legal_name": "Nordic Aktiebolag"
        }))
        .await;
    let id = v["id"].as_str().expect("id");
    let number = v["number"].clone();
    let r = app.get(&at(&number)).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    assert_eq!(
        r.body["client"],
        json!({
            "id": number, "name": "Nordic AB", "account_code": "N-7",
            "website": "https://nordic.example", "email_invoice": "ap@nordic.example",
            "notes": "n", "has_invoice_reminders": true, "show_location_on_invoice": false,
            "salesperson": 12, "case_manager": null, "primary_location": null,
            "created_at": v["created_at"], "updated_at": v["updated_at"]
        })
    );
    // Locations added through /v1: the primary one shows here.
    let r = app
        .post(
            &format!("/v1/clients/{id}/locations"),
            json!({"name": "Lund", "address": {"street": "Storgatan 1", "city": "Lund",
                   "region": "M", "postal_code": "222 22", "country": "SE"},
                   "fax": "+46 8 2", "billing_email": "lund@nordic.example"}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    let lund = r.body["data"]["id"].clone();
    let r = app
        .post(
            &format!("/v1/clients/{id}/locations"),
            json!({"name": "Malmö", "is_primary": true}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    let here = app.get(&at(&number)).await.body["client"].clone();
    assert_eq!(here["primary_location"]["name"], "Malmö");
    let r = app
        .patch(
            &format!("/v1/clients/{id}/locations/{}", lund.as_str().expect("id")),
            json!({"is_primary": true}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let here = app.get(&at(&number)).await.body["client"].clone();
    assert_eq!(
        here["primary_location"],
        json!({"id": lund, "name": "Lund", "email_invoice": "lund@nordic.example",
               "address_1": "Storgatan 1", "address_2": null, "address_3": null,
               "city": "Lund", "state": "M", "zip": "222 22", "country": "SE",
               "phone_primary": null, "phone_secondary": null, "phone_fax": "+46 8 2",
               "notes": null})
    );
    // The list shows the same clients as the detail.
    let list = app.get(&format!("{BASE}?id={number}")).await;
    assert_eq!(list.body["clients"], json!([here]));
    // An update here keeps every native field it does not show.
    let r = app
        .put(
            &at(&number),
            json!({"client": {"notes": "changed", "salesperson": null}}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let d = app.get(&format!("/v1/clients/{id}")).await.data().clone();
    assert_eq!(d["notes"], "changed");
    assert_eq!(d["salesperson_id"], Value::Null);
    assert_eq!(d["case_manager_id"], "cm-3");
    assert_eq!(d["legal_name"], "Nordic Aktiebolag");
    assert_eq!(d["version"], 2);
    // A delete through /v1 is a 404 here.
    let r = app.delete(&format!("/v1/clients/{id}")).await;
    assert_eq!(r.status.as_u16(), 204);
    app.get(&at(&number)).await.error(404, "NOT_FOUND");
}
