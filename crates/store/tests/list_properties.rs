//! Every filter the parser accepts compiles to SQL that the backend runs: a parsed `filter` can
//! never turn into a server error. On SQLite, or with `CLIENTELE_TEST_BACKEND=postgres` on a new
//! PostgreSQL database (skipped with a line when there is no server).

use clientele_core::filter::parse_filter;
use clientele_core::query::{client_field, ClientQuery, SortKey, CLIENT_FIELDS};
use clientele_core::types::TenantName;
use clientele_core::{ClientData, WriteCtx};
use clientele_store::testing;
use proptest::prelude::*;

const ATOMS: &[&str] = &[
    "name",
    "credit.limit",
    "country",
    "currency",
    "archived",
    "created_at",
    "updated_at",
    "id",
    "number",
    "email",
    "address.latitude",
    "credit.fico",
    "status",
    "kind",
    "eq",
    "ne",
    "gt",
    "ge",
    "lt",
    "le",
    "in",
    "and",
    "or",
    "not",
    "(",
    ")",
    ",",
    "'x'",
    "'SE'",
    "'EUR'",
    "'active'",
    "'0190a0f0-0000-7000-8000-000000000000'",
    "10",
    "-1.5",
    "1e3",
    "2026-01-01",
    "null",
    "true",
    "false",
    "contains",
    "startswith",
    "endswith",
    "'%_\\'",
];

fn soup() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(ATOMS), 1..40).prop_map(|v| v.join(" "))
}

const LITERALS: &[&str] = &[
    "'x'",
    "'SE'",
    "'EUR'",
    "'active'",
    "'person'",
    "'0190a0f0-0000-7000-8000-000000000000'",
    "10",
    "-1.5",
    "0",
    "2026-01-01",
    "2026-01-01T10:00:00+02:00",
    "null",
    "true",
    "false",
    "'%_\\'",
];

/// A literal of the right type for a field (or null).
fn valid(path: &str, r: u8) -> &'static str {
    use clientele_core::query::FieldType as T;
    let Some(f) = client_field(path) else {
        return "null";
    };
    let pick = |v: &[&'static str]| v[r as usize % v.len()];
    match f.ty {
        T::Text => pick(&["'x'", "'A'", "''", "'%_'"]),
        T::Enum(v) => match v.first() {
            Some(&"organization") => pick(&["'organization'", "'person'"]),
            Some(&"active") => pick(&["'active'", "'inactive'"]),
            Some(&"city_community") => "'industry'",
            _ => "'good'",
        },
        T::Country => pick(&["'SE'", "'no'"]),
        T::Currency => pick(&["'EUR'", "'sek'"]),
        T::Uuid => "'0190a0f0-0000-7000-8000-000000000000'",
        T::Int => pick(&["0", "1", "-7", "9000000000"]),
        T::Money => pick(&["0", "5", "5.0001", "-1"]),
        T::Float => pick(&["1.5", "-90", "0"]),
        T::Bool => pick(&["true", "false"]),
        T::Timestamp => pick(&["2026-01-01", "2999-01-01T00:00:00Z", "'2020-01-01'"]),
    }
}

/// Mostly well-formed expressions, so that the compiler (not just the parser) is exercised.
fn expr() -> impl Strategy<Value = String> {
    let field = proptest::sample::select(CLIENT_FIELDS.iter().map(|f| f.path).collect::<Vec<_>>());
    let op = proptest::sample::select(vec!["eq", "ne", "gt", "ge", "lt", "le"]);
    let lit = proptest::sample::select(LITERALS);
    let cmp = (field.clone(), op, lit.clone(), any::<u8>())
        .prop_map(|(f, o, l, r)| format!("{f} {o} {}", if r % 4 == 0 { l } else { valid(f, r) }));
    let inl = (field.clone(), proptest::collection::vec(any::<u8>(), 1..4)).prop_map(|(f, v)| {
        let v: Vec<&str> = v.into_iter().map(|r| valid(f, r)).collect();
        format!("{f} in ({})", v.join(", "))
    });
    let func = (
        proptest::sample::select(vec!["contains", "startswith", "endswith"]),
        field,
    )
        .prop_map(|(g, f)| format!("{g}({f}, 'a%')"));
    let leaf = prop_oneof![4 => cmp, 1 => inl, 1 => func];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} and {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} or {b})")),
            inner.prop_map(|a| format!("not ({a})")),
        ]
    })
}

fn sort() -> impl Strategy<Value = Vec<(usize, bool)>> {
    proptest::collection::vec((0..CLIENT_FIELDS.len(), any::<bool>()), 0..4)
}

