//! A client's contact persons, locations and accounts: one set of use cases for the three
//! kinds. A missing client and a missing item are both `NotFound`, each with its own noun.

use std::collections::HashMap;

use serde_json::Value;
use uuid::Uuid;

use super::error::client_err;
use super::{check_body_id, require_patch_object, Precondition, ServiceError, ServiceResult};
use crate::error::StoreError;
use crate::query::Page;
use crate::store::{Store, WriteCtx};
use crate::sub::{SubData, SubKind, SubResource};
use crate::tenant::TenantId;

fn item_err(kind: SubKind) -> impl Fn(StoreError) -> ServiceError {
    move |e| ServiceError::from_store(e, kind.noun())
}

fn parse(kind: SubKind, doc: &Value) -> ServiceResult<SubData> {
    SubData::from_json(kind, doc).map_err(ServiceError::Invalid)
}

/// Creates an item under a client from a complete document.
pub async fn create_sub(
    store: &dyn Store,
    ctx: &WriteCtx,
    kind: SubKind,
    client_id: Uuid,
    doc: &Value,
) -> ServiceResult<SubResource> {
    let data = parse(kind, doc)?;
    store
        .create_sub(ctx, client_id, data)
        .await
        .map_err(|e| match e {
            // The item does not exist yet: only its client can be missing.
            StoreError::NotFound => ServiceError::NotFound("client"),
            other => item_err(kind)(other),
        })
}

pub async fn get_sub(
    store: &dyn Store,
    tenant: TenantId,
    kind: SubKind,
    client_id: Uuid,
    id: Uuid,
) -> ServiceResult<SubResource> {
    store
        .get_sub(tenant, kind, client_id, id)
        .await
        .map_err(item_err(kind))
}

pub async fn get_sub_by_external_id(
    store: &dyn Store,
    tenant: TenantId,
    kind: SubKind,
    client_id: Uuid,
    external_id: &str,
) -> ServiceResult<SubResource> {
    store
        .get_sub_by_external_id(tenant, kind, client_id, external_id)
        .await
        .map_err(item_err(kind))
}

/// Replaces every writable field of the item with the document's value or its default.
pub async fn replace_sub(
    store: &dyn Store,
    ctx: &WriteCtx,
    kind: SubKind,
    client_id: Uuid,
    id: Uuid,
    doc: &Value,
    if_match: Option<Precondition>,
) -> ServiceResult<SubResource> {
    check_body_id(doc, id)?;
    let data = parse(kind, doc)?;
    store
        .replace_sub(
            ctx,
            client_id,
            id,
            data,
            Precondition::expected_version(if_match),
        )
        .await
        .map_err(item_err(kind))
}

/// Applies a JSON merge patch to the item in one store transaction.
pub async fn patch_sub(
    store: &dyn Store,
    ctx: &WriteCtx,
    kind: SubKind,
    client_id: Uuid,
    id: Uuid,
    patch: Value,
    if_match: Option<Precondition>,
) -> ServiceResult<SubResource> {
    require_patch_object(&patch)?;
    check_body_id(&patch, id)?;
    store
        .patch_sub(
            ctx,
            kind,
            client_id,
            id,
            patch,
            Precondition::expected_version(if_match),
        )
        .await
        .map_err(item_err(kind))
}

/// Deletes an item; a deleted main contact or primary location hands its flag on.
pub async fn delete_sub(
    store: &dyn Store,
    ctx: &WriteCtx,
    kind: SubKind,
    client_id: Uuid,
    id: Uuid,
    if_match: Option<Precondition>,
) -> ServiceResult<()> {
    store
        .delete_sub(
            ctx,
            kind,
            client_id,
            id,
            Precondition::expected_version(if_match),
        )
        .await
        .map_err(item_err(kind))
}

/// A page of a client's items of one kind, newest first.
pub async fn list_subs(
    store: &dyn Store,
    tenant: TenantId,
    kind: SubKind,
    client_id: Uuid,
    limit: u32,
    offset: u64,
    count: bool,
) -> ServiceResult<Page<SubResource>> {
    store
        .list_subs(tenant, kind, client_id, limit, offset, count)
        .await
        .map_err(client_err)
}

/// The main contact person or primary location (`kind`) of each of these clients that has
/// one, by client id, in one store read per 1000 clients: what a list page shows for every
/// client without a query per client. Accounts have no flag: an empty map.
pub async fn flagged_subs(
    store: &dyn Store,
    tenant: TenantId,
    kind: SubKind,
    client_ids: &[Uuid],
) -> ServiceResult<HashMap<Uuid, SubResource>> {
    store
        .flagged_subs(tenant, kind, client_ids)
        .await
        .map_err(item_err(kind))
}
