//! API surfaces: registering one and mounting it. A surface is a set of routes under one path
//! prefix with one [`Policy`] (`policy.rs`): which credentials it accepts, whose rate-limit
//! budget a request spends, what `Cache-Control` its answers carry, how it renders an error and
//! a write whose idempotent response was lost. `/v1` is one; each seed dialect will be another
//! (DIALECTS.md), over the same core.
//!
//! The routes bring the rest. Each handler declares its permission once, as the scope of its
//! OpenAPI `security` requirement (read back here at startup, so documentation and enforcement
//! cannot drift), and the registration says which routes accept `Idempotency-Key`
//! ([`Surface::idempotent`]).
//!
//! The layers never look at a path: when a surface is mounted its gate ([`crate::auth::gate`]:
//! credentials, rate limit, permission) and its idempotency layer are installed on its own routes
//! with its [`Rules`] as their state. The prefix is only handed to the router, which sends
//! unknown paths below it to the same gate (a 404 with rate-limit headers, like any route).

use std::sync::Arc;
use std::time::Duration;

use axum::http::Method;
use axum::middleware;
use axum::routing::any;
use axum::Router;
use tower::ServiceBuilder;
use utoipa::openapi::path::PathItem;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

use crate::auth::{self, Gate};
use crate::error::ApiError;
use crate::idempotency::Idempotency;
use crate::layers::{guard, guard_streaming, guards};
pub use crate::policy::{
    native_error, Budget, Committed, Credentials, PermissionTable, Policy, Rendered, Requirement,
    Rules,
};
use crate::state::AppState;

/// A surface being registered: its prefix, policy and documented routes.
pub struct Surface {
    prefix: &'static str,
    policy: Policy,
    routes: OpenApiRouter<AppState>,
    /// Routes that stream their body (bulk import and export): no request timeout, no 1 MiB
    /// body limit (the handler keeps its own).
    streaming: OpenApiRouter<AppState>,
    has_streaming: bool,
    idempotent: Vec<(Method, String)>,
}

impl Surface {
    /// A surface serving its routes under `prefix` (e.g. `/v1`, no trailing slash).
    pub fn new(prefix: &'static str, policy: Policy) -> Self {
        Self {
            prefix,
            policy,
            routes: OpenApiRouter::new(),
            streaming: OpenApiRouter::new(),
            has_streaming: false,
            idempotent: Vec::new(),
        }
    }

    /// Registers the handlers of one path (`utoipa_axum::routes!`), documented by their
    /// `#[utoipa::path]`, each with the permission its `security` declares.
    pub fn routes(mut self, handlers: UtoipaMethodRouter<AppState>) -> Self {
        self.routes = self.routes.routes(handlers);
        self
    }

    /// Like [`routes`](Self::routes), for handlers that accept `Idempotency-Key`: a retry with
    /// the same key and body replays the first response instead of writing again.
    pub fn idempotent(mut self, handlers: UtoipaMethodRouter<AppState>) -> Self {
        for (path, item) in handlers.1.paths.iter() {
            for method in methods(item) {
                self.idempotent.push((method, path.clone()));
            }
        }
        self.routes(handlers)
    }

    /// Like [`routes`](Self::routes), for handlers that stream a long body in or out: they get
    /// neither the request timeout nor the default body limit (the handler enforces its own).
    pub fn streaming(mut self, handlers: UtoipaMethodRouter<AppState>) -> Self {
        self.streaming = self.streaming.routes(handlers);
        self.has_streaming = true;
        self
    }

    /// Splits the surface into what the router mounts and the document of its routes.
    pub(crate) fn split(self) -> (Mount, OpenApi) {
        let (router, mut doc) = self.routes.split_for_parts();
        let (streaming, streaming_doc) = self.streaming.split_for_parts();
        doc.merge(streaming_doc);
        let declared = self.policy.credentials.check_declared(&doc);
        let permissions = declared.and_then(|()| PermissionTable::from_openapi(&doc));
        let permissions = permissions.unwrap_or_else(|e| {
            // A route declared an unknown permission, or credentials its policy does not ask
            // for: refuse everything rather than guess.
            tracing::error!(
                error = %e,
                prefix = self.prefix,
                "invalid permission declaration; the surface refuses all requests"
            );
            PermissionTable::refusing()
        });
        let rules = Rules::new(self.policy, permissions, self.idempotent);
        let mount = Mount {
            prefix: self.prefix,
            router,
            streaming: self.has_streaming.then_some(streaming),
            rules: Arc::new(rules),
        };
        (mount, doc)
    }
}

/// A surface ready to be mounted on the application router.
pub(crate) struct Mount {
    prefix: &'static str,
    router: Router<AppState>,
    streaming: Option<Router<AppState>>,
    rules: Arc<Rules>,
}

impl Mount {
    #[cfg(test)]
    pub(crate) fn rules(&self) -> &Rules {
        &self.rules
    }

    /// Adds the surface to `app`. Its routes get, from the handler outwards: the body limit,
    /// the timeout and catch-panic (which answer a request with an `Idempotency-Key` on an
    /// idempotent route through `crate::idempotency`), and the gate, stacked as one layer.
    /// Unknown paths below the prefix get the guards and the gate around a 404 (as the router's
    /// fallback, so the access log shows no route template for them).
    pub(crate) fn onto(
        self,
        app: Router<AppState>,
        state: &AppState,
        timeout: Duration,
    ) -> Router<AppState> {
        let gate = middleware::from_fn_with_state(
            Gate {
                store: state.store.clone(),
                config: state.config.clone(),
                rules: self.rules.clone(),
            },
            auth::gate,
        );
        let render = self.rules.policy.render_error;
        let not_found = move || async move { render(ApiError::not_found("No such route")) };
        // `{prefix}/{*rest}` does not match `{prefix}/`, so that one is a route of its own.
        // The gate, the guards and idempotency are one layer on each route (`layers::guards`):
        // every layer is a level of boxed services that axum clones for every request.
        let idempotency = Idempotency {
            store: state.store.clone(),
            rules: self.rules.clone(),
        };
        let routes = self
            .router
            .route(&format!("{}/", self.prefix), any(not_found))
            .layer(
                ServiceBuilder::new()
                    .layer(gate.clone())
                    .layer(guards(timeout, Some(idempotency))),
            );
        let unknown = Router::new().fallback(not_found);
        let mut app = app.merge(routes);
        if let Some(streaming) = self.streaming {
            app = app.merge(guard_streaming(streaming).layer(gate.clone()));
        }
        app.nest(self.prefix, guard(unknown, timeout).layer(gate))
    }
}

/// The HTTP methods a documented path serves.
fn methods(item: &PathItem) -> Vec<Method> {
    [
        (&item.get, Method::GET),
        (&item.put, Method::PUT),
        (&item.post, Method::POST),
        (&item.delete, Method::DELETE),
        (&item.options, Method::OPTIONS),
        (&item.head, Method::HEAD),
        (&item.patch, Method::PATCH),
        (&item.trace, Method::TRACE),
    ]
    .into_iter()
    .filter(|(op, _)| op.is_some())
    .map(|(_, m)| m)
    .collect()
}

#[cfg(test)]
mod tests;
