//! `/v1/clients`: the client resource. Handlers are thin: parse into domain types, call the
//! store, shape the response. Each declares its permission in its `security` requirement.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use clientele_core::query::{ArchivedFilter, ClientQuery};
use clientele_core::sub::SubKind;
use clientele_core::{Caller, Client, ClientData, StoreError};
use serde_json::Value;
use uuid::Uuid;

use crate::envelope::{resource, Envelope, ListEnvelope, ListMeta};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{etag, JsonBody, Precondition, QueryPairs, WriteContext};
use crate::AppState;

const WHAT: &str = "client";

/// Ids that are not UUIDs cannot exist: 404, like any other unknown id.
fn parse_id(id: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(id).map_err(|_| ApiError::not_found("No such client"))
}

fn location(c: &Client) -> Option<String> {
    Some(format!("/v1/clients/{}", c.id))
}

/// A body `id` is read-only and ignored, but one naming another resource is a mistake.
fn check_body_id(body: &Value, id: Option<Uuid>) -> Result<(), ApiError> {
    let (Some(given), Some(id)) = (body.get("id").filter(|v| !v.is_null()), id) else {
        return Ok(());
    };
    if given.as_str().and_then(|s| Uuid::parse_str(s).ok()) != Some(id) {
        return Err(ApiError::invalid(
            "id",
            "mismatch",
            "must be absent or equal to the id in the path",
        ));
    }
    Ok(())
}

fn parse_data(body: &Value) -> Result<ClientData, ApiError> {
    ClientData::from_json(body).map_err(ApiError::validation)
}

fn store_err(e: StoreError) -> ApiError {
    ApiError::from_store(e, WHAT)
}

const UNSUPPORTED_LIST_PARAMS: &[&str] = &[
    "cursor",
    "search",
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
    "name",
    "id",
    "created_from",
    "created_to",
    "updated_from",
    "updated_to",
    "filter",
    "sort",
    "fields",
    "expand",
];

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

/// Reads the list parameters; refuses unknown, repeated and out-of-range ones.
pub fn parse_list_query(pairs: &[(String, String)]) -> Result<ClientQuery, ApiError> {
    let mut q = ClientQuery::default();
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
            "limit" => q.limit = parse_u64(k, v, 1, 100)? as u32,
            "offset" => q.offset = parse_u64(k, v, 0, i64::MAX as u64)?,
            "page" => page = Some(parse_u64(k, v, 1, i64::MAX as u64)?),
            "count" => q.count = parse_bool(k, v)?,
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
            other if UNSUPPORTED_LIST_PARAMS.contains(&other) => {
                return Err(ApiError::invalid(
                    k,
                    "unsupported",
                    "is not supported by this server version yet",
                ))
            }
            _ => {
                return Err(ApiError::invalid(
                    k,
                    "unknown_parameter",
                    "is not a known parameter",
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
        q.offset = (page - 1).saturating_mul(u64::from(q.limit));
    }
    Ok(q)
}

/// List the tenant's clients, newest first.
///
/// Archived clients are left out unless `archived=true|all`. The full query language (search,
/// filters, sort, fields, cursors) is answered with `VALIDATION_ERROR` code `unsupported` until
/// this server implements it.
#[utoipa::path(get, path = "/v1/clients", tag = "clients",
    params(
        ("limit" = Option<u32>, Query, description = "1-100, default 25", minimum = 1, maximum = 100),
        ("offset" = Option<u64>, Query, description = "Rows to skip, default 0"),
        ("page" = Option<u64>, Query, description = "≥ 1; offset = (page − 1) × limit; not with offset", minimum = 1),
        ("archived" = Option<String>, Query, description = "`false` (default), `true` or `all`"),
        ("count" = Option<bool>, Query, description = "`false` skips computing `meta.total`"),
    ),
    responses(
        (status = 200, description = "A page of clients", body = ListEnvelope<Client>),
        (status = 400, description = "Bad parameter", body = ErrorBody),
    ),
    security(("api_key" = ["clients:read"])))]
pub async fn list_clients(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    QueryPairs(pairs): QueryPairs,
) -> Result<Json<ListEnvelope<Client>>, ApiError> {
    let q = parse_list_query(&pairs)?;
    let page = state
        .store
        .list_clients(caller.tenant.id, &q)
        .await
        .map_err(store_err)?;
    Ok(Json(ListEnvelope {
        success: true,
        data: page.items,
        meta: ListMeta {
            total: page.total,
            limit: q.limit,
            offset: q.offset,
            next_cursor: None,
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

fn not_modified(headers: &HeaderMap, version: i64) -> Option<Response> {
    let p = Precondition::from_header(headers, header::IF_NONE_MATCH)?;
    p.matches(version)
        .then(|| (StatusCode::NOT_MODIFIED, [(header::ETAG, etag(version))]).into_response())
}

fn detail(headers: &HeaderMap, c: Client) -> Response {
    if let Some(r) = not_modified(headers, c.version) {
        return r;
    }
    let v = c.version;
    resource(StatusCode::OK, c, v, None)
}

/// Items embedded per kind by `?expand=` (the newest ones).
pub const EXPAND_LIMIT: u32 = 100;

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

/// The client with the requested sub-resource lists embedded under their `expand` keys.
async fn expanded_for(
    state: &AppState,
    tenant: clientele_core::TenantId,
    c: Client,
    kinds: &[SubKind],
) -> Result<Value, ApiError> {
    let mut doc = serde_json::to_value(&c).map_err(ApiError::internal)?;
    for kind in kinds {
        let page = state
            .store
            .list_subs(tenant, *kind, c.id, EXPAND_LIMIT, 0, false)
            .await
            .map_err(store_err)?;
        if let Some(obj) = doc.as_object_mut() {
            obj.insert(
                kind.expand_key().to_string(),
                serde_json::to_value(page.items).map_err(ApiError::internal)?,
            );
        }
    }
    Ok(doc)
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
        return Ok(detail(&headers, c));
    }
    if let Some(r) = not_modified(&headers, c.version) {
        return Ok(r);
    }
    let v = c.version;
    let doc = expanded_for(&state, caller.tenant.id, c, &kinds).await?;
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
    Ok(detail(&headers, c))
}

fn if_match(headers: &HeaderMap) -> Option<i64> {
    Precondition::expected_version(Precondition::from_header(headers, header::IF_MATCH))
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
    check_body_id(&body, Some(id))?;
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
    check_body_id(&patch, Some(id))?;
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
    if let Some(given) = body.get("id").and_then(Value::as_str) {
        let existing = state
            .store
            .get_client_by_external_id(ctx.tenant, &external_id)
            .await;
        if let Ok(c) = existing {
            check_body_id(&serde_json::json!({ "id": given }), Some(c.id))?;
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
