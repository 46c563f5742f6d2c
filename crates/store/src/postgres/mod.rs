//! PostgreSQL backend: tokio-postgres with a deadpool pool. It executes the same sea-query
//! statements as SQLite (`sql`) and decodes rows with the same mapping (`columns`); what is
//! specific to PostgreSQL lives here: locking, the idempotency upsert, error classification and
//! retries.
//!
//! Concurrency: SQLite has one writer, so every write is a read-modify-write that nobody can
//! interleave with. Here every tenant-scoped write transaction first locks its tenant's row
//! (`SELECT ... FROM tenants WHERE id = $1 FOR UPDATE`): writes of one tenant run one at a time
//! (as on SQLite), writes of different tenants run in parallel. That single lock gives, with no
//! deadlock possible (a transaction takes exactly one such lock, first):
//! - `If-Match` checks and merge patches that see the latest committed row;
//! - the one-main / one-primary flags and `associated_accounts` kept exact;
//! - per-tenant `number`s from the tenant's counter without gaps;
//! - change-feed order: `seq` is drawn while the lock is held, so within a tenant `seq` order is
//!   commit order and `GET /v1/events` never hands out a cursor past a record that commits later.

use std::future::Future;
use std::pin::Pin;

use async_trait::async_trait;
use clientele_core::audit::{diff, AuditAction, AuditRecord, Changes};
use clientele_core::idempotency::{
    IdempotencyBegin, IdempotencyScope, StoredResponse, IN_FLIGHT_TIMEOUT_SECONDS,
    RETENTION_SECONDS,
};
use clientele_core::query::{ClientQuery, FieldType, KeysetPosition, Page, Scalar, SortKey};
use clientele_core::store::{AuditPage, NewApiKey, StoreResult, Upserted};
use clientele_core::sub::{SubData, SubKind, SubResource};
use clientele_core::tenant::{parse_permissions, RateLimit};
use clientele_core::types::{TenantName, Timestamp};
use clientele_core::{ApiKey, Client, ClientData, Store, StoreError, Tenant, TenantId, WriteCtx};
use deadpool_postgres::Pool;
use sea_query::{LockType, OnConflict};
use uuid::Uuid;

use crate::columns::{decode_client, decode_sub, RowSource};
use crate::rid;
use crate::statements::{self as sql, col};

mod bind;
mod migrate;
mod pool;
pub mod search;

use bind::{build, count, exec, exists, fetch, Db, PgRow, P};
use pool::{map_err, settled};
use search::PgFlavour;

pub struct PgStore {
    pool: Pool,
}

/// True for `postgres://` and `postgresql://` URLs.
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

type Tx<'a> = deadpool_postgres::Transaction<'a>;
type Fut<'a, T> = Pin<Box<dyn Future<Output = StoreResult<T>> + Send + 'a>>;

async fn query_clients<D: Db + ?Sized>(
    db: &D,
    stmt: &sea_query::SelectStatement,
) -> StoreResult<Vec<Client>> {
    fetch(db, stmt)
        .await?
        .iter()
        .map(|row| decode_client(&mut PgRow { row, i: 0 }))
        .collect()
}

async fn query_one_client<D: Db + ?Sized>(
    db: &D,
    stmt: &sea_query::SelectStatement,
) -> StoreResult<Client> {
    query_clients(db, stmt)
        .await?
        .into_iter()
        .next()
        .ok_or(StoreError::NotFound)
}

fn decode_tenant(r: &mut PgRow<'_>) -> StoreResult<Tenant> {
    let bad = |w: &str| StoreError::Other(format!("stored tenant {w} is invalid"));
    let id = Uuid::parse_str(&r.text()?.unwrap_or_default()).map_err(|_| bad("id"))?;
    let name = TenantName::parse(&r.text()?.unwrap_or_default()).map_err(|_| bad("name"))?;
    let created_at =
        Timestamp::parse(&r.text()?.unwrap_or_default()).map_err(|_| bad("created_at"))?;
    Ok(Tenant {
        id: TenantId(id),
        name,
        created_at,
    })
}

