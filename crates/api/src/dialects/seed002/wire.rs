//! Seed 002's shapes as it reads them: the client with its primary location, the `{"client"}`
//! wrapper and the list page, built from the core's types by pure functions (no axum).

use clientele_core::sub::{SubData, SubResource};
use clientele_core::types::{CountryCode, Email, HttpUrl, Phone, Timestamp};
use clientele_core::{Address, Client};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// A client's primary location (seed 002).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Seed002Location {
    /// The location's id (a UUID: locations have no number), as
    /// `/v1/clients/{id}/locations/{location_id}` names it.
    pub id: Uuid,
    /// The name of this location or branch office.
    #[schema(example = "Main Location")]
    pub name: String,
    /// Where invoices for this location go.
    #[schema(value_type = Option<String>, format = Email)]
    pub email_invoice: Option<Email>,
    /// Line one of the street address.
    pub address_1: Option<String>,
    pub address_2: Option<String>,
    pub address_3: Option<String>,
    pub city: Option<String>,
    /// State or province code (2 characters when written here).
    #[schema(example = "CO")]
    pub state: Option<String>,
    /// The postal code, always a string (`"80202"`), however it was written.
    #[schema(example = "80202")]
    pub zip: Option<String>,
    /// ISO 3166-1 alpha-2.
    #[schema(value_type = Option<String>, example = "US")]
    pub country: Option<CountryCode>,
    #[schema(value_type = Option<String>)]
    pub phone_primary: Option<Phone>,
    #[schema(value_type = Option<String>)]
    pub phone_secondary: Option<Phone>,
    #[schema(value_type = Option<String>)]
    pub phone_fax: Option<Phone>,
    pub notes: Option<String>,
}

impl Seed002Location {
    /// `None` when the item is not a location.
    pub fn from_sub(s: &SubResource) -> Option<Self> {
        let SubData::Location(l) = &s.data else {
            return None;
        };
        let a = l.address.as_ref();
        let text = |f: fn(&Address) -> &Option<String>| a.and_then(|a| f(a).clone());
        Some(Self {
            id: s.id,
            name: l.name.clone(),
            email_invoice: l.billing_email.clone(),
            address_1: text(|a| &a.street),
            address_2: text(|a| &a.line2),
            address_3: text(|a| &a.line3),
            city: text(|a| &a.city),
            state: text(|a| &a.region),
            zip: text(|a| &a.postal_code),
            country: a.and_then(|a| a.country.clone()),
            phone_primary: l.phone_primary.clone(),
            phone_secondary: l.phone_secondary.clone(),
            phone_fax: l.fax.clone(),
            notes: l.notes.clone(),
        })
    }
}

/// A client (seed 002): a top-level "parent" organisation, with its primary location.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Seed002Client {
    /// The client's number in the organisation (1, 2, 3, ...), assigned by the server.
    #[schema(example = 42)]
    pub id: i64,
    #[schema(example = "ACME Client")]
    pub name: String,
    /// An internal client id or other reference number.
    pub account_code: Option<String>,
    #[schema(schema_with = clientele_core::schema::http_url)]
    pub website: Option<HttpUrl>,
    /// The address for all client-related billing communication.
    #[schema(value_type = Option<String>, format = Email)]
    pub email_invoice: Option<Email>,
    pub notes: Option<String>,
    /// Whether the client receives overdue-invoice reminders.
    pub has_invoice_reminders: bool,
    /// Whether invoices show the location's name.
    pub show_location_on_invoice: bool,
    /// The default salesperson's id; null when none is set or the stored id is not a number.
    pub salesperson: Option<u64>,
    /// The default case manager's id; null when none is set or the stored id is not a number.
    pub case_manager: Option<u64>,
    /// The primary location, or null when the client has none.
    pub primary_location: Option<Seed002Location>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

/// A person id stored as text, shown as an integer when it is one written the canonical way
/// (`"17"`, not `"017"` or `"x-17"`), so what is shown filters the list back to it.
pub fn person_id(stored: Option<&str>) -> Option<u64> {
    let s = stored?;
    s.parse::<u64>()
        .ok()
        .filter(|n| *n <= i64::MAX as u64 && n.to_string() == s)
}

impl Seed002Client {
    /// The client as this dialect shows it, with its primary location (`None`: it has none).
    pub fn new(client: &Client, primary: Option<&SubResource>) -> Self {
        let d = &client.data;
        Self {
            id: client.number,
            name: d.name.clone(),
            account_code: d.account_code.clone(),
            website: d.website.clone(),
            email_invoice: d.billing_email.clone(),
            notes: d.notes.clone(),
            has_invoice_reminders: d.invoice_reminders,
            show_location_on_invoice: d.show_location_on_invoice,
            salesperson: person_id(d.salesperson_id.as_deref()),
            case_manager: person_id(d.case_manager_id.as_deref()),
            primary_location: primary.and_then(Seed002Location::from_sub),
            created_at: client.created_at,
            updated_at: client.updated_at,
        }
    }
}

