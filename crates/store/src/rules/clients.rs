//! Clients: create (one, or many at once), replace, patch, upsert by external id, delete with
//! its sub-resources, read one.

use std::future::Future;
use std::marker::PhantomData;

use clientele_core::audit::{created_changes_text_of, diff, AuditAction};
use clientele_core::document::ClientJson;
use clientele_core::search::SearchDocument;
use clientele_core::store::{StoreResult, Upserted};
use clientele_core::sub::SubKind;
use clientele_core::types::Timestamp;
use clientele_core::{Client, ClientData, StoreError, TenantId, WriteCtx};
use uuid::Uuid;

use super::audit::{self, Entity};
use super::sequences::{take_numbers, RidWindow};
use super::{check_version, idempotency, patched, search, subresources};
use crate::columns::{decode_client, decode_sub, new_client_fields};
use crate::db::{Db, NewClientDoc, NewDocument, Read, Tx, Write};
use crate::rid;
use crate::statements as sql;

/// `referred_by_id` must name another client of the same tenant.
pub(super) async fn check_reference<X: Tx>(
    tx: &X,
    tenant: TenantId,
    self_id: Uuid,
    data: &ClientData,
) -> StoreResult<()> {
    let Some(r) = data.referred_by_id else {
        return Ok(());
    };
    // Kept until commit: a parallel delete of the referred client waits (PostgreSQL).
    if r == self_id || !tx.exists(&sql::client_exists_kept(tenant, r)).await? {
        return Err(StoreError::InvalidReference("referred_by_id".into()));
    }
    Ok(())
}

/// Inserts new clients, each created at its given time, numbered in order from the tenant's
/// next number: rows, search documents and audit records, `Tx::BULK_CHUNK` clients at a time.
pub(super) async fn insert<X: Tx>(
    tx: &X,
    ctx: &WriteCtx,
    rows: Vec<(ClientData, Timestamp)>,
) -> StoreResult<Vec<Client>> {
    let rows = rows
        .into_iter()
        .map(|(data, at)| (ctx, data, at, None))
        .collect();
    insert_each(tx, ctx.tenant, rows).await
}

/// What a new client's writes need that depends on its data alone: its search document, the
/// text of its creation's audit record and, where the backend keeps documents
/// (`Backend::keeps_documents`), its fields' part of its JSON document. A single create builds
/// them on the request's thread when it is made ([`Create::new`]), so that the SQLite writer,
/// whose one thread bounds the creates per second, only binds and steps them.
pub struct NewClientParts {
    doc: SearchDocument,
    changes: String,
    fields: Option<Vec<u8>>,
}

impl NewClientParts {
    pub fn of(data: &ClientData, with_document: bool) -> Self {
        Self {
            doc: SearchDocument::for_client(data),
            changes: created_changes_text_of(data),
            fields: with_document.then(|| new_client_fields(data)),
        }
    }
}

/// A new client to insert: who creates it, its data, when, and its parts if already built.
type NewClient<'a> = (
    &'a WriteCtx,
    ClientData,
    Timestamp,
    Option<&'a NewClientParts>,
);

