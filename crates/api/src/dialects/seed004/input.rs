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
    pub lng: f64,
    /// Latitude, −90..90.
    pub lat: f64,
}

/// A client to create (`POST`), or the fields to change (`PATCH`: any subset; `null` clears a
/// field). Read-only fields of the model (`id`, `number`, `createdAt`, `updatedAt`) are
/// accepted and ignored; `organization` must be absent or the caller's. Unknown fields are
/// refused by name.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Seed004ClientInput {
    /// Required on `POST`; 1-200 characters.
    pub name: Option<String>,
    /// ≤ 128, unique in the organisation.
    pub external_id: Option<String>,
    /// ≤ 64.
    pub custom_price_id: Option<String>,
    /// ≥ 0, at most 4 fraction digits. No currency: a client keeps its stored currency, a new
    /// one (or one without) takes the organisation's default.
    #[schema(value_type = Option<f64>)]
    pub credit_limit: Option<f64>,
    /// ≥ 0, in the same currency as `creditLimit`.
    #[schema(value_type = Option<f64>)]
    pub used_limit: Option<f64>,
    /// Days, 0..3650.
    pub payment_terms: Option<i32>,
    /// ≤ 10000.
    pub additional_information: Option<String>,
    pub frame_contract: Option<bool>,
    pub self_insurance: Option<bool>,
    /// ≤ 200.
    pub pricing: Option<String>,
    /// An absolute http(s) URL.
    #[schema(format = "uri")]
    pub website: Option<String>,
    /// ≤ 32: digits, spaces and `+ - ( ) .`.
    pub fax: Option<String>,
    pub point: Option<Seed004PointInput>,
    /// The street; when given with `streetAndNumber`, the latter only supplies the number.
    pub street: Option<String>,
    /// Street and house number: split before the last word holding a digit (`Straße des 17.
    /// Juni 114` → street `Straße des 17. Juni`, number `114`); `null` clears both.
    pub street_and_number: Option<String>,
    pub city: Option<String>,
    /// ≤ 32: digits, spaces and `+ - ( ) .`.
    pub phone: Option<String>,
    /// ISO 3166-1 alpha-2 (any case; stored upper-cased).
    pub country: Option<String>,
    #[schema(format = Email)]
    pub email: Option<String>,
    pub partner_type: Option<Seed004PartnerType>,
    /// ≤ 200.
    pub long_name: Option<String>,
    pub postal_code: Option<String>,
    pub creditworthiness: Option<Seed004Creditworthiness>,
    /// Default `ACTIVE`.
    pub status: Option<Seed004Status>,
    /// ≤ 64.
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
    /// Required on `POST`; 1-200 characters.
    pub name: Option<String>,
    pub job_title: Option<String>,
    pub department: Option<String>,
    #[schema(format = Email)]
    pub email: Option<String>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    /// `true` makes it the main contact (the previous main loses the flag). The client's
    /// first contact is main either way.
    pub is_main: Option<bool>,
    /// ≤ 128, unique within the client.
    pub external_id: Option<String>,
}
