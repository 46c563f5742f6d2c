//! `/console` over plain HTTP (no browser): the security properties of the session cookie, the
//! CSRF token, the Content-Security-Policy, permissions, sign-out and revocation, and page
//! weight. The browser tests (`console_browser.rs`) drive the same pages in Chromium.

use clientele_api::config::{Config, Secret};
use clientele_api::console::CONTENT_SECURITY_POLICY;
use clientele_api::jwt::JwtVerifier;
use clientele_core::enums::Permission;
use reqwest::{header, StatusCode};
use serde_json::json;

use crate::common::TestApp;

/// A browser-like client of the console: no automatic redirects, the session cookie kept by
/// hand (it is `Secure`, which a plain HTTP cookie store would not send back).
pub struct Console<'a> {
    pub app: &'a TestApp,
    http: reqwest::Client,
    pub cookie: Option<String>,
}

pub struct Page {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The CSRF token of the page's forms.
    pub fn csrf(&self) -> String {
        let marker = r#"name="csrf" value=""#;
        let start = self.body.find(marker).expect("a form with a CSRF token") + marker.len();
        self.body[start..]
            .split('"')
            .next()
            .unwrap_or("")
            .to_string()
    }
}

impl<'a> Console<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(20))
            .build()
            .expect("client");
        Self {
            app,
            http,
            cookie: None,
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Page {
        let req = match &self.cookie {
            Some(c) => req.header(header::COOKIE, format!("clientele_console={c}")),
            None => req,
        };
        let res = req.send().await.expect("request");
        Page {
            status: res.status(),
            headers: res.headers().clone(),
            body: res.text().await.expect("body"),
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        self.send(self.http.get(self.app.url(path))).await
    }

    /// A form post from this console's own page (same origin).
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let origin = format!("http://{}", self.app.addr);
        self.send(
            self.http
                .post(self.app.url(path))
                .header(header::ORIGIN, origin)
                .form(form),
        )
        .await
    }

    /// Signs in; returns the sign-in answer and keeps the cookie.
    pub async fn sign_in(&mut self, credential: &str) -> Page {
        let page = self
            .post("/console/sign-in", &[("credential", credential)])
            .await;
        if let Some(v) = page.headers.get(header::SET_COOKIE) {
            let v = v.to_str().expect("ascii");
            let value = v
                .split(';')
                .next()
                .and_then(|p| p.split_once('='))
                .map(|(_, v)| v.to_string());
            self.cookie = value.filter(|v| !v.is_empty());
        }
        page
    }

    /// The CSRF token of this session (read from a page's sign-out form).
    pub async fn csrf(&self) -> String {
        self.get("/console/clients").await.csrf()
    }
}

async fn client_count(app: &TestApp) -> usize {
    app.get("/v1/clients?archived=all")
        .await
        .data()
        .as_array()
        .map_or(0, Vec::len)
}

#[tokio::test]
async fn signing_in_sets_an_http_only_strict_cookie_scoped_to_the_console() {
    let app = spawn_app!();
    let mut c = Console::new(&app);
    let page = c.get("/console/clients").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(page.header("location").starts_with("/console/sign-in"));

    let bad = c.sign_in("ck_not_a_key").await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert!(bad.headers.get(header::SET_COOKIE).is_none());
    assert!(bad
        .body
        .contains("The API key is invalid or has been revoked"));
    assert!(
        !bad.body.contains("ck_not_a_key"),
        "the credential is echoed"
    );

    let ok = c.sign_in(&app.key).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(ok.header("location"), "/console/clients");
    let cookie = ok.header("set-cookie");
    for part in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/console"] {
        assert!(cookie.contains(part), "{part} missing: {cookie}");
    }
    assert!(
        !cookie.contains(&app.key),
        "the cookie must not hold the key"
    );
    let list = c.get("/console/clients").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("Clients"));
    assert!(
        !list.body.contains(&app.key),
        "the key must never reach a page"
    );
}

