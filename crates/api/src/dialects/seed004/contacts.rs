//! The contact-person routes of seed 004, under `/clients/{clientId}/contact-persons`. One main
//! contact per client, by the native rules: the first contact becomes main, a new main takes
//! the flag from the old one, deleting the main hands it to the oldest remaining contact.
//! Permissions follow the client's.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::{Extension, Json};
use clientele_core::service;
use clientele_core::sub::{SubKind, SubResource};
use clientele_core::Caller;
use uuid::Uuid;

use super::error::contact_error;
use super::input::Seed004ContactPersonInput;
use super::query::parse_contact_list;
use super::read::{conditional, contact_location, single};
use super::routes::TAG;
use super::wire::{Seed004ContactPerson, Seed004ContactPersonPage, Seed004ListMeta};
use super::write::{contact_patch, contact_write};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{if_match, path_uuid, JsonBody, QueryPairs, WriteContext};
use crate::state::AppState;

const KIND: SubKind = SubKind::ContactPerson;

/// The client id (`clientId`) and contact id (`id`) of the path; one that is not a UUID → 400
/// naming it.
fn ids(client_id: &str, id: &str) -> Result<(Uuid, Uuid), ApiError> {
    Ok((path_uuid("clientId", client_id)?, path_uuid("id", id)?))
}

/// The contact person as shown here, with its (native) ETag.
fn shown(s: &SubResource) -> Result<(Seed004ContactPerson, String), ApiError> {
    let c = Seed004ContactPerson::from_sub(s)
        .ok_or_else(|| ApiError::internal("a contact-person route read another kind"))?;
    Ok((c, format!("\"{}\"", s.version)))
}

/// List a client's contact persons, newest first.
#[utoipa::path(get, path = "/master-data/v1/client-management/clients/{clientId}/contact-persons", tag = TAG, operation_id = "seed004_list_contact_persons",
    params(("clientId" = uuid::Uuid, Path, description = "Client id (UUID)"),
        ("page" = Option<u64>, Query, description = "≥ 1, default 1", minimum = 1),
        ("limit" = Option<u32>, Query, description = "1-100, default 25", minimum = 1, maximum = 100)),
    responses(
        (status = 200, description = "A page of contact persons", body = Seed004ContactPersonPage),
        (status = 400, description = "A bad or unknown parameter, or a client id that is not a UUID", body = ErrorBody),
        (status = 404, description = "No such client", body = ErrorBody),
    ),
    security(("api_key" = ["clients:read"])))]
pub async fn list_contact_persons(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(client_id): Path<String>,
    QueryPairs(pairs): QueryPairs,
) -> Result<Json<Seed004ContactPersonPage>, ApiError> {
    let client_id = path_uuid("clientId", &client_id)?;
    let paging = parse_contact_list(&pairs)?;
    let page = service::list_subs(
        state.store.as_ref(),
        caller.tenant.id,
        KIND,
        client_id,
        paging.limit,
        paging.offset(),
        true,
    )
    .await
    .map_err(contact_error)?;
    Ok(Json(Seed004ContactPersonPage {
        data: page
            .items
            .iter()
            .filter_map(Seed004ContactPerson::from_sub)
            .collect(),
        meta: Seed004ListMeta::new(paging.page, paging.limit, page.total.unwrap_or(0)),
    }))
}

/// Create a contact person of a client.
///
/// `isMain: true` makes it the main contact (the previous main loses the flag); the client's
/// first contact becomes main either way. `clientId` in the body must be absent or the path's.
#[utoipa::path(post, path = "/master-data/v1/client-management/clients/{clientId}/contact-persons", tag = TAG, operation_id = "seed004_create_contact_person",
    params(("clientId" = uuid::Uuid, Path, description = "Client id (UUID)"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a retry with the same body")),
    request_body(content = Seed004ContactPersonInput, content_type = "application/json",
        description = "The contact's fields; `name` is required"),
    responses(
        (status = 201, description = "Created", body = Seed004ContactPerson,
            headers(("Location" = String), ("ETag" = String))),
        (status = 400, description = "Invalid body; `details` names the fields", body = ErrorBody),
        (status = 404, description = "No such client", body = ErrorBody),
        (status = 409, description = "externalId taken within the client, or idempotency key conflict", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ),
    security(("api_key" = ["clients:write"])))]
pub async fn create_contact_person(
    State(state): State<AppState>,
    WriteContext(ctx): WriteContext,
    Path(client_id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let client_id = path_uuid("clientId", &client_id)?;
    let doc = contact_write(&body, "", Some(client_id)).map_err(ApiError::validation)?;
    let s = service::create_sub(state.store.as_ref(), &ctx, KIND, client_id, &doc)
        .await
        .map_err(contact_error)?;
    let (c, etag) = shown(&s)?;
    let loc = contact_location(client_id, s.id);
    Ok(single(StatusCode::CREATED, &c, &etag, Some(loc)))
}

/// Get a contact person.
#[utoipa::path(get, path = "/master-data/v1/client-management/clients/{clientId}/contact-persons/{id}", tag = TAG, operation_id = "seed004_get_contact_person",
    params(("clientId" = uuid::Uuid, Path, description = "Client id (UUID)"),
        ("id" = uuid::Uuid, Path, description = "Contact person id (UUID)"),
        ("If-None-Match" = Option<String>, Header, description = "An ETag; 304 when it is current")),
    responses(
        (status = 200, description = "The contact person", body = Seed004ContactPerson, headers(("ETag" = String))),
        (status = 304, description = "Not modified"),
        (status = 400, description = "An id is not a UUID", body = ErrorBody),
        (status = 404, description = "No such contact person of this client", body = ErrorBody),
    ),
    security(("api_key" = ["clients:read"])))]
