//! Seed 001's shapes and their mapping from the native client (docs/dialects.md, "001"): the
//! list item, the detail with its address and accounts, the envelopes, and the one-letter
//! status. Pure functions, no axum.

use clientele_core::sub::{SubData, SubResource};
use clientele_core::{Client, ClientStatus};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// A client as the list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = Seed001Client)]
pub struct ClientItem {
    /// Client identifier (a UUID).
    #[schema(value_type = String, example = "0193a5b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b")]
    pub id: Uuid,
    /// Client name.
    pub name: String,
    /// Legal business name.
    pub business_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub image_url: Option<String>,
    /// `A` (active) or `I` (inactive).
    #[schema(example = "A")]
    pub status: &'static str,
    /// Document (organisation) number.
    pub document: Option<String>,
    /// Tax identification number.
    pub tax_id: Option<String>,
    /// The client's id in the caller's own system.
    pub external_code: Option<String>,
    /// Count of linked accounts.
    pub associated_accounts: i64,
}

/// The client's address; coordinates are decimal strings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
#[schema(as = Seed001Address)]
pub struct Address {
    pub street: Option<String>,
    /// The street number.
    pub door_number: Option<String>,
    pub apartment: Option<String>,
    /// The nearest corner (cross street).
    pub corner: Option<String>,
    /// The postal code.
    pub zip_code: Option<String>,
    #[schema(example = "-34.9103")]
    pub latitude: Option<String>,
    #[schema(example = "-56.1708")]
    pub longitude: Option<String>,
}

/// An account of the client.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = Seed001Account)]
pub struct Account {
    #[schema(value_type = String)]
    pub id: Uuid,
    pub name: String,
    pub external_code: Option<String>,
    /// `A` (active) or `I` (inactive).
    pub status: &'static str,
}

/// A client's full profile: the list fields plus contact, notes, address and accounts.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = Seed001ClientDetail)]
pub struct ClientDetail {
    #[schema(value_type = String)]
    pub id: Uuid,
    pub name: String,
    pub business_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Mobile phone.
    pub mobile: Option<String>,
    pub image_url: Option<String>,
    /// `A` (active) or `I` (inactive).
    pub status: &'static str,
    pub document: Option<String>,
    pub tax_id: Option<String>,
    pub external_code: Option<String>,
    /// Free-text notes.
    pub notes: Option<String>,
    /// Always null: no document-type catalogue is kept.
    pub document_type: Option<i64>,
    pub address: Address,
    /// The ISO 3166-1 alpha-2 country code of the address (not a numeric catalogue id).
    #[schema(example = "UY")]
    pub country_id: Option<String>,
    /// The region of the address (not a numeric catalogue id).
    pub department_id: Option<String>,
    pub associated_accounts: i64,
    /// Every account of the client, oldest first.
    pub accounts: Vec<Account>,
}

/// `meta` of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Seed001ListMeta)]
pub struct ListMeta {
    /// Clients matching the filters, on all pages.
    pub total: u64,
    pub limit: u32,
    pub offset: u64,
}

/// `meta` of the detail: always empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Seed001EmptyMeta)]
pub struct EmptyMeta {}

/// `GET /apidev/v1/clients`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Seed001ClientList)]
pub struct ListBody {
    /// Always `true`.
    pub success: bool,
    pub data: Vec<ClientItem>,
    pub meta: ListMeta,
}

/// `GET /apidev/v1/clients/{id}`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Seed001ClientResponse)]
pub struct DetailBody {
    /// Always `true`.
    pub success: bool,
    pub data: ClientDetail,
    pub meta: EmptyMeta,
}

/// `A` for active, `I` for inactive.
pub fn status_letter(s: ClientStatus) -> &'static str {
    match s {
        ClientStatus::Active => "A",
        ClientStatus::Inactive => "I",
    }
}

/// The status a letter of the `status` parameter names; any other value names none.
pub fn status_of_letter(letter: &str) -> Option<ClientStatus> {
    match letter {
        "A" => Some(ClientStatus::Active),
        "I" => Some(ClientStatus::Inactive),
        _ => None,
    }
}

