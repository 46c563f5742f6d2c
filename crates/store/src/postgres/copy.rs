//! Bulk writes through `COPY ... FROM STDIN (FORMAT binary)`: the rows of a bulk load (clients,
//! their search words, their audit records) go to the server as one stream per table, with no
//! statement to parse and no parameter limit, instead of multi-row `INSERT`s. `COPY` runs in the
//! write's transaction and fires the tables' triggers (the counts, migration 0012) and checks
//! their constraints as an `INSERT` does; defaults (an audit record's `seq`) are filled in as
//! well. A few rows take an `INSERT`: a `COPY` costs one round trip more.

use std::collections::BTreeSet;
use std::error::Error as StdError;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::{BufMut, BytesMut};
use clientele_core::store::StoreResult;
use clientele_core::TenantId;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use tokio_postgres::Transaction;
use uuid::Uuid;

use super::bind::{map_err, P};
use crate::statements::Rows;

/// Fewer rows than this are inserted, not copied.
pub(super) const COPY_MIN_ROWS: usize = 16;

/// Client rows copied since the tables' statistics were last refreshed. A bulk load outruns
/// autovacuum (which may be off, and waits a minute at best): without statistics the planner
/// takes a tenant for a few rows, and a keyset page of an export sorts the rest of the tenant
/// (quadratic). So once a load has copied as many clients as at the previous refresh (at
/// least `ANALYZE_MIN`), `ANALYZE` runs after the write commits: a few times per load,
/// doubling, each sampling a bounded number of rows.
#[derive(Default)]
pub(super) struct Loaded {
    since: AtomicU64,
    before: AtomicU64,
}

const ANALYZE_MIN: u64 = 10_000;

impl Loaded {
    pub(super) fn add(&self, rows: usize) {
        self.since.fetch_add(rows as u64, Ordering::Relaxed);
    }

    /// Whether the statistics are due now; if so, the count starts again.
    fn due(&self) -> bool {
        let before = self.before.load(Ordering::Relaxed);
        let since = self.since.load(Ordering::Relaxed);
        if since < ANALYZE_MIN.max(before) {
            return false;
        }
        self.since.fetch_sub(since, Ordering::Relaxed);
        self.before.fetch_add(since, Ordering::Relaxed);
        true
    }

    /// Refreshes the statistics of the tables a bulk load fills, when due, on a connection
    /// whose write has committed. A failure is logged: the write stands.
    pub(super) async fn refresh(&self, conn: &deadpool_postgres::Client) {
        if !self.due() {
            return;
        }
        if let Err(e) = conn.batch_execute("ANALYZE clients, client_search").await {
            tracing::warn!(error = %map_err(e), "ANALYZE after a bulk load failed");
        }
    }
}

/// The column types of `table`'s `columns`, as the server has them (prepared once per
/// connection through its statement cache): what the binary format must encode.
async fn column_types(
    tx: &deadpool_postgres::Transaction<'_>,
    table: &str,
    columns: &[&str],
) -> StoreResult<Vec<Type>> {
    let sql = format!("SELECT {} FROM {}", quoted(columns), quote(table));
    let stmt = tx.prepare_cached(&sql).await.map_err(map_err)?;
    Ok(stmt.columns().iter().map(|c| c.type_().clone()).collect())
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn quoted(columns: &[&str]) -> String {
    columns
        .iter()
        .map(|c| quote(c))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Starts a binary `COPY` into `table`'s `columns`.
async fn writer(
    tx: &Transaction<'_>,
    table: &str,
    columns: &[&str],
    types: &[Type],
) -> StoreResult<BinaryCopyInWriter> {
    let sql = format!(
        "COPY {} ({}) FROM STDIN (FORMAT binary)",
        quote(table),
        quoted(columns)
    );
    let sink = tx.copy_in(&sql).await.map_err(map_err)?;
    Ok(BinaryCopyInWriter::new(sink, types))
}

/// Copies `rows` into their table; each value is encoded as its column's type, as a bound
/// parameter of an `INSERT` would be (`bind::P`).
pub(super) async fn copy_rows(
    tx: &deadpool_postgres::Transaction<'_>,
    rows: Rows,
) -> StoreResult<u64> {
    let types = column_types(tx, rows.table, rows.columns).await?;
    let writer = writer(tx, rows.table, rows.columns, &types).await?;
    let mut writer = std::pin::pin!(writer);
    for row in rows.values {
        let row: Vec<P> = row.into_iter().map(P).collect();
        writer
            .as_mut()
            .write_raw(row.iter())
            .await
            .map_err(map_err)?;
    }
    writer.finish().await.map_err(map_err)
}

/// Copies the search words of new clients into `client_search` (see `search`).
pub(super) async fn copy_words(
    tx: &deadpool_postgres::Transaction<'_>,
    tenant: TenantId,
    clients: &[(Uuid, &BTreeSet<String>)],
) -> StoreResult<u64> {
    const COLUMNS: [&str; 3] = ["tenant_id", "client_id", "words"];
    let types = column_types(tx, "client_search", &COLUMNS).await?;
    let writer = writer(tx, "client_search", &COLUMNS, &types).await?;
    let mut writer = std::pin::pin!(writer);
    let tenant = tenant.0.to_string();
    for (id, words) in clients {
        let id = id.to_string();
        let row: [&(dyn ToSql + Sync); 3] = [&tenant, &id, &Lexemes(words)];
        writer.as_mut().write(&row).await.map_err(map_err)?;
    }
    writer.finish().await.map_err(map_err)
}

/// Words as a `tsvector` without positions, in the binary format `tsvectorrecv` reads: the
/// count, then each lexeme NUL-terminated with its number of positions (0). What
/// `array_to_tsvector` makes of the same words (the set is sorted and distinct already, as a
/// `tsvector`'s lexemes are).
#[derive(Debug)]
struct Lexemes<'a>(&'a BTreeSet<String>);

impl ToSql for Lexemes<'_> {
    fn to_sql(
        &self,
        _ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        out.put_i32(i32::try_from(self.0.len())?);
        for word in self.0 {
            if word.as_bytes().contains(&0) {
                return Err("a search word holds a NUL character".into());
            }
            out.put_slice(word.as_bytes());
            out.put_u8(0);
            out.put_u16(0);
        }
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::TS_VECTOR
    }

    to_sql_checked!();
}
