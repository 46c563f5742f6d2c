//! What the store reports through the `metrics` facade: every operation's count and latency, the
//! SQLite writer's queue, batches and commits, the PostgreSQL pool. Without an installed recorder
//! (the CLI's one-shot commands) each report is a no-op. The names are listed, with their
//! meaning, in docs/operations.md; the API installs the Prometheus recorder and calls
//! [`describe`].

use std::any::TypeId;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, PoisonError, RwLock};
use std::time::{Duration, Instant};

use clientele_core::store::StoreResult;
use clientele_core::FastMap;
use metrics::{
    counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram, Counter,
    Histogram,
};

pub const STORE_OPERATIONS: &str = "clientele_store_operations_total";
pub const STORE_OPERATION_SECONDS: &str = "clientele_store_operation_duration_seconds";
pub const SQLITE_QUEUE_DEPTH: &str = "clientele_sqlite_writer_queue_depth";
pub const SQLITE_BATCH_SIZE: &str = "clientele_sqlite_writer_batch_size";
pub const SQLITE_COMMIT_SECONDS: &str = "clientele_sqlite_writer_commit_duration_seconds";
pub const SQLITE_WAL_SYNC_SECONDS: &str = "clientele_sqlite_wal_sync_duration_seconds";
pub const PG_POOL_CONNECTIONS: &str = "clientele_postgres_pool_connections";
pub const PG_POOL_MAX: &str = "clientele_postgres_pool_max_connections";
pub const PG_POOL_WAITING: &str = "clientele_postgres_pool_waiting";
pub const PG_POOL_WAIT_SECONDS: &str = "clientele_postgres_pool_wait_duration_seconds";
pub const PG_POOL_ERRORS: &str = "clientele_postgres_pool_errors_total";

/// Registers the help text of every store metric with the installed recorder.
///
/// The API calls it right after installing its recorder: the operations' handles registered
/// before (with no recorder, no-ops) are registered again at their next use ([`observed`]).
pub fn describe() {
    RECORDER_EPOCH.fetch_add(1, Ordering::Relaxed);
    describe_counter!(
        STORE_OPERATIONS,
        "Store operations, by operation, kind (read or write) and outcome (ok or error)."
    );
    describe_histogram!(
        STORE_OPERATION_SECONDS,
        metrics::Unit::Seconds,
        "Latency of store operations (including waiting for the writer or a connection), by operation and kind."
    );
    describe_gauge!(
        SQLITE_QUEUE_DEPTH,
        "Writes waiting for the SQLite writer thread."
    );
    describe_histogram!(
        SQLITE_BATCH_SIZE,
        "Writes committed together in one SQLite transaction (group commit)."
    );
    describe_histogram!(
        SQLITE_COMMIT_SECONDS,
        metrics::Unit::Seconds,
        "Time of the SQLite COMMIT of one batch (written to the WAL; synced after)."
    );
    describe_histogram!(
        SQLITE_WAL_SYNC_SECONDS,
        metrics::Unit::Seconds,
        "Time of one sync of the SQLite WAL, after which the batches committed before it are answered."
    );
    describe_gauge!(
        PG_POOL_CONNECTIONS,
        "PostgreSQL pool connections, by state (in_use or idle)."
    );
    describe_gauge!(PG_POOL_MAX, "Largest size of the PostgreSQL pool.");
    describe_gauge!(
        PG_POOL_WAITING,
        "Tasks waiting for a PostgreSQL pool connection."
    );
    describe_histogram!(
        PG_POOL_WAIT_SECONDS,
        metrics::Unit::Seconds,
        "Time spent waiting for a PostgreSQL pool connection."
    );
    describe_counter!(
        PG_POOL_ERRORS,
        "Failures to get a PostgreSQL pool connection (timeout, cannot connect)."
    );
}

/// The operation's name: the rule's module and type, without generics (`clients::Create`,
/// `idempotency::Begin`), a `'static` string, so labelling allocates nothing.
fn op_name<T>() -> &'static str {
    let full = std::any::type_name::<T>();
    let base = full.split('<').next().unwrap_or(full);
    match base.rmatch_indices("::").nth(1) {
        Some((i, _)) => &base[i + 2..],
        None => base,
    }
}

