//! A batch of bulk-import rows in one transaction: new clients are inserted many per statement
//! (`clients::insert`, with their sub-resources through `with_subs::add_subs`), an upsert of an
//! existing client is `clients::update` (which writes nothing when nothing changes) and, for each
//! kind whose array the row holds, the replacement of the client's items of that kind
//! (`replace_subs`: nothing written when they are the same). A row that
//! breaks a rule only the store can check (an `external_id` taken, a `referred_by_id` that names
//! no client) fails alone, before anything of it is written.

use std::collections::{HashMap, HashSet};

use clientele_core::audit::diff;
use clientele_core::store::{ImportMode, ImportOutcome, ImportRow, StoreResult};
use clientele_core::sub::{SubData, SubKind};
use clientele_core::types::Timestamp;
use clientele_core::{Client, StoreError, TenantId, WriteCtx};
use uuid::Uuid;

use super::{clients, search, subresources, with_subs};
use crate::columns::{decode_client, decode_sub};
use crate::db::{Tx, Write};
use crate::statements as sql;

/// External ids looked up per statement.
const LOOKUP_CHUNK: usize = 500;

/// `Store::import_clients`.
pub struct Import {
    pub ctx: WriteCtx,
    pub mode: ImportMode,
    pub rows: Vec<ImportRow>,
}

impl Write for Import {
    type Output = Vec<ImportOutcome>;

    fn tenant(&self) -> Option<TenantId> {
        Some(self.ctx.tenant)
    }

    async fn run<X: Tx>(&self, tx: &X) -> StoreResult<Vec<ImportOutcome>> {
        let (ctx, rows) = (&self.ctx, &self.rows);
        let mut existing = by_external_id(tx, ctx.tenant, rows).await?;
        let mut out: Vec<Option<ImportOutcome>> = vec![None; rows.len()];
        let mut pending: Vec<usize> = Vec::new();
        let mut pending_ext: HashSet<&str> = HashSet::new();
        let now = Timestamp::now();
        for (i, row) in rows.iter().enumerate() {
            let ext = row.data.external_id.as_deref();
            let taken = ext.filter(|e| existing.contains_key(*e) || pending_ext.contains(e));
            let Some(ext) = taken else {
                if !reference_ok(tx, ctx.tenant, None, row).await? {
                    out[i] = Some(bad_reference());
                    continue;
                }
                pending.push(i);
                pending_ext.extend(ext);
                continue;
            };
            if self.mode == ImportMode::Create {
                out[i] = Some(ImportOutcome::Failed(StoreError::Conflict(
                    "external_id".into(),
                )));
                continue;
            }
            if pending_ext.contains(ext) {
                // An earlier row of this batch creates it: create those first.
                flush(tx, ctx, rows, &mut pending, now, &mut out, &mut existing).await?;
                pending_ext.clear();
            }
            let Some(current) = existing.remove(ext) else {
                return Err(StoreError::Other("an upserted client vanished".into()));
            };
            if !reference_ok(tx, ctx.tenant, Some(current.id), row).await? {
                out[i] = Some(bad_reference());
                existing.insert(ext.to_string(), current);
                continue;
            }
            let before = current.version;
            let mut updated = clients::update(tx, ctx, current, row.data.clone(), None).await?;
            let subs_changed = replace_subs(tx, ctx, updated.id, row).await?;
            if subs_changed {
                // An account count moves the client's version: read it as it now is.
                updated = tx
                    .one(&sql::select_client(ctx.tenant, updated.id), decode_client)
                    .await?;
            }
            out[i] = Some(if updated.version == before && !subs_changed {
                ImportOutcome::Unchanged
            } else {
                ImportOutcome::Updated
            });
            existing.insert(ext.to_string(), updated);
        }
        flush(tx, ctx, rows, &mut pending, now, &mut out, &mut existing).await?;
        out.into_iter()
            .map(|o| o.ok_or_else(|| StoreError::Other("an import row was left out".into())))
            .collect()
    }
}

fn bad_reference() -> ImportOutcome {
    ImportOutcome::Failed(StoreError::InvalidReference("referred_by_id".into()))
}

