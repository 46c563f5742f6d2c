//! The SQLite-specific parts of lists: full-text search with FTS5 and case-insensitive LIKE.
//!
//! `clients_fts` is a contentless FTS5 table (`contentless_delete=1`) whose rowid is the
//! client's creation sequence `rid`, so reading it in rowid order is reading clients in
//! `created_at` order. It is written by code in the same transaction as the client row (insert,
//! update, delete): a search never sees a stale document and nothing needs a rebuild job. The
//! document itself (the client's words and its contact persons') is built by the shared rules
//! (`rules::search`); this module only writes it, under the tenant's namespace.
//!
//! Every indexed word carries a namespace prefix naming its tenant and archived state
//! (`0001l` + `andersson`: tenant 1, live). A tenant's words are thus index terms of their own:
//! a search reads only that tenant's postings, counts without touching the clients table, and
//! can never see another tenant's documents. The namespace is 4 base-36 characters of a per-tenant
//! number plus `l` (live) or `r` (archived); it has a fixed length and every indexed word and
//! every search word carries it, so no word can reach another tenant's terms.
//!
//! Words are folded (case, accents) by `clientele_core::search`, on both sides, and the tokenizer
//! only splits. Prefix matching: words of 1-3 characters use the FTS prefix indexes (namespace +
//! 1..3 = 6, 7, 8 characters). Longer words are expanded through `search_terms` into at most
//! [`MAX_EXPANSION`] exact terms joined with OR, which FTS5 streams in rowid order; its own
//! `word*` for long prefixes first merges every matching doclist in memory (measured 13 ms vs
//! 0.1 ms for a page of a word in 11% of 1M documents, docs/indexes.md).

use clientele_core::query::{ArchivedFilter, ClientQuery, FieldType};
use std::collections::HashSet;

use clientele_core::search::{fold, words, SearchDocument};
use clientele_core::{StoreError, TenantId};
use rusqlite::{params, Connection, OptionalExtension};
use sea_query::{Expr, LikeExpr, Query, SelectStatement, SimpleExpr};
use sea_query_rusqlite::RusqliteBinder;
use uuid::Uuid;

use super::fts_batch;
use crate::db::NewDocument;
use crate::statements::{
    choose_range_page, clients, col, current_month, range_page_estimate, FacetEq, Flavour,
    FtsSource, RangePage,
};

/// Most exact terms a long prefix is expanded to before falling back to FTS5's own prefix query.
/// An OR streams a page (its first rows, in rowid order) where the prefix query merges every
/// matching doclist first, but costs a visit of each branch per row it yields: at 1M clients
/// an OR of 112 terms (`erik`) counts in as many instructions as the prefix query, an OR of 81
/// (`anna`) in 32% fewer, and both read a page in a seventh or less (docs/performance.md).
pub const MAX_EXPANSION: usize = 128;
/// Longest word that uses the prefix indexes rather than the vocabulary.
const PREFIX_INDEXED: usize = 3;
/// Namespaces are 4 base-36 characters.
const MAX_NAMESPACES: i64 = 36 * 36 * 36 * 36;

fn err(e: rusqlite::Error) -> StoreError {
    StoreError::Other(e.to_string())
}

/// The namespace of the tenant whose code is `code`.
pub fn namespace_of(code: i64) -> String {
    base36(code)
}

