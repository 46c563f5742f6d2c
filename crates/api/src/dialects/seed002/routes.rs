//! The client routes of seed 002: handlers parse the request, map it to the native document or
//! query (`write.rs`, `query.rs`), call `clientele_core::service` as `/v1` does, and answer
//! `{"client": CLIENT}` or the list page (`wire.rs`). Each declares its permission in its
//! `security` requirement.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::{Extension, Json};
use clientele_core::service::{self, NewClientDocs};
use clientele_core::sub::SubKind;
use clientele_core::Caller;

use super::error::client_error;
use super::input::Seed002ClientInput;
use super::query::parse_client_list;
use super::read::{client_location, primary_locations, show, shown, Shown};
use super::wire::{Seed002Client, Seed002ClientBody, Seed002ClientPage, Seed002ListMeta};
use super::write::{client_create, client_update};
use crate::dialects::{client_if_match, conditional, single};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{JsonBody, QueryPairs, WriteContext};
use crate::state::AppState;

/// The tag of seed 002's routes in the OpenAPI document.
pub const TAG: &str = "dialect 002";

/// A client id of the path: the client's number, a whole number; anything else is 400 naming
/// `client_id`.
pub fn path_number(raw: &str) -> Result<i64, ApiError> {
    raw.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| raw.parse::<i64>().ok())
        .flatten()
        .ok_or_else(|| {
            ApiError::invalid(
                "client_id",
                "invalid_format",
                "must be a client id (a whole number)",
            )
        })
}

fn body(client: Seed002Client) -> Seed002ClientBody {
    Seed002ClientBody { client }
}

/// List clients.
///
/// Each client with its primary location, ordered by id (creation order), oldest first.
/// Archived clients are left out. All filters apply together; the time bounds are inclusive
/// (a date as an upper bound means the whole of that day, UTC).
#[utoipa::path(get, path = "/api/v1/clients", tag = TAG, operation_id = "seed002_list_clients",
    params(
        ("id" = Option<u64>, Query, description = "The client's id"),
        ("name" = Option<String>, Query, max_length = 200, description = "Part of the client's name (case-insensitive)"),
        ("account_code" = Option<String>, Query, max_length = 64, description = "The exact account code"),
        ("salesperson" = Option<u64>, Query, description = "Id of the default salesperson"),
        ("case_manager" = Option<u64>, Query, description = "Id of the default case manager"),
        ("created_from" = Option<String>, Query, format = DateTime, description = "Created on or after (RFC 3339 or a date, UTC)"),
        ("created_to" = Option<String>, Query, format = DateTime, description = "Created on or before (RFC 3339 or a date, UTC)"),
        ("updated_from" = Option<String>, Query, format = DateTime, description = "Updated on or after (RFC 3339 or a date, UTC)"),
        ("updated_to" = Option<String>, Query, format = DateTime, description = "Updated on or before (RFC 3339 or a date, UTC)"),
        ("page" = Option<u64>, Query, description = "≥ 1, default 1", minimum = 1),
        ("per_page" = Option<u32>, Query, description = "1-500, default 100", minimum = 1, maximum = 500),
    ),
    responses(
        (status = 200, description = "A page of clients", body = Seed002ClientPage),
        (status = 400, description = "A bad, repeated or unknown parameter, named in `details`", body = ErrorBody),
    ),
    security(("api_key" = ["clients:read"])))]
pub async fn list_clients(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    QueryPairs(pairs): QueryPairs,
) -> Result<Json<Seed002ClientPage>, ApiError> {
    let req = parse_client_list(&pairs)?;
    let store = state.store.as_ref();
    let tenant = caller.tenant.id;
    let page = service::list_clients(store, tenant, &req.query)
        .await
        .map_err(client_error)?;
    let total = page.total().unwrap_or(0);
    let ids: Vec<_> = page.page.items.iter().map(|c| c.id).collect();
    let primary = primary_locations(store, tenant, &ids)
        .await
        .map_err(client_error)?;
    let clients = page
        .page
        .items
        .iter()
        .map(|c| Seed002Client::new(c, primary.get(&c.id)))
        .collect();
    Ok(Json(Seed002ClientPage {
        clients,
        meta: Seed002ListMeta {
            page: req.page,
            per_page: req.per_page,
            total,
        },
    }))
}

