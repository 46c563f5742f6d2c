//! The writer: SQLite allows one writer at a time, so the store has exactly one write
//! connection, owned by a dedicated thread (`sqlite-writer`). A write is a job sent to it over a
//! channel with a oneshot reply; the thread commits the jobs waiting together (group commit)
//! and hands the committed batch to a second thread (`sqlite-wal-sync`), which makes the WAL
//! durable and only then answers each job ([`sync_loop`]), while the writer goes on with the
//! next batch.

use std::fs::File;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::{mpsc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use clientele_core::store::StoreResult;
use clientele_core::StoreError;
use rusqlite::Connection;
use tokio::sync::oneshot;

use super::conn::{self, lock, map_err};
use super::counts;
use super::fts_batch;
use super::tenant_seqs;
use crate::metrics;

/// Writes queued at once are committed in one transaction, up to this many.
const MAX_BATCH: usize = 64;

/// A write job: runs in the shared transaction, answers after the commit. It may run twice
/// (see [`writer_loop`]): the result of its last run counts.
trait WriteJob: Send {
    /// Runs the work; `false` means it failed and what it wrote must be rolled back.
    fn run(&mut self, conn: &Mutex<Connection>) -> bool;
    /// Delivers the result once the transaction's fate is known.
    fn finish(self: Box<Self>, committed: Result<(), StoreError>);
    /// Whether its full-text entries may wait for the end of the batch (`fts_batch`).
    fn defers_fts(&self) -> bool;
}

struct Job<T, F> {
    work: F,
    defer_fts: bool,
    result: Option<StoreResult<T>>,
    reply: oneshot::Sender<StoreResult<T>>,
}

impl<T, F> WriteJob for Job<T, F>
where
    T: Send,
    F: Fn(&Mutex<Connection>) -> StoreResult<T> + Send,
{
    fn run(&mut self, conn: &Mutex<Connection>) -> bool {
        let r = catch_unwind(AssertUnwindSafe(|| (self.work)(conn)))
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

    fn defers_fts(&self) -> bool {
        self.defer_fts
    }
}

/// `f` as a job for the writer, and where its answer will come.
fn job<T, F>(f: F, defer_fts: bool) -> (Box<dyn WriteJob>, oneshot::Receiver<StoreResult<T>>)
where
    T: Send + 'static,
    F: Fn(&Mutex<Connection>) -> StoreResult<T> + Send + 'static,
{
    let (reply, answer) = oneshot::channel();
    let job = Box::new(Job {
        work: f,
        defer_fts,
        result: None,
        reply,
    });
    (job, answer)
}

/// How often the checkpointer copies the WAL's new pages into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// WAL pages at which the writer checkpoints by itself (SQLite's automatic checkpoint): only
/// reached if the checkpointer falls behind, so the WAL stays bounded (about 80 MB).
const WRITER_CHECKPOINT_PAGES: u32 = 20_000;

/// The handle of the writer thread.
pub(super) struct Writer {
    /// `None` once closed.
    sender: Mutex<Option<mpsc::Sender<Box<dyn WriteJob>>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// The checkpointer stops when this is dropped.
    checkpointer_stop: Mutex<Option<mpsc::Sender<()>>>,
    checkpointer: Mutex<Option<JoinHandle<()>>>,
}

impl Writer {
    /// Starts the writer thread on `conn`, and the checkpointer on `checkpoints` (another
    /// connection to the same file).
    pub(super) fn start(conn: Connection, checkpoints: Connection) -> StoreResult<Self> {
        conn.pragma_update(None, "wal_autocheckpoint", WRITER_CHECKPOINT_PAGES)
            .map_err(map_err)?;
        let mut wal = Wal::of(&conn)?;
        let (to_sync, committed) = mpsc::channel::<Vec<Box<dyn WriteJob>>>();
        let syncer = std::thread::Builder::new()
            .name("sqlite-wal-sync".into())
            .spawn(move || sync_loop(move || wal.sync(), committed))
            .map_err(|e| StoreError::Other(format!("cannot start WAL sync thread: {e}")))?;
        let (tx, rx) = mpsc::channel::<Box<dyn WriteJob>>();
        let handle = std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer_loop(conn, rx, (to_sync, syncer)))
            .map_err(|e| StoreError::Other(format!("cannot start writer thread: {e}")))?;
        let (stop, stopped) = mpsc::channel::<()>();
        let checkpointer = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpoint_loop(checkpoints, stopped))
            .map_err(|e| StoreError::Other(format!("cannot start checkpoint thread: {e}")))?;
        Ok(Self {
            sender: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(handle)),
            checkpointer_stop: Mutex::new(Some(stop)),
            checkpointer: Mutex::new(Some(checkpointer)),
        })
    }

    /// Runs `f` in the shared write transaction; resolves once it is committed (or failed).
    /// Its full-text entries are written at the end of the batch (`fts_batch`).
    ///
    /// `f` is boxed into its job when this is called, and sent when the future is first polled:
    /// the future holds a pointer, not `f` (a create's work is kilobytes, and every future
    /// around this one would otherwise copy it as it is built and moved).
    pub(super) fn run<T, F>(&self, f: F) -> impl Future<Output = StoreResult<T>> + Send + '_
    where
        T: Send + 'static,
        F: Fn(&Mutex<Connection>) -> StoreResult<T> + Send + 'static,
    {
        let (job, answer) = job(f, true);
        self.send(job, answer)
    }

    /// [`Writer::run`] with every statement of `f` written when it runs (the migrations, whose
    /// SQL may read the full-text table right after a step wrote it).
    pub(super) fn run_undeferred<T, F>(
        &self,
        f: F,
    ) -> impl Future<Output = StoreResult<T>> + Send + '_
    where
        T: Send + 'static,
        F: Fn(&Mutex<Connection>) -> StoreResult<T> + Send + 'static,
    {
        let (job, answer) = job(f, false);
        self.send(job, answer)
    }

    async fn send<T>(
        &self,
        job: Box<dyn WriteJob>,
        answer: oneshot::Receiver<StoreResult<T>>,
    ) -> StoreResult<T> {
        self.sender
            .lock()
            .map_err(|_| StoreError::Unavailable("writer lock poisoned".into()))?
            .as_ref()
            .ok_or_else(|| StoreError::Unavailable("the store is closed".into()))?
            .send(job)
            .map_err(|_| StoreError::Unavailable("the writer has stopped".into()))?;
        metrics::sqlite_queued(1.0);
        answer
            .await
            .map_err(|_| StoreError::Unavailable("the writer has stopped".into()))?
    }

    /// Lets the writer finish what is queued, checkpoint and exit; waits for it.
    pub(super) async fn stop(&self) -> StoreResult<()> {
        let stop = self
            .checkpointer_stop
            .lock()
            .ok()
            .and_then(|mut s| s.take());
        drop(stop);
        let checkpointer = self.checkpointer.lock().ok().and_then(|mut h| h.take());
        if let Some(h) = checkpointer {
            tokio::task::spawn_blocking(move || h.join())
                .await
                .map_err(|_| StoreError::Other("checkpointer join failed".into()))?
                .map_err(|_| StoreError::Other("checkpoint thread panicked".into()))?;
        }
        let sender = self.sender.lock().ok().and_then(|mut w| w.take());
        drop(sender);
        let handle = self.thread.lock().ok().and_then(|mut h| h.take());
        if let Some(h) = handle {
            tokio::task::spawn_blocking(move || h.join())
                .await
                .map_err(|_| StoreError::Other("writer join failed".into()))?
                .map_err(|_| StoreError::Other("writer thread panicked".into()))?;
        }
        Ok(())
    }
}

