//! Seed 000, a credit-screening guide, at `/api/1.0/clients` (docs/dialects.md, "000"):
//! a read-only list (ESSENTIAL fields, `limit`/`page`, `updated_since`, `search`, oldest change
//! first) and the FULL profile with the main contact; `Cache-Control: private, max-age=300`
//! and a content ETag on both, `304` for a matching `If-None-Match`, 405 with `Allow: GET` for
//! any other method. Credentials, budget and errors are the native ones.

pub mod query;
pub mod routes;
pub mod wire;

use utoipa_axum::routes;

use crate::dialects::{allow_only_documented, nothing_committed, uncached_error};
use crate::surface::{Budget, Credentials, Policy, Surface};

/// The native credentials and rate limit; `Cache-Control` per answer (the handlers set the
/// seed's on what they serve, errors are `no-store`).
pub const POLICY: Policy = Policy {
    credentials: Credentials::KeyOrJwt,
    budget: Budget::PerCredential,
    cache_control: None,
    render_error: uncached_error,
    render_committed: nothing_committed,
};

/// Seed 000's routes under `/api/1.0`.
pub fn surface() -> Surface {
    Surface::new("/api/1.0", POLICY)
        .routes(allow_only_documented(routes!(routes::list_clients)))
        .routes(allow_only_documented(routes!(routes::get_client)))
}
