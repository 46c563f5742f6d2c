//! Everything the console reads and writes, in one place: each function checks the caller's
//! permission exactly as the `/v1` route doing the same thing would, and calls the same use case
//! of `clientele_core::service` (which parses with the API's parsers and applies its rules).

use clientele_core::enums::Permission;
use clientele_core::query;
use clientele_core::service::{self, Precondition};
use clientele_core::store::AuditPage;
use clientele_core::sub::{SubKind, SubResource};
use clientele_core::{ApiKey, Caller, Client, Store, WriteCtx};
use serde_json::Value;
use uuid::Uuid;

use crate::error::ApiError;
use crate::keys::issue_key;
use crate::v1::api_keys::parse_new_key;
use crate::v1::query::{parse_list_query, ListRequest};

/// Contact persons, locations and accounts shown on a client's page (the API's expand limit).
pub const SUB_LIMIT: u32 = 100;
/// Audit records per history page.
pub const HISTORY_LIMIT: u32 = 25;

/// The same refusal the `/v1` gate gives a credential lacking the route's permission.
pub fn require(caller: &Caller, p: Permission) -> Result<(), ApiError> {
    if caller.has(p) {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "This credential lacks the {} permission",
            p.as_str()
        )))
    }
}

fn ctx(caller: &Caller) -> WriteCtx {
    WriteCtx {
        tenant: caller.tenant.id,
        actor: caller.actor.clone(),
        idempotency: None,
        fill_currency: None,
        import_id: None,
    }
}

/// One page of clients for list parameters in the API's own syntax (`search`, `status`, `sort`,
/// `cursor`, ...), parsed by the API's own parser; never counts (see [`count_clients`]).
/// Returns the clients and the cursor of the next page.
pub async fn list_clients(
    store: &dyn Store,
    caller: &Caller,
    params: &[(String, String)],
    limit: u32,
) -> Result<(Vec<Client>, Option<String>), ApiError> {
    require(caller, Permission::ClientsRead)?;
    let mut pairs = params.to_vec();
    pairs.push(("limit".into(), limit.to_string()));
    pairs.push(("count".into(), "false".into()));
    let ListRequest { query, fingerprint } = parse_list_query(&pairs)?;
    let page = service::list_clients(store, caller.tenant.id, &query).await?;
    let next = page.next().map(|p| query::encode_cursor(fingerprint, p));
    Ok((page.page.items, next))
}

/// How many clients match the list parameters (asked for separately, so a slow count never holds
/// up a page).
pub async fn count_clients(
    store: &dyn Store,
    caller: &Caller,
    params: &[(String, String)],
) -> Result<Option<u64>, ApiError> {
    require(caller, Permission::ClientsRead)?;
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "cursor" && k != "sort")
        .cloned()
        .collect();
    pairs.push(("limit".into(), "1".into()));
    let ListRequest { mut query, .. } = parse_list_query(&pairs)?;
    query.count = true;
    let page = service::list_clients(store, caller.tenant.id, &query).await?;
    Ok(page.total())
}

pub fn parse_client_id(id: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(id).map_err(|_| ApiError::not_found("No such client"))
}

pub async fn get_client(store: &dyn Store, caller: &Caller, id: Uuid) -> Result<Client, ApiError> {
    require(caller, Permission::ClientsRead)?;
    Ok(service::get_client(store, caller.tenant.id, id).await?)
}

/// A client's items of one kind, newest first (at most [`SUB_LIMIT`]).
pub async fn subs(
    store: &dyn Store,
    caller: &Caller,
    client_id: Uuid,
    kind: SubKind,
) -> Result<Vec<SubResource>, ApiError> {
    require(caller, Permission::ClientsRead)?;
    let page = service::list_subs(
        store,
        caller.tenant.id,
        kind,
        client_id,
        SUB_LIMIT,
        0,
        false,
    )
    .await?;
    Ok(page.items)
}

/// A page of the client's audit trail (values already masked when the record was written), or
/// the refusal when the credential lacks `audit:read`.
pub async fn history(
    store: &dyn Store,
    caller: &Caller,
    client_id: Uuid,
    before: Option<i64>,
) -> Result<AuditPage, ApiError> {
    require(caller, Permission::AuditRead)?;
    store
        .client_history(caller.tenant.id, client_id, before, HISTORY_LIMIT)
        .await
        .map_err(|e| ApiError::from_store(e, "client"))
}

/// Creates a client from a whole document, parsed by `ClientData::from_json` as `POST` does.
pub async fn create_client(
    store: &dyn Store,
    caller: &Caller,
    doc: &Value,
) -> Result<Client, ApiError> {
    require(caller, Permission::ClientsWrite)?;
    Ok(service::create_client(store, &ctx(caller), doc).await?)
}

/// What an update did.
pub enum Updated {
    Changed(Client),
    /// The submitted values equal the stored ones: nothing was written.
    Unchanged(Client),
}

