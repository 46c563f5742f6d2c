//! The SQLite-specific parts of lists: full-text search with FTS5 and case-insensitive LIKE.
//!
//! `clients_fts` is a contentless FTS5 table (`contentless_delete=1`) whose rowid is the
//! client's creation sequence `rid`. It is written by code in the same transaction as the client
//! row (insert, update, delete), so a search never sees a stale document and nothing needs a
//! rebuild job. The document is built by [`search_document`], the one hook later resources
//! (contact persons) extend with their own words.

use clientele_core::search::SearchDocument;
use clientele_core::{ClientData, StoreError, TenantId};
use rusqlite::{params, Connection, OptionalExtension};
use sea_query::{Expr, LikeExpr, Query, SimpleExpr};
use uuid::Uuid;

use crate::sql::{clients, col, Dialect};

pub struct SqliteDialect;

/// The FTS5 query for search words: each one quoted (so no word is read as an operator) and a
/// prefix; juxtaposition means AND.
pub fn match_query(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| format!("\"{}\"*", t.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

impl Dialect for SqliteDialect {
    fn search(&self, terms: &[String]) -> SimpleExpr {
        let mut sub = Query::select();
        sub.column(col("rowid"))
            .from(col("clients_fts"))
            .and_where(Expr::cust_with_values(
                "clients_fts MATCH ?",
                [match_query(terms)],
            ));
        Expr::col((clients(), col("rid"))).in_subquery(sub)
    }

    fn ci_like(&self, expr: SimpleExpr, pattern: String) -> SimpleExpr {
        // SQLite's LIKE ignores ASCII case (case_sensitive_like is off).
        expr.like(LikeExpr::new(pattern).escape('\\'))
    }
}

fn err(e: rusqlite::Error) -> StoreError {
    StoreError::Other(e.to_string())
}

/// The search document of a client: its own fields, and (once they exist) its contact persons'
/// names and e-mail addresses.
pub fn search_document(
    _conn: &Connection,
    _tenant: TenantId,
    _id: Uuid,
    data: &ClientData,
) -> Result<SearchDocument, StoreError> {
    let doc = SearchDocument::for_client(data);
    // Contact persons: read theirs here and add each with `doc.contact_person(name, email)`.
    Ok(doc)
}

/// Replaces the indexed document of the row with creation sequence `rid`.
pub fn write_document(conn: &Connection, rid: i64, doc: &SearchDocument) -> Result<(), StoreError> {
    remove_document(conn, rid)?;
    conn.prepare_cached("INSERT INTO clients_fts (rowid, doc) VALUES (?1, ?2)")
        .and_then(|mut st| st.execute(params![rid, doc.as_str()]))
        .map_err(err)?;
    Ok(())
}

pub fn remove_document(conn: &Connection, rid: i64) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM clients_fts WHERE rowid = ?1")
        .and_then(|mut st| st.execute(params![rid]))
        .map_err(err)?;
    Ok(())
}

/// The creation sequence of a client, if it exists in the tenant.
pub fn client_rid(
    conn: &Connection,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<i64>, StoreError> {
    conn.prepare_cached("SELECT rid FROM clients WHERE tenant_id = ?1 AND id = ?2")
        .and_then(|mut st| {
            st.query_row(params![tenant.0.to_string(), id.to_string()], |r| r.get(0))
                .optional()
        })
        .map_err(err)
}
