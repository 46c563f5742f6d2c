//! Seed 003, lending clients with OData queries, at `/clients` (docs/dialects.md, section 003):
//! people in camelCase, listed as a bare JSON array and queried with `$filter`, `$select`,
//! `$orderby`, `$skip` and `$top`; writes answer an audit record. A JWT is the only credential
//! (an API key alone is 401).
//!
//! A mapping, no rule of its own: `wire.rs` (what it shows), `write.rs` (its bodies → native
//! documents, native field paths → its names), `query.rs` (its list parameters and OData
//! options → the core query, `$filter` through the core's expression parser); the handlers
//! (`routes.rs`) call `clientele_core::service` as `/v1` does.

pub mod input;
pub mod query;
pub mod routes;
pub mod wire;
pub mod write;

use clientele_core::service;
use clientele_core::Store;
use utoipa_axum::routes;

use crate::dialects::{allow_only_documented, allow_only_documented_with};
use crate::error::ApiError;
use crate::surface::{native_error, Budget, Committed, Credentials, Policy, Rendered, Surface};

/// Bearer tokens only, on the credential's own budget, with the native errors and
/// `Cache-Control` (as on `/v1`).
pub const POLICY: Policy = Policy {
    credentials: Credentials::JwtOnly,
    budget: Budget::PerCredential,
    cache_control: Some("no-store"),
    render_error: native_error,
    render_committed,
};

/// The seed's routes. `POST /clients` accepts `Idempotency-Key`; `DELETE /clients` is the
/// seed's documented 405. Methods the seed does not document are 405 with `Allow`.
pub fn surface() -> Surface {
    Surface::new("/clients", POLICY)
        .routes(allow_only_documented_with(
            routes!(routes::list_clients),
            &["POST"],
        ))
        .idempotent(routes!(routes::create_client))
        .routes(routes!(routes::delete_all_clients))
        .routes(allow_only_documented(routes!(
            routes::get_client,
            routes::replace_client,
            routes::patch_client,
            routes::delete_client
        )))
}

/// A retried create whose first response was lost: the audit record of the client as it is
/// now.
fn render_committed<'a>(store: &'a dyn Store, c: Committed<'a>) -> Rendered<'a> {
    Box::pin(async move {
        if c.entity_type != "client" {
            return Err(ApiError::internal("unknown idempotent entity type"));
        }
        let client = service::get_client(store, c.tenant, c.entity_id).await?;
        Ok(routes::audit(&client, true))
    })
}

#[cfg(test)]
mod tests {
    use axum::http::Method;

    use super::*;
    use crate::surface::Requirement;
    use clientele_core::enums::Permission;

    #[test]
    fn only_the_create_is_idempotent_and_each_route_declares_its_permission() {
        let (mount, _) = surface().split();
        let rules = mount.rules();
        assert!(rules.is_idempotent(&Method::POST, "/clients"));
        assert!(!rules.is_idempotent(&Method::PUT, "/clients/{id}"));
        let req = |m: Method, route: &str| rules.requirement(&m, route);
        assert_eq!(
            req(Method::GET, "/clients"),
            Some(Requirement::Permission(Permission::ClientsRead))
        );
        assert_eq!(
            req(Method::POST, "/clients"),
            Some(Requirement::Permission(Permission::ClientsWrite))
        );
        assert_eq!(
            req(Method::DELETE, "/clients"),
            Some(Requirement::AnyCredential)
        );
        assert_eq!(
            req(Method::PATCH, "/clients/{id}"),
            Some(Requirement::Permission(Permission::ClientsWrite))
        );
        assert_eq!(
            req(Method::DELETE, "/clients/{id}"),
            Some(Requirement::Permission(Permission::ClientsDelete))
        );
    }
}
