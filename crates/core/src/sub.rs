//! A client's sub-resources: contact persons, locations and accounts. They share one shape
//! (id, client id, data, timestamps, version) and one set of rules, written once here.

use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::client::{merge_patch, unknown_removals, Address};
use crate::enums::ClientStatus;
use crate::error::{Errors, FieldError};
use crate::parse::{a_type_name, ObjectReader};
use crate::types::{Email, Phone, Timestamp};

/// Which sub-resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubKind {
    ContactPerson,
    Location,
    Account,
}

impl SubKind {
    pub const ALL: [SubKind; 3] = [Self::ContactPerson, Self::Location, Self::Account];

    /// The `entity_type` of audit records.
    pub fn entity_type(&self) -> &'static str {
        match self {
            Self::ContactPerson => "contact_person",
            Self::Location => "location",
            Self::Account => "account",
        }
    }

    /// The key used by `?expand=` and in embedded lists.
    pub fn expand_key(&self) -> &'static str {
        match self {
            Self::ContactPerson => "contact_persons",
            Self::Location => "locations",
            Self::Account => "accounts",
        }
    }

    /// Human name for messages.
    pub fn noun(&self) -> &'static str {
        match self {
            Self::ContactPerson => "contact person",
            Self::Location => "location",
            Self::Account => "account",
        }
    }

    /// The one-per-client flag (`is_main`, `is_primary`), if the kind has one.
    pub fn flag(&self) -> Option<&'static str> {
        match self {
            Self::ContactPerson => Some("is_main"),
            Self::Location => Some("is_primary"),
            Self::Account => None,
        }
    }

    pub fn from_expand_key(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.expand_key() == s)
    }
}

/// A person to talk to at the client.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactPersonData {
    /// 1-200 characters, trimmed. Required.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
        )
    )]
    pub name: String,
    /// ≤ 200.
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub job_title: Option<String>,
    /// ≤ 200.
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub department: Option<String>,
    /// A valid address, ≤ 254. Sensitive.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::email))]
    pub email: Option<Email>,
    /// ≤ 32: digits, spaces and `+ - ( ) .`. Sensitive.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::phone))]
    pub phone: Option<Phone>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::phone))]
    pub mobile: Option<Phone>,
    /// At most one main contact per client: setting it clears the others; the first contact
    /// of a client becomes main.
    pub is_main: bool,
    /// ≤ 128, unique within the client.
    #[cfg_attr(feature = "openapi", schema(max_length = 128))]
    pub external_id: Option<String>,
}

/// A site of the client.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LocationData {
    /// 1-200 characters, trimmed. Required.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
        )
    )]
    pub name: String,
    /// At most one primary location per client: setting it clears the others; the first
    /// location of a client becomes primary.
    pub is_primary: bool,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::email))]
    pub billing_email: Option<Email>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::phone))]
    pub phone_primary: Option<Phone>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::phone))]
    pub phone_secondary: Option<Phone>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::phone))]
    pub fax: Option<Phone>,
    pub address: Option<Address>,
    /// ≤ 10000.
    #[cfg_attr(feature = "openapi", schema(max_length = 10000))]
    pub notes: Option<String>,
}

/// An account the client holds; counted in the client's `associated_accounts`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountData {
    /// 1-200 characters, trimmed. Required.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
        )
    )]
    pub name: String,
    /// ≤ 64.
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub external_code: Option<String>,
    /// Default `active`.
    pub status: ClientStatus,
}

/// The writable data of any sub-resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum SubData {
    ContactPerson(ContactPersonData),
    Location(Box<LocationData>),
    Account(AccountData),
}

/// Read-only fields of every sub-resource: accepted in bodies and ignored.
pub const SUB_READ_ONLY: &[&str] = &["id", "client_id", "created_at", "updated_at", "version"];

fn required_name(r: &mut ObjectReader<'_>) -> String {
    match r.string("name", 200).map(|s| s.trim().to_string()) {
        Some(n) if !n.is_empty() => n,
        Some(_) => {
            r.errors.push("name", "too_short", "must not be empty");
            String::new()
        }
        None => {
            if !r.errors.0.iter().any(|e| e.field == "name") {
                r.errors.push("name", "required", "is required");
            }
            String::new()
        }
    }
}

impl SubData {
    pub fn kind(&self) -> SubKind {
        match self {
            Self::ContactPerson(_) => SubKind::ContactPerson,
            Self::Location(_) => SubKind::Location,
            Self::Account(_) => SubKind::Account,
        }
    }

