//! SQLite's counters of clients: the tenant's generation (one row per tenant), for the list
//! totals remembered in [`crate::counts::CountCache`], and the counters of a new client row.
//!
//! The counters (`client_counts`, `tenant_generations`, `client_facets`, `client_ranges`) are
//! kept by `AFTER UPDATE` and `AFTER DELETE` triggers on `clients` (migrations 0002, 0023,
//! 0025), and, for a new row, by [`count_new_client`]: the writer runs it right after each
//! client row's insert (`Conn::insert_rows_now`), in the same transaction, with the values the
//! row was inserted with. It writes what the `AFTER INSERT` triggers wrote before migration 35
//! dropped them: an insert with triggers is a "multi-write" that may abort, and SQLite copies
//! every page such a statement changes to a statement journal (docs/performance.md). In an
//! ordinary writer batch the new rows' counts are summed and written once per counter row at
//! the end of the batch ([`defer`], [`flush`]), or before a statement that changes `clients`
//! ([`flush_before`]).

use std::cell::RefCell;
use std::collections::BTreeMap;

use clientele_core::store::StoreResult;
use clientele_core::{StoreError, TenantId};
use rusqlite::{params, Connection, OptionalExtension};
use sea_query::Value;

/// The tenant's current generation.
pub(super) fn generation(conn: &Connection, tenant: TenantId) -> rusqlite::Result<i64> {
    conn.prepare_cached("SELECT gen FROM tenant_generations WHERE tenant_id = ?1")
        .and_then(|mut st| {
            st.query_row([tenant.0.to_string()], |r| r.get(0))
                .optional()
        })
        .map(|g| g.unwrap_or(0))
}

/// The columns of `clients` whose values a new row is counted by, in [`Counted`]'s order.
const COUNTED: [&str; 10] = [
    "tenant_id",
    "archived",
    "status",
    "address_country",
    "kind",
    "credit_currency",
    "partner_type",
    "credit_creditworthiness",
    "updated_at",
    "credit_limit_e4",
];

/// Where the [`COUNTED`] columns are among the columns of an insert into `clients`.
#[derive(Clone, Copy, Debug)]
pub(super) struct CountedColumns([usize; COUNTED.len()]);

impl CountedColumns {
    /// Their places among `columns`, or an error naming the first one missing (every insert of
    /// a client row writes them all: a missing one would be counted wrong).
    pub(super) fn of(columns: &[&str]) -> StoreResult<Self> {
        let mut at = [0; COUNTED.len()];
        for (place, name) in at.iter_mut().zip(COUNTED) {
            *place = columns.iter().position(|c| *c == name).ok_or_else(|| {
                StoreError::Other(format!("an insert into clients without {name}"))
            })?;
        }
        Ok(Self(at))
    }

    /// The counted values of one row (its values in the order of the columns given to
    /// [`CountedColumns::of`]).
    pub(super) fn read(&self, row: &[Value]) -> StoreResult<Counted> {
        let v = |i: usize| {
            row.get(self.0[i])
                .ok_or_else(|| StoreError::Other(format!("no value for {}", COUNTED[i])))
        };
        let text = |i: usize| -> StoreResult<Option<String>> {
            match v(i)? {
                Value::String(s) => Ok(s.as_deref().cloned()),
                _ => Err(StoreError::Other(format!("{} is not text", COUNTED[i]))),
            }
        };
        let int = |i: usize| -> StoreResult<Option<i64>> {
            match v(i)? {
                Value::Bool(b) => Ok(b.map(i64::from)),
                Value::TinyInt(n) => Ok(n.map(i64::from)),
                Value::SmallInt(n) => Ok(n.map(i64::from)),
                Value::Int(n) => Ok(n.map(i64::from)),
                Value::BigInt(n) => Ok(*n),
                _ => Err(StoreError::Other(format!(
                    "{} is not an integer",
                    COUNTED[i]
                ))),
            }
        };
        let required = |i: usize, value: Option<String>| {
            value.ok_or_else(|| StoreError::Other(format!("{} is NULL", COUNTED[i])))
        };
        Ok(Counted {
            tenant_id: required(0, text(0)?)?,
            archived: int(1)?.ok_or_else(|| StoreError::Other("archived is NULL".into()))?,
            status: required(2, text(2)?)?,
            address_country: text(3)?.unwrap_or_default(),
            kind: required(4, text(4)?)?,
            credit_currency: text(5)?.unwrap_or_default(),
            partner_type: text(6)?.unwrap_or_default(),
            credit_creditworthiness: text(7)?.unwrap_or_default(),
            month: month_bucket(&required(8, text(8)?)?),
            credit_limit: int(9)?.map(credit_limit_bucket),
        })
    }
}

