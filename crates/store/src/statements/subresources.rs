//! Sub-resource tables (contact persons, locations, accounts): one table each, one set of
//! statements for all three.

use clientele_core::sub::{SubData, SubKind};
use clientele_core::types::Timestamp;
use clientele_core::TenantId;
use sea_query::{
    Alias, Asterisk, Cond, DeleteStatement, Expr, Func, InsertStatement, Order, Query,
    SelectStatement, SimpleExpr, UpdateStatement, Value,
};
use uuid::Uuid;

use super::base::{clients, col, tenant_cond};
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

/// The flagged item (main contact / primary location) of each of `client_ids`: one statement
/// for a whole page of clients, served by the `(tenant_id, client_id, ...)` index of the kind's
/// table. `None` for a kind without a flag or no ids.
pub fn flagged_of_clients(
    kind: SubKind,
    tenant: TenantId,
    client_ids: &[Uuid],
) -> Option<SelectStatement> {
    let flag = kind.flag()?;
    if client_ids.is_empty() {
        return None;
    }
    let t = sub_table(kind);
    let mut q = select_subs(kind);
    q.and_where(Expr::col((col(t), col("tenant_id"))).eq(tenant.0.to_string()))
        .and_where(
            Expr::col((col(t), col("client_id"))).is_in(client_ids.iter().map(|id| id.to_string())),
        )
        .and_where(Expr::col((col(t), col(flag))).eq(true));
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

pub fn delete_sub(kind: SubKind, tenant: TenantId, client_id: Uuid, id: Uuid) -> DeleteStatement {
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
