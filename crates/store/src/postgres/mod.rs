//! PostgreSQL backend: tokio-postgres with a deadpool pool. It runs the same rules (`rules`) on
//! the same sea-query statements as SQLite; what is PostgreSQL's own is the pool, the tenant
//! lock and the retries (`pool`), binding values and classifying errors (`bind`), search through
//! a term table (`search`) and the migrations (`migrate`).
//!
//! Concurrency: SQLite has one writer, so every write is a read-modify-write that nobody can
//! interleave with. Here every tenant-scoped write transaction first locks its tenant's row
//! (`SELECT ... FROM tenants WHERE id = $1 FOR UPDATE`): writes of one tenant run one at a time
//! (as on SQLite), writes of different tenants run in parallel. That single lock gives, with no
//! deadlock possible (a transaction takes exactly one such lock, first):
//! - `If-Match` checks and merge patches that see the latest committed row;
//! - the one-main / one-primary flags and `associated_accounts` kept exact;
//! - per-tenant `number`s from the tenant's counter without gaps;
//! - change-feed order: `seq` is drawn while the lock is held, so within a tenant `seq` order is
//!   commit order and `GET /v1/events` never hands out a cursor past a record that commits later.

mod bind;
mod conn;
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
