//! `meta.total` from the counters (ranges of `credit.limit` and `updated_at`, a search with
//! status/country/kind) equals the count of the rows, across writes; and the search vocabulary
//! forgets the words of deleted and renamed clients.

use clientele_api::config::Config;
use clientele_core::tenant::RateLimit;
use serde_json::{json, Value};

use crate::common::TestApp;

/// This test sends a few thousand requests with one key: more than the default budget.
fn unthrottled() -> Config {
    Config {
        default_rate_limit: RateLimit {
            count: 1_000_000,
            per_seconds: 60,
        },
        ..Config::default()
    }
}

fn total(r: &Value) -> i64 {
    r["meta"]["total"].as_i64().unwrap_or(-1)
}

/// The total of `query`, and the total of the same rows asked so that no counter can answer
/// it (the filter written twice, joined by `or`): the two must agree.
async fn totals(app: &TestApp, query: &str, filter: Option<&str>) -> (i64, i64) {
    let enc = |s: &str| s.replace(' ', "%20").replace('\'', "%27");
    let (q1, q2) = match filter {
        Some(f) => (
            format!("{query}&filter={}", enc(f)),
            format!("{query}&filter={}", enc(&format!("({f}) or ({f})"))),
        ),
        None => (query.to_string(), query.to_string()),
    };
    let a = app.get(&format!("/v1/clients?limit=1&{q1}")).await;
    assert_eq!(a.status, 200, "{q1}: {}", a.body);
    let b = app.get(&format!("/v1/clients?limit=1&{q2}")).await;
    assert_eq!(b.status, 200, "{q2}: {}", b.body);
    (total(&a.body), total(&b.body))
}

/// A JSON number with exactly these digits (`json!` goes through `f64`).
fn exact(digits: &str) -> Value {
    serde_json::from_str(digits).expect("number")
}

async fn assert_exact(app: &TestApp, query: &str, filter: Option<&str>) -> i64 {
    let (counted, scanned) = totals(app, query, filter).await;
    assert_eq!(counted, scanned, "{query} {filter:?}");
    assert_same_pages(app, query, filter).await;
    counted
}

/// The ids of every page of `query` (at most 40 pages of `limit`), following `next_cursor`.
async fn page_ids(app: &TestApp, query: &str, limit: u32) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..40 {
        let mut url = format!("/v1/clients?count=false&limit={limit}&{query}");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let r = app.get(&url).await;
        assert_eq!(r.status, 200, "{url}: {}", r.body);
        for c in r.body["data"].as_array().into_iter().flatten() {
            ids.push(c["id"].as_str().unwrap_or_default().to_string());
        }
        match r.body["meta"]["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return ids,
        }
    }
    panic!("{query}: more than 40 pages");
}

/// Pages in creation order (both directions, with cursors and with an offset) of a range
/// filter, which the store may read through the range's index (`RangePage`), equal the pages
/// of the same rows asked with a no-op `ne` that no counter or range plan accepts.
async fn assert_same_pages(app: &TestApp, query: &str, filter: Option<&str>) {
    let enc = |s: &str| s.replace(' ', "%20").replace('\'', "%27");
    let noop = "credit.limit ne -12345";
    let (q1, q2) = match filter {
        Some(f) => (
            format!("{query}&filter={}", enc(f)),
            format!("{query}&filter={}", enc(&format!("({f}) and {noop}"))),
        ),
        None => (query.to_string(), format!("{query}&filter={}", enc(noop))),
    };
    for sort in ["", "&sort=created_at"] {
        for limit in [2, 50] {
            let (a, b) = (
                page_ids(app, &format!("{q1}{sort}"), limit).await,
                page_ids(app, &format!("{q2}{sort}"), limit).await,
            );
            assert_eq!(a, b, "{q1}{sort} limit {limit}");
        }
        let offset = |q: String| async move {
            let r = app
                .get(&format!("/v1/clients?count=false&limit=2&offset=3&{q}"))
                .await;
            assert_eq!(r.status, 200, "{q}: {}", r.body);
            r.body["data"].clone()
        };
        assert_eq!(
            offset(format!("{q1}{sort}")).await,
            offset(format!("{q2}{sort}")).await,
            "{q1}{sort} offset"
        );
    }
}