pub async fn get_contact_person(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((client_id, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (client_id, id) = ids(&client_id, &id)?;
    let s = service::get_sub(state.store.as_ref(), caller.tenant.id, KIND, client_id, id)
        .await
        .map_err(contact_error)?;
    let (c, etag) = shown(&s)?;
    Ok(conditional(&headers, &c, &etag))
}

/// Get a contact person by its external id (unique within the client).
#[utoipa::path(get, path = "/master-data/v1/client-management/clients/{clientId}/contact-persons/external-id/{externalId}", tag = TAG, operation_id = "seed004_get_contact_person_by_external_id",
    params(("clientId" = uuid::Uuid, Path, description = "Client id (UUID)"),
        ("externalId" = String, Path, min_length = 1, max_length = 128, description = "The caller's own id of the contact person, 1-128 characters"),
        ("If-None-Match" = Option<String>, Header, description = "An ETag; 304 when it is current")),
    responses(
        (status = 200, description = "The contact person", body = Seed004ContactPerson, headers(("ETag" = String))),
        (status = 304, description = "Not modified"),
        (status = 404, description = "No such client, or no contact of it has this external id", body = ErrorBody),
    ),
    security(("api_key" = ["clients:read"])))]
pub async fn get_contact_person_by_external_id(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((client_id, external_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let client_id = path_uuid("clientId", &client_id)?;
    let s = service::get_sub_by_external_id(
        state.store.as_ref(),
        caller.tenant.id,
        KIND,
        client_id,
        &external_id,
    )
    .await
    .map_err(contact_error)?;
    let (c, etag) = shown(&s)?;
    Ok(conditional(&headers, &c, &etag))
}

/// Update a contact person: only the fields given change, `null` clears one.
///
/// `isMain: true` makes it the main contact (the previous main loses the flag); `isMain:
/// false` changes nothing, since a client always has exactly one main contact (make another
/// one main instead).
#[utoipa::path(patch, path = "/master-data/v1/client-management/clients/{clientId}/contact-persons/{id}", tag = TAG, operation_id = "seed004_patch_contact_person",
    params(("clientId" = uuid::Uuid, Path, description = "Client id (UUID)"),
        ("id" = uuid::Uuid, Path, description = "Contact person id (UUID)"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read; 412 if it changed since")),
    request_body(content = Seed004ContactPersonInput, content_type = "application/json",
        description = "Any subset of the contact's writable fields"),
    responses(
        (status = 200, description = "Updated", body = Seed004ContactPerson, headers(("ETag" = String))),
        (status = 400, description = "Invalid body; `details` names the fields", body = ErrorBody),
        (status = 404, description = "No such contact person of this client", body = ErrorBody),
        (status = 409, description = "externalId taken within the client", body = ErrorBody),
        (status = 412, description = "If-Match does not match", body = ErrorBody),
    ),
    security(("api_key" = ["clients:write"])))]
pub async fn patch_contact_person(
    State(state): State<AppState>,
    WriteContext(ctx): WriteContext,
    Path((client_id, id)): Path<(String, String)>,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let (client_id, id) = ids(&client_id, &id)?;
    let doc = contact_patch(&body, client_id).map_err(ApiError::validation)?;
    let s = service::patch_sub(
        state.store.as_ref(),
        &ctx,
        KIND,
        client_id,
        id,
        doc,
        if_match(&headers),
    )
    .await
    .map_err(contact_error)?;
    let (c, etag) = shown(&s)?;
    Ok(single(StatusCode::OK, &c, &etag, None))
}

/// Delete a contact person. Deleting the main contact hands the flag to the oldest remaining
/// contact of the client.
#[utoipa::path(delete, path = "/master-data/v1/client-management/clients/{clientId}/contact-persons/{id}", tag = TAG, operation_id = "seed004_delete_contact_person",
    params(("clientId" = uuid::Uuid, Path, description = "Client id (UUID)"),
        ("id" = uuid::Uuid, Path, description = "Contact person id (UUID)"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read; 412 if it changed since")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such contact person of this client", body = ErrorBody),
        (status = 412, description = "If-Match does not match", body = ErrorBody),
    ),
    security(("api_key" = ["clients:delete"])))]
pub async fn delete_contact_person(
    State(state): State<AppState>,
    WriteContext(ctx): WriteContext,
    Path((client_id, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let (client_id, id) = ids(&client_id, &id)?;
    service::delete_sub(
        state.store.as_ref(),
        &ctx,
        KIND,
        client_id,
        id,
        if_match(&headers),
    )
    .await
    .map_err(contact_error)?;
    Ok(StatusCode::NO_CONTENT)
}
