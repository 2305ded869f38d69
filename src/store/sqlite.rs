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
//!   mutex, in a `BEGIN IMMEDIATE` transaction: writers queue in-process
//!   instead of failing with "database is locked", and a waiting writer
//!   parks its task, not its thread. A busy timeout covers a second process
//!   on the same file (its wait does block a runtime thread, for as long as
//!   the other process holds the write lock: microseconds).
//! - Reads use a small pool of **read-only connections**; in WAL mode they
//!   never wait for the writer.
//! - `synchronous = NORMAL`: a commit is in the WAL file (the OS page cache)
//!   before the answer goes out, so every acknowledged write survives a
//!   process crash (not a power loss; the emulator is for development).
//! - **Checkpoints run on a background thread** (`wal_autocheckpoint = 0`
//!   plus a `PASSIVE` checkpoint every 100 ms), so no request waits for a
//!   checkpoint's `fsync`. Should the WAL still grow past
//!   [`WAL_RESTART_PAGES`] (readers kept the checkpoint from finishing), the
//!   thread runs one `TRUNCATE` checkpoint, which briefly holds writers.
//! - An in-memory database has one connection for everything: a second
//!   connection would see a different, empty database.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex as SyncMutex, PoisonError};
use std::time::Duration;

use anyhow::Context as _;
use async_trait::async_trait;
use rusqlite::{Connection, OpenFlags};
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::db::{Arg, Backend, Col, Exec, FromRow, RowRead, Writer};
use super::sql::SqlStore;
use super::{StoreError, StoreResult};

/// The SQLite store.
pub type SqliteStore = SqlStore<SqliteDb>;

/// How long any connection waits for another process's lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Idle read connections kept open.
const MAX_IDLE_READERS: usize = 8;
/// Prepared statements kept per connection (the store has about 90).
const STATEMENT_CACHE: usize = 192;
/// Pause between background checkpoints.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);
/// WAL size, in pages, past which the background thread forces a
/// `TRUNCATE` checkpoint (about 64 MiB with 4 KiB pages).
const WAL_RESTART_PAGES: i64 = 16_384;

/// The migrations, in order. `tests::every_migration_file_is_listed` keeps
/// this list in step with `migrations/sqlite/`.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "initial", include_str!("../../migrations/sqlite/0001_initial.sql")),
    (2, "hits", include_str!("../../migrations/sqlite/0002_hits.sql")),
    (3, "bonuses", include_str!("../../migrations/sqlite/0003_bonuses.sql")),
];

/// SQLite connections: one writer, a pool of readers, a checkpoint thread.
#[derive(Debug)]
pub struct SqliteDb {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    /// `None` for an in-memory database: reads then use the writer.
    path: Option<PathBuf>,
    /// The writer; `None` once the store is closed.
    writer: Arc<Mutex<Option<Connection>>>,
    readers: SyncMutex<Vec<Connection>>,
    /// Dropping it stops the checkpoint thread.
    stop_checkpoints: SyncMutex<Option<mpsc::Sender<()>>>,
    /// `<database>-clock`: grows by one byte whenever a store on this
    /// database changes the virtual clock, so its length, read with one
    /// `fstat` (no lock, no query), is the clock's generation for every
    /// process on the file. `None` if it could not be opened: the clock is
    /// then read from the database on every request.
    clock_signal: Option<std::fs::File>,
}

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
            .with_context(|| format!("cannot switch {} to WAL mode", path.display()))?;
        migrate(&mut writer).context("cannot migrate the SQLite database")?;
        let checkpointer =
            Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
                .and_then(|c| configure(&c).map(|()| c))
                .with_context(|| format!("cannot open SQLite database {} for checkpoints", path.display()))?;
        let clock_path = PathBuf::from(format!("{}-clock", path.display()));
        let clock_signal = std::fs::OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&clock_path)
            .map_err(|e| tracing::warn!(path = %clock_path.display(), error = %e, "cannot open the clock signal file"))
            .ok();
        let (stop, stopped) = mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpoint_loop(&checkpointer, &stopped))
            .context("cannot start the checkpoint thread")?;
        Ok(Self::new(SqliteDb {
            shared: Arc::new(Shared {
                path: Some(path),
                writer: Arc::new(Mutex::new(Some(writer))),
                readers: SyncMutex::new(Vec::new()),
                stop_checkpoints: SyncMutex::new(Some(stop)),
                clock_signal,
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
                writer: Arc::new(Mutex::new(Some(conn))),
                readers: SyncMutex::new(Vec::new()),
                stop_checkpoints: SyncMutex::new(None),
                clock_signal: None,
            }),
        }))
    }
}