/// Takes the first job waiting plus up to `MAX_BATCH - 1` more already queued, opens one
/// `BEGIN IMMEDIATE` transaction and runs the jobs one after the other in it. Should one fail,
/// the transaction is rolled back and the batch runs again, each job inside its own `SAVEPOINT`:
/// a job that fails is rolled back to its savepoint alone, the others stay. (Savepoints are not
/// used up front: FTS5 flushes its pending index entries to disk at every savepoint, and each
/// writes a sub-journal; together they cost more than the rest of a create.) After one
/// `COMMIT` (written to the WAL, not yet synced: [`Wal`]) the batch goes to `to_sync`, whose
/// thread (`syncer`) answers every job once the WAL is on disk; if the commit fails, every job
/// gets the error at once. The syncer has answered everything before the connection closes.
fn writer_loop(
    conn: Connection,
    rx: mpsc::Receiver<Box<dyn WriteJob>>,
    (to_sync, syncer): (mpsc::Sender<Vec<Box<dyn WriteJob>>>, JoinHandle<()>),
) {
    let conn = Mutex::new(conn);
    let batch_sql = |sql: &str| lock(&conn).execute_batch(sql);
    // Whether the full-text index may have segments to merge (see `merge_when_idle`).
    let mut merge_pending = true;
    // Whether there may be client documents to write again (see `backfill_when_idle`), once
    // there is nothing to merge.
    let mut backfill_pending = true;
    // Where the connection keeps its statement journals now (see `StatementJournals`).
    let mut journals = StatementJournals::Files;
    loop {
        let next = if merge_pending || backfill_pending {
            match rx.recv_timeout(IDLE_BEFORE_MERGE) {
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if merge_pending {
                        merge_pending = merge_when_idle(&lock(&conn));
                    } else {
                        backfill_pending = backfill_when_idle(&lock(&conn));
                    }
                    continue;
                }
                next => next.ok(),
            }
        } else {
            rx.recv().ok()
        };
        let Some(first) = next else {
            break;
        };
        merge_pending = true;
        backfill_pending = true;
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        metrics::sqlite_queued(-(batch.len() as f64));
        // Ordinary writes (not the migrations): full-text entries at the end of the batch,
        // statement journals in memory.
        let ordinary = batch.iter().all(|job| job.defers_fts());
        let wanted = if ordinary {
            StatementJournals::Memory
        } else {
            StatementJournals::Files
        };
        if wanted != journals {
            match batch_sql(wanted.pragma()) {
                Ok(()) => journals = wanted,
                Err(e) => tracing::warn!(error = %e, "setting temp_store failed"),
            }
        }
        if let Err(e) = batch_sql("BEGIN IMMEDIATE") {
            answer(batch, &Err(map_err(e)));
            continue;
        }
        if ordinary {
            fts_batch::defer();
            counts::defer();
            tenant_seqs::defer();
        }
        let all_ran = batch.iter_mut().all(|job| job.run(&conn));
        // The batch's full-text entries, in one statement (one index segment), the counts of
        // the client rows it inserted, and the client numbers it took.
        let flushed = all_ran
            && {
                let conn = lock(&conn);
                let flushed = fts_batch::flush(&conn)
                    .and_then(|()| counts::flush(&conn))
                    .and_then(|()| tenant_seqs::flush(&conn));
                if let Err(e) = &flushed {
                    tracing::error!(error = %e, "writing the batch's full-text entries, counts and numbers failed");
                }
                flushed.is_ok()
            };
        fts_batch::discard();
        counts::discard();
        tenant_seqs::discard();
        if !flushed {
            if let Err(e) = batch_sql("ROLLBACK").and_then(|()| batch_sql("BEGIN IMMEDIATE")) {
                let _ = batch_sql("ROLLBACK");
                answer(batch, &Err(map_err(e)));
                continue;
            }
            run_each_in_a_savepoint(&conn, &mut batch);
        }
        let commit_started = Instant::now();
        let committed = batch_sql("COMMIT").map_err(map_err);
        metrics::sqlite_batch(batch.len(), commit_started.elapsed());
        match committed {
            Ok(()) => {
                if let Err(mpsc::SendError(batch)) = to_sync.send(batch) {
                    let e = StoreError::Unavailable("the WAL sync thread has stopped".into());
                    answer(batch, &Err(e));
                }
            }
            Err(e) => {
                let _ = batch_sql("ROLLBACK");
                answer(batch, &Err(e));
            }
        }
    }
    // The last batches are answered as soon as they are synced, not after the closing work,
    // and while the WAL is still there (SQLite removes it when the last connection closes).
    drop(to_sync);
    if syncer.join().is_err() {
        tracing::error!("the WAL sync thread panicked");
    }
    // Every sender is gone: leave the full-text index at rest (a bulk load ends here, and
    // its segments would otherwise be merged by the next server while it serves), then fold
    // the WAL into the database file before the connection closes.
    if merge_pending {
        merge_before_closing(&lock(&conn));
    }
    if let Err(e) = batch_sql("PRAGMA wal_checkpoint(TRUNCATE)") {
        tracing::warn!(error = %e, "final WAL checkpoint failed");
    }
}