fn text<T: AsRef<str>>(v: &Option<T>) -> Option<String> {
    v.as_ref().map(|s| s.as_ref().to_string())
}

/// A coordinate as the seed writes it: a decimal string (`"-34.9103"`).
fn coordinate(v: Option<f64>) -> Option<String> {
    v.map(|x| x.to_string())
}

/// A client as the list shows it.
pub fn item(c: &Client) -> ClientItem {
    let d = &c.data;
    ClientItem {
        id: c.id,
        name: d.name.clone(),
        business_name: d.legal_name.clone(),
        email: d.email.as_ref().map(|e| e.as_str().to_string()),
        phone: d.phone.as_ref().map(|p| p.as_str().to_string()),
        image_url: d.image_url.as_ref().map(|u| u.as_str().to_string()),
        status: status_letter(d.status),
        document: d.org_number.clone(),
        tax_id: d.tax_id.clone(),
        external_code: d.external_id.clone(),
        associated_accounts: c.associated_accounts,
    }
}

/// The detail of a client with its accounts (other kinds of items are ignored), in the order
/// given.
pub fn detail(c: &Client, accounts: &[SubResource]) -> ClientDetail {
    let d = &c.data;
    let a = d.address.clone().unwrap_or_default();
    let list = item(c);
    ClientDetail {
        id: list.id,
        name: list.name,
        business_name: list.business_name,
        email: list.email,
        phone: list.phone,
        mobile: d.mobile.as_ref().map(|p| p.as_str().to_string()),
        image_url: list.image_url,
        status: list.status,
        document: list.document,
        tax_id: list.tax_id,
        external_code: list.external_code,
        notes: d.notes.clone(),
        document_type: None,
        address: Address {
            street: a.street,
            door_number: a.street_number,
            apartment: a.apartment,
            corner: a.corner,
            zip_code: a.postal_code,
            latitude: coordinate(a.latitude),
            longitude: coordinate(a.longitude),
        },
        country_id: a.country.as_ref().map(|c| c.as_str().to_string()),
        department_id: a.region,
        associated_accounts: list.associated_accounts,
        accounts: accounts
            .iter()
            .filter_map(|s| match &s.data {
                SubData::Account(acc) => Some(Account {
                    id: s.id,
                    name: acc.name.clone(),
                    external_code: text(&acc.external_code),
                    status: status_letter(acc.status),
                }),
                _ => None,
            })
            .collect(),
    }
}