/// The batch's clients that already exist, by external id.
async fn by_external_id<X: Tx>(
    tx: &X,
    tenant: TenantId,
    rows: &[ImportRow],
) -> StoreResult<HashMap<String, Client>> {
    let mut ids: Vec<&str> = rows
        .iter()
        .filter_map(|r| r.data.external_id.as_deref())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut out = HashMap::new();
    for chunk in ids.chunks(LOOKUP_CHUNK) {
        let mut stmt = sql::select_clients_by_external_ids(tenant, chunk);
        // Locked until commit, like the row of any client a write replaces (PostgreSQL runs one
        // tenant's writes in parallel): a patch meanwhile waits instead of being overwritten.
        stmt.lock(sea_query::LockType::Update);
        for c in tx.rows(&stmt, decode_client).await? {
            if let Some(e) = c.data.external_id.clone() {
                out.insert(e, c);
            }
        }
    }
    Ok(out)
}

/// Whether the row's `referred_by_id` (if any) names another client of the tenant.
async fn reference_ok<X: Tx>(
    tx: &X,
    tenant: TenantId,
    self_id: Option<Uuid>,
    row: &ImportRow,
) -> StoreResult<bool> {
    let Some(r) = row.data.referred_by_id else {
        return Ok(true);
    };
    Ok(Some(r) != self_id && tx.exists(&sql::client_exists(tenant, r)).await?)
}

/// Creates the pending rows' clients (numbered in row order) and their sub-resources.
async fn flush<X: Tx>(
    tx: &X,
    ctx: &WriteCtx,
    rows: &[ImportRow],
    pending: &mut Vec<usize>,
    now: Timestamp,
    out: &mut [Option<ImportOutcome>],
    existing: &mut HashMap<String, Client>,
) -> StoreResult<()> {
    if pending.is_empty() {
        return Ok(());
    }
    let new: Vec<_> = pending
        .iter()
        .map(|&i| (rows[i].data.clone(), rows[i].created_at.unwrap_or(now)))
        .collect();
    let created = clients::insert(tx, ctx, new).await?;
    for (&i, mut client) in pending.iter().zip(created) {
        if !rows[i].subs.is_empty() {
            with_subs::add_subs(tx, ctx, &mut client, rows[i].subs.clone()).await?;
        }
        out[i] = Some(ImportOutcome::Created);
        if let Some(e) = client.data.external_id.clone() {
            existing.insert(e, client);
        }
    }
    pending.clear();
    Ok(())
}

/// Replaces the client's items of each kind whose array an upsert row holds by the row's items
/// of that kind, as if the client had none and they were created one by one in the row's order
/// (flags settled as `with_subs::settle_flags` does). Items equal to the stored ones, in the
/// same order, leave that kind untouched (no version, no audit record). Otherwise every stored
/// item of the kind is deleted and every given one created, each with its audit record; the
/// account count and the search document (contact persons) follow. Returns whether anything
/// was written.
async fn replace_subs<X: Tx>(
    tx: &X,
    ctx: &WriteCtx,
    client_id: Uuid,
    row: &ImportRow,
) -> StoreResult<bool> {
    if row.sub_kinds.is_empty() {
        return Ok(false);
    }
    let mut given = row.subs.clone();
    with_subs::settle_flags(&mut given);
    let mut changed = false;
    for &kind in &row.sub_kinds {
        let new: Vec<&SubData> = given.iter().filter(|s| s.kind() == kind).collect();
        let current = tx
            .rows(&sql::oldest_subs(kind, ctx.tenant, client_id), |r| {
                decode_sub(kind, r)
            })
            .await?;
        let same = current.len() == new.len()
            && current
                .iter()
                .zip(&new)
                .all(|(c, n)| diff(Some(&c.data.to_json()), Some(&n.to_json())).is_empty());
        if same {
            continue;
        }
        changed = true;
        for old in current {
            subresources::delete_recorded(tx, ctx, client_id, old.id, &old.data).await?;
        }
        let at = Timestamp::now();
        for data in new {
            let id = Uuid::now_v7();
            subresources::insert_recorded(tx, ctx, client_id, id, at, data).await?;
        }
        match kind {
            SubKind::Account => {
                tx.exec(&sql::recount_accounts(ctx.tenant, client_id, at))
                    .await?;
            }
            SubKind::ContactPerson => search::reindex(tx, ctx.tenant, client_id).await?,
            SubKind::Location => {}
        }
    }
    Ok(changed)
}
