//! Lists of clients: a plan compiled once for both backends (`statements::list_clients`), its
//! pages read in turn until the page is full, the position after its last row, the total. Pages
//! hold 1 to `MAX_PAGE_SIZE` (1000) clients, whatever a surface allows its callers.

use clientele_core::query::{
    ClientQuery, FieldType, KeysetPosition, Page, Scalar, SortKey, MAX_PAGE_SIZE,
};
use clientele_core::store::StoreResult;
use clientele_core::{Client, FieldError, StoreError, TenantId};

use crate::columns::{decode_client, RowSource};
use crate::db::{Db, Read};
use crate::statements::{self as sql, ListStatement};

/// Reads the order-key columns that follow the client columns of a list row.
fn decode_keys(r: &mut dyn RowSource, order: &[SortKey]) -> StoreResult<KeysetPosition> {
    order
        .iter()
        .map(|k| {
            Ok(match k.field.ty {
                FieldType::Int | FieldType::Money => r.int()?.map(Scalar::Int),
                FieldType::Float => r.float()?.map(Scalar::Float),
                FieldType::Bool => r.boolean()?.map(Scalar::Bool),
                FieldType::Text
                | FieldType::Enum(_)
                | FieldType::Country
                | FieldType::Currency
                | FieldType::Uuid
                | FieldType::Timestamp => r.text()?.map(Scalar::Text),
            })
        })
        .collect()
}

/// `Store::list_clients`.
pub struct ListClients {
    pub tenant: TenantId,
    pub query: ClientQuery,
}

impl Read for ListClients {
    type Output = Page<Client>;

    async fn run<D: Db>(&self, db: &D) -> StoreResult<Page<Client>> {
        let (tenant, query) = (self.tenant, &self.query);
        if !(1..=MAX_PAGE_SIZE).contains(&query.limit) {
            return Err(StoreError::Invalid(vec![FieldError::new(
                "limit",
                "out_of_range",
                format!("must be between 1 and {MAX_PAGE_SIZE}"),
            )]));
        }
        let flavour = db.flavour(tenant, query).await?;
        let plan = sql::list_clients(tenant, query, &flavour);
        let limit = query.limit as usize;
        let mut items = Vec::with_capacity(limit);
        let mut last_keys = None;
        let mut next = None;
        for page in &plan.pages {
            // Each row is decoded straight into the page, with no buffer of rows in between.
            db.rows(&ListStatement::page(&plan, page), |r| {
                if items.len() == limit {
                    // A row beyond the page: the page's last row starts the next one.
                    if next.is_none() {
                        next = last_keys.take();
                    }
                    return Ok(());
                }
                items.push(decode_client(r)?);
                last_keys = Some(decode_keys(r, &plan.order)?);
                Ok(())
            })
            .await?;
            if next.is_some() {
                break;
            }
        }
        let total = match &plan.count {
            Some(count) => Some(db.list_total(tenant, count).await?),
            None => None,
        };
        Ok(Page { items, total, next })
    }
}
