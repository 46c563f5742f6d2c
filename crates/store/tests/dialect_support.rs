//! What the seed dialects need from the core, through `clientele_core::service` and the store:
//! clients by number, the flagged sub-resource of a page of clients, a client created with its
//! sub-resources in one transaction, pages of up to 1000 clients, the currency rule. On SQLite,
//! or with `CLIENTELE_TEST_BACKEND=postgres` on a new PostgreSQL database (skipped with a line
//! when there is no server).

use std::collections::HashSet;
use std::sync::Arc;

use clientele_core::audit::AuditAction;
use clientele_core::idempotency::{IdempotencyBegin, IdempotencyScope};
use clientele_core::query::{client_field, ClientQuery, SortKey, MAX_PAGE_SIZE};
use clientele_core::search::query_terms;
use clientele_core::service::{self, NewClientDocs, ServiceError};
use clientele_core::sub::{SubData, SubKind};
use clientele_core::types::{CurrencyCode, TenantName, Timestamp};
use clientele_core::{ClientData, Store, StoreError, Tenant, WriteCtx};
use clientele_store::{rid, testing};
use serde_json::{json, Value};
use uuid::Uuid;

/// A fresh store of the backend under test; `None` (after a skip line) without PostgreSQL.
struct Fixture {
    store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
    _pg: Option<testing::TestDatabase>,
}

async fn fixture() -> Option<Fixture> {
    let dir = tempfile::tempdir().expect("dir");
    let (store, pg) = testing::migrated_store(dir.path()).await?;
    Some(Fixture {
        store,
        _dir: dir,
        _pg: pg,
    })
}

impl Fixture {
    async fn tenant(&self, name: &str, currency: &str) -> Tenant {
        self.store
            .create_tenant_with_currency(
                &TenantName::parse(name).expect("name"),
                &CurrencyCode::parse(currency).expect("currency"),
            )
            .await
            .expect("tenant")
    }

    async fn client(&self, ctx: &WriteCtx, doc: Value) -> clientele_core::Client {
        service::create_client(self.store.as_ref(), ctx, &doc)
            .await
            .expect("create")
    }

    async fn sub(&self, ctx: &WriteCtx, kind: SubKind, client: Uuid, doc: Value) -> Uuid {
        service::create_sub(self.store.as_ref(), ctx, kind, client, &doc)
            .await
            .expect("create sub")
            .id
    }
}

fn ctx(t: &Tenant) -> WriteCtx {
    WriteCtx::new(t.id, "test")
}

fn fields(e: ServiceError) -> Vec<(String, String)> {
    match e {
        ServiceError::Invalid(d) => d.into_iter().map(|f| (f.field, f.code)).collect(),
        other => panic!("not a validation error: {other:?}"),
    }
}

#[tokio::test]
async fn tenants_have_a_default_currency_eur_unless_set() {
    let Some(f) = fixture().await else { return };
    let t = f
        .store
        .create_tenant(&TenantName::parse("plain").expect("name"))
        .await
        .expect("tenant");
    assert_eq!(t.default_currency.as_str(), "EUR");
    let sek = f.tenant("nordic", "sek").await;
    assert_eq!(sek.default_currency.as_str(), "SEK");
    let read = f.store.tenant_by_name("nordic").await.expect("read");
    assert_eq!(read, Some(sek));
}

#[tokio::test]
async fn clients_are_found_by_their_number_in_their_own_tenant_only() {
    let Some(f) = fixture().await else { return };
    let (a, b) = (f.tenant("a", "EUR").await, f.tenant("b", "EUR").await);
    let mut made = Vec::new();
    for name in ["One", "Two", "Three"] {
        made.push(f.client(&ctx(&a), json!({ "name": name })).await);
    }
    f.client(&ctx(&b), json!({"name": "Other"})).await;
    let two = service::get_client_by_number(f.store.as_ref(), a.id, 2)
        .await
        .expect("found");
    assert_eq!(two, made[1]);
    assert_eq!(two.number, 2);
    let theirs = service::get_client_by_number(f.store.as_ref(), b.id, 1)
        .await
        .expect("found");
    assert_eq!(theirs.data.name, "Other");
    for (tenant, number) in [(b.id, 2), (a.id, 4), (a.id, 0), (a.id, -1)] {
        assert_eq!(
            service::get_client_by_number(f.store.as_ref(), tenant, number).await,
            Err(ServiceError::NotFound("client")),
            "{number}"
        );
    }
    // A deleted client's number is not found, and never reused.
    service::delete_client(f.store.as_ref(), &ctx(&a), made[0].id, None)
        .await
        .expect("delete");
    assert!(f.store.get_client_by_number(a.id, 1).await.is_err());
    assert_eq!(f.client(&ctx(&a), json!({"name": "Four"})).await.number, 4);
}

