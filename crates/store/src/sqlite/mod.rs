//! SQLite backend: rusqlite, one writer thread that commits concurrent writes together (group
//! commit), and a small pool of reader connections used off the async threads.

use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use clientele_core::audit::{diff, AuditAction, AuditRecord};
use clientele_core::idempotency::{
    IdempotencyBegin, IdempotencyScope, StoredResponse, IN_FLIGHT_TIMEOUT_SECONDS,
    RETENTION_SECONDS,
};
use clientele_core::query::{ClientQuery, FieldType, KeysetPosition, Page, Scalar, SortKey};
use clientele_core::store::{AuditPage, NewApiKey, StoreResult, Upserted};
use clientele_core::tenant::{parse_permissions, RateLimit};
use clientele_core::types::{TenantName, Timestamp};
use clientele_core::{ApiKey, Client, ClientData, Store, StoreError, Tenant, TenantId, WriteCtx};
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, Row};
use sea_query::SqliteQueryBuilder;
use sea_query_rusqlite::RusqliteBinder;
use tokio::sync::oneshot;
use uuid::Uuid;

use clientele_core::sub::{SubData, SubKind, SubResource};

use crate::columns::{decode_client, decode_sub, RowSource};
use crate::rid;
use crate::statements as sql;
use search::SqliteFlavour;
use writer::{writer_loop, Job, WriteJob};

mod migrate;
pub mod search;
mod writer;

/// Idle reader connections kept open.
const MAX_IDLE_READERS: usize = 8;

fn map_err(e: rusqlite::Error) -> StoreError {
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

pub struct SqliteStore {
    path: PathBuf,
    /// `None` once closed.
    writer: Mutex<Option<mpsc::Sender<Box<dyn WriteJob>>>>,
    writer_thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    readers: Arc<Mutex<Vec<Connection>>>,
    counts: Arc<CountCache>,
}

/// Most list totals remembered; the cache is emptied when it is full.
const MAX_CACHED_COUNTS: usize = 10_000;

/// List totals by tenant and count statement, each valid for one generation of the tenant's
/// clients. The generation is bumped by triggers in every write transaction that touches the
/// tenant's clients (whoever writes), and is read before the count: a total is only reused while
/// no client of the tenant has changed since it was computed, so it is exact. Walking the pages
/// of one query counts once instead of once per page.
#[derive(Default)]
struct CountCache(Mutex<std::collections::HashMap<(Uuid, String), (i64, u64)>>);

impl CountCache {
    fn get(&self, key: &(Uuid, String), generation: i64) -> Option<u64> {
        let map = self.0.lock().ok()?;
        map.get(key)
            .filter(|(g, _)| *g == generation)
            .map(|(_, n)| *n)
    }

    fn put(&self, key: (Uuid, String), generation: i64, n: u64) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= MAX_CACHED_COUNTS {
                map.clear();
            }
            map.insert(key, (generation, n));
        }
    }
}

fn tenant_generation(conn: &Connection, tenant: TenantId) -> StoreResult<i64> {
    conn.prepare_cached("SELECT gen FROM tenant_generations WHERE tenant_id = ?1")
        .and_then(|mut st| {
            st.query_row([tenant.0.to_string()], |r| r.get(0))
                .optional()
        })
        .map(|g| g.unwrap_or(0))
        .map_err(map_err)
}

/// Turns `sqlite://file.db`, `sqlite:file.db` or `sqlite:///abs/file.db` into a path.
pub fn path_from_url(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let rest = rest.split('?').next().unwrap_or(rest);
    if rest.is_empty() {
        return None;
    }
    Some(PathBuf::from(rest))
}

fn open_connection(path: &Path, writer: bool) -> StoreResult<Connection> {
    let flags = if writer {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
    } | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
    conn.busy_timeout(Duration::from_secs(5)).map_err(map_err)?;
    // WAL: readers never block the writer. synchronous=FULL: a commit is on disk before its
    // request is answered, so an acknowledged write survives a crash or power loss.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA cache_size = -32000;",
    )
    .map_err(map_err)?;
    if !writer {
        conn.execute_batch("PRAGMA query_only = ON;")
            .map_err(map_err)?;
    }
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

impl SqliteStore {
    /// Opens (creating if missing) the database file. Call [`Store::migrate`] before use.
    pub fn open(path: &Path) -> StoreResult<Self> {
        let conn = open_connection(path, true)?;
        let (tx, rx) = mpsc::channel::<Box<dyn WriteJob>>();
        let handle = std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer_loop(conn, rx))
            .map_err(|e| StoreError::Other(format!("cannot start writer thread: {e}")))?;
        Ok(Self {
            path: path.to_path_buf(),
            writer: Mutex::new(Some(tx)),
            writer_thread: Mutex::new(Some(handle)),
            readers: Arc::new(Mutex::new(Vec::new())),
            counts: Arc::new(CountCache::default()),
        })
    }

    /// Runs `f` in the shared write transaction; resolves once it is committed (or failed).
    async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        let job: Box<dyn WriteJob> = Box::new(Job {
            work: Some(f),
            result: None,
            reply,
        });
        self.writer
            .lock()
            .map_err(|_| StoreError::Unavailable("writer lock poisoned".into()))?
            .as_ref()
            .ok_or_else(|| StoreError::Unavailable("the store is closed".into()))?
            .send(job)
            .map_err(|_| StoreError::Unavailable("the writer has stopped".into()))?;
        rx.await
            .map_err(|_| StoreError::Unavailable("the writer has stopped".into()))?
    }

    /// Runs `f` on a reader connection on the blocking pool.
    async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let readers = self.readers.clone();
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let pooled = readers.lock().ok().and_then(|mut v| v.pop());
            let conn = match pooled {
                Some(c) => c,
                None => open_connection(&path, false)?,
            };
            let r = f(&conn);
            if let Ok(mut v) = readers.lock() {
                if v.len() < MAX_IDLE_READERS {
                    v.push(conn);
                }
            }
            r
        })
        .await
        .map_err(|_| StoreError::Other("read task failed".into()))?
    }
}

