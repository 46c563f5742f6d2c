//! Seed 004, master-data client management, at `/master-data/v1/client-management/clients`
//! (docs/dialects.md, section 004): clients with their contact persons in camelCase, enums
//! in UPPER_CASE, single resources as the bare model and lists as `{"data", "meta"}`.
//!
//! A mapping, no rule of its own: `wire.rs` (what it shows), `write.rs` (its bodies → native
//! documents, native field paths → its names), `query.rs` (its list parameters → the core
//! query), `read.rs` (a client with all its contacts, the ETag), `error.rs`; the handlers
//! (`routes.rs`, `contacts.rs`) call `clientele_core::service` as `/v1` does.

pub mod contacts;
pub mod error;
pub mod input;
pub mod query;
pub mod read;
pub mod routes;
pub mod wire;
pub mod write;

use axum::http::StatusCode;
use clientele_core::service;
use clientele_core::sub::SubKind;
use clientele_core::Store;
use utoipa_axum::routes;

use crate::dialects::{allow_only_documented, allow_only_documented_with};
use crate::error::ApiError;
use crate::surface::{native_error, Budget, Committed, Credentials, Policy, Rendered, Surface};
use read::{client_location, contact_location, show, single};
use wire::Seed004ContactPerson;

/// The seed's base URL; every route is below `{PREFIX}/clients`.
pub const PREFIX: &str = "/master-data/v1/client-management";

/// Native credentials (API key or JWT), budget and `Cache-Control`; errors in the native body,
/// which is a superset of the seed's error DTO.
pub const POLICY: Policy = Policy {
    credentials: Credentials::KeyOrJwt,
    budget: Budget::PerCredential,
    cache_control: Some("no-store"),
    render_error: native_error,
    render_committed,
};

/// The seed's routes; both creates accept `Idempotency-Key`. Methods the seed does not
/// document are 405 with `Allow` listing exactly the documented ones.
pub fn surface() -> Surface {
    Surface::new(PREFIX, POLICY)
        .routes(allow_only_documented_with(
            routes!(routes::list_clients),
            &["POST"],
        ))
        .idempotent(routes!(routes::create_client))
        .routes(allow_only_documented(routes!(
            routes::get_client,
            routes::patch_client,
            routes::delete_client
        )))
        .routes(allow_only_documented(routes!(
            routes::get_client_by_external_id
        )))
        .routes(allow_only_documented_with(
            routes!(contacts::list_contact_persons),
            &["POST"],
        ))
        .idempotent(routes!(contacts::create_contact_person))
        .routes(allow_only_documented(routes!(
            contacts::get_contact_person,
            contacts::patch_contact_person,
            contacts::delete_contact_person
        )))
        .routes(allow_only_documented(routes!(
            contacts::get_contact_person_by_external_id
        )))
}

/// A retried create whose first response was lost: the entity as it is now, as this dialect
/// shows it, under the original status with `Location`.
fn render_committed<'a>(store: &'a dyn Store, c: Committed<'a>) -> Rendered<'a> {
    Box::pin(async move {
        let created = c.status == StatusCode::CREATED;
        if c.entity_type == "client" {
            let client = service::get_client(store, c.tenant, c.entity_id).await?;
            let shown = show(store, c.tenant, &client).await?;
            let loc = created.then(|| client_location(client.id));
            return Ok(single(c.status, &shown.client, &shown.etag, loc));
        }
        if c.entity_type != SubKind::ContactPerson.entity_type() {
            return Err(ApiError::internal("unknown idempotent entity type"));
        }
        // `{PREFIX}/clients/{clientId}/contact-persons`: the client is in the request path.
        let client_id = c
            .uri
            .path()
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split('/').nth(2))
            .and_then(|s| uuid::Uuid::parse_str(s).ok())
            .ok_or_else(|| ApiError::internal("idempotent contact person without a client id"))?;
        let s = service::get_sub(
            store,
            c.tenant,
            SubKind::ContactPerson,
            client_id,
            c.entity_id,
        )
        .await?;
        let body = Seed004ContactPerson::from_sub(&s)
            .ok_or_else(|| ApiError::internal("a contact-person key wrote another kind"))?;
        let loc = created.then(|| contact_location(client_id, s.id));
        Ok(single(c.status, &body, &format!("\"{}\"", s.version), loc))
    })
}

#[cfg(test)]
mod tests {
    use axum::http::Method;

    use super::*;

    #[test]
    fn only_the_creates_are_idempotent() {
        let (mount, _) = surface().split();
        let applies = |m: &Method, route: &str| mount.rules().is_idempotent(m, route);
        assert!(applies(
            &Method::POST,
            "/master-data/v1/client-management/clients"
        ));
        assert!(applies(
            &Method::POST,
            "/master-data/v1/client-management/clients/{clientId}/contact-persons"
        ));
        assert!(!applies(
            &Method::PATCH,
            "/master-data/v1/client-management/clients/{id}"
        ));
    }
}
