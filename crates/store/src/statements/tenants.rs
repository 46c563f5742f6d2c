//! Tenants.

use clientele_core::types::Timestamp;
use sea_query::{Asterisk, Expr, Func, InsertStatement, Query, SelectStatement};
use uuid::Uuid;

use super::base::col;

pub const TENANT_COLUMNS: [&str; 4] = ["id", "name", "default_currency", "created_at"];

pub fn insert_tenant(
    id: Uuid,
    name: &str,
    default_currency: &str,
    at: Timestamp,
) -> InsertStatement {
    let mut q = Query::insert();
    q.into_table(col("tenants"))
        .columns(TENANT_COLUMNS.map(col))
        .values_panic([
            id.to_string().into(),
            name.into(),
            default_currency.into(),
            at.to_rfc3339().into(),
        ]);
    q
}

pub fn select_tenant_by_name(name: &str) -> SelectStatement {
    let mut q = Query::select();
    q.columns(TENANT_COLUMNS.map(col))
        .from(col("tenants"))
        .and_where(Expr::col(col("name")).eq(name));
    q
}

pub fn count_tenants() -> SelectStatement {
    let mut q = Query::select();
    q.expr(Func::count(Expr::col(Asterisk)))
        .from(col("tenants"));
    q
}
