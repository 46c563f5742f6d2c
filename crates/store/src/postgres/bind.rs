//! The tokio-postgres boundary: sea-query values bound as parameters, statements run through the
//! connection's statement cache, rows read column by column, driver errors classified.

use std::error::Error as StdError;

use bytes::BytesMut;
use clientele_core::store::StoreResult;
use clientele_core::StoreError;
use deadpool_postgres::{GenericClient, StatementCache};
use sea_query::{PostgresQueryBuilder, Value};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use tokio_postgres::Row;

use crate::columns::{Columns, RowSource};
use crate::statements::Statement;

// ---- errors -------------------------------------------------------------------------------------

/// Marks a store error that left nothing behind and may be retried.
pub(super) const TRANSIENT: &str = "transient: ";

/// The error as callers see it: the retry marker is internal.
pub(super) fn settled(e: StoreError) -> StoreError {
    match e {
        StoreError::Unavailable(m) => {
            StoreError::Unavailable(m.trim_start_matches(TRANSIENT).to_string())
        }
        other => other,
    }
}

pub(super) fn is_transient(e: &StoreError) -> bool {
    matches!(e, StoreError::Unavailable(m) if m.starts_with(TRANSIENT))
}

/// Classifies a driver error. Messages never carry SQL or values.
pub(super) fn map_err(e: tokio_postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error() {
        let code = db.code();
        if *code == SqlState::T_R_SERIALIZATION_FAILURE || *code == SqlState::T_R_DEADLOCK_DETECTED
        {
            return StoreError::Unavailable(format!("{TRANSIENT}{}", db.message()));
        }
        if *code == SqlState::UNIQUE_VIOLATION {
            if db.constraint() == Some("clients_tenant_rid") {
                // Two parallel creates met on a creation sequence (`rules::sequences`): the
                // retry takes another millisecond.
                return StoreError::Unavailable(format!("{TRANSIENT}{}", db.message()));
            }
            let key = match db.constraint() {
                Some(c) if c.contains("external_id") => "external_id",
                Some(c) if c.starts_with("tenants_name") => "name",
                _ => "key",
            };
            return StoreError::Conflict(key.into());
        }
        let class = &code.code()[..2];
        // 08: connection exception, 53: insufficient resources, 57P0x: shutdown / cannot connect.
        if class == "08" || class == "53" || code.code().starts_with("57P0") {
            return StoreError::Unavailable(format!("{TRANSIENT}{}", db.message()));
        }
        return StoreError::Other(format!("{}: {}", code.code(), db.message()));
    }
    if e.is_closed() || e.source().is_some_and(|s| s.is::<std::io::Error>()) {
        return StoreError::Unavailable(format!("{TRANSIENT}connection lost: {e}"));
    }
    StoreError::Other(e.to_string())
}

// ---- binding sea-query values ----------------------------------------------------------------

/// A sea-query value bound to whatever type the server inferred for its parameter: an integer
/// literal compared with a BIGINT column binds as INT8, `SELECT $1` (text) as text, and so on.
/// The shared statements thus need no PostgreSQL-specific casts.
#[derive(Debug)]
pub(super) struct P(pub(super) Value);

