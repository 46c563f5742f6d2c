//! Seed 001's routes: the client list and the client detail. The gate has already required the
//! three headers, both credentials of the `tenant` header's tenant, the permission in both, and
//! spent the seed's own budget; each handler reads its parameters, calls
//! `clientele_core::service` as `/v1` does, and maps the result to the seed's shape with its
//! `Cache-Control` and a content ETag.

use std::collections::HashSet;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::Extension;
use clientele_core::service;
use clientele_core::sub::{SubKind, SubResource};
use clientele_core::{Caller, Store, TenantId};
use uuid::Uuid;

use super::{query, wire};
use crate::dialects::{cached_json, respond, service_error};
use crate::error::{ApiError, ErrorBody};
use crate::extract::QueryPairs;
use crate::state::AppState;

/// The tag of seed 001's routes in the OpenAPI document.
pub const TAG: &str = "dialect 001";
/// The seed's caching: a minute for the list, half a minute for a client.
pub const LIST_CACHE_CONTROL: &str = "private, max-age=60";
pub const DETAIL_CACHE_CONTROL: &str = "private, max-age=30";
/// Accounts read per store call while collecting all of a client's.
const ACCOUNTS_PAGE: u32 = 100;
/// At most this many pages of accounts (a million accounts): a bound on the loop.
const MAX_ACCOUNT_PAGES: u64 = 10_000;

fn failed(e: service::ServiceError) -> ApiError {
    service_error(e, wire::wire_field)
}

/// List clients.
///
/// Needs `Authorization: Bearer <JWT>`, `X-API-Key` and `tenant` (the tenant's name), both
/// credentials of that tenant and both granting `clients:read` (also written
/// `APICLI_CLIENTS_READ`). Rate limit: 10 requests a minute per API key, shared with the
/// detail. Clients in creation order, oldest first; archived clients are left out.
#[utoipa::path(get, path = "/apidev/v1/clients", tag = TAG, operation_id = "seed001_list_clients",
    params(
        ("status" = Option<String>, Query, max_length = 10, description = "`A` (active) or `I` (inactive); any other value matches nothing. Max length 10"),
        ("search" = Option<String>, Query, max_length = 120, description = "Free text, max length 120: every word must prefix-match a word of the name, business name, e-mail, document, tax id, external code or account code; case- and accent-insensitive"),
        ("limit" = Option<u32>, Query, description = "Records per page, 1-100, default 25", minimum = 1, maximum = 100),
        ("offset" = Option<u64>, Query, description = "Records to skip, default 0", minimum = 0),
    ),
    responses(
        (status = 200, description = "A page of clients", body = wire::ListBody,
            headers(("ETag" = String, description = "A hash of the body"),
                ("Cache-Control" = String, description = "`private, max-age=60`"),
                ("RateLimit-Limit" = u32, description = "10"))),
        (status = 304, description = "Not modified: `If-None-Match` names the current page"),
        (status = 400, description = "`BAD_REQUEST`: a required header is missing; `VALIDATION_ERROR`: a parameter is unknown, repeated or invalid", body = ErrorBody),
        (status = 405, description = "Any method but GET (`Allow: GET`)", body = ErrorBody),
        (status = 429, description = "`RATE_LIMITED`: over 10 requests a minute for this API key on the list and the detail together; `Retry-After` says when to retry", body = ErrorBody),
    ),
    security(("api_key" = ["clients:read"], "bearer" = ["clients:read"], "tenant" = [])))]
pub async fn list_clients(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    respond(
        async {
            let QueryPairs(pairs) = QueryPairs::parse(uri.query().unwrap_or(""))?;
            let q = query::parse(&pairs)?;
            let page = service::list_clients(state.store.as_ref(), caller.tenant.id, &q)
                .await
                .map_err(failed)?;
            let body = wire::ListBody {
                success: true,
                meta: wire::ListMeta {
                    total: page.total().unwrap_or(0),
                    limit: q.limit,
                    offset: q.offset,
                },
                data: page.page.items.iter().map(wire::item).collect(),
            };
            cached_json(&headers, &body, LIST_CACHE_CONTROL)
        }
        .await,
    )
}

/// Get a client.
///
/// The list fields plus mobile, notes, the address, `country_id` (the ISO country code),
/// `department_id` (the region) and every account of the client. Same headers, permission and
/// budget as the list. Archived clients answer too.
#[utoipa::path(get, path = "/apidev/v1/clients/{id}", tag = TAG, operation_id = "seed001_get_client",
    params(
        ("id" = uuid::Uuid, Path, description = "Client unique identifier"),
    ),
    responses(
        (status = 200, description = "The client", body = wire::DetailBody,
            headers(("ETag" = String, description = "A hash of the body"),
                ("Cache-Control" = String, description = "`private, max-age=30`"),
                ("RateLimit-Limit" = u32, description = "10"))),
        (status = 304, description = "Not modified: `If-None-Match` names the current client"),
        (status = 400, description = "`BAD_REQUEST`: a required header is missing", body = ErrorBody),
        (status = 404, description = "`NOT_FOUND`: no client with this id in the tenant", body = ErrorBody),
        (status = 405, description = "Any method but GET (`Allow: GET`)", body = ErrorBody),
        (status = 429, description = "`RATE_LIMITED`: over 10 requests a minute for this API key on the list and the detail together; `Retry-After` says when to retry", body = ErrorBody),
    ),
    security(("api_key" = ["clients:read"], "bearer" = ["clients:read"], "tenant" = [])))]
pub async fn get_client(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    respond(
        async {
            // The seed's ids are opaque strings: one that is not ours names no client.
            let id = Uuid::parse_str(&id).map_err(|_| ApiError::not_found("No such client"))?;
            let store = state.store.as_ref();
            let client = service::get_client(store, caller.tenant.id, id)
                .await
                .map_err(failed)?;
            let accounts = all_accounts(store, caller.tenant.id, id).await?;
            let body = wire::DetailBody {
                success: true,
                data: wire::detail(&client, &accounts),
                meta: wire::EmptyMeta {},
            };
            cached_json(&headers, &body, DETAIL_CACHE_CONTROL)
        }
        .await,
    )
}

/// Every account of a client, oldest first (the service lists newest first, a page at a time).
async fn all_accounts(
    store: &dyn Store,
    tenant: TenantId,
    client: Uuid,
) -> Result<Vec<SubResource>, ApiError> {
    let mut out: Vec<SubResource> = Vec::new();
    let mut seen = HashSet::new();
    for n in 0..MAX_ACCOUNT_PAGES {
        let offset = n * u64::from(ACCOUNTS_PAGE);
        let page = service::list_subs(
            store,
            tenant,
            SubKind::Account,
            client,
            ACCOUNTS_PAGE,
            offset,
            false,
        )
        .await
        .map_err(failed)?;
        let full = page.items.len() == ACCOUNTS_PAGE as usize;
        // An account added between two pages shifts the later ones: skip what was seen.
        out.extend(page.items.into_iter().filter(|a| seen.insert(a.id)));
        if !full {
            break;
        }
    }
    out.reverse();
    Ok(out)
}
