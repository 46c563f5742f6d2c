//! The PostgreSQL-specific parts of lists: search through a term table, case-insensitive LIKE,
//! and SQLite's NULL order.
//!
//! Every client has one row per distinct search word in `client_search_terms` (migration
//! postgres/0002), rewritten in the same transaction as every change to the client or its
//! contact persons. The words are those of SQLite's full-text document
//! (`clientele_core::search::SearchDocument`), so both backends find the same clients: every
//! word of a `search` must prefix-match a word of the client, case and accents folded.
//!
//! A search word becomes `clients.id IN (SELECT client_id FROM client_search_terms WHERE
//! tenant_id = $1 AND term >= 'w' AND term < 'x')`: a prefix as a key range, so even a generic
//! plan of the prepared statement is a range scan of the primary key (`LIKE $1` is opaque at
//! plan time).

use std::collections::BTreeSet;

use clientele_core::search::{words, SearchDocument};
use clientele_core::TenantId;
use sea_query::extension::postgres::PgExpr;
use sea_query::{Cond, Expr, LikeExpr, Query, SimpleExpr};
use uuid::Uuid;

use crate::statements::{clients, col, Flavour};

const TABLE: &str = "client_search_terms";

/// The distinct words of a search document: the client's rows in the term table.
pub(super) fn terms(doc: &SearchDocument) -> BTreeSet<String> {
    doc.as_str()
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The least string greater than every string that starts with `prefix`, in code point (= UTF-8
/// byte, `COLLATE "C"`) order: the prefix with its last character incremented.
fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = (u32::from(last) + 1..=0x10_FFFF).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

pub(super) fn delete_terms(tenant: TenantId, client_id: Uuid) -> sea_query::DeleteStatement {
    let mut q = Query::delete();
    q.from_table(col(TABLE))
        .and_where(Expr::col(col("tenant_id")).eq(tenant.0.to_string()))
        .and_where(Expr::col(col("client_id")).eq(client_id.to_string()));
    q
}

pub(super) fn insert_terms(
    tenant: TenantId,
    client_id: Uuid,
    terms: &BTreeSet<String>,
) -> Option<sea_query::InsertStatement> {
    insert_terms_of(tenant, [(client_id, terms)])
}

/// One INSERT of the terms of many clients; `None` when there are none.
pub(super) fn insert_terms_of<'a>(
    tenant: TenantId,
    clients: impl IntoIterator<Item = (Uuid, &'a BTreeSet<String>)>,
) -> Option<sea_query::InsertStatement> {
    let mut q = Query::insert();
    q.into_table(col(TABLE))
        .columns([col("tenant_id"), col("term"), col("client_id")]);
    let mut any = false;
    for (client_id, terms) in clients {
        for t in terms {
            any = true;
            q.values_panic([
                tenant.0.to_string().into(),
                t.clone().into(),
                client_id.to_string().into(),
            ]);
        }
    }
    any.then_some(q)
}

/// PostgreSQL's list pieces for one tenant.
pub struct PgFlavour {
    pub tenant: TenantId,
}

impl Flavour for PgFlavour {
    fn search(&self, terms: &[String]) -> SimpleExpr {
        let mut cond = Cond::all();
        for term in terms {
            // Folded exactly like the stored words.
            let Some(w) = words(term).into_iter().next() else {
                continue;
            };
            let mut sub = Query::select();
            sub.column(col("client_id"))
                .from(col(TABLE))
                .and_where(Expr::col(col("tenant_id")).eq(self.tenant.0.to_string()))
                .and_where(Expr::col(col("term")).gte(w.clone()));
            if let Some(upper) = prefix_upper_bound(&w) {
                sub.and_where(Expr::col(col("term")).lt(upper));
            }
            cond = cond.add(Expr::col((clients(), col("id"))).in_subquery(sub));
        }
        cond.into()
    }

    fn ci_like(&self, expr: SimpleExpr, pattern: String) -> SimpleExpr {
        // Columns are COLLATE "C": ILIKE then ignores ASCII case only, like SQLite's LIKE.
        // Backslash is PostgreSQL's default LIKE escape; an explicit ESCAPE clause is left out
        // because sea-query 0.32 writes `ILIKE ($1 ESCAPE ...)`, which PostgreSQL rejects.
        expr.ilike(LikeExpr::new(pattern))
    }

    fn nulls_sort_high(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_range_ends_just_after_every_completion() {
        assert_eq!(prefix_upper_bound("abc").as_deref(), Some("abd"));
        assert_eq!(prefix_upper_bound("az").as_deref(), Some("a{"));
        assert_eq!(prefix_upper_bound("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_upper_bound("\u{D7FF}").as_deref(), Some("\u{E000}"));
        assert_eq!(prefix_upper_bound(""), None);
    }
}