#[tokio::test]
async fn a_jwt_signs_in_too() {
    let mut config = Config::default();
    let secret = "console-test-secret-of-at-least-32-bytes";
    config.jwt = Some(std::sync::Arc::new(
        JwtVerifier::hs256(&Secret::new(secret.into())).expect("verifier"),
    ));
    let app = spawn_app!(config);
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        + 600;
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({"sub": "anna", "tenant": "acme", "exp": exp, "permissions": ["clients:read"]}),
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("token");
    let mut c = Console::new(&app);
    assert_eq!(c.sign_in(&token).await.status, StatusCode::SEE_OTHER);
    let list = c.get("/console/clients").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.body.contains("acme · anna · read-only"),
        "{}",
        list.body
    );
    assert!(!list.body.contains(&token));
}

#[tokio::test]
async fn every_console_response_has_a_strict_content_security_policy() {
    let app = spawn_app!();
    let mut c = Console::new(&app);
    let sign_in = c.get("/console/sign-in").await;
    c.sign_in(&app.key).await;
    let list = c.get("/console/clients").await;
    let new = c.get("/console/clients/new").await;
    for page in [&sign_in, &list, &new] {
        assert_eq!(
            page.header("content-security-policy"),
            CONTENT_SECURITY_POLICY
        );
        assert_eq!(page.header("x-frame-options"), "DENY");
        assert_eq!(page.header("cache-control"), "no-store");
        assert!(page.header("content-type").starts_with("text/html"));
        // No inline code: every script has a src, no style attributes or elements, no handlers.
        for bad in [
            "<script>",
            "<style",
            " style=",
            " onclick=",
            " onload=",
            "javascript:",
        ] {
            assert!(!page.body.contains(bad), "{bad} in {}", page.body);
        }
        assert!(page.body.contains(r#"<script src="/console/assets/"#));
    }
    assert!(CONTENT_SECURITY_POLICY.contains("script-src 'self'"));
    assert!(CONTENT_SECURITY_POLICY.contains("frame-ancestors 'none'"));
    assert!(!CONTENT_SECURITY_POLICY.contains("unsafe"));
    // Assets: immutable under a content hash, and also under the policy.
    let css = sign_in
        .body
        .split('"')
        .find(|s| s.ends_with("console.css"))
        .expect("css link")
        .to_string();
    let asset = c.get(&css).await;
    assert_eq!(asset.status, StatusCode::OK);
    assert!(asset.header("cache-control").contains("immutable"));
    assert_eq!(
        asset.header("content-security-policy"),
        CONTENT_SECURITY_POLICY
    );
}

#[tokio::test]
async fn changes_without_the_sessions_csrf_token_are_refused() {
    let app = spawn_app!();
    let client = app.create(json!({"name": "Acme AB"})).await;
    let id = client["id"].as_str().expect("id").to_string();
    let contact = app
        .post(
            &format!("/v1/clients/{id}/contact-persons"),
            json!({"name": "Eva"}),
        )
        .await;
    let cid = contact.data()["id"].as_str().expect("id").to_string();
    let (key_id, _) = clientele_api::keys::issue_key(
        app.store.as_ref(),
        app.tenant.id,
        vec![Permission::ClientsRead],
        None,
        None,
    )
    .await
    .expect("key");
    let mut c = Console::new(&app);
    c.sign_in(&app.key).await;
    let token = c.csrf().await;
    assert_eq!(token.len(), 43);

    let routes = [
        "/console/clients".to_string(),
        format!("/console/clients/{id}"),
        format!("/console/clients/{id}/archive"),
        format!("/console/clients/{id}/contacts"),
        format!("/console/clients/{id}/contacts/{cid}"),
        format!("/console/clients/{id}/contacts/{cid}/delete"),
        "/console/keys".to_string(),
        format!("/console/keys/{}/revoke", key_id.id),
        "/console/sign-out".to_string(),
    ];
    for route in &routes {
        let form = [("name", "Changed"), ("version", "1"), ("archived", "true")];
        let missing = c.post(route, &form).await;
        assert_eq!(
            missing.status,
            StatusCode::FORBIDDEN,
            "{route} without token"
        );
        assert!(missing.body.contains("CSRF check failed"), "{route}");
        let wrong = c
            .post(
                route,
                &[("name", "Changed"), ("version", "1"), ("csrf", "x")],
            )
            .await;
        assert_eq!(
            wrong.status,
            StatusCode::FORBIDDEN,
            "{route} with a wrong token"
        );
    }
    // A right token from another site is refused too.
    let cross = c
        .send(
            c.http
                .post(app.url("/console/clients"))
                .header(header::ORIGIN, "https://evil.example")
                .form(&[("name", "Evil"), ("csrf", token.as_str())]),
        )
        .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    // Nothing changed: one client, not archived, its contact, the key alive, still signed in.
    assert_eq!(client_count(&app).await, 1);
    let now = app.get(&format!("/v1/clients/{id}")).await;
    assert_eq!(now.data()["version"], 1);
    assert_eq!(now.data()["archived"], false);
    let keys = app.get("/v1/api-keys").await;
    assert!(keys
        .data()
        .as_array()
        .expect("keys")
        .iter()
        .all(|k| k["revoked_at"].is_null()));
    assert_eq!(c.get("/console/clients").await.status, StatusCode::OK);

    // With the token, the same form goes through.
    let ok = c
        .post("/console/clients", &[("name", "Beta AB"), ("csrf", &token)])
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(client_count(&app).await, 2);
}

#[tokio::test]
async fn a_read_only_credential_sees_no_edit_controls_and_is_refused_anyway() {
    let app = spawn_app!();
    let client = app
        .create(json!({"name": "Acme AB", "email": "anna@acme.example"}))
        .await;
    let id = client["id"].as_str().expect("id");
    let reader = app.key_with(&[Permission::ClientsRead]).await;
    let mut c = Console::new(&app);
    c.sign_in(&reader).await;
    let list = c.get("/console/clients").await;
    assert!(list.body.contains("Acme AB"));
    assert!(!list.body.contains("New client"), "no create control");
    assert!(!list.body.contains("API keys"), "no admin link");
    let detail = c.get(&format!("/console/clients/{id}")).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(detail.body.contains("anna@acme.example"));
    for control in [">Edit<", ">Archive<", "Add contact person", "/archive\""] {
        assert!(
            !detail.body.contains(control),
            "{control} shown to a reader"
        );
    }
    assert!(detail
        .body
        .contains("This credential lacks the audit:read permission"));

    let token = detail.csrf();
    let path = format!("/console/clients/{id}");
    let edit = c
        .post(
            &path,
            &[("name", "Hacked"), ("version", "1"), ("csrf", &token)],
        )
        .await;
    assert_eq!(edit.status, StatusCode::FORBIDDEN);
    assert!(edit.body.contains("lacks the clients:write permission"));
    let archive = c
        .post(
            &format!("{path}/archive"),
            &[("archived", "true"), ("version", "1"), ("csrf", &token)],
        )
        .await;
    assert_eq!(archive.status, StatusCode::FORBIDDEN);
    let create = c
        .post("/console/clients", &[("name", "New"), ("csrf", &token)])
        .await;
    assert_eq!(create.status, StatusCode::FORBIDDEN);
    assert_eq!(
        c.get("/console/clients/new").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(c.get("/console/keys").await.status, StatusCode::FORBIDDEN);
    let key = c
        .post(
            "/console/keys",
            &[("permissions", "admin"), ("csrf", &token)],
        )
        .await;
    assert_eq!(key.status, StatusCode::FORBIDDEN);
    let now = app.get(&path.replace("/console", "/v1")).await;
    assert_eq!(now.data()["name"], "Acme AB");
    assert_eq!(now.data()["version"], 1);
    assert_eq!(client_count(&app).await, 1);
}

#[tokio::test]
async fn signing_out_ends_the_session_and_clears_the_cookie() {
    let app = spawn_app!();
    let mut c = Console::new(&app);
    c.sign_in(&app.key).await;
    let token = c.csrf().await;
    let out = c.post("/console/sign-out", &[("csrf", &token)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.header("location"), "/console/sign-in?notice=signed-out");
    let cleared = out.header("set-cookie");
    assert!(cleared.starts_with("clientele_console=;") && cleared.contains("Max-Age=0"));
    // The old cookie is worth nothing now.
    let again = c.get("/console/clients").await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert!(again.header("location").starts_with("/console/sign-in"));
    // Search-as-you-type (htmx) is sent to sign-in as a whole page, not a swapped fragment.
    let hx = c
        .send(
            c.http
                .get(app.url("/console/clients?search=a"))
                .header("hx-request", "true"),
        )
        .await;
    assert_eq!(hx.status, StatusCode::NO_CONTENT);
    assert!(hx.header("hx-redirect").starts_with("/console/sign-in"));
    assert_eq!(hx.header("location"), "");
}

#[tokio::test]
async fn revoking_the_key_ends_its_console_sessions_at_once() {
    let app = spawn_app!();
    let (key, plain) = clientele_api::keys::issue_key(
        app.store.as_ref(),
        app.tenant.id,
        vec![Permission::ClientsRead],
        None,
        None,
    )
    .await
    .expect("key");
    let mut c = Console::new(&app);
    c.sign_in(&plain).await;
    assert_eq!(c.get("/console/clients").await.status, StatusCode::OK);
    let r = app.delete(&format!("/v1/api-keys/{}", key.id)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let after = c.get("/console/clients").await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert!(
        after.header("location").contains("notice=revoked"),
        "{}",
        after.header("location")
    );
}

#[tokio::test]
async fn validation_errors_are_the_apis_and_sit_next_to_their_fields() {
    let app = spawn_app!();
    let mut c = Console::new(&app);
    c.sign_in(&app.key).await;
    let token = c.csrf().await;
    let page = c
        .post(
            "/console/clients",
            &[
                ("name", "Acme AB"),
                ("email", "not-an-address"),
                ("credit.limit", "100"),
                ("address.country", "Sweden"),
                ("csrf", &token),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The API's own messages, each under its input, with the input marked invalid.
    for (field, message) in [
        ("email", "must be a valid e-mail address"),
        ("credit.currency", "is required when limit or used is set"),
        (
            "address.country",
            "must be an ISO 3166-1 alpha-2 country code",
        ),
    ] {
        let marker = format!(r#"<p class="error" id="e-{field}">{message}"#);
        assert!(page.body.contains(&marker), "{marker} missing");
        assert!(
            page.body
                .contains(&format!(r#"aria-describedby="e-{field}"#))
                || page.body.contains(&format!("e-{field} h-{field}"))
        );
    }
    assert!(page.body.contains("3 fields need attention"));
    // What was typed is kept.
    assert!(page.body.contains(r#"value="not-an-address""#));
    assert_eq!(client_count(&app).await, 0);
}

#[tokio::test]
async fn an_edit_from_a_stale_version_is_a_conflict_not_an_overwrite() {
    let app = spawn_app!();
    let client = app
        .create(json!({"name": "Acme AB", "notes": "first"}))
        .await;
    let id = client["id"].as_str().expect("id");
    let mut c = Console::new(&app);
    c.sign_in(&app.key).await;
    let form = c.get(&format!("/console/clients/{id}/edit")).await;
    assert!(form.body.contains(r#"name="version" value="1""#));
    let token = form.csrf();
    // Someone else changes the client through the API meanwhile.
    let other = app
        .patch(&format!("/v1/clients/{id}"), json!({"notes": "theirs"}))
        .await;
    assert_eq!(other.data()["version"], 2);
    let path = format!("/console/clients/{id}");
    let page = c
        .post(
            &path,
            &[
                ("name", "Acme AB"),
                ("kind", "organization"),
                ("status", "active"),
                ("notes", "mine"),
                ("version", "1"),
                ("csrf", &token),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(page.body.contains("Someone else changed this record"));
    assert!(page
        .body
        .contains("Saved meanwhile: <strong>theirs</strong>"));
    assert!(page.body.contains(r#"name="version" value="2""#));
    let now = app.get(&format!("/v1/clients/{id}")).await;
    assert_eq!(now.data()["notes"], "theirs");
    // Submitting again, knowingly, from the version now shown, saves.
    let again = c
        .post(
            &path,
            &[
                ("name", "Acme AB"),
                ("kind", "organization"),
                ("status", "active"),
                ("notes", "mine"),
                ("version", "2"),
                ("csrf", &token),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    let now = app.get(&format!("/v1/clients/{id}")).await;
    assert_eq!(now.data()["notes"], "mine");
    assert_eq!(now.data()["version"], 3);
}

#[tokio::test]
async fn the_history_shows_changes_masked_as_in_the_audit_trail() {
    let app = spawn_app!();
    let client = app
        .create(json!({"name": "Acme AB", "email": "anna.secret@acme.example", "notes": "a"}))
        .await;
    let id = client["id"].as_str().expect("id");
    app.patch(
        &format!("/v1/clients/{id}"),
        json!({"notes": "b", "email": "berit.secret@acme.example"}),
    )
    .await;
    let mut c = Console::new(&app);
    c.sign_in(&app.key).await;
    let page = c.get(&format!("/console/clients/{id}")).await;
    let history = &page.body[page.body.find(r#"id="history""#).expect("history")..];
    assert!(history.contains("client updated"));
    assert!(history.contains(r#"<td class="old">a</td><td class="new">b</td>"#));
    assert!(!history.contains("anna.secret"), "unmasked old value");
    assert!(!history.contains("berit.secret"), "unmasked new value");
    assert!(history.contains("***le"));
    // The field itself is shown in full to someone allowed to read the client.
    assert!(page.body.contains("berit.secret@acme.example"));
}

#[tokio::test]
async fn the_first_page_weighs_well_under_200_kib() {
    let app = spawn_app!();
    for i in 0..30 {
        app.create(
            json!({"name": format!("Client {i} with a fairly long company name AB"),
            "address": {"city": "Göteborg", "country": "SE"},
            "credit": {"limit": 125000.5, "currency": "SEK", "creditworthiness": "good"}}),
        )
        .await;
    }
    let mut c = Console::new(&app);
    let sign_in = c.get("/console/sign-in").await;
    c.sign_in(&app.key).await;
    let list = c.get("/console/clients").await;
    let mut total = 0;
    for page in [&sign_in, &list] {
        let mut bytes = page.body.len();
        for name in ["console.css", "htmx.min.js", "favicon.svg"] {
            let url = page
                .body
                .split('"')
                .find(|s| s.ends_with(name))
                .expect("asset link")
                .to_string();
            let res = c
                .http
                .get(app.url(&url))
                .header(header::ACCEPT_ENCODING, "gzip, deflate, br")
                .send()
                .await
                .expect("asset");
            bytes += res.bytes().await.expect("body").len();
        }
        eprintln!("page weight: {bytes} bytes (HTML {})", page.body.len());
        assert!(bytes < 200 * 1024, "{bytes} bytes");
        total = total.max(bytes);
    }
    assert!(total < 100 * 1024, "{total}");
}

#[tokio::test]
async fn the_console_is_not_part_of_the_api_document() {
    let app = spawn_app!();
    let doc = reqwest::get(app.url("/openapi.json"))
        .await
        .expect("doc")
        .text()
        .await
        .expect("text");
    assert!(!doc.contains("/console"));
}
