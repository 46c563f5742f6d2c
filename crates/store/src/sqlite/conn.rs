//! The seam (`crate::db`) on a SQLite connection: statements run when they are called, on the
//! thread that owns the connection (the writer thread, or a reader: see `readers`), so
//! every future is ready when it is returned and [`block_on`] polls a rule exactly once.

use std::cell::RefCell;
use std::future::{ready, Future};
use std::path::Path;
use std::pin::pin;
use std::sync::{LazyLock, Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use clientele_core::document::{Assigned, ClientJson};
use clientele_core::query::ClientQuery;
use clientele_core::search::SearchDocument;
use clientele_core::store::StoreResult;
use clientele_core::{StoreError, TenantId};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ErrorCode, OpenFlags, Row};
use sea_query::{SelectStatement, SqliteQueryBuilder};
use sea_query_rusqlite::{RusqliteValue, RusqliteValues};
use uuid::Uuid;

use super::bind::NonNullParameters;
use super::counts;
use super::search::{self, SqliteFlavour};
use super::tenant_seqs;
use crate::columns::{decode_client_json, new_client_fields, select_columns, Columns, RowSource};
use crate::counts::CountCache;
use crate::db::{Db, NewClientDoc, NewDocument, Tx};
use crate::rid::rid_in;
use crate::rules::sequences::RidScope;
use crate::statements::{ListStatement, Rows, Statement};

/// Runs a rule to completion on this thread. A SQLite rule never waits (see the module
/// comment): a rule still pending after one poll awaited something else, which is a bug.
pub(super) fn block_on<T>(rule: impl Future<Output = StoreResult<T>>) -> StoreResult<T> {
    match pin!(rule).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(r) => r,
        Poll::Pending => Err(StoreError::Other(
            "a SQLite rule waited for something other than SQLite".into(),
        )),
    }
}

/// The connection. The mutex only makes a connection (`Send`, not `Sync`) usable behind a shared
/// reference, as the rules' futures need; one thread uses it at a time, so the lock is never
/// contended, and a poisoned one is still a good connection.
pub(super) fn lock(conn: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    conn.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A SQLite connection as the rules see it.
pub(super) struct Conn<'a> {
    conn: &'a Mutex<Connection>,
    /// List totals remembered by the readers (the writer lists nothing).
    counts: Option<&'a CountCache>,
    /// On a reader whose read should also read the credentials' generation
    /// (`clientele_core::credential_check`): where the point read, which reads it in the same
    /// statement as the client, puts it.
    generation: Option<&'a OnceLock<i64>>,
}

impl<'a> Conn<'a> {
    pub(super) fn writer(conn: &'a Mutex<Connection>) -> Self {
        Self {
            conn,
            counts: None,
            generation: None,
        }
    }

    /// A reader; with `generation`, a point read also reads the credentials' generation into it.
    pub(super) fn reader(
        conn: &'a Mutex<Connection>,
        counts: &'a CountCache,
        generation: Option<&'a OnceLock<i64>>,
    ) -> Self {
        Self {
            conn,
            counts: Some(counts),
            generation,
        }
    }

    fn exec_now<S: Statement>(&self, stmt: &S) -> StoreResult<u64> {
        let (sql, values) = bind(stmt);
        let conn = lock(self.conn);
        counts::flush_before(&conn, &sql).map_err(map_err)?;
        let changed = conn
            .prepare_cached(&sql)
            .and_then(|mut st| st.execute(&*values.as_params()))
            .map_err(map_err)?;
        Ok(changed as u64)
    }

    fn rows_now<S: Statement, T>(
        &self,
        stmt: &S,
        mut decode: impl FnMut(&mut dyn RowSource) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        let (sql, values) = bind(stmt);
        let conn = lock(self.conn);
        if let Some(label) = stmt.label() {
            // Statement text only: values are bound and never part of it.
            tracing::debug!(%sql, "{label}");
            log_plan(&conn, &sql, &values);
        }
        counts::flush_before(&conn, &sql).map_err(map_err)?;
        let mut st = conn.prepare_cached(&sql).map_err(map_err)?;
        let mut rows = st.query(&*values.as_params()).map_err(map_err)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(map_err)? {
            out.push(decode(&mut SqliteRow { row, i: 0 })?);
        }
        Ok(out)
    }

