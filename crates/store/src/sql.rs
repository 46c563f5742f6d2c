//! Statements built once with sea-query, for every backend. Values are always bound.

use clientele_core::filter::{CmpOp, Filter, TextOp};
use clientele_core::query::{ArchivedFilter, ClientQuery, Field, Scalar, SortKey, CREATION_SEQ};
use clientele_core::search::fold;
use clientele_core::types::Timestamp;
use clientele_core::{ClientData, TenantId};
use sea_query::{
    Alias, Asterisk, Cond, Expr, Func, JoinType, NullOrdering, Order, Query, SelectStatement,
};
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
    /// The creation sequence (see `clientele_core::query::CREATION_SEQ`).
    pub rid: i64,
    pub number: i64,
    pub at: Timestamp,
    pub data: &'a ClientData,
}

pub fn insert_client(row: &NewRow<'_>) -> InsertStatement {
    insert_clients(std::slice::from_ref(row))
}

/// One INSERT of many clients (bulk loads); `rows` must not be empty.
pub fn insert_clients(rows: &[NewRow<'_>]) -> InsertStatement {
    let mut cols: Vec<Alias> = [
        "id",
        "tenant_id",
        "number",
        "associated_accounts",
        "version",
        "created_at",
        "updated_at",
        "rid",
        "name_fold",
    ]
    .into_iter()
    .map(col)
    .collect();
    cols.extend(DATA_COLUMNS.iter().map(|c| col(c)));
    let mut q = Query::insert();
    q.into_table(clients()).columns(cols);
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
        q.values_panic(values.into_iter().map(Into::into));
    }
    q
}

