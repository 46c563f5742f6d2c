//! Reading clients as this dialect shows them (each with its primary location), the client's
//! ETag and its URL.

use std::collections::HashMap;

use clientele_core::service::{self, ServiceResult};
use clientele_core::sub::{SubKind, SubResource};
use clientele_core::{Client, Store, TenantId};
use uuid::Uuid;

use super::wire::Seed002Client;
use super::PREFIX;
use crate::dialects::client_etag;

/// A client shown here, with its ETag.
pub struct Shown {
    pub client: Seed002Client,
    pub etag: String,
}

/// The primary locations of these clients (those that have one), in one store read.
pub async fn primary_locations(
    store: &dyn Store,
    tenant: TenantId,
    clients: &[Uuid],
) -> ServiceResult<HashMap<Uuid, SubResource>> {
    service::flagged_subs(store, tenant, SubKind::Location, clients).await
}

/// A client with this primary location, and its ETag: the client's version, with a
/// fingerprint of the location's id and version when it has one, so a change to either changes
/// it.
pub fn shown(client: &Client, primary: Option<&SubResource>) -> Shown {
    Shown {
        etag: client_etag(
            client.version,
            primary.map(std::slice::from_ref).unwrap_or(&[]),
        ),
        client: Seed002Client::new(client, primary),
    }
}

/// Shows a client read from the core, with its primary location.
pub async fn show(store: &dyn Store, tenant: TenantId, client: &Client) -> ServiceResult<Shown> {
    let mut primary = primary_locations(store, tenant, &[client.id]).await?;
    Ok(shown(client, primary.remove(&client.id).as_ref()))
}

/// The URL of a client (by its number), for `Location`.
pub fn client_location(number: i64) -> String {
    format!("{PREFIX}/clients/{number}")
}