/// Bumped by [`describe`], that is when a recorder was installed: handles registered under an
/// earlier epoch are registered again.
static RECORDER_EPOCH: AtomicU64 = AtomicU64::new(0);

/// The series of one operation and kind: its two counters and its histogram.
struct Handles {
    epoch: u64,
    ok: Counter,
    error: Counter,
    seconds: Histogram,
}

impl Handles {
    fn register(op: &'static str, kind: &'static str, epoch: u64) -> Self {
        Self {
            epoch,
            ok: counter!(STORE_OPERATIONS, "operation" => op, "kind" => kind, "outcome" => "ok"),
            error: counter!(STORE_OPERATIONS, "operation" => op, "kind" => kind, "outcome" => "error"),
            seconds: histogram!(STORE_OPERATION_SECONDS, "operation" => op, "kind" => kind),
        }
    }

    fn report(&self, ok: bool, seconds: f64) {
        if ok { &self.ok } else { &self.error }.increment(1);
        self.seconds.record(seconds);
    }
}

/// The handles of every operation and kind reported so far, registered once each: a report then
/// costs a lookup by type id under a read lock instead of the recorder's lookup by label set
/// (about 2,500 instructions per operation before).
static HANDLES: LazyLock<RwLock<FastMap<(TypeId, &'static str), Handles>>> =
    LazyLock::new(Default::default);

/// Counts and times one operation of rule `T`.
fn report<T: 'static>(kind: &'static str, ok: bool, seconds: f64) {
    let key = (TypeId::of::<T>(), kind);
    let epoch = RECORDER_EPOCH.load(Ordering::Relaxed);
    {
        let handles = HANDLES.read().unwrap_or_else(PoisonError::into_inner);
        if let Some(h) = handles.get(&key).filter(|h| h.epoch == epoch) {
            h.report(ok, seconds);
            return;
        }
    }
    let h = Handles::register(op_name::<T>(), kind, epoch);
    h.report(ok, seconds);
    HANDLES
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(key, h);
}

/// Runs a store operation, counting it and timing it.
pub(crate) async fn observed<T: 'static, R>(
    kind: &'static str,
    fut: impl Future<Output = StoreResult<R>>,
) -> StoreResult<R> {
    let started = Instant::now();
    let out = fut.await;
    report::<T>(kind, out.is_ok(), started.elapsed().as_secs_f64());
    out
}

/// One more (or `n` fewer) write waiting for the SQLite writer.
pub(crate) fn sqlite_queued(delta: f64) {
    gauge!(SQLITE_QUEUE_DEPTH).increment(delta);
}

/// One SQLite batch committed: its size and the time of its `COMMIT`.
pub(crate) fn sqlite_batch(size: usize, commit: Duration) {
    histogram!(SQLITE_BATCH_SIZE).record(size as f64);
    histogram!(SQLITE_COMMIT_SECONDS).record(commit.as_secs_f64());
}

/// One sync of the SQLite WAL, and how long it took.
pub(crate) fn sqlite_wal_sync(took: Duration) {
    histogram!(SQLITE_WAL_SYNC_SECONDS).record(took.as_secs_f64());
}

/// The PostgreSQL pool after a connection was asked for: its status, and how long it took.
pub(crate) fn pg_pool(status: deadpool_postgres::Status, waited: Duration, failed: bool) {
    let in_use = status.size.saturating_sub(status.available);
    gauge!(PG_POOL_CONNECTIONS, "state" => "in_use").set(in_use as f64);
    gauge!(PG_POOL_CONNECTIONS, "state" => "idle").set(status.available as f64);
    gauge!(PG_POOL_MAX).set(status.max_size as f64);
    gauge!(PG_POOL_WAITING).set(status.waiting as f64);
    histogram!(PG_POOL_WAIT_SECONDS).record(waited.as_secs_f64());
    if failed {
        counter!(PG_POOL_ERRORS).increment(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_named_by_their_rule_type() {
        assert_eq!(
            op_name::<crate::rules::idempotency::Begin>(),
            "idempotency::Begin"
        );
        assert_eq!(op_name::<Option<u8>>(), "option::Option");
        assert_eq!(op_name::<u8>(), "u8");
    }
}
