//! New full-text entries of a writer batch, written to `clients_fts` in one statement just
//! before the batch commits.
//!
//! FTS5 keeps the entries inserted in a transaction in memory and writes them as one new index
//! segment when it flushes. It flushes at every savepoint, and SQLite opens one (a *statement
//! journal*) for every write statement that may fail part-way: an insert into a table with
//! triggers (`clients` until migration 35), into a virtual table, an `UPDATE ... RETURNING`. So
//! inserted one by one, each create of a batch made a segment of its own, and FTS5's automatic
//! merging of those segments (`fts5IndexMerge`) was 65% of the writer thread's instructions per
//! create (callgrind, docs/performance.md, "Creates at the floor"). Queued here and inserted by one
//! `INSERT ... SELECT` at the end of the batch, a batch makes one segment. Deletions are queued
//! the same way: with `contentless_delete=1` each one also made the next savepoint flush and
//! counted as a page written for automerge (a PATCH that changed the name: 5.4 million writer
//! instructions, 41% of them in those flushes).
//!
//! The queue belongs to the writer thread (a thread-local): only the writer writes, and only
//! while it runs a batch that asked for it ([`defer`]); everywhere else (readers, the savepoint
//! rerun of a failed batch) the entries are written at once. Inside a batch the index answers as
//! if they had been: a queued entry deleted again is taken out of the queue ([`delete`]), and
//! whether a word is still held ([`holds`]) looks at the queued entries and leaves out the
//! documents whose deletion is queued. At the end the deletions are written before the
//! entries (an entry is queued for a row only once its old one is deleted).
//!
//! A new document's words go to the vocabulary (`search_terms`) the same way: at the end of the
//! batch, each word once for the whole batch (a batch of creates shares most of its words: one
//! `INSERT OR IGNORE` per word and create was 11% of the writer's instructions per create). Only
//! the words of documents still queued then are added, so the vocabulary never gains a word
//! that a document deleted later in the batch took with it; a document queued for a row whose
//! queued new document it replaces takes over that one's pending words.

use std::cell::RefCell;
use std::collections::BTreeSet;

use clientele_core::StoreError;
use rusqlite::{params, Connection};

use super::search::words_of;

/// What the current batch will write.
#[derive(Default)]
struct Queue {
    /// Rows whose document is deleted from the index.
    deletes: Vec<i64>,
    /// New documents.
    inserts: Vec<Queued>,
    /// Rows whose queued document with pending words was taken out again ([`delete`]): the
    /// next document queued for the row adds them.
    carried: Vec<i64>,
}

/// A document queued for the index.
struct Queued {
    rid: i64,
    /// The indexed text.
    text: String,
    /// Whether its words are still to be added to the vocabulary.
    words: bool,
}

thread_local! {
    /// `Some` while the writer's current batch defers its entries.
    static QUEUE: RefCell<Option<Queue>> = const { RefCell::new(None) };
}

fn err(e: rusqlite::Error) -> StoreError {
    StoreError::Other(e.to_string())
}

/// From now on this thread's entries are queued until [`flush`] or [`discard`].
pub(super) fn defer() {
    QUEUE.with(|q| *q.borrow_mut() = Some(Queue::default()));
}

/// Drops the queue (the batch is rolled back) and stops deferring.
pub(super) fn discard() {
    QUEUE.with(|q| *q.borrow_mut() = None);
}

