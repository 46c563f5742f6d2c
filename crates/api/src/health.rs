//! Liveness and readiness probes; no credential needed.

use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;

use crate::envelope::{ok, Envelope};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Liveness: the process is up and serving.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Alive", body = Envelope<Health>)))]
pub async fn healthz() -> impl IntoResponse {
    ok(Health { status: "ok" })
}

/// Readiness: the store answers and the server is not draining.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready", body = Envelope<Health>),
        (status = 503, description = "Store unreachable or draining", body = ErrorBody),
    ))]
pub async fn readyz(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    if state.draining.load(Ordering::Relaxed) {
        return Err(ApiError::unavailable("The server is shutting down"));
    }
    state
        .store
        .ping()
        .await
        .map_err(|_| ApiError::unavailable("The store is unreachable"))?;
    Ok(ok(Health { status: "ready" }))
}
