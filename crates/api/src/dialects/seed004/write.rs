//! Seed 004's request bodies as native documents (docs/api.md), and the native field paths of a
//! validation error as this dialect names them. Pure functions, free of axum: the core parses
//! and validates the documents these build, so every rule stays the native one.

use clientele_core::parse::{a_type_name, type_name};
use clientele_core::FieldError;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::wire::{Seed004Creditworthiness, Seed004PartnerType, Seed004Status};

/// Client fields that map one to one: (this dialect's name, native path).
pub const CLIENT_FIELDS: &[(&str, &str)] = &[
    ("name", "name"),
    ("externalId", "external_id"),
    ("customPriceId", "credit.custom_price_id"),
    ("creditLimit", "credit.limit"),
    ("usedLimit", "credit.used"),
    ("paymentTerms", "credit.payment_terms_days"),
    ("additionalInformation", "notes"),
    ("frameContract", "credit.frame_contract"),
    ("selfInsurance", "credit.self_insurance"),
    ("pricing", "credit.pricing"),
    ("website", "website"),
    ("fax", "fax"),
    ("street", "address.street"),
    ("city", "address.city"),
    ("phone", "phone"),
    ("country", "address.country"),
    ("email", "email"),
    ("partnerType", "partner_type"),
    ("longName", "legal_name"),
    ("postalCode", "address.postal_code"),
    ("creditworthiness", "credit.creditworthiness"),
    ("status", "status"),
    ("structureId", "structure_id"),
];

/// The two coordinates of `point`: (its key, native path).
const POINT_FIELDS: [(&str, &str); 2] = [("lng", "address.longitude"), ("lat", "address.latitude")];

/// Read-only client fields: accepted in a body and ignored (`id` and `organization` are
/// checked).
const CLIENT_READ_ONLY: &[&str] = &["number", "createdAt", "updatedAt"];

/// Contact person fields that map one to one.
pub const CONTACT_FIELDS: &[(&str, &str)] = &[
    ("name", "name"),
    ("jobTitle", "job_title"),
    ("department", "department"),
    ("email", "email"),
    ("phone", "phone"),
    ("mobile", "mobile"),
    ("isMain", "is_main"),
    ("externalId", "external_id"),
];

/// How the body is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `POST`: a complete document (absent fields take their defaults).
    Create,
    /// `PATCH`: a merge patch (absent fields unchanged, `null` clears).
    Patch,
}

/// A client body as native documents.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientWrite {
    /// The native client document (create) or merge patch (patch).
    pub doc: Value,
    /// The native documents of `contactPersons` (create only), in body order.
    pub contact_persons: Vec<Value>,
    /// Whether the body wrote the street through `streetAndNumber` alone, so the native
    /// `address.street` is named `streetAndNumber` in errors.
    pub street_from_combined: bool,
}

fn err(field: &str, code: &str, message: impl Into<String>) -> FieldError {
    FieldError::new(field, code, message)
}