fn decode_key(r: &mut PgRow<'_>) -> StoreResult<ApiKey> {
    let bad = |w: &str| StoreError::Other(format!("stored api key {w} is invalid"));
    let id = Uuid::parse_str(&r.text()?.unwrap_or_default()).map_err(|_| bad("id"))?;
    let tenant = Uuid::parse_str(&r.text()?.unwrap_or_default()).map_err(|_| bad("tenant_id"))?;
    let name = r.text()?;
    let prefix = r.text()?.unwrap_or_default();
    let permissions =
        parse_permissions(&r.text()?.unwrap_or_default()).map_err(|_| bad("permissions"))?;
    let rate_limit = r
        .text()?
        .map(|s| RateLimit::parse(&s))
        .transpose()
        .map_err(|_| bad("rate_limit"))?;
    let created_at =
        Timestamp::parse(&r.text()?.unwrap_or_default()).map_err(|_| bad("created_at"))?;
    let revoked_at = r
        .text()?
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

async fn query_keys<D: Db + ?Sized>(
    db: &D,
    stmt: &sea_query::SelectStatement,
) -> StoreResult<Vec<ApiKey>> {
    fetch(db, stmt)
        .await?
        .iter()
        .map(|row| decode_key(&mut PgRow { row, i: 0 }))
        .collect()
}

fn decode_audit(r: &mut PgRow<'_>) -> StoreResult<(i64, AuditRecord)> {
    let bad = |w: &str| StoreError::Other(format!("stored audit {w} is invalid"));
    let uuid =
        |s: Option<String>, w: &str| Uuid::parse_str(&s.unwrap_or_default()).map_err(|_| bad(w));
    let seq = r.int()?.ok_or_else(|| bad("seq"))?;
    let id = uuid(r.text()?, "id")?;
    let entity_type = r.text()?.ok_or_else(|| bad("entity_type"))?;
    let entity_id = uuid(r.text()?, "entity_id")?;
    let client_id = uuid(r.text()?, "client_id")?;
    let action = AuditAction::parse(&r.text()?.unwrap_or_default()).ok_or_else(|| bad("action"))?;
    let actor = r.text()?.unwrap_or_default();
    let at = Timestamp::parse(&r.text()?.unwrap_or_default()).map_err(|_| bad("at"))?;
    let changes =
        serde_json::from_str(&r.text()?.unwrap_or_default()).map_err(|_| bad("changes"))?;
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

async fn query_audit<D: Db + ?Sized>(
    db: &D,
    stmt: &sea_query::SelectStatement,
    limit: u32,
) -> StoreResult<AuditPage> {
    let mut out = fetch(db, stmt)
        .await?
        .iter()
        .map(|row| decode_audit(&mut PgRow { row, i: 0 }))
        .collect::<StoreResult<Vec<_>>>()?;
    let has_more = out.len() > limit as usize;
    out.truncate(limit as usize);
    Ok(AuditPage {
        last_seq: out.last().map(|(s, _)| *s),
        records: out.into_iter().map(|(_, r)| r).collect(),
        has_more,
    })
}

async fn query_subs<D: Db + ?Sized>(
    db: &D,
    kind: SubKind,
    stmt: &sea_query::SelectStatement,
) -> StoreResult<Vec<SubResource>> {
    fetch(db, stmt)
        .await?
        .iter()
        .map(|row| decode_sub(kind, &mut PgRow { row, i: 0 }))
        .collect()
}

async fn query_one_sub<D: Db + ?Sized>(
    db: &D,
    kind: SubKind,
    stmt: &sea_query::SelectStatement,
) -> StoreResult<SubResource> {
    query_subs(db, kind, stmt)
        .await?
        .into_iter()
        .next()
        .ok_or(StoreError::NotFound)
}

// ---- writes (each runs inside `PgStore::write`, after the tenant lock) ----------------------

async fn check_reference(
    tx: &Tx<'_>,
    tenant: TenantId,
    self_id: Uuid,
    data: &ClientData,
) -> StoreResult<()> {
    let Some(r) = data.referred_by_id else {
        return Ok(());
    };
    if r == self_id || !exists(tx, &sql::client_exists(tenant, r)).await? {
        return Err(StoreError::InvalidReference("referred_by_id".into()));
    }
    Ok(())
}

/// What an audit record is about: entity type, entity id, and the client it belongs to.
struct Entity<'a>(&'a str, Uuid, Uuid);

async fn write_audit(
    tx: &Tx<'_>,
    ctx: &WriteCtx,
    Entity(entity_type, entity_id, client_id): Entity<'_>,
    action: AuditAction,
    changes: Changes,
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
        tx,
        &sql::insert_audit(&sql::AuditRow {
            tenant: ctx.tenant,
            record: &record,
        }),
    )
    .await?;
    Ok(())
}

async fn commit_idempotency(
    tx: &Tx<'_>,
    ctx: &WriteCtx,
    entity_type: &str,
    entity_id: Uuid,
    status: u16,
) -> StoreResult<()> {
    if let Some(scope) = &ctx.idempotency {
        exec(
            tx,
            &sql::commit_idempotency(scope, entity_type, entity_id, status),
        )
        .await?;
    }
    Ok(())
}

/// Reserves `n` client numbers of the tenant; returns the first.
async fn take_numbers(tx: &Tx<'_>, tenant: TenantId, n: i64) -> StoreResult<i64> {
    let last = count(tx, &sql::next_client_number(tenant, n)).await?;
    Ok(last - n + 1)
}

