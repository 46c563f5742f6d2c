//! Tenants and API keys.

use clientele_core::store::StoreResult;
use clientele_core::tenant::{parse_permissions, RateLimit};
use clientele_core::types::{CurrencyCode, TenantName, Timestamp};
use clientele_core::{ApiKey, StoreError, Tenant, TenantId};
use uuid::Uuid;

use crate::columns::RowSource;
use crate::db::{Db, Read, Tx, Write};
use crate::statements as sql;

/// Decodes the columns [`sql::TENANT_COLUMNS`].
fn decode_tenant(r: &mut dyn RowSource) -> StoreResult<Tenant> {
    let bad = |w: &str| StoreError::Other(format!("stored tenant {w} is invalid"));
    let id = Uuid::parse_str(&r.text()?.unwrap_or_default()).map_err(|_| bad("id"))?;
    let name = TenantName::parse(&r.text()?.unwrap_or_default()).map_err(|_| bad("name"))?;
    let default_currency =
        CurrencyCode::parse(&r.text()?.unwrap_or_default()).map_err(|_| bad("default_currency"))?;
    let created_at =
        Timestamp::parse(&r.text()?.unwrap_or_default()).map_err(|_| bad("created_at"))?;
    Ok(Tenant {
        id: TenantId(id),
        name,
        default_currency,
        created_at,
    })
}

/// Decodes the columns [`sql::KEY_COLUMNS`].
fn decode_key(r: &mut dyn RowSource) -> StoreResult<ApiKey> {
    let bad = |w: &str| StoreError::Other(format!("stored api key {w} is invalid"));
    let id = Uuid::parse_str(&r.text()?.unwrap_or_default()).map_err(|_| bad("id"))?;
    let tenant = Uuid::parse_str(&r.text()?.unwrap_or_default()).map_err(|_| bad("tenant_id"))?;
    let name = r.text()?;
    let prefix = r.text()?.unwrap_or_default();
    let permissions =
        parse_permissions(&r.text()?.unwrap_or_default()).map_err(|_| bad("permissions"))?;
    let rate_limit = r
        .text()?
        .map(|s| RateLimit::parse(&s))
        .transpose()
        .map_err(|_| bad("rate_limit"))?;
    let created_at =
        Timestamp::parse(&r.text()?.unwrap_or_default()).map_err(|_| bad("created_at"))?;
    let revoked_at = r
        .text()?
        .map(|s| Timestamp::parse(&s))
        .transpose()
        .map_err(|_| bad("revoked_at"))?;
    Ok(ApiKey {
        id,
        tenant_id: TenantId(tenant),
        name,
        prefix,
        permissions,
        rate_limit,
        created_at,
        revoked_at,
    })
}

/// `Store::create_tenant`: stores the tenant as given.
pub struct CreateTenant(pub Tenant);

impl Write for CreateTenant {
    type Output = Tenant;

    fn tenant(&self) -> Option<TenantId> {
        None
    }

    async fn run<X: Tx>(&self, tx: &X) -> StoreResult<Tenant> {
        let t = &self.0;
        let stmt = sql::insert_tenant(
            t.id.0,
            t.name.as_str(),
            t.default_currency.as_str(),
            t.created_at,
        );
        tx.exec(&stmt).await?;
        Ok(t.clone())
    }
}

/// `Store::tenant_by_name`.
pub struct TenantByName(pub String);

impl Read for TenantByName {
    type Output = Option<Tenant>;

    fn is_point(&self) -> bool {
        true
    }

    async fn run<D: Db>(&self, db: &D) -> StoreResult<Option<Tenant>> {
        db.first(&sql::select_tenant_by_name(&self.0), decode_tenant)
            .await
    }
}

/// `Store::tenant_count`.
pub struct TenantCount;

impl Read for TenantCount {
    type Output = i64;

    async fn run<D: Db>(&self, db: &D) -> StoreResult<i64> {
        db.int(&sql::count_tenants()).await
    }
}

/// `Store::create_api_key`: stores the key as given, with the hash of its secret.
pub struct CreateKey {
    pub key: ApiKey,
    pub hash: [u8; 32],
}

impl Write for CreateKey {
    type Output = ApiKey;

    fn tenant(&self) -> Option<TenantId> {
        None
    }

    async fn run<X: Tx>(&self, tx: &X) -> StoreResult<ApiKey> {
        let k = &self.key;
        let perms: Vec<&str> = k.permissions.iter().map(|p| p.as_str()).collect();
        tx.exec(&sql::insert_api_key(&sql::KeyRow {
            id: k.id,
            tenant: k.tenant_id,
            name: k.name.as_deref(),
            prefix: &k.prefix,
            hash: self.hash,
            permissions: perms.join(","),
            rate_limit: k.rate_limit.map(|r| r.to_string()),
            at: k.created_at,
        }))
        .await?;
        Ok(k.clone())
    }
}

/// `Store::list_api_keys`.
pub struct ListKeys(pub TenantId);

impl Read for ListKeys {
    type Output = Vec<ApiKey>;

    async fn run<D: Db>(&self, db: &D) -> StoreResult<Vec<ApiKey>> {
        db.rows(&sql::list_api_keys(self.0), decode_key).await
    }
}

/// `Store::revoke_api_key`.
pub struct RevokeKey {
    pub tenant: Option<TenantId>,
    pub id: Uuid,
}

impl Write for RevokeKey {
    type Output = ApiKey;

    fn tenant(&self) -> Option<TenantId> {
        None
    }

    async fn run<X: Tx>(&self, tx: &X) -> StoreResult<ApiKey> {
        let Self { tenant, id } = *self;
        tx.exec(&sql::revoke_api_key(tenant, id, Timestamp::now()))
            .await?;
        tx.one(&sql::select_api_key(tenant, id), decode_key).await
    }
}

/// `Store::api_key_by_hash`.
pub struct KeyByHash(pub [u8; 32]);

impl Read for KeyByHash {
    type Output = Option<(ApiKey, Tenant)>;

    fn is_point(&self) -> bool {
        true
    }

    async fn run<D: Db>(&self, db: &D) -> StoreResult<Option<(ApiKey, Tenant)>> {
        db.first(&sql::api_key_by_hash(self.0), |r| {
            Ok((decode_key(r)?, decode_tenant(r)?))
        })
        .await
    }
}

/// The credentials' generation (see [`sql::auth_generation`]), for the key cache.
pub struct AuthGeneration;

impl Read for AuthGeneration {
    type Output = i64;

    fn is_point(&self) -> bool {
        true
    }

    async fn run<D: Db>(&self, db: &D) -> StoreResult<i64> {
        db.int(&sql::auth_generation()).await
    }
}
