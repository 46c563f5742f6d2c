//! The five dialects and `/v1` are views of one core (docs/dialects.md, "What every dialect
//! shares"): a client written through `/v1`, 002, 003 or 004 reads the same through every view
//! (000, 001, 002, 003, 004 and `/v1`), a change through each writer shows at once everywhere, a
//! delete through each dialect that deletes removes it everywhere, every writer takes the next
//! number of the tenant's one sequence, and every list counts the same clients.
//!
//! Each view reads one client and returns what it shows as a flat map named as `/v1` names it
//! (`credit.limit`, `address.country`, `contact_persons[<id>].name`), with the dialect's enum
//! spellings and units mapped back; two views must agree on every key both show.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::Method;
use serde_json::{json, Value};

use crate::bearer;
use crate::common::{Reply, TestApp};
use crate::{dialect_001, dialect_002, dialect_003, dialect_004};

/// What a view shows of a client: `/v1`'s dotted names → values (numbers as `f64`).
type View = BTreeMap<String, Value>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reader {
    V1,
    S000,
    S001,
    S002,
    S003,
    S004,
}

const READERS: [Reader; 6] = [
    Reader::V1,
    Reader::S000,
    Reader::S001,
    Reader::S002,
    Reader::S003,
    Reader::S004,
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Writer {
    V1,
    S002,
    S003,
    S004,
}

const WRITERS: [Writer; 4] = [Writer::V1, Writer::S002, Writer::S003, Writer::S004];

/// The dialects that delete clients (000 and 001 are read-only, 002 has no `DELETE`).
const DELETERS: [Writer; 3] = [Writer::V1, Writer::S003, Writer::S004];

/// A client as the dialects address it: its UUID and its per-tenant number (002's id).
#[derive(Clone, Debug)]
struct Client {
    id: String,
    number: i64,
}

/// The app with JWTs configured and an `admin` token of its tenant (003 takes nothing else).
struct Cross {
    app: TestApp,
    token: String,
}

macro_rules! spawn_cross {
    () => {
        match TestApp::spawn_with(bearer::config()).await {
            Some(app) => Cross {
                app,
                token: bearer::token("cross-1", "acme", &["admin"]),
            },
            None => return,
        }
    };
}

/// Numbers as `f64` (amounts keep their stored digits, `50000.00`, and coordinates travel as
/// strings in 001), everything else as it is.
fn norm(v: &Value) -> Value {
    match v {
        Value::Number(n) => json!(n.as_f64().expect("a number")),
        _ => v.clone(),
    }
}

/// Flattens `v` into `out` under `prefix`: objects by key, arrays of objects with an `id` by
/// that id (`contact_persons[<id>].name`) with their length (`contact_persons#len`).
fn flatten(prefix: &str, v: &Value, out: &mut View) {
    let join = |k: &str| {
        if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}.{k}")
        }
    };
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                flatten(&join(k), x, out);
            }
        }
        Value::Array(items) if items.iter().all(|i| i["id"].is_string()) => {
            out.insert(format!("{prefix}#len"), json!(items.len() as f64));
            for i in items {
                let id = i["id"].as_str().expect("id");
                flatten(&format!("{prefix}[{id}]"), i, out);
            }
        }
        _ => {
            out.insert(prefix.to_string(), norm(v));
        }
    }
}

/// The flat view of these `(native name, value)` pairs.
fn view_of(pairs: &[(&str, &Value)]) -> View {
    let mut out = View::new();
    for (k, v) in pairs {
        flatten(k, v, &mut out);
    }
    out
}

/// The flat view of the pairs whose value the dialect's document holds (a list item holds
/// fewer fields than the detail).
fn shown(pairs: &[(&str, Option<Value>)]) -> View {
    let mut out = View::new();
    for (k, v) in pairs {
        if let Some(v) = v {
            flatten(k, v, &mut out);
        }
    }
    out
}

/// 000's `contact_*`, from the client's contact persons and its own e-mail and phone: the main
/// contact person's name, e-mail and phone, or without one a null name and the client's own.
fn main_contact(contacts: &Value, email: &Value, phone: &Value) -> Value {
    let main = contacts
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["is_main"] == true));
    match main {
        Some(c) => json!({"name": c["name"], "email": c["email"], "phone": c["phone"]}),
        None => json!({"name": null, "email": email, "phone": phone}),
    }
}

/// 001's `A`/`I` as the native status.
fn status_of_letter(v: &Value) -> Value {
    match v.as_str() {
        Some("A") => json!("active"),
        Some("I") => json!("inactive"),
        _ => v.clone(),
    }
}

/// 001's coordinates are decimal strings.
fn coordinate(v: &Value) -> Value {
    match v.as_str() {
        Some(s) => json!(s.parse::<f64>().expect("a decimal coordinate")),
        None => v.clone(),
    }
}

/// The version an `ETag` names (`"4"`, or `"4-1c9e…"` where it covers sub-resources too).
fn version_of(r: &Reply) -> Value {
    let tag = r.header("etag").expect("ETag");
    let v = tag.trim_matches('"').split('-').next().expect("version");
    json!(v.parse::<f64>().expect("a numeric version"))
}

