//! SQLite backend: rusqlite, one writer thread that commits concurrent writes together (group
//! commit, `writer`), and a fixed pool of long-lived reader connections (`readers`): point reads
//! on the calling thread, the others on the blocking pool. The rules run on those threads over `conn::Conn`; what is SQLite's own is the
//! connection handling, full-text search with FTS5 (`search`) and the migrations (`migrate`).

mod bind;
mod conn;
mod counts;
mod fts_batch;
mod migrate;
mod readers;
pub mod search;
mod tenant_seqs;
mod writer;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use clientele_core::credential_check::{self, WriteCheck};
use clientele_core::store::StoreResult;
use clientele_core::StoreError;
use rusqlite::Connection;

use crate::db::{Read, Write};
use crate::engine::{Backend, Engine};
use crate::rules::tenants::KeyByHash;
use conn::{block_on, lock, map_err, open_connection, Conn};
use readers::{Place, Readers};
use writer::Writer;

/// The `Store` on SQLite.
pub type SqliteStore = Engine<SqliteBackend>;

impl SqliteStore {
    /// Opens (creating if missing) the database file. Call `Store::migrate` before use.
    pub fn open(path: &Path) -> StoreResult<Self> {
        let writer = Writer::start(open_connection(path, true)?, open_connection(path, true)?)?;
        let readers = Arc::new(Readers::new(path.to_path_buf()));
        Ok(Engine::new(SqliteBackend {
            writer,
            readers,
            instance: uuid::Uuid::now_v7().to_string(),
        }))
    }
}

/// Whether the key `check` handed out still holds, read in the writer's transaction: the
/// credentials' generation is the one it was read under, or the key still resolves to exactly
/// what it resolved to then (keys are created and revoked, never edited; another key's change
/// bumps the generation too).
fn credentials_hold(conn: &Mutex<Connection>, check: &WriteCheck) -> StoreResult<bool> {
    if conn::auth_generation(&lock(conn))? == check.generation {
        return Ok(true);
    }
    let now = block_on(KeyByHash(check.hash).run(&Conn::writer(conn)))?;
    Ok(now.as_ref() == Some(&check.resolved))
}

pub struct SqliteBackend {
    writer: Writer,
    readers: Arc<Readers>,
    /// This process's id on its idempotency claims: claims of any other (earlier) process are
    /// taken over at once (`Tx::instance_gone`).
    instance: String,
}

impl Backend for SqliteBackend {
    /// When the request handed out a cached API key unconfirmed (`credential_check::write_check`),
    /// the job checks it inside the write's own transaction before applying anything
    /// ([`credentials_hold`]): a change to the credentials committed before it (by this process
    /// or any other on the file) is seen there, since the writer holds the file's write lock. A
    /// key that no longer holds gets its write refused unapplied, and the gate resolves the key
    /// again before answering. This replaces a reader's read of the generation before each
    /// write request.
    fn write<W: Write>(&self, op: W) -> impl Future<Output = StoreResult<W::Output>> + Send {
        // Asked here, on the request's task: the writer's thread cannot see the scope.
        let check = credential_check::write_check();
        let held = check.as_ref().map(|_| Arc::new(AtomicBool::new(false)));
        let job_held = held.clone();
        let written = self.writer.run(move |conn| {
            if let (Some(check), Some(held)) = (&check, &job_held) {
                // Stored at every run: a batch that is rolled back runs its jobs again, in a
                // transaction of its own, where the answer may differ.
                let holds = credentials_hold(conn, check);
                held.store(matches!(holds, Ok(true)), Ordering::Relaxed);
                if !holds? {
                    return Err(StoreError::Unavailable(
                        "the credentials changed while the request ran; retry it".into(),
                    ));
                }
            }
            block_on(op.run(&Conn::writer(conn)))
        });
        async move {
            let out = written.await;
            if held.is_some_and(|h| h.load(Ordering::Relaxed)) {
                credential_check::confirm();
            }
            out
        }
    }

    fn checks_credentials_in_writes(&self) -> bool {
        true
    }

    /// When the request handed out a cached API key unconfirmed (`credential_check`), the
    /// credentials' generation is read on the same reader connection: by the point read of a
    /// client in its own statement, else just after the rule. A change to the credentials
    /// committed before that read (by this process or any other on the file) is seen, and the
    /// gate resolves the key again before answering. This replaces a read of its own (its own
    /// reader, statement and metrics) before each request.
    async fn read<R: Read>(&self, op: R) -> StoreResult<R::Output> {
        let place = if op.is_point() {
            Place::Here
        } else {
            Place::Blocking
        };
        // Asked here, on the request's task: a blocking read's thread cannot see the scope.
        let check = credential_check::wanted();
        let (generation, out) = self
            .readers
            .run(place, move |conn, counts| {
                let seen = OnceLock::new();
                let out = block_on(op.run(&Conn::reader(conn, counts, check.then_some(&seen))));
                let generation = match seen.get() {
                    Some(g) => Some(*g),
                    None if check => conn::auth_generation(&lock(conn)).ok(),
                    None => None,
                };
                Ok((generation, out))
            })
            .await?;
        if let Some(g) = generation {
            credential_check::observe(g);
        }
        out
    }

    fn migrate(&self) -> impl Future<Output = StoreResult<u32>> + Send {
        self.writer.run_undeferred(migrate::migrate)
    }

    fn ping(&self) -> impl Future<Output = StoreResult<()>> + Send {
        self.readers.run(Place::Here, |conn, _| {
            lock(conn)
                .query_row("SELECT 1", [], |_| Ok(()))
                .map_err(map_err)
        })
    }

    fn instance(&self) -> impl Future<Output = StoreResult<String>> + Send {
        std::future::ready(Ok(self.instance.clone()))
    }

    async fn close(&self) -> StoreResult<()> {
        // The writer finishes what is queued, checkpoints, and exits.
        self.writer.stop().await?;
        self.readers.clear();
        Ok(())
    }

    /// The check is one small statement on the reader the request's first read runs on.
    fn defers_credential_check(&self) -> bool {
        true
    }

    fn keeps_documents(&self) -> bool {
        true
    }
}

/// Turns `sqlite://file.db`, `sqlite:file.db` or `sqlite:///abs/file.db` into a path.
pub fn path_from_url(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let rest = rest.split('?').next().unwrap_or(rest);
    if rest.is_empty() {
        return None;
    }
    Some(PathBuf::from(rest))
}
