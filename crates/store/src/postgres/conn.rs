//! The seam (`crate::db`) on a PostgreSQL connection or transaction.

use std::collections::BTreeSet;
use std::future::{ready, Future};

use clientele_core::query::ClientQuery;
use clientele_core::search::SearchDocument;
use clientele_core::store::StoreResult;
use clientele_core::TenantId;
use deadpool_postgres::Transaction;
use sea_query::{PostgresQueryBuilder, SelectStatement};
use uuid::Uuid;

use super::bind::{execute, map_err, query, Conn, PgRow};
use super::copy::{self, Loaded, COPY_MIN_ROWS};
use super::counts;
use super::feed::{self, MAX_PUBLISH_BATCHES, PUBLISH_BATCH};
use super::search::{self, PgFlavour};
use crate::columns::RowSource;
use crate::counts::CountCache;
use crate::db::{Db, NewDocument, Tx};
use crate::rules::sequences::RidScope;
use crate::statements::{
    choose_range_page, current_month, range_page_estimate, ListStatement, Rows, Statement,
};

/// The sequence of a tenant's client numbers (created with the tenant; migration 0012 for the
/// tenants that existed before).
fn number_sequence(tenant: TenantId) -> String {
    format!("clientele_number_{}", tenant.0.simple())
}

/// A pooled connection (reads) or a transaction (writes), as the rules see it, with the
/// backend's list totals and its count of bulk-loaded rows.
pub(super) struct Pg<'a, C>(
    pub(super) &'a C,
    pub(super) &'a CountCache,
    pub(super) &'a Loaded,
);

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

    /// With a range page chosen from the range counters when the list may have one (one short
    /// statement over `client_ranges` and `client_counts`).
    async fn flavour(&self, tenant: TenantId, query: &ClientQuery) -> StoreResult<PgFlavour> {
        let flavour = PgFlavour::new(tenant, query);
        let Some(estimate) = range_page_estimate(tenant, query, current_month()) else {
            return Ok(flavour);
        };
        let (matches, all) = self
            .one(&estimate.statement, |r| {
                Ok((r.int()?.unwrap_or(0), r.int()?.unwrap_or(0)))
            })
            .await?;
        Ok(flavour.with_range_page(choose_range_page(&estimate, query, matches, all)))
    }

    /// From the cache when it was counted at the generation read now (`counts`), else counted
    /// together with the generation it is exact for.
    async fn list_total(&self, tenant: TenantId, count: &SelectStatement) -> StoreResult<u64> {
        let (sql, values) = ListStatement::count(count).build(PostgresQueryBuilder);
        let key = (tenant.0, format!("{sql}\u{0}{values:?}"));
        let generation = self.int(&counts::generation(tenant)).await?;
        if let Some(n) = self.1.get(&key, generation) {
            return Ok(n);
        }
        let stmt = counts::count_at_generation(count, tenant);
        let (n, at) = self
            .one(&stmt, |r| {
                Ok((r.int()?.unwrap_or(0), r.int()?.unwrap_or(0)))
            })
            .await?;
        let n = n.max(0) as u64;
        self.1.put(key, at, n);
        Ok(n)
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

/// The search index is one row of words per client (see `search`), rewritten in the write's
/// transaction.
impl Tx for Pg<'_, Transaction<'_>> {
    /// A whole import batch: many rows go by `COPY` (`insert_rows`), which binds no values.
    const BULK_CHUNK: usize = 10_000;

    /// Per tenant, from the client's number: a tenant's creates run in parallel.
    fn rid_scope(&self, _tenant: TenantId) -> RidScope {
        RidScope::TenantByNumber
    }

    /// From the tenant's own sequence (`number_sequence`): `nextval` waits for no other
    /// transaction, so a tenant's creates do not queue behind each other's commits. A number
    /// taken by a transaction that then fails is not used again: numbers never repeat, and a
    /// failed create may leave a gap.
    async fn client_numbers(&self, tenant: TenantId, n: usize) -> StoreResult<Vec<i64>> {
        let stmt = self
            .0
            .prepare_cached(
                "SELECT nextval($1::text::regclass) FROM generate_series(1, $2::bigint)",
            )
            .await
            .map_err(map_err)?;
        let rows = self
            .0
            .query(&stmt, &[&number_sequence(tenant), &(n as i64)])
            .await
            .map_err(map_err)?;
        let mut numbers: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
        numbers.sort_unstable();
        Ok(numbers)
    }

    async fn tenant_created(&self, tenant: TenantId) -> StoreResult<()> {
        // The name is made of hex digits only: nothing to quote.
        let sql = format!("CREATE SEQUENCE IF NOT EXISTS {}", number_sequence(tenant));
        self.0.batch_execute(&sql).await.map_err(map_err)
    }

    /// A transaction-scoped advisory lock on a hash of the tenant and the key (two keys that
    /// share a hash only wait for each other).
    async fn lock_key(&self, tenant: TenantId, key: &str) -> StoreResult<()> {
        let stmt = self
            .0
            .prepare_cached("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .await
            .map_err(map_err)?;
        let name = format!("{}/{key}", tenant.0);
        self.0.execute(&stmt, &[&name]).await.map_err(map_err)?;
        Ok(())
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

    /// By `COPY` when there are many (`copy`).
    async fn insert_rows(&self, rows: Rows) -> StoreResult<()> {
        if rows.len() >= COPY_MIN_ROWS {
            if rows.table == "clients" {
                self.2.add(rows.len());
            }
            copy::copy_rows(self.0, rows).await?;
        } else if !rows.is_empty() {
            self.exec(&rows.into_insert()).await?;
        }
        Ok(())
    }

    async fn index_new(&self, tenant: TenantId, docs: &[NewDocument]) -> StoreResult<()> {
        // With their tags (migration 16): no trigger reads the client rows back.
        let terms: Vec<_> = docs.iter().map(|d| (d.id, search::new_terms(d))).collect();
        let words: Vec<(Uuid, &BTreeSet<String>)> = terms.iter().map(|(id, t)| (*id, t)).collect();
        if words.len() >= COPY_MIN_ROWS {
            copy::copy_words(self.0, tenant, &words).await?;
        } else if let Some(q) = search::insert_words_of(tenant, words) {
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
        let terms = search::terms(doc);
        if self.exec(&search::update_words(tenant, id, &terms)).await? == 0 {
            let stmt = self
                .0
                .prepare_cached(search::INSERT_WORDS_TAGGED_FROM_ROW)
                .await
                .map_err(map_err)?;
            let (tenant, id) = (tenant.0.to_string(), id.to_string());
            self.0
                .execute(&stmt, &[&tenant, &id, &search::array_literal(&terms)])
                .await
                .map_err(map_err)?;
        }
        Ok(())
    }

    async fn unindex(&self, tenant: TenantId, id: Uuid) -> StoreResult<()> {
        self.exec(&search::delete_words(tenant, id)).await?;
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
