//! Authentication and authorisation for `/v1`: resolve the credential to a [`Caller`], check the
//! optional `tenant` header, and enforce the permission the route declared in its OpenAPI
//! `security` requirement (so the permission is written once, next to the route).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;
use clientele_core::enums::Permission;
use clientele_core::tenant::CredentialKind;
use clientele_core::{Caller, Store};
use utoipa::openapi::OpenApi;

use crate::error::ApiError;
use crate::keys::hash_key;

/// What a route requires of the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// Any valid credential (e.g. `GET /v1/me`): an empty scope list.
    AnyCredential,
    Permission(Permission),
    /// The route declared no `security` requirement: refused, so permissions fail closed.
    Undeclared,
}

/// What each `(method, path template)` of `/v1` requires, read from the generated document.
#[derive(Debug, Default)]
pub struct PermissionTable {
    routes: HashMap<(Method, String), Requirement>,
    /// Set when the declarations could not be read: every `/v1` request is refused.
    refuse_all: bool,
}

/// The name of the security scheme routes declare their permission under.
pub const API_KEY_SCHEME: &str = "api_key";

impl PermissionTable {
    /// Reads every operation's security requirement from the generated document.
    pub fn from_openapi(doc: &OpenApi) -> Result<Self, String> {
        let json = serde_json::to_value(doc).map_err(|e| e.to_string())?;
        let mut table = HashMap::new();
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
                    table.insert((m, path.clone()), Requirement::Undeclared);
                    continue;
                };
                let scopes: Vec<&str> = reqs
                    .iter()
                    .filter_map(|r| r[API_KEY_SCHEME].as_array())
                    .flatten()
                    .filter_map(|s| s.as_str())
                    .collect();
                let req = match scopes.as_slice() {
                    [] => Requirement::AnyCredential,
                    [one] => Requirement::Permission(
                        Permission::parse(one)
                            .map_err(|_| format!("{method} {path}: unknown permission {one}"))?,
                    ),
                    _ => return Err(format!("{method} {path}: declare exactly one permission")),
                };
                table.insert((m, path.clone()), req);
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
            routes: HashMap::new(),
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
            .get(&(method.clone(), path.to_string()))
            .copied()
    }

    pub fn routes(&self) -> impl Iterator<Item = (&Method, &str, Requirement)> {
        self.routes.iter().map(|((m, p), r)| (m, p.as_str(), *r))
    }
}

#[derive(Clone)]
pub struct AuthState {
    pub store: Arc<dyn Store>,
    pub permissions: Arc<PermissionTable>,
}

async fn authenticate(state: &AuthState, headers: &HeaderMap) -> Result<Caller, ApiError> {
    if let Some(key) = headers.get("x-api-key") {
        let key = key.to_str().unwrap_or("").trim();
        let found = state.store.api_key_by_hash(hash_key(key)).await?;
        let Some((key, tenant)) = found else {
            return Err(ApiError::unauthorized(
                "The API key is invalid or has been revoked",
            ));
        };
        return Ok(Caller {
            tenant,
            actor: key.id.to_string(),
            credential: CredentialKind::ApiKey,
            credential_id: key.id.to_string(),
            permissions: key.permissions,
            rate_limit: key.rate_limit,
        });
    }
    if headers.contains_key(axum::http::header::AUTHORIZATION) {
        return Err(ApiError::unauthorized(
            "Bearer tokens are not accepted by this server: JWT verification is not configured",
        ));
    }
    Err(ApiError::unauthorized(
        "Missing credential: send an X-API-Key header",
    ))
}

/// Route layer for `/v1`: runs after routing, so the matched path template is known.
pub async fn layer(
    State(state): State<AuthState>,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_default();
    let Some(requirement) = state.permissions.required(req.method(), &path) else {
        // Not served on this path: let routing answer 405 with `Allow`.
        return Ok(next.run(req).await);
    };
    // Only the headers are borrowed across the await: a request body is not `Sync`.
    let headers = req.headers().clone();
    let caller = authenticate(&state, &headers).await?;
    if let Some(t) = headers.get("tenant") {
        if t.to_str().ok() != Some(caller.tenant.name.as_str()) {
            return Err(ApiError::forbidden(
                "The tenant header does not match the credential's tenant",
            ));
        }
    }
    match requirement {
        Requirement::Undeclared => {
            return Err(ApiError::forbidden("This route has no permission declared"));
        }
        Requirement::Permission(p) if !caller.has(p) => {
            return Err(ApiError::forbidden(format!(
                "This credential lacks the {} permission",
                p.as_str()
            )));
        }
        _ => {}
    }
    req.extensions_mut().insert(caller);
    Ok(next.run(req).await)
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
