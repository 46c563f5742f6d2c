//! The success envelope `{"success": true, "data": ..., "meta": {...}}`.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use clientele_core::document::ClientJson;
use clientele_core::Client;
use serde::Serialize;
use utoipa::ToSchema;

use crate::extract::{etag, if_none_match};

#[derive(Debug, Serialize, ToSchema)]
pub struct Envelope<T> {
    /// Always `true`.
    pub success: bool,
    pub data: T,
    pub meta: serde_json::Value,
}

/// `meta` of list responses.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListMeta {
    /// Rows matching the filters; `null` with `count=false`.
    pub total: Option<u64>,
    pub limit: u32,
    pub offset: u64,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ListEnvelope<T> {
    pub success: bool,
    pub data: Vec<T>,
    pub meta: ListMeta,
}

pub fn ok<T: Serialize>(data: T) -> Json<Envelope<T>> {
    Json(Envelope {
        success: true,
        data,
        meta: serde_json::json!({}),
    })
}

/// A single resource response: body, `ETag` and optionally `Location`.
pub fn resource<T: Serialize>(
    status: StatusCode,
    data: T,
    version: i64,
    location: Option<String>,
) -> Response {
    let res = sized_json(status, &ok(data).0, RESOURCE_BYTES);
    with_etag(res, version, location)
}

/// [`resource`] for a client document the store wrote ([`ClientJson`]): the same envelope,
/// bytes and headers, the document copied in as it is.
pub fn client_resource(status: StatusCode, doc: ClientJson, location: Option<String>) -> Response {
    const HEAD: &[u8] = b"{\"success\":true,\"data\":";
    const TAIL: &[u8] = b",\"meta\":{}}";
    let mut body = Vec::with_capacity(HEAD.len() + doc.json.len() + TAIL.len());
    body.extend_from_slice(HEAD);
    body.extend_from_slice(&doc.json);
    body.extend_from_slice(TAIL);
    let mut res = Response::new(axum::body::Body::from(body));
    *res.status_mut() = status;
    let headers = res.headers_mut();
    // Room for what the layers add on the way out (rate limit, security, request id: 14 in
    // all), so the map is allocated once rather than grown.
    headers.reserve(16);
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    with_etag(res, doc.version, location)
}

/// [`client_resource`] for a client a write returned: its document written by
/// [`ClientJson::of`], byte for byte what [`resource`] serializes (`clientele_core::document`'s
/// tests compare the two), without `serde_json`'s work per field: on a create that work was an
/// eighth of the request thread's instructions.
pub fn client(status: StatusCode, c: &Client, location: Option<String>) -> Response {
    client_resource(status, ClientJson::of(c), location)
}

fn with_etag(mut res: Response, version: i64, location: Option<String>) -> Response {
    res.headers_mut().insert(header::ETAG, etag(version));
    if let Some(loc) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        res.headers_mut().insert(header::LOCATION, loc);
    }
    res
}

/// The buffer a single resource is serialized into: a client document fits.
const RESOURCE_BYTES: usize = 2048;

/// The buffer per listed item of a list response (a client document is 1-2 KB).
pub const LIST_ITEM_BYTES: usize = 1536;

/// A JSON response written into a buffer of `capacity` bytes, sized for what it holds (axum's
/// `Json` starts at 128 bytes and grows it several times, copying it each time).
pub fn sized_json<T: Serialize>(status: StatusCode, body: &T, capacity: usize) -> Response {
    let mut buf = Vec::with_capacity(capacity);
    match serde_json::to_writer(&mut buf, body) {
        Ok(()) => (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            buf,
        )
            .into_response(),
        Err(e) => crate::error::ApiError::internal(e).into_response(),
    }
}

/// `304 Not Modified`, with the `ETag` of the version the caller holds.
pub fn unchanged(version: i64) -> Response {
    (StatusCode::NOT_MODIFIED, [(header::ETAG, etag(version))]).into_response()
}

/// `304 Not Modified` (with the `ETag`) when `If-None-Match` names the current version.
pub fn not_modified(headers: &HeaderMap, version: i64) -> Option<Response> {
    let p = if_none_match(headers)?;
    p.matches(version).then(|| unchanged(version))
}

/// A single resource read: 304 when `If-None-Match` is current, else 200 with its `ETag`.
pub fn detail<T: Serialize>(headers: &HeaderMap, data: T, version: i64) -> Response {
    not_modified(headers, version).unwrap_or_else(|| resource(StatusCode::OK, data, version, None))
}
