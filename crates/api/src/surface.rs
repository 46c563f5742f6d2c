//! API surfaces. A surface is a set of routes under one path prefix with one [`Policy`]: which
//! credentials it accepts, whose rate-limit budget a request spends, what `Cache-Control` its
//! answers carry, how it renders an error and a write whose idempotent response was lost. `/v1`
//! is one; each seed dialect will be another (DIALECTS.md), over the same core.
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

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{Method, StatusCode, Uri};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use clientele_core::tenant::RateLimit;
use clientele_core::{Store, TenantId};
use utoipa::openapi::path::PathItem;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use uuid::Uuid;

use crate::auth::{self, Gate, PermissionTable, Requirement};
use crate::error::ApiError;
use crate::idempotency::{self, Idempotency};
use crate::layers::guard;
use crate::AppState;

/// Which credentials a surface accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials {
    /// `X-API-Key` or `Authorization: Bearer <JWT>`, or both (then both must be valid and of one
    /// tenant: the request runs as the token's subject with the permissions both grant). The
    /// `tenant` header is optional and must name the credential's tenant. (`/v1`)
    KeyOrJwt,
    /// `Authorization: Bearer <JWT>` only; an API key is not a credential here (alone: 401).
    JwtOnly,
    /// `Authorization: Bearer <JWT>`, `X-API-Key` and `tenant` all required (a missing one is
    /// 400 `BAD_REQUEST`); both credentials valid (else 401) and of the header's tenant (else
    /// 403); the permissions both grant.
    JwtKeyAndTenant,
}

/// Whose rate-limit budget a request spends (GCRA, `ratelimit.rs`). A request without a valid
/// credential always spends its client address's share of the server default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// The credential's own: an API key's `rate_limit`, else the server default; one bucket per
    /// API key, or per JWT subject within its tenant. Shared by every surface that uses it.
    PerCredential,
    /// A budget of this surface alone, `limit` per credential (the API key when one is sent),
    /// shared by its routes and spent by no other; `name` keeps its buckets apart.
    Own {
        name: &'static str,
        limit: RateLimit,
    },
}

/// A write that committed under an `Idempotency-Key` but whose response was never recorded (the
/// server stopped in between): what is known to answer the retry with the entity as it is now.
#[derive(Debug)]
pub struct Committed<'a> {
    pub tenant: TenantId,
    /// The audit `entity_type` of what was written (`client`, `contact_person`, ...).
    pub entity_type: &'a str,
    pub entity_id: Uuid,
    /// The status the first request was answered with (201 or 200).
    pub status: StatusCode,
    /// The retried request's URI (the original's: same key, same method, path and body).
    pub uri: &'a Uri,
}

/// The response a [`Policy::render_committed`] builds.
pub type Rendered<'a> = Pin<Box<dyn Future<Output = Result<Response, ApiError>> + Send + 'a>>;

/// What a surface's layers need to know, fixed at registration.
#[derive(Clone, Copy)]
pub struct Policy {
    pub credentials: Credentials,
    pub budget: Budget,
    /// Set on every answer of the surface; `None` leaves it to the handlers.
    pub cache_control: Option<&'static str>,
    /// Renders the errors of the layers (401, 403, 429, 409 for idempotency keys, 404 for an
    /// unknown path). Handlers render their own. The body must be JSON: the outermost layer
    /// gives any other error body the native envelope (`layers::normalize_errors`).
    pub render_error: fn(ApiError) -> Response,
    /// Re-renders a committed write whose response was lost (see [`Committed`]).
    pub render_committed: for<'a> fn(&'a dyn Store, Committed<'a>) -> Rendered<'a>,
}

/// The native error envelope (API.md), as `ApiError` renders itself.
pub fn native_error(e: ApiError) -> Response {
    e.into_response()
}

/// What the layers of a surface read on each request: its policy and what each route declared.
pub struct Rules {
    pub policy: Policy,
    permissions: PermissionTable,
    /// `(method, route template)` of the routes that accept `Idempotency-Key`.
    idempotent: Vec<(Method, String)>,
}

impl Rules {
    /// What the route requires; `None` when the method is not served on it (routing answers).
    pub fn requirement(&self, method: &Method, route: &str) -> Option<Requirement> {
        self.permissions.required(method, route)
    }

    /// Whether the route accepts `Idempotency-Key`.
    pub fn is_idempotent(&self, method: &Method, route: &str) -> bool {
        self.idempotent
            .iter()
            .any(|(m, p)| m == method && p == route)
    }
}

/// A surface being registered: its prefix, policy and documented routes.
pub struct Surface {
    prefix: &'static str,
    policy: Policy,
    routes: OpenApiRouter<AppState>,
    idempotent: Vec<(Method, String)>,
}

impl Surface {
    /// A surface serving its routes under `prefix` (e.g. `/v1`, no trailing slash).
    pub fn new(prefix: &'static str, policy: Policy) -> Self {
        Self {
            prefix,
            policy,
            routes: OpenApiRouter::new(),
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

    /// Splits the surface into what the router mounts and the document of its routes.
    pub(crate) fn split(self) -> (Mount, OpenApi) {
        let (router, doc) = self.routes.split_for_parts();
        let permissions = PermissionTable::from_openapi(&doc).unwrap_or_else(|e| {
            // A route declared an unknown permission: refuse everything rather than guess.
            tracing::error!(
                error = %e,
                prefix = self.prefix,
                "invalid permission declaration; the surface refuses all requests"
            );
            PermissionTable::refusing()
        });
        let rules = Rules {
            policy: self.policy,
            permissions,
            idempotent: self.idempotent,
        };
        let mount = Mount {
            prefix: self.prefix,
            router,
            rules: Arc::new(rules),
        };
        (mount, doc)
    }
}

/// A surface ready to be mounted on the application router.
pub(crate) struct Mount {
    prefix: &'static str,
    router: Router<AppState>,
    rules: Arc<Rules>,
}

impl Mount {
    #[cfg(test)]
    pub(crate) fn rules(&self) -> &Rules {
        &self.rules
    }

    /// Adds the surface to `app`. Its routes get, from the handler outwards: the idempotency
    /// layer (matched routes only), the guards (body limit, timeout, catch-panic) and the gate.
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
        let routes = self
            .router
            .route_layer(middleware::from_fn_with_state(
                Idempotency {
                    store: state.store.clone(),
                    rules: self.rules.clone(),
                },
                idempotency::layer,
            ))
            .route(&format!("{}/", self.prefix), any(not_found));
        let unknown = Router::new().fallback(not_found);
        app.merge(guard(routes, timeout).layer(gate.clone()))
            .nest(self.prefix, guard(unknown, timeout).layer(gate))
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
