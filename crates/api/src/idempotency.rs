//! `Idempotency-Key` on the routes registered as idempotent (`Surface::idempotent`; on `/v1` the
//! creates and `PUT .../external-id/...`): the first response is stored with the key (scoped to
//! tenant and credential) and replayed for a retry with the same body.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use clientele_core::idempotency::{IdempotencyBegin, IdempotencyScope, StoredResponse};
use clientele_core::types::Timestamp;
use clientele_core::{Caller, Store, StoreError};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::extract::{too_large, BODY_LIMIT};
use crate::policy::{Committed, Rules};

/// The state of a surface's idempotency layer.
#[derive(Clone)]
pub struct Idempotency {
    pub store: Arc<dyn Store>,
    pub rules: Arc<Rules>,
}

pub static IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
pub static REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// Headers of the first response that a replay repeats.
const REPLAYED_HEADERS: [&str; 3] = ["content-type", "location", "etag"];

/// Largest response body kept for replay.
const MAX_STORED_BODY: usize = 4 * 1024 * 1024;

fn valid_key(k: &str) -> bool {
    (1..=255).contains(&k.len()) && k.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

/// What "the same request" means for a key: same method, same path, same body bytes.
pub fn request_hash(method: &Method, path: &str, body: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(method.as_str());
    hasher.update(b"\n");
    hasher.update(path);
    hasher.update(b"\n");
    hasher.update(body);
    hasher.finalize().into()
}

fn replay(stored: StoredResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut res = Response::new(Body::from(stored.body));
    *res.status_mut() = status;
    for (k, v) in stored.headers {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::from_str(&v)) {
            res.headers_mut().insert(k, v);
        }
    }
    res.headers_mut()
        .insert(REPLAYED.clone(), HeaderValue::from_static("true"));
    res
}

/// What a surface's routes do with `Idempotency-Key`, inside the gate (it needs the caller):
/// a request that carries one on a route registered as idempotent ([`applies`]) is answered
/// by [`respond`]; every other request (every read) goes straight to the route. The guard
/// around the surface's routes (`layers::Within`) asks, so that this is no layer of its own.
///
/// Whether the request asks for idempotency on a route that offers it.
pub(crate) fn applies(state: &Idempotency, req: &Request) -> bool {
    req.headers().contains_key(&IDEMPOTENCY_KEY)
        && req
            .extensions()
            .get::<MatchedPath>()
            .is_some_and(|route| state.rules.is_idempotent(req.method(), route.as_str()))
}

/// Answers a request for which [`applies`] holds, `next` running the route; errors are
/// rendered the surface's way.
pub(crate) async fn respond<F, Fut>(state: &Idempotency, req: Request, next: F) -> Response
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = Result<Response, Infallible>>,
{
    let render = state.rules.policy.render_error;
    run(state, req, next).await.unwrap_or_else(render)
}

async fn run<F, Fut>(state: &Idempotency, req: Request, next: F) -> Result<Response, ApiError>
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = Result<Response, Infallible>>,
{
    let Some(key) = req.headers().get(&IDEMPOTENCY_KEY) else {
        return Ok(unwrap(next(req).await));
    };
    let key = key.clone();
    let key = key.to_str().ok().filter(|k| valid_key(k)).ok_or_else(|| {
        ApiError::invalid(
            "Idempotency-Key",
            "invalid_format",
            "must be 1-255 visible ASCII characters",
        )
    })?;
    let caller = req
        .extensions()
        .get::<Caller>()
        .cloned()
        .ok_or_else(|| ApiError::internal("idempotency layer without a caller"))?;
    let scope = IdempotencyScope {
        tenant: caller.tenant.id,
        credential_id: caller.credential_id.clone(),
        key: key.to_string(),
    };

    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, BODY_LIMIT).await.map_err(|_| too_large())?;
    let hash = request_hash(&parts.method, parts.uri.path(), &bytes);

    match state
        .store
        .idempotency_begin(&scope, hash, Timestamp::now())
        .await?
    {
        IdempotencyBegin::Started => {}
        IdempotencyBegin::InFlight => {
            return Err(ApiError::conflict(
                "A request with this Idempotency-Key is still in progress; retry later",
            ))
        }
        IdempotencyBegin::Mismatch => {
            return Err(ApiError::conflict(
                "This Idempotency-Key was used for a different request",
            ))
        }
        IdempotencyBegin::Replay(stored) => {
            crate::metrics::replayed("response");
            return Ok(replay(stored));
        }
        IdempotencyBegin::Committed {
            entity_type,
            entity_id,
            status,
        } => {
            // The write happened but its response was lost with the server: answer with the
            // entity as it is now, under the original status.
            let committed = Committed {
                tenant: scope.tenant,
                entity_type: &entity_type,
                entity_id,
                status: StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
                uri: &parts.uri,
            };
            let mut res =
                (state.rules.policy.render_committed)(state.store.as_ref(), committed).await?;
            crate::metrics::replayed("committed");
            res.headers_mut()
                .insert(REPLAYED.clone(), HeaderValue::from_static("true"));
            return Ok(res);
        }
    }

    let mut req = Request::from_parts(parts, Body::from(bytes));
    req.extensions_mut().insert(scope.clone());
    let res = unwrap(next(req).await);
    let status = res.status();
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        // Worth retrying: forget the key so the retry runs for real.
        if let Err(e) = state.store.idempotency_abort(&scope).await {
            tracing::warn!(error = %e, "could not release idempotency key");
        }
        return Ok(res);
    }
    let (parts, body) = res.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_STORED_BODY).await else {
        return Err(ApiError::internal(
            "response too large to store for idempotency",
        ));
    };
    let stored = StoredResponse {
        status: status.as_u16(),
        headers: REPLAYED_HEADERS
            .iter()
            .filter_map(|h| {
                parts
                    .headers
                    .get(*h)
                    .and_then(|v| v.to_str().ok())
                    .map(|v| (h.to_string(), v.to_string()))
            })
            .collect(),
        body: bytes.to_vec(),
    };
    match state.store.idempotency_finish(&scope, stored).await {
        Ok(()) | Err(StoreError::NotFound) => {}
        // The write itself is durable; failing to record the response only costs a re-render
        // on a retry (the key stays `committed`).
        Err(e) => tracing::warn!(error = %e, "could not record idempotent response"),
    }
    Ok(Response::from_parts(parts, Body::from(bytes)).into_response())
}

fn unwrap(r: Result<Response, Infallible>) -> Response {
    match r {
        Ok(res) => res,
        Err(never) => match never {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_visible_ascii_of_bounded_length() {
        assert!(valid_key("order-42:retry_1"));
        assert!(!valid_key(""));
        assert!(!valid_key("has space"));
        assert!(!valid_key(&"k".repeat(256)));
    }
}
