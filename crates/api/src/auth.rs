//! Authentication and authorisation of a surface's requests (the gate): resolve the credentials
//! its [`Credentials`] policy asks for to a [`Caller`], charge the [`Budget`], check the `tenant`
//! header, and enforce the permission the route declared in its OpenAPI `security` requirement
//! (so the permission is written once, next to the route).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use clientele_core::credential_check::{self, Outcome};
use clientele_core::enums::Permission;
use clientele_core::tenant::{CredentialKind, RateLimit};
use clientele_core::{Caller, Store};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::error::ApiError;
use crate::headers::{TENANT, X_API_KEY};
use crate::keys::hash_key;
use crate::policy::{Budget, Credentials, Rules};
use crate::ratelimit::Decision;

pub use crate::policy::{PermissionTable, Requirement, API_KEY_SCHEME, BEARER_SCHEME};

/// The state of a surface's gate: the store and configuration, and the surface's rules.
#[derive(Clone)]
pub struct Gate {
    pub store: Arc<dyn Store>,
    pub config: Arc<Config>,
    pub rules: Arc<Rules>,
}

/// Who a request ran as, attached to the response for the access log.
#[derive(Debug, Clone)]
pub struct Identity {
    pub tenant: String,
    pub actor: String,
}

async fn by_api_key(gate: &Gate, value: &HeaderValue) -> Result<Caller, ApiError> {
    let key = value.to_str().unwrap_or("").trim();
    let found = gate.store.api_key_by_hash(hash_key(key)).await?;
    let Some((key, tenant)) = found else {
        return Err(ApiError::unauthorized(
            "The API key is invalid or has been revoked",
        ));
    };
    let id = key.id.to_string();
    Ok(Caller {
        tenant,
        actor: id.clone(),
        credential: CredentialKind::ApiKey,
        credential_id: id,
        permissions: key.permissions,
        rate_limit: key.rate_limit,
    })
}

