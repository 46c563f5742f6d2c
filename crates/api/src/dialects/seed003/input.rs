//! The request body of seed 003 as the OpenAPI document describes it. The handlers read bodies
//! as JSON and map them field by field (`write.rs`), so unknown fields and wrong types are
//! reported by name; this type only documents what that mapping accepts.
#![allow(dead_code)]

use utoipa::ToSchema;

/// A client to create (`POST`) or replace (`PUT`: a field left out is cleared), or the fields to
/// change (`PATCH`: any subset; `null` clears a field). The read-only `id`, `createdOn` and
/// `updatedOn` are accepted and ignored; unknown fields are refused by name.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Seed003ClientInput {
    /// ≤ 128, unique in the organisation.
    pub external_id: Option<String>,
    /// ≤ 64.
    pub source: Option<String>,
    #[schema(format = Uuid)]
    pub owner_id: Option<String>,
    /// A client of the organisation.
    #[schema(format = Uuid)]
    pub referred_by_id: Option<String>,
    /// Required on `POST` and `PUT`; matches `[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}`.
    #[schema(min_length = 1, example = "jane.doe@example.com")]
    pub email: String,
    /// ≤ 32: digits, spaces and `+ - ( ) .`.
    pub home_phone: Option<String>,
    pub work_phone: Option<String>,
    pub mobile_phone: Option<String>,
    pub fax: Option<String>,
    /// Default false.
    pub is_silenced: Option<bool>,
    /// Default false.
    pub is_archived: Option<bool>,
    /// 300..850.
    pub fico: Option<i32>,
    /// ≥ 0. No currency: a client keeps its stored currency, a new one (or one without) takes
    /// the organisation's default.
    pub total_income: Option<f64>,
    /// ≥ 0, in the same currency.
    pub total_debt_payments: Option<f64>,
    pub first_time_buyer: Option<bool>,
    /// ≤ 500.
    pub login_token: Option<String>,
    /// Required on `POST` and `PUT`; 1-100 characters.
    #[schema(min_length = 1)]
    pub first_name: String,
    /// Required on `POST` and `PUT`; 1-100 characters.
    #[schema(min_length = 1)]
    pub last_name: String,
}
