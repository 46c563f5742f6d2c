//! Range counters and range pages: a list filtered by a range on `credit.limit` or
//! `updated_at` counted from the buckets of `client_ranges`, and its page in creation order read
//! the way those counters say is cheaper.

use clientele_core::types::{money_e4_of_key, money_key_of_e4};
use sea_query::{Iden, Quote};

use super::*;

/// A field counted per range bucket in `client_ranges` (migrations sqlite/0023, 0025). A bucket is an
/// integer whose order is the order of the values it holds, so a range of values covers a range
/// of buckets whole, plus parts of the buckets at its two ends.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum RangeField {
    /// `credit_limit_e4`: two significant digits of the amount in units of 10⁻⁴ that the key
    /// stands for (`money_e4_of_key`): `length * 100 + first two digits`.
    CreditLimit,
    /// `updated_at`: the calendar month (`year * 100 + month`).
    UpdatedAt,
}

impl RangeField {
    fn of(f: &Field) -> Option<Self> {
        match f.path {
            "credit.limit" => Some(Self::CreditLimit),
            "updated_at" => Some(Self::UpdatedAt),
            _ => None,
        }
    }

    fn column(self) -> &'static str {
        match self {
            Self::CreditLimit => "credit_limit_e4",
            Self::UpdatedAt => "updated_at",
        }
    }

    /// The bucket of a value, as the counters store it (for the keys of amounts, below
    /// 5 × 10¹⁸: `sqlite::counts::credit_limit_bucket`, the SQL of migration 0025).
    fn bucket(self, v: &Scalar) -> Option<i64> {
        match (self, v) {
            (Self::CreditLimit, Scalar::Int(k)) => Some(match money_e4_of_key(*k) {
                v if v < 0 => -1,
                v if v < 10 => 100 + v as i64,
                v => {
                    let digits = v.to_string();
                    let lead: i64 = digits.get(..2)?.parse().ok()?;
                    digits.len() as i64 * 100 + lead
                }
            }),
            (Self::UpdatedAt, Scalar::Text(t)) => {
                let year: i64 = t.get(..4)?.parse().ok()?;
                let month: i64 = t.get(5..7)?.parse().ok()?;
                (t.get(4..5) == Some("-") && (1..=12).contains(&month))
                    .then_some(year * 100 + month)
            }
            _ => None,
        }
    }

    /// The least value of a bucket, as compared with the column (a month as `YYYY-MM`, which
    /// sorts before every timestamp of that month and after every earlier one).
    fn start(self, b: i64) -> Option<Scalar> {
        match self {
            Self::CreditLimit => match b {
                -1 => None,
                100..=109 => money_key_of_e4(i128::from(b - 100)).map(Scalar::Int),
                _ => {
                    let (len, lead) = (b / 100, b % 100);
                    let scale = 10i128.checked_pow(u32::try_from(len - 2).ok()?)?;
                    money_key_of_e4(i128::from(lead).checked_mul(scale)?).map(Scalar::Int)
                }
            },
            Self::UpdatedAt => (0..=9999)
                .contains(&(b / 100))
                .then(|| Scalar::Text(format!("{:04}-{:02}", b / 100, b % 100))),
        }
    }

    fn next(self, b: i64) -> Option<i64> {
        let n = match self {
            Self::CreditLimit => match b {
                -1 => 100,
                109 => 210,
                b if b % 100 == 99 => (b / 100 + 1) * 100 + 10,
                b => b + 1,
            },
            Self::UpdatedAt if b % 100 == 12 => (b / 100 + 1) * 100 + 1,
            Self::UpdatedAt => b + 1,
        };
        self.start(n).map(|_| n)
    }

    fn prev(self, b: i64) -> Option<i64> {
        match self {
            Self::CreditLimit => match b {
                -1 => None,
                100 => Some(-1),
                210 => Some(109),
                b if b % 100 == 10 => Some((b / 100 - 1) * 100 + 99),
                b => Some(b - 1),
            },
            Self::UpdatedAt if b % 100 == 1 => Some((b / 100 - 1) * 100 + 12),
            Self::UpdatedAt => Some(b - 1),
        }
    }
}

