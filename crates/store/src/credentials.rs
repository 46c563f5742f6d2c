//! The credentials a server has resolved, kept in memory so that a request does not look its API
//! key (or its JWT's tenant) up again, and still exact: each entry is tied to the credentials'
//! generation it was read under (a number that triggers bump in the same transaction as any
//! change to a key or to a tenant as keys resolve it, whichever process writes; migration 11),
//! and is used only while the generation read for the request is the same. A revoked or changed
//! key thus fails on the next request, on every server sharing the database.

use std::sync::{Mutex, PoisonError};

use clientele_core::{ApiKey, FastMap, Tenant};

/// Most entries of each kind; the cache is emptied when it is full.
const MAX_ENTRIES: usize = 10_000;

/// A live key and its tenant, as `Store::api_key_by_hash` returns them.
type Resolved = (ApiKey, Tenant);

#[derive(Default)]
pub(crate) struct CredentialCache {
    /// By key hash: the generation read under, and the key.
    keys: Mutex<FastMap<[u8; 32], (i64, Resolved)>>,
    tenants: Mutex<FastMap<String, (i64, Tenant)>>,
}

impl CredentialCache {
    /// The live key with this hash and its tenant, if resolved under `generation`.
    pub(crate) fn key(&self, hash: &[u8; 32], generation: i64) -> Option<(ApiKey, Tenant)> {
        let map = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(hash)
            .filter(|(g, _)| *g == generation)
            .map(|(_, found)| found.clone())
    }

    /// The key with this hash as last resolved, whatever the generation since, with the
    /// generation it was read under.
    pub(crate) fn latest_key(&self, hash: &[u8; 32]) -> Option<(i64, (ApiKey, Tenant))> {
        let map = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(hash).cloned()
    }

    /// Forgets a key that no longer resolves.
    pub(crate) fn forget_key(&self, hash: &[u8; 32]) {
        let mut map = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        map.remove(hash);
    }

    /// Remembers a live key read under `generation` (read before the key was).
    pub(crate) fn put_key(&self, hash: [u8; 32], generation: i64, found: (ApiKey, Tenant)) {
        let mut map = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(hash, (generation, found));
    }

    /// The tenant of this name, if resolved under `generation`.
    pub(crate) fn tenant(&self, name: &str, generation: i64) -> Option<Tenant> {
        let map = self.tenants.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(name)
            .filter(|(g, _)| *g == generation)
            .map(|(_, t)| t.clone())
    }

    /// Remembers a tenant read under `generation` (read before the tenant was).
    pub(crate) fn put_tenant(&self, name: String, generation: i64, tenant: Tenant) {
        let mut map = self.tenants.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(name, (generation, tenant));
    }
}
