//! The one implementation of `Store`: every method hands a rule of `crate::rules` to the backend,
//! which runs it in a write transaction or on a reader connection.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use clientele_core::credential_check;
use clientele_core::document::ClientJson;
use clientele_core::idempotency::{IdempotencyBegin, IdempotencyScope, StoredResponse};
use clientele_core::query::{ClientQuery, Page};
use clientele_core::store::{
    AuditPage, ClientWithSubs, ImportMode, ImportOutcome, ImportRow, NewApiKey, StoreResult,
    Upserted,
};
use clientele_core::sub::{SubData, SubKind, SubResource};
use clientele_core::types::{CurrencyCode, TenantName, Timestamp};
use clientele_core::{ApiKey, Client, ClientData, Store, StoreError, Tenant, TenantId, WriteCtx};
use uuid::Uuid;

use crate::credentials::CredentialCache;
use crate::db::{Read, Write};
use crate::groups::CreateGroups;
use crate::metrics;
use crate::rules::{audit, clients, idempotency, import, list, subresources, tenants, with_subs};

/// What a backend provides: it runs writes and reads, and owns its schema and connections.
pub trait Backend: Send + Sync + 'static {
    /// Runs `op` in a write transaction and commits it; resolves once the commit is durable.
    fn write<W: Write>(&self, op: W) -> impl Future<Output = StoreResult<W::Output>> + Send;
    /// Runs `op` on a reader connection.
    fn read<R: Read>(&self, op: R) -> impl Future<Output = StoreResult<R::Output>> + Send;
    /// Applies pending migrations; returns how many were applied.
    fn migrate(&self) -> impl Future<Output = StoreResult<u32>> + Send;
    /// A cheap round trip to the database.
    fn ping(&self) -> impl Future<Output = StoreResult<()>> + Send;
    /// This server instance's id, recorded with its idempotency claims (see `Tx::instance_gone`).
    fn instance(&self) -> impl Future<Output = StoreResult<String>> + Send;
    /// Finishes pending writes and releases the database.
    fn close(&self) -> impl Future<Output = StoreResult<()>> + Send;
    /// Whether a cached API key may be confirmed by the request's first read rather than by a
    /// read of its own (see `clientele_core::credential_check`): true where that read is a
    /// round trip the first read can share.
    fn defers_credential_check(&self) -> bool {
        false
    }
    /// Whether a write request's cached API key may be checked by its write, in the write's own
    /// transaction, rather than by a read of its own before it (see
    /// `clientele_core::credential_check::write_check`): the backend's `write` must then do that
    /// check before applying anything, and refuse the write when the key no longer holds.
    fn checks_credentials_in_writes(&self) -> bool {
        false
    }
    /// How many groups of one tenant's concurrent creates may be written at once, each in one
    /// transaction (`crate::groups`); 0: each create is a write of its own (SQLite, whose writer
    /// commits concurrent writes together already).
    fn create_groups(&self) -> usize {
        0
    }
    /// Whether it keeps the JSON documents of new clients (`Tx::keep_documents`): SQLite.
    fn keeps_documents(&self) -> bool {
        false
    }
}

/// A `Store` on backend `B` (`SqliteStore`, `PgStore`).
pub struct Engine<B> {
    pub(crate) backend: Arc<B>,
    /// API keys and tenants already resolved, valid per credentials' generation.
    credentials: CredentialCache,
    /// Where concurrent creates of a tenant meet to be written together, if the backend wants.
    groups: Option<CreateGroups>,
}

impl<B: Backend> Engine<B> {
    pub(crate) fn new(backend: B) -> Self {
        let slots = backend.create_groups();
        Self {
            backend: Arc::new(backend),
            credentials: CredentialCache::default(),
            groups: (slots > 0).then(|| CreateGroups::new(slots)),
        }
    }
}

