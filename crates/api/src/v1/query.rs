//! The query parameters of `/v1` lists (API.md "Listing"), read into the core's list query.
//! Unknown, repeated and invalid parameters are refused with a VALIDATION_ERROR naming the
//! parameter (and the position, inside a value).

use clientele_core::filter::{parse_filter, parse_param_value, CmpOp, Filter, TextOp};
use clientele_core::query::{self, ArchivedFilter, ClientQuery, Scalar, SortKey};
use clientele_core::search;
use clientele_core::sub::SubKind;
use uuid::Uuid;

use crate::error::ApiError;

/// Parameters that match a field exactly; a comma-separated list means any of them.
const EXACT_PARAMS: &[&str] = &[
    "status",
    "kind",
    "partner_type",
    "country",
    "currency",
    "creditworthiness",
    "owner_id",
    "salesperson_id",
    "case_manager_id",
    "account_code",
    "external_id",
    "source",
];

/// Time-bound parameters: (parameter, field, lower bound?).
const TIME_PARAMS: &[(&str, &str, bool)] = &[
    ("created_from", "created_at", true),
    ("created_to", "created_at", false),
    ("updated_from", "updated_at", true),
    ("updated_to", "updated_at", false),
];

/// Parameters that do not change which rows a list holds or their order: a cursor stays valid
/// when they change.
const PAGE_PARAMS: &[&str] = &[
    "limit", "offset", "page", "cursor", "fields", "expand", "count",
];

/// Longest `search` value, in characters (API.md).
const MAX_SEARCH_CHARS: usize = 120;
/// Most values in one comma-separated parameter.
const MAX_LIST_VALUES: usize = 100;

fn parse_u64(field: &str, v: &str, min: u64, max: u64) -> Result<u64, ApiError> {
    let n: u64 = v.trim().parse().map_err(|_| {
        ApiError::invalid(
            field,
            "invalid_type",
            format!("must be an integer, got {v:?}"),
        )
    })?;
    if n < min || n > max {
        return Err(ApiError::invalid(
            field,
            "out_of_range",
            format!("must be between {min} and {max}"),
        ));
    }
    Ok(n)
}

fn parse_bool(field: &str, v: &str) -> Result<bool, ApiError> {
    match v {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ApiError::invalid(
            field,
            "invalid_value",
            "must be true or false",
        )),
    }
}

/// Paging of a sub-resource list: `limit`, `offset`, `page`, `count`; anything else is refused
/// (the client query language does not apply to sub-resources).
pub struct Paging {
    pub limit: u32,
    pub offset: u64,
    pub count: bool,
}

pub fn parse_paging(pairs: &[(String, String)]) -> Result<Paging, ApiError> {
    let mut p = Paging {
        limit: 25,
        offset: 0,
        count: true,
    };
    let mut seen: Vec<&str> = Vec::new();
    let mut page = None;
    for (k, v) in pairs {
        if seen.contains(&k.as_str()) {
            return Err(ApiError::invalid(
                k,
                "duplicate",
                "must be given at most once",
            ));
        }
        seen.push(k);
        match k.as_str() {
            "limit" => p.limit = parse_u64(k, v, 1, 100)? as u32,
            "offset" => p.offset = parse_u64(k, v, 0, i64::MAX as u64)?,
            "page" => page = Some(parse_u64(k, v, 1, i64::MAX as u64)?),
            "count" => p.count = parse_bool(k, v)?,
            _ => {
                return Err(ApiError::invalid(
                    k,
                    "unknown_parameter",
                    "is not a known parameter of this list (limit, offset, page, count)",
                ))
            }
        }
    }
    if let Some(page) = page {
        if seen.contains(&"offset") {
            return Err(ApiError::invalid(
                "page",
                "conflict",
                "cannot be combined with offset",
            ));
        }
        p.offset = (page - 1)
            .saturating_mul(u64::from(p.limit))
            .min(i64::MAX as u64);
    }
    Ok(p)
}

/// Splits a comma list, with the 1-based character position of each item.
fn comma_items(v: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut pos = 1;
    for item in v.split(',') {
        let lead = item.chars().take_while(|c| c.is_whitespace()).count();
        out.push((pos + lead, item.trim()));
        pos += item.chars().count() + 1;
    }
    out
}

