//! Seed 001, tenant list and detail, at `/apidev/v1/clients` (docs/dialects.md, "001"): every
//! call needs `Authorization: Bearer <JWT>`, `X-API-Key` and `tenant` (a missing one is 400),
//! both credentials of that tenant (else 401 / 403) and `clients:read` in both (else 403); the
//! two routes share a budget of their own, 10 requests a minute per API key, spent by no other
//! route (`RateLimit-Limit: 10`); `Cache-Control` is 60 s on the list and 30 s on the detail.

pub mod query;
pub mod routes;
pub mod wire;

use clientele_core::tenant::RateLimit;
use utoipa_axum::routes;

use crate::dialects::{allow_only_documented, nothing_committed, uncached_error};
use crate::surface::{Budget, Credentials, Policy, Surface};

/// The seed's rate limit: 10 requests a minute per API key.
pub const RATE_LIMIT: RateLimit = RateLimit {
    count: 10,
    per_seconds: 60,
};

/// JWT, API key and `tenant` together, on the seed's own budget (its buckets are named
/// `seed001`); `Cache-Control` per route (the handlers set the seed's, errors are `no-store`).
pub const POLICY: Policy = Policy {
    credentials: Credentials::JwtKeyAndTenant,
    budget: Budget::Own {
        name: "seed001",
        limit: RATE_LIMIT,
    },
    cache_control: None,
    render_error: uncached_error,
    render_committed: nothing_committed,
};

/// Seed 001's routes under `/apidev/v1`.
pub fn surface() -> Surface {
    Surface::new("/apidev/v1", POLICY)
        .routes(allow_only_documented(routes!(routes::list_clients)))
        .routes(allow_only_documented(routes!(routes::get_client)))
}
