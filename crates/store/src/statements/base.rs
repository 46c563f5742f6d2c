//! What every statement builder uses: the [`Statement`] trait, table and column names, the
//! tenant condition.

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

/// A table or column name.
pub fn col(name: &str) -> Alias {
    Alias::new(name)
}

/// The clients table.
pub fn clients() -> Alias {
    Alias::new("clients")
}

pub(super) fn tenant_cond(tenant: TenantId) -> SimpleExpr {
    Expr::col(col("tenant_id")).eq(tenant.0.to_string())
}
