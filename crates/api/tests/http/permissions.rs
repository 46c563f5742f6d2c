//! Every `/v1` route, read from the route table itself (the generated OpenAPI document), refuses
//! a credential lacking its permission: a new route without a declared permission fails here.

use clientele_api::auth::{PermissionTable, Requirement};
use clientele_core::enums::Permission;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::TestApp;

const GRANTABLE: [Permission; 4] = [
    Permission::ClientsRead,
    Permission::ClientsWrite,
    Permission::ClientsDelete,
    Permission::AuditRead,
];

fn table() -> PermissionTable {
    PermissionTable::from_openapi(&clientele_api::openapi()).expect("valid declarations")
}

/// Every `/v1` operation of the served document, with what it requires.
fn v1_routes() -> Vec<(Method, String, Requirement)> {
    let mut out: Vec<(Method, String, Requirement)> = table()
        .routes()
        .filter(|(_, p, _)| p.starts_with("/v1"))
        .map(|(m, p, r)| (m.clone(), p.to_string(), r))
        .collect();
    out.sort_by(|a, b| (&a.1, a.0.as_str()).cmp(&(&b.1, b.0.as_str())));
    out
}

/// A concrete path for a template: each `{param}` gets a plausible value.
fn concrete(template: &str, id: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .map_or(rest.len(), |e| start + e + 1);
        let name = &rest[start + 1..end - 1];
        out.push_str(if name.contains("external") {
            "ext-1"
        } else {
            id
        });
        rest = &rest[end..];
    }
    out + rest
}

#[test]
fn every_v1_operation_declares_exactly_one_permission_or_any_credential() {
    let doc = serde_json::to_value(clientele_api::openapi()).expect("json");
    let table = table();
    let mut count = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        if !path.starts_with("/v1") {
            continue;
        }
        for (method, op) in item.as_object().expect("operations") {
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let req = table.required(&m, path);
            assert!(
                matches!(
                    req,
                    Some(Requirement::Permission(_) | Requirement::AnyCredential)
                ),
                "{method} {path}: {req:?}"
            );
            // Both credentials are offered, with the same scope.
            let security = op["security"].as_array().expect("security");
            assert_eq!(security.len(), 2, "{method} {path}");
            assert_eq!(
                security[0]["api_key"], security[1]["bearer"],
                "{method} {path}"
            );
            count += 1;
        }
    }
    assert_eq!(count, v1_routes().len());
    assert!(count >= 12, "the table lost routes: {count}");
}

#[test]
fn the_only_routes_open_to_any_credential_are_listed_here() {
    let open: Vec<String> = v1_routes()
        .into_iter()
        .filter(|(_, _, r)| *r == Requirement::AnyCredential)
        .map(|(m, p, _)| format!("{m} {p}"))
        .collect();
    assert_eq!(open, vec!["GET /v1/me"]);
}

#[tokio::test]
async fn every_route_refuses_a_credential_lacking_its_permission() {
    let app = spawn_app!();
    let c = app
        .create(json!({"name": "A", "external_id": "ext-1"}))
        .await;
    let id = c["id"].as_str().unwrap_or("").to_string();
    let routes = v1_routes();
    assert!(!routes.is_empty());
    for (method, template, requirement) in routes {
        let mut path = concrete(&template, &id);
        if template == "/v1/clients/export" {
            // An empty export: its body (NDJSON) is then empty rather than several documents.
            path.push_str("?search=zzzznomatch");
        }
        let send = |key: Option<String>| {
            let mut req = app
                .http
                .request(method.clone(), app.url(&path))
                .header("content-type", "application/json")
                .body(json!({"name": "A"}).to_string());
            if let Some(k) = key {
                req = req.header("x-api-key", k);
            }
            req
        };
        // No credential: 401 everywhere.
        app.send(send(None)).await.error(401, "UNAUTHORIZED");
        match requirement {
            Requirement::Permission(needed) => {
                // Every other permission, but not this one (nor admin): 403.
                let others: Vec<Permission> =
                    GRANTABLE.iter().copied().filter(|p| *p != needed).collect();
                let lacking = app.key_with(&others).await;
                let r = app.send(send(Some(lacking))).await;
                assert_eq!(
                    r.status,
                    StatusCode::FORBIDDEN,
                    "{method} {template} must refuse a key without {}: {}",
                    needed.as_str(),
                    r.body
                );
                r.error(403, "FORBIDDEN");
                // Exactly this permission passes the gate.
                let having = app.key_with(&[needed]).await;
                let r = app.send(send(Some(having))).await;
                assert!(
                    r.status != StatusCode::FORBIDDEN && r.status != StatusCode::UNAUTHORIZED,
                    "{method} {template} with {}: {} {}",
                    needed.as_str(),
                    r.status,
                    r.body
                );
            }
            Requirement::AnyCredential => {
                let weakest = app.key_with(&[Permission::AuditRead]).await;
                let r = app.send(send(Some(weakest))).await;
                assert!(r.status.is_success(), "{method} {template}: {}", r.body);
            }
            Requirement::Undeclared => panic!("{method} {template} declares no permission"),
        }
    }
}

#[tokio::test]
async fn admin_implies_every_permission() {
    let app = spawn_app!();
    for (method, template, _) in v1_routes() {
        if method == Method::DELETE {
            continue;
        }
        let r = app
            .send(
                app.request(method.clone(), &concrete(&template, "0"))
                    .header("content-type", "application/json")
                    .body(json!({"name": "A"}).to_string()),
            )
            .await;
        assert!(
            r.status != StatusCode::FORBIDDEN && r.status != StatusCode::UNAUTHORIZED,
            "{method} {template}: {}",
            r.body
        );
    }
}
