//! The policy mechanism, proven on a test-only surface mounted beside `/v1`: the credential
//! policies, a surface's own budget, the surface's error rendering, and permissions read from
//! each route's documentation.

use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router};
use clientele_core::enums::Permission;
use clientele_core::tenant::RateLimit;
use clientele_core::types::TenantName;
use clientele_core::{Caller, Store};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::json;
use tower::ServiceExt as _;
use utoipa_axum::routes;

use super::*;
use crate::config::{Config, Secret};
use crate::jwt::JwtVerifier;
use crate::keys::issue_key;

const SECRET: &str = "a-test-secret-of-at-least-32-bytes!!";

/// The caller's actor.
#[utoipa::path(get, path = "/t/ping", tag = "test",
    responses((status = 200, description = "The caller's actor")),
    security(("api_key" = ["clients:read"])))]
async fn ping(Extension(caller): Extension<Caller>) -> String {
    caller.actor
}

/// The caller's actor, on a second route of the same surface.
#[utoipa::path(get, path = "/t/pong", tag = "test",
    responses((status = 200, description = "The caller's actor")),
    security(("api_key" = ["clients:read"])))]
async fn pong(Extension(caller): Extension<Caller>) -> String {
    caller.actor
}

/// The caller's actor, declared as [`Credentials::JwtKeyAndTenant`] asks: one requirement
/// naming both credentials and the tenant header.
#[utoipa::path(get, path = "/t/ping", tag = "test",
    responses((status = 200, description = "The caller's actor")),
    security(("api_key" = ["clients:read"], "bearer" = ["clients:read"], "tenant" = [])))]
async fn ping_together(Extension(caller): Extension<Caller>) -> String {
    caller.actor
}

/// The caller's actor, declared as [`Credentials::JwtOnly`] asks: under `bearer` alone.
#[utoipa::path(get, path = "/t/ping", tag = "test",
    responses((status = 200, description = "The caller's actor")),
    security(("bearer" = ["clients:read"])))]
async fn ping_bearer(Extension(caller): Extension<Caller>) -> String {
    caller.actor
}

/// Declares no permission: refused, whoever calls.
#[utoipa::path(get, path = "/t/bare", tag = "test",
    responses((status = 200, description = "Never")))]
async fn bare() -> &'static str {
    "unreachable"
}

fn no_replay<'a>(_: &'a dyn Store, _: Committed<'a>) -> Rendered<'a> {
    Box::pin(async { Err(ApiError::internal("the test surface replays nothing")) })
}

/// Errors in another JSON shape than the native envelope: `{"fault": "E<CODE>"}`.
fn plain(e: ApiError) -> Response {
    (
        e.status,
        axum::Json(json!({ "fault": format!("E{}", e.code) })),
    )
        .into_response()
}

fn test_surface(
    credentials: Credentials,
    budget: Budget,
    render_error: fn(ApiError) -> Response,
) -> Surface {
    let surface = Surface::new(
        "/t",
        Policy {
            credentials,
            budget,
            cache_control: None,
            render_error,
            render_committed: no_replay,
        },
    )
    .routes(routes!(bare));
    // Each route declares the credentials of the policy (else the surface refuses all).
    if credentials == Credentials::JwtKeyAndTenant {
        surface.routes(routes!(ping_together))
    } else if credentials == Credentials::JwtOnly {
        surface.routes(routes!(ping_bearer))
    } else {
        surface.routes(routes!(ping)).routes(routes!(pong))
    }
}

/// A surface whose route declares other credentials than its policy enforces.
fn misdeclared() -> Surface {
    Surface::new(
        "/t",
        Policy {
            credentials: Credentials::JwtKeyAndTenant,
            budget: Budget::PerCredential,
            cache_control: None,
            render_error: native_error,
            render_committed: no_replay,
        },
    )
    .routes(routes!(ping))
}

struct Fixture {
    _dir: tempfile::TempDir,
    app: Router,
    /// Keys of tenant `acme`: `clients:read`; `clients:write` only.
    reader: String,
    writer: String,
}

