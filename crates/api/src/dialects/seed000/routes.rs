//! Seed 000's routes: the client list and the client profile, read-only. Each handler reads its
//! parameters, calls `clientele_core::service` as `/v1` does, and maps the result to the seed's
//! shape with its `Cache-Control` and a content ETag (`304` for a matching `If-None-Match`).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::Extension;
use clientele_core::service;
use clientele_core::sub::{ContactPersonData, SubData, SubKind};
use clientele_core::{Caller, Store, TenantId};
use uuid::Uuid;

use super::{query, wire};
use crate::dialects::{cached_json, respond, service_error};
use crate::error::{ApiError, ErrorBody};
use crate::extract::QueryPairs;
use crate::state::AppState;

/// The tag of seed 000's routes in the OpenAPI document.
pub const TAG: &str = "dialect 000";
/// Both answers may be kept by the caller (not by shared caches) for five minutes.
pub const CACHE_CONTROL: &str = "private, max-age=300";

fn failed(e: service::ServiceError) -> ApiError {
    service_error(e, wire::wire_field)
}

/// List clients.
///
/// The ESSENTIAL fields of each client, ordered by `updated_at` then `id`, oldest first: to
/// synchronise, pass the newest `updated_at` already seen as `updated_since` (inclusive, so a
/// client changed at that very instant is sent again rather than missed). Archived clients are
/// left out. Any other parameter is refused (400 naming it).
#[utoipa::path(get, path = "/api/1.0/clients", tag = TAG, operation_id = "seed000_list_clients",
    params(
        ("limit" = Option<u32>, Query, description = "Clients per page, 1-100, default 25", minimum = 1, maximum = 100),
        ("page" = Option<u64>, Query, description = "Page, ≥ 1, default 1", minimum = 1),
        ("updated_since" = Option<String>, Query, format = DateTime, description = "Only clients with `updated_at` ≥ this (RFC 3339, or a date = its midnight UTC)"),
        ("search" = Option<String>, Query, max_length = 120, description = "Free text, ≤ 120 characters: every word must prefix-match a word of the name, legal name, e-mail, org number, tax id, external id or account code; case- and accent-insensitive"),
        ("If-None-Match" = Option<String>, Header, description = "An ETag of this list; 304 when the page is unchanged"),
    ),
    responses(
        (status = 200, description = "A page of clients", body = wire::ListBody,
            headers(("ETag" = String, description = "A hash of the body"),
                ("Cache-Control" = String, description = "`private, max-age=300`"))),
        (status = 304, description = "Not modified: `If-None-Match` names the current page"),
        (status = 400, description = "A parameter is unknown, repeated or invalid (`VALIDATION_ERROR` naming it)", body = ErrorBody),
        (status = 405, description = "Any method but GET (`Allow: GET`)", body = ErrorBody),
    ),
    security(("api_key" = ["clients:read"])))]
pub async fn list_clients(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    respond(
        async {
            let QueryPairs(pairs) = QueryPairs::parse(uri.query().unwrap_or(""))?;
            let req = query::parse(&pairs)?;
            let page = service::list_clients(state.store.as_ref(), caller.tenant.id, &req.query)
                .await
                .map_err(failed)?;
            let total = page.total().unwrap_or(0);
            let body = wire::ListBody {
                data: page.page.items.iter().map(wire::item).collect(),
                pagination: wire::pagination(req.page, req.query.limit, total),
            };
            cached_json(&headers, &body, CACHE_CONTROL)
        }
        .await,
    )
}
/// Get a client.
///
/// The FULL profile: the list fields, credit metadata and the contact (the main contact
/// person; without one, the client's own e-mail and phone with a null name). Archived clients
/// answer too.
#[utoipa::path(get, path = "/api/1.0/clients/{id}", tag = TAG, operation_id = "seed000_get_client",
    params(
        ("id" = uuid::Uuid, Path, description = "The client's id (a UUID, as the list gives it)"),
        ("If-None-Match" = Option<String>, Header, description = "An ETag of this client; 304 when unchanged"),
    ),
    responses(
        (status = 200, description = "The client", body = wire::DetailBody,
            headers(("ETag" = String, description = "A hash of the body"),
                ("Cache-Control" = String, description = "`private, max-age=300`"))),
        (status = 304, description = "Not modified: `If-None-Match` names the current profile"),
        (status = 400, description = "The id is not a UUID (`VALIDATION_ERROR` naming `id`)", body = ErrorBody),
        (status = 404, description = "No such client in this tenant", body = ErrorBody),
        (status = 405, description = "Any method but GET (`Allow: GET`)", body = ErrorBody),
    ),
    security(("api_key" = ["clients:read"])))]
pub async fn get_client(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    respond(
        async {
            let id = crate::extract::path_uuid("id", &id)?;
            let store = state.store.as_ref();
            let client = service::get_client(store, caller.tenant.id, id)
                .await
                .map_err(failed)?;
            let main = main_contact(store, caller.tenant.id, id).await?;
            let body = wire::DetailBody {
                data: wire::profile(&client, main.as_ref()),
            };
            cached_json(&headers, &body, CACHE_CONTROL)
        }
        .await,
    )
}

/// The client's main contact person, if it has one.
async fn main_contact(
    store: &dyn Store,
    tenant: TenantId,
    client: Uuid,
) -> Result<Option<ContactPersonData>, ApiError> {
    let mut flagged = service::flagged_subs(store, tenant, SubKind::ContactPerson, &[client])
        .await
        .map_err(failed)?;
    Ok(flagged.remove(&client).and_then(|s| match s.data {
        SubData::ContactPerson(p) => Some(p),
        _ => None,
    }))
}