/// Sets `path` (`credit.limit`) in a document, creating the parent object.
fn set(doc: &mut Map<String, Value>, path: &str, v: Value) {
    match path.split_once('.') {
        None => {
            doc.insert(path.to_string(), v);
        }
        Some((parent, child)) => {
            let slot = doc
                .entry(parent.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            if let Value::Object(m) = slot {
                m.insert(child.to_string(), v);
            }
        }
    }
}

/// Splits `streetAndNumber` into street and number: at the whitespace before the last token
/// that holds a digit (`Straße des 17. Juni 114` → `Straße des 17. Juni` + `114`; `Main Street
/// 5 B` → `Main Street` + `5 B`). No such token, or only the first one has a digit
/// (`221B Baker Street`): all street, no number. Blank: neither.
pub fn split_street_and_number(s: &str) -> (Option<String>, Option<String>) {
    let s = s.trim();
    if s.is_empty() {
        return (None, None);
    }
    let mut split_at = None;
    let mut prev_space = false;
    for (i, ch) in s.char_indices() {
        if ch.is_whitespace() {
            prev_space = true;
            continue;
        }
        if prev_space {
            // `i` starts a token that is not the first one.
            let token = s[i..].split(char::is_whitespace).next().unwrap_or("");
            if token.chars().any(|c| c.is_ascii_digit()) {
                split_at = Some(i);
            }
        }
        prev_space = false;
    }
    match split_at {
        Some(i) => (
            Some(s[..i].trim_end().to_string()),
            Some(s[i..].to_string()),
        ),
        None => (Some(s.to_string()), None),
    }
}

/// The house number of `streetAndNumber` when `street` is given too: what follows the street
/// when the combined value starts with it, else the number its split finds.
fn number_beside_street(combined: &str, street: &str) -> Option<String> {
    let combined = combined.trim();
    let street = street.trim();
    if !street.is_empty() {
        if let Some(rest) = combined.strip_prefix(street) {
            if rest.is_empty() || rest.starts_with(char::is_whitespace) {
                let rest = rest.trim();
                return (!rest.is_empty()).then(|| rest.to_string());
            }
        }
    }
    split_street_and_number(combined).1
}

fn enum_value(
    name: &str,
    v: &Value,
    allowed: &[&str],
    native: impl Fn(&str) -> Option<&'static str>,
) -> Result<Value, FieldError> {
    match v {
        Value::Null => Ok(Value::Null),
        Value::String(s) => native(s).map(|n| Value::String(n.into())).ok_or_else(|| {
            err(
                name,
                "invalid_value",
                format!("must be one of: {}", allowed.join(", ")),
            )
        }),
        other => Err(err(
            name,
            "invalid_type",
            format!("must be a string, not {}", type_name(other)),
        )),
    }
}

fn not_an_object(body: &Value) -> Vec<FieldError> {
    vec![err(
        "body",
        "invalid_type",
        format!("must be a JSON object, not {}", a_type_name(body)),
    )]
}

/// A read-only id in a body must be absent, null or the expected one.
fn matches_id(v: &Value, expected: Uuid) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => Uuid::parse_str(s).ok() == Some(expected),
        _ => false,
    }
}

