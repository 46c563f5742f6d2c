//! The OpenAPI document is generated from code and snapshot-tested, so an unintended change fails.

use std::path::PathBuf;

use crate::common::TestApp;

fn snapshot_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/openapi.json")
}

#[test]
fn openapi_document_matches_the_snapshot() {
    let doc = serde_json::to_string_pretty(&clientele_api::openapi()).expect("json") + "\n";
    let path = snapshot_path();
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
        std::fs::write(&path, &doc).expect("write snapshot");
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == doc,
        "the OpenAPI document changed; review it and run with UPDATE_SNAPSHOTS=1 to accept"
    );
}

#[test]
fn openapi_document_lists_every_route_and_the_error_shape() {
    let doc = serde_json::to_value(clientele_api::openapi()).expect("json");
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    let paths = doc["paths"].as_object().expect("paths");
    for (path, methods) in [
        ("/v1/clients", vec!["get", "post"]),
        ("/v1/clients/{id}", vec!["get", "put", "patch", "delete"]),
        ("/v1/clients/external-id/{external_id}", vec!["get", "put"]),
        ("/healthz", vec!["get"]),
        ("/readyz", vec!["get"]),
        ("/metrics", vec!["get"]),
    ] {
        for m in methods {
            assert!(paths[path][m].is_object(), "{m} {path} missing");
        }
    }
    let schemas = &doc["components"]["schemas"];
    for s in [
        "ErrorBody",
        "Client",
        "ClientData",
        "Address",
        "Credit",
        "FieldError",
    ] {
        assert!(schemas[s].is_object(), "schema {s} missing");
    }
    assert!(paths["/v1/clients"]["post"]["responses"]["401"].is_object());
    assert_eq!(
        doc["components"]["securitySchemes"]["api_key"]["name"],
        "X-API-Key"
    );
}

#[test]
fn every_operation_id_is_unique() {
    let doc = serde_json::to_value(clientele_api::openapi()).expect("json");
    let mut seen = std::collections::HashSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("operations") {
            let id = op["operationId"].as_str().unwrap_or("");
            assert!(
                seen.insert(id.to_string()),
                "{method} {path}: operationId {id} is taken"
            );
        }
    }
}

#[tokio::test]
async fn openapi_json_and_docs_are_served_without_a_credential() {
    let app = spawn_app!();
    let r = app
        .http
        .get(app.url("/openapi.json"))
        .send()
        .await
        .expect("req");
    assert_eq!(r.status(), 200);
    let served: serde_json::Value = r.json().await.expect("json");
    assert_eq!(
        served,
        serde_json::to_value(clientele_api::openapi()).expect("json")
    );
    let r = app.http.get(app.url("/docs/")).send().await.expect("req");
    assert_eq!(r.status(), 200);
    let html = r.text().await.expect("html");
    assert!(html.contains("swagger-ui"), "{html}");
    // The viewer's assets come from this binary, not from a CDN.
    for asset in [
        "/docs/swagger-ui.css",
        "/docs/swagger-ui-bundle.js",
        "/docs/swagger-initializer.js",
    ] {
        let r = app.http.get(app.url(asset)).send().await.expect("req");
        assert_eq!(r.status(), 200, "{asset}");
    }
    assert!(!html.contains("cdn") && !html.contains("unpkg"), "{html}");
}

/// Every enum of the document lists the values the service sends and takes, never the Rust
/// variant names (a generated client failed on `clients:read` against `ClientsRead`).
#[test]
fn enums_list_the_values_on_the_wire() {
    use clientele_core::{ClientKind, ClientStatus, Creditworthiness, PartnerType, Permission};
    let doc = serde_json::to_value(clientele_api::openapi()).expect("json");
    let schemas = &doc["components"]["schemas"];
    for (name, values) in [
        ("Permission", Permission::ALL),
        ("ClientKind", ClientKind::ALL),
        ("ClientStatus", ClientStatus::ALL),
        ("PartnerType", PartnerType::ALL),
        ("Creditworthiness", Creditworthiness::ALL),
    ] {
        assert_eq!(schemas[name]["enum"], serde_json::json!(values), "{name}");
    }
    // No enum anywhere holds a CamelCase Rust name of a native value.
    let text = doc.to_string();
    for rust_name in ["\"ClientsRead\"", "\"Organization\"", "\"CityCommunity\""] {
        assert!(!text.contains(rust_name), "{rust_name} in the document");
    }
}

