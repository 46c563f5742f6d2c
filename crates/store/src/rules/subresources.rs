//! A client's sub-resources (contact persons, locations, accounts), one set of rules for all
//! three: at most one main contact / primary location per client (a new item takes the flag when
//! no item holds it, a raised flag lowers the others', a holder that lowers its flag or is
//! deleted hands it to the oldest sibling), accounts
//! counted on the client, contact persons part of the client's search document.

use std::collections::HashMap;

use clientele_core::audit::{diff, AuditAction};
use clientele_core::query::Page;
use clientele_core::store::StoreResult;
use clientele_core::sub::{SubData, SubKind, SubResource};
use clientele_core::types::Timestamp;
use clientele_core::{StoreError, TenantId, WriteCtx};
use uuid::Uuid;

use super::audit::{self, Entity};
use super::{check_version, idempotency, patched, search};
use crate::columns::decode_sub;
use crate::db::{Db, Read, Tx, Write};
use crate::statements as sql;

/// Inserts the sub-resource `id` of `client_id` and writes its audit record (`created`), in
/// the transaction: the one way every write path creates an item.
pub(super) async fn insert_recorded<X: Tx>(
    tx: &X,
    ctx: &WriteCtx,
    client_id: Uuid,
    id: Uuid,
    at: Timestamp,
    data: &SubData,
) -> StoreResult<()> {
    tx.exec(&sql::insert_sub(ctx.tenant, client_id, id, at, data))
        .await?;
    audit::record(
        tx,
        ctx,
        Entity(data.kind().entity_type(), id, client_id),
        AuditAction::Created,
        diff(None, Some(&data.to_json())),
    )
    .await
}

/// Deletes the sub-resource `id` of `client_id`, whose stored data is `old`, and writes its
/// audit record (`deleted`), in the transaction.
pub(super) async fn delete_recorded<X: Tx>(
    tx: &X,
    ctx: &WriteCtx,
    client_id: Uuid,
    id: Uuid,
    old: &SubData,
) -> StoreResult<()> {
    let kind = old.kind();
    tx.exec(&sql::delete_sub(kind, ctx.tenant, client_id, id))
        .await?;
    audit::record(
        tx,
        ctx,
        Entity(kind.entity_type(), id, client_id),
        AuditAction::Deleted,
        diff(Some(&old.to_json()), None),
    )
    .await
}

/// `NotFound` unless the client exists in the tenant.
async fn require_client<D: Db>(db: &D, tenant: TenantId, client_id: Uuid) -> StoreResult<()> {
    if db.exists(&sql::client_exists(tenant, client_id)).await? {
        Ok(())
    } else {
        Err(StoreError::NotFound)
    }
}

/// Locks the client whose sub-resource a write changes, until it commits: writes of one client's
/// sub-resources (the main / primary hand-off, the account count) run one at a time. `NotFound`
/// unless the client exists in the tenant.
async fn lock_client<X: Tx>(tx: &X, tenant: TenantId, client_id: Uuid) -> StoreResult<()> {
    if tx.exists(&sql::lock_client(tenant, client_id)).await? {
        Ok(())
    } else {
        Err(StoreError::NotFound)
    }
}

async fn select<D: Db>(
    db: &D,
    kind: SubKind,
    tenant: TenantId,
    client_id: Uuid,
    id: Uuid,
) -> StoreResult<SubResource> {
    db.one(&sql::select_sub(kind, tenant, client_id, id), |r| {
        decode_sub(kind, r)
    })
    .await
}

/// The client's sub-resources of one kind, oldest first.
async fn oldest<D: Db>(
    db: &D,
    kind: SubKind,
    tenant: TenantId,
    client_id: Uuid,
) -> StoreResult<Vec<SubResource>> {
    db.rows(&sql::oldest_subs(kind, tenant, client_id), |r| {
        decode_sub(kind, r)
    })
    .await
}

/// Writes a changed sibling (its flag lowered or handed on) with its own version and audit.
async fn save_sibling<X: Tx>(
    tx: &X,
    ctx: &WriteCtx,
    old: SubResource,
    data: SubData,
) -> StoreResult<()> {
    tx.exec(&sql::update_sub(
        ctx.tenant,
        old.client_id,
        old.id,
        old.version + 1,
        Timestamp::now(),
        &data,
    ))
    .await?;
    audit::record(
        tx,
        ctx,
        Entity(data.kind().entity_type(), old.id, old.client_id),
        AuditAction::Updated,
        diff(Some(&old.data.to_json()), Some(&data.to_json())),
    )
    .await
}

/// At most one main contact / primary location: raising the flag on `id` lowers it elsewhere.
async fn lower_other_flags<X: Tx>(
    tx: &X,
    ctx: &WriteCtx,
    client_id: Uuid,
    data: &SubData,
    id: Uuid,
) -> StoreResult<()> {
    if data.flag() != Some(true) {
        return Ok(());
    }
    let kind = data.kind();
    let Some(stmt) = sql::flagged_subs(kind, ctx.tenant, client_id, id) else {
        return Ok(());
    };
    for other in tx.rows(&stmt, |r| decode_sub(kind, r)).await? {
        let mut lowered = other.data.clone();
        lowered.set_flag(false);
        save_sibling(tx, ctx, other, lowered).await?;
    }
    Ok(())
}

