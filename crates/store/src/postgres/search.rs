//! The PostgreSQL-specific parts of lists: search through PostgreSQL's inverted index,
//! case-insensitive LIKE, and SQLite's NULL order.
//!
//! Every client has one row in `client_search` (migration postgres/0013): its search words as a
//! `tsvector`, under a GIN index, rewritten in the same transaction as every change to the
//! client or its contact persons. The words are those of SQLite's full-text document
//! (`clientele_core::search::SearchDocument`), folded by our code, and become lexemes as they
//! are (`array_to_tsvector`: no PostgreSQL parser or dictionary touches them), so both backends
//! find the same clients: every word of a `search` must prefix-match a word of the client, case
//! and accents folded.
//!
//! A search becomes `clients.id IN (SELECT client_id FROM client_search WHERE tenant_id = $1
//! AND words @@ $2::tsquery)` with `$2` = `'w1':* & 'w2':*`: one index scan in which GIN
//! intersects the words' posting lists.

use std::collections::BTreeSet;

use clientele_core::query::{ArchivedFilter, ClientQuery};
use clientele_core::search::{words, SearchDocument};
use clientele_core::TenantId;
use sea_query::extension::postgres::PgExpr;
use sea_query::{Expr, LikeExpr, Query, SelectStatement, SimpleExpr};
use uuid::Uuid;

use crate::db::NewDocument;
use crate::statements::{clients, col, FacetEq, Flavour, RangePage};

const TABLE: &str = "client_search";

