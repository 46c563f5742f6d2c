//! What the seed dialects need from the core, through `clientele_core::service` and the store:
//! tenants' default currencies and the currency rule. On SQLite,
//! or with `CLIENTELE_TEST_BACKEND=postgres` on a new PostgreSQL database (skipped with a line
//! when there is no server).

use std::sync::Arc;

use clientele_core::service::{self, ServiceError};
use clientele_core::types::{CurrencyCode, TenantName};
use clientele_core::{Store, Tenant, WriteCtx};
use clientele_store::testing;
use serde_json::{json, Value};

/// A fresh store of the backend under test; `None` (after a skip line) without PostgreSQL.
struct Fixture {
    store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
    _pg: Option<testing::TestDatabase>,
}

async fn fixture() -> Option<Fixture> {
    let dir = tempfile::tempdir().expect("dir");
    let mut pg = None;
    let url = if testing::backend_is_postgres() {
        let server = testing::postgres_url();
        match testing::TestDatabase::create(&server) {
            Ok(db) => pg.insert(db).url().to_string(),
            Err(e) => {
                testing::skip(&format!("no PostgreSQL at {server} ({e})"));
                return None;
            }
        }
    } else {
        format!("sqlite://{}", dir.path().join("d.db").display())
    };
    let store = clientele_store::open(&url).expect("open");
    store.migrate().await.expect("migrate");
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
}

trait CreditCurrency {
    fn credit_currency(&self) -> Option<&str>;
}

impl CreditCurrency for clientele_core::Client {
    fn credit_currency(&self) -> Option<&str> {
        self.data.credit.currency.as_ref().map(|c| c.as_str())
    }
}