    /// A list total, from the readers' cache while the tenant's clients have not changed.
    fn list_total_now(&self, tenant: TenantId, count: &SelectStatement) -> StoreResult<u64> {
        let stmt = ListStatement::count(count);
        let total = |s: &Self| -> StoreResult<u64> {
            let n = s.rows_now(&stmt, |r| r.int())?.into_iter().next().flatten();
            let n = n.ok_or_else(|| StoreError::Other("a count returned no number".into()))?;
            Ok(n.max(0) as u64)
        };
        let Some(counts) = self.counts else {
            return total(self);
        };
        let (sql, values) = bind(&stmt);
        let generation = counts::generation(&lock(self.conn), tenant).map_err(map_err)?;
        let key = (tenant.0, format!("{sql}\u{0}{values:?}"));
        if let Some(n) = counts.get(&key, generation) {
            return Ok(n);
        }
        let n = total(self)?;
        counts.put(key, generation, n);
        Ok(n)
    }

    /// The point read, each row decoded by `decode`. A reader runs [`POINT_READ`] over its
    /// [`CLIENT_POINT_VIEW`]: a statement of some 70 characters rather than one that names every
    /// column (1.4 KB), which rusqlite's statement cache hashes, compares and copies twice per
    /// use, and with the two ids bound as text from stack buffers; when the credentials'
    /// generation is wanted, [`POINT_READ_CHECKED`] reads it in the same statement (one read
    /// transaction instead of two). The writer (no such view) runs the full statement.
    fn client_by_id_now<T>(
        &self,
        tenant: TenantId,
        id: Uuid,
        decode: fn(&mut dyn RowSource) -> StoreResult<T>,
    ) -> StoreResult<T> {
        if self.counts.is_none() {
            let stmt = crate::statements::select_client(tenant, id);
            return self
                .rows_now(&stmt, decode)?
                .into_iter()
                .next()
                .ok_or(StoreError::NotFound);
        }
        let (mut t, mut i) = (Uuid::encode_buffer(), Uuid::encode_buffer());
        let tenant: &str = tenant.0.hyphenated().encode_lower(&mut t);
        let id: &str = id.hyphenated().encode_lower(&mut i);
        let conn = lock(self.conn);
        let sql = match self.generation {
            Some(_) => POINT_READ_CHECKED,
            None => POINT_READ,
        };
        let mut st = conn.prepare_cached(sql).map_err(map_err)?;
        let last = st.column_count().saturating_sub(1);
        let mut rows = st.query([tenant, id]).map_err(map_err)?;
        match rows.next().map_err(map_err)? {
            Some(row) => {
                if let Some(seen) = self.generation {
                    let _ = seen.set(row.get(last).map_err(map_err)?);
                }
                decode(&mut SqliteRow { row, i: 0 })
            }
            None => Err(StoreError::NotFound),
        }
    }

    /// `Tx::client_numbers`: what `statements::next_client_number` does, as two statements
    /// whose texts are written once (`statements::TAKE_CLIENT_NUMBERS_SQLITE`), or counted in
    /// the writer's batch ([`tenant_seqs`]).
    fn client_numbers_now(&self, tenant: TenantId, n: usize) -> StoreResult<Vec<i64>> {
        let n = n as i64;
        let last = tenant_seqs::take_numbers(&lock(self.conn), tenant, n).map_err(map_err)?;
        let last = last.ok_or_else(|| StoreError::Other("expected a row with a number".into()))?;
        Ok((last - n + 1..=last).collect())
    }

    /// `Tx::feed_positions`: the position after the tenant's last one
    /// (`statements::last_feed_position`, its text written once), or counted in the writer's
    /// batch ([`tenant_seqs`]).
    fn feed_positions_now(&self, tenant: TenantId, n: usize) -> StoreResult<Option<i64>> {
        let first = tenant_seqs::take_positions(&lock(self.conn), tenant, n as i64);
        first.map(Some).map_err(map_err)
    }

    /// A client's document: on a reader, its kept one ([`Conn::kept_document_now`]), or, when
    /// it has none (it changed since its creation, or the idle writer has not written it yet),
    /// from its row as [`Conn::client_by_id_now`] reads it. The writer reads the row.
    fn client_json_by_id_now(&self, tenant: TenantId, id: Uuid) -> StoreResult<ClientJson> {
        if self.counts.is_some() {
            if let Some(kept) = self.kept_document_now(tenant, id)? {
                return Ok(kept);
            }
        }
        self.client_by_id_now(tenant, id, decode_client_json)
    }

