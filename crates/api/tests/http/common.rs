//! Test harness: the real router on 127.0.0.1 port 0, on a fresh store per test: an SQLite file,
//! or with `CLIENTELE_TEST_BACKEND=postgres` a new database on `CLIENTELE_TEST_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432/test`), dropped when the test ends. Without a
//! reachable server the PostgreSQL half prints `skipped: no PostgreSQL at <url>` and passes.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use clientele_api::config::Config;
use clientele_api::server::{self, ServerLimits};
use clientele_api::{keys, router, AppState};
use clientele_core::enums::Permission;
use clientele_core::types::TenantName;
use clientele_core::{Store, Tenant};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::Value;

pub struct TestApp {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    pub store: Arc<dyn Store>,
    pub tenant: Tenant,
    /// An `admin` key of `tenant`.
    pub key: String,
    /// The SQLite file behind `store` (empty on PostgreSQL).
    pub db_path: std::path::PathBuf,
    /// The URL `store` was opened with.
    pub url: String,
    /// The database URL behind `store`.
    pub db_url: String,
    _backing: Backing,
}

/// What holds the test's data; dropping it removes the data.
pub enum Backing {
    Sqlite(tempfile::TempDir),
    Postgres(clientele_store::testing::TestDatabase),
}

impl Backing {
    /// A fresh store location, or `None` (after printing why) when the test must be skipped.
    pub fn new() -> Option<(Self, String)> {
        use clientele_store::testing;
        if testing::backend_is_postgres() {
            let server = testing::postgres_url();
            match testing::TestDatabase::create(&server) {
                Ok(db) => {
                    let url = db.url().to_string();
                    Some((Backing::Postgres(db), url))
                }
                Err(e) => {
                    clientele_store::testing::skip(&format!("no PostgreSQL at {server} ({e})"));
                    None
                }
            }
        } else {
            let dir = tempfile::tempdir().expect("tempdir");
            let url = format!("sqlite://{}", dir.path().join("test.db").display());
            Some((Backing::Sqlite(dir), url))
        }
    }
}

/// `let app = spawn_app!();` starts a [`TestApp`], or ends the test (passing) when its backend
/// is not available here.
#[macro_export]
macro_rules! spawn_app {
    () => {
        match TestApp::spawn().await {
            Some(app) => app,
            None => return,
        }
    };
    ($config:expr) => {
        match TestApp::spawn_with($config).await {
            Some(app) => app,
            None => return,
        }
    };
}

/// Serves the real router for `state` on 127.0.0.1, port 0, as the binary does: with the
/// server loop and its default limits.
pub async fn serve(state: AppState) -> SocketAddr {
    serve_with(state, ServerLimits::default()).await
}

/// Serves the real router with the server loop and these limits.
pub async fn serve_with(state: AppState, limits: ServerLimits) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = router(state);
    tokio::spawn(server::serve(listener, app, limits, std::future::pending()));
    addr
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the error envelope and returns the `details` as (field, code) pairs.
    pub fn error(&self, status: u16, code: &str) -> Vec<(String, String)> {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(self.body["success"], false, "{}", self.body);
        assert_eq!(self.body["status"], status, "{}", self.body);
        assert_eq!(self.body["error"], code, "{}", self.body);
        assert!(self.body["message"].as_str().is_some_and(|m| !m.is_empty()));
        let rid = self.body["request_id"].as_str().unwrap_or("");
        assert_eq!(
            Some(rid),
            self.header("x-request-id"),
            "request_id must match the header"
        );
        self.body["details"]
            .as_array()
            .expect("details is an array")
            .iter()
            .map(|d| {
                (
                    d["field"].as_str().unwrap_or("").to_string(),
                    d["code"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    }

    pub fn data(&self) -> &Value {
        assert!(
            self.status.is_success(),
            "status {}: {}",
            self.status,
            self.body
        );
        assert_eq!(self.body["success"], true);
        &self.body["data"]
    }
}

impl TestApp {
    /// `None` when the backend under test is not reachable (the test then passes as skipped).
    pub async fn spawn() -> Option<Self> {
        Self::spawn_with(Config::default()).await
    }

    /// The app with a non-default configuration (JWT keys, rate limits, CORS, ...).
    pub async fn spawn_with(config: Config) -> Option<Self> {
        let (backing, url) = Backing::new()?;
        Some(Self::spawn_on(backing, &url, config).await)
    }

    /// The app with these server limits (timeouts, connection cap).
    pub async fn spawn_with_limits(config: Config, limits: ServerLimits) -> Option<Self> {
        let (backing, url) = Backing::new()?;
        Some(Self::spawn_on_with(backing, &url, config, limits).await)
    }

    /// The app on the store at `url`, which `backing` keeps alive.
    pub async fn spawn_on(backing: Backing, url: &str, config: Config) -> Self {
        Self::spawn_on_with(backing, url, config, ServerLimits::default()).await
    }

    async fn spawn_on_with(
        backing: Backing,
        url: &str,
        config: Config,
        limits: ServerLimits,
    ) -> Self {
        let store = clientele_store::open(url).expect("open store");
        store.migrate().await.expect("migrate");
        let tenant = store
            .create_tenant(&TenantName::parse("acme").expect("name"))
            .await
            .expect("tenant");
        let (_, key) = keys::issue_key(
            store.as_ref(),
            tenant.id,
            vec![Permission::Admin],
            None,
            None,
        )
        .await
        .expect("key");
        let addr = serve_with(AppState::with_config(store.clone(), config), limits).await;
        let db_path = match &backing {
            Backing::Sqlite(dir) => dir.path().join("test.db"),
            Backing::Postgres(_) => std::path::PathBuf::new(),
        };
        Self {
            addr,
            http: reqwest::Client::builder()
                .no_proxy()
                .timeout(std::time::Duration::from_secs(20))
                .build()
                .expect("client"),
            store,
            tenant,
            key,
            db_path,
            url: url.to_string(),
            db_url: url.to_string(),
            _backing: backing,
        }
    }

    /// A second server on the same database with its own store (another instance, as another
    /// process would be): its address and its store.
    pub async fn second_instance(&self) -> (SocketAddr, Arc<dyn Store>) {
        let store = clientele_store::open(&self.db_url).expect("open store");
        let addr = serve(AppState::new(store.clone())).await;
        (addr, store)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A key of this app's tenant with exactly these permissions.
    pub async fn key_with(&self, perms: &[Permission]) -> String {
        keys::issue_key(
            self.store.as_ref(),
            self.tenant.id,
            perms.to_vec(),
            None,
            None,
        )
        .await
        .expect("key")
        .1
    }

    /// A second tenant with its own admin key.
    pub async fn other_tenant(&self, name: &str) -> (Tenant, String) {
        let t = self
            .store
            .create_tenant(&TenantName::parse(name).expect("name"))
            .await
            .expect("tenant");
        let (_, key) = keys::issue_key(
            self.store.as_ref(),
            t.id,
            vec![Permission::Admin],
            None,
            None,
        )
        .await
        .expect("key");
        (t, key)
    }

    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .header("x-api-key", &self.key)
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        let res = req.send().await.expect("request");
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut req = self.request(method, path);
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        self.send(req).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(body)).await
    }
    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.call(Method::PUT, path, Some(body)).await
    }
    pub async fn patch(&self, path: &str, body: Value) -> Reply {
        self.call(Method::PATCH, path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> Reply {
        self.call(Method::DELETE, path, None).await
    }

    /// Creates a client and returns its body.
    pub async fn create(&self, body: Value) -> Value {
        let r = self.post("/v1/clients", body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.body["data"].clone()
    }
}