impl<B: Backend> Engine<B> {
    /// A write on the backend, counted and timed (`crate::metrics`).
    ///
    /// The backend's future is made when this is called (SQLite's boxes the write then), so
    /// the futures around it do not hold and copy `op`.
    fn write<W: Write>(&self, op: W) -> impl Future<Output = StoreResult<W::Output>> + Send + '_ {
        metrics::observed::<W, _>("write", self.backend.write(op))
    }

    /// A read on the backend, counted and timed.
    async fn read<R: Read>(&self, op: R) -> StoreResult<R::Output> {
        metrics::observed::<R, _>("read", self.backend.read(op)).await
    }
}

#[async_trait]
impl<B: Backend> Store for Engine<B> {
    async fn migrate(&self) -> StoreResult<u32> {
        self.backend.migrate().await
    }

    async fn ping(&self) -> StoreResult<()> {
        self.backend.ping().await
    }

    fn describe_metrics(&self) {
        metrics::describe();
    }

    async fn create_tenant_with_currency(
        &self,
        name: &TenantName,
        default_currency: &CurrencyCode,
    ) -> StoreResult<Tenant> {
        let tenant = Tenant {
            id: TenantId(Uuid::now_v7()),
            name: name.clone(),
            default_currency: default_currency.clone(),
            created_at: Timestamp::now(),
        };
        self.write(tenants::CreateTenant(tenant)).await
    }

    async fn tenant_by_name(&self, name: &str) -> StoreResult<Option<Tenant>> {
        let generation = self.read(tenants::AuthGeneration).await?;
        if let Some(t) = self.credentials.tenant(name, generation) {
            return Ok(Some(t));
        }
        let found = self
            .backend
            .read(tenants::TenantByName(name.to_string()))
            .await?;
        if let Some(t) = &found {
            self.credentials
                .put_tenant(name.to_string(), generation, t.clone());
        }
        Ok(found)
    }

    async fn tenant_count(&self) -> StoreResult<i64> {
        self.read(tenants::TenantCount).await
    }

    async fn create_api_key(&self, tenant: TenantId, key: NewApiKey) -> StoreResult<ApiKey> {
        let stored = ApiKey {
            id: Uuid::now_v7(),
            tenant_id: tenant,
            name: key.name,
            prefix: key.prefix,
            permissions: key.permissions,
            rate_limit: key.rate_limit,
            created_at: Timestamp::now(),
            revoked_at: None,
        };
        let hash = key.hash;
        self.write(tenants::CreateKey { key: stored, hash }).await
    }

    async fn list_api_keys(&self, tenant: TenantId) -> StoreResult<Vec<ApiKey>> {
        self.read(tenants::ListKeys(tenant)).await
    }

    async fn revoke_api_key(&self, tenant: Option<TenantId>, id: Uuid) -> StoreResult<ApiKey> {
        self.write(tenants::RevokeKey { tenant, id }).await
    }

    async fn api_key_by_hash(&self, hash: [u8; 32]) -> StoreResult<Option<(ApiKey, Tenant)>> {
        if self.backend.defers_credential_check() {
            if let Some((generation, found)) = self.credentials.latest_key(&hash) {
                let deferred = if credential_check::in_write_scope() {
                    self.backend.checks_credentials_in_writes()
                        && credential_check::defer_write(generation, hash, &found)
                } else {
                    credential_check::defer(generation)
                };
                if deferred {
                    return Ok(Some(found));
                }
            }
        }
        // The generation is read first: a change committed after it bumps it, so an entry can
        // only be older than the generation it is filed under, never newer.
        let generation = self.read(tenants::AuthGeneration).await?;
        if let Some(found) = self.credentials.key(&hash, generation) {
            return Ok(Some(found));
        }
        let found = self.read(tenants::KeyByHash(hash)).await?;
        match &found {
            Some(f) => self.credentials.put_key(hash, generation, f.clone()),
            None => self.credentials.forget_key(&hash),
        }
        Ok(found)
    }

    async fn create_client(&self, ctx: &WriteCtx, data: ClientData) -> StoreResult<Client> {
        let ctx = ctx.clone();
        if let Some(groups) = &self.groups {
            // A create that locks an external id or checks a reference runs alone: a refusal
            // of one would roll back its whole group.
            if data.external_id.is_none() && data.referred_by_id.is_none() {
                return groups.create(&self.backend, ctx, data).await;
            }
        }
        let with_document = self.backend.keeps_documents();
        self.write(clients::Create::new(ctx, data, with_document))
            .await
    }

