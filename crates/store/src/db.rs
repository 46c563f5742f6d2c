//! The seam between the rules (written once, in `rules/`) and a backend: run a statement, read
//! rows through [`RowSource`], and inside a write transaction the few hooks whose work truly
//! differs per backend (the search index, the scope of creation sequences).
//!
//! Every method returns a `Send` future so that rules generic over the backend are `Send` too
//! (the `Store` trait's futures must be). SQLite's futures are ready when returned: it runs each
//! statement when called, on the thread that owns the connection.

use std::future::{ready, Future};

use clientele_core::document::ClientJson;
use clientele_core::query::ClientQuery;
use clientele_core::search::SearchDocument;
use clientele_core::store::StoreResult;
use clientele_core::{Client, StoreError, TenantId};
use sea_query::SelectStatement;
use uuid::Uuid;

use crate::columns::RowSource;
use crate::rules::sequences::RidScope;
use crate::statements::{Flavour, ListStatement, Rows, Statement};

/// A connection as the rules see it: statements in, decoded rows out.
pub trait Db: Sync {
    /// How this backend writes the parts of a list query that differ (search above all).
    type Flavour: Flavour + Send;

    /// Runs a statement that returns no rows; returns how many rows it changed.
    fn exec<S: Statement>(&self, stmt: &S) -> impl Future<Output = StoreResult<u64>> + Send;

    /// Every row a statement returns, each decoded by `decode` in select order.
    fn rows<S: Statement, T: Send>(
        &self,
        stmt: &S,
        decode: impl FnMut(&mut dyn RowSource) -> StoreResult<T> + Send,
    ) -> impl Future<Output = StoreResult<Vec<T>>> + Send;

    /// The flavour for one list query of `tenant` (SQLite reads the tenant's search vocabulary).
    fn flavour(
        &self,
        tenant: TenantId,
        query: &ClientQuery,
    ) -> impl Future<Output = StoreResult<Self::Flavour>> + Send;

    /// Runs the count statement of a list of `tenant`'s clients. A backend may answer from a
    /// cache that it knows to be exact (SQLite: per generation of the tenant's clients).
    fn list_total(
        &self,
        _tenant: TenantId,
        count: &SelectStatement,
    ) -> impl Future<Output = StoreResult<u64>> + Send {
        async move {
            let stmt = ListStatement::count(count);
            Ok(self.int(&stmt).await?.max(0) as u64)
        }
    }

    /// Gives the tenant's committed audit records their feed positions, where a backend does
    /// that after commit (PostgreSQL: `Tx::feed_positions`); run before the feed is read.
    fn settle_feed(&self, _tenant: TenantId) -> impl Future<Output = StoreResult<()>> + Send {
        ready(Ok(()))
    }

    /// One client by id, its row decoded by `decode` (`columns::decode_client`, or
    /// `decode_client_json` for its document), or `NotFound` (the point read). A backend may
    /// run it its own way (SQLite's readers: a short statement over a per-connection view, see
    /// `sqlite::conn`).
    fn client_by_id<T: Send>(
        &self,
        tenant: TenantId,
        id: Uuid,
        decode: fn(&mut dyn RowSource) -> StoreResult<T>,
    ) -> impl Future<Output = StoreResult<T>> + Send {
        async move {
            self.one(&crate::statements::select_client(tenant, id), decode)
                .await
        }
    }

    /// One client's JSON document by id (the point read without `expand`), or `NotFound`: by
    /// default [`Db::client_by_id`] with `decode_client_json`; a backend that keeps the
    /// documents of its clients (SQLite: `client_docs`, see [`Tx::keep_documents`]) reads it
    /// from there.
    fn client_json_by_id(
        &self,
        tenant: TenantId,
        id: Uuid,
    ) -> impl Future<Output = StoreResult<ClientJson>> + Send {
        self.client_by_id(tenant, id, crate::columns::decode_client_json)
    }

    /// The first row a statement returns, if any.
    fn first<S: Statement, T: Send>(
        &self,
        stmt: &S,
        decode: impl FnMut(&mut dyn RowSource) -> StoreResult<T> + Send,
    ) -> impl Future<Output = StoreResult<Option<T>>> + Send {
        async move { Ok(self.rows(stmt, decode).await?.into_iter().next()) }
    }

    /// The first row a statement returns, or `NotFound`.
    fn one<S: Statement, T: Send>(
        &self,
        stmt: &S,
        decode: impl FnMut(&mut dyn RowSource) -> StoreResult<T> + Send,
    ) -> impl Future<Output = StoreResult<T>> + Send {
        async move { self.first(stmt, decode).await?.ok_or(StoreError::NotFound) }
    }

    /// Whether a statement returns any row.
    fn exists<S: Statement>(&self, stmt: &S) -> impl Future<Output = StoreResult<bool>> + Send {
        async move { Ok(!self.rows(stmt, |_| Ok(())).await?.is_empty()) }
    }

    /// The integer in the first column of the first row, or `None` when it is NULL (an
    /// aggregate such as `max` over no rows).
    fn opt_int<S: Statement>(
        &self,
        stmt: &S,
    ) -> impl Future<Output = StoreResult<Option<i64>>> + Send {
        async move {
            self.first(stmt, |r| r.int())
                .await?
                .ok_or_else(|| StoreError::Other("expected a row with a number".into()))
        }
    }

    /// The integer a statement returns (a count, a `RETURNING` value).
    fn int<S: Statement>(&self, stmt: &S) -> impl Future<Output = StoreResult<i64>> + Send {
        async move {
            self.opt_int(stmt)
                .await?
                .ok_or_else(|| StoreError::Other("expected a number, got NULL".into()))
        }
    }
}