/// Where SQLite keeps the writer's *statement journals*. Inside a transaction of several
/// statements (every batch), a statement that may fail part-way (an update or delete of
/// `clients`, with its triggers; a write to the full-text table) first copies each page it
/// changes to a statement journal, so that it alone can be undone. By default a journal beyond
/// 64 KiB goes to a temporary file, one `pwrite` per page: a create changes ~20 pages, so 38 of
/// the writer's 59 `pwrite` calls per create went there (docs/performance.md).
///
/// `temp_store = MEMORY` keeps them in memory: a journal is dropped when its statement ends, so
/// it holds at most one copy of each page one statement changes. The writer's ordinary batches
/// (every job [`WriteJob::defers_fts`]) run that way: their statements are one row each (a few
/// dozen pages), or the batch's full-text flush with FTS5's merging, bounded by the pages the
/// batch writes (a bulk load's batch of 5,000 clients: a few MB). A batch of another kind (the
/// migrations, whose one statement may rewrite a whole table, sort a whole index or merge every
/// full-text segment) runs with files, as SQLite's default would, and so with bounded memory.
#[derive(Clone, Copy, PartialEq, Eq)]
enum StatementJournals {
    Memory,
    Files,
}

impl StatementJournals {
    /// Set outside a transaction (SQLite refuses it inside one once a temporary table exists).
    fn pragma(self) -> &'static str {
        match self {
            Self::Memory => "PRAGMA temp_store = MEMORY",
            Self::Files => "PRAGMA temp_store = FILE",
        }
    }
}

