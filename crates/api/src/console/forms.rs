//! The console's forms: which fields they show, and how submitted text becomes the JSON document
//! the API's parsers read. Input names are the API's dotted field paths (`address.city`), so a
//! `FieldError` from the parser lands next to its input without any mapping.

use clientele_core::enums::{ClientKind, ClientStatus, Creditworthiness, PartnerType};
use serde_json::{Map, Number, Value};

use super::session::FormData;

/// How a field is edited and how its text is turned into JSON.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Input {
    Text,
    Email,
    Tel,
    Url,
    TextArea,
    /// A closed set; `true` when "none" is a choice.
    Select(&'static [&'static str], bool),
    /// A JSON number with its exact digits (money, coordinates, integers).
    Number,
    /// A checkbox: absent = false.
    Check,
    /// Yes / no / not set.
    TriState,
}

pub struct Field {
    pub path: &'static str,
    pub label: &'static str,
    pub input: Input,
    /// Shown under the input.
    pub hint: Option<&'static str>,
}

const fn f(path: &'static str, label: &'static str, input: Input) -> Field {
    Field {
        path,
        label,
        input,
        hint: None,
    }
}

const fn h(path: &'static str, label: &'static str, input: Input, hint: &'static str) -> Field {
    Field {
        path,
        label,
        input,
        hint: Some(hint),
    }
}

pub struct Section {
    pub title: &'static str,
    pub fields: &'static [Field],
}

use Input as I;

/// The client form. Fields not listed (`metadata`) are kept as they are by an edit.
pub static CLIENT_FORM: &[Section] = &[
    Section {
        title: "Identity",
        fields: &[
            f("kind", "Kind", I::Select(ClientKind::ALL, false)),
            h(
                "name",
                "Name",
                I::Text,
                "Required for organisations; for persons defaults to first and last name",
            ),
            f("legal_name", "Legal name", I::Text),
            f("first_name", "First name", I::Text),
            f("last_name", "Last name", I::Text),
            f("org_number", "Organisation number", I::Text),
            f("tax_id", "Tax id", I::Text),
            h(
                "external_id",
                "External id",
                I::Text,
                "Your own id; unique in the tenant",
            ),
            f("account_code", "Account code", I::Text),
            f("status", "Status", I::Select(ClientStatus::ALL, false)),
            f(
                "partner_type",
                "Partner type",
                I::Select(PartnerType::ALL, true),
            ),
        ],
    },
    Section {
        title: "Contact",
        fields: &[
            f("email", "E-mail", I::Email),
            f("billing_email", "Billing e-mail", I::Email),
            f("phone", "Phone", I::Tel),
            f("mobile", "Mobile", I::Tel),
            f("home_phone", "Home phone", I::Tel),
            f("fax", "Fax", I::Tel),
            f("website", "Website", I::Url),
            f("image_url", "Image URL", I::Url),
        ],
    },
    Section {
        title: "Address",
        fields: &[
            f("address.street", "Street", I::Text),
            f("address.street_number", "Street number", I::Text),
            f("address.apartment", "Apartment", I::Text),
            f("address.corner", "Corner", I::Text),
            f("address.line2", "Address line 2", I::Text),
            f("address.line3", "Address line 3", I::Text),
            f("address.postal_code", "Postal code", I::Text),
            f("address.city", "City", I::Text),
            f("address.region", "Region", I::Text),
            h(
                "address.country",
                "Country",
                I::Text,
                "ISO 3166-1 code, e.g. SE",
            ),
            f("address.latitude", "Latitude", I::Number),
            f("address.longitude", "Longitude", I::Number),
        ],
    },
    Section {
        title: "Credit",
        fields: &[
            f("credit.limit", "Credit limit", I::Number),
            f("credit.used", "Credit used", I::Number),
            h(
                "credit.currency",
                "Currency",
                I::Text,
                "ISO 4217 code, e.g. EUR; required with a limit or used amount",
            ),
            f(
                "credit.payment_terms_days",
                "Payment terms (days)",
                I::Number,
            ),
            f("credit.rating", "Rating", I::Text),
            f(
                "credit.creditworthiness",
                "Creditworthiness",
                I::Select(Creditworthiness::ALL, true),
            ),
            f("credit.fico", "FICO score", I::Number),
            f("credit.total_income", "Total income", I::Number),
            f(
                "credit.total_debt_payments",
                "Total debt payments",
                I::Number,
            ),
            f("credit.first_time_buyer", "First-time buyer", I::TriState),
            f("credit.frame_contract", "Frame contract", I::TriState),
            f("credit.self_insurance", "Self insurance", I::TriState),
            f("credit.pricing", "Pricing", I::Text),
            f("credit.custom_price_id", "Custom price id", I::Text),
        ],
    },
    Section {
        title: "Ownership",
        fields: &[
            f("owner_id", "Owner id", I::Text),
            f("salesperson_id", "Salesperson id", I::Text),
            f("case_manager_id", "Case manager id", I::Text),
            h(
                "referred_by_id",
                "Referred by (client id)",
                I::Text,
                "The id of another client",
            ),
            f("source", "Source", I::Text),
            f("structure_id", "Structure id", I::Text),
        ],
    },
    Section {
        title: "Settings and notes",
        fields: &[
            f("silenced", "Silenced (no notifications)", I::Check),
            f("invoice_reminders", "Send invoice reminders", I::Check),
            f(
                "show_location_on_invoice",
                "Show location on invoices",
                I::Check,
            ),
            f("notes", "Notes", I::TextArea),
        ],
    },
];