/// What a new client row is counted by: its values as the counters store them (`NULL` as `''`
/// for the facets, as the triggers' `coalesce(x, '')`), and its two range buckets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Counted {
    tenant_id: String,
    archived: i64,
    status: String,
    address_country: String,
    kind: String,
    credit_currency: String,
    partner_type: String,
    credit_creditworthiness: String,
    /// The bucket of `updated_at` ([`month_bucket`]).
    month: i64,
    /// The bucket of `credit_limit_e4` ([`credit_limit_bucket`]); `None` when it is `NULL` (in
    /// no bucket).
    credit_limit: Option<i64>,
}

/// Counts a client row just inserted: what the `AFTER INSERT` triggers of migrations 0002 and
/// 0025 did (dropped by migration 35). While the writer's batch defers its counts ([`defer`]),
/// the row is added to the batch's pending counts, written by [`flush`]; otherwise they are
/// written at once.
pub(super) fn count_new_client(conn: &Connection, c: &Counted) -> rusqlite::Result<()> {
    let deferred = PENDING.with(|p| match p.borrow_mut().as_mut() {
        Some(pending) => {
            pending.add(c);
            true
        }
        None => false,
    });
    if deferred {
        return Ok(());
    }
    let mut one = Pending::default();
    one.add(c);
    one.write(conn)
}

/// The counts of the client rows a batch inserted, summed per counter row: a batch of creates
/// in one tenant moves each counter row it touches once (five single-row upserts per create
/// were 16% of the writer's instructions per create, docs/performance.md). Keys are in order,
/// so the upserts visit neighbouring keys of each B-tree.
///
/// The update and delete triggers of `clients` decrement the counter rows the row was counted
/// in, and find nothing to decrement while its count is still pending: the pending counts are
/// written before any statement that changes `clients` otherwise ([`flush_before`]).
#[derive(Default)]
struct Pending {
    /// `client_counts`: (tenant, archived).
    counts: BTreeMap<(String, i64), i64>,
    /// `tenant_generations`: tenant.
    generations: BTreeMap<String, i64>,
    facets: BTreeMap<FacetKey, i64>,
    ranges: BTreeMap<RangeKey, i64>,
}

/// A row of `client_facets`: tenant, archived, status, country, kind, currency, partner type,
/// creditworthiness.
type FacetKey = (String, i64, String, String, String, String, String, String);

