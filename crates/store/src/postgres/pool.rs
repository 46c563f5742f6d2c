//! The connection pool, transactions with bounded retries, and error classification.

use std::error::Error as StdError;
use std::str::FromStr;
use std::time::Duration;

use clientele_core::store::StoreResult;
use clientele_core::{StoreError, TenantId};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use sea_query::{Expr, LockType, Query};
use tokio_postgres::error::SqlState;
use tokio_postgres::NoTls;

use super::bind::fetch;
use super::{Fut, PgStore, Tx};
use crate::statements::col;

/// Pool size unless the URL says `pool_size=N`.
const DEFAULT_POOL_SIZE: usize = 16;
/// Attempts of one transaction when it fails in a way that is safe to retry.
const MAX_ATTEMPTS: u32 = 4;
/// First backoff; doubled on each retry (25, 50, 100 ms).
const BACKOFF: Duration = Duration::from_millis(25);
/// Marks a store error that left nothing behind and may be retried.
const TRANSIENT: &str = "transient: ";

/// Splits our own `pool_size` parameter off the URL; the rest goes to the driver.
pub(super) fn split_pool_size(url: &str) -> StoreResult<(String, usize)> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_string(), DEFAULT_POOL_SIZE));
    };
    let mut size = DEFAULT_POOL_SIZE;
    let mut rest = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("pool_size", n)) => {
                size = n.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                    StoreError::Other("pool_size must be a positive integer".into())
                })?;
            }
            _ => rest.push(pair),
        }
    }
    let url = if rest.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    Ok((url, size))
}

impl PgStore {
    /// Prepares the pool; connections are made on first use. Call [`Store::migrate`] before use.
    pub fn open(url: &str) -> StoreResult<Self> {
        let (url, size) = split_pool_size(url)?;
        let mut config = tokio_postgres::Config::from_str(&url)
            .map_err(|e| StoreError::Other(format!("invalid PostgreSQL URL: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(3));
        }
        if config.get_application_name().is_none() {
            config.application_name("clientele");
        }
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(size)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(Duration::from_secs(10)))
            .create_timeout(Some(Duration::from_secs(5)))
            .recycle_timeout(Some(Duration::from_secs(5)))
            .build()
            .map_err(|e| StoreError::Other(format!("cannot build the connection pool: {e}")))?;
        Ok(Self { pool })
    }

    pub(super) async fn conn(&self) -> StoreResult<deadpool_postgres::Client> {
        self.pool.get().await.map_err(|e| {
            let mut msg = format!("{TRANSIENT}cannot connect to PostgreSQL: {e}");
            let mut source = e.source();
            while let Some(s) = source {
                msg.push_str(&format!(": {s}"));
                source = s.source();
            }
            StoreError::Unavailable(msg)
        })
    }

    /// Runs `f` in one transaction, retried with bounded backoff when it fails in a way that
    /// certainly left nothing behind (serialization failure, deadlock, a connection lost before
    /// `COMMIT` was sent). A connection lost during `COMMIT` is not retried: its outcome is
    /// unknown, and the caller gets 503 (an `Idempotency-Key` makes the client's retry safe).
    /// `lock` names the tenant whose row is locked first (see the module comment).
    pub(super) async fn write<T, F>(&self, lock: Option<TenantId>, f: F) -> StoreResult<T>
    where
        T: Send,
        F: for<'a> Fn(&'a Tx<'a>) -> Fut<'a, T> + Send + Sync,
    {
        let mut delay = BACKOFF;
        let mut attempt = 1;
        loop {
            match self.write_once(lock, &f).await {
                Err(e) if is_transient(&e) && attempt < MAX_ATTEMPTS => {
                    tracing::debug!(error = %e, attempt, "retrying a transaction");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                    attempt += 1;
                }
                other => return other.map_err(settled),
            }
        }
    }

    async fn write_once<T, F>(&self, lock: Option<TenantId>, f: &F) -> StoreResult<T>
    where
        T: Send,
        F: for<'a> Fn(&'a Tx<'a>) -> Fut<'a, T> + Send + Sync,
    {
        let mut conn = self.conn().await?;
        let tx = conn.transaction().await.map_err(map_err)?;
        if let Some(tenant) = lock {
            lock_tenant(&tx, tenant).await?;
        }
        let out = f(&tx).await?;
        tx.commit().await.map_err(|e| {
            if e.code().is_some() {
                map_err(e)
            } else {
                // The connection broke during COMMIT: the outcome is unknown, so never retry.
                StoreError::Unavailable(format!("connection lost during commit: {e}"))
            }
        })?;
        Ok(out)
    }

    /// Runs a read on a pooled connection, retried like a write (a read is always safe to retry).
    pub(super) async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send,
        F: for<'a> Fn(&'a deadpool_postgres::Client) -> Fut<'a, T> + Send + Sync,
    {
        let mut delay = BACKOFF;
        let mut attempt = 1;
        loop {
            let r = match self.conn().await {
                Ok(conn) => f(&conn).await,
                Err(e) => Err(e),
            };
            match r {
                Err(e) if is_transient(&e) && attempt < MAX_ATTEMPTS => {
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                    attempt += 1;
                }
                other => return other.map_err(settled),
            }
        }
    }
}

/// The error as callers see it: the retry marker is internal.
pub(super) fn settled(e: StoreError) -> StoreError {
    match e {
        StoreError::Unavailable(m) => {
            StoreError::Unavailable(m.trim_start_matches(TRANSIENT).to_string())
        }
        other => other,
    }
}

fn is_transient(e: &StoreError) -> bool {
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

pub(super) async fn lock_tenant(tx: &Tx<'_>, tenant: TenantId) -> StoreResult<()> {
    let mut q = Query::select();
    q.expr(Expr::cust("1"))
        .from(col("tenants"))
        .and_where(Expr::col(col("id")).eq(tenant.0.to_string()))
        .lock(LockType::Update);
    fetch(tx, &q).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_size_is_taken_off_the_url() {
        let (url, n) =
            split_pool_size("postgres://u@h/db?pool_size=4&sslmode=disable").expect("parses");
        assert_eq!((url.as_str(), n), ("postgres://u@h/db?sslmode=disable", 4));
        let (url, n) = split_pool_size("postgres://u@h/db").expect("parses");
        assert_eq!((url.as_str(), n), ("postgres://u@h/db", DEFAULT_POOL_SIZE));
        assert!(split_pool_size("postgres://u@h/db?pool_size=0").is_err());
    }
}