/// Settings every connection gets.
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(())
}

/// Applies the migrations this database has not seen, each in its own
/// `BEGIN IMMEDIATE` transaction, so two processes starting on one new file
/// migrate it once. A database made by earlier versions (which migrated
/// through sqlx) keeps its history: the versions recorded in
/// `_sqlx_migrations` count as applied.
fn migrate(conn: &mut Connection) -> anyhow::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (\
         version BIGINT PRIMARY KEY, description TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )?;
    let legacy: bool = conn.query_row(
        "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
        [],
        |r| r.get(0),
    )?;
    if legacy {
        conn.execute(
            "INSERT OR IGNORE INTO schema_migrations (version, description, applied_at) \
             SELECT version, description, 0 FROM _sqlx_migrations WHERE success",
            [],
        )?;
    }
    for (version, description, sql) in MIGRATIONS {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let applied: bool =
            tx.query_row("SELECT COUNT(*) > 0 FROM schema_migrations WHERE version = ?1", [version], |r| r.get(0))?;
        if !applied {
            tx.execute_batch(sql).with_context(|| format!("migration {version} ({description})"))?;
            tx.execute(
                "INSERT INTO schema_migrations (version, description, applied_at) \
                 VALUES (?1, ?2, CAST(strftime('%s', 'now') AS INTEGER) * 1000)",
                rusqlite::params![version, description],
            )?;
        }
        tx.commit()?;
    }
    Ok(())
}

/// The background checkpoint thread's loop; ends when the store is closed
/// or dropped.
fn checkpoint_loop(conn: &Connection, stop: &mpsc::Receiver<()>) {
    while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(CHECKPOINT_EVERY) {
        // Columns: busy flag, pages in the WAL, pages copied into the database.
        let passive = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1));
        match passive {
            Ok(wal_pages) if wal_pages > WAL_RESTART_PAGES => {
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())) {
                    tracing::warn!(error = %e, "SQLite TRUNCATE checkpoint failed");
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "SQLite checkpoint failed"),
        }
    }
}

fn closed() -> StoreError {
    StoreError::Other(anyhow::anyhow!("the SQLite store is closed"))
}

fn sqlite_error(err: rusqlite::Error) -> StoreError {
    StoreError::Other(err.into())
}

/// Rewrites the store's `$N` placeholders to SQLite's numbered `?N` (SQLite
/// reads `$1` as a *named* parameter, numbered by first appearance).
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