    async fn create_client_with_subs(
        &self,
        ctx: &WriteCtx,
        data: ClientData,
        subs: Vec<SubData>,
    ) -> StoreResult<ClientWithSubs> {
        let ctx = ctx.clone();
        self.write(with_subs::CreateWithSubs { ctx, data, subs })
            .await
    }

    async fn get_client(&self, tenant: TenantId, id: Uuid) -> StoreResult<Client> {
        self.read(clients::Get::<Client>::new(tenant, id)).await
    }

    async fn get_client_json(&self, tenant: TenantId, id: Uuid) -> StoreResult<ClientJson> {
        self.read(clients::Get::<ClientJson>::new(tenant, id)).await
    }

    async fn get_client_by_number(&self, tenant: TenantId, number: i64) -> StoreResult<Client> {
        self.read(clients::GetByNumber { tenant, number }).await
    }

    async fn get_client_by_external_id(
        &self,
        tenant: TenantId,
        external_id: &str,
    ) -> StoreResult<Client> {
        let external_id = external_id.to_string();
        let op = clients::GetByExternalId {
            tenant,
            external_id,
        };
        self.read(op).await
    }

    async fn replace_client(
        &self,
        ctx: &WriteCtx,
        id: Uuid,
        data: ClientData,
        expected_version: Option<i64>,
    ) -> StoreResult<Client> {
        let ctx = ctx.clone();
        let op = clients::Replace {
            ctx,
            id,
            data,
            expected_version,
        };
        self.write(op).await
    }

    async fn patch_client(
        &self,
        ctx: &WriteCtx,
        id: Uuid,
        patch: serde_json::Value,
        expected_version: Option<i64>,
    ) -> StoreResult<Client> {
        let ctx = ctx.clone();
        let op = clients::Patch {
            ctx,
            id,
            patch,
            expected_version,
        };
        self.write(op).await
    }

    async fn upsert_client_by_external_id(
        &self,
        ctx: &WriteCtx,
        data: ClientData,
        expected_version: Option<i64>,
    ) -> StoreResult<Upserted> {
        let Some(external_id) = data.external_id.clone() else {
            return Err(StoreError::Other("upsert without external_id".into()));
        };
        let ctx = ctx.clone();
        let op = clients::Upsert {
            ctx,
            external_id,
            data,
            expected_version,
        };
        self.write(op).await
    }

    async fn delete_client(
        &self,
        ctx: &WriteCtx,
        id: Uuid,
        expected_version: Option<i64>,
    ) -> StoreResult<()> {
        let ctx = ctx.clone();
        let op = clients::Delete {
            ctx,
            id,
            expected_version,
        };
        self.write(op).await
    }

    async fn list_clients(
        &self,
        tenant: TenantId,
        query: &ClientQuery,
    ) -> StoreResult<Page<Client>> {
        let query = query.clone();
        self.read(list::ListClients { tenant, query }).await
    }

    async fn client_history(
        &self,
        tenant: TenantId,
        client_id: Uuid,
        before_pos: Option<i64>,
        limit: u32,
    ) -> StoreResult<AuditPage> {
        let op = audit::History {
            tenant,
            client_id,
            before_pos,
            limit,
        };
        self.read(op).await
    }

    async fn events(
        &self,
        tenant: TenantId,
        after_pos: Option<i64>,
        limit: u32,
    ) -> StoreResult<AuditPage> {
        let op = audit::Events {
            tenant,
            after_pos,
            limit,
        };
        self.read(op).await
    }

    async fn idempotency_begin(
        &self,
        scope: &IdempotencyScope,
        request_hash: [u8; 32],
        now: Timestamp,
    ) -> StoreResult<IdempotencyBegin> {
        let scope = scope.clone();
        let op = idempotency::Begin {
            scope,
            hash: request_hash,
            now,
            instance: self.backend.instance().await?,
        };
        self.write(op).await
    }

