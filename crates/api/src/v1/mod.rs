//! The native API, `/v1` (API.md): its routes, registered with the policy they share.

pub mod api_keys;
pub mod audit;
pub mod bulk;
pub mod clients;
pub mod me;
pub mod query;
pub mod subresources;

use axum::http::StatusCode;
use clientele_core::service;
use clientele_core::sub::SubKind;
use clientele_core::Store;
use utoipa_axum::routes;

use crate::envelope::{self, resource};
use crate::error::ApiError;
use crate::surface::{native_error, Budget, Committed, Credentials, Policy, Rendered, Surface};
use subresources as sub;

/// `/v1`: an API key or a JWT (or both), each credential on its own budget, the native error
/// envelope, and tenant data that intermediaries must not cache.
pub const POLICY: Policy = Policy {
    credentials: Credentials::KeyOrJwt,
    budget: Budget::PerCredential,
    cache_control: Some("no-store"),
    render_error: native_error,
    render_committed,
};

/// The `/v1` routes. Each handler is registered once; its OpenAPI operation (including the
/// permission in `security`) comes from the same registration. The creates and the upsert by
/// external id accept `Idempotency-Key` (API.md).
pub fn surface() -> Surface {
    Surface::new("/v1", POLICY)
        .routes(routes!(clients::list_clients))
        .streaming(routes!(bulk::import_clients))
        .streaming(routes!(bulk::export_clients))
        .idempotent(routes!(clients::create_client))
        .routes(routes!(
            clients::get_client,
            clients::replace_client,
            clients::patch_client,
            clients::delete_client
        ))
        .routes(routes!(clients::get_client_by_external_id))
        .idempotent(routes!(clients::upsert_client_by_external_id))
        .routes(routes!(sub::list_contact_persons))
        .idempotent(routes!(sub::create_contact_person))
        .routes(routes!(
            sub::get_contact_person,
            sub::replace_contact_person,
            sub::patch_contact_person,
            sub::delete_contact_person
        ))
        .routes(routes!(sub::get_contact_person_by_external_id))
        .routes(routes!(sub::list_locations))
        .idempotent(routes!(sub::create_location))
        .routes(routes!(
            sub::get_location,
            sub::replace_location,
            sub::patch_location,
            sub::delete_location
        ))
        .routes(routes!(sub::list_accounts))
        .idempotent(routes!(sub::create_account))
        .routes(routes!(
            sub::get_account,
            sub::replace_account,
            sub::patch_account,
            sub::delete_account
        ))
        .routes(routes!(audit::client_history))
        .routes(routes!(audit::list_events))
        .routes(routes!(api_keys::list_api_keys))
        .idempotent(routes!(api_keys::create_api_key))
        .routes(routes!(api_keys::revoke_api_key))
        .routes(routes!(me::get_me))
}

/// A retried `/v1` write whose first response was lost: the entity as it is now, in the
/// envelope, under the original status (with `Location` when it was created).
fn render_committed<'a>(store: &'a dyn Store, c: Committed<'a>) -> Rendered<'a> {
    Box::pin(async move {
        let created = c.status == StatusCode::CREATED;
        if c.entity_type == "client" {
            let client = service::get_client(store, c.tenant, c.entity_id).await?;
            let loc = if created {
                clients::location(client.id)
            } else {
                None
            };
            return Ok(envelope::client(c.status, &client, loc));
        }
        let kind = SubKind::ALL
            .into_iter()
            .find(|k| k.entity_type() == c.entity_type)
            .ok_or_else(|| ApiError::internal("unknown idempotent entity type"))?;
        // `/v1/clients/{client_id}/<kind>`: the parent is in the request path.
        let client_id = c
            .uri
            .path()
            .split('/')
            .nth(3)
            .and_then(|s| uuid::Uuid::parse_str(s).ok())
            .ok_or_else(|| ApiError::internal("idempotent sub-resource without a client id"))?;
        let s = service::get_sub(store, c.tenant, kind, client_id, c.entity_id).await?;
        let loc = created.then(|| format!("{}/{}", c.uri.path().trim_end_matches('/'), s.id));
        let v = s.version;
        Ok(resource(c.status, s, v, loc))
    })
}

#[cfg(test)]
mod tests {
    use axum::http::Method;

    use super::*;

    #[test]
    fn only_creates_and_upserts_are_idempotent() {
        let (mount, _) = surface().split();
        let applies = |m: &Method, route: &str| mount.rules().is_idempotent(m, route);
        assert!(applies(&Method::POST, "/v1/clients"));
        assert!(applies(
            &Method::PUT,
            "/v1/clients/external-id/{external_id}"
        ));
        assert!(!applies(&Method::PUT, "/v1/clients/{id}"));
        assert!(!applies(&Method::PATCH, "/v1/clients/{id}"));
    }
}
