//! The connection pool and how the rules run on it: every write in one READ COMMITTED
//! transaction (see the module comment of `postgres` for what makes that enough), retried with
//! bounded backoff when it failed in a way that certainly left nothing behind; every read on a
//! pooled connection, retried likewise.

use std::error::Error as StdError;
use std::str::FromStr;
use std::time::Duration;

use clientele_core::store::StoreResult;
use clientele_core::{credential_check, StoreError};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use super::bind::{is_transient, map_err, query, settled, TRANSIENT};
use super::conn::Pg;
use super::copy::Loaded;
use super::instance::Instance;
use super::migrate;
use crate::counts::CountCache;
use crate::db::{Read, Write};
use crate::engine::Backend;
use crate::statements as sql;

/// Pool size unless the URL says `pool_size=N`.
const DEFAULT_POOL_SIZE: usize = 16;
/// Attempts of one transaction when it fails in a way that is safe to retry.
const MAX_ATTEMPTS: u32 = 4;
/// First backoff; doubled on each retry (25, 50, 100 ms).
const BACKOFF: Duration = Duration::from_millis(25);
/// An eighth of the pool: one tenant's creates write at most that many groups at once, so that
/// under load they gather into groups (about an eighth of the requests waiting each) rather than
/// each taking a connection and a commit of its own, and the rest of the pool stays free for
/// reads and other writes. (At 32 concurrent creates on a pool of 32, 2 or 4 slots gave 1.2-1.3
/// times the creates of 8 slots, and twice those of none: docs/performance.md.)
const CONNECTIONS_PER_GROUP: usize = 8;
/// Our own parameters of the URL (`pool_size`, `create_groups`), taken off before the rest goes
/// to the driver.
#[derive(Debug, PartialEq)]
struct Params {
    pool_size: usize,
    /// `Backend::create_groups`; by default the pool size over `CONNECTIONS_PER_GROUP`.
    create_groups: usize,
}

/// Splits our own parameters off the URL; the rest goes to the driver.
fn split_params(url: &str) -> StoreResult<(String, Params)> {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut size = DEFAULT_POOL_SIZE;
    let mut groups = None;
    let mut rest = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("pool_size", n)) => {
                size = n.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                    StoreError::Other("pool_size must be a positive integer".into())
                })?;
            }
            Some(("create_groups", n)) => {
                groups = Some(n.parse().map_err(|_| {
                    StoreError::Other("create_groups must be a non-negative integer".into())
                })?);
            }
            _ => rest.push(pair),
        }
    }
    let url = if rest.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    let create_groups = groups.unwrap_or((size / CONNECTIONS_PER_GROUP).max(1));
    Ok((
        url,
        Params {
            pool_size: size,
            create_groups,
        },
    ))
}

/// The PostgreSQL backend: a pool of connections, the instance's lock (`instance`), and the
/// list totals it remembers.
pub struct PgBackend {
    pool: Pool,
    /// Groups of one tenant's creates written at once (`Backend::create_groups`).
    create_groups: usize,
    instance: Instance,
    counts: CountCache,
    loaded: Loaded,
}

