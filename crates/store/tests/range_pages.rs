//! Pages of a two-sided `updated_at` range in creation order, which the store reads month by
//! month from `clients_tenant_updated_month` when the range counters say the range is narrow:
//! the same clients, in the same order, page by page through cursors and by offset, as the
//! same filter written so that no range plan accepts it. On SQLite, or with
//! `CLIENTELE_TEST_BACKEND=postgres` on a new PostgreSQL database (skipped with a line when there
//! is no server).

use clientele_core::filter::parse_filter;
use clientele_core::query::{client_field, ClientQuery, SortKey};
use clientele_core::types::{TenantName, Timestamp};
use clientele_core::{ClientData, Store, WriteCtx};
use clientele_store::{rid, testing};
use serde_json::json;

/// The numbers of every client of `q`, following the keyset positions (at most 100 pages).
async fn walk(store: &dyn Store, tenant: clientele_core::TenantId, q: &ClientQuery) -> Vec<i64> {
    let mut q = q.clone();
    let mut out = Vec::new();
    for _ in 0..100 {
        let page = store.list_clients(tenant, &q).await.expect("list");
        out.extend(page.items.iter().map(|c| c.number));
        match page.next {
            Some(next) => q.after = Some(next),
            None => return out,
        }
    }
    panic!("more than 100 pages");
}

#[tokio::test]
async fn two_sided_date_ranges_page_month_by_month_like_any_other_plan() {
    let dir = tempfile::tempdir().expect("dir");
    let Some((store, _pg)) = testing::migrated_store(dir.path()).await else {
        return;
    };
    let tenant = store
        .create_tenant(&TenantName::parse("months").expect("name"))
        .await
        .expect("tenant");
    // 480 clients last changed over 48 months (2022-01 to 2025-12), ten per month, in an order
    // unrelated to the month; half active, three countries, some archived.
    let base = rid::unix_ms(Timestamp::parse("2022-01-01T00:00:00Z").expect("ts"));
    let day = 86_400_000_i64;
    let rows: Vec<(ClientData, Timestamp)> = (0..480_i64)
        .map(|i| {
            let month = (i * 37) % 48;
            let at = base + month * 30 * day + (i % 28) * day + i;
            let country = ["SE", "NO", "DK"][(i % 3) as usize];
            let doc = json!({
                "name": format!("Kund {i}"),
                "status": if i % 2 == 0 { "active" } else { "inactive" },
                "address": {"country": country},
                "archived": i % 11 == 0,
            });
            (
                ClientData::from_json(&doc).expect("valid"),
                rid::timestamp_of_ms(at),
            )
        })
        .collect();
    let ctx = WriteCtx::new(tenant.id, "test");
    assert_eq!(
        store.insert_clients_bulk(&ctx, rows).await.expect("load"),
        480
    );

    let created = client_field("created_at").expect("field");
    for range in [
        "updated_at ge 2024-03-15 and updated_at le 2024-09-15",
        "updated_at gt 2023-12-31T23:59:59Z and updated_at lt 2024-02-01",
        "updated_at ge 2022-01-01 and updated_at lt 2022-04-20",
    ] {
        for extra in ["", " and status eq 'active'", " and country eq 'NO'"] {
            for desc in [true, false] {
                for limit in [3, 25] {
                    let text = format!("{range}{extra}");
                    let q = ClientQuery {
                        limit,
                        filters: vec![parse_filter(&text).expect("filter")],
                        sort: vec![SortKey {
                            field: created,
                            desc,
                        }],
                        ..Default::default()
                    };
                    // The same rows, asked so that no range plan or counter accepts them.
                    let plain = ClientQuery {
                        filters: vec![parse_filter(&format!(
                            "({text}) and credit.limit ne -12345"
                        ))
                        .expect("filter")],
                        ..q.clone()
                    };
                    let (a, b) = (
                        walk(store.as_ref(), tenant.id, &q).await,
                        walk(store.as_ref(), tenant.id, &plain).await,
                    );
                    assert!(!a.is_empty(), "{text}: no rows");
                    assert_eq!(a, b, "{text} desc={desc} limit={limit}");
                    let first = store.list_clients(tenant.id, &q).await.expect("list");
                    assert_eq!(first.total, Some(a.len() as u64), "{text}");
                    let skip = ClientQuery {
                        offset: 2,
                        ..q.clone()
                    };
                    let skipped = store.list_clients(tenant.id, &skip).await.expect("list");
                    let numbers: Vec<i64> = skipped.items.iter().map(|c| c.number).collect();
                    let expected: Vec<i64> =
                        b.iter().skip(2).take(limit as usize).copied().collect();
                    assert_eq!(numbers, expected, "{text} desc={desc} offset 2");
                }
            }
        }
    }
}
