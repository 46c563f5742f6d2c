//! The HTTP API: one `router` function used by the binary and the tests alike.

pub mod auth;
pub mod bulk;
pub mod config;
pub mod console;
pub mod dialects;
pub mod envelope;
pub mod error;
pub mod extract;
pub mod headers;
pub mod health;
pub mod idempotency;
pub mod jwt;
pub mod keys;
pub mod layers;
pub mod logging;
pub mod metrics;
pub mod openapi;
pub mod policy;
pub mod ratelimit;
pub mod request_id;
pub mod server;
pub mod state;
pub mod surface;
pub mod v1;
pub mod wire;

use axum::Router;
use tower::ServiceBuilder;
use utoipa::{Modify as _, OpenApi as _};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

use crate::layers::{guard, not_found};
pub use crate::state::AppState;
use crate::surface::{Mount, Surface};

/// Every API surface, each with its routes and policy (`surface.rs`). A new surface is its
/// module and one line here.
fn surfaces() -> Vec<Surface> {
    vec![
        v1::surface(),
        dialects::seed000::surface(),
        dialects::seed001::surface(),
        dialects::seed002::surface(),
        dialects::seed003::surface(),
        dialects::seed004::surface(),
    ]
}

fn public_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(metrics::scrape))
}

/// All routes and the completed document describing them, from one registration.
fn assemble(surfaces: Vec<Surface>) -> (Vec<Mount>, Router<AppState>, utoipa::openapi::OpenApi) {
    let mut doc = openapi::ApiDoc::openapi();
    let mut mounts = Vec::new();
    for surface in surfaces {
        let (mount, part) = surface.split();
        doc.merge(part);
        mounts.push(mount);
    }
    let (public, public_doc) = public_routes().split_for_parts();
    doc.merge(public_doc);
    openapi::Completion.modify(&mut doc);
    (mounts, public, doc)
}

/// The OpenAPI document served at `/openapi.json` and printed by `clientele openapi`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    assemble(surfaces()).2
}

/// Builds the whole application. The binary and the tests both serve exactly this.
///
/// Layers, outermost first: request id, metrics, access log, error normalisation, CORS (only when
/// configured), header-size limit, `nosniff`; then, on a surface's routes, its gate
/// (authentication, rate limit, permission, `Cache-Control`, unstorable path parameters); then
/// catch-panic and timeout (around idempotency, on a surface's idempotent routes), body limit.
pub fn router(state: AppState) -> Router {
    router_with(state, surfaces())
}

/// The application with these surfaces (tests mount test-only ones).
pub(crate) fn router_with(state: AppState, surfaces: Vec<Surface>) -> Router {
    if metrics::install().is_some() {
        state.store.describe_metrics();
    }
    let (mounts, public, doc) = assemble(surfaces);
    let config = state.config.clone();
    let docs = SwaggerUi::new("/docs").url("/openapi.json", doc).config(
        utoipa_swagger_ui::Config::from("/openapi.json")
            .validator_url("none")
            .try_it_out_enabled(true),
    );
    let timeout = config.request_timeout;
    let mut app = guard(
        Router::new()
            .merge(public)
            .merge(docs)
            .merge(console::routes())
            .fallback(not_found),
        timeout,
    );
    for mount in mounts {
        app = mount.onto(app, &state, timeout);
    }

    let max = config.max_header_bytes;
    let app = app.with_state(state);
    // The layers every request passes are two services (`layers::Outer`, `layers::Inner`),
    // CORS between them when configured, mounted as one layer: axum wraps each route in each
    // layer on its own. Neither clones the route it wraps (a `from_fn` layer would, per request).
    let inner = layers::Inner {
        max_header_bytes: max,
    };
    if config.cors_origins.is_empty() {
        return app.layer(ServiceBuilder::new().layer(layers::Outer).layer(inner));
    }
    app.layer(
        ServiceBuilder::new()
            .layer(layers::Outer)
            .layer(layers::cors(&config.cors_origins))
            .layer(inner),
    )
}
