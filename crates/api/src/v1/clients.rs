//! `/v1/clients`: the client resource. Handlers are thin: parse into domain types, call the
//! store, shape the response. Each declares its permission in its `security` requirement.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::{Extension, Json};
use clientele_core::filter::{parse_filter, parse_param_value, CmpOp, Filter, TextOp};
use clientele_core::query::{self, ArchivedFilter, ClientQuery, Scalar, SortKey};
use clientele_core::search;
use clientele_core::sub::SubKind;
use clientele_core::{Caller, Client, ClientData, StoreError};
use serde_json::Value;
use uuid::Uuid;

use crate::envelope::{detail, not_modified, resource, Envelope, ListEnvelope, ListMeta};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{check_body_id, if_match, JsonBody, QueryPairs, WriteContext};
use crate::AppState;

const WHAT: &str = "client";

/// Ids that are not UUIDs cannot exist: 404, like any other unknown id.
fn parse_id(id: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(id).map_err(|_| ApiError::not_found("No such client"))
}

fn location(c: &Client) -> Option<String> {
    Some(format!("/v1/clients/{}", c.id))
}

fn parse_data(body: &Value) -> Result<ClientData, ApiError> {
    ClientData::from_json(body).map_err(ApiError::validation)
}

fn store_err(e: StoreError) -> ApiError {
    ApiError::from_store(e, WHAT)
}

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
        p.offset = (page - 1).saturating_mul(u64::from(p.limit));
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
    let path = match param {
        "creditworthiness" => "credit.creditworthiness",
        other => other,
    };
    let field = query::client_field(path)
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
        q.offset = (page - 1).saturating_mul(u64::from(q.limit));
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

/// Keeps `id` and the named paths of a client document; a nested path keeps its parent object
/// with only the named keys.
fn project(doc: Value, fields: &[String]) -> Value {
    let Value::Object(src) = doc else {
        return doc;
    };
    let mut out = serde_json::Map::new();
    out.insert("id".into(), src.get("id").cloned().unwrap_or(Value::Null));
    for path in fields {
        match path.split_once('.') {
            None => {
                out.insert(path.clone(), src.get(path).cloned().unwrap_or(Value::Null));
            }
            Some((parent, child)) => {
                let v = src
                    .get(parent)
                    .and_then(|p| p.get(child))
                    .cloned()
                    .unwrap_or(Value::Null);
                let slot = out
                    .entry(parent.to_string())
                    .or_insert_with(|| Value::Object(serde_json::Map::new()));
                if let Value::Object(m) = slot {
                    m.insert(child.to_string(), v);
                }
            }
        }
    }
    Value::Object(out)
}

