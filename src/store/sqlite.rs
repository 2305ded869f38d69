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
//!   [`begin_immediate`]), never in SQLite's blocking busy handler.
//! - **Group commit.** Each store call that writes runs in its own
//!   `SAVEPOINT` inside a `BEGIN IMMEDIATE` transaction that several calls
//!   may share: when a call finishes while other writers are queued, it
//!   releases its savepoint, hands the connection to the next writer and
//!   waits; the call that finds nobody queued (or the [`MAX_BATCH`]th) runs
//!   `COMMIT` for all of them and wakes them. Nobody is answered before the
//!   `COMMIT` that holds its work; a call that fails or returns early rolls
//!   back its own savepoint only, and then commits the batch at once, so that
//!   what it saw of the others' work is durable before it answers. A
//!   waiting writer whose successor never comes commits the batch itself
//!   after [`FOLLOWER_PATIENCE`], or at once if its own request is
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
//!   grow; so once it is longer than [`WAL_RESTART_PAGES`], the thread takes
//!   the writer for one more checkpoint of the few pages left, after which
//!   the next write starts the WAL over from its beginning.
//! - An in-memory database has one connection for everything: a second
//!   connection would see a different, empty database.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex as SyncMutex, PoisonError};
use std::time::Duration;

use anyhow::Context as _;
use futures_util::lock::{Mutex, OwnedMutexGuard};
use rusqlite::{Connection, OpenFlags};
use tokio::sync::watch;

use super::db::{Arg, Backend, Exec, FromRow, RowRead, Writer};
use super::sql::SqlStore;
use super::{StoreError, StoreResult};

/// The SQLite store.
pub type SqliteStore = SqlStore<SqliteDb>;

/// How long any connection waits for another process's lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// First pause between two `BEGIN IMMEDIATE` attempts while another process
/// holds the write lock; it doubles up to [`MAX_BUSY_PAUSE`].
const FIRST_BUSY_PAUSE: Duration = Duration::from_micros(500);
/// Longest pause between two attempts.
const MAX_BUSY_PAUSE: Duration = Duration::from_millis(50);
/// Idle read connections kept open.
const MAX_IDLE_READERS: usize = 8;
/// Prepared statements kept per connection (the store has about 90).
const STATEMENT_CACHE: usize = 192;
/// Pause between background checkpoints.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);
/// WAL length, in pages, past which the background thread takes the writer
/// to finish a checkpoint (128 MiB with 4 KiB pages). That checkpoint holds
/// every writer for its two `fsync`s (2.5-4.5 ms here), so it should be rare:
/// under the benchmark's 40 thousand writes a second it runs about once a
/// second, and a test suite's writes never get there.
const WAL_RESTART_PAGES: i64 = 32_768;
/// The WAL file is cut back to this size when it starts over. It is as large
/// as the WAL may grow, so that a busy server does not give the file system
/// back space it will ask for again a second later.
const WAL_SIZE_LIMIT: i64 = (WAL_RESTART_PAGES + 4_096) * 4_096;
/// Writes committed together at most.
const MAX_BATCH: usize = 64;
/// How long a writer waits for the next writer of its batch to commit it
/// before it takes the connection back and commits the batch itself (the
/// next writer may have been cancelled while queued).
const FOLLOWER_PATIENCE: Duration = Duration::from_millis(2);

