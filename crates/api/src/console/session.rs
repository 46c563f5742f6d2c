//! Console sessions: the credential a person signed in with stays in this process's memory,
//! behind a random session id that travels only in an `HttpOnly; Secure; SameSite=Strict;
//! Path=/console` cookie. Every request resolves the credential again through the API's own
//! `auth::authenticate`, so a revoked key or an expired token ends the session at once, and is
//! charged to the credential's rate-limit budget like an API call. Each session has a CSRF
//! token that every change must send back.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Form, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use clientele_core::Caller;
use sha2::{Digest, Sha256};

use crate::auth::{self, Gate};
use crate::config::Secret;
use crate::error::ApiError;
use crate::policy::{Credentials, PermissionTable, Rules};
use crate::AppState;

use super::views;

/// Name of the session cookie.
pub const COOKIE: &str = "clientele_console";
/// Name of the CSRF form field (and `X-CSRF-Token` header) every change sends.
pub const CSRF_FIELD: &str = "csrf";
/// A session ends after this long without a request...
pub const IDLE: Duration = Duration::from_secs(60 * 60);
/// ...and at the latest this long after sign-in.
pub const ABSOLUTE: Duration = Duration::from_secs(12 * 60 * 60);
/// Most sessions kept; the least recently used goes first beyond it.
pub const MAX_SESSIONS: usize = 10_000;

/// The credential a session was opened with, exactly as it was typed (never logged or printed).
#[derive(Clone)]
pub enum Credential {
    ApiKey(Secret),
    Bearer(Secret),
}

impl Credential {
    /// A JWT has three dot-separated base64url parts; anything else is taken as an API key.
    pub fn from_input(s: &str) -> Self {
        let s = s.trim();
        let s = s.strip_prefix("Bearer ").unwrap_or(s).trim();
        let parts = s.split('.').count();
        if parts == 3 && s.starts_with("eyJ") {
            Self::Bearer(Secret::new(s.to_string()))
        } else {
            Self::ApiKey(Secret::new(s.to_string()))
        }
    }

    /// The request headers the API would receive with this credential.
    fn headers(&self) -> HeaderMap {
        let mut h = HeaderMap::new();
        match self {
            Self::ApiKey(k) => {
                if let Ok(v) = HeaderValue::from_str(k.expose()) {
                    h.insert("x-api-key", v);
                } else {
                    h.insert("x-api-key", HeaderValue::from_static("invalid"));
                }
            }
            Self::Bearer(t) => {
                let v = HeaderValue::from_str(&format!("Bearer {}", t.expose()))
                    .unwrap_or(HeaderValue::from_static("Bearer invalid"));
                h.insert(header::AUTHORIZATION, v);
            }
        }
        h
    }
}

struct Session {
    credential: Credential,
    csrf: String,
    created: Instant,
    last_seen: Instant,
}

