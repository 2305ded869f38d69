//! Opening a SQLite store: the writer connection in WAL mode, migrated, the
//! checkpoint thread, the change signal file; or one in-memory connection.

use std::path::PathBuf;
use std::sync::atomic::AtomicUsize;
use std::sync::mpsc;
use std::sync::{Arc, Mutex as SyncMutex};
use std::time::Duration;

use anyhow::Context as _;
use futures_util::lock::Mutex;
use rusqlite::{Connection, OpenFlags};

use super::checkpoint::{checkpoint_loop, WAL_SIZE_LIMIT};
use super::migrate::migrate;
use super::writer::WriterState;
use super::{Shared, SqliteDb};
use crate::store::sql_store::SqlStore;

/// How long a connection waits for another process's lock in SQLite's own
/// (thread-blocking) busy handler: at start-up, on the checkpoint thread and
/// on read connections, which in WAL mode only ever wait for the brief
/// locks of another connection's WAL-index recovery. The writer waits
/// without it once serving (see `writer::begin_immediate`).
pub(super) const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Prepared statements kept per connection (the store has about 90).
const STATEMENT_CACHE: usize = 192;

impl SqlStore<SqliteDb> {
    /// Opens (creating if missing) the database at `path` and migrates it.
    ///
    /// # Errors
    /// When the file cannot be opened or migrated.
    pub fn open_file(path: &str) -> anyhow::Result<Self> {
        let path = PathBuf::from(path);
        let mut writer = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .with_context(|| format!("cannot open SQLite database {}", path.display()))?;
        configure(&writer).with_context(|| format!("cannot configure SQLite database {}", path.display()))?;
        // The WAL's header must be written before read-only connections open.
        writer
            .pragma_update(None, "journal_mode", "WAL")
            .and_then(|()| writer.pragma_update(None, "synchronous", "NORMAL"))
            .and_then(|()| writer.pragma_update(None, "wal_autocheckpoint", 0))
            .and_then(|()| writer.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT))
            .with_context(|| format!("cannot switch {} to WAL mode", path.display()))?;
        migrate(&mut writer).context("cannot migrate the SQLite database")?;
        // From here on the writer runs on the async runtime: it must never sit
        // in SQLite's busy handler, which sleeps the thread (see `begin_immediate`).
        // Migrations above may block: start-up is not yet serving requests.
        writer.busy_timeout(Duration::ZERO).context("cannot configure the SQLite writer")?;
        let checkpointer =
            Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
                .and_then(|c| configure(&c).map(|()| c))
                .with_context(|| format!("cannot open SQLite database {} for checkpoints", path.display()))?;
        let changes_path = PathBuf::from(format!("{}-changes", path.display()));
        let changes = std::fs::OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&changes_path)
            .map_err(
                |e| tracing::warn!(path = %changes_path.display(), error = %e, "cannot open the change signal file"),
            )
            .ok();
        let writer = Arc::new(Mutex::new(WriterState::new(writer)));
        let (stop, stopped) = mpsc::channel();
        let held = Arc::clone(&writer);
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpoint_loop(&checkpointer, &held, &stopped))
            .context("cannot start the checkpoint thread")?;
        Ok(Self::new(SqliteDb {
            shared: Arc::new(Shared {
                path: Some(path),
                writer,
                queued: AtomicUsize::new(0),
                readers: SyncMutex::new(Vec::new()),
                stop_checkpoints: SyncMutex::new(Some(stop)),
                changes,
            }),
        }))
    }

    /// A fresh private database in memory that lives as long as the store.
    ///
    /// # Errors
    /// When SQLite cannot be initialised.
    pub fn in_memory() -> anyhow::Result<Self> {
        let mut conn = Connection::open_in_memory().context("cannot open an in-memory SQLite database")?;
        configure(&conn)?;
        migrate(&mut conn).context("cannot migrate the in-memory database")?;
        Ok(Self::new(SqliteDb {
            shared: Arc::new(Shared {
                path: None,
                writer: Arc::new(Mutex::new(WriterState::new(conn))),
                queued: AtomicUsize::new(0),
                readers: SyncMutex::new(Vec::new()),
                stop_checkpoints: SyncMutex::new(None),
                changes: None,
            }),
        }))
    }
}

/// Settings every connection gets.
pub(super) fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(())
}