/// Create a client, with its primary location.
///
/// The client and its primary location are created in one transaction (a failure creates
/// nothing); the location's address also becomes the client's address. The fields must be
/// nested under `client`.
#[utoipa::path(post, path = "/api/v1/clients", tag = TAG, operation_id = "seed002_create_client",
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a retry with the same body")),
    request_body(content = Seed002ClientInput, content_type = "application/json",
        description = "`{\"client\": {...}}`; `name` and `primary_location` (with `name`, `state` and `country`) are required"),
    responses(
        (status = 201, description = "Created", body = Seed002ClientBody,
            headers(("Location" = String, description = "URL of the new client"), ("ETag" = String))),
        (status = 400, description = "Invalid body; `details` names the fields (`client`, `primary_location.state`)", body = ErrorBody),
        (status = 409, description = "Idempotency key conflict", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ),
    security(("api_key" = ["clients:write"])))]
pub async fn create_client(
    State(state): State<AppState>,
    WriteContext(ctx): WriteContext,
    JsonBody(body_in): JsonBody,
) -> Result<Response, ApiError> {
    let w = client_create(&body_in).map_err(ApiError::validation)?;
    let docs = NewClientDocs {
        locations: vec![w.location],
        ..NewClientDocs::client(w.client)
    };
    let created = service::create_client_with_subs(state.store.as_ref(), &ctx, &docs)
        .await
        .map_err(client_error)?;
    let primary = created.of_kind(SubKind::Location).next();
    let Shown { client, etag } = shown(&created.client, primary);
    let loc = client_location(client.id);
    Ok(single(StatusCode::CREATED, &body(client), &etag, Some(loc)))
}

/// Get a client, with its primary location.
#[utoipa::path(get, path = "/api/v1/clients/{client_id}", tag = TAG, operation_id = "seed002_get_client",
    params(("client_id" = u64, Path, description = "The client's id (a number)"),
        ("If-None-Match" = Option<String>, Header, description = "An ETag; 304 when it is current")),
    responses(
        (status = 200, description = "The client", body = Seed002ClientBody, headers(("ETag" = String))),
        (status = 304, description = "Not modified"),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 404, description = "No such client in this organisation", body = ErrorBody),
    ),
    security(("api_key" = ["clients:read"])))]
pub async fn get_client(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let number = path_number(&client_id)?;
    let store = state.store.as_ref();
    let client = service::get_client_by_number(store, caller.tenant.id, number)
        .await
        .map_err(client_error)?;
    let Shown { client, etag } = show(store, caller.tenant.id, &client)
        .await
        .map_err(client_error)?;
    Ok(conditional(&headers, &body(client), &etag))
}

/// Update a client: only the fields given change, `null` clears one.
///
/// The fields must be nested under `client`. `primary_location` is refused: a client's
/// locations change through `/v1/clients/{id}/locations`.
#[utoipa::path(put, path = "/api/v1/clients/{client_id}", tag = TAG, operation_id = "seed002_update_client",
    params(("client_id" = u64, Path, description = "The client's id (a number)"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read; 412 if the client changed since")),
    request_body(content = Seed002ClientInput, content_type = "application/json",
        description = "`{\"client\": {...}}` with any subset of the client's fields"),
    responses(
        (status = 200, description = "Updated", body = Seed002ClientBody, headers(("ETag" = String))),
        (status = 400, description = "Invalid body or id; `details` names the fields", body = ErrorBody),
        (status = 404, description = "No such client", body = ErrorBody),
        (status = 412, description = "If-Match does not match", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ),
    security(("api_key" = ["clients:write"])))]
pub async fn update_client(
    State(state): State<AppState>,
    WriteContext(ctx): WriteContext,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    JsonBody(body_in): JsonBody,
) -> Result<Response, ApiError> {
    let number = path_number(&client_id)?;
    let patch = client_update(&body_in, number).map_err(ApiError::validation)?;
    let store = state.store.as_ref();
    let client = service::get_client_by_number(store, ctx.tenant, number)
        .await
        .map_err(client_error)?;
    let client = service::patch_client(store, &ctx, client.id, patch, client_if_match(&headers))
        .await
        .map_err(client_error)?;
    let Shown { client, etag } = show(store, ctx.tenant, &client)
        .await
        .map_err(client_error)?;
    Ok(single(StatusCode::OK, &body(client), &etag, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_id_is_a_whole_number() {
        assert_eq!(path_number("42").expect("ok"), 42);
        assert_eq!(path_number("0").expect("ok"), 0);
        for bad in ["abc", "-1", "+1", "1.0", "", " 1", "99999999999999999999"] {
            let e = path_number(bad).expect_err(bad);
            assert_eq!(e.code, "VALIDATION_ERROR");
            assert_eq!(e.details[0].field, "client_id");
        }
    }
}