/// The name seed 001 gives a native field path (for `details.field` of errors).
pub fn wire_field(native: &str) -> String {
    match native {
        "legal_name" => "business_name",
        "org_number" => "document",
        "external_id" => "external_code",
        "address.street_number" => "address.door_number",
        "address.postal_code" => "address.zip_code",
        "address.country" => "country_id",
        "address.region" => "department_id",
        other => other,
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clientele_core::sub::SubKind;
    use clientele_core::types::Timestamp;
    use clientele_core::ClientData;
    use serde_json::{json, Value};

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s).expect("ts")
    }

    fn client(doc: Value, accounts: i64) -> Client {
        Client {
            id: Uuid::parse_str("0193a5b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b").expect("uuid"),
            number: 5,
            data: ClientData::from_json(&doc).expect("valid document"),
            associated_accounts: accounts,
            version: 1,
            created_at: ts("2024-01-01T00:00:00Z"),
            updated_at: ts("2024-01-02T00:00:00Z"),
        }
    }

    fn account(n: u128, doc: Value) -> SubResource {
        SubResource {
            id: Uuid::from_u128(n),
            client_id: Uuid::nil(),
            data: SubData::from_json(SubKind::Account, &doc).expect("valid account"),
            created_at: ts("2024-01-01T00:00:00Z"),
            updated_at: ts("2024-01-01T00:00:00Z"),
            version: 1,
        }
    }

    /// The seed's own example client, written natively.
    fn regional() -> Client {
        client(
            json!({
                "name": "Regional Distributors",
                "legal_name": "Regional Distributors S.A.",
                "email": "info@regionaldist.com",
                "phone": "+59821009876",
                "mobile": "+59899876543",
                "tax_id": "219900005018",
                "address": {"street": "Bvar. Artigas", "street_number": "567",
                            "corner": "21 de Setiembre", "latitude": -34.9103,
                            "longitude": -56.1708, "country": "UY", "region": "10"}
            }),
            3,
        )
    }

    #[test]
    fn the_list_item_is_the_seeds_example() {
        let v = serde_json::to_value(item(&regional())).expect("json");
        assert_eq!(
            v,
            json!({
                "id": "0193a5b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b",
                "name": "Regional Distributors",
                "business_name": "Regional Distributors S.A.",
                "email": "info@regionaldist.com",
                "phone": "+59821009876",
                "image_url": null,
                "status": "A",
                "document": null,
                "tax_id": "219900005018",
                "external_code": null,
                "associated_accounts": 3
            })
        );
    }

    #[test]
    fn the_detail_is_the_seeds_example() {
        let accounts = [
            account(1, json!({"name": "Acme Corp", "external_code": "EXT-001"})),
            account(2, json!({"name": "Beta Industries"})),
            account(
                3,
                json!({"name": "Gamma Solutions", "external_code": "EXT-003", "status": "inactive"}),
            ),
        ];
        let v = serde_json::to_value(detail(&regional(), &accounts)).expect("json");
        assert_eq!(
            v,
            json!({
                "id": "0193a5b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b",
                "name": "Regional Distributors",
                "business_name": "Regional Distributors S.A.",
                "email": "info@regionaldist.com",
                "phone": "+59821009876",
                "mobile": "+59899876543",
                "image_url": null,
                "status": "A",
                "document": null,
                "tax_id": "219900005018",
                "external_code": null,
                "notes": null,
                "document_type": null,
                "address": {
                    "street": "Bvar. Artigas",
                    "door_number": "567",
                    "apartment": null,
                    "corner": "21 de Setiembre",
                    "zip_code": null,
                    "latitude": "-34.9103",
                    "longitude": "-56.1708"
                },
                "country_id": "UY",
                "department_id": "10",
                "associated_accounts": 3,
                "accounts": [
                    {"id": Uuid::from_u128(1).to_string(), "name": "Acme Corp",
                     "external_code": "EXT-001", "status": "A"},
                    {"id": Uuid::from_u128(2).to_string(), "name": "Beta Industries",
                     "external_code": null, "status": "A"},
                    {"id": Uuid::from_u128(3).to_string(), "name": "Gamma Solutions",
                     "external_code": "EXT-003", "status": "I"}
                ]
            })
        );
    }

    #[test]
    fn a_client_without_an_address_has_an_address_of_nulls() {
        let d = detail(
            &client(json!({"name": "Bare", "status": "inactive"}), 0),
            &[],
        );
        assert_eq!(d.address, Address::default());
        assert_eq!((d.status, d.country_id, d.department_id), ("I", None, None));
        assert!(d.accounts.is_empty());
    }

    #[test]
    fn status_letters_map_both_ways_and_nothing_else_names_a_status() {
        assert_eq!(status_letter(ClientStatus::Active), "A");
        assert_eq!(status_letter(ClientStatus::Inactive), "I");
        assert_eq!(status_of_letter("A"), Some(ClientStatus::Active));
        assert_eq!(status_of_letter("I"), Some(ClientStatus::Inactive));
        for other in ["a", "active", "X", "", "AI"] {
            assert_eq!(status_of_letter(other), None, "{other}");
        }
    }

    #[test]
    fn native_paths_are_named_as_the_seed_names_them() {
        assert_eq!(wire_field("legal_name"), "business_name");
        assert_eq!(wire_field("org_number"), "document");
        assert_eq!(wire_field("external_id"), "external_code");
        assert_eq!(wire_field("address.postal_code"), "address.zip_code");
        assert_eq!(wire_field("address.country"), "country_id");
        assert_eq!(wire_field("status"), "status");
    }
}