// ---- row decoding ---------------------------------------------------------------------------

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
}

/// Every row a statement selects, each decoded by `decode` in select order.
fn query_rows<T>(
    conn: &Connection,
    stmt: &sea_query::SelectStatement,
    mut decode: impl FnMut(&mut SqliteRow<'_, '_>) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let (sql, values) = stmt.build_rusqlite(SqliteQueryBuilder);
    let mut st = conn.prepare_cached(&sql).map_err(map_err)?;
    let mut rows = st.query(&*values.as_params()).map_err(map_err)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(map_err)? {
        out.push(decode(&mut SqliteRow { row, i: 0 })?);
    }
    Ok(out)
}

fn query_clients(conn: &Connection, stmt: &sea_query::SelectStatement) -> StoreResult<Vec<Client>> {
    query_rows(conn, stmt, |r| decode_client(r))
}

/// One client selected with every column, or `NotFound`.
pub(crate) fn query_one(
    conn: &Connection,
    stmt: &sea_query::SelectStatement,
) -> StoreResult<Client> {
    query_one_client(conn, stmt)
}

fn query_one_client(conn: &Connection, stmt: &sea_query::SelectStatement) -> StoreResult<Client> {
    query_clients(conn, stmt)?
        .into_iter()
        .next()
        .ok_or(StoreError::NotFound)
}

fn exec(conn: &Connection, stmt: impl RusqliteBinder) -> Result<usize, rusqlite::Error> {
    let (sql, values) = stmt.build_rusqlite(SqliteQueryBuilder);
    conn.prepare_cached(&sql)?.execute(&*values.as_params())
}

/// The single integer a statement selects (a count, a `RETURNING` value).
fn query_i64<S: RusqliteBinder>(conn: &Connection, stmt: &S) -> StoreResult<i64> {
    query_opt_i64(conn, stmt)?
        .ok_or_else(|| StoreError::Other("expected a number, got NULL".into()))
}

/// The single integer or NULL a statement selects (an aggregate such as `max`).
fn query_opt_i64<S: RusqliteBinder>(conn: &Connection, stmt: &S) -> StoreResult<Option<i64>> {
    let (sql, values) = stmt.build_rusqlite(SqliteQueryBuilder);
    conn.prepare_cached(&sql)
        .and_then(|mut st| st.query_row(&*values.as_params(), |r| r.get(0)))
        .map_err(map_err)
}

/// Whether a statement selects any row.
fn query_exists<S: RusqliteBinder>(conn: &Connection, stmt: &S) -> StoreResult<bool> {
    let (sql, values) = stmt.build_rusqlite(SqliteQueryBuilder);
    conn.prepare_cached(&sql)
        .and_then(|mut st| st.exists(&*values.as_params()))
        .map_err(map_err)
}

fn decode_tenant(r: &mut SqliteRow<'_, '_>) -> StoreResult<Tenant> {
    let bad = |w: &str| StoreError::Other(format!("stored tenant {w} is invalid"));
    let id = Uuid::parse_str(&r.get::<String>()?.unwrap_or_default()).map_err(|_| bad("id"))?;
    let name =
        TenantName::parse(&r.get::<String>()?.unwrap_or_default()).map_err(|_| bad("name"))?;
    let created_at =
        Timestamp::parse(&r.get::<String>()?.unwrap_or_default()).map_err(|_| bad("created_at"))?;
    Ok(Tenant {
        id: TenantId(id),
        name,
        created_at,
    })
}

fn decode_key(r: &mut SqliteRow<'_, '_>) -> StoreResult<ApiKey> {
    let bad = |w: &str| StoreError::Other(format!("stored api key {w} is invalid"));
    let id = Uuid::parse_str(&r.get::<String>()?.unwrap_or_default()).map_err(|_| bad("id"))?;
    let tenant =
        Uuid::parse_str(&r.get::<String>()?.unwrap_or_default()).map_err(|_| bad("tenant_id"))?;
    let name = r.get::<String>()?;
    let prefix = r.get::<String>()?.unwrap_or_default();
    let permissions = parse_permissions(&r.get::<String>()?.unwrap_or_default())
        .map_err(|_| bad("permissions"))?;
    let rate_limit = r
        .get::<String>()?
        .map(|s| RateLimit::parse(&s))
        .transpose()
        .map_err(|_| bad("rate_limit"))?;
    let created_at =
        Timestamp::parse(&r.get::<String>()?.unwrap_or_default()).map_err(|_| bad("created_at"))?;
    let revoked_at = r
        .get::<String>()?
        .map(|s| Timestamp::parse(&s))
        .transpose()
        .map_err(|_| bad("revoked_at"))?;
    Ok(ApiKey {
        id,
        tenant_id: TenantId(tenant),
        name,
        prefix,
        permissions,
        rate_limit,
        created_at,
        revoked_at,
    })
}

fn query_keys(conn: &Connection, stmt: &sea_query::SelectStatement) -> StoreResult<Vec<ApiKey>> {
    query_rows(conn, stmt, decode_key)
}

// ---- writes -------------------------------------------------------------------------------

fn check_reference(
    conn: &Connection,
    tenant: TenantId,
    self_id: Uuid,
    data: &ClientData,
) -> StoreResult<()> {
    let Some(r) = data.referred_by_id else {
        return Ok(());
    };
    if r == self_id {
        return Err(StoreError::InvalidReference("referred_by_id".into()));
    }
    if query_exists(conn, &sql::client_exists(tenant, r))? {
        Ok(())
    } else {
        Err(StoreError::InvalidReference("referred_by_id".into()))
    }
}