#[tokio::test]
async fn the_flagged_item_of_a_page_of_clients_is_read_at_once() {
    let Some(f) = fixture().await else { return };
    let (a, b) = (f.tenant("a", "EUR").await, f.tenant("b", "EUR").await);
    let (c1, c2, c3) = (
        f.client(&ctx(&a), json!({"name": "C1"})).await.id,
        f.client(&ctx(&a), json!({"name": "C2"})).await.id,
        f.client(&ctx(&a), json!({"name": "C3"})).await.id,
    );
    let theirs = f.client(&ctx(&b), json!({"name": "Theirs"})).await.id;
    let cp = SubKind::ContactPerson;
    f.sub(&ctx(&a), cp, c1, json!({"name": "First"})).await;
    let main = f
        .sub(&ctx(&a), cp, c1, json!({"name": "Main", "is_main": true}))
        .await;
    let c2_main = f.sub(&ctx(&a), cp, c2, json!({"name": "Only"})).await;
    let hq = f
        .sub(&ctx(&a), SubKind::Location, c3, json!({"name": "HQ"}))
        .await;
    f.sub(&ctx(&a), SubKind::Account, c3, json!({"name": "Acc"}))
        .await;
    f.sub(&ctx(&b), cp, theirs, json!({"name": "Theirs"})).await;

    let mut page = vec![c1, c2, c3, theirs, Uuid::now_v7()];
    let s = f.store.as_ref();
    let mains = service::flagged_subs(s, a.id, cp, &page)
        .await
        .expect("read");
    assert_eq!(mains.len(), 2, "{mains:?}");
    assert_eq!(mains[&c1].id, main);
    assert_eq!(mains[&c1].data.flag(), Some(true));
    assert_eq!(mains[&c2].id, c2_main);
    let primaries = service::flagged_subs(s, a.id, SubKind::Location, &page)
        .await
        .expect("read");
    assert_eq!(primaries.keys().collect::<Vec<_>>(), vec![&c3]);
    assert_eq!(primaries[&c3].id, hq);
    let none = service::flagged_subs(s, a.id, SubKind::Account, &page).await;
    assert_eq!(none.expect("read").len(), 0);
    assert!(service::flagged_subs(s, a.id, cp, &[])
        .await
        .expect("read")
        .is_empty());
    // More ids than one statement takes.
    page.extend((0..1500).map(|_| Uuid::now_v7()));
    page.push(c2);
    let mains = service::flagged_subs(s, a.id, cp, &page)
        .await
        .expect("read");
    assert_eq!(mains.len(), 2);
}

/// Every client of a list, page by page through its keyset positions (at most 10 pages).
async fn walk(f: &Fixture, t: &Tenant, q: &ClientQuery) -> Vec<Vec<i64>> {
    let mut q = q.clone();
    let mut pages = Vec::new();
    for _ in 0..10 {
        let page = f.store.list_clients(t.id, &q).await.expect("list");
        pages.push(page.items.iter().map(|c| c.number).collect());
        match page.next {
            Some(next) => q.after = Some(next),
            None => return pages,
        }
    }
    panic!("more than 10 pages");
}