/// The rules the parsers check are declared: lengths, ranges, codes, money, closed request
/// bodies, and links from each create to the operations that take its id.
#[test]
fn constraints_and_links_are_declared() {
    let doc = serde_json::to_value(clientele_api::openapi()).expect("json");
    let s = &doc["components"]["schemas"];
    let data = &s["ClientData"]["properties"];
    assert_eq!(data["name"]["maxLength"], 200);
    assert_eq!(data["external_id"]["maxLength"], 128);
    assert_eq!(data["phone"]["maxLength"], 32);
    assert_eq!(s["Credit"]["properties"]["fico"]["minimum"], 300);
    assert_eq!(s["Credit"]["properties"]["fico"]["maximum"], 850);
    let limit = &s["Credit"]["properties"]["limit"];
    // 999999999999999.9999 is not a binary double: the bound is exclusive, 10^15.
    assert_eq!(
        limit["exclusiveMaximum"],
        serde_json::json!(1_000_000_000_000_000_i64)
    );
    assert!(limit.get("maximum").is_none());
    assert_eq!(limit["multipleOf"].as_f64(), Some(0.0001));
    let countries = s["Address"]["properties"]["country"]["enum"]
        .as_array()
        .expect("country codes");
    assert!(countries.contains(&serde_json::json!("SE")) && countries.len() > 200);
    assert_eq!(s["ClientInput"]["additionalProperties"], false);
    let create = &doc["paths"]["/v1/clients"]["post"];
    assert_eq!(
        create["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/ClientInput"
    );
    let links = create["responses"]["201"]["links"]
        .as_object()
        .expect("links");
    for op in [
        "get_client",
        "replace_client",
        "patch_client",
        "delete_client",
        "create_contact_person",
    ] {
        assert_eq!(links[op]["operationId"], op, "{op}");
        assert_eq!(links[op]["parameters"]["id"], "$response.body#/data/id");
    }
    let sub = &doc["paths"]["/v1/clients/{id}/contact-persons"]["post"]["responses"]["201"]
        ["links"]["get_contact_person"];
    assert_eq!(sub["parameters"]["id"], "$request.path.id");
    assert_eq!(sub["parameters"]["item_id"], "$response.body#/data/id");
    for (path, method) in [
        ("/v1/clients/{id}", "delete"),
        ("/v1/clients", "get"),
        ("/v1/clients/{id}/locations", "post"),
    ] {
        let responses = &doc["paths"][path][method]["responses"];
        assert!(responses["400"].is_object(), "{method} {path} 400");
    }
}

/// The dialects' request bodies are as precise as the native ones: closed, with the fields a
/// create requires, and a partial update on a schema of its own; create bodies take `null` for
/// "not given".
#[test]
fn dialect_and_create_bodies_are_declared() {
    let doc = serde_json::to_value(clientele_api::openapi()).expect("json");
    let s = &doc["components"]["schemas"];
    let body = |path: &str, method: &str| {
        doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .unwrap_or_default()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string()
    };
    let clients = "/master-data/v1/client-management/clients";
    assert_eq!(body(clients, "post"), "Seed004ClientInput");
    assert_eq!(
        body(&format!("{clients}/{{id}}"), "patch"),
        "Seed004ClientPatch"
    );
    assert_eq!(body("/api/v1/clients", "post"), "Seed002ClientInput");
    assert_eq!(
        body("/api/v1/clients/{client_id}", "put"),
        "Seed002ClientPatch"
    );
    assert_eq!(body("/clients/{id}", "put"), "Seed003ClientInput");
    assert_eq!(body("/clients/{id}", "patch"), "Seed003ClientPatch");
    for name in [
        "Seed004ClientInput",
        "Seed004ClientPatch",
        "Seed002ClientFieldsPatch",
    ] {
        assert_eq!(s[name]["additionalProperties"], false, "{name}");
    }
    assert_eq!(
        s["Seed004ClientInput"]["required"],
        serde_json::json!(["name"])
    );
    assert!(s["Seed004ClientPatch"]["required"].is_null());
    assert!(s["Seed004ClientInput"]["properties"]["contactPersons"].is_object());
    assert!(s["Seed004ClientPatch"]["properties"]["contactPersons"].is_null());
    assert!(s["Seed002ClientFieldsPatch"]["properties"]["primary_location"].is_null());
    assert_eq!(
        s["Seed002ClientPatch"]["properties"]["client"]["$ref"],
        "#/components/schemas/Seed002ClientFieldsPatch"
    );
    assert_eq!(
        s["Seed003ClientInput"]["properties"]["fico"]["minimum"],
        300
    );
    let partner_type = doc["paths"][clients]["get"]["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .find(|p| p["name"] == "partnerType")
        .expect("partnerType")["schema"]["pattern"]
        .clone();
    assert_eq!(
        partner_type,
        "^(CITY_COMMUNITY|CONSTRUCTION|INDUSTRY|OTHER|PRIVATE)$"
    );
    // `status: null` on an account create is the default; a stored account's status is never
    // null.
    let input = serde_json::to_string(&s["AccountInput"]["properties"]["status"]).expect("json");
    assert!(input.contains("null"), "{input}");
    let stored = serde_json::to_string(&s["AccountData"]["properties"]["status"]).expect("json");
    assert!(!stored.contains("null"), "{stored}");
    // An API key's name is trimmed before its length is checked.
    let name = &s["NewApiKeyBody"]["properties"]["name"];
    assert!(name["maxLength"].is_null());
    assert!(name["pattern"]
        .as_str()
        .is_some_and(|p| p.contains("{0,98}")));
}
