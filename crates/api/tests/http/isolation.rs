//! Tenant isolation, route by route: two tenants hold the same data; each route is checked in
//! both directions. Another tenant's ids are 404 for every verb, and lists, totals, search,
//! `external_id` uniqueness, number sequences and keys never cross tenants.
//!
//! Adding a `/v1` route means adding one line to [`ROUTES`]; a route missing there fails
//! `every_v1_route_has_an_isolation_check`.

use std::collections::BTreeSet;

use clientele_api::auth::PermissionTable;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::common::{Reply, TestApp};

/// How a route is checked across tenants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Check {
    /// Who am I: always the caller's own tenant.
    Caller,
    /// A list: only the caller's rows, and totals that count only them.
    List,
    /// The export: only the caller's clients, also when searching.
    Export,
    /// One resource by id: another tenant's id is 404 and changes nothing.
    ById,
    /// One client by external id: another tenant's external id is not found (GET) or makes the
    /// caller its own client (PUT upsert).
    ByExternalId,
    /// A sub-resource list: under another tenant's client it is 404; under one's own, only
    /// one's own items.
    SubList,
    /// A contact person by external id: another tenant's client is 404.
    SubByExternalId,
    /// A client's history: another tenant's client is 404.
    History,
    /// The change feed: only the caller's own records.
    Events,
    /// A sub-resource by id: another tenant's item is 404, under its client or one's own.
    SubById,
    /// A sub-resource create under another tenant's client: 404.
    SubCreate,
    /// A create: no collision with another tenant's keys, numbers from the caller's sequence.
    Create,
    /// A bulk import: the other tenant's external ids are free, the caller's own are taken.
    Import,
}

/// Every `/v1` route and how it is checked.
const ROUTES: &[(&str, &str, Check)] = &[
    ("GET", "/v1/clients/{id}/history", Check::History),
    ("GET", "/v1/events", Check::Events),
    ("GET", "/v1/clients/{id}/contact-persons", Check::SubList),
    ("POST", "/v1/clients/{id}/contact-persons", Check::SubCreate),
    (
        "GET",
        "/v1/clients/{id}/contact-persons/{item_id}",
        Check::SubById,
    ),
    (
        "PUT",
        "/v1/clients/{id}/contact-persons/{item_id}",
        Check::SubById,
    ),
    (
        "PATCH",
        "/v1/clients/{id}/contact-persons/{item_id}",
        Check::SubById,
    ),
    (
        "DELETE",
        "/v1/clients/{id}/contact-persons/{item_id}",
        Check::SubById,
    ),
    (
        "GET",
        "/v1/clients/{id}/contact-persons/external-id/{external_id}",
        Check::SubByExternalId,
    ),
    ("GET", "/v1/clients/{id}/locations", Check::SubList),
    ("POST", "/v1/clients/{id}/locations", Check::SubCreate),
    (
        "GET",
        "/v1/clients/{id}/locations/{item_id}",
        Check::SubById,
    ),
    (
        "PUT",
        "/v1/clients/{id}/locations/{item_id}",
        Check::SubById,
    ),
    (
        "PATCH",
        "/v1/clients/{id}/locations/{item_id}",
        Check::SubById,
    ),
    (
        "DELETE",
        "/v1/clients/{id}/locations/{item_id}",
        Check::SubById,
    ),
    ("GET", "/v1/clients/{id}/accounts", Check::SubList),
    ("POST", "/v1/clients/{id}/accounts", Check::SubCreate),
    ("GET", "/v1/clients/{id}/accounts/{item_id}", Check::SubById),
    ("PUT", "/v1/clients/{id}/accounts/{item_id}", Check::SubById),
    (
        "PATCH",
        "/v1/clients/{id}/accounts/{item_id}",
        Check::SubById,
    ),
    (
        "DELETE",
        "/v1/clients/{id}/accounts/{item_id}",
        Check::SubById,
    ),
    ("GET", "/v1/me", Check::Caller),
    ("GET", "/v1/clients", Check::List),
    ("GET", "/v1/clients/export", Check::Export),
    ("POST", "/v1/clients/import", Check::Import),
    ("POST", "/v1/clients", Check::Create),
    ("GET", "/v1/clients/{id}", Check::ById),
    ("PUT", "/v1/clients/{id}", Check::ById),
    ("PATCH", "/v1/clients/{id}", Check::ById),
    ("DELETE", "/v1/clients/{id}", Check::ById),
    (
        "GET",
        "/v1/clients/external-id/{external_id}",
        Check::ByExternalId,
    ),
    (
        "PUT",
        "/v1/clients/external-id/{external_id}",
        Check::ByExternalId,
    ),
    ("GET", "/v1/api-keys", Check::List),
    ("POST", "/v1/api-keys", Check::Create),
    ("DELETE", "/v1/api-keys/{id}", Check::ById),
];

