//! What a client is found by: its search document, kept in the backend's index (SQLite's FTS5
//! table, PostgreSQL's term table) in the same transaction as every change to it.

use clientele_core::search::SearchDocument;
use clientele_core::store::StoreResult;
use clientele_core::sub::{SubData, SubKind};
use clientele_core::{ClientData, TenantId};
use uuid::Uuid;

use crate::columns::{decode_client, decode_sub};
use crate::db::{Db, Tx};
use crate::statements as sql;

/// The search document of a stored client: its own fields and its contact persons' names and
/// e-mail addresses. (A new client has no contact persons: its document is
/// `SearchDocument::for_client`.)
pub async fn document<D: Db>(
    db: &D,
    tenant: TenantId,
    id: Uuid,
    data: &ClientData,
) -> StoreResult<SearchDocument> {
    let kind = SubKind::ContactPerson;
    let contacts = db
        .rows(&sql::oldest_subs(kind, tenant, id), |r| decode_sub(kind, r))
        .await?;
    let mut doc = SearchDocument::for_client(data);
    for c in contacts {
        if let SubData::ContactPerson(c) = c.data {
            doc.contact_person(&c.name, c.email.as_ref().map(|e| e.as_str()));
        }
    }
    Ok(doc)
}

/// Re-indexes a client whose data is `data`.
pub async fn index<X: Tx>(
    tx: &X,
    tenant: TenantId,
    id: Uuid,
    data: &ClientData,
) -> StoreResult<()> {
    let doc = document(tx, tenant, id, data).await?;
    tx.reindex(tenant, id, data.archived, &doc).await
}

/// Re-indexes a client from its stored data: after a change to one of its contact persons.
pub async fn reindex<X: Tx>(tx: &X, tenant: TenantId, id: Uuid) -> StoreResult<()> {
    let client = tx
        .one(&sql::select_client(tenant, id), decode_client)
        .await?;
    index(tx, tenant, id, &client.data).await
}
