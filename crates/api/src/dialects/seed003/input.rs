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
    #[schema(max_length = 128)]
    pub external_id: Option<String>,
    /// ≤ 64.
    #[schema(max_length = 64)]
    pub source: Option<String>,
    #[schema(format = Uuid, pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
    pub owner_id: Option<String>,
    /// A client of the organisation.
    #[schema(format = Uuid, pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
    pub referred_by_id: Option<String>,
    /// Required on `POST` and `PUT`; matches `[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}`
    /// and is a valid address of ≤ 254 characters. The pattern declared is what both accept
    /// for certain: no dots in the local part, labels not starting or ending with `-`.
    #[schema(
        max_length = 254,
        pattern = r"^[A-Za-z0-9_%+-]{1,64}@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,4}[A-Za-z]{2,63}$",
        example = "jane.doe@example.com"
    )]
    pub email: String,
    #[schema(schema_with = clientele_core::schema::phone)]
    pub home_phone: Option<String>,
    #[schema(schema_with = clientele_core::schema::phone)]
    pub work_phone: Option<String>,
    #[schema(schema_with = clientele_core::schema::phone)]
    pub mobile_phone: Option<String>,
    #[schema(schema_with = clientele_core::schema::phone)]
    pub fax: Option<String>,
    /// Default false.
    pub is_silenced: Option<bool>,
    /// Default false.
    pub is_archived: Option<bool>,
    /// 300..850.
    #[schema(minimum = 300, maximum = 850)]
    pub fico: Option<i32>,
    /// ≥ 0. No currency: a client keeps its stored currency, a new one (or one without) takes
    /// the organisation's default.
    #[schema(schema_with = clientele_core::schema::money)]
    pub total_income: Option<f64>,
    /// ≥ 0, in the same currency.
    #[schema(schema_with = clientele_core::schema::money)]
    pub total_debt_payments: Option<f64>,
    pub first_time_buyer: Option<bool>,
    /// ≤ 500.
    #[schema(max_length = 500)]
    pub login_token: Option<String>,
    /// Required on `POST` and `PUT`; 1-100 characters, not blank.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    )]
    pub first_name: String,
    /// Required on `POST` and `PUT`; 1-100 characters, not blank.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    )]
    pub last_name: String,
}