/// List the tenant's clients.
///
/// Filters (`status` ... `source`, `name`, `id`, the time bounds, `archived`, `search` and the
/// `filter` expression) all apply together. `search`: every word must prefix-match a word of
/// name, legal_name, first_name, last_name, email, tax_id, org_number, external_id or
/// account_code (identifiers also match without their separators), ignoring case and accents;
/// text without letters or digits is ignored. `filter`: comparisons with a null field are false,
/// `ne` and `not` are their exact complements (true for null); the `name` parameter and
/// `contains`/`startswith`/`endswith` on `name` ignore case and accents, on other fields ASCII
/// case. Sorting: null sorts below every value
/// (first ascending, last descending); text sorts by code point; ties are broken by `id` in the
/// direction of the last key. `next_cursor` is set whenever another page exists, also on
/// offset pages; a cursor carries the position of the last row, so rows added or removed while
/// walking are never skipped or repeated. A cursor only fits the same filters, search and sort
/// (`limit`, `fields`, `expand` and `count` may change). `expand` embeds the named
/// sub-resources in each listed client, the newest 10 of each kind (use the sub-resource's own
/// list for more).
#[utoipa::path(get, path = "/v1/clients", tag = "clients",
    params(
        ("limit" = Option<u32>, Query, description = "1-100, default 25", minimum = 1, maximum = 100),
        ("offset" = Option<u64>, Query, description = "Rows to skip, default 0; not with `cursor`"),
        ("page" = Option<u64>, Query, description = "≥ 1; offset = (page − 1) × limit; not with `offset` or `cursor`", minimum = 1),
        ("cursor" = Option<String>, Query, description = "Opaque, from `meta.next_cursor`; keyset pagination, as fast at any depth, never skips or repeats a row. Send the same filters, search and sort as the first page"),
        ("search" = Option<String>, Query, description = "Free text, ≤ 120 characters: every word must prefix-match a word of name, legal_name, first/last name, email, tax_id, org_number, external_id or account_code; case- and accent-insensitive"),
        ("status" = Option<String>, Query, description = "Exact match; a comma-separated list means any of them"),
        ("kind" = Option<String>, Query, description = "Exact match; comma-separated list = any"),
        ("partner_type" = Option<String>, Query, description = "Exact match; comma-separated list = any"),
        ("country" = Option<String>, Query, description = "address.country, exact (ISO 3166-1 alpha-2, any case); comma-separated list = any"),
        ("currency" = Option<String>, Query, description = "credit.currency, exact (ISO 4217, any case); comma-separated list = any"),
        ("creditworthiness" = Option<String>, Query, description = "credit.creditworthiness, exact; comma-separated list = any"),
        ("owner_id" = Option<String>, Query, description = "Exact match; comma-separated list = any"),
        ("salesperson_id" = Option<String>, Query, description = "Exact match; comma-separated list = any"),
        ("case_manager_id" = Option<String>, Query, description = "Exact match; comma-separated list = any"),
        ("account_code" = Option<String>, Query, description = "Exact match; comma-separated list = any"),
        ("external_id" = Option<String>, Query, description = "Exact match; comma-separated list = any"),
        ("source" = Option<String>, Query, description = "Exact match; comma-separated list = any"),
        ("name" = Option<String>, Query, description = "Substring of name, ignoring case and accents"),
        ("id" = Option<String>, Query, description = "Comma-separated client ids"),
        ("created_from" = Option<String>, Query, description = "created_at ≥ this (RFC 3339 or a date = midnight UTC)"),
        ("created_to" = Option<String>, Query, description = "created_at ≤ this (inclusive)"),
        ("updated_from" = Option<String>, Query, description = "updated_at ≥ this"),
        ("updated_to" = Option<String>, Query, description = "updated_at ≤ this (inclusive)"),
        ("archived" = Option<String>, Query, description = "`false` (default), `true` or `all`"),
        ("filter" = Option<String>, Query, description = "Expression, e.g. `credit.limit ge 10000 and (country eq 'SE' or country eq 'NO') and not archived`: operators eq ne gt ge lt le, and or not (and binds tighter), parentheses, in ('a','b'), contains/startswith/endswith(field,'x'), null, true, false, numbers, 'quoted strings', bare timestamps or dates; fields by their dotted names (`country`, `currency` short for address.country, credit.currency). Errors give the position"),
        ("sort" = Option<String>, Query, description = "Comma list of fields, `-` for descending, e.g. `-credit.limit,name`; default `-created_at`; ties broken by id"),
        ("fields" = Option<String>, Query, description = "Comma list of fields to return (`id` always included); nested paths such as `credit.limit` return a nested object"),
        ("expand" = Option<String>, Query, description = "Comma list of contact_persons, locations, accounts; any other value → 400"),
        ("count" = Option<bool>, Query, description = "`false` skips computing `meta.total` (faster on big tenants)"),
    ),
    responses(
        (status = 200, description = "A page of clients", body = ListEnvelope<Client>),
        (status = 400, description = "Bad parameter, unknown field, filter syntax error (with its position) or a cursor that does not fit the query", body = ErrorBody),
    ),
    security(("api_key" = ["clients:read"])))]
pub async fn list_clients(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    QueryPairs(pairs): QueryPairs,
) -> Result<Json<ListEnvelope<Value>>, ApiError> {
    let ListRequest { query, fingerprint } = parse_list_query(&pairs)?;
    let page = state
        .store
        .list_clients(caller.tenant.id, &query)
        .await
        .map_err(store_err)?;
    let mut data = Vec::with_capacity(page.items.len());
    for c in page.items {
        let id = c.id;
        let doc = serde_json::to_value(&c).map_err(ApiError::internal)?;
        let mut doc = match &query.fields {
            Some(fields) => project(doc, fields),
            None => doc,
        };
        embed(
            &state,
            caller.tenant.id,
            id,
            &mut doc,
            &query.expand,
            LIST_EXPAND_LIMIT,
        )
        .await?;
        data.push(doc);
    }
    Ok(Json(ListEnvelope {
        success: true,
        data,
        meta: ListMeta {
            total: page.total,
            limit: query.limit,
            offset: query.offset,
            next_cursor: page.next.map(|p| query::encode_cursor(fingerprint, &p)),
        },
    }))
}

/// Create a client.
///
/// Unknown fields are refused by name; read-only fields are ignored.
#[utoipa::path(post, path = "/v1/clients", tag = "clients",
    request_body(content = ClientData, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = Envelope<Client>,
            headers(("Location" = String, description = "URL of the new client"), ("ETag" = String))),
        (status = 400, description = "Invalid body", body = ErrorBody),
        (status = 409, description = "external_id already taken", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ),
    security(("api_key" = ["clients:write"])))]
