//! The request bodies of seed 002 as the OpenAPI document describes them. The handlers read
//! bodies as JSON and map them field by field (`write.rs`), so unknown fields and wrong types
//! are reported by name; these types only document what that mapping accepts.
#![allow(dead_code)]

use utoipa::ToSchema;

/// The primary location of a new client. Its address also becomes the client's address.
#[derive(ToSchema)]
pub struct Seed002LocationInput {
    /// Required; 1-200 characters. The name of this location or branch office.
    #[schema(example = "Main Location")]
    pub name: String,
    /// An address for invoices and related communication.
    #[schema(format = Email, example = "billing@example.com")]
    pub email_invoice: Option<String>,
    /// Line one of the street address.
    #[schema(example = "123 Main Street")]
    pub address_1: Option<String>,
    #[schema(example = "STE 123")]
    pub address_2: Option<String>,
    pub address_3: Option<String>,
    #[schema(example = "Denver")]
    pub city: Option<String>,
    /// Required: the state or province code, exactly 2 characters.
    #[schema(example = "CO", min_length = 2, max_length = 2)]
    pub state: String,
    /// The postal code: a string, or a whole number (`80202` is stored as `"80202"`).
    #[schema(value_type = Option<String>, example = "80202")]
    pub zip: Option<String>,
    /// Required: ISO 3166-1 alpha-2 (any case; stored upper-cased).
    #[schema(example = "US")]
    pub country: String,
    /// ≤ 32: digits, spaces and `+ - ( ) .`.
    #[schema(example = "555-555-5555")]
    pub phone_primary: Option<String>,
    pub phone_secondary: Option<String>,
    pub phone_fax: Option<String>,
    /// ≤ 10000.
    pub notes: Option<String>,
}

/// The client fields of a create (`POST`, `name` and `primary_location` required) or an update
/// (`PUT`: any subset, `null` clears a field, `primary_location` refused). `id`, `created_at`
/// and `updated_at` are read-only (a `PUT` body's `id` must be the path's). Unknown fields are
/// refused by name.
#[derive(ToSchema)]
pub struct Seed002ClientFields {
    /// Required on `POST`; 1-200 characters.
    #[schema(example = "ACME Client")]
    pub name: Option<String>,
    /// ≤ 64: an internal client id or other reference number.
    pub account_code: Option<String>,
    /// An absolute http(s) URL.
    #[schema(format = "uri", example = "https://example.com")]
    pub website: Option<String>,
    /// The address for all client-related billing communication.
    #[schema(format = Email)]
    pub email_invoice: Option<String>,
    /// ≤ 10000.
    #[schema(example = "VIP client")]
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
    pub primary_location: Option<Seed002LocationInput>,
}

/// A request body: the client's fields nested under `client`.
#[derive(ToSchema)]
pub struct Seed002ClientInput {
    pub client: Seed002ClientFields,
}
