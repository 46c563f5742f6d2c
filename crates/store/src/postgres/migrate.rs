//! PostgreSQL migrations: numbered scripts applied in one transaction under an advisory lock, so
//! that instances starting together migrate once.

use clientele_core::store::StoreResult;
use clientele_core::types::Timestamp;
use clientele_core::TenantId;
use uuid::Uuid;

use super::bind::map_err;
use super::conn::Pg;
use super::copy::Loaded;
use crate::counts::CountCache;
use crate::rules;

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/postgres/0001_init.sql")),
    (2, include_str!("../../migrations/postgres/0002_search.sql")),
    (3, include_str!("../../migrations/postgres/0003_audit.sql")),
    (
        4,
        include_str!("../../migrations/postgres/0004_subresources.sql"),
    ),
    (
        5,
        include_str!("../../migrations/postgres/0005_tenant_currency.sql"),
    ),
    (
        6,
        include_str!("../../migrations/postgres/0006_feed_positions.sql"),
    ),
    (
        8,
        include_str!("../../migrations/postgres/0008_search_whole_words.sql"),
    ),
    (
        10,
        include_str!("../../migrations/postgres/0010_idempotency_instance.sql"),
    ),
    (
        11,
        include_str!("../../migrations/postgres/0011_auth_generation.sql"),
    ),
    (
        12,
        include_str!("../../migrations/postgres/0012_parallel_writes.sql"),
    ),
    (
        13,
        include_str!("../../migrations/postgres/0013_search_tsvector.sql"),
    ),
    (
        14,
        include_str!("../../migrations/postgres/0014_range_counts.sql"),
    ),
    (
        15,
        include_str!("../../migrations/postgres/0015_search_tags.sql"),
    ),
    (
        16,
        include_str!("../../migrations/postgres/0016_search_tags_written.sql"),
    ),
    (
        17,
        include_str!("../../migrations/postgres/0017_audit_import_id.sql"),
    ),
    (
        18,
        include_str!("../../migrations/postgres/0018_clients_updated_all.sql"),
    ),
    (
        19,
        include_str!("../../migrations/postgres/0019_range_page_rids.sql"),
    ),
    (
        20,
        include_str!("../../migrations/postgres/0020_updated_month.sql"),
    ),
    (
        25,
        include_str!("../../migrations/postgres/0025_money_keys.sql"),
    ),
];

/// Arbitrary constant: the advisory lock that serialises concurrent `migrate` runs.
const MIGRATION_LOCK: i64 = 0x636c_6965_6e74_656c; // "clientel"

/// Applies pending migrations in one transaction; returns how many were applied.
pub(super) async fn migrate(conn: &mut deadpool_postgres::Client) -> StoreResult<u32> {
    let tx = conn.transaction().await.map_err(map_err)?;
    // `CREATE TABLE IF NOT EXISTS` would log a NOTICE on every start.
    tx.batch_execute("SET LOCAL client_min_messages = warning")
        .await
        .map_err(map_err)?;
    // Several instances may start at once: one migrates, the others wait and find it done.
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(map_err)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)",
    )
    .await
    .map_err(map_err)?;
    let mut applied = 0;
    let mut reindex = false;
    for (version, script) in MIGRATIONS {
        let done = tx
            .query_opt(
                "SELECT version FROM schema_migrations WHERE version = $1",
                &[version],
            )
            .await
            .map_err(map_err)?;
        if done.is_some() {
            continue;
        }
        tx.batch_execute(script).await.map_err(map_err)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
            &[version, &Timestamp::now().to_rfc3339()],
        )
        .await
        .map_err(map_err)?;
        applied += 1;
        reindex |= *version == 8;
    }
    // After every script, so the documents are written to the search table of the latest one.
    if reindex {
        reindex_all(&tx).await?;
    }
    tx.commit().await.map_err(map_err)?;
    Ok(applied)
}

/// Rewrites every client's search terms (migration 8: search words are kept whole), in the
/// migration's transaction.
async fn reindex_all(tx: &deadpool_postgres::Transaction<'_>) -> StoreResult<()> {
    let rows = tx
        .query("SELECT tenant_id, id FROM clients", &[])
        .await
        .map_err(map_err)?;
    let counts = CountCache::default();
    for row in rows {
        let (tenant, id): (String, String) = (row.get(0), row.get(1));
        let (Ok(tenant), Ok(id)) = (Uuid::parse_str(&tenant), Uuid::parse_str(&id)) else {
            continue;
        };
        rules::search::reindex(&Pg(tx, &counts, &Loaded::default()), TenantId(tenant), id).await?;
    }
    Ok(())
}