impl Cross {
    /// A request with the bearer token only (no API key).
    fn bearer(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.app
            .http
            .request(method, self.app.url(path))
            .bearer_auth(&self.token)
    }

    async fn bearer_send(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut r = self.bearer(method, path);
        if let Some(b) = body {
            r = r
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        self.app.send(r).await
    }

    /// One client through `reader`, named as `/v1` names it; `None` for a 404.
    async fn read(&self, reader: Reader, c: &Client) -> Option<View> {
        let (id, app) = (c.id.as_str(), &self.app);
        let r = match reader {
            Reader::V1 => {
                let path = format!("/v1/clients/{id}?expand=contact_persons,locations,accounts");
                app.get(&path).await
            }
            Reader::S000 => app.get(&format!("/api/1.0/clients/{id}")).await,
            Reader::S001 => dialect_001::get(app, &format!("/apidev/v1/clients/{id}")).await,
            Reader::S002 => app.get(&dialect_002::at(c.number)).await,
            Reader::S003 => {
                self.bearer_send(Method::GET, &format!("/clients/{id}"), None)
                    .await
            }
            Reader::S004 => {
                let c = dialect_004::read_as_native(app, id).await?;
                return Some(view_004(&c));
            }
        };
        if r.status.as_u16() == 404 {
            return None;
        }
        assert_eq!(r.status.as_u16(), 200, "{reader:?}: {}", r.body);
        Some(match reader {
            Reader::V1 => view_v1(&r),
            Reader::S000 => view_000(&r.body["data"]),
            Reader::S001 => view_001(&r.body["data"]),
            Reader::S002 => view_002(&r.body["client"], Some(version_of(&r))),
            Reader::S003 => view_003(&r.body, Some(version_of(&r))),
            Reader::S004 => unreachable!("read above"),
        })
    }

    /// Every view of one client, asserting that each shows it and that they agree.
    async fn read_everywhere(&self, c: &Client) -> Vec<(Reader, View)> {
        let mut views = Vec::new();
        for reader in READERS {
            let v = self
                .read(reader, c)
                .await
                .unwrap_or_else(|| panic!("{reader:?} does not show client {}", c.number));
            views.push((reader, v));
        }
        assert_agree(&views);
        views
    }

    /// Creates a client through `writer`, filling in what it can write (`n` makes its unique
    /// fields unique). Returns the client and what it wrote, named as `/v1` names it.
    async fn create(&self, writer: Writer, n: usize) -> (Client, View) {
        let app = &self.app;
        match writer {
            Writer::V1 => {
                let d = app.create(v1_body(n)).await;
                let id = d["id"].as_str().expect("id").to_string();
                let r = app
                    .post(
                        &format!("/v1/clients/{id}/contact-persons"),
                        json!({"name": "Ada Berg", "job_title": "CFO", "email": "ada@nordwind.example",
                               "phone": "+49 40 2000", "external_id": "cp-1"}),
                    )
                    .await;
                assert_eq!(r.status.as_u16(), 201, "{}", r.body);
                let r = app
                    .post(
                        &format!("/v1/clients/{id}/contact-persons"),
                        json!({"name": "Bo Lind", "email": "bo@nordwind.example",
                               "mobile": "+49 170 2001", "is_main": true}),
                    )
                    .await;
                assert_eq!(r.status.as_u16(), 201, "{}", r.body);
                let r = app
                    .post(
                        &format!("/v1/clients/{id}/locations"),
                        json!({"name": "Hafen", "is_primary": true,
                               "billing_email": "hafen@nordwind.example", "fax": "+49 40 2002",
                               "address": {"street": "Kaiserkai", "city": "Hamburg",
                                           "region": "HH", "postal_code": "20457", "country": "DE"}}),
                    )
                    .await;
                assert_eq!(r.status.as_u16(), 201, "{}", r.body);
                let r = app
                    .post(
                        &format!("/v1/clients/{id}/accounts"),
                        json!({"name": "Main account", "external_code": "ACC-1", "status": "inactive"}),
                    )
                    .await;
                assert_eq!(r.status.as_u16(), 201, "{}", r.body);
                let body = v1_body(n);
                let mut wrote = view_of(&[("", &body)]);
                for (k, v) in [
                    ("contact.name", json!("Bo Lind")),
                    ("contact.email", json!("bo@nordwind.example")),
                    ("contact_persons#len", json!(2.0)),
                    ("primary_location.name", json!("Hafen")),
                    ("primary_location.fax", json!("+49 40 2002")),
                    ("associated_accounts", json!(1.0)),
                ] {
                    wrote.insert(k.into(), v);
                }
                (self.client(&id).await, wrote)
            }
            Writer::S002 => {
                let mut body = dialect_002::example_create();
                body["client"]["account_code"] = json!(format!("crm-{n}"));
                body["client"]["email_invoice"] = json!("invoices@example.com");
                body["client"]["salesperson"] = json!(17);
                let c = dialect_002::create(app, body).await;
                let id = dialect_002::uuid_of(app, &c["id"]).await;
                let wrote = view_of(&[
                    ("name", &json!("ACME Client")),
                    ("account_code", &json!(format!("crm-{n}"))),
                    ("website", &json!("https://example.com")),
                    ("billing_email", &json!("invoices@example.com")),
                    ("notes", &json!("VIP client")),
                    ("invoice_reminders", &json!(true)),
                    ("show_location_on_invoice", &json!(true)),
                    ("salesperson_id", &json!("17")),
                    (
                        "address",
                        &json!({"street": "123 Main Street", "line2": "STE 123",
                                "city": "Denver", "region": "CO", "postal_code": "80202",
                                "country": "US"}),
                    ),
                    (
                        "primary_location",
                        &json!({"name": "Main Location", "billing_email": "billing@example.com",
                                "phone_primary": "555-555-5555", "fax": "555-555-5555",
                                "address": {"street": "123 Main Street", "postal_code": "80202",
                                            "region": "CO", "country": "US"}}),
                    ),
                ]);
                (self.client(&id).await, wrote)
            }
            Writer::S003 => {
                let mut body = dialect_003::sample();
                body["externalId"] = json!(format!("LOS-{n}"));
                body["email"] = json!(format!("jane.doe{n}@example.com"));
                let r = self.bearer_send(Method::POST, "/clients", Some(body)).await;
                assert_eq!(r.status.as_u16(), 200, "{}", r.body);
                let id = r.body["id"].as_str().expect("id").to_string();
                let wrote = view_of(&[
                    ("kind", &json!("person")),
                    ("name", &json!("Jane Doe")),
                    ("first_name", &json!("Jane")),
                    ("last_name", &json!("Doe")),
                    ("email", &json!(format!("jane.doe{n}@example.com"))),
                    ("external_id", &json!(format!("LOS-{n}"))),
                    ("source", &json!("website")),
                    ("owner_id", &json!("3fa85f64-5717-4562-b3fc-2c963f66afa6")),
                    ("home_phone", &json!("+1 555 0100")),
                    ("phone", &json!("+1 555 0101")),
                    ("mobile", &json!("+1 555 0102")),
                    ("fax", &json!("+1 555 0103")),
                    ("metadata.login_token", &json!("tok-abc")),
                    (
                        "credit",
                        &json!({"fico": 720, "total_income": 85000.5, "total_debt_payments": 1200,
                                "first_time_buyer": true, "currency": "EUR"}),
                    ),
                ]);
                (self.client(&id).await, wrote)
            }
            Writer::S004 => {
                let mut body = dialect_004::sample();
                body["externalId"] = json!(format!("ERP-{n}"));
                let c = dialect_004::create(app, body).await;
                let id = c["id"].as_str().expect("id").to_string();
                let wrote = view_of(&[
                    ("name", &json!("Baustoffe Müller GmbH")),
                    ("legal_name", &json!("Baustoffe Müller GmbH & Co. KG")),
                    ("external_id", &json!(format!("ERP-{n}"))),
                    ("notes", &json!("Deliveries before noon only")),
                    ("partner_type", &json!("construction")),
                    ("status", &json!("active")),
                    ("email", &json!("info@mueller-baustoffe.example")),
                    ("structure_id", &json!("region-north")),
                    (
                        "address",
                        &json!({"street": "Hauptstraße", "street_number": "5a", "city": "Berlin",
                                "postal_code": "10115", "country": "DE", "latitude": 52.52,
                                "longitude": 13.405}),
                    ),
                    (
                        "credit",
                        &json!({"limit": 50000, "used": 1250.5, "currency": "EUR",
                                "payment_terms_days": 30, "creditworthiness": "good",
                                "frame_contract": true, "self_insurance": false,
                                "pricing": "list", "custom_price_id": "PL-7"}),
                    ),
                    (
                        "contact",
                        &json!({"name": "Eva Schmidt",
                                "email": "eva.schmidt@mueller-baustoffe.example"}),
                    ),
                    ("contact_persons#len", &json!(2)),
                ]);
                (self.client(&id).await, wrote)
            }
        }
    }

    /// The client's audit records through `/v1`, newest first, as `"<entity> <action>"`.
    async fn history(&self, c: &Client) -> Vec<String> {
        let r = self.app.get(&format!("/v1/clients/{}/history", c.id)).await;
        let records = r.data().as_array().expect("records");
        assert!(records.len() < 25, "the history must fit one page");
        records
            .iter()
            .map(|e| {
                let (t, a) = (e["entity_type"].as_str(), e["action"].as_str());
                format!("{} {}", t.unwrap_or(""), a.unwrap_or(""))
            })
            .collect()
    }

    /// The client with this UUID, its number read through `/v1`.
    async fn client(&self, id: &str) -> Client {
        let r = self.app.get(&format!("/v1/clients/{id}")).await;
        let number = r.data()["number"].as_i64().expect("number");
        Client {
            id: id.to_string(),
            number,
        }
    }

    /// Changes the client through `writer` (fields every writer can reach, whoever created the
    /// client); returns what changed, named as `/v1` names it.
    async fn change(&self, writer: Writer, c: &Client, n: usize) -> View {
        let app = &self.app;
        let id = c.id.as_str();
        let (r, changed) = match writer {
            Writer::V1 => {
                let body = json!({"name": format!("Renamed {n}"), "email": format!("v1-{n}@new.example"),
                                  "status": "inactive", "phone": "+46 8 555 0100",
                                  "credit": {"limit": 999.5, "currency": "EUR", "rating": "BB"},
                                  "address": {"country": "SE", "city": "Lund", "region": "M"}});
                let r = app.patch(&format!("/v1/clients/{id}"), body.clone()).await;
                (r, view_of(&[("", &body)]))
            }
            Writer::S002 => {
                let r = app
                    .put(
                        &dialect_002::at(c.number),
                        json!({"client": {"name": format!("CRM {n}"), "notes": "crm notes",
                                          "website": "https://crm.example", "account_code": "crm-upd",
                                          "email_invoice": "ap-new@crm.example",
                                          "has_invoice_reminders": true, "salesperson": 42}}),
                    )
                    .await;
                let changed = view_of(&[
                    ("name", &json!(format!("CRM {n}"))),
                    ("notes", &json!("crm notes")),
                    ("website", &json!("https://crm.example")),
                    ("account_code", &json!("crm-upd")),
                    ("billing_email", &json!("ap-new@crm.example")),
                    ("invoice_reminders", &json!(true)),
                    ("salesperson_id", &json!("42")),
                ]);
                (r, changed)
            }
            Writer::S003 => {
                let r = self
                    .bearer_send(
                        Method::PATCH,
                        &format!("/clients/{id}"),
                        Some(json!({"email": format!("odata-{n}@new.example"),
                                    "workPhone": "+1 555 0199", "mobilePhone": "+1 555 0198",
                                    "externalId": format!("patched-{n}"), "fico": 650,
                                    "isSilenced": true, "loginToken": "tok-new"})),
                    )
                    .await;
                let changed = view_of(&[
                    ("email", &json!(format!("odata-{n}@new.example"))),
                    ("phone", &json!("+1 555 0199")),
                    ("mobile", &json!("+1 555 0198")),
                    ("external_id", &json!(format!("patched-{n}"))),
                    ("credit.fico", &json!(650)),
                    ("silenced", &json!(true)),
                    ("metadata.login_token", &json!("tok-new")),
                ]);
                (r, changed)
            }
            Writer::S004 => {
                let r = app
                    .patch(
                        &dialect_004::at(id),
                        json!({"name": format!("Master {n}"), "longName": "Master Long",
                               "status": "INACTIVE", "creditLimit": 1234.5, "country": "AT",
                               "city": "Wien", "email": format!("md-{n}@new.example"),
                               "phone": "+43 1 555 0100", "partnerType": "PRIVATE",
                               "creditworthiness": "BAD"}),
                    )
                    .await;
                let changed = view_of(&[
                    ("name", &json!(format!("Master {n}"))),
                    ("legal_name", &json!("Master Long")),
                    ("status", &json!("inactive")),
                    ("credit.limit", &json!(1234.5)),
                    ("address.country", &json!("AT")),
                    ("address.city", &json!("Wien")),
                    ("email", &json!(format!("md-{n}@new.example"))),
                    ("phone", &json!("+43 1 555 0100")),
                    ("partner_type", &json!("private")),
                    ("credit.creditworthiness", &json!("bad")),
                ]);
                (r, changed)
            }
        };
        assert_eq!(r.status.as_u16(), 200, "{writer:?}: {}", r.body);
        changed
    }

    /// Deletes the client through `writer` (one of [`DELETERS`]).
    async fn delete(&self, writer: Writer, c: &Client) {
        let r = match writer {
            Writer::V1 => self.app.delete(&format!("/v1/clients/{}", c.id)).await,
            Writer::S003 => {
                self.bearer_send(Method::DELETE, &format!("/clients/{}", c.id), None)
                    .await
            }
            Writer::S004 => self.app.delete(&dialect_004::at(&c.id)).await,
            Writer::S002 => panic!("002 does not delete clients"),
        };
        assert_eq!(r.status.as_u16(), 204, "{writer:?}: {}", r.body);
    }

    /// What `reader`'s list shows of the tenant: its clients by key (UUIDs, 002's numbers), each
    /// as the view of its list item, and its total (003's list has none: the array's length).
    async fn list(&self, reader: Reader) -> (BTreeMap<String, View>, i64) {
        let app = &self.app;
        let (r, items, total) = match reader {
            Reader::V1 => {
                let r = app.get("/v1/clients?limit=100").await;
                (r, "data", "/meta/total")
            }
            Reader::S000 => {
                let r = app.get("/api/1.0/clients?limit=100").await;
                (r, "data", "/pagination/total")
            }
            Reader::S001 => {
                let r = dialect_001::get(app, "/apidev/v1/clients?limit=100").await;
                (r, "data", "/meta/total")
            }
            Reader::S002 => (app.get(dialect_002::BASE).await, "clients", "/meta/total"),
            Reader::S003 => {
                let r = self
                    .bearer_send(Method::GET, "/clients?$top=1000", None)
                    .await;
                (r, "", "")
            }
            Reader::S004 => {
                let r = app.get(&format!("{}?limit=100", dialect_004::BASE)).await;
                (r, "data", "/meta/total")
            }
        };
        assert_eq!(r.status.as_u16(), 200, "{reader:?}: {}", r.body);
        let items = if items.is_empty() {
            &r.body
        } else {
            &r.body[items]
        };
        let items = items.as_array().expect("a list");
        let keys: BTreeMap<String, View> = items
            .iter()
            .map(|c| {
                let key = match &c["id"] {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let view = match reader {
                    Reader::V1 => view_of(&[("", c)]),
                    Reader::S000 => view_000(c),
                    Reader::S001 => view_001(c),
                    Reader::S002 => view_002(c, None),
                    Reader::S003 => view_003(c, None),
                    Reader::S004 => view_004(&dialect_004::as_native(c)),
                };
                (key, view)
            })
            .collect();
        assert_eq!(keys.len(), items.len(), "{reader:?} lists a client twice");
        let total = if total.is_empty() {
            items.len() as i64
        } else {
            r.body
                .pointer(total)
                .and_then(Value::as_i64)
                .expect("total")
        };
        assert!(total < 100, "the list must fit one page");
        (keys, total)
    }
}

/// The key a list of `reader` shows a client by.
fn key(reader: Reader, c: &Client) -> String {
    match reader {
        Reader::S002 => c.number.to_string(),
        _ => c.id.clone(),
    }
}

/// The keys both views show, and where they disagree (named `a` and `b` in the messages).
fn compare(a: &View, b: &View, names: (&str, &str), problems: &mut Vec<String>) -> usize {
    let mut shared = 0;
    for (k, va) in a {
        if let Some(vb) = b.get(k) {
            shared += 1;
            if va != vb {
                problems.push(format!(
                    "{k}: {} shows {va}, {} shows {vb}",
                    names.0, names.1
                ));
            }
        }
    }
    shared
}

/// Every key two views both show agrees between them.
fn assert_agree(views: &[(Reader, View)]) {
    let mut problems = Vec::new();
    for (i, (ra, a)) in views.iter().enumerate() {
        for (rb, b) in &views[i + 1..] {
            let names = (format!("{ra:?}"), format!("{rb:?}"));
            let shared = compare(a, b, (&names.0, &names.1), &mut problems);
            if *ra == Reader::V1 {
                assert!(shared >= 6, "{rb:?} shares only {shared} fields with /v1");
            }
        }
    }
    assert!(
        problems.is_empty(),
        "views disagree:\n{}",
        problems.join("\n")
    );
}

/// Asserts that `/v1` shows every value of `wrote`.
fn assert_shows(views: &[(Reader, View)], wrote: &View, what: &str) {
    let v1 = &views.iter().find(|(r, _)| *r == Reader::V1).expect("v1").1;
    for (k, want) in wrote {
        assert_eq!(v1.get(k), Some(want), "{what}: /v1 {k}");
    }
}

/// A `/v1` client with every field the dialects show filled in.
fn v1_body(n: usize) -> Value {
    json!({
        "name": "Nordwind Handel GmbH", "legal_name": "Nordwind Handel GmbH & Co. KG",
        "org_number": format!("HRB-{n}"), "tax_id": format!("DE-{n}"),
        "external_id": format!("v1-{n}"), "account_code": format!("AC-{n}"),
        "status": "active", "partner_type": "industry", "email": "info@nordwind.example",
        "billing_email": "ap@nordwind.example", "phone": "+49 40 1000", "mobile": "+49 170 1000",
        "home_phone": "+49 40 1001", "fax": "+49 40 1002", "website": "https://nordwind.example",
        "image_url": "https://cdn.nordwind.example/logo.png", "notes": "Key account",
        "owner_id": "0b9e2c1a-4d5f-4a6b-8c7d-9e0f1a2b3c4d", "salesperson_id": "12",
        "case_manager_id": "7", "source": "fair", "structure_id": "north",
        "invoice_reminders": true, "show_location_on_invoice": true,
        "metadata": {"login_token": format!("tok-{n}")},
        "address": {"street": "Speicherstadt", "street_number": "5", "apartment": "3",
                    "corner": "Am Sandtorkai", "city": "Hamburg", "region": "HH",
                    "postal_code": "20457", "country": "DE", "latitude": 53.5436,
                    "longitude": 9.9937},
        "credit": {"limit": 250000.50, "used": 1200, "currency": "EUR",
                   "payment_terms_days": 30, "rating": "AA", "creditworthiness": "good",
                   "fico": 720, "total_income": 1000, "total_debt_payments": 10,
                   "first_time_buyer": false, "frame_contract": true, "self_insurance": false,
                   "pricing": "list", "custom_price_id": "PL-1"}
    })
}

const ADDRESS: [&str; 12] = [
    "street",
    "street_number",
    "apartment",
    "corner",
    "line2",
    "line3",
    "city",
    "region",
    "postal_code",
    "country",
    "latitude",
    "longitude",
];

/// `/v1`'s detail with its contact persons, locations and accounts: everything, plus 000's
/// `contact.*` and 002's `primary_location` derived from them.
fn view_v1(r: &Reply) -> View {
    let d = r.data();
    let mut out = View::new();
    flatten("", d, &mut out);
    // A client without an address shows every address field null, as the dialects do.
    if d["address"].is_null() {
        out.remove("address");
        for k in ADDRESS {
            out.insert(format!("address.{k}"), Value::Null);
        }
    }
    if !out.contains_key("metadata.login_token") {
        out.insert("metadata.login_token".into(), Value::Null);
    }
    let contact = main_contact(&d["contact_persons"], &d["email"], &d["phone"]);
    flatten("contact", &contact, &mut out);
    let primary = d["locations"]
        .as_array()
        .expect("locations")
        .iter()
        .find(|l| l["is_primary"] == true);
    out.insert("primary_location#present".into(), json!(primary.is_some()));
    if let Some(l) = primary {
        flatten("primary_location", l, &mut out);
    }
    out
}

/// 000's FULL profile (the detail) or ESSENTIAL fields (a list item).
fn view_000(d: &Value) -> View {
    let f = |p: &str| d.get(p).cloned();
    shown(&[
        ("id", f("id")),
        ("name", f("company_name")),
        ("org_number", f("org_number")),
        ("address.country", f("country")),
        ("credit.limit", f("credit_limit")),
        ("credit.currency", f("currency")),
        ("credit.rating", f("rating")),
        ("credit.used", f("credit_used")),
        ("credit.creditworthiness", f("creditworthiness")),
        ("contact.name", f("contact_name")),
        ("contact.email", f("contact_email")),
        ("contact.phone", f("contact_phone")),
        ("created_at", f("created_at")),
        ("updated_at", f("updated_at")),
    ])
}

/// 001's DETAIL or list ITEM.
fn view_001(d: &Value) -> View {
    let f = |p: &str| d.pointer(p).cloned();
    let accounts = d.get("accounts").map(|list| {
        let items = list.as_array().expect("accounts").iter().map(|x| {
            json!({"id": x["id"], "name": x["name"], "external_code": x["external_code"],
                   "status": status_of_letter(&x["status"])})
        });
        Value::Array(items.collect())
    });
    shown(&[
        ("id", f("/id")),
        ("name", f("/name")),
        ("legal_name", f("/business_name")),
        ("email", f("/email")),
        ("phone", f("/phone")),
        ("mobile", f("/mobile")),
        ("image_url", f("/image_url")),
        ("notes", f("/notes")),
        ("status", f("/status").map(|v| status_of_letter(&v))),
        ("org_number", f("/document")),
        ("tax_id", f("/tax_id")),
        ("external_id", f("/external_code")),
        ("associated_accounts", f("/associated_accounts")),
        ("address.street", f("/address/street")),
        ("address.street_number", f("/address/door_number")),
        ("address.apartment", f("/address/apartment")),
        ("address.corner", f("/address/corner")),
        ("address.postal_code", f("/address/zip_code")),
        (
            "address.latitude",
            f("/address/latitude").map(|v| coordinate(&v)),
        ),
        (
            "address.longitude",
            f("/address/longitude").map(|v| coordinate(&v)),
        ),
        ("address.country", f("/country_id")),
        ("address.region", f("/department_id")),
        ("accounts", accounts),
    ])
}

/// 002's CLIENT, by number, with the version its `ETag` names (none in a list);
/// `salesperson`/`case_manager` only when an integer (null also stands for an id that is not
/// one, docs/dialects.md).
fn view_002(c: &Value, version: Option<Value>) -> View {
    let mut out = view_of(&[
        ("number", &c["id"]),
        ("name", &c["name"]),
        ("account_code", &c["account_code"]),
        ("website", &c["website"]),
        ("billing_email", &c["email_invoice"]),
        ("notes", &c["notes"]),
        ("invoice_reminders", &c["has_invoice_reminders"]),
        ("show_location_on_invoice", &c["show_location_on_invoice"]),
        ("created_at", &c["created_at"]),
        ("updated_at", &c["updated_at"]),
        (
            "primary_location#present",
            &json!(!c["primary_location"].is_null()),
        ),
    ]);
    if let Some(v) = version {
        out.insert("version".into(), v);
    }
    for (field, native) in [
        ("salesperson", "salesperson_id"),
        ("case_manager", "case_manager_id"),
    ] {
        if let Some(n) = c[field].as_i64() {
            out.insert(native.into(), json!(n.to_string()));
        }
    }
    let l = &c["primary_location"];
    if !l.is_null() {
        out.extend(view_of(&[
            ("primary_location.id", &l["id"]),
            ("primary_location.name", &l["name"]),
            ("primary_location.billing_email", &l["email_invoice"]),
            ("primary_location.address.street", &l["address_1"]),
            ("primary_location.address.line2", &l["address_2"]),
            ("primary_location.address.line3", &l["address_3"]),
            ("primary_location.address.city", &l["city"]),
            ("primary_location.address.region", &l["state"]),
            ("primary_location.address.postal_code", &l["zip"]),
            ("primary_location.address.country", &l["country"]),
            ("primary_location.phone_primary", &l["phone_primary"]),
            ("primary_location.phone_secondary", &l["phone_secondary"]),
            ("primary_location.fax", &l["phone_fax"]),
            ("primary_location.notes", &l["notes"]),
        ]));
    }
    out
}

/// 003's CLIENT, with the version its `ETag` names (none in a list); `firstName`/`lastName`
/// only when set (a client that is not a person reads with both null, docs/dialects.md).
fn view_003(c: &Value, version: Option<Value>) -> View {
    let mut out = view_of(&[
        ("id", &c["id"]),
        ("external_id", &c["externalId"]),
        ("source", &c["source"]),
        ("owner_id", &c["ownerId"]),
        ("referred_by_id", &c["referredById"]),
        ("email", &c["email"]),
        ("home_phone", &c["homePhone"]),
        ("phone", &c["workPhone"]),
        ("mobile", &c["mobilePhone"]),
        ("fax", &c["fax"]),
        ("silenced", &c["isSilenced"]),
        ("archived", &c["isArchived"]),
        ("credit.fico", &c["fico"]),
        ("credit.total_income", &c["totalIncome"]),
        ("credit.total_debt_payments", &c["totalDebtPayments"]),
        ("credit.first_time_buyer", &c["firstTimeBuyer"]),
        ("metadata.login_token", &c["loginToken"]),
        ("created_at", &c["createdOn"]),
        ("updated_at", &c["updatedOn"]),
    ]);
    if let Some(v) = version {
        out.insert("version".into(), v);
    }
    for (field, native) in [("firstName", "first_name"), ("lastName", "last_name")] {
        if !c[field].is_null() {
            out.insert(native.into(), c[field].clone());
        }
    }
    out
}

/// 004's model, as [`dialect_004::read_as_native`] names it, with 000's `contact.*` derived
/// from its contact persons.
fn view_004(native: &Value) -> View {
    let mut out = View::new();
    flatten("", native, &mut out);
    let contact = main_contact(
        &native["contact_persons"],
        &native["email"],
        &native["phone"],
    );
    flatten("contact", &contact, &mut out);
    out
}

#[tokio::test]
async fn a_client_written_through_any_writer_reads_the_same_through_every_view_and_list() {
    let s = spawn_cross!();
    let mut written = Vec::new();
    for (n, writer) in WRITERS.into_iter().enumerate() {
        let (c, wrote) = s.create(writer, n).await;
        let views = s.read_everywhere(&c).await;
        assert_shows(&views, &wrote, &format!("written through {writer:?}"));
        written.push((c, views));
    }
    // Every list item agrees with every view of the detail.
    for reader in READERS {
        let (listed, _) = s.list(reader).await;
        for (c, views) in &written {
            let item = &listed[&key(reader, c)];
            let mut problems = Vec::new();
            for (r, detail) in views {
                let names = (format!("{reader:?} list"), format!("{r:?}"));
                let shared = compare(item, detail, (&names.0, &names.1), &mut problems);
                if *r == reader {
                    assert!(
                        shared >= 5,
                        "{reader:?}: only {shared} fields in its list item"
                    );
                }
            }
            assert!(problems.is_empty(), "{}", problems.join("\n"));
        }
    }
}

/// Creates a client through every writer, changes each through `writer`, and checks that every
/// view shows the change at once, as one new version and one audit record.
async fn a_change_shows_at_once_everywhere(writer: Writer) {
    let s = spawn_cross!();
    for (n, creator) in WRITERS.into_iter().enumerate() {
        let (c, _) = s.create(creator, n).await;
        let before = s.read_everywhere(&c).await;
        let history_before = s.history(&c).await;
        let changed = s.change(writer, &c, n).await;
        let after = s.read_everywhere(&c).await;
        let what = format!("created through {creator:?}, changed through {writer:?}");
        assert_shows(&after, &changed, &what);
        for ((reader, old), (_, new)) in before.iter().zip(&after) {
            if let Some(t) = old.get("updated_at") {
                assert_ne!(new.get("updated_at"), Some(t), "{what}: {reader:?}");
            }
            for (k, want) in &changed {
                if let Some(v) = new.get(k) {
                    assert_eq!(v, want, "{what}: {reader:?} {k}");
                }
            }
        }
        let v1 = &after[0].1;
        assert_eq!(
            v1["version"].as_f64(),
            before[0].1["version"].as_f64().map(|v| v + 1.0),
            "{what}: one change is one version"
        );
        let history = s.history(&c).await;
        assert_eq!(history[1..], history_before[..], "{what}");
        assert_eq!(history[0], "client updated", "{what}");
    }
}

#[tokio::test]
async fn a_change_through_v1_shows_at_once_everywhere() {
    a_change_shows_at_once_everywhere(Writer::V1).await;
}

#[tokio::test]
async fn a_change_through_002_shows_at_once_everywhere() {
    a_change_shows_at_once_everywhere(Writer::S002).await;
}

#[tokio::test]
async fn a_change_through_003_shows_at_once_everywhere() {
    a_change_shows_at_once_everywhere(Writer::S003).await;
}

#[tokio::test]
async fn a_change_through_004_shows_at_once_everywhere() {
    a_change_shows_at_once_everywhere(Writer::S004).await;
}

#[tokio::test]
async fn a_delete_through_any_dialect_removes_the_client_everywhere() {
    let s = spawn_cross!();
    let (kept, _) = s.create(Writer::S002, 99).await;
    let mut n = 0;
    for deleter in DELETERS {
        for creator in WRITERS {
            let (c, _) = s.create(creator, n).await;
            n += 1;
            s.read_everywhere(&c).await;
            s.delete(deleter, &c).await;
            let what = format!("created through {creator:?}, deleted through {deleter:?}");
            for reader in READERS {
                assert_eq!(s.read(reader, &c).await, None, "{what}: {reader:?}");
                let (listed, total) = s.list(reader).await;
                assert!(!listed.contains_key(&key(reader, &c)), "{what}: {reader:?}");
                assert!(listed.contains_key(&key(reader, &kept)), "{reader:?}");
                assert_eq!(total, 1, "{what}: {reader:?}");
            }
        }
    }
    s.read_everywhere(&kept).await;
}

#[tokio::test]
async fn every_writer_takes_the_next_number_of_one_sequence() {
    let s = spawn_cross!();
    let mut n = 0;
    for _round in 0..2 {
        for writer in WRITERS {
            let (c, _) = s.create(writer, n).await;
            n += 1;
            assert_eq!(c.number, n as i64, "the {n}th client, through {writer:?}");
            // 002's id, 004's number and /v1's number are this one (views agree).
            let views = s.read_everywhere(&c).await;
            let shown: Vec<Reader> = views
                .iter()
                .filter(|(_, v)| v.get("number") == Some(&json!(n as f64)))
                .map(|(r, _)| *r)
                .collect();
            assert_eq!(shown, [Reader::V1, Reader::S002, Reader::S004]);
        }
    }
}

/// Every list shows the same clients of the tenant and the same total: those of `/v1`'s default
/// list (archived left out), and 003's all of them (archived included).
async fn assert_lists_agree(s: &Cross, live: &[&Client], archived: &[&Client]) {
    let key_set = |reader: Reader, cs: &[&Client]| -> BTreeSet<String> {
        cs.iter().map(|c| key(reader, c)).collect()
    };
    for reader in READERS {
        let (listed, total) = s.list(reader).await;
        let mut want = key_set(reader, live);
        if reader == Reader::S003 {
            want.extend(key_set(reader, archived));
        }
        let listed: BTreeSet<String> = listed.into_keys().collect();
        assert_eq!(listed, want, "{reader:?}");
        assert_eq!(total, want.len() as i64, "{reader:?}");
    }
    let r = s.app.get("/v1/clients?archived=all&limit=100").await;
    assert_eq!(r.body["meta"]["total"], live.len() + archived.len());
    let r = s
        .bearer_send(
            Method::GET,
            "/clients?$top=1000&$filter=isArchived%20eq%20false",
            None,
        )
        .await;
    assert_eq!(r.body.as_array().expect("list").len(), live.len());
}

#[tokio::test]
async fn every_list_counts_the_same_clients_of_the_tenant() {
    let s = spawn_cross!();
    // Another tenant's client counts nowhere here.
    let (_, other_key) = s.app.other_tenant("globex").await;
    let r = s
        .app
        .send(
            s.app
                .http
                .post(s.app.url("/v1/clients"))
                .header("x-api-key", other_key)
                .json(&json!({"name": "Globex"})),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    let mut clients = Vec::new();
    for (n, writer) in WRITERS.into_iter().chain(WRITERS).enumerate() {
        clients.push(s.create(writer, n).await.0);
    }
    assert_lists_agree(&s, &clients.iter().collect::<Vec<_>>(), &[]).await;
    // Archived through /v1 and through 003, inactive through 004: archived clients leave every
    // list but 003's, inactive ones stay.
    let r = s
        .app
        .patch(
            &format!("/v1/clients/{}", clients[0].id),
            json!({"archived": true}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let r = s
        .bearer_send(
            Method::PATCH,
            &format!("/clients/{}", clients[5].id),
            Some(json!({"isArchived": true})),
        )
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let r = s
        .app
        .patch(
            &dialect_004::at(&clients[2].id),
            json!({"status": "INACTIVE"}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let live: Vec<&Client> = [1, 2, 3, 4, 6, 7].iter().map(|&i| &clients[i]).collect();
    let archived = [&clients[0], &clients[5]];
    assert_lists_agree(&s, &live, &archived).await;
    // An archived client still answers on every detail route.
    s.read_everywhere(&clients[5]).await;
    // A delete leaves every total one lower.
    s.delete(Writer::S004, &clients[3]).await;
    let live: Vec<&Client> = [1, 2, 4, 6, 7].iter().map(|&i| &clients[i]).collect();
    assert_lists_agree(&s, &live, &archived).await;
}
