//! A database created before search existed (migration 1 only) gets creation sequences that
//! follow `(created_at, id)`, a search document for every client, and exact counters.

use clientele_core::query::ClientQuery;
use clientele_core::search::query_terms;
use clientele_core::TenantId;
use uuid::Uuid;

#[tokio::test]
async fn clients_from_before_search_are_indexed_and_counted() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("old.db");
    let tenant = Uuid::now_v7();
    {
        let c = rusqlite::Connection::open(&path).expect("open");
        c.execute_batch(include_str!("../migrations/sqlite/0001_init.sql"))
            .expect("0001");
        c.execute_batch(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);
             INSERT INTO schema_migrations VALUES (1, '2026-01-01T00:00:00.000Z');",
        )
        .expect("version");
        c.execute(
            "INSERT INTO tenants (id, name, created_at) VALUES (?1, 'old', '2026-01-01T00:00:00.000Z')",
            [tenant.to_string()],
        )
        .expect("tenant");
        // Two clients in the same millisecond (ordered by id) and one later, one archived.
        for (i, (id, at, name, archived)) in [
            (
                "0190a000-0000-7000-8000-00000000000b",
                "2026-01-02T10:00:00.123Z",
                "Åkesson Bygg",
                0,
            ),
            (
                "0190a000-0000-7000-8000-00000000000a",
                "2026-01-02T10:00:00.123Z",
                "Berg Data",
                0,
            ),
            (
                "0190a000-0000-7000-8000-00000000000c",
                "2026-01-03T08:00:00.000Z",
                "Berg Arkiv",
                1,
            ),
        ]
        .into_iter()
        .enumerate()
        {
            c.execute(
                "INSERT INTO clients (id, tenant_id, number, version, created_at, updated_at, kind,
                    name, status, archived, silenced, invoice_reminders, show_location_on_invoice,
                    has_address, metadata)
                 VALUES (?1, ?2, ?3, 1, ?4, ?4, 'organization', ?5, 'active', ?6, 0, 0, 0, 0, '{}')",
                rusqlite::params![id, tenant.to_string(), i as i64 + 1, at, name, archived],
            )
            .expect("client");
        }
    }
    let store = clientele_store::open(&format!("sqlite://{}", path.display())).expect("store");
    // Every migration after 0001 is applied, then the search backfill runs.
    assert_eq!(store.migrate().await.expect("migrate"), 21);
    let t = TenantId(tenant);
    // A tenant from before default currencies has EUR.
    let old = store
        .tenant_by_name("old")
        .await
        .expect("read")
        .expect("tenant");
    assert_eq!(old.default_currency.as_str(), "EUR");
    let list = |q: ClientQuery| {
        let store = store.clone();
        async move { store.list_clients(t, &q).await.expect("list") }
    };
    // Default order: newest first, ties by id descending.
    let page = list(ClientQuery::default()).await;
    let names: Vec<String> = page.items.iter().map(|c| c.data.name.clone()).collect();
    assert_eq!(names, vec!["Åkesson Bygg", "Berg Data"]);
    assert_eq!(page.total, Some(2));
    let page = list(ClientQuery {
        search: query_terms("akesson"),
        ..Default::default()
    })
    .await;
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.total, Some(1));
    let page = list(ClientQuery {
        search: query_terms("berg"),
        archived: clientele_core::query::ArchivedFilter::All,
        ..Default::default()
    })
    .await;
    assert_eq!(page.total, Some(2));
    assert_eq!(page.items[0].data.name, "Berg Arkiv");
}