/// The sum of the range counters of `kind` over the buckets `first..=last` (either end open),
/// with equality on the facets: what [`range_count`] and [`range_page_estimate`] read.
fn bucket_sum(
    tenant: TenantId,
    archived: ArchivedFilter,
    kind: RangeField,
    first: Option<i64>,
    last: Option<i64>,
    facets: &[FacetEq],
) -> SelectStatement {
    let bucket = || Expr::col(col("bucket"));
    let mut q = counter_sum("client_ranges", tenant, archived);
    q.and_where(Expr::col(col("field")).eq(kind.column()));
    if let Some(f) = first {
        q.and_where(bucket().gte(f));
    }
    if let Some(l) = last {
        q.and_where(bucket().lte(l));
    }
    for f in facets {
        q.and_where(f.cond());
    }
    q
}

/// The total of a list filtered by a range on one counted field (`credit.limit`, `updated_at`:
/// at most one lower and one upper bound) and equality on [`RANGE_FACETS`]: the counters of
/// the buckets the range covers whole, plus a count of the matching rows outside them (between
/// each bound and the nearest whole bucket, one index range each, at most a bucket's worth).
pub(super) fn range_count(
    tenant: TenantId,
    query: &ClientQuery,
    c: &Conjunction,
    d: &dyn Flavour,
) -> Option<SelectStatement> {
    if !d.range_counters() || !query.search.is_empty() || !c.facets_in(RANGE_FACETS) {
        return None;
    }
    let [(field, ..), ..] = c.ranges.as_slice() else {
        return None;
    };
    let kind = RangeField::of(field)?;
    let (mut lower, mut upper) = (None, None);
    for (f, op, v) in &c.ranges {
        if f.path != field.path {
            return None;
        }
        let slot = match op {
            CmpOp::Gt | CmpOp::Ge => &mut lower,
            _ => &mut upper,
        };
        if slot.replace((*op, v)).is_some() {
            return None;
        }
    }
    // The first and last buckets inside the range whole.
    let first = match lower {
        None => None,
        Some((op, v)) => {
            let b = kind.bucket(v)?;
            Some(if op == CmpOp::Ge && kind.start(b).as_ref() == Some(v) {
                b
            } else {
                kind.next(b)?
            })
        }
    };
    let last = match upper {
        None => None,
        Some((_, v)) => Some(kind.prev(kind.bucket(v)?)?),
    };
    if let (Some(f), Some(l)) = (first, last) {
        if f > l {
            return None;
        }
    }
    let counters = bucket_sum(tenant, query.archived, kind, first, last, &c.facets);
    // The rows outside the whole buckets, each part one range of the field's index. Each part
    // states its own two bounds instead of adding one to the query's filter: with two upper (or
    // lower) bounds, whose values are bound parameters, SQLite bounds the index range by one
    // of them and tests the other per entry, which read the whole range (80k entries for a
    // half-month part, docs/performance.md).
    let value = || Expr::col((clients(), col(kind.column())));
    let compare = |(op, v): (CmpOp, &Scalar)| {
        compile_filter(
            &Filter::Cmp {
                field,
                op,
                value: v.clone(),
            },
            false,
            d,
        )
    };
    let unfiltered = ClientQuery {
        filters: Vec::new(),
        ..query.clone()
    };
    let part = |bounds: Vec<Cond>| {
        let mut cond = list_cond(tenant, &unfiltered, d);
        for f in &c.facets {
            cond = cond.add(Expr::col((clients(), col(&column(f.field)))).is_in(f.values.clone()));
        }
        for b in bounds {
            cond = cond.add(b);
        }
        let mut q = Query::select();
        q.expr(Func::count(Expr::col(Asterisk)))
            .from(clients())
            .cond_where(cond);
        q
    };
    let mut parts = vec![counters];
    if let (Some(f), Some(lower)) = (first, lower) {
        let end = Cond::all().add(value().lt(bind(&kind.start(f)?)));
        parts.push(part(vec![compare(lower), end]));
    }
    if let Some(l) = last {
        let start = Cond::all().add(value().gte(bind(&kind.start(kind.next(l)?)?)));
        let mut bounds = vec![start];
        bounds.extend(upper.map(compare));
        parts.push(part(bounds));
    }
    let total = parts
        .into_iter()
        .map(|p| SimpleExpr::SubQuery(None, Box::new(p.into_sub_query_statement())))
        .reduce(|a, b| a.add(b))?;
    let mut q = Query::select();
    q.expr(total);
    Some(q)
}