/// How long the writer waits without a job before it merges full-text segments.
const IDLE_BEFORE_MERGE: Duration = Duration::from_millis(100);

/// Pages of merged segments one idle merge writes, roughly (about 1 MB and one sync: a job
/// that arrives meanwhile waits for it).
const IDLE_MERGE_PAGES: i64 = 256;

/// Merges full-text segments while the writer has nothing else to do; returns whether there
/// may be more to merge. Writes merge a level's segments only once `automerge` (16, migrations
/// 29 and 36) of them are there, which halves the merge work a write does but leaves up to
/// four times as many segments for a search to read; here, in a transaction of its own and
/// only after [`IDLE_BEFORE_MERGE`] without a job, levels of `usermerge` (4, FTS5's default)
/// segments or more are merged, so that at rest the index has the shape it had with
/// `automerge` 4. The documents the index holds do not change, only how they are stored. FTS5
/// changes fewer than two rows when there was nothing to merge.
fn merge_when_idle(conn: &Connection) -> bool {
    merge_step(conn, IDLE_MERGE_PAGES)
}

/// Writes again the documents (`client_docs`) of clients changed since theirs was written (or
/// from before migration 34; `client_docs_wanted`), while the writer is idle (after
/// [`IDLE_BEFORE_MERGE`] without a job and nothing to merge), one bounded step at a time
/// (`conn::backfill_documents`: at most 500, each step its own transaction); returns whether
/// there may be more. Until its document is written, a client is read from its row.
fn backfill_when_idle(conn: &Connection) -> bool {
    let step = conn
        .execute_batch("BEGIN IMMEDIATE")
        .map_err(map_err)
        .and_then(|()| conn::backfill_documents(conn))
        .and_then(|more| {
            conn.execute_batch("COMMIT").map_err(map_err)?;
            Ok(more)
        });
    match step {
        Ok(more) => more,
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            tracing::warn!(error = %e, "writing the documents of changed clients failed");
            false
        }
    }
}

/// Pages one step of [`merge_before_closing`] writes, roughly (one sync per step).
const CLOSING_MERGE_PAGES: i64 = 4096;

/// How long closing the store may spend merging: what is left is merged by the next process
/// that opens the file, while idle.
const CLOSING_MERGE_BUDGET: Duration = Duration::from_secs(10);

/// Indexes of at most this many pages (rows of `clients_fts_data`, ~4 KB each: about 390,000
/// demo clients) are merged into one segment when the store closes (0.6 s for the 8,359 pages
/// of 100,000 clients, on this machine), larger ones only level by level.
const CLOSING_OPTIMIZE_PAGES: i64 = 32_768;