/// The migrations, in order. `tests::every_migration_file_is_listed` keeps
/// this list in step with `migrations/sqlite/`.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "initial", include_str!("../../migrations/sqlite/0001_initial.sql")),
    (2, "hits", include_str!("../../migrations/sqlite/0002_hits.sql")),
    (3, "bonuses", include_str!("../../migrations/sqlite/0003_bonuses.sql")),
    (4, "qualifications_clustered", include_str!("../../migrations/sqlite/0004_qualifications_clustered.sql")),
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
    /// The writer connection and its open batch.
    writer: Arc<Mutex<WriterState>>,
    /// Writers waiting for the writer connection.
    queued: AtomicUsize,
    readers: SyncMutex<Vec<Connection>>,
    /// Dropping it stops the checkpoint thread.
    stop_checkpoints: SyncMutex<Option<mpsc::Sender<()>>>,
    /// `<database>-changes`: grows by one byte whenever a store on this
    /// database changes the virtual clock or a qualification type, so its
    /// length, read with one `fstat` (no lock, no query), is the generation
    /// of those rows for every process on the file (see
    /// [`Backend::shared_generation`]). `None` if it could not be opened:
    /// those rows are then read from the database every time.
    changes: Option<std::fs::File>,
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
        let writer = Arc::new(Mutex::new(WriterState { conn: Some(writer), batch: None }));
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
                writer: Arc::new(Mutex::new(WriterState { conn: Some(conn), batch: None })),
                queued: AtomicUsize::new(0),
                readers: SyncMutex::new(Vec::new()),
                stop_checkpoints: SyncMutex::new(None),
                changes: None,
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
fn checkpoint_loop(conn: &Connection, writer: &Mutex<WriterState>, stop: &mpsc::Receiver<()>) {
    // Columns of the pragma: busy flag, pages in the WAL, pages copied into the database.
    let checkpoint = || conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1));
    while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(CHECKPOINT_EVERY) {
        match checkpoint() {
            Ok(wal_pages) if wal_pages > WAL_RESTART_PAGES => {
                // Writers wait for the length of one short checkpoint.
                let mut state = futures_executor::block_on(writer.lock());
                if let Err(e) = state.finish_batch() {
                    tracing::error!(error = %e, "SQLite commit before a checkpoint failed");
                }
                if let Err(e) = checkpoint() {
                    tracing::warn!(error = %e, "SQLite checkpoint failed");
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
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        out.push(if rest.starts_with(|c: char| c.is_ascii_digit()) { '?' } else { '$' });
    }
    out.push_str(rest);
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

impl RowRead for SqliteRow<'_, '_> {
    fn text(&self, col: usize) -> StoreResult<Option<String>> {
        self.0.get(col).map_err(sqlite_error)
    }

    fn int(&self, col: usize) -> StoreResult<Option<i64>> {
        self.0.get(col).map_err(sqlite_error)
    }

    fn column_name(&self, col: usize) -> Option<String> {
        self.0.as_ref().column_name(col).ok().map(str::to_owned)
    }
}

/// Implements [`Exec`] for a type with `fn conn(&self) -> StoreResult<&Connection>`.
macro_rules! exec_on_connection {
    ($ty:ty) => {
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

/// The writer connection and the batch of writes it has open.
#[derive(Debug)]
pub struct WriterState {
    /// `None` once the store is closed.
    conn: Option<Connection>,
    /// The open `BEGIN IMMEDIATE` transaction, if any.
    batch: Option<Batch>,
}

/// Writes sharing one transaction.
#[derive(Debug)]
struct Batch {
    /// Writes released into it, waiting for its `COMMIT`.
    members: usize,
    /// Its fate, for the members waiting: `Some(true)` once committed,
    /// `Some(false)` once rolled back.
    outcome: watch::Sender<Option<bool>>,
}

impl WriterState {
    fn conn(&self) -> StoreResult<&Connection> {
        self.conn.as_ref().ok_or_else(closed)
    }

    /// Commits the open batch, if any, and tells its members.
    fn finish_batch(&mut self) -> StoreResult<()> {
        let Some(batch) = self.batch.take() else {
            return Ok(());
        };
        let committed = self.conn().and_then(|conn| execute(conn, "COMMIT", &[]));
        if committed.is_err() {
            self.rollback_connection();
        }
        batch.outcome.send_replace(Some(committed.is_ok()));
        committed.map(drop)
    }

    /// Rolls the open batch back, with every member's work, and tells them.
    fn abort_batch(&mut self) {
        if let Some(batch) = self.batch.take() {
            self.rollback_connection();
            batch.outcome.send_replace(Some(false));
        }
    }

    fn rollback_connection(&self) {
        if let Some(conn) = &self.conn {
            if !conn.is_autocommit() {
                if let Err(e) = conn.execute_batch("ROLLBACK") {
                    tracing::error!(error = %e, "SQLite rollback failed");
                }
            }
        }
    }
}

fn batch_failed() -> StoreError {
    StoreError::Other(anyhow::anyhow!("the SQLite transaction holding this write could not be committed"))
}

/// Counts a writer as queued until it holds the connection (or is dropped).
struct Queued<'a>(&'a AtomicUsize);

impl<'a> Queued<'a> {
    fn new(counter: &'a AtomicUsize) -> Self {
        counter.fetch_add(1, Ordering::SeqCst);
        Self(counter)
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// One store call's writes: a savepoint in the writer's open batch, while
/// it holds the writer connection.
#[derive(Debug)]
pub struct SqliteWriter {
    /// `None` once committed.
    state: Option<OwnedMutexGuard<WriterState>>,
    shared: Arc<Shared>,
}

impl SqliteWriter {
    fn conn(&self) -> StoreResult<&Connection> {
        self.state.as_ref().ok_or_else(closed)?.conn()
    }

    /// Waits until the batch `outcome` belongs to is committed, committing
    /// it if no other writer does so in time.
    async fn await_batch(shared: &Shared, outcome: watch::Receiver<Option<bool>>) -> StoreResult<()> {
        let mut waiting = Waiting { shared, outcome };
        let done = |v: Option<bool>| if v == Some(true) { Ok(()) } else { Err(batch_failed()) };
        match tokio::time::timeout(FOLLOWER_PATIENCE, waiting.outcome.wait_for(Option::is_some)).await {
            Ok(Ok(v)) => return done(*v),
            Ok(Err(_)) => return Err(batch_failed()),
            Err(_) => {}
        }
        let mut state = {
            let _queued = Queued::new(&shared.queued);
            shared.writer.clone().lock_owned().await
        };
        if let Some(v) = *waiting.outcome.borrow() {
            return done(Some(v));
        }
        // Not finished, so it is still the open batch.
        state.finish_batch()
    }
}

/// A writer waiting for its batch's `COMMIT`. Dropped before the batch's
/// fate is known (its request was cancelled), it commits the batch if the
/// writer connection is free, so that no transaction is left open waiting
/// for writers that may never come; if the connection is taken, its holder
/// carries the batch on.
struct Waiting<'a> {
    shared: &'a Shared,
    outcome: watch::Receiver<Option<bool>>,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if self.outcome.borrow().is_some() {
            return;
        }
        if let Some(mut state) = self.shared.writer.try_lock() {
            if self.outcome.borrow().is_none() {
                if let Err(e) = state.finish_batch() {
                    tracing::error!(error = %e, "SQLite commit failed");
                }
            }
        }
    }
}

exec_on_connection!(SqliteWriter);

impl Writer for SqliteWriter {
    async fn commit(mut self) -> StoreResult<()> {
        let Some(mut state) = self.state.take() else {
            return Err(closed());
        };
        if let Err(e) = state.conn().and_then(|conn| execute(conn, "RELEASE request", &[])) {
            state.abort_batch();
            return Err(e);
        }
        let Some(batch) = state.batch.as_mut() else {
            return Err(batch_failed());
        };
        batch.members += 1;
        if self.shared.queued.load(Ordering::SeqCst) == 0 || batch.members >= MAX_BATCH {
            return state.finish_batch();
        }
        // The next queued writer carries the batch on; one of them commits it.
        let outcome = batch.outcome.subscribe();
        drop(state);
        Self::await_batch(&self.shared, outcome).await
    }
}

impl Drop for SqliteWriter {
    /// Not committed: undo this call's own writes, then commit the batch,
    /// so that anything this call saw of the others' writes is durable
    /// before it answers.
    fn drop(&mut self) {
        if let Some(mut state) = self.state.take() {
            let undone = state.conn().and_then(|conn| {
                execute(conn, "ROLLBACK TO request", &[]).and_then(|_| execute(conn, "RELEASE request", &[]))
            });
            match undone {
                Ok(_) => {
                    if let Err(e) = state.finish_batch() {
                        tracing::error!(error = %e, "SQLite commit failed");
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "SQLite savepoint rollback failed");
                    state.abort_batch();
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
    /// A read-only connection of the pool, taken back by `Drop`; in a read
    /// transaction (one snapshot for every statement) when `snapshot`.
    Pooled { conn: Option<Connection>, shared: Arc<Shared>, snapshot: bool },
    /// The one connection of an in-memory database.
    Writer(OwnedMutexGuard<WriterState>),
}

impl SqliteReader {
    fn conn(&self) -> StoreResult<&Connection> {
        match &self.0 {
            ReadConn::Pooled { conn, .. } => conn.as_ref().ok_or_else(closed),
            ReadConn::Writer(state) => state.conn(),
        }
    }
}

exec_on_connection!(SqliteReader);

impl Drop for SqliteReader {
    fn drop(&mut self) {
        if let ReadConn::Pooled { conn, shared, snapshot } = &mut self.0 {
            if let Some(conn) = conn.take() {
                // A read transaction only ends; a connection that cannot end it is not reused.
                if *snapshot && execute(&conn, "COMMIT", &[]).is_err() {
                    return;
                }
                let mut idle = shared.readers.lock().unwrap_or_else(PoisonError::into_inner);
                if idle.len() < MAX_IDLE_READERS {
                    idle.push(conn);
                }
            }
        }
    }
}

/// `BEGIN IMMEDIATE` on the writer connection, waiting while another
/// process holds the write lock.
///
/// The writer connection has no busy timeout: SQLite's busy handler waits by
/// sleeping the calling thread, which here is a runtime worker thread, so a
/// second process holding the lock for a long transaction would stall every
/// task on that thread (with 2 workers, half the server). Instead a busy
/// answer comes back at once and the task sleeps asynchronously (0.5 ms,
/// doubling up to 50 ms) before trying again, for [`BUSY_TIMEOUT`] in all.
/// `block_in_place` would keep the blocking handler but needs a
/// multi-threaded runtime and still takes a worker thread out of service for
/// the whole wait. Only `BEGIN IMMEDIATE` can meet another process's lock:
/// once it succeeds this connection holds the write lock until `COMMIT`, and
/// in WAL mode reads never wait for writers.
async fn begin_immediate(state: &mut WriterState) -> StoreResult<()> {
    let started = std::time::Instant::now();
    let mut pause = FIRST_BUSY_PAUSE;
    loop {
        let begun = state.conn().and_then(|conn| {
            let attempt = conn.prepare_cached("BEGIN IMMEDIATE").and_then(|mut stmt| stmt.raw_execute());
            match attempt {
                Ok(_) => Ok(true),
                Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::DatabaseBusy => Ok(false),
                Err(e) => Err(sqlite_error(e)),
            }
        })?;
        if begun {
            return Ok(());
        }
        if started.elapsed() >= BUSY_TIMEOUT {
            return Err(StoreError::Other(anyhow::anyhow!(
                "another process held the SQLite write lock for more than {} s",
                BUSY_TIMEOUT.as_secs()
            )));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_BUSY_PAUSE);
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

impl Backend for SqliteDb {
    const NAME: &'static str = "sqlite";
    const LOCK_ROW: &'static str = "";

    type Reader = SqliteReader;
    type Snapshot = SqliteReader;
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
        Ok(SqliteReader(ReadConn::Pooled { conn: Some(conn), shared: Arc::clone(&self.shared), snapshot: false }))
    }

    async fn snapshot(&self) -> StoreResult<SqliteReader> {
        let mut reader = self.reader().await?;
        // In memory the reader holds the one connection, so no write can come
        // between its statements; a pooled connection opens a read transaction,
        // whose snapshot its first statement takes.
        if let ReadConn::Pooled { conn: Some(conn), snapshot, .. } = &mut reader.0 {
            execute(conn, "BEGIN", &[])?;
            *snapshot = true;
        }
        Ok(reader)
    }

    async fn writer(&self) -> StoreResult<SqliteWriter> {
        let mut state = {
            let _queued = Queued::new(&self.shared.queued);
            self.shared.writer.clone().lock_owned().await
        };
        if state.batch.is_none() {
            begin_immediate(&mut state).await?;
            state.batch = Some(Batch { members: 0, outcome: watch::channel(None).0 });
        }
        if let Err(e) = state.conn().and_then(|conn| execute(conn, "SAVEPOINT request", &[])) {
            // Whatever the batch holds is complete: commit it rather than strand it.
            if let Err(e) = state.finish_batch() {
                tracing::error!(error = %e, "SQLite commit failed");
            }
            return Err(e);
        }
        Ok(SqliteWriter { state: Some(state), shared: Arc::clone(&self.shared) })
    }

    fn shared_generation(&self) -> Option<u64> {
        match (&self.shared.path, &self.shared.changes) {
            // An in-memory database has exactly one store: its own cache is exact.
            (None, _) => Some(0),
            (Some(_), Some(signal)) => signal.metadata().ok().map(|m| m.len()),
            (Some(_), None) => None,
        }
    }

    fn shared_changed(&self) {
        if let Some(mut signal) = self.shared.changes.as_ref() {
            if let Err(e) = signal.write_all(b"+") {
                tracing::error!(error = %e, "cannot signal a change to other instances");
            }
        }
    }

    async fn close(&self) {
        drop(self.shared.stop_checkpoints.lock().unwrap_or_else(PoisonError::into_inner).take());
        self.shared.readers.lock().unwrap_or_else(PoisonError::into_inner).clear();
        let mut state = self.shared.writer.lock().await;
        if let Err(e) = state.finish_batch() {
            tracing::error!(error = %e, "SQLite commit on close failed");
        }
        // In-memory: closing drops the data, as closing the pool did.
        state.conn.take();
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

    /// Many writers at once, on two runtime threads: each call's writes are
    /// all there when it committed, and none of them when it returned early
    /// or failed, whatever batch it shared.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn group_commit_keeps_each_call_all_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let store = Arc::new(SqliteStore::open_file(path.to_str().unwrap()).unwrap());
        let tasks: Vec<_> = (0..400)
            .map(|i: i64| {
                let store = Arc::clone(&store);
                tokio::spawn(async move {
                    let mut tx = store.db.writer().await.unwrap();
                    let key = format!("AKIA{i:016}");
                    let insert = "INSERT INTO requesters (access_key_id, balance_cents, created_at) VALUES ($1, $2, 0)";
                    tx.execute(insert, &[Arg::from(key.as_str()), Arg::from(i)]).await.unwrap();
                    tx.execute(insert, &[Arg::from(format!("{key}-2").as_str()), Arg::from(i)]).await.unwrap();
                    tokio::task::yield_now().await;
                    match i % 3 {
                        // Returns early: both rows go.
                        0 => false,
                        // A failing statement, then an early return: both rows go.
                        1 if i % 2 == 0 => {
                            let again = tx.insert_unique(insert, &[Arg::from(key.as_str()), Arg::from(i)]).await;
                            assert!(matches!(again, Err(StoreError::Conflict { .. })));
                            false
                        }
                        _ => {
                            tx.commit().await.unwrap();
                            true
                        }
                    }
                })
            })
            .collect();
        let mut expected = Vec::new();
        for (i, task) in (0..).zip(tasks) {
            if task.await.unwrap() {
                expected.push(format!("AKIA{i:016}"));
                expected.push(format!("AKIA{i:016}-2"));
            }
        }
        expected.sort();
        let mut reader = store.db.reader().await.unwrap();
        let stored: Vec<String> =
            reader.fetch_all("SELECT access_key_id FROM requesters ORDER BY access_key_id", &[]).await.unwrap();
        assert_eq!(stored, expected);
        assert_eq!(store.db.shared.queued.load(Ordering::SeqCst), 0);
    }

    /// A writer that released its savepoint and waits for the next queued
    /// writer to carry the batch on must not wait forever when that writer
    /// goes away (its request was cancelled while it queued).
    #[tokio::test(flavor = "current_thread")]
    async fn a_batch_whose_next_writer_is_cancelled_is_still_committed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open_file(dir.path().join("db.sqlite").to_str().unwrap()).unwrap());
        let insert = "INSERT INTO requesters (access_key_id, balance_cents, created_at) VALUES ($1, 1, 0)";
        let mut first = store.db.writer().await.unwrap();
        first.execute(insert, &[Arg::from("AKIAFIRSTWRITER00000")]).await.unwrap();
        // A second writer queues behind the first.
        let queued = tokio::spawn({
            let store = Arc::clone(&store);
            async move { drop(store.db.writer().await) }
        });
        while store.db.shared.queued.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        // The first sees it queued, so it hands the batch on and waits ...
        let mut committing = std::pin::pin!(first.commit());
        tokio::select! {
            biased;
            _ = &mut committing => panic!("the first writer committed without waiting for the queued one"),
            () = std::future::ready(()) => {}
        }
        // ... and the queued writer is cancelled before it runs again.
        queued.abort();
        let committed = tokio::time::timeout(Duration::from_secs(5), committing).await;
        committed.expect("the waiting writer committed its batch itself").unwrap();
        assert_eq!(store.db.shared.queued.load(Ordering::SeqCst), 0);
        let mut reader = store.db.reader().await.unwrap();
        let keys: Vec<String> = reader.fetch_all("SELECT access_key_id FROM requesters", &[]).await.unwrap();
        assert_eq!(keys, vec!["AKIAFIRSTWRITER00000".to_owned()]);
    }

    /// When the waiting writer's request is cancelled too, its batch is
    /// committed all the same, and no transaction is left open.
    #[tokio::test(flavor = "current_thread")]
    async fn a_batch_whose_writers_are_all_cancelled_is_still_committed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open_file(dir.path().join("db.sqlite").to_str().unwrap()).unwrap());
        let insert = "INSERT INTO requesters (access_key_id, balance_cents, created_at) VALUES ($1, 1, 0)";
        let mut first = store.db.writer().await.unwrap();
        first.execute(insert, &[Arg::from("AKIAFIRSTWRITER00000")]).await.unwrap();
        let queued = tokio::spawn({
            let store = Arc::clone(&store);
            async move { drop(store.db.writer().await) }
        });
        while store.db.shared.queued.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        {
            let mut committing = std::pin::pin!(first.commit());
            tokio::select! {
                biased;
                _ = &mut committing => panic!("the first writer committed without waiting for the queued one"),
                () = std::future::ready(()) => {}
            }
            queued.abort();
            // The waiting writer is cancelled here.
        }
        assert!(store.db.shared.writer.lock().await.batch.is_none(), "a batch was left open");
        let mut reader = store.db.reader().await.unwrap();
        let keys: Vec<String> = reader.fetch_all("SELECT access_key_id FROM requesters", &[]).await.unwrap();
        assert_eq!(keys, vec!["AKIAFIRSTWRITER00000".to_owned()]);
    }

    /// Another process holds the write lock: the writer waits for it without
    /// blocking its runtime thread, so other tasks on that thread (here the
    /// one that ends the other process's transaction) keep running.
    #[tokio::test(flavor = "current_thread")]
    async fn waiting_for_another_process_lock_does_not_block_the_runtime() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let store = SqliteStore::open_file(path.to_str().unwrap()).unwrap();
        let other = Connection::open(&path).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        let release = async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            other.execute_batch("COMMIT").unwrap();
        };
        let write = async {
            let mut tx = store.db.writer().await.unwrap();
            tx.execute("UPDATE clock SET offset_ms = 7", &[]).await.unwrap();
            tx.commit().await.unwrap();
        };
        let started = std::time::Instant::now();
        // A blocking wait would hold the only thread for the 10 s busy timeout.
        tokio::join!(release, write);
        assert!(started.elapsed() < Duration::from_secs(5), "waited {:?}", started.elapsed());
        let mut reader = store.db.reader().await.unwrap();
        assert_eq!(reader.fetch_one::<i64>("SELECT offset_ms FROM clock", &[]).await.unwrap(), 7);
    }

    /// The reads of a snapshot (a page and its total) see one state, whatever
    /// is committed between them.
    #[tokio::test]
    async fn a_snapshot_does_not_see_writes_committed_after_its_first_read() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_file(dir.path().join("db.sqlite").to_str().unwrap()).unwrap();
        let count = "SELECT COUNT(*) FROM requesters";
        let mut snapshot = store.db.snapshot().await.unwrap();
        assert_eq!(snapshot.fetch_one::<i64>(count, &[]).await.unwrap(), 0);
        let mut tx = store.db.writer().await.unwrap();
        tx.execute("INSERT INTO requesters (access_key_id, balance_cents, created_at) VALUES ('A', 1, 0)", &[])
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(snapshot.fetch_one::<i64>(count, &[]).await.unwrap(), 0);
        drop(snapshot);
        // The connection went back to the pool with its transaction ended.
        let mut later = store.db.snapshot().await.unwrap();
        assert_eq!(later.fetch_one::<i64>(count, &[]).await.unwrap(), 1);
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
        assert_eq!(versions, vec![1, 2, 3, 4]);
    }
}
