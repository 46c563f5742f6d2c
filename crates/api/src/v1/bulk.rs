//! `POST /v1/clients/import` and `GET /v1/clients/export` (API.md "Bulk import and export").
//! Both stream: the import reads its body as it arrives (its own size limit, no request
//! timeout) and writes batch after batch; the export sends one page after another.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use bytes::Bytes;
use clientele_core::bulk::{new_import_id, Format, HeaderError};
use clientele_core::service::RowError;
use clientele_core::store::ImportMode;
use clientele_core::Caller;
use http_body_util::BodyExt;
use serde::Serialize;
use tokio::sync::mpsc;
use utoipa::ToSchema;

use crate::bulk::{export_body, run_import, ChannelReader, Exporter, ImportFailure};
use crate::envelope::Envelope;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{QueryPairs, WriteContext};
use crate::state::AppState;
use crate::v1::query::{parse_list_query, ListRequest};

/// The largest import body: 4 GiB.
pub const IMPORT_BODY_LIMIT: u64 = 4 << 30;
/// Errors listed in an import's answer (every failed row is counted).
pub const MAX_LISTED_ERRORS: usize = 100;

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportSummary {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub failed: u64,
    /// The first 100 problems of the failed rows, in row order (a row may have several).
    pub errors: Vec<RowError>,
}

fn parse_mode(pairs: &[(String, String)]) -> Result<ImportMode, ApiError> {
    let mut mode = None;
    for (k, v) in pairs {
        match k.as_str() {
            "mode" if mode.is_some() => {
                return Err(ApiError::invalid(
                    k,
                    "duplicate",
                    "must be given at most once",
                ))
            }
            "mode" => {
                mode = Some(match v.as_str() {
                    "create" => ImportMode::Create,
                    "upsert" => ImportMode::Upsert,
                    _ => {
                        return Err(ApiError::invalid(
                            k,
                            "invalid_value",
                            "must be create or upsert",
                        ))
                    }
                })
            }
            _ => {
                return Err(ApiError::invalid(
                    k,
                    "unknown_parameter",
                    "is not a parameter of the import (mode)",
                ))
            }
        }
    }
    Ok(mode.unwrap_or(ImportMode::Create))
}

fn import_too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
        format!("The import body exceeds the limit of {IMPORT_BODY_LIMIT} bytes"),
    )
}

/// Import clients.
///
/// The body is NDJSON (`application/x-ndjson`: one `POST /v1/clients` body per line, with
/// optional `contact_persons`, `locations` and `accounts` arrays) or CSV (`text/csv`: a header
/// row of dotted field names such as `name`, `address.city`, `credit.limit`, `metadata.KEY` or
/// `metadata` as JSON text; RFC 4180; UTF-8 with or without a BOM; an empty cell leaves its field
/// at its default; read-only columns such as `id` are ignored). Every row is validated by the
/// rules of `POST /v1/clients`; valid rows are committed in batches (each client numbered,
/// indexed and audited as a single create is), bad rows are counted and reported and never stop
/// the others. `mode=upsert` matches rows on `external_id`: a row naming an existing client
/// replaces its fields and, for each of `contact_persons`, `locations`, `accounts` it holds as
/// an array (`[]` included), the client's items of that kind (left alone when equal, in order;
/// an array left out leaves them); one that changes nothing writes nothing; a row without
/// `external_id` is created. With `mode=create` an `external_id` that is
/// taken fails its row. `line` counts from 1 (the CSV header is line 1); at most the first 100
/// errors are listed. The body is streamed, up to 4 GiB, without the request timeout; rows
/// committed before the body broke off stay committed. The answer's `meta.import_id` names the
/// import: every audit record it wrote (`GET /v1/clients/{id}/history`, `GET /v1/events`)
/// carries it as `import_id`.
#[utoipa::path(post, path = "/v1/clients/import", tag = "clients",
    params(("mode" = Option<String>, Query, description = "`create` (default) or `upsert` (match on external_id)")),
    request_body(content(
        (String = "application/x-ndjson"),
        (String = "text/csv"),
    ), description = "NDJSON rows or a CSV with a header row of dotted field names"),
    responses(
        (status = 200, description = "What the import did", body = Envelope<ImportSummary>),
        (status = 400, description = "Bad `mode`, an unreadable CSV header (field `header`), or a body that broke off", body = ErrorBody),
        (status = 413, description = "Body over 4 GiB", body = ErrorBody),
        (status = 415, description = "Body neither application/x-ndjson nor text/csv", body = ErrorBody),
    ),
    security(("api_key" = ["clients:write"])))]