    /// The kept document of a client (`client_docs`, migration 34): the one row keyed by the
    /// creation sequence its id carries ([`rid_in`]), when that row is the client's
    /// own, in this tenant (one B-tree: [`DOC_READ`]). Records the credentials' generation when
    /// it answers.
    fn kept_document_now(&self, tenant: TenantId, id: Uuid) -> StoreResult<Option<ClientJson>> {
        let Some(rid) = rid_in(id) else {
            return Ok(None);
        };
        let (mut t, mut i) = (Uuid::encode_buffer(), Uuid::encode_buffer());
        let t: &str = tenant.0.hyphenated().encode_lower(&mut t);
        let i: &str = id.hyphenated().encode_lower(&mut i);
        let conn = lock(self.conn);
        let sql = match self.generation {
            Some(_) => DOC_READ_CHECKED,
            None => DOC_READ,
        };
        let mut st = conn.prepare_cached(sql).map_err(map_err)?;
        let mut rows = st.query([rid]).map_err(map_err)?;
        let Some(row) = rows.next().map_err(map_err)? else {
            return Ok(None);
        };
        let text = |n: usize| match row.get_ref(n) {
            Ok(ValueRef::Text(v)) => Ok(v),
            Ok(other) => Err(map_err(rusqlite::Error::InvalidColumnType(
                n,
                "text".into(),
                other.data_type(),
            ))),
            Err(e) => Err(map_err(e)),
        };
        if text(0)? != t.as_bytes() || text(1)? != i.as_bytes() {
            return Ok(None);
        }
        if let Some(seen) = self.generation {
            let _ = seen.set(row.get(4).map_err(map_err)?);
        }
        Ok(Some(ClientJson {
            version: row.get(2).map_err(map_err)?,
            json: text(3)?.to_vec(),
        }))
    }

    /// Keeps the documents of clients just inserted (`client_docs`): each one's fields
    /// ([`new_client_fields`], from the values its row was written from) between the values the
    /// store assigned it, so a point read of its row would write the same bytes.
    fn keep_documents_now(&self, clients: &[NewClientDoc<'_>]) -> StoreResult<()> {
        let conn = lock(self.conn);
        let mut st = conn.prepare_cached(KEEP_DOC).map_err(map_err)?;
        let mut doc = Vec::with_capacity(2048);
        for new in clients
            .iter()
            .filter(|c| rid_in(c.client.id) == Some(c.rid))
        {
            let built;
            let fields = match new.fields {
                Some(f) => f,
                None => {
                    built = new_client_fields(&new.client.data);
                    &built
                }
            };
            doc.clear();
            Assigned::of(new.client).write_json(fields, &mut doc);
            let (mut t, mut i) = (Uuid::encode_buffer(), Uuid::encode_buffer());
            st.execute((
                new.rid,
                &*new.tenant.0.hyphenated().encode_lower(&mut t),
                &*new.client.id.hyphenated().encode_lower(&mut i),
                new.client.version,
                ToSqlOutput::Borrowed(ValueRef::Text(&doc)),
            ))
            .map_err(map_err)?;
        }
        Ok(())
    }

    fn index_new_now(&self, tenant: TenantId, docs: &[NewDocument]) -> StoreResult<()> {
        search::write_new_documents(&lock(self.conn), tenant, docs)
    }

    /// One prepared single-row statement, run for each row (its text, and so its place in the
    /// statement cache, is the same for every chunk; no multi-row statement is rendered). A row
    /// of `clients` is counted right after its insert ([`counts::count_new_client`]), before
    /// the next row and whatever the transaction does next with it.
    fn insert_rows_now(&self, rows: Rows) -> StoreResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let Rows {
            table,
            columns,
            values: rows,
        } = rows;
        let conn = lock(self.conn);
        let (mut st, counted) = INSERT_SQL.with(|known| {
            let mut known = known.borrow_mut();
            // One entry per shape (two: clients, audit records); the columns are a static
            // list, so the same address is the same shape (compared by value otherwise).
            let i = match known.iter().position(|k| {
                k.table == table && (std::ptr::eq(k.columns, columns) || k.columns == columns)
            }) {
                Some(i) => i,
                None => {
                    let counted = match table {
                        "clients" => Some(counts::CountedColumns::of(columns)?),
                        _ => None,
                    };
                    known.push(InsertText {
                        table,
                        columns,
                        sql: insert_sql(table, columns.iter().copied()),
                        counted,
                    });
                    known.len() - 1
                }
            };
            let st = conn.prepare_cached(&known[i].sql).map_err(map_err)?;
            Ok::<_, StoreError>((st, known[i].counted))
        })?;
        let mut held = NonNullParameters::default();
        for values in rows {
            let new = counted.map(|c| c.read(&values)).transpose()?;
            held.bind(&mut st, values)?;
            st.raw_execute().map_err(map_err)?;
            if let Some(new) = new {
                counts::count_new_client(&conn, &new).map_err(map_err)?;
            }
        }
        Ok(())
    }

