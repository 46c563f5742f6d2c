//! What every statement builder uses: the [`Statement`] trait, table and column names, the
//! tenant condition.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};

use clientele_core::TenantId;
use sea_query::{
    Alias, Expr, QueryBuilder, QueryStatementWriter, SelectStatement, SimpleExpr, Value, Values,
};

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

/// A statement whose text is always the same, only its values change (a point read): its text
/// is built once per query builder and kept, so a call only binds the values. Building the text
/// of a statement with every client column costs more than SQLite takes to run it.
pub struct Shaped {
    /// Names the shape: one text per name and query builder.
    name: &'static str,
    /// Makes the statement with any values (only its text is kept).
    make: fn() -> SelectStatement,
    /// The values, in the order of the statement's placeholders.
    values: Vec<Value>,
}

impl Shaped {
    pub(super) fn new(
        name: &'static str,
        make: fn() -> SelectStatement,
        values: Vec<Value>,
    ) -> Self {
        Self { name, make, values }
    }
}

/// The texts of [`Shaped`] statements, by name and query builder.
type Texts = Mutex<HashMap<(&'static str, &'static str), String>>;

impl Statement for Shaped {
    fn build<B: QueryBuilder>(&self, builder: B) -> (String, Values) {
        static TEXTS: OnceLock<Texts> = OnceLock::new();
        let texts = TEXTS.get_or_init(Default::default);
        let key = (self.name, std::any::type_name::<B>());
        let kept = texts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            .cloned();
        let sql = match kept {
            Some(sql) => sql,
            None => {
                let (sql, _) = (self.make)().build(builder);
                texts
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(key, sql.clone());
                sql
            }
        };
        (sql, Values(self.values.clone()))
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
