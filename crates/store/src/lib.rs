//! Storage backends for Clientele. Statements are built once with sea-query (`statements`), rows are
//! mapped once (`columns`); each backend module only executes them.

pub mod columns;
pub mod postgres;
pub mod rid;
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