fn base36(mut n: i64) -> String {
    let digits = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = [b'0'; 4];
    for slot in out.iter_mut().rev() {
        *slot = digits[(n % 36) as usize];
        n /= 36;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The tenant's search namespace; with `create`, assigns the next free one if it has none.
pub fn namespace(
    conn: &Connection,
    tenant: TenantId,
    create: bool,
) -> Result<Option<String>, StoreError> {
    let t = tenant.0.to_string();
    let get = |conn: &Connection| {
        conn.prepare_cached("SELECT code FROM search_namespaces WHERE tenant_id = ?1")
            .and_then(|mut st| st.query_row(params![t], |r| r.get::<_, i64>(0)).optional())
            .map_err(err)
    };
    if let Some(code) = get(conn)? {
        return Ok(Some(base36(code)));
    }
    if !create {
        return Ok(None);
    }
    conn.prepare_cached(
        "INSERT INTO search_namespaces (tenant_id, code)
         SELECT ?1, coalesce(max(code), 0) + 1 FROM search_namespaces",
    )
    .and_then(|mut st| st.execute(params![t]))
    .map_err(err)?;
    match get(conn)? {
        Some(code) if code < MAX_NAMESPACES => Ok(Some(base36(code))),
        _ => Err(StoreError::Other("no search namespace left".into())),
    }
}

fn flag(archived: bool) -> char {
    if archived {
        'r'
    } else {
        'l'
    }
}

/// The fields whose values are also tokens of the document (a tag per field), so that the
/// index alone counts a search combined with equality on them: the field's path and the letter
/// that names it in the tag.
const TAGGED: &[(&str, char)] = &[("status", 's'), ("address.country", 'c'), ("kind", 'k')];

/// The token that marks a document whose `field` (a [`TAGGED`] letter) is `value`: the
/// namespace, `t` (no word's namespace ends in it: theirs end in `l` or `r`), the field's
/// letter and the value's letters and digits, folded.
fn tag(ns: &str, letter: char, value: &str) -> String {
    let mut out = String::with_capacity(ns.len() + 2 + value.len());
    push_tag(&mut out, ns, letter, value);
    out
}

/// [`tag`], appended to `out`. An ASCII value (every stored status, country and kind) is
/// folded byte by byte, without the `String`s of [`fold`].
fn push_tag(out: &mut String, ns: &str, letter: char, value: &str) {
    out.push_str(ns);
    out.push('t');
    out.push(letter);
    if value.is_ascii() {
        out.extend(
            value
                .bytes()
                .filter(u8::is_ascii_alphanumeric)
                .map(|b| char::from(b.to_ascii_lowercase())),
        );
    } else {
        out.extend(fold(value).chars().filter(|c| c.is_alphanumeric()));
    }
}

/// The tags of the client with creation sequence `rid`, from its row: its [`TAGGED`] values.
fn tags(conn: &Connection, rid: i64) -> Result<[Option<String>; 3], StoreError> {
    let values: Option<[Option<String>; 3]> = conn
        .prepare_cached("SELECT status, address_country, kind FROM clients WHERE rid = ?1")
        .and_then(|mut st| {
            st.query_row(params![rid], |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?]))
                .optional()
        })
        .map_err(err)?;
    Ok(values.unwrap_or_default())
}

/// Replaces the indexed document of the row with creation sequence `rid`: its words under the
/// tenant's namespace, and the tags of its [`TAGGED`] fields. The text is also kept in
/// `search_documents`, so that a later change knows which words it removes (a word that no
/// document holds any more leaves the vocabulary, `search_terms`, in the same transaction) and
/// whether the document changed at all.
pub fn write_document(
    conn: &Connection,
    tenant: TenantId,
    rid: i64,
    archived: bool,
    doc: &SearchDocument,
) -> Result<(), StoreError> {
    let Some(ns) = namespace(conn, tenant, true)? else {
        return Ok(());
    };
    let [status, country, kind] = tags(conn, rid)?;
    let text = indexed_text(
        &ns,
        archived,
        doc,
        [status.as_deref(), country.as_deref(), kind.as_deref()],
    );
    let old: Option<String> = conn
        .prepare_cached("SELECT words FROM search_documents WHERE rid = ?1")
        .and_then(|mut st| st.query_row(params![rid], |r| r.get(0)).optional())
        .map_err(err)?;
    if old.as_deref() == Some(text.as_str()) {
        // A change to fields the document does not hold (phone, credit, ...): nothing to do.
        return Ok(());
    }
    if old.is_some() {
        // Every indexed document has its text in `search_documents` (written together, and
        // rewritten for every row by migration 24): without one there is nothing to delete,
        // and a new client (every create) skips the delete.
        fts_batch::delete(conn, rid)?;
    }
    // The words it did not hold before are added here, not by the index's queue.
    fts_batch::insert(conn, rid, &text, false)?;
    conn.prepare_cached("INSERT OR REPLACE INTO search_documents (rid, words) VALUES (?1, ?2)")
        .and_then(|mut st| st.execute(params![rid, text]))
        .map_err(err)?;
    let old = old.unwrap_or_default();
    let old: HashSet<&str> = words_of(&old).collect();
    let new: HashSet<&str> = words_of(&text).collect();
    let mut add = conn
        .prepare_cached("INSERT OR IGNORE INTO search_terms (term) VALUES (?1)")
        .map_err(err)?;
    for term in new.difference(&old) {
        add.execute(params![term]).map_err(err)?;
    }
    prune(conn, old.difference(&new).copied())
}

