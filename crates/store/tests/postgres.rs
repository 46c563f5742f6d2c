//! PostgreSQL store, directly: search terms, the change feed's commit order, per-tenant numbers.
//! Needs a server (`CLIENTELE_TEST_POSTGRES_URL`, default the local one); without one each test
//! prints a skip line and passes.

use std::collections::BTreeSet;
use std::sync::Arc;

use clientele_core::query::ClientQuery;
use clientele_core::search::query_terms;
use clientele_core::sub::{SubData, SubKind};
use clientele_core::types::TenantName;
use clientele_core::{ClientData, Store, StoreError, TenantId, WriteCtx};
use clientele_store::postgres::PgStore;
use clientele_store::testing::{postgres_url, TestDatabase};
use serde_json::{json, Value};

async fn fresh() -> Option<(TestDatabase, Arc<PgStore>)> {
    let server = postgres_url();
    let db = match TestDatabase::create(&server) {
        Ok(db) => db,
        Err(e) => {
            clientele_store::testing::skip(&format!("no PostgreSQL at {server} ({e})"));
            return None;
        }
    };
    let store = Arc::new(PgStore::open(db.url()).expect("open"));
    store.migrate().await.expect("migrate");
    Some((db, store))
}

/// A follower of the tenant's feed that only ever moves forward from the last cursor it was
/// given, `page` records at a time, until it has seen `expected` records (or 60 s pass): the
/// ids it saw, each at most once.
fn follow_feed(
    store: Arc<PgStore>,
    tenant: TenantId,
    page: u32,
    expected: usize,
) -> tokio::task::JoinHandle<BTreeSet<uuid::Uuid>> {
    tokio::spawn(async move {
        let mut seen = BTreeSet::new();
        let mut cursor = None;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while seen.len() < expected && std::time::Instant::now() < deadline {
            let page = store.events(tenant, cursor, page).await.expect("events");
            for r in &page.records {
                assert!(seen.insert(r.id), "record handed out twice");
            }
            if page.last_pos.is_some() {
                cursor = page.last_pos;
            } else {
                tokio::task::yield_now().await;
            }
        }
        seen
    })
}

async fn tenant(store: &PgStore, name: &str) -> WriteCtx {
    let t = store
        .create_tenant(&TenantName::parse(name).expect("name"))
        .await
        .expect("tenant");
    WriteCtx {
        tenant: t.id,
        actor: "test".into(),
        idempotency: None,
        fill_currency: None,
        import_id: None,
    }
}

fn data(v: Value) -> ClientData {
    ClientData::from_json(&v).expect("valid client")
}

#[tokio::test]
async fn migrations_are_applied_once() {
    let Some((_db, store)) = fresh().await else {
        return;
    };
    assert_eq!(store.migrate().await.expect("again"), 0);
}