#[test]
fn accepted_filters_and_sorts_always_run() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("dir");
    let mut _pg = None;
    let url = if testing::backend_is_postgres() {
        let server = testing::postgres_url();
        match testing::TestDatabase::create(&server) {
            Ok(db) => _pg.insert(db).url().to_string(),
            Err(e) => {
                testing::skip(&format!("no PostgreSQL at {server} ({e})"));
                return;
            }
        }
    } else {
        format!("sqlite://{}", dir.path().join("p.db").display())
    };
    let store = clientele_store::open(&url).expect("open");
    let tenant = rt.block_on(async {
        store.migrate().await.expect("migrate");
        let t = store
            .create_tenant(&TenantName::parse("p").expect("name"))
            .await
            .expect("tenant");
        let ctx = WriteCtx {
            tenant: t.id,
            actor: "test".into(),
            idempotency: None,
            fill_currency: None,
            import_id: None,
        };
        for doc in [
            serde_json::json!({"name": "A", "credit": {"limit": 5, "currency": "EUR"}}),
            serde_json::json!({"name": "B", "address": {"country": "SE", "latitude": 1.5}}),
            serde_json::json!({"name": "C", "kind": "person", "first_name": "C", "last_name": "D"}),
        ] {
            store
                .create_client(&ctx, ClientData::from_json(&doc).expect("valid"))
                .await
                .expect("create");
        }
        t.id
    });
    let parsed = std::sync::atomic::AtomicUsize::new(0);
    let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
        cases: 300,
        ..Default::default()
    });
    runner
        .run(
            &(prop_oneof![1 => soup(), 3 => expr()], sort(), any::<bool>()),
            |(text, keys, search)| {
                let Ok(f) = parse_filter(&text) else {
                    return Ok(());
                };
                let mut sort: Vec<SortKey> = Vec::new();
                for (i, desc) in keys {
                    let field = &CLIENT_FIELDS[i];
                    if !sort.iter().any(|k| std::ptr::eq(k.field, field)) {
                        sort.push(SortKey { field, desc });
                    }
                }
                if sort.is_empty() {
                    sort.push(SortKey {
                        field: client_field("created_at").expect("field"),
                        desc: true,
                    });
                }
                let q = ClientQuery {
                    filters: vec![f],
                    sort,
                    search: if search { vec!["a".into()] } else { vec![] },
                    ..Default::default()
                };
                let r = rt.block_on(store.list_clients(tenant, &q));
                prop_assert!(r.is_ok(), "{text}: {r:?}");
                parsed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                // The page after the first row runs too (keyset over every sort key, NULLs included).
                let first = ClientQuery {
                    limit: 1,
                    ..q.clone()
                };
                if let Ok(page) = rt.block_on(store.list_clients(tenant, &first)) {
                    if let Some(pos) = page.next {
                        let next = ClientQuery {
                            after: Some(pos),
                            ..q
                        };
                        let r = rt.block_on(store.list_clients(tenant, &next));
                        prop_assert!(r.is_ok(), "{text} (next page): {r:?}");
                    }
                }
                Ok(())
            },
        )
        .expect("property");
    // Guard against a generator that only produces rejected input.
    assert!(parsed.load(std::sync::atomic::Ordering::Relaxed) > 30);
}

/// A client of the comparison data set: names with case, accents and LIKE metacharacters,
/// NULLs in nullable fields, archived and inactive ones.
fn varied(i: usize) -> serde_json::Value {
    let base = [
        "Müller",
        "muller",
        "ÅSA Lind",
        "Logistik",
        "LOG%_\\x",
        "Zeta",
    ][i % 6];
    let mut doc = serde_json::json!({
        "name": format!("{base} {i}"),
        "status": if i.is_multiple_of(7) { "inactive" } else { "active" },
        "archived": i.is_multiple_of(9),
    });
    if i.is_multiple_of(5) {
        doc["kind"] = "person".into();
        doc["first_name"] = format!("Anna{i}").into();
        doc["last_name"] = "Berg".into();
    }
    if !i.is_multiple_of(3) {
        doc["address"] = serde_json::json!({
            "country": (["SE", "NO", "DE"])[i % 3],
            "latitude": (i as f64) * 1.5 - 20.0,
            "longitude": 10.0,
        });
    }
    if !i.is_multiple_of(4) {
        doc["credit"] = serde_json::json!({
            "limit": (i * 250) as f64 + (i % 10) as f64 / 10.0,
            "currency": (["EUR", "SEK"])[i % 2],
            "fico": 300 + i * 11,
        });
    }
    if i.is_multiple_of(2) {
        doc["email"] = format!("user{i}@Example.com").into();
    }
    doc
}

