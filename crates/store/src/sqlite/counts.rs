//! The list totals the readers remember, exact because each is tied to a generation of its
//! tenant's clients.

use std::collections::HashMap;
use std::sync::Mutex;

use clientele_core::TenantId;
use rusqlite::{Connection, OptionalExtension};
use uuid::Uuid;

/// Most list totals remembered; the cache is emptied when it is full.
const MAX_CACHED_COUNTS: usize = 10_000;

/// List totals by tenant and count statement, each valid for one generation of the tenant's
/// clients. The generation is bumped by triggers in every write transaction that touches the
/// tenant's clients (whoever writes), and is read before the count: a total is only reused while
/// no client of the tenant has changed since it was computed, so it is exact. Walking the pages
/// of one query counts once instead of once per page.
#[derive(Default)]
pub(super) struct CountCache(Mutex<HashMap<(Uuid, String), (i64, u64)>>);

impl CountCache {
    pub(super) fn get(&self, key: &(Uuid, String), generation: i64) -> Option<u64> {
        let map = self.0.lock().ok()?;
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
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= MAX_CACHED_COUNTS {
                map.clear();
            }
            map.insert(key, (generation, n));
        }
    }
}