/// Applies a merge patch to the client as last read at `expected_version` (`If-Match`
/// semantics): the result is validated as a whole by the API's parser, and written only if
/// nobody changed the client meanwhile (`412 PRECONDITION_FAILED` otherwise).
pub async fn update_client(
    store: &dyn Store,
    caller: &Caller,
    id: Uuid,
    patch: &Value,
    expected_version: i64,
) -> Result<Updated, ApiError> {
    require(caller, Permission::ClientsWrite)?;
    let current = service::get_client(store, caller.tenant.id, id).await?;
    let data = current
        .data
        .apply_patch(patch)
        .map_err(ApiError::validation)?;
    if current.version != expected_version {
        return Err(ApiError::precondition_failed());
    }
    if data == current.data {
        return Ok(Updated::Unchanged(current));
    }
    let written = service::patch_client(
        store,
        &ctx(caller),
        id,
        patch.clone(),
        Some(Precondition::Version(expected_version)),
    )
    .await?;
    Ok(Updated::Changed(written))
}

/// Archives or restores a client (a merge patch of `archived`, with `If-Match` semantics).
pub async fn set_archived(
    store: &dyn Store,
    caller: &Caller,
    id: Uuid,
    archived: bool,
    expected_version: i64,
) -> Result<Client, ApiError> {
    require(caller, Permission::ClientsWrite)?;
    Ok(service::patch_client(
        store,
        &ctx(caller),
        id,
        serde_json::json!({ "archived": archived }),
        Some(Precondition::Version(expected_version)),
    )
    .await?)
}

pub fn parse_sub_id(id: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(id).map_err(|_| ApiError::not_found("No such contact person"))
}

pub async fn get_contact(
    store: &dyn Store,
    caller: &Caller,
    client_id: Uuid,
    id: Uuid,
) -> Result<SubResource, ApiError> {
    require(caller, Permission::ClientsRead)?;
    Ok(service::get_sub(
        store,
        caller.tenant.id,
        SubKind::ContactPerson,
        client_id,
        id,
    )
    .await?)
}

/// Creates a contact person from a whole document, parsed as `POST .../contact-persons` does.
pub async fn create_contact(
    store: &dyn Store,
    caller: &Caller,
    client_id: Uuid,
    doc: &Value,
) -> Result<SubResource, ApiError> {
    require(caller, Permission::ClientsWrite)?;
    Ok(service::create_sub(store, &ctx(caller), SubKind::ContactPerson, client_id, doc).await?)
}

/// Updates a contact person from a merge patch, as read at `expected_version`.
pub async fn update_contact(
    store: &dyn Store,
    caller: &Caller,
    client_id: Uuid,
    id: Uuid,
    patch: &Value,
    expected_version: i64,
) -> Result<SubResource, ApiError> {
    require(caller, Permission::ClientsWrite)?;
    let current = get_contact(store, caller, client_id, id).await?;
    let data = current
        .data
        .apply_patch(patch)
        .map_err(ApiError::validation)?;
    if current.version != expected_version {
        return Err(ApiError::precondition_failed());
    }
    if data == current.data {
        return Ok(current);
    }
    Ok(service::patch_sub(
        store,
        &ctx(caller),
        SubKind::ContactPerson,
        client_id,
        id,
        patch.clone(),
        Some(Precondition::Version(expected_version)),
    )
    .await?)
}

pub async fn delete_contact(
    store: &dyn Store,
    caller: &Caller,
    client_id: Uuid,
    id: Uuid,
    expected_version: i64,
) -> Result<(), ApiError> {
    require(caller, Permission::ClientsDelete)?;
    Ok(service::delete_sub(
        store,
        &ctx(caller),
        SubKind::ContactPerson,
        client_id,
        id,
        Some(Precondition::Version(expected_version)),
    )
    .await?)
}

pub async fn list_keys(store: &dyn Store, caller: &Caller) -> Result<Vec<ApiKey>, ApiError> {
    require(caller, Permission::Admin)?;
    Ok(store.list_api_keys(caller.tenant.id).await?)
}

/// Creates a key from a body shaped like `POST /v1/api-keys`'s, parsed by the same parser.
/// Returns the key and its plaintext, which is shown once.
pub async fn create_key(
    store: &dyn Store,
    caller: &Caller,
    body: &Value,
) -> Result<(ApiKey, String), ApiError> {
    require(caller, Permission::Admin)?;
    let new = parse_new_key(body)?;
    Ok(issue_key(
        store,
        caller.tenant.id,
        new.permissions,
        new.rate_limit,
        new.name,
    )
    .await?)
}

pub async fn revoke_key(store: &dyn Store, caller: &Caller, id: &str) -> Result<ApiKey, ApiError> {
    require(caller, Permission::Admin)?;
    let id = Uuid::parse_str(id).map_err(|_| ApiError::not_found("No such API key"))?;
    store
        .revoke_api_key(Some(caller.tenant.id), id)
        .await
        .map_err(|e| ApiError::from_store(e, "API key"))
}