    fn reindex_now(
        &self,
        tenant: TenantId,
        id: Uuid,
        archived: bool,
        doc: &SearchDocument,
    ) -> StoreResult<()> {
        let conn = lock(self.conn);
        match search::client_rid(&conn, tenant, id)? {
            Some((rid, _)) => search::write_document(&conn, tenant, rid, archived, doc),
            None => Ok(()),
        }
    }

    fn unindex_now(&self, tenant: TenantId, id: Uuid) -> StoreResult<()> {
        let conn = lock(self.conn);
        match search::client_rid(&conn, tenant, id)? {
            Some((rid, _)) => search::remove_document(&conn, rid),
            None => Ok(()),
        }
    }
}

impl Db for Conn<'_> {
    type Flavour = SqliteFlavour;

    fn exec<S: Statement>(&self, stmt: &S) -> impl Future<Output = StoreResult<u64>> + Send {
        ready(self.exec_now(stmt))
    }

    fn rows<S: Statement, T: Send>(
        &self,
        stmt: &S,
        decode: impl FnMut(&mut dyn RowSource) -> StoreResult<T> + Send,
    ) -> impl Future<Output = StoreResult<Vec<T>>> + Send {
        ready(self.rows_now(stmt, decode))
    }

    fn client_by_id<T: Send>(
        &self,
        tenant: TenantId,
        id: Uuid,
        decode: fn(&mut dyn RowSource) -> StoreResult<T>,
    ) -> impl Future<Output = StoreResult<T>> + Send {
        ready(self.client_by_id_now(tenant, id, decode))
    }

    fn client_json_by_id(
        &self,
        tenant: TenantId,
        id: Uuid,
    ) -> impl Future<Output = StoreResult<ClientJson>> + Send {
        ready(self.client_json_by_id_now(tenant, id))
    }

    fn flavour(
        &self,
        tenant: TenantId,
        query: &ClientQuery,
    ) -> impl Future<Output = StoreResult<SqliteFlavour>> + Send {
        let conn = lock(self.conn);
        ready(SqliteFlavour::new(&conn, tenant, query))
    }

    fn list_total(
        &self,
        tenant: TenantId,
        count: &SelectStatement,
    ) -> impl Future<Output = StoreResult<u64>> + Send {
        ready(self.list_total_now(tenant, count))
    }
}

impl Tx for Conn<'_> {
    /// Global: the creation sequence is also the rowid of the one full-text table.
    fn rid_scope(&self, _tenant: TenantId) -> RidScope {
        RidScope::AllClients
    }

    /// From the tenant's counter row, as by default, with texts written once
    /// (`statements::TAKE_CLIENT_NUMBERS_SQLITE`) instead of built for every create.
    fn client_numbers(
        &self,
        tenant: TenantId,
        n: usize,
    ) -> impl Future<Output = StoreResult<Vec<i64>>> + Send {
        ready(self.client_numbers_now(tenant, n))
    }

    /// The next ones of the tenant: the one writer commits them in the order it gives them.
    fn feed_positions(
        &self,
        tenant: TenantId,
        n: usize,
    ) -> impl Future<Output = StoreResult<Option<i64>>> + Send {
        ready(self.feed_positions_now(tenant, n))
    }

    fn insert_rows(&self, rows: Rows) -> impl Future<Output = StoreResult<()>> + Send {
        ready(self.insert_rows_now(rows))
    }

    fn index_new(
        &self,
        tenant: TenantId,
        docs: &[NewDocument],
    ) -> impl Future<Output = StoreResult<()>> + Send {
        ready(self.index_new_now(tenant, docs))
    }

    fn keep_documents(
        &self,
        clients: &[NewClientDoc<'_>],
    ) -> impl Future<Output = StoreResult<()>> + Send {
        ready(self.keep_documents_now(clients))
    }

    fn reindex(
        &self,
        tenant: TenantId,
        id: Uuid,
        archived: bool,
        doc: &SearchDocument,
    ) -> impl Future<Output = StoreResult<()>> + Send {
        ready(self.reindex_now(tenant, id, archived, doc))
    }

    fn unindex(&self, tenant: TenantId, id: Uuid) -> impl Future<Output = StoreResult<()>> + Send {
        ready(self.unindex_now(tenant, id))
    }

    /// A SQLite file is served by one process at a time: an instance other than this one is an
    /// earlier process, so its claims are released as soon as this one starts.
    fn instance_gone(&self, _instance: &str) -> impl Future<Output = StoreResult<bool>> + Send {
        ready(Ok(true))
    }
}