pub async fn create_client(
    State(state): State<AppState>,
    WriteContext(ctx): WriteContext,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let data = parse_data(&body)?;
    let c = state
        .store
        .create_client(&ctx, data)
        .await
        .map_err(store_err)?;
    let loc = location(&c);
    let version = c.version;
    Ok(resource(StatusCode::CREATED, c, version, loc))
}

/// Items embedded per kind by `?expand=` on client detail (the newest ones).
pub const EXPAND_LIMIT: u32 = 100;
/// Items embedded per kind and client by `?expand=` on lists (bounded: a page has ≤ 100 clients).
pub const LIST_EXPAND_LIMIT: u32 = 10;

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

/// Embeds the newest `limit` items of each requested kind under its `expand` key.
async fn embed(
    state: &AppState,
    tenant: clientele_core::TenantId,
    client_id: Uuid,
    doc: &mut Value,
    kinds: &[SubKind],
    limit: u32,
) -> Result<(), ApiError> {
    for kind in kinds {
        let page = state
            .store
            .list_subs(tenant, *kind, client_id, limit, 0, false)
            .await
            .map_err(store_err)?;
        if let Some(obj) = doc.as_object_mut() {
            obj.insert(
                kind.expand_key().to_string(),
                serde_json::to_value(page.items).map_err(ApiError::internal)?,
            );
        }
    }
    Ok(())
}

/// Get a client.
///
/// `expand=contact_persons,locations,accounts` embeds those lists (newest first, at most 100
/// of each) under the same keys.
#[utoipa::path(get, path = "/v1/clients/{id}", tag = "clients",
    params(("id" = String, Path, description = "Client id"),
        ("expand" = Option<String>, Query, description = "Comma list of contact_persons, locations, accounts"),
        ("If-None-Match" = Option<String>, Header, description = "An ETag; 304 when it is current")),
    responses(
        (status = 200, description = "The client", body = Envelope<Client>, headers(("ETag" = String))),
        (status = 304, description = "Not modified"),
        (status = 400, description = "Unknown expand value", body = ErrorBody),
        (status = 404, description = "No such client in this tenant", body = ErrorBody),
    ),
    security(("api_key" = ["clients:read"])))]
pub async fn get_client(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    QueryPairs(pairs): QueryPairs,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let kinds = parse_expand(&pairs)?;
    let c = state
        .store
        .get_client(caller.tenant.id, id)
        .await
        .map_err(store_err)?;
    if kinds.is_empty() {
        let v = c.version;
        return Ok(detail(&headers, c, v));
    }
    if let Some(r) = not_modified(&headers, c.version) {
        return Ok(r);
    }
    let (v, id) = (c.version, c.id);
    let mut doc = serde_json::to_value(&c).map_err(ApiError::internal)?;
    embed(&state, caller.tenant.id, id, &mut doc, &kinds, EXPAND_LIMIT).await?;
    Ok(resource(StatusCode::OK, doc, v, None))
}

/// Get a client by its external id.
#[utoipa::path(get, path = "/v1/clients/external-id/{external_id}", tag = "clients",
    params(("external_id" = String, Path, description = "The caller's own id of the client"),
        ("If-None-Match" = Option<String>, Header, description = "An ETag; 304 when it is current")),
    responses(
        (status = 200, description = "The client", body = Envelope<Client>, headers(("ETag" = String))),
        (status = 304, description = "Not modified"),
        (status = 404, description = "No such client in this tenant", body = ErrorBody),
    ),
    security(("api_key" = ["clients:read"])))]
