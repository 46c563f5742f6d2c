//! Seed 002's request bodies as native documents (docs/api.md), and the native field paths of a
//! validation error as this dialect names them. Pure functions, free of axum: the core parses
//! and validates the documents these build, so every rule stays the native one; what is checked
//! here is the seed's own shape (the `client` wrapper, the required `primary_location`, its
//! `state` of exactly two characters, `zip` as a string or a number).

use clientele_core::parse::{a_type_name, type_name, whole_i64, whole_u64};
use clientele_core::FieldError;
use serde_json::{Map, Value};

/// Client fields that map one to one: (this dialect's name, native path).
pub const CLIENT_FIELDS: &[(&str, &str)] = &[
    ("name", "name"),
    ("account_code", "account_code"),
    ("website", "website"),
    ("email_invoice", "billing_email"),
    ("notes", "notes"),
    ("has_invoice_reminders", "invoice_reminders"),
    ("show_location_on_invoice", "show_location_on_invoice"),
];

/// The people of a client, integers here and text natively: (this dialect's name, native path).
pub const PERSON_FIELDS: &[(&str, &str)] = &[
    ("salesperson", "salesperson_id"),
    ("case_manager", "case_manager_id"),
];

/// Read-only client fields: accepted in a body and ignored (`id` is checked on `PUT`).
const CLIENT_READ_ONLY: &[&str] = &["created_at", "updated_at"];

/// Location fields that map one to one onto the native location.
pub const LOCATION_FIELDS: &[(&str, &str)] = &[
    ("name", "name"),
    ("email_invoice", "billing_email"),
    ("phone_primary", "phone_primary"),
    ("phone_secondary", "phone_secondary"),
    ("phone_fax", "fax"),
    ("notes", "notes"),
];

/// Location fields that are its address (the location's, and the client's too): (this
/// dialect's name, native address field).
pub const ADDRESS_FIELDS: &[(&str, &str)] = &[
    ("address_1", "street"),
    ("address_2", "line2"),
    ("address_3", "line3"),
    ("city", "city"),
    ("state", "region"),
    ("zip", "postal_code"),
    ("country", "country"),
];

/// The wrapper key of every body and answer.
pub const WRAPPER: &str = "client";
/// The location key of a client body, and the prefix of its fields' names.
pub const LOCATION: &str = "primary_location";

/// A `POST` body as native documents.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientCreate {
    /// The client, with the location's address as its own.
    pub client: Value,
    /// The primary location.
    pub location: Value,
}

fn err(field: &str, code: &str, message: impl Into<String>) -> FieldError {
    FieldError::new(field, code, message)
}

/// The `client` object of a body: `{"client": {...}}` and nothing else beside it. Without the
/// wrapper the one error names `client` (the fields at the top level are the client's, sent
/// unwrapped, not unknown ones).
fn unwrap(body: &Value) -> Result<&Map<String, Value>, Vec<FieldError>> {
    let Some(obj) = body.as_object() else {
        return Err(vec![err(
            "body",
            "invalid_type",
            format!(
                "must be a JSON object with a \"client\" object, not {}",
                a_type_name(body)
            ),
        )]);
    };
    let client = match obj.get(WRAPPER) {
        Some(Value::Object(c)) => c,
        None | Some(Value::Null) => {
            return Err(vec![err(
                WRAPPER,
                "required",
                "is required: the fields must be nested under a \"client\" object",
            )])
        }
        Some(other) => {
            return Err(vec![err(
                WRAPPER,
                "invalid_type",
                format!("must be an object, not {}", a_type_name(other)),
            )])
        }
    };
    let beside: Vec<FieldError> = obj
        .keys()
        .filter(|k| *k != WRAPPER)
        .map(|k| {
            err(
                k,
                "unknown_field",
                "is not a known field (the client's fields go inside \"client\")",
            )
        })
        .collect();
    if beside.is_empty() {
        Ok(client)
    } else {
        Err(beside)
    }
}

/// A salesperson's or case manager's id: a non-negative integer no larger than 2^63 − 1 (the
/// document's `int64`), stored as its decimal text, or null.
fn person_value(key: &str, v: &Value) -> Result<Value, FieldError> {
    match v {
        Value::Null => Ok(Value::Null),
        Value::Number(_) => whole_i64(v)
            .filter(|n| *n >= 0)
            .map(|n| Value::String(n.to_string()))
            .ok_or_else(|| {
                err(
                    key,
                    "invalid_type",
                    "must be a non-negative integer no larger than 9223372036854775807",
                )
            }),
        other => Err(err(
            key,
            "invalid_type",
            format!("must be an integer, not {}", type_name(other)),
        )),
    }
}