/// Inserts one client created at `at` (now, or a given time for imports) with number `number`.
async fn insert_row(
    tx: &Tx<'_>,
    ctx: &WriteCtx,
    number: i64,
    at: Timestamp,
    data: ClientData,
) -> StoreResult<Client> {
    let (rid, ms) = RidWindow::empty()
        .allocate(tx, ctx.tenant, rid::unix_ms(at))
        .await?;
    let at = rid::timestamp_of_ms(ms);
    let id = rid::id_for(rid);
    check_reference(tx, ctx.tenant, id, &data).await?;
    exec(
        tx,
        &sql::insert_client(&sql::NewRow {
            tenant: ctx.tenant,
            id,
            rid,
            number,
            at,
            data: &data,
        }),
    )
    .await?;
    // A new client has no contact persons and no terms yet: one insert is the whole index.
    let terms = search::client_terms(&data, []);
    if let Some(q) = search::insert_terms(ctx.tenant, id, &terms) {
        exec(tx, &q).await?;
    }
    write_audit(
        tx,
        ctx,
        Entity("client", id, id),
        AuditAction::Created,
        diff(None, Some(&data.to_json())),
    )
    .await?;
    commit_idempotency(tx, ctx, "client", id, 201).await?;
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

async fn insert_client(tx: &Tx<'_>, ctx: &WriteCtx, data: ClientData) -> StoreResult<Client> {
    let number = take_numbers(tx, ctx.tenant, 1).await?;
    insert_row(tx, ctx, number, Timestamp::now(), data).await
}

/// Rows of a bulk load written per statement: well under PostgreSQL's 65,535 parameters.
const BULK_CHUNK: usize = 500;

/// A bulk load: numbers and creation sequences as one-by-one creates would take them, search
/// terms and audit records alike, but written `BULK_CHUNK` rows per statement.
async fn insert_bulk(
    tx: &Tx<'_>,
    ctx: &WriteCtx,
    rows: Vec<(ClientData, Timestamp)>,
) -> StoreResult<u64> {
    let n = rows.len() as i64;
    let first = take_numbers(tx, ctx.tenant, n).await?;
    let mut seqs = RidWindow::read(tx, ctx.tenant, &rows).await?;
    let mut prepared = Vec::with_capacity(rows.len());
    for (i, (data, at)) in rows.into_iter().enumerate() {
        let (rid, ms) = seqs.allocate(tx, ctx.tenant, rid::unix_ms(at)).await?;
        let id = rid::id_for(rid);
        check_reference(tx, ctx.tenant, id, &data).await?;
        prepared.push((id, rid, first + i as i64, rid::timestamp_of_ms(ms), data));
    }
    for chunk in prepared.chunks(BULK_CHUNK) {
        let rows: Vec<sql::NewRow<'_>> = chunk
            .iter()
            .map(|(id, rid, number, at, data)| sql::NewRow {
                tenant: ctx.tenant,
                id: *id,
                rid: *rid,
                number: *number,
                at: *at,
                data,
            })
            .collect();
        exec(tx, &sql::insert_clients(&rows)).await?;
        let terms: Vec<_> = chunk
            .iter()
            .map(|(id, _, _, _, data)| (*id, search::client_terms(data, [])))
            .collect();
        if let Some(q) = search::insert_terms_of(ctx.tenant, terms.iter().map(|(id, t)| (*id, t))) {
            exec(tx, &q).await?;
        }
        let audits: Vec<AuditRecord> = chunk
            .iter()
            .map(|(id, _, _, _, data)| AuditRecord {
                id: Uuid::now_v7(),
                entity_type: "client".into(),
                entity_id: *id,
                client_id: *id,
                action: AuditAction::Created,
                actor: ctx.actor.clone(),
                at: Timestamp::now(),
                changes: diff(None, Some(&data.to_json())),
            })
            .collect();
        exec(tx, &sql::insert_audits(ctx.tenant, &audits)).await?;
    }
    Ok(n as u64)
}

/// The taken creation sequences of the milliseconds a bulk load spans, read in one query and
/// then kept in memory as the load takes more.
struct RidWindow {
    /// Milliseconds `lo..hi` were read: one missing from `max` has no sequence taken.
    lo: i64,
    hi: i64,
    max: std::collections::HashMap<i64, i64>,
}

impl RidWindow {
    /// Nothing read yet: every millisecond is looked up when it is first needed (one create).
    fn empty() -> Self {
        Self {
            lo: 0,
            hi: 0,
            max: std::collections::HashMap::new(),
        }
    }

    async fn read(
        tx: &Tx<'_>,
        tenant: TenantId,
        rows: &[(ClientData, Timestamp)],
    ) -> StoreResult<Self> {
        let ms = rows.iter().map(|(_, at)| rid::unix_ms(*at));
        let (lo, hi) = match (ms.clone().min(), ms.max()) {
            (Some(lo), Some(hi)) => (lo, hi + 1),
            _ => (0, 0),
        };
        let sql = "SELECT rid >> 12, max(rid) FROM clients \
                   WHERE tenant_id = $1 AND rid >= $2 AND rid < $3 GROUP BY 1";
        let params = [
            P(tenant.0.to_string().into()),
            P(rid::range_of_ms(lo).0.into()),
            P(rid::range_of_ms(hi).0.into()),
        ];
        let mut max = std::collections::HashMap::new();
        for row in tx.rows(sql, &params).await.map_err(map_err)?.iter() {
            let mut r = PgRow { row, i: 0 };
            if let (Some(ms), Some(m)) = (r.int()?, r.int()?) {
                max.insert(ms, m);
            }
        }
        Ok(Self { lo, hi, max })
    }

    /// Takes the tenant's next creation sequence at or after millisecond `ms` (see
    /// `crate::rid`), under the tenant lock. Returns it and the millisecond it belongs to.
    async fn allocate(
        &mut self,
        tx: &Tx<'_>,
        tenant: TenantId,
        mut ms: i64,
    ) -> StoreResult<(i64, i64)> {
        for _ in 0..rid::MAX_SPILL_MS {
            let taken = match self.max.get(&ms) {
                Some(m) => Some(*m),
                None if (self.lo..self.hi).contains(&ms) => None,
                None => {
                    let rows = fetch(tx, &sql::max_rid(Some(tenant), ms)).await?;
                    match rows.first() {
                        Some(row) => PgRow { row, i: 0 }.int()?,
                        None => None,
                    }
                }
            };
            if let Some(next) = rid::next_after(ms, taken) {
                self.max.insert(ms, next);
                return Ok((next, ms));
            }
            ms += 1;
        }
        Err(StoreError::Other("no free creation sequence".into()))
    }
}

/// Replaces a client's data. A replacement that changes nothing keeps the version and writes
/// no audit record.
async fn update_client(
    tx: &Tx<'_>,
    ctx: &WriteCtx,
    current: Client,
    data: ClientData,
    expected_version: Option<i64>,
) -> StoreResult<Client> {
    if expected_version.is_some_and(|v| v != current.version) {
        return Err(StoreError::VersionMismatch);
    }
    let changes = diff(Some(&current.data.to_json()), Some(&data.to_json()));
    if changes.is_empty() {
        commit_idempotency(tx, ctx, "client", current.id, 200).await?;
        return Ok(current);
    }
    check_reference(tx, ctx.tenant, current.id, &data).await?;
    let at = Timestamp::now();
    let version = current.version + 1;
    exec(
        tx,
        &sql::update_client(ctx.tenant, current.id, version, at, &data),
    )
    .await?;
    index_client(tx, ctx.tenant, current.id, &data).await?;
    write_audit(
        tx,
        ctx,
        Entity("client", current.id, current.id),
        AuditAction::Updated,
        changes,
    )
    .await?;
    commit_idempotency(tx, ctx, "client", current.id, 200).await?;
    Ok(Client {
        data,
        version,
        updated_at: at,
        ..current
    })
}

async fn begin_idempotency(
    tx: &Tx<'_>,
    scope: &IdempotencyScope,
    hash: [u8; 32],
    now: Timestamp,
) -> StoreResult<IdempotencyBegin> {
    exec(
        tx,
        &sql::purge_idempotency(scope, now.plus_seconds(-RETENTION_SECONDS)),
    )
    .await?;
    // Atomic across instances: exactly one concurrent claimant inserts the row.
    let mut claim = sql::claim_idempotency(scope, hash, now);
    claim.on_conflict(
        OnConflict::columns([col("tenant_id"), col("credential_id"), col("key")])
            .do_nothing()
            .to_owned(),
    );
    if exec(tx, &claim).await? == 1 {
        return Ok(IdempotencyBegin::Started);
    }
    let mut select = sql::select_idempotency(scope);
    select.lock(LockType::Update);
    let rows = fetch(tx, &select).await?;
    let Some(row) = rows.first() else {
        // Purged by someone else between the insert and the select: claim it again.
        exec(tx, &sql::claim_idempotency(scope, hash, now)).await?;
        return Ok(IdempotencyBegin::Started);
    };
    let mut r = PgRow { row, i: 0 };
    let stored_hash = r.bytes()?.unwrap_or_default();
    let state = r.text()?.unwrap_or_default();
    let entity_type = r.text()?;
    let entity_id = r.text()?;
    let status = r.int()?;
    let headers = r.text()?;
    let body = r.bytes()?;
    let created_at = r.text()?.unwrap_or_default();
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
                exec(tx, &sql::reclaim_idempotency(scope, hash, now)).await?;
                Ok(IdempotencyBegin::Started)
            } else {
                Ok(IdempotencyBegin::InFlight)
            }
        }
    }
}

