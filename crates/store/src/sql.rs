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

// ---- audit --------------------------------------------------------------------------------

pub const AUDIT_COLUMNS: [&str; 10] = [
    "seq",
    "id",
    "entity_type",
    "entity_id",
    "client_id",
    "action",
    "actor",
    "at",
    "changes",
    "tenant_id",
];

pub struct AuditRow<'a> {
    pub tenant: TenantId,
    pub record: &'a clientele_core::audit::AuditRecord,
}

pub fn insert_audit(row: &AuditRow<'_>) -> InsertStatement {
    let r = row.record;
    let changes = serde_json::to_string(&r.changes).unwrap_or_else(|_| "{}".into());
    let mut q = Query::insert();
    q.into_table(col("audit_records"))
        .columns(AUDIT_COLUMNS[1..].iter().map(|c| col(c)))
        .values_panic([
            r.id.to_string().into(),
            r.entity_type.clone().into(),
            r.entity_id.to_string().into(),
            r.client_id.to_string().into(),
            r.action.as_str().into(),
            r.actor.clone().into(),
            r.at.to_rfc3339().into(),
            changes.into(),
            row.tenant.0.to_string().into(),
        ]);
    q
}

fn select_audit(tenant: TenantId) -> SelectStatement {
    let mut q = Query::select();
    q.columns(AUDIT_COLUMNS.map(col))
        .from(col("audit_records"))
        .and_where(tenant_cond(tenant));
    q
}

/// Newest first, strictly before `before_seq`; one extra row tells whether more follow.
pub fn client_history(
    tenant: TenantId,
    client_id: Uuid,
    before_seq: Option<i64>,
    limit: u32,
) -> SelectStatement {
    let mut q = select_audit(tenant);
    q.and_where(Expr::col(col("client_id")).eq(client_id.to_string()));
    if let Some(s) = before_seq {
        q.and_where(Expr::col(col("seq")).lt(s));
    }
    q.order_by(col("seq"), Order::Desc)
        .limit(u64::from(limit) + 1);
    q
}

pub fn client_has_history(tenant: TenantId, client_id: Uuid) -> SelectStatement {
    let mut q = Query::select();
    q.expr(Expr::val(1))
        .from(col("audit_records"))
        .and_where(tenant_cond(tenant))
        .and_where(Expr::col(col("client_id")).eq(client_id.to_string()))
        .limit(1);
    q
}

/// Oldest first, strictly after `after_seq`; one extra row tells whether more follow.
pub fn events(tenant: TenantId, after_seq: Option<i64>, limit: u32) -> SelectStatement {
    let mut q = select_audit(tenant);
    if let Some(s) = after_seq {
        q.and_where(Expr::col(col("seq")).gt(s));
    }
    q.order_by(col("seq"), Order::Asc)
        .limit(u64::from(limit) + 1);
    q
}

// ---- idempotency ----------------------------------------------------------------------------

fn idem_scope(q: &mut SelectStatement, s: &clientele_core::idempotency::IdempotencyScope) {
    q.and_where(Expr::col(col("tenant_id")).eq(s.tenant.0.to_string()))
        .and_where(Expr::col(col("credential_id")).eq(s.credential_id.clone()))
        .and_where(Expr::col(col("key")).eq(s.key.clone()));
}

fn idem_cond(s: &clientele_core::idempotency::IdempotencyScope) -> Cond {
    Cond::all()
        .add(Expr::col(col("tenant_id")).eq(s.tenant.0.to_string()))
        .add(Expr::col(col("credential_id")).eq(s.credential_id.clone()))
        .add(Expr::col(col("key")).eq(s.key.clone()))
}

pub const IDEM_COLUMNS: [&str; 8] = [
    "request_hash",
    "state",
    "entity_type",
    "entity_id",
    "status",
    "headers",
    "body",
    "created_at",
];

pub fn select_idempotency(s: &clientele_core::idempotency::IdempotencyScope) -> SelectStatement {
    let mut q = Query::select();
    q.columns(IDEM_COLUMNS.map(col))
        .from(col("idempotency_keys"));
    idem_scope(&mut q, s);
    q
}

