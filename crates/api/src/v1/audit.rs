//! The audit trail: a client's history and the tenant-wide change feed.

use axum::extract::{Path, State};
use axum::{Extension, Json};
use clientele_core::audit::AuditRecord;
use clientele_core::store::AuditPage;
use clientele_core::Caller;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::QueryPairs;
use crate::state::AppState;

/// `meta` of audit lists.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditMeta {
    pub limit: u32,
    /// Pass as `cursor` for the next page; `null` when no more records follow now.
    pub next_cursor: Option<String>,
    /// Position after the last record returned (or the given cursor when the page is empty):
    /// poll `GET /v1/events?cursor=<last_cursor>` to receive only newer changes.
    pub last_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEnvelope {
    pub success: bool,
    pub data: Vec<AuditRecord>,
    pub meta: AuditMeta,
}

/// Cursors are opaque to callers; inside they are a feed position.
fn encode_cursor(seq: i64) -> String {
    format!("a{seq:x}")
}

fn decode_cursor(s: &str) -> Result<i64, ApiError> {
    s.strip_prefix('a')
        .and_then(|h| i64::from_str_radix(h, 16).ok())
        .filter(|n| *n >= 0)
        .ok_or_else(|| {
            ApiError::invalid("cursor", "invalid_format", "is not a cursor from this API")
        })
}

struct Paging {
    limit: u32,
    cursor: Option<i64>,
}

fn parse_paging(pairs: &[(String, String)]) -> Result<Paging, ApiError> {
    let mut p = Paging {
        limit: 25,
        cursor: None,
    };
    for (k, v) in pairs {
        match k.as_str() {
            "limit" => {
                p.limit = v
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=100).contains(n))
                    .ok_or_else(|| {
                        ApiError::invalid(
                            "limit",
                            "out_of_range",
                            "must be an integer between 1 and 100",
                        )
                    })?
            }
            "cursor" => p.cursor = Some(decode_cursor(v)?),
            _ => {
                return Err(ApiError::invalid(
                    k,
                    "unknown_parameter",
                    "is not a known parameter",
                ))
            }
        }
    }
    Ok(p)
}

fn envelope(page: AuditPage, limit: u32, given: Option<i64>) -> Json<AuditEnvelope> {
    let last = page.last_seq.or(given);
    Json(AuditEnvelope {
        success: true,
        meta: AuditMeta {
            limit,
            next_cursor: page
                .has_more
                .then(|| page.last_seq.map(encode_cursor))
                .flatten(),
            last_cursor: last.map(encode_cursor),
        },
        data: page.records,
    })
}

/// A client's audit records, newest first.
///
/// Includes changes to its contact persons, locations and accounts. Stays readable after the
/// client is deleted; an id that never existed is 404.
#[utoipa::path(get, path = "/v1/clients/{id}/history", tag = "audit",
    params(("id" = uuid::Uuid, Path, description = "Client id"),
        ("limit" = Option<u32>, Query, description = "1-100, default 25"),
        ("cursor" = Option<String>, Query, description = "`meta.next_cursor` of the previous page")),
    responses(
        (status = 200, description = "Audit records, newest first", body = AuditEnvelope),
        (status = 400, description = "Bad parameter", body = ErrorBody),
        (status = 404, description = "No such client, ever, in this tenant", body = ErrorBody),
    ),
    security(("api_key" = ["audit:read"])))]
pub async fn client_history(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    QueryPairs(pairs): QueryPairs,
) -> Result<Json<AuditEnvelope>, ApiError> {
    let id = crate::extract::path_uuid("id", &id)?;
    let p = parse_paging(&pairs)?;
    let page = state
        .store
        .client_history(caller.tenant.id, id, p.cursor, p.limit)
        .await
        .map_err(|e| ApiError::from_store(e, "client"))?;
    Ok(envelope(page, p.limit, p.cursor))
}

/// The tenant-wide change feed, oldest first.
///
/// Every create, update and delete of a client or sub-resource, in commit order. Records are
/// never reordered or inserted behind a cursor already handed out.
#[utoipa::path(get, path = "/v1/events", tag = "audit",
    params(("limit" = Option<u32>, Query, description = "1-100, default 25"),
        ("cursor" = Option<String>, Query, description = "`meta.next_cursor` or `meta.last_cursor` of an earlier page")),
    responses(
        (status = 200, description = "Audit records, oldest first", body = AuditEnvelope),
        (status = 400, description = "Bad parameter", body = ErrorBody),
    ),
    security(("api_key" = ["audit:read"])))]
pub async fn list_events(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    QueryPairs(pairs): QueryPairs,
) -> Result<Json<AuditEnvelope>, ApiError> {
    let p = parse_paging(&pairs)?;
    let page = state
        .store
        .events(caller.tenant.id, p.cursor, p.limit)
        .await?;
    Ok(envelope(page, p.limit, p.cursor))
}
