//! The readers: a small pool of read-only connections (`PRAGMA query_only`) used on the blocking
//! pool, never on the async threads, and the list totals they remember.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use clientele_core::store::StoreResult;
use clientele_core::StoreError;
use rusqlite::Connection;

use super::conn::open_connection;
use super::counts::CountCache;

/// Idle reader connections kept open.
const MAX_IDLE_READERS: usize = 8;

pub(super) struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    counts: CountCache,
}

impl Readers {
    pub(super) fn new(path: PathBuf) -> Self {
        Self {
            path,
            idle: Mutex::new(Vec::new()),
            counts: CountCache::default(),
        }
    }

    /// Runs `f` on a reader connection on the blocking pool: one thread hop per read.
    pub(super) async fn run<T, F>(self: &Arc<Self>, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Mutex<Connection>, &CountCache) -> StoreResult<T> + Send + 'static,
    {
        let readers = self.clone();
        tokio::task::spawn_blocking(move || {
            let pooled = readers.idle.lock().ok().and_then(|mut v| v.pop());
            let conn = Mutex::new(match pooled {
                Some(c) => c,
                None => open_connection(&readers.path, false)?,
            });
            let r = f(&conn, &readers.counts);
            if let Ok(mut idle) = readers.idle.lock() {
                if idle.len() < MAX_IDLE_READERS {
                    idle.push(conn.into_inner().unwrap_or_else(PoisonError::into_inner));
                }
            }
            r
        })
        .await
        .map_err(|_| StoreError::Other("read task failed".into()))?
    }

    /// Closes the idle connections.
    pub(super) fn clear(&self) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.clear();
        }
    }
}