/// How a page in creation order (`rid`) filtered by a range on `credit.limit` or `updated_at`
/// is read (chosen from the range counters by [`choose_range_page`]; PostgreSQL leaves a walk
/// to its planner and reads a two-sided `updated_at` range month by month, [`range_months`]). Left to itself
/// the planner reads every match of a two-sided range through the range's index and sorts
/// them, full rows, into creation order (436 ms-4.6 s at 1M clients, docs/indexes.md), or
/// walks creation order through a range that lies far behind the newest clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangePage {
    /// Walk creation order (`clients_tenant_rid`) and test each row: few rows when the range
    /// matches a large share of the tenant.
    Walk,
    /// Read the matches' `rid` from this index (it holds `rid`, migrations sqlite/0027 and
    /// postgres/0019), keep the page's worth in creation order, then read only those rows.
    Sorted(&'static str),
}

/// What [`choose_range_page`] needs to choose: a statement giving, from the counters, an
/// upper bound of the matches (the buckets the range touches, the two at its ends whole) and
/// all the tenant's clients (the rows a walk of creation order passes); the index to read the range from, and whether
/// that index alone holds every filtered column.
pub struct RangePageEstimate {
    pub statement: SelectStatement,
    pub index: &'static str,
    pub covering: bool,
    /// An `updated_at` range bounded above by a month already over: its matches were last
    /// changed before then and are mostly old clients, so walking creation order from the
    /// newest would pass every newer client first. Always read from the index.
    pub behind: bool,
}

/// This month as a bucket of `updated_at` (`year * 100 + month`, UTC): what
/// [`range_page_estimate`] takes as `current_month`.
pub fn current_month() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    i64::from(now.year()) * 100 + i64::from(u8::from(now.month()))
}

/// The estimate for a list whose page [`RangePage`] may serve: no search, creation order, the
/// archived state fixed, and a filter of one counted range (and equality on status, country,
/// kind); `None` for any other list. `current_month` is `year * 100 + month`, now.
pub fn range_page_estimate(
    tenant: TenantId,
    query: &ClientQuery,
    current_month: i64,
) -> Option<RangePageEstimate> {
    let order = query.order();
    let by_creation = matches!(order.as_slice(), [k] if std::ptr::eq(k.field, &CREATION_SEQ));
    if !by_creation || !query.search.is_empty() || query.archived == ArchivedFilter::All {
        return None;
    }
    let c = Conjunction::of(&query.filters)?;
    if !c.facets_in(RANGE_FACETS) {
        return None;
    }
    let [(field, ..), ..] = c.ranges.as_slice() else {
        return None;
    };
    let kind = RangeField::of(field)?;
    let (mut first, mut last, mut upper) = (None, None, None);
    for (f, op, v) in &c.ranges {
        if f.path != field.path {
            return None;
        }
        let b = kind.bucket(v)?;
        match op {
            CmpOp::Gt | CmpOp::Ge => first = Some(first.map_or(b, |x: i64| x.max(b))),
            _ => {
                last = Some(last.map_or(b, |x: i64| x.min(b)));
                upper = Some(b);
            }
        }
    }
    let matches = bucket_sum(tenant, query.archived, kind, first, last, &c.facets);
    // Walking creation order passes the tenant's clients of both archived states.
    let all = counter_sum("client_counts", tenant, ArchivedFilter::All);
    let mut statement = Query::select();
    statement
        .expr(SimpleExpr::SubQuery(
            None,
            Box::new(matches.into_sub_query_statement()),
        ))
        .expr(SimpleExpr::SubQuery(
            None,
            Box::new(all.into_sub_query_statement()),
        ));
    let has = |path: &str| c.facets.iter().any(|f| f.field.path == path);
    let (index, covering) = match kind {
        RangeField::UpdatedAt if has("status") && has("address.country") => {
            ("clients_tenant_status_country_updated", !has("kind"))
        }
        RangeField::UpdatedAt => ("clients_tenant_updated", c.facets.is_empty()),
        RangeField::CreditLimit => ("clients_tenant_credit_limit", c.facets.is_empty()),
    };
    Some(RangePageEstimate {
        statement,
        index,
        covering,
        behind: kind == RangeField::UpdatedAt && upper.is_some_and(|b| b < current_month),
    })
}

