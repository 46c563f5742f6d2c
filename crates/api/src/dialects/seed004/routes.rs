//! The client routes of seed 004: handlers parse the request, map it to the native document or
//! query (`write.rs`, `query.rs`), call `clientele_core::service` as `/v1` does, and answer the
//! bare model (`wire.rs`). Each declares its permission in its `security` requirement.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::{Extension, Json};
use clientele_core::service::{self, NewClientDocs};
use clientele_core::{Caller, WriteCtx};

use super::error::client_error;
use super::input::Seed004ClientInput;
use super::query::parse_client_list;
use super::read::{
    client_etag, client_if_match, client_location, conditional, show, single, Shown,
};
use super::wire::{Seed004Client, Seed004ClientPage, Seed004ListMeta};
use super::write::{client_write, Mode};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{path_uuid, JsonBody, QueryPairs, WriteContext};
use crate::state::AppState;

/// The tag of seed 004's routes in the OpenAPI document.
pub const TAG: &str = "dialect 004";

/// The write context of this dialect: the native one, with the dialects' currency rule
/// (docs/dialects.md, "Currency") for `creditLimit` and `usedLimit`, which carry no currency.
pub(super) fn dialect_ctx(ctx: WriteCtx, caller: &Caller) -> WriteCtx {
    ctx.filling_currency_of(&caller.tenant)
}

/// List the organisation's clients, each with all its contact persons.
///
/// Archived clients are left out. `search`: every word must prefix-match a word of the name,
/// long name, email, external id or a contact person's name or email (case- and
/// accent-insensitive). The enum filters take the UPPER_CASE values; all filters apply
/// together. Without `sortBy` the newest clients come first; ties are broken by id.
#[utoipa::path(get, path = "/master-data/v1/client-management/clients", tag = TAG, operation_id = "seed004_list_clients",
    params(
        ("page" = Option<u64>, Query, description = "≥ 1, default 1", minimum = 1),
        ("limit" = Option<u32>, Query, description = "1-100, default 25", minimum = 1, maximum = 100),
        ("search" = Option<String>, Query, max_length = 120, description = "Free text, ≤ 120 characters"),
        ("status" = Option<String>, Query, pattern = "^(ACTIVE|INACTIVE)$", description = "`ACTIVE` or `INACTIVE`"),
        ("partnerType" = Option<String>, Query, pattern = "^(CITY_COMMUNITY|CONSTRUCTION|INDUSTRY|OTHER|PRIVATE)$", description = "`CITY_COMMUNITY`, `CONSTRUCTION`, `INDUSTRY`, `OTHER` or `PRIVATE`"),
        ("creditworthiness" = Option<String>, Query, pattern = "^(GOOD|MIDDLE|SUBSTANDARD|BAD)$", description = "`GOOD`, `MIDDLE`, `SUBSTANDARD` or `BAD`"),
        ("externalId" = Option<String>, Query, max_length = 128, description = "Exact external id, ≤ 128 characters"),
        ("sortBy" = Option<String>, Query, pattern = "^(name|number|createdAt|updatedAt)$", description = "`name`, `number`, `createdAt` (default) or `updatedAt`"),
        ("sortOrder" = Option<String>, Query, pattern = "^([Aa][Ss][Cc]|[Dd][Ee][Ss][Cc])$", description = "`ASC` or `DESC` (default), in any case"),
    ),
    responses(
        (status = 200, description = "A page of clients", body = Seed004ClientPage),
        (status = 400, description = "A bad or unknown parameter, named in `details`", body = ErrorBody),
    ),
    security(("api_key" = ["clients:read"])))]
pub async fn list_clients(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    QueryPairs(pairs): QueryPairs,
) -> Result<Json<Seed004ClientPage>, ApiError> {
    let req = parse_client_list(&pairs)?;
    let store = state.store.as_ref();
    let tenant = caller.tenant.id;
    let page = service::list_clients(store, tenant, &req.query)
        .await
        .map_err(|e| client_error(e, false))?;
    let total = page.total().unwrap_or(0);
    let mut data = Vec::with_capacity(page.page.items.len());
    for client in &page.page.items {
        let shown = show(store, tenant, client)
            .await
            .map_err(|e| client_error(e, false))?;
        data.push(shown.client);
    }
    Ok(Json(Seed004ClientPage {
        data,
        meta: Seed004ListMeta::new(req.paging.page, req.paging.limit, total),
    }))
}

/// Create a client, with its contact persons.
///
/// `contactPersons` in the body are created with the client, in one transaction (all or
/// nothing); the first becomes the main contact unless another says `isMain`. `creditLimit`
/// and `usedLimit` are in the organisation's default currency. Read-only fields (`id`,
/// `number`, `createdAt`, `updatedAt`) are ignored; `organization` must be absent or the
/// caller's. Unknown fields are refused by name.
#[utoipa::path(post, path = "/master-data/v1/client-management/clients", tag = TAG, operation_id = "seed004_create_client",
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a retry with the same body")),
    request_body(content = Seed004ClientInput, content_type = "application/json",
        description = "The client's fields; `name` is required"),
    responses(
        (status = 201, description = "Created", body = Seed004Client,
            headers(("Location" = String, description = "URL of the new client"), ("ETag" = String))),
        (status = 400, description = "Invalid body; `details` names the fields", body = ErrorBody),
        (status = 409, description = "externalId already taken, or idempotency key conflict", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ),
    security(("api_key" = ["clients:write"])))]
