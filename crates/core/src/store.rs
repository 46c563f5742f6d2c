//! The storage boundary. Every call on tenant data names the tenant, so isolation is part of the
//! signature rather than a `WHERE` clause someone may forget.

use std::collections::HashMap;

use async_trait::async_trait;
use uuid::Uuid;

use crate::audit::AuditRecord;
use crate::client::{Client, ClientData};
use crate::document::ClientJson;
use crate::enums::Permission;
use crate::error::StoreError;
use crate::idempotency::{IdempotencyBegin, IdempotencyScope, StoredResponse};
use crate::query::{ClientQuery, Page};
use crate::sub::{SubData, SubKind, SubResource};
use crate::tenant::{ApiKey, RateLimit, Tenant, TenantId};
use crate::types::{CurrencyCode, TenantName, Timestamp};

/// Who made a change and in which tenant; carried into every write.
#[derive(Debug, Clone)]
pub struct WriteCtx {
    pub tenant: TenantId,
    pub actor: String,
    /// Set when the request carries an `Idempotency-Key`: the write marks the key committed in
    /// its own transaction, so a retry after a crash can never write twice.
    pub idempotency: Option<IdempotencyScope>,
    /// The dialects' currency rule, for surfaces that write credit amounts without a currency:
    /// with `Some(tenant default)`, a client document whose credit has an amount
    /// ([`CREDIT_AMOUNTS`](crate::client::CREDIT_AMOUNTS)) but no currency keeps the client's
    /// stored currency, or takes this one when it has none
    /// ([`fill_credit_currency`](crate::client::fill_credit_currency)). Applied to the document
    /// of a create before it is parsed (`service::create_client`,
    /// `service::create_client_with_subs`) and, inside the store's transaction, to the merged
    /// document of a client patch. `None` (`/v1`): an amount without a currency is refused.
    pub fill_currency: Option<CurrencyCode>,
    /// The bulk import this write belongs to (`None` for any other change): every audit record
    /// the write makes names it (`AuditRecord::import_id`).
    pub import_id: Option<String>,
}

impl WriteCtx {
    /// A context with no idempotency key and no currency rule.
    pub fn new(tenant: TenantId, actor: impl Into<String>) -> Self {
        Self {
            tenant,
            actor: actor.into(),
            idempotency: None,
            fill_currency: None,
            import_id: None,
        }
    }

    /// This context for the writes of the bulk import `import_id`.
    pub fn for_import(mut self, import_id: impl Into<String>) -> Self {
        self.import_id = Some(import_id.into());
        self
    }

    /// This context with the currency rule on: amounts without a currency keep the client's
    /// stored currency, or take `tenant`'s default currency.
    pub fn filling_currency_of(mut self, tenant: &Tenant) -> Self {
        self.fill_currency = Some(tenant.default_currency.clone());
        self
    }
}

/// A client created together with its sub-resources
/// ([`Store::create_client_with_subs`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ClientWithSubs {
    pub client: Client,
    /// The sub-resources as created (flags settled), in the order they were given.
    pub subs: Vec<SubResource>,
}

impl ClientWithSubs {
    /// The created sub-resources of one kind, in the order they were given.
    pub fn of_kind(&self, kind: SubKind) -> impl Iterator<Item = &SubResource> {
        self.subs.iter().filter(move |s| s.data.kind() == kind)
    }
}

/// A page of audit records and the position after its last one.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditPage {
    pub records: Vec<AuditRecord>,
    /// Feed position (within its tenant) of the last record returned, for resuming; `None`
    /// when empty.
    pub last_pos: Option<i64>,
    /// Whether more records follow in this direction.
    pub has_more: bool,
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

/// How a bulk import treats a row whose `external_id` names an existing client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    /// Every row creates a client; an `external_id` already taken fails the row.
    Create,
    /// A row whose `external_id` names a client replaces its fields, and its items of each kind
    /// whose array the row holds (a row that changes nothing writes nothing); any other row
    /// creates a client.
    Upsert,
}

