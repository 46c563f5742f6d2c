//! What a new client is numbered by: its tenant's next `number`, and its creation sequence
//! (`crate::rid`), both taken inside the write transaction.

use std::collections::{HashMap, HashSet};

use clientele_core::store::StoreResult;
use clientele_core::types::Timestamp;
use clientele_core::{StoreError, TenantId};

use crate::db::Tx;
use crate::rid::{next_after, range_of_ms, unix_ms, MAX_SPILL_MS};
use crate::statements as sql;

/// Reserves `n` client numbers of the tenant, in ascending order.
pub async fn take_numbers<X: Tx>(tx: &X, tenant: TenantId, n: usize) -> StoreResult<Vec<i64>> {
    tx.client_numbers(tenant, n).await
}

/// Which clients a new creation sequence must be unique among, and how it is found.
pub enum RidScope {
    /// Every tenant's clients: the largest sequence taken in a millisecond is read, and the
    /// next one taken. Needs one writer at a time (SQLite).
    AllClients,
    /// The tenant's clients, with one tenant's writes running in parallel (PostgreSQL): the
    /// sequence within a millisecond is the low 12 bits of the client's `number`, which no
    /// other client of the tenant has. Two clients of a tenant share a millisecond and those bits
    /// only when 4096 numbers apart, i.e. in a bulk load, which then moves the later one on to
    /// the next millisecond; a parallel write that still meets one there fails on the unique
    /// index and is retried.
    TenantByNumber,
}

/// The creation sequences taken in the milliseconds a write spans, read in one query and then
/// kept in memory as the write takes more.
pub struct RidWindow {
    by_number: bool,
    /// Sequences this write took, with `by_number`.
    taken: HashSet<i64>,
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
        if let RidScope::TenantByNumber = tx.rid_scope(tenant) {
            return Ok(Self {
                by_number: true,
                taken: HashSet::new(),
                lo: 0,
                hi: 0,
                max: HashMap::new(),
            });
        }
        let ms = times.map(unix_ms);
        let (lo, hi) = match (ms.clone().min(), ms.max()) {
            (Some(lo), Some(hi)) => (lo, hi + 1),
            _ => (0, 0),
        };
        let rows = tx
            .rows(&sql::max_rids(None, lo, hi), |r| Ok((r.int()?, r.int()?)))
            .await?;
        let max = rows
            .into_iter()
            .filter_map(|(ms, max)| Some((ms?, max?)))
            .collect();
        Ok(Self {
            by_number: false,
            taken: HashSet::new(),
            lo,
            hi,
            max,
        })
    }

    /// Takes the next creation sequence at or after millisecond `ms` for the client numbered
    /// `number`. Returns it and the millisecond it belongs to (later than `ms` only when 4096
    /// rows already share it).
    pub async fn allocate<X: Tx>(
        &mut self,
        tx: &X,
        mut ms: i64,
        number: i64,
    ) -> StoreResult<(i64, i64)> {
        if self.by_number {
            for _ in 0..MAX_SPILL_MS {
                let rid = range_of_ms(ms).0 | (number & 0xfff);
                if self.taken.insert(rid) {
                    return Ok((rid, ms));
                }
                ms += 1;
            }
            return Err(StoreError::Other("no free creation sequence".into()));
        }
        for _ in 0..MAX_SPILL_MS {
            let taken = match self.max.get(&ms) {
                Some(m) => Some(*m),
                None if (self.lo..self.hi).contains(&ms) => None,
                None => tx.opt_int(&sql::max_rid(None, ms)).await?,
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
