//! Seed 003's request bodies as native documents, and the native field paths of a validation
//! error as this dialect names them. Pure functions, free of axum: the core parses and
//! validates the documents these build, so every rule stays the native one. What is checked
//! here is the seed's own wire contract: `email` (with its pattern), `firstName` and `lastName`
//! are required on create and replace, and ids are UUIDs.

use clientele_core::parse::a_type_name;
use clientele_core::FieldError;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::wire::{CLIENT_FIELDS, LOGIN_TOKEN_KEY, READ_ONLY_FIELDS};

/// How a body is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `POST`: a new person (absent fields take their defaults).
    Create,
    /// `PUT`: CLIENT's fields replaced (an absent one is cleared); native fields CLIENT does
    /// not show are kept. Written as a merge patch that names every CLIENT field.
    Replace,
    /// `PATCH`: only the given fields change, `null` clears one.
    Patch,
}

/// Fields the seed requires (`min: 1`) on `POST` and `PUT`.
const REQUIRED: &[&str] = &["email", "firstName", "lastName"];

fn err(field: &str, code: &str, message: impl Into<String>) -> FieldError {
    FieldError::new(field, code, message)
}

/// Sets `path` (`credit.fico`) in a document, creating the parent object.
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

/// Whether `s` matches the seed's email pattern as a whole,
/// `[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}`.
pub fn email_matches_pattern(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let Some((host, tld)) = domain.rsplit_once('.') else {
        return false;
    };
    !local.is_empty()
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._%+-".contains(c))
        && !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-".contains(c))
        && tld.len() >= 2
        && tld.chars().all(|c| c.is_ascii_alphabetic())
}

/// The seed's own constraints on one given field (`null` included).
fn check(key: &str, v: &Value, errors: &mut Vec<FieldError>) {
    match (key, v) {
        ("email" | "firstName" | "lastName", Value::Null) => {
            errors.push(err(key, "required", "is required and cannot be null"));
        }
        ("firstName" | "lastName", Value::String(s)) if s.trim().is_empty() => {
            errors.push(err(key, "too_short", "must have at least 1 character"));
        }
        ("email", Value::String(s)) if !email_matches_pattern(s) => errors.push(err(
            key,
            "invalid_format",
            "must be an email address matching [a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\\.[a-zA-Z]{2,}",
        )),
        ("ownerId", Value::String(s)) if Uuid::parse_str(s).is_err() => {
            errors.push(err(key, "invalid_format", "must be a UUID"));
        }
        _ => {}
    }
}

/// The value a field is written with: `ownerId` in the canonical UUID form (so `$filter` and
/// the `ownerId` parameter, which read UUIDs, find it), anything else as given.
fn native_value(key: &str, v: &Value) -> Value {
    match (key, v) {
        ("ownerId", Value::String(s)) => Uuid::parse_str(s)
            .map(|u| Value::String(u.to_string()))
            .unwrap_or_else(|_| v.clone()),
        _ => v.clone(),
    }
}

/// A client body as the native document (create) or merge patch (replace, patch).
pub fn client_write(body: &Value, mode: Mode) -> Result<Value, Vec<FieldError>> {
    let Some(obj) = body.as_object() else {
        return Err(vec![err(
            "body",
            "invalid_type",
            format!("must be a JSON object, not {}", a_type_name(body)),
        )]);
    };
    let mut doc = Map::new();
    let mut errors = Vec::new();
    if mode != Mode::Patch {
        for key in REQUIRED {
            if !obj.contains_key(*key) {
                errors.push(err(key, "required", "is required"));
            }
        }
    }
    if mode == Mode::Create {
        doc.insert("kind".into(), Value::String("person".into()));
    }
    for (key, v) in obj {
        check(key, v, &mut errors);
        if key == "loginToken" {
            set(&mut doc, &format!("metadata.{LOGIN_TOKEN_KEY}"), v.clone());
        } else if key == "id" {
            // The service checks a body id against the path's (PUT, PATCH); a create ignores it.
            doc.insert("id".into(), v.clone());
        } else if READ_ONLY_FIELDS.iter().any(|(name, _)| name == key) {
            // createdOn, updatedOn: read-only, ignored.
        } else if let Some((_, path)) = CLIENT_FIELDS.iter().find(|(name, _)| name == key) {
            set(&mut doc, path, native_value(key, v));
        } else {
            errors.push(err(key, "unknown_field", "is not a known field"));
        }
    }
    if mode == Mode::Replace {
        // Every CLIENT field left out is cleared; the native fields it does not show stay.
        for (name, path) in CLIENT_FIELDS {
            if !obj.contains_key(*name) {
                set(&mut doc, path, Value::Null);
            }
        }
        if !obj.contains_key("loginToken") {
            set(
                &mut doc,
                &format!("metadata.{LOGIN_TOKEN_KEY}"),
                Value::Null,
            );
        }
    }
    if errors.is_empty() {
        Ok(Value::Object(doc))
    } else {
        Err(errors)
    }
}

