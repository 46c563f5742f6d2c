//! Statements built once with sea-query, for every backend, one module per resource. Values are
//! always bound.

mod audit;
mod clients;
mod idempotency;
mod keys;
mod list;
mod subresources;
mod tenants;

pub use audit::*;
pub use clients::*;
pub use idempotency::*;
pub use keys::*;
pub use list::*;
pub use subresources::*;
pub use tenants::*;

use clientele_core::TenantId;
use sea_query::{Alias, Expr, QueryBuilder, QueryStatementWriter, SimpleExpr, Values};

/// A statement either backend can write in its SQL.
pub trait Statement: Sync {
    fn build<B: QueryBuilder>(&self, builder: B) -> (String, Values);
    /// A name under which the statement's text (never its values) is logged at DEBUG, for the
    /// few statements worth watching (list pages and counts).
    fn label(&self) -> Option<&'static str> {
        None
    }
}

impl<S: QueryStatementWriter + Sync> Statement for S {
    fn build<B: QueryBuilder>(&self, builder: B) -> (String, Values) {
        QueryStatementWriter::build(self, builder)
    }
}

pub fn col(name: &str) -> Alias {
    Alias::new(name)
}

pub fn clients() -> Alias {
    Alias::new("clients")
}

fn tenant_cond(tenant: TenantId) -> SimpleExpr {
    Expr::col(col("tenant_id")).eq(tenant.0.to_string())
}
