//! `X-Request-Id`: the caller's when well-formed, otherwise generated; available to every error.

use std::future::Future;

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::response::Response;

pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being handled, or `-` outside one.
pub fn current() -> String {
    REQUEST_ID
        .try_with(|id| id.clone())
        .unwrap_or_else(|_| "-".into())
}

/// 1-128 characters of `[A-Za-z0-9._:-]`.
pub fn is_valid(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b))
}

/// A new request id: `req_` and a UUIDv7 (time-ordered), 36 characters.
pub fn generate() -> String {
    format!("req_{}", uuid::Uuid::now_v7().simple())
}

pub async fn layer<F, Fut>(mut req: Request, next: F) -> Response
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = Response>,
{
    let id = req
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_valid(v))
        .map(str::to_string)
        .unwrap_or_else(generate);
    // One header value for the request and the response (a clone shares its bytes).
    let value = HeaderValue::from_str(&id).ok();
    if let Some(v) = &value {
        req.headers_mut().insert(X_REQUEST_ID.clone(), v.clone());
    }
    let mut res = REQUEST_ID.scope(id, next(req)).await;
    if let Some(v) = value {
        res.headers_mut().insert(X_REQUEST_ID.clone(), v);
    }
    res
}
