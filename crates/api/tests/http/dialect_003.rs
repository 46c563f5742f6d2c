//! Seed 003 at `/clients`: the seed's examples (create, read, list with OData options, replace,
//! update, delete, the unsupported delete-all), bearer tokens as the only credential, the
//! native protocol (ETags, idempotency keys, permissions, rate-limit headers, request ids), the
//! same clients through `/v1`, and properties: no `$filter`, `$orderby` or `$select` of up to
//! 1 KiB makes the server fail.

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::bearer::config;
use crate::common::{Reply, TestApp};

const OWNER: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";

/// A JWT of `tenant` granting `permissions`, valid for ten minutes.
pub fn token(tenant: &str, permissions: &[&str]) -> String {
    crate::bearer::token("loan-officer-1", tenant, permissions)
}

/// The app with a JWT key, and an `admin` token of its tenant.
struct Seed {
    app: TestApp,
    token: String,
}

impl Seed {
    async fn spawn() -> Option<Self> {
        let app = TestApp::spawn_with(config()).await?;
        Some(Self {
            app,
            token: token("acme", &["admin"]),
        })
    }

    /// A request with this token only (no API key).
    fn req(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.app
            .http
            .request(method, self.app.url(path))
            .bearer_auth(&self.token)
    }

    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut r = self.req(method, path);
        if let Some(b) = body {
            r = r
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        self.app.send(r).await
    }

    async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None).await
    }

    /// `GET /clients` with these query parameters (URL-encoded here).
    async fn list(&self, params: &[(&str, &str)]) -> Reply {
        self.app
            .send(self.req(Method::GET, "/clients").query(params))
            .await
    }

    /// The ids of a list answer, in order (asserting 200 and a bare array).
    async fn ids(&self, params: &[(&str, &str)]) -> Vec<String> {
        let r = self.list(params).await;
        assert_eq!(r.status, StatusCode::OK, "{params:?}: {}", r.body);
        r.body
            .as_array()
            .expect("a bare array")
            .iter()
            .map(|c| c["id"].as_str().expect("id").to_string())
            .collect()
    }

    /// `POST /clients`, asserting 200; the new client's id.
    async fn create(&self, body: Value) -> String {
        let r = self.send(Method::POST, "/clients", Some(body)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body["id"].as_str().expect("id").to_string()
    }
}

macro_rules! spawn_seed {
    () => {
        match Seed::spawn().await {
            Some(s) => s,
            None => return,
        }
    };
}

/// The seed's client model with every field filled in.
pub fn sample() -> Value {
    json!({
        "externalId": "LOS-1001",
        "source": "website",
        "ownerId": OWNER,
        "referredById": null,
        "email": "jane.doe@example.com",
        "homePhone": "+1 555 0100",
        "workPhone": "+1 555 0101",
        "mobilePhone": "+1 555 0102",
        "fax": "+1 555 0103",
        "isSilenced": false,
        "isArchived": false,
        "createdOn": "2020-01-01T00:00:00Z",
        "updatedOn": null,
        "fico": 720,
        "totalIncome": 85000.5,
        "totalDebtPayments": 1200,
        "firstTimeBuyer": true,
        "loginToken": "tok-abc",
        "id": "00000000-0000-0000-0000-000000000000",
        "firstName": "Jane",
        "lastName": "Doe"
    })
}

fn person(first: &str, last: &str) -> Value {
    json!({"email": format!("{}.{}@example.com", first.to_lowercase(), last.to_lowercase()),
           "firstName": first, "lastName": last})
}