/// Prepares (from the connection's cache) and binds one statement.
fn prepare<'c>(conn: &'c Connection, sql: &str, args: &[Arg<'_>]) -> rusqlite::Result<rusqlite::CachedStatement<'c>> {
    let mut stmt = conn.prepare_cached(&numbered(sql))?;
    if stmt.parameter_count() != args.len() {
        return Err(rusqlite::Error::InvalidParameterCount(args.len(), stmt.parameter_count()));
    }
    for (i, arg) in args.iter().enumerate() {
        match *arg {
            Arg::Text(v) => stmt.raw_bind_parameter(i + 1, v)?,
            Arg::Int(v) => stmt.raw_bind_parameter(i + 1, v)?,
        }
    }
    Ok(stmt)
}

fn execute(conn: &Connection, sql: &str, args: &[Arg<'_>]) -> StoreResult<u64> {
    let mut stmt = prepare(conn, sql, args).map_err(sqlite_error)?;
    let changed = stmt.raw_execute().map_err(sqlite_error)?;
    Ok(changed as u64)
}

fn insert_unique(conn: &Connection, sql: &str, args: &[Arg<'_>]) -> StoreResult<u64> {
    let mut stmt = prepare(conn, sql, args).map_err(sqlite_error)?;
    match stmt.raw_execute() {
        Ok(changed) => Ok(changed as u64),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if matches!(
                e.extended_code,
                rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            ) =>
        {
            Err(StoreError::Conflict { existing: None })
        }
        Err(e) => Err(sqlite_error(e)),
    }
}

fn fetch<R: FromRow>(conn: &Connection, sql: &str, args: &[Arg<'_>], limit: usize) -> StoreResult<Vec<R>> {
    let mut stmt = prepare(conn, sql, args).map_err(sqlite_error)?;
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while out.len() < limit {
        match rows.next().map_err(sqlite_error)? {
            Some(row) => out.push(R::from_row(&SqliteRow(row))?),
            None => break,
        }
    }
    Ok(out)
}

struct SqliteRow<'r, 's>(&'r rusqlite::Row<'s>);

impl SqliteRow<'_, '_> {
    fn get<T: rusqlite::types::FromSql>(&self, col: Col<'_>) -> StoreResult<T> {
        match col {
            Col::At(i) => self.0.get(i),
            Col::Named(name) => self.0.get(name),
        }
        .map_err(sqlite_error)
    }
}

impl RowRead for SqliteRow<'_, '_> {
    fn text(&self, col: Col<'_>) -> StoreResult<Option<String>> {
        self.get(col)
    }

    fn int(&self, col: Col<'_>) -> StoreResult<Option<i64>> {
        self.get(col)
    }
}

/// Implements [`Exec`] for a type with `fn conn(&self) -> StoreResult<&Connection>`.
macro_rules! exec_on_connection {
    ($ty:ty) => {
        #[async_trait]
        impl Exec for $ty {
            async fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> StoreResult<u64> {
                execute(self.conn()?, sql, args)
            }

            async fn insert_unique(&mut self, sql: &str, args: &[Arg<'_>]) -> StoreResult<u64> {
                insert_unique(self.conn()?, sql, args)
            }

            async fn fetch_all<R: FromRow>(&mut self, sql: &str, args: &[Arg<'_>]) -> StoreResult<Vec<R>> {
                fetch(self.conn()?, sql, args, usize::MAX)
            }

            async fn fetch_optional<R: FromRow>(&mut self, sql: &str, args: &[Arg<'_>]) -> StoreResult<Option<R>> {
                Ok(fetch(self.conn()?, sql, args, 1)?.pop())
            }
        }
    };
}

/// A write transaction on the writer connection, which it holds.
#[derive(Debug)]
pub struct SqliteWriter {
    conn: OwnedMutexGuard<Option<Connection>>,
    open: bool,
}

impl SqliteWriter {
    fn conn(&self) -> StoreResult<&Connection> {
        self.conn.as_ref().ok_or_else(closed)
    }
}

exec_on_connection!(SqliteWriter);

#[async_trait]
impl Writer for SqliteWriter {
    async fn commit(mut self) -> StoreResult<()> {
        execute(self.conn()?, "COMMIT", &[])?;
        self.open = false;
        Ok(())
    }
}

impl Drop for SqliteWriter {
    fn drop(&mut self) {
        if self.open {
            if let Some(conn) = self.conn.as_ref() {
                if let Err(e) = conn.execute_batch("ROLLBACK") {
                    tracing::error!(error = %e, "SQLite rollback failed");
                }
            }
        }
    }
}

/// A read connection: one from the pool (returned to it when dropped), or
/// the writer of an in-memory database.
#[derive(Debug)]
pub struct SqliteReader(ReadConn);

#[derive(Debug)]
enum ReadConn {
    /// A read-only connection of the pool, taken back by `Drop`.
    Pooled { conn: Option<Connection>, shared: Arc<Shared> },
    /// The one connection of an in-memory database.
    Writer(OwnedMutexGuard<Option<Connection>>),
}

impl SqliteReader {
    fn conn(&self) -> StoreResult<&Connection> {
        match &self.0 {
            ReadConn::Pooled { conn, .. } => conn.as_ref().ok_or_else(closed),
            ReadConn::Writer(guard) => guard.as_ref().ok_or_else(closed),
        }
    }
}

exec_on_connection!(SqliteReader);

impl Drop for SqliteReader {
    fn drop(&mut self) {
        if let ReadConn::Pooled { conn, shared } = &mut self.0 {
            if let Some(conn) = conn.take() {
                let mut idle = shared.readers.lock().unwrap_or_else(PoisonError::into_inner);
                if idle.len() < MAX_IDLE_READERS {
                    idle.push(conn);
                }
            }
        }
    }
}

impl Shared {
    fn open_reader(path: &std::path::Path) -> rusqlite::Result<Connection> {
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        configure(&conn)?;
        Ok(conn)
    }
}

#[async_trait]
impl Backend for SqliteDb {
    const NAME: &'static str = "sqlite";
    const LOCK_ROW: &'static str = "";

    type Reader = SqliteReader;
    type Writer = SqliteWriter;

    async fn reader(&self) -> StoreResult<SqliteReader> {
        let Some(path) = &self.shared.path else {
            return Ok(SqliteReader(ReadConn::Writer(self.shared.writer.clone().lock_owned().await)));
        };
        let idle = self.shared.readers.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => Shared::open_reader(path).map_err(sqlite_error)?,
        };
        Ok(SqliteReader(ReadConn::Pooled { conn: Some(conn), shared: Arc::clone(&self.shared) }))
    }

    async fn writer(&self) -> StoreResult<SqliteWriter> {
        let conn = self.shared.writer.clone().lock_owned().await;
        let conn = conn.as_ref().is_some().then_some(conn).ok_or_else(closed)?;
        let mut writer = SqliteWriter { conn, open: false };
        execute(writer.conn()?, "BEGIN IMMEDIATE", &[])?;
        writer.open = true;
        Ok(writer)
    }

    fn clock_generation(&self) -> Option<u64> {
        match (&self.shared.path, &self.shared.clock_signal) {
            // An in-memory database has exactly one store: its own cache is exact.
            (None, _) => Some(0),
            (Some(_), Some(signal)) => signal.metadata().ok().map(|m| m.len()),
            (Some(_), None) => None,
        }
    }

    fn clock_changed(&self) {
        if let Some(mut signal) = self.shared.clock_signal.as_ref() {
            if let Err(e) = signal.write_all(b"+") {
                tracing::error!(error = %e, "cannot signal a clock change to other instances");
            }
        }
    }

    async fn close(&self) {
        drop(self.shared.stop_checkpoints.lock().unwrap_or_else(PoisonError::into_inner).take());
        self.shared.readers.lock().unwrap_or_else(PoisonError::into_inner).clear();
        // In-memory: closing drops the data, as closing the pool did.
        self.shared.writer.lock().await.take();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_numbered() {
        assert_eq!(numbered("a = $1 AND b = $12 OR c = '$'"), "a = ?1 AND b = ?12 OR c = '$'");
    }

    #[test]
    fn every_migration_file_is_listed() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "sql"))
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        files.sort();
        assert_eq!(files.len(), MIGRATIONS.len(), "{files:?}");
        for (file, (version, description, _)) in files.iter().zip(MIGRATIONS) {
            assert_eq!(file, &format!("{version:04}_{description}.sql"));
        }
    }

    #[tokio::test]
    async fn migrating_twice_changes_nothing_and_adopts_sqlx_history() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let mut conn = Connection::open(&path).unwrap();
        // A database an earlier version migrated through sqlx, up to version 1.
        conn.execute_batch(MIGRATIONS[0].2).unwrap();
        conn.execute_batch(
            "CREATE TABLE _sqlx_migrations (version BIGINT, description TEXT, success BOOLEAN); \
             INSERT INTO _sqlx_migrations VALUES (1, 'initial', 1);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        migrate(&mut conn).unwrap();
        let versions: Vec<i64> = conn
            .prepare("SELECT version FROM schema_migrations ORDER BY version")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(versions, vec![1, 2, 3]);
    }
}
