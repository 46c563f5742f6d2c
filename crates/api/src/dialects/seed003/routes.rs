//! The routes of seed 003: handlers parse the request, map it to the native document or query
//! (`write.rs`, `query.rs`), call `clientele_core::service` as `/v1` does, and answer the
//! seed's shapes (`wire.rs`). Each declares its permission in its `security` requirement,
//! under `bearer` alone: a JWT is the only credential here.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use clientele_core::service::{self, ClientDetail, Read, ServiceError};
use clientele_core::{Caller, Client, ClientKind, WriteCtx};
use serde_json::Value;

use super::input::Seed003ClientInput;
use super::query::parse_client_list;
use super::wire::{select, Seed003Audit, Seed003Client};
use super::write::{client_field_name, client_write, Mode};
use crate::dialects::{method_not_allowed, service_error};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{
    etag, if_match, if_none_match, path_uuid, JsonBody, QueryPairs, WriteContext,
};
use crate::state::AppState;

/// The tag of seed 003's routes in the OpenAPI document.
pub const TAG: &str = "dialect 003";

/// The methods `/clients` serves.
pub const COLLECTION_ALLOW: &str = "GET, POST";

fn client_error(e: ServiceError) -> ApiError {
    service_error(e, client_field_name)
}

/// The URL of a client, for `Location`.
pub fn client_location(id: uuid::Uuid) -> String {
    format!("/clients/{id}")
}

/// The audit record of a write: 200 with the client's `ETag` (and `Location` for a create).
pub fn audit(client: &Client, location: bool) -> Response {
    let mut res = (StatusCode::OK, Json(Seed003Audit::of(client))).into_response();
    res.headers_mut().insert(header::ETAG, etag(client.version));
    if location {
        if let Ok(v) = HeaderValue::from_str(&client_location(client.id)) {
            res.headers_mut().insert(header::LOCATION, v);
        }
    }
    res
}

/// The write context of this dialect: the native one, with the dialects' currency rule
/// (docs/dialects.md, "Currency") for `totalIncome` and `totalDebtPayments`, which carry no
/// currency.
fn dialect_ctx(ctx: WriteCtx, caller: &Caller) -> WriteCtx {
    ctx.filling_currency_of(&caller.tenant)
}

/// Gets clients, by owner, free text or an OData query.
///
/// Archived clients are included (filter on `isArchived`). `searchText`: every word must
/// prefix-match a word of the name, first or last name, email, external id (case- and
/// accent-insensitive). `$filter`: `eq ne gt ge lt le`, `and or not`, parentheses,
/// `contains`/`startswith`/`endswith(property,'text')`, `null`, `true`/`false`, numbers,
/// 'strings' (`''` for a quote), date-times and dates, GUIDs quoted or bare, and `in (...)`;
/// property names as in the model (`loginToken` excepted); a comparison with a null property is
/// false. `$orderby`: `lastName desc,firstName`; nulls sort first ascending. Without it the
/// order is creation order, oldest first. The body is a bare JSON array.
#[utoipa::path(get, path = "/clients", tag = TAG, operation_id = "seed003_list_clients",
    params(
        ("ownerId" = Option<String>, Query, format = Uuid, pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", description = "The owner's id (UUID)"),
        ("searchText" = Option<String>, Query, max_length = 120, description = "Free text, ≤ 120 characters"),
        ("$filter" = Option<String>, Query, description = "OData filter, e.g. `isArchived eq false and fico ge 700 and contains(lastName,'Do')`; a syntax error is 400 naming `$filter` and the position"),
        ("$select" = Option<String>, Query, description = "Comma list of properties to return, e.g. `id,firstName,lastName`"),
        ("$orderby" = Option<String>, Query, description = "Comma list of properties, each optionally `asc` or `desc`, e.g. `lastName desc,firstName`"),
        ("$skip" = Option<u64>, Query, description = "Results to skip, ≥ 0, default 0", minimum = 0),
        ("$top" = Option<u32>, Query, description = "Results to return, 1-1000, default 50", minimum = 1, maximum = 1000),
    ),
    responses(
        (status = 200, description = "Success", body = Vec<Seed003Client>),
        (status = 400, description = "A bad or unsupported parameter, named in `details` (`$filter` errors give the position)", body = ErrorBody),
    ),
    security(("bearer" = ["clients:read"])))]