async fn fixture(surface: Surface) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = clientele_store::open(&url).expect("open");
    store.migrate().await.expect("migrate");
    let key = |name: &'static str, perms: Vec<Permission>| {
        let store = store.clone();
        async move {
            let tenant = match store.tenant_by_name(name).await.expect("tenant") {
                Some(t) => t,
                None => store
                    .create_tenant(&TenantName::parse(name).expect("name"))
                    .await
                    .expect("create"),
            };
            issue_key(store.as_ref(), tenant.id, perms, None, None)
                .await
                .expect("key")
                .1
        }
    };
    let reader = key("acme", vec![Permission::ClientsRead]).await;
    let writer = key("acme", vec![Permission::ClientsWrite]).await;
    key("other", vec![Permission::Admin]).await;
    let config = Config {
        jwt: Some(Arc::new(
            JwtVerifier::hs256(&Secret::new(SECRET.into())).expect("verifier"),
        )),
        // 1200 a day: a spent request does not come back while a test runs (at the server's
        // 1200 a minute one does every 50 ms, and a loaded machine makes counts drift).
        default_rate_limit: RateLimit {
            count: 1200,
            per_seconds: 86_400,
        },
        ..Config::default()
    };
    let state = AppState::with_config(store, config);
    let app = crate::router_with(state, vec![surface, crate::v1::surface()]);
    Fixture {
        _dir: dir,
        app,
        reader,
        writer,
    }
}

fn token(tenant: &str, permissions: &[&str]) -> String {
    let exp = time::OffsetDateTime::now_utc().unix_timestamp() + 600;
    let claims = json!({"sub": "user-1", "tenant": tenant, "exp": exp, "permissions": permissions});
    let jwt = encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("sign");
    format!("Bearer {jwt}")
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `fault` of the test surface's error shape.
    fn fault(&self) -> String {
        serde_json::from_str::<serde_json::Value>(&self.body).expect("json")["fault"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// The native error code of the body.
    fn code(&self) -> String {
        serde_json::from_str::<serde_json::Value>(&self.body).expect("json")["error"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }
}

async fn get(app: &Router, path: &str, headers: &[(&str, &str)]) -> Reply {
    let mut req = Request::get(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    let (parts, body) = res.into_parts();
    let body = to_bytes(body, 1 << 20).await.expect("body");
    Reply {
        status: parts.status,
        headers: parts.headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

#[tokio::test]
async fn jwt_only_accepts_a_bearer_token_and_not_an_api_key() {
    let f = fixture(test_surface(
        Credentials::JwtOnly,
        Budget::PerCredential,
        native_error,
    ))
    .await;
    let r = get(&f.app, "/t/ping", &[("x-api-key", &f.reader)]).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::UNAUTHORIZED, "UNAUTHORIZED")
    );
    let bearer = token("acme", &["clients:read"]);
    let r = get(&f.app, "/t/ping", &[("authorization", &bearer)]).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "user-1"));
    assert!(r.header("cache-control").is_none(), "the policy sets none");
    assert_eq!(r.header("ratelimit-limit"), Some("1200"));
    // Beside a token, a key is not a credential here: the request runs on the token alone.
    let r = get(
        &f.app,
        "/t/ping",
        &[("authorization", &bearer), ("x-api-key", "ck_not_a_key")],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    // `/v1` keeps its own policy: the key alone suffices there.
    let r = get(&f.app, "/v1/me", &[("x-api-key", &f.reader)]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn jwt_key_and_tenant_requires_all_three_and_grants_what_both_grant() {
    let f = fixture(test_surface(
        Credentials::JwtKeyAndTenant,
        Budget::PerCredential,
        native_error,
    ))
    .await;
    let bearer = token("acme", &["clients:read"]);
    let all = [
        ("authorization", bearer.as_str()),
        ("x-api-key", f.reader.as_str()),
        ("tenant", "acme"),
    ];
    let r = get(&f.app, "/t/ping", &all).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "user-1"));
    for left_out in 0..3 {
        let some: Vec<(&str, &str)> = all
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != left_out)
            .map(|(_, h)| *h)
            .collect();
        let r = get(&f.app, "/t/ping", &some).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (StatusCode::BAD_REQUEST, "BAD_REQUEST"),
            "without {}",
            all[left_out].0
        );
    }
    let other = [all[0], all[1], ("tenant", "other")];
    let r = get(&f.app, "/t/ping", &other).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::FORBIDDEN, "FORBIDDEN")
    );
    let bad_key = [all[0], ("x-api-key", "ck_nope"), all[2]];
    let r = get(&f.app, "/t/ping", &bad_key).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // The token grants clients:read, this key does not: the call may do what both grant.
    let writer = [all[0], ("x-api-key", f.writer.as_str()), all[2]];
    let r = get(&f.app, "/t/ping", &writer).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::FORBIDDEN, "FORBIDDEN")
    );
}