fn list_param(param: &str, v: &str) -> Result<Vec<(usize, String)>, ApiError> {
    let items = comma_items(v);
    if items.len() > MAX_LIST_VALUES {
        return Err(ApiError::invalid(
            param,
            "too_many_values",
            format!("must list at most {MAX_LIST_VALUES} values"),
        ));
    }
    items
        .into_iter()
        .map(|(pos, s)| {
            if s.is_empty() {
                Err(ApiError::invalid(
                    param,
                    "invalid_value",
                    format!("has an empty item at position {pos}"),
                ))
            } else {
                Ok((pos, s.to_string()))
            }
        })
        .collect()
}

fn exact_filter(param: &str, v: &str) -> Result<Filter, ApiError> {
    let field = query::client_field(param)
        .ok_or_else(|| ApiError::internal(format!("list parameter {param} has no field")))?;
    let mut values = Vec::new();
    for (pos, item) in list_param(param, v)? {
        let value = parse_param_value(field, &item).map_err(|m| {
            ApiError::invalid(param, "invalid_value", format!("{m} at position {pos}"))
        })?;
        values.push(value);
    }
    Ok(match values.len() {
        1 => Filter::Cmp {
            field,
            op: CmpOp::Eq,
            value: values.remove(0),
        },
        _ => Filter::In { field, values },
    })
}

fn sort_keys(v: &str) -> Result<Vec<SortKey>, ApiError> {
    let mut keys: Vec<SortKey> = Vec::new();
    for (pos, item) in list_param("sort", v)? {
        let (desc, name) = match item.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, item.strip_prefix('+').unwrap_or(&item)),
        };
        let field = query::client_field(name).ok_or_else(|| {
            ApiError::invalid(
                "sort",
                "unknown_field",
                format!("unknown or unsortable field '{name}' at position {pos}"),
            )
        })?;
        if keys.iter().any(|k| std::ptr::eq(k.field, field)) {
            return Err(ApiError::invalid(
                "sort",
                "invalid_value",
                format!("names {} twice (at position {pos})", field.path),
            ));
        }
        keys.push(SortKey { field, desc });
    }
    Ok(keys)
}

fn field_list(v: &str) -> Result<Vec<String>, ApiError> {
    let mut out: Vec<String> = Vec::new();
    for (pos, item) in list_param("fields", v)? {
        let path = query::canonical_path(&item);
        if !query::is_selectable(path) {
            return Err(ApiError::invalid(
                "fields",
                "unknown_field",
                format!("unknown field '{item}' at position {pos}"),
            ));
        }
        if path != "id" && !out.iter().any(|p| p == path) {
            out.push(path.to_string());
        }
    }
    Ok(out)
}

fn expand_list(v: &str) -> Result<Vec<SubKind>, ApiError> {
    let mut out = Vec::new();
    for (pos, item) in list_param("expand", v)? {
        let e = SubKind::from_expand_key(&item).ok_or_else(|| {
            ApiError::invalid(
                "expand",
                "invalid_value",
                format!(
                    "unknown value '{item}' at position {pos}; expected one of {}",
                    SubKind::ALL.map(|k| k.expand_key()).join(", ")
                ),
            )
        })?;
        if !out.contains(&e) {
            out.push(e);
        }
    }
    Ok(out)
}

/// A parsed list request: the query and the fingerprint its cursors carry.
pub struct ListRequest {
    pub query: ClientQuery,
    pub fingerprint: u64,
}