pub async fn get_client_by_external_id(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(external_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let c = state
        .store
        .get_client_by_external_id(caller.tenant.id, &external_id)
        .await
        .map_err(store_err)?;
    let v = c.version;
    Ok(detail(&headers, c, v))
}

/// Replace a client: every writable field takes the body's value or its default.
#[utoipa::path(put, path = "/v1/clients/{id}", tag = "clients",
    params(("id" = String, Path, description = "Client id"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read; 412 if it is no longer current")),
    request_body(content = ClientData, content_type = "application/json"),
    responses(
        (status = 200, description = "Replaced", body = Envelope<Client>, headers(("ETag" = String))),
        (status = 400, description = "Invalid body", body = ErrorBody),
        (status = 404, description = "No such client", body = ErrorBody),
        (status = 409, description = "external_id already taken", body = ErrorBody),
        (status = 412, description = "If-Match does not match", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ),
    security(("api_key" = ["clients:write"])))]
pub async fn replace_client(
    State(state): State<AppState>,
    WriteContext(ctx): WriteContext,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    check_body_id(&body, id)?;
    let data = parse_data(&body)?;
    let c = state
        .store
        .replace_client(&ctx, id, data, if_match(&headers))
        .await
        .map_err(store_err)?;
    let v = c.version;
    Ok(resource(StatusCode::OK, c, v, None))
}

/// Update a client with a JSON merge patch (RFC 7396).
///
/// Absent fields stay unchanged, `null` clears a field, nested objects (`address`, `credit`,
/// `metadata`) merge key by key. Accepts `application/merge-patch+json` or `application/json`.
#[utoipa::path(patch, path = "/v1/clients/{id}", tag = "clients",
    params(("id" = String, Path, description = "Client id"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read; 412 if it is no longer current")),
    request_body(content = Object, content_type = "application/merge-patch+json",
        description = "Any subset of the writable client fields"),
    responses(
        (status = 200, description = "Updated", body = Envelope<Client>, headers(("ETag" = String))),
        (status = 400, description = "Invalid patch", body = ErrorBody),
        (status = 404, description = "No such client", body = ErrorBody),
        (status = 409, description = "external_id already taken", body = ErrorBody),
        (status = 412, description = "If-Match does not match", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ),
    security(("api_key" = ["clients:write"])))]
pub async fn patch_client(
    State(state): State<AppState>,
    WriteContext(ctx): WriteContext,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(patch): JsonBody,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    if !patch.is_object() {
        return Err(ApiError::invalid(
            "body",
            "invalid_type",
            "a merge patch must be a JSON object",
        ));
    }
    check_body_id(&patch, id)?;
    let c = state
        .store
        .patch_client(&ctx, id, patch, if_match(&headers))
        .await
        .map_err(store_err)?;
    let v = c.version;
    Ok(resource(StatusCode::OK, c, v, None))
}

/// Create or replace the client with this external id (upsert).
///
/// 201 when created, 200 when replaced. A body `external_id`, if sent, must equal the path's.
#[utoipa::path(put, path = "/v1/clients/external-id/{external_id}", tag = "clients",
    params(("external_id" = String, Path, description = "The caller's own id of the client"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read; 412 if it is no longer current")),
    request_body(content = ClientData, content_type = "application/json"),
    responses(
        (status = 200, description = "Replaced", body = Envelope<Client>, headers(("ETag" = String))),
        (status = 201, description = "Created", body = Envelope<Client>,
            headers(("Location" = String), ("ETag" = String))),
        (status = 400, description = "Invalid body", body = ErrorBody),
        (status = 412, description = "If-Match does not match", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ),
    security(("api_key" = ["clients:write"])))]
pub async fn upsert_client_by_external_id(
    State(state): State<AppState>,
    WriteContext(ctx): WriteContext,
    Path(external_id): Path<String>,
    headers: HeaderMap,
    JsonBody(mut body): JsonBody,
) -> Result<Response, ApiError> {
    if external_id.chars().count() > 128 {
        return Err(ApiError::invalid(
            "external_id",
            "too_long",
            "must be at most 128 characters",
        ));
    }
    if let Some(obj) = body.as_object_mut() {
        match obj.get("external_id") {
            None | Some(Value::Null) => {
                obj.insert("external_id".into(), Value::String(external_id.clone()));
            }
            Some(Value::String(s)) if *s == external_id => {}
            Some(_) => {
                return Err(ApiError::invalid(
                    "external_id",
                    "mismatch",
                    "must be absent or equal to the external id in the path",
                ))
            }
        }
    }
    let data = parse_data(&body)?;
    if body.get("id").and_then(Value::as_str).is_some() {
        let existing = state
            .store
            .get_client_by_external_id(ctx.tenant, &external_id)
            .await;
        if let Ok(c) = existing {
            check_body_id(&body, c.id)?;
        }
    }
    let (c, created) = state
        .store
        .upsert_client_by_external_id(&ctx, data, if_match(&headers))
        .await
        .map_err(store_err)?;
    let v = c.version;
    Ok(if created {
        let loc = location(&c);
        resource(StatusCode::CREATED, c, v, loc)
    } else {
        resource(StatusCode::OK, c, v, None)
    })
}

/// Delete a client, with its contact persons, locations and accounts.
#[utoipa::path(delete, path = "/v1/clients/{id}", tag = "clients",
    params(("id" = String, Path, description = "Client id"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read; 412 if it is no longer current")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such client", body = ErrorBody),
        (status = 412, description = "If-Match does not match", body = ErrorBody),
    ),
    security(("api_key" = ["clients:delete"])))]
pub async fn delete_client(
    State(state): State<AppState>,
    WriteContext(ctx): WriteContext,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id)?;
    state
        .store
        .delete_client(&ctx, id, if_match(&headers))
        .await
        .map_err(store_err)?;
    Ok(StatusCode::NO_CONTENT)
}
