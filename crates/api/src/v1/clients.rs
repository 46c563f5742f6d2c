//! `/v1/clients`: the client resource. Handlers parse the request, call the service and render
//! the envelope. Each declares its permission in its `security` requirement.

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Extension;
use clientele_core::query;
use clientele_core::service::{self, ClientDetail, Embedded, Precondition, Read};
use clientele_core::{Caller, Client, ClientData, TenantId};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::envelope::{
    client, client_resource, detail, resource, sized_json, unchanged, Envelope, ListEnvelope,
    ListMeta, LIST_ITEM_BYTES,
};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{if_match, if_none_match, JsonBody, QueryPairs, WriteContext};
use crate::state::AppState;
use crate::v1::query::{parse_expand, parse_list_query, ListRequest};

/// What a point read takes from the request head: the caller's tenant and `If-None-Match`,
/// read in place (the `HeaderMap` and `Extension<Caller>` extractors copy the whole map and the
/// whole caller).
pub struct ReadHead {
    pub tenant: TenantId,
    pub if_none_match: Option<Precondition>,
}

impl<S: Send + Sync> FromRequestParts<S> for ReadHead {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let tenant = parts
            .extensions
            .get::<Caller>()
            .ok_or_else(|| ApiError::internal("read route without a caller"))?
            .tenant
            .id;
        Ok(Self {
            tenant,
            if_none_match: if_none_match(&parts.headers),
        })
    }
}

/// The client id of the path; not a UUID → 400 naming `id`.
fn parse_id(id: &str) -> Result<Uuid, ApiError> {
    crate::extract::path_uuid("id", id)
}

/// The URL of a client, for `Location`.
pub fn location(id: Uuid) -> Option<String> {
    Some(format!("/v1/clients/{id}"))
}

/// Adds each embedded list under its `expand` key.
fn embed_into(doc: &mut Value, embedded: Embedded) -> Result<(), ApiError> {
    if let Some(obj) = doc.as_object_mut() {
        for (kind, items) in embedded {
            obj.insert(
                kind.expand_key().to_string(),
                serde_json::to_value(items).map_err(ApiError::internal)?,
            );
        }
    }
    Ok(())
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

/// A listed client: serialized as it is, or as a document when `fields` or `expand` shape it.
#[derive(Serialize)]
#[serde(untagged)]
pub enum Listed {
    Client(Box<Client>),
    Doc(Value),
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
) -> Result<Response, ApiError> {
    let ListRequest { query, fingerprint } = parse_list_query(&pairs)?;
    let page = service::list_clients(state.store.as_ref(), caller.tenant.id, &query).await?;
    let meta = ListMeta {
        total: page.total(),
        limit: query.limit,
        offset: query.offset,
        next_cursor: page.next().map(|p| query::encode_cursor(fingerprint, p)),
    };
    let mut data = Vec::with_capacity(page.page.items.len());
    for ClientDetail { client, embedded } in page.into_details() {
        if query.fields.is_none() && embedded.is_empty() {
            data.push(Listed::Client(Box::new(client)));
            continue;
        }
        let doc = serde_json::to_value(&client).map_err(ApiError::internal)?;
        let mut doc = match &query.fields {
            Some(fields) => project(doc, fields),
            None => doc,
        };
        embed_into(&mut doc, embedded)?;
        data.push(Listed::Doc(doc));
    }
    let capacity = (data.len() + 1) * LIST_ITEM_BYTES;
    Ok(sized_json(
        StatusCode::OK,
        &ListEnvelope {
            success: true,
            data,
            meta,
        },
        capacity,
    ))
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
    let c = service::create_client(state.store.as_ref(), &ctx, &body).await?;
    Ok(client(StatusCode::CREATED, &c, location(c.id)))
}

/// Get a client.
///
/// `expand=contact_persons,locations,accounts` embeds those lists (newest first, at most 100
/// of each) under the same keys.
#[utoipa::path(get, path = "/v1/clients/{id}", tag = "clients",
    params(("id" = uuid::Uuid, Path, description = "Client id"),
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
    ReadHead {
        tenant,
        if_none_match,
    }: ReadHead,
    Path(id): Path<String>,
    QueryPairs(pairs): QueryPairs,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let kinds = parse_expand(&pairs)?;
    let store = state.store.as_ref();
    if kinds.is_empty() {
        // The document as the store writes it from the row: no `Client` in between.
        return Ok(
            match service::get_client_json(store, tenant, id, if_none_match).await? {
                Read::NotModified { version } => unchanged(version),
                Read::Current(doc) => client_resource(StatusCode::OK, doc, None),
            },
        );
    }
    let read = service::get_client_detail(store, tenant, id, &kinds, if_none_match).await?;
    let ClientDetail { client, embedded } = match read {
        Read::NotModified { version } => return Ok(unchanged(version)),
        Read::Current(d) => d,
    };
    let v = client.version;
    let mut doc = serde_json::to_value(&client).map_err(ApiError::internal)?;
    embed_into(&mut doc, embedded)?;
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
    let c =
        service::get_client_by_external_id(state.store.as_ref(), caller.tenant.id, &external_id)
            .await?;
    let v = c.version;
    Ok(detail(&headers, c, v))
}

/// Replace a client: every writable field takes the body's value or its default.
#[utoipa::path(put, path = "/v1/clients/{id}", tag = "clients",
    params(("id" = uuid::Uuid, Path, description = "Client id"),
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
    let c =
        service::replace_client(state.store.as_ref(), &ctx, id, &body, if_match(&headers)).await?;
    Ok(client(StatusCode::OK, &c, None))
}

/// Update a client with a JSON merge patch (RFC 7396).
///
/// Absent fields stay unchanged, `null` clears a field, nested objects (`address`, `credit`,
/// `metadata`) merge key by key. Accepts `application/merge-patch+json` or `application/json`.
#[utoipa::path(patch, path = "/v1/clients/{id}", tag = "clients",
    params(("id" = uuid::Uuid, Path, description = "Client id"),
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
    let c =
        service::patch_client(state.store.as_ref(), &ctx, id, patch, if_match(&headers)).await?;
    Ok(client(StatusCode::OK, &c, None))
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
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let (c, created) = service::upsert_client_by_external_id(
        state.store.as_ref(),
        &ctx,
        &external_id,
        body,
        if_match(&headers),
    )
    .await?;
    Ok(if created {
        client(StatusCode::CREATED, &c, location(c.id))
    } else {
        client(StatusCode::OK, &c, None)
    })
}

/// Delete a client, with its contact persons, locations and accounts.
#[utoipa::path(delete, path = "/v1/clients/{id}", tag = "clients",
    params(("id" = uuid::Uuid, Path, description = "Client id"),
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
    service::delete_client(state.store.as_ref(), &ctx, id, if_match(&headers)).await?;
    Ok(StatusCode::NO_CONTENT)
}
