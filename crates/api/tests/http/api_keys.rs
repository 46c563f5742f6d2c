//! `/v1/api-keys` and `/v1/me`: a tenant admin manages its own tenant's keys over HTTP.

use clientele_core::enums::Permission;
use reqwest::StatusCode;
use serde_json::json;

use crate::common::TestApp;

#[tokio::test]
async fn an_admin_creates_a_key_whose_plaintext_is_shown_once() {
    let app = spawn_app!();
    let r = app
        .post(
            "/v1/api-keys",
            json!({"name": "importer", "permissions": ["clients:read", "clients:write"],
                   "rate_limit": "600/min"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let created = r.data().clone();
    let key = created["key"].as_str().expect("plaintext").to_string();
    assert!(key.starts_with("ck_") && key.starts_with(created["prefix"].as_str().unwrap_or("?")));
    assert_eq!(created["name"], "importer");
    assert_eq!(
        created["permissions"],
        json!(["clients:read", "clients:write"])
    );
    assert_eq!(created["rate_limit"], "600/min");
    assert_eq!(created["revoked_at"], json!(null));

    // The key works, with its own permissions and budget.
    let me = app
        .send(app.http.get(app.url("/v1/me")).header("x-api-key", &key))
        .await;
    assert_eq!(me.data()["credential"]["id"], created["id"]);
    assert_eq!(me.data()["rate_limit"]["limit"], 600);
    assert_eq!(me.header("ratelimit-limit"), Some("600"));

    // Listing never shows the plaintext or the hash.
    let r = app.get("/v1/api-keys").await;
    let text = r.body.to_string();
    assert!(!text.contains(&key), "plaintext listed: {text}");
    assert!(!text.contains(&app.key), "plaintext listed: {text}");
    let listed = r.data().as_array().expect("array").clone();
    assert_eq!(listed.len(), 2);
    for k in &listed {
        let fields: Vec<&String> = k.as_object().expect("object").keys().collect();
        assert_eq!(
            fields,
            vec![
                "id",
                "name",
                "prefix",
                "permissions",
                "rate_limit",
                "created_at",
                "revoked_at"
            ]
        );
    }
}

#[tokio::test]
async fn a_revoked_key_answers_401_at_once() {
    let app = spawn_app!();
    let created = app
        .post("/v1/api-keys", json!({"permissions": ["clients:read"]}))
        .await;
    let id = created.data()["id"].as_str().expect("id").to_string();
    let key = created.data()["key"].as_str().expect("key").to_string();
    let get = || {
        app.http
            .get(app.url("/v1/clients"))
            .header("x-api-key", &key)
    };
    assert_eq!(app.send(get()).await.status, StatusCode::OK);
    let r = app.delete(&format!("/v1/api-keys/{id}")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    app.send(get()).await.error(401, "UNAUTHORIZED");
    // Revoking again changes nothing.
    let r = app.delete(&format!("/v1/api-keys/{id}")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let listed = app.get("/v1/api-keys").await;
    let k = listed
        .data()
        .as_array()
        .and_then(|a| a.iter().find(|k| k["id"] == id.as_str()).cloned())
        .expect("listed");
    assert!(k["revoked_at"].is_string());
    // Unknown ids are 404 (a malformed one is 400, see clients.rs).
    app.delete("/v1/api-keys/0193a5b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b")
        .await
        .error(404, "NOT_FOUND");
}

#[tokio::test]
async fn another_tenants_keys_are_invisible_and_cannot_be_revoked() {
    let app = spawn_app!();
    let (globex, globex_key) = app.other_tenant("globex").await;
    let theirs = app.store.list_api_keys(globex.id).await.expect("keys");
    let r = app.delete(&format!("/v1/api-keys/{}", theirs[0].id)).await;
    r.error(404, "NOT_FOUND");
    let r = app
        .send(
            app.http
                .get(app.url("/v1/clients"))
                .header("x-api-key", &globex_key),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "their key must still work");
    let ours = app.get("/v1/api-keys").await;
    assert!(!ours.body.to_string().contains(&theirs[0].id.to_string()));
}

#[tokio::test]
async fn key_bodies_are_validated_field_by_field() {
    let app = spawn_app!();
    let cases = [
        (json!({}), "permissions", "required"),
        (json!({"permissions": []}), "permissions", "required"),
        (
            json!({"permissions": ["root"]}),
            "permissions.0",
            "invalid_value",
        ),
        (
            json!({"permissions": "admin"}),
            "permissions",
            "invalid_type",
        ),
        (
            json!({"permissions": ["admin"], "rate_limit": "fast"}),
            "rate_limit",
            "invalid_format",
        ),
        (
            json!({"permissions": ["admin"], "name": "x".repeat(101)}),
            "name",
            "too_long",
        ),
        (
            json!({"permissions": ["admin"], "tenant": "globex"}),
            "tenant",
            "unknown_field",
        ),
    ];
    for (body, field, code) in cases {
        let r = app.post("/v1/api-keys", body.clone()).await;
        let details = r.error(400, "VALIDATION_ERROR");
        assert!(
            details.contains(&(field.to_string(), code.to_string())),
            "{body}: {details:?}"
        );
    }
}

#[tokio::test]
async fn only_admins_manage_keys() {
    let app = spawn_app!();
    let all_but_admin = app
        .key_with(&[
            Permission::ClientsRead,
            Permission::ClientsWrite,
            Permission::ClientsDelete,
            Permission::AuditRead,
        ])
        .await;
    let r = app
        .send(
            app.http
                .post(app.url("/v1/api-keys"))
                .header("x-api-key", &all_but_admin)
                .header("content-type", "application/json")
                .body(json!({"permissions": ["admin"]}).to_string()),
        )
        .await;
    r.error(403, "FORBIDDEN");
}

#[tokio::test]
async fn me_describes_the_caller_for_any_valid_credential() {
    let app = spawn_app!();
    let (key, plaintext) = clientele_api::keys::issue_key(
        app.store.as_ref(),
        app.tenant.id,
        vec![Permission::AuditRead],
        None,
        None,
    )
    .await
    .expect("key");
    let r = app
        .send(
            app.http
                .get(app.url("/v1/me"))
                .header("x-api-key", &plaintext),
        )
        .await;
    let me = r.data();
    assert_eq!(
        me["tenant"],
        json!({"id": app.tenant.id.0.to_string(), "name": "acme", "default_currency": "EUR"})
    );
    assert_eq!(me["actor"], key.id.to_string());
    assert_eq!(
        me["credential"],
        json!({"type": "api_key", "id": key.id.to_string()})
    );
    assert_eq!(me["permissions"], json!(["audit:read"]));
    assert_eq!(me["rate_limit"]["limit"], 1200);
    assert_eq!(me["rate_limit"]["policy"], "1200/min");
    assert_eq!(me["rate_limit"]["remaining"], 1199);
    assert_eq!(
        r.header("ratelimit-remaining"),
        Some("1199"),
        "the body and the headers agree"
    );
    app.send(app.http.get(app.url("/v1/me")))
        .await
        .error(401, "UNAUTHORIZED");
}

#[tokio::test]
async fn a_key_created_through_the_api_cannot_exceed_the_operators_ceiling() {
    use clientele_api::config::Config;
    use clientele_core::tenant::RateLimit;
    async fn create(app: &TestApp, rate: &str) -> crate::common::Reply {
        let body = json!({"permissions": ["clients:read"], "rate_limit": rate});
        app.post("/v1/api-keys", body).await
    }
    // Without a configured maximum the ceiling is the default rate limit (1200/min).
    let app = spawn_app!();
    for over in ["4294967295/s", "1201/min", "21/s", "2000/h"] {
        let r = create(&app, over).await;
        assert_eq!(
            r.error(400, "VALIDATION_ERROR"),
            vec![("rate_limit".to_string(), "above_ceiling".to_string())],
            "{over}"
        );
        assert!(
            r.body["message"]
                .as_str()
                .unwrap_or("")
                .contains("1200/min"),
            "{}",
            r.body
        );
    }
    for within in ["1200/min", "20/s", "600/h"] {
        let r = create(&app, within).await;
        assert_eq!(r.status, StatusCode::CREATED, "{within}: {}", r.body);
    }
    // Only the created keys exist: the refused ones were not stored.
    assert_eq!(
        app.get("/v1/api-keys")
            .await
            .data()
            .as_array()
            .map(Vec::len),
        Some(4)
    );
    // A configured maximum replaces it.
    let app = spawn_app!(Config {
        max_key_rate_limit: RateLimit::parse("100/min").ok(),
        ..Config::default()
    });
    create(&app, "101/min").await.error(400, "VALIDATION_ERROR");
    let r = create(&app, "100/min").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

#[tokio::test]
async fn the_seed_name_apicli_clients_read_is_stored_and_shown_as_clients_read() {
    let app = spawn_app!();
    let r = app
        .post(
            "/v1/api-keys",
            json!({"permissions": ["APICLI_CLIENTS_READ", "clients:read", "audit:read"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let created = r.data().clone();
    assert_eq!(
        created["permissions"],
        json!(["clients:read", "audit:read"])
    );
    let key = created["key"].as_str().expect("plaintext").to_string();
    let me = app
        .send(app.http.get(app.url("/v1/me")).header("x-api-key", &key))
        .await;
    assert_eq!(
        me.data()["permissions"],
        json!(["clients:read", "audit:read"])
    );
    let listed = app.get("/v1/api-keys").await;
    let stored = listed
        .data()
        .as_array()
        .expect("array")
        .iter()
        .find(|k| k["id"] == created["id"])
        .expect("listed")
        .clone();
    assert_eq!(stored["permissions"], json!(["clients:read", "audit:read"]));
    let r = app
        .send(
            app.http
                .get(app.url("/v1/clients"))
                .header("x-api-key", &key),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn me_shows_the_tenants_default_currency() {
    use clientele_core::types::{CurrencyCode, TenantName};
    let app = spawn_app!();
    let t = app
        .store
        .create_tenant_with_currency(
            &TenantName::parse("nordic").expect("name"),
            &CurrencyCode::parse("sek").expect("currency"),
        )
        .await
        .expect("tenant");
    assert_eq!(t.default_currency.as_str(), "SEK");
    let (_, key) = clientele_api::keys::issue_key(
        app.store.as_ref(),
        t.id,
        vec![Permission::ClientsRead],
        None,
        None,
    )
    .await
    .expect("key");
    let me = app
        .send(app.http.get(app.url("/v1/me")).header("x-api-key", &key))
        .await;
    assert_eq!(
        me.data()["tenant"],
        json!({"id": t.id.0.to_string(), "name": "nordic", "default_currency": "SEK"})
    );
}