/// The distinct words of a search document: the lexemes of the client's row.
pub(super) fn terms(doc: &SearchDocument) -> BTreeSet<String> {
    doc.as_str()
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The words of a new client and its tags (migration postgres/0016: written with the words,
/// from the client's data, so no trigger reads the client row back): `=s<status>`,
/// `=c<country>` (`=c` when none), `=k<kind>`, `=a0` / `=a1`. The same lexemes as
/// `clientele_search_tags` makes of the stored row.
pub(super) fn new_terms(d: &NewDocument) -> BTreeSet<String> {
    let mut t = terms(&d.doc);
    t.insert(format!("=s{}", d.status));
    t.insert(format!("=c{}", d.country.as_deref().unwrap_or("")));
    t.insert(format!("=k{}", d.kind));
    t.insert(if d.archived { "=a1" } else { "=a0" }.to_string());
    t
}

/// The words as a `text[]` literal for `array_to_tsvector` (bound as one text value).
pub(super) fn array_literal(terms: &BTreeSet<String>) -> String {
    let mut out = String::from("{");
    for (i, t) in terms.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        for c in t.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
    }
    out.push('}');
    out
}

/// `array_to_tsvector` of the words.
fn vector(terms: &BTreeSet<String>) -> SimpleExpr {
    Expr::cust_with_values(
        "array_to_tsvector(CAST(CAST($1 AS TEXT) AS TEXT[]))",
        [array_literal(terms)],
    )
}

/// A lexeme quoted as `tsquery` input wants (quote and backslash escaped), so no character of
/// it is read as an operator.
fn quoted(lexeme: &str) -> String {
    let mut q = String::from("'");
    for c in lexeme.chars() {
        match c {
            '\'' => q.push_str("''"),
            '\\' => q.push_str("\\\\"),
            c => q.push(c),
        }
    }
    q.push('\'');
    q
}

/// A prefix query of every word: `'w1':* & 'w2':*`.
pub(super) fn prefix_query(words: &[String]) -> String {
    words
        .iter()
        .map(|w| format!("{}:*", quoted(w)))
        .collect::<Vec<_>>()
        .join(" & ")
}

/// The tag lexeme prefix of each field tagged in `client_search.words` (migrations
/// postgres/0015 and 0016, `new_terms`: `=s<status>`, `=c<country>`, `=k<kind>`, `=a0`/`=a1`). No search word starts
/// with `=`.
const TAGGED: &[(&str, &str)] = &[("status", "=s"), ("address.country", "=c"), ("kind", "=k")];

/// The words of a search, folded exactly like the stored words; each term's first word.
fn search_words(terms: &[String]) -> Vec<String> {
    terms
        .iter()
        .filter_map(|t| words(t).into_iter().next())
        .collect()
}

pub(super) fn delete_words(tenant: TenantId, client_id: Uuid) -> sea_query::DeleteStatement {
    let mut q = Query::delete();
    q.from_table(col(TABLE))
        .and_where(Expr::col(col("tenant_id")).eq(tenant.0.to_string()))
        .and_where(Expr::col(col("client_id")).eq(client_id.to_string()));
    q
}

/// Replaces an indexed client's words, keeping the tags its row holds (a change to a tagged
/// field rewrites them, migration postgres/0016: the row's own tags are the latest even when
/// another transaction changed the client since this one read it); changes no row when it has
/// none yet.
pub(super) fn update_words(
    tenant: TenantId,
    client_id: Uuid,
    terms: &BTreeSet<String>,
) -> sea_query::UpdateStatement {
    let mut q = Query::update();
    q.table(col(TABLE))
        .value(
            col("words"),
            Expr::cust_with_values(
                "array_to_tsvector(CAST(CAST($1 AS TEXT) AS TEXT[])) \
                 || clientele_search_tags_of(words)",
                [array_literal(terms)],
            ),
        )
        .and_where(Expr::col(col("tenant_id")).eq(tenant.0.to_string()))
        .and_where(Expr::col(col("client_id")).eq(client_id.to_string()));
    q
}

/// The words of a client that has no row yet, with the tags of its stored row (the rare
/// re-index of a client without a row: migrations); `$1` tenant, `$2` client, `$3` the words.
pub(super) const INSERT_WORDS_TAGGED_FROM_ROW: &str = "INSERT INTO client_search \
     (tenant_id, client_id, words) \
     SELECT tenant_id, id, array_to_tsvector(CAST($3::text AS TEXT[])) \
         || clientele_search_tags(status, address_country, kind, archived) \
     FROM clients WHERE tenant_id = $1 AND id = $2";

/// One INSERT of the words of many clients; `None` when there are no clients.
pub(super) fn insert_words_of<'a>(
    tenant: TenantId,
    clients: impl IntoIterator<Item = (Uuid, &'a BTreeSet<String>)>,
) -> Option<sea_query::InsertStatement> {
    let mut q = Query::insert();
    q.into_table(col(TABLE))
        .columns([col("tenant_id"), col("client_id"), col("words")]);
    let mut any = false;
    for (client_id, terms) in clients {
        any = true;
        q.values_panic([
            tenant.0.to_string().into(),
            client_id.to_string().into(),
            vector(terms),
        ]);
    }
    any.then_some(q)
}

/// PostgreSQL's list pieces for one tenant's query.
pub struct PgFlavour {
    pub tenant: TenantId,
    /// The query's search as a prefix `tsquery`, if it has words.
    search: Option<String>,
    archived: ArchivedFilter,
    /// A page in creation order filtered by a counted range, read from the range's index when
    /// the range counters say so (`statements::choose_range_page`); a walk of creation order
    /// is the planner's own choice, so it is left to it.
    range_page: Option<RangePage>,
}

impl PgFlavour {
    pub(super) fn new(tenant: TenantId, query: &ClientQuery) -> Self {
        let words = search_words(&query.search);
        Self {
            tenant,
            search: (!words.is_empty()).then(|| prefix_query(&words)),
            archived: query.archived,
            range_page: None,
        }
    }

    /// With the range page the caller chose from the range counters
    /// (`statements::range_page_estimate`, `choose_range_page`); a walk is left to the planner.
    pub(super) fn with_range_page(mut self, page: RangePage) -> Self {
        self.range_page = match page {
            RangePage::Sorted(_) => Some(page),
            RangePage::Walk => None,
        };
        self
    }
}

impl Flavour for PgFlavour {
    fn search(&self, terms: &[String]) -> SimpleExpr {
        // Each term folded exactly like the stored words; its first word prefix-matches.
        let words = search_words(terms);
        if words.is_empty() {
            return Expr::cust("TRUE");
        }
        let mut sub = Query::select();
        sub.column(col("client_id"))
            .from(col(TABLE))
            .and_where(Expr::col(col("tenant_id")).eq(self.tenant.0.to_string()))
            .and_where(Expr::cust_with_values(
                "words @@ CAST(CAST($1 AS TEXT) AS TSQUERY)",
                [prefix_query(&words)],
            ));
        Expr::col((clients(), col("id"))).in_subquery(sub)
    }

    fn ci_like(&self, expr: SimpleExpr, pattern: String) -> SimpleExpr {
        // Columns are COLLATE "C": ILIKE then ignores ASCII case only, like SQLite's LIKE.
        // Backslash is PostgreSQL's default LIKE escape; an explicit ESCAPE clause is left out
        // because sea-query 0.32 writes `ILIKE ($1 ESCAPE ...)`, which PostgreSQL rejects.
        expr.ilike(LikeExpr::new(pattern))
    }

    /// The count of the search's matches from `client_search` alone, the filters and the
    /// archived state tested as tag lexemes in the same `tsquery` (migration postgres/0015): GIN
    /// intersects the tags' posting lists with the words', and no client row is read.
    fn search_count(&self, facets: &[FacetEq]) -> Option<SelectStatement> {
        let search = self.search.as_ref()?;
        let mut q = format!("({search})");
        for f in facets {
            let (_, prefix) = TAGGED.iter().find(|(path, _)| *path == f.field.path)?;
            if f.values.is_empty() {
                return None;
            }
            let any: Vec<String> = f
                .values
                .iter()
                .map(|v| quoted(&format!("{prefix}{v}")))
                .collect();
            q = format!("{q} & ({})", any.join(" | "));
        }
        match self.archived {
            ArchivedFilter::Exclude => q.push_str(" & '=a0'"),
            ArchivedFilter::Only => q.push_str(" & '=a1'"),
            ArchivedFilter::All => {}
        }
        let mut c = Query::select();
        c.expr(Expr::cust("count(*)"))
            .from(col(TABLE))
            .and_where(Expr::col(col("tenant_id")).eq(self.tenant.0.to_string()))
            .and_where(Expr::cust_with_values(
                "words @@ CAST(CAST($1 AS TEXT) AS TSQUERY)",
                [q],
            ));
        Some(c)
    }

    fn range_counters(&self) -> bool {
        // `client_ranges`, migration postgres/0014.
        true
    }

    fn range_page(&self) -> Option<RangePage> {
        self.range_page
    }

    fn nulls_sort_high(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_words_are_quoted_lexemes_with_a_prefix_mark() {
        let w = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(prefix_query(&w(&["ab", "c"])), "'ab':* & 'c':*");
        assert_eq!(prefix_query(&w(&["o'b", "a\\b"])), "'o''b':* & 'a\\\\b':*");
        assert_eq!(prefix_query(&w(&["a&b|!"])), "'a&b|!':*");
    }

    #[test]
    fn words_become_an_array_literal() {
        let t: BTreeSet<String> = ["a\"b", "c\\", "d e,f"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(array_literal(&t), r#"{"a\"b","c\\","d e,f"}"#);
        assert_eq!(array_literal(&BTreeSet::new()), "{}");
    }
}