/// The client fields of a body (everything but `primary_location` and `id`) into `doc`.
fn client_fields(
    obj: &Map<String, Value>,
    doc: &mut Map<String, Value>,
    errors: &mut Vec<FieldError>,
) {
    for (key, v) in obj {
        let k = key.as_str();
        if k == LOCATION || k == "id" || CLIENT_READ_ONLY.contains(&k) {
            continue;
        }
        if let Some((_, path)) = CLIENT_FIELDS.iter().find(|(name, _)| *name == k) {
            doc.insert((*path).to_string(), v.clone());
        } else if let Some((_, path)) = PERSON_FIELDS.iter().find(|(name, _)| *name == k) {
            match person_value(k, v) {
                Ok(x) => {
                    doc.insert((*path).to_string(), x);
                }
                Err(e) => errors.push(e),
            }
        } else {
            errors.push(err(k, "unknown_field", "is not a known field"));
        }
    }
}

/// `zip`: a string, or an integer written as a number (`80202` → `"80202"`).
fn zip_value(name: &str, v: &Value) -> Result<Value, FieldError> {
    match v {
        Value::Null | Value::String(_) => Ok(v.clone()),
        Value::Number(_) if whole_u64(v).is_some() => Ok(Value::String(
            whole_u64(v).map(|n| n.to_string()).unwrap_or_default(),
        )),
        other => Err(err(
            name,
            "invalid_type",
            format!(
                "must be a string or a whole number, not {}",
                a_type_name(other)
            ),
        )),
    }
}

/// `state`: required, a string of exactly two characters.
fn state_value(name: &str, v: Option<&Value>) -> Result<Value, FieldError> {
    match v {
        None | Some(Value::Null) => Err(err(
            name,
            "required",
            "is required: the 2-character state or province code",
        )),
        Some(Value::String(s)) if s.trim().chars().count() == 2 => Ok(Value::String(s.clone())),
        Some(Value::String(_)) => Err(err(
            name,
            "invalid_length",
            "must be exactly 2 characters (a state or province code)",
        )),
        Some(other) => Err(err(
            name,
            "invalid_type",
            format!("must be a string, not {}", type_name(other)),
        )),
    }
}

/// `primary_location` as the native location document and the address it carries.
fn location_docs(v: &Value, errors: &mut Vec<FieldError>) -> (Value, Map<String, Value>) {
    let mut doc = Map::new();
    let mut address = Map::new();
    let Some(obj) = v.as_object() else {
        errors.push(match v {
            Value::Null => err(
                LOCATION,
                "required",
                "is required: the client's primary location",
            ),
            other => err(
                LOCATION,
                "invalid_type",
                format!("must be an object, not {}", a_type_name(other)),
            ),
        });
        return (Value::Object(doc), address);
    };
    let name = |k: &str| format!("{LOCATION}.{k}");
    for (key, v) in obj {
        let k = key.as_str();
        if k == "id" || k == "state" {
            // `id` is read-only; `state` is checked below, present or not.
            continue;
        }
        if let Some((_, native)) = LOCATION_FIELDS.iter().find(|(n, _)| *n == k) {
            doc.insert((*native).to_string(), v.clone());
        } else if k == "zip" {
            match zip_value(&name(k), v) {
                Ok(x) => {
                    address.insert("postal_code".into(), x);
                }
                Err(e) => errors.push(e),
            }
        } else if let Some((_, native)) = ADDRESS_FIELDS.iter().find(|(n, _)| *n == k) {
            address.insert((*native).to_string(), v.clone());
        } else {
            errors.push(err(&name(k), "unknown_field", "is not a known field"));
        }
    }
    match state_value(&name("state"), obj.get("state")) {
        Ok(x) => {
            address.insert("region".into(), x);
        }
        Err(e) => errors.push(e),
    }
    if matches!(obj.get("country"), None | Some(Value::Null)) {
        errors.push(err(
            &name("country"),
            "required",
            "is required: the 2-character ISO country code",
        ));
    }
    doc.insert("is_primary".into(), Value::Bool(true));
    doc.insert("address".into(), Value::Object(address.clone()));
    (Value::Object(doc), address)
}