/// `insert`, each client created by its own request (`ctx`: its actor in the audit record).
async fn insert_each<X: Tx>(
    tx: &X,
    tenant: TenantId,
    rows: Vec<NewClient<'_>>,
) -> StoreResult<Vec<Client>> {
    if let [(_, data, _, _)] = rows.as_slice() {
        if let Some(key) = &data.external_id {
            // The lock an upsert of this external id takes (see `Upsert`); not in bulk loads,
            // whose thousands of locks would fill PostgreSQL's lock table. Under it a taken
            // key is seen before a number is spent on the create.
            tx.lock_key(tenant, key).await?;
            let taken = sql::select_client_by_external_id(tenant, key);
            if tx.exists(&taken).await? {
                return Err(StoreError::Conflict("external_id".into()));
            }
        }
    }
    // A new client's id cannot be named yet, so only other clients are referred to; checked
    // before numbers are taken (a failed create spends none).
    for (_, data, _, _) in &rows {
        check_reference(tx, tenant, Uuid::nil(), data).await?;
    }
    let numbers = take_numbers(tx, tenant, rows.len()).await?;
    let mut seqs = RidWindow::read(tx, tenant, rows.iter().map(|(_, _, at, _)| *at)).await?;
    let mut new = Vec::with_capacity(rows.len());
    for (number, (ctx, data, at, parts)) in numbers.into_iter().zip(rows) {
        let (rid, ms) = seqs.allocate(tx, rid::unix_ms(at), number).await?;
        let id = rid::id_for(rid);
        let at = rid::timestamp_of_ms(ms);
        let client = Client {
            id,
            number,
            data,
            associated_accounts: 0,
            version: 1,
            created_at: at,
            updated_at: at,
        };
        new.push((rid, client, ctx, parts));
    }
    for chunk in new.chunks(X::BULK_CHUNK) {
        let rows: Vec<sql::NewRow<'_>> = chunk
            .iter()
            .map(|(rid, c, _, _)| sql::NewRow {
                tenant,
                id: c.id,
                rid: *rid,
                number: c.number,
                at: c.created_at,
                data: &c.data,
            })
            .collect();
        tx.insert_rows(sql::client_rows(&rows)).await?;
        let kept: Vec<NewClientDoc<'_>> = chunk
            .iter()
            .map(|(rid, client, _, parts)| NewClientDoc {
                tenant,
                rid: *rid,
                client,
                fields: parts.and_then(|p| p.fields.as_deref()),
            })
            .collect();
        tx.keep_documents(&kept).await?;
        // A new client has no contact persons yet: its own fields are its whole document.
        let docs: Vec<NewDocument> = chunk
            .iter()
            .map(|(rid, c, _, parts)| NewDocument {
                id: c.id,
                rid: *rid,
                archived: c.data.archived,
                status: c.data.status.as_str(),
                country: c
                    .data
                    .address
                    .as_ref()
                    .and_then(|a| a.country.as_ref())
                    .map(ToString::to_string),
                kind: c.data.kind.as_str(),
                doc: parts.map_or_else(|| SearchDocument::for_client(&c.data), |p| p.doc.clone()),
            })
            .collect();
        tx.index_new(tenant, &docs).await?;
        let audits: Vec<_> = chunk
            .iter()
            .map(|(_, c, ctx, parts)| {
                audit::new_record(
                    ctx,
                    Entity("client", c.id, c.id),
                    AuditAction::Created,
                    parts.map_or_else(|| created_changes_text_of(&c.data), |p| p.changes.clone()),
                )
            })
            .collect();
        audit::write(tx, tenant, &audits).await?;
    }
    Ok(new.into_iter().map(|(_, c, _, _)| c).collect())
}

/// Creates one client now (`parts`: its [`NewClientParts`], if built already).
async fn create<X: Tx>(
    tx: &X,
    ctx: &WriteCtx,
    data: ClientData,
    parts: Option<&NewClientParts>,
) -> StoreResult<Client> {
    let row = (ctx, data, Timestamp::now(), parts);
    let client = insert_each(tx, ctx.tenant, vec![row])
        .await?
        .pop()
        .ok_or_else(|| StoreError::Other("the insert returned no client".into()))?;
    idempotency::commit(tx, ctx, "client", client.id, 201).await?;
    Ok(client)
}

/// Replaces a client's data. A replacement that changes nothing keeps the version and writes
/// no audit record.
pub(super) async fn update<X: Tx>(
    tx: &X,
    ctx: &WriteCtx,
    current: Client,
    data: ClientData,
    expected_version: Option<i64>,
) -> StoreResult<Client> {
    check_version(expected_version, current.version)?;
    let changes = diff(Some(&current.data.to_json()), Some(&data.to_json()));
    if changes.is_empty() {
        idempotency::commit(tx, ctx, "client", current.id, 200).await?;
        return Ok(current);
    }
    check_reference(tx, ctx.tenant, current.id, &data).await?;
    let at = Timestamp::now();
    let version = current.version + 1;
    tx.exec(&sql::update_client(
        ctx.tenant, current.id, version, at, &data,
    ))
    .await?;
    search::index(tx, ctx.tenant, current.id, &data).await?;
    audit::record(
        tx,
        ctx,
        Entity("client", current.id, current.id),
        AuditAction::Updated,
        changes,
    )
    .await?;
    idempotency::commit(tx, ctx, "client", current.id, 200).await?;
    Ok(Client {
        data,
        version,
        updated_at: at,
        ..current
    })
}

/// The client a write changes, locked until it commits (`sql::select_client_for_update`).
async fn select_for_update<X: Tx>(tx: &X, tenant: TenantId, id: Uuid) -> StoreResult<Client> {
    tx.one(&sql::select_client_for_update(tenant, id), decode_client)
        .await
}

/// What a point read by id answers: the client ([`Client`], decoded from its row) or its JSON
/// document ([`ClientJson`], `Db::client_json_by_id`).
pub trait ById: Send + Sized + 'static {
    fn by_id<D: Db>(
        db: &D,
        tenant: TenantId,
        id: Uuid,
    ) -> impl Future<Output = StoreResult<Self>> + Send;
}