/// Merges full-text segments until there is nothing left to merge or [`CLOSING_MERGE_BUDGET`]
/// has passed. Runs when the store closes: after `clientele import` or `seed-demo` (whose
/// batches leave many segments), the server that opens the file next starts with its index at
/// rest instead of merging it, in steps that compete with its requests, during its first
/// minutes.
///
/// An index of up to [`CLOSING_OPTIMIZE_PAGES`] is merged into one segment ('merge' with a
/// negative page count: FTS5 moves every segment into one merge, as 'optimize' does, and
/// the steps that follow continue it). Merged level by level only, as [`merge_when_idle`]
/// does, a bulk load left a large segment on a low level (100,000 demo clients: 588 pages on
/// level 1), which the merges of the next server's small segments then rewrote again and
/// again: 89,000 of the writer's instructions per create with the idle merges after them, 45%
/// of its full-text work (docs/performance.md, "h16-fts"). A larger index is merged level by
/// level, as before, so that a small import into a large file does not rewrite all of it.
fn merge_before_closing(conn: &Connection) {
    close_merge(conn, CLOSING_OPTIMIZE_PAGES);
}

/// [`merge_before_closing`] with the largest index merged into one segment.
fn close_merge(conn: &Connection, optimize_pages: i64) {
    let started = Instant::now();
    let pages: i64 = conn
        .query_row("SELECT count(*) FROM clients_fts_data", [], |r| r.get(0))
        .unwrap_or(i64::MAX);
    // The first step of a merge into one segment has a negative page count.
    let mut step = if pages <= optimize_pages {
        -CLOSING_MERGE_PAGES
    } else {
        CLOSING_MERGE_PAGES
    };
    let mut steps = 0u32;
    while started.elapsed() < CLOSING_MERGE_BUDGET && merge_step(conn, step) {
        step = CLOSING_MERGE_PAGES;
        steps += 1;
    }
    if steps > 0 {
        tracing::info!(
            steps,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "merged full-text segments before closing"
        );
    }
}

/// One merge step of about `pages` pages in a transaction of its own; whether it merged
/// anything (FTS5 changes fewer than two rows when there was nothing to merge).
fn merge_step(conn: &Connection, pages: i64) -> bool {
    let before = conn.total_changes();
    let merged = conn
        .execute_batch("BEGIN IMMEDIATE")
        .and_then(|()| {
            conn.prepare_cached("INSERT INTO clients_fts (clients_fts, rank) VALUES ('merge', ?1)")?
                .execute([pages])
        })
        .and_then(|_| conn.execute_batch("COMMIT"));
    match merged {
        Ok(()) => conn.total_changes() - before >= 2,
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            tracing::warn!(error = %e, "merging full-text segments failed");
            false
        }
    }
}

/// The writer's write-ahead log, made durable by [`sync_loop`] rather than by each `COMMIT`.
///
/// With `synchronous = FULL` SQLite syncs the WAL inside every `COMMIT`, and the writer waits
/// for the disk (about a quarter of its time under creates: docs/performance.md) before it can
/// start the next batch. The writer runs with `synchronous = NORMAL` instead: a `COMMIT` writes
/// the batch's frames to the WAL and returns; the batch then goes to the sync thread, which
/// syncs the WAL file and only after that answers its jobs, while the writer already runs the
/// next batch. A sync covers every frame written before it started, so one sync makes all the
/// batches committed meanwhile durable (a second group commit), and no request is answered
/// before its commit is on disk. SQLite itself still syncs the WAL before every checkpoint
/// copies frames into the database file, and its header when it starts the log again, so the
/// file stays consistent whatever is lost in a crash: at most batches nobody was answered for.
///
/// Readers may see a batch between its `COMMIT` and its sync (as with SQLite's own `NORMAL`);
/// a crash in between loses it, and no write that depends on it was answered either, since
/// answers go out in commit order after a sync.
struct Wal {
    /// The WAL's path; `None` when the database is not in WAL mode (then the writer keeps
    /// `synchronous = FULL` and there is nothing to sync here).
    path: Option<PathBuf>,
    /// The open WAL file and the identity it had when opened.
    file: Option<(File, FileId)>,
}