#[test]
fn every_v1_route_has_an_isolation_check() {
    let table = PermissionTable::from_openapi(&clientele_api::openapi()).expect("table");
    let served: BTreeSet<String> = table
        .routes()
        .filter(|(_, p, _)| p.starts_with("/v1"))
        .map(|(m, p, _)| format!("{m} {p}"))
        .collect();
    let checked: BTreeSet<String> = ROUTES.iter().map(|(m, p, _)| format!("{m} {p}")).collect();
    assert_eq!(
        served, checked,
        "add the new route to ROUTES with its check"
    );
}

/// One tenant's data: two clients (one with an external id the other tenant also uses, one
/// with its own) and its admin key.
struct Side {
    name: &'static str,
    key: String,
    client_ids: Vec<String>,
    key_ids: Vec<String>,
    only_external_id: String,
    /// One item of each sub-resource kind under the first client, by path segment.
    sub_ids: std::collections::BTreeMap<&'static str, String>,
    /// Each client's version once the fixture is complete.
    client_versions: Vec<Value>,
}

impl Side {
    fn ids(&self, resource: &str) -> &[String] {
        match resource {
            "clients" => &self.client_ids,
            "api-keys" => &self.key_ids,
            other => panic!("no fixture for /v1/{other}: extend Side"),
        }
    }

    fn sub(&self, seg: &str) -> &str {
        self.sub_ids.get(seg).map(String::as_str).unwrap_or("")
    }
}

const SUB_SEGMENTS: [&str; 3] = ["contact-persons", "locations", "accounts"];

/// `/v1/clients/{id}/locations/{item_id}` → `locations`.
fn sub_segment(template: &str) -> &str {
    template.split('/').nth(4).unwrap_or("")
}

async fn call(app: &TestApp, side: &Side, method: &str, path: &str, body: Option<Value>) -> Reply {
    let m = Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = app
        .http
        .request(m, app.url(path))
        .header("x-api-key", &side.key);
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    app.send(req).await
}

async fn side(app: &TestApp, name: &'static str, key: String) -> Side {
    let mut s = Side {
        name,
        key,
        client_ids: Vec::new(),
        key_ids: Vec::new(),
        only_external_id: format!("only-{name}"),
        sub_ids: Default::default(),
        client_versions: Vec::new(),
    };
    for (n, (client, ext)) in [
        ("Shared Name", "shared"),
        ("Own Name", s.only_external_id.as_str()),
    ]
    .into_iter()
    .enumerate()
    {
        let r = call(
            app,
            &s,
            "POST",
            "/v1/clients",
            Some(json!({"name": client, "external_id": ext, "email": "same@example.com"})),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}: {}", name, r.body);
        // Numbers are a per-tenant sequence: both tenants start at 1.
        assert_eq!(r.data()["number"], n as i64 + 1, "{name}");
        s.client_ids
            .push(r.data()["id"].as_str().expect("id").to_string());
    }
    let keys = call(app, &s, "GET", "/v1/api-keys", None).await;
    s.key_ids = ids_of(&keys);
    for seg in SUB_SEGMENTS {
        let body = if seg == "contact-persons" {
            json!({"name": "Shared Person", "external_id": "shared-cp"})
        } else {
            json!({"name": "Shared Item"})
        };
        let path = format!("/v1/clients/{}/{seg}", s.client_ids[0]);
        let r = call(app, &s, "POST", &path, Some(body)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{name} {seg}: {}", r.body);
        let id = r.data()["id"].as_str().expect("id").to_string();
        s.sub_ids.insert(seg, id);
    }
    for id in s.client_ids.clone() {
        let r = call(app, &s, "GET", &format!("/v1/clients/{id}"), None).await;
        s.client_versions.push(r.data()["version"].clone());
    }
    s
}

fn ids_of(r: &Reply) -> Vec<String> {
    r.data()
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|v| v["id"].as_str().map(str::to_string))
        .collect()
}