/// What a change to a sub-resource does to its client: accounts are counted on it (and move its
/// version), contact persons are part of its search document.
async fn propagate<X: Tx>(
    tx: &X,
    tenant: TenantId,
    kind: SubKind,
    client_id: Uuid,
    at: Timestamp,
) -> StoreResult<()> {
    match kind {
        SubKind::Account => {
            tx.exec(&sql::recount_accounts(tenant, client_id, at))
                .await?;
            Ok(())
        }
        SubKind::ContactPerson => search::reindex(tx, tenant, client_id).await,
        SubKind::Location => Ok(()),
    }
}

/// Replaces a sub-resource's data. A replacement that changes nothing keeps the version and
/// writes no audit record.
async fn update<X: Tx>(
    tx: &X,
    ctx: &WriteCtx,
    current: SubResource,
    data: SubData,
    expected_version: Option<i64>,
) -> StoreResult<SubResource> {
    check_version(expected_version, current.version)?;
    let kind = data.kind();
    // The holder lowering its flag hands it to the oldest sibling, as a deleted holder does, so
    // a client with several contacts keeps a main one.
    let heir = if current.data.flag() == Some(true) && data.flag() == Some(false) {
        oldest(tx, kind, ctx.tenant, current.client_id)
            .await?
            .into_iter()
            .find(|s| s.id != current.id)
    } else {
        None
    };
    let changes = diff(Some(&current.data.to_json()), Some(&data.to_json()));
    if changes.is_empty() {
        return Ok(current);
    }
    lower_other_flags(tx, ctx, current.client_id, &data, current.id).await?;
    let at = Timestamp::now();
    let version = current.version + 1;
    tx.exec(&sql::update_sub(
        ctx.tenant,
        current.client_id,
        current.id,
        version,
        at,
        &data,
    ))
    .await?;
    audit::record(
        tx,
        ctx,
        Entity(kind.entity_type(), current.id, current.client_id),
        AuditAction::Updated,
        changes,
    )
    .await?;
    if let Some(next) = heir {
        // After the holder's own row: the store allows one flagged item per client at a time.
        let mut raised = next.data.clone();
        raised.set_flag(true);
        save_sibling(tx, ctx, next, raised).await?;
    }
    if kind == SubKind::ContactPerson {
        search::reindex(tx, ctx.tenant, current.client_id).await?;
    }
    Ok(SubResource {
        data,
        version,
        updated_at: at,
        ..current
    })
}

/// `Store::get_sub`.
pub struct Get {
    pub tenant: TenantId,
    pub kind: SubKind,
    pub client_id: Uuid,
    pub id: Uuid,
}

impl Read for Get {
    type Output = SubResource;

    fn is_point(&self) -> bool {
        true
    }

    async fn run<D: Db>(&self, db: &D) -> StoreResult<SubResource> {
        select(db, self.kind, self.tenant, self.client_id, self.id).await
    }
}

/// `Store::get_sub_by_external_id`.
pub struct GetByExternalId {
    pub tenant: TenantId,
    pub kind: SubKind,
    pub client_id: Uuid,
    pub external_id: String,
}

impl Read for GetByExternalId {
    type Output = SubResource;

    fn is_point(&self) -> bool {
        true
    }

    async fn run<D: Db>(&self, db: &D) -> StoreResult<SubResource> {
        let kind = self.kind;
        let stmt =
            sql::select_sub_by_external_id(kind, self.tenant, self.client_id, &self.external_id);
        db.one(&stmt, |r| decode_sub(kind, r)).await
    }
}

/// `Store::list_subs`: newest first.
pub struct List {
    pub tenant: TenantId,
    pub kind: SubKind,
    pub client_id: Uuid,
    pub limit: u32,
    pub offset: u64,
    pub count: bool,
}

impl Read for List {
    type Output = Page<SubResource>;

    async fn run<D: Db>(&self, db: &D) -> StoreResult<Page<SubResource>> {
        let Self {
            tenant,
            kind,
            client_id,
            ..
        } = *self;
        require_client(db, tenant, client_id).await?;
        let page = sql::list_subs(kind, tenant, client_id, self.limit, self.offset);
        let items = db.rows(&page, |r| decode_sub(kind, r)).await?;
        let total = if self.count {
            let n = db.int(&sql::count_subs(kind, tenant, client_id)).await?;
            Some(n.max(0) as u64)
        } else {
            None
        };
        Ok(Page {
            items,
            total,
            next: None,
        })
    }
}

/// Clients per statement of [`Flagged`]: a page of the largest list (1000) in one.
const FLAGGED_CHUNK: usize = 1000;

/// `Store::flagged_subs`: the flagged item of each client, one statement per
/// `FLAGGED_CHUNK` clients.
pub struct Flagged {
    pub tenant: TenantId,
    pub kind: SubKind,
    pub client_ids: Vec<Uuid>,
}

