//! Money up to 999999999999999.9999 (migration 25 on both backends): a database written before
//! it, with the amount's integer twin in plain units of 10⁻⁴ (and, on SQLite, the range counters
//! of migration 23 bucketed by that), keeps its filters, totals and order after the migration,
//! and takes the largest amounts beside the old ones.

use std::sync::Arc;

use clientele_core::filter::parse_filter;
use clientele_core::query::{client_field, ClientQuery, SortKey};
use clientele_core::types::TenantName;
use clientele_core::{ClientData, Store, TenantId, WriteCtx};
use clientele_store::postgres::PgStore;
use clientele_store::testing::{postgres_url, TestDatabase};
use serde_json::Value;

/// The old twin is the new key plus this (`clientele_core::types::MONEY_KEY_OFFSET`).
const OFFSET: &str = "5000000000000000000";

/// The clients written before the migration: the old largest amount, the key's zero, the
/// issue's example, a small one and none.
const OLD: &[(&str, Option<&str>)] = &[
    ("OldMax", Some("900000000000000.0000")),
    ("Half", Some("500000000000000.00")),
    ("Example", Some("12345678901234.5678")),
    ("Tiny", Some("0.50")),
    ("None", None),
];

async fn setup(store: &Arc<dyn Store>) -> WriteCtx {
    let t = store
        .create_tenant(&TenantName::parse("acme").expect("name"))
        .await
        .expect("tenant");
    let ctx = WriteCtx {
        tenant: t.id,
        actor: "test".into(),
        idempotency: None,
        fill_currency: None,
        import_id: None,
    };
    for (name, limit) in OLD {
        let mut doc = serde_json::json!({"name": name, "credit": {"currency": "EUR"}});
        if let Some(l) = limit {
            doc["credit"]["limit"] = serde_json::from_str(l).expect("number");
            doc["credit"]["used"] = serde_json::from_str(l).expect("number");
        }
        store
            .create_client(&ctx, ClientData::from_json(&doc).expect("valid"))
            .await
            .expect("create");
    }
    ctx
}

/// The statement that turns the keys back into the old twins.
fn unmigrate_sql() -> String {
    let cols = [
        "credit_limit_e4",
        "credit_used_e4",
        "credit_total_income_e4",
        "credit_total_debt_payments_e4",
    ];
    let set: Vec<String> = cols
        .iter()
        .map(|c| format!("{c} = {c} + {OFFSET}"))
        .collect();
    format!("UPDATE clients SET {};", set.join(", "))
}

/// Names of the clients matching `filter`, in `sort` order, and the total.
async fn list(store: &Arc<dyn Store>, t: TenantId, filter: &str, sort: &str) -> (Vec<String>, i64) {
    let mut q = ClientQuery {
        limit: 100,
        ..ClientQuery::default()
    };
    if !filter.is_empty() {
        q.filters = vec![parse_filter(filter).expect(filter)];
    }
    if !sort.is_empty() {
        let (desc, path) = match sort.strip_prefix('-') {
            Some(p) => (true, p),
            None => (false, sort),
        };
        q.sort = vec![SortKey {
            field: client_field(path).expect("field"),
            desc,
        }];
    }
    let page = store.list_clients(t, &q).await.expect("list");
    let names = page.items.iter().map(|c| c.data.name.clone()).collect();
    (names, page.total.map_or(-1, |n| n as i64))
}

async fn check(store: &Arc<dyn Store>, t: TenantId, filter: &str, sort: &str, want: &[&str]) {
    let (names, total) = list(store, t, filter, sort).await;
    assert_eq!(names, want, "{filter} {sort}");
    assert_eq!(total, want.len() as i64, "total of {filter}");
}