/// One valid row of a bulk import ([`Store::import_clients`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    /// Where the row came from (its line), for the caller's report.
    pub line: u64,
    pub data: ClientData,
    /// Its contact persons, locations and accounts, created with a new client.
    pub subs: Vec<SubData>,
    /// The kinds whose arrays the row holds (an empty array included). An upsert of an
    /// existing client replaces its items of these kinds by the row's (`subs` of that kind);
    /// the kinds the row leaves out stay as they are.
    pub sub_kinds: Vec<SubKind>,
    /// When the new client was created; `None` is now (demo data sets its own).
    pub created_at: Option<Timestamp>,
}

/// What a bulk import did with one row.
#[derive(Debug, Clone)]
pub enum ImportOutcome {
    Created,
    Updated,
    /// Upsert of a row equal to the stored client: nothing written.
    Unchanged,
    /// The row breaks a rule only the store can check (`Conflict("external_id")`,
    /// `InvalidReference("referred_by_id")`); nothing of it was written.
    Failed(StoreError),
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
    /// Registers the help text of the metrics the store reports (through the `metrics` facade)
    /// with the recorder installed now; `/metrics` calls it once its recorder is in place.
    fn describe_metrics(&self) {}

    /// Creates a tenant whose default currency is `EUR`.
    async fn create_tenant(&self, name: &TenantName) -> StoreResult<Tenant> {
        self.create_tenant_with_currency(name, &CurrencyCode::eur())
            .await
    }
    /// Creates a tenant with this default currency.
    async fn create_tenant_with_currency(
        &self,
        name: &TenantName,
        default_currency: &CurrencyCode,
    ) -> StoreResult<Tenant>;
    async fn tenant_by_name(&self, name: &str) -> StoreResult<Option<Tenant>>;
    async fn tenant_count(&self) -> StoreResult<i64>;

    async fn create_api_key(&self, tenant: TenantId, key: NewApiKey) -> StoreResult<ApiKey>;
    async fn list_api_keys(&self, tenant: TenantId) -> StoreResult<Vec<ApiKey>>;
    /// Revokes a key of the given tenant, or of any tenant when `tenant` is `None` (operator CLI).
    async fn revoke_api_key(&self, tenant: Option<TenantId>, id: Uuid) -> StoreResult<ApiKey>;
    /// The live (not revoked) key with this hash, with its tenant.
    async fn api_key_by_hash(&self, hash: [u8; 32]) -> StoreResult<Option<(ApiKey, Tenant)>>;

