//! Seed 001 at `/apidev/v1/clients`: the three headers, both credentials of the `tenant`
//! header's tenant with the permission in both, the seed's own budget of 10 requests a minute
//! per API key, its caching, the `A`/`I` status, the list and detail shapes of its examples,
//! and its status codes.

use std::sync::Arc;

use clientele_api::config::Config;
use clientele_core::enums::Permission;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::bearer::{config, now};
use crate::common::{Reply, TestApp};

const LIST_CACHE: &str = "private, max-age=60";
const DETAIL_CACHE: &str = "private, max-age=30";

/// A JWT of `tenant` granting `permissions`, valid for ten minutes.
fn token(tenant: &str, permissions: &[&str]) -> String {
    token_until(tenant, permissions, now() + 600)
}

fn token_until(tenant: &str, permissions: &[&str], exp: i64) -> String {
    crate::bearer::token_until("integrator-7", tenant, permissions, exp)
}

/// The three headers of a call.
pub struct Headers {
    token: String,
    key: String,
    tenant: String,
}

impl Headers {
    pub fn on(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        req.bearer_auth(&self.token)
            .header("x-api-key", &self.key)
            .header("tenant", &self.tenant)
    }
}

/// A fresh `clients:read` key of the app's tenant (each has its own budget of 10 a minute), a
/// JWT granting `clients:read`, and the tenant's name.
pub async fn reader(app: &TestApp) -> Headers {
    Headers {
        token: token("acme", &["clients:read"]),
        key: app.key_with(&[Permission::ClientsRead]).await,
        tenant: "acme".into(),
    }
}

/// GET `path` with the three headers of a fresh reader.
pub async fn get(app: &TestApp, path: &str) -> Reply {
    let h = reader(app).await;
    app.send(h.on(app.http.get(app.url(path)))).await
}

async fn get_with(app: &TestApp, h: &Headers, path: &str) -> Reply {
    app.send(h.on(app.http.get(app.url(path)))).await
}

fn id_of(c: &Value) -> String {
    c["id"].as_str().expect("id").to_string()
}

/// The seed's example client, written through `/v1`.
fn regional() -> Value {
    json!({
        "name": "Regional Distributors",
        "legal_name": "Regional Distributors S.A.",
        "email": "info@regionaldist.com",
        "phone": "+59821009876",
        "mobile": "+59899876543",
        "tax_id": "219900005018",
        "address": {"street": "Bvar. Artigas", "street_number": "567",
                    "corner": "21 de Setiembre", "latitude": -34.9103, "longitude": -56.1708,
                    "country": "UY", "region": "10"}
    })
}

#[tokio::test]
async fn the_seeds_list_example() {
    let app = spawn_app!(config());
    let c = app.create(regional()).await;
    app.create(json!({"name": "Regional Partners", "status": "inactive"}))
        .await;
    app.create(json!({"name": "Northern Supplies"})).await;
    let r = get(&app, "/apidev/v1/clients?status=A&search=regional&limit=10").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.body,
        json!({
            "success": true,
            "data": [{
                "id": c["id"],
                "name": "Regional Distributors",
                "business_name": "Regional Distributors S.A.",
                "email": "info@regionaldist.com",
                "phone": "+59821009876",
                "image_url": null,
                "status": "A",
                "document": null,
                "tax_id": "219900005018",
                "external_code": null,
                "associated_accounts": 0
            }],
            "meta": {"total": 1, "limit": 10, "offset": 0}
        })
    );
    assert_eq!(r.header("cache-control"), Some(LIST_CACHE));
    assert_eq!(r.header("ratelimit-limit"), Some("10"));
    assert!(r.header("etag").is_some());
}