/// Migration 8 rewrites the document of every existing client with words kept whole: a client
/// indexed with the old split (`ac 4`, `firma 37`) is found by `ac4` afterwards and no longer
/// by `ac3`.
#[tokio::test]
async fn migration_8_reindexes_existing_clients_with_whole_words() {
    use clientele_core::types::TenantName;
    use clientele_core::{ClientData, WriteCtx};

    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("words.db");
    let url = format!("sqlite://{}", path.display());
    let store = clientele_store::open(&url).expect("store");
    store.migrate().await.expect("migrate");
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
    let data = ClientData::from_json(&serde_json::json!({
        "name": "Firma 37", "account_code": "AC4", "external_id": "ERP-00424242"
    }))
    .expect("valid");
    store.create_client(&ctx, data).await.expect("create");
    store.close().await.expect("close");
    drop(store);
    {
        // The index as the old split wrote it: the same namespace, the words cut in two.
        let c = rusqlite::Connection::open(&path).expect("open");
        let rowid: i64 = c
            .query_row("SELECT rid FROM clients", [], |r| r.get(0))
            .expect("client");
        let ns: String = c
            .query_row(
                "SELECT term FROM search_terms WHERE term LIKE '%firma' LIMIT 1",
                [],
                |r| r.get(0),
            )
            .expect("namespaced word");
        let prefix = ns.trim_end_matches("firma").to_string();
        let old: Vec<String> = ["firma", "37", "ac", "4", "erp", "00424242"]
            .iter()
            .map(|w| format!("{prefix}{w}"))
            .collect();
        c.execute("DELETE FROM clients_fts WHERE rowid = ?1", [rowid])
            .expect("unindex");
        c.execute(
            "INSERT INTO clients_fts (rowid, doc) VALUES (?1, ?2)",
            rusqlite::params![rowid, old.join(" ")],
        )
        .expect("old document");
        c.execute("DELETE FROM schema_migrations WHERE version = 8", [])
            .expect("version");
    }
    let store = clientele_store::open(&url).expect("store");
    let find = |q: &'static str| {
        let store = store.clone();
        async move {
            let query = ClientQuery {
                search: query_terms(q),
                ..ClientQuery::default()
            };
            store
                .list_clients(t.id, &query)
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
}

/// Migration 28 indexes the letter runs of existing documents (`lindqvist7` → `lindqvist`): a
/// database whose documents were written without them is found by a letters-only prefix of such
/// a word after the migration, its vocabulary gains the runs, and the documents are what a write
/// produces now (a later write of the same client changes nothing).
#[tokio::test]
async fn migration_28_indexes_the_letter_runs_of_existing_documents() {
    use clientele_core::types::TenantName;
    use clientele_core::{ClientData, WriteCtx};

    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("runs.db");
    let url = format!("sqlite://{}", path.display());
    let store = clientele_store::open(&url).expect("store");
    store.migrate().await.expect("migrate");
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
    let mut rids = Vec::new();
    for body in [
        serde_json::json!({"name": "Anna", "email": "anna.lindqvist7@mail.example",
                           "account_code": "K1234"}),
        serde_json::json!({"name": "Bo Data", "archived": true,
                           "email": "bo.lindqvist12@mail.example"}),
        serde_json::json!({"name": "Firma 37"}),
    ] {
        let data = ClientData::from_json(&body).expect("valid");
        let c = store.create_client(&ctx, data).await.expect("create");
        rids.push(c.id);
    }
    store.close().await.expect("close");
    drop(store);
    let read_docs = |c: &rusqlite::Connection| -> Vec<String> {
        c.prepare("SELECT words FROM search_documents ORDER BY rid")
            .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
            .expect("documents")
    };
    let now_written;
    {
        // The documents as written before migration 28: without the letter runs.
        let c = rusqlite::Connection::open(&path).expect("open");
        now_written = read_docs(&c);
        assert!(
            now_written[0].contains("lannalindqvist "),
            "{}",
            now_written[0]
        );
        assert!(
            !now_written[0].split(' ').any(|w| &w[5..] == "k"),
            "runs of 1-3 letters are not indexed: {}",
            now_written[0]
        );
        assert!(
            now_written[1].contains("rbolindqvist "),
            "{}",
            now_written[1]
        );
        let rows: Vec<(i64, String)> = c
            .prepare("SELECT rid, words FROM search_documents")
            .and_then(|mut st| st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
            .expect("rows");
        for (rid, words) in rows {
            let old: Vec<&str> = words
                .split(' ')
                .filter(|w| !["lindqvist", "annalindqvist", "bolindqvist"].contains(&&w[5..]))
                .collect();
            let old = old.join(" ");
            c.execute("DELETE FROM clients_fts WHERE rowid = ?1", [rid])
                .expect("unindex");
            c.execute(
                "INSERT INTO clients_fts (rowid, doc) VALUES (?1, ?2)",
                rusqlite::params![rid, old],
            )
            .expect("old document");
            c.execute(
                "UPDATE search_documents SET words = ?2 WHERE rid = ?1",
                rusqlite::params![rid, old],
            )
            .expect("old words");
        }
        c.execute(
            "DELETE FROM search_terms WHERE substr(term, 6) IN ('lindqvist', 'annalindqvist', 'bolindqvist')",
            [],
        )
        .expect("old vocabulary");
        c.execute("DELETE FROM schema_migrations WHERE version = 28", [])
            .expect("version");
    }
    let store = clientele_store::open(&url).expect("store");
    let find = |q: &'static str| {
        let store = store.clone();
        async move {
            let query = ClientQuery {
                search: query_terms(q),
                archived: clientele_core::query::ArchivedFilter::All,
                ..ClientQuery::default()
            };
            let page = store.list_clients(t.id, &query).await.expect("search");
            (page.items.len(), page.total)
        }
    };
    assert_eq!(store.migrate().await.expect("migrate"), 1);
    assert_eq!(find("lindqvist").await, (2, Some(2)));
    assert_eq!(find("lindq").await, (2, Some(2)));
    assert_eq!(find("annalindq").await, (1, Some(1)));
    assert_eq!(find("bolindqvist").await, (1, Some(1)));
    assert_eq!(find("lindqvist1").await, (1, Some(1)));
    assert_eq!(find("firma 37").await, (1, Some(1)));
    let vocabulary = clientele_store::testing::search_vocabulary(&url, t.id.0)
        .await
        .expect("vocabulary");
    for w in ["lindqvist", "annalindqvist", "bolindqvist"] {
        assert!(vocabulary.iter().any(|v| v == w), "{w} in {vocabulary:?}");
    }
    store.close().await.expect("close");
    drop(store);
    let c = rusqlite::Connection::open(&path).expect("open");
    assert_eq!(read_docs(&c), now_written, "as a write writes them");
}
