//! Seed 003's list parameters, read into the core's list query: `ownerId`, `searchText` and the
//! OData v4 query options `$filter`, `$select`, `$orderby`, `$skip` and `$top`.
//!
//! `$filter` is read by the core's expression parser ([`parse_filter_with`]) with this
//! dialect's camelCase names ([`Seed003Names`]): the OData subset the seed shows (comparisons,
//! `and`/`or`/`not`, parentheses, `contains`/`startswith`/`endswith`, `null`, booleans,
//! numbers, 'strings', date-times, GUIDs quoted or bare) is that grammar, so the tree, and the
//! SQL the store compiles from it, is the native `filter`'s. Unknown, repeated and invalid
//! parameters, and OData options outside the subset, are a VALIDATION_ERROR naming the
//! parameter (and the position, inside an expression).

use clientele_core::filter::{parse_filter_with, CmpOp, Filter, Vocabulary};
use clientele_core::query::{self, ArchivedFilter, ClientQuery, Field, Scalar, SortKey};
use clientele_core::search;
use uuid::Uuid;

use super::wire::{ALL_PROPERTIES, CLIENT_FIELDS, READ_ONLY_FIELDS};
use crate::dialects::int_param;
use crate::error::ApiError;

/// Default and largest `$top`.
pub const DEFAULT_TOP: u32 = 50;
pub const MAX_TOP: u32 = 1000;
/// Longest `searchText`, in characters (the native limit).
const MAX_SEARCH_CHARS: usize = 120;
/// Longest `$select` and `$orderby`, in characters.
const MAX_LIST_CHARS: usize = 2048;

/// The OData system query options this dialect does not serve.
const UNSUPPORTED_OPTIONS: &[&str] = &[
    "$count",
    "$expand",
    "$search",
    "$format",
    "$apply",
    "$compute",
    "$levels",
    "$index",
    "$skiptoken",
    "$deltatoken",
    "$schemaversion",
    "$id",
];

/// CLIENT's property names, as `$filter` and `$orderby` read them (case-insensitively, as
/// OData services commonly do) and as their errors write them.
pub struct Seed003Names;

fn property(name: &str) -> Option<&'static (&'static str, &'static str)> {
    CLIENT_FIELDS
        .iter()
        .chain(READ_ONLY_FIELDS)
        .find(|(wire, _)| wire.eq_ignore_ascii_case(name))
}

impl Vocabulary for Seed003Names {
    fn field(&self, name: &str) -> Option<&'static Field> {
        property(name).and_then(|(_, path)| query::client_field(path))
    }

    fn name_of(&self, field: &Field) -> String {
        CLIENT_FIELDS
            .iter()
            .chain(READ_ONLY_FIELDS)
            .find(|(_, path)| *path == field.path)
            .map_or(field.path, |(wire, _)| wire)
            .to_string()
    }

    fn unfilterable(&self, name: &str) -> Option<String> {
        name.eq_ignore_ascii_case("loginToken")
            .then(|| "loginToken can be selected but not filtered or sorted on".to_string())
    }
}

/// A parsed list request: the core query and the `$select`ed properties (`None`: all).
#[derive(Debug)]
pub struct ListRequest {
    pub query: ClientQuery,
    pub select: Option<Vec<&'static str>>,
}

/// `$filter`'s tree, with the literals of `ownerId` (stored as a canonical UUID) in that form.
fn canonical_owner_ids(f: Filter) -> Filter {
    let canon = |v: Scalar| match v {
        Scalar::Text(s) => Scalar::Text(Uuid::parse_str(&s).map_or(s, |u| u.to_string())),
        other => other,
    };
    match f {
        Filter::And(v) => Filter::And(v.into_iter().map(canonical_owner_ids).collect()),
        Filter::Or(v) => Filter::Or(v.into_iter().map(canonical_owner_ids).collect()),
        Filter::Not(b) => Filter::Not(Box::new(canonical_owner_ids(*b))),
        Filter::Cmp { field, op, value } if field.path == "owner_id" => Filter::Cmp {
            field,
            op,
            value: canon(value),
        },
        Filter::In { field, values } if field.path == "owner_id" => Filter::In {
            field,
            values: values.into_iter().map(canon).collect(),
        },
        other => other,
    }
}

