//! Seed 002 (a CRM with client locations) at `/api/v1/clients`: the seed's examples, its list,
//! its errors and the native protocol (ETags, idempotency keys, permissions, rate-limit headers,
//! request ids), and the same clients through `/v1` and the other dialects.

mod clients;
mod cross;
mod protocol;

use serde_json::{json, Value};

use crate::common::TestApp;

pub const BASE: &str = "/api/v1/clients";

/// The path of one client, by its number.
pub fn at(id: impl std::fmt::Display) -> String {
    format!("{BASE}/{id}")
}

/// The seed's "Example New Client Request", verbatim.
pub fn example_create() -> Value {
    json!({
        "client": {
            "name": "ACME Client",
            "website": "https://example.com",
            "has_invoice_reminders": true,
            "show_location_on_invoice": true,
            "notes": "VIP client",
            "primary_location": {
                "name": "Main Location",
                "email_invoice": "billing@example.com",
                "phone_primary": "555-555-5555",
                "phone_secondary": "555-555-5555",
                "phone_fax": "555-555-5555",
                "address_1": "123 Main Street",
                "address_2": "STE 123",
                "city": "Denver",
                "state": "CO",
                "zip": 80202,
                "country": "US"
            }
        }
    })
}

/// The seed's "Example Update Client Request", verbatim.
pub fn example_update() -> Value {
    json!({"client": {"account_code": "123456"}})
}

/// A minimal valid create body with this name.
pub fn minimal(name: &str) -> Value {
    json!({"client": {"name": name, "primary_location":
        {"name": "HQ", "state": "CO", "country": "US"}}})
}

/// `POST`s a client here and returns the `client` of the answer (asserting 201).
pub async fn create(app: &TestApp, body: Value) -> Value {
    let r = app.post(BASE, body).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    r.body["client"].clone()
}

/// The native UUID of the client with this number, through `/v1`.
pub async fn uuid_of(app: &TestApp, number: &Value) -> String {
    let r = app
        .get(&format!("/v1/clients?filter=number eq {number}"))
        .await;
    let items = r.data().as_array().expect("list").clone();
    assert_eq!(items.len(), 1, "{}", r.body);
    items[0]["id"].as_str().expect("id").to_string()
}
