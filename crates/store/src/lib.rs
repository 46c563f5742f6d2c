//! Storage for Clientele: one implementation of the core `Store` trait (`engine`) whose rules are
//! written once (`rules`), over statements built once with sea-query (`statements`) and rows
//! mapped once (`columns`). Two backends run them through the seam in `db`: SQLite (`sqlite`)
//! and PostgreSQL (`postgres`); each keeps only what truly differs (connections, the SQLite
//! writer thread, the PostgreSQL pool, locks and retries, search, migrations).

pub mod columns;
mod counts;
mod credentials;
pub mod db;
pub mod engine;
mod groups;
pub mod metrics;
pub mod postgres;
pub mod rid;
pub mod rules;
pub mod sqlite;
pub mod statements;
#[cfg(feature = "testing")]
pub mod testing;

use std::sync::Arc;

use clientele_core::{Store, StoreError};

/// Opens the store named by a database URL. Migrations are not applied here.
pub fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if postgres::is_postgres_url(url) {
        return Ok(Arc::new(postgres::PgStore::open(url)?));
    }
    let path = sqlite::path_from_url(url).ok_or_else(|| {
        StoreError::Other(format!(
            "unsupported database URL (expected sqlite://FILE or postgres://...): {}",
            url.split('@').next_back().unwrap_or("")
        ))
    })?;
    Ok(Arc::new(sqlite::SqliteStore::open(&path)?))
}
