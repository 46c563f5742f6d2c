//! The HTTP API: one `router` function used by the binary and the tests alike.

pub mod auth;
pub mod config;
pub mod envelope;
pub mod error;
pub mod extract;
pub mod health;
pub mod idempotency;
pub mod jwt;
pub mod keys;
pub mod logging;
pub mod openapi;
pub mod ratelimit;
pub mod request_id;
pub mod v1;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use clientele_core::Store;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::timeout::TimeoutLayer;
use utoipa::{Modify as _, OpenApi as _};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::{AuthState, Identity, PermissionTable};
use crate::config::Config;
use crate::error::ApiError;
use crate::extract::BODY_LIMIT;
use crate::v1::{api_keys, audit, clients, me, subresources as sub};

/// Everything a handler may need, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// Set on shutdown: `/readyz` answers 503 so load balancers stop sending traffic.
    pub draining: Arc<AtomicBool>,
    pub config: Arc<Config>,
}

impl AppState {
    /// A state with the default configuration: no JWT, in-process rate limits, CORS off.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self::with_config(store, Config::default())
    }

    pub fn with_config(store: Arc<dyn Store>, config: Config) -> Self {
        Self {
            store,
            draining: Arc::new(AtomicBool::new(false)),
            config: Arc::new(config),
        }
    }
}

/// The `/v1` routes with their documentation. Each handler is registered once; its OpenAPI
/// operation (including the permission in `security`) comes from the same registration.
fn v1_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(clients::list_clients, clients::create_client))
        .routes(routes!(
            clients::get_client,
            clients::replace_client,
            clients::patch_client,
            clients::delete_client
        ))
        .routes(routes!(
            clients::get_client_by_external_id,
            clients::upsert_client_by_external_id
        ))
        .routes(routes!(
            sub::list_contact_persons,
            sub::create_contact_person
        ))
        .routes(routes!(
            sub::get_contact_person,
            sub::replace_contact_person,
            sub::patch_contact_person,
            sub::delete_contact_person
        ))
        .routes(routes!(sub::get_contact_person_by_external_id))
        .routes(routes!(sub::list_locations, sub::create_location))
        .routes(routes!(
            sub::get_location,
            sub::replace_location,
            sub::patch_location,
            sub::delete_location
        ))
        .routes(routes!(sub::list_accounts, sub::create_account))
        .routes(routes!(
            sub::get_account,
            sub::replace_account,
            sub::patch_account,
            sub::delete_account
        ))
        .routes(routes!(audit::client_history))
        .routes(routes!(audit::list_events))
        .routes(routes!(api_keys::list_api_keys, api_keys::create_api_key))
        .routes(routes!(api_keys::revoke_api_key))
        .routes(routes!(me::get_me))
}

fn public_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
}

/// All routes and the completed document describing them, from one registration.
fn assemble() -> (Router<AppState>, Router<AppState>, utoipa::openapi::OpenApi) {
    let (v1, mut doc) = v1_routes().split_for_parts();
    let (public, public_doc) = public_routes().split_for_parts();
    doc.merge(public_doc);
    openapi::Completion.modify(&mut doc);
    (v1, public, doc)
}

/// The OpenAPI document served at `/openapi.json` and printed by `clientele openapi`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    assemble().2
}