/// After the migration: old clients filter, count and sort as before, and with new ones.
async fn after_migration(store: &Arc<dyn Store>, ctx: &WriteCtx) {
    let t = ctx.tenant;
    let by_limit = "-credit.limit";
    check(
        store,
        t,
        "credit.limit ge 0",
        by_limit,
        &["OldMax", "Half", "Example", "Tiny"],
    )
    .await;
    check(
        store,
        t,
        "credit.limit ge 500000000000000",
        by_limit,
        &["OldMax", "Half"],
    )
    .await;
    check(
        store,
        t,
        "credit.limit lt 500000000000000",
        by_limit,
        &["Example", "Tiny"],
    )
    .await;
    check(
        store,
        t,
        "credit.limit eq 12345678901234.5678",
        "",
        &["Example"],
    )
    .await;
    check(
        store,
        t,
        "credit.used gt 12345678901234.5677",
        by_limit,
        &["OldMax", "Half", "Example"],
    )
    .await;
    check(store, t, "credit.limit le 0.5", "", &["Tiny"]).await;
    // The largest amounts go beside them.
    for (name, limit) in [
        ("Max", "999999999999999.9999"),
        ("Near", "999999999999999.9998"),
    ] {
        let doc: Value = serde_json::from_str(&format!(
            r#"{{"name": "{name}", "credit": {{"limit": {limit}, "currency": "EUR"}}}}"#
        ))
        .expect("json");
        let c = store
            .create_client(ctx, ClientData::from_json(&doc).expect("valid"))
            .await
            .expect("create");
        let read = store.get_client(t, c.id).await.expect("read");
        assert_eq!(
            read.data.credit.limit.map(|m| m.to_string()).as_deref(),
            Some(limit)
        );
    }
    let all = ["Max", "Near", "OldMax", "Half", "Example", "Tiny"];
    check(store, t, "credit.limit ge 0", by_limit, &all).await;
    check(
        store,
        t,
        "credit.limit gt 900000000000000",
        by_limit,
        &all[..2],
    )
    .await;
    check(
        store,
        t,
        "credit.limit ge 999999999999999.9999",
        "",
        &["Max"],
    )
    .await;
    check(
        store,
        t,
        "credit.limit lt 999999999999999.9999",
        by_limit,
        &all[1..],
    )
    .await;
    check(
        store,
        t,
        "credit.limit ge 500000000000000",
        by_limit,
        &all[..4],
    )
    .await;
    // An old client moved to the top and one deleted: the counters follow.
    let (_, old) = list(store, t, "credit.limit eq 0.5", "").await;
    assert_eq!(old, 1);
    let tiny = store
        .list_clients(
            t,
            &ClientQuery {
                filters: vec![parse_filter("credit.limit eq 0.5").expect("filter")],
                ..ClientQuery::default()
            },
        )
        .await
        .expect("list")
        .items[0]
        .id;
    store
        .patch_client(
            ctx,
            tiny,
            serde_json::from_str(r#"{"credit": {"limit": 999999999999999.9997}}"#).expect("json"),
            None,
        )
        .await
        .expect("patch");
    let example = list(store, t, "credit.limit eq 12345678901234.5678", "").await;
    assert_eq!(example.1, 1);
    check(
        store,
        t,
        "credit.limit ge 999999999999999",
        by_limit,
        &["Max", "Near", "Tiny"],
    )
    .await;
    check(store, t, "credit.limit lt 1", "", &[]).await;
    let (names, _) = list(store, t, "", by_limit).await;
    assert_eq!(
        names,
        ["Max", "Near", "Tiny", "OldMax", "Half", "Example", "None"]
    );
}

#[tokio::test]
async fn sqlite_money_keys_are_migrated_with_their_counters() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("money.db");
    let url = format!("sqlite://{}", path.display());
    let store = clientele_store::open(&url).expect("store");
    store.migrate().await.expect("migrate");
    let ctx = setup(&store).await;
    store.close().await.expect("close");
    drop(store);
    {
        // The database as migration 23 left it: twins in units of 10⁻⁴, counters bucketed by them
        // (and kept by its triggers: migration 35, which drops the insert trigger, again after 25).
        let c = rusqlite::Connection::open(&path).expect("open");
        c.execute_batch(&format!(
            "DROP TRIGGER clients_ranges_delete;
             DROP TRIGGER clients_ranges_update_updated; DROP TRIGGER clients_ranges_update_credit;
             DROP TABLE client_ranges;
             {}
             {}
             DELETE FROM schema_migrations WHERE version IN (25, 35);",
            unmigrate_sql(),
            include_str!("../migrations/sqlite/0023_range_counts.sql")
        ))
        .expect("old state");
        let (twin, bucket): (i64, i64) = c
            .query_row(
                "SELECT credit_limit_e4, (SELECT bucket FROM client_ranges
                     WHERE field = 'credit_limit_e4' ORDER BY bucket DESC LIMIT 1)
                 FROM clients WHERE name = 'OldMax'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("old twin");
        assert_eq!((twin, bucket), (9_000_000_000_000_000_000, 1990));
    }
    let store = clientele_store::open(&url).expect("store");
    assert_eq!(store.migrate().await.expect("migrate"), 2);
    after_migration(&store, &ctx).await;
    store.close().await.expect("close");
    let drift = clientele_store::testing::sqlite_counter_drift(&url).expect("recount");
    assert!(drift.is_empty(), "{drift:#?}");
}

#[tokio::test]
async fn postgres_money_keys_are_migrated() {
    let server = postgres_url();
    let db = match TestDatabase::create(&server) {
        Ok(db) => db,
        Err(e) => {
            clientele_store::testing::skip(&format!("no PostgreSQL at {server} ({e})"));
            return;
        }
    };
    let store: Arc<dyn Store> = Arc::new(PgStore::open(db.url()).expect("open"));
    store.migrate().await.expect("migrate");
    let ctx = setup(&store).await;
    store.close().await.expect("close");
    drop(store);
    let (client, conn) = tokio_postgres::connect(db.url(), tokio_postgres::NoTls)
        .await
        .expect("connect");
    let driver = tokio::spawn(conn);
    client
        .batch_execute(&format!(
            "{} DELETE FROM schema_migrations WHERE version = 25;",
            unmigrate_sql()
        ))
        .await
        .expect("old state");
    let twin: i64 = client
        .query_one(
            "SELECT credit_limit_e4 FROM clients WHERE name = 'OldMax'",
            &[],
        )
        .await
        .expect("old twin")
        .get(0);
    assert_eq!(twin, 9_000_000_000_000_000_000);
    drop(client);
    let _ = driver.await;
    let store: Arc<dyn Store> = Arc::new(PgStore::open(db.url()).expect("open"));
    assert_eq!(store.migrate().await.expect("migrate"), 1);
    after_migration(&store, &ctx).await;
    store.close().await.expect("close");
}
