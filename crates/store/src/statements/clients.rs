//! The clients table: one client by id, external id or number, the rows of new clients
//! (`client_rows`, which every insert goes through: `Tx::insert_rows`), updates, deletes.

use std::sync::LazyLock;

use clientele_core::search::fold;
use clientele_core::types::Timestamp;
use clientele_core::{ClientData, TenantId};
use sea_query::{
    DeleteStatement, Expr, Func, LockType, Query, SelectStatement, UpdateStatement, Value,
};
use uuid::Uuid;

use super::base::{clients, col, tenant_cond, Shaped};
use super::rows::Rows;
use crate::columns::{data_columns, data_values, select_columns};

pub struct NewRow<'a> {
    pub tenant: TenantId,
    pub id: Uuid,
    /// The creation sequence (see `clientele_core::query::CREATION_SEQ`).
    pub rid: i64,
    pub number: i64,
    pub at: Timestamp,
    pub data: &'a ClientData,
}

/// The columns of a new client's row, in the order of [`client_rows`]' values.
static CLIENT_ROW_COLUMNS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let mut cols = vec![
        "id",
        "tenant_id",
        "number",
        "associated_accounts",
        "version",
        "created_at",
        "updated_at",
        "rid",
        "name_fold",
    ];
    cols.extend(data_columns());
    cols
});