impl Wal {
    /// The WAL of the writer's connection, which it switches to `synchronous = NORMAL` when the
    /// database is in WAL mode.
    fn of(conn: &Connection) -> StoreResult<Self> {
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .map_err(map_err)?;
        let path = match conn.path() {
            Some(db) if !db.is_empty() && mode.eq_ignore_ascii_case("wal") => {
                conn.pragma_update(None, "synchronous", "NORMAL")
                    .map_err(map_err)?;
                Some(PathBuf::from(format!("{db}-wal")))
            }
            _ => None,
        };
        Ok(Self { path, file: None })
    }

    /// Syncs the WAL file (its data, and its size when it grew). Opened at the first sync, and
    /// again should the file at its path no longer be the one open (SQLite removes the WAL only
    /// when its last connection closes, which the writer's does after this thread has ended).
    fn sync(&mut self) -> Result<(), StoreError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let failed = |e: std::io::Error| {
            StoreError::Unavailable(format!("cannot sync the write-ahead log: {e}"))
        };
        let now = FileId::of(&std::fs::metadata(path).map_err(failed)?);
        let file = match self.file.take() {
            Some((file, opened)) if opened == now => file,
            _ => File::open(path).map_err(failed)?,
        };
        let synced = file.sync_data().map_err(failed);
        self.file = Some((file, now));
        synced
    }
}

/// A file's identity: its device and inode.
#[derive(Clone, Copy, PartialEq, Eq)]
struct FileId(u64, u64);

impl FileId {
    #[cfg(unix)]
    fn of(meta: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        Self(meta.dev(), meta.ino())
    }

    /// Elsewhere the file is opened once and kept.
    #[cfg(not(unix))]
    fn of(_meta: &std::fs::Metadata) -> Self {
        Self(0, 0)
    }
}

/// Answers committed batches once the WAL is on disk: takes every batch waiting, syncs the WAL
/// once for all of them (`sync`: [`Wal::sync`]), and answers their jobs in commit order, each
/// with its own result, or all with the error of a failed sync (`Unavailable`: committed, but
/// not known to be durable). Ends when the writer has ended and every batch is answered.
fn sync_loop(
    mut sync: impl FnMut() -> Result<(), StoreError>,
    committed: mpsc::Receiver<Vec<Box<dyn WriteJob>>>,
) {
    while let Ok(mut jobs) = committed.recv() {
        while let Ok(more) = committed.try_recv() {
            jobs.extend(more);
        }
        let started = Instant::now();
        let synced = sync();
        metrics::sqlite_wal_sync(started.elapsed());
        if let Err(e) = &synced {
            tracing::error!(error = %e, "syncing the write-ahead log failed");
        }
        answer(jobs, &synced);
    }
}

/// Gives every job of `batch` the outcome of its transaction.
fn answer(batch: Vec<Box<dyn WriteJob>>, outcome: &Result<(), StoreError>) {
    for job in batch {
        job.finish(outcome.clone());
    }
}

/// Copies the WAL's committed pages into the database file every [`CHECKPOINT_EVERY`]
/// (`PRAGMA wal_checkpoint(PASSIVE)`: it never waits for the writer or a reader), on its own
/// connection and thread, so that the writer never stops to write and sync the database file:
/// it only appends to the WAL and syncs that. A page written by many commits in the interval
/// is copied once. SQLite starts the WAL over from its beginning at the next write after a
/// checkpoint that copied everything; should the checkpointer fall behind, the writer's own
/// automatic checkpoint ([`WRITER_CHECKPOINT_PAGES`]) bounds the WAL. Stops when `stop`'s
/// sender is dropped.
fn checkpoint_loop(conn: Connection, stop: mpsc::Receiver<()>) {
    while let Err(mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(CHECKPOINT_EVERY) {
        let done = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
        });
        match done {
            Ok((log, copied)) => tracing::trace!(log, copied, "WAL checkpoint"),
            Err(e) => tracing::warn!(error = %e, "background WAL checkpoint failed"),
        }
    }
}