impl ById for Client {
    fn by_id<D: Db>(
        db: &D,
        tenant: TenantId,
        id: Uuid,
    ) -> impl Future<Output = StoreResult<Self>> + Send {
        db.client_by_id(tenant, id, decode_client)
    }
}

impl ById for ClientJson {
    fn by_id<D: Db>(
        db: &D,
        tenant: TenantId,
        id: Uuid,
    ) -> impl Future<Output = StoreResult<Self>> + Send {
        db.client_json_by_id(tenant, id)
    }
}

/// `Store::get_client` (a [`Client`]) and `Store::get_client_json` (a [`ClientJson`]): one
/// rule, one operation name in the metrics.
pub struct Get<T> {
    pub tenant: TenantId,
    pub id: Uuid,
    pub answer: PhantomData<fn() -> T>,
}

impl<T> Get<T> {
    pub fn new(tenant: TenantId, id: Uuid) -> Self {
        Self {
            tenant,
            id,
            answer: PhantomData,
        }
    }
}

impl<T: ById> Read for Get<T> {
    type Output = T;

    fn is_point(&self) -> bool {
        true
    }

    async fn run<D: Db>(&self, db: &D) -> StoreResult<T> {
        T::by_id(db, self.tenant, self.id).await
    }
}

/// `Store::get_client_by_external_id`.
pub struct GetByExternalId {
    pub tenant: TenantId,
    pub external_id: String,
}

impl Read for GetByExternalId {
    type Output = Client;

    fn is_point(&self) -> bool {
        true
    }

    async fn run<D: Db>(&self, db: &D) -> StoreResult<Client> {
        let stmt = sql::select_client_by_external_id(self.tenant, &self.external_id);
        db.one(&stmt, decode_client).await
    }
}

/// `Store::get_client_by_number`.
pub struct GetByNumber {
    pub tenant: TenantId,
    pub number: i64,
}

impl Read for GetByNumber {
    type Output = Client;

    fn is_point(&self) -> bool {
        true
    }

    async fn run<D: Db>(&self, db: &D) -> StoreResult<Client> {
        let stmt = sql::select_client_by_number(self.tenant, self.number);
        db.one(&stmt, decode_client).await
    }
}

/// `Store::create_client`.
pub struct Create {
    ctx: WriteCtx,
    data: ClientData,
    parts: NewClientParts,
}

impl Create {
    /// Builds the client's [`NewClientParts`] here, on the caller's thread (`with_document`:
    /// the backend keeps documents).
    pub fn new(ctx: WriteCtx, data: ClientData, with_document: bool) -> Self {
        let parts = NewClientParts::of(&data, with_document);
        Self { ctx, data, parts }
    }
}

impl Write for Create {
    type Output = Client;

    fn tenant(&self) -> Option<TenantId> {
        Some(self.ctx.tenant)
    }

    async fn run<X: Tx>(&self, tx: &X) -> StoreResult<Client> {
        create(tx, &self.ctx, self.data.clone(), Some(&self.parts)).await
    }
}

/// Concurrent creates of one tenant, each by its own request, in one transaction (`crate::groups`,
/// PostgreSQL): created now, numbered in their order, each with its own audit record and
/// idempotency key.
pub struct CreateGroup {
    pub items: Vec<(WriteCtx, ClientData)>,
}

impl Write for CreateGroup {
    type Output = Vec<Client>;

    fn tenant(&self) -> Option<TenantId> {
        self.items.first().map(|(ctx, _)| ctx.tenant)
    }

    async fn run<X: Tx>(&self, tx: &X) -> StoreResult<Vec<Client>> {
        let Some(tenant) = self.tenant() else {
            return Ok(Vec::new());
        };
        let at = Timestamp::now();
        let rows = self
            .items
            .iter()
            .map(|(ctx, data)| (ctx, data.clone(), at, None))
            .collect();
        let clients = insert_each(tx, tenant, rows).await?;
        for ((ctx, _), client) in self.items.iter().zip(&clients) {
            idempotency::commit(tx, ctx, "client", client.id, 201).await?;
        }
        Ok(clients)
    }
}

/// `Store::insert_clients_bulk`: many clients in one transaction, numbered and sequenced as
/// one-by-one creates would be, each created at its given time.
pub struct InsertBulk {
    pub ctx: WriteCtx,
    pub rows: Vec<(ClientData, Timestamp)>,
}

impl Write for InsertBulk {
    type Output = u64;

    fn tenant(&self) -> Option<TenantId> {
        Some(self.ctx.tenant)
    }

