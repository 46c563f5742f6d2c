//! The console in a real browser: headless Chromium driven through chromedriver (WebDriver) on
//! 127.0.0.1, against the real router on this run's backend (SQLite, or PostgreSQL with
//! `CLIENTELE_TEST_BACKEND=postgres`). One scenario walks what a person does: sign in (by
//! keyboard), search as they type, filter, sort, page, open a client, edit it with a mistake and
//! then correctly, lose a race to another writer and see it, create a client and a contact
//! person, archive, create and revoke an API key, read the list at phone width, sign out.
//!
//! Without Chromium and chromedriver the test prints `skipped: no chromium at ...` and passes;
//! `.ci/run` installs both and refuses to run without them. Screenshots go to
//! `$CLIENTELE_SCREENSHOT_DIR` when set (docs/console/ is made so), else under the target dir.

use std::path::PathBuf;

use clientele_core::enums::Permission;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::TestApp;
use crate::webdriver::{self, Browser, ENTER, TAB};

fn screenshot_dir() -> PathBuf {
    std::env::var_os("CLIENTELE_SCREENSHOT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("console-screenshots"))
}

/// Realistic clients: (name, kind, country, city, status, creditworthiness, limit).
const SEED: &[(&str, &str, &str, &str, &str, &str, u32)] = &[
    (
        "Nordvik Bygg AB",
        "organization",
        "SE",
        "Göteborg",
        "active",
        "good",
        250_000,
    ),
    (
        "Fjällström Logistik AB",
        "organization",
        "SE",
        "Umeå",
        "active",
        "middle",
        120_000,
    ),
    (
        "Ljungberg & Söner AB",
        "organization",
        "SE",
        "Malmö",
        "active",
        "good",
        80_000,
    ),
    (
        "Havsbris Fastigheter AB",
        "organization",
        "SE",
        "Helsingborg",
        "inactive",
        "substandard",
        40_000,
    ),
    (
        "Bergkvist Industri AB",
        "organization",
        "SE",
        "Västerås",
        "active",
        "good",
        500_000,
    ),
    (
        "Solberg Konsult AB",
        "organization",
        "SE",
        "Uppsala",
        "active",
        "middle",
        60_000,
    ),
    (
        "Östra Hamnen Restaurang AB",
        "organization",
        "SE",
        "Stockholm",
        "active",
        "bad",
        15_000,
    ),
    (
        "Kvarnby El & Tele AB",
        "organization",
        "SE",
        "Malmö",
        "active",
        "good",
        90_000,
    ),
    (
        "Lindqvist Redovisning AB",
        "organization",
        "SE",
        "Lund",
        "active",
        "good",
        30_000,
    ),
    (
        "Tallbacka Trä AB",
        "organization",
        "SE",
        "Sundsvall",
        "inactive",
        "middle",
        70_000,
    ),
    (
        "Mälardalens Måleri AB",
        "organization",
        "SE",
        "Eskilstuna",
        "active",
        "good",
        45_000,
    ),
    (
        "Granitgruppen AB",
        "organization",
        "SE",
        "Karlskrona",
        "active",
        "middle",
        150_000,
    ),
    (
        "Ekholm Transport AB",
        "organization",
        "SE",
        "Jönköping",
        "active",
        "good",
        200_000,
    ),
    (
        "Vindö Marin AB",
        "organization",
        "SE",
        "Gustavsberg",
        "active",
        "substandard",
        25_000,
    ),
    (
        "Brandt Maschinenbau GmbH",
        "organization",
        "DE",
        "Hamburg",
        "active",
        "good",
        750_000,
    ),
    (
        "Keller Elektrotechnik GmbH",
        "organization",
        "DE",
        "München",
        "active",
        "middle",
        300_000,
    ),
    (
        "Hofmann Logistik GmbH",
        "organization",
        "DE",
        "Bremen",
        "inactive",
        "good",
        180_000,
    ),
    (
        "Bakkegaard ApS",
        "organization",
        "DK",
        "Aarhus",
        "active",
        "good",
        110_000,
    ),
    (
        "Nordlys Energi AS",
        "organization",
        "NO",
        "Bergen",
        "active",
        "good",
        400_000,
    ),
    (
        "Fjordline Shipping AS",
        "organization",
        "NO",
        "Stavanger",
        "active",
        "middle",
        350_000,
    ),
    (
        "Kallio Rakennus Oy",
        "organization",
        "FI",
        "Tampere",
        "active",
        "good",
        220_000,
    ),
    (
        "Järvinen Consulting Oy",
        "organization",
        "FI",
        "Helsinki",
        "active",
        "good",
        50_000,
    ),
    (
        "De Vries Installatie BV",
        "organization",
        "NL",
        "Utrecht",
        "active",
        "middle",
        95_000,
    ),
    (
        "Janssen Bouw BV",
        "organization",
        "NL",
        "Eindhoven",
        "active",
        "substandard",
        130_000,
    ),
    (
        "Dubois Menuiserie SARL",
        "organization",
        "FR",
        "Lyon",
        "active",
        "good",
        65_000,
    ),
    (
        "Moreau Transports SAS",
        "organization",
        "FR",
        "Lille",
        "inactive",
        "bad",
        20_000,
    ),
    (
        "Rossi Costruzioni Srl",
        "organization",
        "IT",
        "Torino",
        "active",
        "middle",
        210_000,
    ),
    (
        "Novak Stavby s.r.o.",
        "organization",
        "CZ",
        "Brno",
        "active",
        "good",
        85_000,
    ),
    (
        "Kowalski Budownictwo Sp. z o.o.",
        "organization",
        "PL",
        "Kraków",
        "active",
        "good",
        175_000,
    ),
    (
        "Anna Berg",
        "person",
        "SE",
        "Lund",
        "active",
        "good",
        10_000,
    ),
    (
        "Erik Sandberg",
        "person",
        "SE",
        "Örebro",
        "active",
        "middle",
        5_000,
    ),
    (
        "Maria Lindholm",
        "person",
        "FI",
        "Turku",
        "active",
        "good",
        8_000,
    ),
    (
        "Lars Øvergaard",
        "person",
        "NO",
        "Oslo",
        "inactive",
        "good",
        12_000,
    ),
    (
        "Sofia Marino",
        "person",
        "IT",
        "Milano",
        "active",
        "middle",
        7_500,
    ),
    (
        "Aurora Hotell & Konferens AB",
        "organization",
        "SE",
        "Kiruna",
        "active",
        "good",
        140_000,
    ),
    (
        "Sjöbris Camping AB",
        "organization",
        "SE",
        "Varberg",
        "active",
        "substandard",
        18_000,
    ),
    (
        "Stenhuggeriet i Bohuslän AB",
        "organization",
        "SE",
        "Lysekil",
        "active",
        "good",
        55_000,
    ),
    (
        "Polar Kylteknik AB",
        "organization",
        "SE",
        "Luleå",
        "active",
        "middle",
        95_000,
    ),
    (
        "Hansen Tømrer ApS",
        "organization",
        "DK",
        "Odense",
        "active",
        "good",
        42_000,
    ),
    (
        "Vestergaard Landbrug ApS",
        "organization",
        "DK",
        "Esbjerg",
        "active",
        "middle",
        260_000,
    ),
];

fn currency(country: &str) -> &'static str {
    match country {
        "SE" => "SEK",
        "NO" => "NOK",
        "DK" => "DKK",
        "CZ" => "CZK",
        "PL" => "PLN",
        _ => "EUR",
    }
}

