//! The request bodies of seed 002 as the OpenAPI document describes them. The handlers read
//! bodies as JSON and map them field by field (`write.rs`), so unknown fields and wrong types
//! are reported by name; these types only document what that mapping accepts.
#![allow(dead_code)]

use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::ToSchema;

/// `zip`: a string of ≤ 200 characters, a whole number, or null.
fn zip() -> Schema {
    let one_of = OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(200)),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0))
                .maximum(Some(u64::MAX as usize)),
        )
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .build();
    Schema::OneOf(one_of)
}

/// The primary location of a new client. Its address also becomes the client's address.
#[derive(ToSchema)]
pub struct Seed002LocationInput {
    /// Required; 1-200 characters, trimmed. The name of this location or branch office.
    #[schema(
        example = "Main Location",
        min_length = 1,
        max_length = 200,
        pattern = r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    )]
    pub name: String,
    /// An address for invoices and related communication.
    #[schema(schema_with = clientele_core::schema::email)]
    pub email_invoice: Option<String>,
    /// Line one of the street address, ≤ 200.
    #[schema(example = "123 Main Street", max_length = 200)]
    pub address_1: Option<String>,
    /// ≤ 200.
    #[schema(example = "STE 123", max_length = 200)]
    pub address_2: Option<String>,
    /// ≤ 200.
    #[schema(max_length = 200)]
    pub address_3: Option<String>,
    /// ≤ 200.
    #[schema(example = "Denver", max_length = 200)]
    pub city: Option<String>,
    /// Required: the state or province code, exactly 2 characters once trimmed.
    #[schema(
        example = "CO",
        pattern = r"^[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    pub state: String,
    /// The postal code, ≤ 200: a string, or a whole number (`80202` is stored as `"80202"`).
    #[schema(schema_with = zip)]
    pub zip: Option<String>,
    /// Required: ISO 3166-1 alpha-2 (any case; stored upper-cased).
    #[schema(schema_with = clientele_core::schema::country_code)]
    pub country: String,
    #[schema(schema_with = clientele_core::schema::phone)]
    pub phone_primary: Option<String>,
    #[schema(schema_with = clientele_core::schema::phone)]
    pub phone_secondary: Option<String>,
    #[schema(schema_with = clientele_core::schema::phone)]
    pub phone_fax: Option<String>,
    /// ≤ 10000.
    #[schema(max_length = 10000)]
    pub notes: Option<String>,
}

/// The client fields of a create (`POST`, `name` and `primary_location` required) or an update
/// (`PUT`: any subset, `null` clears a field, `primary_location` refused). `id`, `created_at`
/// and `updated_at` are read-only (a `PUT` body's `id` must be the path's). Unknown fields are
/// refused by name.
#[derive(ToSchema)]
pub struct Seed002ClientFields {
    /// Required on `POST` (not null on `PUT`); 1-200 characters, trimmed.
    #[schema(
        example = "ACME Client",
        min_length = 1,
        max_length = 200,
        pattern = r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    )]
    pub name: String,
    /// ≤ 64: an internal client id or other reference number.
    #[schema(max_length = 64)]
    pub account_code: Option<String>,
    #[schema(schema_with = clientele_core::schema::http_url)]
    pub website: Option<String>,
    /// The address for all client-related billing communication.
    #[schema(schema_with = clientele_core::schema::email)]
    pub email_invoice: Option<String>,
    /// ≤ 10000.
    #[schema(example = "VIP client", max_length = 10000)]
    pub notes: Option<String>,
    /// Default false.
    pub has_invoice_reminders: Option<bool>,
    /// Default false.
    pub show_location_on_invoice: Option<bool>,
    /// The default salesperson's id (a non-negative integer), or null.
    pub salesperson: Option<u64>,
    /// The default case manager's id (a non-negative integer), or null.
    pub case_manager: Option<u64>,
    /// Required on `POST`; refused on `PUT` (a client's locations change through
    /// `/v1/clients/{id}/locations`).
    pub primary_location: Seed002LocationInput,
}

/// A request body: the client's fields nested under `client`.
#[derive(ToSchema)]
pub struct Seed002ClientInput {
    pub client: Seed002ClientFields,
}