    /// Parses a complete document of the given kind (PUT semantics: absent = default).
    pub fn from_json(kind: SubKind, body: &Value) -> Result<Self, Vec<FieldError>> {
        let mut errors = Errors::default();
        let Some(obj) = body.as_object() else {
            errors.push(
                "body",
                "invalid_type",
                format!("must be a JSON object, not {}", a_type_name(body)),
            );
            return Err(errors.0);
        };
        let mut r = ObjectReader::new(obj, "", &mut errors);
        let data = match kind {
            SubKind::ContactPerson => {
                r.reject_unknown(
                    &[
                        "name",
                        "job_title",
                        "department",
                        "email",
                        "phone",
                        "mobile",
                        "is_main",
                        "external_id",
                    ],
                    SUB_READ_ONLY,
                );
                Self::ContactPerson(ContactPersonData {
                    name: required_name(&mut r),
                    job_title: r.string("job_title", 200),
                    department: r.string("department", 200),
                    email: r.parsed("email", Email::parse),
                    phone: r.parsed("phone", Phone::parse),
                    mobile: r.parsed("mobile", Phone::parse),
                    is_main: r.boolean("is_main").unwrap_or(false),
                    external_id: r.string("external_id", 128),
                })
            }
            SubKind::Location => {
                r.reject_unknown(
                    &[
                        "name",
                        "is_primary",
                        "billing_email",
                        "phone_primary",
                        "phone_secondary",
                        "fax",
                        "address",
                        "notes",
                    ],
                    SUB_READ_ONLY,
                );
                Self::Location(Box::new(LocationData {
                    name: required_name(&mut r),
                    is_primary: r.boolean("is_primary").unwrap_or(false),
                    billing_email: r.parsed("billing_email", Email::parse),
                    phone_primary: r.parsed("phone_primary", Phone::parse),
                    phone_secondary: r.parsed("phone_secondary", Phone::parse),
                    fax: r.parsed("fax", Phone::parse),
                    address: Address::read_optional(&mut r),
                    notes: r.string("notes", 10_000),
                }))
            }
            SubKind::Account => {
                r.reject_unknown(&["name", "external_code", "status"], SUB_READ_ONLY);
                Self::Account(AccountData {
                    name: required_name(&mut r),
                    external_code: r.string("external_code", 64),
                    status: r
                        .parsed("status", ClientStatus::parse)
                        .unwrap_or(ClientStatus::Active),
                })
            }
        };
        errors.into_result(data)
    }

    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Applies an RFC 7396 merge patch and validates the result as a whole.
    pub fn apply_patch(&self, patch: &Value) -> Result<Self, Vec<FieldError>> {
        let mut doc = self.to_json();
        let unknown = unknown_removals(&doc, patch, SUB_READ_ONLY, &[]);
        if !unknown.is_empty() {
            return Err(unknown);
        }
        merge_patch(&mut doc, patch);
        Self::from_json(self.kind(), &doc)
    }

    /// The one-per-client flag's value, for kinds that have one.
    pub fn flag(&self) -> Option<bool> {
        match self {
            Self::ContactPerson(c) => Some(c.is_main),
            Self::Location(l) => Some(l.is_primary),
            Self::Account(_) => None,
        }
    }

    pub fn set_flag(&mut self, on: bool) {
        match self {
            Self::ContactPerson(c) => c.is_main = on,
            Self::Location(l) => l.is_primary = on,
            Self::Account(_) => {}
        }
    }

    pub fn external_id(&self) -> Option<&str> {
        match self {
            Self::ContactPerson(c) => c.external_id.as_deref(),
            _ => None,
        }
    }
}

/// A stored sub-resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubResource {
    pub id: Uuid,
    pub client_id: Uuid,
    #[serde(flatten)]
    pub data: SubData,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn codes(r: Result<SubData, Vec<FieldError>>) -> Vec<(String, String)> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect()
    }

    #[test]
    fn contact_persons_need_a_name_and_valid_contact_details() {
        let c =
            SubData::from_json(SubKind::ContactPerson, &json!({"name": " Eva "})).expect("valid");
        assert_eq!(c.flag(), Some(false));
        assert_eq!(c.to_json()["name"], "Eva");
        assert_eq!(
            codes(SubData::from_json(
                SubKind::ContactPerson,
                &json!({"email": "x", "x": 1})
            )),
            vec![
                ("x".into(), "unknown_field".into()),
                ("name".into(), "required".into()),
                ("email".into(), "invalid_format".into())
            ]
        );
    }

    #[test]
    fn locations_validate_their_address_and_accounts_their_status() {
        let e = codes(SubData::from_json(
            SubKind::Location,
            &json!({"name": "HQ", "address": {"country": "QQ"}}),
        ));
        assert_eq!(e, vec![("address.country".into(), "invalid_format".into())]);
        let e = codes(SubData::from_json(
            SubKind::Account,
            &json!({"name": "A", "status": "gone"}),
        ));
        assert_eq!(e, vec![("status".into(), "invalid_value".into())]);
    }

    #[test]
    fn patches_merge_and_revalidate() {
        let c = SubData::from_json(SubKind::Location, &json!({"name": "HQ", "notes": "n"}))
            .expect("valid");
        let p = c
            .apply_patch(&json!({"notes": null, "is_primary": true}))
            .expect("valid");
        assert_eq!(p.flag(), Some(true));
        assert_eq!(p.to_json()["notes"], Value::Null);
        assert!(c.apply_patch(&json!({"name": ""})).is_err());
        // No address: removing one of its fields is a removal of nothing, removing a field an
        // address does not have is refused (found by Schemathesis: `{"address": {"": null}}`).
        assert!(c.apply_patch(&json!({"address": {"city": null}})).is_ok());
        let e = c
            .apply_patch(&json!({"address": {"": null}}))
            .expect_err("unknown field");
        assert_eq!(
            (e[0].field.as_str(), e[0].code.as_str()),
            ("address.", "unknown_field")
        );
    }
}