/// Reads the list parameters of API.md ("Listing"); refuses unknown, repeated and invalid ones
/// with a VALIDATION_ERROR naming the parameter (and the position, inside a value).
pub fn parse_list_query(pairs: &[(String, String)]) -> Result<ListRequest, ApiError> {
    let mut q = ClientQuery::default();
    let mut seen: Vec<&str> = Vec::new();
    let mut page = None;
    let mut cursor = None;
    for (k, v) in pairs {
        if seen.contains(&k.as_str()) {
            return Err(ApiError::invalid(
                k,
                "duplicate",
                "must be given at most once",
            ));
        }
        seen.push(k);
        match k.as_str() {
            "limit" => q.limit = parse_u64(k, v, 1, 100)? as u32,
            "offset" => q.offset = parse_u64(k, v, 0, i64::MAX as u64)?,
            "page" => page = Some(parse_u64(k, v, 1, i64::MAX as u64)?),
            "count" => q.count = parse_bool(k, v)?,
            "cursor" => cursor = Some(v.as_str()),
            "archived" => {
                q.archived = match v.as_str() {
                    "false" => ArchivedFilter::Exclude,
                    "true" => ArchivedFilter::Only,
                    "all" => ArchivedFilter::All,
                    _ => {
                        return Err(ApiError::invalid(
                            k,
                            "invalid_value",
                            "must be false, true or all",
                        ))
                    }
                }
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
            "filter" => {
                let f = parse_filter(v).map_err(|e| ApiError::invalid(k, e.code, e.message))?;
                q.filters.push(f);
            }
            "name" => {
                if v.chars().count() > 200 {
                    return Err(ApiError::invalid(
                        k,
                        "too_long",
                        "must be at most 200 characters",
                    ));
                }
                if let Some(field) = query::client_field("name") {
                    q.filters.push(Filter::Text {
                        field,
                        op: TextOp::Contains,
                        value: v.clone(),
                    });
                }
            }
            "id" => {
                let field =
                    query::client_field("id").ok_or_else(|| ApiError::internal("no id field"))?;
                let mut values = Vec::new();
                for (pos, item) in list_param(k, v)? {
                    let id = Uuid::parse_str(&item).map_err(|_| {
                        ApiError::invalid(
                            k,
                            "invalid_value",
                            format!("'{item}' at position {pos} is not a client id (UUID)"),
                        )
                    })?;
                    values.push(Scalar::Text(id.to_string()));
                }
                q.filters.push(Filter::In { field, values });
            }
            "sort" => q.sort = sort_keys(v)?,
            "fields" => q.fields = Some(field_list(v)?),
            "expand" => q.expand = expand_list(v)?,
            p if EXACT_PARAMS.contains(&p) => q.filters.push(exact_filter(p, v)?),
            p => match TIME_PARAMS.iter().find(|(name, _, _)| *name == p) {
                Some((_, path, lower)) => {
                    let field = query::client_field(path)
                        .ok_or_else(|| ApiError::internal("no time field"))?;
                    let value = parse_param_value(field, v).map_err(|_| {
                        ApiError::invalid(
                            k,
                            "invalid_format",
                            "must be an RFC 3339 timestamp or a date (YYYY-MM-DD)",
                        )
                    })?;
                    let op = if *lower { CmpOp::Ge } else { CmpOp::Le };
                    q.filters.push(Filter::Cmp { field, op, value });
                }
                None => {
                    return Err(ApiError::invalid(
                        k,
                        "unknown_parameter",
                        "is not a known parameter",
                    ))
                }
            },
        }
    }
    if let Some(page) = page {
        for other in ["offset", "cursor"] {
            if seen.contains(&other) {
                return Err(ApiError::invalid(
                    "page",
                    "conflict",
                    format!("cannot be combined with {other}"),
                ));
            }
        }
        q.offset = (page - 1)
            .saturating_mul(u64::from(q.limit))
            .min(i64::MAX as u64);
    }
    if cursor.is_some() && seen.contains(&"offset") {
        return Err(ApiError::invalid(
            "cursor",
            "conflict",
            "cannot be combined with offset",
        ));
    }
    let mut identity: Vec<(&str, &str)> = pairs
        .iter()
        .filter(|(k, _)| !PAGE_PARAMS.contains(&k.as_str()))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    identity.sort_unstable();
    let fingerprint = query::fingerprint(&identity);
    if let Some(token) = cursor {
        q.after = Some(
            query::decode_cursor(token, fingerprint, &q.order())
                .map_err(|e| ApiError::invalid("cursor", "invalid_value", e.0))?,
        );
    }
    Ok(ListRequest {
        query: q,
        fingerprint,
    })
}

/// Reads `expand=contact_persons,locations,accounts`; anything else is a 400.
pub fn parse_expand(pairs: &[(String, String)]) -> Result<Vec<SubKind>, ApiError> {
    let mut kinds = Vec::new();
    for (k, v) in pairs {
        if k != "expand" {
            return Err(ApiError::invalid(
                k,
                "unknown_parameter",
                "is not a known parameter",
            ));
        }
        for part in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let kind = SubKind::from_expand_key(part).ok_or_else(|| {
                ApiError::invalid(
                    "expand",
                    "invalid_value",
                    format!("unknown value {part:?}; use contact_persons, locations or accounts"),
                )
            })?;
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
    }
    Ok(kinds)
}