/// The largest creation sequence taken in millisecond `ms` (see `crate::rid`): among the
/// tenant's clients, or among all clients when the sequence must be unique globally.
pub fn max_rid(tenant: Option<TenantId>, ms: i64) -> SelectStatement {
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

// ---- lists: filters, search, sort, keyset ------------------------------------------------

/// A backend's SQL flavour: what differs between backends in a list query; everything else is
/// shared. ("Dialect" names the seed APIs the service serves, not SQL.)
pub trait Flavour {
    /// A condition on `clients` that holds when every search term prefix-matches a word of the
    /// client's search document.
    fn search(&self, terms: &[String]) -> SimpleExpr;
    /// `expr` matches the LIKE `pattern` (escaped with `\`), ignoring case.
    fn ci_like(&self, expr: SimpleExpr, pattern: String) -> SimpleExpr;
    /// A full-text index that yields matching rows in creation order (its rowid is `rid`), if
    /// the backend has one: the list then reads it in order and stops after a page.
    fn fts(&self) -> Option<FtsSource> {
        None
    }
    /// The count of a search with no other filter, if the index alone can answer it.
    fn search_count(&self) -> Option<SelectStatement> {
        None
    }
    /// Whether the backend sorts NULL above every value (PostgreSQL). Lists sort it below, as
    /// SQLite does natively: first ascending, last descending; such backends are told so.
    fn nulls_sort_high(&self) -> bool {
        false
    }
}

/// A full-text table whose rowid is the creation sequence, and the condition selecting matches.
#[derive(Clone)]
pub struct FtsSource {
    pub table: &'static str,
    pub matches: SimpleExpr,
}

fn field_col(f: &Field) -> Expr {
    Expr::col((clients(), col(f.column)))
}

fn bind(v: &Scalar) -> Value {
    match v {
        Scalar::Text(s) => s.clone().into(),
        Scalar::Int(n) => (*n).into(),
        Scalar::Float(x) => (*x).into(),
        Scalar::Bool(b) => (*b).into(),
    }
}

fn like_pattern(op: TextOp, value: &str) -> String {
    let mut escaped = String::with_capacity(value.len() + 2);
    for c in value.chars() {
        if matches!(c, '\\' | '%' | '_') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    match op {
        TextOp::Contains => format!("%{escaped}%"),
        TextOp::StartsWith => format!("{escaped}%"),
        TextOp::EndsWith => format!("%{escaped}"),
    }
}

fn negate(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Eq => CmpOp::Ne,
        CmpOp::Ne => CmpOp::Eq,
        CmpOp::Gt => CmpOp::Le,
        CmpOp::Ge => CmpOp::Lt,
        CmpOp::Lt => CmpOp::Ge,
        CmpOp::Le => CmpOp::Gt,
    }
}

/// Adds "or the field is NULL" to a condition that a NULL field should satisfy.
fn or_null(f: &Field, e: SimpleExpr, include_null: bool) -> SimpleExpr {
    if include_null && f.nullable {
        e.or(field_col(f).is_null())
    } else {
        e
    }
}

/// Compiles a filter to a condition. Logic is two-valued: a comparison with a NULL field is
/// false, `ne` and every negation are true for NULL (negations are pushed down to the leaves so
/// that `not` is always the exact complement). Never panics.
pub fn compile_filter(f: &Filter, negated: bool, d: &dyn Flavour) -> Cond {
    match f {
        Filter::And(parts) | Filter::Or(parts) => {
            let all = matches!(f, Filter::And(_)) != negated;
            let mut c = if all { Cond::all() } else { Cond::any() };
            for p in parts {
                c = c.add(compile_filter(p, negated, d));
            }
            c
        }
        Filter::Not(inner) => compile_filter(inner, !negated, d),
        Filter::Cmp { field, op, value } => {
            let op2 = if negated { negate(*op) } else { *op };
            let (c, v) = (field_col(field), bind(value));
            let e = match op2 {
                CmpOp::Eq => c.eq(v),
                CmpOp::Ne => c.ne(v),
                CmpOp::Gt => c.gt(v),
                CmpOp::Ge => c.gte(v),
                CmpOp::Lt => c.lt(v),
                CmpOp::Le => c.lte(v),
            };
            Cond::all().add(or_null(field, e, (*op == CmpOp::Ne) != negated))
        }
        Filter::Null { field, is_null } => Cond::all().add(if *is_null != negated {
            field_col(field).is_null()
        } else {
            field_col(field).is_not_null()
        }),
        Filter::In { field, values } => {
            let vals = values.iter().map(bind);
            let e = if negated {
                field_col(field).is_not_in(vals)
            } else {
                field_col(field).is_in(vals)
            };
            Cond::all().add(or_null(field, e, negated))
        }
        Filter::Text { field, op, value } if field.path == "name" => {
            // `name_fold` holds the name folded like search words (case and accents), so the
            // substring match ignores both, beyond the ASCII case that LIKE ignores.
            let c = Expr::col((clients(), col("name_fold")));
            let e = d.ci_like(c.into(), like_pattern(*op, &fold(value)));
            Cond::all().add(if negated { e.not() } else { e })
        }
        Filter::Text { field, op, value } => {
            let e = d.ci_like(field_col(field).into(), like_pattern(*op, value));
            let e = if negated { e.not() } else { e };
            Cond::all().add(or_null(field, e, negated))
        }
    }
}

/// Rows strictly after `pos` in the order `keys` (NULL sorts below every value, as in SQLite:
/// first when ascending, last when descending). Written so that the first key bounds an index
/// range (`k >= v AND (k > v OR ...)`).
pub fn keyset_after(keys: &[SortKey], pos: &[Option<Scalar>]) -> Cond {
    let Some((k, rest_keys)) = keys.split_first() else {
        // After the last key nothing remains to compare: no row is strictly after.
        return Cond::any();
    };
    let Some((v, rest_pos)) = pos.split_first() else {
        return Cond::any();
    };
    let c = || field_col(k.field);
    let rest = || keyset_after(rest_keys, rest_pos);
    let last = rest_keys.is_empty();
    match (v, k.desc) {
        (Some(v), false) if last => Cond::all().add(c().gt(bind(v))),
        (Some(v), true) if last => Cond::any()
            .add(c().lt(bind(v)))
            .add_option(k.field.nullable.then(|| c().is_null())),
        (Some(v), false) => Cond::all()
            .add(c().gte(bind(v)))
            .add(Cond::any().add(c().gt(bind(v))).add(rest())),
        (Some(v), true) => {
            let bounded = Cond::all()
                .add(c().lte(bind(v)))
                .add(Cond::any().add(c().lt(bind(v))).add(rest()));
            Cond::any()
                .add(bounded)
                .add_option(k.field.nullable.then(|| c().is_null()))
        }
        (None, false) => Cond::any().add(c().is_not_null()).add(rest()),
        (None, true) => Cond::all().add(c().is_null()).add(rest()),
    }
}

/// The rows after `pos` as conditions to read one after the other. When the first key is
/// nullable and its NULLs come after the position (descending from a value, or ascending from
/// NULL), "after" is the union of a range and the NULL rows; as one OR it would defeat the
/// index, so it is read as two ranges in order.
pub fn keyset_segments(keys: &[SortKey], pos: &[Option<Scalar>]) -> Vec<Cond> {
    let (Some((k, rest_keys)), Some((v, rest_pos))) = (keys.split_first(), pos.split_first())
    else {
        return vec![keyset_after(keys, pos)];
    };
    if !k.field.nullable || rest_keys.is_empty() {
        return vec![keyset_after(keys, pos)];
    }
    let c = || field_col(k.field);
    match (v, k.desc) {
        (Some(v), true) => vec![
            Cond::all().add(c().lte(bind(v))).add(
                Cond::any()
                    .add(c().lt(bind(v)))
                    .add(keyset_after(rest_keys, rest_pos)),
            ),
            Cond::all().add(c().is_null()),
        ],
        (None, false) => vec![
            Cond::all()
                .add(c().is_null())
                .add(keyset_after(rest_keys, rest_pos)),
            Cond::all().add(c().is_not_null()),
        ],
        _ => vec![keyset_after(keys, pos)],
    }
}

/// Everything a list's rows must satisfy except the keyset position.
fn list_cond(tenant: TenantId, query: &ClientQuery, d: &dyn Flavour) -> Cond {
    let mut cond =
        Cond::all().add(Expr::col((clients(), col("tenant_id"))).eq(tenant.0.to_string()));
    match query.archived {
        ArchivedFilter::Exclude => {
            cond = cond.add(Expr::col((clients(), col("archived"))).eq(false))
        }
        ArchivedFilter::Only => cond = cond.add(Expr::col((clients(), col("archived"))).eq(true)),
        ArchivedFilter::All => {}
    }
    if !query.search.is_empty() {
        cond = cond.add(d.search(&query.search));
    }
    for f in &query.filters {
        cond = cond.add(compile_filter(f, false, d));
    }
    cond
}

/// Fields counted per combination in `client_facets` (kept by triggers).
const FACET_COLUMNS: &[&str] = &[
    "status",
    "address_country",
    "kind",
    "credit_currency",
    "partner_type",
    "credit_creditworthiness",
];

/// The equality conditions of a facet-only filter, or `None` when a filter is anything else.
fn facet_conds(f: &Filter, out: &mut Vec<SimpleExpr>) -> bool {
    match f {
        Filter::And(parts) => parts.iter().all(|p| facet_conds(p, out)),
        Filter::Cmp {
            field,
            op: CmpOp::Eq,
            value: v @ Scalar::Text(_),
        } if FACET_COLUMNS.contains(&field.column) => {
            out.push(Expr::col(col(field.column)).eq(bind(v)));
            true
        }
        Filter::In { field, values }
            if FACET_COLUMNS.contains(&field.column)
                && values.iter().all(|v| matches!(v, Scalar::Text(_))) =>
        {
            out.push(Expr::col(col(field.column)).is_in(values.iter().map(bind)));
            true
        }
        _ => false,
    }
}

/// `coalesce(sum(n), 0)` over counter rows, as a 64-bit integer (PostgreSQL's `sum` of a
/// BIGINT is NUMERIC).
fn sum_of_n() -> SimpleExpr {
    let sum = Func::cast_as(Func::sum(Expr::col(col("n"))), Alias::new("BIGINT"));
    Func::coalesce([sum.into(), Expr::val(0).into()]).into()
}

/// The total of a list filtered only by equality on facet fields, summed over the groups of
/// `client_facets` instead of counting rows. (NULL is stored there as '', which no equality
/// with a real value matches, as in the clients table.)
fn facet_count(tenant: TenantId, query: &ClientQuery) -> Option<SelectStatement> {
    if !query.search.is_empty() || query.filters.is_empty() {
        return None;
    }
    let mut conds = Vec::new();
    if !query.filters.iter().all(|f| facet_conds(f, &mut conds)) {
        return None;
    }
    let mut q = Query::select();
    q.expr(sum_of_n())
        .from(col("client_facets"))
        .and_where(Expr::col(col("tenant_id")).eq(tenant.0.to_string()));
    match query.archived {
        ArchivedFilter::Exclude => q.and_where(Expr::col(col("archived")).eq(false)),
        ArchivedFilter::Only => q.and_where(Expr::col(col("archived")).eq(true)),
        ArchivedFilter::All => &mut q,
    };
    for c in conds {
        q.and_where(c);
    }
    Some(q)
}

/// A list's statements: the page (every client column, then one column per order key, and
/// `limit + 1` rows so the caller knows whether more follow) and, when asked for, the count.
#[derive(Clone)]
pub struct ListPlan {
    /// Rows to read (`limit + 1`) and to skip. The backend writes them into each page statement
    /// as integer literals, not bound values: the planner must see a small LIMIT to prefer
    /// walking an index in order over sorting every match (measured 822 ms vs 0.1 ms for a
    /// filter matching 457k rows sorted by creation, docs/indexes.md). They are integers the
    /// server produced, never text from a request.
    pub limit: u64,
    pub offset: u64,
    /// Run in turn until `limit + 1` rows are read: a keyset position on a nullable first key
    /// is split into its non-NULL and NULL parts, so that each part is one index range.
    pub pages: Vec<SelectStatement>,
    pub count: Option<SelectStatement>,
    pub order: Vec<SortKey>,
}

pub fn list_clients(tenant: TenantId, query: &ClientQuery, d: &dyn Flavour) -> ListPlan {
    let order = query.order();
    let by_creation = matches!(order.as_slice(), [k] if std::ptr::eq(k.field, &CREATION_SEQ));
    let fts = if query.search.is_empty() {
        None
    } else {
        d.fts()
    };
    let unsearched = ClientQuery {
        search: Vec::new(),
        ..query.clone()
    };
    let mut page = Query::select();
    page.columns(select_columns().map(|c| (clients(), col(c))));
    for k in &order {
        page.expr(field_col(k.field));
    }
    // With a search, the full-text index drives: the rows are read from its matches (as many as
    // match, or just a page when the order is its own rowid order), never by scanning the tenant
    // and testing each row against the match list.
    let base = match &fts {
        Some(src) => {
            page.from(col(src.table)).join(
                JoinType::CrossJoin,
                clients(),
                Expr::col((clients(), col("rid"))).equals((col(src.table), col("rowid"))),
            );
            Cond::all()
                .add(src.matches.clone())
                .add(list_cond(tenant, &unsearched, d))
        }
        None => {
            page.from(clients());
            list_cond(tenant, query, d)
        }
    };
    let pages = match (&fts, order.as_slice()) {
        (Some(src), [key]) if by_creation => {
            // Creation order is the index's rowid order: walk it and stop after the page; the
            // keyset bound goes to the rowid too.
            let rowid = || Expr::col((col(src.table), col("rowid")));
            let mut cond = base;
            if let Some([Some(Scalar::Int(v))]) = query.after.as_deref() {
                cond = cond.add(if key.desc {
                    rowid().lt(*v)
                } else {
                    rowid().gt(*v)
                });
            }
            let dir = if key.desc { Order::Desc } else { Order::Asc };
            page.cond_where(cond)
                .order_by((col(src.table), col("rowid")), dir);
            vec![page]
        }
        _ => {
            for k in &order {
                let dir = if k.desc { Order::Desc } else { Order::Asc };
                let c = (clients(), col(k.field.column));
                if k.field.nullable && d.nulls_sort_high() {
                    let nulls = if k.desc {
                        NullOrdering::Last
                    } else {
                        NullOrdering::First
                    };
                    page.order_by_with_nulls(c, dir, nulls);
                } else {
                    page.order_by(c, dir);
                }
            }
            match &query.after {
                None => vec![page.cond_where(base).to_owned()],
                Some(pos) => keyset_segments(&order, pos)
                    .into_iter()
                    .map(|seg| page.clone().cond_where(base.clone().add(seg)).to_owned())
                    .collect(),
            }
        }
    };
    let count = query.count.then(|| {
        let mut q = Query::select();
        if query.filters.is_empty() && query.search.is_empty() {
            // Kept per tenant and archived state by triggers: O(1) instead of a scan.
            q.expr(sum_of_n())
                .from(col("client_counts"))
                .and_where(Expr::col(col("tenant_id")).eq(tenant.0.to_string()));
            match query.archived {
                ArchivedFilter::Exclude => q.and_where(Expr::col(col("archived")).eq(false)),
                ArchivedFilter::Only => q.and_where(Expr::col(col("archived")).eq(true)),
                ArchivedFilter::All => &mut q,
            };
            return q;
        }
        if query.filters.is_empty() {
            if let Some(c) = d.search_count() {
                return c;
            }
        }
        if let Some(c) = facet_count(tenant, query) {
            return c;
        }
        q.expr(Func::count(Expr::col(Asterisk)));
        match &fts {
            Some(src) => {
                q.from(col(src.table))
                    .join(
                        JoinType::CrossJoin,
                        clients(),
                        Expr::col((clients(), col("rid"))).equals((col(src.table), col("rowid"))),
                    )
                    .cond_where(Cond::all().add(src.matches.clone()).add(list_cond(
                        tenant,
                        &unsearched,
                        d,
                    )));
            }
            None => {
                q.from(clients()).cond_where(list_cond(tenant, query, d));
            }
        }
        q
    });
    ListPlan {
        limit: u64::from(query.limit) + 1,
        offset: query.offset.min(i64::MAX as u64),
        pages,
        count,
        order,
    }
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
    insert_audits(row.tenant, std::slice::from_ref(row.record))
}

/// One INSERT of many audit records of a tenant; `records` must not be empty.
pub fn insert_audits(
    tenant: TenantId,
    records: &[clientele_core::audit::AuditRecord],
) -> InsertStatement {
    let mut q = Query::insert();
    q.into_table(col("audit_records"))
        .columns(AUDIT_COLUMNS[1..].iter().map(|c| col(c)));
    for r in records {
        let changes = serde_json::to_string(&r.changes).unwrap_or_else(|_| "{}".into());
        q.values_panic([
            r.id.to_string().into(),
            r.entity_type.clone().into(),
            r.entity_id.to_string().into(),
            r.client_id.to_string().into(),
            r.action.as_str().into(),
            r.actor.clone().into(),
            r.at.to_rfc3339().into(),
            changes.into(),
            tenant.0.to_string().into(),
        ]);
    }
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
