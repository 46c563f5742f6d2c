//! The seed's examples and the client routes of seed 002: create with the primary location,
//! read, partial update, the list with every filter and its paging.

use serde_json::{json, Value};

use super::{at, create, example_create, example_update, minimal, BASE};
use crate::common::TestApp;

#[tokio::test]
async fn the_seeds_create_example_makes_a_client_and_its_primary_location() {
    let app = spawn_app!();
    let r = app.post(BASE, example_create()).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    let c = &r.body["client"];
    assert_eq!(c["id"], 1, "the tenant's first client number");
    assert_eq!(r.header("location"), Some("/api/v1/clients/1"));
    assert!(r.header("etag").is_some());
    let mut keys: Vec<&str> = c
        .as_object()
        .expect("client")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        vec![
            "account_code",
            "case_manager",
            "created_at",
            "email_invoice",
            "has_invoice_reminders",
            "id",
            "name",
            "notes",
            "primary_location",
            "salesperson",
            "show_location_on_invoice",
            "updated_at",
            "website"
        ]
    );
    assert_eq!(c["name"], "ACME Client");
    assert_eq!(c["website"], "https://example.com");
    assert_eq!(c["has_invoice_reminders"], true);
    assert_eq!(c["show_location_on_invoice"], true);
    assert_eq!(c["notes"], "VIP client");
    assert_eq!(c["account_code"], Value::Null);
    assert_eq!(c["email_invoice"], Value::Null);
    assert_eq!(c["salesperson"], Value::Null);
    let l = &c["primary_location"];
    assert!(l["id"].as_str().is_some_and(|s| s.len() == 36), "{l}");
    let mut shown = l.clone();
    shown.as_object_mut().expect("location").remove("id");
    assert_eq!(
        shown,
        json!({
            "name": "Main Location", "email_invoice": "billing@example.com",
            "phone_primary": "555-555-5555", "phone_secondary": "555-555-5555",
            "phone_fax": "555-555-5555", "address_1": "123 Main Street", "address_2": "STE 123",
            "address_3": null, "city": "Denver", "state": "CO", "zip": "80202", "country": "US",
            "notes": null
        })
    );
    assert!(c["created_at"].as_str().is_some_and(|t| t.ends_with('Z')));
    // It reads back the same, by its number.
    let got = app.get(&at(1)).await;
    assert_eq!(got.status.as_u16(), 200);
    assert_eq!(got.body, r.body);
    assert_eq!(got.header("etag"), r.header("etag"));
}