/// A client body (`POST` or `PATCH`) as a native document. `organization` is the caller's
/// tenant id: a body `organization` must be absent, null or that id.
pub fn client_write(
    body: &Value,
    mode: Mode,
    organization: Uuid,
) -> Result<ClientWrite, Vec<FieldError>> {
    let Some(obj) = body.as_object() else {
        return Err(not_an_object(body));
    };
    let mut doc = Map::new();
    let mut contact_persons = Vec::new();
    let mut errors = Vec::new();
    let street = obj.get("street").filter(|v| !v.is_null());
    let mut street_from_combined = false;
    for (key, v) in obj {
        match key.as_str() {
            // The service checks a body id against the path's (PATCH); a create ignores it.
            "id" => {
                doc.insert("id".into(), v.clone());
            }
            "organization" => {
                if !matches_id(v, organization) {
                    errors.push(err(
                        key,
                        "mismatch",
                        "must be absent or the id of the caller's organization",
                    ));
                }
            }
            "contactPersons" => match (mode, v) {
                (Mode::Create, Value::Null) => {}
                (Mode::Create, Value::Array(items)) => {
                    for (i, item) in items.iter().enumerate() {
                        match contact_write(item, &format!("{key}.{i}"), None) {
                            Ok(d) => contact_persons.push(d),
                            Err(e) => errors.extend(e),
                        }
                    }
                }
                (Mode::Create, other) => errors.push(err(
                    key,
                    "invalid_type",
                    format!("must be an array, not {}", type_name(other)),
                )),
                (Mode::Patch, _) => errors.push(err(
                    key,
                    "read_only",
                    "cannot be changed with the client; use its contact-persons routes",
                )),
            },
            "point" => match v {
                Value::Null => {
                    for (_, path) in POINT_FIELDS {
                        set(&mut doc, path, Value::Null);
                    }
                }
                Value::Object(p) => {
                    for k in p.keys() {
                        if !POINT_FIELDS.iter().any(|(name, _)| name == k) {
                            errors.push(err(
                                &format!("point.{k}"),
                                "unknown_field",
                                "is not a known field",
                            ));
                        }
                    }
                    for (name, path) in POINT_FIELDS {
                        match p.get(name) {
                            None | Some(Value::Null) => errors.push(err(
                                &format!("point.{name}"),
                                "required",
                                "is required in a point (send `\"point\": null` to clear it)",
                            )),
                            Some(x) => set(&mut doc, path, x.clone()),
                        }
                    }
                }
                other => errors.push(err(
                    key,
                    "invalid_type",
                    format!(
                        "must be an object with lng and lat, or null, not {}",
                        a_type_name(other)
                    ),
                )),
            },
            "streetAndNumber" => match (v, street) {
                (Value::Null, None) => {
                    set(&mut doc, "address.street", Value::Null);
                    set(&mut doc, "address.street_number", Value::Null);
                }
                (Value::Null, Some(_)) => set(&mut doc, "address.street_number", Value::Null),
                (Value::String(s), None) => {
                    let (street, number) = split_street_and_number(s);
                    street_from_combined = true;
                    set(
                        &mut doc,
                        "address.street",
                        street.map_or(Value::Null, Value::String),
                    );
                    set(
                        &mut doc,
                        "address.street_number",
                        number.map_or(Value::Null, Value::String),
                    );
                }
                (Value::String(s), Some(given)) => {
                    let number = number_beside_street(s, given.as_str().unwrap_or(""));
                    set(
                        &mut doc,
                        "address.street_number",
                        number.map_or(Value::Null, Value::String),
                    );
                }
                (other, _) => errors.push(err(
                    key,
                    "invalid_type",
                    format!("must be a string, not {}", type_name(other)),
                )),
            },
            "partnerType" => match enum_value(key, v, Seed004PartnerType::ALL, |s| {
                Seed004PartnerType::parse(s).map(|e| e.to_core().as_str())
            }) {
                Ok(x) => set(&mut doc, "partner_type", x),
                Err(e) => errors.push(e),
            },
            "creditworthiness" => match enum_value(key, v, Seed004Creditworthiness::ALL, |s| {
                Seed004Creditworthiness::parse(s).map(|e| e.to_core().as_str())
            }) {
                Ok(x) => set(&mut doc, "credit.creditworthiness", x),
                Err(e) => errors.push(e),
            },
            "status" => match enum_value(key, v, Seed004Status::ALL, |s| {
                Seed004Status::parse(s).map(|e| e.to_core().as_str())
            }) {
                Ok(x) => set(&mut doc, "status", x),
                Err(e) => errors.push(e),
            },
            k if CLIENT_READ_ONLY.contains(&k) => {}
            k => match CLIENT_FIELDS.iter().find(|(name, _)| *name == k) {
                Some((_, path)) => set(&mut doc, path, v.clone()),
                None => errors.push(err(k, "unknown_field", "is not a known field")),
            },
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ClientWrite {
        doc: Value::Object(doc),
        contact_persons,
        street_from_combined,
    })
}

/// A contact person body as a native document; `prefix` names its place in errors
/// (`contactPersons.0` inside a client, empty on its own route). `client_id`: the client of
/// the path, which a body `clientId` must match (`None` inside a new client: ignored).
pub fn contact_write(
    body: &Value,
    prefix: &str,
    client_id: Option<Uuid>,
) -> Result<Value, Vec<FieldError>> {
    let path = |k: &str| {
        if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}.{k}")
        }
    };
    let Some(obj) = body.as_object() else {
        let mut e = not_an_object(body);
        if !prefix.is_empty() {
            e[0].field = prefix.to_string();
            e[0].message = format!("must be an object, not {}", a_type_name(body));
        }
        return Err(e);
    };
    let mut doc = Map::new();
    let mut errors = Vec::new();
    for (key, v) in obj {
        match key.as_str() {
            "id" => {
                doc.insert("id".into(), v.clone());
            }
            "clientId" => {
                if let Some(cid) = client_id {
                    if !matches_id(v, cid) {
                        errors.push(err(
                            &path(key),
                            "mismatch",
                            "must be absent or the client id of the path",
                        ));
                    }
                }
            }
            "updatedAt" => {}
            k => match CONTACT_FIELDS.iter().find(|(name, _)| *name == k) {
                Some((_, native)) => {
                    doc.insert((*native).to_string(), v.clone());
                }
                None => errors.push(err(&path(k), "unknown_field", "is not a known field")),
            },
        }
    }
    if errors.is_empty() {
        Ok(Value::Object(doc))
    } else {
        Err(errors)
    }
}

