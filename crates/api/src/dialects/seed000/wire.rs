//! Seed 000's shapes and their mapping from the native client (docs/dialects.md, "000"): the
//! ESSENTIAL fields of a list item, the FULL profile of the detail with its contact, the
//! `pagination` block. Pure functions, no axum.

use clientele_core::sub::ContactPersonData;
use clientele_core::types::{Money, Timestamp};
use clientele_core::Client;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// A client as the list shows it (ESSENTIAL).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = Seed000Client)]
pub struct ClientItem {
    /// The client's id (a UUID).
    #[schema(value_type = String, format = Uuid)]
    pub id: Uuid,
    /// The client's name.
    pub company_name: String,
    /// Company registration number. Sensitive: mask or hash it before logging.
    pub org_number: Option<String>,
    /// ISO 3166-1 alpha-2 country of the client's address.
    #[schema(example = "SE")]
    pub country: Option<String>,
    /// Credit limit, exact decimal, in `currency`.
    #[schema(value_type = Option<f64>, example = 50000.00)]
    pub credit_limit: Option<Money>,
    /// ISO 4217 currency of the credit figures.
    #[schema(example = "SEK")]
    pub currency: Option<String>,
    /// Credit rating, e.g. `AA`.
    pub rating: Option<String>,
    /// Last change (RFC 3339, UTC); the list is ordered by it, oldest first.
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

/// A client's full profile (FULL): the list fields, credit metadata and the contact.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = Seed000ClientProfile)]
pub struct ClientProfile {
    #[serde(flatten)]
    pub essential: ClientItem,
    /// Credit used, exact decimal, in `currency`.
    #[schema(value_type = Option<f64>)]
    pub credit_used: Option<Money>,
    /// `good`, `middle`, `substandard` or `bad`.
    #[schema(example = "good")]
    pub creditworthiness: Option<String>,
    /// The main contact person's name; null when the client has no main contact.
    pub contact_name: Option<String>,
    /// The main contact person's e-mail; the client's own when it has no main contact.
    /// Sensitive.
    pub contact_email: Option<String>,
    /// The main contact person's phone; the client's own when it has no main contact.
    /// Sensitive.
    pub contact_phone: Option<String>,
    /// Creation time (RFC 3339, UTC).
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// Where a list page is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Seed000Pagination)]
pub struct Pagination {
    /// This page, from 1.
    pub page: u64,
    /// Items per page.
    pub limit: u32,
    /// Clients matching the filters, on all pages.
    pub total: u64,
    /// `ceil(total / limit)`; 0 when nothing matches.
    pub total_pages: u64,
}

/// `GET /api/1.0/clients`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Seed000ClientList)]
pub struct ListBody {
    pub data: Vec<ClientItem>,
    pub pagination: Pagination,
}

/// `GET /api/1.0/clients/{id}`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Seed000ClientResponse)]
pub struct DetailBody {
    pub data: ClientProfile,
}

/// The ESSENTIAL fields of a client.
pub fn item(c: &Client) -> ClientItem {
    let d = &c.data;
    ClientItem {
        id: c.id,
        company_name: d.name.clone(),
        org_number: d.org_number.clone(),
        country: d
            .address
            .as_ref()
            .and_then(|a| a.country.as_ref())
            .map(|c| c.as_str().to_string()),
        credit_limit: d.credit.limit,
        currency: d.credit.currency.as_ref().map(|c| c.as_str().to_string()),
        rating: d.credit.rating.clone(),
        updated_at: c.updated_at,
    }
}

/// The FULL profile: `main` is the client's main contact person, if it has one; without one
/// the contact is the client's own e-mail and phone, with no name.
pub fn profile(c: &Client, main: Option<&ContactPersonData>) -> ClientProfile {
    let d = &c.data;
    let (contact_name, contact_email, contact_phone) = match main {
        Some(p) => (
            Some(p.name.clone()),
            p.email.as_ref().map(|e| e.as_str().to_string()),
            p.phone.as_ref().map(|p| p.as_str().to_string()),
        ),
        None => (
            None,
            d.email.as_ref().map(|e| e.as_str().to_string()),
            d.phone.as_ref().map(|p| p.as_str().to_string()),
        ),
    };
    ClientProfile {
        essential: item(c),
        credit_used: d.credit.used,
        creditworthiness: d.credit.creditworthiness.map(|w| w.as_str().to_string()),
        contact_name,
        contact_email,
        contact_phone,
        created_at: c.created_at,
    }
}

/// The `pagination` block of a page.
pub fn pagination(page: u64, limit: u32, total: u64) -> Pagination {
    Pagination {
        page,
        limit,
        total,
        total_pages: total.div_ceil(u64::from(limit.max(1))),
    }
}

/// The name seed 000 gives a native field path (for `details.field` of errors).
pub fn wire_field(native: &str) -> String {
    match native {
        "name" => "company_name",
        "address.country" => "country",
        "credit.limit" => "credit_limit",
        "credit.used" => "credit_used",
        "credit.currency" => "currency",
        "credit.rating" => "rating",
        "credit.creditworthiness" => "creditworthiness",
        other => other,
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clientele_core::ClientData;
    use serde_json::{json, Value};

    fn client(doc: Value) -> Client {
        let data = ClientData::from_json(&doc).expect("valid document");
        Client {
            id: Uuid::parse_str("0193a5b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b").expect("uuid"),
            number: 7,
            data,
            associated_accounts: 0,
            version: 3,
            created_at: Timestamp::parse("2024-01-02T03:04:05.678Z").expect("ts"),
            updated_at: Timestamp::parse("2024-05-06T07:08:09.010Z").expect("ts"),
        }
    }

    fn contact(doc: Value) -> ContactPersonData {
        match clientele_core::sub::SubData::from_json(
            clientele_core::sub::SubKind::ContactPerson,
            &doc,
        )
        .expect("valid contact")
        {
            clientele_core::sub::SubData::ContactPerson(p) => p,
            other => panic!("{other:?}"),
        }
    }

    /// A JSON number with exactly these digits (money keeps its scale).
    fn n(digits: &str) -> Value {
        serde_json::from_str(digits).expect("number")
    }

    fn full() -> Client {
        client(json!({
            "name": "Nordic Metals AB", "org_number": "556677-8899",
            "email": "info@nordic.example", "phone": "+46 8 123 45",
            "address": {"country": "se", "city": "Stockholm"},
            "credit": {"limit": 50000, "used": 1200.5, "currency": "sek", "rating": "AA",
                       "creditworthiness": "good"}
        }))
    }

    #[test]
    fn the_list_item_holds_exactly_the_essential_fields() {
        let v = serde_json::to_value(item(&full())).expect("json");
        assert_eq!(
            v,
            json!({
                "id": "0193a5b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b",
                "company_name": "Nordic Metals AB",
                "org_number": "556677-8899",
                "country": "SE",
                "credit_limit": n("50000.00"),
                "currency": "SEK",
                "rating": "AA",
                "updated_at": "2024-05-06T07:08:09.010Z"
            })
        );
        let bare = serde_json::to_value(item(&client(json!({"name": "Bare"})))).expect("json");
        for k in [
            "org_number",
            "country",
            "credit_limit",
            "currency",
            "rating",
        ] {
            assert_eq!(bare[k], Value::Null, "{k}");
        }
    }

    #[test]
    fn the_profile_adds_credit_metadata_and_the_main_contact() {
        let main = contact(json!({"name": "Anna Berg", "email": "anna@nordic.example",
                                  "phone": "+46 70 111 22 33", "mobile": "+46 70 999"}));
        let v = serde_json::to_value(profile(&full(), Some(&main))).expect("json");
        assert_eq!(v["company_name"], "Nordic Metals AB");
        assert_eq!(v["credit_limit"], n("50000.00"));
        assert_eq!(v["credit_used"], n("1200.50"));
        assert_eq!(v["creditworthiness"], "good");
        assert_eq!(v["contact_name"], "Anna Berg");
        assert_eq!(v["contact_email"], "anna@nordic.example");
        assert_eq!(v["contact_phone"], "+46 70 111 22 33");
        assert_eq!(v["created_at"], "2024-01-02T03:04:05.678Z");
        assert_eq!(v.as_object().expect("object").len(), 14, "{v}");
    }

    #[test]
    fn without_a_main_contact_the_contact_is_the_clients_own_with_no_name() {
        let v = serde_json::to_value(profile(&full(), None)).expect("json");
        assert_eq!(v["contact_name"], Value::Null);
        assert_eq!(v["contact_email"], "info@nordic.example");
        assert_eq!(v["contact_phone"], "+46 8 123 45");
        // A main contact without e-mail or phone does not borrow the client's.
        let quiet = contact(json!({"name": "Quiet Person"}));
        let v = serde_json::to_value(profile(&full(), Some(&quiet))).expect("json");
        assert_eq!(v["contact_name"], "Quiet Person");
        assert_eq!(v["contact_email"], Value::Null);
        assert_eq!(v["contact_phone"], Value::Null);
    }

    #[test]
    fn total_pages_rounds_up_and_is_zero_for_nothing() {
        assert_eq!(pagination(1, 25, 0).total_pages, 0);
        assert_eq!(pagination(1, 25, 25).total_pages, 1);
        assert_eq!(pagination(3, 25, 51).total_pages, 3);
        assert_eq!(
            serde_json::to_value(pagination(2, 10, 23)).expect("json"),
            json!({"page": 2, "limit": 10, "total": 23, "total_pages": 3})
        );
    }

    #[test]
    fn native_paths_are_named_as_the_seed_names_them() {
        assert_eq!(wire_field("name"), "company_name");
        assert_eq!(wire_field("credit.limit"), "credit_limit");
        assert_eq!(wire_field("address.country"), "country");
        assert_eq!(wire_field("updated_since"), "updated_since");
    }
}