/// The `If-Match` check, inside the write transaction: `expected` (if any) must be current.
fn check_version(expected: Option<i64>, current: i64) -> StoreResult<()> {
    match expected {
        Some(v) if v != current => Err(StoreError::VersionMismatch),
        _ => Ok(()),
    }
}

fn write_err(e: rusqlite::Error) -> StoreError {
    match unique_violation(&e) {
        Some(key) => StoreError::Conflict(key.into()),
        None => map_err(e),
    }
}

/// What an audit record is about: entity type, entity id, and the client it belongs to.
struct Entity<'a>(&'a str, Uuid, Uuid);

fn write_audit(
    conn: &Connection,
    ctx: &WriteCtx,
    Entity(entity_type, entity_id, client_id): Entity<'_>,
    action: AuditAction,
    changes: clientele_core::audit::Changes,
) -> StoreResult<()> {
    let record = AuditRecord {
        id: Uuid::now_v7(),
        entity_type: entity_type.into(),
        entity_id,
        client_id,
        action,
        actor: ctx.actor.clone(),
        at: Timestamp::now(),
        changes,
    };
    exec(
        conn,
        sql::insert_audit(&sql::AuditRow {
            tenant: ctx.tenant,
            record: &record,
        }),
    )
    .map_err(map_err)?;
    Ok(())
}

/// In the write's transaction: the idempotency key (if any) now points at what was written.
fn commit_idempotency(
    conn: &Connection,
    ctx: &WriteCtx,
    entity_type: &str,
    entity_id: Uuid,
    status: u16,
) -> StoreResult<()> {
    if let Some(scope) = &ctx.idempotency {
        exec(
            conn,
            sql::commit_idempotency(scope, entity_type, entity_id, status),
        )
        .map_err(map_err)?;
    }
    Ok(())
}

/// Takes the next creation sequence at or after millisecond `ms` (see `crate::rid`). Returns it
/// and the millisecond it belongs to (later than `ms` only when 4096 rows already share it).
/// Global, not per tenant: the sequence is also the rowid of the full-text index.
fn allocate_rid(conn: &Connection, mut ms: i64) -> StoreResult<(i64, i64)> {
    for _ in 0..rid::MAX_SPILL_MS {
        let max = query_opt_i64(conn, &sql::max_rid(None, ms))?;
        if let Some(next) = rid::next_after(ms, max) {
            return Ok((next, ms));
        }
        ms += 1;
    }
    Err(StoreError::Other("no free creation sequence".into()))
}

/// Inserts one client created at `at` (now, or a given time for imports) with number `number`.
fn insert_row(
    conn: &Connection,
    ctx: &WriteCtx,
    number: i64,
    at: Timestamp,
    data: ClientData,
) -> StoreResult<Client> {
    let (rid, ms) = allocate_rid(conn, rid::unix_ms(at))?;
    let at = rid::timestamp_of_ms(ms);
    let id = rid::id_for(rid);
    check_reference(conn, ctx.tenant, id, &data)?;
    exec(
        conn,
        sql::insert_client(&sql::NewRow {
            tenant: ctx.tenant,
            id,
            rid,
            number,
            at,
            data: &data,
        }),
    )
    .map_err(write_err)?;
    let doc = search::search_document(conn, ctx.tenant, id, &data)?;
    search::write_document(conn, ctx.tenant, rid, data.archived, &doc)?;
    write_audit(
        conn,
        ctx,
        Entity("client", id, id),
        AuditAction::Created,
        diff(None, Some(&data.to_json())),
    )?;
    commit_idempotency(conn, ctx, "client", id, 201)?;
    Ok(Client {
        id,
        number,
        data,
        associated_accounts: 0,
        version: 1,
        created_at: at,
        updated_at: at,
    })
}

/// Reserves `n` client numbers of the tenant; returns the first.
fn take_numbers(conn: &Connection, tenant: TenantId, n: i64) -> StoreResult<i64> {
    let last = query_i64(conn, &sql::next_client_number(tenant, n))?;
    Ok(last - n + 1)
}

fn insert_client(conn: &Connection, ctx: &WriteCtx, data: ClientData) -> StoreResult<Client> {
    let number = take_numbers(conn, ctx.tenant, 1)?;
    insert_row(conn, ctx, number, Timestamp::now(), data)
}

/// Replaces a client's data. A replacement that changes nothing keeps the version and writes
/// no audit record.
fn update_client(
    conn: &Connection,
    ctx: &WriteCtx,
    current: Client,
    data: ClientData,
    expected_version: Option<i64>,
) -> StoreResult<Client> {
    check_version(expected_version, current.version)?;
    let changes = diff(Some(&current.data.to_json()), Some(&data.to_json()));
    if changes.is_empty() {
        commit_idempotency(conn, ctx, "client", current.id, 200)?;
        return Ok(current);
    }
    check_reference(conn, ctx.tenant, current.id, &data)?;
    let at = Timestamp::now();
    let version = current.version + 1;
    exec(
        conn,
        sql::update_client(ctx.tenant, current.id, version, at, &data),
    )
    .map_err(write_err)?;
    if let Some((rid, _)) = search::client_rid(conn, ctx.tenant, current.id)? {
        let doc = search::search_document(conn, ctx.tenant, current.id, &data)?;
        search::write_document(conn, ctx.tenant, rid, data.archived, &doc)?;
    }
    write_audit(
        conn,
        ctx,
        Entity("client", current.id, current.id),
        AuditAction::Updated,
        changes,
    )?;
    commit_idempotency(conn, ctx, "client", current.id, 200)?;
    Ok(Client {
        data,
        version,
        updated_at: at,
        ..current
    })
}

