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
//! `INSERT ... SELECT` at the end of the batch, a batch makes one segment.
//!
//! The queue belongs to the writer thread (a thread-local): only the writer writes, and only
//! while it runs a batch that asked for it ([`defer`]); everywhere else (readers, the savepoint
//! rerun of a failed batch) the entries are written at once. Inside a batch the index answers as
//! if they had been: a queued entry deleted again is taken out of the queue ([`delete`]), and
//! whether a word is still held looks at the queue too ([`queued_holds`]).

use std::cell::RefCell;

use clientele_core::StoreError;
use rusqlite::{params, Connection};

thread_local! {
    /// `Some` while the writer's current batch defers its entries: (rowid, indexed text).
    static QUEUE: RefCell<Option<Vec<(i64, String)>>> = const { RefCell::new(None) };
}

fn err(e: rusqlite::Error) -> StoreError {
    StoreError::Other(e.to_string())
}

/// From now on this thread's entries are queued until [`flush`] or [`discard`].
pub(super) fn defer() {
    QUEUE.with(|q| *q.borrow_mut() = Some(Vec::new()));
}

/// Drops the queue (the batch is rolled back) and stops deferring.
pub(super) fn discard() {
    QUEUE.with(|q| *q.borrow_mut() = None);
}

/// Writes the queued entries in one statement and stops deferring.
pub(super) fn flush(conn: &Connection) -> rusqlite::Result<()> {
    let Some(queued) = QUEUE.with(|q| q.borrow_mut().take()) else {
        return Ok(());
    };
    match queued.as_slice() {
        [] => Ok(()),
        [(rid, text)] => insert_now(conn, *rid, text),
        _ => {
            let json = serde_json::to_string(&queued)
                .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
            conn.prepare_cached(
                "INSERT INTO clients_fts (rowid, doc) SELECT value ->> 0, value ->> 1 FROM json_each(?1)",
            )?
            .execute(params![json])
            .map(|_| ())
        }
    }
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
            queue.push((rid, text.to_owned()));
            true
        }
        None => false,
    });
    if queued {
        return Ok(());
    }
    insert_now(conn, rid, text).map_err(err)
}

/// Removes the document of `rid`: from the queue if it is queued (it is then not in the index:
/// an entry is queued only for a row without one), else from the index.
pub fn delete(conn: &Connection, rid: i64) -> Result<(), StoreError> {
    let was_queued = QUEUE.with(|q| match q.borrow_mut().as_mut() {
        Some(queue) => {
            let before = queue.len();
            queue.retain(|(r, _)| *r != rid);
            queue.len() != before
        }
        None => false,
    });
    if was_queued {
        return Ok(());
    }
    conn.prepare_cached("DELETE FROM clients_fts WHERE rowid = ?1")
        .and_then(|mut st| st.execute(params![rid]))
        .map(|_| ())
        .map_err(err)
}

/// Whether a queued document holds the word `term` (a whole word of its text).
pub fn queued_holds(term: &str) -> bool {
    QUEUE.with(|q| {
        q.borrow().as_ref().is_some_and(|queue| {
            queue
                .iter()
                .any(|(_, text)| text.split(' ').any(|w| w == term))
        })
    })
}