impl PgBackend {
    /// Prepares the pool; connections are made on first use. Call `Store::migrate` before use.
    pub(super) fn open(url: &str) -> StoreResult<Self> {
        let (url, params) = split_params(url)?;
        let mut config = tokio_postgres::Config::from_str(&url)
            .map_err(|e| StoreError::Other(format!("invalid PostgreSQL URL: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(3));
        }
        if config.get_application_name().is_none() {
            config.application_name("clientele");
        }
        let instance = Instance::new(config.clone());
        if config.get_options().is_none() {
            // Every statement is planned for its values: a generic plan of a list cannot see
            // how rare a search's words are (the `tsquery` is a parameter), and walks an order
            // index probing every client for a word that one client has (seconds at 1M).
            config.options("-c plan_cache_mode=force_custom_plan");
        }
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(params.pool_size)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(Duration::from_secs(10)))
            .create_timeout(Some(Duration::from_secs(5)))
            .recycle_timeout(Some(Duration::from_secs(5)))
            .build()
            .map_err(|e| StoreError::Other(format!("cannot build the connection pool: {e}")))?;
        Ok(Self {
            pool,
            create_groups: params.create_groups,
            instance,
            counts: CountCache::default(),
            loaded: Loaded::default(),
        })
    }

    async fn conn(&self) -> StoreResult<deadpool_postgres::Client> {
        let started = std::time::Instant::now();
        let got = self.pool.get().await;
        crate::metrics::pg_pool(self.pool.status(), started.elapsed(), got.is_err());
        got.map_err(|e| {
            StoreError::Unavailable(format!(
                "{TRANSIENT}cannot connect to PostgreSQL: {}",
                pool_error_reason(&e)
            ))
        })
    }

    /// Runs `op` in one transaction, retried with bounded backoff when it fails in a way that
    /// certainly left nothing behind (serialization failure, deadlock, a connection lost before
    /// `COMMIT` was sent). A connection lost during `COMMIT` is not retried: its outcome is
    /// unknown, and the caller gets 503 (an `Idempotency-Key` makes the client's retry safe).
    async fn transaction<W: Write>(&self, op: &W) -> StoreResult<W::Output> {
        let mut delay = BACKOFF;
        let mut attempt = 1;
        loop {
            match self.transaction_once(op).await {
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

    async fn transaction_once<W: Write>(&self, op: &W) -> StoreResult<W::Output> {
        let mut conn = self.conn().await?;
        let tx = conn.transaction().await.map_err(map_err)?;
        let out = op.run(&Pg(&tx, &self.counts, &self.loaded)).await?;
        tx.commit().await.map_err(|e| {
            if e.code().is_some() {
                map_err(e)
            } else {
                // The connection broke during COMMIT: the outcome is unknown, so never retry.
                StoreError::Unavailable(format!("connection lost during commit: {e}"))
            }
        })?;
        self.loaded.refresh(&conn).await;
        Ok(out)
    }

    /// Runs `op` on a pooled connection, retried like a write (a read is always safe to retry).
    async fn on_reader<R: Read>(&self, op: &R) -> StoreResult<R::Output> {
        let mut delay = BACKOFF;
        let mut attempt = 1;
        loop {
            let r = match self.conn().await {
                Ok(conn) if credential_check::wanted() => {
                    // Confirms the request's cached API key in this read's round trip: both
                    // statements are sent together on the one connection (pipelined).
                    let (check, db) = (
                        sql::auth_generation(),
                        Pg(&conn, &self.counts, &self.loaded),
                    );
                    let (generation, r) = tokio::join!(query(&conn, &check), op.run(&db));
                    let generation = generation
                        .ok()
                        .and_then(|rows| rows.first()?.try_get(0).ok());
                    if let Some(g) = generation {
                        credential_check::observe(g);
                    }
                    r
                }
                Ok(conn) => op.run(&Pg(&conn, &self.counts, &self.loaded)).await,
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

impl Backend for PgBackend {
    async fn write<W: Write>(&self, op: W) -> StoreResult<W::Output> {
        self.transaction(&op).await
    }

    async fn read<R: Read>(&self, op: R) -> StoreResult<R::Output> {
        self.on_reader(&op).await
    }

    async fn migrate(&self) -> StoreResult<u32> {
        let mut conn = self.conn().await.map_err(settled)?;
        migrate::migrate(&mut conn).await.map_err(settled)
    }

    async fn ping(&self) -> StoreResult<()> {
        let conn = self.conn().await.map_err(settled)?;
        conn.simple_query("SELECT 1")
            .await
            .map(|_| ())
            .map_err(|e| settled(map_err(e)))
    }

    async fn instance(&self) -> StoreResult<String> {
        self.instance.id().await.map_err(settled)
    }

    async fn close(&self) -> StoreResult<()> {
        // Every acknowledged write is already committed; this only ends the connections.
        self.pool.close();
        self.instance.release().await;
        Ok(())
    }

    fn defers_credential_check(&self) -> bool {
        true
    }

    fn create_groups(&self) -> usize {
        self.create_groups
    }
}

/// Why no connection could be had, once: deadpool's and the driver's wrappers ("Error occurred
/// while creating a new object", "error connecting to server") each repeat their cause's text.
fn pool_error_reason(e: &deadpool_postgres::PoolError) -> String {
    use deadpool_postgres::PoolError;
    let cause: &(dyn StdError + 'static) = match e {
        // The driver's error names only its kind; the reason is its source, when it has one.
        PoolError::Backend(driver) => driver.source().unwrap_or(driver),
        other => other,
    };
    let mut msg = cause.to_string();
    let mut source = cause.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !msg.ends_with(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
        }
        source = s.source();
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_parameters_are_taken_off_the_url() {
        let params = |pool_size, create_groups| Params {
            pool_size,
            create_groups,
        };
        let (url, p) =
            split_params("postgres://u@h/db?pool_size=32&sslmode=disable").expect("parses");
        assert_eq!(
            (url.as_str(), p),
            ("postgres://u@h/db?sslmode=disable", params(32, 4))
        );
        let (url, p) = split_params("postgres://u@h/db").expect("parses");
        let default_groups = DEFAULT_POOL_SIZE / CONNECTIONS_PER_GROUP;
        assert_eq!(
            (url.as_str(), p),
            (
                "postgres://u@h/db",
                params(DEFAULT_POOL_SIZE, default_groups)
            )
        );
        let (url, p) =
            split_params("postgres://u@h/db?pool_size=2&create_groups=0").expect("parses");
        assert_eq!((url.as_str(), p), ("postgres://u@h/db", params(2, 0)));
        assert_eq!(
            split_params("postgres://u@h/db?pool_size=2")
                .expect("parses")
                .1,
            params(2, 1)
        );
        assert!(split_params("postgres://u@h/db?pool_size=0").is_err());
        assert!(split_params("postgres://u@h/db?create_groups=-1").is_err());
    }
}
