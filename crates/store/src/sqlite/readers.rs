//! The readers: a fixed number of long-lived read-only connections (`PRAGMA query_only`), each
//! keeping its prepared statements, and the list totals they remember.
//!
//! A point read (a few index lookups, microseconds) runs on the calling thread: a hop to the
//! blocking pool would cost more than the read. Every other read (lists, searches, counts) runs
//! on the blocking pool, so that a long one never holds up an async worker. At most
//! [`READERS`] reads run at once; a read beyond waits (asynchronously) for a connection instead
//! of opening one, so connections are opened once, prepared statements stay cached, and memory
//! stays bounded however many requests arrive together.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use clientele_core::store::StoreResult;
use clientele_core::StoreError;
use rusqlite::Connection;
use tokio::sync::Semaphore;

use super::conn::open_connection;
use crate::counts::CountCache;

/// Reader connections: enough to keep every core busy with reads while others wait on the
/// blocking pool.
const READERS: usize = 4;

pub(super) struct Readers {
    path: PathBuf,
    /// The connections not in use; never more than [`READERS`] exist.
    idle: Mutex<Vec<Connection>>,
    /// One permit per connection.
    permits: Arc<Semaphore>,
    counts: CountCache,
}

/// Where a read runs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    /// On the calling thread (point reads).
    Here,
    /// On the blocking pool.
    Blocking,
}

impl Readers {
    pub(super) fn new(path: PathBuf) -> Self {
        Self {
            path,
            idle: Mutex::new(Vec::with_capacity(READERS)),
            permits: Arc::new(Semaphore::new(READERS)),
            counts: CountCache::default(),
        }
    }

    /// Runs `f` on a reader connection, `place` deciding the thread.
    pub(super) async fn run<T, F>(self: &Arc<Self>, place: Place, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Mutex<Connection>, &CountCache) -> StoreResult<T> + Send + 'static,
    {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Unavailable("the store is closed".into()))?;
        if place == Place::Here {
            // No await from here on: the connection goes back before anything else can run.
            return self.with_connection(f);
        }
        let readers = self.clone();
        tokio::task::spawn_blocking(move || {
            // Returned with the connection, also when the request was cancelled meanwhile.
            let _permit = permit;
            readers.with_connection(f)
        })
        .await
        .map_err(|_| StoreError::Other("read task failed".into()))?
    }

    /// Under a permit: takes an idle connection (or opens one, the first times), runs `f` and
    /// puts it back.
    fn with_connection<T>(
        &self,
        f: impl FnOnce(&Mutex<Connection>, &CountCache) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let pooled = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let conn = Mutex::new(match pooled {
            Some(c) => c,
            None => open_connection(&self.path, false)?,
        });
        let r = f(&conn, &self.counts);
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(conn.into_inner().unwrap_or_else(PoisonError::into_inner));
        r
    }

    /// Closes the idle connections.
    pub(super) fn clear(&self) {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}
