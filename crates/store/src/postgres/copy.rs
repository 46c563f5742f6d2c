//! Bulk writes through `COPY ... FROM STDIN (FORMAT binary)`: the rows of a bulk load (clients,
//! their search words, their audit records) go to the server as one stream per table, with no
//! statement to parse and no parameter limit, instead of multi-row `INSERT`s. `COPY` runs in the
//! write's transaction and fires the tables' triggers (the counts, migration 0012) and checks
//! their constraints as an `INSERT` does; defaults (an audit record's `seq`) are filled in as
//! well. A few rows take an `INSERT`: a `COPY` costs one round trip more.

use std::collections::BTreeSet;
use std::error::Error as StdError;

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
    let types = column_types(tx, rows.table, &rows.columns).await?;
    let writer = writer(tx, rows.table, &rows.columns, &types).await?;
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