/// Writes the queued entries in one statement and stops deferring.
pub(super) fn flush(conn: &Connection) -> rusqlite::Result<()> {
    let Some(Queue {
        mut deletes,
        mut inserts,
        ..
    }) = QUEUE.with(|q| q.borrow_mut().take())
    else {
        return Ok(());
    };
    // In rowid order: FTS5 flushes its pending entries whenever a rowid is not above the last
    // one (a batch of PATCHes reindexes rows in any order).
    deletes.sort_unstable();
    inserts.sort_unstable_by_key(|q| q.rid);
    match deletes.as_slice() {
        [] => {}
        [rid] => delete_now(conn, *rid)?,
        _ => {
            conn.prepare_cached(
                "DELETE FROM clients_fts WHERE rowid IN (SELECT value FROM json_each(?1))",
            )?
            .execute(params![serde_json::to_string(&deletes).map_err(json_err)?])?;
        }
    }
    match inserts.as_slice() {
        [] => {}
        [one] => insert_now(conn, one.rid, &one.text)?,
        _ => {
            let rows: Vec<(i64, &str)> = inserts.iter().map(|q| (q.rid, &*q.text)).collect();
            let json = serde_json::to_string(&rows).map_err(json_err)?;
            conn.prepare_cached(
                "INSERT INTO clients_fts (rowid, doc) SELECT value ->> 0, value ->> 1 FROM json_each(?1)",
            )?
            .execute(params![json])?;
        }
    }
    // Each word once, in order (neighbouring keys of the vocabulary's B-tree).
    let words: BTreeSet<&str> = inserts
        .iter()
        .filter(|q| q.words)
        .flat_map(|q| words_of(&q.text))
        .collect();
    add_words(conn, words.into_iter())
}

/// Adds `words` to the vocabulary (those it has already are left as they are).
fn add_words<'a>(conn: &Connection, words: impl Iterator<Item = &'a str>) -> rusqlite::Result<()> {
    let mut add = conn.prepare_cached("INSERT OR IGNORE INTO search_terms (term) VALUES (?1)")?;
    for word in words {
        add.execute(params![word])?;
    }
    Ok(())
}

fn json_err(e: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(e))
}

fn delete_now(conn: &Connection, rid: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM clients_fts WHERE rowid = ?1")?
        .execute(params![rid])
        .map(|_| ())
}

fn insert_now(conn: &Connection, rid: i64, text: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("INSERT INTO clients_fts (rowid, doc) VALUES (?1, ?2)")?
        .execute(params![rid, text])
        .map(|_| ())
}

/// Indexes `text` as the document of `rid` (which has none), and with `words` adds its words
/// (its tags left out) to the vocabulary: both queued while deferring.
pub fn insert(conn: &Connection, rid: i64, text: &str, words: bool) -> Result<(), StoreError> {
    let queued = QUEUE.with(|q| match q.borrow_mut().as_mut() {
        Some(queue) => {
            let carried = queue.carried.iter().position(|r| *r == rid);
            let carried = carried.map(|i| queue.carried.swap_remove(i)).is_some();
            queue.inserts.push(Queued {
                rid,
                text: text.to_owned(),
                words: words || carried,
            });
            true
        }
        None => false,
    });
    if queued {
        return Ok(());
    }
    insert_now(conn, rid, text).map_err(err)?;
    if words {
        add_words(conn, words_of(text)).map_err(err)?;
    }
    Ok(())
}

/// Removes the document of `rid` from the index. While deferring: a queued entry of `rid` is
/// taken out of the queue (the row then has none in the index: an entry is queued only for a
/// row without one); otherwise the deletion is queued.
pub fn delete(conn: &Connection, rid: i64) -> Result<(), StoreError> {
    let deferred = QUEUE.with(|q| match q.borrow_mut().as_mut() {
        Some(queue) => match queue.inserts.iter().position(|q| q.rid == rid) {
            Some(i) => {
                if queue.inserts.swap_remove(i).words {
                    queue.carried.push(rid);
                }
                true
            }
            None => {
                queue.deletes.push(rid);
                true
            }
        },
        None => false,
    });
    if deferred {
        return Ok(());
    }
    delete_now(conn, rid).map_err(err)
}