fn decode_audit(r: &mut SqliteRow<'_, '_>) -> StoreResult<(i64, AuditRecord)> {
    let bad = |w: &str| StoreError::Other(format!("stored audit {w} is invalid"));
    let uuid =
        |s: Option<String>, w: &str| Uuid::parse_str(&s.unwrap_or_default()).map_err(|_| bad(w));
    let seq = r.get::<i64>()?.ok_or_else(|| bad("seq"))?;
    let id = uuid(r.get()?, "id")?;
    let entity_type = r.get::<String>()?.ok_or_else(|| bad("entity_type"))?;
    let entity_id = uuid(r.get()?, "entity_id")?;
    let client_id = uuid(r.get()?, "client_id")?;
    let action =
        AuditAction::parse(&r.get::<String>()?.unwrap_or_default()).ok_or_else(|| bad("action"))?;
    let actor = r.get::<String>()?.unwrap_or_default();
    let at = Timestamp::parse(&r.get::<String>()?.unwrap_or_default()).map_err(|_| bad("at"))?;
    let changes = serde_json::from_str(&r.get::<String>()?.unwrap_or_default())
        .map_err(|_| bad("changes"))?;
    Ok((
        seq,
        AuditRecord {
            id,
            entity_type,
            entity_id,
            client_id,
            action,
            actor,
            at,
            changes,
        },
    ))
}

fn query_audit(
    conn: &Connection,
    stmt: &sea_query::SelectStatement,
    limit: u32,
) -> StoreResult<AuditPage> {
    let mut out = query_rows(conn, stmt, decode_audit)?;
    let has_more = out.len() > limit as usize;
    out.truncate(limit as usize);
    Ok(AuditPage {
        last_seq: out.last().map(|(s, _)| *s),
        records: out.into_iter().map(|(_, r)| r).collect(),
        has_more,
    })
}

fn begin_idempotency(
    conn: &Connection,
    scope: &IdempotencyScope,
    hash: [u8; 32],
    now: Timestamp,
) -> StoreResult<IdempotencyBegin> {
    exec(
        conn,
        sql::purge_idempotency(scope, now.plus_seconds(-RETENTION_SECONDS)),
    )
    .map_err(map_err)?;
    let (q, values) = sql::select_idempotency(scope).build_rusqlite(SqliteQueryBuilder);
    type Row = (
        Vec<u8>,
        String,
        Option<String>,
        Option<String>,
        Option<i64>,
        Option<String>,
        Option<Vec<u8>>,
        String,
    );
    let found: Option<Row> = conn
        .prepare_cached(&q)
        .and_then(|mut st| {
            st.query_row(&*values.as_params(), |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ))
            })
            .optional()
        })
        .map_err(map_err)?;
    let Some((stored_hash, state, entity_type, entity_id, status, headers, body, created_at)) =
        found
    else {
        exec(conn, sql::claim_idempotency(scope, hash, now)).map_err(map_err)?;
        return Ok(IdempotencyBegin::Started);
    };
    if stored_hash != hash {
        return Ok(IdempotencyBegin::Mismatch);
    }
    let status = status.and_then(|s| u16::try_from(s).ok()).unwrap_or(200);
    match state.as_str() {
        "done" => {
            let headers: Vec<(String, String)> =
                serde_json::from_str(&headers.unwrap_or_default()).unwrap_or_default();
            Ok(IdempotencyBegin::Replay(StoredResponse {
                status,
                headers,
                body: body.unwrap_or_default(),
            }))
        }
        "committed" => {
            let entity_id = Uuid::parse_str(&entity_id.unwrap_or_default())
                .map_err(|_| StoreError::Other("stored idempotency entity is invalid".into()))?;
            Ok(IdempotencyBegin::Committed {
                entity_type: entity_type.unwrap_or_else(|| "client".into()),
                entity_id,
                status,
            })
        }
        _ => {
            let abandoned = created_at < now.plus_seconds(-IN_FLIGHT_TIMEOUT_SECONDS).to_rfc3339();
            if abandoned {
                exec(conn, sql::reclaim_idempotency(scope, hash, now)).map_err(map_err)?;
                Ok(IdempotencyBegin::Started)
            } else {
                Ok(IdempotencyBegin::InFlight)
            }
        }
    }
}

// ---- sub-resources ----------------------------------------------------------------------

fn query_subs(
    conn: &Connection,
    kind: SubKind,
    stmt: &sea_query::SelectStatement,
) -> StoreResult<Vec<SubResource>> {
    query_rows(conn, stmt, |r| decode_sub(kind, r))
}

fn query_one_sub(
    conn: &Connection,
    kind: SubKind,
    stmt: &sea_query::SelectStatement,
) -> StoreResult<SubResource> {
    query_subs(conn, kind, stmt)?
        .into_iter()
        .next()
        .ok_or(StoreError::NotFound)
}

fn require_client(conn: &Connection, tenant: TenantId, client_id: Uuid) -> StoreResult<()> {
    if query_exists(conn, &sql::client_exists(tenant, client_id))? {
        Ok(())
    } else {
        Err(StoreError::NotFound)
    }
}

/// Writes a changed sibling (its flag cleared or handed on) with its own version and audit.
fn save_sibling(
    conn: &Connection,
    ctx: &WriteCtx,
    old: SubResource,
    data: SubData,
) -> StoreResult<()> {
    let kind = data.kind();
    let at = Timestamp::now();
    exec(
        conn,
        sql::update_sub(
            ctx.tenant,
            old.client_id,
            old.id,
            old.version + 1,
            at,
            &data,
        ),
    )
    .map_err(write_err)?;
    write_audit(
        conn,
        ctx,
        Entity(kind.entity_type(), old.id, old.client_id),
        AuditAction::Updated,
        diff(Some(&old.data.to_json()), Some(&data.to_json())),
    )
}