#[tokio::test]
async fn pages_of_up_to_1000_clients_by_offset_and_by_keyset() {
    let Some(f) = fixture().await else { return };
    let t = f.tenant("big", "EUR").await;
    let base = Timestamp::parse("2026-01-01T00:00:00Z").expect("ts");
    let rows: Vec<(ClientData, Timestamp)> = (0..1205)
        .map(|i| {
            let doc = json!({"name": format!("Client {:04}", (i * 7919) % 1205)});
            let at = rid::timestamp_of_ms(rid::unix_ms(base) + i / 3);
            (ClientData::from_json(&doc).expect("valid"), at)
        })
        .collect();
    let n = f.store.insert_clients_bulk(&ctx(&t), rows).await;
    assert_eq!(n.expect("load"), 1205);

    let q = ClientQuery {
        limit: MAX_PAGE_SIZE,
        ..Default::default()
    };
    let first = f.store.list_clients(t.id, &q).await.expect("list");
    assert_eq!(first.items.len(), 1000);
    assert_eq!(first.total, Some(1205));
    assert!(first.next.is_some());
    let rest = ClientQuery {
        offset: 1000,
        ..q.clone()
    };
    let rest = f.store.list_clients(t.id, &rest).await.expect("list");
    assert_eq!(rest.items.len(), 205);
    assert!(rest.next.is_none());
    let by_offset: Vec<i64> = first
        .items
        .iter()
        .chain(&rest.items)
        .map(|c| c.number)
        .collect();
    assert_eq!(by_offset, (1..=1205).rev().collect::<Vec<_>>());

    let name = client_field("name").expect("name");
    for query in [
        q.clone(),
        ClientQuery {
            limit: 999,
            sort: vec![SortKey {
                field: name,
                desc: false,
            }],
            ..q.clone()
        },
        ClientQuery {
            limit: 500,
            sort: vec![SortKey {
                field: client_field("created_at").expect("created_at"),
                desc: false,
            }],
            ..q.clone()
        },
    ] {
        let pages = walk(&f, &t, &query).await;
        let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
        let limit = query.limit as usize;
        assert!(
            sizes[..sizes.len() - 1].iter().all(|&s| s == limit),
            "{sizes:?}"
        );
        let all: Vec<i64> = pages.concat();
        assert_eq!(all.len(), 1205, "{sizes:?}");
        assert_eq!(all.iter().collect::<HashSet<_>>().len(), 1205);
    }

    for limit in [0, MAX_PAGE_SIZE + 1] {
        let q = ClientQuery {
            limit,
            ..Default::default()
        };
        match f.store.list_clients(t.id, &q).await {
            Err(StoreError::Invalid(d)) => assert_eq!(d[0].field, "limit"),
            other => panic!("{limit}: {:?}", other.map(|p| p.items.len())),
        }
    }
}

#[tokio::test]
async fn the_currency_rule_keeps_the_stored_currency_or_takes_the_tenants_default() {
    let Some(f) = fixture().await else { return };
    let t = f.tenant("nordic", "SEK").await;
    let s = f.store.as_ref();
    let native = ctx(&t);
    let dialect = ctx(&t).filling_currency_of(&t);
    let usd = f
        .client(
            &native,
            json!({"name": "Dollar", "credit": {"limit": 5, "currency": "USD"}}),
        )
        .await;
    let bare = f.client(&native, json!({"name": "Bare"})).await;

    // A patch: the merged document still has the stored currency.
    let amount = json!({"credit": {"limit": 50, "used": 5}});
    let c = service::patch_client(s, &dialect, usd.id, amount.clone(), None)
        .await
        .expect("patch");
    assert_eq!(c.credit_currency(), Some("USD"));
    assert_eq!(
        c.data.credit.limit.map(|m| m.to_string()),
        Some("50.00".into())
    );
    let c = service::patch_client(s, &dialect, bare.id, amount.clone(), None)
        .await
        .expect("patch");
    assert_eq!(c.credit_currency(), Some("SEK"));
    // /v1 (no rule) still refuses an amount without a currency.
    let other = f.client(&native, json!({"name": "Other"})).await;
    let e = service::patch_client(s, &native, other.id, amount, None).await;
    assert_eq!(
        fields(e.expect_err("refused")),
        vec![("credit.currency".to_string(), "required".to_string())]
    );
    // Income figures count as amounts too; a given currency is kept.
    let income = json!({"credit": {"total_income": 1000, "total_debt_payments": 10}});
    let c = service::patch_client(s, &dialect, other.id, income, None)
        .await
        .expect("patch");
    assert_eq!(c.credit_currency(), Some("SEK"));
    let given = json!({"credit": {"limit": 1, "currency": "NOK"}});
    let c = service::patch_client(s, &dialect, usd.id, given, None)
        .await
        .expect("patch");
    assert_eq!(c.credit_currency(), Some("NOK"));

    // A create has no stored currency: the tenant's default.
    let doc = json!({"name": "New", "credit": {"limit": 10}});
    let c = service::create_client(s, &dialect, &doc)
        .await
        .expect("create");
    assert_eq!(c.credit_currency(), Some("SEK"));
    let e = service::create_client(s, &native, &doc).await;
    assert_eq!(
        fields(e.expect_err("refused")),
        vec![("credit.currency".to_string(), "required".to_string())]
    );
    let docs = NewClientDocs::client(doc);
    let made = service::create_client_with_subs(s, &dialect, &docs)
        .await
        .expect("create");
    assert_eq!(made.client.credit_currency(), Some("SEK"));
}

