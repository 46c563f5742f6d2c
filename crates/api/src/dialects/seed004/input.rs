//! The request bodies of seed 004 as the OpenAPI document describes them. The handlers read
//! bodies as JSON and map them field by field (`write.rs`), so unknown fields and wrong types
//! are reported by name; these types only document what that mapping accepts.
#![allow(dead_code)]

use utoipa::ToSchema;

use super::wire::{Seed004Creditworthiness, Seed004PartnerType, Seed004Status};

/// Coordinates: both are required (`"point": null` clears them).
#[derive(ToSchema)]
pub struct Seed004PointInput {
    /// Longitude, −180..180.
    #[schema(minimum = -180, maximum = 180)]
    pub lng: f64,
    /// Latitude, −90..90.
    #[schema(minimum = -90, maximum = 90)]
    pub lat: f64,
}

/// A client to create (`POST`), or the fields to change (`PATCH`: any subset; `null` clears a
/// field). Read-only fields of the model (`id`, `number`, `createdAt`, `updatedAt`) are
/// accepted and ignored; `organization` must be absent or the caller's. Unknown fields are
/// refused by name.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Seed004ClientInput {
    /// Required (not blank on `POST`); 1-200 characters, trimmed.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    )]
    pub name: String,
    /// ≤ 128, unique in the organisation.
    #[schema(max_length = 128)]
    pub external_id: Option<String>,
    /// ≤ 64.
    #[schema(max_length = 64)]
    pub custom_price_id: Option<String>,
    /// ≥ 0, at most 4 fraction digits. No currency: a client keeps its stored currency, a new
    /// one (or one without) takes the organisation's default.
    #[schema(schema_with = clientele_core::schema::money)]
    pub credit_limit: Option<f64>,
    /// ≥ 0, in the same currency as `creditLimit`.
    #[schema(schema_with = clientele_core::schema::money)]
    pub used_limit: Option<f64>,
    /// Days, 0..3650.
    #[schema(minimum = 0, maximum = 3650)]
    pub payment_terms: Option<i32>,
    /// ≤ 10000.
    #[schema(max_length = 10000)]
    pub additional_information: Option<String>,
    pub frame_contract: Option<bool>,
    pub self_insurance: Option<bool>,
    /// ≤ 200.
    #[schema(max_length = 200)]
    pub pricing: Option<String>,
    #[schema(schema_with = clientele_core::schema::http_url)]
    pub website: Option<String>,
    #[schema(schema_with = clientele_core::schema::phone)]
    pub fax: Option<String>,
    pub point: Option<Seed004PointInput>,
    /// The street, ≤ 200; when given with `streetAndNumber`, the latter only supplies the
    /// number.
    #[schema(max_length = 200)]
    pub street: Option<String>,
    /// Street and house number: split before the last word holding a digit (`Straße des 17.
    /// Juni 114` → street `Straße des 17. Juni`, number `114`); `null` clears both.
    pub street_and_number: Option<String>,
    /// ≤ 200.
    #[schema(max_length = 200)]
    pub city: Option<String>,
    #[schema(schema_with = clientele_core::schema::phone)]
    pub phone: Option<String>,
    /// ISO 3166-1 alpha-2 (any case; stored upper-cased).
    #[schema(schema_with = clientele_core::schema::country)]
    pub country: Option<String>,
    #[schema(schema_with = clientele_core::schema::email)]
    pub email: Option<String>,
    pub partner_type: Option<Seed004PartnerType>,
    /// ≤ 200.
    #[schema(max_length = 200)]
    pub long_name: Option<String>,
    /// ≤ 200.
    #[schema(max_length = 200)]
    pub postal_code: Option<String>,
    pub creditworthiness: Option<Seed004Creditworthiness>,
    /// Default `ACTIVE`.
    pub status: Option<Seed004Status>,
    /// ≤ 64.
    #[schema(max_length = 64)]
    pub structure_id: Option<String>,
    /// `POST` only: contact persons created with the client, in the same transaction (errors
    /// name them `contactPersons.0.email`). `PATCH` refuses it: use the contact-person routes.
    pub contact_persons: Option<Vec<Seed004ContactPersonInput>>,
}

/// A contact person to create (`POST`), or the fields to change (`PATCH`). `id`, `clientId`
/// (must be absent or the path's) and `updatedAt` are read-only.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Seed004ContactPersonInput {
    /// Required (not blank) on `POST`; 1-200 characters, trimmed.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    )]
    pub name: String,
    /// ≤ 200.
    #[schema(max_length = 200)]
    pub job_title: Option<String>,
    /// ≤ 200.
    #[schema(max_length = 200)]
    pub department: Option<String>,
    #[schema(schema_with = clientele_core::schema::email)]
    pub email: Option<String>,
    #[schema(schema_with = clientele_core::schema::phone)]
    pub phone: Option<String>,
    #[schema(schema_with = clientele_core::schema::phone)]
    pub mobile: Option<String>,
    /// `true` makes it the main contact (the previous main loses the flag). The client's
    /// first contact is main either way.
    pub is_main: Option<bool>,
    /// ≤ 128, unique within the client.
    #[schema(max_length = 128)]
    pub external_id: Option<String>,
}