pub async fn create_client(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    WriteContext(ctx): WriteContext,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let w = client_write(&body, Mode::Create, caller.tenant.id.0).map_err(ApiError::validation)?;
    let ctx = dialect_ctx(ctx, &caller);
    let store = state.store.as_ref();
    let err = |e| client_error(e, w.street_from_combined);
    let docs = NewClientDocs {
        contact_persons: w.contact_persons,
        ..NewClientDocs::client(w.doc)
    };
    let created = service::create_client_with_subs(store, &ctx, &docs)
        .await
        .map_err(err)?;
    let etag = client_etag(created.client.version, &created.subs);
    let client = Seed004Client::new(&created.client, ctx.tenant.0, &created.subs);
    let loc = client_location(client.id);
    Ok(single(StatusCode::CREATED, &client, &etag, Some(loc)))
}

/// Get a client, with all its contact persons.
#[utoipa::path(get, path = "/master-data/v1/client-management/clients/{id}", tag = TAG, operation_id = "seed004_get_client",
    params(("id" = uuid::Uuid, Path, description = "Client id (UUID)"),
        ("If-None-Match" = Option<String>, Header, description = "An ETag; 304 when it is current")),
    responses(
        (status = 200, description = "The client", body = Seed004Client, headers(("ETag" = String))),
        (status = 304, description = "Not modified"),
        (status = 400, description = "The id is not a UUID", body = ErrorBody),
        (status = 404, description = "No such client in this organisation", body = ErrorBody),
    ),
    security(("api_key" = ["clients:read"])))]
pub async fn get_client(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = path_uuid("id", &id)?;
    let store = state.store.as_ref();
    let client = service::get_client(store, caller.tenant.id, id)
        .await
        .map_err(|e| client_error(e, false))?;
    let Shown { client, etag } = show(store, caller.tenant.id, &client)
        .await
        .map_err(|e| client_error(e, false))?;
    Ok(conditional(&headers, &client, &etag))
}

/// Get a client by its external id.
#[utoipa::path(get, path = "/master-data/v1/client-management/clients/external-id/{externalId}", tag = TAG, operation_id = "seed004_get_client_by_external_id",
    params(("externalId" = String, Path, min_length = 1, max_length = 128, description = "The caller's own id of the client, 1-128 characters"),
        ("If-None-Match" = Option<String>, Header, description = "An ETag; 304 when it is current")),
    responses(
        (status = 200, description = "The client", body = Seed004Client, headers(("ETag" = String))),
        (status = 304, description = "Not modified"),
        (status = 404, description = "No client has this external id in this organisation", body = ErrorBody),
    ),
    security(("api_key" = ["clients:read"])))]
pub async fn get_client_by_external_id(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(external_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let store = state.store.as_ref();
    let client = service::get_client_by_external_id(store, caller.tenant.id, &external_id)
        .await
        .map_err(|e| client_error(e, false))?;
    let Shown { client, etag } = show(store, caller.tenant.id, &client)
        .await
        .map_err(|e| client_error(e, false))?;
    Ok(conditional(&headers, &client, &etag))
}

/// Update a client: only the fields given change, `null` clears one.
///
/// `streetAndNumber` sets the street and the house number (split before the last word with a
/// digit) unless `street` is given too; `point: null` clears the coordinates. Contact persons
/// are changed through their own routes (`contactPersons` here is refused). `creditLimit` and
/// `usedLimit` keep the client's currency.
#[utoipa::path(patch, path = "/master-data/v1/client-management/clients/{id}", tag = TAG, operation_id = "seed004_patch_client",
    params(("id" = uuid::Uuid, Path, description = "Client id (UUID)"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read; 412 if the client changed since")),
    request_body(content = Seed004ClientInput, content_type = "application/json",
        description = "Any subset of the client's writable fields (`contactPersons` excepted)"),
    responses(
        (status = 200, description = "Updated", body = Seed004Client, headers(("ETag" = String))),
        (status = 400, description = "Invalid body; `details` names the fields", body = ErrorBody),
        (status = 404, description = "No such client", body = ErrorBody),
        (status = 409, description = "externalId already taken", body = ErrorBody),
        (status = 412, description = "If-Match does not match", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ),
    security(("api_key" = ["clients:write"])))]
pub async fn patch_client(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    WriteContext(ctx): WriteContext,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let id = path_uuid("id", &id)?;
    let w = client_write(&body, Mode::Patch, caller.tenant.id.0).map_err(ApiError::validation)?;
    let ctx = dialect_ctx(ctx, &caller);
    let store = state.store.as_ref();
    let err = |e| client_error(e, w.street_from_combined);
    let client = service::patch_client(store, &ctx, id, w.doc, client_if_match(&headers))
        .await
        .map_err(err)?;
    let Shown { client, etag } = show(store, ctx.tenant, &client).await.map_err(err)?;
    Ok(single(StatusCode::OK, &client, &etag, None))
}

/// Delete a client, with its contact persons.
#[utoipa::path(delete, path = "/master-data/v1/client-management/clients/{id}", tag = TAG, operation_id = "seed004_delete_client",
    params(("id" = uuid::Uuid, Path, description = "Client id (UUID)"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read; 412 if the client changed since")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "The id is not a UUID", body = ErrorBody),
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
    let id = path_uuid("id", &id)?;
    service::delete_client(state.store.as_ref(), &ctx, id, client_if_match(&headers))
        .await
        .map_err(|e| client_error(e, false))?;
    Ok(StatusCode::NO_CONTENT)
}