#[tokio::test]
async fn search_is_prefix_case_and_accent_insensitive_and_follows_every_change() {
    let Some((_db, store)) = fresh().await else {
        return;
    };
    let ctx = tenant(&store, "acme").await;
    let other = tenant(&store, "other").await;
    let muller = store
        .create_client(
            &ctx,
            data(
                json!({"name": "Müller Bau GmbH", "email": "schmidt123@example.de",
                        "tax_id": "DE-998877", "external_id": "ERP-42"}),
            ),
        )
        .await
        .expect("create");
    let orsted = store
        .create_client(
            &ctx,
            data(json!({"name": "Ørsted A/S", "legal_name": "Ørsted Energy"})),
        )
        .await
        .expect("create");
    store
        .create_client(&other, data(json!({"name": "Müller Other Tenant"})))
        .await
        .expect("create");
    let ids = |v: Vec<uuid::Uuid>| v.into_iter().collect::<BTreeSet<_>>();
    let find = |t: TenantId, q: &'static str| {
        let store = store.clone();
        async move {
            let query = ClientQuery {
                search: query_terms(q),
                limit: 100,
                ..ClientQuery::default()
            };
            let page = store.list_clients(t, &query).await.expect("search");
            ids(page.items.into_iter().map(|c| c.id).collect())
        }
    };
    let just = |id: uuid::Uuid| BTreeSet::from([id]);
    assert_eq!(find(ctx.tenant, "mull").await, just(muller.id));
    assert_eq!(find(ctx.tenant, "MÜLLER bau").await, just(muller.id));
    // Ø is a letter of its own, not an accented O (no canonical decomposition), on both backends.
    assert_eq!(find(ctx.tenant, "ørst").await, just(orsted.id));
    assert_eq!(find(ctx.tenant, "ØRSTED energy").await, just(orsted.id));
    assert_eq!(find(ctx.tenant, "schmidt1").await, just(muller.id));
    assert_eq!(find(ctx.tenant, "998877").await, just(muller.id));
    assert_eq!(find(ctx.tenant, "erp-42").await, just(muller.id));
    assert!(
        find(ctx.tenant, "ller").await.is_empty(),
        "prefix, not substring"
    );
    assert!(
        find(ctx.tenant, "muller ørsted").await.is_empty(),
        "every word must match"
    );
    assert_eq!(find(ctx.tenant, "").await.len(), 2, "no words: no filter");

    // A contact person's name and email are found, and leave with the contact.
    let contact = store
        .create_sub(
            &ctx,
            orsted.id,
            SubData::from_json(
                SubKind::ContactPerson,
                &json!({"name": "Åsa Lindqvist", "email": "asa@windpower.dk"}),
            )
            .expect("contact"),
        )
        .await
        .expect("contact");
    assert_eq!(find(ctx.tenant, "asa lind").await, just(orsted.id));
    assert_eq!(find(ctx.tenant, "windpow").await, just(orsted.id));
    store
        .delete_sub(&ctx, SubKind::ContactPerson, orsted.id, contact.id, None)
        .await
        .expect("delete contact");
    assert!(find(ctx.tenant, "lindqvist").await.is_empty());

    // Renames and deletes are reflected at once (same transaction).
    store
        .patch_client(&ctx, muller.id, json!({"name": "Schulz Bau"}), None)
        .await
        .expect("patch");
    assert!(find(ctx.tenant, "muller").await.is_empty());
    assert_eq!(find(ctx.tenant, "schulz").await, just(muller.id));
    store
        .delete_client(&ctx, muller.id, None)
        .await
        .expect("delete");
    assert!(find(ctx.tenant, "schulz").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn numbers_are_per_tenant_and_failed_writes_leave_no_gap() {
    let Some((db, store)) = fresh().await else {
        return;
    };
    // Two pools on one database: two instances of the service.
    let second = Arc::new(PgStore::open(db.url()).expect("open"));
    let a = tenant(&store, "a").await;
    let b = tenant(&store, "b").await;
    store
        .create_client(&a, data(json!({"name": "Taken", "external_id": "x"})))
        .await
        .expect("create");
    let mut tasks = Vec::new();
    for i in 0..60 {
        let s: Arc<PgStore> = if i % 2 == 0 {
            store.clone()
        } else {
            second.clone()
        };
        let ctx = if i % 3 == 0 { b.clone() } else { a.clone() };
        tasks.push(tokio::spawn(async move {
            // Every fifth create collides on external_id and must not consume a number.
            let body = if i % 5 == 0 && ctx.tenant == a.tenant {
                json!({"name": format!("Dup {i}"), "external_id": "x"})
            } else {
                json!({"name": format!("Client {i}")})
            };
            match s.create_client(&ctx, data(body)).await {
                Ok(c) => Some((ctx.tenant, c.number)),
                Err(StoreError::Conflict(_)) => None,
                Err(e) => panic!("unexpected {e}"),
            }
        }));
    }
    let mut per_tenant: std::collections::HashMap<TenantId, Vec<i64>> = Default::default();
    for t in tasks {
        if let Some((tenant, n)) = t.await.expect("task") {
            per_tenant.entry(tenant).or_default().push(n);
        }
    }
    let mut na = per_tenant.remove(&a.tenant).unwrap_or_default();
    let mut nb = per_tenant.remove(&b.tenant).unwrap_or_default();
    na.sort_unstable();
    nb.sort_unstable();
    assert_eq!(na, (2..=na.len() as i64 + 1).collect::<Vec<_>>());
    assert_eq!(nb, (1..=nb.len() as i64).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_change_feed_never_skips_a_record_that_commits_late() {
    let Some((db, store)) = fresh().await else {
        return;
    };
    let second = Arc::new(PgStore::open(db.url()).expect("open"));
    let ctx = tenant(&store, "feed").await;
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let s: Arc<PgStore> = if w % 2 == 0 {
                store.clone()
            } else {
                second.clone()
            };
            let ctx = ctx.clone();
            tokio::spawn(async move {
                for n in 0..25 {
                    let c = s
                        .create_client(&ctx, data(json!({"name": format!("W{w} #{n}")})))
                        .await
                        .expect("create");
                    s.patch_client(&ctx, c.id, json!({"notes": "x"}), None)
                        .await
                        .expect("patch");
                }
            })
        })
        .collect();
    let follower = follow_feed(store.clone(), ctx.tenant, 7, 400);
    for w in writers {
        w.await.expect("writer");
    }
    let seen = follower.await.expect("follower");
    assert_eq!(seen.len(), 400, "a follower saw every record exactly once");
}

#[tokio::test]
async fn bulk_loads_number_sequence_index_and_count_every_row() {
    let Some((_db, store)) = fresh().await else {
        return;
    };
    let ctx = tenant(&store, "bulk").await;
    store
        .create_client(&ctx, data(json!({"name": "Before"})))
        .await
        .expect("create");
    // 1,201 rows over three chunks; groups of three share a millisecond.
    let base = clientele_core::types::Timestamp::now();
    let rows: Vec<_> = (0..1201)
        .map(|i| {
            let at = clientele_core::types::Timestamp::parse(
                &base.plus_seconds(-(i / 3) as i64 - 1).to_rfc3339(),
            )
            .expect("timestamp");
            let name = if i == 701 {
                "Zyxwv Rare".to_string()
            } else {
                format!("Bulk {i}")
            };
            (data(json!({"name": name, "archived": i % 100 == 0})), at)
        })
        .collect();
    assert_eq!(
        store.insert_clients_bulk(&ctx, rows).await.expect("bulk"),
        1201
    );
    let all = ClientQuery {
        archived: clientele_core::query::ArchivedFilter::All,
        limit: 100,
        count: true,
        ..ClientQuery::default()
    };
    let page = store.list_clients(ctx.tenant, &all).await.expect("list");
    assert_eq!(page.total, Some(1202));
    let live = ClientQuery {
        count: true,
        ..ClientQuery::default()
    };
    let page = store.list_clients(ctx.tenant, &live).await.expect("list");
    assert_eq!(
        page.total,
        Some(1202 - 13),
        "archived rows are counted apart"
    );
    // Numbers continue without a gap; creation order is the given times (newest first).
    let mut numbers = Vec::new();
    let mut q = all.clone();
    for _ in 0..20 {
        let page = store.list_clients(ctx.tenant, &q).await.expect("page");
        numbers.extend(page.items.iter().map(|c| c.number));
        match page.next {
            Some(pos) => q.after = Some(pos),
            None => break,
        }
    }
    let mut sorted = numbers.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (1..=1202).collect::<Vec<_>>());
    assert_eq!(numbers[0], 1, "the client created now is the newest");
    let search = ClientQuery {
        search: query_terms("zyxw"),
        ..ClientQuery::default()
    };
    let found = store
        .list_clients(ctx.tenant, &search)
        .await
        .expect("search");
    assert_eq!(found.items.len(), 1);
    assert_eq!(found.items[0].data.name, "Zyxwv Rare");
    let events = store.events(ctx.tenant, None, 1000).await.expect("events");
    assert!(events.has_more, "one audit record per row");
}