impl ToSql for P {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        let int: Option<Option<i64>> = match &self.0 {
            Value::TinyInt(v) => Some(v.map(i64::from)),
            Value::SmallInt(v) => Some(v.map(i64::from)),
            Value::Int(v) => Some(v.map(i64::from)),
            Value::BigInt(v) => Some(*v),
            Value::TinyUnsigned(v) => Some(v.map(i64::from)),
            Value::SmallUnsigned(v) => Some(v.map(i64::from)),
            Value::Unsigned(v) => Some(v.map(i64::from)),
            Value::BigUnsigned(v) => Some(v.map(|n| i64::try_from(n).unwrap_or(i64::MAX))),
            _ => None,
        };
        if let Some(n) = int {
            let Some(n) = n else {
                return Ok(IsNull::Yes);
            };
            return match *ty {
                Type::INT2 => i16::try_from(n)?.to_sql(ty, out),
                Type::INT4 => i32::try_from(n)?.to_sql(ty, out),
                Type::INT8 => n.to_sql(ty, out),
                Type::FLOAT8 => (n as f64).to_sql(ty, out),
                Type::BOOL => (n != 0).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR => n.to_string().to_sql(ty, out),
                // Never send text where the server expects another binary format.
                _ => Err(format!("cannot bind an integer as {ty}").into()),
            };
        }
        match &self.0 {
            Value::Bool(None)
            | Value::Float(None)
            | Value::Double(None)
            | Value::String(None)
            | Value::Char(None)
            | Value::Bytes(None) => Ok(IsNull::Yes),
            Value::Bool(Some(b)) => match *ty {
                Type::BOOL => b.to_sql(ty, out),
                Type::INT8 => i64::from(*b).to_sql(ty, out),
                Type::INT4 => i32::from(*b).to_sql(ty, out),
                _ => b.to_string().to_sql(ty, out),
            },
            Value::Float(Some(f)) => f64::from(*f).to_sql(ty, out),
            Value::Double(Some(f)) => match *ty {
                Type::FLOAT4 => (*f as f32).to_sql(ty, out),
                _ => f.to_sql(ty, out),
            },
            Value::String(Some(s)) => s.as_str().to_sql(ty, out),
            Value::Char(Some(c)) => c.to_string().to_sql(ty, out),
            Value::Bytes(Some(b)) => b.as_slice().to_sql(ty, out),
            other => Err(format!("unsupported parameter value {other:?}").into()),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn build<S: Statement>(stmt: &S) -> (String, Vec<P>) {
    let (sql, values) = stmt.build(PostgresQueryBuilder);
    (sql, values.into_iter().map(P).collect())
}

/// A pooled connection or a transaction: both prepare through the connection's statement cache.
pub(super) trait Conn: GenericClient {
    fn statement_cache(&self) -> &StatementCache;
}

impl Conn for deadpool_postgres::Client {
    fn statement_cache(&self) -> &StatementCache {
        &self.statement_cache
    }
}

impl Conn for deadpool_postgres::Transaction<'_> {
    fn statement_cache(&self) -> &StatementCache {
        &self.statement_cache
    }
}

/// Prepared statements kept per connection. Lists make a new statement text per shape of
/// filter, so the cache is emptied when it reaches this size rather than growing forever.
const MAX_CACHED_STATEMENTS: usize = 512;

/// Builds and prepares a statement (through the cache), and binds its values.
async fn prepare<C: Conn, S: Statement>(
    c: &C,
    stmt: &S,
) -> StoreResult<(tokio_postgres::Statement, Vec<P>)> {
    let (sql, params) = build(stmt);
    if let Some(label) = stmt.label() {
        // Statement text only: values are bound and never part of it.
        tracing::debug!(%sql, "{label}");
    }
    let cache = c.statement_cache();
    if cache.size() >= MAX_CACHED_STATEMENTS {
        cache.clear();
    }
    let prepared = c.prepare_cached(&sql).await.map_err(map_err)?;
    Ok((prepared, params))
}

fn refs(params: &[P]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

/// Every row a statement returns.
pub(super) async fn query<C: Conn, S: Statement>(c: &C, stmt: &S) -> StoreResult<Vec<Row>> {
    let (prepared, params) = prepare(c, stmt).await?;
    c.query(&prepared, &refs(&params)).await.map_err(map_err)
}

/// Runs a statement; how many rows it changed.
pub(super) async fn execute<C: Conn, S: Statement>(c: &C, stmt: &S) -> StoreResult<u64> {
    let (prepared, params) = prepare(c, stmt).await?;
    c.execute(&prepared, &refs(&params)).await.map_err(map_err)
}

// ---- row decoding ---------------------------------------------------------------------------

pub(super) struct PgRow<'a> {
    pub(super) row: &'a Row,
    pub(super) i: usize,
}

impl PgRow<'_> {
    fn next<'r, T: tokio_postgres::types::FromSql<'r>>(&'r mut self) -> StoreResult<Option<T>> {
        let i = self.i;
        self.i += 1;
        self.row
            .try_get::<_, Option<T>>(i)
            .map_err(|e| StoreError::Other(format!("column {i}: {e}")))
    }

    fn ty(&self) -> Option<Type> {
        self.row.columns().get(self.i).map(|c| c.type_().clone())
    }
}

impl RowSource for PgRow<'_> {
    fn text(&mut self) -> StoreResult<Option<String>> {
        self.next()
    }
    fn int(&mut self) -> StoreResult<Option<i64>> {
        match self.ty() {
            Some(Type::INT2) => Ok(self.next::<i16>()?.map(i64::from)),
            Some(Type::INT4) => Ok(self.next::<i32>()?.map(i64::from)),
            _ => self.next(),
        }
    }
    fn float(&mut self) -> StoreResult<Option<f64>> {
        match self.ty() {
            Some(Type::FLOAT4) => Ok(self.next::<f32>()?.map(f64::from)),
            _ => self.next(),
        }
    }
    fn boolean(&mut self) -> StoreResult<Option<bool>> {
        self.next()
    }
    fn bytes(&mut self) -> StoreResult<Option<Vec<u8>>> {
        let v: Option<&[u8]> = self.next()?;
        Ok(v.map(<[u8]>::to_vec))
    }
    fn borrowed(
        &mut self,
        f: &mut dyn FnMut(&mut dyn Columns<'_>) -> StoreResult<()>,
    ) -> StoreResult<()> {
        f(self)
    }
}

/// Text borrowed from the row.
impl<'a> Columns<'a> for PgRow<'a> {
    fn text(&mut self) -> StoreResult<Option<&'a str>> {
        let i = self.i;
        self.i += 1;
        let row: &'a Row = self.row;
        row.try_get::<_, Option<&'a str>>(i)
            .map_err(|e| StoreError::Other(format!("column {i}: {e}")))
    }
    fn int(&mut self) -> StoreResult<Option<i64>> {
        RowSource::int(self)
    }
    fn float(&mut self) -> StoreResult<Option<f64>> {
        RowSource::float(self)
    }
    fn boolean(&mut self) -> StoreResult<Option<bool>> {
        RowSource::boolean(self)
    }
    fn skip(&mut self) {
        self.i += 1;
    }
}
