//! API keys: random, recognisable by their `ck_` prefix, stored only as a SHA-256 hash.

use clientele_core::enums::Permission;
use clientele_core::store::NewApiKey;
use clientele_core::tenant::RateLimit;
use clientele_core::{ApiKey, Store, StoreError, TenantId};
use sha2::{Digest, Sha256};

use crate::error::ApiError;

pub const KEY_PREFIX: &str = "ck_";

/// Whether `limit` stays within `ceiling`: never more requests in any window than the ceiling
/// allows, so neither its sustained rate (`count / per_seconds`) nor its burst (`count`, the
/// budget available at once) may be higher. `2000/h` is refused under a `1200/min` ceiling
/// although its rate is lower: it could spend 2000 requests in the first minute.
pub fn within_ceiling(limit: RateLimit, ceiling: RateLimit) -> bool {
    let rate = u64::from(limit.count) * u64::from(ceiling.per_seconds);
    let ceiling_rate = u64::from(ceiling.count) * u64::from(limit.per_seconds);
    rate <= ceiling_rate && limit.count <= ceiling.count
}

/// 400 VALIDATION_ERROR naming `rate_limit` when a key asked for through the API would exceed
/// the operator's ceiling.
pub fn check_rate_ceiling(limit: RateLimit, ceiling: RateLimit) -> Result<(), ApiError> {
    if within_ceiling(limit, ceiling) {
        return Ok(());
    }
    Err(ApiError::invalid(
        "rate_limit",
        "above_ceiling",
        format!(
            "must not exceed the server's limit of {ceiling} (neither its rate nor its burst \
             of {} requests)",
            ceiling.count
        ),
    ))
}

pub fn hash_key(plaintext: &str) -> [u8; 32] {
    Sha256::digest(plaintext.as_bytes()).into()
}

/// Creates a key and returns it with its plaintext, which is never stored and shown only once.
pub async fn issue_key(
    store: &dyn Store,
    tenant: TenantId,
    permissions: Vec<Permission>,
    rate_limit: Option<RateLimit>,
    name: Option<String>,
) -> Result<(ApiKey, String), StoreError> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret)
        .map_err(|e| StoreError::Other(format!("no randomness available: {e}")))?;
    let plaintext = format!("{KEY_PREFIX}{}", hex::encode(secret));
    let key = store
        .create_api_key(
            tenant,
            NewApiKey {
                name,
                prefix: plaintext[..KEY_PREFIX.len() + 8].to_string(),
                hash: hash_key(&plaintext),
                permissions,
                rate_limit,
            },
        )
        .await?;
    Ok((key, plaintext))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> RateLimit {
        RateLimit::parse(s).expect("rate")
    }

    #[test]
    fn the_ceiling_bounds_rate_and_burst() {
        let ceiling = r("1200/min");
        for ok in ["1200/min", "20/s", "1/s", "600/h", "1200/h"] {
            assert!(within_ceiling(r(ok), ceiling), "{ok}");
        }
        for too_much in ["1201/min", "21/s", "4294967295/s", "2000/h", "72000/h"] {
            assert!(!within_ceiling(r(too_much), ceiling), "{too_much}");
        }
        let e = check_rate_ceiling(r("4294967295/s"), ceiling).expect_err("over");
        assert_eq!(e.details[0].field, "rate_limit");
    }
}