#[tokio::test]
async fn the_seed_model_is_created_and_read_back_field_by_field() {
    let s = spawn_seed!();
    let r = s.send(Method::POST, "/clients", Some(sample())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let id = r.body["id"].as_str().expect("id").to_string();
    let mut keys: Vec<&str> = r
        .body
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["createdTimestamp", "id", "type", "updatedTimestamp"]);
    assert_eq!(r.body["type"], "Client");
    assert_eq!(
        r.header("location"),
        Some(format!("/clients/{id}").as_str())
    );
    assert_eq!(r.header("etag"), Some("\"1\""));
    assert_ne!(
        id, "00000000-0000-0000-0000-000000000000",
        "id is read-only"
    );

    let r = s.get(&format!("/clients/{id}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let c = &r.body;
    let mut expected = sample();
    expected["id"] = json!(id);
    expected["totalIncome"] = json!(85000.5);
    for (k, v) in expected.as_object().expect("object") {
        match k.as_str() {
            "createdOn" | "updatedOn" => {
                assert!(
                    c[k].as_str().is_some_and(|t| t.starts_with("20")),
                    "{k}: {c}"
                );
                assert_ne!(c[k], "2020-01-01T00:00:00Z", "read-only");
            }
            "totalIncome" | "totalDebtPayments" => {
                assert_eq!(c[k].as_f64(), v.as_f64(), "{k}: {c}")
            }
            _ => assert_eq!(&c[k], v, "{k}: {c}"),
        }
    }
    assert_eq!(c.as_object().expect("object").len(), 21);
    assert_eq!(r.header("etag"), Some("\"1\""));

    // The same client through /v1: a person, its name from first and last name, the amounts in
    // the tenant's default currency, the token in its metadata.
    let v1 = s.app.get(&format!("/v1/clients/{id}")).await;
    let d = v1.data();
    assert_eq!(d["kind"], "person");
    assert_eq!(d["name"], "Jane Doe");
    assert_eq!(d["phone"], "+1 555 0101");
    assert_eq!(d["mobile"], "+1 555 0102");
    assert_eq!(d["home_phone"], "+1 555 0100");
    assert_eq!(d["credit"]["fico"], 720);
    assert_eq!(d["credit"]["currency"], "EUR");
    assert_eq!(d["metadata"]["login_token"], "tok-abc");
    assert_eq!(d["owner_id"], OWNER);
}

#[tokio::test]
async fn a_client_made_through_v1_reads_here_and_an_organization_has_no_names() {
    let s = spawn_seed!();
    let org = s
        .app
        .create(json!({"name": "Acme Ltd", "email": "info@acme.example", "archived": true}))
        .await;
    let id = org["id"].as_str().expect("id");
    let r = s.get(&format!("/clients/{id}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["firstName"], Value::Null);
    assert_eq!(r.body["lastName"], Value::Null);
    assert_eq!(r.body["email"], "info@acme.example");
    assert_eq!(r.body["isArchived"], true);
    // Archived clients are listed here.
    assert_eq!(s.ids(&[]).await, vec![id.to_string()]);
    assert_eq!(
        s.ids(&[("$filter", "isArchived eq false")]).await,
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn the_list_answers_odata_queries() {
    let s = spawn_seed!();
    let mut ids = Vec::new();
    for (first, last, fico, archived) in [
        ("Jane", "Doe", 720, false),
        ("John", "Doe", 650, true),
        ("Anna", "Smith", 800, false),
        ("Zoe", "Adams", 590, false),
    ] {
        let mut body = person(first, last);
        body["fico"] = json!(fico);
        body["isArchived"] = json!(archived);
        body["totalIncome"] = json!(fico * 100);
        if first == "Jane" {
            body["ownerId"] = json!(OWNER);
            body["firstTimeBuyer"] = json!(true);
        }
        ids.push(s.create(body).await);
    }
    let (jane, john, anna, zoe) = (&ids[0], &ids[1], &ids[2], &ids[3]);
    let list = |v: &[&String]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();

    // No options: every client (archived too), oldest first, as a bare array of the model.
    let r = s.list(&[]).await;
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.body.as_array().expect("array")[0]["firstName"], "Jane");
    assert_eq!(s.ids(&[]).await, ids);
    // $orderby with two keys.
    assert_eq!(
        s.ids(&[("$orderby", "lastName desc,firstName")]).await,
        list(&[anna, jane, john, zoe])
    );
    assert_eq!(
        s.ids(&[("$orderby", "fico asc")]).await,
        list(&[zoe, john, jane, anna])
    );
    // $skip and $top page through that order.
    assert_eq!(
        s.ids(&[("$orderby", "fico desc"), ("$skip", "1"), ("$top", "2")])
            .await,
        list(&[jane, john])
    );
    // $filter: comparisons, logic, parentheses, functions, null, booleans, numbers, strings,
    // GUIDs and date-times.
    let cases: Vec<(String, Vec<String>)> = vec![
        ("fico ge 700".into(), list(&[jane, anna])),
        (
            "fico ge 700 and not (lastName eq 'Smith')".into(),
            list(&[jane]),
        ),
        (
            "lastName eq 'Doe' or fico lt 600".into(),
            list(&[jane, john, zoe]),
        ),
        ("isArchived eq true".into(), list(&[john])),
        ("isArchived".into(), list(&[john])),
        ("contains(email,'doe')".into(), list(&[jane, john])),
        (
            "startswith(firstName,'J') and endswith(lastName,'e')".into(),
            list(&[jane, john]),
        ),
        ("firstTimeBuyer eq true".into(), list(&[jane])),
        ("firstTimeBuyer eq null".into(), list(&[john, anna, zoe])),
        ("ownerId ne null".into(), list(&[jane])),
        (format!("ownerId eq {OWNER}"), list(&[jane])),
        (format!("id eq '{anna}'"), list(&[anna])),
        ("totalIncome gt 70000.5".into(), list(&[jane, anna])),
        (
            "createdOn ge 2000-01-01T00:00:00Z and createdOn lt 2999-01-01".into(),
            ids.clone(),
        ),
        ("updatedOn lt 2000-01-01T00:00:00Z".into(), Vec::new()),
    ];
    for (filter, expected) in cases {
        assert_eq!(
            s.ids(&[("$filter", filter.as_str())]).await,
            expected,
            "{filter}"
        );
    }
    // ownerId and searchText.
    assert_eq!(s.ids(&[("ownerId", OWNER)]).await, list(&[jane]));
    assert_eq!(
        s.ids(&[("ownerId", OWNER.to_uppercase().as_str())]).await,
        list(&[jane])
    );
    assert_eq!(s.ids(&[("searchText", "doe")]).await, list(&[jane, john]));
    assert_eq!(
        s.ids(&[("searchText", "doe"), ("$filter", "fico gt 700")])
            .await,
        list(&[jane])
    );
    // $select keeps only the named properties.
    let r = s
        .list(&[("$select", "lastName,id"), ("$filter", "fico eq 800")])
        .await;
    assert_eq!(r.body, json!([{"lastName": "Smith", "id": anna}]));
}

#[tokio::test]
async fn odata_errors_name_the_option_and_the_position() {
    let s = spawn_seed!();
    let r = s.list(&[("$filter", "lastName eq 'Doe' and")]).await;
    let fields = r.error(400, "VALIDATION_ERROR");
    assert_eq!(
        fields,
        vec![("$filter".to_string(), "syntax_error".to_string())]
    );
    let msg = r.body["details"][0]["message"].as_str().expect("message");
    assert!(msg.ends_with("at position 22"), "{msg}");
    for (params, field) in [
        (vec![("$filter", "fico eq 'high'")], "$filter"),
        (vec![("$filter", "tolower(lastName) eq 'doe'")], "$filter"),
        (vec![("$filter", "loginToken eq 'x'")], "$filter"),
        (vec![("$orderby", "shoeSize desc")], "$orderby"),
        (vec![("$select", "id,shoeSize")], "$select"),
        (vec![("$top", "0")], "$top"),
        (vec![("$top", "1001")], "$top"),
        (vec![("$skip", "-1")], "$skip"),
        (vec![("$count", "true")], "$count"),
        (vec![("$expand", "owner")], "$expand"),
        (vec![("ownerId", "not-a-guid")], "ownerId"),
        (vec![("page", "2")], "page"),
    ] {
        let r = s.list(&params).await;
        let fields = r.error(400, "VALIDATION_ERROR");
        assert_eq!(fields[0].0, field, "{params:?}");
    }
    let r = s.list(&[("$top", "1000")]).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn put_replaces_the_model_and_keeps_what_it_does_not_show() {
    let s = spawn_seed!();
    let id = s.create(sample()).await;
    // Native fields the model does not show.
    let r = s
        .app
        .patch(
            &format!("/v1/clients/{id}"),
            json!({"legal_name": "Jane A. Doe", "address": {"city": "Austin", "country": "US"},
                   "credit": {"limit": 5000}, "metadata": {"crm": "x-1"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = s
        .send(
            Method::PUT,
            &format!("/clients/{id}"),
            Some(
                json!({"email": "jane@example.org", "firstName": "Jane", "lastName": "Roe",
                        "fico": 700}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["type"], "Client");
    assert_eq!(r.body["id"], json!(id));
    assert_eq!(r.header("etag"), Some("\"3\""));
    let c = s.get(&format!("/clients/{id}")).await.body;
    assert_eq!(c["email"], "jane@example.org");
    assert_eq!(c["lastName"], "Roe");
    assert_eq!(c["fico"], 700);
    for cleared in [
        "externalId",
        "ownerId",
        "workPhone",
        "totalIncome",
        "firstTimeBuyer",
        "loginToken",
    ] {
        assert_eq!(c[cleared], Value::Null, "{cleared}");
    }
    let d = s.app.get(&format!("/v1/clients/{id}")).await.data().clone();
    assert_eq!(d["name"], "Jane Roe", "a derived name follows the names");
    assert_eq!(d["legal_name"], "Jane A. Doe");
    assert_eq!(d["address"]["city"], "Austin");
    assert_eq!(d["credit"]["limit"].as_f64(), Some(5000.0));
    assert_eq!(d["credit"]["currency"], "EUR");
    assert_eq!(d["metadata"], json!({"crm": "x-1"}));

    // PUT needs the required fields.
    let r = s
        .send(
            Method::PUT,
            &format!("/clients/{id}"),
            Some(json!({"fico": 700})),
        )
        .await;
    let mut fields = r.error(400, "VALIDATION_ERROR");
    fields.sort();
    assert_eq!(
        fields,
        vec![
            ("email".into(), "required".into()),
            ("firstName".into(), "required".into()),
            ("lastName".into(), "required".into())
        ]
    );
}

#[tokio::test]
async fn patch_changes_only_the_given_fields() {
    let s = spawn_seed!();
    let id = s.create(sample()).await;
    let r = s
        .send(
            Method::PATCH,
            &format!("/clients/{id}"),
            Some(json!({"isArchived": true, "loginToken": null, "totalDebtPayments": 900})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.body.as_object().expect("object").keys().len(),
        4,
        "{}",
        r.body
    );
    let c = s.get(&format!("/clients/{id}")).await.body;
    assert_eq!(c["isArchived"], true);
    assert_eq!(c["loginToken"], Value::Null);
    assert_eq!(c["totalDebtPayments"].as_f64(), Some(900.0));
    assert_eq!(c["firstName"], "Jane");
    assert_eq!(c["fico"], 720);
    // A name set through /v1 is the client's own: changing the first name here keeps it.
    s.app
        .patch(&format!("/v1/clients/{id}"), json!({"name": "J. Doe"}))
        .await;
    let r = s
        .send(
            Method::PATCH,
            &format!("/clients/{id}"),
            Some(json!({"firstName": "Janet"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let d = s.app.get(&format!("/v1/clients/{id}")).await.data().clone();
    assert_eq!(
        (d["name"].as_str(), d["first_name"].as_str()),
        (Some("J. Doe"), Some("Janet"))
    );
    // Invalid values are named as here.
    let r = s
        .send(
            Method::PATCH,
            &format!("/clients/{id}"),
            Some(json!({"email": "jane@localhost", "fico": 100, "workPhone": "call me"})),
        )
        .await;
    let mut fields = r.error(400, "VALIDATION_ERROR");
    fields.sort();
    assert_eq!(fields, vec![("email".into(), "invalid_format".into())]);
    let r = s
        .send(
            Method::PATCH,
            &format!("/clients/{id}"),
            Some(json!({"fico": 100, "workPhone": "call me"})),
        )
        .await;
    let mut fields = r.error(400, "VALIDATION_ERROR");
    fields.sort();
    assert_eq!(
        fields,
        vec![
            ("fico".into(), "out_of_range".into()),
            ("workPhone".into(), "invalid_format".into())
        ]
    );
}

#[tokio::test]
async fn create_needs_a_valid_email_and_both_names() {
    let s = spawn_seed!();
    let r = s
        .send(
            Method::POST,
            "/clients",
            Some(json!({"firstName": "", "email": "x@y"})),
        )
        .await;
    let mut fields = r.error(400, "VALIDATION_ERROR");
    fields.sort();
    assert_eq!(
        fields,
        vec![
            ("email".into(), "invalid_format".into()),
            ("firstName".into(), "too_short".into()),
            ("lastName".into(), "required".into()),
        ]
    );
    let mut body = person("Ann", "Lee");
    body["shoeSize"] = json!(42);
    let r = s.send(Method::POST, "/clients", Some(body)).await;
    assert_eq!(
        r.error(400, "VALIDATION_ERROR"),
        vec![("shoeSize".into(), "unknown_field".into())]
    );
    let mut body = person("Ann", "Lee");
    body["referredById"] = json!("0193a5b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b");
    let r = s.send(Method::POST, "/clients", Some(body)).await;
    let fields = r.error(400, "VALIDATION_ERROR");
    assert_eq!(fields[0].0, "referredById");
}

#[tokio::test]
async fn delete_is_204_and_delete_all_is_405() {
    let s = spawn_seed!();
    let id = s.create(person("Ann", "Lee")).await;
    let r = s
        .send(Method::DELETE, &format!("/clients/{id}"), None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = s.get(&format!("/clients/{id}")).await;
    r.error(404, "NOT_FOUND");
    let r = s.send(Method::DELETE, "/clients", None).await;
    r.error(405, "METHOD_NOT_ALLOWED");
    assert_eq!(r.header("allow"), Some("GET, POST"));
    let r = s.send(Method::PUT, "/clients", Some(json!({}))).await;
    r.error(405, "METHOD_NOT_ALLOWED");
    assert_eq!(r.header("allow"), Some("GET, POST"));
    let r = s
        .send(Method::POST, &format!("/clients/{id}"), Some(json!({})))
        .await;
    r.error(405, "METHOD_NOT_ALLOWED");
    assert_eq!(r.header("allow"), Some("GET, PUT, DELETE, PATCH"));
    let r = s.get("/clients/not-a-guid").await;
    assert_eq!(r.error(400, "VALIDATION_ERROR")[0].0, "id");
    let r = s
        .get("/clients/0193a5b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b/extra")
        .await;
    r.error(404, "NOT_FOUND");
}

#[tokio::test]
async fn only_bearer_tokens_are_credentials_here_with_the_native_permissions() {
    let s = spawn_seed!();
    let id = s.create(person("Ann", "Lee")).await;
    let path = format!("/clients/{id}");
    // An API key alone, or nothing: 401.
    let r = s.app.get(&path).await;
    r.error(401, "UNAUTHORIZED");
    let r = s.app.send(s.app.http.get(s.app.url("/clients"))).await;
    r.error(401, "UNAUTHORIZED");
    // The same key works on /v1.
    assert_eq!(
        s.app.get(&format!("/v1/clients/{id}")).await.status,
        StatusCode::OK
    );
    // Another tenant's token: 404, as an unknown client.
    s.app.other_tenant("globex").await;
    let other = token("globex", &["admin"]);
    let r = s
        .app
        .send(s.app.http.get(s.app.url(&path)).bearer_auth(&other))
        .await;
    r.error(404, "NOT_FOUND");
    let r = s
        .app
        .send(s.app.http.get(s.app.url("/clients")).bearer_auth(&other))
        .await;
    assert_eq!(r.body, json!([]));
    // Permissions: read cannot write or delete.
    let reader = token("acme", &["clients:read"]);
    let as_reader = |m: Method, p: &str| s.app.http.request(m, s.app.url(p)).bearer_auth(&reader);
    assert_eq!(
        s.app.send(as_reader(Method::GET, &path)).await.status,
        StatusCode::OK
    );
    let r = s
        .app
        .send(
            as_reader(Method::POST, "/clients")
                .header("content-type", "application/json")
                .body(person("Bo", "Ek").to_string()),
        )
        .await;
    r.error(403, "FORBIDDEN");
    let r = s.app.send(as_reader(Method::DELETE, &path)).await;
    r.error(403, "FORBIDDEN");
    let writer = token("acme", &["clients:write"]);
    let r = s
        .app
        .send(s.app.http.get(s.app.url("/clients")).bearer_auth(&writer))
        .await;
    r.error(403, "FORBIDDEN");
}

#[tokio::test]
async fn etags_idempotency_keys_rate_limits_and_request_ids_are_the_native_ones() {
    let s = spawn_seed!();
    let id = s.create(person("Ann", "Lee")).await;
    let path = format!("/clients/{id}");
    let r = s.get(&path).await;
    let etag = r.header("etag").expect("etag").to_string();
    assert!(r.header("ratelimit-limit").is_some());
    assert!(r.header("ratelimit-remaining").is_some());
    assert!(r.header("x-request-id").is_some());
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let r = s
        .app
        .send(s.req(Method::GET, &path).header("if-none-match", &etag))
        .await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    // A stale If-Match is 412; the current one writes.
    let patch = json!({"fico": 700}).to_string();
    let r = s
        .app
        .send(
            s.req(Method::PATCH, &path)
                .header("if-match", "\"7\"")
                .header("content-type", "application/json")
                .body(patch.clone()),
        )
        .await;
    r.error(412, "PRECONDITION_FAILED");
    let r = s
        .app
        .send(
            s.req(Method::PATCH, &path)
                .header("if-match", &etag)
                .header("content-type", "application/json")
                .body(patch),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.header("etag"), Some("\"2\""));
    // A create retried with its Idempotency-Key is replayed, not repeated.
    let body = person("Bo", "Ek").to_string();
    let post = || {
        s.req(Method::POST, "/clients")
            .header("idempotency-key", "loan-42")
            .header("content-type", "application/json")
            .body(body.clone())
    };
    let first = s.app.send(post()).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let again = s.app.send(post()).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body, first.body);
    assert_eq!(s.ids(&[]).await.len(), 2);
}

#[tokio::test]
async fn the_root_path_shadows_nothing() {
    let s = spawn_seed!();
    for (path, status) in [
        ("/v1/clients", StatusCode::OK),
        ("/healthz", StatusCode::OK),
        ("/openapi.json", StatusCode::OK),
        ("/console/sign-in", StatusCode::OK),
    ] {
        let r = s
            .app
            .http
            .get(s.app.url(path))
            .header("x-api-key", &s.app.key)
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), status, "{path}");
    }
    let doc: Value = s
        .app
        .http
        .get(s.app.url("/openapi.json"))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    for (path, method, op) in [
        ("/clients", "get", "seed003_list_clients"),
        ("/clients", "post", "seed003_create_client"),
        ("/clients", "delete", "seed003_delete_all_clients"),
        ("/clients/{id}", "get", "seed003_get_client"),
        ("/clients/{id}", "put", "seed003_replace_client"),
        ("/clients/{id}", "patch", "seed003_patch_client"),
        ("/clients/{id}", "delete", "seed003_delete_client"),
    ] {
        let o = &doc["paths"][path][method];
        assert_eq!(o["operationId"], op);
        assert_eq!(o["tags"], json!(["dialect 003"]));
        let security = o["security"].as_array().expect("security");
        assert!(security.iter().all(|r| r.get("api_key").is_none()), "{op}");
    }
}

/// Up to 1 KiB of text drawn from OData's tokens and arbitrary characters.
fn odata_text() -> impl Strategy<Value = String> {
    let atoms = proptest::sample::select(vec![
        "firstName",
        "lastName",
        "fico",
        "isArchived",
        "createdOn",
        "ownerId",
        "id",
        "email",
        "loginToken",
        "totalIncome",
        "eq",
        "ne",
        "gt",
        "ge",
        "lt",
        "le",
        "and",
        "or",
        "not",
        "in",
        "(",
        ")",
        ",",
        "'x'",
        "'",
        "''",
        "null",
        "true",
        "false",
        "10",
        "-1.5",
        "1e400",
        "99999999999999999999",
        "2026-01-01",
        "2026-01-01T00:00:00Z",
        "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "contains",
        "startswith",
        "endswith",
        "tolower",
        "asc",
        "desc",
        "*",
        "$",
        "/",
        " ",
        "é",
        "%",
        "\\",
        "\"",
    ]);
    let soup = proptest::collection::vec(atoms, 0..200).prop_map(|v| v.join(" "));
    let chars = proptest::collection::vec(proptest::char::any(), 0..1024)
        .prop_map(|v| v.into_iter().filter(|c| *c != '\0').collect::<String>());
    proptest::prop_oneof![soup, chars].prop_map(|s| {
        let mut out = String::new();
        for c in s.chars() {
            if out.len() + c.len_utf8() > 1024 {
                break;
            }
            out.push(c);
        }
        out
    })
}

#[tokio::test]
async fn no_filter_orderby_or_select_makes_the_server_fail() {
    let s = spawn_seed!();
    s.create(sample()).await;
    s.create(person("Ann", "Lee")).await;
    let mut runner = TestRunner::deterministic();
    let strategy = odata_text();
    let started = std::time::Instant::now();
    for i in 0..300 {
        if started.elapsed() > std::time::Duration::from_secs(90) {
            break;
        }
        let text = strategy.new_tree(&mut runner).expect("case").current();
        let option = ["$filter", "$orderby", "$select"][i % 3];
        let r = s.list(&[(option, text.as_str())]).await;
        assert!(
            r.status == StatusCode::OK || r.status == StatusCode::BAD_REQUEST,
            "{option}={text:?}: {} {}",
            r.status,
            r.body
        );
        if r.status == StatusCode::BAD_REQUEST {
            let fields = r.error(400, "VALIDATION_ERROR");
            assert_eq!(fields[0].0, option, "{text:?}");
        } else {
            assert!(r.body.is_array());
        }
    }
}
