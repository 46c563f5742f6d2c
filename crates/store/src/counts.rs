//! The list totals a store remembers, exact because each is tied to a generation of its tenant's
//! clients. Both backends keep one per instance: the generation is bumped in every write
//! transaction that touches the tenant's clients, whoever writes, on any instance (by triggers;
//! for a new client on SQLite, by the writer: `sqlite::counts`), and is read with the count, so a
//! total is only reused while no client of the tenant has changed since it was counted. Walking
//! the pages of one query counts once instead of once per page.
//! How each backend reads its generation is its own (`sqlite::counts`, `postgres::counts`).

use std::collections::HashMap;
use std::sync::Mutex;

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

/// List totals by tenant and count statement, each with the generation it was counted at.
pub struct CountCache {
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
    /// The total remembered for `key`, if it was counted at `generation`.
    pub(crate) fn get(&self, key: &(Uuid, String), generation: i64) -> Option<u64> {
        let map = self.map.lock().ok()?;
        map.get(key)
            .filter(|(g, _)| *g == generation)
            .map(|(_, n)| *n)
    }

    /// Remembers a total counted at `generation`.
    pub(crate) fn put(&self, key: (Uuid, String), generation: i64, n: u64) {
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