/// The text indexed for a row: the document's words under the namespace, then the tags of
/// its [`TAGGED`] `values` (in that order, as stored).
fn indexed_text(
    ns: &str,
    archived: bool,
    doc: &SearchDocument,
    values: [Option<&str>; 3],
) -> String {
    let flag = flag(archived);
    let mut text = String::with_capacity(doc.as_str().len() * 2 + 64);
    let words = || doc.as_str().split(' ').filter(|w| !w.is_empty());
    for w in words().chain(letter_runs(words())) {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(ns);
        text.push(flag);
        text.push_str(w);
    }
    for (value, (_, letter)) in values.into_iter().zip(TAGGED) {
        if let Some(value) = value {
            text.push(' ');
            push_tag(&mut text, ns, *letter, value);
        }
    }
    text
}

/// The leading run of letters of `word` when something else (a digit: words are runs of
/// letters and digits) continues it and the run is longer than the prefix indexes serve:
/// `andersson12` → `andersson`, `annaandersson12` → `annaandersson`; `k1234` has none.
///
/// Such runs are indexed as words of their own ([`letter_runs`]), so that a search word made of
/// letters only never needs the terms that continue a letter run with a digit: every document
/// holding `andersson12` also holds `andersson`, which the same search word matches
/// ([`terms_with_prefix`]).
fn letter_run(word: &str) -> Option<&str> {
    let end = word
        .char_indices()
        .find(|(_, c)| !c.is_alphabetic())
        .map(|(i, _)| i)?;
    let run = &word[..end];
    (run.chars().count() > PREFIX_INDEXED).then_some(run)
}

/// The letter runs ([`letter_run`]) of `words` that are not among the words themselves, each
/// once, in order of first appearance: the extra words of an indexed document. (A document
/// has a few dozen words: a scan of them is cheaper than hashing them.)
fn letter_runs<'a>(words: impl Iterator<Item = &'a str> + Clone) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for run in words.clone().filter_map(letter_run) {
        if !out.contains(&run) && !words.clone().any(|w| w == run) {
            out.push(run);
        }
    }
    out
}

/// The indexed text `text` (as written before migration 28: words, then tags) with the letter
/// runs of its words added after the words, as [`indexed_text`] writes it now; `None` when it
/// has none to add.
fn with_letter_runs(text: &str) -> Option<String> {
    let tokens: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).collect();
    // A document's words share one prefix: the namespace (4 characters) and `l`/`r`, ASCII,
    // so a word starts at byte 5; tags have `t` there instead.
    let is_word = |t: &&str| t.len() > 5 && t.as_bytes()[4] != b't';
    let words: Vec<&str> = tokens.iter().copied().filter(is_word).collect();
    let prefix = &words.first()?[..5];
    let runs = letter_runs(words.iter().map(|w| &w[5..]));
    if runs.is_empty() {
        return None;
    }
    let runs: Vec<String> = runs.iter().map(|r| format!("{prefix}{r}")).collect();
    let mut out: Vec<&str> = words;
    out.extend(runs.iter().map(String::as_str));
    out.extend(tokens.iter().copied().filter(|t| !is_word(t)));
    Some(out.join(" "))
}