/// Comma-separated items with the 1-based character position of each.
fn items(param: &str, v: &str) -> Result<Vec<(usize, String)>, ApiError> {
    if v.chars().count() > MAX_LIST_CHARS {
        return Err(ApiError::invalid(
            param,
            "too_long",
            format!("must be at most {MAX_LIST_CHARS} characters"),
        ));
    }
    let mut out = Vec::new();
    let mut pos = 1;
    for item in v.split(',') {
        let lead = item.chars().take_while(|c| c.is_whitespace()).count();
        let trimmed = item.trim();
        if trimmed.is_empty() {
            return Err(ApiError::invalid(
                param,
                "invalid_value",
                format!("has an empty item at position {}", pos + lead),
            ));
        }
        out.push((pos + lead, trimmed.to_string()));
        pos += item.chars().count() + 1;
    }
    Ok(out)
}

/// `$select=lastName,firstName` (or `*`): the properties, in the order named.
fn select_list(v: &str) -> Result<Option<Vec<&'static str>>, ApiError> {
    let mut out: Vec<&'static str> = Vec::new();
    for (pos, item) in items("$select", v)? {
        if item == "*" {
            return Ok(None);
        }
        let Some(p) = ALL_PROPERTIES
            .iter()
            .find(|p| p.eq_ignore_ascii_case(&item))
        else {
            return Err(ApiError::invalid(
                "$select",
                "unknown_field",
                format!("unknown property '{item}' at position {pos}"),
            ));
        };
        if !out.contains(p) {
            out.push(p);
        }
    }
    Ok(Some(out))
}

/// `$orderby=lastName desc,firstName`: each property, then optionally `asc` or `desc`.
fn order_by(v: &str) -> Result<Vec<SortKey>, ApiError> {
    let mut keys: Vec<SortKey> = Vec::new();
    for (pos, item) in items("$orderby", v)? {
        let mut words = item.split_whitespace();
        let name = words.next().unwrap_or("");
        let desc = match words.next() {
            None => false,
            Some(d) if d.eq_ignore_ascii_case("asc") => false,
            Some(d) if d.eq_ignore_ascii_case("desc") => true,
            Some(other) => {
                return Err(ApiError::invalid(
                    "$orderby",
                    "syntax_error",
                    format!(
                    "expected asc or desc after {name}, found '{other}' (item at position {pos})"
                ),
                ))
            }
        };
        if let Some(extra) = words.next() {
            return Err(ApiError::invalid(
                "$orderby",
                "syntax_error",
                format!("unexpected '{extra}' (item at position {pos}); separate keys with ','"),
            ));
        }
        let names = Seed003Names;
        if let Some(why) = names.unfilterable(name) {
            return Err(ApiError::invalid("$orderby", "unknown_field", why));
        }
        let field = names.field(name).ok_or_else(|| {
            ApiError::invalid(
                "$orderby",
                "unknown_field",
                format!("unknown property '{name}' at position {pos}"),
            )
        })?;
        if keys.iter().any(|k| std::ptr::eq(k.field, field)) {
            return Err(ApiError::invalid(
                "$orderby",
                "invalid_value",
                format!("names {name} twice (at position {pos})"),
            ));
        }
        keys.push(SortKey { field, desc });
    }
    Ok(keys)
}

/// `ownerId=<uuid>`: the clients of that owner.
fn owner_filter(v: &str) -> Result<Filter, ApiError> {
    let id = Uuid::parse_str(v.trim())
        .map_err(|_| ApiError::invalid("ownerId", "invalid_format", "must be a UUID"))?;
    let field =
        query::client_field("owner_id").ok_or_else(|| ApiError::internal("no owner_id field"))?;
    Ok(Filter::Cmp {
        field,
        op: CmpOp::Eq,
        value: Scalar::Text(id.to_string()),
    })
}

const KNOWN: &str = "ownerId, searchText, $filter, $select, $orderby, $skip, $top";

