//! Seed 004 (master-data client management) at `/master-data/v1/client-management/clients`:
//! the seed's examples, its list, its contact persons, its errors and the native protocol
//! (ETags, idempotency keys, permissions, rate-limit headers), and the same clients through
//! `/v1`. [`read_as_native`] reads one client through this dialect, named as `/v1` names its
//! fields, for tests that compare dialects.

mod clients;
mod contacts;
mod cross;
mod protocol;

use serde_json::{json, Map, Value};

use crate::common::{Reply, TestApp};

pub const BASE: &str = "/master-data/v1/client-management/clients";

/// The path of one client.
pub fn at(id: &str) -> String {
    format!("{BASE}/{id}")
}

/// The contact-person collection of a client.
pub fn contacts_of(client_id: &str) -> String {
    format!("{BASE}/{client_id}/contact-persons")
}

/// The seed's client model, every writable field filled in, with two contact persons.
pub fn sample() -> Value {
    json!({
        "name": "Baustoffe Müller GmbH",
        "externalId": "ERP-1001",
        "customPriceId": "PL-7",
        "creditLimit": 50000,
        "usedLimit": 1250.5,
        "paymentTerms": 30,
        "additionalInformation": "Deliveries before noon only",
        "frameContract": true,
        "selfInsurance": false,
        "pricing": "list",
        "website": "https://mueller-baustoffe.example",
        "fax": "+49 30 1234567",
        "point": {"lng": 13.405, "lat": 52.52},
        "street": "Hauptstraße",
        "streetAndNumber": "Hauptstraße 5a",
        "city": "Berlin",
        "phone": "+49 30 1234560",
        "country": "DE",
        "email": "info@mueller-baustoffe.example",
        "partnerType": "CONSTRUCTION",
        "longName": "Baustoffe Müller GmbH & Co. KG",
        "postalCode": "10115",
        "creditworthiness": "GOOD",
        "status": "ACTIVE",
        "structureId": "region-north",
        "contactPersons": [
            {"name": "Eva Schmidt", "jobTitle": "Head of Purchasing", "department": "Procurement",
             "email": "eva.schmidt@mueller-baustoffe.example", "phone": "+49 30 1234561",
             "mobile": "+49 170 1234561", "isMain": true, "externalId": "CP-1"},
            {"name": "Jonas Weber", "jobTitle": "Site Manager", "department": "Operations",
             "email": "jonas.weber@mueller-baustoffe.example", "phone": "+49 30 1234562",
             "mobile": "+49 170 1234562", "isMain": false, "externalId": "CP-2"}
        ]
    })
}

/// `POST`s a client here and returns its body (asserting 201).
pub async fn create(app: &TestApp, body: Value) -> Value {
    let r = app.post(BASE, body).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    r.body
}

/// Asserts the seed's error DTO (`status`, `success`, `message`, `error`, within the native
/// body) and returns `details` as (field, code) pairs.
pub fn seed_error(r: &Reply, status: u16, code: &str) -> Vec<(String, String)> {
    for key in ["status", "success", "message", "error"] {
        assert!(r.body.get(key).is_some(), "{key} missing: {}", r.body);
    }
    r.error(status, code)
}

/// The main contacts of a client read here.
pub fn mains(client: &Value) -> Vec<String> {
    client["contactPersons"]
        .as_array()
        .expect("contactPersons")
        .iter()
        .filter(|c| c["isMain"] == true)
        .map(|c| c["name"].as_str().unwrap_or("").to_string())
        .collect()
}

fn lower(v: &Value) -> Value {
    v.as_str()
        .map_or(Value::Null, |s| Value::String(s.to_ascii_lowercase()))
}

/// The house number inside `streetAndNumber`, given the street.
fn street_number(street: &Value, combined: &Value) -> Value {
    let (Some(s), Some(c)) = (street.as_str(), combined.as_str()) else {
        return if street.is_null() {
            combined.clone()
        } else {
            Value::Null
        };
    };
    match c.strip_prefix(s).map(str::trim) {
        Some(rest) if !rest.is_empty() => json!(rest),
        _ => Value::Null,
    }
}

