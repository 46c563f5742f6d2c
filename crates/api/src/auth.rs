//! Authentication and authorisation for `/v1`: resolve the credential to a [`Caller`], check the
//! optional `tenant` header, and enforce the permission the route declared in its OpenAPI
//! `security` requirement (so the permission is written once, next to the route).

use std::collections::HashMap;
use std::sync::Arc;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use clientele_core::enums::Permission;
use clientele_core::tenant::{CredentialKind, RateLimit};
use clientele_core::{Caller, Store};
use sha2::{Digest, Sha256};
use utoipa::openapi::OpenApi;

use crate::config::Config;
use crate::error::ApiError;
use crate::keys::hash_key;
use crate::ratelimit::Decision;

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
/// The JWT scheme; the document lists it beside every `api_key` requirement with the same scope.
pub const BEARER_SCHEME: &str = "bearer";

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
                let scopes_of = |scheme: &str| -> Vec<&str> {
                    reqs.iter()
                        .filter_map(|r| r[scheme].as_array())
                        .flatten()
                        .filter_map(|s| s.as_str())
                        .collect()
                };
                if !reqs.iter().any(|r| r.get(API_KEY_SCHEME).is_some()) {
                    // Declared under some other scheme only: not a permission we can read.
                    table.insert((m, path.clone()), Requirement::Undeclared);
                    continue;
                }
                let scopes = scopes_of(API_KEY_SCHEME);
                let bearer = scopes_of(BEARER_SCHEME);
                if !bearer.is_empty() && bearer != scopes {
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
    pub config: Arc<Config>,
}

/// Who a request ran as, attached to the response for the access log.
#[derive(Debug, Clone)]
pub struct Identity {
    pub tenant: String,
    pub actor: String,
}

async fn by_api_key(state: &AuthState, value: &HeaderValue) -> Result<Caller, ApiError> {
    let key = value.to_str().unwrap_or("").trim();
    let found = state.store.api_key_by_hash(hash_key(key)).await?;
    let Some((key, tenant)) = found else {
        return Err(ApiError::unauthorized(
            "The API key is invalid or has been revoked",
        ));
    };
    Ok(Caller {
        tenant,
        actor: key.id.to_string(),
        credential: CredentialKind::ApiKey,
        credential_id: key.id.to_string(),
        permissions: key.permissions,
        rate_limit: key.rate_limit,
    })
}

async fn by_bearer(state: &AuthState, value: &HeaderValue) -> Result<Caller, ApiError> {
    let value = value.to_str().unwrap_or("").trim();
    let token = match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => {
            return Err(ApiError::unauthorized(
                "The Authorization header must be `Bearer <JWT>`",
            ))
        }
    };
    let Some(verifier) = &state.config.jwt else {
        return Err(ApiError::unauthorized(
            "Bearer tokens are not accepted by this server: no JWT key is configured",
        ));
    };
    let claims = verifier
        .verify(token)
        .map_err(|m| ApiError::unauthorized(format!("Invalid bearer token: {m}")))?;
    if claims.sub.trim().is_empty() {
        return Err(ApiError::unauthorized(
            "Invalid bearer token: the sub claim is empty",
        ));
    }
    let Some(tenant) = state.store.tenant_by_name(&claims.tenant).await? else {
        return Err(ApiError::unauthorized(
            "Invalid bearer token: its tenant does not exist",
        ));
    };
    Ok(Caller {
        tenant,
        actor: claims.sub.clone(),
        credential: CredentialKind::Jwt,
        credential_id: claims.sub.clone(),
        permissions: claims.granted(),
        rate_limit: None,
    })
}

/// Resolves the request's credentials. Both may be sent: then both must be valid and of the
/// same tenant, the request runs as the JWT's subject on the API key's budget, with only the
/// permissions both grant.
pub async fn authenticate(state: &AuthState, headers: &HeaderMap) -> Result<Caller, ApiError> {
    let key = match headers.get("x-api-key") {
        Some(v) => Some(by_api_key(state, v).await?),
        None => None,
    };
    let jwt = match headers.get(header::AUTHORIZATION) {
        Some(v) => Some(by_bearer(state, v).await?),
        None => None,
    };
    match (key, jwt) {
        (Some(k), None) => Ok(k),
        (None, Some(j)) => Ok(j),
        (Some(k), Some(j)) => {
            if k.tenant.id != j.tenant.id {
                return Err(ApiError::unauthorized(
                    "The API key and the bearer token belong to different tenants",
                ));
            }
            let permissions = ALL_PERMISSIONS
                .iter()
                .copied()
                .filter(|p| k.has(*p) && j.has(*p))
                .collect();
            Ok(Caller {
                actor: j.actor,
                permissions,
                ..k
            })
        }
        (None, None) => Err(ApiError::unauthorized(
            "Missing credential: send an X-API-Key header or Authorization: Bearer <JWT>",
        )),
    }
}

