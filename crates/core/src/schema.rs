//! OpenAPI schemas of the value types whose rules live in [`crate::types`] and [`crate::codes`]:
//! the document declares exactly what the parsers accept (codes from the same lists, the same
//! limits), so a generated client or a schema-driven test sends what the service takes.

use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
use utoipa::openapi::{Object, RefOr, Schema};

use crate::codes::{COUNTRIES, CURRENCIES};
use crate::types::money_max;

fn nullable(t: Type) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(SchemaType::from_iter([t, Type::Null]))
}

fn with_null(codes: &[&str]) -> Vec<serde_json::Value> {
    codes
        .iter()
        .map(|c| serde_json::Value::from(*c))
        .chain(std::iter::once(serde_json::Value::Null))
        .collect()
}

/// ISO 3166-1 alpha-2 (upper case as shown; the service also takes lower case), or null.
pub fn country() -> Object {
    nullable(Type::String)
        .enum_values(Some(with_null(COUNTRIES)))
        .description(Some("ISO 3166-1 alpha-2, upper-cased on input"))
        .build()
}

/// ISO 3166-1 alpha-2 where one is required (not null).
pub fn country_code() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(COUNTRIES.to_vec()))
        .description(Some("ISO 3166-1 alpha-2, upper-cased on input"))
        .build()
}

/// ISO 4217 (upper case as shown; the service also takes lower case), or null.
pub fn currency() -> Object {
    nullable(Type::String)
        .enum_values(Some(with_null(CURRENCIES)))
        .description(Some("ISO 4217, upper-cased on input"))
        .build()
}

/// An exact amount: 0 to [`money_max`], at most 4 fraction digits, or null. The bound is
/// declared as `exclusiveMaximum` 10¹⁵: with `multipleOf` 0.0001 that is exactly the amounts up
/// to 999999999999999.9999, and every JSON reader holds 10¹⁵ exactly (a binary double does
/// not hold the largest amount itself; it would read it as 10¹⁵).
pub fn money() -> Object {
    nullable(Type::Number)
        .minimum(Some(0))
        .exclusive_maximum(Some(1_000_000_000_000_000_i64))
        .multiple_of(Some(0.0001))
        .description(Some(format!(
            "Exact decimal, 0 to {} (15 integer digits), at most 4 fraction digits; shown \
             with 2 to 4 fraction digits as given",
            money_max()
        )))
        .build()
}

/// A computed amount (read-only), possibly negative when `used` exceeds `limit`.
pub fn money_read_only() -> Object {
    nullable(Type::Number)
        .read_only(Some(true))
        .description(Some("Read-only: `limit − used`; null when `limit` is null"))
        .build()
}

/// `crate::types::Phone`: digits, spaces and `+ - ( ) .`, at least one digit, ≤ 32.
pub fn phone() -> Object {
    nullable(Type::String)
        .max_length(Some(32))
        .pattern(Some(r"^[0-9 +().-]*[0-9][0-9 +().-]*$"))
        .description(Some(
            "≤ 32 characters: digits, spaces and + - ( ) ., at least one digit",
        ))
        .build()
}

/// `crate::types::HttpUrl`: an absolute http(s) URL with a host, ≤ 2048.
pub fn http_url() -> Object {
    nullable(Type::String)
        .max_length(Some(2048))
        .pattern(Some(
            r"^[Hh][Tt][Tt][Pp][Ss]?://([^\s\x00-\x1f\x7f-\x9f@/?#]*@)?[A-Za-z0-9.\[\]-]+(:[^\s\x00-\x1f\x7f-\x9f/?#]*)?([/?#][^\s\x00-\x1f\x7f-\x9f]*)?$",
        ))
        .description(Some("Absolute http(s) URL, ≤ 2048 characters"))
        .build()
}

/// `crate::types::Email`, ≤ 254.
pub fn email() -> Object {
    nullable(Type::String)
        .max_length(Some(254))
        .pattern(Some(
            r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,64}@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,4}[A-Za-z]{2,63}$",
        ))
        .description(Some("An e-mail address, ≤ 254 characters (local part ≤ 64)"))
        .build()
}

/// A client's `metadata`: ≤ 50 keys of 1-40 characters, string values ≤ 500 (null drops a key).
pub fn metadata() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Object]))
        .max_properties(Some(50))
        .property_names(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(40)),
        ))
        .additional_properties(Some(nullable(Type::String).max_length(Some(500))))
        .description(Some(
            "≤ 50 keys of 1-40 characters; string values ≤ 500 characters; default {}",
        ))
        .build()
}

/// Wraps an [`Object`] for `schema_with`.
pub fn into_schema(o: Object) -> RefOr<Schema> {
    RefOr::T(Schema::Object(o))
}