/// Queries whose totals the range counters or the search tags answer, each with an expected
/// total when the data is as first created.
fn cases(month_start: &str, earlier: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    for f in [
        "credit.limit ge 500000",
        "credit.limit gt 500000",
        "credit.limit ge 500000.5",
        "credit.limit lt 500000",
        "credit.limit le 500000",
        "credit.limit ge 10 and credit.limit lt 1000000",
        "credit.limit ge 0 and credit.limit le 9.9999",
        "credit.limit ge 499999.9999 and credit.limit le 510000",
        "credit.limit gt 100000 and credit.limit lt 100000.0001",
        "credit.limit ge 500000000000000",
        "credit.limit gt 499999999999999.9999 and credit.limit lt 999999999999999.9999",
        "credit.limit ge 990000000000000",
        "credit.limit le 922337203685477.5808",
    ] {
        for q in [
            "",
            "status=active",
            "country=SE",
            "status=inactive&country=SE",
            "archived=all",
            "archived=true&kind=person",
        ] {
            out.push((q.to_string(), Some(f.to_string())));
        }
    }
    for q in [
        format!("updated_from={month_start}"),
        format!("updated_from={earlier}"),
        format!("updated_to={earlier}"),
        "updated_to=2999-12-31T00:00:00.000Z".to_string(),
        format!("updated_from={month_start}&updated_to=2999-01-01&status=active&country=SE"),
        format!("updated_from={earlier}&country=NO&archived=all"),
    ] {
        out.push((q, None));
    }
    for q in [
        "search=bygg&status=inactive",
        "search=bygg&status=active&country=SE",
        "search=by&country=NO",
        "search=bygg&kind=person&archived=all",
        "search=bygg%20nord&country=SE",
    ] {
        out.push((q.to_string(), None));
    }
    out.push((
        "search=bygg".into(),
        Some("status in ('active','inactive') and country in ('SE','NO')".into()),
    ));
    out
}

#[tokio::test]
async fn totals_from_counters_equal_the_rows_across_writes() {
    let app = spawn_app!(unthrottled());
    let limits = [
        None,
        Some(json!(0)),
        Some(json!(5)),
        Some(json!(9.9999)),
        Some(json!(10)),
        Some(json!(99)),
        Some(json!(100000)),
        Some(json!(100000.0001)),
        Some(json!(499999.9999)),
        Some(json!(500000)),
        Some(json!(500000.5)),
        Some(json!(509999)),
        Some(json!(510000)),
        Some(json!(999999.9999)),
        Some(json!(1000000)),
        Some(json!(12345678)),
        // Amounts up to the largest: buckets of 19 digits in units of 10⁻⁴, either side of the
        // key's zero (500000000000000).
        Some(exact("499999999999999.9999")),
        Some(exact("500000000000000")),
        Some(exact("922337203685477.5808")),
        Some(exact("999999999999999.9999")),
    ];
    let mut ids = Vec::new();
    for (i, limit) in limits.iter().enumerate() {
        let country = ["SE", "NO", "DK"][i % 3];
        let status = if i % 4 == 0 { "inactive" } else { "active" };
        let mut body = json!({
            "name": format!("{} Bygg {}", ["Nord", "Syd", "Väst"][i % 3], i),
            "status": status,
            "address": {"street": "Storgatan 1", "city": "Stad", "postal_code": "11122", "country": country},
            "credit": {"currency": "SEK"},
        });
        if i % 5 == 0 {
            body["kind"] = json!("person");
            body["first_name"] = json!("Anna");
            body["last_name"] = json!("Bygg");
        }
        if i % 6 == 0 {
            body["archived"] = json!(true);
        }
        match limit {
            Some(l) => body["credit"]["limit"] = l.clone(),
            None => body["credit"] = json!({}),
        }
        let c = app.create(body).await;
        ids.push(c["id"].as_str().unwrap_or_default().to_string());
    }
    let first = app.get("/v1/clients?limit=1&archived=all").await;
    let updated = first.body["data"][0]["updated_at"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let month_start = format!("{}-01T00:00:00.000Z", &updated[..7]);
    // One second before the first write's time: a bound inside the current month's bucket.
    let earlier = match updated.get(17..19).and_then(|s| s.parse::<u32>().ok()) {
        Some(s) if s > 0 => format!("{}{:02}{}", &updated[..17], s - 1, &updated[19..]),
        _ => updated.clone(),
    };
    let cases = cases(&month_start, &earlier);
    let mut seen = Vec::new();
    for (q, f) in &cases {
        seen.push(assert_exact(&app, q, f.as_deref()).await);
    }
    // A few totals checked against the data as created (not only against another count).
    let live_ge_500k = limits
        .iter()
        .enumerate()
        .filter(|(i, l)| {
            i % 6 != 0
                && l.as_ref()
                    .and_then(Value::as_f64)
                    .is_some_and(|x| x >= 500000.0)
        })
        .count() as i64;
    assert_eq!(seen[0], live_ge_500k);
    let live = limits
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 6 != 0)
        .count() as i64;
    assert_eq!(
        total(
            &app.get(&format!("/v1/clients?limit=1&updated_from={month_start}"))
                .await
                .body
        ),
        live
    );

    // Writes move clients between buckets, statuses, countries and archived states; deletes
    // remove them: every total still equals the rows.
    for (i, id) in ids.iter().enumerate() {
        let path = format!("/v1/clients/{id}");
        let r = match i % 4 {
            0 => {
                app.patch(
                    &path,
                    json!({"credit": {"limit": 500000, "currency": "SEK"}}),
                )
                .await
            }
            1 => {
                app.patch(
                    &path,
                    json!({"status": "inactive", "address": {"country": "NO"}}),
                )
                .await
            }
            2 => {
                app.patch(
                    &path,
                    json!({"archived": i % 3 == 0, "credit": {"limit": 42, "currency": "SEK"}}),
                )
                .await
            }
            _ => app.delete(&path).await,
        };
        assert!(r.status.is_success(), "{}", r.body);
    }
    for (q, f) in &cases {
        assert_exact(&app, q, f.as_deref()).await;
    }
    // On SQLite, every counter row equals a recount of the clients (new clients are counted by
    // the writer, changes and deletes by triggers).
    if app.url.starts_with("sqlite://") {
        let drift = clientele_store::testing::sqlite_counter_drift(&app.url).expect("recount");
        assert!(drift.is_empty(), "{drift:#?}");
    }
}

