//! Audit records: written with every change, read as a client's history or the change feed.

use clientele_core::audit::AuditAction;
use clientele_core::types::Timestamp;
use clientele_core::TenantId;
use sea_query::{Expr, Func, InsertStatement, Order, Query, SelectStatement, Value};
use uuid::Uuid;

use super::base::{col, tenant_cond};
use super::rows::Rows;

/// `pos` is the record's position in its tenant's feed (migration 0006); a backend may leave
/// it NULL at write and give it once the record has committed (see `Tx::feed_positions`).
/// `import_id` names the bulk import that made the change, NULL for any other (SQLite migration
/// 0030, PostgreSQL 0017).
pub const AUDIT_COLUMNS: [&str; 11] = [
    "pos",
    "id",
    "entity_type",
    "entity_id",
    "client_id",
    "action",
    "actor",
    "at",
    "changes",
    "tenant_id",
    "import_id",
];

/// An audit record to write: what `clientele_core::audit::AuditRecord` holds, with its `changes` as the JSON text
/// stored (a creation's is written straight from the new document,
/// `clientele_core::audit::created_changes_text`).
#[derive(Debug, Clone)]
pub struct NewAudit {
    pub id: Uuid,
    pub entity_type: String,
    pub entity_id: Uuid,
    pub client_id: Uuid,
    pub action: AuditAction,
    pub actor: String,
    pub at: Timestamp,
    pub changes: String,
    pub import_id: Option<String>,
}

/// The values of [`AUDIT_COLUMNS`] for one record at feed position `pos` (or none yet).
pub fn audit_values(tenant: TenantId, r: &NewAudit, pos: Option<i64>) -> [Value; 11] {
    [
        pos.into(),
        r.id.to_string().into(),
        r.entity_type.clone().into(),
        r.entity_id.to_string().into(),
        r.client_id.to_string().into(),
        r.action.as_str().into(),
        r.actor.clone().into(),
        r.at.to_rfc3339().into(),
        r.changes.clone().into(),
        tenant.0.to_string().into(),
        r.import_id.clone().into(),
    ]
}

/// One INSERT of many audit records of a tenant; `records` must not be empty. They take the
/// positions `first_pos`, `first_pos + 1`, ... or, with `None`, none yet.
pub fn insert_audits(
    tenant: TenantId,
    records: &[NewAudit],
    first_pos: Option<i64>,
) -> InsertStatement {
    audit_rows(tenant, records, first_pos).into_insert()
}

/// The rows of audit records, as [`insert_audits`] writes them, for `Tx::insert_rows`.
pub fn audit_rows(tenant: TenantId, records: &[NewAudit], first_pos: Option<i64>) -> Rows {
    let mut out = Rows::new("audit_records", &AUDIT_COLUMNS);
    for (i, r) in records.iter().enumerate() {
        let pos = first_pos.map(|p| p + i as i64);
        out.push(audit_values(tenant, r, pos).to_vec());
    }
    out
}

fn select_audit(tenant: TenantId) -> SelectStatement {
    let mut q = Query::select();
    q.columns(AUDIT_COLUMNS.map(col))
        .from(col("audit_records"))
        .and_where(tenant_cond(tenant));
    q
}

/// The tenant's highest feed position, NULL before its first record.
pub fn last_feed_position(tenant: TenantId) -> SelectStatement {
    let mut q = Query::select();
    q.expr(Func::max(Expr::col(col("pos"))))
        .from(col("audit_records"))
        .and_where(tenant_cond(tenant));
    q
}

/// [`last_feed_position`] as SQLite's query builder writes it (a test checks), for the SQLite
/// writer to bind without building it: the tenant id.
pub const LAST_FEED_POSITION_SQLITE: &str =
    r#"SELECT MAX("pos") FROM "audit_records" WHERE "tenant_id" = ?"#;

/// Newest first, strictly before position `before`; one extra row tells whether more follow.
/// Records not yet given a position are left out (they are newer than any that has one).
pub fn client_history(
    tenant: TenantId,
    client_id: Uuid,
    before: Option<i64>,
    limit: u32,
) -> SelectStatement {
    let mut q = select_audit(tenant);
    q.and_where(Expr::col(col("client_id")).eq(client_id.to_string()))
        .and_where(Expr::col(col("pos")).is_not_null());
    if let Some(p) = before {
        q.and_where(Expr::col(col("pos")).lt(p));
    }
    q.order_by(col("pos"), Order::Desc)
        .limit(u64::from(limit) + 1);
    q
}

pub fn client_has_history(tenant: TenantId, client_id: Uuid) -> SelectStatement {
    let mut q = Query::select();
    q.expr(Expr::val(1))
        .from(col("audit_records"))
        .and_where(tenant_cond(tenant))
        .and_where(Expr::col(col("client_id")).eq(client_id.to_string()))
        .limit(1);
    q
}

/// Oldest first, strictly after position `after`; one extra row tells whether more follow.
/// Records not yet given a position are left out: they will be given higher ones.
pub fn events(tenant: TenantId, after: Option<i64>, limit: u32) -> SelectStatement {
    let mut q = select_audit(tenant);
    q.and_where(Expr::col(col("pos")).is_not_null());
    if let Some(p) = after {
        q.and_where(Expr::col(col("pos")).gt(p));
    }
    q.order_by(col("pos"), Order::Asc)
        .limit(u64::from(limit) + 1);
    q
}

#[cfg(test)]
mod tests {
    use sea_query::SqliteQueryBuilder;

    use super::*;
    use crate::statements::Statement;

    #[test]
    fn the_feed_position_text_is_what_sea_query_writes() {
        let tenant = TenantId(Uuid::now_v7());
        let (sql, values) = Statement::build(&last_feed_position(tenant), SqliteQueryBuilder);
        assert_eq!(sql, LAST_FEED_POSITION_SQLITE);
        assert_eq!(values.0, vec![Value::from(tenant.0.to_string())]);
    }
}