#[tokio::test]
async fn the_seeds_update_example_changes_only_the_account_code() {
    let app = spawn_app!();
    let before = create(&app, example_create()).await;
    let r = app.put(&at(1), example_update()).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let after = &r.body["client"];
    assert_eq!(after["account_code"], "123456");
    for k in [
        "id",
        "name",
        "website",
        "notes",
        "has_invoice_reminders",
        "show_location_on_invoice",
        "primary_location",
        "created_at",
    ] {
        assert_eq!(after[k], before[k], "{k} unchanged");
    }
    assert_eq!(app.get(&at(1)).await.body, r.body);
    // `null` clears, absent keeps; every writable field.
    let r = app
        .put(
            &at(1),
            json!({"client": {"notes": null, "website": null, "has_invoice_reminders": false,
                   "email_invoice": "ap@example.com", "name": "ACME Corp",
                   "show_location_on_invoice": false, "salesperson": 17, "case_manager": 4}}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let c = &r.body["client"];
    assert_eq!(c["notes"], Value::Null);
    assert_eq!(c["website"], Value::Null);
    assert_eq!(c["has_invoice_reminders"], false);
    assert_eq!(c["show_location_on_invoice"], false);
    assert_eq!(c["email_invoice"], "ap@example.com");
    assert_eq!(c["name"], "ACME Corp");
    assert_eq!(c["account_code"], "123456");
    assert_eq!(
        (c["salesperson"].clone(), c["case_manager"].clone()),
        (json!(17), json!(4))
    );
    // The native side: billing_email, invoice_reminders, the people as text.
    let v1 = app.get("/v1/clients?filter=number eq 1").await;
    let d = &v1.data()[0];
    assert_eq!(d["billing_email"], "ap@example.com");
    assert_eq!(d["salesperson_id"], "17");
    assert_eq!(d["case_manager_id"], "4");
    assert_eq!(d["version"], 3);
    // An empty update changes nothing: same answer, same version.
    let before = app.get(&at(1)).await;
    let r = app.put(&at(1), json!({"client": {}})).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    assert_eq!(r.body, before.body);
    assert_eq!(r.header("etag"), before.header("etag"));
}

#[tokio::test]
async fn the_location_address_is_also_the_clients_and_zip_may_be_a_string() {
    let app = spawn_app!();
    let c = create(
        &app,
        json!({"client": {"name": "Maple Ltd", "account_code": "M-1",
               "email_invoice": "ap@maple.example", "salesperson": 3,
               "primary_location": {"name": "Head Office", "address_1": "1 King St W",
                   "address_2": "Floor 4", "address_3": "Suite 400", "city": "Toronto",
                   "state": "ON", "zip": "M5H 1A1", "country": "ca", "notes": "Reception left"}}}),
    )
    .await;
    assert_eq!(c["primary_location"]["zip"], "M5H 1A1");
    assert_eq!(
        c["primary_location"]["country"], "CA",
        "upper-cased natively"
    );
    assert_eq!(c["primary_location"]["address_3"], "Suite 400");
    assert_eq!(c["primary_location"]["notes"], "Reception left");
    assert_eq!(c["salesperson"], 3);
    let id = super::uuid_of(&app, &c["id"]).await;
    let d = app.get(&format!("/v1/clients/{id}?expand=locations")).await;
    let d = d.data();
    assert_eq!(
        d["address"],
        json!({"street": "1 King St W", "street_number": null, "apartment": null,
               "corner": null, "line2": "Floor 4", "line3": "Suite 400", "city": "Toronto",
               "region": "ON", "postal_code": "M5H 1A1", "country": "CA", "latitude": null,
               "longitude": null})
    );
    assert_eq!(d["account_code"], "M-1");
    assert_eq!(d["billing_email"], "ap@maple.example");
    let locations = d["locations"].as_array().expect("locations");
    assert_eq!(locations.len(), 1);
    assert_eq!(locations[0]["is_primary"], true);
    assert_eq!(locations[0]["address"], d["address"]);
    assert_eq!(locations[0]["id"], c["primary_location"]["id"]);
}

#[tokio::test]
async fn a_failed_create_creates_nothing() {
    let app = spawn_app!();
    // The client is valid, its location is not: neither is created.
    let r = app
        .post(
            BASE,
            json!({"client": {"name": "Half", "primary_location":
                {"name": "HQ", "state": "CO", "country": "US", "phone_fax": "not a phone"}}}),
        )
        .await;
    assert_eq!(
        r.error(400, "VALIDATION_ERROR"),
        vec![("primary_location.phone_fax".into(), "invalid_format".into())]
    );
    let r = app
        .post(
            BASE,
            json!({"client": {"name": "", "primary_location":
                {"name": "HQ", "state": "CO", "country": "US"}}}),
        )
        .await;
    assert_eq!(
        r.error(400, "VALIDATION_ERROR"),
        vec![("name".into(), "too_short".into())]
    );
    assert_eq!(app.get(BASE).await.body["meta"]["total"], 0);
    assert_eq!(app.get("/v1/clients").await.body["meta"]["total"], 0);
    let c = create(&app, minimal("Whole")).await;
    assert_eq!(app.get(&at(&c["id"])).await.status.as_u16(), 200);
}

#[tokio::test]
async fn the_list_pages_by_id_with_the_seeds_defaults_and_limits() {
    let app = spawn_app!();
    for i in 1..=5 {
        create(&app, minimal(&format!("Client {i}"))).await;
    }
    let r = app.get(BASE).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    assert_eq!(
        r.body["meta"],
        json!({"page": 1, "per_page": 100, "total": 5})
    );
    let ids: Vec<i64> = r.body["clients"]
        .as_array()
        .expect("clients")
        .iter()
        .map(|c| c["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(ids, vec![1, 2, 3, 4, 5]);
    assert_eq!(r.body["clients"][0]["primary_location"]["name"], "HQ");
    let r = app.get(&format!("{BASE}?page=2&per_page=2")).await;
    assert_eq!(
        r.body["meta"],
        json!({"page": 2, "per_page": 2, "total": 5})
    );
    let names: Vec<&str> = r.body["clients"]
        .as_array()
        .expect("clients")
        .iter()
        .map(|c| c["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, vec!["Client 3", "Client 4"]);
    let r = app.get(&format!("{BASE}?page=9&per_page=500")).await;
    assert_eq!(r.body["clients"], json!([]));
    assert_eq!(r.body["meta"]["total"], 5);
    for (q, field, code) in [
        ("per_page=501", "per_page", "out_of_range"),
        ("per_page=0", "per_page", "out_of_range"),
        ("page=0", "page", "out_of_range"),
        ("page=x", "page", "invalid_type"),
        ("limit=5", "limit", "unknown_parameter"),
        ("id=abc", "id", "invalid_type"),
        ("salesperson=x", "salesperson", "invalid_type"),
        ("created_from=yesterday", "created_from", "invalid_format"),
        ("name=a&name=b", "name", "duplicate"),
    ] {
        let r = app.get(&format!("{BASE}?{q}")).await;
        assert_eq!(
            r.error(400, "VALIDATION_ERROR"),
            vec![(field.to_string(), code.to_string())],
            "{q}"
        );
    }
    // Archived clients are left out of the list and still answer on their detail.
    let id = super::uuid_of(&app, &json!(2)).await;
    let r = app
        .patch(&format!("/v1/clients/{id}"), json!({"archived": true}))
        .await;
    assert_eq!(r.status.as_u16(), 200);
    let r = app.get(BASE).await;
    assert_eq!(r.body["meta"]["total"], 4);
    assert_eq!(app.get(&at(2)).await.status.as_u16(), 200);
}

#[tokio::test]
async fn every_filter_of_the_seed_narrows_the_list() {
    let app = spawn_app!();
    let with = |name: &str, extra: Value| {
        let mut b = minimal(name);
        for (k, v) in extra.as_object().expect("object") {
            b["client"][k] = v.clone();
        }
        b
    };
    create(
        &app,
        with(
            "ACME Client",
            json!({"account_code": "A-1", "salesperson": 7}),
        ),
    )
    .await;
    create(
        &app,
        with(
            "Acme Two",
            json!({"account_code": "A-2", "case_manager": 9}),
        ),
    )
    .await;
    create(
        &app,
        with("Other Co", json!({"account_code": "A-1", "salesperson": 8})),
    )
    .await;
    let ids = |r: &crate::common::Reply| -> Vec<i64> {
        assert_eq!(r.status.as_u16(), 200, "{}", r.body);
        r.body["clients"]
            .as_array()
            .expect("clients")
            .iter()
            .map(|c| c["id"].as_i64().expect("id"))
            .collect()
    };
    for (q, expected) in [
        ("id=2", vec![2]),
        ("id=99", vec![]),
        ("name=acme", vec![1, 2]),
        ("name=CLIENT", vec![1]),
        ("account_code=A-1", vec![1, 3]),
        ("salesperson=7", vec![1]),
        ("salesperson=8", vec![3]),
        ("case_manager=9", vec![2]),
        ("account_code=A-1&salesperson=8", vec![3]),
        ("created_from=2000-01-01", vec![1, 2, 3]),
        ("created_to=2000-01-01", vec![]),
        ("updated_from=2999-01-01T00:00:00Z", vec![]),
        ("updated_to=2999-01-01T00:00:00Z", vec![1, 2, 3]),
    ] {
        let r = app.get(&format!("{BASE}?{q}")).await;
        assert_eq!(ids(&r), expected, "{q}");
        assert_eq!(r.body["meta"]["total"], expected.len(), "{q}");
    }
    // The time bounds are inclusive, to the millisecond; a date as the upper bound is that whole
    // day (UTC).
    let first = app.get(&at(1)).await.body["client"].clone();
    let created = first["created_at"].as_str().expect("created_at");
    let r = app
        .get(&format!(
            "{BASE}?created_from={created}&created_to={created}"
        ))
        .await;
    assert!(ids(&r).contains(&1), "{created}");
    // Without an offset a timestamp is UTC, as the seed says; a space may stand for the `T`.
    let plain = created.trim_end_matches('Z');
    let r = app
        .get(&format!(
            "{BASE}?created_from={plain}&created_to={}",
            plain.replace('T', "%20")
        ))
        .await;
    assert!(ids(&r).contains(&1), "{plain}");
    let today = &created[..10];
    let r = app.get(&format!("{BASE}?created_to={today}")).await;
    assert_eq!(ids(&r), vec![1, 2, 3]);
    let updated = first["updated_at"].as_str().expect("updated_at");
    let r = app
        .get(&format!("{BASE}?updated_from={updated}&id=1"))
        .await;
    assert_eq!(ids(&r), vec![1]);
}

#[tokio::test]
async fn a_client_id_is_its_number() {
    let app = spawn_app!();
    create(&app, minimal("One")).await;
    let r = app.get(&at("abc")).await;
    assert_eq!(
        r.error(400, "VALIDATION_ERROR"),
        vec![("client_id".into(), "invalid_format".into())]
    );
    let r = app.put(&at("1.5"), example_update()).await;
    assert_eq!(
        r.error(400, "VALIDATION_ERROR"),
        vec![("client_id".into(), "invalid_format".into())]
    );
    for unknown in ["0", "2", "99999999"] {
        assert_eq!(
            app.get(&at(unknown)).await.error(404, "NOT_FOUND"),
            Vec::<(String, String)>::new()
        );
        app.put(&at(unknown), example_update())
            .await
            .error(404, "NOT_FOUND");
    }
    // A client of any origin has a number here.
    let v = app.create(json!({"name": "Native"})).await;
    let r = app.get(&at(&v["number"])).await;
    assert_eq!(r.status.as_u16(), 200);
    assert_eq!(r.body["client"]["name"], "Native");
    assert_eq!(r.body["client"]["primary_location"], Value::Null);
}
