//! API keys: random, recognisable by their `ck_` prefix, stored only as a SHA-256 hash.

use clientele_core::enums::Permission;
use clientele_core::store::NewApiKey;
use clientele_core::tenant::RateLimit;
use clientele_core::{ApiKey, Store, StoreError, TenantId};
use sha2::{Digest, Sha256};

pub const KEY_PREFIX: &str = "ck_";

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
