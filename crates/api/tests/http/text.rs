//! One rule for text on both backends (issue 22, item 2): U+0000, the one character PostgreSQL
//! cannot store in `text` or `jsonb`, is refused with 400 VALIDATION_ERROR naming the field
//! wherever text comes in: bodies (any depth), path parameters and query parameters. Before, the
//! PostgreSQL backend answered 500 and SQLite stored it. Property tests over arbitrary strings
//! (bodies, filters, searches, external-id paths) show no 500 on either backend.

use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestCaseError, TestRunner};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::common::{Reply, TestApp};

const NUL: &str = "a\u{0}b";

/// Asserts the one detail of a U+0000 refusal.
fn refused_naming(r: &Reply, field: &str) {
    let details = r.error(400, "VALIDATION_ERROR");
    assert_eq!(
        details,
        vec![(field.to_string(), "invalid_character".to_string())],
        "{}",
        r.body
    );
}

#[tokio::test]
async fn nul_in_any_body_field_is_a_validation_error_naming_it() {
    let app = spawn_app!();
    let client = app.create(json!({"name": "Holder"})).await;
    let cid = client["id"].as_str().unwrap_or_default().to_string();
    let cases: Vec<(Method, String, Value, &str)> = vec![
        (
            Method::POST,
            "/v1/clients".into(),
            json!({"name": NUL}),
            "name",
        ),
        (
            Method::POST,
            "/v1/clients".into(),
            json!({"name": "A", "external_id": NUL}),
            "external_id",
        ),
        (
            Method::POST,
            "/v1/clients".into(),
            json!({"name": "A", "notes": NUL}),
            "notes",
        ),
        (
            Method::POST,
            "/v1/clients".into(),
            json!({"name": "A", "address": {"city": NUL}}),
            "address.city",
        ),
        (
            Method::POST,
            "/v1/clients".into(),
            json!({"name": "A", "metadata": {"k": NUL}}),
            "metadata.k",
        ),
        (
            Method::POST,
            "/v1/clients".into(),
            json!({"name": "A", "metadata": {NUL: "v"}}),
            "metadata",
        ),
        (
            Method::PATCH,
            format!("/v1/clients/{cid}"),
            json!({"legal_name": NUL}),
            "legal_name",
        ),
        (
            Method::PUT,
            format!("/v1/clients/{cid}"),
            json!({"name": "A", "credit": {"rating": NUL}}),
            "credit.rating",
        ),
        (
            Method::PUT,
            "/v1/clients/external-id/ext-1".into(),
            json!({"name": NUL}),
            "name",
        ),
        (
            Method::POST,
            format!("/v1/clients/{cid}/contact-persons"),
            json!({"name": NUL}),
            "name",
        ),
        (
            Method::POST,
            format!("/v1/clients/{cid}/locations"),
            json!({"name": "L", "address": {"street": NUL}}),
            "address.street",
        ),
        (
            Method::POST,
            format!("/v1/clients/{cid}/accounts"),
            json!({"name": NUL}),
            "name",
        ),
        (
            Method::POST,
            "/v1/api-keys".into(),
            json!({"name": NUL, "permissions": ["clients:read"]}),
            "name",
        ),
        (
            Method::POST,
            "/v1/api-keys".into(),
            json!({"permissions": ["clients:read", NUL]}),
            "permissions.1",
        ),
    ];
    for (method, path, body, field) in cases {
        let r = app.call(method.clone(), &path, Some(body)).await;
        refused_naming(&r, field);
    }
    // Nothing of it was stored.
    let list = app.get("/v1/clients").await;
    assert_eq!(list.body["meta"]["total"], 1, "{}", list.body);
    let subs = app.get(&format!("/v1/clients/{cid}/contact-persons")).await;
    assert_eq!(subs.body["meta"]["total"], 0, "{}", subs.body);
}