async fn require_client<D: Db + ?Sized>(
    db: &D,
    tenant: TenantId,
    client_id: Uuid,
) -> StoreResult<()> {
    if exists(db, &sql::client_exists(tenant, client_id)).await? {
        Ok(())
    } else {
        Err(StoreError::NotFound)
    }
}

/// Writes a changed sibling (its flag cleared or handed on) with its own version and audit.
async fn save_sibling(
    tx: &Tx<'_>,
    ctx: &WriteCtx,
    old: SubResource,
    data: SubData,
) -> StoreResult<()> {
    let kind = data.kind();
    let at = Timestamp::now();
    exec(
        tx,
        &sql::update_sub(
            ctx.tenant,
            old.client_id,
            old.id,
            old.version + 1,
            at,
            &data,
        ),
    )
    .await?;
    write_audit(
        tx,
        ctx,
        Entity(kind.entity_type(), old.id, old.client_id),
        AuditAction::Updated,
        diff(Some(&old.data.to_json()), Some(&data.to_json())),
    )
    .await
}

/// At most one main contact / primary location: raising the flag on `id` lowers it elsewhere.
async fn lower_other_flags(
    tx: &Tx<'_>,
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
    for other in query_subs(tx, data.kind(), &stmt).await? {
        let mut lowered = other.data.clone();
        lowered.set_flag(false);
        save_sibling(tx, ctx, other, lowered).await?;
    }
    Ok(())
}