    async fn idempotency_finish(
        &self,
        scope: &IdempotencyScope,
        response: StoredResponse,
    ) -> StoreResult<()> {
        let scope = scope.clone();
        self.write(idempotency::Finish { scope, response }).await
    }

    async fn idempotency_abort(&self, scope: &IdempotencyScope) -> StoreResult<()> {
        self.write(idempotency::Abort(scope.clone())).await
    }

    async fn close(&self) -> StoreResult<()> {
        self.backend.close().await
    }

    async fn create_sub(
        &self,
        ctx: &WriteCtx,
        client_id: Uuid,
        data: SubData,
    ) -> StoreResult<SubResource> {
        let ctx = ctx.clone();
        let op = subresources::Create {
            ctx,
            client_id,
            data,
        };
        self.write(op).await
    }

    async fn get_sub(
        &self,
        tenant: TenantId,
        kind: SubKind,
        client_id: Uuid,
        id: Uuid,
    ) -> StoreResult<SubResource> {
        let op = subresources::Get {
            tenant,
            kind,
            client_id,
            id,
        };
        self.read(op).await
    }

    async fn get_sub_by_external_id(
        &self,
        tenant: TenantId,
        kind: SubKind,
        client_id: Uuid,
        external_id: &str,
    ) -> StoreResult<SubResource> {
        let external_id = external_id.to_string();
        let op = subresources::GetByExternalId {
            tenant,
            kind,
            client_id,
            external_id,
        };
        self.read(op).await
    }

    async fn replace_sub(
        &self,
        ctx: &WriteCtx,
        client_id: Uuid,
        id: Uuid,
        data: SubData,
        expected_version: Option<i64>,
    ) -> StoreResult<SubResource> {
        let ctx = ctx.clone();
        let op = subresources::Replace {
            ctx,
            client_id,
            id,
            data,
            expected_version,
        };
        self.write(op).await
    }

    async fn patch_sub(
        &self,
        ctx: &WriteCtx,
        kind: SubKind,
        client_id: Uuid,
        id: Uuid,
        patch: serde_json::Value,
        expected_version: Option<i64>,
    ) -> StoreResult<SubResource> {
        let ctx = ctx.clone();
        let op = subresources::Patch {
            ctx,
            kind,
            client_id,
            id,
            patch,
            expected_version,
        };
        self.write(op).await
    }

    async fn delete_sub(
        &self,
        ctx: &WriteCtx,
        kind: SubKind,
        client_id: Uuid,
        id: Uuid,
        expected_version: Option<i64>,
    ) -> StoreResult<()> {
        let ctx = ctx.clone();
        let op = subresources::Delete {
            ctx,
            kind,
            client_id,
            id,
            expected_version,
        };
        self.write(op).await
    }

    async fn list_subs(
        &self,
        tenant: TenantId,
        kind: SubKind,
        client_id: Uuid,
        limit: u32,
        offset: u64,
        count: bool,
    ) -> StoreResult<Page<SubResource>> {
        let op = subresources::List {
            tenant,
            kind,
            client_id,
            limit,
            offset,
            count,
        };
        self.read(op).await
    }

    async fn flagged_subs(
        &self,
        tenant: TenantId,
        kind: SubKind,
        client_ids: &[Uuid],
    ) -> StoreResult<HashMap<Uuid, SubResource>> {
        let client_ids = client_ids.to_vec();
        let op = subresources::Flagged {
            tenant,
            kind,
            client_ids,
        };
        self.read(op).await
    }

    async fn import_clients(
        &self,
        ctx: &WriteCtx,
        mode: ImportMode,
        rows: Vec<ImportRow>,
    ) -> StoreResult<Vec<ImportOutcome>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ctx = ctx.clone();
        self.write(import::Import { ctx, mode, rows }).await
    }

    async fn insert_clients_bulk(
        &self,
        ctx: &WriteCtx,
        rows: Vec<(ClientData, Timestamp)>,
    ) -> StoreResult<u64> {
        if rows.is_empty() {
            return Ok(0);
        }
        let ctx = ctx.clone();
        self.write(clients::InsertBulk { ctx, rows }).await
    }
}
