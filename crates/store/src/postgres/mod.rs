//! PostgreSQL backend: tokio-postgres with a deadpool pool. It runs the same rules (`rules`) on
//! the same sea-query statements as SQLite; what is PostgreSQL's own is the pool and the
//! retries (`pool`), binding values and classifying errors (`bind`), bulk rows by `COPY`
//! (`copy`), search through a GIN index
//! (`search`), feed positions given after commit (`feed`), list totals per tenant generation
//! (`counts`) and the migrations (`migrate`).
//!
//! Concurrency: SQLite has one writer, so every write is a read-modify-write that nobody can
//! interleave with. Here one tenant's writes run and commit in parallel (READ COMMITTED), and
//! nothing every write of a tenant changes is a single row (such a row would stay locked through
//! each commit's flush and queue the tenant's writes one behind the other). What one writer gave
//! for free is kept by narrower means:
//! - a write of a client or of its sub-resources first locks the client's row (`SELECT ... FOR
//!   UPDATE`, `statements::select_client_for_update`), so `If-Match` checks and merge patches
//!   see the latest committed row, and the one-main / one-primary flags and
//!   `associated_accounts` stay exact;
//! - an upsert by external id, and a create with one, hold an advisory lock on that key, so two
//!   upserts of one key find each other (`Tx::lock_key`);
//! - client `number`s come from a sequence per tenant (`nextval` waits for nobody; a failed
//!   create leaves a gap, no number repeats), creation sequences from the number
//!   (`rules::sequences::RidScope`);
//! - counts and the tenant generation are spread over 16 slot rows per group, by the writer's
//!   backend process (migration 0012);
//! - the change feed: a record is written without a position, and committed records are
//!   numbered after the fact, in order, under a short lock of the tenant's row that no write
//!   takes (`feed`, migration 0006): a position never appears behind one already handed out.

mod bind;
mod conn;
mod copy;
mod counts;
mod feed;
mod instance;
mod migrate;
mod pool;
pub mod search;

use clientele_core::store::StoreResult;

use crate::engine::Engine;
pub use pool::PgBackend;

/// The `Store` on PostgreSQL.
pub type PgStore = Engine<PgBackend>;

impl PgStore {
    /// Prepares the pool; connections are made on first use. Call `Store::migrate` before use.
    pub fn open(url: &str) -> StoreResult<Self> {
        Ok(Engine::new(PgBackend::open(url)?))
    }
}

/// True for `postgres://` and `postgresql://` URLs.
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}