/// Whether an indexed document holds the word `term` (`quoted`: the same as an FTS5 query),
/// as the index will be once the queue is written.
pub fn holds(conn: &Connection, term: &str, quoted: &str) -> Result<bool, StoreError> {
    let (queued, deletes) = QUEUE.with(|q| match q.borrow().as_ref() {
        Some(queue) => (
            queue
                .inserts
                .iter()
                .any(|q| q.text.split(' ').any(|w| w == term)),
            (!queue.deletes.is_empty())
                .then(|| serde_json::to_string(&queue.deletes).map_err(json_err)),
        ),
        None => (false, None),
    });
    if queued {
        return Ok(true);
    }
    match deletes {
        None => conn
            .prepare_cached("SELECT 1 FROM clients_fts WHERE clients_fts MATCH ?1 LIMIT 1")
            .and_then(|mut st| st.exists(params![quoted])),
        Some(deletes) => conn
            .prepare_cached(
                "SELECT 1 FROM clients_fts WHERE clients_fts MATCH ?1 \
                 AND rowid NOT IN (SELECT value FROM json_each(?2)) LIMIT 1",
            )
            .and_then(|mut st| st.exists(params![quoted, deletes?])),
    }
    .map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> Connection {
        let conn = Connection::open_in_memory().expect("open");
        conn.execute_batch(
            "CREATE VIRTUAL TABLE clients_fts USING fts5(doc, content = '', contentless_delete = 1,
                 tokenize = 'unicode61 remove_diacritics 0');
             CREATE TABLE search_terms (term TEXT PRIMARY KEY) WITHOUT ROWID;",
        )
        .expect("schema");
        conn
    }

    fn column<T: rusqlite::types::FromSql>(conn: &Connection, sql: &str) -> Vec<T> {
        let mut st = conn.prepare(sql).expect(sql);
        let rows = st.query_map([], |r| r.get(0)).expect(sql);
        rows.collect::<Result<_, _>>().expect(sql)
    }

    /// A batch's new documents add their words once at the end, and only those of documents
    /// still queued then: a document replaced in the same batch hands its pending words on,
    /// one deleted in the same batch takes them with it. Without deferring, at once.
    #[test]
    fn new_words_reach_the_vocabulary_with_the_documents_that_stay() {
        let conn = index();
        defer();
        insert(&conn, 1, "0001lalpha 0001lbeta 0001tsactive", true).expect("queue 1");
        insert(&conn, 2, "0001lbeta 0001ldelta", true).expect("queue 2");
        insert(&conn, 3, "0001lepsilon", false).expect("queue 3");
        // Row 1 rewritten (its new words not held before were added by the caller), row 2
        // deleted, both in the same batch.
        delete(&conn, 1).expect("unqueue 1");
        insert(&conn, 1, "0001lbeta 0001lgamma", false).expect("requeue 1");
        delete(&conn, 2).expect("unqueue 2");
        assert!(holds(&conn, "0001lgamma", "\"0001lgamma\"").expect("holds"));
        assert!(!holds(&conn, "0001ldelta", "\"0001ldelta\"").expect("holds"));
        let terms: Vec<String> = column(&conn, "SELECT term FROM search_terms");
        assert!(terms.is_empty(), "nothing before the flush: {terms:?}");
        flush(&conn).expect("flush");

        let terms: Vec<String> = column(&conn, "SELECT term FROM search_terms ORDER BY term");
        assert_eq!(terms, ["0001lbeta", "0001lgamma"]);
        let rows: Vec<i64> = column(&conn, "SELECT rowid FROM clients_fts ORDER BY rowid");
        assert_eq!(rows, [1, 3]);

        // Not deferring: written at once.
        insert(&conn, 4, "0001lzeta 0001lzeta 0001tkperson", true).expect("insert 4");
        let terms: Vec<String> = column(&conn, "SELECT term FROM search_terms ORDER BY term");
        assert_eq!(terms, ["0001lbeta", "0001lgamma", "0001lzeta"]);
        let rows: Vec<i64> = column(&conn, "SELECT rowid FROM clients_fts ORDER BY rowid");
        assert_eq!(rows, [1, 3, 4]);
    }
}