/// `/v1/clients/{id}` → `clients`.
fn resource(template: &str) -> &str {
    template
        .trim_start_matches("/v1/")
        .split('/')
        .next()
        .unwrap_or("")
}

async fn check(app: &TestApp, me: &Side, other: &Side, method: &str, template: &str, kind: Check) {
    let what = format!("{method} {template} as {} against {}", me.name, other.name);
    match kind {
        Check::Caller => {
            let r = call(app, me, method, template, None).await;
            assert_eq!(r.data()["tenant"]["name"], me.name, "{what}");
        }
        Check::List => {
            let own = me.ids(resource(template));
            let query = if resource(template) == "clients" {
                "?archived=all"
            } else {
                ""
            };
            let r = call(app, me, method, &format!("{template}{query}"), None).await;
            let listed = ids_of(&r);
            assert!(
                listed.iter().all(|id| own.contains(id)),
                "{what}: {listed:?}"
            );
            assert_eq!(listed.len(), own.len(), "{what}");
            if let Some(total) = r.body["meta"]["total"].as_u64() {
                assert_eq!(total as usize, own.len(), "{what}: total");
            }
            // Search, where this server supports it, finds only the caller's rows.
            let r = call(app, me, method, &format!("{template}?search=Shared"), None).await;
            if r.status == StatusCode::OK {
                let found = ids_of(&r);
                assert!(
                    found.iter().all(|id| own.contains(id)),
                    "{what}: search {found:?}"
                );
            } else {
                r.error(400, "VALIDATION_ERROR");
            }
        }
        Check::Export => {
            for query in ["?archived=all", "?archived=all&search=Shared&format=csv"] {
                let r = app
                    .http
                    .get(app.url(&format!("{template}{query}")))
                    .header("x-api-key", &me.key)
                    .send()
                    .await
                    .expect("export");
                assert_eq!(r.status(), StatusCode::OK, "{what}");
                let text = r.text().await.expect("body");
                let listed: Vec<String> = if query.contains("csv") {
                    let rows = text.lines().skip(1);
                    rows.filter_map(|l| l.split(',').next().map(str::to_string))
                        .collect()
                } else {
                    let docs = text.lines().map(serde_json::from_str::<Value>);
                    docs.map(|d| d.expect("json")["id"].as_str().unwrap_or("").to_string())
                        .collect()
                };
                assert!(!listed.is_empty(), "{what}: {text}");
                assert!(
                    listed
                        .iter()
                        .all(|id| me.client_ids.iter().any(|c| c == id)),
                    "{what}: {listed:?}"
                );
            }
        }
        Check::Import => {
            let body = format!(
                "{}\n{}\n",
                json!({"name": "Copy", "external_id": other.only_external_id}),
                json!({"name": "Mine", "external_id": me.only_external_id})
            );
            let r = app
                .send(
                    app.http
                        .post(app.url(template))
                        .header("x-api-key", &me.key)
                        .header("content-type", "application/x-ndjson")
                        .body(body),
                )
                .await;
            let d = r.data();
            assert_eq!(
                (d["created"].clone(), d["failed"].clone()),
                (json!(1), json!(1)),
                "{what}: {}",
                r.body
            );
            assert_eq!(d["errors"][0]["field"], "external_id", "{what}");
        }
        Check::ById => {
            for id in other.ids(resource(template)) {
                let path = template.replace("{id}", id);
                let body =
                    (method != "GET" && method != "DELETE").then(|| json!({"name": "Hijacked"}));
                let r = call(app, me, method, &path, body).await;
                r.error(404, "NOT_FOUND");
            }
        }
        Check::ByExternalId => {
            let theirs = template.replace("{external_id}", &other.only_external_id);
            let shared = template.replace("{external_id}", "shared");
            if method == "GET" {
                call(app, me, method, &theirs, None)
                    .await
                    .error(404, "NOT_FOUND");
                let r = call(app, me, method, &shared, None).await;
                assert_eq!(r.data()["id"], me.client_ids[0].as_str(), "{what}: shared");
            } else {
                let r = call(app, me, method, &theirs, Some(json!({"name": "Mine now"}))).await;
                assert_eq!(r.status, StatusCode::CREATED, "{what}: {}", r.body);
                let id = r.data()["id"].as_str().unwrap_or("");
                assert!(!other.client_ids.iter().any(|o| o == id), "{what}");
                // Number 3 of the caller's own sequence.
                assert_eq!(r.data()["number"], 3, "{what}");
                let r = call(app, me, "DELETE", &format!("/v1/clients/{id}"), None).await;
                assert_eq!(r.status, StatusCode::NO_CONTENT, "{what}");
            }
        }
        Check::SubList => {
            let seg = sub_segment(template);
            let theirs = template.replace("{id}", &other.client_ids[0]);
            call(app, me, method, &theirs, None)
                .await
                .error(404, "NOT_FOUND");
            let mine = template.replace("{id}", &me.client_ids[0]);
            let r = call(app, me, method, &mine, None).await;
            assert_eq!(ids_of(&r), vec![me.sub(seg).to_string()], "{what}");
            assert_eq!(r.body["meta"]["total"], 1, "{what}: total");
        }
        Check::SubByExternalId => {
            let theirs = template
                .replace("{id}", &other.client_ids[0])
                .replace("{external_id}", "shared-cp");
            call(app, me, method, &theirs, None)
                .await
                .error(404, "NOT_FOUND");
            let mine = template
                .replace("{id}", &me.client_ids[0])
                .replace("{external_id}", "shared-cp");
            let r = call(app, me, method, &mine, None).await;
            assert_eq!(r.data()["id"], me.sub("contact-persons"), "{what}");
        }
        Check::History => {
            for id in &other.client_ids {
                let r = call(app, me, method, &template.replace("{id}", id), None).await;
                r.error(404, "NOT_FOUND");
            }
            let r = call(
                app,
                me,
                method,
                &template.replace("{id}", &me.client_ids[0]),
                None,
            )
            .await;
            for rec in r.data().as_array().expect("records") {
                assert_eq!(rec["client_id"], me.client_ids[0].as_str(), "{what}");
            }
        }
        Check::Events => {
            let r = call(app, me, method, &format!("{template}?limit=100"), None).await;
            let records = r.data().as_array().expect("records");
            assert!(!records.is_empty(), "{what}");
            let theirs: Vec<&str> = other
                .client_ids
                .iter()
                .map(String::as_str)
                .chain(other.sub_ids.values().map(String::as_str))
                .collect();
            for rec in records {
                for field in ["client_id", "entity_id"] {
                    let id = rec[field].as_str().unwrap_or("");
                    assert!(!theirs.contains(&id), "{what}: {rec}");
                }
            }
            let own_first = records
                .iter()
                .any(|r| r["entity_id"] == me.client_ids[0].as_str());
            assert!(own_first, "{what}: the caller's own records are listed");
        }
        Check::SubById => {
            let seg = sub_segment(template);
            let body = (method == "PUT" || method == "PATCH").then(|| json!({"name": "Hijacked"}));
            for client in [&other.client_ids[0], &me.client_ids[0]] {
                let path = template
                    .replace("{id}", client)
                    .replace("{item_id}", other.sub(seg));
                let r = call(app, me, method, &path, body.clone()).await;
                r.error(404, "NOT_FOUND");
            }
        }
        Check::SubCreate => {
            let path = template.replace("{id}", &other.client_ids[0]);
            let r = call(app, me, method, &path, Some(json!({"name": "Intruder"}))).await;
            r.error(404, "NOT_FOUND");
        }
        Check::Create => {
            if resource(template) == "clients" {
                // The other tenant's external id is free here.
                let body = json!({"name": "Copy", "external_id": other.only_external_id});
                let r = call(app, me, method, template, Some(body)).await;
                assert_eq!(r.status, StatusCode::CREATED, "{what}: {}", r.body);
                let id = r.data()["id"].as_str().unwrap_or("").to_string();
                let r = call(app, me, "DELETE", &format!("/v1/clients/{id}"), None).await;
                assert_eq!(r.status, StatusCode::NO_CONTENT, "{what}");
            } else {
                let body = json!({"permissions": ["admin"]});
                let r = call(app, me, method, template, Some(body)).await;
                let key = r.data()["key"].as_str().unwrap_or("").to_string();
                let id = r.data()["id"].as_str().unwrap_or("").to_string();
                let as_new = Side {
                    key,
                    ..side_ref(me)
                };
                let r = call(app, &as_new, "GET", "/v1/me", None).await;
                assert_eq!(r.data()["tenant"]["name"], me.name, "{what}");
                let r = call(app, me, "DELETE", &format!("/v1/api-keys/{id}"), None).await;
                assert_eq!(r.status, StatusCode::NO_CONTENT, "{what}");
            }
        }
    }
}