const ALL_PERMISSIONS: [Permission; 5] = [
    Permission::ClientsRead,
    Permission::ClientsWrite,
    Permission::ClientsDelete,
    Permission::AuditRead,
    Permission::Admin,
];

/// The rate-limit bucket of a caller: the API key, or the JWT subject within its tenant.
pub fn bucket(caller: &Caller) -> String {
    match caller.credential {
        CredentialKind::ApiKey => format!("key:{}", caller.credential_id),
        CredentialKind::Jwt => {
            let sub = Sha256::digest(caller.actor.as_bytes());
            format!("jwt:{}:{}", caller.tenant.id.0, hex::encode(&sub[..16]))
        }
    }
}

fn authorize(
    caller: Result<Caller, ApiError>,
    requirement: Requirement,
    headers: &HeaderMap,
) -> Result<Caller, ApiError> {
    let caller = caller?;
    if let Some(t) = headers.get("tenant") {
        if t.to_str().ok() != Some(caller.tenant.name.as_str()) {
            return Err(ApiError::forbidden(
                "The tenant header does not match the credential's tenant",
            ));
        }
    }
    match requirement {
        Requirement::Undeclared => {
            Err(ApiError::forbidden("This route has no permission declared"))
        }
        Requirement::Permission(p) if !caller.has(p) => Err(ApiError::forbidden(format!(
            "This credential lacks the {} permission",
            p.as_str()
        ))),
        _ => Ok(caller),
    }
}

fn is_v1(path: &str) -> bool {
    path == "/v1" || path.starts_with("/v1/")
}

static RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
static RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
static RATELIMIT_RESET: HeaderName = HeaderName::from_static("ratelimit-reset");
static RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");

fn set_rate_headers(res: &mut Response, policy: RateLimit, remaining: u32, reset: u64) {
    let h = res.headers_mut();
    h.insert(RATELIMIT_LIMIT.clone(), HeaderValue::from(policy.count));
    h.insert(RATELIMIT_REMAINING.clone(), HeaderValue::from(remaining));
    h.insert(RATELIMIT_RESET.clone(), HeaderValue::from(reset));
    if let Ok(v) = HeaderValue::from_str(&format!("{};w={}", policy.count, policy.per_seconds)) {
        h.insert(RATELIMIT_POLICY.clone(), v);
    }
}

/// The `/v1` gate, applied to the whole router so it also answers for unknown `/v1` paths and
/// disallowed methods: authenticate, charge the rate limit (per credential; per client address
/// when there is no valid one), then check the tenant header and the permission the matched
/// route declared. Every `/v1` response gets the `RateLimit-*` headers.
pub async fn layer(State(state): State<AuthState>, mut req: Request, next: Next) -> Response {
    if !is_v1(req.uri().path()) {
        return next.run(req).await;
    }
    let requirement = req
        .extensions()
        .get::<MatchedPath>()
        .and_then(|p| state.permissions.required(req.method(), p.as_str()));
    // Only the headers are borrowed across the await: a request body is not `Sync`.
    let headers = req.headers().clone();
    let caller = match crate::headers::refuse_repeated(&headers) {
        Ok(()) => authenticate(&state, &headers).await,
        Err(e) => Err(e),
    };
    let default = state.config.default_rate_limit;
    let (bucket, limit) = match &caller {
        Ok(c) => (bucket(c), c.rate_limit.unwrap_or(default)),
        Err(_) => {
            let ip = req
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip().to_string())
                .unwrap_or_else(|| "unknown".into());
            (format!("ip:{ip}"), default)
        }
    };
    let identity = caller.as_ref().ok().map(|c| Identity {
        tenant: c.tenant.name.to_string(),
        actor: crate::logging::actor_for_log(c),
    });
    let mut res = match state.config.rate_limiter.check(&bucket, limit).await {
        Err(_) => {
            let mut res = ApiError::unavailable("The rate limiter is unavailable; retry shortly")
                .with_header(header::RETRY_AFTER, HeaderValue::from(1))
                .into_response();
            set_rate_headers(&mut res, limit, 0, 1);
            res
        }
        Ok(d) => {
            let mut res = if !d.allowed {
                ApiError::rate_limited(d.retry_after_secs).into_response()
            } else {
                match requirement {
                    None => next.run(req).await,
                    Some(r) => match authorize(caller, r, &headers) {
                        Err(e) => e.into_response(),
                        Ok(caller) => {
                            req.extensions_mut().insert(caller);
                            req.extensions_mut().insert::<Decision>(d);
                            next.run(req).await
                        }
                    },
                }
            };
            set_rate_headers(&mut res, d.policy, d.remaining, d.reset_secs);
            res
        }
    };
    if let Some(i) = identity {
        res.extensions_mut().insert(i);
    }
    res
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