thread_local! {
    /// [`insert_sql`]'s text by table and columns, built once per thread (a client row has 71
    /// columns: formatting them was ~60,000 instructions per create). Found by a short scan
    /// rather than a hash map: hashing the 80 column names of the key was ~7,500 instructions
    /// per insert.
    static INSERT_SQL: RefCell<Vec<InsertText>> = const { RefCell::new(Vec::new()) };
}

/// An [`insert_sql`] text, by table and columns; for `clients`, where the columns its rows are
/// counted by are.
struct InsertText {
    table: &'static str,
    columns: &'static [&'static str],
    sql: String,
    counted: Option<counts::CountedColumns>,
}

/// `INSERT INTO "table" ("a", "b", ...) VALUES (?, ?, ...)`: one row of these columns.
fn insert_sql<'a>(table: &str, columns: impl Iterator<Item = &'a str>) -> String {
    let columns: Vec<String> = columns.map(|c| format!("\"{c}\"")).collect();
    let marks = vec!["?"; columns.len()].join(", ");
    format!(
        "INSERT INTO \"{table}\" ({}) VALUES ({marks})",
        columns.join(", ")
    )
}

fn bind<S: Statement>(stmt: &S) -> (String, RusqliteValues) {
    let (sql, values) = stmt.build(SqliteQueryBuilder);
    (
        sql,
        RusqliteValues(values.into_iter().map(RusqliteValue).collect()),
    )
}

/// The credentials' generation (`statements::auth_generation`), its text built once.
pub(super) fn auth_generation(conn: &Connection) -> StoreResult<i64> {
    static TEXT: LazyLock<String> = LazyLock::new(|| bind(&crate::statements::auth_generation()).0);
    conn.prepare_cached(&TEXT)
        .and_then(|mut st| st.query_row([1], |r| r.get(0)))
        .map_err(map_err)
}

/// Documents one step of [`backfill_documents`] writes at most.
const BACKFILL_ROWS: usize = 500;

/// The documents (`client_docs`) wanted again (`client_docs_wanted`, migration 34: of clients
/// changed since they were written, or from before the migration): one bounded step, in `rid`
/// order, each written from the client's row by the point read's own decode
/// (`decode_client_json`), so it is the answer the read gives without it, and taken off the
/// list. Only a document its client's id finds (`Conn::kept_document_now`) is written. Runs in
/// the caller's transaction; returns whether there may be more.
pub(super) fn backfill_documents(conn: &Connection) -> StoreResult<bool> {
    static ROW: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT \"tenant_id\", \"id\", {} FROM main.\"clients\" WHERE \"rid\" = ?1",
            crate::columns::qualified_select_text()
        )
    });
    // A new file the migrations have not reached yet has no list.
    let listed: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM main.sqlite_master WHERE \"name\" = 'client_docs_wanted')",
        )
        .and_then(|mut st| st.query_row([], |r| r.get(0)))
        .map_err(map_err)?;
    if !listed {
        return Ok(false);
    }
    let wanted: Vec<i64> = conn
        .prepare_cached("SELECT \"rid\" FROM main.\"client_docs_wanted\" ORDER BY \"rid\" LIMIT ?1")
        .and_then(|mut st| {
            st.query_map([BACKFILL_ROWS as i64], |r| r.get(0))?
                .collect()
        })
        .map_err(map_err)?;
    let mut read = conn.prepare_cached(&ROW).map_err(map_err)?;
    let mut keep = conn.prepare_cached(KEEP_DOC).map_err(map_err)?;
    let mut done = conn
        .prepare_cached("DELETE FROM main.\"client_docs_wanted\" WHERE \"rid\" = ?1")
        .map_err(map_err)?;
    for rid in &wanted {
        let mut rows = read.query([rid]).map_err(map_err)?;
        if let Some(row) = rows.next().map_err(map_err)? {
            let (tenant, id): (String, String) =
                (row.get(0).map_err(map_err)?, row.get(1).map_err(map_err)?);
            if Uuid::parse_str(&id).ok().and_then(rid_in) == Some(*rid) {
                let doc = decode_client_json(&mut SqliteRow { row, i: 2 })?;
                keep.execute((
                    rid,
                    tenant,
                    id,
                    doc.version,
                    ToSqlOutput::Borrowed(ValueRef::Text(&doc.json)),
                ))
                .map_err(map_err)?;
            }
        }
        done.execute([rid]).map_err(map_err)?;
    }
    Ok(wanted.len() == BACKFILL_ROWS)
}

