//! Audit records: who changed what, field by field, written in the same transaction as the change.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::client::ClientData;
use crate::mask::{is_sensitive_field, mask_field};
use crate::types::Timestamp;

mod created;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    Created,
    Updated,
    Deleted,
}

impl AuditAction {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Deleted => "deleted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "created" => Some(Self::Created),
            "updated" => Some(Self::Updated),
            "deleted" => Some(Self::Deleted),
            _ => None,
        }
    }
}

/// Field path → `[old, new]`; sensitive values masked.
pub type Changes = BTreeMap<String, [Value; 2]>;

/// One change to one entity.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditRecord {
    pub id: Uuid,
    /// `client`, or a sub-resource type such as `contact_person`.
    #[cfg_attr(feature = "openapi", schema(example = "client"))]
    pub entity_type: String,
    pub entity_id: Uuid,
    /// The client the entity is or belongs to.
    pub client_id: Uuid,
    pub action: AuditAction,
    /// JWT `sub` or API key id.
    pub actor: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    /// Field path → `[old, new]`; sensitive values are masked.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub changes: Changes,
    /// The bulk import (`POST /v1/clients/import`, `clientele import`, `clientele seed-demo`)
    /// that made this change, as its answer named it; `null` for every other change.
    #[cfg_attr(
        feature = "openapi",
        schema(required = true, example = "019a2b3c-4d5e-7f60-8a9b-0c1d2e3f4a5b")
    )]
    pub import_id: Option<String>,
}

/// Paths whose values are derived, not changed by anyone: left out of diffs.
const DERIVED: &[&str] = &["credit.available"];

fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, Value>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&path, child, out);
            }
        }
        other if !prefix.is_empty() => {
            out.insert(prefix.to_string(), other.clone());
        }
        _ => {}
    }
}

/// The field-level difference between two documents (`None` = did not exist).
pub fn diff(old: Option<&Value>, new: Option<&Value>) -> Changes {
    let mut a = BTreeMap::new();
    let mut b = BTreeMap::new();
    if let Some(old) = old {
        flatten("", old, &mut a);
    }
    if let Some(new) = new {
        flatten("", new, &mut b);
    }
    // Both maps are sorted by path: merge them, moving the values out instead of cloning them
    // (a create's diff is every field of the new document, so this runs once per imported row).
    let mut out = Changes::new();
    let mut a = a.into_iter().peekable();
    let mut b = b.into_iter().peekable();
    loop {
        let order = match (a.peek(), b.peek()) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some((ka, _)), Some((kb, _))) => ka.cmp(kb),
        };
        let next = match order {
            Ordering::Less => a.next().map(|(k, v)| (k, v, Value::Null)),
            Ordering::Greater => b.next().map(|(k, v)| (k, Value::Null, v)),
            Ordering::Equal => a.next().zip(b.next()).map(|((k, va), (_, vb))| (k, va, vb)),
        };
        let Some((k, before, after)) = next else {
            break;
        };
        if DERIVED.contains(&k.as_str()) || before == after {
            continue;
        }
        // Only sensitive fields are masked: other values are recorded as they were.
        let pair = if is_sensitive_field(&k) {
            [mask_field(&k, &before), mask_field(&k, &after)]
        } else {
            [before, after]
        };
        out.insert(k, pair);
    }
    out
}

/// [`created_changes_text`] of a new client's document (`data.to_json()`), written from its
/// typed data without building the document (`created`).
pub fn created_changes_text_of(data: &ClientData) -> String {
    created::client_changes_text(data)
}

/// The `changes` of a created entity as the JSON text the audit table stores: exactly
/// `serde_json::to_string(&diff(None, Some(doc)))`, without building the diff (no flattened
/// map, no cloned values): every non-null leaf by dotted path, in path order, as
/// `[null, value]`, sensitive ones masked, derived ones left out. A bulk import writes one per
/// row.
pub fn created_changes_text(doc: &Value) -> String {
    let mut leaves: Vec<(String, &Value)> = Vec::with_capacity(64);
    let mut path = String::with_capacity(64);
    created_leaves(&mut path, doc, &mut leaves);
    leaves.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut out = Vec::with_capacity(64 * leaves.len() + 2);
    out.push(b'{');
    for (i, (path, value)) in leaves.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        // Writing into a Vec of a string and a Value cannot fail.
        let _ = serde_json::to_writer(&mut out, path);
        out.extend_from_slice(b":[null,");
        let _ = if is_sensitive_field(path) {
            serde_json::to_writer(&mut out, &mask_field(path, value))
        } else {
            serde_json::to_writer(&mut out, value)
        };
        out.push(b']');
    }
    out.push(b'}');
    String::from_utf8(out).unwrap_or_default()
}