/// A `POST` body, `{"client": {..., "primary_location": {...}}}`, as the native client (whose
/// address is the location's) and its primary location.
pub fn client_create(body: &Value) -> Result<ClientCreate, Vec<FieldError>> {
    let obj = unwrap(body)?;
    let mut doc = Map::new();
    let mut errors = Vec::new();
    client_fields(obj, &mut doc, &mut errors);
    let (location, address) = location_docs(obj.get(LOCATION).unwrap_or(&Value::Null), &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    doc.insert("address".into(), Value::Object(address));
    Ok(ClientCreate {
        client: Value::Object(doc),
        location,
    })
}

/// A `PUT` body, `{"client": {...}}`, as a native merge patch: only the fields given change,
/// `null` clears one. `number` is the client's (the path's): a body `id` must be absent, null
/// or that number. `primary_location` is refused: the location changes through `/v1`.
pub fn client_update(body: &Value, number: i64) -> Result<Value, Vec<FieldError>> {
    let obj = unwrap(body)?;
    let mut doc = Map::new();
    let mut errors = Vec::new();
    if let Some(id) = obj.get("id") {
        if !(id.is_null() || id.as_i64() == Some(number)) {
            errors.push(err(
                "id",
                "mismatch",
                "must be absent or equal to the client id in the path",
            ));
        }
    }
    if obj.contains_key(LOCATION) {
        errors.push(err(
            LOCATION,
            "read_only",
            "is set when the client is created; change the location through /v1/clients/{id}/locations",
        ));
    }
    // A client always has a name here: `null` clears optional fields only, and a blank name is
    // refused (a native merge patch would give a person the default `first_name last_name`,
    // which this dialect does not know).
    match obj.get("name") {
        Some(Value::Null) => {
            errors.push(err(
                "name",
                "required",
                "cannot be null: a client keeps its name",
            ));
        }
        Some(Value::String(s)) if s.trim().is_empty() => {
            errors.push(err("name", "too_short", "must not be empty"));
        }
        _ => {}
    }
    client_fields(obj, &mut doc, &mut errors);
    if errors.is_empty() {
        Ok(Value::Object(doc))
    } else {
        Err(errors)
    }
}

/// A native field of the location, or of the address it shares with the client, as this
/// dialect names it (`fax` → `primary_location.phone_fax`, `address.region` →
/// `primary_location.state`).
fn location_field_name(native: &str) -> String {
    if native.is_empty() || native == "body" || native == "address" {
        return LOCATION.to_string();
    }
    let name = match native.strip_prefix("address.") {
        Some(a) => ADDRESS_FIELDS
            .iter()
            .find(|(_, n)| *n == a)
            .map_or(a, |(name, _)| name),
        None => LOCATION_FIELDS
            .iter()
            .find(|(_, n)| *n == native)
            .map_or(native, |(name, _)| name),
    };
    format!("{LOCATION}.{name}")
}

/// A native path of a failed client write as this dialect names it: the client's own fields
/// (`billing_email` → `email_invoice`, `invoice_reminders` → `has_invoice_reminders`), the
/// client's address (which is the primary location's) and the primary location's fields
/// (`locations.0.address.region` → `primary_location.state`).
pub fn client_field_name(native: &str) -> String {
    if let Some(rest) = native.strip_prefix("locations.0") {
        return location_field_name(rest.trim_start_matches('.'));
    }
    if native == "locations" {
        return LOCATION.to_string();
    }
    if native == "address" || native.starts_with("address.") {
        return location_field_name(native);
    }
    CLIENT_FIELDS
        .iter()
        .chain(PERSON_FIELDS)
        .find(|(_, p)| *p == native)
        .map_or(native, |(name, _)| name)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(e: Vec<FieldError>) -> Vec<(String, String)> {
        e.into_iter().map(|e| (e.field, e.code)).collect()
    }

    /// The seed's example create request.
    fn example() -> Value {
        json!({"client": {
            "name": "ACME Client", "website": "https://example.com",
            "has_invoice_reminders": true, "show_location_on_invoice": true, "notes": "VIP client",
            "primary_location": {
                "name": "Main Location", "email_invoice": "billing@example.com",
                "phone_primary": "555-555-5555", "phone_secondary": "555-555-5555",
                "phone_fax": "555-555-5555", "address_1": "123 Main Street", "address_2": "STE 123",
                "city": "Denver", "state": "CO", "zip": 80202, "country": "US"
            }
        }})
    }

    #[test]
    fn the_seeds_example_becomes_a_client_and_its_primary_location() {
        let c = client_create(&example()).expect("maps");
        let address = json!({"street": "123 Main Street", "line2": "STE 123", "city": "Denver",
                             "region": "CO", "postal_code": "80202", "country": "US"});
        assert_eq!(
            c.client,
            json!({"name": "ACME Client", "website": "https://example.com",
                   "invoice_reminders": true, "show_location_on_invoice": true,
                   "notes": "VIP client", "address": address})
        );
        assert_eq!(
            c.location,
            json!({"name": "Main Location", "billing_email": "billing@example.com",
                   "phone_primary": "555-555-5555", "phone_secondary": "555-555-5555",
                   "fax": "555-555-5555", "is_primary": true, "address": address})
        );
        clientele_core::ClientData::from_json(&c.client).expect("the core accepts the client");
        clientele_core::sub::SubData::from_json(
            clientele_core::sub::SubKind::Location,
            &c.location,
        )
        .expect("the core accepts the location");
    }

    #[test]
    fn every_client_field_maps_and_read_only_ones_are_ignored() {
        let c = client_create(&json!({"client": {
            "id": 5, "created_at": "x", "updated_at": "y", "name": "A", "account_code": "123456",
            "email_invoice": "b@a.com", "salesperson": 17, "case_manager": null,
            "primary_location": {"id": "whatever", "name": "HQ", "state": "ON", "country": "CA",
                                 "zip": "K1A 0B1", "address_3": "x", "notes": "n"}
        }}))
        .expect("maps");
        assert_eq!(
            c.client,
            json!({"name": "A", "account_code": "123456", "billing_email": "b@a.com",
                   "salesperson_id": "17", "case_manager_id": null,
                   "address": {"region": "ON", "country": "CA", "postal_code": "K1A 0B1",
                               "line3": "x"}})
        );
        assert_eq!(c.location["notes"], "n");
        assert_eq!(c.location["address"]["postal_code"], "K1A 0B1");
    }

    #[test]
    fn the_wrapper_is_required() {
        for body in [
            json!({"name": "ACME Client"}),
            json!({"client": null}),
            json!({}),
        ] {
            let e = client_create(&body).expect_err("refused");
            assert_eq!(fields(e), vec![("client".into(), "required".into())]);
            let e = client_update(&body, 1).expect_err("refused");
            assert_eq!(fields(e), vec![("client".into(), "required".into())]);
        }
        let e = client_update(&json!({"client": "x"}), 1).expect_err("refused");
        assert_eq!(fields(e), vec![("client".into(), "invalid_type".into())]);
        let e = client_create(&json!([1])).expect_err("refused");
        assert_eq!(fields(e), vec![("body".into(), "invalid_type".into())]);
    }

    #[test]
    fn the_primary_location_its_state_and_country_are_required() {
        let e = client_create(&json!({"client": {"name": "A"}})).expect_err("refused");
        assert_eq!(
            fields(e),
            vec![("primary_location".into(), "required".into())]
        );
        let e = client_create(&json!({"client": {"name": "A", "primary_location": [1]}}))
            .expect_err("refused");
        assert_eq!(
            fields(e),
            vec![("primary_location".into(), "invalid_type".into())]
        );
        let e =
            client_create(&json!({"client": {"name": "A", "primary_location": {"name": "HQ"}}}))
                .expect_err("refused");
        assert_eq!(
            fields(e),
            vec![
                ("primary_location.state".into(), "required".into()),
                ("primary_location.country".into(), "required".into())
            ]
        );
        for (state, code) in [
            (json!("Colorado"), "invalid_length"),
            (json!("C"), "invalid_length"),
            (json!(""), "invalid_length"),
            (json!(12), "invalid_type"),
        ] {
            let e = client_create(&json!({"client": {"name": "A", "primary_location":
                {"name": "HQ", "state": state, "country": "US"}}}))
            .expect_err("refused");
            assert_eq!(
                fields(e),
                vec![("primary_location.state".into(), code.into())]
            );
        }
        // Two characters, whatever they are: "Ö1" is the caller's business.
        let c = client_create(&json!({"client": {"name": "A", "primary_location":
            {"name": "HQ", "state": "Ö1", "country": "SE"}}}))
        .expect("maps");
        assert_eq!(c.location["address"]["region"], "Ö1");
    }

    #[test]
    fn zip_is_a_string_or_a_whole_number() {
        let with_zip = |zip: Value| {
            client_create(&json!({"client": {"name": "A", "primary_location":
                {"name": "HQ", "state": "CO", "country": "US", "zip": zip}}}))
        };
        assert_eq!(
            with_zip(json!(80202)).expect("maps").client["address"]["postal_code"],
            "80202"
        );
        assert_eq!(
            with_zip(json!("02134")).expect("maps").client["address"]["postal_code"],
            "02134"
        );
        // The same whole number written with a fraction: JSON Schema's integer too.
        assert_eq!(
            with_zip(json!(165.0)).expect("maps").client["address"]["postal_code"],
            "165"
        );
        for bad in [json!(802.5), json!(-1), json!(true), json!({})] {
            let e = with_zip(bad.clone()).expect_err("refused");
            assert_eq!(
                fields(e),
                vec![("primary_location.zip".into(), "invalid_type".into())],
                "{bad}"
            );
        }
    }

    #[test]
    fn unknown_and_mistyped_fields_are_refused_by_their_names() {
        let e = client_create(&json!({"extra": 1, "client": {"name": "A",
            "legal_name": "x", "salesperson": "17", "case_manager": -2,
            "primary_location": {"name": "HQ", "state": "CO", "country": "US", "fax": "1"}}}))
        .expect_err("refused");
        assert_eq!(fields(e), vec![("extra".into(), "unknown_field".into())]);
        let e = client_create(&json!({"client": {"name": "A",
            "legal_name": "x", "salesperson": "17", "case_manager": -2,
            "primary_location": {"name": "HQ", "state": "CO", "country": "US", "fax": "1"}}}))
        .expect_err("refused");
        let mut got = fields(e);
        got.sort();
        assert_eq!(
            got,
            vec![
                ("case_manager".into(), "invalid_type".into()),
                ("legal_name".into(), "unknown_field".into()),
                ("primary_location.fax".into(), "unknown_field".into()),
                ("salesperson".into(), "invalid_type".into()),
            ]
        );
    }

    #[test]
    fn person_ids_are_int64_as_the_document_declares() {
        let d = client_update(
            &json!({"client": {"salesperson": 9223372036854775807_u64}}),
            3,
        )
        .expect("maps");
        assert_eq!(d, json!({"salesperson_id": "9223372036854775807"}));
        for big in [
            json!(9223372036854775808_u64),
            json!(18446744073709551615_u64),
        ] {
            let e =
                client_update(&json!({"client": {"case_manager": big}}), 3).expect_err("refused");
            assert_eq!(
                fields(e),
                vec![("case_manager".into(), "invalid_type".into())],
                "{big}"
            );
        }
    }

    #[test]
    fn an_update_is_a_patch_of_the_given_fields() {
        let d = client_update(&json!({"client": {"account_code": "123456"}}), 3).expect("maps");
        assert_eq!(d, json!({"account_code": "123456"}));
        let d = client_update(
            &json!({"client": {"id": 3, "notes": null, "has_invoice_reminders": false,
                               "salesperson": 9, "updated_at": "x"}}),
            3,
        )
        .expect("maps");
        assert_eq!(
            d,
            json!({"notes": null, "invoice_reminders": false, "salesperson_id": "9"})
        );
        let e = client_update(&json!({"client": {"name": null}}), 3).expect_err("refused");
        assert_eq!(fields(e), vec![("name".into(), "required".into())]);
        let e = client_update(&json!({"client": {"name": " "}}), 3).expect_err("refused");
        assert_eq!(fields(e), vec![("name".into(), "too_short".into())]);
        let e = client_update(
            &json!({"client": {"id": 4, "primary_location": {"name": "x"}}}),
            3,
        )
        .expect_err("refused");
        assert_eq!(
            fields(e),
            vec![
                ("id".into(), "mismatch".into()),
                ("primary_location".into(), "read_only".into())
            ]
        );
    }

    #[test]
    fn native_paths_are_named_as_this_dialect_names_them() {
        for (native, here) in [
            ("billing_email", "email_invoice"),
            ("invoice_reminders", "has_invoice_reminders"),
            ("salesperson_id", "salesperson"),
            ("case_manager_id", "case_manager"),
            ("name", "name"),
            ("website", "website"),
            ("address.region", "primary_location.state"),
            ("address.postal_code", "primary_location.zip"),
            ("address.street", "primary_location.address_1"),
            ("address.country", "primary_location.country"),
            ("locations.0.name", "primary_location.name"),
            ("locations.0.fax", "primary_location.phone_fax"),
            (
                "locations.0.billing_email",
                "primary_location.email_invoice",
            ),
            ("locations.0.address.line2", "primary_location.address_2"),
            ("locations.0.address.region", "primary_location.state"),
            ("locations.0", "primary_location"),
            ("body", "body"),
            ("id", "id"),
        ] {
            assert_eq!(client_field_name(native), here, "{native}");
        }
        for (here, native) in CLIENT_FIELDS {
            assert_eq!(client_field_name(native), *here);
        }
    }
}
