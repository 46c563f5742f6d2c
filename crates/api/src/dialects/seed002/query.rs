//! Seed 002's list parameters, read into the core's list query: the filters `id`, `name`,
//! `account_code`, `salesperson`, `case_manager` and the time bounds `created_from`, `created_to`,
//! `updated_from`, `updated_to`, and the paging `page` / `per_page`. Unknown, repeated and
//! invalid parameters are a VALIDATION_ERROR naming the parameter, as on `/v1`.

use clientele_core::filter::{parse_param_value, CmpOp, Filter, TextOp};
use clientele_core::query::{self, ClientQuery, Scalar, SortKey};
use clientele_core::types::Timestamp;

use crate::dialects::{int_param, once};
use crate::error::ApiError;

/// Default and largest page size (`per_page`).
pub const DEFAULT_PER_PAGE: u32 = 100;
pub const MAX_PER_PAGE: u32 = 500;
/// Longest `name` filter, in characters (a name's own limit).
const MAX_NAME_CHARS: usize = 200;
/// Longest `account_code` filter (the field's own limit).
const MAX_ACCOUNT_CODE_CHARS: usize = 64;

const PARAMS: &str = "id, name, account_code, salesperson, case_manager, created_from, \
                      created_to, updated_from, updated_to, page, per_page";

/// Time-bound parameters: (parameter, native field, lower bound?).
const TIME_PARAMS: &[(&str, &str, bool)] = &[
    ("created_from", "created_at", true),
    ("created_to", "created_at", false),
    ("updated_from", "updated_at", true),
    ("updated_to", "updated_at", false),
];

/// A parsed list request: the core query and the page it is (for `meta`).
#[derive(Debug)]
pub struct ListRequest {
    pub query: ClientQuery,
    pub page: u64,
    pub per_page: u32,
}

fn field(path: &str) -> Result<&'static query::Field, ApiError> {
    query::client_field(path).ok_or_else(|| ApiError::internal(format!("no field {path}")))
}

fn too_long(param: &str, v: &str, max: usize) -> Result<(), ApiError> {
    if v.chars().count() > max {
        return Err(ApiError::invalid(
            param,
            "too_long",
            format!("must be at most {max} characters"),
        ));
    }
    Ok(())
}

/// An integer id parameter (`id`, `salesperson`, `case_manager`).
fn id_param(param: &str, v: &str) -> Result<u64, ApiError> {
    v.trim()
        .parse::<u64>()
        .ok()
        .filter(|n| *n <= i64::MAX as u64)
        .ok_or_else(|| ApiError::invalid(param, "invalid_type", "must be an integer"))
}

/// A timestamp parameter, in UTC as the seed says: RFC 3339 (`2026-11-29T10:15:00Z`, any
/// offset), a date (its midnight), or a date and time without an offset, which is UTC
/// (`2026-11-29T10:15:00`, also with a space for the `T`). A `+` of an offset that arrived
/// unescaped (decoded as a space) is read as the `+` it was.
pub fn utc_timestamp(v: &str) -> Option<Timestamp> {
    let v = v.trim();
    if let Ok(t) = Timestamp::parse(v) {
        return Some(t);
    }
    let (date, time) = (v.get(..10)?, v.get(11..)?);
    if !matches!(v.as_bytes()[10], b'T' | b't' | b' ') || time.is_empty() {
        return None;
    }
    let mut time = time.replace(' ', "+");
    let has_offset =
        time.ends_with(['Z', 'z']) || time.get(1..).is_some_and(|t| t.contains(['+', '-']));
    if !has_offset {
        time.push('Z');
    }
    Timestamp::parse(&format!("{date}T{time}")).ok()
}

