//! Seed 002, a CRM with client locations, at `/api/v1/clients` (docs/dialects.md, section 002):
//! clients addressed by their per-tenant number, each shown with its primary location, bodies
//! and answers nested under `client`, lists as `{"clients", "meta": {page, per_page, total}}`.
//!
//! A mapping, no rule of its own: `wire.rs` (what it shows), `write.rs` (its bodies → native
//! documents, native field paths → its names), `query.rs` (its list parameters → the core
//! query), `read.rs` (a client with its primary location, the ETag), `error.rs`; the handlers
//! (`routes.rs`) call `clientele_core::service` as `/v1` does.

pub mod error;
pub mod input;
pub mod query;
pub mod read;
pub mod routes;
pub mod wire;
pub mod write;

use axum::http::StatusCode;
use clientele_core::service;
use clientele_core::Store;
use utoipa_axum::routes;

use crate::dialects::{allow_only_documented, allow_only_documented_with, single};
use crate::error::ApiError;
use crate::surface::{native_error, Budget, Committed, Credentials, Policy, Rendered, Surface};
use read::{client_location, show};
use wire::Seed002ClientBody;

/// The seed's base URL; every route is below `{PREFIX}/clients`.
pub const PREFIX: &str = "/api/v1";

/// Native credentials (API key or JWT), budget, `Cache-Control` and error body.
pub const POLICY: Policy = Policy {
    credentials: Credentials::KeyOrJwt,
    budget: Budget::PerCredential,
    cache_control: Some("no-store"),
    render_error: native_error,
    render_committed,
};

/// The seed's routes; the create accepts `Idempotency-Key`. Methods the seed does not document
/// (`DELETE`, `PATCH`, ...) are 405 with `Allow` listing exactly the documented ones.
pub fn surface() -> Surface {
    Surface::new(PREFIX, POLICY)
        .routes(allow_only_documented_with(
            routes!(routes::list_clients),
            &["POST"],
        ))
        .idempotent(routes!(routes::create_client))
        .routes(allow_only_documented(routes!(
            routes::get_client,
            routes::update_client
        )))
}

/// A retried create whose first response was lost: the client as it is now, as this dialect
/// shows it, under the original status with `Location`.
fn render_committed<'a>(store: &'a dyn Store, c: Committed<'a>) -> Rendered<'a> {
    Box::pin(async move {
        if c.entity_type != "client" {
            return Err(ApiError::internal("unknown idempotent entity type"));
        }
        let client = service::get_client(store, c.tenant, c.entity_id).await?;
        let shown = show(store, c.tenant, &client).await?;
        let loc = (c.status == StatusCode::CREATED).then(|| client_location(client.number));
        let body = Seed002ClientBody {
            client: shown.client,
        };
        Ok(single(c.status, &body, &shown.etag, loc))
    })
}

#[cfg(test)]
mod tests {
    use axum::http::Method;

    use super::*;

    #[test]
    fn only_the_create_is_idempotent() {
        let (mount, _) = surface().split();
        let applies = |m: &Method, route: &str| mount.rules().is_idempotent(m, route);
        assert!(applies(&Method::POST, "/api/v1/clients"));
        assert!(!applies(&Method::PUT, "/api/v1/clients/{client_id}"));
    }
}