    async fn create_client(&self, ctx: &WriteCtx, data: ClientData) -> StoreResult<Client>;
    /// Creates a client and its sub-resources in one transaction, with every rule of
    /// `create_client` and `create_sub`: the next number, one main contact / primary location
    /// per kind (the last item given with the flag raised holds it, else the first item),
    /// `associated_accounts`, the search document with the contact persons, one audit record
    /// per entity, and the idempotency key committed pointing at the client. Any failure
    /// creates nothing.
    async fn create_client_with_subs(
        &self,
        ctx: &WriteCtx,
        data: ClientData,
        subs: Vec<SubData>,
    ) -> StoreResult<ClientWithSubs>;
    async fn get_client(&self, tenant: TenantId, id: Uuid) -> StoreResult<Client>;
    /// The client's JSON document (the point read's answer), byte for byte what serializing
    /// [`get_client`](Self::get_client)'s client writes; a store may write it straight from
    /// the stored row.
    async fn get_client_json(&self, tenant: TenantId, id: Uuid) -> StoreResult<ClientJson> {
        Ok(ClientJson::of(&self.get_client(tenant, id).await?))
    }
    /// The client with this per-tenant `number`.
    async fn get_client_by_number(&self, tenant: TenantId, number: i64) -> StoreResult<Client>;
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
    /// Applies a JSON merge patch atomically: read, merge, validate and write in one transaction,
    /// so concurrent patches never lose each other's changes.
    async fn patch_client(
        &self,
        ctx: &WriteCtx,
        id: Uuid,
        patch: serde_json::Value,
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

    // ---- audit and change feed -------------------------------------------------------------

    /// A client's audit records (and its sub-resources'), newest first, before `before_pos`.
    /// `NotFound` when the client never existed in this tenant.
    async fn client_history(
        &self,
        tenant: TenantId,
        client_id: Uuid,
        before_pos: Option<i64>,
        limit: u32,
    ) -> StoreResult<AuditPage>;
    /// Every audit record of the tenant, oldest first, after `after_pos`.
    async fn events(
        &self,
        tenant: TenantId,
        after_pos: Option<i64>,
        limit: u32,
    ) -> StoreResult<AuditPage>;

    // ---- idempotency -------------------------------------------------------------------------

    /// Claims the key for this request, or reports what an earlier request with it did.
    async fn idempotency_begin(
        &self,
        scope: &IdempotencyScope,
        request_hash: [u8; 32],
        now: Timestamp,
    ) -> StoreResult<IdempotencyBegin>;
    /// Records the response of a request that claimed the key.
    async fn idempotency_finish(
        &self,
        scope: &IdempotencyScope,
        response: StoredResponse,
    ) -> StoreResult<()>;
    /// Releases a claimed key whose request failed in a way worth retrying (5xx).
    async fn idempotency_abort(&self, scope: &IdempotencyScope) -> StoreResult<()>;

    /// Finishes pending writes and releases the database (on shutdown).
    async fn close(&self) -> StoreResult<()>;

    // ---- sub-resources (contact persons, locations, accounts) --------------------------------

    /// `NotFound` when the client does not exist in the tenant.
    async fn create_sub(
        &self,
        ctx: &WriteCtx,
        client_id: Uuid,
        data: SubData,
    ) -> StoreResult<SubResource>;
    async fn get_sub(
        &self,
        tenant: TenantId,
        kind: SubKind,
        client_id: Uuid,
        id: Uuid,
    ) -> StoreResult<SubResource>;
    async fn get_sub_by_external_id(
        &self,
        tenant: TenantId,
        kind: SubKind,
        client_id: Uuid,
        external_id: &str,
    ) -> StoreResult<SubResource>;
    async fn replace_sub(
        &self,
        ctx: &WriteCtx,
        client_id: Uuid,
        id: Uuid,
        data: SubData,
        expected_version: Option<i64>,
    ) -> StoreResult<SubResource>;
    /// Read, merge, validate and write in one transaction.
    async fn patch_sub(
        &self,
        ctx: &WriteCtx,
        kind: SubKind,
        client_id: Uuid,
        id: Uuid,
        patch: serde_json::Value,
        expected_version: Option<i64>,
    ) -> StoreResult<SubResource>;
    async fn delete_sub(
        &self,
        ctx: &WriteCtx,
        kind: SubKind,
        client_id: Uuid,
        id: Uuid,
        expected_version: Option<i64>,
    ) -> StoreResult<()>;
    /// Newest first. `NotFound` when the client does not exist in the tenant.
    async fn list_subs(
        &self,
        tenant: TenantId,
        kind: SubKind,
        client_id: Uuid,
        limit: u32,
        offset: u64,
        count: bool,
    ) -> StoreResult<Page<SubResource>>;
    /// The item holding the one-per-client flag (the main contact person, the primary
    /// location) of each of these clients that has one, by client id, read in one statement
    /// per 1000 clients (so a list page costs one query, not one per client). Clients of other
    /// tenants, unknown ids and clients without a flagged item are absent from the map; a kind
    /// without a flag (accounts) gives an empty map.
    async fn flagged_subs(
        &self,
        tenant: TenantId,
        kind: SubKind,
        client_ids: &[Uuid],
    ) -> StoreResult<HashMap<Uuid, SubResource>>;
    /// Writes a batch of import rows in one transaction, with every rule of the one-by-one
    /// writes (numbers, search index, one audit record per entity); a row that fails a store
    /// rule is reported in its outcome and leaves the others alone. Outcomes are in row order.
    async fn import_clients(
        &self,
        ctx: &WriteCtx,
        mode: ImportMode,
        rows: Vec<ImportRow>,
    ) -> StoreResult<Vec<ImportOutcome>>;
    /// Inserts many clients in one transaction, each created at its given time (data loads and
    /// demo data). Returns how many were inserted.
    async fn insert_clients_bulk(
        &self,
        ctx: &WriteCtx,
        rows: Vec<(ClientData, Timestamp)>,
    ) -> StoreResult<u64>;
}