#[tokio::test]
async fn an_own_budget_is_shared_by_the_surfaces_routes_and_spent_by_no_other() {
    let limit = RateLimit {
        count: 2,
        per_seconds: 60,
    };
    let f = fixture(test_surface(
        Credentials::KeyOrJwt,
        Budget::Own { name: "t", limit },
        native_error,
    ))
    .await;
    let key = [("x-api-key", f.reader.as_str())];
    for _ in 0..3 {
        let r = get(&f.app, "/v1/me", &key).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.header("ratelimit-limit"), Some("1200"));
    }
    let r = get(&f.app, "/t/ping", &key).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("ratelimit-limit"), Some("2"));
    assert_eq!(r.header("ratelimit-remaining"), Some("1"));
    assert_eq!(r.header("ratelimit-policy"), Some("2;w=60"));
    let r = get(&f.app, "/t/pong", &key).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("ratelimit-remaining"), Some("0"));
    let r = get(&f.app, "/t/ping", &key).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED")
    );
    assert!(r.header("retry-after").is_some());
    // The credential's own budget is untouched.
    let r = get(&f.app, "/v1/me", &key).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("ratelimit-remaining"), Some("1196"));
}

#[tokio::test]
async fn the_layers_errors_are_rendered_the_surfaces_way() {
    let f = fixture(test_surface(
        Credentials::KeyOrJwt,
        Budget::PerCredential,
        plain,
    ))
    .await;
    let r = get(&f.app, "/t/ping", &[]).await;
    assert_eq!(
        (r.status, r.fault().as_str()),
        (StatusCode::UNAUTHORIZED, "EUNAUTHORIZED")
    );
    let r = get(&f.app, "/t/ping", &[("x-api-key", &f.writer)]).await;
    assert_eq!(
        (r.status, r.fault().as_str()),
        (StatusCode::FORBIDDEN, "EFORBIDDEN")
    );
    for unknown in ["/t", "/t/", "/t/nowhere/at/all"] {
        let r = get(&f.app, unknown, &[("x-api-key", &f.reader)]).await;
        assert_eq!(
            (r.status, r.fault().as_str()),
            (StatusCode::NOT_FOUND, "ENOT_FOUND"),
            "{unknown}"
        );
        assert_eq!(r.header("ratelimit-limit"), Some("1200"), "{unknown}");
    }
    // Paths that only start like the prefix are not the surface's.
    let r = get(&f.app, "/tea", &[("x-api-key", &f.reader)]).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::NOT_FOUND, "NOT_FOUND")
    );
    assert!(r.header("ratelimit-limit").is_none());
}

#[test]
fn credentials_declared_otherwise_than_the_policy_enforces_refuse_every_request() {
    // `ping` offers the API key alone; the policy needs JWT, key and tenant together.
    let (mount, _) = misdeclared().split();
    assert_eq!(
        mount.rules().requirement(&Method::GET, "/t/ping"),
        Some(Requirement::Undeclared)
    );
    // Declared together, the same permission is read back and enforced.
    let (mount, doc) = test_surface(
        Credentials::JwtKeyAndTenant,
        Budget::PerCredential,
        native_error,
    )
    .split();
    assert_eq!(
        mount.rules().requirement(&Method::GET, "/t/ping"),
        Some(Requirement::Permission(Permission::ClientsRead))
    );
    assert!(Credentials::KeyOrJwt.check_declared(&doc).is_err());
    // Bearer tokens only: the permission is declared under `bearer` alone, and an `api_key`
    // requirement (which would tell callers a key works) is a misdeclaration.
    let (mount, doc) =
        test_surface(Credentials::JwtOnly, Budget::PerCredential, native_error).split();
    assert_eq!(
        mount.rules().requirement(&Method::GET, "/t/ping"),
        Some(Requirement::Permission(Permission::ClientsRead))
    );
    assert!(Credentials::JwtOnly.check_declared(&doc).is_ok());
    let (_, key_doc) =
        test_surface(Credentials::KeyOrJwt, Budget::PerCredential, native_error).split();
    assert!(Credentials::JwtOnly.check_declared(&key_doc).is_err());
}

#[tokio::test]
async fn a_route_without_a_declared_permission_is_refused() {
    let (mount, _) =
        test_surface(Credentials::KeyOrJwt, Budget::PerCredential, native_error).split();
    assert_eq!(
        mount.rules().requirement(&Method::GET, "/t/ping"),
        Some(Requirement::Permission(Permission::ClientsRead))
    );
    assert_eq!(
        mount.rules().requirement(&Method::GET, "/t/bare"),
        Some(Requirement::Undeclared)
    );
    assert_eq!(mount.rules().requirement(&Method::POST, "/t/ping"), None);
    let f = fixture(test_surface(
        Credentials::KeyOrJwt,
        Budget::PerCredential,
        native_error,
    ))
    .await;
    let r = get(&f.app, "/t/bare", &[("x-api-key", &f.reader)]).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::FORBIDDEN, "FORBIDDEN")
    );
}