/// At most one main contact / primary location: raising the flag on `id` lowers it elsewhere.
fn lower_other_flags(
    conn: &Connection,
    ctx: &WriteCtx,
    client_id: Uuid,
    data: &SubData,
    id: Uuid,
) -> StoreResult<()> {
    if data.flag() != Some(true) {
        return Ok(());
    }
    let Some(stmt) = sql::flagged_subs(data.kind(), ctx.tenant, client_id, id) else {
        return Ok(());
    };
    for other in query_subs(conn, data.kind(), &stmt)? {
        let mut lowered = other.data.clone();
        lowered.set_flag(false);
        save_sibling(conn, ctx, other, lowered)?;
    }
    Ok(())
}

/// Contact persons are part of their client's search document.
fn reindex_for(
    conn: &Connection,
    tenant: TenantId,
    kind: SubKind,
    client_id: Uuid,
) -> StoreResult<()> {
    if kind != SubKind::ContactPerson {
        return Ok(());
    }
    search::reindex_client(conn, tenant, client_id)
}

fn insert_sub(
    conn: &Connection,
    ctx: &WriteCtx,
    client_id: Uuid,
    mut data: SubData,
) -> StoreResult<SubResource> {
    let kind = data.kind();
    require_client(conn, ctx.tenant, client_id)?;
    if data.flag() == Some(false) {
        // The first contact person / location of a client takes the flag.
        if query_i64(conn, &sql::count_subs(kind, ctx.tenant, client_id))? == 0 {
            data.set_flag(true);
        }
    }
    let id = Uuid::now_v7();
    lower_other_flags(conn, ctx, client_id, &data, id)?;
    let at = Timestamp::now();
    exec(conn, sql::insert_sub(ctx.tenant, client_id, id, at, &data)).map_err(write_err)?;
    write_audit(
        conn,
        ctx,
        Entity(kind.entity_type(), id, client_id),
        AuditAction::Created,
        diff(None, Some(&data.to_json())),
    )?;
    if kind == SubKind::Account {
        exec(conn, sql::recount_accounts(ctx.tenant, client_id, at)).map_err(map_err)?;
    }
    reindex_for(conn, ctx.tenant, kind, client_id)?;
    commit_idempotency(conn, ctx, kind.entity_type(), id, 201)?;
    Ok(SubResource {
        id,
        client_id,
        data,
        created_at: at,
        updated_at: at,
        version: 1,
    })
}

fn update_sub(
    conn: &Connection,
    ctx: &WriteCtx,
    current: SubResource,
    data: SubData,
    expected_version: Option<i64>,
) -> StoreResult<SubResource> {
    check_version(expected_version, current.version)?;
    let kind = data.kind();
    let changes = diff(Some(&current.data.to_json()), Some(&data.to_json()));
    if changes.is_empty() {
        return Ok(current);
    }
    lower_other_flags(conn, ctx, current.client_id, &data, current.id)?;
    let at = Timestamp::now();
    let version = current.version + 1;
    exec(
        conn,
        sql::update_sub(
            ctx.tenant,
            current.client_id,
            current.id,
            version,
            at,
            &data,
        ),
    )
    .map_err(write_err)?;
    write_audit(
        conn,
        ctx,
        Entity(kind.entity_type(), current.id, current.client_id),
        AuditAction::Updated,
        changes,
    )?;
    reindex_for(conn, ctx.tenant, kind, current.client_id)?;
    Ok(SubResource {
        data,
        version,
        updated_at: at,
        ..current
    })
}