#[tokio::test]
async fn the_seeds_detail_example() {
    let app = spawn_app!(config());
    let c = app.create(regional()).await;
    let id = id_of(&c);
    let mut accounts = Vec::new();
    for a in [
        json!({"name": "Acme Corp", "external_code": "EXT-001"}),
        json!({"name": "Beta Industries"}),
        json!({"name": "Gamma Solutions", "external_code": "EXT-003", "status": "inactive"}),
    ] {
        let r = app.post(&format!("/v1/clients/{id}/accounts"), a).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        accounts.push(id_of(&r.body["data"]));
    }
    let r = get(&app, &format!("/apidev/v1/clients/{id}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.body,
        json!({
            "success": true,
            "data": {
                "id": id,
                "name": "Regional Distributors",
                "business_name": "Regional Distributors S.A.",
                "email": "info@regionaldist.com",
                "phone": "+59821009876",
                "mobile": "+59899876543",
                "image_url": null,
                "status": "A",
                "document": null,
                "tax_id": "219900005018",
                "external_code": null,
                "notes": null,
                "document_type": null,
                "address": {
                    "street": "Bvar. Artigas",
                    "door_number": "567",
                    "apartment": null,
                    "corner": "21 de Setiembre",
                    "zip_code": null,
                    "latitude": "-34.9103",
                    "longitude": "-56.1708"
                },
                "country_id": "UY",
                "department_id": "10",
                "associated_accounts": 3,
                "accounts": [
                    {"id": accounts[0], "name": "Acme Corp", "external_code": "EXT-001", "status": "A"},
                    {"id": accounts[1], "name": "Beta Industries", "external_code": null, "status": "A"},
                    {"id": accounts[2], "name": "Gamma Solutions", "external_code": "EXT-003", "status": "I"}
                ]
            },
            "meta": {}
        })
    );
    assert_eq!(r.header("cache-control"), Some(DETAIL_CACHE));
    assert_eq!(r.header("ratelimit-limit"), Some("10"));
    // The list counts the accounts.
    let r = get(&app, "/apidev/v1/clients").await;
    assert_eq!(r.body["data"][0]["associated_accounts"], 3);
}

#[tokio::test]
async fn a_client_with_more_than_a_page_of_accounts_shows_every_one() {
    let app = spawn_app!(config());
    let id = id_of(&app.create(json!({"name": "Many Accounts"})).await);
    for i in 0..105 {
        let r = app
            .post(
                &format!("/v1/clients/{id}/accounts"),
                json!({"name": format!("Account {i}")}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let r = get(&app, &format!("/apidev/v1/clients/{id}")).await;
    let names: Vec<&str> = r.body["data"]["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .map(|a| a["name"].as_str().unwrap_or(""))
        .collect();
    let expected: Vec<String> = (0..105).map(|i| format!("Account {i}")).collect();
    assert_eq!(names, expected, "every account, oldest first");
    assert_eq!(r.body["data"]["associated_accounts"], 105);
}

#[tokio::test]
async fn status_search_limit_and_offset() {
    let app = spawn_app!(config());
    let mut active = Vec::new();
    for i in 0..4 {
        active.push(id_of(
            &app.create(json!({"name": format!("Active {i}")})).await,
        ));
    }
    let inactive = id_of(
        &app.create(json!({"name": "Dormant Trading", "status": "inactive"}))
            .await,
    );
    app.create(json!({"name": "Archived Co", "archived": true}))
        .await;
    let listed = |r: &Reply| -> Vec<String> {
        r.body["data"]
            .as_array()
            .expect("data")
            .iter()
            .map(id_of)
            .collect()
    };
    // Creation order, oldest first; archived clients left out.
    let r = get(&app, "/apidev/v1/clients").await;
    let mut all = active.clone();
    all.push(inactive.clone());
    assert_eq!(listed(&r), all);
    assert_eq!(
        r.body["meta"],
        json!({"total": 5, "limit": 25, "offset": 0})
    );
    let r = get(&app, "/apidev/v1/clients?status=I").await;
    assert_eq!(listed(&r), [inactive.as_str()]);
    assert_eq!(r.body["data"][0]["status"], "I");
    let r = get(&app, "/apidev/v1/clients?status=A&limit=2&offset=1").await;
    assert_eq!(listed(&r), active[1..3]);
    assert_eq!(r.body["meta"], json!({"total": 4, "limit": 2, "offset": 1}));
    for other in ["X", "a", "active", "inactive"] {
        let r = get(&app, &format!("/apidev/v1/clients?status={other}")).await;
        assert_eq!(r.status, StatusCode::OK, "{other}");
        assert_eq!(listed(&r), Vec::<String>::new(), "{other} matches nothing");
        assert_eq!(r.body["meta"]["total"], 0, "{other}");
    }
    let r = get(&app, "/apidev/v1/clients?search=dormant").await;
    assert_eq!(listed(&r), [inactive.as_str()]);
    let r = get(&app, "/apidev/v1/clients?offset=50").await;
    assert_eq!(listed(&r), Vec::<String>::new());
    assert_eq!(r.body["meta"]["total"], 5);
}

#[tokio::test]
async fn invalid_parameters_are_validation_errors_naming_them() {
    let app = spawn_app!(config());
    let long_search = "s".repeat(121);
    for (query, field, code) in [
        ("limit=0", "limit", "out_of_range"),
        ("limit=101", "limit", "out_of_range"),
        ("limit=ten", "limit", "invalid_type"),
        ("offset=-1", "offset", "invalid_type"),
        ("status=ACTIVE_ONLY", "status", "too_long"),
        (&format!("search={long_search}"), "search", "too_long"),
        ("page=2", "page", "unknown_parameter"),
    ] {
        let r = get(&app, &format!("/apidev/v1/clients?{query}")).await;
        assert_eq!(
            r.error(400, "VALIDATION_ERROR"),
            [(field.to_string(), code.to_string())],
            "{query}"
        );
        assert_eq!(r.header("cache-control"), Some("no-store"), "{query}");
    }
}

#[tokio::test]
async fn unknown_ids_and_other_tenants_clients_are_404() {
    let app = spawn_app!(config());
    let (_, other_key) = app.other_tenant("globex").await;
    let r = app
        .send(
            app.http
                .post(app.url("/v1/clients"))
                .header("x-api-key", &other_key)
                .json(&json!({"name": "Globex Client"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let theirs = id_of(&r.body["data"]);
    for id in [
        "0193a5b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b",
        "982710394857200005",
        theirs.as_str(),
    ] {
        let r = get(&app, &format!("/apidev/v1/clients/{id}")).await;
        r.error(404, "NOT_FOUND");
        assert_eq!(r.header("cache-control"), Some("no-store"));
    }
}

#[tokio::test]
async fn every_request_needs_all_three_headers() {
    let app = spawn_app!(config());
    let h = reader(&app).await;
    for path in [
        "/apidev/v1/clients",
        "/apidev/v1/clients/0193a5b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b",
    ] {
        let url = app.url(path);
        let without_token = app
            .http
            .get(&url)
            .header("x-api-key", &h.key)
            .header("tenant", "acme");
        let without_key = app
            .http
            .get(&url)
            .bearer_auth(&h.token)
            .header("tenant", "acme");
        let without_tenant = app
            .http
            .get(&url)
            .bearer_auth(&h.token)
            .header("x-api-key", &h.key);
        for (what, req) in [
            ("Authorization", without_token),
            ("X-API-Key", without_key),
            ("tenant", without_tenant),
        ] {
            let r = app.send(req).await;
            r.error(400, "BAD_REQUEST");
            let message = r.body["message"].as_str().unwrap_or("");
            assert!(message.contains(what), "{path} without {what}: {message}");
            assert_eq!(r.header("cache-control"), Some("no-store"));
        }
        let r = app.send(app.http.get(&url)).await;
        r.error(400, "BAD_REQUEST");
    }
}

#[tokio::test]
async fn invalid_credentials_are_401_and_credentials_of_another_tenant_403() {
    let app = spawn_app!(config());
    let (_, other_key) = app.other_tenant("globex").await;
    let good = reader(&app).await;
    let list = "/apidev/v1/clients";
    let with = |token: &str, key: &str, tenant: &str| Headers {
        token: token.into(),
        key: key.into(),
        tenant: tenant.into(),
    };
    let expired = token_until("acme", &["clients:read"], now() - 3600);
    for (what, h) in [
        ("an unknown key", with(&good.token, "ck_unknown", "acme")),
        ("a malformed token", with("not-a-jwt", &good.key, "acme")),
        ("an expired token", with(&expired, &good.key, "acme")),
        (
            "a token of a tenant that does not exist",
            with(&token("nowhere", &["clients:read"]), &good.key, "acme"),
        ),
    ] {
        let r = get_with(&app, &h, list).await;
        r.error(401, "UNAUTHORIZED");
        assert!(r.header("www-authenticate").is_some(), "{what}");
    }
    for (what, h) in [
        (
            "the tenant header names another tenant",
            with(&good.token, &good.key, "globex"),
        ),
        (
            "the tenant header names no tenant",
            with(&good.token, &good.key, "nowhere"),
        ),
        (
            "the key is another tenant's",
            with(&good.token, &other_key, "acme"),
        ),
        (
            "the token is another tenant's",
            with(&token("globex", &["clients:read"]), &good.key, "acme"),
        ),
    ] {
        let r = get_with(&app, &h, list).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{what}: {}", r.body);
        r.error(403, "FORBIDDEN");
    }
}

#[tokio::test]
async fn the_permission_must_be_in_both_credentials() {
    let app = spawn_app!(config());
    let writer_key = app.key_with(&[Permission::ClientsWrite]).await;
    let read_key = app.key_with(&[Permission::ClientsRead]).await;
    let list = "/apidev/v1/clients";
    let h = |token: String, key: &str| Headers {
        token,
        key: key.into(),
        tenant: "acme".into(),
    };
    let r = get_with(
        &app,
        &h(token("acme", &["clients:read"]), &writer_key),
        list,
    )
    .await;
    r.error(403, "FORBIDDEN");
    let r = get_with(&app, &h(token("acme", &["clients:write"]), &read_key), list).await;
    r.error(403, "FORBIDDEN");
    let r = get_with(&app, &h(token("acme", &[]), &read_key), list).await;
    r.error(403, "FORBIDDEN");
    // `admin` implies every permission, in either credential.
    let r = get_with(&app, &h(token("acme", &["admin"]), &app.key), list).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn the_seeds_permission_name_is_accepted_in_the_token_and_the_key() {
    let app = spawn_app!(config());
    // A key created with the seed's name for the permission, through `/v1`.
    let r = app
        .post(
            "/v1/api-keys",
            json!({"name": "integration", "permissions": ["APICLI_CLIENTS_READ"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let key = r.body["data"]["key"].as_str().expect("key").to_string();
    let h = Headers {
        token: token("acme", &["APICLI_CLIENTS_READ"]),
        key,
        tenant: "acme".into(),
    };
    let r = get_with(&app, &h, "/apidev/v1/clients").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn ten_requests_a_minute_per_key_shared_by_list_and_detail_and_spent_by_no_other_route() {
    let app = spawn_app!(config());
    let id = id_of(&app.create(json!({"name": "Budgeted"})).await);
    let h = reader(&app).await;
    // `/v1` and seed 000 traffic on the same key does not spend the seed's budget.
    for _ in 0..5 {
        let r = app
            .send(app.http.get(app.url("/v1/me")).header("x-api-key", &h.key))
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let r = app
            .send(
                app.http
                    .get(app.url("/api/1.0/clients"))
                    .header("x-api-key", &h.key),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let paths = [
        "/apidev/v1/clients".to_string(),
        format!("/apidev/v1/clients/{id}"),
    ];
    for i in 0..10 {
        let r = get_with(&app, &h, &paths[i % 2]).await;
        assert_eq!(r.status, StatusCode::OK, "request {i}: {}", r.body);
        assert_eq!(r.header("ratelimit-limit"), Some("10"));
        assert_eq!(
            r.header("ratelimit-remaining"),
            Some((9 - i).to_string().as_str())
        );
        assert_eq!(r.header("ratelimit-policy"), Some("10;w=60"));
    }
    for path in &paths {
        let r = get_with(&app, &h, path).await;
        r.error(429, "RATE_LIMITED");
        assert!(r
            .header("retry-after")
            .is_some_and(|s| s.parse::<u64>().is_ok()));
        assert_eq!(r.header("ratelimit-limit"), Some("10"));
        assert_eq!(r.header("cache-control"), Some("no-store"));
    }
    // The key's own budget is untouched by the seed's routes: only the 5 `/v1`, the 5 seed 000
    // requests and this one spent it (it refills meanwhile, so at least this much is left).
    let r = app
        .send(app.http.get(app.url("/v1/me")).header("x-api-key", &h.key))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("ratelimit-limit"), Some("1200"));
    let remaining: u32 = r
        .header("ratelimit-remaining")
        .and_then(|v| v.parse().ok())
        .expect("remaining");
    assert!(remaining >= 1200 - 11, "{remaining}");
    // Another key of the same tenant, with the same token, has a budget of its own.
    let other = Headers {
        key: app.key_with(&[Permission::ClientsRead]).await,
        ..h
    };
    let r = get_with(&app, &other, &paths[0]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("ratelimit-remaining"), Some("9"));
}

#[tokio::test]
async fn two_instances_sharing_redis_share_the_seeds_budget() {
    use clientele_api::ratelimit::{FailMode, RateLimiter};
    use clientele_api::AppState;

    use crate::ratelimit::{delete_prefix, test_redis, unique_prefix};

    let Some((url, mut conn)) = test_redis().await else {
        return;
    };
    let prefix = unique_prefix();
    let limiter = || Arc::new(RateLimiter::redis(&url, &prefix, FailMode::Closed).expect("url"));
    let app = spawn_app!(Config {
        rate_limiter: limiter(),
        ..config()
    });
    let second = crate::common::serve(AppState::with_config(
        app.store.clone(),
        Config {
            rate_limiter: limiter(),
            ..config()
        },
    ))
    .await;
    let h = reader(&app).await;
    let urls = [
        app.url("/apidev/v1/clients"),
        format!("http://{second}/apidev/v1/clients"),
    ];
    for i in 0..10 {
        let r = app.send(h.on(app.http.get(&urls[i % 2]))).await;
        assert_eq!(r.status, StatusCode::OK, "request {i}: {}", r.body);
    }
    for u in &urls {
        let r = app.send(h.on(app.http.get(u))).await;
        r.error(429, "RATE_LIMITED");
    }
    delete_prefix(&mut conn, &prefix).await;
}

#[tokio::test]
async fn a_client_written_through_v1_reads_the_same_through_both_dialects_and_changes_at_once() {
    let app = spawn_app!(config());
    let written = app
        .create(json!({
            "name": "Andes Logistics", "legal_name": "Andes Logistics S.R.L.",
            "org_number": "RUT-77-1", "tax_id": "77.111.222-3", "external_id": "crm-9",
            "email": "hola@andes.example", "phone": "+56 2 555 0100", "mobile": "+56 9 555 0101",
            "image_url": "https://cdn.andes.example/logo.png", "notes": "Key account",
            "address": {"street": "Av. Apoquindo", "street_number": "3000", "apartment": "12B",
                        "postal_code": "7550000", "country": "CL", "region": "RM"},
            "credit": {"limit": 250000.00, "currency": "CLP", "rating": "A"}
        }))
        .await;
    let id = id_of(&written);
    let v1 = app.get(&format!("/v1/clients/{id}")).await;
    let native = v1.data();
    let s000 = app.get(&format!("/api/1.0/clients/{id}")).await;
    let s001 = get(&app, &format!("/apidev/v1/clients/{id}")).await;
    let (a, b) = (&s000.body["data"], &s001.body["data"]);
    for (dialect, field, native_value) in [
        (a, "company_name", &native["name"]),
        (a, "org_number", &native["org_number"]),
        (a, "country", &native["address"]["country"]),
        (a, "credit_limit", &native["credit"]["limit"]),
        (a, "currency", &native["credit"]["currency"]),
        (a, "rating", &native["credit"]["rating"]),
        (a, "updated_at", &native["updated_at"]),
        (a, "created_at", &native["created_at"]),
        (b, "name", &native["name"]),
        (b, "business_name", &native["legal_name"]),
        (b, "email", &native["email"]),
        (b, "phone", &native["phone"]),
        (b, "mobile", &native["mobile"]),
        (b, "image_url", &native["image_url"]),
        (b, "document", &native["org_number"]),
        (b, "tax_id", &native["tax_id"]),
        (b, "external_code", &native["external_id"]),
        (b, "notes", &native["notes"]),
        (b, "country_id", &native["address"]["country"]),
        (b, "department_id", &native["address"]["region"]),
    ] {
        assert_eq!(&dialect[field], native_value, "{field}");
        assert!(!native_value.is_null(), "{field} is set natively");
    }
    assert_eq!(a["id"], native["id"]);
    assert_eq!(b["id"], native["id"]);
    assert_eq!(
        b["address"]["door_number"],
        native["address"]["street_number"]
    );
    assert_eq!(b["address"]["apartment"], native["address"]["apartment"]);
    assert_eq!(b["address"]["zip_code"], native["address"]["postal_code"]);
    assert_eq!(b["status"], "A");
    // A change through `/v1` shows at once in both.
    let p = app
        .patch(
            &format!("/v1/clients/{id}"),
            json!({"name": "Andes Logistica", "status": "inactive",
                   "credit": {"rating": "BB"}, "address": {"region": "V"}}),
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    let s000 = app.get(&format!("/api/1.0/clients/{id}")).await;
    assert_eq!(s000.body["data"]["company_name"], "Andes Logistica");
    assert_eq!(s000.body["data"]["rating"], "BB");
    assert_eq!(
        s000.body["data"]["updated_at"],
        p.body["data"]["updated_at"]
    );
    let s001 = get(&app, &format!("/apidev/v1/clients/{id}")).await;
    assert_eq!(s001.body["data"]["name"], "Andes Logistica");
    assert_eq!(s001.body["data"]["status"], "I");
    assert_eq!(s001.body["data"]["department_id"], "V");
    let list = get(&app, "/apidev/v1/clients?status=I").await;
    assert_eq!(list.body["data"][0]["id"], id.as_str());
}

#[tokio::test]
async fn other_methods_are_405_and_unknown_paths_404() {
    let app = spawn_app!(config());
    let h = reader(&app).await;
    let r = app
        .send(
            h.on(app
                .http
                .request(Method::POST, app.url("/apidev/v1/clients")))
                .json(&json!({})),
        )
        .await;
    r.error(405, "METHOD_NOT_ALLOWED");
    assert_eq!(r.header("allow"), Some("GET"));
    let r = get_with(&app, &h, "/apidev/v1/accounts").await;
    r.error(404, "NOT_FOUND");
}

#[test]
fn the_routes_declare_both_credentials_and_the_tenant_together_with_the_permission() {
    use clientele_api::auth::{PermissionTable, Requirement};
    let api = clientele_api::openapi();
    let doc = serde_json::to_value(&api).expect("json");
    let table = PermissionTable::from_openapi(&api).expect("valid declarations");
    for path in ["/apidev/v1/clients", "/apidev/v1/clients/{id}"] {
        let op = &doc["paths"][path]["get"];
        assert_eq!(op["tags"], json!(["dialect 001"]), "{path}");
        // One requirement: all three at once, not alternatives.
        assert_eq!(
            op["security"],
            json!([{"api_key": ["clients:read"], "bearer": ["clients:read"], "tenant": []}]),
            "{path}"
        );
        assert_eq!(
            table.required(&Method::GET, path),
            Some(Requirement::Permission(Permission::ClientsRead)),
            "{path}"
        );
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["tenant"]["name"],
        "tenant"
    );
    let schemas = &doc["components"]["schemas"];
    for s in [
        "Seed001Client",
        "Seed001ClientDetail",
        "Seed001Address",
        "Seed001Account",
        "Seed001ListMeta",
        "Seed001ClientList",
        "Seed001ClientResponse",
    ] {
        assert!(schemas[s].is_object(), "schema {s} missing");
    }
}
