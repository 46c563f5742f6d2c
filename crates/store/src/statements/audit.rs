//! Audit records: written with every change, read as a client's history or the change feed.

use clientele_core::audit::AuditRecord;
use clientele_core::TenantId;
use sea_query::{Expr, InsertStatement, Order, Query, SelectStatement};
use uuid::Uuid;

use super::base::{col, tenant_cond};

pub const AUDIT_COLUMNS: [&str; 10] = [
    "seq",
    "id",
    "entity_type",
    "entity_id",
    "client_id",
    "action",
    "actor",
    "at",
    "changes",
    "tenant_id",
];

pub struct AuditRow<'a> {
    pub tenant: TenantId,
    pub record: &'a AuditRecord,
}

pub fn insert_audit(row: &AuditRow<'_>) -> InsertStatement {
    insert_audits(row.tenant, std::slice::from_ref(row.record))
}

/// One INSERT of many audit records of a tenant; `records` must not be empty.
pub fn insert_audits(tenant: TenantId, records: &[AuditRecord]) -> InsertStatement {
    let mut q = Query::insert();
    q.into_table(col("audit_records"))
        .columns(AUDIT_COLUMNS[1..].iter().map(|c| col(c)));
    for r in records {
        let changes = serde_json::to_string(&r.changes).unwrap_or_else(|_| "{}".into());
        q.values_panic([
            r.id.to_string().into(),
            r.entity_type.clone().into(),
            r.entity_id.to_string().into(),
            r.client_id.to_string().into(),
            r.action.as_str().into(),
            r.actor.clone().into(),
            r.at.to_rfc3339().into(),
            changes.into(),
            tenant.0.to_string().into(),
        ]);
    }
    q
}

fn select_audit(tenant: TenantId) -> SelectStatement {
    let mut q = Query::select();
    q.columns(AUDIT_COLUMNS.map(col))
        .from(col("audit_records"))
        .and_where(tenant_cond(tenant));
    q
}

/// Newest first, strictly before `before_seq`; one extra row tells whether more follow.
pub fn client_history(
    tenant: TenantId,
    client_id: Uuid,
    before_seq: Option<i64>,
    limit: u32,
) -> SelectStatement {
    let mut q = select_audit(tenant);
    q.and_where(Expr::col(col("client_id")).eq(client_id.to_string()));
    if let Some(s) = before_seq {
        q.and_where(Expr::col(col("seq")).lt(s));
    }
    q.order_by(col("seq"), Order::Desc)
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

/// Oldest first, strictly after `after_seq`; one extra row tells whether more follow.
pub fn events(tenant: TenantId, after_seq: Option<i64>, limit: u32) -> SelectStatement {
    let mut q = select_audit(tenant);
    if let Some(s) = after_seq {
        q.and_where(Expr::col(col("seq")).gt(s));
    }
    q.order_by(col("seq"), Order::Asc)
        .limit(u64::from(limit) + 1);
    q
}