/// The contact person form.
pub static CONTACT_FORM: &[Section] = &[Section {
    title: "Contact person",
    fields: &[
        f("name", "Name", I::Text),
        f("job_title", "Job title", I::Text),
        f("department", "Department", I::Text),
        f("email", "E-mail", I::Email),
        f("phone", "Phone", I::Tel),
        f("mobile", "Mobile", I::Tel),
        h(
            "is_main",
            "Main contact",
            I::Check,
            "Setting it clears the flag on the client's other contacts",
        ),
        f("external_id", "External id", I::Text),
    ],
}];

pub fn fields(form: &'static [Section]) -> impl Iterator<Item = &'static Field> {
    form.iter().flat_map(|s| s.fields.iter())
}

/// The JSON value a field's submitted text stands for. Text that is not a number in a number
/// field stays a string, so the API's parser reports it with its own message.
fn value_of(input: Input, raw: Option<&str>) -> Value {
    let text = raw.map(str::trim).unwrap_or("");
    match input {
        I::Check => Value::Bool(raw.is_some()),
        _ if text.is_empty() => Value::Null,
        I::TriState => match text {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            other => Value::String(other.to_string()),
        },
        I::Number => text
            .parse::<Number>()
            .map(Value::Number)
            .unwrap_or_else(|_| Value::String(text.to_string())),
        _ => Value::String(text.to_string()),
    }
}

fn insert_path(doc: &mut Map<String, Value>, path: &str, v: Value) {
    match path.split_once('.') {
        None => {
            doc.insert(path.to_string(), v);
        }
        Some((head, rest)) => {
            let child = doc
                .entry(head.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !child.is_object() {
                *child = Value::Object(Map::new());
            }
            if let Value::Object(m) = child {
                insert_path(m, rest, v);
            }
        }
    }
}

/// The document (for a create) or merge patch (for an edit) a submitted form stands for: every
/// field of the form, empty ones as `null`. An address left entirely empty is no address.
pub fn document(form: &'static [Section], data: &FormData) -> Value {
    let mut doc = Map::new();
    for field in fields(form) {
        insert_path(
            &mut doc,
            field.path,
            value_of(field.input, data.get(field.path)),
        );
    }
    if let Some(Value::Object(addr)) = doc.get("address") {
        if addr.values().all(Value::is_null) {
            doc.insert("address".into(), Value::Null);
        }
    }
    Value::Object(doc)
}

/// A field's value in a stored document, as the text an input shows.
pub fn text_at(doc: &Value, path: &str) -> String {
    let mut v = doc;
    for seg in path.split('.') {
        match v.get(seg) {
            Some(next) => v = next,
            None => return String::new(),
        }
    }
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}

/// The values a form shows: from a stored document, or as submitted.
pub enum Values<'a> {
    Empty,
    Stored(&'a Value),
    Submitted(&'a FormData),
}

impl Values<'_> {
    pub fn text(&self, field: &Field) -> String {
        match self {
            Values::Empty => match field.path {
                "kind" => "organization".into(),
                "status" => "active".into(),
                _ => String::new(),
            },
            Values::Stored(doc) => text_at(doc, field.path),
            Values::Submitted(form) => match field.input {
                I::Check => form.has(field.path).to_string(),
                _ => form.get(field.path).unwrap_or("").to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clientele_core::ClientData;
    use serde_json::json;

    fn form(pairs: &[(&str, &str)]) -> FormData {
        FormData(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn a_form_becomes_the_document_the_api_parses() {
        let doc = document(
            CLIENT_FORM,
            &form(&[
                ("name", " Acme AB "),
                ("kind", "organization"),
                ("status", "active"),
                ("credit.limit", "1000.50"),
                ("credit.currency", "sek"),
                ("silenced", "on"),
                ("credit.frame_contract", "true"),
            ]),
        );
        assert_eq!(doc["address"], Value::Null);
        assert_eq!(doc["credit"]["limit"].to_string(), "1000.50");
        assert_eq!(doc["silenced"], json!(true));
        assert_eq!(doc["invoice_reminders"], json!(false));
        let data = ClientData::from_json(&doc).expect("valid");
        assert_eq!(data.name, "Acme AB");
        assert_eq!(text_at(&data.to_json(), "credit.limit"), "1000.50");
    }

    #[test]
    fn text_in_a_number_field_is_left_for_the_parser_to_refuse() {
        let doc = document(
            CLIENT_FORM,
            &form(&[
                ("name", "A"),
                ("credit.fico", "lots"),
                ("address.city", "Lund"),
            ]),
        );
        assert_eq!(doc["address"]["city"], "Lund");
        let errors = ClientData::from_json(&doc).expect_err("invalid");
        assert_eq!(errors[0].field, "credit.fico");
    }
}