pub async fn list_clients(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    QueryPairs(pairs): QueryPairs,
) -> Result<Json<Vec<Value>>, ApiError> {
    let req = parse_client_list(&pairs)?;
    let page = service::list_clients(state.store.as_ref(), caller.tenant.id, &req.query)
        .await
        .map_err(client_error)?;
    let mut out = Vec::with_capacity(page.page.items.len());
    for client in &page.page.items {
        let v = serde_json::to_value(Seed003Client::new(client)).map_err(ApiError::internal)?;
        out.push(match &req.select {
            Some(props) => select(v, props),
            None => v,
        });
    }
    Ok(Json(out))
}

/// Creates a client: a person.
///
/// `email` (matching `[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}`), `firstName` and
/// `lastName` are required. `totalIncome` and `totalDebtPayments` are in the organisation's
/// default currency. Read-only fields (`id`, `createdOn`, `updatedOn`) are ignored; unknown
/// fields are refused by name.
#[utoipa::path(post, path = "/clients", tag = TAG, operation_id = "seed003_create_client",
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a retry with the same body")),
    request_body(content = Seed003ClientInput, content_type = "application/json",
        description = "The client; `email`, `firstName` and `lastName` are required"),
    responses(
        (status = 200, description = "Success", body = Seed003Audit,
            headers(("Location" = String, description = "URL of the new client"), ("ETag" = String))),
        (status = 400, description = "Invalid body; `details` names the fields", body = ErrorBody),
        (status = 409, description = "externalId already taken, or idempotency key conflict", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ),
    security(("bearer" = ["clients:write"])))]
pub async fn create_client(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    WriteContext(ctx): WriteContext,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let doc = client_write(&body, Mode::Create).map_err(ApiError::validation)?;
    let ctx = dialect_ctx(ctx, &caller);
    let client = service::create_client(state.store.as_ref(), &ctx, &doc)
        .await
        .map_err(client_error)?;
    Ok(audit(&client, true))
}

/// Delete all clients: not supported.
#[utoipa::path(delete, path = "/clients", tag = TAG, operation_id = "seed003_delete_all_clients",
    responses(
        (status = 405, description = "Operation is not currently supported on this resource", body = ErrorBody,
            headers(("Allow" = String, description = "GET, POST"))),
    ),
    security(("bearer" = [])))]
pub async fn delete_all_clients() -> Response {
    method_not_allowed(HeaderValue::from_static(COLLECTION_ALLOW))
}

/// Gets a client by id.
#[utoipa::path(get, path = "/clients/{id}", tag = TAG, operation_id = "seed003_get_client",
    params(("id" = String, Path, format = Uuid, description = "GUID of client to read"),
        ("If-None-Match" = Option<String>, Header, description = "An ETag; 304 when it is current")),
    responses(
        (status = 200, description = "Client with Id found", body = Seed003Client, headers(("ETag" = String))),
        (status = 304, description = "Not modified"),
        (status = 400, description = "The id is not a UUID", body = ErrorBody),
        (status = 404, description = "No such client in this organisation", body = ErrorBody),
    ),
    security(("bearer" = ["clients:read"])))]
pub async fn get_client(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = path_uuid("id", &id)?;
    let read = service::get_client_detail(
        state.store.as_ref(),
        caller.tenant.id,
        id,
        &[],
        if_none_match(&headers),
    )
    .await
    .map_err(client_error)?;
    Ok(match read {
        Read::NotModified { version } => {
            (StatusCode::NOT_MODIFIED, [(header::ETAG, etag(version))]).into_response()
        }
        Read::Current(ClientDetail { client, .. }) => (
            [(header::ETAG, etag(client.version))],
            Json(Seed003Client::new(&client)),
        )
            .into_response(),
    })
}