async fn insert_sub(
    tx: &Tx<'_>,
    ctx: &WriteCtx,
    client_id: Uuid,
    mut data: SubData,
) -> StoreResult<SubResource> {
    let kind = data.kind();
    require_client(tx, ctx.tenant, client_id).await?;
    if data.flag() == Some(false)
        && count(tx, &sql::count_subs(kind, ctx.tenant, client_id)).await? == 0
    {
        // The first contact person / location of a client takes the flag.
        data.set_flag(true);
    }
    let id = Uuid::now_v7();
    lower_other_flags(tx, ctx, client_id, &data, id).await?;
    let at = Timestamp::now();
    exec(tx, &sql::insert_sub(ctx.tenant, client_id, id, at, &data)).await?;
    write_audit(
        tx,
        ctx,
        Entity(kind.entity_type(), id, client_id),
        AuditAction::Created,
        diff(None, Some(&data.to_json())),
    )
    .await?;
    if kind == SubKind::Account {
        exec(tx, &sql::recount_accounts(ctx.tenant, client_id, at)).await?;
    }
    if kind == SubKind::ContactPerson {
        reindex_client(tx, ctx.tenant, client_id).await?;
    }
    commit_idempotency(tx, ctx, kind.entity_type(), id, 201).await?;
    Ok(SubResource {
        id,
        client_id,
        data,
        created_at: at,
        updated_at: at,
        version: 1,
    })
}

async fn update_sub(
    tx: &Tx<'_>,
    ctx: &WriteCtx,
    current: SubResource,
    data: SubData,
    expected_version: Option<i64>,
) -> StoreResult<SubResource> {
    if expected_version.is_some_and(|v| v != current.version) {
        return Err(StoreError::VersionMismatch);
    }
    let kind = data.kind();
    let changes = diff(Some(&current.data.to_json()), Some(&data.to_json()));
    if changes.is_empty() {
        return Ok(current);
    }
    lower_other_flags(tx, ctx, current.client_id, &data, current.id).await?;
    let at = Timestamp::now();
    let version = current.version + 1;
    exec(
        tx,
        &sql::update_sub(
            ctx.tenant,
            current.client_id,
            current.id,
            version,
            at,
            &data,
        ),
    )
    .await?;
    write_audit(
        tx,
        ctx,
        Entity(kind.entity_type(), current.id, current.client_id),
        AuditAction::Updated,
        changes,
    )
    .await?;
    if kind == SubKind::ContactPerson {
        reindex_client(tx, ctx.tenant, current.client_id).await?;
    }
    Ok(SubResource {
        data,
        version,
        updated_at: at,
        ..current
    })
}

async fn remove_sub(
    tx: &Tx<'_>,
    ctx: &WriteCtx,
    kind: SubKind,
    client_id: Uuid,
    id: Uuid,
    expected_version: Option<i64>,
) -> StoreResult<()> {
    let current =
        query_one_sub(tx, kind, &sql::select_sub(kind, ctx.tenant, client_id, id)).await?;
    if expected_version.is_some_and(|v| v != current.version) {
        return Err(StoreError::VersionMismatch);
    }
    exec(tx, &sql::delete_sub(kind, ctx.tenant, client_id, id)).await?;
    write_audit(
        tx,
        ctx,
        Entity(kind.entity_type(), id, client_id),
        AuditAction::Deleted,
        diff(Some(&current.data.to_json()), None),
    )
    .await?;
    if current.data.flag() == Some(true) {
        // The flag passes to the oldest remaining sibling, so a client with contacts keeps a main.
        if let Some(next) = query_subs(tx, kind, &sql::oldest_subs(kind, ctx.tenant, client_id))
            .await?
            .into_iter()
            .next()
        {
            let mut raised = next.data.clone();
            raised.set_flag(true);
            save_sibling(tx, ctx, next, raised).await?;
        }
    }
    if kind == SubKind::Account {
        exec(
            tx,
            &sql::recount_accounts(ctx.tenant, client_id, Timestamp::now()),
        )
        .await?;
    }
    if kind == SubKind::ContactPerson {
        reindex_client(tx, ctx.tenant, client_id).await?;
    }
    Ok(())
}

async fn remove_client(
    tx: &Tx<'_>,
    ctx: &WriteCtx,
    id: Uuid,
    expected_version: Option<i64>,
) -> StoreResult<()> {
    let current = query_one_client(tx, &sql::select_client(ctx.tenant, id)).await?;
    if expected_version.is_some_and(|v| v != current.version) {
        return Err(StoreError::VersionMismatch);
    }
    // Sub-resources go first, in the same transaction, each with its own audit record.
    for kind in SubKind::ALL {
        for sub in query_subs(tx, kind, &sql::oldest_subs(kind, ctx.tenant, id)).await? {
            exec(tx, &sql::delete_sub(kind, ctx.tenant, id, sub.id)).await?;
            write_audit(
                tx,
                ctx,
                Entity(kind.entity_type(), sub.id, id),
                AuditAction::Deleted,
                diff(Some(&sub.data.to_json()), None),
            )
            .await?;
        }
    }
    unindex_client(tx, ctx.tenant, id).await?;
    exec(tx, &sql::delete_client(ctx.tenant, id)).await?;
    write_audit(
        tx,
        ctx,
        Entity("client", id, id),
        AuditAction::Deleted,
        diff(Some(&current.data.to_json()), None),
    )
    .await
}