/// One client: `{"client": CLIENT}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Seed002ClientBody {
    pub client: Seed002Client,
}

/// `meta` of a list page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Seed002ListMeta {
    /// The page shown, from 1.
    pub page: u64,
    /// Clients per page.
    pub per_page: u32,
    /// Clients matching the filters, on all pages.
    pub total: u64,
}

/// A page of clients: `{"clients": [...], "meta": {...}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Seed002ClientPage {
    pub clients: Vec<Seed002Client>,
    pub meta: Seed002ListMeta,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clientele_core::sub::SubKind;
    use clientele_core::ClientData;
    use serde_json::json;

    fn client(doc: serde_json::Value) -> Client {
        let at = Timestamp::parse("2026-11-23T10:15:00.123Z").expect("ts");
        Client {
            id: Uuid::nil(),
            number: 7,
            data: ClientData::from_json(&doc).expect("valid"),
            associated_accounts: 0,
            version: 3,
            created_at: at,
            updated_at: at,
        }
    }

    fn location(doc: serde_json::Value) -> SubResource {
        let at = Timestamp::parse("2026-11-24T08:00:00Z").expect("ts");
        SubResource {
            id: Uuid::max(),
            client_id: Uuid::nil(),
            data: SubData::from_json(SubKind::Location, &doc).expect("valid"),
            created_at: at,
            updated_at: at,
            version: 1,
        }
    }

    #[test]
    fn a_client_reads_with_every_field_and_its_primary_location() {
        let c = client(json!({
            "name": "ACME Client", "account_code": "A-1", "website": "https://example.com",
            "billing_email": "billing@example.com", "notes": "VIP client",
            "invoice_reminders": true, "show_location_on_invoice": true,
            "salesperson_id": "17", "case_manager_id": "cm-4"
        }));
        let l = location(json!({
            "name": "Main Location", "is_primary": true, "billing_email": "b@example.com",
            "phone_primary": "555-555-5555", "phone_secondary": "555-555-5556",
            "fax": "555-555-5557", "notes": "n",
            "address": {"street": "123 Main Street", "line2": "STE 123", "line3": "Floor 2",
                "city": "Denver", "region": "CO", "postal_code": "80202", "country": "US"}
        }));
        let v = serde_json::to_value(Seed002Client::new(&c, Some(&l))).expect("json");
        assert_eq!(
            v,
            json!({
                "id": 7, "name": "ACME Client", "account_code": "A-1",
                "website": "https://example.com", "email_invoice": "billing@example.com",
                "notes": "VIP client", "has_invoice_reminders": true,
                "show_location_on_invoice": true, "salesperson": 17, "case_manager": null,
                "primary_location": {
                    "id": Uuid::max().to_string(), "name": "Main Location",
                    "email_invoice": "b@example.com", "address_1": "123 Main Street",
                    "address_2": "STE 123", "address_3": "Floor 2", "city": "Denver",
                    "state": "CO", "zip": "80202", "country": "US",
                    "phone_primary": "555-555-5555", "phone_secondary": "555-555-5556",
                    "phone_fax": "555-555-5557", "notes": "n"
                },
                "created_at": "2026-11-23T10:15:00.123Z", "updated_at": "2026-11-23T10:15:00.123Z"
            })
        );
    }

    #[test]
    fn a_bare_client_reads_with_nulls_and_no_location() {
        let v = serde_json::to_value(Seed002Client::new(&client(json!({"name": "A"})), None))
            .expect("json");
        assert_eq!(v["primary_location"], serde_json::Value::Null);
        assert_eq!(v["has_invoice_reminders"], false);
        assert_eq!(v["salesperson"], serde_json::Value::Null);
        let l = location(json!({"name": "HQ"}));
        let v = serde_json::to_value(Seed002Client::new(&client(json!({"name": "A"})), Some(&l)))
            .expect("json");
        assert_eq!(v["primary_location"]["address_1"], serde_json::Value::Null);
        assert_eq!(v["primary_location"]["country"], serde_json::Value::Null);
    }

    #[test]
    fn person_ids_are_integers_only_when_written_as_one() {
        assert_eq!(person_id(Some("17")), Some(17));
        assert_eq!(person_id(Some("0")), Some(0));
        for s in ["017", "x-17", "-3", "1.5", "", " 4"] {
            assert_eq!(person_id(Some(s)), None, "{s}");
        }
        assert_eq!(person_id(None), None);
        // The document's ids are int64: a larger stored id is not one of them.
        assert_eq!(
            person_id(Some("9223372036854775807")),
            Some(9223372036854775807)
        );
        assert_eq!(person_id(Some("9223372036854775808")), None);
    }
}