impl Read for Flagged {
    type Output = HashMap<Uuid, SubResource>;

    async fn run<D: Db>(&self, db: &D) -> StoreResult<HashMap<Uuid, SubResource>> {
        let kind = self.kind;
        let mut out = HashMap::with_capacity(self.client_ids.len());
        for ids in self.client_ids.chunks(FLAGGED_CHUNK) {
            let Some(stmt) = sql::flagged_of_clients(kind, self.tenant, ids) else {
                break;
            };
            for sub in db.rows(&stmt, |r| decode_sub(kind, r)).await? {
                out.insert(sub.client_id, sub);
            }
        }
        Ok(out)
    }
}

/// `Store::create_sub`.
pub struct Create {
    pub ctx: WriteCtx,
    pub client_id: Uuid,
    pub data: SubData,
}

impl Write for Create {
    type Output = SubResource;

    fn tenant(&self) -> Option<TenantId> {
        Some(self.ctx.tenant)
    }

    async fn run<X: Tx>(&self, tx: &X) -> StoreResult<SubResource> {
        let (ctx, client_id, mut data) = (&self.ctx, self.client_id, self.data.clone());
        let kind = data.kind();
        lock_client(tx, ctx.tenant, client_id).await?;
        let id = Uuid::now_v7();
        if data.flag() == Some(false) {
            // A contact person / location takes the flag when no item of its client holds it
            // (the first one, or after the holder lowered it with no sibling to hand it to).
            if let Some(held) = sql::flagged_subs(kind, ctx.tenant, client_id, id) {
                if !tx.exists(&held).await? {
                    data.set_flag(true);
                }
            }
        }
        lower_other_flags(tx, ctx, client_id, &data, id).await?;
        let at = Timestamp::now();
        insert_recorded(tx, ctx, client_id, id, at, &data).await?;
        propagate(tx, ctx.tenant, kind, client_id, at).await?;
        idempotency::commit(tx, ctx, kind.entity_type(), id, 201).await?;
        Ok(SubResource {
            id,
            client_id,
            data,
            created_at: at,
            updated_at: at,
            version: 1,
        })
    }
}

/// `Store::replace_sub`.
pub struct Replace {
    pub ctx: WriteCtx,
    pub client_id: Uuid,
    pub id: Uuid,
    pub data: SubData,
    pub expected_version: Option<i64>,
}

impl Write for Replace {
    type Output = SubResource;

    fn tenant(&self) -> Option<TenantId> {
        Some(self.ctx.tenant)
    }

    async fn run<X: Tx>(&self, tx: &X) -> StoreResult<SubResource> {
        let kind = self.data.kind();
        lock_client(tx, self.ctx.tenant, self.client_id).await?;
        let current = select(tx, kind, self.ctx.tenant, self.client_id, self.id).await?;
        let data = self.data.clone();
        update(tx, &self.ctx, current, data, self.expected_version).await
    }
}

/// `Store::patch_sub`: read, merge, validate and write in one transaction.
pub struct Patch {
    pub ctx: WriteCtx,
    pub kind: SubKind,
    pub client_id: Uuid,
    pub id: Uuid,
    pub patch: serde_json::Value,
    pub expected_version: Option<i64>,
}

impl Write for Patch {
    type Output = SubResource;

    fn tenant(&self) -> Option<TenantId> {
        Some(self.ctx.tenant)
    }

    async fn run<X: Tx>(&self, tx: &X) -> StoreResult<SubResource> {
        lock_client(tx, self.ctx.tenant, self.client_id).await?;
        let current = select(tx, self.kind, self.ctx.tenant, self.client_id, self.id).await?;
        let data = patched(self.expected_version, current.version, || {
            current.data.apply_patch(&self.patch)
        })?;
        update(tx, &self.ctx, current, data, None).await
    }
}

/// `Store::delete_sub`.
pub struct Delete {
    pub ctx: WriteCtx,
    pub kind: SubKind,
    pub client_id: Uuid,
    pub id: Uuid,
    pub expected_version: Option<i64>,
}

impl Write for Delete {
    type Output = ();

    fn tenant(&self) -> Option<TenantId> {
        Some(self.ctx.tenant)
    }

    async fn run<X: Tx>(&self, tx: &X) -> StoreResult<()> {
        let Self {
            ref ctx,
            kind,
            client_id,
            id,
            ..
        } = *self;
        lock_client(tx, ctx.tenant, client_id).await?;
        let current = select(tx, kind, ctx.tenant, client_id, id).await?;
        check_version(self.expected_version, current.version)?;
        delete_recorded(tx, ctx, client_id, id, &current.data).await?;
        if current.data.flag() == Some(true) {
            // The flag passes to the oldest remaining sibling, so a client with contacts keeps
            // a main one.
            if let Some(next) = oldest(tx, kind, ctx.tenant, client_id)
                .await?
                .into_iter()
                .next()
            {
                let mut raised = next.data.clone();
                raised.set_flag(true);
                save_sibling(tx, ctx, next, raised).await?;
            }
        }
        propagate(tx, ctx.tenant, kind, client_id, Timestamp::now()).await
    }
}
