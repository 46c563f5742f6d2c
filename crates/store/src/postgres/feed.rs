//! Feed positions on PostgreSQL: given after commit by `clientele_publish_feed` (migration
//! 0006), so that one tenant's writes commit in parallel and a reader walking the feed still
//! never passes a position behind which a record could later appear.

use clientele_core::TenantId;
use sea_query::{Alias, Func, Query, SelectStatement};

/// Records numbered per publication (one transaction).
pub(super) const PUBLISH_BATCH: i64 = 10_000;
/// Publications per read at most: a read after a bulk load of millions of records numbers
/// them in bounded transactions, and leaves the rest to the next read.
pub(super) const MAX_PUBLISH_BATCHES: usize = 100;

/// `SELECT clientele_publish_feed(tenant, batch)`: how many records it numbered.
pub(super) fn publish(tenant: TenantId, batch: i64) -> SelectStatement {
    let mut q = Query::select();
    q.expr(Func::cust(Alias::new("clientele_publish_feed")).args([
        tenant.0.to_string().into(),
        sea_query::SimpleExpr::from(batch),
    ]));
    q
}
