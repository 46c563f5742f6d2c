//! The tenant's generation as PostgreSQL keeps it (slotted rows, migration postgres/0012), for the
//! list totals remembered in [`crate::counts::CountCache`]. Each instance keeps its own cache and
//! validates it against the database on every read: the generation is read with the request, and
//! a total is used only when it was counted at that very generation, so it is exact whichever
//! instance wrote meanwhile.

use clientele_core::TenantId;
use sea_query::{Expr, Query, SelectStatement, SimpleExpr, SubQueryStatement};

use crate::statements::col;

/// The tenant's generation: its slots summed.
fn generation_expr(tenant: TenantId) -> SimpleExpr {
    let mut q = Query::select();
    q.expr(Expr::cust("CAST(coalesce(sum(gen), 0) AS BIGINT)"))
        .from(col("tenant_generations"))
        .and_where(Expr::col(col("tenant_id")).eq(tenant.0.to_string()));
    SimpleExpr::SubQuery(None, Box::new(SubQueryStatement::SelectStatement(q)))
}

/// `SELECT <generation>`.
pub(super) fn generation(tenant: TenantId) -> SelectStatement {
    let mut q = Query::select();
    q.expr(generation_expr(tenant));
    q
}

/// The count and the generation it is counted at, in one statement (one snapshot).
pub(super) fn count_at_generation(count: &SelectStatement, tenant: TenantId) -> SelectStatement {
    let mut q = Query::select();
    q.expr(SimpleExpr::SubQuery(
        None,
        Box::new(SubQueryStatement::SelectStatement(count.clone())),
    ))
    .expr(generation_expr(tenant));
    q
}
