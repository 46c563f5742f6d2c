//! The seam (`crate::db`) on a PostgreSQL connection or transaction.

use std::future::{ready, Future};

use clientele_core::query::ClientQuery;
use clientele_core::search::SearchDocument;
use clientele_core::store::StoreResult;
use clientele_core::TenantId;
use deadpool_postgres::Transaction;
use uuid::Uuid;

use super::bind::{execute, query, Conn, PgRow};
use super::feed::{self, MAX_PUBLISH_BATCHES, PUBLISH_BATCH};
use super::search::{self, PgFlavour};
use crate::columns::RowSource;
use crate::db::{Db, NewDocument, Tx};
use crate::statements::Statement;

/// A pooled connection (reads) or a transaction (writes), as the rules see it.
pub(super) struct Pg<'a, C>(pub(super) &'a C);

impl<C: Conn> Db for Pg<'_, C> {
    type Flavour = PgFlavour;

    fn exec<S: Statement>(&self, stmt: &S) -> impl Future<Output = StoreResult<u64>> + Send {
        execute(self.0, stmt)
    }

    async fn rows<S: Statement, T: Send>(
        &self,
        stmt: &S,
        mut decode: impl FnMut(&mut dyn RowSource) -> StoreResult<T> + Send,
    ) -> StoreResult<Vec<T>> {
        query(self.0, stmt)
            .await?
            .iter()
            .map(|row| decode(&mut PgRow { row, i: 0 }))
            .collect()
    }

    fn flavour(
        &self,
        tenant: TenantId,
        _query: &ClientQuery,
    ) -> impl Future<Output = StoreResult<PgFlavour>> + Send {
        ready(Ok(PgFlavour { tenant }))
    }

    /// Numbers the tenant's committed records that have no position yet (migration 0006), one
    /// bounded batch per transaction. Runs in autocommit: each call is its own transaction.
    async fn settle_feed(&self, tenant: TenantId) -> StoreResult<()> {
        for _ in 0..MAX_PUBLISH_BATCHES {
            let n = self.int(&feed::publish(tenant, PUBLISH_BATCH)).await?;
            if n < PUBLISH_BATCH {
                break;
            }
        }
        Ok(())
    }
}

/// The search index is the term table (see `search`), rewritten in the write's transaction.
impl Tx for Pg<'_, Transaction<'_>> {
    /// Per tenant: under the tenant lock, a tenant's clients take sequences one at a time.
    fn rid_scope(&self, tenant: TenantId) -> Option<TenantId> {
        Some(tenant)
    }

    /// None: one tenant's writes may commit in another order than they run, so records get
    /// their positions once committed (`Db::settle_feed`).
    fn feed_positions(
        &self,
        _tenant: TenantId,
        _n: usize,
    ) -> impl Future<Output = StoreResult<Option<i64>>> + Send {
        ready(Ok(None))
    }

    async fn index_new(&self, tenant: TenantId, docs: &[NewDocument]) -> StoreResult<()> {
        let terms: Vec<_> = docs.iter().map(|d| (d.id, search::terms(&d.doc))).collect();
        if let Some(q) = search::insert_terms_of(tenant, terms.iter().map(|(id, t)| (*id, t))) {
            self.exec(&q).await?;
        }
        Ok(())
    }

    async fn reindex(
        &self,
        tenant: TenantId,
        id: Uuid,
        _archived: bool,
        doc: &SearchDocument,
    ) -> StoreResult<()> {
        self.exec(&search::delete_terms(tenant, id)).await?;
        if let Some(q) = search::insert_terms(tenant, id, &search::terms(doc)) {
            self.exec(&q).await?;
        }
        Ok(())
    }

    async fn unindex(&self, tenant: TenantId, id: Uuid) -> StoreResult<()> {
        self.exec(&search::delete_terms(tenant, id)).await?;
        Ok(())
    }
}