fn remove_sub(
    conn: &Connection,
    ctx: &WriteCtx,
    kind: SubKind,
    client_id: Uuid,
    id: Uuid,
    expected_version: Option<i64>,
) -> StoreResult<()> {
    let current = query_one_sub(
        conn,
        kind,
        &sql::select_sub(kind, ctx.tenant, client_id, id),
    )?;
    check_version(expected_version, current.version)?;
    exec(conn, sql::delete_sub(kind, ctx.tenant, client_id, id)).map_err(map_err)?;
    write_audit(
        conn,
        ctx,
        Entity(kind.entity_type(), id, client_id),
        AuditAction::Deleted,
        diff(Some(&current.data.to_json()), None),
    )?;
    if current.data.flag() == Some(true) {
        // The flag passes to the oldest remaining sibling, so a client with contacts keeps a main.
        if let Some(next) = query_subs(conn, kind, &sql::oldest_subs(kind, ctx.tenant, client_id))?
            .into_iter()
            .next()
        {
            let mut raised = next.data.clone();
            raised.set_flag(true);
            save_sibling(conn, ctx, next, raised)?;
        }
    }
    if kind == SubKind::Account {
        exec(
            conn,
            sql::recount_accounts(ctx.tenant, client_id, Timestamp::now()),
        )
        .map_err(map_err)?;
    }
    reindex_for(conn, ctx.tenant, kind, client_id)?;
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    async fn migrate(&self) -> StoreResult<u32> {
        self.write(migrate::migrate).await
    }

    async fn ping(&self) -> StoreResult<()> {
        self.read(|c| c.query_row("SELECT 1", [], |_| Ok(())).map_err(map_err))
            .await
    }

    async fn create_tenant(&self, name: &TenantName) -> StoreResult<Tenant> {
        let tenant = Tenant {
            id: TenantId(Uuid::now_v7()),
            name: name.clone(),
            created_at: Timestamp::now(),
        };
        let t = tenant.clone();
        self.write(move |conn| {
            exec(
                conn,
                sql::insert_tenant(t.id.0, t.name.as_str(), t.created_at),
            )
            .map_err(write_err)?;
            Ok(())
        })
        .await?;
        Ok(tenant)
    }

    async fn tenant_by_name(&self, name: &str) -> StoreResult<Option<Tenant>> {
        let stmt = sql::select_tenant_by_name(name);
        self.read(move |conn| {
            let (sql, values) = stmt.build_rusqlite(SqliteQueryBuilder);
            let mut st = conn.prepare_cached(&sql).map_err(map_err)?;
            let mut rows = st.query(&*values.as_params()).map_err(map_err)?;
            match rows.next().map_err(map_err)? {
                Some(row) => Ok(Some(decode_tenant(&mut SqliteRow { row, i: 0 })?)),
                None => Ok(None),
            }
        })
        .await
    }

    async fn tenant_count(&self) -> StoreResult<i64> {
        self.read(|conn| query_i64(conn, &sql::count_tenants()))
            .await
    }

    async fn create_api_key(&self, tenant: TenantId, key: NewApiKey) -> StoreResult<ApiKey> {
        let stored = ApiKey {
            id: Uuid::now_v7(),
            tenant_id: tenant,
            name: key.name.clone(),
            prefix: key.prefix.clone(),
            permissions: key.permissions.clone(),
            rate_limit: key.rate_limit,
            created_at: Timestamp::now(),
            revoked_at: None,
        };
        let s = stored.clone();
        self.write(move |conn| {
            let perms: Vec<&str> = s.permissions.iter().map(|p| p.as_str()).collect();
            exec(
                conn,
                sql::insert_api_key(&sql::KeyRow {
                    id: s.id,
                    tenant,
                    name: s.name.as_deref(),
                    prefix: &s.prefix,
                    hash: key.hash,
                    permissions: perms.join(","),
                    rate_limit: s.rate_limit.map(|r| r.to_string()),
                    at: s.created_at,
                }),
            )
            .map_err(write_err)?;
            Ok(())
        })
        .await?;
        Ok(stored)
    }

    async fn list_api_keys(&self, tenant: TenantId) -> StoreResult<Vec<ApiKey>> {
        let stmt = sql::list_api_keys(tenant);
        self.read(move |conn| query_keys(conn, &stmt)).await
    }

    async fn revoke_api_key(&self, tenant: Option<TenantId>, id: Uuid) -> StoreResult<ApiKey> {
        self.write(move |conn| {
            exec(conn, sql::revoke_api_key(tenant, id, Timestamp::now())).map_err(map_err)?;
            query_keys(conn, &sql::select_api_key(tenant, id))?
                .into_iter()
                .next()
                .ok_or(StoreError::NotFound)
        })
        .await
    }

    async fn api_key_by_hash(&self, hash: [u8; 32]) -> StoreResult<Option<(ApiKey, Tenant)>> {
        let stmt = sql::api_key_by_hash(hash);
        self.read(move |conn| {
            let (sql, values) = stmt.build_rusqlite(SqliteQueryBuilder);
            let mut st = conn.prepare_cached(&sql).map_err(map_err)?;
            let mut rows = st.query(&*values.as_params()).map_err(map_err)?;
            match rows.next().map_err(map_err)? {
                Some(row) => {
                    let mut r = SqliteRow { row, i: 0 };
                    let key = decode_key(&mut r)?;
                    let tenant = decode_tenant(&mut r)?;
                    Ok(Some((key, tenant)))
                }
                None => Ok(None),
            }
        })
        .await
    }

    async fn create_client(&self, ctx: &WriteCtx, data: ClientData) -> StoreResult<Client> {
        let ctx = ctx.clone();
        self.write(move |conn| insert_client(conn, &ctx, data))
            .await
    }

    async fn get_client(&self, tenant: TenantId, id: Uuid) -> StoreResult<Client> {
        let stmt = sql::select_client(tenant, id);
        self.read(move |conn| query_one_client(conn, &stmt)).await
    }

    async fn get_client_by_external_id(
        &self,
        tenant: TenantId,
        external_id: &str,
    ) -> StoreResult<Client> {
        let stmt = sql::select_client_by_external_id(tenant, external_id);
        self.read(move |conn| query_one_client(conn, &stmt)).await
    }

    async fn replace_client(
        &self,
        ctx: &WriteCtx,
        id: Uuid,
        data: ClientData,
        expected_version: Option<i64>,
    ) -> StoreResult<Client> {
        let ctx = ctx.clone();
        self.write(move |conn| {
            let current = query_one_client(conn, &sql::select_client(ctx.tenant, id))?;
            update_client(conn, &ctx, current, data, expected_version)
        })
        .await
    }

    async fn patch_client(
        &self,
        ctx: &WriteCtx,
        id: Uuid,
        patch: serde_json::Value,
        expected_version: Option<i64>,
    ) -> StoreResult<Client> {
        let ctx = ctx.clone();
        self.write(move |conn| {
            let current = query_one_client(conn, &sql::select_client(ctx.tenant, id))?;
            check_version(expected_version, current.version)?;
            let data = current
                .data
                .apply_patch(&patch)
                .map_err(StoreError::Invalid)?;
            update_client(conn, &ctx, current, data, None)
        })
        .await
    }

    async fn upsert_client_by_external_id(
        &self,
        ctx: &WriteCtx,
        data: ClientData,
        expected_version: Option<i64>,
    ) -> StoreResult<Upserted> {
        let ctx = ctx.clone();
        let Some(external_id) = data.external_id.clone() else {
            return Err(StoreError::Other("upsert without external_id".into()));
        };
        self.write(move |conn| {
            let stmt = sql::select_client_by_external_id(ctx.tenant, &external_id);
            match query_one_client(conn, &stmt) {
                Ok(current) => Ok((
                    update_client(conn, &ctx, current, data, expected_version)?,
                    false,
                )),
                Err(StoreError::NotFound) if expected_version.is_none() => {
                    Ok((insert_client(conn, &ctx, data)?, true))
                }
                Err(StoreError::NotFound) => Err(StoreError::VersionMismatch),
                Err(e) => Err(e),
            }
        })
        .await
    }

    async fn delete_client(
        &self,
        ctx: &WriteCtx,
        id: Uuid,
        expected_version: Option<i64>,
    ) -> StoreResult<()> {
        let ctx = ctx.clone();
        self.write(move |conn| {
            let current = query_one_client(conn, &sql::select_client(ctx.tenant, id))?;
            check_version(expected_version, current.version)?;
            if let Some((rid, _)) = search::client_rid(conn, ctx.tenant, id)? {
                search::remove_document(conn, rid)?;
            }
            // Sub-resources go first, in the same transaction, each with its own audit record.
            for kind in SubKind::ALL {
                for sub in query_subs(conn, kind, &sql::oldest_subs(kind, ctx.tenant, id))? {
                    exec(conn, sql::delete_sub(kind, ctx.tenant, id, sub.id)).map_err(map_err)?;
                    write_audit(
                        conn,
                        &ctx,
                        Entity(kind.entity_type(), sub.id, id),
                        AuditAction::Deleted,
                        diff(Some(&sub.data.to_json()), None),
                    )?;
                }
            }
            exec(conn, sql::delete_client(ctx.tenant, id)).map_err(map_err)?;
            write_audit(
                conn,
                &ctx,
                Entity("client", id, id),
                AuditAction::Deleted,
                diff(Some(&current.data.to_json()), None),
            )?;
            Ok(())
        })
        .await
    }

    async fn list_clients(
        &self,
        tenant: TenantId,
        query: &ClientQuery,
    ) -> StoreResult<Page<Client>> {
        let query = query.clone();
        let limit = query.limit as usize;
        let counts = self.counts.clone();
        self.read(move |conn| {
            let flavour = SqliteFlavour::new(conn, tenant, query.archived, &query.search)?;
            let plan = sql::list_clients(tenant, &query, &flavour);
            let mut items = Vec::with_capacity(limit + 1);
            let mut last_keys = None;
            let mut next = None;
            'pages: for page in &plan.pages {
                let (sql, values) = page.build_rusqlite(SqliteQueryBuilder);
                let sql = format!("{sql} LIMIT {} OFFSET {}", plan.limit, plan.offset);
                // Statement text only: values are bound and never part of it.
                tracing::debug!(%sql, "list page");
                log_plan(conn, &sql, &values);
                let mut st = conn.prepare_cached(&sql).map_err(map_err)?;
                let mut rows = st.query(&*values.as_params()).map_err(map_err)?;
                while let Some(row) = rows.next().map_err(map_err)? {
                    if items.len() == limit {
                        // A row beyond the page: the page's last row starts the next one.
                        next = last_keys.take();
                        break 'pages;
                    }
                    let mut r = SqliteRow { row, i: 0 };
                    items.push(decode_client(&mut r)?);
                    last_keys = Some(decode_keys(&mut r, &plan.order)?);
                }
            }
            let total = match &plan.count {
                Some(c) => {
                    let (sql, values) = c.build_rusqlite(SqliteQueryBuilder);
                    let generation = tenant_generation(conn, tenant)?;
                    let key = (tenant.0, format!("{sql}\u{0}{values:?}"));
                    match counts.get(&key, generation) {
                        Some(n) => Some(n),
                        None => {
                            tracing::debug!(%sql, "list count");
                            log_plan(conn, &sql, &values);
                            let n: i64 = conn
                                .prepare_cached(&sql)
                                .and_then(|mut st| st.query_row(&*values.as_params(), |r| r.get(0)))
                                .map_err(map_err)?;
                            let n = n.max(0) as u64;
                            counts.put(key, generation, n);
                            Some(n)
                        }
                    }
                }
                None => None,
            };
            Ok(Page { items, total, next })
        })
        .await
    }

    async fn insert_clients_bulk(
        &self,
        ctx: &WriteCtx,
        rows: Vec<(ClientData, Timestamp)>,
    ) -> StoreResult<u64> {
        let ctx = ctx.clone();
        self.write(move |conn| {
            let n = rows.len() as i64;
            if n == 0 {
                return Ok(0);
            }
            let first = take_numbers(conn, ctx.tenant, n)?;
            for (i, (data, at)) in rows.into_iter().enumerate() {
                insert_row(conn, &ctx, first + i as i64, at, data)?;
            }
            Ok(n as u64)
        })
        .await
    }

    async fn client_history(
        &self,
        tenant: TenantId,
        client_id: Uuid,
        before_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<AuditPage> {
        let stmt = sql::client_history(tenant, client_id, before_seq, limit);
        let exists = sql::client_has_history(tenant, client_id);
        let live = sql::client_exists(tenant, client_id);
        self.read(move |conn| {
            let page = query_audit(conn, &stmt, limit)?;
            if page.records.is_empty() {
                // Distinguish "no (more) records" from "no such client, ever".
                if !query_exists(conn, &exists)? && !query_exists(conn, &live)? {
                    return Err(StoreError::NotFound);
                }
            }
            Ok(page)
        })
        .await
    }

    async fn events(
        &self,
        tenant: TenantId,
        after_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<AuditPage> {
        let stmt = sql::events(tenant, after_seq, limit);
        self.read(move |conn| query_audit(conn, &stmt, limit)).await
    }

    async fn idempotency_begin(
        &self,
        scope: &IdempotencyScope,
        request_hash: [u8; 32],
        now: Timestamp,
    ) -> StoreResult<IdempotencyBegin> {
        let scope = scope.clone();
        self.write(move |conn| begin_idempotency(conn, &scope, request_hash, now))
            .await
    }

    async fn idempotency_finish(
        &self,
        scope: &IdempotencyScope,
        response: StoredResponse,
    ) -> StoreResult<()> {
        let stmt = sql::finish_idempotency(scope, &response);
        self.write(move |conn| exec(conn, stmt).map(|_| ()).map_err(map_err))
            .await
    }

    async fn idempotency_abort(&self, scope: &IdempotencyScope) -> StoreResult<()> {
        let stmt = sql::abort_idempotency(scope);
        self.write(move |conn| exec(conn, stmt).map(|_| ()).map_err(map_err))
            .await
    }

    async fn close(&self) -> StoreResult<()> {
        // Dropping the sender lets the writer finish what is queued, checkpoint, and exit.
        let sender = self.writer.lock().ok().and_then(|mut w| w.take());
        drop(sender);
        let handle = self.writer_thread.lock().ok().and_then(|mut h| h.take());
        if let Some(h) = handle {
            tokio::task::spawn_blocking(move || h.join())
                .await
                .map_err(|_| StoreError::Other("writer join failed".into()))?
                .map_err(|_| StoreError::Other("writer thread panicked".into()))?;
        }
        if let Ok(mut readers) = self.readers.lock() {
            readers.clear();
        }
        Ok(())
    }

    async fn create_sub(
        &self,
        ctx: &WriteCtx,
        client_id: Uuid,
        data: SubData,
    ) -> StoreResult<SubResource> {
        let ctx = ctx.clone();
        self.write(move |conn| insert_sub(conn, &ctx, client_id, data))
            .await
    }

    async fn get_sub(
        &self,
        tenant: TenantId,
        kind: SubKind,
        client_id: Uuid,
        id: Uuid,
    ) -> StoreResult<SubResource> {
        let stmt = sql::select_sub(kind, tenant, client_id, id);
        self.read(move |conn| query_one_sub(conn, kind, &stmt))
            .await
    }

    async fn get_sub_by_external_id(
        &self,
        tenant: TenantId,
        kind: SubKind,
        client_id: Uuid,
        external_id: &str,
    ) -> StoreResult<SubResource> {
        let stmt = sql::select_sub_by_external_id(kind, tenant, client_id, external_id);
        self.read(move |conn| query_one_sub(conn, kind, &stmt))
            .await
    }

    async fn replace_sub(
        &self,
        ctx: &WriteCtx,
        client_id: Uuid,
        id: Uuid,
        data: SubData,
        expected_version: Option<i64>,
    ) -> StoreResult<SubResource> {
        let ctx = ctx.clone();
        self.write(move |conn| {
            let kind = data.kind();
            let current = query_one_sub(
                conn,
                kind,
                &sql::select_sub(kind, ctx.tenant, client_id, id),
            )?;
            update_sub(conn, &ctx, current, data, expected_version)
        })
        .await
    }

    async fn patch_sub(
        &self,
        ctx: &WriteCtx,
        kind: SubKind,
        client_id: Uuid,
        id: Uuid,
        patch: serde_json::Value,
        expected_version: Option<i64>,
    ) -> StoreResult<SubResource> {
        let ctx = ctx.clone();
        self.write(move |conn| {
            let current = query_one_sub(
                conn,
                kind,
                &sql::select_sub(kind, ctx.tenant, client_id, id),
            )?;
            check_version(expected_version, current.version)?;
            let data = current
                .data
                .apply_patch(&patch)
                .map_err(StoreError::Invalid)?;
            update_sub(conn, &ctx, current, data, None)
        })
        .await
    }

    async fn delete_sub(
        &self,
        ctx: &WriteCtx,
        kind: SubKind,
        client_id: Uuid,
        id: Uuid,
        expected_version: Option<i64>,
    ) -> StoreResult<()> {
        let ctx = ctx.clone();
        self.write(move |conn| remove_sub(conn, &ctx, kind, client_id, id, expected_version))
            .await
    }

    async fn list_subs(
        &self,
        tenant: TenantId,
        kind: SubKind,
        client_id: Uuid,
        limit: u32,
        offset: u64,
        count: bool,
    ) -> StoreResult<Page<SubResource>> {
        let page = sql::list_subs(kind, tenant, client_id, limit, offset);
        let counter = count.then(|| sql::count_subs(kind, tenant, client_id));
        self.read(move |conn| {
            require_client(conn, tenant, client_id)?;
            let items = query_subs(conn, kind, &page)?;
            let total = match counter {
                Some(c) => Some(query_i64(conn, &c)?.max(0) as u64),
                None => None,
            };
            Ok(Page {
                items,
                total,
                next: None,
            })
        })
        .await
    }
}

/// At TRACE level, logs the query plan SQLite chose (how docs/indexes.md was measured).
fn log_plan(conn: &Connection, sql: &str, values: &sea_query_rusqlite::RusqliteValues) {
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

/// Reads the order-key columns that follow the client columns of a list row.
fn decode_keys(r: &mut SqliteRow<'_, '_>, order: &[SortKey]) -> StoreResult<KeysetPosition> {
    use rusqlite::types::Value as V;
    order
        .iter()
        .map(|k| {
            let v: V = r.row.get(r.i).map_err(map_err)?;
            r.i += 1;
            Ok(match (v, k.field.ty) {
                (V::Null, _) => None,
                (V::Integer(n), FieldType::Bool) => Some(Scalar::Bool(n != 0)),
                (V::Integer(n), FieldType::Float) => Some(Scalar::Float(n as f64)),
                (V::Integer(n), _) => Some(Scalar::Int(n)),
                (V::Real(x), _) => Some(Scalar::Float(x)),
                (V::Text(s), _) => Some(Scalar::Text(s)),
                (V::Blob(_), _) => return Err(StoreError::Other("unexpected blob key".into())),
            })
        })
        .collect()
}