#[tokio::test]
async fn nul_in_path_and_query_parameters_is_a_validation_error_naming_it() {
    let app = spawn_app!();
    let client = app.create(json!({"name": "Holder"})).await;
    let cid = client["id"].as_str().unwrap_or_default().to_string();
    let gets = [
        ("/v1/clients/external-id/a%00b".to_string(), "external_id"),
        (
            format!("/v1/clients/{cid}/contact-persons/external-id/a%00b"),
            "external_id",
        ),
        ("/v1/clients/a%00b".to_string(), "id"),
        (
            "/v1/clients?filter=name%20eq%20%27a%00b%27".to_string(),
            "filter",
        ),
        ("/v1/clients?search=a%00b".to_string(), "search"),
        ("/v1/clients?name=a%00b".to_string(), "name"),
        ("/v1/clients?external_id=a%00b".to_string(), "external_id"),
        ("/v1/events?cursor=a%00".to_string(), "cursor"),
        (format!("/v1/clients/{cid}/history?limit=%00"), "limit"),
    ];
    for (path, field) in gets {
        let r = app.get(&path).await;
        refused_naming(&r, field);
    }
    let r = app
        .put("/v1/clients/external-id/a%00b", json!({"name": "A"}))
        .await;
    refused_naming(&r, "external_id");
    let list = app.get("/v1/clients").await;
    assert_eq!(list.body["meta"]["total"], 1, "{}", list.body);
}

/// Arbitrary text: any character, with U+0000 and characters that matter to SQL, LIKE patterns,
/// JSON and URLs drawn more often than chance would.
fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            6 => any::<char>(),
            1 => Just('\u{0}'),
            2 => proptest::sample::select(vec![
                '\'', '"', '%', '_', '\\', ' ', '/', '?', '#', '&', '=', '+', '.', 'é', '\u{7f}',
                '\u{feff}', '\u{ffff}', '\u{1f600}', '\u{10ffff}',
            ]),
        ],
        0..24,
    )
    .prop_map(String::from_iter)
}