/// One `Store` write: rules run inside a backend's write transaction. A backend may run it more
/// than once (PostgreSQL retries a transaction that certainly left nothing behind), so `run`
/// only reads its inputs.
pub trait Write: Send + Sync + 'static {
    type Output: Send + 'static;

    /// The tenant whose data the write changes, if it changes one tenant's data.
    fn tenant(&self) -> Option<TenantId>;

    fn run<X: Tx>(&self, tx: &X) -> impl Future<Output = StoreResult<Self::Output>> + Send;
}

/// One `Store` read, on a connection of the backend's readers. It may be run more than once.
pub trait Read: Send + Sync + 'static {
    type Output: Send + 'static;

    /// True for a read of a few rows by key (microseconds on SQLite): SQLite runs it on the
    /// calling thread rather than handing it to the blocking pool.
    fn is_point(&self) -> bool {
        false
    }

    fn run<D: Db>(&self, db: &D) -> impl Future<Output = StoreResult<Self::Output>> + Send;
}

/// A new client's entry in the search index.
pub struct NewDocument {
    pub id: Uuid,
    /// The creation sequence (SQLite's full-text rowid).
    pub rid: i64,
    pub archived: bool,
    /// The stored values of the other fields PostgreSQL's search rows tag (status, address
    /// country, kind; migration postgres/0016), so that no write reads the client row back.
    pub status: &'static str,
    pub country: Option<String>,
    pub kind: &'static str,
    pub doc: SearchDocument,
}

/// A new client whose document a backend keeps (`Tx::keep_documents`).
pub struct NewClientDoc<'a> {
    pub tenant: TenantId,
    /// Its creation sequence.
    pub rid: i64,
    pub client: &'a Client,
    /// The part of its document its data gives (`columns::new_client_fields`), if built
    /// already (on the request's thread: `rules::clients::NewClientParts`).
    pub fields: Option<&'a [u8]>,
}

/// A connection inside a write transaction: what the write rules need beyond statements.
pub trait Tx: Db {
    /// New clients written at a time in a bulk load (their rows, search entries and audit
    /// records): by default as many as one multi-row `INSERT` may bind, about 70 values a
    /// client, under SQLite's limit of 32,766 per statement (and PostgreSQL's 65,535).
    const BULK_CHUNK: usize = 400;

    /// The clients a new creation sequence must be unique among, and how it is found (see
    /// `crate::rid`, `rules::sequences`).
    fn rid_scope(&self, tenant: TenantId) -> RidScope;

    /// `n` new client numbers of the tenant, ascending: by default from the tenant's counter
    /// row (which holds that row until commit: fine with one writer).
    fn client_numbers(
        &self,
        tenant: TenantId,
        n: usize,
    ) -> impl Future<Output = StoreResult<Vec<i64>>> + Send {
        async move {
            let n = n as i64;
            let last = self
                .int(&crate::statements::next_client_number(tenant, n))
                .await?;
            Ok((last - n + 1..=last).collect())
        }
    }

    /// What a new tenant needs beyond its row (PostgreSQL: its number sequence).
    fn tenant_created(&self, _tenant: TenantId) -> impl Future<Output = StoreResult<()>> + Send {
        ready(Ok(()))
    }

    /// Holds a lock on one key of the tenant until the transaction ends, where writes of one
    /// tenant run in parallel (PostgreSQL); with one writer there is nothing to do.
    fn lock_key(
        &self,
        _tenant: TenantId,
        _key: &str,
    ) -> impl Future<Output = StoreResult<()>> + Send {
        ready(Ok(()))
    }

    /// The feed positions of `n` new audit records of the tenant: the first of `n` consecutive
    /// ones when the backend commits one tenant's writes in the order it runs them (SQLite, one
    /// writer), or `None` when writes commit in parallel and positions are given after commit
    /// (PostgreSQL, `Db::settle_feed`), so that no record commits behind a position a reader
    /// has already passed.
    fn feed_positions(
        &self,
        tenant: TenantId,
        n: usize,
    ) -> impl Future<Output = StoreResult<Option<i64>>> + Send;

    /// Inserts new rows of one table (many in a bulk write): by default one multi-row
    /// `INSERT` (PostgreSQL: `COPY` when there are many).
    fn insert_rows(&self, rows: Rows) -> impl Future<Output = StoreResult<()>> + Send {
        async move {
            if !rows.is_empty() {
                self.exec(&rows.into_insert()).await?;
            }
            Ok(())
        }
    }

    /// Adds new clients (which have no contact persons yet) to the search index.
    fn index_new(
        &self,
        tenant: TenantId,
        docs: &[NewDocument],
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Keeps the JSON documents of new clients, just inserted, where point reads answer with
    /// them (SQLite: `client_docs`, see `Backend::keeps_documents`); by default nothing.
    fn keep_documents(
        &self,
        _clients: &[NewClientDoc<'_>],
    ) -> impl Future<Output = StoreResult<()>> + Send {
        ready(Ok(()))
    }

    /// Replaces the search document of an existing client.
    fn reindex(
        &self,
        tenant: TenantId,
        id: Uuid,
        archived: bool,
        doc: &SearchDocument,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Removes a client from the search index, before its row is deleted.
    fn unindex(&self, tenant: TenantId, id: Uuid) -> impl Future<Output = StoreResult<()>> + Send;

    /// Whether the server instance `instance` (another than this one, see `Backend::instance`)
    /// is gone, so that its in-flight idempotency claims can be taken over.
    fn instance_gone(&self, instance: &str) -> impl Future<Output = StoreResult<bool>> + Send;
}