#[tokio::test]
async fn tenants_from_before_default_currencies_get_eur() {
    let server = postgres_url();
    let db = match TestDatabase::create(&server) {
        Ok(db) => db,
        Err(e) => {
            clientele_store::testing::skip(&format!("no PostgreSQL at {server} ({e})"));
            return;
        }
    };
    // A database at migration 4, with a tenant; migrations 5, 6, 12, 13, 14, 15, 16, 17, 18,
    // 19, 20 and 25 follow.
    let (client, conn) = tokio_postgres::connect(db.url(), tokio_postgres::NoTls)
        .await
        .expect("connect");
    let driver = tokio::spawn(conn);
    let mut script = String::from(
        "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL);",
    );
    for (v, sql) in [
        (1, include_str!("../migrations/postgres/0001_init.sql")),
        (2, include_str!("../migrations/postgres/0002_search.sql")),
        (3, include_str!("../migrations/postgres/0003_audit.sql")),
        (
            4,
            include_str!("../migrations/postgres/0004_subresources.sql"),
        ),
    ] {
        script.push_str(sql);
        script.push_str(&format!(
            "\nINSERT INTO schema_migrations VALUES ({v}, '2026-01-01T00:00:00.000Z');\n"
        ));
    }
    script.push_str(
        "INSERT INTO tenants (id, name, created_at)
         VALUES ('0190a000-0000-7000-8000-000000000001', 'old', '2026-01-01T00:00:00.000Z');",
    );
    client.batch_execute(&script).await.expect("old schema");
    drop(client);
    let _ = driver.await;

    let store = PgStore::open(db.url()).expect("open");
    // 0005 (default currencies), 0006 (feed positions), 0008 (whole search words), 0010
    // (idempotency claims' instances), 0011 (credentials' generation), 0012 (parallel writes),
    // 0013 (tsvector search), 0014 (range counters), 0015 (search tags), 0016 (search tags
    // written with the words), 0017 (audit records' import ids), 0018 (an index), 0019 (`rid`
    // in the range indexes), 0020 (an index), 0025 (money keys).
    assert_eq!(store.migrate().await.expect("migrate"), 15);
    let old = store
        .tenant_by_name("old")
        .await
        .expect("read")
        .expect("tenant");
    assert_eq!(old.default_currency.as_str(), "EUR");
    let new = store
        .create_tenant_with_currency(
            &TenantName::parse("new").expect("name"),
            &clientele_core::types::CurrencyCode::parse("DKK").expect("currency"),
        )
        .await
        .expect("tenant");
    let read = store.tenant_by_name("new").await.expect("read");
    assert_eq!(read.map(|t| t.default_currency), Some(new.default_currency));
    store.close().await.expect("close");
}

