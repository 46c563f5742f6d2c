//! New full-text entries of a writer batch, written to `clients_fts` in one statement just
//! before the batch commits.
//!
//! FTS5 keeps the entries inserted in a transaction in memory and writes them as one new index
//! segment when it flushes. It flushes at every savepoint, and SQLite opens one (a *statement
//! journal*) for every write statement that may fail part-way: an insert into a table with
//! triggers (`clients`), into a virtual table, an `UPDATE ... RETURNING`. So inserted one by
//! one, each create of a batch made a segment of its own, and FTS5's automatic merging of those
//! segments (`fts5IndexMerge`) was 65% of the writer thread's instructions per create (callgrind,
//! docs/performance.md, "Creates at the floor"). Queued here and inserted by one
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

use std::cell::RefCell;

use clientele_core::StoreError;
use rusqlite::{params, Connection};

/// What the current batch will write.
#[derive(Default)]
struct Queue {
    /// Rows whose document is deleted from the index.
    deletes: Vec<i64>,
    /// New documents: (rowid, indexed text).
    inserts: Vec<(i64, String)>,
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
    }) = QUEUE.with(|q| q.borrow_mut().take())
    else {
        return Ok(());
    };
    // In rowid order: FTS5 flushes its pending entries whenever a rowid is not above the last
    // one (a batch of PATCHes reindexes rows in any order).
    deletes.sort_unstable();
    inserts.sort_unstable_by_key(|(rid, _)| *rid);
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
        [] => Ok(()),
        [(rid, text)] => insert_now(conn, *rid, text),
        _ => {
            let json = serde_json::to_string(&inserts).map_err(json_err)?;
            conn.prepare_cached(
                "INSERT INTO clients_fts (rowid, doc) SELECT value ->> 0, value ->> 1 FROM json_each(?1)",
            )?
            .execute(params![json])
            .map(|_| ())
        }
    }
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

/// Indexes `text` as the document of `rid` (which has none): queued while deferring.
pub fn insert(conn: &Connection, rid: i64, text: &str) -> Result<(), StoreError> {
    let queued = QUEUE.with(|q| match q.borrow_mut().as_mut() {
        Some(queue) => {
            queue.inserts.push((rid, text.to_owned()));
            true
        }
        None => false,
    });
    if queued {
        return Ok(());
    }
    insert_now(conn, rid, text).map_err(err)
}

/// Removes the document of `rid` from the index. While deferring: a queued entry of `rid` is
/// taken out of the queue (the row then has none in the index: an entry is queued only for a
/// row without one); otherwise the deletion is queued.
pub fn delete(conn: &Connection, rid: i64) -> Result<(), StoreError> {
    let deferred = QUEUE.with(|q| match q.borrow_mut().as_mut() {
        Some(queue) => {
            let before = queue.inserts.len();
            queue.inserts.retain(|(r, _)| *r != rid);
            if queue.inserts.len() == before {
                queue.deletes.push(rid);
            }
            true
        }
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
                .any(|(_, text)| text.split(' ').any(|w| w == term)),
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
