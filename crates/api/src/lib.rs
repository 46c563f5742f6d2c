//! The HTTP API: one `router` function used by the binary and the tests alike.

pub mod auth;
pub mod envelope;
pub mod error;
pub mod extract;
pub mod idempotency;
pub mod keys;
pub mod openapi;
pub mod request_id;
pub mod routes;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use clientele_core::Store;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use utoipa::{Modify as _, OpenApi as _};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::auth::{AuthState, PermissionTable};
use crate::error::ApiError;
use crate::extract::BODY_LIMIT;
use crate::routes::{audit, clients, health, subresources as sub};

/// Everything a handler may need, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// Set on shutdown: `/readyz` answers 503 so load balancers stop sending traffic.
    pub draining: Arc<AtomicBool>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            draining: Arc::new(AtomicBool::new(false)),
        }
    }
}

/// Longest a request may take before it is answered with an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

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
    };
    // Route layers run outermost-last: auth first, then idempotency (which needs the caller).
    let v1 = v1
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            idempotency::layer,
        ))
        .route_layer(middleware::from_fn_with_state(auth_state, auth::layer));

    let docs = SwaggerUi::new("/docs").url("/openapi.json", doc).config(
        Config::from("/openapi.json")
            .validator_url("none")
            .try_it_out_enabled(true),
    );

    Router::new()
        .merge(v1)
        .merge(public)
        .merge(docs)
        .fallback(not_found)
        .with_state(state)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::internal("handler panicked").into_response()
        }))
        .layer(middleware::from_fn(normalize_errors))
        .layer(middleware::from_fn(access_log))
        .layer(middleware::from_fn(request_id::layer))
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
    for (k, v) in parts.headers.iter() {
        if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
            out.headers_mut().insert(k.clone(), v.clone());
        }
    }
    out
}

/// One line per request: method, route template (never the raw path, which may hold ids or
/// external ids), status, latency, request id.
async fn access_log(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string());
    let mut res = next.run(req).await;
    let route = route.unwrap_or_else(|| "-".into());
    res.headers_mut().insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    tracing::info!(
        request_id = %request_id::current(),
        %method,
        route,
        status = res.status().as_u16(),
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    res
}