/// The leaves [`flatten`] would keep for a creation's diff: not null, not derived.
fn created_leaves<'a>(path: &mut String, v: &'a Value, out: &mut Vec<(String, &'a Value)>) {
    match v {
        Value::Object(map) => {
            let len = path.len();
            for (k, child) in map {
                if len > 0 {
                    path.push('.');
                }
                path.push_str(k);
                created_leaves(path, child, out);
                path.truncate(len);
            }
        }
        Value::Null => {}
        other if !path.is_empty() && !DERIVED.contains(&path.as_str()) => {
            out.push((path.clone(), other));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn diff_lists_changed_leaves_by_dotted_path_and_masks_sensitive_ones() {
        let old = json!({"name": "A", "email": "anna@example.com", "credit": {"limit": 10, "available": 10},
                         "address": null, "metadata": {"k": "v"}});
        let new = json!({"name": "B", "email": "berit@example.com", "credit": {"limit": 20, "available": 20},
                         "address": {"city": "Lund"}, "metadata": {}});
        let d = diff(Some(&old), Some(&new));
        assert_eq!(d["name"], [json!("A"), json!("B")]);
        assert_eq!(d["email"], [json!("***om"), json!("***om")]);
        assert_eq!(d["credit.limit"], [json!(10), json!(20)]);
        assert_eq!(d["address.city"], [json!(null), json!("Lund")]);
        assert_eq!(d["metadata.k"], [json!("v"), json!(null)]);
        assert!(!d.contains_key("credit.available"));
        assert!(!d.contains_key("address"));
    }

    #[test]
    fn creation_and_deletion_show_every_non_null_field() {
        let doc = json!({"name": "A", "notes": null});
        let created = diff(None, Some(&doc));
        assert_eq!(created.len(), 1);
        assert_eq!(created["name"], [json!(null), json!("A")]);
        let deleted = diff(Some(&doc), None);
        assert_eq!(deleted["name"], [json!("A"), json!(null)]);
    }

    #[test]
    fn the_changes_of_a_creation_are_written_as_the_diff_would_be() {
        let doc: Value = serde_json::from_str(
            r#"{"name": "Åsa \"A\" Ltd", "kind": "organization", "email": "anna@example.com",
                "phone": "+46 70 123 45 67", "org_number": "556677-8899", "notes": null,
                "archived": false, "address": {"city": "Malmö", "street": null, "latitude": 55.6},
                "address_lines": ["a", "b"], "credit": {"limit": 1500.50, "available": 1500.50,
                "currency": "SEK", "fico": 700}, "metadata": {"z": "1", "email": "x@y.se", "a.b": "2"},
                "empty": {}, "tax_id": "123"}"#,
        )
        .expect("json");
        let expected = serde_json::to_string(&diff(None, Some(&doc))).expect("text");
        assert_eq!(created_changes_text(&doc), expected);
        assert!(expected.contains(r#""email":[null,"***om"]"#));
        assert_eq!(created_changes_text(&serde_json::json!({})), "{}");
    }

    #[test]
    fn a_new_clients_audit_changes_are_the_diff_of_its_document() {
        let body = json!({"kind": "person", "first_name": "Åsa", "last_name": "Berg",
            "email": "asa.berg@example.com", "phone": "+46 70 123 45 67", "tax_id": "19800101-1234",
            "external_id": "x-1", "website": "https://example.com/a", "archived": true,
            "address": {"street": "Storgatan", "city": "Lund", "country": "SE", "latitude": 55.7},
            "credit": {"limit": 1500.50, "used": 10, "currency": "SEK", "fico": 700},
            "metadata": {"email": "x@y.se", "segment": "b2c"}});
        let data = crate::client::ClientData::from_json(&body).expect("valid");
        let doc = data.to_json();
        let expected = serde_json::to_string(&diff(None, Some(&doc))).expect("text");
        assert_eq!(created_changes_text(&doc), expected);
        // Written from the typed data: the same bytes.
        assert_eq!(created_changes_text_of(&data), expected);
    }

    /// Every field a client document can set, each with a few values (escapes, masked and
    /// short values, amounts of each scale, coordinates, metadata keys that are sensitive or
    /// hold a dot or a quote).
    fn field_values() -> Vec<(&'static str, Vec<Value>)> {
        vec![
            (
                "name",
                vec![json!("Åsa \"A\" Ltd\n"), json!("Bare"), json!("x\u{1}y")],
            ),
            ("legal_name", vec![json!("Åsa AB"), json!("")]),
            ("org_number", vec![json!("556677-8899"), json!("1234567")]),
            ("tax_id", vec![json!("SE556677889901"), json!("x")]),
            ("external_id", vec![json!("ERP-00424242"), json!("é\\")]),
            ("account_code", vec![json!("AC-1")]),
            ("status", vec![json!("inactive"), json!("active")]),
            ("archived", vec![json!(true), json!(false)]),
            ("silenced", vec![json!(true), json!(false)]),
            ("invoice_reminders", vec![json!(false), json!(true)]),
            ("show_location_on_invoice", vec![json!(true)]),
            (
                "partner_type",
                vec![json!("city_community"), json!("private")],
            ),
            (
                "email",
                vec![json!("anna.berg@example.com"), json!("a@b.se")],
            ),
            ("billing_email", vec![json!("bill@example.com")]),
            ("phone", vec![json!("+46 70 123 45 67"), json!("123")]),
            ("mobile", vec![json!("+46 70 000 00 01")]),
            ("home_phone", vec![json!("+46 8 123")]),
            ("fax", vec![json!("+46 8 124")]),
            ("website", vec![json!("https://example.com/a?b=\"c\"")]),
            ("image_url", vec![json!("https://example.com/i.png")]),
            (
                "notes",
                vec![json!("two\nlines\t\"q\" </script>"), json!("ok")],
            ),
            ("owner_id", vec![json!("o")]),
            ("salesperson_id", vec![json!("s")]),
            ("case_manager_id", vec![json!("c")]),
            (
                "referred_by_id",
                vec![json!("0193a5b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b")],
            ),
            ("source", vec![json!("web")]),
            ("structure_id", vec![json!("st")]),
            ("address.street", vec![json!("Storgatan"), json!("Å\"")]),
            ("address.street_number", vec![json!("1")]),
            ("address.apartment", vec![json!("1102")]),
            ("address.corner", vec![json!("c")]),
            ("address.line2", vec![json!("l2")]),
            ("address.line3", vec![json!("l3")]),
            ("address.city", vec![json!("Malmö")]),
            ("address.region", vec![json!("Skåne")]),
            ("address.postal_code", vec![json!("211 20")]),
            ("address.country", vec![json!("SE"), json!("no")]),
            (
                "address.latitude",
                vec![json!(-55.123456789), json!(0), json!(90)],
            ),
            (
                "address.longitude",
                vec![json!(13.0), json!(-180), json!(1e-7)],
            ),
            (
                "credit.limit",
                vec![json!(1234567.8901), json!(0), json!(50000), json!(1e3)],
            ),
            ("credit.used", vec![json!(0.5), num("999999999999999.9999")]),
            ("credit.currency", vec![json!("SEK")]),
            ("credit.payment_terms_days", vec![json!(30), json!(0)]),
            ("credit.rating", vec![json!("AA")]),
            (
                "credit.creditworthiness",
                vec![json!("substandard"), json!("good")],
            ),
            ("credit.fico", vec![json!(850), json!(300)]),
            (
                "credit.total_income",
                vec![json!(0), num("12.5000"), num("7.1")],
            ),
            ("credit.total_debt_payments", vec![json!(12.25)]),
            ("credit.first_time_buyer", vec![json!(false), json!(true)]),
            ("credit.frame_contract", vec![json!(true)]),
            ("credit.self_insurance", vec![json!(false)]),
            ("credit.pricing", vec![json!("list")]),
            ("credit.custom_price_id", vec![json!("p-1")]),
        ]
    }

    #[test]
    fn a_new_clients_changes_are_written_byte_for_byte_as_from_its_document() {
        let fields = field_values();
        let metadata = [
            ("z", "1"),
            ("email", "x@y.se"),
            ("a.b", "2"),
            ("x.Phone", "+46 70 01"),
            ("q\"uote", "v\u{7f}"),
            ("Ω", "ω"),
            ("segment", "b2c"),
        ];
        // Every field at once with each of its values, then 600 bodies with a pseudo-random
        // half of the fields (a fixed linear congruential sequence).
        let mut bodies = Vec::new();
        for pick in 0..4 {
            let mut body = serde_json::Map::new();
            for (path, values) in &fields {
                set(&mut body, path, values[pick % values.len()].clone());
            }
            let meta = metadata
                .iter()
                .skip(pick)
                .map(|(k, v)| (k.to_string(), json!(v)));
            body.insert("metadata".into(), Value::Object(meta.collect()));
            bodies.push(Value::Object(body));
        }
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as usize
        };
        for _ in 0..600 {
            let mut body = serde_json::Map::new();
            for (path, values) in &fields {
                if next() % 2 == 0 {
                    set(&mut body, path, values[next() % values.len()].clone());
                }
            }
            if next() % 3 == 0 {
                let meta = metadata
                    .iter()
                    .filter(|_| next() % 2 == 0)
                    .map(|(k, v)| (k.to_string(), json!(v)));
                body.insert("metadata".into(), Value::Object(meta.collect()));
            }
            if next() % 4 == 0 {
                body.insert("kind".into(), json!("person"));
                body.insert("first_name".into(), json!("Åsa"));
                body.insert("last_name".into(), json!("Berg"));
            }
            if !body.contains_key("name") && !body.contains_key("kind") {
                body.insert("name".into(), json!("N"));
            }
            if body
                .get("credit")
                .is_some_and(|c| c.get("currency").is_none())
            {
                set(&mut body, "credit.currency", json!("EUR"));
            }
            bodies.push(Value::Object(body));
        }
        for body in &bodies {
            let data = match crate::client::ClientData::from_json(body) {
                Ok(d) => d,
                Err(e) => panic!("{body}: {e:?}"),
            };
            let reference = created_changes_text(&data.to_json());
            assert_eq!(created_changes_text_of(&data), reference, "{body}");
        }
        // The reference text masks what it should (here as in the direct text).
        let all = created_changes_text(
            &crate::client::ClientData::from_json(&bodies[0])
                .expect("valid")
                .to_json(),
        );
        assert!(
            all.contains(r#""metadata.x.Phone":[null,"***01"]"#),
            "{all}"
        );
        assert!(all.contains(r#""email":[null,"***om"]"#), "{all}");
        assert!(!all.contains("credit.available"), "{all}");
        // A client with nothing but its name, and non-finite coordinates (no leaf, as null).
        let mut bare =
            crate::client::ClientData::from_json(&json!({"name": "Bare"})).expect("valid");
        assert_eq!(
            created_changes_text_of(&bare),
            created_changes_text(&bare.to_json())
        );
        bare.address = Some(crate::client::Address {
            latitude: Some(f64::NAN),
            longitude: Some(f64::INFINITY),
            city: Some("Lund".into()),
            ..Default::default()
        });
        assert_eq!(
            created_changes_text_of(&bare),
            created_changes_text(&bare.to_json())
        );
    }

    /// A number with exactly these digits.
    fn num(digits: &str) -> Value {
        serde_json::from_str(digits).expect("a number")
    }

    /// Sets `path` (`a` or `a.b`) in a document.
    fn set(doc: &mut serde_json::Map<String, Value>, path: &str, value: Value) {
        match path.split_once('.') {
            None => {
                doc.insert(path.into(), value);
            }
            Some((outer, inner)) => {
                let entry = doc.entry(outer).or_insert_with(|| json!({}));
                if let Value::Object(m) = entry {
                    m.insert(inner.into(), value);
                }
            }
        }
    }
}
