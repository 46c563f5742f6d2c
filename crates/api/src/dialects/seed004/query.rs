//! Seed 004's list parameters, read into the core's list query: `page` and `limit`, the
//! filters (`search`, `status`, `partnerType`, `creditworthiness`, `externalId`) and the order
//! (`sortBy`, `sortOrder`). Unknown, repeated and invalid parameters are a VALIDATION_ERROR
//! naming the parameter, as on `/v1`.

use clientele_core::filter::{CmpOp, Filter};
use clientele_core::query::{self, ClientQuery, Scalar, SortKey};
use clientele_core::search;

use super::wire::{Seed004Creditworthiness, Seed004PartnerType, Seed004Status};
use crate::dialects::{int_param, once};
use crate::error::ApiError;

/// Default and largest page size.
pub const DEFAULT_LIMIT: u32 = 25;
pub const MAX_LIMIT: u32 = 100;
/// Longest `search` value, in characters (the native limit).
const MAX_SEARCH_CHARS: usize = 120;
/// Longest `externalId` value (the field's own limit).
const MAX_EXTERNAL_ID_CHARS: usize = 128;

/// `sortBy` values and the native fields they sort on.
pub const SORT_FIELDS: &[(&str, &str)] = &[
    ("name", "name"),
    ("number", "number"),
    ("createdAt", "created_at"),
    ("updatedAt", "updated_at"),
];

/// A page position: `page` from 1 and `limit` items per page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub page: u64,
    pub limit: u32,
}

impl Default for Paging {
    fn default() -> Self {
        Self {
            page: 1,
            limit: DEFAULT_LIMIT,
        }
    }
}

impl Paging {
    /// Rows before this page (at most what the stores take as an offset).
    pub fn offset(&self) -> u64 {
        (self.page - 1)
            .saturating_mul(u64::from(self.limit))
            .min(i64::MAX as u64)
    }

