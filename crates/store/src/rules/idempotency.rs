//! Idempotency keys. A request with an `Idempotency-Key` claims it first ([`Begin`]); its write
//! marks it committed in the write's own transaction ([`commit`]), so a retry after a crash can
//! never write twice; the response is recorded afterwards ([`Finish`]) or the claim released
//! ([`Abort`]).

use clientele_core::idempotency::{
    IdempotencyBegin, IdempotencyScope, StoredResponse, IN_FLIGHT_TIMEOUT_SECONDS,
    RETENTION_SECONDS,
};
use clientele_core::store::StoreResult;
use clientele_core::types::Timestamp;
use clientele_core::{StoreError, TenantId, WriteCtx};
use sea_query::LockType;
use uuid::Uuid;

use crate::columns::RowSource;
use crate::db::{Tx, Write};
use crate::statements as sql;

/// In the write's transaction: the idempotency key (if any) now points at what was written.
pub async fn commit<X: Tx>(
    tx: &X,
    ctx: &WriteCtx,
    entity_type: &str,
    entity_id: Uuid,
    status: u16,
) -> StoreResult<()> {
    if let Some(scope) = &ctx.idempotency {
        tx.exec(&sql::commit_idempotency(
            scope,
            entity_type,
            entity_id,
            status,
        ))
        .await?;
    }
    Ok(())
}

/// A stored key, as selected with [`sql::IDEM_COLUMNS`].
struct Stored {
    hash: Vec<u8>,
    state: String,
    entity_type: Option<String>,
    entity_id: Option<String>,
    status: Option<i64>,
    headers: Option<String>,
    body: Option<Vec<u8>>,
    created_at: String,
    instance: Option<String>,
}

fn decode_stored(r: &mut dyn RowSource) -> StoreResult<Stored> {
    Ok(Stored {
        hash: r.bytes()?.unwrap_or_default(),
        state: r.text()?.unwrap_or_default(),
        entity_type: r.text()?,
        entity_id: r.text()?,
        status: r.int()?,
        headers: r.text()?,
        body: r.bytes()?,
        created_at: r.text()?.unwrap_or_default(),
        instance: r.text()?,
    })
}

/// `Store::idempotency_begin`.
pub struct Begin {
    pub scope: IdempotencyScope,
    pub hash: [u8; 32],
    pub now: Timestamp,
    /// The server instance that claims the key (`Backend::instance`).
    pub instance: String,
}

impl Write for Begin {
    type Output = IdempotencyBegin;

    fn tenant(&self) -> Option<TenantId> {
        None
    }

    async fn run<X: Tx>(&self, tx: &X) -> StoreResult<IdempotencyBegin> {
        let Self {
            scope,
            hash,
            now,
            instance,
        } = self;
        let started = Ok(IdempotencyBegin::Started);
        tx.exec(&sql::purge_idempotency(
            scope,
            now.plus_seconds(-RETENTION_SECONDS),
        ))
        .await?;
        // Atomic across instances: exactly one concurrent claimant inserts the row.
        if tx
            .exec(&sql::claim_idempotency_unless_taken(
                scope, *hash, *now, instance,
            ))
            .await?
            == 1
        {
            return started;
        }
        let mut select = sql::select_idempotency(scope);
        select.lock(LockType::Update);
        let Some(stored) = tx.first(&select, decode_stored).await? else {
            // Purged by someone else between the insert and the select: claim it again.
            tx.exec(&sql::claim_idempotency(scope, *hash, *now, instance))
                .await?;
            return started;
        };
        if stored.hash != hash {
            return Ok(IdempotencyBegin::Mismatch);
        }
        let status = stored
            .status
            .and_then(|s| u16::try_from(s).ok())
            .unwrap_or(200);
        match stored.state.as_str() {
            "done" => {
                let headers: Vec<(String, String)> =
                    serde_json::from_str(&stored.headers.unwrap_or_default()).unwrap_or_default();
                Ok(IdempotencyBegin::Replay(StoredResponse {
                    status,
                    headers,
                    body: stored.body.unwrap_or_default(),
                }))
            }
            "committed" => {
                let entity_id =
                    Uuid::parse_str(&stored.entity_id.unwrap_or_default()).map_err(|_| {
                        StoreError::Other("stored idempotency entity is invalid".into())
                    })?;
                Ok(IdempotencyBegin::Committed {
                    entity_type: stored.entity_type.unwrap_or_else(|| "client".into()),
                    entity_id,
                    status,
                })
            }
            _ => {
                // Abandoned: its request died before its write committed. Either its instance
                // is gone (the server died: taken over at once), or it is a request of a live
                // instance that ended without releasing the key (cut off by the request
                // timeout): taken over once it is older than any request can run.
                let timeout = now.plus_seconds(-IN_FLIGHT_TIMEOUT_SECONDS).to_rfc3339();
                let abandoned = match stored.instance.as_deref() {
                    Some(holder) if holder != instance => tx.instance_gone(holder).await?,
                    _ => false,
                } || stored.created_at < timeout;
                if abandoned {
                    tx.exec(&sql::reclaim_idempotency(scope, *hash, *now, instance))
                        .await?;
                    started
                } else {
                    Ok(IdempotencyBegin::InFlight)
                }
            }
        }
    }
}

/// `Store::idempotency_finish`.
pub struct Finish {
    pub scope: IdempotencyScope,
    pub response: StoredResponse,
}

impl Write for Finish {
    type Output = ();

    fn tenant(&self) -> Option<TenantId> {
        None
    }

    async fn run<X: Tx>(&self, tx: &X) -> StoreResult<()> {
        tx.exec(&sql::finish_idempotency(&self.scope, &self.response))
            .await?;
        Ok(())
    }
}

/// `Store::idempotency_abort`.
pub struct Abort(pub IdempotencyScope);

impl Write for Abort {
    type Output = ();

    fn tenant(&self) -> Option<TenantId> {
        None
    }

    async fn run<X: Tx>(&self, tx: &X) -> StoreResult<()> {
        tx.exec(&sql::abort_idempotency(&self.0)).await?;
        Ok(())
    }
}
