//! The storage boundary. Every call on tenant data names the tenant, so isolation is part of the
//! signature rather than a `WHERE` clause someone may forget.

use async_trait::async_trait;
use uuid::Uuid;

use crate::client::{Client, ClientData};
use crate::enums::Permission;
use crate::error::StoreError;
use crate::query::{ClientQuery, Page};
use crate::tenant::{ApiKey, RateLimit, Tenant, TenantId};
use crate::types::{TenantName, Timestamp};

/// Who made a change and in which tenant; carried into every write.
#[derive(Debug, Clone)]
pub struct WriteCtx {
    pub tenant: TenantId,
    pub actor: String,
}

/// A key about to be stored: the plaintext never reaches the store.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub name: Option<String>,
    pub prefix: String,
    pub hash: [u8; 32],
    pub permissions: Vec<Permission>,
    pub rate_limit: Option<RateLimit>,
}

/// Result of an upsert: the client and whether it was created.
pub type Upserted = (Client, bool);

pub type StoreResult<T> = Result<T, StoreError>;

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Applies pending migrations; returns how many were applied.
    async fn migrate(&self) -> StoreResult<u32>;
    /// Cheap round trip to the database, for `/readyz`.
    async fn ping(&self) -> StoreResult<()>;

    async fn create_tenant(&self, name: &TenantName) -> StoreResult<Tenant>;
    async fn tenant_by_name(&self, name: &str) -> StoreResult<Option<Tenant>>;
    async fn tenant_count(&self) -> StoreResult<i64>;

    async fn create_api_key(&self, tenant: TenantId, key: NewApiKey) -> StoreResult<ApiKey>;
    async fn list_api_keys(&self, tenant: TenantId) -> StoreResult<Vec<ApiKey>>;
    /// Revokes a key of the given tenant, or of any tenant when `tenant` is `None` (operator CLI).
    async fn revoke_api_key(&self, tenant: Option<TenantId>, id: Uuid) -> StoreResult<ApiKey>;
    /// The live (not revoked) key with this hash, with its tenant.
    async fn api_key_by_hash(&self, hash: [u8; 32]) -> StoreResult<Option<(ApiKey, Tenant)>>;

    async fn create_client(&self, ctx: &WriteCtx, data: ClientData) -> StoreResult<Client>;
    async fn get_client(&self, tenant: TenantId, id: Uuid) -> StoreResult<Client>;
    async fn get_client_by_external_id(
        &self,
        tenant: TenantId,
        external_id: &str,
    ) -> StoreResult<Client>;
    /// Replaces the data; with `expected_version`, fails with `VersionMismatch` unless it matches.
    async fn replace_client(
        &self,
        ctx: &WriteCtx,
        id: Uuid,
        data: ClientData,
        expected_version: Option<i64>,
    ) -> StoreResult<Client>;
    /// Creates or replaces the client whose `external_id` is `data.external_id`.
    async fn upsert_client_by_external_id(
        &self,
        ctx: &WriteCtx,
        data: ClientData,
        expected_version: Option<i64>,
    ) -> StoreResult<Upserted>;
    async fn delete_client(
        &self,
        ctx: &WriteCtx,
        id: Uuid,
        expected_version: Option<i64>,
    ) -> StoreResult<()>;
    async fn list_clients(
        &self,
        tenant: TenantId,
        query: &ClientQuery,
    ) -> StoreResult<Page<Client>>;
    /// Inserts many clients in one transaction, each created at its given time (data loads and
    /// demo data). Returns how many were inserted.
    async fn insert_clients_bulk(
        &self,
        ctx: &WriteCtx,
        rows: Vec<(ClientData, Timestamp)>,
    ) -> StoreResult<u64>;
}