/// The rows of new clients, for `Tx::insert_rows`.
pub fn client_rows(rows: &[NewRow<'_>]) -> Rows {
    let mut out = Rows::new("clients", &CLIENT_ROW_COLUMNS);
    for row in rows {
        let ts = row.at.to_rfc3339();
        let mut values: Vec<Value> = vec![
            row.id.to_string().into(),
            row.tenant.0.to_string().into(),
            row.number.into(),
            0i64.into(),
            1i64.into(),
            ts.clone().into(),
            ts.into(),
            row.rid.into(),
            fold(&row.data.name).into(),
        ];
        values.extend(data_values(row.data));
        out.push(values);
    }
    out
}

/// The largest creation sequence taken in millisecond `ms` (see `crate::rid`): among the
/// tenant's clients, or among all clients when the sequence must be unique globally. A
/// [`Shaped`] statement: every create of the SQLite writer runs it or [`max_rids`].
pub fn max_rid(tenant: Option<TenantId>, ms: i64) -> Shaped {
    let (lo, hi) = crate::rid::range_of_ms(ms);
    shaped_rid_range(
        ("max_rid", "max_rid_of_tenant"),
        (max_rid_shape, max_rid_of_tenant_shape),
        tenant,
        lo,
        hi,
    )
}

/// What [`max_rid`] runs, built in full.
fn max_rid_full(tenant: Option<TenantId>, ms: i64) -> SelectStatement {
    let (lo, hi) = crate::rid::range_of_ms(ms);
    let mut q = Query::select();
    q.expr(Func::max(Expr::col(col("rid"))))
        .from(clients())
        .and_where(Expr::col(col("rid")).gte(lo))
        .and_where(Expr::col(col("rid")).lt(hi));
    if let Some(t) = tenant {
        q.and_where(tenant_cond(t));
    }
    q
}

fn max_rid_shape() -> SelectStatement {
    max_rid_full(None, 0)
}

fn max_rid_of_tenant_shape() -> SelectStatement {
    max_rid_full(Some(TenantId(Uuid::nil())), 0)
}

/// The largest creation sequence taken in each millisecond `lo..hi`, as rows of (millisecond,
/// sequence), scoped like [`max_rid`]: what a bulk load reads once instead of asking per row.
/// A [`Shaped`] statement.
pub fn max_rids(tenant: Option<TenantId>, lo: i64, hi: i64) -> Shaped {
    let (lo, hi) = (crate::rid::range_of_ms(lo).0, crate::rid::range_of_ms(hi).0);
    shaped_rid_range(
        ("max_rids", "max_rids_of_tenant"),
        (max_rids_shape, max_rids_of_tenant_shape),
        tenant,
        lo,
        hi,
    )
}

/// What [`max_rids`] runs, built in full.
fn max_rids_full(tenant: Option<TenantId>, lo: i64, hi: i64) -> SelectStatement {
    let mut q = Query::select();
    q.expr(Expr::cust("rid >> 12"))
        .expr(Func::max(Expr::col(col("rid"))))
        .from(clients())
        .and_where(Expr::col(col("rid")).gte(crate::rid::range_of_ms(lo).0))
        .and_where(Expr::col(col("rid")).lt(crate::rid::range_of_ms(hi).0))
        .add_group_by([Expr::cust("1")]);
    if let Some(t) = tenant {
        q.and_where(tenant_cond(t));
    }
    q
}

fn max_rids_shape() -> SelectStatement {
    max_rids_full(None, 0, 0)
}

fn max_rids_of_tenant_shape() -> SelectStatement {
    max_rids_full(Some(TenantId(Uuid::nil())), 0, 0)
}

/// A shape's statement for all clients and for one tenant's.
type ShapePair = (fn() -> SelectStatement, fn() -> SelectStatement);

/// A statement over the creation sequences `lo..hi` (of one tenant's clients, or of all):
/// its placeholders are `lo`, `hi`, then the tenant.
fn shaped_rid_range(
    (all, of_tenant): (&'static str, &'static str),
    (all_shape, of_tenant_shape): ShapePair,
    tenant: Option<TenantId>,
    lo: i64,
    hi: i64,
) -> Shaped {
    match tenant {
        None => Shaped::new(all, all_shape, vec![lo.into(), hi.into()]),
        Some(t) => Shaped::new(
            of_tenant,
            of_tenant_shape,
            vec![lo.into(), hi.into(), t.0.to_string().into()],
        ),
    }
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
        .value(col("updated_at"), at.to_rfc3339())
        .value(col("name_fold"), fold(&data.name));
    for (c, v) in data_columns().zip(data_values(data)) {
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

/// One client by id: a [`Shaped`] statement (the point read).
pub fn select_client(tenant: TenantId, id: Uuid) -> Shaped {
    let values = vec![tenant.0.to_string().into(), id.to_string().into()];
    Shaped::new(
        "select_client",
        || select_client_shape(TenantId(Uuid::nil()), Uuid::nil()),
        values,
    )
}

/// What [`select_client`] runs, built in full.
fn select_client_shape(tenant: TenantId, id: Uuid) -> SelectStatement {
    let mut q = select_all();
    q.and_where(tenant_cond(tenant))
        .and_where(Expr::col(col("id")).eq(id.to_string()));
    q
}

/// The client a write is about to change, its row locked until the transaction ends (`FOR
/// UPDATE` on PostgreSQL, where one tenant's writes run in parallel; SQLite has one writer and
/// writes no lock clause): writes of the same client, and of its sub-resources, run one at a
/// time and each reads the row as the previous one committed it.
/// Its text is built once per query builder (with ~70 columns, building it was 15% of the
/// SQLite writer's instructions per PATCH); only the values are bound per call.
pub fn select_client_for_update(tenant: TenantId, id: Uuid) -> Shaped {
    let values = vec![tenant.0.to_string().into(), id.to_string().into()];
    Shaped::new(
        "select_client_for_update",
        || {
            let mut q = select_client_shape(TenantId(Uuid::nil()), Uuid::nil());
            q.lock(LockType::Update);
            q
        },
        values,
    )
}

/// Locks a client's row (see [`select_client_for_update`]); no row when there is no such client.
pub fn lock_client(tenant: TenantId, id: Uuid) -> SelectStatement {
    let mut q = client_exists(tenant, id);
    q.lock(LockType::Update);
    q
}

/// Whether a client exists, its row held against deletion until the transaction ends (`FOR KEY
/// SHARE` on PostgreSQL): what a write that refers to it checks.
pub fn client_exists_kept(tenant: TenantId, id: Uuid) -> SelectStatement {
    let mut q = client_exists(tenant, id);
    q.lock(LockType::KeyShare);
    q
}

pub fn select_client_by_external_id(tenant: TenantId, external_id: &str) -> SelectStatement {
    let mut q = select_all();
    q.and_where(tenant_cond(tenant))
        .and_where(Expr::col(col("external_id")).eq(external_id));
    q
}

/// The clients with any of these external ids (a bulk import's batch).
pub fn select_clients_by_external_ids(tenant: TenantId, external_ids: &[&str]) -> SelectStatement {
    let mut q = select_all();
    q.and_where(tenant_cond(tenant))
        .and_where(Expr::col(col("external_id")).is_in(external_ids.iter().map(|s| s.to_string())));
    q
}

/// By the per-tenant number: one row of the unique index `clients_tenant_number`.
pub fn select_client_by_number(tenant: TenantId, number: i64) -> SelectStatement {
    let mut q = select_all();
    q.and_where(tenant_cond(tenant))
        .and_where(Expr::col(col("number")).eq(number));
    q
}

/// Sets the account count of a client created in this transaction with its accounts (its
/// version stays 1: the accounts are part of its creation).
pub fn set_associated_accounts(tenant: TenantId, id: Uuid, n: i64) -> UpdateStatement {
    let mut q = Query::update();
    q.table(clients())
        .value(col("associated_accounts"), n)
        .and_where(tenant_cond(tenant))
        .and_where(Expr::col(col("id")).eq(id.to_string()));
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

pub fn delete_client(tenant: TenantId, id: Uuid) -> DeleteStatement {
    let mut q = Query::delete();
    q.from_table(clients())
        .and_where(tenant_cond(tenant))
        .and_where(Expr::col(col("id")).eq(id.to_string()));
    q
}

/// Takes the tenant's next `n` client numbers, returning the last; run inside the write
/// transaction.
pub fn next_client_number(tenant: TenantId, n: i64) -> UpdateStatement {
    let mut q = Query::update();
    q.table(col("tenants"))
        .value(col("client_seq"), Expr::col(col("client_seq")).add(n))
        .and_where(Expr::col(col("id")).eq(tenant.0.to_string()))
        .returning_col(col("client_seq"));
    q
}

/// [`next_client_number`] as two statements for the SQLite writer, their texts written once (a
/// test checks them against the query builder's): this update, bound with `n` and the tenant
/// id, without the `RETURNING`, then [`LAST_CLIENT_NUMBER_SQLITE`]. SQLite runs a `RETURNING`
/// as a trigger, and a statement with a trigger that may fail part-way keeps a statement journal
/// of the pages it changes (with the rest of the statement: ~20,000 instructions per create,
/// against ~10,000 for the two).
pub const TAKE_CLIENT_NUMBERS_SQLITE: &str =
    r#"UPDATE "tenants" SET "client_seq" = "client_seq" + ? WHERE "id" = ?"#;

/// The tenant's last client number (after [`TAKE_CLIENT_NUMBERS_SQLITE`]), bound with its id.
pub const LAST_CLIENT_NUMBER_SQLITE: &str = r#"SELECT "client_seq" FROM "tenants" WHERE "id" = ?"#;

#[cfg(test)]
mod shaped_tests {
    use sea_query::{PostgresQueryBuilder, SqliteQueryBuilder};

    use super::*;
    use crate::statements::Statement;

    #[test]
    fn the_point_read_binds_what_the_full_statement_would() {
        let (tenant, id) = (TenantId(Uuid::now_v7()), Uuid::now_v7());
        for _ in 0..2 {
            let full = Statement::build(&select_client_shape(tenant, id), SqliteQueryBuilder);
            assert_eq!(select_client(tenant, id).build(SqliteQueryBuilder), full);
            let full = Statement::build(&select_client_shape(tenant, id), PostgresQueryBuilder);
            assert_eq!(select_client(tenant, id).build(PostgresQueryBuilder), full);
        }
    }

    #[test]
    fn the_creation_sequence_reads_bind_what_the_full_statements_would() {
        let ms = 1_764_000_000_000;
        for tenant in [None, Some(TenantId(Uuid::now_v7()))] {
            for _ in 0..2 {
                let full = Statement::build(&max_rid_full(tenant, ms), SqliteQueryBuilder);
                assert_eq!(max_rid(tenant, ms).build(SqliteQueryBuilder), full);
                let full = Statement::build(&max_rid_full(tenant, ms), PostgresQueryBuilder);
                assert_eq!(max_rid(tenant, ms).build(PostgresQueryBuilder), full);
                let full = max_rids_full(tenant, ms, ms + 3);
                let shaped = max_rids(tenant, ms, ms + 3);
                assert_eq!(
                    shaped.build(SqliteQueryBuilder),
                    Statement::build(&full, SqliteQueryBuilder)
                );
                assert_eq!(
                    shaped.build(PostgresQueryBuilder),
                    Statement::build(&full, PostgresQueryBuilder)
                );
            }
        }
    }

    #[test]
    fn the_numbering_texts_are_what_sea_query_writes() {
        let tenant = TenantId(Uuid::now_v7());
        let (sql, values) = Statement::build(&next_client_number(tenant, 3), SqliteQueryBuilder);
        assert_eq!(
            sql,
            format!(r#"{TAKE_CLIENT_NUMBERS_SQLITE} RETURNING "client_seq""#)
        );
        assert_eq!(
            values.0,
            vec![Value::from(3i64), Value::from(tenant.0.to_string())]
        );
        let mut last = Query::select();
        last.column(col("client_seq"))
            .from(col("tenants"))
            .and_where(Expr::col(col("id")).eq(tenant.0.to_string()));
        let (sql, values) = Statement::build(&last, SqliteQueryBuilder);
        assert_eq!(sql, LAST_CLIENT_NUMBER_SQLITE);
        assert_eq!(values.0, vec![Value::from(tenant.0.to_string())]);
    }

    #[test]
    fn the_locking_read_binds_what_the_full_statement_would() {
        let (tenant, id) = (TenantId(Uuid::now_v7()), Uuid::now_v7());
        let shape = || {
            let mut q = select_client_shape(tenant, id);
            q.lock(LockType::Update);
            q
        };
        for _ in 0..2 {
            let full = Statement::build(&shape(), SqliteQueryBuilder);
            assert_eq!(
                select_client_for_update(tenant, id).build(SqliteQueryBuilder),
                full
            );
            let full = Statement::build(&shape(), PostgresQueryBuilder);
            assert_eq!(
                select_client_for_update(tenant, id).build(PostgresQueryBuilder),
                full
            );
            assert!(full.0.ends_with("FOR UPDATE"), "{}", full.0);
        }
    }
}
