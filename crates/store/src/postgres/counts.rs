//! List totals remembered per tenant generation (migration postgres/0012), so that walking the
//! pages of one query, or asking the same total again, counts once while no client of the
//! tenant has changed. Each instance keeps its own cache and validates it against the database
//! on every read: the generation is read with the request, and a total is used only when it was
//! counted at that very generation, so it is exact whichever instance wrote meanwhile.

use std::collections::HashMap;
use std::sync::Mutex;

use clientele_core::TenantId;
use sea_query::{Expr, Query, SelectStatement, SimpleExpr, SubQueryStatement};
use uuid::Uuid;

use crate::statements::col;

/// Most list totals remembered; the cache is emptied when it is full.
const MAX_CACHED_COUNTS: usize = 10_000;

/// List totals by tenant and count statement, each with the generation it was counted at.
#[derive(Default)]
pub struct CountCache(Mutex<HashMap<(Uuid, String), (i64, u64)>>);

impl CountCache {
    pub(super) fn get(&self, key: &(Uuid, String), generation: i64) -> Option<u64> {
        let map = self.0.lock().ok()?;
        map.get(key)
            .filter(|(g, _)| *g == generation)
            .map(|(_, n)| *n)
    }

    pub(super) fn put(&self, key: (Uuid, String), generation: i64, n: u64) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= MAX_CACHED_COUNTS {
                map.clear();
            }
            map.insert(key, (generation, n));
        }
    }
}

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
