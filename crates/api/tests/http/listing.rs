//! `GET /v1/clients`: limit, offset, page, totals, archived, count.

use serde_json::{json, Value};

use crate::common::TestApp;

async fn seed(app: &TestApp, n: usize) -> Vec<Value> {
    let mut out = Vec::new();
    for i in 0..n {
        out.push(app.create(json!({"name": format!("Client {i}")})).await);
    }
    out
}

fn names(v: &Value) -> Vec<String> {
    v["data"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| c["name"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn lists_newest_first_with_default_meta() {
    let app = spawn_app!();
    seed(&app, 3).await;
    let r = app.get("/v1/clients").await;
    assert_eq!(names(&r.body), vec!["Client 2", "Client 1", "Client 0"]);
    assert_eq!(
        r.body["meta"],
        json!({"total": 3, "limit": 25, "offset": 0, "next_cursor": null})
    );
}

#[tokio::test]
async fn limit_offset_and_page_select_the_window() {
    let app = spawn_app!();
    seed(&app, 7).await;
    let r = app.get("/v1/clients?limit=3&offset=2").await;
    assert_eq!(names(&r.body), vec!["Client 4", "Client 3", "Client 2"]);
    assert_eq!(r.body["meta"]["total"], 7);
    assert_eq!(r.body["meta"]["offset"], 2);
    let r = app.get("/v1/clients?limit=3&page=3").await;
    assert_eq!(names(&r.body), vec!["Client 0"]);
    assert_eq!(r.body["meta"]["offset"], 6);
    let r = app.get("/v1/clients?offset=100").await;
    assert_eq!(names(&r.body), Vec::<String>::new());
    assert_eq!(r.body["meta"]["total"], 7);
}

#[tokio::test]
async fn count_false_skips_the_total() {
    let app = spawn_app!();
    seed(&app, 2).await;
    let r = app.get("/v1/clients?count=false").await;
    assert_eq!(r.body["meta"]["total"], Value::Null);
    assert_eq!(names(&r.body).len(), 2);
}

#[tokio::test]
async fn archived_clients_are_left_out_unless_asked_for() {
    let app = spawn_app!();
    app.create(json!({"name": "Live"})).await;
    app.create(json!({"name": "Old", "archived": true})).await;
    assert_eq!(names(&app.get("/v1/clients").await.body), vec!["Live"]);
    assert_eq!(
        names(&app.get("/v1/clients?archived=false").await.body),
        vec!["Live"]
    );
    assert_eq!(
        names(&app.get("/v1/clients?archived=true").await.body),
        vec!["Old"]
    );
    let r = app.get("/v1/clients?archived=all").await;
    assert_eq!(names(&r.body), vec!["Old", "Live"]);
    assert_eq!(r.body["meta"]["total"], 2);
}

#[tokio::test]
async fn bad_list_parameters_are_validation_errors() {
    let app = spawn_app!();
    for (q, field, code) in [
        ("limit=0", "limit", "out_of_range"),
        ("limit=101", "limit", "out_of_range"),
        ("limit=ten", "limit", "invalid_type"),
        ("offset=-1", "offset", "invalid_type"),
        ("page=0", "page", "out_of_range"),
        ("page=2&offset=3", "page", "conflict"),
        ("archived=maybe", "archived", "invalid_value"),
        ("count=nope", "count", "invalid_value"),
        ("limit=1&limit=2", "limit", "duplicate"),
        ("colour=red", "colour", "unknown_parameter"),
    ] {
        let r = app.get(&format!("/v1/clients?{q}")).await;
        assert_eq!(
            r.error(400, "VALIDATION_ERROR"),
            vec![(field.to_string(), code.to_string())],
            "{q}"
        );
    }
}

#[tokio::test]
async fn limit_bounds_are_inclusive() {
    let app = spawn_app!();
    seed(&app, 2).await;
    assert_eq!(names(&app.get("/v1/clients?limit=1").await.body).len(), 1);
    assert_eq!(names(&app.get("/v1/clients?limit=100").await.body).len(), 2);
}

// ---- filters, search, sort, fields, cursors ------------------------------------------------

fn ids(v: &Value) -> Vec<String> {
    v["data"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| c["id"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// A small, varied client base: name → document.
async fn seed_varied(app: &TestApp) -> Vec<Value> {
    let docs = [
        json!({"name": "Andersson Bygg AB", "status": "active", "partner_type": "construction",
               "email": "info@anderssonbygg.se", "org_number": "556677-8899", "tax_id": "SE556677889901",
               "external_id": "ERP-1", "account_code": "K100", "owner_id": "u1", "salesperson_id": "s1",
               "case_manager_id": "c1", "source": "web",
               "address": {"country": "se", "city": "Malmö"},
               "credit": {"limit": 50000, "used": 1000, "currency": "SEK", "creditworthiness": "good"}}),
        json!({"name": "Åkesson Élan AB", "status": "inactive", "email": "kontakt@elan.se",
               "external_id": "ERP-2", "account_code": "K200", "owner_id": "u2", "source": "import",
               "address": {"country": "SE"},
               "credit": {"limit": 10000.5, "currency": "SEK", "creditworthiness": "bad"}}),
        json!({"name": "Nordic Logistik AS", "partner_type": "industry", "email": "post@nordic.no",
               "external_id": "ERP-3", "owner_id": "u1", "salesperson_id": "s2", "source": "web",
               "address": {"country": "NO"},
               "credit": {"limit": 250000, "currency": "NOK", "creditworthiness": "middle"}}),
        json!({"kind": "person", "first_name": "Anna", "last_name": "Schmidt",
               "email": "anna.schmidt123@web.de", "external_id": "ERP-4", "source": "sales",
               "address": {"country": "DE"}}),
        json!({"name": "Old Archive Oy", "archived": true, "external_id": "ERP-5",
               "address": {"country": "FI"}, "credit": {"limit": 1, "currency": "EUR"}}),
    ];
    let mut out = Vec::new();
    for d in docs {
        out.push(app.create(d).await);
    }
    out
}

async fn names_of(app: &TestApp, q: &str) -> Vec<String> {
    let r = app.get(&format!("/v1/clients?{q}")).await;
    assert!(r.status.is_success(), "{q}: {}", r.body);
    let mut n = names(&r.body);
    n.sort();
    n
}

#[tokio::test]
async fn exact_match_parameters_accept_one_value_or_a_list() {
    let app = spawn_app!();
    seed_varied(&app).await;
    for (q, want) in [
        ("status=inactive", vec!["Åkesson Élan AB"]),
        (
            "status=active,inactive&country=NO",
            vec!["Nordic Logistik AS"],
        ),
        ("kind=person", vec!["Anna Schmidt"]),
        (
            "partner_type=construction,industry",
            vec!["Andersson Bygg AB", "Nordic Logistik AS"],
        ),
        ("country=se", vec!["Andersson Bygg AB", "Åkesson Élan AB"]),
        ("currency=nok", vec!["Nordic Logistik AS"]),
        (
            "creditworthiness=good,bad",
            vec!["Andersson Bygg AB", "Åkesson Élan AB"],
        ),
        (
            "owner_id=u1",
            vec!["Andersson Bygg AB", "Nordic Logistik AS"],
        ),
        ("salesperson_id=s2", vec!["Nordic Logistik AS"]),
        ("case_manager_id=c1", vec!["Andersson Bygg AB"]),
        ("account_code=K200", vec!["Åkesson Élan AB"]),
        (
            "external_id=ERP-1,ERP-4",
            vec!["Andersson Bygg AB", "Anna Schmidt"],
        ),
        (
            "source=web",
            vec!["Andersson Bygg AB", "Nordic Logistik AS"],
        ),
        ("name=LOGISTIK", vec!["Nordic Logistik AS"]),
        ("name=%C3%85KESSON%20%C3%A9", vec!["Åkesson Élan AB"]),
        ("name=akesson%20elan", vec!["Åkesson Élan AB"]),
        ("name=100%25", vec![]),
        ("external_id=ERP-5", vec![]),
        ("external_id=ERP-5&archived=all", vec!["Old Archive Oy"]),
    ] {
        assert_eq!(names_of(&app, q).await, want, "{q}");
    }
}

#[tokio::test]
async fn id_and_time_bounds_select_rows() {
    let app = spawn_app!();
    let all = seed_varied(&app).await;
    let (a, c) = (
        all[0]["id"].as_str().unwrap_or(""),
        all[2]["id"].as_str().unwrap_or(""),
    );
    assert_eq!(
        names_of(&app, &format!("id={a},{c}")).await,
        vec!["Andersson Bygg AB", "Nordic Logistik AS"]
    );
    let t = all[1]["created_at"].as_str().unwrap_or("").to_string();
    let enc = t.replace(':', "%3A");
    let from = names_of(&app, &format!("created_from={enc}")).await;
    assert!(
        from.contains(&"Åkesson Élan AB".to_string())
            && !from.contains(&"Andersson Bygg AB".to_string())
            || all[0]["created_at"] == all[1]["created_at"]
    );
    let to = names_of(&app, &format!("created_to={enc}")).await;
    assert!(
        to.contains(&"Åkesson Élan AB".to_string()),
        "inclusive upper bound: {to:?}"
    );
    let u = all[3]["updated_at"]
        .as_str()
        .unwrap_or("")
        .replace(':', "%3A");
    assert!(names_of(&app, &format!("updated_from={u}&updated_to={u}"))
        .await
        .contains(&"Anna Schmidt".to_string()));
    assert_eq!(
        names_of(&app, "created_to=2000-01-01").await,
        Vec::<String>::new()
    );
    assert_eq!(names_of(&app, "updated_from=2000-01-01").await.len(), 4);
}

#[tokio::test]
async fn search_prefix_matches_every_word_ignoring_case_and_accents() {
    let app = spawn_app!();
    seed_varied(&app).await;
    for (q, want) in [
        ("ander", vec!["Andersson Bygg AB"]),
        ("ANDERSSON+by", vec!["Andersson Bygg AB"]),
        ("andersson+logistik", vec![]),
        ("akesson+elan", vec!["Åkesson Élan AB"]),
        ("ÅKESSON", vec!["Åkesson Élan AB"]),
        ("schmidt", vec!["Anna Schmidt"]),
        ("anna+schm", vec!["Anna Schmidt"]),
        ("schmidt123", vec!["Anna Schmidt"]),
        ("web.de", vec!["Anna Schmidt"]),
        ("5566778899", vec!["Andersson Bygg AB"]),
        ("556677-8899", vec!["Andersson Bygg AB"]),
        ("SE5566", vec!["Andersson Bygg AB"]),
        ("erp-3", vec!["Nordic Logistik AS"]),
        ("k200", vec!["Åkesson Élan AB"]),
        ("ab", vec!["Andersson Bygg AB", "Åkesson Élan AB"]),
        ("\"AND\"+OR", vec![]),
        ("zzz", vec![]),
    ] {
        assert_eq!(
            names_of(&app, &format!("search={q}")).await,
            want,
            "search={q}"
        );
    }
    let r = app.get("/v1/clients?search=ab&count=true").await;
    assert_eq!(r.body["meta"]["total"], 2);
}

#[tokio::test]
async fn search_follows_every_write_at_once() {
    let app = spawn_app!();
    let c = app.create(json!({"name": "Fjordkraft AS"})).await;
    let id = c["id"].as_str().unwrap_or("").to_string();
    assert_eq!(names_of(&app, "search=fjord").await, vec!["Fjordkraft AS"]);
    app.put(
        &format!("/v1/clients/{id}"),
        json!({"name": "Polarkraft AS"}),
    )
    .await;
    assert_eq!(names_of(&app, "search=fjord").await, Vec::<String>::new());
    assert_eq!(names_of(&app, "search=polar").await, vec!["Polarkraft AS"]);
    app.patch(
        &format!("/v1/clients/{id}"),
        json!({"legal_name": "Midnattsol Energi"}),
    )
    .await;
    assert_eq!(
        names_of(&app, "search=midnatt").await,
        vec!["Polarkraft AS"]
    );
    app.delete(&format!("/v1/clients/{id}")).await;
    assert_eq!(names_of(&app, "search=polar").await, Vec::<String>::new());
    // Another tenant never finds this tenant's clients.
    app.create(json!({"name": "Secret Holding AB"})).await;
    let (_, other) = app.other_tenant("other").await;
    let r = app
        .send(
            app.http
                .get(app.url("/v1/clients?search=secret"))
                .header("x-api-key", other),
        )
        .await;
    assert_eq!(r.body["data"], json!([]));
    assert_eq!(r.body["meta"]["total"], 0);
}

#[tokio::test]
async fn filter_expressions_select_rows() {
    let app = spawn_app!();
    seed_varied(&app).await;
    for (f, want) in [
        (
            "credit.limit ge 10000 and (country eq 'SE' or country eq 'NO') and not archived",
            vec!["Andersson Bygg AB", "Nordic Logistik AS", "Åkesson Élan AB"],
        ),
        (
            "credit.limit gt 10000.5",
            vec!["Andersson Bygg AB", "Nordic Logistik AS"],
        ),
        ("credit.limit eq 10000.50", vec!["Åkesson Élan AB"]),
        ("credit.limit eq null", vec!["Anna Schmidt"]),
        (
            "credit.limit ne null and credit.limit lt 20000",
            vec!["Åkesson Élan AB"],
        ),
        (
            "not (credit.limit ge 20000)",
            vec!["Anna Schmidt", "Åkesson Élan AB"],
        ),
        (
            "partner_type ne 'industry'",
            vec!["Andersson Bygg AB", "Anna Schmidt", "Åkesson Élan AB"],
        ),
        (
            "not partner_type eq 'industry'",
            vec!["Andersson Bygg AB", "Anna Schmidt", "Åkesson Élan AB"],
        ),
        (
            "partner_type in ('industry', 'construction')",
            vec!["Andersson Bygg AB", "Nordic Logistik AS"],
        ),
        (
            "not (partner_type in ('industry'))",
            vec!["Andersson Bygg AB", "Anna Schmidt", "Åkesson Élan AB"],
        ),
        ("contains(name, 'LOG')", vec!["Nordic Logistik AS"]),
        (
            "contains(name, 'élan') and not startswith(name, 'x')",
            vec!["Åkesson Élan AB"],
        ),
        ("not contains(name, 'a')", vec![]),
        ("startswith(name, 'and')", vec!["Andersson Bygg AB"]),
        ("endswith(email, '.no')", vec!["Nordic Logistik AS"]),
        ("contains(name, '%')", vec![]),
        (
            "kind eq 'person' or status eq 'inactive' and country eq 'SE'",
            vec!["Anna Schmidt", "Åkesson Élan AB"],
        ),
        (
            "created_at ge 2020-01-01 and updated_at le 2999-01-01T00:00:00Z",
            vec![
                "Andersson Bygg AB",
                "Anna Schmidt",
                "Nordic Logistik AS",
                "Åkesson Élan AB",
            ],
        ),
        ("archived", vec![]),
        (
            "currency eq 'sek' and credit.creditworthiness eq 'good'",
            vec!["Andersson Bygg AB"],
        ),
        ("number le 2", vec!["Andersson Bygg AB", "Åkesson Élan AB"]),
    ] {
        let q = format!("filter={}", urlencode(f));
        assert_eq!(names_of(&app, &q).await, want, "filter={f}");
    }
    let q = format!(
        "filter={}&archived=all",
        urlencode("archived and credit.currency eq 'EUR'")
    );
    assert_eq!(names_of(&app, &q).await, vec!["Old Archive Oy"]);
}

fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[tokio::test]
async fn bad_filters_sorts_and_fields_name_the_problem_and_its_position() {
    let app = spawn_app!();
    for (q, field, code, needle) in [
        ("filter=name eq", "filter", "syntax_error", "at position 8"),
        (
            "filter=colour eq 'red'",
            "filter",
            "unknown_field",
            "'colour'",
        ),
        (
            "filter=credit.limit ge 'x'",
            "filter",
            "invalid_value",
            "at position 17",
        ),
        (
            "filter=(name eq 'a'",
            "filter",
            "syntax_error",
            "at position 13",
        ),
        (
            "filter=name eq 'a' && x",
            "filter",
            "syntax_error",
            "at position 13",
        ),
        (
            "filter=status eq 'gone'",
            "filter",
            "invalid_value",
            "at position 11",
        ),
        (
            "filter=country eq 'XX'",
            "filter",
            "invalid_value",
            "at position 12",
        ),
        (
            "filter=archived gt true",
            "filter",
            "invalid_value",
            "at position 10",
        ),
        (
            "sort=name,-colour",
            "sort",
            "unknown_field",
            "'colour' at position 6",
        ),
        ("sort=address", "sort", "unknown_field", "'address'"),
        ("sort=name,name", "sort", "invalid_value", "name"),
        ("sort=name,", "sort", "invalid_value", "position 6"),
        (
            "fields=name,bogus",
            "fields",
            "unknown_field",
            "'bogus' at position 6",
        ),
        (
            "expand=contact_persons,friends",
            "expand",
            "invalid_value",
            "'friends' at position 17",
        ),
        ("status=gone", "status", "invalid_value", "position 1"),
        ("country=SE,XX", "country", "invalid_value", "position 4"),
        ("id=not-a-uuid", "id", "invalid_value", "position 1"),
        (
            "created_from=yesterday",
            "created_from",
            "invalid_format",
            "RFC 3339",
        ),
        ("search=", "search", "too_long", "120"),
        ("cursor=abc&offset=5", "cursor", "conflict", "offset"),
        ("cursor=abc&page=2", "page", "conflict", "cursor"),
        ("cursor=abc", "cursor", "invalid_value", "cursor"),
    ] {
        let q = if field == "search" {
            format!("search={}", "a".repeat(121))
        } else {
            q.replace("&&", "%26%26")
                .replace(' ', "%20")
                .replace('\'', "%27")
        };
        let r = app.get(&format!("/v1/clients?{q}")).await;
        assert_eq!(
            r.error(400, "VALIDATION_ERROR"),
            vec![(field.to_string(), code.to_string())],
            "{q}"
        );
        let msg = r.body["details"][0]["message"].as_str().unwrap_or("");
        assert!(msg.contains(needle), "{q}: {msg}");
    }
}

#[tokio::test]
async fn sort_orders_by_several_keys_with_nulls_lowest_and_ties_by_id() {
    let app = spawn_app!();
    seed_varied(&app).await;
    assert_eq!(
        names(&app.get("/v1/clients?sort=-credit.limit,name").await.body),
        vec![
            "Nordic Logistik AS",
            "Andersson Bygg AB",
            "Åkesson Élan AB",
            "Anna Schmidt"
        ]
    );
    assert_eq!(
        names(&app.get("/v1/clients?sort=credit.limit").await.body),
        vec![
            "Anna Schmidt",
            "Åkesson Élan AB",
            "Andersson Bygg AB",
            "Nordic Logistik AS"
        ]
    );
    assert_eq!(
        names(&app.get("/v1/clients?sort=country,-name").await.body),
        vec![
            "Anna Schmidt",
            "Nordic Logistik AS",
            "Åkesson Élan AB",
            "Andersson Bygg AB"
        ]
    );
    assert_eq!(
        names(&app.get("/v1/clients?sort=created_at").await.body),
        vec![
            "Andersson Bygg AB",
            "Åkesson Élan AB",
            "Nordic Logistik AS",
            "Anna Schmidt"
        ]
    );
    // Equal keys: ordered by id, in the direction of the last key.
    for i in 0..4 {
        app.create(json!({"name": "Same", "source": format!("t{i}")}))
            .await;
    }
    let r = app.get("/v1/clients?name=Same&sort=-name").await;
    let got = ids(&r.body);
    let mut want = got.clone();
    want.sort();
    want.reverse();
    assert_eq!(got, want);
}

#[tokio::test]
async fn fields_return_exactly_id_and_the_named_fields() {
    let app = spawn_app!();
    seed_varied(&app).await;
    let r = app
        .get("/v1/clients?fields=name,credit.limit,country&sort=name&limit=1")
        .await;
    let row = &r.body["data"][0];
    let keys: Vec<&String> = row
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert_eq!(keys, vec!["id", "name", "credit", "address"]);
    assert_eq!(row["credit"].to_string(), r#"{"limit":50000.00}"#);
    assert_eq!(row["address"], json!({"country": "SE"}));
    let r = app.get("/v1/clients?fields=id&limit=1").await;
    assert_eq!(r.body["data"][0].as_object().map(|o| o.len()), Some(1));
    let r = app
        .get("/v1/clients?fields=metadata,credit.available&limit=1&sort=name")
        .await;
    assert_eq!(r.body["data"][0]["metadata"], json!({}));
    assert_eq!(
        r.body["data"][0]["credit"].to_string(),
        r#"{"available":49000.00}"#
    );
}

#[tokio::test]
async fn expand_accepts_the_sub_resources_and_count_false_skips_the_total() {
    let app = spawn_app!();
    seed_varied(&app).await;
    let r = app
        .get("/v1/clients?expand=contact_persons,locations,accounts&count=false&status=active")
        .await;
    assert_eq!(r.body["meta"]["total"], Value::Null);
    assert_eq!(names(&r.body).len(), 3);
    let r = app.get("/v1/clients?count=true&status=active").await;
    assert_eq!(r.body["meta"]["total"], 3);
}

/// Walks every page with `cursor`, returning the ids in order.
async fn walk(app: &TestApp, query: &str, limit: u32) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..500 {
        let url = match &cursor {
            Some(c) => format!("/v1/clients?{query}&limit={limit}&cursor={c}"),
            None => format!("/v1/clients?{query}&limit={limit}"),
        };
        let r = app.get(&url).await;
        assert!(r.status.is_success(), "{url}: {}", r.body);
        out.extend(ids(&r.body));
        match r.body["meta"]["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return out,
        }
    }
    panic!("the walk did not end");
}

#[tokio::test]
async fn cursors_walk_every_row_once_in_every_sort() {
    let app = spawn_app!();
    seed_varied(&app).await;
    for i in 0..20 {
        let cc = ["SE", "NO", "DK"][i % 3];
        let limit = if i % 3 == 0 {
            json!(null)
        } else {
            json!(i * 1000)
        };
        app.create(
            json!({"name": format!("C{:02}", i % 7), "credit": {"limit": limit, "currency": "EUR"},
            "address": if i % 4 == 0 { json!(null) } else { json!({"country": cc}) }}),
        )
        .await;
    }
    for sort in [
        "",
        "sort=created_at",
        "sort=-credit.limit",
        "sort=credit.limit,-name",
        "sort=country,-credit.limit",
        "sort=-country,name",
        "sort=name",
        "sort=-updated_at",
        "sort=number",
        "sort=-id",
        "sort=archived,-kind",
    ] {
        let q = format!("archived=all&{sort}");
        let all = ids(&app.get(&format!("/v1/clients?{q}&limit=100")).await.body);
        assert_eq!(all.len(), 25);
        for limit in [1, 4, 7] {
            assert_eq!(walk(&app, &q, limit).await, all, "{sort} limit {limit}");
        }
    }
}

#[tokio::test]
async fn cursors_never_skip_or_repeat_while_rows_come_and_go() {
    let app = spawn_app!();
    let mut stable = Vec::new();
    for i in 0..30 {
        let c = app.create(json!({"name": format!("S{i:02}"), "credit": {"limit": (i % 5) * 100, "currency": "SEK"}})).await;
        stable.push(c["id"].as_str().unwrap_or("").to_string());
    }
    let mut doomed = Vec::new();
    for i in 0..10 {
        let c = app.create(json!({"name": format!("D{i:02}")})).await;
        doomed.push(c["id"].as_str().unwrap_or("").to_string());
    }
    for sort in ["", "sort=-credit.limit,name", "sort=name"] {
        let mut seen: Vec<String> = Vec::new();
        let mut cursor: Option<String> = None;
        let mut step = 0;
        loop {
            step += 1;
            assert!(step < 200, "walk did not end");
            let url = match &cursor {
                Some(c) => format!("/v1/clients?{sort}&limit=4&cursor={c}"),
                None => format!("/v1/clients?{sort}&limit=4"),
            };
            let r = app.get(&url).await;
            seen.extend(ids(&r.body));
            // Meanwhile: new rows arrive and some rows go.
            app.create(
                json!({"name": format!("N{step:03}"), "credit": {"limit": 250, "currency": "SEK"}}),
            )
            .await;
            if let Some(d) = doomed.pop() {
                app.delete(&format!("/v1/clients/{d}")).await;
            }
            match r.body["meta"]["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        let mut uniq = seen.clone();
        uniq.sort();
        uniq.dedup();
        assert_eq!(uniq.len(), seen.len(), "{sort}: a row was repeated");
        for id in &stable {
            assert!(seen.contains(id), "{sort}: row {id} was skipped");
        }
    }
}

#[tokio::test]
async fn a_cursor_only_fits_its_own_query_and_is_absent_on_the_last_page() {
    let app = spawn_app!();
    seed(&app, 5).await;
    let r = app.get("/v1/clients?limit=2&sort=name").await;
    let c = r.body["meta"]["next_cursor"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(!c.is_empty());
    // Another sort or other filters → 400; another limit, fields or count are fine.
    for q in [
        "sort=-name",
        "",
        "sort=name&status=active",
        "sort=name&search=x",
    ] {
        let r = app.get(&format!("/v1/clients?{q}&cursor={c}")).await;
        assert_eq!(
            r.error(400, "VALIDATION_ERROR"),
            vec![("cursor".to_string(), "invalid_value".to_string())],
            "{q}"
        );
    }
    let r = app
        .get(&format!(
            "/v1/clients?sort=name&limit=3&fields=name&count=false&cursor={c}"
        ))
        .await;
    assert_eq!(names(&r.body), vec!["Client 2", "Client 3", "Client 4"]);
    assert_eq!(r.body["meta"]["next_cursor"], Value::Null);
    // Offset pages also point at the next page when there is one.
    let r = app.get("/v1/clients?limit=2&offset=2&sort=name").await;
    let c = r.body["meta"]["next_cursor"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let r = app
        .get(&format!("/v1/clients?limit=2&sort=name&cursor={c}"))
        .await;
    assert_eq!(names(&r.body), vec!["Client 4"]);
    let r = app.get("/v1/clients?limit=5").await;
    assert_eq!(r.body["meta"]["next_cursor"], Value::Null);
}

#[tokio::test]
async fn random_filters_never_cause_a_server_error() {
    let app = spawn_app!();
    seed_varied(&app).await;
    // A fixed-seed generator of plausible and broken expressions, bounded in count.
    let atoms = [
        "name",
        "credit.limit",
        "country",
        "archived",
        "created_at",
        "eq",
        "ne",
        "gt",
        "in",
        "and",
        "or",
        "not",
        "(",
        ")",
        ",",
        "'x'",
        "'SE'",
        "10",
        "-1.5",
        "1e3",
        "2026-01-01",
        "null",
        "true",
        "contains(",
        "startswith(",
        "'",
        "''",
        "%",
        "\\",
        "é",
        "99999999999999999999",
        "credit.fico",
        "id",
        "number",
        "metadata",
        "address",
        "le",
    ];
    let mut s: u64 = 42;
    for _ in 0..300 {
        let mut f = String::new();
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let n = 1 + (s >> 60) as usize;
        for _ in 0..n {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            f.push_str(atoms[(s >> 33) as usize % atoms.len()]);
            f.push(' ');
        }
        let r = app
            .get(&format!("/v1/clients?filter={}", urlencode(&f)))
            .await;
        assert!(
            r.status.as_u16() == 200 || r.status.as_u16() == 400,
            "{f}: {} {}",
            r.status,
            r.body
        );
    }
    // Arbitrary text up to 1 KiB, in every list parameter that takes text.
    let mut next = move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        s
    };
    for round in 0..120 {
        let len = (next() >> 54) as usize; // 0..1023
        let mut text = String::new();
        while text.len() < len {
            let r = next();
            let c = match r >> 61 {
                0..=3 => char::from(32 + ((r >> 33) % 95) as u8),
                4 => char::from_u32(0xC0 + ((r >> 33) % 0x2000) as u32).unwrap_or('é'),
                5 => ['\'', '(', ')', ',', ' ', '-'][((r >> 33) % 6) as usize],
                _ => char::from_u32(((r >> 33) % 0x10FFFF) as u32).unwrap_or('x'),
            };
            text.push(c);
        }
        let param = [
            "filter", "search", "sort", "fields", "name", "status", "cursor", "expand",
        ][round % 8];
        let r = app
            .get(&format!("/v1/clients?{param}={}", urlencode(&text)))
            .await;
        assert!(
            r.status.as_u16() == 200 || r.status.as_u16() == 400,
            "{param}={text:?}: {} {}",
            r.status,
            r.body
        );
    }
}

#[tokio::test]
async fn search_respects_archived_and_pages_with_cursors_in_both_directions() {
    let app = spawn_app!();
    for i in 0..12 {
        app.create(json!({"name": format!("Berg Bygg {i:02}"), "archived": i % 4 == 0}))
            .await;
    }
    app.create(json!({"name": "Unrelated"})).await;
    assert_eq!(names_of(&app, "search=berg").await.len(), 9);
    assert_eq!(names_of(&app, "search=berg&archived=true").await.len(), 3);
    assert_eq!(
        names_of(&app, "search=bygg+berg&archived=all").await.len(),
        12
    );
    let r = app
        .get("/v1/clients?search=berg&archived=all&limit=2")
        .await;
    assert_eq!(r.body["meta"]["total"], 12);
    // Archiving moves a client between the live and archived results at once.
    let first = r.body["data"][0]["id"].as_str().unwrap_or("").to_string();
    app.patch(&format!("/v1/clients/{first}"), json!({"archived": true}))
        .await;
    assert_eq!(names_of(&app, "search=berg").await.len(), 8);
    for q in [
        "search=berg&archived=all",
        "search=berg&archived=all&sort=created_at",
        "search=berg&archived=all&sort=-name",
        "search=berg+by&status=active",
    ] {
        let all = ids(&app.get(&format!("/v1/clients?{q}&limit=100")).await.body);
        assert!(!all.is_empty());
        assert_eq!(walk(&app, q, 5).await, all, "{q}");
        let total = app.get(&format!("/v1/clients?{q}")).await.body["meta"]["total"].clone();
        assert_eq!(total, json!(all.len()), "{q}");
    }
}

#[tokio::test]
async fn totals_follow_every_write_at_once() {
    let app = spawn_app!();
    let q = "/v1/clients?filter=credit.limit%20ge%20100&search=acme";
    let total = |r: &crate::common::Reply| r.body["meta"]["total"].clone();
    assert_eq!(total(&app.get(q).await), 0);
    let c = app
        .create(json!({"name": "Acme AB", "credit": {"limit": 500, "currency": "SEK"}}))
        .await;
    assert_eq!(total(&app.get(q).await), 1);
    assert_eq!(total(&app.get(q).await), 1);
    let id = c["id"].as_str().unwrap_or("");
    app.patch(
        &format!("/v1/clients/{id}"),
        json!({"credit": {"limit": 50}}),
    )
    .await;
    assert_eq!(total(&app.get(q).await), 0);
    app.patch(
        &format!("/v1/clients/{id}"),
        json!({"credit": {"limit": 5000}}),
    )
    .await;
    assert_eq!(total(&app.get(q).await), 1);
    app.delete(&format!("/v1/clients/{id}")).await;
    assert_eq!(total(&app.get(q).await), 0);
    assert_eq!(total(&app.get("/v1/clients").await), 0);
}

#[tokio::test]
async fn totals_of_equality_filters_match_the_rows_after_every_kind_of_write() {
    let app = spawn_app!();
    let all = seed_varied(&app).await;
    let queries = [
        "status=active",
        "country=SE",
        "status=active&country=SE,NO",
        "kind=person",
        "partner_type=industry,construction",
        "currency=SEK&creditworthiness=good",
        "filter=status%20eq%20%27active%27%20and%20country%20eq%20%27SE%27",
        "archived=all&status=inactive",
        "archived=true&country=FI",
        "archived=all&currency=EUR",
    ];
    let check = |label: &'static str| {
        let app = &app;
        async move {
            for q in queries {
                let r = app.get(&format!("/v1/clients?{q}&limit=100")).await;
                let rows = r.body["data"].as_array().map_or(0, Vec::len);
                assert_eq!(r.body["meta"]["total"], json!(rows), "{label}: {q}");
            }
        }
    };
    check("seeded").await;
    let id = |i: usize| all[i]["id"].as_str().unwrap_or("").to_string();
    app.patch(
        &format!("/v1/clients/{}", id(0)),
        json!({"address": {"country": "NO"}, "status": "inactive", "credit": null}),
    )
    .await;
    check("after patch").await;
    app.patch(
        &format!("/v1/clients/{}", id(4)),
        json!({"archived": false}),
    )
    .await;
    check("after unarchive").await;
    app.delete(&format!("/v1/clients/{}", id(2))).await;
    check("after delete").await;
    app.put(&format!("/v1/clients/{}", id(1)), json!({"name": "Reset"}))
        .await;
    check("after put").await;
}

/// Every list parameter of API.md that names a field works under that name in `filter`, `sort`
/// and `fields` ("fields by the names above"), with the same meaning as the parameter.
#[tokio::test]
async fn every_list_parameter_name_works_in_filter_sort_and_fields() {
    let app = spawn_app!();
    let all = seed_varied(&app).await;
    let first = &all[0];
    let id = first["id"].as_str().unwrap_or("").to_string();
    let created = first["created_at"].as_str().unwrap_or("").to_string();
    // (name, where its value sits in a client, filter literal matching "Andersson Bygg AB").
    let names: Vec<(&str, &str, String)> = vec![
        ("status", "status", "'active'".into()),
        ("kind", "kind", "'organization'".into()),
        ("partner_type", "partner_type", "'construction'".into()),
        ("country", "address.country", "'se'".into()),
        ("currency", "credit.currency", "'SEK'".into()),
        (
            "creditworthiness",
            "credit.creditworthiness",
            "'good'".into(),
        ),
        ("owner_id", "owner_id", "'u1'".into()),
        ("salesperson_id", "salesperson_id", "'s1'".into()),
        ("case_manager_id", "case_manager_id", "'c1'".into()),
        ("account_code", "account_code", "'K100'".into()),
        ("external_id", "external_id", "'ERP-1'".into()),
        ("source", "source", "'web'".into()),
        ("name", "name", "'Andersson Bygg AB'".into()),
        ("id", "id", format!("'{id}'")),
        ("archived", "archived", "false".into()),
        ("created_at", "created_at", created.clone()),
        (
            "updated_at",
            "updated_at",
            first["updated_at"].to_string().replace('"', ""),
        ),
    ];
    let at =
        |c: &Value, path: &str| -> Value { path.split('.').fold(c.clone(), |v, k| v[k].clone()) };
    for (name, path, literal) in &names {
        // filter: `NAME eq LITERAL` and `NAME in (LITERAL)` select the rows whose value is it.
        for f in [
            format!("{name} eq {literal}"),
            format!("{name} in ({literal})"),
        ] {
            if *name == "archived" && f.contains(" in ") {
                continue; // booleans take eq/ne only
            }
            let got = names_of(&app, &format!("filter={}", urlencode(&f))).await;
            assert!(
                got.contains(&"Andersson Bygg AB".to_string()),
                "filter={f}: {got:?}"
            );
            let want: Vec<String> = {
                let mut w: Vec<String> = all
                    .iter()
                    .filter(|c| !c["archived"].as_bool().unwrap_or(false))
                    .filter(|c| {
                        let v = at(c, path);
                        v == at(first, path) || (*name == "country" && v.as_str() == Some("SE"))
                    })
                    .map(|c| c["name"].as_str().unwrap_or("").to_string())
                    .collect();
                w.sort();
                w
            };
            assert_eq!(got, want, "filter={f}");
        }
        // sort: ascending and descending both answer every row, in opposite orders for rows
        // whose values differ.
        let asc = app
            .get(&format!("/v1/clients?sort={name}&archived=all&limit=100"))
            .await;
        assert_eq!(asc.status, 200, "sort={name}: {}", asc.body);
        let desc = app
            .get(&format!("/v1/clients?sort=-{name}&archived=all&limit=100"))
            .await;
        assert_eq!(desc.status, 200, "sort=-{name}: {}", desc.body);
        assert_eq!(ids(&asc.body).len(), all.len(), "sort={name}");
        // fields: exactly `id` and the field, at its full path.
        let r = app.get(&format!("/v1/clients?fields={name}&id={id}")).await;
        assert_eq!(r.status, 200, "fields={name}: {}", r.body);
        let row = &r.body["data"][0];
        assert_eq!(at(row, path), at(first, path), "fields={name}: {row}");
        let top = path.split('.').next().unwrap_or("");
        let keys: Vec<&String> = row
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        let want: Vec<&str> = if top == "id" {
            vec!["id"]
        } else {
            vec!["id", top]
        };
        assert_eq!(keys, want, "fields={name}");
    }
    // The sort by a short name orders by its field.
    let r = app
        .get("/v1/clients?sort=creditworthiness,name&fields=creditworthiness")
        .await;
    let order: Vec<Value> = r.body["data"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| c["credit"]["creditworthiness"].clone())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        order,
        vec![json!(null), json!("bad"), json!("good"), json!("middle")],
        "nulls lowest, then text order"
    );
}

/// `search` keeps a word that mixes letters and digits whole (`ac3` is not `ac` and `3`) and
/// still matches prefixes of it.
#[tokio::test]
async fn search_keeps_letter_digit_words_whole_and_matches_their_prefixes() {
    let app = spawn_app!();
    for d in [
        json!({"name": "Lager Nord", "account_code": "AC3"}),
        json!({"name": "Firma 37 AB", "account_code": "AC4"}),
        json!({"name": "Verkstad X5", "external_id": "ERP-00424242"}),
        json!({"name": "ERP Konsult", "account_code": "00424242"}),
        json!({"name": "X Fem", "external_id": "5"}),
        json!({"name": "Schmidt", "email": "anna.schmidt123@web.de"}),
    ] {
        app.create(d).await;
    }
    for (q, want) in [
        ("ac3", vec!["Lager Nord"]),
        ("AC4", vec!["Firma 37 AB"]),
        ("ac", vec!["Firma 37 AB", "Lager Nord"]),
        ("37", vec!["Firma 37 AB"]),
        ("x5", vec!["Verkstad X5"]),
        ("x", vec!["Verkstad X5", "X Fem"]),
        ("erp-00424242", vec!["Verkstad X5"]),
        ("ERP-0042", vec!["Verkstad X5"]),
        ("erp00424242", vec!["Verkstad X5"]),
        ("erp", vec!["ERP Konsult", "Verkstad X5"]),
        ("00424242", vec!["ERP Konsult", "Verkstad X5"]),
        ("schmidt12", vec!["Schmidt"]),
        ("anna.schmidt123@web", vec!["Schmidt"]),
        ("schmidt123+web.de", vec!["Schmidt"]),
    ] {
        assert_eq!(
            names_of(&app, &format!("search={q}")).await,
            want,
            "search={q}"
        );
    }
}

/// A JSON body from its text: numbers keep every digit (the `json!` macro goes through `f64`).
fn raw(text: &str) -> Value {
    serde_json::from_str(text).expect("valid JSON")
}

/// Money is exact over the whole range the stores hold: 15 integer digits and 4 fraction
/// digits, compared, counted and sorted exactly; beyond 999999999999999.9999 a clear
/// VALIDATION_ERROR.
#[tokio::test]
async fn money_is_exact_up_to_the_documented_limit() {
    let app = spawn_app!();
    let big = app
        .post(
            "/v1/clients",
            raw(r#"{"name": "Big", "credit": {"limit": 12345678901234.5678, "used": 12345678901234.5677, "currency": "EUR"}}"#),
        )
        .await;
    assert_eq!(big.status, 201, "{}", big.body);
    let credit = &big.data()["credit"];
    assert_eq!(credit["limit"].to_string(), "12345678901234.5678");
    assert_eq!(credit["used"].to_string(), "12345678901234.5677");
    assert_eq!(credit["available"].to_string(), "0.0001");
    let max = app
        .post(
            "/v1/clients",
            raw(r#"{"name": "Max", "credit": {"limit": 999999999999999.9999, "used": 0.0001, "total_income": 999999999999999.9998, "currency": "EUR"}}"#),
        )
        .await;
    assert_eq!(max.status, 201, "{}", max.body);
    assert_eq!(
        max.data()["credit"]["total_income"].to_string(),
        "999999999999999.9998"
    );
    assert_eq!(
        max.data()["credit"]["available"].to_string(),
        "999999999999999.9998"
    );
    for (name, limit) in [
        ("Small", "12345678901234.5677"),
        ("Near", "999999999999999.9998"),
        // Just above what the old key (units of 10⁻⁴ in an i64) held.
        ("OldCap", "922337203685477.5808"),
        // The key's zero.
        ("Half", "500000000000000.00"),
        ("Tiny", "0.5"),
    ] {
        app.create(raw(&format!(
            r#"{{"name": "{name}", "credit": {{"limit": {limit}, "currency": "EUR"}}}}"#
        )))
        .await;
    }
    app.create(json!({"name": "NoLimit"})).await;
    for (who, want) in [
        (&big, "12345678901234.5678"),
        (&max, "999999999999999.9999"),
    ] {
        let id = who.data()["id"].as_str().unwrap_or("").to_string();
        let read = app.get(&format!("/v1/clients/{id}")).await;
        assert_eq!(read.data()["credit"]["limit"].to_string(), want);
        // The JSON text itself, byte for byte.
        let text = app
            .http
            .get(app.url(&format!("/v1/clients/{id}")))
            .header("x-api-key", &app.key)
            .send()
            .await
            .expect("get")
            .text()
            .await
            .expect("body");
        assert!(text.contains(&format!(r#""limit":{want},"#)), "{text}");
    }
    let all = ["Big", "Half", "Max", "Near", "OldCap", "Small", "Tiny"];
    let but =
        |out: &[&str]| -> Vec<&str> { all.iter().copied().filter(|n| !out.contains(n)).collect() };
    for (f, want) in [
        ("credit.limit eq 12345678901234.5678", vec!["Big"]),
        (
            "credit.limit gt 12345678901234.5677",
            but(&["Small", "Tiny"]),
        ),
        ("credit.limit eq 999999999999999.9999", vec!["Max"]),
        ("credit.limit ge 999999999999999.9999", vec!["Max"]),
        ("credit.limit gt 999999999999999.9998", vec!["Max"]),
        ("credit.limit ge 999999999999999.9998", vec!["Max", "Near"]),
        ("credit.limit lt 999999999999999.9999", but(&["Max"])),
        ("credit.limit le 999999999999999.9998", but(&["Max"])),
        // `ne` also matches no value (null).
        (
            "credit.limit ne 999999999999999.9999",
            vec!["Big", "Half", "Near", "NoLimit", "OldCap", "Small", "Tiny"],
        ),
        (
            "credit.limit lt 500000000000000",
            vec!["Big", "Small", "Tiny"],
        ),
        (
            "credit.limit ge 500000000000000",
            vec!["Half", "Max", "Near", "OldCap"],
        ),
        (
            "credit.limit ge 500000000000000 and credit.limit le 922337203685477.5808",
            vec!["Half", "OldCap"],
        ),
        (
            "credit.limit gt 922337203685477.5807",
            vec!["Max", "Near", "OldCap"],
        ),
        (
            "credit.limit in (0.5, 999999999999999.9999)",
            vec!["Max", "Tiny"],
        ),
        // Literals beyond the largest amount compare as what they are.
        ("credit.limit ge 1000000000000000", vec![]),
        ("credit.limit lt 1e20", all.to_vec()),
        ("credit.limit gt -1", all.to_vec()),
        ("credit.total_income gt 999999999999999.9997", vec!["Max"]),
    ] {
        let q = format!("filter={}", urlencode(f));
        assert_eq!(names_of(&app, &q).await, want, "filter={f}");
        // The total (from the range counters where they answer) agrees.
        let r = app.get(&format!("/v1/clients?limit=1&{q}")).await;
        assert_eq!(r.body["meta"]["total"], json!(want.len()), "filter={f}");
    }
    let by_limit = ["Max", "Near", "OldCap", "Half", "Big", "Small", "Tiny"];
    let r = app
        .get("/v1/clients?sort=-credit.limit&fields=name&filter=credit.limit%20ne%20null")
        .await;
    assert_eq!(names(&r.body), by_limit);
    // Page by page through the keyset: the same order.
    let mut seen = Vec::new();
    let mut next =
        "/v1/clients?sort=credit.limit&fields=name&filter=credit.limit%20ne%20null&limit=2"
            .to_string();
    for _ in 0..10 {
        let r = app.get(&next).await;
        assert_eq!(r.status, 200, "{}", r.body);
        seen.extend(names(&r.body));
        match r.body["meta"]["next_cursor"].as_str() {
            Some(c) => {
                next = format!(
                    "/v1/clients?sort=credit.limit&fields=name&filter=credit.limit%20ne%20null&limit=2&cursor={}",
                    urlencode(c)
                )
            }
            None => break,
        }
    }
    let mut ascending = by_limit.to_vec();
    ascending.reverse();
    assert_eq!(seen, ascending);
    for (path, body) in [
        (
            "credit.limit",
            r#"{"name": "Over", "credit": {"limit": 1000000000000000, "currency": "EUR"}}"#,
        ),
        (
            "credit.limit",
            r#"{"name": "Over", "credit": {"limit": 1000000000000000.0000, "currency": "EUR"}}"#,
        ),
        (
            "credit.used",
            r#"{"name": "Over", "credit": {"used": 1e15, "currency": "EUR"}}"#,
        ),
        (
            "credit.total_debt_payments",
            r#"{"name": "Over", "credit": {"total_debt_payments": 12345678901234567}}"#,
        ),
    ] {
        let r = app.post("/v1/clients", raw(body)).await;
        let details = r.error(400, "VALIDATION_ERROR");
        assert_eq!(
            details,
            vec![(path.to_string(), "out_of_range".to_string())],
            "{}",
            r.body
        );
        assert_eq!(
            r.body["details"][0]["message"],
            "must be at most 999999999999999.9999 (15 integer digits, 4 fraction digits)",
            "{}",
            r.body
        );
    }
    let r = app
        .post(
            "/v1/clients",
            raw(r#"{"name": "Over", "credit": {"limit": 999999999999999.99999, "currency": "EUR"}}"#),
        )
        .await;
    assert_eq!(
        r.error(400, "VALIDATION_ERROR"),
        vec![("credit.limit".to_string(), "too_many_decimals".to_string())]
    );
}

/// A page far beyond the last row is an empty page, not a server error: the offset it implies
/// is capped at what the stores take (found by Schemathesis: `page=9223372036854775806`).
#[tokio::test]
async fn a_page_beyond_any_offset_is_empty() {
    let app = spawn_app!();
    let c = app.create(json!({"name": "Only"})).await;
    let id = c["id"].as_str().unwrap_or("").to_string();
    app.post(
        &format!("/v1/clients/{id}/contact-persons"),
        json!({"name": "Kim"}),
    )
    .await;
    for path in [
        "/v1/clients?page=9223372036854775806&count=false".to_string(),
        "/v1/clients?page=9223372036854775807&limit=100".to_string(),
        format!("/v1/clients/{id}/contact-persons?page=9223372036854775806&count=false"),
        format!("/v1/clients/{id}/accounts?page=9223372036854775807&limit=100"),
    ] {
        let r = app.get(&path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        assert_eq!(r.body["data"], json!([]), "{path}");
    }
}
