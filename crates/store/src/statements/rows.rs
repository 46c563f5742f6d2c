//! New rows of one table, all with the same columns: what a bulk write inserts. A backend
//! writes them as one multi-row `INSERT` ([`Rows::into_insert`]) or its own way (PostgreSQL: `COPY`,
//! `Tx::insert_rows`).

use sea_query::{InsertStatement, Query, Value};

use super::base::col;

pub struct Rows {
    pub table: &'static str,
    /// The same list (a `static`) for every set of rows of one shape: a backend may key what it
    /// builds for the shape by it (SQLite: its statement text, `sqlite::conn`).
    pub columns: &'static [&'static str],
    /// One entry per row, its values in the order of `columns`.
    pub values: Vec<Vec<Value>>,
}

impl Rows {
    pub fn new(table: &'static str, columns: &'static [&'static str]) -> Self {
        Self {
            table,
            columns,
            values: Vec::new(),
        }
    }

    pub fn push(&mut self, values: Vec<Value>) {
        debug_assert_eq!(values.len(), self.columns.len(), "one value per column");
        self.values.push(values);
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// One `INSERT` of every row; the rows must not be empty.
    pub fn into_insert(self) -> InsertStatement {
        let mut q = Query::insert();
        q.into_table(col(self.table))
            .columns(self.columns.iter().map(|c| col(c)));
        for row in self.values {
            q.values_panic(row.into_iter().map(Into::into));
        }
        q
    }
}