/// A native client path as this dialect names it (`credit.fico` → `fico`, `phone` →
/// `workPhone`, `metadata.login_token` → `loginToken`).
pub fn client_field_name(native: &str) -> String {
    match native {
        // The currency is implicit here (docs/dialects.md, "Currency"): a problem with it is
        // one of the amounts that needed it.
        "credit.currency" => return "totalIncome".into(),
        // A person's name is derived from firstName and lastName.
        "name" => return "lastName".into(),
        _ => {}
    }
    if native == format!("metadata.{LOGIN_TOKEN_KEY}") || native == "metadata" {
        return "loginToken".into();
    }
    CLIENT_FIELDS
        .iter()
        .chain(READ_ONLY_FIELDS)
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

    fn sample() -> Value {
        json!({
            "externalId": "LOS-1", "source": "web",
            "ownerId": "3FA85F64-5717-4562-B3FC-2C963F66AFA6",
            "email": "jane.doe@example.com", "homePhone": "+1 555 0100",
            "workPhone": "+1 555 0101", "mobilePhone": "+1 555 0102", "fax": "+1 555 0103",
            "isSilenced": false, "isArchived": false, "fico": 720, "totalIncome": 85000.5,
            "totalDebtPayments": 1200, "firstTimeBuyer": true, "loginToken": "tok",
            "firstName": "Jane", "lastName": "Doe",
            "id": "ignored-on-create", "createdOn": "x", "updatedOn": null
        })
    }

    #[test]
    fn the_seed_email_pattern() {
        for ok in [
            "user@example.com",
            "a.b+c%d_e-f@mail-1.example.co",
            "x@y.io",
        ] {
            assert!(email_matches_pattern(ok), "{ok}");
        }
        for bad in [
            "",
            "user",
            "@example.com",
            "user@",
            "user@example",
            "user@example.c",
            "user@example.c0m",
            "us er@example.com",
            "user@exa mple.com",
            "a@b@c.com",
            "ü@example.com",
            "user@.com",
        ] {
            assert!(!email_matches_pattern(bad), "{bad}");
        }
    }

    #[test]
    fn a_create_is_a_person_with_the_native_fields() {
        let doc = client_write(&sample(), Mode::Create).expect("maps");
        assert_eq!(
            doc,
            json!({
                "kind": "person", "external_id": "LOS-1", "source": "web",
                "owner_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
                "email": "jane.doe@example.com", "home_phone": "+1 555 0100",
                "phone": "+1 555 0101", "mobile": "+1 555 0102", "fax": "+1 555 0103",
                "silenced": false, "archived": false,
                "credit": {"fico": 720, "total_income": 85000.5, "total_debt_payments": 1200,
                    "first_time_buyer": true},
                "metadata": {"login_token": "tok"},
                "first_name": "Jane", "last_name": "Doe", "id": "ignored-on-create"
            })
        );
    }

    #[test]
    fn create_and_replace_need_email_and_names_and_patch_checks_what_it_gets() {
        for mode in [Mode::Create, Mode::Replace] {
            let e = client_write(&json!({"fico": 700}), mode).expect_err("refused");
            assert_eq!(
                fields(e),
                vec![
                    ("email".into(), "required".into()),
                    ("firstName".into(), "required".into()),
                    ("lastName".into(), "required".into())
                ]
            );
        }
        assert!(client_write(&json!({"fico": 700}), Mode::Patch).is_ok());
        let e = client_write(
            &json!({"email": "not-an-email", "firstName": " ", "lastName": null,
                    "ownerId": "x", "colour": "red"}),
            Mode::Patch,
        )
        .expect_err("refused");
        let mut got = fields(e);
        got.sort();
        assert_eq!(
            got,
            vec![
                ("colour".into(), "unknown_field".into()),
                ("email".into(), "invalid_format".into()),
                ("firstName".into(), "too_short".into()),
                ("lastName".into(), "required".into()),
                ("ownerId".into(), "invalid_format".into()),
            ]
        );
        let e = client_write(&json!([]), Mode::Patch).expect_err("refused");
        assert_eq!(fields(e), vec![("body".into(), "invalid_type".into())]);
    }

    #[test]
    fn a_replace_clears_every_client_field_left_out_and_nothing_else() {
        let doc = client_write(
            &json!({"email": "a@b.co", "firstName": "A", "lastName": "B", "fico": 700}),
            Mode::Replace,
        )
        .expect("maps");
        assert_eq!(doc["email"], "a@b.co");
        assert_eq!(doc["credit"]["fico"], 700);
        assert_eq!(doc["credit"]["total_income"], Value::Null);
        assert_eq!(doc["phone"], Value::Null);
        assert_eq!(doc["archived"], Value::Null);
        assert_eq!(doc["metadata"], json!({"login_token": null}));
        // Native fields CLIENT does not show are not named, so a merge keeps them.
        for kept in ["name", "legal_name", "address", "kind"] {
            assert!(doc.get(kept).is_none(), "{kept}");
        }
        assert!(doc["credit"].get("currency").is_none());
        assert!(doc["credit"].get("limit").is_none());
    }

    #[test]
    fn native_paths_are_named_as_this_dialect_names_them() {
        for (wire, native) in CLIENT_FIELDS {
            assert_eq!(client_field_name(native), *wire);
        }
        assert_eq!(client_field_name("metadata.login_token"), "loginToken");
        assert_eq!(client_field_name("credit.currency"), "totalIncome");
        assert_eq!(client_field_name("created_at"), "createdOn");
        assert_eq!(client_field_name("body"), "body");
    }
}
