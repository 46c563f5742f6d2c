//! What a surface's layers enforce: its [`Policy`] (credentials, budget, `Cache-Control`,
//! rendering) and what each of its routes declared ([`Rules`]): the permission, read back from
//! the route's OpenAPI `security` requirement, and whether it accepts `Idempotency-Key`.

use std::future::Future;
use std::pin::Pin;

use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use clientele_core::enums::Permission;
use clientele_core::tenant::RateLimit;
use clientele_core::{FastMap, Store, TenantId};
use utoipa::openapi::OpenApi;
use uuid::Uuid;

use crate::error::ApiError;

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

impl Credentials {
    /// Whether every operation of a surface's document declares the credentials this policy
    /// asks for, so the document tells callers the truth: with [`Self::JwtKeyAndTenant`] each
    /// security requirement names `api_key`, `bearer` and `tenant` together (one requirement:
    /// all of them at once); with [`Self::KeyOrJwt`] none names two credentials (each
    /// requirement is an alternative; the `bearer` one is added to the document later); with
    /// [`Self::JwtOnly`] each names `bearer` and not `api_key` (a key is no credential there).
    pub fn check_declared(self, doc: &OpenApi) -> Result<(), String> {
        let json = serde_json::to_value(doc).map_err(|e| e.to_string())?;
        let paths = json["paths"].as_object().cloned().unwrap_or_default();
        for (path, item) in &paths {
            let Some(ops) = item.as_object() else {
                continue;
            };
            for (method, op) in ops {
                for req in op["security"].as_array().into_iter().flatten() {
                    let has = |scheme: &str| req.get(scheme).is_some();
                    let ok = match self {
                        Self::JwtKeyAndTenant => {
                            has(API_KEY_SCHEME) && has(BEARER_SCHEME) && has(TENANT_SCHEME)
                        }
                        Self::KeyOrJwt => !(has(API_KEY_SCHEME) && has(BEARER_SCHEME)),
                        Self::JwtOnly => has(BEARER_SCHEME) && !has(API_KEY_SCHEME),
                    };
                    if !ok {
                        return Err(format!(
                            "{method} {path}: the security requirement does not declare the \
                             credentials of {self:?}"
                        ));
                    }
                }
            }
        }
        Ok(())
    }
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
    pub fn new(
        policy: Policy,
        permissions: PermissionTable,
        idempotent: Vec<(Method, String)>,
    ) -> Self {
        Self {
            policy,
            permissions,
            idempotent,
        }
    }

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

/// What a route requires of the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// Any valid credential (e.g. `GET /v1/me`): an empty scope list.
    AnyCredential,
    Permission(Permission),
    /// The route declared no `security` requirement: refused, so permissions fail closed.
    Undeclared,
}

/// What each `(method, path template)` requires, read from a generated document.
#[derive(Debug, Default)]
pub struct PermissionTable {
    /// Path template → what each method served on it requires. Keyed by the path alone so a
    /// request's lookup borrows its matched path instead of building a key.
    routes: FastMap<String, Vec<(Method, Requirement)>>,
    /// Set when the declarations could not be read: every request is refused.
    refuse_all: bool,
}

/// The name of the security scheme routes declare their permission under.
pub const API_KEY_SCHEME: &str = "api_key";
/// The JWT scheme; the document lists it beside every `api_key` requirement with the same scope.
pub const BEARER_SCHEME: &str = "bearer";
/// The `tenant` header, as a scheme: named (with no scopes) in the requirement of a surface
/// that needs it with both credentials ([`Credentials::JwtKeyAndTenant`]).
pub const TENANT_SCHEME: &str = "tenant";

impl PermissionTable {
    /// Reads every operation's security requirement from the generated document.
    pub fn from_openapi(doc: &OpenApi) -> Result<Self, String> {
        let json = serde_json::to_value(doc).map_err(|e| e.to_string())?;
        let mut table: FastMap<String, Vec<(Method, Requirement)>> = FastMap::default();
        let paths = json["paths"].as_object().cloned().unwrap_or_default();
        for (path, item) in paths {
            let Some(ops) = item.as_object() else {
                continue;
            };
            for (method, op) in ops {
                let Ok(m) = Method::from_bytes(method.to_ascii_uppercase().as_bytes()) else {
                    continue;
                };
                let Some(reqs) = op["security"].as_array() else {
                    table
                        .entry(path.clone())
                        .or_default()
                        .push((m, Requirement::Undeclared));
                    continue;
                };
                let scopes_of = |scheme: &str| -> Vec<&str> {
                    reqs.iter()
                        .filter_map(|r| r[scheme].as_array())
                        .flatten()
                        .filter_map(|s| s.as_str())
                        .collect()
                };
                let has_key = reqs.iter().any(|r| r.get(API_KEY_SCHEME).is_some());
                let has_bearer = reqs.iter().any(|r| r.get(BEARER_SCHEME).is_some());
                if !has_key && !has_bearer {
                    // Declared under some other scheme only: not a permission we can read.
                    table
                        .entry(path.clone())
                        .or_default()
                        .push((m, Requirement::Undeclared));
                    continue;
                }
                // A surface of bearer tokens only declares its permission under `bearer`.
                let scopes = scopes_of(if has_key {
                    API_KEY_SCHEME
                } else {
                    BEARER_SCHEME
                });
                let bearer = scopes_of(BEARER_SCHEME);
                if has_key && !bearer.is_empty() && bearer != scopes {
                    return Err(format!(
                        "{method} {path}: the bearer scopes differ from the api_key scopes"
                    ));
                }
                let req = match scopes.as_slice() {
                    [] => Requirement::AnyCredential,
                    [one] => Requirement::Permission(
                        Permission::parse(one)
                            .map_err(|_| format!("{method} {path}: unknown permission {one}"))?,
                    ),
                    _ => return Err(format!("{method} {path}: declare exactly one permission")),
                };
                table.entry(path.clone()).or_default().push((m, req));
            }
        }
        Ok(Self {
            routes: table,
            refuse_all: false,
        })
    }

    /// A table that refuses every request (fail closed on a broken declaration).
    pub fn refusing() -> Self {
        Self {
            routes: FastMap::default(),
            refuse_all: true,
        }
    }

    /// `None` when the method is not served on this path at all (routing answers 405).
    pub fn required(&self, method: &Method, path: &str) -> Option<Requirement> {
        if self.refuse_all {
            return Some(Requirement::Undeclared);
        }
        // HEAD is served by the GET handler, so it needs what GET needs.
        let method = if method == Method::HEAD {
            &Method::GET
        } else {
            method
        };
        self.routes
            .get(path)?
            .iter()
            .find(|(m, _)| m == method)
            .map(|(_, r)| *r)
    }

    pub fn routes(&self) -> impl Iterator<Item = (&Method, &str, Requirement)> {
        self.routes
            .iter()
            .flat_map(|(p, ms)| ms.iter().map(move |(m, r)| (m, p.as_str(), *r)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusing_table_requires_what_nobody_has() {
        let t = PermissionTable::refusing();
        assert_eq!(
            t.required(&Method::GET, "/v1/clients"),
            Some(Requirement::Undeclared)
        );
    }
}