async fn by_bearer(gate: &Gate, value: &HeaderValue) -> Result<Caller, ApiError> {
    let value = value.to_str().unwrap_or("").trim();
    let token = match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => {
            return Err(ApiError::unauthorized(
                "The Authorization header must be `Bearer <JWT>`",
            ))
        }
    };
    let Some(verifier) = &gate.config.jwt else {
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
    let Some(tenant) = gate.store.tenant_by_name(&claims.tenant).await? else {
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

/// A request with both credentials of one tenant runs as the JWT's subject on the API key's
/// budget, with only the permissions both grant.
fn both(key: Caller, jwt: Caller) -> Caller {
    let permissions = ALL_PERMISSIONS
        .iter()
        .copied()
        .filter(|p| key.has(*p) && jwt.has(*p))
        .collect();
    Caller {
        actor: jwt.actor,
        permissions,
        ..key
    }
}

/// Resolves the credentials a surface accepts (also used by the console's sign-in, which accepts
/// what `/v1` does).
pub async fn authenticate(
    gate: &Gate,
    headers: &HeaderMap,
    credentials: Credentials,
) -> Result<Caller, ApiError> {
    match credentials {
        Credentials::KeyOrJwt => key_or_jwt(gate, headers).await,
        Credentials::JwtOnly => match headers.get(header::AUTHORIZATION) {
            Some(v) => by_bearer(gate, v).await,
            None => Err(ApiError::unauthorized(
                "Missing credential: send Authorization: Bearer <JWT>",
            )),
        },
        Credentials::JwtKeyAndTenant => jwt_key_and_tenant(gate, headers).await,
    }
}

/// Either credential, or both: then both must be valid and of the same tenant.
async fn key_or_jwt(gate: &Gate, headers: &HeaderMap) -> Result<Caller, ApiError> {
    let key = match headers.get(&X_API_KEY) {
        Some(v) => Some(by_api_key(gate, v).await?),
        None => None,
    };
    let jwt = match headers.get(header::AUTHORIZATION) {
        Some(v) => Some(by_bearer(gate, v).await?),
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
            Ok(both(k, j))
        }
        (None, None) => Err(ApiError::unauthorized(
            "Missing credential: send an X-API-Key header or Authorization: Bearer <JWT>",
        )),
    }
}

/// All three headers, both credentials valid and of the `tenant` header's tenant.
async fn jwt_key_and_tenant(gate: &Gate, headers: &HeaderMap) -> Result<Caller, ApiError> {
    let (Some(key), Some(jwt), Some(tenant)) = (
        headers.get(&X_API_KEY),
        headers.get(header::AUTHORIZATION),
        headers.get(&TENANT),
    ) else {
        let missing: Vec<&str> = [
            ("Authorization", header::AUTHORIZATION.as_str()),
            ("X-API-Key", "x-api-key"),
            ("tenant", "tenant"),
        ]
        .into_iter()
        .filter(|(_, h)| !headers.contains_key(*h))
        .map(|(name, _)| name)
        .collect();
        return Err(ApiError::bad_request(format!(
            "Missing required header: {}",
            missing.join(", ")
        )));
    };
    let key = by_api_key(gate, key).await?;
    let jwt = by_bearer(gate, jwt).await?;
    let tenant = tenant.to_str().unwrap_or("");
    if key.tenant.name.as_str() != tenant || jwt.tenant.name.as_str() != tenant {
        return Err(ApiError::forbidden(
            "The credentials do not belong to the tenant named in the tenant header",
        ));
    }
    Ok(both(key, jwt))
}

const ALL_PERMISSIONS: [Permission; 5] = [
    Permission::ClientsRead,
    Permission::ClientsWrite,
    Permission::ClientsDelete,
    Permission::AuditRead,
    Permission::Admin,
];

/// The rate-limit bucket of a caller: the API key, or the JWT subject within its tenant;
/// `prefix` names a surface's own budget (empty for the credential's).
pub fn bucket(prefix: &str, caller: &Caller) -> String {
    match caller.credential {
        CredentialKind::ApiKey => {
            // Not `format!`: this is on every request.
            let id = &caller.credential_id;
            let mut b = String::with_capacity(prefix.len() + 4 + id.len());
            b.push_str(prefix);
            b.push_str("key:");
            b.push_str(id);
            b
        }
        CredentialKind::Jwt => {
            let sub = Sha256::digest(caller.actor.as_bytes());
            format!(
                "{prefix}jwt:{}:{}",
                caller.tenant.id.0,
                hex::encode(&sub[..16])
            )
        }
    }
}

/// The bucket a caller's request is charged to, and its budget.
fn charge(caller: &Caller, budget: Budget, default: RateLimit) -> (String, RateLimit) {
    match budget {
        Budget::PerCredential => (bucket("", caller), caller.rate_limit.unwrap_or(default)),
        Budget::Own { name, limit } => (bucket(&format!("{name}:"), caller), limit),
    }
}

fn authorize(
    caller: Result<Caller, ApiError>,
    requirement: Requirement,
    headers: &HeaderMap,
) -> Result<Caller, ApiError> {
    let caller = caller?;
    if let Some(t) = headers.get(&TENANT) {
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

static RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
static RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
static RATELIMIT_RESET: HeaderName = HeaderName::from_static("ratelimit-reset");
static RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");

fn set_rate_headers(res: &mut Response, policy: RateLimit, remaining: u32, reset: u64) {
    let h = res.headers_mut();
    h.insert(RATELIMIT_LIMIT.clone(), HeaderValue::from(policy.count));
    h.insert(RATELIMIT_REMAINING.clone(), HeaderValue::from(remaining));
    h.insert(RATELIMIT_RESET.clone(), HeaderValue::from(reset));
    h.insert(RATELIMIT_POLICY.clone(), policy_value(policy));
}

/// `RateLimit-Policy`: `{count};w={per_seconds}`, written into a stack buffer rather than
/// through `format!` (it is on every response).
fn policy_value(policy: RateLimit) -> HeaderValue {
    use std::io::Write;
    // Two u32 of at most 10 digits each, and `;w=`.
    let mut buf = [0u8; 23];
    let mut rest = &mut buf[..];
    let _ = write!(rest, "{};w={}", policy.count, policy.per_seconds);
    let len = 23 - rest.len();
    HeaderValue::from_bytes(&buf[..len]).unwrap_or_else(|_| HeaderValue::from_static("0;w=0"))
}

/// A surface's gate, on each of its routes (and its unknown paths and disallowed methods):
/// authenticate as its policy says, charge the rate limit (the policy's budget; per client
/// address when there is no valid credential), then check the tenant header and the permission
/// the matched route declared. Every answer gets the `RateLimit-*` headers and the surface's
/// `Cache-Control`; errors are rendered the surface's way.
///
/// A read-only request (GET, HEAD) may run on a cached API key confirmed by the request's own
/// first read (`clientele_core::credential_check`); any other request, where the store can
/// (SQLite), on a cached key its first write checks in its own transaction before applying
/// anything. When neither confirmed it, the credentials are resolved again from the database
/// and the answer is given only if they still admit the request (keys are created and revoked,
/// never edited, so a key that is still live grants what it granted).
pub async fn gate(State(gate): State<Gate>, req: Request, next: Next) -> Response {
    let writes = !matches!(*req.method(), Method::GET | Method::HEAD);
    // Only the headers the credentials are resolved from are kept for the check after the
    // request (a clone of a header value shares its bytes); the whole map is not copied.
    let kept = CredentialHeaders::of(req.headers());
    let requirement = req
        .extensions()
        .get::<MatchedPath>()
        .and_then(|p| gate.rules.requirement(req.method(), p.as_str()));
    // Boxed: the scope's futures move it (a few kilobytes) at each layer, a pointer moves cheaper.
    let admitted = Box::pin(admit(&gate, req, next));
    let (res, outcome) = if writes {
        credential_check::write_scope(admitted).await
    } else {
        credential_check::scope(admitted).await
    };
    if outcome != Outcome::Unconfirmed {
        return res;
    }
    let headers = kept.into_map();
    let policy = gate.rules.policy;
    let fresh = authenticate(&gate, &headers, policy.credentials).await;
    match (fresh, requirement) {
        (Err(e), _) => refuse(&gate, e),
        (Ok(c), Some(r)) => match authorize(Ok(c), r, &headers) {
            Ok(_) => res,
            // Refused before the permission was looked at (the rate limit): as it would be
            // with the credential resolved up front.
            Err(_) if res.extensions().get::<BeforeAuthorization>().is_some() => res,
            Err(e) => refuse(&gate, e),
        },
        (Ok(_), None) => res,
    }
}

/// The request headers credentials are resolved from (and the `tenant` header checked against
/// them), kept past a request for its deferred check.
struct CredentialHeaders([(HeaderName, Option<HeaderValue>); 3]);

impl CredentialHeaders {
    fn of(headers: &HeaderMap) -> Self {
        Self(
            [X_API_KEY.clone(), header::AUTHORIZATION, TENANT.clone()].map(|name| {
                let value = headers.get(&name).cloned();
                (name, value)
            }),
        )
    }

    fn into_map(self) -> HeaderMap {
        self.0
            .into_iter()
            .filter_map(|(name, value)| Some((name, value?)))
            .collect()
    }
}

/// Marks an answer given before the route's permission was checked (the rate limit's), which
/// a live credential gets whatever its permissions.
#[derive(Clone, Copy)]
struct BeforeAuthorization;

/// The answer to a request whose cached credential turned out revoked after it ran.
fn refuse(gate: &Gate, e: ApiError) -> Response {
    let policy = gate.rules.policy;
    let mut res = (policy.render_error)(e);
    if let Some(cc) = policy.cache_control {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(cc));
    }
    res
}

async fn admit(gate: &Gate, req: Request, next: Next) -> Response {
    let policy = gate.rules.policy;
    let requirement = req
        .extensions()
        .get::<MatchedPath>()
        .and_then(|p| gate.rules.requirement(req.method(), p.as_str()));
    // Only the parts are borrowed across the await (a request body is not `Sync`); the body is
    // held by value and the request put together again, without copying the headers.
    let (parts, body) = req.into_parts();
    let caller = match crate::headers::refuse_repeated(&parts.headers) {
        Ok(()) => authenticate(gate, &parts.headers, policy.credentials).await,
        Err(e) => Err(e),
    };
    let mut req = Request::from_parts(parts, body);
    let default = gate.config.default_rate_limit;
    let (bucket, limit) = match &caller {
        Ok(c) => charge(c, policy.budget, default),
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
    let mut res = match gate.config.rate_limiter.check(&bucket, limit).await {
        Err(_) => {
            let mut res = (policy.render_error)(
                ApiError::unavailable("The rate limiter is unavailable; retry shortly")
                    .with_header(header::RETRY_AFTER, HeaderValue::from(1)),
            );
            set_rate_headers(&mut res, limit, 0, 1);
            res.extensions_mut().insert(BeforeAuthorization);
            res
        }
        Ok(d) => {
            let mut res = if !d.allowed {
                crate::metrics::rate_limited(if caller.is_ok() {
                    "credential"
                } else {
                    "address"
                });
                let mut res = (policy.render_error)(ApiError::rate_limited(d.retry_after_secs));
                res.extensions_mut().insert(BeforeAuthorization);
                res
            } else {
                match requirement {
                    None => next.run(req).await,
                    Some(r) => match authorize(caller, r, req.headers()) {
                        Err(e) => (policy.render_error)(e),
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
    if let Some(cc) = policy.cache_control {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(cc));
    }
    if let Some(i) = identity {
        res.extensions_mut().insert(i);
    }
    res
}

#[cfg(test)]
mod policy_tests {
    use super::*;

    #[test]
    fn the_policy_header_is_count_and_window() {
        for (count, per_seconds) in [
            (0, 0),
            (1, 60),
            (120, 1),
            (1_000_000_000, 60),
            (u32::MAX, u32::MAX),
        ] {
            let v = policy_value(RateLimit { count, per_seconds });
            assert_eq!(
                v.to_str().ok(),
                Some(format!("{count};w={per_seconds}").as_str())
            );
        }
    }
}