/// Chooses how to read the page from the estimate's two numbers: walking creation order visits
/// about `(offset + limit) * all / matches` rows (one table lookup each); reading the range's
/// index visits every match (a tenth of that when the index holds every filtered column).
pub fn choose_range_page(
    e: &RangePageEstimate,
    query: &ClientQuery,
    matches: i64,
    all: i64,
) -> RangePage {
    let wanted = (query.offset as f64) + f64::from(query.limit) + 1.0;
    let walk = wanted * (all.max(1) as f64) / (matches.max(1) as f64);
    let per_match = if e.covering { 0.1 } else { 1.0 };
    let sorted = matches as f64 * per_match + wanted;
    if e.behind || sorted < walk {
        RangePage::Sorted(e.index)
    } else {
        RangePage::Walk
    }
}

/// At most this many months are read one by one (`range_months`); a wider range reads its
/// matches from the range's index.
const MAX_MONTHS: usize = 120;

/// The calendar months (`YYYY-MM`) of a list filtered by one `updated_at` range bounded on both
/// sides (and equality on [`RANGE_FACETS`]), in order: each match was last changed in one of
/// them, so a page in creation order is the first rows of the merged per-month lists
/// (the index `clients_tenant_updated_month`, migrations postgres/0020 and sqlite/0031, which
/// also holds those fields). `None` for any other filter, or none, or more than [`MAX_MONTHS`] months.
pub(super) fn range_months(query: &ClientQuery) -> Option<Vec<String>> {
    let c = Conjunction::of(&query.filters)?;
    if !c.facets_in(RANGE_FACETS) {
        return None;
    }
    let kind = RangeField::UpdatedAt;
    let (mut first, mut last) = (None, None);
    for (f, op, v) in &c.ranges {
        if RangeField::of(f) != Some(kind) {
            return None;
        }
        let b = kind.bucket(v)?;
        match op {
            CmpOp::Gt | CmpOp::Ge => first = Some(first.map_or(b, |x: i64| x.max(b))),
            _ => last = Some(last.map_or(b, |x: i64| x.min(b))),
        }
    }
    let (mut month, last) = (first?, last?);
    let mut months = Vec::new();
    while month <= last {
        if months.len() == MAX_MONTHS {
            return None;
        }
        match kind.start(month)? {
            Scalar::Text(m) => months.push(m),
            _ => return None,
        }
        month = kind.next(month)?;
    }
    (!months.is_empty()).then_some(months)
}