/// Classifies a driver error: a unique-constraint failure is a conflict on the column it is
/// about; a busy or unreachable database is unavailable.
pub(super) fn map_err(e: rusqlite::Error) -> StoreError {
    if let Some(key) = unique_violation(&e) {
        return StoreError::Conflict(key.into());
    }
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(
                f.code,
                ErrorCode::DatabaseBusy
                    | ErrorCode::DatabaseLocked
                    | ErrorCode::CannotOpen
                    | ErrorCode::DiskFull
                    | ErrorCode::SystemIoFailure
            ) =>
        {
            StoreError::Unavailable(e.to_string())
        }
        _ => StoreError::Other(e.to_string()),
    }
}

/// A unique-constraint failure, named by the column it is about.
fn unique_violation(e: &rusqlite::Error) -> Option<&'static str> {
    match e {
        rusqlite::Error::SqliteFailure(f, Some(msg))
            if f.code == ErrorCode::ConstraintViolation && msg.starts_with("UNIQUE") =>
        {
            if msg.contains("external_id") {
                Some("external_id")
            } else if msg.contains("tenants.name") {
                Some("name")
            } else {
                Some("key")
            }
        }
        _ => None,
    }
}

/// Opens a connection: the writer's (creating the file if missing) or a read-only reader.
pub(super) fn open_connection(path: &Path, writer: bool) -> StoreResult<Connection> {
    let flags = if writer {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
    } | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
    conn.busy_timeout(Duration::from_secs(5)).map_err(map_err)?;
    // WAL: readers never block the writer. synchronous=FULL: a commit is on disk when it
    // returns. The writer's connection switches to NORMAL and has its WAL synced by a thread
    // of its own before any write is answered (`writer::Wal`).
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;",
    )
    .map_err(map_err)?;
    // The page cache is per connection: the writer's is larger; the readers' stay small so that
    // the process's memory is bounded whatever the database's size (the operating system's file
    // cache holds the rest).
    if writer {
        conn.execute_batch("PRAGMA cache_size = -32000;")
    } else {
        // The view first: `query_only` refuses it afterwards (it is this connection's own,
        // in its `temp` schema; nothing is written to the file).
        conn.execute_batch(&format!(
            "PRAGMA cache_size = -8000; {}; PRAGMA query_only = ON;",
            client_point_view()
        ))
    }
    .map_err(map_err)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// A reader connection's view of the clients table for the point read: the columns of
/// `columns::select_columns` in their order (what `decode_client` reads), then `tenant_id`.
/// SQLite resolves a view when a statement using it is prepared (the table may not exist yet
/// when a reader is opened) and flattens it into that statement: [`POINT_READ`] runs the same
/// program, on the same index, as the full statement.
const CLIENT_POINT_VIEW: &str = "client_point";

/// The point read over [`CLIENT_POINT_VIEW`]: tenant id, then client id.
const POINT_READ: &str =
    "SELECT * FROM temp.\"client_point\" WHERE \"tenant_id\" = ?1 AND \"id\" = ?2";

/// [`POINT_READ`] with the credentials' generation (`statements::auth_generation`) as its last
/// column.
const POINT_READ_CHECKED: &str = "SELECT *, (SELECT \"gen\" FROM main.\"auth_generation\" \
     WHERE \"id\" = 1) FROM temp.\"client_point\" WHERE \"tenant_id\" = ?1 AND \"id\" = ?2";

/// The point read of a client's kept document (`client_docs`, migration 34), by the creation
/// sequence its id carries: the tenant and the id it is for, its version, the document.
const DOC_READ: &str = "SELECT \"tenant_id\", \"id\", \"version\", \"doc\" \
     FROM main.\"client_docs\" WHERE \"rid\" = ?1";

/// [`DOC_READ`] with the credentials' generation (`statements::auth_generation`) as its fifth
/// column.
const DOC_READ_CHECKED: &str = "SELECT \"tenant_id\", \"id\", \"version\", \"doc\", \
     (SELECT \"gen\" FROM main.\"auth_generation\" WHERE \"id\" = 1) \
     FROM main.\"client_docs\" WHERE \"rid\" = ?1";

/// Keeps a client's document (`Conn::keep_documents_now`, `backfill_documents`).
const KEEP_DOC: &str = "INSERT OR REPLACE INTO \"client_docs\" \
     (\"rid\", \"tenant_id\", \"id\", \"version\", \"doc\") VALUES (?1, ?2, ?3, ?4, ?5)";