async fn seed(app: &TestApp) -> Value {
    let mut nordvik = Value::Null;
    for (i, (name, kind, country, city, status, worth, limit)) in SEED.iter().enumerate() {
        let slug: String = name
            .to_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(12)
            .collect();
        let mut body = json!({
            "name": name, "kind": kind, "status": status,
            "email": format!("billing@{slug}.example"),
            "phone": format!("+46 31 {:03} {:02} {:02}", 100 + i, i, 7 * i % 100),
            "org_number": format!("55{:04}-{:04}", 1000 + i * 37, 2000 + i * 91),
            "external_id": format!("crm-{}", 1000 + i),
            "account_code": format!("K{:05}", 300 + i),
            "address": {"street": "Hamngatan", "street_number": format!("{}", 2 + i), "postal_code": format!("{}", 41100 + i * 10), "city": city, "country": country},
            "credit": {"limit": limit, "used": limit / 4, "currency": currency(country), "creditworthiness": worth, "payment_terms_days": 30, "rating": if *worth == "good" { "AA" } else { "B" }},
            "partner_type": if *kind == "person" { "private" } else { "construction" },
            "owner_id": "sales-north", "source": "trade fair 2026",
        });
        if *kind == "person" {
            let (first, last) = name.split_once(' ').unwrap_or((name, name));
            body["first_name"] = json!(first);
            body["last_name"] = json!(last);
        }
        if *name == "Tallbacka Trä AB" {
            body["archived"] = json!(true);
        }
        let c = app.create(body).await;
        if *name == "Nordvik Bygg AB" {
            nordvik = c;
        }
    }
    let id = nordvik["id"].as_str().expect("id").to_string();
    for (name, title, email) in [
        ("Karin Nordvik", "CEO", "karin@nordvikbygg.example"),
        (
            "Johan Ek",
            "Project manager",
            "johan.ek@nordvikbygg.example",
        ),
    ] {
        let r = app
            .post(
                &format!("/v1/clients/{id}/contact-persons"),
                json!({"name": name, "job_title": title, "email": email, "phone": "+46 31 555 01 02"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    for (name, city) in [("Head office", "Göteborg"), ("Yard Hisingen", "Göteborg")] {
        app.post(
            &format!("/v1/clients/{id}/locations"),
            json!({"name": name, "address": {"street": "Industrivägen 4", "city": city, "country": "SE"}}),
        )
        .await;
    }
    app.post(
        &format!("/v1/clients/{id}/accounts"),
        json!({"name": "Main account", "external_code": "ACC-7781"}),
    )
    .await;
    app.patch(
        &format!("/v1/clients/{id}"),
        json!({"notes": "Prefers invoices by e-mail. Framework agreement renewed in October.",
               "credit": {"limit": 275000}}),
    )
    .await;
    app.get(&format!("/v1/clients/{id}")).await.data().clone()
}

async fn rows(b: &Browser) -> Vec<String> {
    b.texts("#results tbody tr td:nth-child(2) a").await
}

async fn wait_rows(b: &Browser, what: &str, check: impl Fn(&[String]) -> bool) -> Vec<String> {
    let started = std::time::Instant::now();
    loop {
        let r = rows(b).await;
        if check(&r) {
            return r;
        }
        assert!(
            started.elapsed() < webdriver::WAIT,
            "timed out waiting for {what}; rows: {r:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_keeps_client_records_in_chromium() {
    let (chromium, driver) = match webdriver::locate() {
        Ok(found) => found,
        Err(why) => {
            clientele_store::testing::skip(&why);
            return;
        }
    };
    let app = spawn_app!();
    let nordvik = seed(&app).await;
    let nordvik_id = nordvik["id"].as_str().expect("id").to_string();
    let shots = screenshot_dir();
    let b = Browser::start(&chromium, &driver).await;
    let base = format!("http://{}", app.addr);

    // ---- sign in, by keyboard ---------------------------------------------------------------
    b.goto(&format!("{base}/console")).await;
    b.wait_for_title("Sign in · Clientele").await;
    let focused = b.active().await;
    assert_eq!(b.property(&focused, "id").await, "credential", "autofocus");
    b.screenshot(&shots.join("sign-in.png")).await;
    b.keys(&format!("ck_wrong{ENTER}")).await;
    b.wait_for_source("the sign-in error", |s| {
        s.contains("The API key is invalid or has been revoked")
    })
    .await;
    b.fill("#credential", &app.key).await;
    b.keys(ENTER).await;
    b.wait_for_title("Clients · Clientele").await;
    let cookies = b.cookies().await;
    let session = cookies
        .iter()
        .find(|c| c["name"] == "clientele_console")
        .expect("session cookie");
    assert_eq!(session["httpOnly"], true);
    assert_eq!(session["sameSite"], "Strict");
    assert_eq!(session["path"], "/console");
    assert_eq!(
        b.script("return document.cookie").await,
        "",
        "script-readable cookie"
    );
    // No page copies in web storage (htmx's history cache is off): at most htmx's note of the
    // current path.
    let local = b.script("return JSON.stringify(localStorage)").await;
    assert_eq!(local, "{}", "nothing in localStorage");
    let keys = b
        .script("return Object.keys(sessionStorage).join(',')")
        .await;
    assert!(
        keys == "" || keys == "htmx-current-path-for-history",
        "sessionStorage holds {keys}"
    );

    // ---- the list: 39 unarchived clients, newest first, 25 a page ----------------------------
    let first = wait_rows(&b, "the first page", |r| r.len() == 25).await;
    assert_eq!(first[0], "Vestergaard Landbrug ApS");
    b.screenshot(&shots.join("list.png")).await;
    b.click_on("#next-page").await;
    let second = wait_rows(&b, "the second page", |r| r.len() == 14).await;
    assert!(!second.iter().any(|n| first.contains(n)), "pages overlap");
    assert!(
        !second.contains(&"Tallbacka Trä AB".to_string()),
        "archived shown"
    );
    assert!(
        b.url().await.contains("cursor="),
        "keyset paging in the URL"
    );

    // ---- search as you type (no Enter): the table follows the typing -------------------------
    b.goto(&format!("{base}/console/clients")).await;
    b.wait_for_title("Clients · Clientele").await;
    let search = b.find("#search").await;
    b.click(&search).await;
    b.type_into(&search, "nordv").await;
    let found = wait_rows(&b, "search results", |r| r == ["Nordvik Bygg AB"]).await;
    assert_eq!(found, ["Nordvik Bygg AB"]);
    assert!(
        b.url().await.contains("search=nordv"),
        "the URL follows the search"
    );
    b.wait_for_source("the count", |s| s.contains("1 client matches"))
        .await;
    // Accents and case do not matter; a contact person's name finds the client too.
    b.fill("#search", "karin").await;
    wait_rows(&b, "a contact's name", |r| r == ["Nordvik Bygg AB"]).await;
    b.fill("#search", "ostra").await;
    wait_rows(&b, "an accent-free search", |r| {
        r == ["Östra Hamnen Restaurang AB"]
    })
    .await;

    // ---- filters and sorting -----------------------------------------------------------------
    b.fill("#search", "").await;
    wait_rows(&b, "the whole list again", |r| r.len() == 25).await;
    b.click_on("#filter-status option[value=inactive]").await;
    let inactive = wait_rows(&b, "inactive clients", |r| r.len() == 4).await;
    assert!(inactive.contains(&"Havsbris Fastigheter AB".to_string()));
    b.click_on("#filter-status option[value='']").await;
    b.click_on("#filter-archived option[value=true]").await;
    wait_rows(&b, "archived clients", |r| r == ["Tallbacka Trä AB"]).await;
    b.click_on("#filter-archived option[value='']").await;
    b.fill("#filter-country", "de").await;
    b.keys(TAB).await;
    let german = wait_rows(&b, "clients in Germany", |r| r.len() == 3).await;
    assert!(german.iter().all(|n| n.ends_with("GmbH")), "{german:?}");
    b.fill("#filter-country", "").await;
    b.keys(TAB).await;
    wait_rows(&b, "all countries", |r| r.len() == 25).await;
    b.click_on("th a[href*='sort=name']").await;
    let by_name = wait_rows(&b, "sorted by name", |r| {
        r.first().map(String::as_str) == Some("Anna Berg")
    })
    .await;
    let mut sorted = by_name.clone();
    sorted.sort();
    assert_eq!(by_name, sorted);
    assert!(b.url().await.contains("sort=name"));

    // ---- open a client: every field, sub-resources, history ----------------------------------
    b.goto(&format!("{base}/console/clients?search=nordvik"))
        .await;
    b.click_on("#results tbody a").await;
    b.wait_for_title("Nordvik Bygg AB · Clientele").await;
    let page = b.source().await;
    let email = nordvik["email"].as_str().expect("email");
    let org_number = nordvik["org_number"].as_str().expect("org number");
    for shown in [
        email,
        org_number,
        "Göteborg",
        "275000.00",
        "Karin Nordvik",
        "Yard Hisingen",
        "ACC-7781",
        "trade fair 2026",
        "Framework agreement renewed",
    ] {
        assert!(page.contains(shown), "{shown} not on the page");
    }
    let history = b.text_of("#history").await;
    assert!(history.contains("client updated"), "{history}");
    assert!(history.contains("contact person created"), "{history}");
    assert!(
        !history.contains("karin@nordvikbygg.example"),
        "unmasked e-mail in history"
    );
    b.full_screenshot(&shots.join("detail.png"), 1280, 2600)
        .await;
    b.resize(1280, 900).await;

    // ---- edit with a mistake: the API's message next to the field, then correctly ------------
    b.click_on("#edit").await;
    b.wait_for_title("Edit Nordvik Bygg AB · Clientele").await;
    b.fill("[name='email']", "accounts(at)nordvik").await;
    b.fill("[name='credit.fico']", "990").await;
    b.click_on("form.record button[type=submit]").await;
    b.wait_for_source("the validation errors", |s| {
        s.contains("fields need attention")
    })
    .await;
    assert_eq!(
        b.text_of("#e-email").await,
        "must be a valid e-mail address"
    );
    assert_eq!(
        b.text_of("[id='e-credit.fico']").await,
        "must be between 300 and 850"
    );
    let email = b.find("[name='email']").await;
    assert_eq!(b.property(&email, "value").await, "accounts(at)nordvik");
    b.full_screenshot(&shots.join("edit-error.png"), 1280, 1400)
        .await;
    b.resize(1280, 900).await;
    b.fill("[name='email']", "accounts@nordvikbygg.example")
        .await;
    b.fill("[name='credit.fico']", "720").await;
    b.click_on("form.record button[type=submit]").await;
    b.wait_for_source("the saved notice", |s| s.contains("Changes saved."))
        .await;
    let now = app.get(&format!("/v1/clients/{nordvik_id}")).await;
    assert_eq!(now.data()["email"], "accounts@nordvikbygg.example");
    assert_eq!(now.data()["credit"]["fico"], 720);
    assert_eq!(
        now.data()["metadata"],
        json!({}),
        "fields outside the form kept"
    );

    // ---- a conflicting edit: someone else saves first ----------------------------------------
    b.click_on("#edit").await;
    b.wait_for_title("Edit Nordvik Bygg AB · Clientele").await;
    b.fill("[name='notes']", "Call before delivery.").await;
    let theirs = app
        .patch(
            &format!("/v1/clients/{nordvik_id}"),
            json!({"notes": "Moved to quarterly invoicing."}),
        )
        .await;
    assert_eq!(theirs.status, StatusCode::OK);
    b.click_on("form.record button[type=submit]").await;
    b.wait_for_source("the conflict", |s| s.contains("id=\"conflict\""))
        .await;
    let conflict = b.text_of("#conflict").await;
    assert!(
        conflict.contains("Someone else changed this record"),
        "{conflict}"
    );
    assert!(conflict.contains("Nothing was saved"), "{conflict}");
    assert!(b.source().await.contains("Moved to quarterly invoicing."));
    let notes = b.find("[name='notes']").await;
    assert_eq!(b.property(&notes, "value").await, "Call before delivery.");
    b.full_screenshot(&shots.join("conflict.png"), 1280, 2600)
        .await;
    b.resize(1280, 900).await;
    let still = app.get(&format!("/v1/clients/{nordvik_id}")).await;
    assert_eq!(still.data()["notes"], "Moved to quarterly invoicing.");
    b.click_on("form.record button[type=submit]").await;
    b.wait_for_source("the saved notice", |s| s.contains("Changes saved."))
        .await;
    let after = app.get(&format!("/v1/clients/{nordvik_id}")).await;
    assert_eq!(after.data()["notes"], "Call before delivery.");

    // ---- create a client and a contact person, then archive ----------------------------------
    b.click_on("header nav a[href='/console/clients/new']")
        .await;
    b.wait_for_title("New client · Clientele").await;
    b.fill("[name='name']", "Fjordkraft Service AS").await;
    b.fill("[name='email']", "post@fjordkraft-service.example")
        .await;
    b.fill("[name='address.city']", "Trondheim").await;
    b.fill("[name='address.country']", "no").await;
    b.fill("[name='credit.limit']", "125000.50").await;
    b.fill("[name='credit.currency']", "nok").await;
    b.click_on("form.record button[type=submit]").await;
    b.wait_for_title("Fjordkraft Service AS · Clientele").await;
    assert!(b.source().await.contains("Client created."));
    let created = app.get("/v1/clients?search=fjordkraft").await;
    let created = created.data()[0].clone();
    assert_eq!(created["address"]["country"], "NO");
    assert_eq!(created["credit"]["limit"].to_string(), "125000.50");
    let created_id = created["id"].as_str().expect("id").to_string();
    b.click_on("a[href$='/contacts/new']").await;
    b.fill("[name='name']", "Ingrid Haugen").await;
    b.fill("[name='email']", "ingrid@fjordkraft-service.example")
        .await;
    b.click_on("form.record button[type=submit]").await;
    b.wait_for_source("the new contact", |s| s.contains("Contact person added."))
        .await;
    assert!(b.text_of("#contacts").await.contains("Ingrid Haugen"));
    b.click_on("form[action$='/archive'] button").await;
    b.wait_for_source("the archive notice", |s| s.contains("Client archived."))
        .await;
    let archived = app.get(&format!("/v1/clients/{created_id}")).await;
    assert_eq!(archived.data()["archived"], true);

    // ---- API keys: create one (shown once), revoke it ----------------------------------------
    b.click_on("header nav a[href='/console/keys']").await;
    b.wait_for_title("API keys · Clientele").await;
    b.fill("#key-name", "reporting").await;
    b.click_on("#perm-audit-read").await;
    b.click_on("form[action='/console/keys'] button[type=submit]")
        .await;
    b.wait_for_source("the new key", |s| s.contains("id=\"new-key\""))
        .await;
    let new_key = b.text_of("#new-key").await;
    assert!(
        new_key.starts_with("ck_") && new_key.len() > 40,
        "{new_key}"
    );
    let me = app
        .send(
            app.http
                .get(app.url("/v1/me"))
                .header("x-api-key", &new_key),
        )
        .await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(
        me.body["data"]["permissions"],
        json!(["clients:read", "audit:read"])
    );
    b.screenshot(&shots.join("keys.png")).await;
    b.goto(&format!("{base}/console/keys")).await;
    assert!(
        !b.source().await.contains(&new_key),
        "the key is shown only once"
    );
    let row = format!(
        "tr[data-key-id='{}']",
        me.body["data"]["credential"]["id"].as_str().unwrap_or("")
    );
    b.click_on(&format!("{row} summary")).await;
    b.click_on(&format!("{row} button.danger")).await;
    b.wait_for_source("the revoke notice", |s| s.contains("Key revoked"))
        .await;
    assert!(b.text_of(&row).await.contains("revoked"));
    let gone = app
        .send(
            app.http
                .get(app.url("/v1/me"))
                .header("x-api-key", &new_key),
        )
        .await;
    assert_eq!(gone.status, StatusCode::UNAUTHORIZED);

    // ---- phone width: readable, nothing wider than the screen --------------------------------
    b.resize(390, 844).await;
    b.goto(&format!("{base}/console/clients")).await;
    b.wait_for_title("Clients · Clientele").await;
    let overflow = b
        .script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
        )
        .await;
    assert!(
        overflow.as_i64().unwrap_or(1) <= 0,
        "page wider than a phone: {overflow}"
    );
    b.screenshot(&shots.join("list-phone.png")).await;
    b.goto(&format!("{base}/console/clients/{nordvik_id}"))
        .await;
    let overflow = b
        .script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
        )
        .await;
    let wide = b
        .script("return Array.from(document.querySelectorAll('body *')).filter(e => (!e.parentElement.closest('.table-wrap')) && e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).slice(0, 6).map(e => e.tagName + '.' + e.className + '#' + e.id + ':' + Math.round(e.getBoundingClientRect().width) + '/' + e.parentElement.tagName + '.' + e.parentElement.className).join(' ')")
        .await;
    assert!(
        overflow.as_i64().unwrap_or(1) <= 0,
        "detail wider than a phone by {overflow}: {wide}"
    );
    b.resize(1280, 900).await;

    // ---- nothing the page did broke its Content-Security-Policy ------------------------------
    // The log works: a message the page itself logs shows up in it.
    b.script("console.error('clientele-log-probe')").await;
    let log = b.console_log().await;
    assert!(
        log.iter().any(|m| m.contains("clientele-log-probe")),
        "{log:?}"
    );
    let violations: Vec<&String> = log
        .iter()
        .filter(|m| m.contains("Content Security Policy") || m.contains("Refused to"))
        .collect();
    assert!(violations.is_empty(), "CSP violations: {violations:?}");

    // ---- sign out ----------------------------------------------------------------------------
    b.goto(&format!("{base}/console/clients")).await;
    b.click_on("header form[action='/console/sign-out'] button")
        .await;
    b.wait_for_title("Sign in · Clientele").await;
    assert!(b.source().await.contains("You are signed out."));
    b.goto(&format!("{base}/console/clients")).await;
    b.wait_for_title("Sign in · Clientele").await;

    // A read-only person sees no edit controls.
    let reader = app.key_with(&[Permission::ClientsRead]).await;
    b.fill("#credential", &reader).await;
    b.keys(ENTER).await;
    b.wait_for_title("Clients · Clientele").await;
    b.goto(&format!("{base}/console/clients/{nordvik_id}"))
        .await;
    b.wait_for_title("Nordvik Bygg AB · Clientele").await;
    assert!(!b.exists("#edit").await);
    assert!(!b.exists("form[action$='/archive']").await);
    assert!(!b.exists("header nav a[href='/console/clients/new']").await);
}