/// Every byte except the unreserved ones percent-encoded, so the path segment is exactly `s`.
fn path_segment(s: &str) -> String {
    s.bytes()
        .map(|b| {
            // `.` too, so that `..` is not resolved away by the URL parser.
            if b.is_ascii_alphanumeric() || b"-_~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

type CaseFuture<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + 'a>>;

/// Runs `cases` property cases of `check` against one app, on a runtime of its own.
fn property(
    cases: u32,
    strategy: impl Strategy<Value = (usize, String)>,
    check: impl for<'a> Fn(&'a TestApp, &'a str, usize, String) -> CaseFuture<'a>,
) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let Some(app) = rt.block_on(TestApp::spawn()) else {
        return;
    };
    let cid = rt.block_on(async {
        app.create(json!({"name": "Holder"})).await["id"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    });
    let mut runner = TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let result = runner.run(&strategy, |(which, s)| {
        rt.block_on(check(&app, &cid, which, s))
            .map_err(TestCaseError::fail)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// No 5xx; text with U+0000 is a VALIDATION_ERROR naming `field`; anything else is
/// `ok` or a 400 VALIDATION_ERROR for another reason (too long, bad format, ...).
fn judge(r: &Reply, s: &str, field: &str, ok: &[u16]) -> Result<(), String> {
    let status = r.status.as_u16();
    if status >= 500 {
        return Err(format!("{field}={s:?}: {status} {}", r.body));
    }
    if s.contains('\u{0}') {
        let named = r.body["details"]
            .as_array()
            .and_then(|d| d.first())
            .map(|d| (d["field"].clone(), d["code"].clone()));
        if status != 400
            || r.body["error"] != "VALIDATION_ERROR"
            || named != Some((json!(field), json!("invalid_character")))
        {
            return Err(format!("{field}={s:?}: {status} {}", r.body));
        }
        return Ok(());
    }
    if ok.contains(&status) || (status == 400 && r.body["error"] == "VALIDATION_ERROR") {
        Ok(())
    } else {
        Err(format!("{field}={s:?}: unexpected {status} {}", r.body))
    }
}

#[test]
fn arbitrary_text_in_bodies_never_fails_the_server() {
    const FIELDS: usize = 9;
    property(96, (0..FIELDS, text()), |app, cid, which, s| {
        Box::pin(async move {
            let (path, body, field) = match which {
                0 => (
                    "/v1/clients".to_string(),
                    json!({"name": s}),
                    "name".to_string(),
                ),
                1 => (
                    "/v1/clients".into(),
                    json!({"name": "N", "notes": s}),
                    "notes".into(),
                ),
                2 => (
                    "/v1/clients".into(),
                    json!({"name": "N", "external_id": s}),
                    "external_id".into(),
                ),
                3 => (
                    "/v1/clients".into(),
                    json!({"name": "N", "address": {"city": s}}),
                    "address.city".into(),
                ),
                4 => (
                    "/v1/clients".into(),
                    json!({"name": "N", "metadata": {"k": s}}),
                    "metadata.k".into(),
                ),
                5 => (
                    "/v1/clients".into(),
                    json!({"name": "N", "metadata": {s.clone(): "v"}}),
                    "metadata".into(),
                ),
                6 => (
                    format!("/v1/clients/{cid}/contact-persons"),
                    json!({"name": s}),
                    "name".into(),
                ),
                7 => (
                    "/v1/api-keys".into(),
                    json!({"name": s, "permissions": ["clients:read"]}),
                    "name".into(),
                ),
                _ => (
                    format!("/v1/clients/{cid}"),
                    json!({"legal_name": s}),
                    "legal_name".into(),
                ),
            };
            let method = if which == FIELDS - 1 {
                Method::PATCH
            } else {
                Method::POST
            };
            let r = app.call(method, &path, Some(body)).await;
            // A second client with the same external id is a conflict, which is fine too.
            judge(&r, &s, &field, &[200, 201, 409])
        })
    });
}

#[test]
fn arbitrary_filters_searches_and_external_ids_never_fail_the_server() {
    property(96, (0..5usize, text()), |app, _cid, which, s| {
        Box::pin(async move {
            let (r, field, ok): (Reply, &str, &[u16]) = match which {
                0 => {
                    let f = format!("name eq '{}'", s.replace('\'', "''"));
                    let req = app
                        .request(Method::GET, "/v1/clients")
                        .query(&[("filter", f.as_str())]);
                    (app.send(req).await, "filter", &[200])
                }
                1 => {
                    let req = app
                        .request(Method::GET, "/v1/clients")
                        .query(&[("filter", s.as_str())]);
                    (app.send(req).await, "filter", &[200])
                }
                2 => {
                    let req = app
                        .request(Method::GET, "/v1/clients")
                        .query(&[("search", s.as_str())]);
                    (app.send(req).await, "search", &[200])
                }
                3 => {
                    let path = format!("/v1/clients/external-id/{}", path_segment(&s));
                    (app.get(&path).await, "external_id", &[200, 404])
                }
                _ => {
                    let path = format!("/v1/clients/external-id/{}", path_segment(&s));
                    let r = app.put(&path, json!({"name": "Upserted"})).await;
                    (r, "external_id", &[200, 201, 404])
                }
            };
            // An empty external id is another route (404 or 405): fine, it is not a 5xx.
            if s.is_empty() && r.status.as_u16() < 500 {
                return Ok(());
            }
            judge(&r, &s, field, ok)
        })
    });
}

#[tokio::test]
async fn text_without_nul_is_stored_and_read_back_alike() {
    let app = spawn_app!();
    let odd = "'; -- %_\\ \u{7f}\u{feff}\u{ffff}\u{1f600}\u{10ffff}";
    let c = app
        .create(json!({"name": odd, "external_id": odd, "metadata": {odd: odd}}))
        .await;
    assert_eq!(c["name"], odd);
    let r = app
        .get(&format!("/v1/clients/external-id/{}", path_segment(odd)))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.data()["metadata"][odd], odd);
}
