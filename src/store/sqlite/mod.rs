//! The embedded default backend: SQLite in WAL mode, called on the request's
//! own thread.
//!
//! SQLite is a library, not a server: a statement on a cached prepared
//! statement costs microseconds. So the store calls it directly from the
//! async task instead of through a driver that runs each connection on its
//! own thread and talks to it over channels (sqlx did; the two thread
//! hand-offs per statement were 41 % of the CPU, see BENCHMARKS.md).
//!
//! - Every write goes through **one writer connection** behind an async
//!   mutex: writers queue in-process instead of failing with "database is
//!   locked", and a waiting writer parks its task, not its thread. The mutex
//!   is not fair (`futures_util`'s, not tokio's): a fair one hands the
//!   connection to the next waiter, whose task may sit in a run queue for a
//!   while, and the connection idles until it runs; here whichever writer
//!   runs first takes it. A second process on the same file may hold the
//!   write lock for as long as its transaction lasts; the writer waits for
//!   it with async sleeps between `BEGIN IMMEDIATE` attempts (see
//!   `writer::begin_immediate`), never in SQLite's blocking busy handler.
//! - **Group commit.** Each store call that writes runs in its own
//!   `SAVEPOINT` inside a `BEGIN IMMEDIATE` transaction that several calls
//!   may share: when a call finishes while other writers are queued, it
//!   releases its savepoint, hands the connection to the next writer and
//!   waits; the call that finds nobody queued (or the `writer::MAX_BATCH`th) runs
//!   `COMMIT` for all of them and wakes them. Nobody is answered before the
//!   `COMMIT` that holds its work; a call that fails or returns early rolls
//!   back its own savepoint only, and then commits the batch at once, so that
//!   what it saw of the others' work is durable before it answers. A
//!   waiting writer whose successor never comes commits the batch itself
//!   after `writer::FOLLOWER_PATIENCE`, or at once if its own request is
//!   cancelled and the connection is free. One `COMMIT` writes each changed
//!   page to the WAL once for the whole batch.
//! - Reads use a small pool of **read-only connections**; in WAL mode they
//!   never wait for the writer.
//! - `synchronous = NORMAL`: a commit is in the WAL file (the OS page cache)
//!   before the answer goes out, so every acknowledged write survives a
//!   process crash (not a power loss; the emulator is for development).
//! - **Checkpoints run on a background thread** (`wal_autocheckpoint = 0`
//!   plus a `PASSIVE` checkpoint every 100 ms), so no request waits for a
//!   checkpoint's `fsync`. Under a steady write load a checkpoint that runs
//!   beside the writer never catches up with it, and the WAL could only
//!   grow; so once it is longer than `checkpoint::WAL_RESTART_PAGES`, the thread takes
//!   the writer for one more checkpoint of the few pages left, after which
//!   the next write starts the WAL over from its beginning. When the writes
//!   stop (the WAL's length unchanged for a second), the thread checkpoints
//!   once more with `TRUNCATE`, so an idle server's WAL is 0 bytes however
//!   large a write load left it (BENCHMARKS.md, "The WAL after a load").
//! - An in-memory database has one connection for everything: a second
//!   connection would see a different, empty database.
//!
//! Files: [`open`] (opening and configuring connections), [`migrate`] (the
//! migration runner), [`checkpoint`] (the checkpoint thread), [`writer`]
//! (the writer connection and group commit), [`readers`] (the read pool and
//! snapshots), [`statements`] (binding and decoding on a connection).

mod checkpoint;
mod migrate;
mod open;
mod readers;
mod statements;
mod writer;

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::atomic::AtomicUsize;
use std::sync::mpsc;
use std::sync::{Arc, Mutex as SyncMutex, PoisonError};

use futures_util::lock::Mutex;
use rusqlite::Connection;

use super::db::Backend;
use super::sql_store::SqlStore;
use super::StoreResult;
pub use readers::SqliteReader;
pub use writer::{SqliteWriter, WriterState};

/// The SQLite store.
pub type SqliteStore = SqlStore<SqliteDb>;

/// SQLite connections: one writer, a pool of readers, a checkpoint thread.
#[derive(Debug)]
pub struct SqliteDb {
    pub(super) shared: Arc<Shared>,
}

#[derive(Debug)]
pub(super) struct Shared {
    /// `None` for an in-memory database: reads then use the writer.
    pub(super) path: Option<PathBuf>,
    /// The writer connection and its open batch.
    pub(super) writer: Arc<Mutex<WriterState>>,
    /// Writers waiting for the writer connection.
    pub(super) queued: AtomicUsize,
    /// Idle read connections.
    pub(super) readers: SyncMutex<Vec<Connection>>,
    /// Dropping it stops the checkpoint thread.
    pub(super) stop_checkpoints: SyncMutex<Option<mpsc::Sender<()>>>,
    /// `<database>-changes`: grows by one byte whenever a store on this
    /// database changes the virtual clock or a qualification type, so its
    /// length, read with one `fstat` (no lock, no query), is the generation
    /// of those rows for every process on the file (see
    /// [`Backend::shared_generation`]). `None` if it could not be opened:
    /// those rows are then read from the database every time.
    pub(super) changes: Option<std::fs::File>,
}

impl Backend for SqliteDb {
    const NAME: &'static str = "sqlite";
    const LOCK_ROW: &'static str = "";
    const SCHEMA_VERSION: &'static str = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
    // The one writer connection runs one transaction at a time; every event has its delivery,
    // whose seq is the table's row id (its maximum is found at once).
    const NEXT_EVENT_SEQ: &'static str = "SELECT COALESCE(MAX(seq), 0) + 1 FROM event_deliveries";

    type Reader = SqliteReader;
    type Snapshot = SqliteReader;
    type Writer = SqliteWriter;

    async fn reader(&self) -> StoreResult<SqliteReader> {
        SqliteReader::open(&self.shared).await
    }

    async fn snapshot(&self) -> StoreResult<SqliteReader> {
        SqliteReader::snapshot(&self.shared).await
    }

    async fn writer(&self) -> StoreResult<SqliteWriter> {
        SqliteWriter::begin(&self.shared).await
    }

    async fn bulk_writer(&self) -> StoreResult<SqliteWriter> {
        SqliteWriter::begin_alone(&self.shared).await
    }

    fn shared_generation(&self) -> Option<u64> {
        match (&self.shared.path, &self.shared.changes) {
            // An in-memory database has exactly one store: its own cache is exact.
            (None, _) => Some(0),
            (Some(_), Some(signal)) => signal.metadata().ok().map(|m| m.len()),
            (Some(_), None) => None,
        }
    }

    async fn shared_changed(&self) {
        if let Some(mut signal) = self.shared.changes.as_ref() {
            if let Err(e) = signal.write_all(b"+") {
                tracing::error!(error = %e, "cannot signal a change to other instances");
            }
        }
    }

    async fn close(&self) {
        drop(self.shared.stop_checkpoints.lock().unwrap_or_else(PoisonError::into_inner).take());
        self.shared.readers.lock().unwrap_or_else(PoisonError::into_inner).clear();
        self.shared.writer.lock().await.close();
    }
}