fn side_ref(s: &Side) -> Side {
    Side {
        name: s.name,
        key: s.key.clone(),
        client_ids: s.client_ids.clone(),
        key_ids: s.key_ids.clone(),
        only_external_id: s.only_external_id.clone(),
        sub_ids: s.sub_ids.clone(),
        client_versions: s.client_versions.clone(),
    }
}

/// The victim's data is exactly as it was: same clients, untouched, keys live.
async fn assert_untouched(app: &TestApp, victim: &Side) {
    for (id, version) in victim.client_ids.iter().zip(&victim.client_versions) {
        let r = call(app, victim, "GET", &format!("/v1/clients/{id}"), None).await;
        assert_eq!(
            &r.data()["version"],
            version,
            "{}: client {id} changed",
            victim.name
        );
        assert_ne!(r.data()["name"], "Hijacked");
    }
    for seg in SUB_SEGMENTS {
        let path = format!(
            "/v1/clients/{}/{seg}/{}",
            victim.client_ids[0],
            victim.sub(seg)
        );
        let r = call(app, victim, "GET", &path, None).await;
        assert_eq!(r.data()["version"], 1, "{}: {seg} changed", victim.name);
    }
    let r = call(app, victim, "GET", "/v1/api-keys", None).await;
    for k in r.data().as_array().expect("keys") {
        if victim.key_ids.iter().any(|id| k["id"] == id.as_str()) {
            assert_eq!(k["revoked_at"], Value::Null, "{}: key revoked", victim.name);
        }
    }
}

#[tokio::test]
async fn every_route_keeps_tenants_apart_in_both_directions() {
    for (me_name, other_name) in [("acme", "globex"), ("globex", "acme")] {
        let app = spawn_app!();
        let (_, globex_key) = app.other_tenant("globex").await;
        let acme = side(&app, "acme", app.key.clone()).await;
        let globex = side(&app, "globex", globex_key).await;
        let (me, other) = if me_name == "acme" {
            (&acme, &globex)
        } else {
            (&globex, &acme)
        };
        assert_eq!(other.name, other_name);
        let mut routes = ROUTES.to_vec();
        // Reads before writes, so each check sees the fixture as created.
        routes.sort_by_key(|(_, _, kind)| *kind);
        for (method, template, kind) in routes {
            check(&app, me, other, method, template, kind).await;
        }
        assert_untouched(&app, other).await;
    }
}