/// `CREATE TEMP VIEW` of [`CLIENT_POINT_VIEW`].
fn client_point_view() -> String {
    let columns: Vec<String> = select_columns()
        .chain(["tenant_id"])
        .map(|c| format!("\"{c}\""))
        .collect();
    format!(
        "CREATE TEMP VIEW \"{CLIENT_POINT_VIEW}\" AS SELECT {} FROM main.\"clients\"",
        columns.join(", ")
    )
}

/// A row read column by column, in select order.
struct SqliteRow<'a, 'b> {
    row: &'a Row<'b>,
    i: usize,
}

impl SqliteRow<'_, '_> {
    fn get<T: rusqlite::types::FromSql>(&mut self) -> StoreResult<Option<T>> {
        let v = self.row.get::<_, Option<T>>(self.i).map_err(map_err);
        self.i += 1;
        v
    }
}

impl RowSource for SqliteRow<'_, '_> {
    fn text(&mut self) -> StoreResult<Option<String>> {
        self.get()
    }
    fn int(&mut self) -> StoreResult<Option<i64>> {
        self.get()
    }
    fn float(&mut self) -> StoreResult<Option<f64>> {
        self.get()
    }
    fn boolean(&mut self) -> StoreResult<Option<bool>> {
        self.get()
    }
    fn bytes(&mut self) -> StoreResult<Option<Vec<u8>>> {
        self.get()
    }
    fn borrowed(
        &mut self,
        f: &mut dyn FnMut(&mut dyn Columns<'_>) -> StoreResult<()>,
    ) -> StoreResult<()> {
        f(self)
    }
}

/// Text borrowed from the row: what `get::<String>` accepts (text, `NULL`), without the copy.
impl<'a> Columns<'a> for SqliteRow<'a, '_> {
    fn text(&mut self) -> StoreResult<Option<&'a str>> {
        let i = self.i;
        self.i += 1;
        let row: &'a Row<'_> = self.row;
        match row.get_ref(i).map_err(map_err)? {
            ValueRef::Null => Ok(None),
            ValueRef::Text(t) => std::str::from_utf8(t).map(Some).map_err(|e| {
                map_err(rusqlite::Error::FromSqlConversionFailure(
                    i,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                ))
            }),
            other => Err(map_err(rusqlite::Error::InvalidColumnType(
                i,
                format!("column {i}"),
                other.data_type(),
            ))),
        }
    }
    fn int(&mut self) -> StoreResult<Option<i64>> {
        self.get()
    }
    fn float(&mut self) -> StoreResult<Option<f64>> {
        self.get()
    }
    fn boolean(&mut self) -> StoreResult<Option<bool>> {
        self.get()
    }
    fn skip(&mut self) {
        self.i += 1;
    }
}

/// At TRACE level, logs the query plan SQLite chose (how docs/indexes.md was measured).
fn log_plan(conn: &Connection, sql: &str, values: &RusqliteValues) {
    if !tracing::enabled!(tracing::Level::TRACE) {
        return;
    }
    let plan = conn
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .and_then(|mut st| {
            st.query_map(&*values.as_params(), |r| r.get::<_, String>(3))?
                .collect::<Result<Vec<_>, _>>()
        })
        .map(|rows| rows.join(" | "))
        .unwrap_or_else(|e| e.to_string());
    tracing::trace!(%plan, "query plan");
}

#[cfg(test)]
mod tests {
    use clientele_core::Store;

    use super::*;
    use crate::columns::{decode_client, decode_client_json};

    /// The point read over the view is the full statement: the same plan, the same row.
    #[tokio::test]
    async fn the_point_read_over_the_view_runs_as_the_full_statement() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("p.db");
        let store = super::super::SqliteStore::open(&path).expect("open");
        store.migrate().await.expect("migrate");
        let name = clientele_core::types::TenantName::parse("acme").expect("name");
        let tenant = store.create_tenant(&name).await.expect("tenant").id;
        let ctx = clientele_core::WriteCtx::new(tenant, "test");
        let data = clientele_core::ClientData::from_json(&serde_json::json!({
            "name": "Point AB", "email": "p@example.com",
            "credit": {"limit": 1000, "used": 10, "currency": "SEK"}
        }))
        .expect("valid");
        let created = store.create_client(&ctx, data).await.expect("create");