/// Replaces a client.
///
/// Every field of the model is replaced: one left out is cleared (`isSilenced`, `isArchived`
/// become false). Fields of the client this model does not show (its name for an
/// organisation, address, credit limit and currency, other metadata) are kept.
/// `email`, `firstName` and `lastName` are required.
#[utoipa::path(put, path = "/clients/{id}", tag = TAG, operation_id = "seed003_replace_client",
    params(("id" = String, Path, format = Uuid, description = "Client id"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read; 412 if the client changed since")),
    request_body(content = Seed003ClientInput, content_type = "application/json",
        description = "The client; `email`, `firstName` and `lastName` are required"),
    responses(
        (status = 200, description = "Success", body = Seed003Audit, headers(("ETag" = String))),
        (status = 400, description = "Invalid body; `details` names the fields", body = ErrorBody),
        (status = 404, description = "No such client", body = ErrorBody),
        (status = 409, description = "externalId already taken", body = ErrorBody),
        (status = 412, description = "If-Match does not match", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ),
    security(("bearer" = ["clients:write"])))]
pub async fn replace_client(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    WriteContext(ctx): WriteContext,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    write(state, caller, ctx, id, headers, body, Mode::Replace).await
}

/// Updates a client: only the fields given change, `null` clears one.
#[utoipa::path(patch, path = "/clients/{id}", tag = TAG, operation_id = "seed003_patch_client",
    params(("id" = String, Path, format = Uuid, description = "Client id"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read; 412 if the client changed since")),
    request_body(content = Seed003ClientInput, content_type = "application/json",
        description = "Any subset of the client's fields"),
    responses(
        (status = 200, description = "Success", body = Seed003Audit, headers(("ETag" = String))),
        (status = 400, description = "Invalid body; `details` names the fields", body = ErrorBody),
        (status = 404, description = "No such client", body = ErrorBody),
        (status = 409, description = "externalId already taken", body = ErrorBody),
        (status = 412, description = "If-Match does not match", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ),
    security(("bearer" = ["clients:write"])))]
pub async fn patch_client(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    WriteContext(ctx): WriteContext,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    write(state, caller, ctx, id, headers, body, Mode::Patch).await
}

/// `PUT` and `PATCH`: the body as a merge patch of the native client, in one transaction.
async fn write(
    state: AppState,
    caller: Caller,
    ctx: WriteCtx,
    id: String,
    headers: HeaderMap,
    body: Value,
    mode: Mode,
) -> Result<Response, ApiError> {
    let id = path_uuid("id", &id)?;
    let mut doc = client_write(&body, mode).map_err(ApiError::validation)?;
    let ctx = dialect_ctx(ctx, &caller);
    let store = state.store.as_ref();
    if renames_person(&body) {
        // A person whose name is still the one derived from its first and last name keeps it
        // derived: `name: null` in the merge patch lets the core derive it again.
        let current = service::get_client(store, ctx.tenant, id)
            .await
            .map_err(client_error)?;
        if has_derived_name(&current) {
            if let Some(obj) = doc.as_object_mut() {
                obj.insert("name".into(), Value::Null);
            }
        }
    }
    let client = service::patch_client(store, &ctx, id, doc, if_match(&headers))
        .await
        .map_err(client_error)?;
    Ok(audit(&client, false))
}

/// Whether a body writes a first or last name.
fn renames_person(body: &Value) -> bool {
    ["firstName", "lastName"]
        .iter()
        .any(|k| body.get(*k).is_some_and(Value::is_string))
}

/// Whether a client is a person whose name is its first and last name joined, as the core
/// derives it when a person is created without a name (as here).
fn has_derived_name(c: &Client) -> bool {
    let d = &c.data;
    let joined = [d.first_name.as_deref(), d.last_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    d.kind == ClientKind::Person && d.name == joined
}

/// Deletes a client by id, with its contact persons, locations and accounts.
#[utoipa::path(delete, path = "/clients/{id}", tag = TAG, operation_id = "seed003_delete_client",
    params(("id" = String, Path, format = Uuid, description = "Client GUID"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read; 412 if the client changed since")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "The id is not a UUID", body = ErrorBody),
        (status = 404, description = "No such client", body = ErrorBody),
        (status = 412, description = "If-Match does not match", body = ErrorBody),
    ),
    security(("bearer" = ["clients:delete"])))]
pub async fn delete_client(
    State(state): State<AppState>,
    WriteContext(ctx): WriteContext,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let id = path_uuid("id", &id)?;
    service::delete_client(state.store.as_ref(), &ctx, id, if_match(&headers))
        .await
        .map_err(client_error)?;
    Ok(StatusCode::NO_CONTENT)
}