/// A row of `client_ranges`: tenant, archived, field, bucket, status, country, kind.
type RangeKey = (String, i64, &'static str, i64, String, String, String);

impl Pending {
    fn add(&mut self, c: &Counted) {
        *self
            .counts
            .entry((c.tenant_id.clone(), c.archived))
            .or_default() += 1;
        *self.generations.entry(c.tenant_id.clone()).or_default() += 1;
        let facet = (
            c.tenant_id.clone(),
            c.archived,
            c.status.clone(),
            c.address_country.clone(),
            c.kind.clone(),
            c.credit_currency.clone(),
            c.partner_type.clone(),
            c.credit_creditworthiness.clone(),
        );
        *self.facets.entry(facet).or_default() += 1;
        let ranges = [
            ("updated_at", Some(c.month)),
            ("credit_limit_e4", c.credit_limit),
        ];
        for (field, bucket) in ranges {
            if let Some(bucket) = bucket {
                let key = (
                    c.tenant_id.clone(),
                    c.archived,
                    field,
                    bucket,
                    c.status.clone(),
                    c.address_country.clone(),
                    c.kind.clone(),
                );
                *self.ranges.entry(key).or_default() += 1;
            }
        }
    }

    /// Adds the counts to the counter rows, one single-row upsert per row (a constant text: no
    /// statement journal, no trigger).
    fn write(self, conn: &Connection) -> rusqlite::Result<()> {
        let mut st = conn.prepare_cached(
            "INSERT INTO client_counts (tenant_id, archived, n) VALUES (?1, ?2, ?3) \
             ON CONFLICT (tenant_id, archived) DO UPDATE SET n = n + excluded.n",
        )?;
        for ((tenant, archived), n) in &self.counts {
            st.execute(params![tenant, archived, n])?;
        }
        let mut st = conn.prepare_cached(
            "INSERT INTO tenant_generations (tenant_id, gen) VALUES (?1, ?2) \
             ON CONFLICT (tenant_id) DO UPDATE SET gen = gen + excluded.gen",
        )?;
        for (tenant, n) in &self.generations {
            st.execute(params![tenant, n])?;
        }
        let mut st = conn.prepare_cached(
            "INSERT INTO client_facets VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
             ON CONFLICT DO UPDATE SET n = n + excluded.n",
        )?;
        for ((a, b, c, d, e, f, g, h), n) in &self.facets {
            st.execute(params![a, b, c, d, e, f, g, h, n])?;
        }
        let mut st = conn.prepare_cached(
            "INSERT INTO client_ranges VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
             ON CONFLICT DO UPDATE SET n = n + excluded.n",
        )?;
        for ((a, b, c, d, e, f, g), n) in &self.ranges {
            st.execute(params![a, b, c, d, e, f, g, n])?;
        }
        Ok(())
    }
}

thread_local! {
    /// `Some` while the writer's current batch defers its counts (a thread-local: only the
    /// writer thread writes).
    static PENDING: RefCell<Option<Pending>> = const { RefCell::new(None) };
}

/// From now on this thread's new client rows are counted in [`PENDING`] until [`flush`] or
/// [`discard`] (the writer, at the start of an ordinary batch).
pub(super) fn defer() {
    PENDING.with(|p| *p.borrow_mut() = Some(Pending::default()));
}

/// Drops the pending counts (the batch is rolled back) and stops deferring.
pub(super) fn discard() {
    PENDING.with(|p| *p.borrow_mut() = None);
}

/// Writes the pending counts (the end of the batch, before its commit) and stops deferring.
pub(super) fn flush(conn: &Connection) -> rusqlite::Result<()> {
    match PENDING.with(|p| p.borrow_mut().take()) {
        Some(pending) => pending.write(conn),
        None => Ok(()),
    }
}

/// Before the statement `sql` runs in the writer's batch: when it may change rows of `clients`
/// (anything but a `SELECT` naming the table, as sea-query writes it, `"clients"`), the counts
/// pending so far are written first, so that its triggers find the counter rows they
/// decrement; the batch goes on deferring.
pub(super) fn flush_before(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    if sql.starts_with("SELECT") || !sql.contains("\"clients\"") {
        return Ok(());
    }
    let pending = PENDING.with(|p| {
        p.borrow_mut()
            .as_mut()
            .map(std::mem::take)
            .filter(|p| !p.generations.is_empty())
    });
    match pending {
        Some(pending) => pending.write(conn),
        None => Ok(()),
    }
}

/// The `updated_at` bucket of a stored timestamp, as migration 0023 computes it in SQL:
/// `CAST(substr(t, 1, 4) AS INTEGER) * 100 + CAST(substr(t, 6, 2) AS INTEGER)` (for
/// `2026-11-30T...`, 202611).
pub(super) fn month_bucket(t: &str) -> i64 {
    let part = |from: usize, n: usize| -> String { t.chars().skip(from).take(n).collect() };
    cast_integer(&part(0, 4))
        .wrapping_mul(100)
        .wrapping_add(cast_integer(&part(5, 2)))
}

/// `CAST(s AS INTEGER)` of a short text, as SQLite reads it: leading spaces, a sign, then the
/// longest run of digits; 0 when there is none.
fn cast_integer(s: &str) -> i64 {
    let s = s.trim_start_matches([' ', '\t', '\n', '\u{b}', '\u{c}', '\r']);
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let n = digits
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i64, |n, d| n * 10 + i64::from(d - b'0'));
    if negative {
        -n
    } else {
        n
    }
}