/// Reads one client through this dialect and returns what it shows, named as `/v1` names it
/// (`longName` → `legal_name`, `creditLimit` → `credit.limit`, `point` → `address.latitude`
/// and `longitude`, enums in snake_case, `contactPersons` → `contact_persons` ordered by id).
/// `None` when the dialect answers 404.
pub async fn read_as_native(app: &TestApp, id: &str) -> Option<Value> {
    let r = app.get(&at(id)).await;
    if r.status.as_u16() == 404 {
        return None;
    }
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    Some(as_native(&r.body))
}

/// A client as this dialect shows it (the detail, or an item of the list), named as `/v1`
/// names it: see [`read_as_native`].
pub fn as_native(c: &Value) -> Value {
    let point = &c["point"];
    let mut contacts: Vec<Value> = c["contactPersons"]
        .as_array()
        .expect("contactPersons")
        .iter()
        .map(|p| {
            json!({
                "id": p["id"], "client_id": p["clientId"], "name": p["name"],
                "job_title": p["jobTitle"], "department": p["department"], "email": p["email"],
                "phone": p["phone"], "mobile": p["mobile"], "is_main": p["isMain"],
                "external_id": p["externalId"], "updated_at": p["updatedAt"],
            })
        })
        .collect();
    contacts.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    json!({
        "id": c["id"], "number": c["number"], "name": c["name"], "external_id": c["externalId"],
        "legal_name": c["longName"], "notes": c["additionalInformation"], "website": c["website"],
        "fax": c["fax"], "phone": c["phone"], "email": c["email"], "status": lower(&c["status"]),
        "partner_type": lower(&c["partnerType"]), "structure_id": c["structureId"],
        "address": {
            "street": c["street"], "street_number": street_number(&c["street"], &c["streetAndNumber"]),
            "city": c["city"], "postal_code": c["postalCode"], "country": c["country"],
            "latitude": point["lat"], "longitude": point["lng"],
        },
        "credit": {
            "limit": c["creditLimit"], "used": c["usedLimit"],
            "payment_terms_days": c["paymentTerms"],
            "creditworthiness": lower(&c["creditworthiness"]),
            "frame_contract": c["frameContract"], "self_insurance": c["selfInsurance"],
            "pricing": c["pricing"], "custom_price_id": c["customPriceId"],
        },
        "created_at": c["createdAt"], "updated_at": c["updatedAt"],
        "contact_persons": contacts,
    })
}

/// The same fields of a client read through `/v1` (with its contact persons), for comparing
/// with [`read_as_native`]. `None` when `/v1` answers 404.
pub async fn read_v1_subset(app: &TestApp, id: &str) -> Option<Value> {
    let r = app
        .get(&format!("/v1/clients/{id}?expand=contact_persons"))
        .await;
    if r.status.as_u16() == 404 {
        return None;
    }
    let d = r.data();
    let pick = |obj: &Value, keys: &[&str]| -> Value {
        let mut m = Map::new();
        for k in keys {
            m.insert(
                (*k).to_string(),
                obj.get(*k).cloned().unwrap_or(Value::Null),
            );
        }
        Value::Object(m)
    };
    let address = pick(
        &d["address"],
        &[
            "street",
            "street_number",
            "city",
            "postal_code",
            "country",
            "latitude",
            "longitude",
        ],
    );
    let credit = pick(
        &d["credit"],
        &[
            "limit",
            "used",
            "payment_terms_days",
            "creditworthiness",
            "frame_contract",
            "self_insurance",
            "pricing",
            "custom_price_id",
        ],
    );
    let mut contacts: Vec<Value> = d["contact_persons"]
        .as_array()
        .expect("contact_persons")
        .iter()
        .map(|p| {
            pick(
                p,
                &[
                    "id",
                    "client_id",
                    "name",
                    "job_title",
                    "department",
                    "email",
                    "phone",
                    "mobile",
                    "is_main",
                    "external_id",
                    "updated_at",
                ],
            )
        })
        .collect();
    contacts.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    let mut out = pick(
        d,
        &[
            "id",
            "number",
            "name",
            "external_id",
            "legal_name",
            "notes",
            "website",
            "fax",
            "phone",
            "email",
            "status",
            "partner_type",
            "structure_id",
            "created_at",
            "updated_at",
        ],
    );
    out["address"] = address;
    out["credit"] = credit;
    out["contact_persons"] = Value::Array(contacts);
    Some(out)
}
