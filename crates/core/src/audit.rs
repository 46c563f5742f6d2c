//! Audit records: who changed what, field by field, written in the same transaction as the change.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

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

/// [`created_changes_text`] of the document `serde_json::to_value(value)` would make, written
/// while walking `value` itself (no document built; `created`). A shape the walk does not
/// handle takes the document's path.
pub fn created_changes_text_of<T: Serialize + ?Sized>(value: &T) -> String {
    match created::changes_text(value) {
        Some(text) => text,
        None => created_changes_text(&serde_json::to_value(value).unwrap_or(Value::Null)),
    }
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
        // Walked without the document: the same bytes.
        assert!(created::changes_text(&data).is_some());
        assert_eq!(created_changes_text_of(&data), expected);
    }

    #[test]
    fn a_creation_walked_without_its_document_is_written_byte_for_byte_as_from_it() {
        let bodies = [
            json!({"name": "Åsa \"A\" Ltd\n", "legal_name": "Åsa AB", "org_number": "556677-8899",
                "billing_email": "bill@example.com", "mobile": "+46 70 000 00 01",
                "home_phone": "+46 8 123", "fax": "+46 8 124", "image_url": "https://example.com/i.png",
                "account_code": "AC-1", "status": "inactive", "partner_type": "city_community",
                "silenced": true, "invoice_reminders": false, "show_location_on_invoice": true,
                "notes": "two\nlines", "owner_id": "o", "salesperson_id": "s", "case_manager_id": "c",
                "source": "web", "structure_id": "st",
                "address": {"street": "S", "postal_code": "211 20", "city": "Malmö",
                            "region": "Skåne", "country": "SE", "latitude": -55.123456789, "longitude": 13.0},
                "credit": {"limit": 1234567.8901, "used": 0.5, "currency": "SEK",
                           "payment_terms_days": 30, "rating": "AA", "creditworthiness": "substandard",
                           "fico": 850, "total_income": 0, "total_debt_payments": 12.25,
                           "first_time_buyer": false},
                "metadata": {"z": "1", "email": "x@y.se", "a.b": "2"}}),
            json!({"name": "Bare"}),
            json!({"name": "No credit currency", "address": {}, "metadata": {}}),
        ];
        for body in bodies {
            let data = match crate::client::ClientData::from_json(&body) {
                Ok(d) => d,
                Err(e) => panic!("{body}: {e:?}"),
            };
            let reference = created_changes_text(&data.to_json());
            assert_eq!(created::changes_text(&data), Some(reference), "{body}");
        }
        // A shape the walk does not take (a sequence) still gets the reference text.
        let odd = json!({"a": [1, {"b": null}], "c": {"d": 1}});
        assert!(created::changes_text(&odd).is_none());
        assert_eq!(created_changes_text_of(&odd), created_changes_text(&odd));
    }
}