/// An in-flight idempotency claim belongs to the instance that made it: another instance sees it
/// in flight while that instance runs, and takes it over at once when it is gone (its session,
/// and with it its advisory lock, ended), without waiting for the claim to age out.
#[tokio::test]
async fn a_claim_is_released_when_its_instance_is_gone() {
    use clientele_core::idempotency::{IdempotencyBegin, IdempotencyScope};
    use clientele_core::types::Timestamp;
    let Some((db, first)) = fresh().await else {
        return;
    };
    let ctx = tenant(&first, "acme").await;
    let scope = IdempotencyScope {
        tenant: ctx.tenant,
        credential_id: "key-1".into(),
        key: "order-1".into(),
    };
    let hash = [7u8; 32];
    let begin = |store: Arc<PgStore>| {
        let scope = scope.clone();
        async move {
            store
                .idempotency_begin(&scope, hash, Timestamp::now())
                .await
                .expect("begin")
        }
    };
    assert_eq!(begin(first.clone()).await, IdempotencyBegin::Started);
    let second = Arc::new(PgStore::open(db.url()).expect("open"));
    assert_eq!(begin(second.clone()).await, IdempotencyBegin::InFlight);
    assert_eq!(begin(first.clone()).await, IdempotencyBegin::InFlight);
    first.close().await.expect("close");
    assert_eq!(begin(second.clone()).await, IdempotencyBegin::Started);
    // Now the second instance's: in flight for it.
    assert_eq!(begin(second.clone()).await, IdempotencyBegin::InFlight);
}