/// Builds the whole application. The binary and the tests both serve exactly this.
///
/// Layers, outermost first: request id, access log, error normalisation, CORS (only when
/// configured), header-size limit, security headers, the `/v1` gate (authentication, rate
/// limit, permission), catch-panic, timeout, body limit.
pub fn router(state: AppState) -> Router {
    let (v1, public, doc) = assemble();
    let permissions = match PermissionTable::from_openapi(&doc) {
        Ok(t) => t,
        Err(e) => {
            // A route declared an unknown permission: refuse everything rather than guess.
            tracing::error!(error = %e, "invalid permission declaration; /v1 refuses all requests");
            PermissionTable::refusing()
        }
    };
    let auth_state = AuthState {
        store: state.store.clone(),
        permissions: Arc::new(permissions),
        config: state.config.clone(),
    };
    // The idempotency layer runs after routing, inside the `/v1` gate that put the caller on the
    // request, and only on the routes it applies to.
    let v1 = v1.route_layer(middleware::from_fn_with_state(
        state.clone(),
        idempotency::layer,
    ));
    let config = state.config.clone();

    let docs = SwaggerUi::new("/docs").url("/openapi.json", doc).config(
        utoipa_swagger_ui::Config::from("/openapi.json")
            .validator_url("none")
            .try_it_out_enabled(true),
    );

    let max_header_bytes = config.max_header_bytes;
    let mut app = Router::new()
        .merge(v1)
        .merge(public)
        .merge(docs)
        .fallback(not_found)
        .with_state(state)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            config.request_timeout,
        ))
        .layer(CatchPanicLayer::custom(|_| {
            // The panic hook (`logging::install_panic_hook`) already logged it, masked.
            ApiError::internal("handler panicked").into_response()
        }))
        .layer(middleware::from_fn_with_state(auth_state, auth::layer))
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            limit_headers(max_header_bytes, req, next)
        }));
    if !config.cors_origins.is_empty() {
        app = app.layer(cors(&config.cors_origins));
    }
    app.layer(middleware::from_fn(normalize_errors))
        .layer(middleware::from_fn(access_log))
        .layer(middleware::from_fn(request_id::layer))
}

/// Browsers may call the API only from the configured origins; credentials travel in headers
/// (never cookies), so no `Access-Control-Allow-Credentials`.
fn cors(origins: &[HeaderValue]) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins.iter().cloned()))
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            HeaderName::from_static("x-api-key"),
            HeaderName::from_static("tenant"),
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            HeaderName::from_static("x-request-id"),
            HeaderName::from_static("ratelimit-limit"),
            HeaderName::from_static("ratelimit-remaining"),
            HeaderName::from_static("ratelimit-reset"),
            HeaderName::from_static("ratelimit-policy"),
            HeaderName::from_static("idempotent-replayed"),
        ])
        .max_age(std::time::Duration::from_secs(600))
}

/// Refuses requests whose headers (names and values together) exceed the configured size.
async fn limit_headers(max: usize, req: Request, next: Next) -> Response {
    let size: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len())
        .sum();
    if size > max {
        return ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "BAD_REQUEST",
            format!("The request headers exceed the limit of {max} bytes"),
        )
        .into_response();
    }
    next.run(req).await
}

/// `nosniff` everywhere; `/v1` answers are tenant data and must not be cached by intermediaries.
async fn security_headers(req: Request, next: Next) -> Response {
    let v1 = req.uri().path().starts_with("/v1");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    if v1 {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

async fn not_found() -> ApiError {
    ApiError::not_found("No such route")
}

/// Errors produced outside our handlers (405 from routing, 408 from the timeout) get the same
/// JSON envelope as ours; headers such as `Allow` are kept.
async fn normalize_errors(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if status.as_u16() < 400 || is_json {
        return res;
    }
    let (parts, _) = res.into_parts();
    let message = match status {
        StatusCode::METHOD_NOT_ALLOWED => "This method is not allowed on this route; see Allow",
        StatusCode::SERVICE_UNAVAILABLE => "The request took too long and was abandoned",
        _ => status.canonical_reason().unwrap_or("Error"),
    };
    let mut out = ApiError::new(status, ApiError::code_for(status), message).into_response();
    *out.extensions_mut() = parts.extensions;
    for (k, v) in parts.headers.iter() {
        if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
            out.headers_mut().insert(k.clone(), v.clone());
        }
    }
    out
}

/// One line per request: method, route template (never the raw path, which may hold ids or
/// external ids), status, latency, request id, tenant and actor (`-` when unauthenticated).
async fn access_log(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string());
    let res = next.run(req).await;
    let route = route.unwrap_or_else(|| "-".into());
    let (tenant, actor) = res
        .extensions()
        .get::<Identity>()
        .map(|i| (i.tenant.as_str(), i.actor.as_str()))
        .unwrap_or(("-", "-"));
    tracing::info!(
        request_id = %request_id::current(),
        %method,
        route,
        status = res.status().as_u16(),
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        tenant,
        actor,
        "request"
    );
    res
}