/// A time bound, inclusive: "on or after" a timestamp or a date (its midnight UTC), "on or
/// before" a timestamp or a date (the whole of that day, UTC).
fn time_bound(param: &str, v: &str, path: &str, lower: bool) -> Result<Filter, ApiError> {
    let bad = || {
        ApiError::invalid(
            param,
            "invalid_format",
            "must be a timestamp (RFC 3339; without an offset it is UTC) or a date (YYYY-MM-DD)",
        )
    };
    let field = field(path)?;
    let at = utc_timestamp(v).ok_or_else(bad)?;
    let whole_day = !lower && v.trim().len() == 10;
    let (op, at) = match (lower, whole_day) {
        (true, _) => (CmpOp::Ge, at),
        (false, false) => (CmpOp::Le, at),
        (false, true) => (CmpOp::Lt, at.plus_seconds(86_400)),
    };
    let value = parse_param_value(field, &at.to_rfc3339()).map_err(|_| bad())?;
    Ok(Filter::Cmp { field, op, value })
}

/// Reads `GET /api/v1/clients`' parameters. Archived clients are left out (docs/dialects.md);
/// the order is the clients' ids (numbers), ascending: creation order, so pages stay put while
/// clients are added.
pub fn parse_client_list(pairs: &[(String, String)]) -> Result<ListRequest, ApiError> {
    let mut q = ClientQuery::default();
    let mut seen = Vec::new();
    let (mut page, mut per_page) = (1, DEFAULT_PER_PAGE);
    for (k, v) in pairs {
        once(&mut seen, k)?;
        match k.as_str() {
            "page" => page = int_param(k, v, 1, i64::MAX as u64)?,
            "per_page" => per_page = int_param(k, v, 1, u64::from(MAX_PER_PAGE))? as u32,
            "id" => {
                let n = id_param(k, v)?;
                q.filters.push(Filter::Cmp {
                    field: field("number")?,
                    op: CmpOp::Eq,
                    value: Scalar::Int(n as i64),
                });
            }
            "name" => {
                too_long(k, v, MAX_NAME_CHARS)?;
                q.filters.push(Filter::Text {
                    field: field("name")?,
                    op: TextOp::Contains,
                    value: v.clone(),
                });
            }
            "account_code" => {
                too_long(k, v, MAX_ACCOUNT_CODE_CHARS)?;
                q.filters.push(Filter::Cmp {
                    field: field("account_code")?,
                    op: CmpOp::Eq,
                    value: Scalar::Text(v.clone()),
                });
            }
            "salesperson" | "case_manager" => {
                let n = id_param(k, v)?;
                q.filters.push(Filter::Cmp {
                    field: field(&format!("{k}_id"))?,
                    op: CmpOp::Eq,
                    value: Scalar::Text(n.to_string()),
                });
            }
            p => match TIME_PARAMS.iter().find(|(name, _, _)| *name == p) {
                Some((_, path, lower)) => q.filters.push(time_bound(k, v, path, *lower)?),
                None => {
                    return Err(ApiError::invalid(
                        k,
                        "unknown_parameter",
                        format!("is not a parameter of this list ({PARAMS})"),
                    ))
                }
            },
        }
    }
    q.sort = vec![SortKey {
        field: field("number")?,
        desc: false,
    }];
    q.limit = per_page;
    q.offset = (page - 1).saturating_mul(u64::from(per_page));
    Ok(ListRequest {
        query: q,
        page,
        per_page,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clientele_core::query::ArchivedFilter;

    fn pairs(q: &[(&str, &str)]) -> Vec<(String, String)> {
        q.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn field_of(e: ApiError) -> (String, String) {
        let d = &e.details[0];
        (d.field.clone(), d.code.clone())
    }

    #[test]
    fn defaults_are_page_1_of_100_by_id() {
        let r = parse_client_list(&[]).expect("valid");
        assert_eq!((r.page, r.per_page), (1, 100));
        assert_eq!((r.query.limit, r.query.offset), (100, 0));
        assert_eq!(r.query.sort.len(), 1);
        assert_eq!(r.query.sort[0].field.path, "number");
        assert!(!r.query.sort[0].desc);
        assert_eq!(r.query.archived, ArchivedFilter::Exclude);
        assert!(r.query.count);
    }

    #[test]
    fn every_filter_reads_into_the_query() {
        let r = parse_client_list(&pairs(&[
            ("id", "42"),
            ("name", "acme"),
            ("account_code", "123456"),
            ("salesperson", "17"),
            ("case_manager", "4"),
            ("created_from", "2026-01-01T00:00:00Z"),
            ("created_to", "2026-12-31T23:59:59Z"),
            ("updated_from", "2026-02-01"),
            ("updated_to", "2026-11-29"),
            ("page", "3"),
            ("per_page", "500"),
        ]))
        .expect("valid");
        assert_eq!((r.page, r.per_page), (3, 500));
        assert_eq!(r.query.offset, 1000);
        let shown: Vec<String> = r
            .query
            .filters
            .iter()
            .map(|f| match f {
                Filter::Cmp { field, op, value } => format!("{} {op:?} {value:?}", field.path),
                Filter::Text { field, op, value } => format!("{} {op:?} {value}", field.path),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            shown,
            vec![
                "number Eq Int(42)",
                "name Contains acme",
                "account_code Eq Text(\"123456\")",
                "salesperson_id Eq Text(\"17\")",
                "case_manager_id Eq Text(\"4\")",
                "created_at Ge Text(\"2026-01-01T00:00:00.000Z\")",
                "created_at Le Text(\"2026-12-31T23:59:59.000Z\")",
                "updated_at Ge Text(\"2026-02-01T00:00:00.000Z\")",
                // A date as the upper bound is the whole of that day.
                "updated_at Lt Text(\"2026-11-30T00:00:00.000Z\")",
            ]
        );
    }

    #[test]
    fn timestamps_are_utc_unless_they_say_otherwise() {
        let at = |s: &str| utc_timestamp(s).map(|t| t.to_rfc3339());
        let ten = Some("2026-11-29T10:15:00.000Z".to_string());
        for s in [
            "2026-11-29T10:15:00Z",
            "2026-11-29T10:15:00",
            "2026-11-29 10:15:00",
            "2026-11-29t10:15:00",
            "2026-11-29T11:15:00+01:00",
            "2026-11-29T11:15:00 01:00",
            "2026-11-29T09:15:00-01:00",
            " 2026-11-29T10:15:00.000Z ",
        ] {
            assert_eq!(at(s), ten, "{s}");
        }
        assert_eq!(at("2026-11-29"), Some("2026-11-29T00:00:00.000Z".into()));
        for bad in [
            "yesterday",
            "2026-11-29T",
            "2026-11-29X10:15:00",
            "2026-11-29T25:00:00",
            "1764411300",
        ] {
            assert_eq!(at(bad), None, "{bad}");
        }
    }

    #[test]
    fn bad_parameters_are_named() {
        for (q, expected) in [
            (vec![("page", "0")], ("page", "out_of_range")),
            (vec![("per_page", "501")], ("per_page", "out_of_range")),
            (vec![("per_page", "0")], ("per_page", "out_of_range")),
            (vec![("per_page", "x")], ("per_page", "invalid_type")),
            (vec![("id", "abc")], ("id", "invalid_type")),
            (vec![("id", "-1")], ("id", "invalid_type")),
            (vec![("salesperson", "x")], ("salesperson", "invalid_type")),
            (
                vec![("case_manager", "1.5")],
                ("case_manager", "invalid_type"),
            ),
            (
                vec![("created_from", "yesterday")],
                ("created_from", "invalid_format"),
            ),
            (
                vec![("updated_to", "2026-13-01")],
                ("updated_to", "invalid_format"),
            ),
            (vec![("limit", "10")], ("limit", "unknown_parameter")),
            (vec![("page", "1"), ("page", "2")], ("page", "duplicate")),
        ] {
            let e = parse_client_list(&pairs(&q)).expect_err("refused");
            assert_eq!(
                field_of(e),
                (expected.0.to_string(), expected.1.to_string()),
                "{q:?}"
            );
        }
        let long = "x".repeat(201);
        let e = parse_client_list(&pairs(&[("name", &long)])).expect_err("refused");
        assert_eq!(field_of(e), ("name".into(), "too_long".into()));
    }
}