/// Migration 8 rewrites the terms of every existing client with words kept whole: a client
/// indexed with the old split (`ac 4`, `firma 37`) is found by `ac4` afterwards and no longer
/// by `ac3`.
#[tokio::test]
async fn migration_8_reindexes_existing_clients_with_whole_words() {
    let Some((db, store)) = fresh().await else {
        return;
    };
    let ctx = tenant(&store, "acme").await;
    let c = store
        .create_client(
            &ctx,
            data(json!({"name": "Firma 37", "account_code": "AC4", "external_id": "ERP-00424242"})),
        )
        .await
        .expect("create");
    let (client, conn) = tokio_postgres::connect(db.url(), tokio_postgres::NoTls)
        .await
        .expect("connect");
    let driver = tokio::spawn(conn);
    // The client's words as the old split wrote them (migration 13 keeps them in one tsvector),
    // with the tags migration 15 gives every row.
    let old_words = ["firma", "37", "ac", "4", "erp", "00424242"];
    let script = format!(
        "UPDATE client_search SET words = array_to_tsvector(ARRAY['{}']::text[])
                                          || clientele_search_tags_of(words)
         WHERE tenant_id = '{}' AND client_id = '{}';
         DELETE FROM schema_migrations WHERE version = 8;",
        old_words.join("','"),
        ctx.tenant.0,
        c.id
    );
    client.batch_execute(&script).await.expect("old terms");
    drop(client);
    let _ = driver.await;
    let find = |q: &'static str| {
        let store = store.clone();
        async move {
            let query = ClientQuery {
                search: query_terms(q),
                ..ClientQuery::default()
            };
            store
                .list_clients(ctx.tenant, &query)
                .await
                .expect("search")
                .items
                .len()
        }
    };
    assert_eq!(find("ac4").await, 0, "the old split has no whole word");
    assert_eq!(store.migrate().await.expect("migrate"), 1);
    assert_eq!(find("ac4").await, 1);
    assert_eq!(find("ac3").await, 0);
    assert_eq!(find("erp-00424242").await, 1);
    assert_eq!(find("firma 37").await, 1);
    // The rewritten words keep the client's tags.
    assert_eq!(tag_mismatches(db.url()).await, (0, 1));
    store.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn grouped_creates_keep_each_their_own_number_actor_record_and_key() {
    use clientele_core::idempotency::{IdempotencyBegin, IdempotencyScope};
    use clientele_core::types::Timestamp;
    let Some((db, _)) = fresh().await else {
        return;
    };
    // One slot for the tenant's creates on a small pool: concurrent creates queue and are
    // written in groups (crate::groups).
    let store = Arc::new(
        PgStore::open(&format!("{}?pool_size=3&create_groups=1", db.url())).expect("open"),
    );
    let ctx = tenant(&store, "groups").await;
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let (store, mut ctx) = (store.clone(), ctx.clone());
            tokio::spawn(async move {
                ctx.actor = format!("actor-{i}");
                let scope = IdempotencyScope {
                    tenant: ctx.tenant,
                    credential_id: ctx.actor.clone(),
                    key: format!("key-{i}"),
                };
                if i % 2 == 0 {
                    let began = store
                        .idempotency_begin(&scope, [i as u8; 32], Timestamp::now())
                        .await
                        .expect("begin");
                    assert!(matches!(began, IdempotencyBegin::Started));
                    ctx.idempotency = Some(scope.clone());
                }
                let c = store
                    .create_client(&ctx, data(json!({"name": format!("Grouped {i}")})))
                    .await
                    .expect("create");
                (i, c, scope)
            })
        })
        .collect();
    let mut numbers = Vec::new();
    for t in tasks {
        let (i, c, scope) = t.await.expect("task");
        assert_eq!(c.data.name, format!("Grouped {i}"));
        numbers.push(c.number);
        // Its own audit record, by its own actor.
        let history = store
            .client_history(ctx.tenant, c.id, None, 10)
            .await
            .expect("history");
        assert_eq!(history.records.len(), 1);
        assert_eq!(history.records[0].actor, format!("actor-{i}"));
        assert_eq!(history.records[0].entity_id, c.id);
        // Its own key marked committed with its own client.
        if i % 2 == 0 {
            let again = store
                .idempotency_begin(&scope, [i as u8; 32], Timestamp::now())
                .await
                .expect("begin again");
            match again {
                IdempotencyBegin::Committed {
                    entity_id, status, ..
                } => assert_eq!((entity_id, status), (c.id, 201)),
                other => panic!("key {i}: expected committed, got {other:?}"),
            }
        }
    }
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=40).collect::<Vec<i64>>());
    let feed = store.events(ctx.tenant, None, 100).await.expect("events");
    assert_eq!(feed.records.len(), 40);
    let all = ClientQuery {
        limit: 100,
        count: true,
        ..ClientQuery::default()
    };
    let found = store.list_clients(ctx.tenant, &all).await.expect("list");
    assert_eq!((found.items.len(), found.total), (40, Some(40)));
}

