//! JWTs for the tests of routes that take them (seed 001's three headers, seed 003's bearer-only
//! routes, the cross-dialect tests): one HS256 secret, and the app configured to verify it.

use std::sync::Arc;

use clientele_api::config::{Config, Secret};
use clientele_api::jwt::JwtVerifier;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::json;

const SECRET: &str = "dialect-test-secret-of-at-least-32-bytes";

/// The default configuration, verifying the tokens of [`token`].
pub fn config() -> Config {
    Config {
        jwt: Some(Arc::new(
            JwtVerifier::hs256(&Secret::new(SECRET.into())).expect("verifier"),
        )),
        ..Config::default()
    }
}

/// Seconds since the epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

/// A JWT of `sub` in `tenant` granting `permissions`, valid for ten minutes.
pub fn token(sub: &str, tenant: &str, permissions: &[&str]) -> String {
    token_until(sub, tenant, permissions, now() + 600)
}

/// A JWT of `sub` in `tenant` granting `permissions`, expiring at `exp`.
pub fn token_until(sub: &str, tenant: &str, permissions: &[&str], exp: i64) -> String {
    let claims = json!({"sub": sub, "tenant": tenant, "exp": exp, "permissions": permissions});
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("sign")
}