// ---- search terms (see search.rs), rewritten in the write's transaction ----------------------

async fn index_client(
    tx: &Tx<'_>,
    tenant: TenantId,
    id: Uuid,
    data: &ClientData,
) -> StoreResult<()> {
    let contacts = query_subs(
        tx,
        SubKind::ContactPerson,
        &sql::oldest_subs(SubKind::ContactPerson, tenant, id),
    )
    .await?;
    let terms = search::client_terms(data, contacts.iter().map(|c| &c.data));
    exec(tx, &search::delete_terms(tenant, id)).await?;
    if let Some(q) = search::insert_terms(tenant, id, &terms) {
        exec(tx, &q).await?;
    }
    Ok(())
}

async fn reindex_client(tx: &Tx<'_>, tenant: TenantId, id: Uuid) -> StoreResult<()> {
    let client = query_one_client(tx, &sql::select_client(tenant, id)).await?;
    index_client(tx, tenant, id, &client.data).await
}

async fn unindex_client(tx: &Tx<'_>, tenant: TenantId, id: Uuid) -> StoreResult<()> {
    exec(tx, &search::delete_terms(tenant, id))
        .await
        .map(|_| ())
}

#[async_trait]
impl Store for PgStore {
    async fn migrate(&self) -> StoreResult<u32> {
        self.migrate_inner().await.map_err(settled)
    }

    async fn ping(&self) -> StoreResult<()> {
        let conn = self.conn().await.map_err(settled)?;
        conn.simple_query("SELECT 1")
            .await
            .map(|_| ())
            .map_err(|e| settled(map_err(e)))
    }

    async fn create_tenant(&self, name: &TenantName) -> StoreResult<Tenant> {
        let tenant = Tenant {
            id: TenantId(Uuid::now_v7()),
            name: name.clone(),
            created_at: Timestamp::now(),
        };
        let stmt = sql::insert_tenant(tenant.id.0, tenant.name.as_str(), tenant.created_at);
        self.write(None, |tx| {
            let stmt = stmt.clone();
            Box::pin(async move { exec(tx, &stmt).await.map(|_| ()) })
        })
        .await?;
        Ok(tenant)
    }

    async fn tenant_by_name(&self, name: &str) -> StoreResult<Option<Tenant>> {
        let stmt = sql::select_tenant_by_name(name);
        self.read(|c| {
            let stmt = stmt.clone();
            Box::pin(async move {
                match fetch(c, &stmt).await?.first() {
                    Some(row) => Ok(Some(decode_tenant(&mut PgRow { row, i: 0 })?)),
                    None => Ok(None),
                }
            })
        })
        .await
    }

    async fn tenant_count(&self) -> StoreResult<i64> {
        self.read(|c| Box::pin(async move { count(c, &sql::count_tenants()).await }))
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
        let perms: Vec<&str> = stored.permissions.iter().map(|p| p.as_str()).collect();
        let stmt = sql::insert_api_key(&sql::KeyRow {
            id: stored.id,
            tenant,
            name: stored.name.as_deref(),
            prefix: &stored.prefix,
            hash: key.hash,
            permissions: perms.join(","),
            rate_limit: stored.rate_limit.map(|r| r.to_string()),
            at: stored.created_at,
        });
        self.write(None, |tx| {
            let stmt = stmt.clone();
            Box::pin(async move { exec(tx, &stmt).await.map(|_| ()) })
        })
        .await?;
        Ok(stored)
    }

    async fn list_api_keys(&self, tenant: TenantId) -> StoreResult<Vec<ApiKey>> {
        let stmt = sql::list_api_keys(tenant);
        self.read(|c| {
            let stmt = stmt.clone();
            Box::pin(async move { query_keys(c, &stmt).await })
        })
        .await
    }

    async fn revoke_api_key(&self, tenant: Option<TenantId>, id: Uuid) -> StoreResult<ApiKey> {
        self.write(None, |tx| {
            Box::pin(async move {
                exec(tx, &sql::revoke_api_key(tenant, id, Timestamp::now())).await?;
                query_keys(tx, &sql::select_api_key(tenant, id))
                    .await?
                    .into_iter()
                    .next()
                    .ok_or(StoreError::NotFound)
            })
        })
        .await
    }

    async fn api_key_by_hash(&self, hash: [u8; 32]) -> StoreResult<Option<(ApiKey, Tenant)>> {
        let stmt = sql::api_key_by_hash(hash);
        self.read(|c| {
            let stmt = stmt.clone();
            Box::pin(async move {
                match fetch(c, &stmt).await?.first() {
                    Some(row) => {
                        let mut r = PgRow { row, i: 0 };
                        let key = decode_key(&mut r)?;
                        let tenant = decode_tenant(&mut r)?;
                        Ok(Some((key, tenant)))
                    }
                    None => Ok(None),
                }
            })
        })
        .await
    }

    async fn create_client(&self, ctx: &WriteCtx, data: ClientData) -> StoreResult<Client> {
        self.write(Some(ctx.tenant), |tx| {
            let (ctx, data) = (ctx.clone(), data.clone());
            Box::pin(async move { insert_client(tx, &ctx, data).await })
        })
        .await
    }

