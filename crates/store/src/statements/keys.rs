//! API keys.

use clientele_core::types::Timestamp;
use clientele_core::TenantId;
use sea_query::{Expr, InsertStatement, Order, Query, SelectStatement, UpdateStatement};
use uuid::Uuid;

use super::base::{col, tenant_cond, Shaped};
use super::tenants::TENANT_COLUMNS;

pub const KEY_COLUMNS: [&str; 8] = [
    "id",
    "tenant_id",
    "name",
    "prefix",
    "permissions",
    "rate_limit",
    "created_at",
    "revoked_at",
];

pub struct KeyRow<'a> {
    pub id: Uuid,
    pub tenant: TenantId,
    pub name: Option<&'a str>,
    pub prefix: &'a str,
    pub hash: [u8; 32],
    pub permissions: String,
    pub rate_limit: Option<String>,
    pub at: Timestamp,
}

pub fn insert_api_key(k: &KeyRow<'_>) -> InsertStatement {
    let mut q = Query::insert();
    q.into_table(col("api_keys"))
        .columns(
            [
                "id",
                "tenant_id",
                "name",
                "prefix",
                "hash",
                "permissions",
                "rate_limit",
                "created_at",
            ]
            .map(col),
        )
        .values_panic([
            k.id.to_string().into(),
            k.tenant.0.to_string().into(),
            k.name.map(str::to_string).into(),
            k.prefix.into(),
            k.hash.to_vec().into(),
            k.permissions.clone().into(),
            k.rate_limit.clone().into(),
            k.at.to_rfc3339().into(),
        ]);
    q
}

fn select_keys() -> SelectStatement {
    let mut q = Query::select();
    q.columns(KEY_COLUMNS.map(|c| (col("api_keys"), col(c))))
        .from(col("api_keys"));
    q
}

pub fn list_api_keys(tenant: TenantId) -> SelectStatement {
    let mut q = select_keys();
    q.and_where(Expr::col(col("tenant_id")).eq(tenant.0.to_string()))
        .order_by(col("created_at"), Order::Asc)
        .order_by(col("id"), Order::Asc);
    q
}

pub fn select_api_key(tenant: Option<TenantId>, id: Uuid) -> SelectStatement {
    let mut q = select_keys();
    q.and_where(Expr::col(col("id")).eq(id.to_string()));
    if let Some(t) = tenant {
        q.and_where(Expr::col(col("tenant_id")).eq(t.0.to_string()));
    }
    q
}

/// Revokes a live key; with `tenant`, only a key of that tenant (another tenant's id matches
/// nothing, so a tenant admin can never revoke someone else's key).
pub fn revoke_api_key(tenant: Option<TenantId>, id: Uuid, at: Timestamp) -> UpdateStatement {
    let mut q = Query::update();
    q.table(col("api_keys"))
        .value(col("revoked_at"), at.to_rfc3339())
        .and_where(Expr::col(col("id")).eq(id.to_string()))
        .and_where(Expr::col(col("revoked_at")).is_null());
    if let Some(t) = tenant {
        q.and_where(tenant_cond(t));
    }
    q
}

/// The live key with this hash joined with its tenant: key columns then tenant columns.
pub fn api_key_by_hash(hash: [u8; 32]) -> SelectStatement {
    let mut q = select_keys();
    q.columns(TENANT_COLUMNS.map(|c| (col("tenants"), col(c))))
        .inner_join(
            col("tenants"),
            Expr::col((col("tenants"), col("id"))).equals((col("api_keys"), col("tenant_id"))),
        )
        .and_where(Expr::col((col("api_keys"), col("hash"))).eq(hash.to_vec()))
        .and_where(Expr::col((col("api_keys"), col("revoked_at"))).is_null());
    q
}

/// The credentials' generation: bumped by triggers whenever a key, or a tenant as keys resolve
/// it, changes (migration 11).
pub fn auth_generation() -> Shaped {
    Shaped::new("auth_generation", auth_generation_shape, vec![1.into()])
}

fn auth_generation_shape() -> SelectStatement {
    let mut q = Query::select();
    q.column(col("gen"))
        .from(col("auth_generation"))
        .and_where(Expr::col(col("id")).eq(1));
    q
}
