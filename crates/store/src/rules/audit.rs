//! Audit records: one per change, written in the change's transaction, read back as a client's
//! history or as the tenant's change feed.

use clientele_core::audit::{AuditAction, AuditRecord, Changes};
use clientele_core::store::{AuditPage, StoreResult};
use clientele_core::types::Timestamp;
use clientele_core::{StoreError, TenantId, WriteCtx};
use sea_query::SelectStatement;
use uuid::Uuid;

use crate::columns::RowSource;
use crate::db::{Db, Read, Tx};
use crate::statements::{self as sql, NewAudit};

/// What an audit record is about: entity type, entity id, and the client it belongs to.
pub struct Entity<'a>(pub &'a str, pub Uuid, pub Uuid);

/// A new record of `ctx`'s actor, now, with its changes as JSON text.
pub fn new_record(
    ctx: &WriteCtx,
    Entity(entity_type, entity_id, client_id): Entity<'_>,
    action: AuditAction,
    changes: String,
) -> NewAudit {
    NewAudit {
        id: Uuid::now_v7(),
        entity_type: entity_type.into(),
        entity_id,
        client_id,
        action,
        actor: ctx.actor.clone(),
        at: Timestamp::now(),
        changes,
        import_id: ctx.import_id.clone(),
    }
}

/// Writes the audit record of one change.
pub async fn record<X: Tx>(
    tx: &X,
    ctx: &WriteCtx,
    entity: Entity<'_>,
    action: AuditAction,
    changes: Changes,
) -> StoreResult<()> {
    let text = serde_json::to_string(&changes).unwrap_or_else(|_| "{}".into());
    let record = new_record(ctx, entity, action, text);
    write(tx, ctx.tenant, std::slice::from_ref(&record)).await
}

/// Writes audit records of one tenant, in this order, at the next positions of its feed (or at
/// none yet, where the backend gives positions after commit: `Tx::feed_positions`).
pub async fn write<X: Tx>(tx: &X, tenant: TenantId, records: &[NewAudit]) -> StoreResult<()> {
    if records.is_empty() {
        return Ok(());
    }
    let first = tx.feed_positions(tenant, records.len()).await?;
    tx.insert_rows(sql::audit_rows(tenant, records, first))
        .await
}

/// Decodes a row selected with [`sql::AUDIT_COLUMNS`]: its feed position and the record.
fn decode_audit(r: &mut dyn RowSource) -> StoreResult<(i64, AuditRecord)> {
    let bad = |w: &str| StoreError::Other(format!("stored audit {w} is invalid"));
    let uuid =
        |s: Option<String>, w: &str| Uuid::parse_str(&s.unwrap_or_default()).map_err(|_| bad(w));
    let seq = r.int()?.ok_or_else(|| bad("pos"))?;
    let id = uuid(r.text()?, "id")?;
    let entity_type = r.text()?.ok_or_else(|| bad("entity_type"))?;
    let entity_id = uuid(r.text()?, "entity_id")?;
    let client_id = uuid(r.text()?, "client_id")?;
    let action = AuditAction::parse(&r.text()?.unwrap_or_default()).ok_or_else(|| bad("action"))?;
    let actor = r.text()?.unwrap_or_default();
    let at = Timestamp::parse(&r.text()?.unwrap_or_default()).map_err(|_| bad("at"))?;
    let changes =
        serde_json::from_str(&r.text()?.unwrap_or_default()).map_err(|_| bad("changes"))?;
    let _tenant = r.text()?;
    let import_id = r.text()?;
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
            import_id,
        },
    ))
}

/// One page of records from a statement that reads `limit + 1` rows.
async fn page<D: Db>(db: &D, stmt: &SelectStatement, limit: u32) -> StoreResult<AuditPage> {
    let mut out = db.rows(stmt, decode_audit).await?;
    let has_more = out.len() > limit as usize;
    out.truncate(limit as usize);
    Ok(AuditPage {
        last_pos: out.last().map(|(s, _)| *s),
        records: out.into_iter().map(|(_, r)| r).collect(),
        has_more,
    })
}

/// `Store::client_history`.
pub struct History {
    pub tenant: TenantId,
    pub client_id: Uuid,
    pub before_pos: Option<i64>,
    pub limit: u32,
}

impl Read for History {
    type Output = AuditPage;

    async fn run<D: Db>(&self, db: &D) -> StoreResult<AuditPage> {
        let (tenant, client_id) = (self.tenant, self.client_id);
        db.settle_feed(tenant).await?;
        let stmt = sql::client_history(tenant, client_id, self.before_pos, self.limit);
        let page = page(db, &stmt, self.limit).await?;
        // Distinguish "no (more) records" from "no such client, ever".
        if page.records.is_empty()
            && !db
                .exists(&sql::client_has_history(tenant, client_id))
                .await?
            && !db.exists(&sql::client_exists(tenant, client_id)).await?
        {
            return Err(StoreError::NotFound);
        }
        Ok(page)
    }
}

/// `Store::events`.
pub struct Events {
    pub tenant: TenantId,
    pub after_pos: Option<i64>,
    pub limit: u32,
}

impl Read for Events {
    type Output = AuditPage;

    async fn run<D: Db>(&self, db: &D) -> StoreResult<AuditPage> {
        db.settle_feed(self.tenant).await?;
        let stmt = sql::events(self.tenant, self.after_pos, self.limit);
        page(db, &stmt, self.limit).await
    }
}
