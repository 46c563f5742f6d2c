//! Statements built once with sea-query, for every backend. Values are always bound.

use clientele_core::query::{ArchivedFilter, ClientQuery};
use clientele_core::types::Timestamp;
use clientele_core::{ClientData, TenantId};
use sea_query::{Alias, Asterisk, Cond, Expr, Func, Order, Query, SelectStatement};
use sea_query::{InsertStatement, SimpleExpr, UpdateStatement, Value};
use uuid::Uuid;

use crate::columns::{data_values, select_columns, DATA_COLUMNS};

pub fn col(name: &'static str) -> Alias {
    Alias::new(name)
}

pub fn clients() -> Alias {
    Alias::new("clients")
}

fn tenant_cond(tenant: TenantId) -> SimpleExpr {
    Expr::col(col("tenant_id")).eq(tenant.0.to_string())
}

pub struct NewRow<'a> {
    pub tenant: TenantId,
    pub id: Uuid,
    pub number: i64,
    pub at: Timestamp,
    pub data: &'a ClientData,
}

pub fn insert_client(row: &NewRow<'_>) -> InsertStatement {
    let mut cols: Vec<Alias> = [
        "id",
        "tenant_id",
        "number",
        "associated_accounts",
        "version",
        "created_at",
        "updated_at",
    ]
    .into_iter()
    .map(col)
    .collect();
    cols.extend(DATA_COLUMNS.iter().map(|c| col(c)));
    let ts = row.at.to_rfc3339();
    let mut values: Vec<Value> = vec![
        row.id.to_string().into(),
        row.tenant.0.to_string().into(),
        row.number.into(),
        0i64.into(),
        1i64.into(),
        ts.clone().into(),
        ts.into(),
    ];
    values.extend(data_values(row.data));
    let mut q = Query::insert();
    q.into_table(clients())
        .columns(cols)
        .values_panic(values.into_iter().map(Into::into));
    q
}

pub fn update_client(
    tenant: TenantId,
    id: Uuid,
    new_version: i64,
    at: Timestamp,
    data: &ClientData,
) -> UpdateStatement {
    let mut q = Query::update();
    q.table(clients())
        .value(col("version"), new_version)
        .value(col("updated_at"), at.to_rfc3339());
    for (c, v) in DATA_COLUMNS.iter().zip(data_values(data)) {
        q.value(col(c), v);
    }
    q.and_where(tenant_cond(tenant))
        .and_where(Expr::col(col("id")).eq(id.to_string()));
    q
}

fn select_all() -> SelectStatement {
    let mut q = Query::select();
    q.columns(select_columns().map(col)).from(clients());
    q
}

pub fn select_client(tenant: TenantId, id: Uuid) -> SelectStatement {
    let mut q = select_all();
    q.and_where(tenant_cond(tenant))
        .and_where(Expr::col(col("id")).eq(id.to_string()));
    q
}

pub fn select_client_by_external_id(tenant: TenantId, external_id: &str) -> SelectStatement {
    let mut q = select_all();
    q.and_where(tenant_cond(tenant))
        .and_where(Expr::col(col("external_id")).eq(external_id));
    q
}

pub fn client_exists(tenant: TenantId, id: Uuid) -> SelectStatement {
    let mut q = Query::select();
    q.expr(Expr::val(1))
        .from(clients())
        .and_where(tenant_cond(tenant))
        .and_where(Expr::col(col("id")).eq(id.to_string()));
    q
}

pub fn delete_client(tenant: TenantId, id: Uuid) -> sea_query::DeleteStatement {
    let mut q = Query::delete();
    q.from_table(clients())
        .and_where(tenant_cond(tenant))
        .and_where(Expr::col(col("id")).eq(id.to_string()));
    q
}

fn list_filter(tenant: TenantId, query: &ClientQuery) -> Cond {
    let mut cond = Cond::all().add(tenant_cond(tenant));
    match query.archived {
        ArchivedFilter::Exclude => cond = cond.add(Expr::col(col("archived")).eq(false)),
        ArchivedFilter::Only => cond = cond.add(Expr::col(col("archived")).eq(true)),
        ArchivedFilter::All => {}
    }
    cond
}

/// The page query and, when asked for, the count query.
pub fn list_clients(
    tenant: TenantId,
    query: &ClientQuery,
) -> (SelectStatement, Option<SelectStatement>) {
    let mut page = select_all();
    page.cond_where(list_filter(tenant, query))
        .order_by(col("created_at"), Order::Desc)
        .order_by(col("id"), Order::Desc)
        .limit(u64::from(query.limit))
        .offset(query.offset);
    let count = query.count.then(|| {
        let mut q = Query::select();
        q.expr(Func::count(Expr::col(Asterisk)))
            .from(clients())
            .cond_where(list_filter(tenant, query));
        q
    });
    (page, count)
}

// ---- tenants and API keys -------------------------------------------------------------------

pub const TENANT_COLUMNS: [&str; 3] = ["id", "name", "created_at"];
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

pub fn insert_tenant(id: Uuid, name: &str, at: Timestamp) -> InsertStatement {
    let mut q = Query::insert();
    q.into_table(col("tenants"))
        .columns(TENANT_COLUMNS.map(col))
        .values_panic([id.to_string().into(), name.into(), at.to_rfc3339().into()]);
    q
}

pub fn select_tenant_by_name(name: &str) -> SelectStatement {
    let mut q = Query::select();
    q.columns(TENANT_COLUMNS.map(col))
        .from(col("tenants"))
        .and_where(Expr::col(col("name")).eq(name));
    q
}

pub fn count_tenants() -> SelectStatement {
    let mut q = Query::select();
    q.expr(Func::count(Expr::col(Asterisk)))
        .from(col("tenants"));
    q
}

/// Takes the tenant's next client number; run inside the write transaction.
pub fn next_client_number(tenant: TenantId) -> UpdateStatement {
    let mut q = Query::update();
    q.table(col("tenants"))
        .value(col("client_seq"), Expr::col(col("client_seq")).add(1))
        .and_where(Expr::col(col("id")).eq(tenant.0.to_string()))
        .returning_col(col("client_seq"));
    q
}

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
