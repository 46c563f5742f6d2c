//! SQLite migrations: numbered scripts (`crates/store/migrations/sqlite/`) applied through the
//! writer and recorded in `schema_migrations`, then the data work some of them need, all in one
//! transaction.

use std::sync::Mutex;

use clientele_core::search::fold;
use clientele_core::store::StoreResult;
use clientele_core::types::Timestamp;
use clientele_core::TenantId;
use rusqlite::{Connection, OptionalExtension};
use uuid::Uuid;

use super::conn::{block_on, lock, map_err, Conn};
use super::search;
use crate::columns::decode_client;
use crate::db::Db;
use crate::rules;
use crate::statements as sql;

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/sqlite/0001_init.sql")),
    (2, include_str!("../../migrations/sqlite/0002_search.sql")),
    (3, include_str!("../../migrations/sqlite/0003_audit.sql")),
    (
        4,
        include_str!("../../migrations/sqlite/0004_subresources.sql"),
    ),
    (
        5,
        include_str!("../../migrations/sqlite/0005_tenant_currency.sql"),
    ),
    (
        6,
        include_str!("../../migrations/sqlite/0006_feed_positions.sql"),
    ),
    (
        8,
        include_str!("../../migrations/sqlite/0008_search_whole_words.sql"),
    ),
    (
        10,
        include_str!("../../migrations/sqlite/0010_idempotency_instance.sql"),
    ),
    (
        11,
        include_str!("../../migrations/sqlite/0011_auth_generation.sql"),
    ),
    (
        18,
        include_str!("../../migrations/sqlite/0018_clients_updated_all.sql"),
    ),
    (
        23,
        include_str!("../../migrations/sqlite/0023_range_counts.sql"),
    ),
    (
        24,
        include_str!("../../migrations/sqlite/0024_search_documents.sql"),
    ),
    (
        25,
        include_str!("../../migrations/sqlite/0025_money_keys.sql"),
    ),
    (
        27,
        include_str!("../../migrations/sqlite/0027_range_page_rids.sql"),
    ),
    (
        28,
        include_str!("../../migrations/sqlite/0028_search_letter_runs.sql"),
    ),
    (
        29,
        include_str!("../../migrations/sqlite/0029_fts_automerge.sql"),
    ),
    (
        30,
        include_str!("../../migrations/sqlite/0030_audit_import_id.sql"),
    ),
    (
        31,
        include_str!("../../migrations/sqlite/0031_updated_month.sql"),
    ),
    (
        32,
        include_str!("../../migrations/sqlite/0032_client_docs.sql"),
    ),
    // No 33: a reverted migration, which a file may have recorded as applied.
    (
        34,
        include_str!("../../migrations/sqlite/0034_client_docs_by_id.sql"),
    ),
    (
        35,
        include_str!("../../migrations/sqlite/0035_counters_by_the_writer.sql"),
    ),
    (
        36,
        include_str!("../../migrations/sqlite/0036_fts_automerge_16.sql"),
    ),
];

/// Work the applied migrations need beyond their SQL.
fn after_migrations(conn: &Mutex<Connection>, applied: &[i64]) -> StoreResult<()> {
    // 2: fold the names and index the clients that existed before search did; 8: search words
    // are kept whole (`clientele_core::search`), so every document is written again; 24: index
    // every client again, with the tags of its document and its words in `search_documents`.
    let (fold_names, index) = (
        applied.contains(&2),
        applied.contains(&2) || applied.contains(&8) || applied.contains(&24),
    );
    if !index {
        // 28: the documents gain their letter runs (a full rewrite above writes them already).
        if applied.contains(&28) {
            let started = std::time::Instant::now();
            let n = search::add_letter_runs(&lock(conn))?;
            tracing::info!(
                documents = n,
                ms = started.elapsed().as_millis() as u64,
                "migration 28: letter runs indexed"
            );
        }
        return Ok(());
    }
    if applied.contains(&8) {
        // The index and vocabulary were emptied by 0008; the kept documents (of the old words)
        // go too, so every word of the new documents is written to the vocabulary.
        lock(conn)
            .execute_batch("DELETE FROM search_documents; DELETE FROM search_terms;")
            .map_err(map_err)?;
    }
    let rows: Vec<(String, String, i64)> = lock(conn)
        .prepare("SELECT tenant_id, id, rid FROM clients ORDER BY rid")
        .and_then(|mut st| {
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect()
        })
        .map_err(map_err)?;
    let db = Conn::writer(conn);
    for (tenant, id, rid) in rows {
        let (Ok(tenant), Ok(id)) = (Uuid::parse_str(&tenant), Uuid::parse_str(&id)) else {
            continue;
        };
        let tenant = TenantId(tenant);
        let c = block_on(db.one(&sql::select_client(tenant, id), decode_client))?;
        if fold_names {
            lock(conn)
                .execute(
                    "UPDATE clients SET name_fold = ?1 WHERE id = ?2",
                    rusqlite::params![fold(&c.data.name), id.to_string()],
                )
                .map_err(map_err)?;
        }
        let doc = block_on(rules::search::document(&db, tenant, id, &c.data))?;
        search::write_document(&lock(conn), tenant, rid, c.data.archived, &doc)?;
    }
    Ok(())
}

/// Applies the scripts not applied yet; returns their versions.
fn apply_scripts(conn: &Connection) -> StoreResult<Vec<i64>> {
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
    Ok(applied)
}

/// Applies pending migrations on the writer connection; returns how many were applied.
pub(super) fn migrate(conn: &Mutex<Connection>) -> StoreResult<u32> {
    let applied = apply_scripts(&lock(conn))?;
    // Data work runs once the whole schema is in place (same transaction): a backfill may read
    // tables that later migrations create (search documents read contacts).
    after_migrations(conn, &applied)?;
    Ok(applied.len() as u32)
}