/// Migration 28: adds the letter runs ([`letter_run`]) to every indexed document that has
/// any, and to the vocabulary; returns how many documents were written again. The documents
/// are read in chunks of rids. When any was written, the FTS index is then merged into one
/// segment (`optimize`): a rewritten document leaves its old postings behind, marked deleted,
/// in the segments that held it, and every search would otherwise read and skip them (a third
/// of the documents at 1M clients: +40% instructions for a count of `andersson`).
pub fn add_letter_runs(conn: &Connection) -> Result<u64, StoreError> {
    const CHUNK: i64 = 10_000;
    let mut next = conn
        .prepare("SELECT rid, words FROM search_documents WHERE rid > ?1 ORDER BY rid LIMIT ?2")
        .map_err(err)?;
    let mut unindex = conn
        .prepare("DELETE FROM clients_fts WHERE rowid = ?1")
        .map_err(err)?;
    let mut index = conn
        .prepare("INSERT INTO clients_fts (rowid, doc) VALUES (?1, ?2)")
        .map_err(err)?;
    let mut kept = conn
        .prepare("UPDATE search_documents SET words = ?2 WHERE rid = ?1")
        .map_err(err)?;
    let mut add = conn
        .prepare("INSERT OR IGNORE INTO search_terms (term) VALUES (?1)")
        .map_err(err)?;
    let mut written = 0;
    let mut after = i64::MIN;
    loop {
        let docs: Vec<(i64, String)> = next
            .query_map(params![after, CHUNK], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|rows| rows.collect())
            .map_err(err)?;
        let Some((last, _)) = docs.last() else {
            break;
        };
        after = *last;
        for (rid, old) in &docs {
            let Some(text) = with_letter_runs(old) else {
                continue;
            };
            unindex.execute(params![rid]).map_err(err)?;
            index.execute(params![rid, text]).map_err(err)?;
            kept.execute(params![rid, text]).map_err(err)?;
            let before: HashSet<&str> = words_of(old).collect();
            for term in words_of(&text).filter(|t| !before.contains(t)) {
                add.execute(params![term]).map_err(err)?;
            }
            written += 1;
        }
    }
    if written > 0 {
        conn.execute(
            "INSERT INTO clients_fts (clients_fts) VALUES ('optimize')",
            [],
        )
        .map_err(err)?;
    }
    Ok(written)
}

/// [`write_document`] for rows just inserted (a create, a chunk of a bulk load): such a row
/// has no indexed document yet, so there is no old text to read, no entry to delete and no
/// word to prune; the namespace is read once for all of them, the tags come from the values
/// just written, and the words go to the vocabulary with the index entry (`fts_batch`: once
/// per batch while the writer defers them).
pub fn write_new_documents(
    conn: &Connection,
    tenant: TenantId,
    docs: &[NewDocument],
) -> Result<(), StoreError> {
    if docs.is_empty() {
        return Ok(());
    }
    let Some(ns) = namespace(conn, tenant, true)? else {
        return Ok(());
    };
    let mut kept = conn
        .prepare_cached("INSERT OR REPLACE INTO search_documents (rid, words) VALUES (?1, ?2)")
        .map_err(err)?;
    for d in docs {
        let values = [Some(d.status), d.country.as_deref(), Some(d.kind)];
        let text = indexed_text(&ns, d.archived, &d.doc, values);
        fts_batch::insert(conn, d.rid, &text, true)?;
        kept.execute(params![d.rid, text]).map_err(err)?;
    }
    Ok(())
}

/// The words of an indexed text, its tags left out (they are not vocabulary): a namespace is 4
/// characters, then `l`/`r` for a word, `t` for a tag.
pub(super) fn words_of(text: &str) -> impl Iterator<Item = &str> {
    text.split(' ')
        .filter(|w| !w.is_empty() && w.as_bytes().get(4) != Some(&b't'))
}

/// Removes the row's document from the index; returns its words as last written.
fn remove_indexed(conn: &Connection, rid: i64) -> Result<Option<String>, StoreError> {
    let old: Option<String> = conn
        .prepare_cached("DELETE FROM search_documents WHERE rid = ?1 RETURNING words")
        .and_then(|mut st| st.query_row(params![rid], |r| r.get(0)).optional())
        .map_err(err)?;
    fts_batch::delete(conn, rid)?;
    Ok(old)
}

/// Drops from the vocabulary each of `terms` that no indexed document holds any more (an
/// exact-term query that stops at the first match).
fn prune<'a>(conn: &Connection, terms: impl Iterator<Item = &'a str>) -> Result<(), StoreError> {
    let mut drop = conn
        .prepare_cached("DELETE FROM search_terms WHERE term = ?1")
        .map_err(err)?;
    for term in terms {
        if !fts_batch::holds(conn, term, &quote(term))? {
            drop.execute(params![term]).map_err(err)?;
        }
    }
    Ok(())
}

pub fn remove_document(conn: &Connection, rid: i64) -> Result<(), StoreError> {
    let old = remove_indexed(conn, rid)?.unwrap_or_default();
    prune(conn, words_of(&old))
}