/// A client document that fills every kind of column: text, enums, booleans, floats, money,
/// metadata.
fn rich(i: usize) -> Value {
    json!({
        "name": format!("Ærø Fisk {i} \"Havn\""),
        "external_id": format!("ext-{i}"),
        "email": format!("info{i}@aero.dk"),
        "archived": i.is_multiple_of(7),
        "status": if i.is_multiple_of(3) { "inactive" } else { "active" },
        "address": {"street": "Strandvejen 1\nBaghuset", "city": "Ærøskøbing", "country": "dk",
                    "latitude": 54.89 + i as f64 / 1000.0},
        "credit": {"limit": 12500.5 + i as f64, "used": 100, "currency": "DKK", "fico": 700,
                   "first_time_buyer": i.is_multiple_of(2)},
        "metadata": {"segment": "fisk, frisk", "n": i.to_string()},
        "notes": if i.is_multiple_of(5) { Value::Null } else { json!(format!("note {i}")) },
    })
}

fn import_row(line: u64, v: Value) -> clientele_core::store::ImportRow {
    clientele_core::store::ImportRow {
        line,
        data: data(v),
        subs: Vec::new(),
        sub_kinds: Vec::new(),
        created_at: None,
    }
}

/// Every client of the tenant in number order, without what differs between tenants.
async fn portable_clients(store: &PgStore, tenant: TenantId) -> Vec<(i64, Value)> {
    let mut q = ClientQuery {
        archived: clientele_core::query::ArchivedFilter::All,
        sort: vec![clientele_core::query::SortKey {
            field: clientele_core::query::client_field("number").expect("number"),
            desc: false,
        }],
        limit: 1000,
        ..ClientQuery::default()
    };
    let mut out = Vec::new();
    for _ in 0..10 {
        let page = store.list_clients(tenant, &q).await.expect("list");
        for c in page.items {
            assert_eq!((c.version, c.associated_accounts), (1, 0));
            out.push((c.number, c.data.to_json()));
        }
        match page.next {
            Some(after) => q.after = Some(after),
            None => break,
        }
    }
    out
}

/// The feed of the tenant as (entity type, action, actor, changes), and every record's client.
async fn portable_feed(store: &PgStore, tenant: TenantId) -> (Vec<Value>, Vec<uuid::Uuid>) {
    let page = store.events(tenant, None, 1000).await.expect("events");
    assert!(!page.has_more);
    let mut positions = BTreeSet::new();
    let records = page
        .records
        .iter()
        .map(|r| {
            assert_eq!(r.entity_id, r.client_id);
            positions.insert(r.id);
            json!([r.entity_type, r.action.as_str(), r.actor, r.changes])
        })
        .collect();
    assert_eq!(positions.len(), page.records.len(), "no record twice");
    (records, page.records.iter().map(|r| r.client_id).collect())
}

