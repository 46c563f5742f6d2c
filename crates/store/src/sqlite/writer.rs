//! The SQLite writer thread: one connection, group commit.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;

use clientele_core::store::StoreResult;
use clientele_core::StoreError;
use rusqlite::Connection;
use tokio::sync::oneshot;

use super::map_err;

/// Writes queued at once are committed in one transaction, up to this many.
const MAX_BATCH: usize = 64;

/// A write job: runs inside a savepoint of the shared transaction, answers after the commit.
pub(super) trait WriteJob: Send {
    /// Runs the work; `false` means it failed and its savepoint must be rolled back.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Delivers the result once the transaction's fate is known.
    fn finish(self: Box<Self>, committed: Result<(), StoreError>);
}

pub(super) struct Job<T, F> {
    pub(super) work: Option<F>,
    pub(super) result: Option<StoreResult<T>>,
    pub(super) reply: oneshot::Sender<StoreResult<T>>,
}

impl<T, F> WriteJob for Job<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> StoreResult<T> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let Some(work) = self.work.take() else {
            return false;
        };
        let r = catch_unwind(AssertUnwindSafe(|| work(conn)))
            .unwrap_or_else(|_| Err(StoreError::Other("write panicked".into())));
        let ok = r.is_ok();
        self.result = Some(r);
        ok
    }

    fn finish(self: Box<Self>, committed: Result<(), StoreError>) {
        let out = match committed {
            Ok(()) => self
                .result
                .unwrap_or_else(|| Err(StoreError::Other("write did not run".into()))),
            Err(e) => Err(e),
        };
        let _ = self.reply.send(out);
    }
}

pub(super) fn writer_loop(conn: Connection, rx: mpsc::Receiver<Box<dyn WriteJob>>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            let e = map_err(e);
            for job in batch {
                job.finish(Err(e.clone()));
            }
            continue;
        }
        for job in batch.iter_mut() {
            let step = conn.execute_batch("SAVEPOINT job").and_then(|()| {
                let release = if job.run(&conn) {
                    "RELEASE job"
                } else {
                    "ROLLBACK TO job; RELEASE job"
                };
                conn.execute_batch(release)
            });
            if let Err(e) = step {
                tracing::error!(error = %e, "savepoint handling failed");
            }
        }
        let committed = conn.execute_batch("COMMIT").map_err(map_err);
        if committed.is_err() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        for job in batch {
            job.finish(committed.clone());
        }
    }
    // Every sender is gone: fold the WAL into the database file before the connection closes.
    if let Err(e) = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)") {
        tracing::warn!(error = %e, "final WAL checkpoint failed");
    }
}