    async fn run<X: Tx>(&self, tx: &X) -> StoreResult<u64> {
        let n = self.rows.len() as u64;
        insert(tx, &self.ctx, self.rows.clone()).await?;
        Ok(n)
    }
}

/// `Store::replace_client`.
pub struct Replace {
    pub ctx: WriteCtx,
    pub id: Uuid,
    pub data: ClientData,
    pub expected_version: Option<i64>,
}

impl Write for Replace {
    type Output = Client;

    fn tenant(&self) -> Option<TenantId> {
        Some(self.ctx.tenant)
    }

    async fn run<X: Tx>(&self, tx: &X) -> StoreResult<Client> {
        let current = select_for_update(tx, self.ctx.tenant, self.id).await?;
        let data = self.data.clone();
        update(tx, &self.ctx, current, data, self.expected_version).await
    }
}

/// `Store::patch_client`: read, merge, validate and write in one transaction, so concurrent
/// patches never lose each other's changes. With `ctx.fill_currency`, the merged document gets
/// the currency rule before it is validated: it sees the stored currency of this very version.
pub struct Patch {
    pub ctx: WriteCtx,
    pub id: Uuid,
    pub patch: serde_json::Value,
    pub expected_version: Option<i64>,
}

impl Write for Patch {
    type Output = Client;

    fn tenant(&self) -> Option<TenantId> {
        Some(self.ctx.tenant)
    }

    async fn run<X: Tx>(&self, tx: &X) -> StoreResult<Client> {
        let current = select_for_update(tx, self.ctx.tenant, self.id).await?;
        let fill = self.ctx.fill_currency.as_ref();
        let data = patched(self.expected_version, current.version, || {
            current.data.apply_patch_filling(&self.patch, fill)
        })?;
        update(tx, &self.ctx, current, data, None).await
    }
}

/// `Store::upsert_client_by_external_id`: replaces the client with this external id, or
/// creates it (unless a version was expected).
pub struct Upsert {
    pub ctx: WriteCtx,
    pub external_id: String,
    pub data: ClientData,
    pub expected_version: Option<i64>,
}

impl Write for Upsert {
    type Output = Upserted;

    fn tenant(&self) -> Option<TenantId> {
        Some(self.ctx.tenant)
    }

    async fn run<X: Tx>(&self, tx: &X) -> StoreResult<Upserted> {
        let (ctx, data) = (&self.ctx, self.data.clone());
        // Upserts of one external id run one at a time, so the second finds the first's client.
        tx.lock_key(ctx.tenant, &self.external_id).await?;
        let found = tx
            .first(
                &sql::select_client_by_external_id(ctx.tenant, &self.external_id),
                decode_client,
            )
            .await?;
        // Locked (and read again) by id: the row as the last write of it committed it.
        let current = match found {
            Some(c) => select_for_update(tx, ctx.tenant, c.id).await,
            None => Err(StoreError::NotFound),
        };
        match current {
            Ok(current) => Ok((
                update(tx, ctx, current, data, self.expected_version).await?,
                false,
            )),
            Err(StoreError::NotFound) if self.expected_version.is_none() => {
                Ok((create(tx, ctx, data, None).await?, true))
            }
            Err(StoreError::NotFound) => Err(StoreError::VersionMismatch),
            Err(e) => Err(e),
        }
    }
}

/// `Store::delete_client`: its sub-resources go first, in the same transaction, each with its
/// own audit record.
pub struct Delete {
    pub ctx: WriteCtx,
    pub id: Uuid,
    pub expected_version: Option<i64>,
}

impl Write for Delete {
    type Output = ();

    fn tenant(&self) -> Option<TenantId> {
        Some(self.ctx.tenant)
    }

    async fn run<X: Tx>(&self, tx: &X) -> StoreResult<()> {
        let (ctx, id) = (&self.ctx, self.id);
        let current = select_for_update(tx, ctx.tenant, id).await?;
        check_version(self.expected_version, current.version)?;
        for kind in SubKind::ALL {
            let subs = tx
                .rows(&sql::oldest_subs(kind, ctx.tenant, id), |r| {
                    decode_sub(kind, r)
                })
                .await?;
            for sub in subs {
                subresources::delete_recorded(tx, ctx, id, sub.id, &sub.data).await?;
            }
        }
        tx.unindex(ctx.tenant, id).await?;
        tx.exec(&sql::delete_client(ctx.tenant, id)).await?;
        audit::record(
            tx,
            ctx,
            Entity("client", id, id),
            AuditAction::Deleted,
            diff(Some(&current.data.to_json()), None),
        )
        .await
    }
}