/// The creation sequence and archived state of a client, if it exists in the tenant.
pub fn client_rid(
    conn: &Connection,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<(i64, bool)>, StoreError> {
    conn.prepare_cached("SELECT rid, archived FROM clients WHERE tenant_id = ?1 AND id = ?2")
        .and_then(|mut st| {
            st.query_row(params![tenant.0.to_string(), id.to_string()], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
        })
        .map_err(err)
}

fn quote(term: &str) -> String {
    format!("\"{}\"", term.replace('"', "\"\""))
}

/// Index terms starting with `prefix` (a namespace and flag, then `word`), up to `limit`, from
/// `search_terms`: the words of the indexed documents. FTS5's own vocabulary table counts every
/// posting of a term to list it (19 ms for a term in every document), this one is a B-tree
/// range. `None` when there are more than `limit`.
///
/// When `word` is made of letters only, a term that continues a letter run with a digit
/// (`andersson12` for `anders`) is left out: every document holding it also holds its letter
/// run (`andersson`, see [`letter_run`]), a vocabulary term that starts with `word` too and is
/// in the list. The terms `run0…` to `run9…` are one range of the B-tree, stepped over at once.
fn terms_with_prefix(
    conn: &Connection,
    prefix: &str,
    word: &str,
    limit: usize,
) -> Result<Option<Vec<String>>, StoreError> {
    let upper = format!("{prefix}\u{10FFFF}");
    let skip_runs = word.chars().all(char::is_alphabetic);
    let start = prefix.len() - word.len();
    let mut st = conn
        .prepare_cached("SELECT term FROM search_terms WHERE term >= ?1 AND term < ?2")
        .map_err(err)?;
    let mut out: Vec<String> = Vec::new();
    let mut from = prefix.to_string();
    // Rows are read as needed. Bounded: a round ends the list, or steps past the digit
    // continuations of a letter run (which was kept: it sorts before them), and the rows read
    // in all are capped (then FTS5's own prefix query answers).
    let mut read = 0;
    'rounds: loop {
        let mut rows = st.query(params![from, upper]).map_err(err)?;
        while let Some(row) = rows.next().map_err(err)? {
            let term: String = row.get(0).map_err(err)?;
            read += 1;
            if read > 8 * (limit + 1) {
                return Ok(None);
            }
            let run = if skip_runs {
                letter_run(&term[start..]).map(str::len)
            } else {
                None
            };
            match run {
                None => {
                    out.push(term);
                    if out.len() > limit {
                        return Ok(None);
                    }
                }
                Some(len) if term.as_bytes()[start + len].is_ascii_digit() => {
                    // Past `run9…`: ':' follows '9'.
                    from = format!("{}:", &term[..start + len]);
                    continue 'rounds;
                }
                Some(_) => {}
            }
        }
        return Ok(Some(out));
    }
}

/// The FTS5 query for `terms` in the tenant's namespaces, or `None` when nothing can match.
pub fn match_query(
    conn: &Connection,
    tenant: TenantId,
    archived: ArchivedFilter,
    terms: &[String],
) -> Result<Option<String>, StoreError> {
    let Some(ns) = namespace(conn, tenant, false)? else {
        return Ok(None);
    };
    let flags: &[bool] = match archived {
        ArchivedFilter::Exclude => &[false],
        ArchivedFilter::Only => &[true],
        ArchivedFilter::All => &[false, true],
    };
    let mut parts = Vec::new();
    for term in terms {
        // Folded exactly like the document's words (`words` folds case and accents).
        let Some(word) = words(term).into_iter().next() else {
            continue;
        };
        let mut alternatives = Vec::new();
        for &archived in flags {
            let prefix = format!("{ns}{}{word}", flag(archived));
            if word.chars().count() <= PREFIX_INDEXED {
                alternatives.push(format!("{}*", quote(&prefix)));
                continue;
            }
            match terms_with_prefix(conn, &prefix, &word, MAX_EXPANSION)? {
                Some(found) => alternatives.extend(found.iter().map(|t| quote(t))),
                None => alternatives.push(format!("{}*", quote(&prefix))),
            }
        }
        if alternatives.is_empty() {
            return Ok(None);
        }
        parts.push(format!("({})", alternatives.join(" OR ")));
    }
    Ok(Some(parts.join(" AND ")))
}

/// SQLite's list pieces, prepared for one query (the FTS query needs the tenant's namespace
/// and vocabulary, read on the same connection).
pub struct SqliteFlavour {
    /// `Some(None)`: the search can match nothing.
    fts_query: Option<Option<String>>,
    /// The tenant's namespace, if it has one.
    ns: Option<String>,
    /// How many of the listed clients hold each value of a closed tagged field (status, kind),
    /// by tag letter and value: read from `client_facets` for a counted search with filters,
    /// to count the smaller side (see `search_count`).
    closed_counts: Vec<(char, String, i64)>,
    /// How to read a page in creation order filtered by a counted range, chosen from the
    /// range counters (`statements::range_page_estimate`).
    range_page: Option<RangePage>,
}

impl SqliteFlavour {
    pub fn new(
        conn: &Connection,
        tenant: TenantId,
        query: &ClientQuery,
    ) -> Result<Self, StoreError> {
        let terms = &query.search;
        let (fts_query, ns) = if terms.is_empty() {
            (None, None)
        } else {
            (
                Some(match_query(conn, tenant, query.archived, terms)?),
                namespace(conn, tenant, false)?,
            )
        };
        let closed_counts = if terms.is_empty() || query.filters.is_empty() || !query.count {
            Vec::new()
        } else {
            closed_counts(conn, tenant, query.archived)?
        };
        Ok(Self {
            fts_query,
            ns,
            closed_counts,
            range_page: range_page(conn, tenant, query)?,
        })
    }
}

/// How to read the page of a list in creation order filtered by a counted range (see
/// [`RangePage`]), from an estimate of its matches read from the range counters.
fn range_page(
    conn: &Connection,
    tenant: TenantId,
    query: &ClientQuery,
) -> Result<Option<RangePage>, StoreError> {
    let Some(estimate) = range_page_estimate(tenant, query, current_month()) else {
        return Ok(None);
    };
    let (sql, values) = estimate
        .statement
        .build_rusqlite(sea_query::SqliteQueryBuilder);
    let (matches, all): (Option<i64>, Option<i64>) = conn
        .prepare_cached(&sql)
        .and_then(|mut st| st.query_row(&*values.as_params(), |r| Ok((r.get(0)?, r.get(1)?))))
        .map_err(err)?;
    Ok(Some(choose_range_page(
        &estimate,
        query,
        matches.unwrap_or(0),
        all.unwrap_or(0),
    )))
}

/// Per value of `status` and `kind`, how many of the tenant's clients (in the archived mode)
/// hold it, from `client_facets`.
fn closed_counts(
    conn: &Connection,
    tenant: TenantId,
    archived: ArchivedFilter,
) -> Result<Vec<(char, String, i64)>, StoreError> {
    let archived = match archived {
        ArchivedFilter::Exclude => "AND archived = 0",
        ArchivedFilter::Only => "AND archived = 1",
        ArchivedFilter::All => "",
    };
    let sql = format!(
        "SELECT 's', status, sum(n) FROM client_facets WHERE tenant_id = ?1 {archived} GROUP BY status
         UNION ALL
         SELECT 'k', kind, sum(n) FROM client_facets WHERE tenant_id = ?1 {archived} GROUP BY kind"
    );
    conn.prepare_cached(&sql)
        .and_then(|mut st| {
            st.query_map(params![tenant.0.to_string()], |r| {
                let letter: String = r.get(0)?;
                Ok((letter.chars().next().unwrap_or('s'), r.get(1)?, r.get(2)?))
            })?
            .collect()
        })
        .map_err(err)
}

fn never() -> SimpleExpr {
    Expr::val(1).eq(0)
}

impl Flavour for SqliteFlavour {
    fn search(&self, _terms: &[String]) -> SimpleExpr {
        match &self.fts_query {
            Some(Some(q)) => {
                let mut sub = Query::select();
                sub.column(col("rowid"))
                    .from(col("clients_fts"))
                    .and_where(Expr::cust_with_values("clients_fts MATCH ?", [q.clone()]));
                Expr::col((clients(), col("rid"))).in_subquery(sub)
            }
            _ => never(),
        }
    }

    fn fts(&self) -> Option<FtsSource> {
        let Some(Some(q)) = &self.fts_query else {
            return None;
        };
        Some(FtsSource {
            table: "clients_fts",
            matches: Expr::cust_with_values("clients_fts MATCH ?", [q.clone()]),
        })
    }

    fn search_count(&self, facets: &[FacetEq]) -> Option<SelectStatement> {
        let (Some(Some(q)), Some(ns)) = (&self.fts_query, &self.ns) else {
            return None;
        };
        // Namespaces carry the tenant and archived state, tags the tagged fields' values: the
        // index alone answers the count. Every document has exactly one tag of a closed field
        // (status, kind: never NULL), so "status is active" is also "no tag of the other
        // statuses": when the other values are held by fewer clients, the query excludes
        // their tags (`NOT`), which reads their shorter posting lists instead.
        let mut q = format!("({q})");
        let mut excluded = Vec::new();
        for f in facets {
            let (_, letter) = TAGGED.iter().find(|(path, _)| *path == f.field.path)?;
            let held = |v: &str| -> i64 {
                self.closed_counts
                    .iter()
                    .filter(|(l, value, _)| l == letter && value == v)
                    .map(|(_, _, n)| *n)
                    .sum()
            };
            if let FieldType::Enum(all) = f.field.ty {
                if !f.field.nullable {
                    let others: Vec<&str> = all
                        .iter()
                        .copied()
                        .filter(|v| !f.values.iter().any(|x| x == v))
                        .collect();
                    let asked: i64 = f.values.iter().map(|v| held(v)).sum();
                    let rest: i64 = others.iter().map(|v| held(v)).sum();
                    if !others.is_empty() && rest < asked {
                        excluded.extend(others.iter().map(|v| quote(&tag(ns, *letter, v))));
                        continue;
                    }
                }
            }
            let any: Vec<String> = f
                .values
                .iter()
                .map(|v| quote(&tag(ns, *letter, v)))
                .collect();
            if any.is_empty() {
                return None;
            }
            q = format!("{q} AND ({})", any.join(" OR "));
        }
        if !excluded.is_empty() {
            q = format!("({q}) NOT ({})", excluded.join(" OR "));
        }
        let mut c = Query::select();
        c.expr(Expr::cust("count(*)"))
            .from(col("clients_fts"))
            .and_where(Expr::cust_with_values("clients_fts MATCH ?", [q]));
        Some(c)
    }

    fn range_counters(&self) -> bool {
        true
    }

    fn range_page(&self) -> Option<RangePage> {
        self.range_page
    }

    fn indexed_by(&self) -> bool {
        true
    }

    fn ci_like(&self, expr: SimpleExpr, pattern: String) -> SimpleExpr {
        // SQLite's LIKE ignores ASCII case (case_sensitive_like is off).
        expr.like(LikeExpr::new(pattern).escape('\\'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexed_text_holds_the_words_their_letter_runs_then_the_tags() {
        let mut doc = SearchDocument::default();
        doc.text(Some("Floor Post 12 AB"))
            .text(Some("post12@andersson7.example"));
        let text = indexed_text(
            "0001",
            false,
            &doc,
            [Some("active"), Some("Å-land"), Some("company")],
        );
        assert_eq!(
            text,
            "0001lfloor 0001lpost 0001l12 0001lab 0001lpost12 0001landersson7 0001lexample \
             0001landersson7example 0001landersson 0001tsactive 0001tcaland 0001tkcompany"
        );
        // Archived: the other flag; a missing value has no tag.
        let text = indexed_text("0002", true, &doc, [Some("active"), None, Some("person")]);
        assert!(text.starts_with("0002rfloor 0002rpost "));
        assert!(text.ends_with(" 0002randersson 0002tsactive 0002tkperson"));
        // What a filter on a tagged field searches for is the token the document holds.
        assert_eq!(tag("0001", 'c', "Å-land"), "0001tcaland");
        assert_eq!(tag("0001", 's', "On Hold"), "0001tsonhold");
    }

    #[test]
    fn letter_runs_are_new_words_once_each() {
        let words = [
            "andersson12",
            "andersson",
            "berg7",
            "berg9",
            "k1234",
            "lindqvist3",
        ];
        assert_eq!(
            letter_runs(words.iter().copied()),
            vec!["berg", "lindqvist"]
        );
        assert!(letter_runs(["abc1", "floor"].iter().copied()).is_empty());
    }
}
