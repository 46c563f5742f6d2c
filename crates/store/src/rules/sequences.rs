//! What a new client is numbered by: its tenant's next `number`, and its creation sequence
//! (`crate::rid`), both taken inside the write transaction.

use std::collections::HashMap;

use clientele_core::store::StoreResult;
use clientele_core::types::Timestamp;
use clientele_core::{StoreError, TenantId};

use crate::db::Tx;
use crate::rid::{next_after, unix_ms, MAX_SPILL_MS};
use crate::statements as sql;

/// Reserves `n` client numbers of the tenant; returns the first.
pub async fn take_numbers<X: Tx>(tx: &X, tenant: TenantId, n: i64) -> StoreResult<i64> {
    let last = tx.int(&sql::next_client_number(tenant, n)).await?;
    Ok(last - n + 1)
}

/// The creation sequences taken in the milliseconds a write spans, read in one query and then
/// kept in memory as the write takes more.
pub struct RidWindow {
    scope: Option<TenantId>,
    /// Milliseconds `lo..hi` were read: one missing from `max` has no sequence taken.
    lo: i64,
    hi: i64,
    max: HashMap<i64, i64>,
}

impl RidWindow {
    /// Reads the sequences taken in the milliseconds of `times`, among the clients that
    /// `tx.rid_scope(tenant)` names.
    pub async fn read<X: Tx>(
        tx: &X,
        tenant: TenantId,
        times: impl Iterator<Item = Timestamp> + Clone,
    ) -> StoreResult<Self> {
        let scope = tx.rid_scope(tenant);
        let ms = times.map(unix_ms);
        let (lo, hi) = match (ms.clone().min(), ms.max()) {
            (Some(lo), Some(hi)) => (lo, hi + 1),
            _ => (0, 0),
        };
        let rows = tx
            .rows(&sql::max_rids(scope, lo, hi), |r| Ok((r.int()?, r.int()?)))
            .await?;
        let max = rows
            .into_iter()
            .filter_map(|(ms, max)| Some((ms?, max?)))
            .collect();
        Ok(Self { scope, lo, hi, max })
    }

    /// Takes the next creation sequence at or after millisecond `ms`. Returns it and the
    /// millisecond it belongs to (later than `ms` only when 4096 rows already share it).
    pub async fn allocate<X: Tx>(&mut self, tx: &X, mut ms: i64) -> StoreResult<(i64, i64)> {
        for _ in 0..MAX_SPILL_MS {
            let taken = match self.max.get(&ms) {
                Some(m) => Some(*m),
                None if (self.lo..self.hi).contains(&ms) => None,
                None => tx.opt_int(&sql::max_rid(self.scope, ms)).await?,
            };
            if let Some(next) = next_after(ms, taken) {
                self.max.insert(ms, next);
                return Ok((next, ms));
            }
            ms += 1;
        }
        Err(StoreError::Other("no free creation sequence".into()))
    }
}
