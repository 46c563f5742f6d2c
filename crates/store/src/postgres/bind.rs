//! Binding sea-query values to tokio-postgres parameters, running statements through the
//! pool's statement cache, and reading rows.

use std::error::Error as StdError;

use async_trait::async_trait;
use bytes::BytesMut;
use clientele_core::store::StoreResult;
use clientele_core::StoreError;
use sea_query::{PostgresQueryBuilder, QueryStatementWriter, Value};
use tokio_postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use tokio_postgres::Row;

use super::{map_err, Tx};
use crate::columns::RowSource;

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

pub(super) fn build(stmt: &impl QueryStatementWriter) -> (String, Vec<P>) {
    let (sql, values) = stmt.build(PostgresQueryBuilder);
    (sql, values.into_iter().map(P).collect())
}

/// A pooled connection or a transaction: both prepare through the pool's statement cache.
#[async_trait]
pub(super) trait Db: Sync {
    async fn rows(&self, sql: &str, params: &[P]) -> Result<Vec<Row>, tokio_postgres::Error>;
    async fn run(&self, sql: &str, params: &[P]) -> Result<u64, tokio_postgres::Error>;
}

fn refs(params: &[P]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

/// Prepared statements kept per connection. Lists make a new statement text per shape of
/// filter, so the cache is emptied when it reaches this size rather than growing forever.
const MAX_CACHED_STATEMENTS: usize = 512;

fn bound_cache(cache: &deadpool_postgres::StatementCache) {
    if cache.size() >= MAX_CACHED_STATEMENTS {
        cache.clear();
    }
}

#[async_trait]
impl Db for deadpool_postgres::Client {
    async fn rows(&self, sql: &str, params: &[P]) -> Result<Vec<Row>, tokio_postgres::Error> {
        bound_cache(&self.statement_cache);
        let st = self.prepare_cached(sql).await?;
        self.query(&st, &refs(params)).await
    }
    async fn run(&self, sql: &str, params: &[P]) -> Result<u64, tokio_postgres::Error> {
        bound_cache(&self.statement_cache);
        let st = self.prepare_cached(sql).await?;
        self.execute(&st, &refs(params)).await
    }
}

#[async_trait]
impl Db for Tx<'_> {
    async fn rows(&self, sql: &str, params: &[P]) -> Result<Vec<Row>, tokio_postgres::Error> {
        bound_cache(&self.statement_cache);
        let st = self.prepare_cached(sql).await?;
        self.query(&st, &refs(params)).await
    }
    async fn run(&self, sql: &str, params: &[P]) -> Result<u64, tokio_postgres::Error> {
        bound_cache(&self.statement_cache);
        let st = self.prepare_cached(sql).await?;
        self.execute(&st, &refs(params)).await
    }
}

pub(super) async fn fetch<D: Db + ?Sized>(
    db: &D,
    stmt: &impl QueryStatementWriter,
) -> StoreResult<Vec<Row>> {
    let (sql, params) = build(stmt);
    db.rows(&sql, &params).await.map_err(map_err)
}

pub(super) async fn exec<D: Db + ?Sized>(
    db: &D,
    stmt: &impl QueryStatementWriter,
) -> StoreResult<u64> {
    let (sql, params) = build(stmt);
    db.run(&sql, &params).await.map_err(map_err)
}

pub(super) async fn count<D: Db + ?Sized>(
    db: &D,
    stmt: &impl QueryStatementWriter,
) -> StoreResult<i64> {
    let rows = fetch(db, stmt).await?;
    let row = rows
        .first()
        .ok_or_else(|| StoreError::Other("count returned no row".into()))?;
    PgRow { row, i: 0 }
        .int()?
        .ok_or_else(|| StoreError::Other("count returned null".into()))
}

pub(super) async fn exists<D: Db + ?Sized>(
    db: &D,
    stmt: &impl QueryStatementWriter,
) -> StoreResult<bool> {
    Ok(!fetch(db, stmt).await?.is_empty())
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
}