/// Runs each job in its own savepoint: one that fails is rolled back alone.
fn run_each_in_a_savepoint(conn: &Mutex<Connection>, batch: &mut [Box<dyn WriteJob>]) {
    let step_sql = |sql: &str| {
        lock(conn)
            .prepare_cached(sql)
            .and_then(|mut st| st.execute([]))
            .map(|_| ())
    };
    for job in batch.iter_mut() {
        let step = step_sql("SAVEPOINT job").and_then(|()| {
            if job.run(conn) {
                step_sql("RELEASE job")
            } else {
                step_sql("ROLLBACK TO job").and_then(|()| step_sql("RELEASE job"))
            }
        });
        if let Err(e) = step {
            tracing::error!(error = %e, "savepoint handling failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::conn::open_connection;
    use super::*;

    /// Ordinary writes run with statement journals in memory; the migrations' batches with
    /// files (bounded memory for statements that rewrite whole tables), and after them the
    /// writes go back to memory.
    #[tokio::test]
    async fn statement_journals_are_in_memory_for_ordinary_writes_only() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("w.db");
        let open = || open_connection(&path, true).expect("open");
        let writer = Writer::start(open(), open()).expect("writer");
        let temp_store = |conn: &Mutex<Connection>| -> StoreResult<i64> {
            lock(conn)
                .query_row("PRAGMA temp_store", [], |r| r.get(0))
                .map_err(map_err)
        };
        // SQLite's values: 1 FILE, 2 MEMORY.
        assert_eq!(writer.run(temp_store).await.expect("ordinary"), 2);
        assert_eq!(
            writer.run_undeferred(temp_store).await.expect("migration"),
            1
        );
        assert_eq!(writer.run(temp_store).await.expect("ordinary again"), 2);
        writer.stop().await.expect("stop");
    }

    /// A job that answers `n` on `reply`.
    fn job(n: i64) -> (Box<dyn WriteJob>, oneshot::Receiver<StoreResult<i64>>) {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            work: move |_: &Mutex<Connection>| Ok(n),
            defer_fts: true,
            result: Some(Ok(n)),
            reply,
        };
        (Box::new(job), answer)
    }

    /// A committed batch is answered only once the sync that follows its commit has returned,
    /// each job with its own result; a failed sync answers every job with `Unavailable`.
    #[test]
    fn committed_writes_are_answered_after_the_sync() {
        let (to_sync, committed) = mpsc::channel();
        let (go, gate) = mpsc::channel::<Result<(), StoreError>>();
        let (started, syncing) = mpsc::channel::<()>();
        let syncer = std::thread::spawn(move || {
            sync_loop(
                move || {
                    let _ = started.send(());
                    gate.recv_timeout(Duration::from_secs(10))
                        .unwrap_or_else(|_| Err(StoreError::Other("test gate".into())))
                },
                committed,
            )
        });
        let (one, mut first) = job(1);
        let (two, mut second) = job(2);
        to_sync.send(vec![one, two]).expect("send");
        syncing
            .recv_timeout(Duration::from_secs(10))
            .expect("the sync started");
        std::thread::sleep(Duration::from_millis(50));
        assert!(
            first.try_recv().is_err(),
            "answered before the sync returned"
        );
        assert!(
            second.try_recv().is_err(),
            "answered before the sync returned"
        );
        go.send(Ok(())).expect("release");
        assert_eq!(first.blocking_recv().expect("answer").expect("ok"), 1);
        assert_eq!(second.blocking_recv().expect("answer").expect("ok"), 2);

        let (three, third) = job(3);
        to_sync.send(vec![three]).expect("send");
        syncing
            .recv_timeout(Duration::from_secs(10))
            .expect("the sync started");
        go.send(Err(StoreError::Unavailable("disk gone".into())))
            .expect("release");
        let failed = third.blocking_recv().expect("answer");
        assert!(
            matches!(failed, Err(StoreError::Unavailable(_))),
            "{failed:?}"
        );
        drop(to_sync);
        syncer.join().expect("the sync thread ends with the writer");
    }

    /// The writer commits with `synchronous = NORMAL` and syncs the file SQLite writes its WAL
    /// to; a database that is not in WAL mode keeps `FULL` and has nothing to sync.
    #[test]
    fn the_writer_syncs_its_own_wal() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("w.db");
        let conn = open_connection(&path, true).expect("open");
        let mut wal = Wal::of(&conn).expect("wal");
        let synchronous = |c: &Connection| -> i64 {
            c.query_row("PRAGMA synchronous", [], |r| r.get(0))
                .expect("pragma")
        };
        assert_eq!(synchronous(&conn), 1, "NORMAL");
        conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
            .expect("write");
        wal.sync().expect("sync");
        let (_, opened) = wal.file.as_ref().expect("the WAL file was opened");
        let wal_path = dir.path().join("w.db-wal");
        let at_path = FileId::of(&std::fs::metadata(&wal_path).expect("the WAL exists"));
        assert!(
            *opened == at_path,
            "another file than {}",
            wal_path.display()
        );

        let memory = Connection::open_in_memory().expect("memory");
        let mut none = Wal::of(&memory).expect("wal");
        assert_eq!(synchronous(&memory), 2, "FULL (SQLite's default)");
        none.sync().expect("nothing to sync");
        assert!(none.file.is_none());
    }

    /// An index of one segment per document (merged 16 at a time as with migration 36).
    fn index_of_single_documents(n: i64) -> Connection {
        let conn = Connection::open_in_memory().expect("open");
        conn.execute_batch(
            "CREATE VIRTUAL TABLE clients_fts USING fts5(doc, content = '', contentless_delete = 1,
                 tokenize = 'unicode61 remove_diacritics 0', prefix = '6 7 8');
             INSERT INTO clients_fts (clients_fts, rank) VALUES ('automerge', 16);
             INSERT INTO clients_fts (clients_fts, rank) VALUES ('crisismerge', 32);",
        )
        .expect("schema");
        for i in 0..n {
            conn.execute(
                "INSERT INTO clients_fts (rowid, doc) VALUES (?1, ?2)",
                rusqlite::params![i, format!("abcdlword common{i}")],
            )
            .expect("insert");
        }
        conn
    }

    /// An index merged at rest (as idle merging leaves it) and then two more documents, one
    /// segment each: fewer than `usermerge` on their level, so merging level by level leaves
    /// them as they are.
    fn index_at_rest_and_two_more() -> Connection {
        let conn = index_of_single_documents(60);
        let mut merges = 0;
        while merge_when_idle(&conn) {
            merges += 1;
            assert!(merges < 100, "idle merging did not come to an end");
        }
        for i in 60..62 {
            conn.execute(
                "INSERT INTO clients_fts (rowid, doc) VALUES (?1, ?2)",
                rusqlite::params![i, format!("abcdlword common{i}")],
            )
            .expect("insert");
        }
        conn
    }

    fn segments(conn: &Connection) -> i64 {
        conn.query_row(
            "SELECT count(DISTINCT segid) FROM clients_fts_idx",
            [],
            |r| r.get(0),
        )
        .expect("segments")
    }

    /// Every document of the index is still found.
    fn assert_all_found(conn: &Connection, n: i64) {
        let first = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).expect(sql) };
        let found = first("SELECT count(*) FROM clients_fts WHERE clients_fts MATCH 'abcdlword'");
        assert_eq!(found, n);
        let one = first("SELECT rowid FROM clients_fts WHERE clients_fts MATCH 'common42'");
        assert_eq!(one, 42);
    }

    /// Documents written one transaction each are merged further while idle, and every one is
    /// still found.
    #[test]
    fn idle_merges_keep_every_document() {
        let conn = index_of_single_documents(60);
        let mut merges = 0;
        while merge_when_idle(&conn) {
            merges += 1;
            assert!(merges < 100, "idle merging did not come to an end");
        }
        assert!(merges > 0, "there were segments to merge");
        assert_all_found(&conn, 60);
    }

    /// Closing merges an index into one segment (the next process starts with nothing left
    /// to merge), and every document is still found.
    #[test]
    fn closing_leaves_the_index_at_rest() {
        let conn = index_at_rest_and_two_more();
        let before = segments(&conn);
        assert!(before > 1, "{before} segment");
        merge_before_closing(&conn);
        assert_eq!(segments(&conn), 1, "{before} segments, merged into one");
        assert!(!merge_when_idle(&conn), "idle merging found work left");
        assert_all_found(&conn, 62);
    }

    /// An index larger than the closing merge merges into one segment is merged level by level
    /// only (as idle merging would: here, nothing to merge), and every document is still found.
    #[test]
    fn closing_merges_a_large_index_level_by_level() {
        let conn = index_at_rest_and_two_more();
        let before = segments(&conn);
        close_merge(&conn, 0);
        assert_eq!(segments(&conn), before);
        assert!(!merge_when_idle(&conn), "idle merging found work left");
        assert_all_found(&conn, 62);
    }
}