/// A contact person `PATCH` body as a native merge patch. `isMain: false` (or `null`) changes
/// nothing: a client has exactly one main contact at all times, so the flag moves only to
/// another contact (`isMain: true` there) or on when the main is deleted. Sending the model
/// back unchanged (`isMain: false` on a contact that is not main) stays valid.
pub fn contact_patch(body: &Value, client_id: Uuid) -> Result<Value, Vec<FieldError>> {
    let mut doc = contact_write(body, "", Some(client_id))?;
    if let Some(obj) = doc.as_object_mut() {
        if matches!(obj.get("is_main"), Some(Value::Bool(false) | Value::Null)) {
            obj.remove("is_main");
        }
    }
    Ok(doc)
}

/// A native contact person path as this dialect names it (`job_title` → `jobTitle`).
pub fn contact_field_name(native: &str) -> String {
    CONTACT_FIELDS
        .iter()
        .find(|(_, n)| *n == native)
        .map_or(native, |(name, _)| name)
        .to_string()
}

/// A native client path as this dialect names it (`credit.limit` → `creditLimit`,
/// `address.latitude` → `point.lat`, `contact_persons.0.is_main` → `contactPersons.0.isMain`).
/// `street_from_combined`: the street was written through `streetAndNumber`.
pub fn client_field_name(native: &str, street_from_combined: bool) -> String {
    if let Some(rest) = native.strip_prefix("contact_persons.") {
        return match rest.split_once('.') {
            Some((i, field)) => format!("contactPersons.{i}.{}", contact_field_name(field)),
            None => format!("contactPersons.{rest}"),
        };
    }
    match native {
        "address.street" if street_from_combined => return "streetAndNumber".into(),
        "address.street_number" => return "streetAndNumber".into(),
        // The currency is implicit here (docs/dialects.md, "Currency"): a problem with it is one of
        // the amount that needed it.
        "credit.currency" => return "creditLimit".into(),
        "contact_persons" => return "contactPersons".into(),
        _ => {}
    }
    if let Some((name, _)) = POINT_FIELDS.iter().find(|(_, p)| *p == native) {
        return format!("point.{name}");
    }
    CLIENT_FIELDS
        .iter()
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

    fn create(body: Value) -> ClientWrite {
        client_write(&body, Mode::Create, Uuid::nil()).expect("maps")
    }

    #[test]
    fn street_and_number_splits_before_the_last_token_with_a_digit() {
        let split = |s: &str| split_street_and_number(s);
        let pair = |a: &str, b: Option<&str>| (Some(a.to_string()), b.map(str::to_string));
        assert_eq!(split("Main Street 5"), pair("Main Street", Some("5")));
        assert_eq!(split("Am Markt 3a"), pair("Am Markt", Some("3a")));
        assert_eq!(
            split("Straße des 17. Juni 114"),
            pair("Straße des 17. Juni", Some("114"))
        );
        assert_eq!(split("Main Street 5 B"), pair("Main Street", Some("5 B")));
        assert_eq!(split("  Elm  Road   12 "), pair("Elm  Road", Some("12")));
        assert_eq!(split("221B Baker Street"), pair("221B Baker Street", None));
        assert_eq!(split("Hauptstraße"), pair("Hauptstraße", None));
        assert_eq!(split("5"), pair("5", None));
        assert_eq!(split("   "), (None, None));
    }

    #[test]
    fn a_client_body_becomes_the_native_document() {
        let w = create(json!({
            "name": "Bau GmbH", "externalId": "E-1", "customPriceId": "P", "creditLimit": 5000,
            "usedLimit": 10.5, "paymentTerms": 30, "additionalInformation": "n",
            "frameContract": true, "selfInsurance": false, "pricing": "list",
            "website": "https://bau.de", "fax": "+49 1", "point": {"lng": 13.4, "lat": 52.5},
            "streetAndNumber": "Hauptstraße 5a", "city": "Berlin", "phone": "+49 2",
            "country": "DE", "email": "a@b.de", "partnerType": "CITY_COMMUNITY",
            "longName": "Bau GmbH & Co. KG", "postalCode": "10115", "creditworthiness": "BAD",
            "status": "INACTIVE", "structureId": "S", "number": 99, "createdAt": "x",
            "updatedAt": "y", "organization": Uuid::nil().to_string()
        }));
        assert_eq!(
            w.doc,
            json!({
                "name": "Bau GmbH", "external_id": "E-1", "notes": "n", "website": "https://bau.de",
                "fax": "+49 1", "phone": "+49 2", "email": "a@b.de", "partner_type": "city_community",
                "legal_name": "Bau GmbH & Co. KG", "status": "inactive", "structure_id": "S",
                "credit": {"custom_price_id": "P", "limit": 5000, "used": 10.5,
                    "payment_terms_days": 30, "frame_contract": true, "self_insurance": false,
                    "pricing": "list", "creditworthiness": "bad"},
                "address": {"longitude": 13.4, "latitude": 52.5, "street": "Hauptstraße",
                    "street_number": "5a", "city": "Berlin", "country": "DE", "postal_code": "10115"}
            })
        );
        assert!(w.street_from_combined);
        assert!(w.contact_persons.is_empty());
        clientele_core::ClientData::from_json(&{
            let mut d = w.doc.clone();
            d["credit"]["currency"] = json!("EUR");
            d
        })
        .expect("the core accepts it");
    }

    #[test]
    fn street_wins_over_the_split_and_the_number_follows_it() {
        let w = create(json!({"street": "Main Street", "streetAndNumber": "Main Street 5"}));
        assert_eq!(
            w.doc["address"],
            json!({"street": "Main Street", "street_number": "5"})
        );
        assert!(!w.street_from_combined);
        let w = create(json!({"street": "Hauptstraße", "streetAndNumber": "Hauptstr. 7"}));
        assert_eq!(w.doc["address"]["street_number"], "7");
        let w = create(json!({"street": "Main Street"}));
        assert_eq!(w.doc["address"], json!({"street": "Main Street"}));
        // A patch that clears the combined field clears both parts.
        let w = client_write(&json!({"streetAndNumber": null}), Mode::Patch, Uuid::nil())
            .expect("maps");
        assert_eq!(
            w.doc["address"],
            json!({"street": null, "street_number": null})
        );
        let w = client_write(
            &json!({"streetAndNumber": "Elm Road"}),
            Mode::Patch,
            Uuid::nil(),
        )
        .expect("maps");
        assert_eq!(
            w.doc["address"],
            json!({"street": "Elm Road", "street_number": null})
        );
    }

    #[test]
    fn point_null_clears_both_coordinates_and_a_point_needs_both() {
        let w = client_write(&json!({"point": null}), Mode::Patch, Uuid::nil()).expect("maps");
        assert_eq!(
            w.doc,
            json!({"address": {"longitude": null, "latitude": null}})
        );
        let e = client_write(
            &json!({"point": {"lat": 1, "x": 2}}),
            Mode::Create,
            Uuid::nil(),
        )
        .expect_err("refused");
        assert_eq!(
            fields(e),
            vec![
                ("point.x".into(), "unknown_field".into()),
                ("point.lng".into(), "required".into())
            ]
        );
        let e = client_write(&json!({"point": [1, 2]}), Mode::Create, Uuid::nil())
            .expect_err("refused");
        assert_eq!(fields(e), vec![("point".into(), "invalid_type".into())]);
    }

    #[test]
    fn enums_must_be_upper_case_values() {
        let e = client_write(
            &json!({"partnerType": "industry", "status": 1, "creditworthiness": "OK"}),
            Mode::Create,
            Uuid::nil(),
        )
        .expect_err("refused");
        assert_eq!(
            fields(e.clone()),
            vec![
                ("partnerType".into(), "invalid_value".into()),
                ("status".into(), "invalid_type".into()),
                ("creditworthiness".into(), "invalid_value".into())
            ]
        );
        assert!(e[0].message.contains("CITY_COMMUNITY, CONSTRUCTION"));
        let w =
            client_write(&json!({"partnerType": null}), Mode::Patch, Uuid::nil()).expect("maps");
        assert_eq!(w.doc, json!({"partner_type": null}));
    }

    #[test]
    fn unknown_native_and_foreign_fields_are_refused_by_their_names() {
        let other = Uuid::now_v7();
        let e = client_write(
            &json!({"legal_name": "x", "organization": other.to_string(), "contactPersons": {}}),
            Mode::Create,
            Uuid::nil(),
        )
        .expect_err("refused");
        assert_eq!(
            fields(e),
            vec![
                ("legal_name".into(), "unknown_field".into()),
                ("organization".into(), "mismatch".into()),
                ("contactPersons".into(), "invalid_type".into())
            ]
        );
        let e = client_write(&json!({"contactPersons": []}), Mode::Patch, Uuid::nil())
            .expect_err("refused");
        assert_eq!(
            fields(e),
            vec![("contactPersons".into(), "read_only".into())]
        );
        let e = client_write(&json!([]), Mode::Create, Uuid::nil()).expect_err("refused");
        assert_eq!(fields(e), vec![("body".into(), "invalid_type".into())]);
    }

    #[test]
    fn contact_persons_in_a_client_body_map_with_their_index() {
        let w = create(json!({"name": "A", "contactPersons": [
            {"name": "Eva", "jobTitle": "CFO", "isMain": true, "externalId": "c1",
             "clientId": "whatever", "updatedAt": "x"},
            {"name": "Bo", "department": "Sales", "email": "bo@a.se", "phone": "1", "mobile": "2"}
        ]}));
        assert_eq!(
            w.contact_persons,
            vec![
                json!({"name": "Eva", "job_title": "CFO", "is_main": true, "external_id": "c1"}),
                json!({"name": "Bo", "department": "Sales", "email": "bo@a.se", "phone": "1", "mobile": "2"}),
            ]
        );
        let e = client_write(
            &json!({"name": "A", "contactPersons": [{"name": "Eva"}, {"title": "x"}, 3]}),
            Mode::Create,
            Uuid::nil(),
        )
        .expect_err("refused");
        assert_eq!(
            fields(e),
            vec![
                ("contactPersons.1.title".into(), "unknown_field".into()),
                ("contactPersons.2".into(), "invalid_type".into())
            ]
        );
    }

    #[test]
    fn a_contact_body_checks_its_client_id() {
        let cid = Uuid::now_v7();
        let d = contact_write(
            &json!({"name": "Eva", "clientId": cid.to_string(), "id": "x"}),
            "",
            Some(cid),
        )
        .expect("maps");
        assert_eq!(d, json!({"name": "Eva", "id": "x"}));
        let e = contact_write(&json!({"clientId": Uuid::nil().to_string()}), "", Some(cid))
            .expect_err("refused");
        assert_eq!(fields(e), vec![("clientId".into(), "mismatch".into())]);
    }

    #[test]
    fn a_patch_never_lowers_the_main_flag() {
        let cid = Uuid::now_v7();
        for off in [json!(false), json!(null)] {
            let d = contact_patch(&json!({"name": "Eva", "isMain": off}), cid).expect("maps");
            assert_eq!(d, json!({"name": "Eva"}));
        }
        let d = contact_patch(&json!({"isMain": true}), cid).expect("maps");
        assert_eq!(d, json!({"is_main": true}));
        // A wrong type is left for the core to name.
        let d = contact_patch(&json!({"isMain": "yes"}), cid).expect("maps");
        assert_eq!(d, json!({"is_main": "yes"}));
    }

    #[test]
    fn native_paths_are_named_as_this_dialect_names_them() {
        let name = |p: &str| client_field_name(p, false);
        assert_eq!(name("credit.limit"), "creditLimit");
        assert_eq!(name("credit.used"), "usedLimit");
        assert_eq!(name("credit.currency"), "creditLimit");
        assert_eq!(name("legal_name"), "longName");
        assert_eq!(name("notes"), "additionalInformation");
        assert_eq!(name("address.latitude"), "point.lat");
        assert_eq!(name("address.longitude"), "point.lng");
        assert_eq!(name("address.street"), "street");
        assert_eq!(client_field_name("address.street", true), "streetAndNumber");
        assert_eq!(name("address.street_number"), "streetAndNumber");
        assert_eq!(name("address.postal_code"), "postalCode");
        assert_eq!(name("contact_persons.0.email"), "contactPersons.0.email");
        assert_eq!(name("contact_persons.3.is_main"), "contactPersons.3.isMain");
        assert_eq!(name("id"), "id");
        assert_eq!(name("body"), "body");
        assert_eq!(contact_field_name("job_title"), "jobTitle");
        assert_eq!(contact_field_name("external_id"), "externalId");
        // Every one-to-one field maps back to itself.
        for (wire, native) in CLIENT_FIELDS {
            assert_eq!(name(native), *wire);
        }
    }
}