/// In-memory sessions of this process, keyed by the SHA-256 of the cookie value (so the map
/// itself holds no usable cookie).
#[derive(Default)]
pub struct Sessions {
    map: Mutex<HashMap<[u8; 32], Session>>,
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    // Without randomness no session can be safe: refuse rather than use a weak id.
    if getrandom::fill(&mut bytes).is_err() {
        return String::new();
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn key_of(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Equal strings, compared in time independent of where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl Sessions {
    /// Opens a session; returns the cookie value. `None` when no randomness is available.
    pub fn open(&self, credential: Credential) -> Option<String> {
        let token = random_token();
        let csrf = random_token();
        if token.is_empty() || csrf.is_empty() {
            return None;
        }
        let now = Instant::now();
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_SESSIONS {
            map.retain(|_, s| !s.expired(now));
        }
        if map.len() >= MAX_SESSIONS {
            if let Some(oldest) = map.iter().min_by_key(|(_, s)| s.last_seen).map(|(k, _)| *k) {
                map.remove(&oldest);
            }
        }
        map.insert(
            key_of(&token),
            Session {
                credential,
                csrf,
                created: now,
                last_seen: now,
            },
        );
        Some(token)
    }

    /// The live session's credential and CSRF token; touches it. Expired sessions are removed.
    fn get(&self, token: &str) -> Option<(Credential, String)> {
        let now = Instant::now();
        let key = key_of(token);
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let s = map.get_mut(&key)?;
        if s.expired(now) {
            map.remove(&key);
            return None;
        }
        s.last_seen = now;
        Some((s.credential.clone(), s.csrf.clone()))
    }

    pub fn close(&self, token: &str) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&key_of(token));
    }

    pub fn len(&self) -> usize {
        self.map.lock().map(|m| m.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Session {
    fn expired(&self, now: Instant) -> bool {
        now.duration_since(self.last_seen) > IDLE || now.duration_since(self.created) > ABSOLUTE
    }
}

/// `Set-Cookie` for a new session.
pub fn set_cookie(token: &str) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{COOKIE}={token}; Path=/console; HttpOnly; Secure; SameSite=Strict; Max-Age={}",
        ABSOLUTE.as_secs()
    ))
    .unwrap_or(HeaderValue::from_static(
        "clientele_console=; Path=/console",
    ))
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_cookie() -> HeaderValue {
    HeaderValue::from_static(
        "clientele_console=; Path=/console; HttpOnly; Secure; SameSite=Strict; Max-Age=0",
    )
}

/// The session cookie's value, if the request has one.
pub fn cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
        .filter(|v| !v.is_empty())
}

/// The gate state `/v1` authenticates with: the console accepts the same credentials.
fn gate(state: &AppState) -> Gate {
    Gate {
        store: state.store.clone(),
        config: state.config.clone(),
        rules: Arc::new(Rules::new(
            crate::v1::POLICY,
            PermissionTable::default(),
            Vec::new(),
        )),
    }
}

/// Resolves a credential exactly as the `/v1` gate does (same checks, same messages).
pub async fn resolve(state: &AppState, credential: &Credential) -> Result<Caller, ApiError> {
    auth::authenticate(&gate(state), &credential.headers(), Credentials::KeyOrJwt).await
}

/// The rate-limit bucket and budget for a request: the credential's, as on `/v1`.
pub async fn charge(
    state: &AppState,
    bucket: &str,
    limit: clientele_core::tenant::RateLimit,
) -> Result<(), Response> {
    match state.config.rate_limiter.check(bucket, limit).await {
        Ok(d) if d.allowed => Ok(()),
        Ok(d) => Err(views::error_page(
            None,
            &ApiError::rate_limited(d.retry_after_secs),
        )),
        Err(_) => Err(views::error_page(
            None,
            &ApiError::unavailable("The rate limiter is unavailable; retry shortly"),
        )),
    }
}

/// The client address, for the budget of requests without a session (sign-in attempts).
pub fn address_bucket(parts_ext: &axum::http::Extensions) -> String {
    let ip = parts_ext
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into());
    format!("ip:{ip}")
}

/// Where the session extractor leaves who made the request, for the access log.
#[derive(Clone, Default)]
pub struct WhoSlot(Arc<Mutex<Option<auth::Identity>>>);

impl WhoSlot {
    fn set(&self, caller: &Caller) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(auth::Identity {
                tenant: caller.tenant.name.to_string(),
                actor: caller.actor.clone(),
            });
        }
    }

    pub fn take(&self) -> Option<auth::Identity> {
        self.0.lock().ok().and_then(|mut s| s.take())
    }
}

/// A signed-in request: who is calling and the session's CSRF token.
pub struct Signed {
    pub caller: Caller,
    pub csrf: String,
    pub token: String,
}

/// The sessions of this router, put on every console request by a layer.
#[derive(Clone)]
pub struct SessionsExt(pub Arc<Sessions>);

fn sessions(parts: &Parts) -> Result<Arc<Sessions>, ApiError> {
    parts
        .extensions
        .get::<SessionsExt>()
        .map(|s| s.0.clone())
        .ok_or_else(|| ApiError::internal("console without sessions"))
}

