//! Reading a client as this dialect shows it (with all its contact persons) and its ETag; the
//! responses of single resources are the dialects' shared [`single`] and [`conditional`].

use clientele_core::service::{self, ServiceResult};
use clientele_core::sub::{SubKind, SubResource};
use clientele_core::{Client, Store, TenantId};
use uuid::Uuid;

use super::wire::Seed004Client;
use super::PREFIX;
pub use crate::dialects::{client_etag, client_if_match, conditional, single};

/// Contact persons read per store call when a client is shown.
const CONTACT_PAGE: u32 = 100;
/// Most contact persons shown in one client (`contactPersons`): 100 pages of [`CONTACT_PAGE`].
pub const MAX_CONTACTS: u64 = 10_000;

/// All the client's contact persons (newest first, as the core lists them), at most
/// [`MAX_CONTACTS`]: one store read per 100.
pub async fn all_contacts(
    store: &dyn Store,
    tenant: TenantId,
    client_id: Uuid,
) -> ServiceResult<Vec<SubResource>> {
    let mut out = Vec::new();
    let mut offset = 0;
    while offset < MAX_CONTACTS {
        let page = service::list_subs(
            store,
            tenant,
            SubKind::ContactPerson,
            client_id,
            CONTACT_PAGE,
            offset,
            false,
        )
        .await?;
        let n = page.items.len();
        out.extend(page.items);
        if n < CONTACT_PAGE as usize {
            break;
        }
        offset += u64::from(CONTACT_PAGE);
    }
    Ok(out)
}

/// A client shown here, with its ETag.
pub struct Shown {
    pub client: Seed004Client,
    pub etag: String,
}

/// Shows a client read from the core: with all its contact persons, in the caller's
/// organisation.
pub async fn show(store: &dyn Store, tenant: TenantId, client: &Client) -> ServiceResult<Shown> {
    let contacts = all_contacts(store, tenant, client.id).await?;
    Ok(Shown {
        etag: client_etag(client.version, &contacts),
        client: Seed004Client::new(client, tenant.0, &contacts),
    })
}

/// The URL of a client, for `Location`.
pub fn client_location(id: Uuid) -> String {
    format!("{PREFIX}/clients/{id}")
}

/// The URL of a contact person, for `Location`.
pub fn contact_location(client_id: Uuid, id: Uuid) -> String {
    format!("{PREFIX}/clients/{client_id}/contact-persons/{id}")
}
