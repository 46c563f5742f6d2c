//! Clients: create, read (with `expand`), replace, patch, upsert by external id, delete, list.

use serde_json::Value;
use uuid::Uuid;

use super::error::client_err;
use super::expand::{embed, ClientDetail, ClientPage, EXPAND_LIMIT, LIST_EXPAND_LIMIT};
use super::{
    check_body_id, fill_currency, require_patch_object, Precondition, Read, ServiceError,
    ServiceResult,
};
use crate::client::{Client, ClientData};
use crate::document::ClientJson;
use crate::query::ClientQuery;
use crate::store::{Store, Upserted, WriteCtx};
use crate::sub::SubKind;
use crate::tenant::TenantId;

/// Longest `external_id` (API.md), checked on the path of an upsert before anything is read.
const MAX_EXTERNAL_ID_CHARS: usize = 128;

fn parse(doc: &Value) -> ServiceResult<ClientData> {
    ClientData::from_json(doc).map_err(ServiceError::Invalid)
}

/// Creates a client from a complete document (absent fields take their defaults). With
/// `ctx.fill_currency` set, the document gets the dialects' currency rule first.
pub async fn create_client(
    store: &dyn Store,
    ctx: &WriteCtx,
    doc: &Value,
) -> ServiceResult<Client> {
    let data = parse(&fill_currency(ctx, doc))?;
    store.create_client(ctx, data).await.map_err(client_err)
}

pub async fn get_client(store: &dyn Store, tenant: TenantId, id: Uuid) -> ServiceResult<Client> {
    store.get_client(tenant, id).await.map_err(client_err)
}

/// The client with this per-tenant `number` (seed 002's ids); another tenant's number is
/// `NotFound`, as an unknown one.
pub async fn get_client_by_number(
    store: &dyn Store,
    tenant: TenantId,
    number: i64,
) -> ServiceResult<Client> {
    store
        .get_client_by_number(tenant, number)
        .await
        .map_err(client_err)
}

/// A client with the newest [`EXPAND_LIMIT`] items of each kind in `expand`. With
/// `if_none_match` naming its current version, nothing is embedded: the caller's copy is
/// current.
pub async fn get_client_detail(
    store: &dyn Store,
    tenant: TenantId,
    id: Uuid,
    expand: &[SubKind],
    if_none_match: Option<Precondition>,
) -> ServiceResult<Read<ClientDetail>> {
    let client = get_client(store, tenant, id).await?;
    if if_none_match.is_some_and(|p| p.matches(client.version)) {
        return Ok(Read::NotModified {
            version: client.version,
        });
    }
    let embedded = embed(store, tenant, client.id, expand, EXPAND_LIMIT).await?;
    Ok(Read::Current(ClientDetail { client, embedded }))
}

/// A client's JSON document (no `expand`), written by the store; with `if_none_match` naming
/// its current version, only that version.
pub async fn get_client_json(
    store: &dyn Store,
    tenant: TenantId,
    id: Uuid,
    if_none_match: Option<Precondition>,
) -> ServiceResult<Read<ClientJson>> {
    let doc = store
        .get_client_json(tenant, id)
        .await
        .map_err(client_err)?;
    if if_none_match.is_some_and(|p| p.matches(doc.version)) {
        return Ok(Read::NotModified {
            version: doc.version,
        });
    }
    Ok(Read::Current(doc))
}

pub async fn get_client_by_external_id(
    store: &dyn Store,
    tenant: TenantId,
    external_id: &str,
) -> ServiceResult<Client> {
    store
        .get_client_by_external_id(tenant, external_id)
        .await
        .map_err(client_err)
}

/// Replaces every writable field with the document's value or its default. The currency rule
/// (`ctx.fill_currency`) does not apply: a surface that keeps fields it does not show (and so
/// the stored currency) writes them with [`patch_client`].
pub async fn replace_client(
    store: &dyn Store,
    ctx: &WriteCtx,
    id: Uuid,
    doc: &Value,
    if_match: Option<Precondition>,
) -> ServiceResult<Client> {
    check_body_id(doc, id)?;
    let data = parse(doc)?;
    store
        .replace_client(ctx, id, data, Precondition::expected_version(if_match))
        .await
        .map_err(client_err)
}

/// Applies a JSON merge patch (RFC 7396) in one store transaction: read, merge, validate, write.
/// With `ctx.fill_currency` set, the store applies the currency rule to the merged document, so
/// an amount without a currency keeps the stored currency (or takes the tenant's default).
pub async fn patch_client(
    store: &dyn Store,
    ctx: &WriteCtx,
    id: Uuid,
    patch: Value,
    if_match: Option<Precondition>,
) -> ServiceResult<Client> {
    require_patch_object(&patch)?;
    check_body_id(&patch, id)?;
    store
        .patch_client(ctx, id, patch, Precondition::expected_version(if_match))
        .await
        .map_err(client_err)
}

/// Creates or replaces the client whose external id is `external_id`; `true` when created.
///
/// The document's `external_id` may be absent (the path's is used) or equal to the path's; a
/// document `id` must be the id of the client it would replace.
pub async fn upsert_client_by_external_id(
    store: &dyn Store,
    ctx: &WriteCtx,
    external_id: &str,
    mut doc: Value,
    if_match: Option<Precondition>,
) -> ServiceResult<Upserted> {
    if external_id.chars().count() > MAX_EXTERNAL_ID_CHARS {
        return Err(ServiceError::invalid(
            "external_id",
            "too_long",
            format!("must be at most {MAX_EXTERNAL_ID_CHARS} characters"),
        ));
    }
    if let Some(obj) = doc.as_object_mut() {
        match obj.get("external_id") {
            None | Some(Value::Null) => {
                obj.insert("external_id".into(), Value::String(external_id.to_string()));
            }
            Some(Value::String(s)) if s == external_id => {}
            Some(_) => {
                return Err(ServiceError::invalid(
                    "external_id",
                    "mismatch",
                    "must be absent or equal to the external id in the path",
                ))
            }
        }
    }
    let data = parse(&doc)?;
    if doc.get("id").and_then(Value::as_str).is_some() {
        // Only a document that names an id costs this read; a failed read leaves the check to
        // the upsert itself.
        if let Ok(existing) = store
            .get_client_by_external_id(ctx.tenant, external_id)
            .await
        {
            check_body_id(&doc, existing.id)?;
        }
    }
    store
        .upsert_client_by_external_id(ctx, data, Precondition::expected_version(if_match))
        .await
        .map_err(client_err)
}

/// Deletes a client with its contact persons, locations and accounts.
pub async fn delete_client(
    store: &dyn Store,
    ctx: &WriteCtx,
    id: Uuid,
    if_match: Option<Precondition>,
) -> ServiceResult<()> {
    store
        .delete_client(ctx, id, Precondition::expected_version(if_match))
        .await
        .map_err(client_err)
}

/// A page of clients, each with the newest [`LIST_EXPAND_LIMIT`] items of every kind in
/// `query.expand`.
pub async fn list_clients(
    store: &dyn Store,
    tenant: TenantId,
    query: &ClientQuery,
) -> ServiceResult<ClientPage> {
    let page = store
        .list_clients(tenant, query)
        .await
        .map_err(client_err)?;
    let mut embedded = Vec::new();
    if !query.expand.is_empty() {
        embedded.reserve_exact(page.items.len());
        for c in &page.items {
            embedded.push(embed(store, tenant, c.id, &query.expand, LIST_EXPAND_LIMIT).await?);
        }
    }
    Ok(ClientPage { page, embedded })
}