        let reader = Mutex::new(open_connection(&path, false).expect("reader"));
        let writer = Mutex::new(open_connection(&path, true).expect("writer"));
        let counts = CountCache::default();
        let plan = |conn: &Connection, sql: &str| -> Vec<String> {
            let mut st = conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .expect("plan");
            let rows = st
                .query_map([tenant.0.to_string(), created.id.to_string()], |r| r.get(3))
                .expect("rows");
            rows.collect::<Result<_, _>>().expect("plan rows")
        };
        let (full, _) = bind(&crate::statements::select_client(tenant, created.id));
        // The view names its table with its schema (`main.clients`): the same search.
        let viewed: Vec<String> = plan(&lock(&reader), POINT_READ)
            .iter()
            .map(|p| p.replace("main.clients", "clients"))
            .collect();
        assert_eq!(viewed, plan(&lock(&reader), &full));
        assert!(viewed.iter().any(|p| p.contains("INDEX")), "{viewed:?}");

        // The kept document: one row of `client_docs`, by the `rid` the id carries.
        let rid = rid_in(created.id).expect("a UUIDv7");
        let doc_plan: Vec<String> = lock(&reader)
            .prepare(&format!("EXPLAIN QUERY PLAN {DOC_READ_CHECKED}"))
            .and_then(|mut st| st.query_map([rid], |r| r.get(3))?.collect())
            .expect("doc plan");
        assert_eq!(
            doc_plan
                .iter()
                .filter(|p| p.starts_with("SEARCH"))
                .collect::<Vec<_>>(),
            [
                "SEARCH main.client_docs USING INTEGER PRIMARY KEY (rowid=?)",
                "SEARCH main.auth_generation USING INTEGER PRIMARY KEY (rowid=?)"
            ],
            "{doc_plan:?}"
        );
        // It answers only for its own client, in its own tenant.
        let own = Conn::reader(&reader, &counts, None).kept_document_now(tenant, created.id);
        assert!(matches!(own, Ok(Some(_))), "{own:?}");
        let mut bytes = *created.id.as_bytes();
        bytes[15] ^= 1;
        let twin = Uuid::from_bytes(bytes);
        assert_eq!(rid_in(twin), Some(rid));
        for (t, id) in [(tenant, twin), (TenantId(Uuid::now_v7()), created.id)] {
            let seen = OnceLock::new();
            let conn = Conn::reader(&reader, &counts, Some(&seen));
            assert!(matches!(conn.kept_document_now(t, id), Ok(None)));
            assert!(matches!(
                conn.client_json_by_id_now(t, id),
                Err(StoreError::NotFound)
            ));
            assert_eq!(seen.get(), None);
        }
        let seen = OnceLock::new();
        let kept = Conn::reader(&reader, &counts, Some(&seen))
            .client_json_by_id_now(tenant, created.id)
            .expect("kept document");
        assert_eq!(
            seen.get(),
            Some(&auth_generation(&lock(&reader)).expect("gen"))
        );
        let from_row = Conn::writer(&writer)
            .client_json_by_id_now(tenant, created.id)
            .expect("from the row");
        assert_eq!(kept, from_row);

        let read = |conn: Conn<'_>| conn.client_by_id_now(tenant, created.id, decode_client);
        let on_reader = read(Conn::reader(&reader, &counts, None));
        let on_writer = read(Conn::writer(&writer));
        let (on_reader, on_writer) = (on_reader.expect("reader read"), on_writer.expect("writer"));
        assert_eq!((on_reader.id, &on_reader.data), (created.id, &created.data));
        assert_eq!(on_reader, on_writer);
        // The document written straight from the row is the derived serialization's.
        // With the credentials' generation wanted, it is read by the same statement.
        let seen = OnceLock::new();
        let document = Conn::reader(&reader, &counts, Some(&seen))
            .client_by_id_now(tenant, created.id, decode_client_json)
            .expect("document");
        let generation = auth_generation(&lock(&reader)).expect("generation");
        assert_eq!(seen.get(), Some(&generation));
        assert_eq!(document.version, created.version);
        assert_eq!(
            String::from_utf8(document.json).expect("utf-8"),
            serde_json::to_string(&on_reader).expect("derived")
        );
        for (t, id) in [
            (tenant, Uuid::now_v7()),
            (TenantId(Uuid::now_v7()), created.id),
        ] {
            let other = Conn::reader(&reader, &counts, None).client_by_id_now(t, id, decode_client);
            assert!(matches!(other, Err(StoreError::NotFound)));
            let seen = OnceLock::new();
            let other = Conn::reader(&reader, &counts, Some(&seen)).client_by_id_now(
                t,
                id,
                decode_client_json,
            );
            assert!(matches!(other, Err(StoreError::NotFound)));
            assert_eq!(seen.get(), None);
        }
        store.close().await.expect("close");
    }
}