async fn load(
    url: &str,
) -> (
    std::sync::Arc<dyn clientele_core::Store>,
    clientele_core::TenantId,
) {
    let store = clientele_store::open(url).expect("open");
    store.migrate().await.expect("migrate");
    let t = store
        .create_tenant(&TenantName::parse("p").expect("name"))
        .await
        .expect("tenant");
    let ctx = WriteCtx {
        tenant: t.id,
        actor: "test".into(),
        idempotency: None,
        fill_currency: None,
        import_id: None,
    };
    for i in 0..40 {
        store
            .create_client(&ctx, ClientData::from_json(&varied(i)).expect("valid"))
            .await
            .expect("create");
    }
    (store, t.id)
}

/// Every page of a list, by cursor (at most 12 pages of 7), as client numbers, and the total.
async fn walk(
    store: &dyn clientele_core::Store,
    tenant: clientele_core::TenantId,
    q: &ClientQuery,
) -> Result<(Vec<i64>, Option<u64>), String> {
    let mut q = q.clone();
    let mut out = Vec::new();
    let mut total = None;
    for page_no in 0..12 {
        let page = store
            .list_clients(tenant, &q)
            .await
            .map_err(|e| format!("{e:?}"))?;
        if page_no == 0 {
            total = page.total;
        }
        out.extend(page.items.iter().map(|c| c.number));
        match page.next {
            Some(pos) => q.after = Some(pos),
            None => break,
        }
    }
    Ok((out, total))
}

/// The same data and the same queries give the same clients on SQLite and PostgreSQL: filters
/// (NULL logic, case, LIKE escapes), search, archived modes, sorts with NULLs, cursors and
/// totals. Runs with `CLIENTELE_TEST_BACKEND=postgres`.
#[test]
fn sqlite_and_postgresql_list_the_same_clients() {
    use clientele_core::query::ArchivedFilter;
    if !testing::backend_is_postgres() {
        return;
    }
    let server = testing::postgres_url();
    let pg_db = match testing::TestDatabase::create(&server) {
        Ok(db) => db,
        Err(e) => {
            testing::skip(&format!("no PostgreSQL at {server} ({e})"));
            return;
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("dir");
    let sqlite_url = format!("sqlite://{}", dir.path().join("s.db").display());
    let (lite, lite_t) = rt.block_on(load(&sqlite_url));
    let (pg, pg_t) = rt.block_on(load(pg_db.url()));
    let compared = std::sync::atomic::AtomicUsize::new(0);
    let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
        cases: 300,
        ..Default::default()
    });
    let searches = proptest::sample::select(vec![
        "", "mull", "MÜLLER", "asa lind", "log", "anna1", "example",
    ]);
    runner
        .run(
            &(expr(), sort(), searches, 0..3u8),
            |(text, keys, search, archived)| {
                let Ok(f) = parse_filter(&text) else {
                    return Ok(());
                };
                let mut sort: Vec<SortKey> = Vec::new();
                for (i, desc) in keys {
                    let field = &CLIENT_FIELDS[i];
                    if !sort.iter().any(|k| std::ptr::eq(k.field, field)) {
                        sort.push(SortKey { field, desc });
                    }
                }
                let q = ClientQuery {
                    filters: vec![f],
                    sort: sort.clone(),
                    search: clientele_core::search::query_terms(search),
                    archived: [
                        ArchivedFilter::Exclude,
                        ArchivedFilter::All,
                        ArchivedFilter::Only,
                    ][archived as usize],
                    limit: 7,
                    count: true,
                    ..Default::default()
                };
                let a = rt.block_on(walk(&*lite, lite_t, &q));
                let b = rt.block_on(walk(&*pg, pg_t, &q));
                let (Ok((mut a, ta)), Ok((mut b, tb))) = (a.clone(), b.clone()) else {
                    return Err(proptest::test_runner::TestCaseError::fail(format!(
                        "{text}: sqlite {a:?} postgres {b:?}"
                    )));
                };
                prop_assert_eq!(ta, tb, "total of {} (search {:?})", text, search);
                // Rows that tie on every sort key come in id order, and ids differ between the
                // two stores: the order is compared only when it has no ties.
                let unique = sort
                    .first()
                    .is_some_and(|k| matches!(k.field.path, "name" | "number" | "id"))
                    || sort.is_empty();
                if !unique || sort.first().is_some_and(|k| k.field.path == "id") {
                    a.sort_unstable();
                    b.sort_unstable();
                }
                prop_assert_eq!(a, b, "{} sorted by {:?} (search {:?})", text, sort, search);
                compared.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Ok(())
            },
        )
        .expect("property");
    assert!(compared.load(std::sync::atomic::Ordering::Relaxed) > 100);
}
