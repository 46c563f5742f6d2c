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
    let mut buf = uuid::Uuid::encode_buffer();
    let mut id = String::with_capacity(36);
    id.push_str("req_");
    id.push_str(uuid::Uuid::now_v7().simple().encode_lower(&mut buf));
    id
}

/// The request's id: the caller's when well-formed, else a new one, set on the request's
/// `X-Request-Id` and returned with the header value for the response
/// ([`RequestId::stamp`]).
pub fn assign(req: &mut Request) -> RequestId {
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
    RequestId { id, value }
}

/// A request's id ([`assign`]).
pub struct RequestId {
    id: String,
    value: Option<HeaderValue>,
}

impl RequestId {
    /// Runs `f` (what is done for the request before its future is polled) with the id
    /// [`current`].
    pub fn sync_scope<R>(&self, f: impl FnOnce() -> R) -> R {
        REQUEST_ID.sync_scope(self.id.clone(), f)
    }

    /// `fut` with the id [`current`] while it runs, and the id stamped on the response it
    /// gives.
    pub async fn scope(self, fut: impl Future<Output = Response>) -> Response {
        let Self { id, value } = self;
        let mut res = REQUEST_ID.scope(id, fut).await;
        if let Some(v) = value {
            res.headers_mut().insert(X_REQUEST_ID.clone(), v);
        }
        res
    }
}