/// Where an unauthenticated person is sent: the sign-in page, remembering a safe return path.
fn to_sign_in(parts: &Parts, notice: Option<&str>) -> Response {
    let mut target = "/console/sign-in".to_string();
    let mut q = Vec::new();
    if parts.method == Method::GET {
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/console");
        q.push(format!("next={}", views::urlencode(path)));
    }
    if let Some(n) = notice {
        q.push(format!("notice={n}"));
    }
    if !q.is_empty() {
        target.push('?');
        target.push_str(&q.join("&"));
    }
    let mut res = views::see_other(&target);
    if notice.is_some() {
        res.headers_mut().insert(header::SET_COOKIE, clear_cookie());
    }
    // An htmx request must navigate the whole page, not swap the sign-in form into a table:
    // XMLHttpRequest would follow a 303 itself, so htmx gets a 204 with `HX-Redirect` instead.
    if parts.headers.contains_key("hx-request") {
        *res.status_mut() = StatusCode::NO_CONTENT;
        res.headers_mut().remove(header::LOCATION);
        if let Ok(v) = HeaderValue::from_str(&target) {
            res.headers_mut().insert("hx-redirect", v);
        }
    }
    res
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let sessions = sessions(parts).map_err(|e| views::error_page(None, &e))?;
        let Some(token) = cookie(&parts.headers) else {
            return Err(to_sign_in(parts, None));
        };
        let Some((credential, csrf)) = sessions.get(&token) else {
            return Err(to_sign_in(parts, Some("expired")));
        };
        let caller = match resolve(state, &credential).await {
            Ok(c) => c,
            Err(e) if e.status.as_u16() == 401 => {
                // Revoked key or expired token: the session ends with it.
                sessions.close(&token);
                return Err(to_sign_in(parts, Some("revoked")));
            }
            Err(e) => return Err(views::error_page(None, &e)),
        };
        if let Some(who) = parts.extensions.get::<WhoSlot>() {
            who.set(&caller);
        }
        let limit = caller.rate_limit.unwrap_or(state.config.default_rate_limit);
        charge(state, &auth::bucket("", &caller), limit).await?;
        Ok(Signed {
            caller,
            csrf,
            token,
        })
    }
}

/// A submitted form, as ordered name/value pairs.
#[derive(Debug, Default, Clone)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// A change by a signed-in person: the session, and the form, whose CSRF token has been checked
/// against the session's. Every console route that changes anything takes this.
pub struct Change {
    pub signed: Signed,
    pub form: FormData,
}

impl FromRequest<AppState> for Change {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let signed = Signed::from_request_parts(&mut parts, state).await?;
        let header_token = parts
            .headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let req = Request::from_parts(parts, body);
        let Form(pairs) = Form::<Vec<(String, String)>>::from_request(req, state)
            .await
            .map_err(|_| {
                views::error_page(
                    Some(&signed),
                    &ApiError::bad_request("The form could not be read"),
                )
            })?;
        let form = FormData(pairs);
        let given = form
            .get(CSRF_FIELD)
            .map(str::to_string)
            .or(header_token)
            .unwrap_or_default();
        if !same(&given, &signed.csrf) {
            return Err(views::error_page(Some(&signed), &csrf_refused()));
        }
        Ok(Change { signed, form })
    }
}

pub fn csrf_refused() -> ApiError {
    ApiError::forbidden(
        "This form is out of date or did not come from this console (CSRF check failed); \
         reload the page and try again",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwts_and_keys_are_told_apart() {
        assert!(matches!(
            Credential::from_input(" ck_abc "),
            Credential::ApiKey(_)
        ));
        assert!(matches!(
            Credential::from_input("Bearer eyJh.eyJz.sig"),
            Credential::Bearer(_)
        ));
        assert!(matches!(
            Credential::from_input("eyJh.eyJz.sig"),
            Credential::Bearer(_)
        ));
    }

    #[test]
    fn sessions_open_find_and_close() {
        let s = Sessions::default();
        let token = s
            .open(Credential::ApiKey(Secret::new("ck_x".into())))
            .expect("token");
        assert_eq!(token.len(), 43);
        let (_, csrf) = s.get(&token).expect("live");
        assert_eq!(csrf.len(), 43);
        assert!(s.get("other").is_none());
        s.close(&token);
        assert!(s.get(&token).is_none());
        assert!(s.is_empty());
    }

    #[test]
    fn the_cookie_is_http_only_strict_and_scoped_to_the_console() {
        let c = set_cookie("abc");
        let c = c.to_str().expect("ascii");
        for part in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/console"] {
            assert!(c.contains(part), "{c}");
        }
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; clientele_console=tok; b=2"),
        );
        assert_eq!(cookie(&h).as_deref(), Some("tok"));
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