pub async fn import_clients(
    State(state): State<AppState>,
    WriteContext(ctx): WriteContext,
    QueryPairs(pairs): QueryPairs,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Envelope<ImportSummary>>, ApiError> {
    let mode = parse_mode(&pairs)?;
    let format = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(Format::from_content_type)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UNSUPPORTED_MEDIA_TYPE",
                "The body must be application/x-ndjson or text/csv",
            )
        })?;
    let (tx, rx) = mpsc::channel::<std::io::Result<Bytes>>(8);
    let too_large = Arc::new(AtomicBool::new(false));
    let over = too_large.clone();
    let pump = tokio::spawn(async move {
        let mut body = body;
        let mut total = 0u64;
        while let Some(frame) = body.frame().await {
            let sent = match frame {
                Ok(frame) => match frame.into_data() {
                    Ok(data) => {
                        total += data.len() as u64;
                        if total > IMPORT_BODY_LIMIT {
                            over.store(true, Ordering::Relaxed);
                            let _ = tx.send(Err(std::io::Error::other("too large"))).await;
                            return;
                        }
                        tx.send(Ok(data)).await
                    }
                    Err(_) => Ok(()),
                },
                Err(e) => {
                    let _ = tx.send(Err(std::io::Error::other(e))).await;
                    return;
                }
            };
            if sent.is_err() {
                return;
            }
        }
    });
    let mut errors: Vec<RowError> = Vec::new();
    let import_id = new_import_id();
    let result = run_import(
        state.store.clone(),
        ctx.for_import(import_id.clone()),
        mode,
        format,
        ChannelReader::new(rx),
        |report| {
            let room = MAX_LISTED_ERRORS.saturating_sub(errors.len());
            errors.extend(report.errors.iter().take(room).cloned());
        },
    )
    .await;
    pump.abort();
    // After a failure the batches committed before it stay: the message names the import
    // their audit records carry.
    let committed = |message: String| {
        format!("{message}; rows committed before stay committed (import {import_id})")
    };
    match result {
        Ok(c) => Ok(Json(Envelope {
            success: true,
            data: ImportSummary {
                created: c.created,
                updated: c.updated,
                unchanged: c.unchanged,
                failed: c.failed,
                errors,
            },
            meta: serde_json::json!({ "import_id": import_id }),
        })),
        Err(ImportFailure::Header(HeaderError(details))) => Err(ApiError::validation(details)),
        Err(ImportFailure::Io(_)) if too_large.load(Ordering::Relaxed) => {
            let mut e = import_too_large();
            e.message = committed(e.message);
            Err(e)
        }
        Err(ImportFailure::Io(_)) => Err(ApiError::bad_request(committed(
            "The request body could not be read to its end".into(),
        ))),
        Err(ImportFailure::Service(e)) => {
            let mut e = ApiError::from(e);
            e.message = committed(e.message);
            Err(e)
        }
    }
}

/// Parameters a list takes that an export does not: it has no pages and its own order.
const NOT_FOR_EXPORT: &[&str] = &[
    "limit", "offset", "page", "cursor", "sort", "fields", "expand", "count",
];

/// Export clients.
///
/// Every client the list's filters select (`search`, `filter`, `status`, `archived`, ... as
/// `GET /v1/clients`, but no paging, `sort`, `fields` or `expand`: those → 400), streamed in
/// creation order (oldest first), read in keyset pages so that memory stays constant.
/// `format=ndjson` (default): one client per line exactly as `GET /v1/clients/{id}` returns
/// its `data` (`application/x-ndjson`). `format=csv`: a header row of dotted field names, then
/// one record per client (`text/csv`), `metadata` as one column of JSON text. Importing an
/// export into an empty tenant reproduces the clients (with that tenant's ids and numbers;
/// `referred_by_id` must name a client of the tenant imported into). Archived clients are left
/// out unless `archived=true` or `all`.
#[utoipa::path(get, path = "/v1/clients/export", tag = "clients",
    params(
        ("format" = Option<String>, Query, description = "`ndjson` (default) or `csv`"),
        ("search" = Option<String>, Query, description = "As in GET /v1/clients"),
        ("filter" = Option<String>, Query, description = "As in GET /v1/clients"),
        ("status" = Option<String>, Query, description = "As in GET /v1/clients (every filter of the list applies)"),
        ("archived" = Option<String>, Query, description = "`false` (default), `true` or `all`"),
    ),
    responses(
        (status = 200, description = "Every matching client, streamed", content(
            (String = "application/x-ndjson"),
            (String = "text/csv"),
        )),
        (status = 400, description = "Bad parameter (a paging parameter, an unknown field, a filter syntax error)", body = ErrorBody),
    ),
    security(("api_key" = ["clients:read"])))]
pub async fn export_clients(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    QueryPairs(pairs): QueryPairs,
) -> Result<Response, ApiError> {
    let mut format = None;
    let mut rest = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        match k.as_str() {
            "format" if format.is_some() => {
                return Err(ApiError::invalid(
                    &k,
                    "duplicate",
                    "must be given at most once",
                ))
            }
            "format" => {
                format = Some(Format::parse(&v).ok_or_else(|| {
                    ApiError::invalid(&k, "invalid_value", "must be ndjson or csv")
                })?)
            }
            name if NOT_FOR_EXPORT.contains(&name) => {
                return Err(ApiError::invalid(
                    &k,
                    "unknown_parameter",
                    "an export has no pages and its own order (creation order)",
                ))
            }
            _ => rest.push((k, v)),
        }
    }
    let format = format.unwrap_or(Format::Ndjson);
    let ListRequest { query, .. } = parse_list_query(&rest)?;
    let tenant = caller.tenant.id;
    let mut exporter = Exporter::new(query, format);
    // The first page is read before answering, so a store failure is still a proper error.
    let first = exporter.next_chunk(state.store.as_ref(), tenant).await?;
    let body = export_body(state.store.clone(), tenant, exporter, first);
    let mut response = (StatusCode::OK, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(match format {
            Format::Ndjson => "application/x-ndjson",
            Format::Csv => "text/csv; charset=utf-8",
        }),
    );
    Ok(response)
}
