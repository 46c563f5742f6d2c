//! Server configuration the router needs: credentials, rate limits, CORS, request limits. The
//! binary builds it from flags and environment variables; tests use [`Config::default`].

use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderValue;
use clientele_core::tenant::RateLimit;

use crate::jwt::JwtVerifier;
use crate::ratelimit::RateLimiter;

/// A secret value: `Debug` and `Display` never print it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(value)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_string()))
    }
}

/// The default per-credential budget (API.md: `CLIENTELE_RATE_LIMIT`, default 1200/min).
pub const DEFAULT_RATE_LIMIT: RateLimit = RateLimit {
    count: 1200,
    per_seconds: 60,
};

/// Longest a request may take before it is answered with 503.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Largest total size of the request headers (names and values) accepted; more is 431.
pub const DEFAULT_MAX_HEADER_BYTES: usize = 16 * 1024;

#[derive(Clone)]
pub struct Config {
    /// Verifies `Authorization: Bearer` tokens; `None` refuses every bearer token.
    pub jwt: Option<Arc<JwtVerifier>>,
    /// The budget of credentials without their own (JWTs, keys without `--rate-limit`) and of
    /// unauthenticated requests, per client address.
    pub default_rate_limit: RateLimit,
    pub rate_limiter: Arc<RateLimiter>,
    /// Origins allowed to call the API from a browser; empty = CORS off (no CORS headers).
    pub cors_origins: Vec<HeaderValue>,
    pub request_timeout: Duration,
    pub max_header_bytes: usize,
    /// The highest rate limit a key created through `POST /v1/api-keys` may have; `None` = the
    /// default rate limit. The CLI (the operator) is not bound by it.
    pub max_key_rate_limit: Option<RateLimit>,
}

impl Config {
    /// The operator's ceiling for keys created through the API.
    pub fn key_rate_ceiling(&self) -> RateLimit {
        self.max_key_rate_limit.unwrap_or(self.default_rate_limit)
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            jwt: None,
            default_rate_limit: DEFAULT_RATE_LIMIT,
            rate_limiter: Arc::new(RateLimiter::local()),
            cors_origins: Vec::new(),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
            max_key_rate_limit: None,
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("jwt", &self.jwt)
            .field("default_rate_limit", &self.default_rate_limit)
            .field("rate_limiter", &self.rate_limiter)
            .field("cors_origins", &self.cors_origins)
            .field("request_timeout", &self.request_timeout)
            .field("max_header_bytes", &self.max_header_bytes)
            .field("max_key_rate_limit", &self.max_key_rate_limit)
            .finish()
    }
}

/// Parses a comma-separated CORS allow-list of origins (`https://app.example.com`, with an
/// optional port, no path). `*` is refused: the allow-list must be explicit.
pub fn parse_cors_origins(s: &str) -> Result<Vec<HeaderValue>, String> {
    let mut out = Vec::new();
    for o in s.split(',').map(str::trim).filter(|o| !o.is_empty()) {
        if o == "*" {
            return Err("CORS origins must be listed explicitly; * is not accepted".into());
        }
        let rest = o
            .strip_prefix("https://")
            .or_else(|| o.strip_prefix("http://"))
            .ok_or_else(|| format!("CORS origin {o:?} must start with https:// or http://"))?;
        let valid_host = !rest.is_empty()
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
        if !valid_host {
            return Err(format!(
                "CORS origin {o:?} must be scheme://host[:port] with no path"
            ));
        }
        out.push(HeaderValue::from_str(o).map_err(|_| format!("CORS origin {o:?} is invalid"))?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("hunter2-very-secret".into());
        assert_eq!(format!("{s:?} {s}"), "Secret(***) ***");
    }

    #[test]
    fn cors_origins_must_be_explicit_origins() {
        assert_eq!(
            parse_cors_origins("https://a.example, http://localhost:3000")
                .map(|v| v.len())
                .ok(),
            Some(2)
        );
        assert!(parse_cors_origins("*").is_err());
        assert!(parse_cors_origins("https://a.example/path").is_err());
        assert!(parse_cors_origins("a.example").is_err());
    }
}
