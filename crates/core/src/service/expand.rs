//! `expand`: a client's sub-resources embedded in its own representation.

use uuid::Uuid;

use super::error::client_err;
use super::ServiceResult;
use crate::client::Client;
use crate::query::{KeysetPosition, Page};
use crate::store::Store;
use crate::sub::{SubKind, SubResource};
use crate::tenant::TenantId;

/// Items embedded per kind in one client read (the newest ones).
pub const EXPAND_LIMIT: u32 = 100;
/// Items embedded per kind and client in a list (bounded: a page holds at most 100 clients).
pub const LIST_EXPAND_LIMIT: u32 = 10;

/// The embedded lists of one client, in the order `expand` named the kinds; empty when nothing
/// was asked (and then no allocation).
pub type Embedded = Vec<(SubKind, Vec<SubResource>)>;

/// A client as one read returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientDetail {
    pub client: Client,
    pub embedded: Embedded,
}

/// A page of clients with what `expand` embedded in each.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientPage {
    pub page: Page<Client>,
    /// One entry per item of `page`, in order; empty when the query expanded nothing.
    pub embedded: Vec<Embedded>,
}

impl ClientPage {
    /// Matching rows in all pages; `None` when counting was skipped.
    pub fn total(&self) -> Option<u64> {
        self.page.total
    }

    /// The keyset position of the last item, when more rows follow it.
    pub fn next(&self) -> Option<&KeysetPosition> {
        self.page.next.as_ref()
    }

    /// The page's clients, each with its embedded lists (empty when nothing was expanded).
    pub fn into_details(self) -> impl Iterator<Item = ClientDetail> {
        let mut embedded = self.embedded.into_iter();
        self.page.items.into_iter().map(move |client| ClientDetail {
            client,
            embedded: embedded.next().unwrap_or_default(),
        })
    }
}

/// The newest `limit` items of each kind, one store read per kind.
pub(super) async fn embed(
    store: &dyn Store,
    tenant: TenantId,
    client_id: Uuid,
    kinds: &[SubKind],
    limit: u32,
) -> ServiceResult<Embedded> {
    let mut out = Vec::with_capacity(kinds.len());
    for kind in kinds {
        let page = store
            .list_subs(tenant, *kind, client_id, limit, 0, false)
            .await
            .map_err(client_err)?;
        out.push((*kind, page.items));
    }
    Ok(out)
}