    /// Reads `page` or `limit`; `false` when `key` is neither.
    fn read(&mut self, key: &str, v: &str) -> Result<bool, ApiError> {
        match key {
            "page" => self.page = int_param(key, v, 1, i64::MAX as u64)?,
            "limit" => self.limit = int_param(key, v, 1, u64::from(MAX_LIMIT))? as u32,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

fn unknown(key: &str, known: &str) -> ApiError {
    ApiError::invalid(
        key,
        "unknown_parameter",
        format!("is not a known parameter of this list ({known})"),
    )
}

/// `field eq value` on a native field.
fn equals(path: &str, value: &str) -> Result<Filter, ApiError> {
    let field = query::client_field(path)
        .ok_or_else(|| ApiError::internal(format!("list filter on unknown field {path}")))?;
    Ok(Filter::Cmp {
        field,
        op: CmpOp::Eq,
        value: Scalar::Text(value.to_string()),
    })
}

/// An UPPER_CASE enum parameter as a filter on the native field.
fn enum_filter(
    param: &str,
    v: &str,
    path: &str,
    allowed: &[&str],
    native: impl Fn(&str) -> Option<&'static str>,
) -> Result<Filter, ApiError> {
    let value = native(v).ok_or_else(|| {
        ApiError::invalid(
            param,
            "invalid_value",
            format!("must be one of: {}", allowed.join(", ")),
        )
    })?;
    equals(path, value)
}

/// A parsed list request.
#[derive(Debug)]
pub struct ListRequest {
    pub query: ClientQuery,
    pub paging: Paging,
}

const CLIENT_PARAMS: &str =
    "page, limit, search, status, partnerType, creditworthiness, externalId, sortBy, sortOrder";

/// Reads `GET /clients`' parameters. Archived clients are left out (docs/dialects.md); the order
/// is `sortBy` (default `createdAt`) in `sortOrder` (default `DESC`), ties broken by id.
pub fn parse_client_list(pairs: &[(String, String)]) -> Result<ListRequest, ApiError> {
    let mut q = ClientQuery::default();
    let mut paging = Paging::default();
    let mut seen = Vec::new();
    let (mut sort_by, mut desc) = ("created_at", true);
    for (k, v) in pairs {
        once(&mut seen, k)?;
        if paging.read(k, v)? {
            continue;
        }
        match k.as_str() {
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
            "status" => q
                .filters
                .push(enum_filter(k, v, "status", Seed004Status::ALL, |s| {
                    Seed004Status::parse(s).map(|e| e.to_core().as_str())
                })?),
            "partnerType" => q.filters.push(enum_filter(
                k,
                v,
                "partner_type",
                Seed004PartnerType::ALL,
                |s| Seed004PartnerType::parse(s).map(|e| e.to_core().as_str()),
            )?),
            "creditworthiness" => q.filters.push(enum_filter(
                k,
                v,
                "credit.creditworthiness",
                Seed004Creditworthiness::ALL,
                |s| Seed004Creditworthiness::parse(s).map(|e| e.to_core().as_str()),
            )?),
            "externalId" => {
                if v.chars().count() > MAX_EXTERNAL_ID_CHARS {
                    return Err(ApiError::invalid(
                        k,
                        "too_long",
                        format!("must be at most {MAX_EXTERNAL_ID_CHARS} characters"),
                    ));
                }
                q.filters.push(equals("external_id", v)?);
            }
            "sortBy" => {
                sort_by = SORT_FIELDS
                    .iter()
                    .find(|(name, _)| name == v)
                    .map(|(_, path)| *path)
                    .ok_or_else(|| {
                        ApiError::invalid(
                            k,
                            "invalid_value",
                            "must be one of: name, number, createdAt, updatedAt",
                        )
                    })?;
            }
            "sortOrder" => {
                desc = match v.to_ascii_uppercase().as_str() {
                    "ASC" => false,
                    "DESC" => true,
                    _ => return Err(ApiError::invalid(k, "invalid_value", "must be ASC or DESC")),
                }
            }
            _ => return Err(unknown(k, CLIENT_PARAMS)),
        }
    }
    let field = query::client_field(sort_by)
        .ok_or_else(|| ApiError::internal(format!("sort on unknown field {sort_by}")))?;
    q.sort = vec![SortKey { field, desc }];
    q.limit = paging.limit;
    q.offset = paging.offset();
    Ok(ListRequest { query: q, paging })
}

/// Reads the contact-person list's parameters: `page` and `limit` only.
pub fn parse_contact_list(pairs: &[(String, String)]) -> Result<Paging, ApiError> {
    let mut paging = Paging::default();
    let mut seen = Vec::new();
    for (k, v) in pairs {
        once(&mut seen, k)?;
        if !paging.read(k, v)? {
            return Err(unknown(k, "page, limit"));
        }
    }
    Ok(paging)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn defaults_are_page_1_of_25_newest_first() {
        let r = parse_client_list(&[]).expect("valid");
        assert_eq!(r.paging, Paging { page: 1, limit: 25 });
        assert_eq!((r.query.limit, r.query.offset), (25, 0));
        assert_eq!(r.query.sort.len(), 1);
        assert_eq!(r.query.sort[0].field.path, "created_at");
        assert!(r.query.sort[0].desc);
        assert_eq!(
            r.query.archived,
            clientele_core::query::ArchivedFilter::Exclude
        );
    }

    #[test]
    fn every_parameter_reads_into_the_query() {
        let r = parse_client_list(&pairs(&[
            ("page", "3"),
            ("limit", "10"),
            ("search", "Bau Berlin"),
            ("status", "ACTIVE"),
            ("partnerType", "CITY_COMMUNITY"),
            ("creditworthiness", "GOOD"),
            ("externalId", "ERP-1"),
            ("sortBy", "name"),
            ("sortOrder", "ASC"),
        ]))
        .expect("valid");
        assert_eq!(r.paging, Paging { page: 3, limit: 10 });
        assert_eq!(r.query.offset, 20);
        assert_eq!(
            r.query.search,
            vec!["bau".to_string(), "berlin".to_string()]
        );
        let filters: Vec<(&str, Scalar)> = r
            .query
            .filters
            .iter()
            .map(|f| match f {
                Filter::Cmp { field, value, .. } => (field.path, value.clone()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            filters,
            vec![
                ("status", Scalar::Text("active".into())),
                ("partner_type", Scalar::Text("city_community".into())),
                ("credit.creditworthiness", Scalar::Text("good".into())),
                ("external_id", Scalar::Text("ERP-1".into())),
            ]
        );
        assert_eq!(r.query.sort[0].field.path, "name");
        assert!(!r.query.sort[0].desc);
        for (by, path) in SORT_FIELDS {
            let r =
                parse_client_list(&pairs(&[("sortBy", by), ("sortOrder", "desc")])).expect("valid");
            assert_eq!(r.query.sort[0].field.path, *path);
            assert!(r.query.sort[0].desc);
        }
    }

    #[test]
    fn bad_parameters_are_named() {
        for (q, expected) in [
            (vec![("page", "0")], ("page", "out_of_range")),
            (vec![("limit", "101")], ("limit", "out_of_range")),
            (vec![("limit", "0")], ("limit", "out_of_range")),
            (vec![("page", "x")], ("page", "invalid_type")),
            (vec![("status", "active")], ("status", "invalid_value")),
            (vec![("partnerType", "X")], ("partnerType", "invalid_value")),
            (
                vec![("creditworthiness", "ok")],
                ("creditworthiness", "invalid_value"),
            ),
            (vec![("sortBy", "email")], ("sortBy", "invalid_value")),
            (vec![("sortOrder", "up")], ("sortOrder", "invalid_value")),
            (vec![("offset", "1")], ("offset", "unknown_parameter")),
            (vec![("page", "1"), ("page", "2")], ("page", "duplicate")),
        ] {
            let e = parse_client_list(&pairs(&q)).expect_err("refused");
            assert_eq!(
                field_of(e),
                (expected.0.to_string(), expected.1.to_string()),
                "{q:?}"
            );
        }
        let long = "x".repeat(121);
        let e = parse_client_list(&pairs(&[("search", &long)])).expect_err("refused");
        assert_eq!(field_of(e), ("search".into(), "too_long".into()));
    }

    #[test]
    fn the_contact_list_takes_page_and_limit_only() {
        assert_eq!(
            parse_contact_list(&pairs(&[("page", "2"), ("limit", "5")])).expect("valid"),
            Paging { page: 2, limit: 5 }
        );
        let e = parse_contact_list(&pairs(&[("search", "x")])).expect_err("refused");
        assert_eq!(field_of(e), ("search".into(), "unknown_parameter".into()));
    }
}
