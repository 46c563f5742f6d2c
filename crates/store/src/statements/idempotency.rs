//! Idempotency keys: claimed, committed with the write they guard, finished or aborted.

use clientele_core::idempotency::{IdempotencyScope, StoredResponse};
use clientele_core::types::Timestamp;
use sea_query::{
    Cond, DeleteStatement, Expr, InsertStatement, OnConflict, Query, SelectStatement,
    UpdateStatement,
};
use uuid::Uuid;

use super::base::col;

fn idem_scope(q: &mut SelectStatement, s: &IdempotencyScope) {
    q.and_where(Expr::col(col("tenant_id")).eq(s.tenant.0.to_string()))
        .and_where(Expr::col(col("credential_id")).eq(s.credential_id.clone()))
        .and_where(Expr::col(col("key")).eq(s.key.clone()));
}

fn idem_cond(s: &IdempotencyScope) -> Cond {
    Cond::all()
        .add(Expr::col(col("tenant_id")).eq(s.tenant.0.to_string()))
        .add(Expr::col(col("credential_id")).eq(s.credential_id.clone()))
        .add(Expr::col(col("key")).eq(s.key.clone()))
}

pub const IDEM_COLUMNS: [&str; 9] = [
    "request_hash",
    "state",
    "entity_type",
    "entity_id",
    "status",
    "headers",
    "body",
    "created_at",
    "instance",
];

pub fn select_idempotency(s: &IdempotencyScope) -> SelectStatement {
    let mut q = Query::select();
    q.columns(IDEM_COLUMNS.map(col))
        .from(col("idempotency_keys"));
    idem_scope(&mut q, s);
    q
}

pub fn purge_idempotency(s: &IdempotencyScope, older_than: Timestamp) -> DeleteStatement {
    let mut q = Query::delete();
    q.from_table(col("idempotency_keys"))
        .and_where(Expr::col(col("tenant_id")).eq(s.tenant.0.to_string()))
        .and_where(Expr::col(col("credential_id")).eq(s.credential_id.clone()))
        .and_where(Expr::col(col("created_at")).lt(older_than.to_rfc3339()));
    q
}

/// A claim of `instance` (the server instance running the request, see `Tx::instance_gone`).
pub fn claim_idempotency(
    s: &IdempotencyScope,
    hash: [u8; 32],
    now: Timestamp,
    instance: &str,
) -> InsertStatement {
    let mut q = Query::insert();
    q.into_table(col("idempotency_keys"))
        .columns(
            [
                "tenant_id",
                "credential_id",
                "key",
                "request_hash",
                "state",
                "created_at",
                "instance",
            ]
            .map(col),
        )
        .values_panic([
            s.tenant.0.to_string().into(),
            s.credential_id.clone().into(),
            s.key.clone().into(),
            hash.to_vec().into(),
            "in_flight".into(),
            now.to_rfc3339().into(),
            instance.into(),
        ]);
    q
}

/// [`claim_idempotency`], doing nothing when the key is already stored: of concurrent claimants
/// exactly one inserts it.
pub fn claim_idempotency_unless_taken(
    s: &IdempotencyScope,
    hash: [u8; 32],
    now: Timestamp,
    instance: &str,
) -> InsertStatement {
    let mut q = claim_idempotency(s, hash, now, instance);
    q.on_conflict(
        OnConflict::columns([col("tenant_id"), col("credential_id"), col("key")])
            .do_nothing()
            .to_owned(),
    );
    q
}

/// Restarts an abandoned claim (its request died before its write committed) as `instance`'s.
pub fn reclaim_idempotency(
    s: &IdempotencyScope,
    hash: [u8; 32],
    now: Timestamp,
    instance: &str,
) -> UpdateStatement {
    let mut q = Query::update();
    q.table(col("idempotency_keys"))
        .value(col("request_hash"), hash.to_vec())
        .value(col("state"), "in_flight")
        .value(col("entity_type"), Option::<String>::None)
        .value(col("entity_id"), Option::<String>::None)
        .value(col("status"), Option::<i64>::None)
        .value(col("headers"), Option::<String>::None)
        .value(col("body"), Option::<Vec<u8>>::None)
        .value(col("created_at"), now.to_rfc3339())
        .value(col("instance"), instance)
        .cond_where(idem_cond(s));
    q
}

/// In the write's own transaction: the key's write has committed.
pub fn commit_idempotency(
    s: &IdempotencyScope,
    entity_type: &str,
    entity_id: Uuid,
    status: u16,
) -> UpdateStatement {
    let mut q = Query::update();
    q.table(col("idempotency_keys"))
        .value(col("state"), "committed")
        .value(col("entity_type"), entity_type)
        .value(col("entity_id"), entity_id.to_string())
        .value(col("status"), i64::from(status))
        .cond_where(idem_cond(s).add(Expr::col(col("state")).eq("in_flight")));
    q
}

pub fn finish_idempotency(s: &IdempotencyScope, r: &StoredResponse) -> UpdateStatement {
    let headers = serde_json::to_string(&r.headers).unwrap_or_else(|_| "[]".into());
    let mut q = Query::update();
    q.table(col("idempotency_keys"))
        .value(col("state"), "done")
        .value(col("status"), i64::from(r.status))
        .value(col("headers"), headers)
        .value(col("body"), r.body.clone())
        .cond_where(idem_cond(s));
    q
}

pub fn abort_idempotency(s: &IdempotencyScope) -> DeleteStatement {
    let mut q = Query::delete();
    q.from_table(col("idempotency_keys"))
        .cond_where(idem_cond(s).add(Expr::col(col("state")).eq("in_flight")));
    q
}