#[tokio::test]
async fn a_copied_import_batch_writes_what_single_creates_write_and_skips_only_its_bad_rows() {
    let Some((_db, store)) = fresh().await else {
        return;
    };
    let single = tenant(&store, "single").await;
    let bulk = tenant(&store, "bulk").await;
    let docs: Vec<Value> = (0..60).map(rich).collect();
    for d in &docs {
        store
            .create_client(&single, data(d.clone()))
            .await
            .expect("create");
    }
    // The same rows in one batch (written by COPY), with two rows in the middle that fail: an
    // external id an earlier row of the batch takes, and a reference to no client.
    let mut rows: Vec<_> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| import_row(i as u64 + 1, d.clone()))
        .collect();
    let mut taken = rich(99);
    taken["external_id"] = json!("ext-3");
    rows.insert(30, import_row(100, taken));
    let mut dangling = rich(98);
    dangling["referred_by_id"] = json!(uuid::Uuid::now_v7().to_string());
    rows.insert(31, import_row(101, dangling));
    let outcomes = store
        .import_clients(&bulk, clientele_core::store::ImportMode::Create, rows)
        .await
        .expect("import");
    let failed: Vec<String> = outcomes
        .iter()
        .enumerate()
        .filter_map(|(i, o)| match o {
            clientele_core::store::ImportOutcome::Created => None,
            other => Some(format!("{i}: {other:?}")),
        })
        .collect();
    assert_eq!(
        failed,
        vec![
            "30: Failed(Conflict(\"external_id\"))".to_string(),
            "31: Failed(InvalidReference(\"referred_by_id\"))".to_string()
        ]
    );
    // The same clients, numbered 1.. in row order.
    let (a, b) = (
        portable_clients(&store, single.tenant).await,
        portable_clients(&store, bulk.tenant).await,
    );
    assert_eq!(a.len(), 60);
    assert_eq!(a, b);
    // One record per client, in row order, equal to the single creates' records.
    let (feed_a, _) = portable_feed(&store, single.tenant).await;
    let (feed_b, clients_b) = portable_feed(&store, bulk.tenant).await;
    assert_eq!(feed_a.len(), 60);
    assert_eq!(feed_a, feed_b);
    for (n, id) in clients_b.iter().enumerate() {
        let c = store.get_client(bulk.tenant, *id).await.expect("client");
        assert_eq!(c.number, n as i64 + 1, "the feed follows the rows");
    }
    // The same search words, and the same counts (the triggers ran for COPY).
    for words in ["ærø", "havn", "info1", "aero", "42"] {
        let mut numbers = Vec::new();
        for t in [single.tenant, bulk.tenant] {
            let q = ClientQuery {
                search: query_terms(words),
                archived: clientele_core::query::ArchivedFilter::All,
                limit: 1000,
                count: true,
                ..ClientQuery::default()
            };
            let page = store.list_clients(t, &q).await.expect("search");
            let mut found: Vec<i64> = page.items.iter().map(|c| c.number).collect();
            found.sort_unstable();
            assert_eq!(page.total, Some(found.len() as u64));
            numbers.push(found);
        }
        assert!(!numbers[0].is_empty(), "{words}");
        assert_eq!(numbers[0], numbers[1], "{words}");
    }
    for archived in [
        clientele_core::query::ArchivedFilter::All,
        clientele_core::query::ArchivedFilter::default(),
    ] {
        let q = ClientQuery {
            archived,
            count: true,
            ..ClientQuery::default()
        };
        let a = store.list_clients(single.tenant, &q).await.expect("list");
        let b = store.list_clients(bulk.tenant, &q).await.expect("list");
        assert_eq!(a.total, b.total);
    }
    // Upserting the batch again changes nothing; its taken key still fails a create.
    let again: Vec<_> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| import_row(i as u64 + 1, d.clone()))
        .collect();
    let outcomes = store
        .import_clients(&bulk, clientele_core::store::ImportMode::Upsert, again)
        .await
        .expect("upsert");
    assert!(outcomes
        .iter()
        .all(|o| matches!(o, clientele_core::store::ImportOutcome::Unchanged)));
    assert_eq!(portable_feed(&store, bulk.tenant).await.0.len(), 60);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_change_feed_never_skips_a_record_of_parallel_copied_batches() {
    let Some((db, store)) = fresh().await else {
        return;
    };
    let second = Arc::new(PgStore::open(db.url()).expect("open"));
    let ctx = tenant(&store, "feed").await;
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let s: Arc<PgStore> = if w % 2 == 0 {
                store.clone()
            } else {
                second.clone()
            };
            let ctx = ctx.clone();
            tokio::spawn(async move {
                for b in 0..5 {
                    let rows = (0..20)
                        .map(|n| import_row(n, json!({"name": format!("W{w} B{b} #{n}")})))
                        .collect();
                    let out = s
                        .import_clients(&ctx, clientele_core::store::ImportMode::Create, rows)
                        .await
                        .expect("import");
                    assert_eq!(out.len(), 20);
                }
            })
        })
        .collect();
    let follower = follow_feed(store.clone(), ctx.tenant, 13, 400);
    for w in writers {
        w.await.expect("writer");
    }
    let seen = follower.await.expect("follower");
    assert_eq!(seen.len(), 400, "a follower saw every record exactly once");
}

#[tokio::test]
async fn a_bulk_load_refreshes_the_planner_statistics() {
    let Some((db, store)) = fresh().await else {
        return;
    };
    let (client, conn) = tokio_postgres::connect(db.url(), tokio_postgres::NoTls)
        .await
        .expect("connect");
    let driver = tokio::spawn(conn);
    let estimate = || async {
        let row = client
            .query_one(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = 'clients'::regclass",
                &[],
            )
            .await
            .expect("reltuples");
        row.get::<_, i64>(0)
    };
    let ctx = tenant(&store, "stats").await;
    // A second apart: each load's clients share one moment.
    let rows = |n: usize, ago: i64| -> Vec<_> {
        let at = clientele_core::types::Timestamp::now().plus_seconds(-ago);
        (0..n)
            .map(|i| (data(json!({"name": format!("S{i}")})), at))
            .collect()
    };
    // Fewer than the first refresh takes: no statistics yet (-1: never analyzed).
    store
        .insert_clients_bulk(&ctx, rows(4000, 10))
        .await
        .expect("bulk");
    assert!(estimate().await < 4000);
    store
        .insert_clients_bulk(&ctx, rows(6000, 5))
        .await
        .expect("bulk");
    assert_eq!(estimate().await, 10_000, "analyzed after 10,000 rows");
    driver.abort();
}

