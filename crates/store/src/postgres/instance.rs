//! This server instance, as other instances on the same database see it: a random key whose
//! session-level advisory lock one dedicated connection holds for as long as the instance runs.
//! Its in-flight idempotency claims record the key; another instance that can take the lock
//! (`Tx::instance_gone`) knows the claim's server died (or lost its database session) and takes
//! the claim over at once, instead of waiting for it to age out.

use clientele_core::store::StoreResult;
use clientele_core::StoreError;
use tokio::sync::Mutex;
use tokio_postgres::NoTls;

use super::bind::map_err;

/// Attempts at a key nobody holds (a collision of random 64-bit keys is all but impossible).
const KEY_ATTEMPTS: usize = 4;

pub(super) struct Instance {
    config: tokio_postgres::Config,
    held: Mutex<Option<Held>>,
}

/// The lock's connection (the lock lasts as long as its session) and its key.
struct Held {
    key: i64,
    client: tokio_postgres::Client,
}

impl Instance {
    /// Nothing is connected until the first claim ([`Instance::id`]).
    pub(super) fn new(config: tokio_postgres::Config) -> Self {
        Self {
            config,
            held: Mutex::new(None),
        }
    }

    /// This instance's id, recorded with its claims: the key of the lock it holds. (Re)takes the
    /// lock first when it is not held (first use, or its connection was lost: claims recorded
    /// under the old key may then have been taken over, as the instance looked gone.)
    pub(super) async fn id(&self) -> StoreResult<String> {
        let mut held = self.held.lock().await;
        if let Some(h) = held.as_ref().filter(|h| !h.client.is_closed()) {
            return Ok(h.key.to_string());
        }
        *held = None;
        let (client, connection) = self.config.connect(NoTls).await.map_err(map_err)?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!(error = %e, "the instance lock's connection ended");
            }
        });
        for _ in 0..KEY_ATTEMPTS {
            let key = random_key()?;
            let row = client
                .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
                .await
                .map_err(map_err)?;
            if row.get::<_, bool>(0) {
                *held = Some(Held { key, client });
                return Ok(key.to_string());
            }
        }
        Err(StoreError::Other(
            "no free advisory lock key for this instance".into(),
        ))
    }

    /// Releases the lock and ends its session: the instance is gone for the others as soon as
    /// this returns.
    pub(super) async fn release(&self) {
        if let Some(h) = self.held.lock().await.take() {
            let _ = h
                .client
                .execute("SELECT pg_advisory_unlock($1)", &[&h.key])
                .await;
        }
    }
}

fn random_key() -> StoreResult<i64> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes)
        .map_err(|e| StoreError::Other(format!("no randomness for the instance key: {e}")))?;
    Ok(i64::from_le_bytes(bytes))
}
