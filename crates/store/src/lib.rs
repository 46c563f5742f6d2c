//! Storage backends for Clientele. Statements are built once with sea-query (`sql`), rows are
//! mapped once (`columns`); each backend module only executes them.

pub mod columns;
pub mod sql;
pub mod sqlite;
pub mod sqlite_search;

use std::sync::Arc;

use clientele_core::{Store, StoreError};

/// Opens the store named by a database URL. Migrations are not applied here.
pub fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Err(StoreError::Unavailable(
            "the PostgreSQL backend is not available in this build yet".into(),
        ));
    }
    let path = sqlite::path_from_url(url).ok_or_else(|| {
        StoreError::Other(format!(
            "unsupported database URL (expected sqlite://FILE or postgres://...): {}",
            url.split('@').next_back().unwrap_or("")
        ))
    })?;
    Ok(Arc::new(sqlite::SqliteStore::open(&path)?))
}
