//! Seed 001's list parameters → the core list query: `status` (≤ 10 characters; `A` active,
//! `I` inactive, any other value matches nothing), `search` (≤ 120, native search), `limit`
//! (1-100, default 25), `offset` (≥ 0, default 0); in creation order, oldest first, so offset
//! pages stay put while clients are added. Pure; refusals name the parameter.

use clientele_core::filter::{CmpOp, Filter};
use clientele_core::query::{self, ClientQuery, Scalar, SortKey};
use clientele_core::search;

use super::wire::status_of_letter;
use crate::dialects::{int_param, once};
use crate::error::ApiError;

pub const DEFAULT_LIMIT: u32 = 25;
pub const MAX_LIMIT: u32 = 100;
/// Longest `status` and `search`, in characters (the seed's bounds).
pub const MAX_STATUS_CHARS: usize = 10;
pub const MAX_SEARCH_CHARS: usize = 120;

fn field(path: &str) -> Result<&'static query::Field, ApiError> {
    query::client_field(path).ok_or_else(|| ApiError::internal(format!("no field {path}")))
}

fn at_most(param: &str, value: &str, max: usize) -> Result<(), ApiError> {
    if value.chars().count() > max {
        return Err(ApiError::invalid(
            param,
            "too_long",
            format!("must be at most {max} characters"),
        ));
    }
    Ok(())
}

/// The filter of a `status` value: its status, or (for any other value) one no client passes.
fn status_filter(letter: &str) -> Result<Filter, ApiError> {
    let field = field("status")?;
    Ok(match status_of_letter(letter) {
        Some(s) => Filter::Cmp {
            field,
            op: CmpOp::Eq,
            value: Scalar::Text(s.as_str().to_string()),
        },
        None => Filter::In {
            field,
            values: Vec::new(),
        },
    })
}

/// Reads the query string's pairs; an unknown, repeated or invalid parameter is 400
/// `VALIDATION_ERROR` naming it. An empty `status` or `search` is no filter.
pub fn parse(pairs: &[(String, String)]) -> Result<ClientQuery, ApiError> {
    let mut q = ClientQuery {
        limit: DEFAULT_LIMIT,
        sort: vec![SortKey {
            field: field("created_at")?,
            desc: false,
        }],
        ..ClientQuery::default()
    };
    let mut seen = Vec::new();
    for (k, v) in pairs {
        once(&mut seen, k)?;
        match k.as_str() {
            "status" => {
                at_most(k, v, MAX_STATUS_CHARS)?;
                if !v.is_empty() {
                    q.filters.push(status_filter(v)?);
                }
            }
            "search" => {
                at_most(k, v, MAX_SEARCH_CHARS)?;
                q.search = search::query_terms(v);
            }
            "limit" => q.limit = int_param(k, v, 1, u64::from(MAX_LIMIT))? as u32,
            "offset" => q.offset = int_param(k, v, 0, i64::MAX as u64)?,
            _ => {
                return Err(ApiError::invalid(
                    k,
                    "unknown_parameter",
                    "is not a parameter of this list (status, search, limit, offset)",
                ))
            }
        }
    }
    Ok(q)
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

    fn refused(q: &[(&str, &str)]) -> (String, String) {
        let e = parse(&pairs(q)).expect_err("refused");
        assert_eq!(e.code, "VALIDATION_ERROR");
        (e.details[0].field.clone(), e.details[0].code.clone())
    }

    #[test]
    fn defaults_are_25_from_0_in_creation_order_without_archived() {
        let q = parse(&[]).expect("ok");
        assert_eq!((q.limit, q.offset, q.count), (25, 0, true));
        assert_eq!(q.archived, ArchivedFilter::Exclude);
        assert!(q.filters.is_empty() && q.search.is_empty());
        let order: Vec<(&str, bool)> = q.order().iter().map(|k| (k.field.path, k.desc)).collect();
        // The creation sequence: `(created_at, id)` order, oldest first.
        assert_eq!(order, [("created_at", false)]);
    }

    #[test]
    fn the_seeds_example_parameters() {
        let q = parse(&pairs(&[
            ("status", "A"),
            ("search", "regional"),
            ("limit", "10"),
        ]))
        .expect("ok");
        assert_eq!((q.limit, q.offset), (10, 0));
        assert_eq!(q.search, ["regional"]);
        assert_eq!(
            q.filters,
            vec![Filter::Cmp {
                field: field("status").expect("field"),
                op: CmpOp::Eq,
                value: Scalar::Text("active".into()),
            }]
        );
        let q = parse(&pairs(&[("status", "I"), ("offset", "40")])).expect("ok");
        assert_eq!(q.offset, 40);
        assert!(matches!(
            &q.filters[0],
            Filter::Cmp { value: Scalar::Text(s), .. } if s == "inactive"
        ));
    }

    #[test]
    fn other_status_values_match_nothing_and_an_empty_one_is_no_filter() {
        for other in ["X", "a", "active", "inactive", "AI"] {
            let q = parse(&pairs(&[("status", other)])).expect("ok");
            assert!(
                matches!(&q.filters[..], [Filter::In { values, .. }] if values.is_empty()),
                "{other}: {:?}",
                q.filters
            );
        }
        assert!(parse(&pairs(&[("status", "")]))
            .expect("ok")
            .filters
            .is_empty());
    }

    #[test]
    fn bad_parameters_are_refused_by_name() {
        assert_eq!(
            refused(&[("status", "ACTIVE_ONLY")]),
            ("status".into(), "too_long".into())
        );
        let long = "y".repeat(121);
        assert_eq!(
            refused(&[("search", &long)]),
            ("search".into(), "too_long".into())
        );
        assert_eq!(
            refused(&[("limit", "0")]),
            ("limit".into(), "out_of_range".into())
        );
        assert_eq!(
            refused(&[("limit", "101")]),
            ("limit".into(), "out_of_range".into())
        );
        assert_eq!(
            refused(&[("offset", "-1")]),
            ("offset".into(), "invalid_type".into())
        );
        assert_eq!(
            refused(&[("page", "2")]),
            ("page".into(), "unknown_parameter".into())
        );
        assert_eq!(
            refused(&[("limit", "5"), ("limit", "6")]),
            ("limit".into(), "duplicate".into())
        );
        // The bounds are the seed's: 10 and 120 characters are fine.
        assert!(parse(&pairs(&[("status", "ABCDEFGHIJ")])).is_ok());
        assert!(parse(&pairs(&[("search", &"z".repeat(120))])).is_ok());
    }
}