pub fn purge_idempotency(
    s: &clientele_core::idempotency::IdempotencyScope,
    older_than: Timestamp,
) -> sea_query::DeleteStatement {
    let mut q = Query::delete();
    q.from_table(col("idempotency_keys"))
        .and_where(Expr::col(col("tenant_id")).eq(s.tenant.0.to_string()))
        .and_where(Expr::col(col("credential_id")).eq(s.credential_id.clone()))
        .and_where(Expr::col(col("created_at")).lt(older_than.to_rfc3339()));
    q
}

pub fn claim_idempotency(
    s: &clientele_core::idempotency::IdempotencyScope,
    hash: [u8; 32],
    now: Timestamp,
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
        ]);
    q
}

/// Restarts an abandoned claim (its request died before its write committed).
pub fn reclaim_idempotency(
    s: &clientele_core::idempotency::IdempotencyScope,
    hash: [u8; 32],
    now: Timestamp,
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
        .cond_where(idem_cond(s));
    q
}

/// In the write's own transaction: the key's write has committed.
pub fn commit_idempotency(
    s: &clientele_core::idempotency::IdempotencyScope,
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

pub fn finish_idempotency(
    s: &clientele_core::idempotency::IdempotencyScope,
    r: &clientele_core::idempotency::StoredResponse,
) -> UpdateStatement {
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

pub fn abort_idempotency(
    s: &clientele_core::idempotency::IdempotencyScope,
) -> sea_query::DeleteStatement {
    let mut q = Query::delete();
    q.from_table(col("idempotency_keys"))
        .cond_where(idem_cond(s).add(Expr::col(col("state")).eq("in_flight")));
    q
}

// ---- sub-resources ----------------------------------------------------------------------

use clientele_core::sub::{SubData, SubKind};

use crate::columns::{sub_data_columns, sub_data_values, sub_select_columns, sub_table};

fn sub_scope(kind: SubKind, tenant: TenantId, client_id: Uuid) -> Cond {
    let t = sub_table(kind);
    Cond::all()
        .add(Expr::col((col(t), col("tenant_id"))).eq(tenant.0.to_string()))
        .add(Expr::col((col(t), col("client_id"))).eq(client_id.to_string()))
}

fn select_subs(kind: SubKind) -> SelectStatement {
    let t = sub_table(kind);
    let mut q = Query::select();
    q.columns(
        sub_select_columns(kind)
            .into_iter()
            .map(|c| (col(t), col(c))),
    )
    .from(col(t));
    q
}

pub fn select_sub(kind: SubKind, tenant: TenantId, client_id: Uuid, id: Uuid) -> SelectStatement {
    let mut q = select_subs(kind);
    q.cond_where(sub_scope(kind, tenant, client_id))
        .and_where(Expr::col(col("id")).eq(id.to_string()));
    q
}

pub fn select_sub_by_external_id(
    kind: SubKind,
    tenant: TenantId,
    client_id: Uuid,
    external_id: &str,
) -> SelectStatement {
    let mut q = select_subs(kind);
    q.cond_where(sub_scope(kind, tenant, client_id))
        .and_where(Expr::col(col("external_id")).eq(external_id));
    q
}

/// The client's sub-resources of one kind, newest first (ties by id), one page.
pub fn list_subs(
    kind: SubKind,
    tenant: TenantId,
    client_id: Uuid,
    limit: u32,
    offset: u64,
) -> SelectStatement {
    let mut q = select_subs(kind);
    q.cond_where(sub_scope(kind, tenant, client_id))
        .order_by(col("created_at"), Order::Desc)
        .order_by(col("id"), Order::Desc)
        .limit(u64::from(limit))
        .offset(offset);
    q
}

/// Oldest first: the order in which a vacated flag is handed on.
pub fn oldest_subs(kind: SubKind, tenant: TenantId, client_id: Uuid) -> SelectStatement {
    let mut q = select_subs(kind);
    q.cond_where(sub_scope(kind, tenant, client_id))
        .order_by(col("created_at"), Order::Asc)
        .order_by(col("id"), Order::Asc);
    q
}

pub fn count_subs(kind: SubKind, tenant: TenantId, client_id: Uuid) -> SelectStatement {
    let mut q = Query::select();
    q.expr(Func::count(Expr::col(Asterisk)))
        .from(col(sub_table(kind)))
        .cond_where(sub_scope(kind, tenant, client_id));
    q
}

/// Sub-resources holding the one-per-client flag, other than `except`.
pub fn flagged_subs(
    kind: SubKind,
    tenant: TenantId,
    client_id: Uuid,
    except: Uuid,
) -> Option<SelectStatement> {
    let flag = kind.flag()?;
    let mut q = select_subs(kind);
    q.cond_where(sub_scope(kind, tenant, client_id))
        .and_where(Expr::col(col(flag)).eq(true))
        .and_where(Expr::col(col("id")).ne(except.to_string()));
    Some(q)
}

pub fn insert_sub(
    tenant: TenantId,
    client_id: Uuid,
    id: Uuid,
    at: Timestamp,
    data: &SubData,
) -> InsertStatement {
    let kind = data.kind();
    let mut cols: Vec<Alias> = [
        "id",
        "tenant_id",
        "client_id",
        "version",
        "created_at",
        "updated_at",
    ]
    .into_iter()
    .map(col)
    .collect();
    cols.extend(sub_data_columns(kind).into_iter().map(col));
    let ts = at.to_rfc3339();
    let mut values: Vec<Value> = vec![
        id.to_string().into(),
        tenant.0.to_string().into(),
        client_id.to_string().into(),
        1i64.into(),
        ts.clone().into(),
        ts.into(),
    ];
    values.extend(sub_data_values(data));
    let mut q = Query::insert();
    q.into_table(col(sub_table(kind)))
        .columns(cols)
        .values_panic(values.into_iter().map(Into::into));
    q
}

pub fn update_sub(
    tenant: TenantId,
    client_id: Uuid,
    id: Uuid,
    version: i64,
    at: Timestamp,
    data: &SubData,
) -> UpdateStatement {
    let kind = data.kind();
    let mut q = Query::update();
    q.table(col(sub_table(kind)))
        .value(col("version"), version)
        .value(col("updated_at"), at.to_rfc3339());
    for (c, v) in sub_data_columns(kind)
        .into_iter()
        .zip(sub_data_values(data))
    {
        q.value(col(c), v);
    }
    q.cond_where(sub_scope(kind, tenant, client_id))
        .and_where(Expr::col(col("id")).eq(id.to_string()));
    q
}

pub fn delete_sub(
    kind: SubKind,
    tenant: TenantId,
    client_id: Uuid,
    id: Uuid,
) -> sea_query::DeleteStatement {
    let mut q = Query::delete();
    q.from_table(col(sub_table(kind)))
        .cond_where(sub_scope(kind, tenant, client_id))
        .and_where(Expr::col(col("id")).eq(id.to_string()));
    q
}

/// Keeps `associated_accounts` equal to the number of accounts: recounted in the same
/// transaction as every account create and delete, and the client's version moves with it.
pub fn recount_accounts(tenant: TenantId, client_id: Uuid, at: Timestamp) -> UpdateStatement {
    let mut count = Query::select();
    count
        .expr(Func::count(Expr::col(Asterisk)))
        .from(col("accounts"))
        .cond_where(sub_scope(SubKind::Account, tenant, client_id));
    let mut q = Query::update();
    q.table(clients())
        .value(
            col("associated_accounts"),
            SimpleExpr::SubQuery(None, Box::new(count.into_sub_query_statement())),
        )
        .value(col("version"), Expr::col(col("version")).add(1))
        .value(col("updated_at"), at.to_rfc3339())
        .and_where(tenant_cond(tenant))
        .and_where(Expr::col(col("id")).eq(client_id.to_string()));
    q
}