trait CreditCurrency {
    fn credit_currency(&self) -> Option<&str>;
}

impl CreditCurrency for clientele_core::Client {
    fn credit_currency(&self) -> Option<&str> {
        self.data.credit.currency.as_ref().map(|c| c.as_str())
    }
}

#[tokio::test]
async fn a_client_is_created_with_its_items_in_one_transaction_with_every_rule() {
    let Some(f) = fixture().await else { return };
    let t = f.tenant("acme", "EUR").await;
    let s = f.store.as_ref();
    f.client(&ctx(&t), json!({"name": "Before"})).await;
    let scope = IdempotencyScope {
        tenant: t.id,
        credential_id: "key-1".into(),
        key: "create-with-subs".into(),
    };
    let begun = s.idempotency_begin(&scope, [7; 32], Timestamp::now()).await;
    assert_eq!(begun.expect("begin"), IdempotencyBegin::Started);
    let mut w = ctx(&t);
    w.idempotency = Some(scope.clone());
    let docs = NewClientDocs::from_document(json!({
        "name": "Acme AB",
        "contact_persons": [
            {"name": "Anna Zetterlund", "email": "anna@acme.example"},
            {"name": "Bo Qvist", "is_main": true, "external_id": "cp-2"},
        ],
        "locations": [{"name": "HQ", "address": {"city": "Lund", "country": "SE"}}],
        "accounts": [{"name": "Main"}, {"name": "Spare", "status": "inactive"}],
    }))
    .expect("split");
    let made = service::create_client_with_subs(s, &w, &docs)
        .await
        .expect("create");
    let client = &made.client;
    assert_eq!((client.number, client.version), (2, 1));
    assert_eq!(client.associated_accounts, 2);
    assert_eq!(s.get_client(t.id, client.id).await.expect("read"), *client);
    let names = |kind| -> Vec<String> {
        made.of_kind(kind)
            .map(|x| x.data.to_json()["name"].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(
        names(SubKind::ContactPerson),
        ["Anna Zetterlund", "Bo Qvist"]
    );
    assert_eq!(names(SubKind::Account), ["Main", "Spare"]);
    let flags: Vec<_> = made.subs.iter().map(|x| x.data.flag()).collect();
    assert_eq!(
        flags,
        [Some(false), Some(true), Some(true), None, None],
        "the raised flag holds, the first location takes it"
    );
    for kind in SubKind::ALL {
        let listed = service::list_subs(s, t.id, kind, client.id, 100, 0, true)
            .await
            .expect("list");
        let mut stored = listed.items.clone();
        stored.reverse(); // newest first
        let given: Vec<_> = made.of_kind(kind).cloned().collect();
        assert_eq!(stored, given, "{kind:?}");
    }
    let main = service::flagged_subs(s, t.id, SubKind::ContactPerson, &[client.id]).await;
    assert_eq!(main.expect("read")[&client.id].id, made.subs[1].id);

    // One audit record per entity, all "created".
    let history = s.client_history(t.id, client.id, None, 100).await;
    let records = history.expect("history").records;
    assert_eq!(records.len(), 6);
    assert!(records.iter().all(|r| r.action == AuditAction::Created));
    let mut entities: Vec<&str> = records.iter().map(|r| r.entity_type.as_str()).collect();
    entities.sort_unstable();
    assert_eq!(
        entities,
        [
            "account",
            "account",
            "client",
            "contact_person",
            "contact_person",
            "location"
        ]
    );
    // The contact persons are in the client's search document.
    let q = ClientQuery {
        search: query_terms("zetterlund"),
        ..Default::default()
    };
    let found = s.list_clients(t.id, &q).await.expect("search");
    assert_eq!(
        found.items.iter().map(|c| c.id).collect::<Vec<_>>(),
        [client.id]
    );
    assert_eq!(found.total, Some(1));
    // The idempotency key points at the client.
    let again = s.idempotency_begin(&scope, [7; 32], Timestamp::now()).await;
    assert_eq!(
        again.expect("begin"),
        IdempotencyBegin::Committed {
            entity_type: "client".into(),
            entity_id: client.id,
            status: 201
        }
    );
}

#[tokio::test]
async fn a_create_with_items_that_fails_creates_nothing() {
    let Some(f) = fixture().await else { return };
    let t = f.tenant("acme", "EUR").await;
    let s = f.store.as_ref();
    f.client(&ctx(&t), json!({"name": "Taken", "external_id": "ERP-1"}))
        .await;
    let docs = |client: Value| NewClientDocs {
        client,
        contact_persons: vec![json!({"name": "Eva"}), json!({"name": "Bo"})],
        locations: vec![json!({"name": "HQ"})],
        accounts: vec![json!({"name": "A"})],
    };

    // Every document's problems at once, each named by where it came from.
    let mut bad = docs(json!({"credit": {"limit": 5}}));
    bad.contact_persons[1] = json!({"name": "Bo", "email": "not-an-address"});
    bad.contact_persons.push(json!("Carl"));
    bad.locations[0] = json!({"name": "HQ", "address": {"region": "r".repeat(201)}});
    bad.accounts[0] = json!({"status": "gone"});
    let e = service::create_client_with_subs(s, &ctx(&t), &bad).await;
    let mut got = fields(e.expect_err("refused"));
    got.sort();
    let want: Vec<(String, String)> = [
        ("accounts.0.name", "required"),
        ("accounts.0.status", "invalid_value"),
        ("contact_persons.1.email", "invalid_format"),
        ("contact_persons.2", "invalid_type"),
        ("credit.currency", "required"),
        ("locations.0.address.region", "too_long"),
        ("name", "required"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(got, want);

    let mut twice = docs(json!({"name": "Twice"}));
    twice.contact_persons = vec![
        json!({"name": "A", "external_id": "x"}),
        json!({"name": "B", "external_id": "x"}),
    ];
    let e = service::create_client_with_subs(s, &ctx(&t), &twice).await;
    assert_eq!(
        fields(e.expect_err("refused")),
        vec![("contact_persons.1.external_id".into(), "duplicate".into())]
    );

    // Failures inside the transaction, after the client row was written: nothing stays.
    let e = service::create_client_with_subs(
        s,
        &ctx(&t),
        &docs(json!({"name": "Dup", "external_id": "ERP-1"})),
    )
    .await;
    assert_eq!(
        e.expect_err("conflict"),
        ServiceError::Conflict {
            what: "client",
            key: "external_id".into()
        }
    );
    let dangling = json!({"name": "Ref", "referred_by_id": Uuid::now_v7().to_string()});
    let e = service::create_client_with_subs(s, &ctx(&t), &docs(dangling)).await;
    assert_eq!(
        e.expect_err("reference"),
        ServiceError::InvalidReference("referred_by_id".into())
    );
    let all = s.list_clients(t.id, &ClientQuery::default()).await;
    assert_eq!(all.expect("list").total, Some(1));
    let feed = s.events(t.id, None, 100).await.expect("events");
    assert_eq!(feed.records.len(), 1, "only the first client's record");
    let q = ClientQuery {
        search: query_terms("eva"),
        ..Default::default()
    };
    assert_eq!(
        s.list_clients(t.id, &q).await.expect("search").total,
        Some(0)
    );
    // No number was spent.
    let next = f.client(&ctx(&t), json!({"name": "Next"})).await;
    assert_eq!(next.number, 2);
}

#[tokio::test]
async fn the_store_settles_flags_of_items_given_in_any_order() {
    let Some(f) = fixture().await else { return };
    let t = f.tenant("acme", "EUR").await;
    let parse = |kind, v: Value| SubData::from_json(kind, &v).expect("valid");
    let data = ClientData::from_json(&json!({"name": "A"})).expect("valid");
    let subs = vec![
        parse(SubKind::Location, json!({"name": "L1", "is_primary": true})),
        parse(SubKind::Location, json!({"name": "L2", "is_primary": true})),
        parse(SubKind::Location, json!({"name": "L3"})),
    ];
    let made = f
        .store
        .create_client_with_subs(&ctx(&t), data, subs)
        .await
        .expect("create");
    let flags: Vec<_> = made.subs.iter().map(|x| x.data.flag()).collect();
    assert_eq!(flags, [Some(false), Some(true), Some(false)]);
    assert_eq!(made.client.associated_accounts, 0);
    // Deleting the primary hands the flag to the oldest remaining location, as always.
    service::delete_sub(
        f.store.as_ref(),
        &ctx(&t),
        SubKind::Location,
        made.client.id,
        made.subs[1].id,
        None,
    )
    .await
    .expect("delete");
    let p = service::flagged_subs(f.store.as_ref(), t.id, SubKind::Location, &[made.client.id])
        .await
        .expect("read");
    assert_eq!(p[&made.client.id].id, made.subs[0].id);
}
