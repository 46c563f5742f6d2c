//! `GET /v1/me`: who the caller is, for any valid credential.

use axum::{Extension, Json};
use clientele_core::enums::Permission;
use clientele_core::Caller;
use serde::Serialize;
use utoipa::ToSchema;

use crate::envelope::{ok, Envelope};
use crate::error::ApiError;
use crate::ratelimit::Decision;

#[derive(Debug, Serialize, ToSchema)]
pub struct MeTenant {
    /// The tenant's UUID.
    pub id: String,
    /// The tenant's name (slug), as in JWT claims, the `tenant` header and the CLI.
    #[schema(example = "acme")]
    pub name: String,
    /// ISO 4217: the currency a credit amount written without one takes (in the dialects that
    /// write amounts without a currency) when its client has none stored. `EUR` unless set with
    /// `clientele tenants create NAME --currency CODE`.
    #[schema(example = "EUR")]
    pub default_currency: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeCredential {
    /// `api_key` or `jwt`. With both headers sent, `api_key` (the request runs on the key's
    /// budget, as the token's subject, with the permissions both grant).
    #[serde(rename = "type")]
    #[schema(example = "api_key")]
    pub kind: &'static str,
    /// The API key's id, or the JWT's `sub`.
    pub id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeRateLimit {
    /// Requests allowed per window (`RateLimit-Limit`).
    pub limit: u32,
    /// Requests left now, after this one (`RateLimit-Remaining`).
    pub remaining: u32,
    /// Seconds until the whole budget is available again (`RateLimit-Reset`).
    pub reset: u64,
    /// The budget as configured, e.g. `1200/min`.
    #[schema(example = "1200/min")]
    pub policy: String,
}

/// The caller as the server sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub tenant: MeTenant,
    /// Written into audit records: the JWT `sub` or the API key id.
    pub actor: String,
    pub credential: MeCredential,
    /// What the credential may do; `admin` implies all.
    pub permissions: Vec<Permission>,
    pub rate_limit: MeRateLimit,
}

/// The caller: tenant, actor, credential, permissions and rate limit.
///
/// Any valid credential may call it, whatever its permissions.
#[utoipa::path(get, path = "/v1/me", tag = "auth",
    responses(
        (status = 200, description = "The caller", body = Envelope<Me>),
    ),
    security(("api_key" = [])))]
pub async fn get_me(
    Extension(caller): Extension<Caller>,
    Extension(decision): Extension<Decision>,
) -> Result<Json<Envelope<Me>>, ApiError> {
    Ok(ok(Me {
        tenant: MeTenant {
            id: caller.tenant.id.0.to_string(),
            name: caller.tenant.name.to_string(),
            default_currency: caller.tenant.default_currency.to_string(),
        },
        actor: caller.actor.clone(),
        credential: MeCredential {
            kind: match caller.credential {
                clientele_core::tenant::CredentialKind::ApiKey => "api_key",
                clientele_core::tenant::CredentialKind::Jwt => "jwt",
            },
            id: caller.credential_id.clone(),
        },
        permissions: caller.permissions.clone(),
        rate_limit: MeRateLimit {
            limit: decision.policy.count,
            remaining: decision.remaining,
            reset: decision.reset_secs,
            policy: decision.policy.to_string(),
        },
    }))
}