/// How many of the database's search rows hold other tags than their client row's (migrations
/// 15 and 16), and how many rows there are.
async fn tag_mismatches(url: &str) -> (i64, i64) {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    let driver = tokio::spawn(conn);
    let row = client
        .query_one(
            "SELECT count(*) FILTER (WHERE
                 (SELECT array_agg(l ORDER BY l) FROM unnest(tsvector_to_array(s.words)) AS l
                  WHERE l LIKE '=%')
                 IS DISTINCT FROM
                 (SELECT array_agg(l ORDER BY l) FROM unnest(tsvector_to_array(
                      clientele_search_tags(c.status, c.address_country, c.kind, c.archived)))
                  AS l)),
                 count(*)
             FROM client_search AS s
             JOIN clients AS c ON c.tenant_id = s.tenant_id AND c.id = s.client_id",
            &[],
        )
        .await
        .expect("tags");
    drop(client);
    let _ = driver.await;
    (row.get(0), row.get(1))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn search_tags_are_written_with_the_words_by_every_write_path() {
    let Some((db, _)) = fresh().await else {
        return;
    };
    // Grouped creates too (crate::groups): one slot on a small pool.
    let store = Arc::new(
        PgStore::open(&format!("{}?pool_size=3&create_groups=1", db.url())).expect("open"),
    );
    let ctx = tenant(&store, "tags").await;
    // Single creates, and their changes to every tagged field and to the words.
    let a = store
        .create_client(
            &ctx,
            data(json!({"name": "Tag One", "status": "inactive",
                        "address": {"city": "Oslo", "country": "no"}})),
        )
        .await
        .expect("create");
    let b = store
        .create_client(&ctx, data(json!({"name": "Tag Two", "archived": true})))
        .await
        .expect("create");
    store
        .patch_client(
            &ctx,
            a.id,
            json!({"status": "active", "address": {"country": "se"}, "archived": true}),
            None,
        )
        .await
        .expect("patch tagged");
    store
        .patch_client(
            &ctx,
            b.id,
            json!({"name": "Tag Renamed", "archived": false}),
            None,
        )
        .await
        .expect("patch words");
    store
        .create_sub(
            &ctx,
            a.id,
            SubData::from_json(SubKind::ContactPerson, &json!({"name": "Kari Nordmann"}))
                .expect("contact"),
        )
        .await
        .expect("contact");
    // Concurrent creates, written in groups.
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let (store, ctx) = (store.clone(), ctx.clone());
            tokio::spawn(async move {
                let v = json!({"name": format!("Grouped Tag {i}"), "archived": i % 2 == 0,
                               "status": if i % 3 == 0 { "inactive" } else { "active" }});
                store.create_client(&ctx, data(v)).await.expect("create")
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("task");
    }
    // A bulk load and an import batch, both by COPY.
    let at = clientele_core::types::Timestamp::now();
    let rows: Vec<_> = (0..1200).map(|i| (data(rich(i)), at)).collect();
    assert_eq!(
        store.insert_clients_bulk(&ctx, rows).await.expect("bulk"),
        1200
    );
    let rows: Vec<_> = (0..600)
        .map(|i| import_row(i as u64 + 1, rich(i + 5000)))
        .collect();
    store
        .import_clients(&ctx, clientele_core::store::ImportMode::Create, rows)
        .await
        .expect("import");
    let (wrong, total) = tag_mismatches(db.url()).await;
    assert_eq!((wrong, total), (0, 2 + 12 + 1200 + 600));
    // The totals of search + filter read the tags.
    let q = ClientQuery {
        search: query_terms("tag"),
        archived: clientele_core::query::ArchivedFilter::All,
        count: true,
        ..ClientQuery::default()
    };
    let page = store.list_clients(ctx.tenant, &q).await.expect("list");
    assert_eq!(page.total, Some(14));
    store.close().await.expect("close");
}
