//! Seed 000's list parameters → the core list query: `limit` (1-100, default 25), `page` (≥ 1,
//! default 1), `updated_since` (inclusive; RFC 3339 or a date = midnight UTC) and `search`
//! (native search), ordered by `updated_at` then `id`, oldest first, so a sync that passes the
//! newest `updated_at` it has seen walks forward. Pure; refusals name the parameter.

use clientele_core::filter::{parse_param_value, CmpOp, Filter};
use clientele_core::query::{self, ClientQuery, SortKey};
use clientele_core::search;

use crate::dialects::{int_param, once};
use crate::error::ApiError;

/// Default and largest page size.
pub const DEFAULT_LIMIT: u32 = 25;
pub const MAX_LIMIT: u32 = 100;
/// Longest `search`, in characters (the native bound).
pub const MAX_SEARCH_CHARS: usize = 120;

/// A parsed list request: the core query and the page it is (for `pagination`).
#[derive(Debug, Clone, PartialEq)]
pub struct ListRequest {
    pub query: ClientQuery,
    pub page: u64,
}

fn field(path: &str) -> Result<&'static query::Field, ApiError> {
    query::client_field(path).ok_or_else(|| ApiError::internal(format!("no field {path}")))
}

/// Reads the query string's pairs; an unknown, repeated or invalid parameter is 400
/// `VALIDATION_ERROR` naming it.
pub fn parse(pairs: &[(String, String)]) -> Result<ListRequest, ApiError> {
    let updated_at = field("updated_at")?;
    let mut q = ClientQuery {
        limit: DEFAULT_LIMIT,
        sort: vec![SortKey {
            field: updated_at,
            desc: false,
        }],
        ..ClientQuery::default()
    };
    let mut page = 1;
    let mut seen = Vec::new();
    for (k, v) in pairs {
        once(&mut seen, k)?;
        match k.as_str() {
            "limit" => q.limit = int_param(k, v, 1, u64::from(MAX_LIMIT))? as u32,
            "page" => page = int_param(k, v, 1, i64::MAX as u64)?,
            "updated_since" => {
                let value = parse_param_value(updated_at, v).map_err(|_| {
                    ApiError::invalid(
                        k,
                        "invalid_format",
                        "must be an RFC 3339 timestamp or a date (YYYY-MM-DD)",
                    )
                })?;
                q.filters.push(Filter::Cmp {
                    field: updated_at,
                    op: CmpOp::Ge,
                    value,
                });
            }
            "search" => {
                if v.chars().count() > MAX_SEARCH_CHARS {
                    return Err(ApiError::invalid(
                        k,
                        "too_long",
                        format!("must be at most {MAX_SEARCH_CHARS} characters"),
                    ));
                }
                q.search = search::query_terms(v);
            }
            _ => {
                return Err(ApiError::invalid(
                    k,
                    "unknown_parameter",
                    "is not a parameter of this list (limit, page, updated_since, search)",
                ))
            }
        }
    }
    q.offset = (page - 1)
        .saturating_mul(u64::from(q.limit))
        .min(i64::MAX as u64);
    Ok(ListRequest { query: q, page })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clientele_core::query::{ArchivedFilter, Scalar};

    fn pairs(q: &[(&str, &str)]) -> Vec<(String, String)> {
        q.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn refused(q: &[(&str, &str)]) -> (String, String) {
        let e = parse(&pairs(q)).expect_err("refused");
        assert_eq!(e.code, "VALIDATION_ERROR");
        (e.details[0].field.clone(), e.details[0].code.clone())
    }

    #[test]
    fn defaults_are_page_1_of_25_oldest_change_first_without_archived() {
        let r = parse(&[]).expect("ok");
        assert_eq!(r.page, 1);
        assert_eq!(r.query.limit, 25);
        assert_eq!(r.query.offset, 0);
        assert!(r.query.count);
        assert_eq!(r.query.archived, ArchivedFilter::Exclude);
        let order: Vec<(&str, bool)> = r
            .query
            .order()
            .iter()
            .map(|k| (k.field.path, k.desc))
            .collect();
        assert_eq!(order, [("updated_at", false), ("id", false)]);
    }

    #[test]
    fn page_and_limit_become_the_offset() {
        let r = parse(&pairs(&[("limit", "10"), ("page", "3")])).expect("ok");
        assert_eq!((r.query.limit, r.query.offset, r.page), (10, 20, 3));
        let r = parse(&pairs(&[("limit", "100")])).expect("ok");
        assert_eq!(r.query.limit, 100);
    }

    #[test]
    fn updated_since_is_inclusive_and_a_date_is_its_midnight_utc() {
        let r = parse(&pairs(&[("updated_since", "2024-03-01")])).expect("ok");
        assert_eq!(
            r.query.filters,
            vec![Filter::Cmp {
                field: field("updated_at").expect("field"),
                op: CmpOp::Ge,
                value: Scalar::Text("2024-03-01T00:00:00.000Z".into()),
            }]
        );
        let r = parse(&pairs(&[("updated_since", "2024-03-01T12:30:00+02:00")])).expect("ok");
        assert!(matches!(
            &r.query.filters[0],
            Filter::Cmp { value: Scalar::Text(t), .. } if t == "2024-03-01T10:30:00.000Z"
        ));
    }

    #[test]
    fn search_uses_the_native_words() {
        let r = parse(&pairs(&[("search", "Nordic  metals")])).expect("ok");
        assert_eq!(r.query.search, ["nordic", "metals"]);
    }

    #[test]
    fn bad_parameters_are_refused_by_name() {
        assert_eq!(
            refused(&[("limit", "0")]),
            ("limit".into(), "out_of_range".into())
        );
        assert_eq!(
            refused(&[("limit", "101")]),
            ("limit".into(), "out_of_range".into())
        );
        assert_eq!(
            refused(&[("limit", "ten")]),
            ("limit".into(), "invalid_type".into())
        );
        assert_eq!(
            refused(&[("page", "0")]),
            ("page".into(), "out_of_range".into())
        );
        assert_eq!(
            refused(&[("updated_since", "yesterday")]),
            ("updated_since".into(), "invalid_format".into())
        );
        let long = "x".repeat(121);
        assert_eq!(
            refused(&[("search", &long)]),
            ("search".into(), "too_long".into())
        );
        assert_eq!(
            refused(&[("offset", "5")]),
            ("offset".into(), "unknown_parameter".into())
        );
        assert_eq!(
            refused(&[("page", "1"), ("page", "2")]),
            ("page".into(), "duplicate".into())
        );
    }
}
