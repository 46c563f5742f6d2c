//! SQLite migrations: numbered scripts applied through the writer, recorded in
//! `schema_migrations`, each followed by the data work it needs.

use clientele_core::store::StoreResult;
use clientele_core::types::Timestamp;
use clientele_core::TenantId;
use rusqlite::{Connection, OptionalExtension};
use uuid::Uuid;

use super::search;
use super::{map_err, query_one_client};
use crate::statements as sql;

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/sqlite/0001_init.sql")),
    (2, include_str!("../../migrations/sqlite/0002_search.sql")),
    (3, include_str!("../../migrations/sqlite/0003_audit.sql")),
    (
        4,
        include_str!("../../migrations/sqlite/0004_subresources.sql"),
    ),
];

/// Work a migration needs beyond its SQL, run right after it in the same transaction.
fn after_migration(conn: &Connection, version: i64) -> StoreResult<()> {
    if version == 2 {
        // Fold the names and index the clients that existed before search did.
        let mut st = conn
            .prepare("SELECT tenant_id, id, rid FROM clients")
            .map_err(map_err)?;
        let rows: Vec<(String, String, i64)> = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .and_then(Iterator::collect)
            .map_err(map_err)?;
        for (tenant, id, rid) in rows {
            let (Ok(tenant), Ok(id)) = (Uuid::parse_str(&tenant), Uuid::parse_str(&id)) else {
                continue;
            };
            let tenant = TenantId(tenant);
            let c = query_one_client(conn, &sql::select_client(tenant, id))?;
            conn.execute(
                "UPDATE clients SET name_fold = ?1 WHERE id = ?2",
                rusqlite::params![clientele_core::search::fold(&c.data.name), id.to_string()],
            )
            .map_err(map_err)?;
            let doc = search::search_document(conn, tenant, id, &c.data)?;
            search::write_document(conn, tenant, rid, c.data.archived, &doc)?;
        }
    }
    Ok(())
}

/// Applies pending migrations on the writer connection; returns how many were applied.
pub(super) fn migrate(conn: &Connection) -> StoreResult<u32> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
    )
    .map_err(map_err)?;
    let mut applied = Vec::new();
    for (version, script) in MIGRATIONS {
        let done: Option<i64> = conn
            .query_row(
                "SELECT version FROM schema_migrations WHERE version = ?1",
                [version],
                |r| r.get(0),
            )
            .optional()
            .map_err(map_err)?;
        if done.is_some() {
            continue;
        }
        conn.execute_batch(script).map_err(map_err)?;
        conn.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
            rusqlite::params![version, Timestamp::now().to_rfc3339()],
        )
        .map_err(map_err)?;
        applied.push(*version);
    }
    // Data work runs once the whole schema is in place (same transaction): a backfill
    // may read tables that later migrations create (search documents read contacts).
    for version in &applied {
        after_migration(conn, *version)?;
    }
    Ok(applied.len() as u32)
}