async fn vocabulary(app: &TestApp) -> Vec<String> {
    clientele_store::testing::search_vocabulary(&app.url, app.tenant.id.0)
        .await
        .expect("vocabulary")
}

#[tokio::test]
async fn words_no_client_uses_leave_the_vocabulary() {
    let app = spawn_app!();
    let a = app.create(json!({"name": "Zephyrine Bygg"})).await;
    let b = app
        .create(json!({"name": "Quillon Data", "email": "info@quillon.example"}))
        .await;
    let c = app.create(json!({"name": "Marlowe Bygg"})).await;
    let has = |v: &[String], w: &str| v.iter().any(|x| x == w);
    let v = vocabulary(&app).await;
    for w in ["zephyrine", "bygg", "quillon", "data", "marlowe", "example"] {
        assert!(has(&v, w), "{w} in {v:?}");
    }

    // Renamed: the old word goes, a word another client still uses stays.
    let path = |c: &Value| format!("/v1/clients/{}", c["id"].as_str().unwrap_or_default());
    let r = app.patch(&path(&a), json!({"name": "Tamsin Bygg"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = vocabulary(&app).await;
    assert!(!has(&v, "zephyrine"), "{v:?}");
    assert!(
        has(&v, "tamsin") && has(&v, "bygg") && has(&v, "marlowe"),
        "{v:?}"
    );
    assert_eq!(total(&app.get("/v1/clients?search=zephyr").await.body), 0);

    // Archived and back: the words stay (under the archived namespace, then the live one).
    let r = app.patch(&path(&c), json!({"archived": true})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(has(&vocabulary(&app).await, "marlowe"));

    // Deleted: its words go, shared ones stay while another client holds them.
    assert_eq!(app.delete(&path(&b)).await.status, 204);
    let v = vocabulary(&app).await;
    for w in ["quillon", "data", "info", "example"] {
        assert!(!has(&v, w), "{w} still in {v:?}");
    }
    assert_eq!(app.delete(&path(&a)).await.status, 204);
    let v = vocabulary(&app).await;
    assert!(!has(&v, "tamsin") && has(&v, "bygg"), "{v:?}");
    assert_eq!(app.delete(&path(&c)).await.status, 204);
    assert_eq!(vocabulary(&app).await, Vec::<String>::new());
}

/// A word that continues a run of letters with digits (`lindqvist7` in an e-mail address) is
/// found by any prefix of its letters, whatever number of numbered variants the vocabulary
/// holds (SQLite indexes the letter run as a word of its own and leaves the numbered variants
/// out of a letters-only search's expansion), and the totals stay exact; the runs leave the
/// vocabulary with the last client that holds them.
#[tokio::test]
async fn words_continued_by_digits_are_found_by_their_letters() {
    let app = spawn_app!(unthrottled());
    let sqlite = app.url.starts_with("sqlite://");
    // More numbered variants than a prefix was once expanded to (64), and a letters-only
    // continuation (`berglundbygg`).
    for i in 0..70 {
        let r = app
            .post(
                "/v1/clients",
                json!({"kind": "person", "first_name": "Kim", "last_name": "Holm",
                       "email": format!("kim.berglund{i}@mail.example")}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let bygg = app
        .create(json!({"name": "Berglund Bygg AB", "email": "info@berglundbygg.example"}))
        .await;
    let lind = app
        .create(json!({"name": "Solo", "email": "anna.lindqvist7@mail.example"}))
        .await;
    let search = |q: &'static str| {
        let app = &app;
        async move {
            let r = app.get(&format!("/v1/clients?limit=100&search={q}")).await;
            assert_eq!(r.status, 200, "{q}: {}", r.body);
            let n = r.body["data"].as_array().map(Vec::len).unwrap_or(0) as i64;
            (total(&r.body), n)
        }
    };
    assert_eq!(search("berglund").await, (71, 71));
    assert_eq!(search("bergl").await, (71, 71));
    assert_eq!(search("berglundb").await, (1, 1));
    // A search word with digits keeps its prefix meaning: berglund1, berglund10..19.
    assert_eq!(search("berglund1").await, (11, 11));
    assert_eq!(search("berglund69").await, (1, 1));
    assert_eq!(search("kimberglund").await, (70, 70));
    assert_eq!(search("kimberglund6").await, (11, 11));
    assert_eq!(search("lindqvist").await, (1, 1));
    assert_eq!(search("annalindq").await, (1, 1));
    assert_eq!(search("lindqvist8").await, (0, 0));
    // With a facet, counted from the index on SQLite.
    let r = app
        .get("/v1/clients?limit=1&search=berglund&kind=person")
        .await;
    assert_eq!(total(&r.body), 70, "{}", r.body);
    assert_eq!(
        assert_exact(&app, "search=kimberg", Some("kind eq 'person'")).await,
        70
    );

    let has = |v: &[String], w: &str| v.iter().any(|x| x == w);
    if sqlite {
        let v = vocabulary(&app).await;
        for w in ["lindqvist", "annalindqvist", "berglund", "kimberglund"] {
            assert!(has(&v, w), "{w} in {v:?}");
        }
    }
    // Renamed: the runs no other client holds leave the vocabulary.
    let path = |c: &Value| format!("/v1/clients/{}", c["id"].as_str().unwrap_or_default());
    let r = app
        .patch(&path(&lind), json!({"email": "solo@mail.example"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = vocabulary(&app).await;
    for w in ["lindqvist", "annalindqvist", "lindqvist7"] {
        assert!(!has(&v, w), "{w} still in {v:?}");
    }
    assert_eq!(search("lindqvist").await, (0, 0));
    // `berglund` stays while a numbered variant or the company holds it.
    assert_eq!(app.delete(&path(&bygg)).await.status, 204);
    if sqlite {
        assert!(has(&vocabulary(&app).await, "berglund"));
    }
    assert_eq!(search("berglund").await, (70, 70));
    let ids: Vec<String> = app.get("/v1/clients?limit=100&search=berglund").await.body["data"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| c["id"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(ids.len(), 70);
    for id in ids {
        assert_eq!(app.delete(&format!("/v1/clients/{id}")).await.status, 204);
    }
    assert_eq!(search("berglund").await, (0, 0));
    let v = vocabulary(&app).await;
    assert!(
        v.iter().all(|w| !w.contains("berglund")),
        "left in the vocabulary: {v:?}"
    );
}

/// A search word that documents hold both as itself and as the start of longer words
/// (`nordin`, `nordinbygg`, `nordinsson`, `nordin12`), alone and with other words, tags and
/// archived states: each client is counted once (SQLite counts the word itself and the longer
/// words without it as two parts), across renames, archiving and deletes.
#[tokio::test]
async fn a_word_and_its_longer_words_count_each_client_once() {
    let app = spawn_app!(unthrottled());
    // (name, e-mail, status, country, flags: 1 a person, 2 archived)
    let rows = [
        ("Nordin Bygg", "info@nordinbygg.example", "active", "SE", 0),
        ("Hem AB", "kontakt@nordinbygg.example", "inactive", "SE", 0),
        ("Nordin", "post@hem.example", "active", "NO", 1),
        ("Nordinsson Data", "data@hem.example", "active", "SE", 0),
        ("Solo", "nordin12@mail.example", "inactive", "NO", 1),
        ("Nordinsson Ark", "nordin@ark.example", "active", "SE", 2),
        ("Bygg Nordin", "bygg@nordinbygg.example", "active", "DK", 2),
        ("Annan", "annan@hem.example", "active", "SE", 0),
    ];
    let mut ids = Vec::new();
    for (name, email, status, country, flags) in rows {
        let mut body = json!({
            "name": name, "email": email, "status": status, "archived": flags & 2 != 0,
            "address": {"street": "Storgatan 1", "city": "Stad", "postal_code": "11122", "country": country},
        });
        if flags & 1 != 0 {
            body["kind"] = json!("person");
            body["first_name"] = json!(name);
            body["last_name"] = json!("Holm");
        }
        let c = app.create(body).await;
        ids.push(c["id"].as_str().unwrap_or_default().to_string());
    }
    let all_kinds = "kind in ('organization','person')";
    let check = |expected: [i64; 3]| {
        let app = &app;
        async move {
            let searched = [
                "search=nordin",
                "search=nordin&archived=all",
                "search=nordin&archived=true",
            ];
            for (q, want) in searched.iter().zip(expected) {
                assert_eq!(assert_exact(app, q, Some(all_kinds)).await, want, "{q}");
                let r = app.get(&format!("/v1/clients?limit=1&{q}")).await;
                assert_eq!(total(&r.body), want, "{q}: {}", r.body);
                assert_eq!(page_ids(app, q, 3).await.len() as i64, want, "{q}");
            }
            for q in [
                "search=nordin&status=active",
                "search=nordin&status=inactive",
                "search=nordin&country=SE",
                "search=nordin&country=NO&kind=person",
                "search=nordin&status=active&country=SE&archived=all",
                "search=nordin%20bygg",
                "search=bygg%20nordin&archived=all",
                "search=nordi&status=active",
                "search=nordinb",
                "search=nordins&archived=all",
            ] {
                assert_exact(app, q, Some(all_kinds)).await;
            }
        }
    };
    // Live: rows 0-4 (row 7 holds no word starting with `nordin`); archived: rows 5 and 6.
    check([5, 7, 2]).await;
    let path = |i: usize| format!("/v1/clients/{}", ids[i]);
    // Row 0 keeps only the longer word, row 1 gains the word itself, row 3 is archived, row 2
    // deleted, row 6 brought back.
    for (i, body) in [
        (0, json!({"name": "Berg Bygg"})),
        (1, json!({"name": "Nordin Hem"})),
        (3, json!({"archived": true})),
        (6, json!({"archived": false})),
    ] {
        let r = app.patch(&path(i), body).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    assert_eq!(app.delete(&path(2)).await.status, 204);
    // Live: rows 0, 1, 4, 6; archived: rows 3 and 5.
    check([4, 6, 2]).await;
}

/// Pages of an `updated_at` range that the store reads from the range's index (half the
/// tenant's clients match, the other half archived: reading the range's index is estimated
/// cheaper than walking creation order), followed by their cursors in both directions: the
/// same clients in the same order as the planner's own plan (a no-op `ne` that no counter
/// and no range plan accepts).
#[tokio::test]
async fn range_pages_read_from_the_index_follow_their_cursors() {
    let app = spawn_app!(unthrottled());
    for i in 0..40 {
        let c = app
            .create(json!({"name": format!("Kund {i}"), "archived": i % 2 == 1}))
            .await;
        assert!(c["id"].is_string(), "{c}");
    }
    let first = app.get("/v1/clients?limit=1&sort=created_at").await;
    let from = first.body["data"][0]["updated_at"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let noop = "&filter=credit.limit%20ne%20-12345";
    for range in [
        format!("updated_from={from}"),
        format!("updated_from={from}&updated_to=2999-01-01"),
    ] {
        for sort in ["", "&sort=created_at"] {
            let q = format!("{range}{sort}");
            let read = page_ids(&app, &q, 7).await;
            assert_eq!(read.len(), 20, "{q}");
            assert_eq!(read, page_ids(&app, &format!("{q}{noop}"), 7).await, "{q}");
        }
    }
}