    async fn get_client(&self, tenant: TenantId, id: Uuid) -> StoreResult<Client> {
        let stmt = sql::select_client(tenant, id);
        self.read(|c| {
            let stmt = stmt.clone();
            Box::pin(async move { query_one_client(c, &stmt).await })
        })
        .await
    }

    async fn get_client_by_external_id(
        &self,
        tenant: TenantId,
        external_id: &str,
    ) -> StoreResult<Client> {
        let stmt = sql::select_client_by_external_id(tenant, external_id);
        self.read(|c| {
            let stmt = stmt.clone();
            Box::pin(async move { query_one_client(c, &stmt).await })
        })
        .await
    }

    async fn replace_client(
        &self,
        ctx: &WriteCtx,
        id: Uuid,
        data: ClientData,
        expected_version: Option<i64>,
    ) -> StoreResult<Client> {
        self.write(Some(ctx.tenant), |tx| {
            let (ctx, data) = (ctx.clone(), data.clone());
            Box::pin(async move {
                let current = query_one_client(tx, &sql::select_client(ctx.tenant, id)).await?;
                update_client(tx, &ctx, current, data, expected_version).await
            })
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
        self.write(Some(ctx.tenant), |tx| {
            let (ctx, patch) = (ctx.clone(), patch.clone());
            Box::pin(async move {
                let current = query_one_client(tx, &sql::select_client(ctx.tenant, id)).await?;
                if expected_version.is_some_and(|v| v != current.version) {
                    return Err(StoreError::VersionMismatch);
                }
                let data = current
                    .data
                    .apply_patch(&patch)
                    .map_err(StoreError::Invalid)?;
                update_client(tx, &ctx, current, data, None).await
            })
        })
        .await
    }

    async fn upsert_client_by_external_id(
        &self,
        ctx: &WriteCtx,
        data: ClientData,
        expected_version: Option<i64>,
    ) -> StoreResult<Upserted> {
        let Some(external_id) = data.external_id.clone() else {
            return Err(StoreError::Other("upsert without external_id".into()));
        };
        self.write(Some(ctx.tenant), |tx| {
            let (ctx, data, external_id) = (ctx.clone(), data.clone(), external_id.clone());
            Box::pin(async move {
                let stmt = sql::select_client_by_external_id(ctx.tenant, &external_id);
                match query_one_client(tx, &stmt).await {
                    Ok(current) => Ok((
                        update_client(tx, &ctx, current, data, expected_version).await?,
                        false,
                    )),
                    Err(StoreError::NotFound) if expected_version.is_none() => {
                        Ok((insert_client(tx, &ctx, data).await?, true))
                    }
                    Err(StoreError::NotFound) => Err(StoreError::VersionMismatch),
                    Err(e) => Err(e),
                }
            })
        })
        .await
    }

    async fn delete_client(
        &self,
        ctx: &WriteCtx,
        id: Uuid,
        expected_version: Option<i64>,
    ) -> StoreResult<()> {
        self.write(Some(ctx.tenant), |tx| {
            let ctx = ctx.clone();
            Box::pin(async move { remove_client(tx, &ctx, id, expected_version).await })
        })
        .await
    }

    async fn list_clients(
        &self,
        tenant: TenantId,
        query: &ClientQuery,
    ) -> StoreResult<Page<Client>> {
        let plan = sql::list_clients(tenant, query, &PgFlavour { tenant });
        let limit = query.limit as usize;
        self.read(|c| {
            let plan = plan.clone();
            Box::pin(async move {
                let mut items = Vec::with_capacity(limit + 1);
                let mut last_keys = None;
                let mut next = None;
                'pages: for page in &plan.pages {
                    let (sql, params) = build(page);
                    // Literals, so that the planner sees them (never user text).
                    let sql = format!("{sql} LIMIT {} OFFSET {}", plan.limit, plan.offset);
                    tracing::debug!(%sql, "list page");
                    for row in c.rows(&sql, &params).await.map_err(map_err)?.iter() {
                        if items.len() == limit {
                            // A row beyond the page: the page's last row starts the next one.
                            next = last_keys.take();
                            break 'pages;
                        }
                        let mut r = PgRow { row, i: 0 };
                        items.push(decode_client(&mut r)?);
                        last_keys = Some(decode_keys(&mut r, &plan.order)?);
                    }
                }
                let total = match &plan.count {
                    Some(q) => Some(count(c, q).await?.max(0) as u64),
                    None => None,
                };
                Ok(Page { items, total, next })
            })
        })
        .await
    }

    async fn insert_clients_bulk(
        &self,
        ctx: &WriteCtx,
        rows: Vec<(ClientData, Timestamp)>,
    ) -> StoreResult<u64> {
        let n = rows.len() as i64;
        if n == 0 {
            return Ok(0);
        }
        self.write(Some(ctx.tenant), |tx| {
            let (ctx, rows) = (ctx.clone(), rows.clone());
            Box::pin(async move { insert_bulk(tx, &ctx, rows).await })
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
        let any = sql::client_has_history(tenant, client_id);
        let live = sql::client_exists(tenant, client_id);
        self.read(|c| {
            let (stmt, any, live) = (stmt.clone(), any.clone(), live.clone());
            Box::pin(async move {
                let page = query_audit(c, &stmt, limit).await?;
                // Distinguish "no (more) records" from "no such client, ever".
                if page.records.is_empty() && !exists(c, &any).await? && !exists(c, &live).await? {
                    return Err(StoreError::NotFound);
                }
                Ok(page)
            })
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
        self.read(|c| {
            let stmt = stmt.clone();
            Box::pin(async move { query_audit(c, &stmt, limit).await })
        })
        .await
    }

    async fn idempotency_begin(
        &self,
        scope: &IdempotencyScope,
        request_hash: [u8; 32],
        now: Timestamp,
    ) -> StoreResult<IdempotencyBegin> {
        self.write(None, |tx| {
            let scope = scope.clone();
            Box::pin(async move { begin_idempotency(tx, &scope, request_hash, now).await })
        })
        .await
    }

    async fn idempotency_finish(
        &self,
        scope: &IdempotencyScope,
        response: StoredResponse,
    ) -> StoreResult<()> {
        let stmt = sql::finish_idempotency(scope, &response);
        self.write(None, |tx| {
            let stmt = stmt.clone();
            Box::pin(async move { exec(tx, &stmt).await.map(|_| ()) })
        })
        .await
    }

    async fn idempotency_abort(&self, scope: &IdempotencyScope) -> StoreResult<()> {
        let stmt = sql::abort_idempotency(scope);
        self.write(None, |tx| {
            let stmt = stmt.clone();
            Box::pin(async move { exec(tx, &stmt).await.map(|_| ()) })
        })
        .await
    }

    async fn close(&self) -> StoreResult<()> {
        // Every acknowledged write is already committed; this only ends the connections.
        self.pool.close();
        Ok(())
    }

    async fn create_sub(
        &self,
        ctx: &WriteCtx,
        client_id: Uuid,
        data: SubData,
    ) -> StoreResult<SubResource> {
        self.write(Some(ctx.tenant), |tx| {
            let (ctx, data) = (ctx.clone(), data.clone());
            Box::pin(async move { insert_sub(tx, &ctx, client_id, data).await })
        })
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
        self.read(|c| {
            let stmt = stmt.clone();
            Box::pin(async move { query_one_sub(c, kind, &stmt).await })
        })
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
        self.read(|c| {
            let stmt = stmt.clone();
            Box::pin(async move { query_one_sub(c, kind, &stmt).await })
        })
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
        self.write(Some(ctx.tenant), |tx| {
            let (ctx, data) = (ctx.clone(), data.clone());
            Box::pin(async move {
                let kind = data.kind();
                let current =
                    query_one_sub(tx, kind, &sql::select_sub(kind, ctx.tenant, client_id, id))
                        .await?;
                update_sub(tx, &ctx, current, data, expected_version).await
            })
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
        self.write(Some(ctx.tenant), |tx| {
            let (ctx, patch) = (ctx.clone(), patch.clone());
            Box::pin(async move {
                let current =
                    query_one_sub(tx, kind, &sql::select_sub(kind, ctx.tenant, client_id, id))
                        .await?;
                if expected_version.is_some_and(|v| v != current.version) {
                    return Err(StoreError::VersionMismatch);
                }
                let data = current
                    .data
                    .apply_patch(&patch)
                    .map_err(StoreError::Invalid)?;
                update_sub(tx, &ctx, current, data, None).await
            })
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
        self.write(Some(ctx.tenant), |tx| {
            let ctx = ctx.clone();
            Box::pin(
                async move { remove_sub(tx, &ctx, kind, client_id, id, expected_version).await },
            )
        })
        .await
    }

    async fn list_subs(
        &self,
        tenant: TenantId,
        kind: SubKind,
        client_id: Uuid,
        limit: u32,
        offset: u64,
        count_total: bool,
    ) -> StoreResult<Page<SubResource>> {
        let page = sql::list_subs(kind, tenant, client_id, limit, offset);
        let counter = count_total.then(|| sql::count_subs(kind, tenant, client_id));
        self.read(|c| {
            let (page, counter) = (page.clone(), counter.clone());
            Box::pin(async move {
                require_client(c, tenant, client_id).await?;
                let items = query_subs(c, kind, &page).await?;
                let total = match counter {
                    Some(q) => Some(count(c, &q).await?.max(0) as u64),
                    None => None,
                };
                Ok(Page {
                    items,
                    total,
                    next: None,
                })
            })
        })
        .await
    }
}

/// Reads the order-key columns that follow the client columns of a list row.
fn decode_keys(r: &mut PgRow<'_>, order: &[SortKey]) -> StoreResult<KeysetPosition> {
    order
        .iter()
        .map(|k| {
            Ok(match k.field.ty {
                FieldType::Int | FieldType::Money => r.int()?.map(Scalar::Int),
                FieldType::Float => r.float()?.map(Scalar::Float),
                FieldType::Bool => r.boolean()?.map(Scalar::Bool),
                FieldType::Text
                | FieldType::Enum(_)
                | FieldType::Country
                | FieldType::Currency
                | FieldType::Uuid
                | FieldType::Timestamp => r.text()?.map(Scalar::Text),
            })
        })
        .collect()
}
