//! API keys, the tenant header, and the permission declared on every route.

use clientele_core::enums::Permission;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::TestApp;

#[tokio::test]
async fn requests_without_a_credential_are_401() {
    let app = spawn_app!();
    let r = app.send(app.http.get(app.url("/v1/clients"))).await;
    r.error(401, "UNAUTHORIZED");
    let r = app
        .send(
            app.http
                .get(app.url("/v1/clients"))
                .header("x-api-key", "ck_wrong"),
        )
        .await;
    r.error(401, "UNAUTHORIZED");
}

/// Revokes API key `key` through the server at `base` (another instance than `app`'s).
async fn revoke_through(app: &TestApp, base: std::net::SocketAddr, key: uuid::Uuid) {
    let r = app
        .send(
            app.http
                .delete(format!("http://{base}/v1/api-keys/{key}"))
                .header("x-api-key", &app.key),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
}

#[tokio::test]
async fn revoked_keys_are_refused_at_once() {
    let app = spawn_app!();
    let (key, plaintext) = clientele_api::keys::issue_key(
        app.store.as_ref(),
        app.tenant.id,
        vec![Permission::ClientsRead],
        None,
        None,
    )
    .await
    .expect("key");
    let get = || {
        app.http
            .get(app.url("/v1/clients"))
            .header("x-api-key", &plaintext)
    };
    assert_eq!(app.send(get()).await.status, StatusCode::OK);
    app.store
        .revoke_api_key(Some(app.tenant.id), key.id)
        .await
        .expect("revoke");
    app.send(get()).await.error(401, "UNAUTHORIZED");
}

/// Servers keep resolved keys in memory; a revocation through another instance on the same
/// database (another process on SQLite, another server on PostgreSQL) must still be refused by
/// both at once, on the point read (where PostgreSQL confirms the cached key in the read's own
/// round trip), on lists, on `/v1/me` and on writes.
#[tokio::test]
async fn a_key_revoked_through_another_instance_is_refused_by_both_at_once() {
    let app = spawn_app!();
    let (other, _other_store) = app.second_instance().await;
    let (key, plaintext) = clientele_api::keys::issue_key(
        app.store.as_ref(),
        app.tenant.id,
        vec![Permission::ClientsRead, Permission::ClientsWrite],
        None,
        None,
    )
    .await
    .expect("key");
    let id = app.create(json!({"name": "Cached Key AB"})).await["id"]
        .as_str()
        .expect("id")
        .to_string();
    let paths = [
        format!("/v1/clients/{id}"),
        "/v1/clients".into(),
        "/v1/me".into(),
    ];
    let call = |base: std::net::SocketAddr, method: Method, path: &str| {
        let req = app
            .http
            .request(method.clone(), format!("http://{base}{path}"))
            .header("x-api-key", &plaintext);
        if method == Method::POST {
            req.json(&json!({"name": "After Revocation"}))
        } else {
            req
        }
    };
    // Every path several times on both servers: the key is cached by both.
    for base in [app.addr, other] {
        for _ in 0..3 {
            for p in &paths {
                let r = app.send(call(base, Method::GET, p)).await;
                assert_eq!(r.status, StatusCode::OK, "{p}: {}", r.body);
            }
        }
    }
    // Revoked through the second instance's store: the first server never saw the change.
    revoke_through(&app, other, key.id).await;
    for base in [app.addr, other] {
        for p in &paths {
            let r = app.send(call(base, Method::GET, p)).await;
            r.error(401, "UNAUTHORIZED");
        }
        let r = app.send(call(base, Method::POST, "/v1/clients")).await;
        r.error(401, "UNAUTHORIZED");
    }
    // Another key of the tenant keeps working on both, and the write above did not happen.
    for base in [app.addr, other] {
        let r = app
            .send(
                app.http
                    .get(format!("http://{base}/v1/clients?search=revocation"))
                    .header("x-api-key", &app.key),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body["data"], json!([]));
    }
}

/// A write request on a cached key is checked by its write, in the write's own transaction
/// where the store can (SQLite): after another key was created (the credentials changed, this
/// key did not) its writes still go through; once it is revoked through another instance, its
/// writes are refused unapplied, also when they share a commit with another key's writes,
/// which are applied.
#[tokio::test]
async fn writes_on_a_cached_key_are_checked_where_they_are_applied() {
    let app = spawn_app!();
    let (other, _other_store) = app.second_instance().await;
    let permissions = vec![Permission::ClientsRead, Permission::ClientsWrite];
    let issue = |name: &'static str| {
        let store = app.store.clone();
        let permissions = permissions.clone();
        let tenant = app.tenant.id;
        async move {
            clientele_api::keys::issue_key(
                store.as_ref(),
                tenant,
                permissions,
                None,
                Some(name.into()),
            )
            .await
            .expect("key")
        }
    };
    let (key, plaintext) = issue("cached").await;
    let post = |base: std::net::SocketAddr, key: &str, name: String| {
        app.http
            .post(format!("http://{base}/v1/clients"))
            .header("x-api-key", key)
            .json(&json!({ "name": name }))
    };
    for n in 0..3 {
        let r = app
            .send(post(app.addr, &plaintext, format!("Kept {n} AB")))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    // The credentials change (a new key), this key does not: it still writes.
    let (_, second_key) = issue("second").await;
    let r = app
        .send(post(app.addr, &plaintext, "Kept 3 AB".into()))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // Revoked through the second instance: the first server has the key cached.
    revoke_through(&app, other, key.id).await;
    // Writes of both keys at once, so that they share commits.
    let mut sends = tokio::task::JoinSet::new();
    for n in 0..8 {
        let (key, name) = if n % 2 == 0 {
            (plaintext.as_str(), format!("Refused {n} AB"))
        } else {
            (second_key.as_str(), format!("Applied {n} AB"))
        };
        let req = post(app.addr, key, name);
        sends.spawn(async move {
            let res = req.send().await.expect("request");
            let status = res.status();
            let body: serde_json::Value = res.json().await.expect("JSON");
            (n, status, body)
        });
    }
    while let Some(done) = sends.join_next().await {
        let (n, status, body) = done.expect("task");
        if n % 2 == 0 {
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
            assert_eq!(body["error"], "UNAUTHORIZED", "{body}");
        } else {
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
    }
    let listed = |word: &'static str| {
        app.http
            .get(app.url(&format!("/v1/clients?search={word}&limit=100")))
            .header("x-api-key", &app.key)
    };
    assert_eq!(
        app.send(listed("kept")).await.body["data"]
            .as_array()
            .map(Vec::len),
        Some(4)
    );
    assert_eq!(
        app.send(listed("applied")).await.body["data"]
            .as_array()
            .map(Vec::len),
        Some(4)
    );
    assert_eq!(app.send(listed("refused")).await.body["data"], json!([]));
}

#[tokio::test]
async fn only_a_hash_of_the_key_is_stored() {
    let app = spawn_app!();
    let keys = app.store.list_api_keys(app.tenant.id).await.expect("keys");
    let dumped = format!("{keys:?}");
    assert!(!dumped.contains(&app.key), "plaintext must not be stored");
    assert!(app.key.starts_with("ck_") && app.key.starts_with(&keys[0].prefix));
}

#[tokio::test]
async fn the_tenant_header_must_name_the_credentials_tenant() {
    let app = spawn_app!();
    let r = app
        .send(
            app.request(Method::GET, "/v1/clients")
                .header("tenant", "acme"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app
        .send(
            app.request(Method::GET, "/v1/clients")
                .header("tenant", "globex"),
        )
        .await;
    r.error(403, "FORBIDDEN");
}

/// (method, path template, permission) for every client route.
fn routes() -> Vec<(Method, &'static str, Permission)> {
    vec![
        (Method::GET, "/v1/clients", Permission::ClientsRead),
        (Method::POST, "/v1/clients", Permission::ClientsWrite),
        (Method::GET, "/v1/clients/{id}", Permission::ClientsRead),
        (Method::PUT, "/v1/clients/{id}", Permission::ClientsWrite),
        (Method::PATCH, "/v1/clients/{id}", Permission::ClientsWrite),
        (
            Method::DELETE,
            "/v1/clients/{id}",
            Permission::ClientsDelete,
        ),
        (
            Method::GET,
            "/v1/clients/external-id/{external_id}",
            Permission::ClientsRead,
        ),
        (
            Method::PUT,
            "/v1/clients/external-id/{external_id}",
            Permission::ClientsWrite,
        ),
    ]
}

#[tokio::test]
async fn every_v1_route_declares_a_permission_in_the_openapi_document() {
    let doc = serde_json::to_value(clientele_api::openapi()).expect("json");
    let table = clientele_api::auth::PermissionTable::from_openapi(&clientele_api::openapi())
        .expect("valid declarations");
    let mut seen = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        if !path.starts_with("/v1") {
            continue;
        }
        for (method, _) in item.as_object().expect("ops") {
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let req = table.required(&m, path);
            assert!(
                matches!(
                    req,
                    Some(clientele_api::auth::Requirement::Permission(_))
                        | Some(clientele_api::auth::Requirement::AnyCredential)
                ),
                "{method} {path} declares no permission"
            );
            seen += 1;
        }
    }
    assert!(seen >= routes().len());
    // The documented table agrees with API.md's permissions.
    for (m, path, perm) in routes() {
        assert_eq!(
            table.required(&m, path),
            Some(clientele_api::auth::Requirement::Permission(perm)),
            "{m} {path}"
        );
    }
}

#[tokio::test]
async fn each_route_refuses_a_credential_lacking_its_permission() {
    let app = spawn_app!();
    let c = app.create(json!({"name": "A", "external_id": "e-1"})).await;
    let id = c["id"].as_str().unwrap_or("").to_string();
    let mut items = std::collections::HashMap::new();
    for seg in ["contact-persons", "locations", "accounts"] {
        let r = app
            .post(
                &format!("/v1/clients/{id}/{seg}"),
                json!({"name": "N", "external_id": "e-1"}),
            )
            .await;
        let r = if r.status == StatusCode::CREATED {
            r
        } else {
            app.post(&format!("/v1/clients/{id}/{seg}"), json!({"name": "N"}))
                .await
        };
        items.insert(seg, r.data()["id"].as_str().unwrap_or("").to_string());
    }
    let all = [
        Permission::ClientsRead,
        Permission::ClientsWrite,
        Permission::ClientsDelete,
        Permission::AuditRead,
    ];
    let mut ordered = routes();
    // Deleting the client would take the sub-resources with it: check that route last.
    ordered.sort_by_key(|(m, t, _)| *m == Method::DELETE && *t == "/v1/clients/{id}");
    for (method, template, needed) in ordered {
        let path = template
            .replace("{id}", &id)
            .replace("{external_id}", "e-1");
        let others: Vec<Permission> = all.iter().copied().filter(|p| *p != needed).collect();
        let lacking = app.key_with(&others).await;
        let r = app
            .send(
                app.http
                    .request(method.clone(), app.url(&path))
                    .header("x-api-key", &lacking)
                    .header("content-type", "application/json")
                    .body(json!({"name": "A"}).to_string()),
            )
            .await;
        r.error(403, "FORBIDDEN");
        let having = app.key_with(&[needed]).await;
        let r = app
            .send(
                app.http
                    .request(method.clone(), app.url(&path))
                    .header("x-api-key", &having)
                    .header("content-type", "application/json")
                    .body(json!({"name": "A", "external_id": "e-1"}).to_string()),
            )
            .await;
        assert_ne!(
            r.status,
            StatusCode::FORBIDDEN,
            "{method} {path}: {}",
            r.body
        );
        assert_ne!(r.status, StatusCode::UNAUTHORIZED, "{method} {path}");
    }
}

#[tokio::test]
async fn another_tenants_clients_are_404_for_every_verb_and_invisible_in_lists() {
    let app = spawn_app!();
    let c = app
        .create(json!({"name": "Mine", "external_id": "shared"}))
        .await;
    let id = c["id"].as_str().unwrap_or("").to_string();
    let (_, other) = app.other_tenant("globex").await;
    let as_other = |m: Method, p: &str| {
        app.http
            .request(m, app.url(p))
            .header("x-api-key", &other)
            .header("content-type", "application/json")
            .body(json!({"name": "X"}).to_string())
    };
    let path = format!("/v1/clients/{id}");
    for m in [Method::GET, Method::PUT, Method::PATCH, Method::DELETE] {
        app.send(as_other(m, &path)).await.error(404, "NOT_FOUND");
    }
    app.send(as_other(Method::GET, "/v1/clients/external-id/shared"))
        .await
        .error(404, "NOT_FOUND");
    app.send(as_other(Method::GET, &format!("{path}/history")))
        .await
        .error(404, "NOT_FOUND");
    let r = app.send(as_other(Method::GET, "/v1/events")).await;
    assert_eq!(
        r.data().as_array().map(Vec::len),
        Some(0),
        "events never cross tenants"
    );
    let r = app.send(as_other(Method::GET, "/v1/clients")).await;
    assert_eq!(r.body["meta"]["total"], 0);
    assert_eq!(r.data().as_array().map(Vec::len), Some(0));
    // Upserting the same external id in the other tenant creates its own client.
    let r = app
        .send(as_other(Method::PUT, "/v1/clients/external-id/shared"))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_ne!(r.data()["id"], id.as_str());
    // And ours is untouched.
    assert_eq!(app.get(&path).await.data()["name"], "Mine");
}

#[tokio::test]
async fn revoking_with_another_tenant_leaves_the_key_alive() {
    let app = spawn_app!();
    let (other, _) = app.other_tenant("globex").await;
    let (key, plaintext) = clientele_api::keys::issue_key(
        app.store.as_ref(),
        app.tenant.id,
        vec![Permission::ClientsRead],
        None,
        None,
    )
    .await
    .expect("key");
    let r = app.store.revoke_api_key(Some(other.id), key.id).await;
    assert!(
        matches!(r, Err(clientele_core::StoreError::NotFound)),
        "{r:?}"
    );
    let r = app
        .send(
            app.http
                .get(app.url("/v1/clients"))
                .header("x-api-key", &plaintext),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "the key must still work");
}

#[tokio::test]
async fn repeated_credential_and_tenant_headers_are_400_naming_the_header() {
    let app = spawn_app!();
    let reader = app.key_with(&[Permission::ClientsRead]).await;
    let cases = [
        (
            "x-api-key",
            [app.key.as_str(), reader.as_str()],
            "X-API-Key",
        ),
        (
            "x-api-key",
            [app.key.as_str(), app.key.as_str()],
            "X-API-Key",
        ),
        ("tenant", ["acme", "other"], "tenant"),
        ("tenant", ["acme", "acme"], "tenant"),
    ];
    for (name, values, shown) in cases {
        let mut req = app.http.get(app.url("/v1/clients"));
        if name != "x-api-key" {
            req = req.header("x-api-key", &app.key);
        }
        for v in values {
            req = req.header(name, v);
        }
        let r = app.send(req).await;
        r.error(400, "BAD_REQUEST");
        let message = r.body["message"].as_str().unwrap_or("");
        assert!(message.contains(shown), "{name}: {message}");
        // Counted like any refused request: the gate's rate-limit headers are there.
        assert!(r.header("ratelimit-limit").is_some(), "{name}");
    }
    let r = app
        .send(
            app.http
                .get(app.url("/v1/clients"))
                .header("authorization", "Bearer a.b.c")
                .header("authorization", "Bearer d.e.f"),
        )
        .await;
    r.error(400, "BAD_REQUEST");
    assert!(r.body["message"]
        .as_str()
        .unwrap_or("")
        .contains("Authorization"));
    // One of each is fine.
    let r = app
        .send(
            app.request(Method::GET, "/v1/clients")
                .header("tenant", "acme"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}