/// The `credit_limit_e4` bucket of a stored amount key, as migration 0025 computes it in SQL
/// (two significant digits of the amount in units of 10⁻⁴ that the key `k` stands for,
/// `k + 5 × 10¹⁸`):
///
/// ```sql
/// CASE WHEN k < -5000000000000000000 THEN -1
///      WHEN k < -4999999999999999990 THEN 100 + (k + 5000000000000000000)
///      WHEN k < 0 THEN length(k + 5000000000000000000) * 100
///          + CAST(substr(k + 5000000000000000000, 1, 2) AS INTEGER)
///      ELSE 1950 + k / 100000000000000000
/// END
/// ```
///
/// For the keys of amounts (below 5 × 10¹⁸) this is `RangeField::bucket` of
/// `statements::list::ranges`, which the list reads the counters with.
pub(super) fn credit_limit_bucket(k: i64) -> i64 {
    const OFFSET: i64 = 5_000_000_000_000_000_000;
    if k < -OFFSET {
        -1
    } else if k < -OFFSET + 10 {
        100 + (k + OFFSET)
    } else if k < 0 {
        // 10 ≤ v < 5 × 10¹⁸: its number of digits, and its first two.
        let v = k + OFFSET;
        let digits = i64::from(v.ilog10()) + 1;
        digits * 100 + v / 10i64.pow(v.ilog10() - 1)
    } else {
        1950 + k / 100_000_000_000_000_000
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::sync::Mutex;
    use std::task::{Context, Poll, Waker};

    use clientele_core::store::{ImportMode, ImportOutcome, ImportRow};
    use clientele_core::sub::{SubData, SubKind};
    use clientele_core::types::{TenantName, Timestamp};
    use clientele_core::{ClientData, Store, WriteCtx};
    use serde_json::{json, Value as Json};

    use super::super::SqliteStore;
    use super::*;
    use crate::columns::decode_client;
    use crate::db::{Tx, Write};
    use crate::engine::Backend;
    use crate::rules::clients::{Delete, Patch, Upsert};
    use crate::statements as sql;

    /// A client of every combination the counters key by, in turn: status, archived, kind,
    /// country, currency, partner type, creditworthiness (each also left out), and a credit
    /// limit of each kind of bucket (none, 0..10 units of 10⁻⁴, around powers of ten, the
    /// largest amounts).
    fn body(i: usize, external_id: Option<String>) -> Json {
        let limits = [
            Json::Null,
            json!(0),
            json!(0.0001),
            json!(0.0009),
            json!(0.001),
            json!(9.9999),
            json!(10),
            json!(99),
            json!(500000),
            json!(509999.9999),
            json!(1000000),
            serde_json::from_str("999999999999999.9999").expect("number"),
        ];
        let mut b = json!({
            "name": format!("Counted {i} AB"),
            "status": (["active", "inactive"][i % 2]),
            "archived": i % 5 == 3,
        });
        if i % 4 == 1 {
            b["kind"] = json!("person");
            b["first_name"] = json!("Anna");
            b["last_name"] = json!(format!("Räknad {i}"));
        }
        if let Some(country) = [Some("SE"), Some("NO"), None][i % 3] {
            b["address"] = json!({"city": "Stad", "country": country});
        }
        let mut credit = serde_json::Map::new();
        if let Some(currency) = [Some("SEK"), None, Some("EUR"), Some("NOK")][i % 4] {
            credit.insert("currency".into(), json!(currency));
        }
        if let Some(w) = ["good", "middle", "substandard", "bad", ""].get(i % 5) {
            if !w.is_empty() {
                credit.insert("creditworthiness".into(), json!(w));
            }
        }
        let limit = &limits[i % limits.len()];
        if !limit.is_null() {
            credit.insert("limit".into(), limit.clone());
            credit.entry("currency").or_insert(json!("SEK"));
        }
        b["credit"] = Json::Object(credit);
        let partners = [
            "construction",
            "industry",
            "other",
            "private",
            "city_community",
        ];
        if !i.is_multiple_of(6) {
            b["partner_type"] = json!(partners[i % partners.len()]);
        }
        if let Some(e) = external_id {
            b["external_id"] = json!(e);
        }
        b
    }

    fn data(v: Json) -> ClientData {
        ClientData::from_json(&v).expect("valid")
    }

    /// Sends a write to the writer without waiting for it: its first poll queues the job.
    fn queued<F: Future + Unpin>(mut f: F) -> F {
        let polled = std::pin::Pin::new(&mut f).poll(&mut Context::from_waker(Waker::noop()));
        assert!(matches!(polled, Poll::Pending), "the write was not queued");
        f
    }

    /// What [`ByExternalId`] does to the client.
    enum Change {
        Patch(Json),
        Delete,
    }

    /// Patches or deletes the client with an external id (its id is not known when the write
    /// is queued).
    struct ByExternalId(WriteCtx, &'static str, Change);

    impl Write for ByExternalId {
        type Output = ();

        fn tenant(&self) -> Option<clientele_core::TenantId> {
            Some(self.0.tenant)
        }

        async fn run<X: Tx>(&self, tx: &X) -> StoreResult<()> {
            let id = tx
                .one(
                    &sql::select_client_by_external_id(self.0.tenant, self.1),
                    decode_client,
                )
                .await?
                .id;
            let ctx = self.0.clone();
            match &self.2 {
                Change::Patch(patch) => {
                    let op = Patch {
                        ctx,
                        id,
                        patch: patch.clone(),
                        expected_version: None,
                    };
                    op.run(tx).await.map(|_| ())
                }
                Change::Delete => {
                    let op = Delete {
                        ctx,
                        id,
                        expected_version: None,
                    };
                    op.run(tx).await
                }
            }
        }
    }

    /// Every way a client is inserted counts it as the `AFTER INSERT` triggers did (the
    /// counters equal a recount of the rows, and each new client bumps its tenant's
    /// generation once), and a batch that creates a client and then changes or deletes it
    /// moves the counters it made (the counter rows are there when the update and delete
    /// triggers decrement them).
    #[tokio::test]
    async fn every_insert_counts_its_client_as_the_triggers_did() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("counted.db");
        let url = format!("sqlite://{}", path.display());
        let store = SqliteStore::open(&path).expect("open");
        store.migrate().await.expect("migrate");
        let exact = |step: &str| {
            let drift = crate::testing::sqlite_counter_drift(&url).expect("recount");
            assert!(drift.is_empty(), "after {step}: {drift:#?}");
        };
        let read = rusqlite::Connection::open(&path).expect("reader");
        let clients_of = |tenant: clientele_core::TenantId| -> i64 {
            read.query_row(
                "SELECT count(*) FROM clients WHERE tenant_id = ?1",
                [tenant.0.to_string()],
                |r| r.get(0),
            )
            .expect("count")
        };
        let tenant = |name: &str| {
            let store = &store;
            let name = TenantName::parse(name).expect("name");
            async move { store.create_tenant(&name).await.expect("tenant").id }
        };
        let (acme, other) = (tenant("acme").await, tenant("other").await);
        let ctx = WriteCtx::new(acme, "test");
        let other_ctx = WriteCtx::new(other, "test");

        // One create at a time, in both tenants: one generation each.
        for i in 0..24 {
            store
                .create_client(&ctx, data(body(i, None)))
                .await
                .expect("create");
        }
        for i in 0..5 {
            let made = store.create_client(&other_ctx, data(body(i, None))).await;
            made.expect("create");
        }
        exact("single creates");
        assert_eq!(generation(&read, acme).expect("generation"), 24);
        assert_eq!(generation(&read, other).expect("generation"), 5);

        // A bulk insert (seed-demo's and the import's path), an import that creates a client
        // and then updates it (the same external id twice), an upsert by external id, and a
        // create with sub-resources (its account count updates the row it just inserted).
        let at = Timestamp::now();
        let bulk: Vec<_> = (24..60).map(|i| (data(body(i, None)), at)).collect();
        store.insert_clients_bulk(&ctx, bulk).await.expect("bulk");
        assert_eq!(generation(&read, acme).expect("generation"), 60);
        exact("a bulk insert");
        let row = |line: u64, v: Json| ImportRow {
            line,
            data: data(v),
            subs: Vec::new(),
            sub_kinds: Vec::new(),
            created_at: None,
        };
        let mut rows: Vec<ImportRow> = (60..70)
            .map(|i| row(i as u64, body(i, Some(format!("IMP-{i}")))))
            .collect();
        rows.push(row(70, body(71, Some("IMP-61".into()))));
        rows.push(row(71, body(73, Some("IMP-62".into()))));
        let outcomes = store
            .import_clients(&ctx, ImportMode::Upsert, rows)
            .await
            .expect("import");
        let updated = outcomes
            .iter()
            .filter(|o| matches!(o, ImportOutcome::Updated))
            .count();
        assert_eq!((outcomes.len(), updated), (12, 2), "{outcomes:?}");
        exact("an import");
        store
            .upsert_client_by_external_id(&ctx, data(body(80, Some("UP-1".into()))), None)
            .await
            .expect("upsert");
        let account = json!({"name": "Main"});
        store
            .create_client_with_subs(
                &ctx,
                data(body(81, None)),
                vec![SubData::from_json(SubKind::Account, &account).expect("account")],
            )
            .await
            .expect("with subs");
        exact("an upsert and a create with sub-resources");

        // One writer batch: while the writer waits on a first job, a create, an update of the
        // same client (other status, country, archived, limit), another update, a delete of it,
        // and a create left as it is are queued, and all of them are committed together. They
        // are in a tenant of their own, whose counter rows the batch makes: the triggers of
        // the update and the delete find the rows the creates counted in.
        let fresh = tenant("fresh").await;
        let ctx = WriteCtx::new(fresh, "test");
        let backend = &store.backend;
        let (open, gate) = std::sync::mpsc::channel::<()>();
        let (started, running) = std::sync::mpsc::channel::<()>();
        let (gate, started) = (Mutex::new(gate), Mutex::new(started));
        let first = queued(Box::pin(backend.writer.run(move |_| {
            let _ = started.lock().map(|s| s.send(()));
            let _ = gate.lock().map(|g| g.recv());
            Ok(())
        })));
        // The writer runs it (alone: nothing else is queued): what follows is its next batch.
        running.recv().expect("the first job runs");
        let before = generation(&read, fresh).expect("generation");
        let (kept_ext, gone_ext) = ("BATCH-KEPT", "BATCH-GONE");
        let upsert = |i: usize, ext: &str| Upsert {
            ctx: ctx.clone(),
            external_id: ext.to_string(),
            data: data(body(i, Some(ext.to_string()))),
            expected_version: None,
        };
        let made = queued(Box::pin(backend.write(upsert(8, gone_ext))));
        let moved = queued(Box::pin(backend.write(upsert(9, gone_ext))));
        let patched = queued(Box::pin(backend.write(ByExternalId(
            ctx.clone(),
            gone_ext,
            Change::Patch(json!({"archived": true, "status": "inactive",
                   "address": {"country": "DK"}, "credit": {"limit": 42, "currency": "SEK"}})),
        ))));
        let kept = queued(Box::pin(backend.write(upsert(10, kept_ext))));
        let archived = queued(Box::pin(backend.write(ByExternalId(
            ctx.clone(),
            kept_ext,
            Change::Patch(json!({"archived": true})),
        ))));
        let deleted = queued(Box::pin(backend.write(ByExternalId(
            ctx.clone(),
            gone_ext,
            Change::Delete,
        ))));
        drop(open);
        first.await.expect("first");
        assert!(made.await.expect("create").1, "created");
        assert!(!moved.await.expect("update").1, "updated");
        patched.await.expect("patch");
        kept.await.expect("create");
        archived.await.expect("archive");
        deleted.await.expect("delete");
        exact("a batch that creates, changes and deletes");
        assert!(generation(&read, fresh).expect("generation") > before);
        let gone: i64 = read
            .query_row(
                "SELECT count(*) FROM clients WHERE external_id = ?1",
                [gone_ext],
                |r| r.get(0),
            )
            .expect("count");
        assert_eq!(gone, 0);
        assert_eq!(clients_of(acme), 60 + 10 + 1 + 1);
        assert_eq!(clients_of(fresh), 1);
        assert_eq!(clients_of(other), 5);

        store.close().await.expect("close");
        // A client inserted by SQL alone is not counted: the recount sees it.
        let by_hand = rusqlite::Connection::open(&path).expect("writer");
        by_hand
            .execute_batch(
                "CREATE TEMP TABLE copy AS SELECT * FROM clients WHERE rid = (SELECT max(rid) FROM clients);
                 UPDATE copy SET rid = rid + 1, number = 999999, external_id = NULL,
                     id = '00000000-0000-7000-8000-000000000001';
                 INSERT INTO clients SELECT * FROM copy;",
            )
            .expect("insert by hand");
        let drift = crate::testing::sqlite_counter_drift(&url).expect("recount");
        assert!(
            drift
                .iter()
                .any(|d| d.starts_with("client_counts: in the rows")),
            "{drift:#?}"
        );
    }

    /// The Rust buckets are the SQL of the migrations, evaluated by SQLite, on many values.
    #[test]
    fn the_buckets_are_the_triggers_sql() {
        let conn = Connection::open_in_memory().expect("open");
        let sql_limit = |k: Option<i64>| -> Option<i64> {
            conn.query_row(
                "SELECT CASE WHEN ?1 < -5000000000000000000 THEN -1
                     WHEN ?1 < -4999999999999999990 THEN 100 + (?1 + 5000000000000000000)
                     WHEN ?1 < 0 THEN length(?1 + 5000000000000000000) * 100
                         + CAST(substr(?1 + 5000000000000000000, 1, 2) AS INTEGER)
                     ELSE 1950 + ?1 / 100000000000000000
                 END",
                [k],
                |r| r.get(0),
            )
            .expect("case")
        };
        assert_eq!(sql_limit(None), None, "NULL is in no bucket");
        let offset = 5_000_000_000_000_000_000i64;
        let mut keys = vec![i64::MIN, i64::MIN + 1, i64::MAX, i64::MAX - 1, 0, 1, -1];
        // Amounts 0..10 (units of 10⁻⁴) and around every power of ten, either side of the
        // key's zero, and keys below every amount.
        for v in 0..=200i64 {
            keys.extend([v - offset, -v, v]);
        }
        let mut p = 1i64;
        loop {
            for d in [-11, -1, 0, 1, 9, 10, 11] {
                for base in [p, 2 * p, 5 * p, 9 * p] {
                    if let Some(v) = base.checked_add(d) {
                        keys.extend([v.wrapping_sub(offset), v, -v]);
                    }
                }
            }
            match p.checked_mul(10) {
                Some(next) => p = next,
                None => break,
            }
        }
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..5_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            keys.push(x as i64);
            keys.push(((x >> (x % 60)) as i64).wrapping_sub(offset));
        }
        for k in keys {
            assert_eq!(Some(credit_limit_bucket(k)), sql_limit(Some(k)), "key {k}");
        }

        let sql_month = |t: &str| -> i64 {
            conn.query_row(
                "SELECT CAST(substr(?1, 1, 4) AS INTEGER) * 100
                     + CAST(substr(?1, 6, 2) AS INTEGER)",
                [t],
                |r| r.get(0),
            )
            .expect("month")
        };
        for t in [
            "2026-11-30T16:40:00.123Z",
            "2024-01-01T00:00:00.000Z",
            "1999-12-31T23:59:59.999Z",
            "0000-01-01T00:00:00.000Z",
            "9999-12-31T23:59:59.999Z",
            "+10000-01-01T00:00:00.000Z",
            "-0001-03-01T00:00:00.000Z",
            "-001-03-01",
            "2026-1",
            "2026",
            "20",
            "",
            " 202-07",
            "20x6-0y",
            "åäö-åä",
            "2026-ä1",
        ] {
            assert_eq!(month_bucket(t), sql_month(t), "{t:?}");
        }
    }
}
