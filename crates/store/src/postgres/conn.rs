//! The seam (`crate::db`) on a PostgreSQL connection or transaction.

use std::future::{ready, Future};

use clientele_core::query::ClientQuery;
use clientele_core::search::SearchDocument;
use clientele_core::store::StoreResult;
use clientele_core::TenantId;
use deadpool_postgres::Transaction;
use uuid::Uuid;

use super::bind::{execute, map_err, query, Conn, PgRow};
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
}

/// The search index is the term table (see `search`), rewritten in the write's transaction.
impl Tx for Pg<'_, Transaction<'_>> {
    /// Per tenant: under the tenant lock, a tenant's clients take sequences one at a time.
    fn rid_scope(&self, tenant: TenantId) -> Option<TenantId> {
        Some(tenant)
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

    /// An instance holds its session-level advisory lock for as long as it runs
    /// (`instance::Instance`); when this transaction can take the lock, its holder is gone. The
    /// transaction-level lock taken here is released at commit.
    async fn instance_gone(&self, instance: &str) -> StoreResult<bool> {
        let Ok(key) = instance.parse::<i64>() else {
            return Ok(false);
        };
        let row = self
            .0
            .query_one("SELECT pg_try_advisory_xact_lock($1)", &[&key])
            .await
            .map_err(map_err)?;
        Ok(row.get::<_, bool>(0))
    }
}