/// `clients INDEXED BY <index>` as a table (SQLite): the plan reads that index, whatever the
/// planner would estimate.
pub(super) struct ClientsIndexedBy(pub(super) &'static str);

impl Iden for ClientsIndexedBy {
    fn prepare(&self, s: &mut dyn std::fmt::Write, q: Quote) {
        let (l, r) = (q.left(), q.right());
        // The index names are this module's constants, never request text.
        let _ = write!(s, "{l}clients{r} INDEXED BY {l}{}{r}", self.0);
    }

    fn unquoted(&self, s: &mut dyn std::fmt::Write) {
        let _ = write!(s, "clients");
    }
}

#[cfg(test)]
mod tests {
    use clientele_core::types::Money;

    use super::*;

    /// Each credit limit lies in its bucket (from the bucket's start to the next one's), and
    /// buckets follow the order of the amounts, up to the largest amount.
    #[test]
    fn credit_limit_buckets_hold_their_amounts_in_order_up_to_the_largest() {
        let kind = RangeField::CreditLimit;
        let key = |a: &str| Scalar::Int(Money::parse(a).map(|m| m.key()).expect(a));
        let int = |s: Option<Scalar>| match s {
            Some(Scalar::Int(k)) => Some(k),
            _ => None,
        };
        let mut last = -1;
        for a in [
            "0",
            "0.0009",
            "0.001",
            "9.9999",
            "10",
            "499999999999999.9999",
            "500000000000000",
            "922337203685477.5807",
            "922337203685477.5808",
            "999999999999999.9999",
        ] {
            let (Scalar::Int(k), Some(b)) = (key(a), kind.bucket(&key(a))) else {
                panic!("{a}: no bucket");
            };
            assert!(b >= last, "{a}: bucket {b} after {last}");
            last = b;
            let start = int(kind.start(b)).expect("start");
            assert!(start <= k, "{a}: starts at {start}");
            if let Some(next) = kind.next(b).and_then(|n| int(kind.start(n))) {
                assert!(k < next, "{a}: next bucket starts at {next}");
            }
        }
        assert_eq!(kind.bucket(&key("999999999999999.9999")), Some(1999));
        assert_eq!(kind.bucket(&key("500000000000000")), Some(1950));
        assert_eq!(kind.bucket(&key("0.0009")), Some(109));
        assert_eq!(kind.bucket(&key("0.001")), Some(210));
    }

    /// The months of a two-sided `updated_at` range are every month from the lower bound's to
    /// the upper bound's, across a year's end; other filters have none.
    #[test]
    fn a_two_sided_date_range_lists_its_months() {
        let updated = clientele_core::query::client_field("updated_at").expect("field");
        let cmp = |op, v: &str| Filter::Cmp {
            field: updated,
            op,
            value: Scalar::Text(v.to_string()),
        };
        let query = |filters| ClientQuery {
            filters,
            ..ClientQuery::default()
        };
        let q = query(vec![
            cmp(CmpOp::Ge, "2024-11-15"),
            cmp(CmpOp::Le, "2025-02-01T00:00:00.000Z"),
        ]);
        assert_eq!(
            range_months(&q),
            Some(vec![
                "2024-11".to_string(),
                "2024-12".to_string(),
                "2025-01".to_string(),
                "2025-02".to_string(),
            ])
        );
        assert_eq!(
            range_months(&query(vec![cmp(CmpOp::Ge, "2024-11-15")])),
            None
        );
        let wide = query(vec![
            cmp(CmpOp::Gt, "2000-01-01"),
            cmp(CmpOp::Lt, "2024-01-01"),
        ]);
        assert_eq!(range_months(&wide), None);
        let empty = query(vec![
            cmp(CmpOp::Gt, "2024-05-01"),
            cmp(CmpOp::Lt, "2024-04-01"),
        ]);
        assert_eq!(range_months(&empty), None);
        let eq = |path: &str, v: &str| Filter::Cmp {
            field: clientele_core::query::client_field(path).expect("field"),
            op: CmpOp::Eq,
            value: Scalar::Text(v.to_string()),
        };
        let bounds = || vec![cmp(CmpOp::Ge, "2024-01-15"), cmp(CmpOp::Lt, "2024-02-15")];
        let with = |extra| query(bounds().into_iter().chain([extra]).collect());
        assert_eq!(
            range_months(&with(eq("status", "active"))).map(|m| m.len()),
            Some(2)
        );
        assert_eq!(range_months(&with(eq("credit.currency", "SEK"))), None);
    }
}