/// Reads `GET /clients`' parameters. Archived clients are included; without `$orderby` the
/// order is creation order, oldest first (docs/dialects.md, 003).
pub fn parse_client_list(pairs: &[(String, String)]) -> Result<ListRequest, ApiError> {
    let created_at =
        query::client_field("created_at").ok_or_else(|| ApiError::internal("no created_at"))?;
    let mut q = ClientQuery {
        limit: DEFAULT_TOP,
        archived: ArchivedFilter::All,
        count: false,
        sort: vec![SortKey {
            field: created_at,
            desc: false,
        }],
        ..ClientQuery::default()
    };
    let mut select = None;
    let mut seen: Vec<String> = Vec::new();
    for (k, v) in pairs {
        // OData system query options are case-insensitive; errors name them in lower case.
        let key = if k.starts_with('$') {
            k.to_ascii_lowercase()
        } else {
            k.clone()
        };
        if seen.contains(&key) {
            return Err(ApiError::invalid(
                &key,
                "duplicate",
                "must be given at most once",
            ));
        }
        seen.push(key.clone());
        if matches!(key.as_str(), "$filter" | "$select" | "$orderby") && v.trim().is_empty() {
            // An empty option is no option.
            continue;
        }
        match key.as_str() {
            "ownerId" => q.filters.push(owner_filter(v)?),
            "searchText" => {
                if v.chars().count() > MAX_SEARCH_CHARS {
                    return Err(ApiError::invalid(
                        k,
                        "too_long",
                        format!("must be at most {MAX_SEARCH_CHARS} characters"),
                    ));
                }
                q.search = search::query_terms(v);
            }
            "$filter" => {
                let f = parse_filter_with(v, &Seed003Names)
                    .map_err(|e| ApiError::invalid("$filter", e.code, e.message))?;
                q.filters.push(canonical_owner_ids(f));
            }
            "$select" => select = select_list(v)?,
            "$orderby" => {
                let keys = order_by(v)?;
                if !keys.is_empty() {
                    q.sort = keys;
                }
            }
            "$skip" => q.offset = int_param("$skip", v, 0, i64::MAX as u64)?,
            "$top" => q.limit = int_param("$top", v, 1, u64::from(MAX_TOP))? as u32,
            other if UNSUPPORTED_OPTIONS.contains(&other) => {
                return Err(ApiError::invalid(
                    other,
                    "unsupported",
                    format!("is not supported here (supported: {KNOWN})"),
                ))
            }
            _ => {
                return Err(ApiError::invalid(
                    k,
                    "unknown_parameter",
                    format!("is not a known parameter of this list ({KNOWN})"),
                ))
            }
        }
    }
    Ok(ListRequest { query: q, select })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clientele_core::filter::TextOp;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn parse(p: &[(&str, &str)]) -> ListRequest {
        parse_client_list(&pairs(p)).expect("valid")
    }

    fn refused(p: &[(&str, &str)]) -> (String, String, String) {
        let e = parse_client_list(&pairs(p)).expect_err("refused");
        assert_eq!(e.code, "VALIDATION_ERROR");
        let d = &e.details[0];
        (d.field.clone(), d.code.clone(), d.message.clone())
    }

    #[test]
    fn defaults_oldest_first_fifty_archived_included_no_count() {
        let r = parse(&[]);
        assert_eq!(r.query.limit, 50);
        assert_eq!(r.query.offset, 0);
        assert_eq!(r.query.archived, ArchivedFilter::All);
        assert!(!r.query.count);
        assert_eq!(r.query.sort.len(), 1);
        assert_eq!(
            (r.query.sort[0].field.path, r.query.sort[0].desc),
            ("created_at", false)
        );
        assert!(r.select.is_none());
    }

    #[test]
    fn the_seed_example_parameters() {
        let owner = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
        let r = parse(&[
            ("ownerId", owner),
            ("searchText", "Jane"),
            ("$filter", "isArchived eq false and (fico ge 700 or firstTimeBuyer eq true) and contains(lastName,'Do')"),
            ("$select", "id,firstName,lastName"),
            ("$orderby", "lastName desc,firstName"),
            ("$skip", "10"),
            ("$top", "5"),
        ]);
        assert_eq!((r.query.limit, r.query.offset), (5, 10));
        assert_eq!(r.query.search, vec!["jane".to_string()]);
        assert_eq!(r.select, Some(vec!["id", "firstName", "lastName"]));
        let sort: Vec<(&str, bool)> = r
            .query
            .sort
            .iter()
            .map(|k| (k.field.path, k.desc))
            .collect();
        assert_eq!(sort, vec![("last_name", true), ("first_name", false)]);
        assert!(matches!(&r.query.filters[0],
            Filter::Cmp { field, op: CmpOp::Eq, value: Scalar::Text(v) } if field.path == "owner_id" && v == owner));
        let Filter::And(parts) = &r.query.filters[1] else {
            panic!("{:?}", r.query.filters[1])
        };
        assert!(
            matches!(&parts[0], Filter::Cmp { field, value: Scalar::Bool(false), .. } if field.path == "archived")
        );
        assert!(matches!(&parts[1], Filter::Or(v) if v.len() == 2));
        assert!(
            matches!(&parts[2], Filter::Text { field, op: TextOp::Contains, value } if field.path == "last_name" && value == "Do")
        );
    }

    #[test]
    fn every_client_property_but_login_token_filters_and_sorts() {
        for (wire, native) in CLIENT_FIELDS.iter().chain(READ_ONLY_FIELDS) {
            let f = Seed003Names.field(wire).expect(wire);
            assert_eq!(f.path, *native);
            assert_eq!(Seed003Names.name_of(f), *wire);
            parse(&[("$orderby", &format!("{wire} desc"))]);
            parse(&[("$filter", &format!("{wire} eq null or {wire} ne null"))]);
        }
        let (field, code, _) = refused(&[("$filter", "loginToken eq 'x'")]);
        assert_eq!(
            (field.as_str(), code.as_str()),
            ("$filter", "unknown_field")
        );
        let (field, _, _) = refused(&[("$orderby", "loginToken")]);
        assert_eq!(field, "$orderby");
        assert_eq!(
            parse(&[("$select", "loginToken")]).select,
            Some(vec!["loginToken"])
        );
    }

    #[test]
    fn literals_of_each_type() {
        for f in [
            "createdOn ge 2026-01-01T00:00:00Z",
            "updatedOn lt 2026-01-01T00:00:00.123+02:00",
            "createdOn gt 2026-01-01",
            "totalIncome ge 50000.25 and totalDebtPayments le 1e3",
            "fico gt 700",
            "id eq 3fa85f64-5717-4562-b3fc-2c963f66afa6",
            "referredById eq '3fa85f64-5717-4562-b3fc-2c963f66afa6'",
            "ownerId eq A1B2C3D4-5717-4562-B3FC-2C963F66AFA6",
            "email eq 'o''brien@example.com'",
            "isSilenced",
            "not isArchived",
            "endswith(email,'@example.com') or startswith(workPhone,'+1')",
            "lastname eq 'x'",
        ] {
            parse(&[("$filter", f)]);
        }
        let r = parse(&[(
            "$filter",
            "ownerId eq 'A1B2C3D4-5717-4562-B3FC-2C963F66AFA6'",
        )]);
        assert!(matches!(&r.query.filters[0],
            Filter::Cmp { value: Scalar::Text(v), .. } if v == "a1b2c3d4-5717-4562-b3fc-2c963f66afa6"));
    }

    #[test]
    fn errors_name_the_option_and_the_position() {
        let (field, code, msg) = refused(&[("$filter", "lastName eq")]);
        assert_eq!((field.as_str(), code.as_str()), ("$filter", "syntax_error"));
        assert!(msg.ends_with("at position 12"), "{msg}");
        let (_, code, msg) = refused(&[("$filter", "fico ge 'x'")]);
        assert_eq!(code, "invalid_value");
        assert!(msg.starts_with("fico expects"), "{msg}");
        let (_, code, msg) = refused(&[("$filter", "tolower(lastName) eq 'x'")]);
        assert_eq!(code, "syntax_error");
        assert!(msg.contains("tolower"), "{msg}");
        let (field, code, _) = refused(&[("$filter", "last_name eq 'x'")]);
        assert_eq!(
            (field.as_str(), code.as_str()),
            ("$filter", "unknown_field")
        );
        assert_eq!(refused(&[("$select", "id,colour")]).0, "$select");
        assert_eq!(refused(&[("$orderby", "lastName sideways")]).0, "$orderby");
        assert_eq!(
            refused(&[("$orderby", "lastName,lastName desc")]).0,
            "$orderby"
        );
        for top in ["0", "1001", "x", "-1"] {
            assert_eq!(refused(&[("$top", top)]).0, "$top");
        }
        assert_eq!(refused(&[("$skip", "-1")]).0, "$skip");
        assert_eq!(refused(&[("ownerId", "nope")]).0, "ownerId");
        let (field, code, _) = refused(&[("$count", "true")]);
        assert_eq!((field.as_str(), code.as_str()), ("$count", "unsupported"));
        assert_eq!(refused(&[("$expand", "x")]).0, "$expand");
        assert_eq!(refused(&[("limit", "5")]).1, "unknown_parameter");
        let (field, code, _) = refused(&[("$top", "5"), ("$TOP", "6")]);
        assert_eq!((field.as_str(), code.as_str()), ("$top", "duplicate"));
        assert_eq!(parse(&[("$Top", "7")]).query.limit, 7);
        assert_eq!(parse(&[("$top", "1000")]).query.limit, 1000);
    }
}
