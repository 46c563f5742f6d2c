//! The list totals the readers remember, exact because each is tied to a generation of its
//! tenant's clients.

use std::collections::HashMap;
use std::sync::Mutex;

use clientele_core::TenantId;
use rusqlite::{Connection, OptionalExtension};
use uuid::Uuid;

/// Most list totals remembered by default; the cache is emptied when it is full.
const MAX_CACHED_COUNTS: usize = 10_000;

/// How many totals to remember: `CLIENTELE_COUNT_CACHE` if set (0 remembers none, so that every
/// total is counted afresh, as the listing benchmark's cold mode does), else
/// [`MAX_CACHED_COUNTS`].
fn capacity() -> usize {
    std::env::var("CLIENTELE_COUNT_CACHE")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(MAX_CACHED_COUNTS)
}

/// List totals by tenant and count statement, each valid for one generation of the tenant's
/// clients. The generation is bumped by triggers in every write transaction that touches the
/// tenant's clients (whoever writes), and is read before the count: a total is only reused while
/// no client of the tenant has changed since it was computed, so it is exact. Walking the pages
/// of one query counts once instead of once per page.
pub(super) struct CountCache {
    map: Mutex<HashMap<(Uuid, String), (i64, u64)>>,
    capacity: usize,
}

impl Default for CountCache {
    fn default() -> Self {
        Self {
            map: Mutex::default(),
            capacity: capacity(),
        }
    }
}

impl CountCache {
    pub(super) fn get(&self, key: &(Uuid, String), generation: i64) -> Option<u64> {
        let map = self.map.lock().ok()?;
        map.get(key)
            .filter(|(g, _)| *g == generation)
            .map(|(_, n)| *n)
    }

    /// The tenant's current generation.
    pub(super) fn generation(conn: &Connection, tenant: TenantId) -> rusqlite::Result<i64> {
        conn.prepare_cached("SELECT gen FROM tenant_generations WHERE tenant_id = ?1")
            .and_then(|mut st| {
                st.query_row([tenant.0.to_string()], |r| r.get(0))
                    .optional()
            })
            .map(|g| g.unwrap_or(0))
    }

    pub(super) fn put(&self, key: (Uuid, String), generation: i64, n: u64) {
        if self.capacity == 0 {
            return;
        }
        if let Ok(mut map) = self.map.lock() {
            if map.len() >= self.capacity {
                map.clear();
            }
            map.insert(key, (generation, n));
        }
    }
}
